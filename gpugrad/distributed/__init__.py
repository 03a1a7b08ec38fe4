"""Compiled functions over Dask arrays, on one machine's threads or on a cluster
(README, "Beyond one machine: Dask"); Dask is the optional extra ``gpugrad[distributed]``.

    import gpugrad.distributed as gd
    per_example = gd.map_batches(f, X, y)                    # Dask arrays chunked along axis 0
    cost, grads = gd.grad_step([x, y], cost, [w, b])(X, y)   # averaged over the whole batch
"""
from .batches import REDUCTIONS, map_batches
from .training import GradStep, grad_step

__all__ = ["map_batches", "grad_step", "GradStep", "REDUCTIONS"]
