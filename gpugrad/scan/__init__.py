"""Loops: ``scan`` and its special cases ``map``, ``reduce``, ``foldl``, ``foldr``.

    op.py         the Scan op and the loop that runs its compiled body
    api.py        Theano's interface; builds the op, hoisting loop invariants
    gradient.py   backpropagation through time (pullback) and forward mode (pushforward)
    device.py     the loop on a device: its body compiled there, its arrays device arrays
    vectorize.py  the rewrite that replaces a map by its batched body
"""
from .api import foldl, foldr, map, reduce, scan, until

scan.until = until  # Theano code returns ``theano.scan.until(cond)`` from fn

__all__ = ["scan", "map", "reduce", "foldl", "foldr", "until"]
