"""What the device tests share: a graph compiled for the simulator and the CPU, where its
nodes ran, the transfers a call makes, and result comparisons."""
import numpy as np

import gpugrad as gg
from gpugrad.backends import simcupy
from gpugrad.graph.basic import Constant
from gpugrad.ops.transfer import Transfer

SIM = "cuda-sim"


def host(value):
    """``value`` as a NumPy array: a simulated device array read back (``.get()``, as with
    CuPy: it refuses ``np.asarray``), a host value as it is."""
    return value.get() if isinstance(value, simcupy.ndarray) else np.asarray(value)


def on_both(inputs, outputs, **kwargs):
    """``[on cuda-sim, on cpu]``: the same graph compiled for both."""
    return [gg.function(inputs, outputs, device=d, **kwargs) for d in (SIM, "cpu")]


def places(f, op_type):
    """The devices the nodes of ``op_type`` ran on."""
    return {d for node, d in f.placement.items() if isinstance(node.op, op_type)}


def transfers(f):
    """The copies a call makes, by direction (a constant goes over once, at compile time)."""
    return sorted(node.op.to for node in f.graph.toposort()
                  if isinstance(node.op, Transfer) and not isinstance(node.inputs[0], Constant))


def same(got, expected, double_tol=1e-12):
    """Equal dtypes and shapes, values to single precision (float32, complex64) or ``double_tol``."""
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype and g.shape == e.shape
        tol = 1e-5 if g.dtype in (np.float32, np.complex64) else double_tol
        np.testing.assert_allclose(g, e, rtol=tol, atol=tol)


def identical(got, expected):
    """Equal dtypes, shapes and values, NaNs in the same part of the same places."""
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_array_equal(np.real(g), np.real(e))
        np.testing.assert_array_equal(np.imag(g), np.imag(e))
