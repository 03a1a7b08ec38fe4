"""Graphs shared by the CUDA tests, kept identical across files so each kernel compiles
once per run (the simulator caches compiled kernels on disk by source)."""
import warnings

import numpy as np

import gpugrad.tensor as T
from gpugrad.codegen import elementwise as codegen
from gpugrad.graph.fgraph import FunctionGraph
from gpugrad.ops import scalar
from gpugrad.rewrites.fusion import Composite
from gpugrad.rewrites.pipeline import optimize

from device_checks import DEVICE

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float32", "float64", "complex64", "complex128"]
_FUNCTIONS = {"and": scalar.bitwise_and, "or": scalar.bitwise_or, "xor": scalar.bitwise_xor}


def every_row(dtype):
    """``(x, y), names, outputs``: every table row with a kernel for ``dtype`` applied to
    x, y (and x again for ternary rows), every cast, and the sum of all of them as
    complex128, which connects them into one fused region (one kernel)."""
    x, y = T.tensor(dtype, shape=(None, None), name="x"), T.tensor(dtype, shape=(None, None), name="y")
    names, outputs = [], []
    for name, row in scalar.ROWS.items():
        fn = _FUNCTIONS.get(name) or getattr(scalar, name)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = fn(*[x, y, x][:2 if row.nin == -1 else row.nin])
        except (TypeError, ValueError):  # NumPy rejects the dtype (sub of bools, invert of floats, ...)
            continue
        if codegen.supports(out.owner):
            names.append(name)
            outputs.append(out)
    for other in DTYPES:
        if other != dtype:
            names.append(f"cast_{other}")
            outputs.append(scalar.cast(x, other))
    total = scalar.add(*[scalar.cast(o, "complex128") for o in outputs])
    return (x, y), names + ["total"], outputs + [total]


def sample(dtype, shape, rng):
    """Values inside every row's domain: positive and below 1 for floats (arcsin, log),
    1..3 for integers (division, powers), complex with both parts nonzero."""
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if np.dtype(dtype).kind in "iu":
        return rng.integers(1, 4, shape).astype(dtype)
    value = rng.random(shape) * 0.8 + 0.1
    if np.dtype(dtype).kind == "c":
        value = value + 0.3j * (rng.random(shape) * 0.8 + 0.1)
    return value.astype(dtype)


def composite_sources(inputs, outputs, device=DEVICE):
    """The kernel sources the pipeline makes for a device, without compiling anything."""
    fgraph = FunctionGraph(list(inputs), list(outputs))
    optimize(fgraph, "fast_run", device)
    return [node.op.source for node in fgraph.toposort() if isinstance(node.op, Composite)]
