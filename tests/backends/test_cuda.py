"""The ``cuda`` backend on a real GPU (skipped, and counted, without one), and its laziness."""
import subprocess
import sys

import numpy as np
import pytest

from gpugrad.backends import backend, base, cuda
from gpugrad.backends.load import KernelLibrary

available, reason = cuda.gpu_available()
gpu = pytest.mark.skipif(not available, reason=f"no usable GPU: {reason}")


def test_import_gpugrad_does_not_import_cupy():
    code = "import gpugrad, gpugrad.backends, gpugrad.backends.load, sys; print('cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_unknown_backend_name():
    with pytest.raises(ValueError, match="unknown kernel backend 'opencl'"):
        backend("opencl")


@pytest.fixture(scope="module")
def gpu_library():
    return KernelLibrary(backend("cuda"))


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_sum_rows_and_scatter_add_on_gpu(gpu_library, rng, dtype):
    be = gpu_library.backend
    x = (rng.standard_normal((37, 300)) + (1j * rng.standard_normal((37, 300)) if np.dtype(dtype).kind == "c"
                                           else 0)).astype(dtype)
    y = be.allocate(37, dtype)
    gpu_library.launch("sum_rows", 8, 128, (be.to_device(x), y, 37, 300), shared_mem=4 * x.itemsize)
    tol = 1e-4 if x.itemsize in (4, 8) and dtype != np.float64 else 1e-10
    np.testing.assert_allclose(be.to_host(y), x.sum(axis=1), rtol=tol, atol=tol * 300)
    idx = rng.integers(-5, 5, 37)
    dst = be.to_device(np.zeros((5, 300), dtype))
    gpu_library.launch("scatter_add", 16, 256, (be.to_device(x), be.to_device(idx), dst, 37, 300, 5))
    expected = np.zeros((5, 300), dtype)
    np.add.at(expected, idx, x)
    be.synchronize()
    np.testing.assert_allclose(be.to_host(dst), expected, rtol=tol, atol=tol)


@gpu
def test_gpu_launch_limits(gpu_library):
    be = gpu_library.backend
    x = be.allocate((1, 4), np.float32)
    with pytest.raises(base.KernelLaunchError):
        gpu_library.launch("sum_rows", 1, 2048, (x, be.allocate(1, np.float32), 1, 4))
