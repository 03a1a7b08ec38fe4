"""The simulated CuPy (gpugrad/backends/simcupy) refuses what CuPy refuses, so that code which
works on it does not crash on a GPU; and it works without CuPy installed (stand-in classes,
no NVRTC step)."""
import subprocess
import sys

import numpy as np
import pytest

from gpugrad.backends import base
from gpugrad.backends import simcupy as cp

SOURCE = r"""
extern "C" __global__ void scale(const double* x, double* y, int n, double factor) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i] * factor;
}
"""


@pytest.fixture(scope="module")
def scale():
    return cp.RawModule(code=SOURCE, options=("--std=c++17",)).get_function("scale")


def test_arrays_refuse_implicit_conversion_and_host_operands():
    a = cp.asarray(np.arange(6.0).reshape(2, 3))
    for convert in (np.asarray, np.array, np.ascontiguousarray):
        with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
            convert(a)
    with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
        a + np.ones(3)
    with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
        np.ones(3) * a
    with pytest.raises(TypeError, match="no implementation found"):
        np.median(a)  # CuPy has it; the simulated one does not, and says so rather than guess
    assert isinstance(np.exp(a), cp.ndarray) and isinstance(a.sum(), cp.ndarray) and a.sum().shape == ()
    np.testing.assert_array_equal((a.T @ a).get(), np.arange(6.0).reshape(2, 3).T @ np.arange(6.0).reshape(2, 3))
    with pytest.raises(NotImplementedError, match="advanced indexing"):
        a[cp.asarray(np.array([0, 1]))]


@pytest.mark.parametrize("shape, message", [((-1,), "negative dimensions are not allowed"),
                                            ((-1, -1), "negative dimensions are not allowed"),
                                            ((2**33, 2**31), "array is too big"), ((2**61,), "array is too big")])
def test_new_arrays_refuse_negative_and_overflowing_sizes_as_numpy_does(shape, message):
    """Before: (-1,) was refused as "shape (-8,)" (its bytes), and a size past 2**63 bytes
    wrapped in int64 and failed as an OverflowError deep in the view."""
    with pytest.raises(ValueError, match=f"^{message}"):
        cp.empty(shape)
    with pytest.raises(ValueError, match=f"^{message}"):
        np.empty(shape)


def test_views_share_memory_and_results_live_on_the_current_device():
    a = cp.zeros((3, 4))
    view = a[1:, ::2].T
    view[...] = 5.0
    assert np.may_share_memory(a, view) and view.base is a
    assert a.get().sum() == 20.0 and not a.diagonal().flags.owndata
    with cp.cuda.Device(1):
        copy = a.copy()  # CuPy copies across devices
        with pytest.raises(ValueError, match="array device = 0 while current = 1"):
            a * 2
    assert copy.device == cp.cuda.Device(1) and a.device.id == 0


def test_kernel_arguments_follow_cupys_rules(scale):
    x, y = cp.asarray(np.arange(4.0)), cp.zeros(4)
    scale((1,), (4,), (x, y, np.int32(4), 2.0))
    np.testing.assert_array_equal(y.get(), [0.0, 2.0, 4.0, 6.0])
    scale((1,), (4,), (x, y, np.array([4], np.int32), np.float64(3.0)))  # a one-element array by value
    np.testing.assert_array_equal(y.get(), [0.0, 3.0, 6.0, 9.0])
    with pytest.raises(TypeError, match="Argument 'grid' has incorrect type"):
        scale(1, (4,), (x, y, np.int32(4), 2.0))
    with pytest.raises(base.KernelArgumentError, match="'n' of kernel 'scale' is int32; got a int64 scalar"):
        scale((1,), (4,), (x, y, 4, 2.0))  # a Python int goes as int64, as CuPy passes it
    with pytest.raises(TypeError, match="pass a numpy.ndarray of shape"):
        scale((1,), (4,), (np.arange(4.0), y, np.int32(4), 2.0))
    with pytest.raises(AttributeError):
        scale.param_names = ["x"]


def test_a_faulting_launch_is_reported_at_the_next_synchronization(scale):
    x, y = cp.asarray(np.arange(4.0)), cp.zeros(4)
    scale((1,), (64,), (x, y, np.int32(64), 2.0))  # reads and writes past the end: returns at once
    with pytest.raises(cp.cuda.runtime.CUDARuntimeError, match="cudaErrorIllegalAddress.*out-of-bounds"):
        y.get()
    assert y.get().shape == (4,)  # reported once (a GPU's context would stay broken); which threads
    # wrote before the fault is the schedule's choice
    scale((1,), (64,), (x, y, np.int32(64), 2.0))
    with pytest.raises(cp.cuda.driver.CUDADriverError, match="CUDA_ERROR_ILLEGAL_ADDRESS"):
        scale((1,), (4,), (x, y, np.int32(4), 2.0))


def test_linear_algebra_fails_as_cusolver_does():
    singular = cp.zeros((2, 2))
    assert np.isnan(cp.linalg.inv(singular).get()).all()  # info not checked: garbage
    with cp.cupyx.errstate(linalg="raise"), pytest.raises(np.linalg.LinAlgError):
        cp.linalg.inv(singular)
    with pytest.raises(ValueError, match="takes one 2-D matrix"):
        cp.cupyx.scipy.linalg.expm(cp.zeros((2, 3, 3)))


def test_without_cupy_the_stand_ins_refuse_attributes_too():
    code = """
import sys
sys.modules["cupy"] = None  # CuPy not installed
import numpy as np, gpugrad as gg, gpugrad.tensor as T
from gpugrad.backends import simcupy
x = T.dmatrix("x")
f = gg.function([x], T.exp(x).sum(axis=1), device="cuda-sim")
print(f(np.zeros((2, 3))).tolist(), simcupy.RawKernel.__mro__[1].__name__, simcupy.compiles_with_nvrtc())
try:
    simcupy.RawKernel("", "k").param_names = None
except AttributeError:
    print("refused")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[:2] == ["[3.0, 3.0] StandInRawKernel False", "refused"]
