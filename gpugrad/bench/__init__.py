"""Benchmark comparisons: ``python -m gpugrad.bench`` runs a suite of derivative workloads
in gpugrad, hand-written NumPy (CuPy on a GPU), JAX, PyTorch and PyTensor, checks every
result against the hand-written one, and prints one table of times and ratios.
``pip install "gpugrad[bench]"`` brings the peers (PyTorch is used when installed)."""
from ..errors import GpugradError


class BenchError(GpugradError, ValueError):
    """A benchmark asked for something that does not exist (a workload, a library)."""
