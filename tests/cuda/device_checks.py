"""What the device tests share: the device they run on, a graph compiled for it and the CPU,
where its nodes ran, the transfers a call makes, and result comparisons.

The device is ``cuda-sim`` unless ``GPUGRAD_TEST_DEVICE`` names another (``cuda``, ``cuda:1``,
``cuda-sim:1``: tests/gpu/run.sh runs the suite on the GPU with it). On a GPU the float
results a test compares bit for bit on the simulator are compared with tolerances (cuBLAS
and the CUDA math library round differently from NumPy), and the tests that drive the
simulator itself skip."""
import os

import numpy as np
import pytest

import gpugrad as gg
from gpugrad.graph.basic import Constant
from gpugrad.ops.transfer import Transfer

DEVICE = os.environ.get("GPUGRAD_TEST_DEVICE", "cuda-sim")
ON_GPU = not DEVICE.startswith("cuda-sim")
sim_only = pytest.mark.skipif(ON_GPU, reason="drives the simulator itself")


def host(value):
    """``value`` as a NumPy array: a device array read back (``.get()``: CuPy's arrays and the
    simulated ones refuse ``np.asarray``), a host value as it is."""
    return value.get() if hasattr(value, "__cuda_array_interface__") else np.asarray(value)


def on_both(inputs, outputs, **kwargs):
    """``[on DEVICE, on cpu]``: the same graph compiled for both."""
    return [gg.function(inputs, outputs, device=d, **kwargs) for d in (DEVICE, "cpu")]


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
    """Equal dtypes, shapes and values, NaNs in the same part of the same places (floats to
    ``same``'s tolerances on a GPU)."""
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype and g.shape == e.shape
        if ON_GPU and g.dtype.kind in "fc":
            same([g], [e], double_tol=1e-11)
            continue
        np.testing.assert_array_equal(np.real(g), np.real(e))
        np.testing.assert_array_equal(np.imag(g), np.imag(e))
