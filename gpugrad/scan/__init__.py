"""Loops: ``scan`` and its special cases ``map``, ``reduce``, ``foldl``, ``foldr``.

    op.py         the Scan op (its CUDA facet: device.py)
    loop.py       the loop that runs its compiled body
    api.py        Theano's interface; builds the op, hoisting loop invariants
    gradient.py   backpropagation through time (pullback) and forward mode (pushforward)
    device.py     the loop on a device: its body compiled there, its arrays device arrays
    prune.py      the rewrite that drops loop outputs nobody reads
    vectorize.py  the rewrite that replaces a map by its batched body

The package sits above the rewrite pipeline (it optimizes loop bodies with it), so it adds
its own rewrites to the pipeline's ``scan`` phase here.
"""
from ..rewrites.pipeline import PIPELINE
from . import prune, vectorize
from .api import foldl, foldr, map, reduce, scan, until

PIPELINE.phase("scan").rewrites.extend(prune.REWRITES + vectorize.REWRITES)
scan.until = until  # Theano code returns ``theano.scan.until(cond)`` from fn

__all__ = ["scan", "map", "reduce", "foldl", "foldr", "until"]
