"""The ``cuda`` backend on a real GPU (skipped, and counted, without one), and its laziness."""
import contextlib
import subprocess
import sys
import types

import numpy as np
import pytest

from gpugrad import errors as gg_errors
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
def test_reduce_rows_and_scatter_add_axis_on_gpu(gpu_library, rng, dtype):
    be = gpu_library.backend
    x = (rng.standard_normal((37, 300)) + (1j * rng.standard_normal((37, 300)) if np.dtype(dtype).kind == "c"
                                           else 0)).astype(dtype)
    y = be.allocate(37, dtype)
    gpu_library.launch("reduce_rows", 8, 128, (be.to_device(x), y, 37, 300, 300), shared_mem=4 * x.itemsize,
                       defines=(("GG_REDUCE", "gg_sum"),))
    tol = 1e-4 if x.itemsize in (4, 8) and dtype != np.float64 else 1e-10
    np.testing.assert_allclose(be.to_host(y), x.sum(axis=1), rtol=tol, atol=tol * 300)
    idx = rng.integers(-5, 5, 37)
    dst, error = be.to_device(np.zeros((5, 300), dtype)), be.to_device(np.zeros(4, np.int64))
    gpu_library.launch("scatter_add_axis", 16, 256, (be.to_device(x), be.to_device(idx), dst, error, 1, 5, 37, 300))
    expected = np.zeros((5, 300), dtype)
    np.add.at(expected, idx, x)
    be.synchronize()
    np.testing.assert_allclose(be.to_host(dst), expected, rtol=tol, atol=tol)
    assert not be.to_host(error).any()


@gpu
def test_gpu_launch_limits(gpu_library):
    be = gpu_library.backend
    x = be.allocate((1, 4), np.float32)
    with pytest.raises(base.KernelLaunchError):
        gpu_library.launch("reduce_rows", 1, 2048, (x, be.allocate(1, np.float32), 1, 4, 4),
                           defines=(("GG_REDUCE", "gg_sum"),))


class _ForeignArray:
    """An object exposing device memory the way PyTorch or Numba arrays do."""

    def __init__(self, ptr, shape=(4,)):
        self.__cuda_array_interface__ = {"data": (ptr, False), "shape": shape, "typestr": "<f4", "version": 3}


@pytest.fixture
def cuda_backend():
    pytest.importorskip("cupy")
    be = cuda.CudaBackend(0)
    be.__dict__["context"] = 0xC0  # the primary context, as if queried on a GPU
    return be


@pytest.mark.parametrize("owner,message", [
    ((1, 0xC1), r"input 0 \(x\): a device array on cuda:1, but the function runs on cuda:0"),
    ((0, 0xBAD), r"input 0 \(x\): a device array of another CUDA context \(0xbad\) on cuda:0.*primary context \(0xc0"),
    (None, r"input 0 \(x\): not device memory the CUDA driver knows"),
])
def test_device_memory_of_another_gpu_or_context_is_named(cuda_backend, monkeypatch, owner, message):
    """The driver's record of the allocation decides (cuPointerGetAttribute, mocked here)."""
    monkeypatch.setattr(cuda, "pointer_owner", lambda ptr: owner)
    with pytest.raises(gg_errors.InputError, match=message):
        cuda_backend.adopt(_ForeignArray(0x7000), "input 0 (x)")


def test_host_values_are_not_adopted(cuda_backend):
    assert cuda_backend.adopt(np.zeros(3), "input 0 (x)") is None


def test_compile_error_names_the_log_and_the_saved_source(cuda_backend):
    """NVRTC's log and where the failing source was written (CuPy mocked: no GPU needed)."""
    class CompileException(Exception):
        pass

    class RawModule:
        def __init__(self, code, options):
            pass

        def compile(self):
            raise CompileException("kernel.cu(1): error: identifier \"nope\" is undefined")
    compiler = types.SimpleNamespace(CompileException=CompileException)
    cuda_backend.cupy = types.SimpleNamespace(RawModule=RawModule, cuda=types.SimpleNamespace(compiler=compiler))
    cuda_backend.device = contextlib.nullcontext()
    source = 'extern "C" __global__ void broken() { nope; }'
    with pytest.raises(base.KernelCompileError, match=r"(?s)NVRTC failed to compile a test kernel \(source: (.*\.cu)\).*nope"):
        cuda_backend.load_module(source, name="a test kernel")
    assert cuda._saved_source(source).read_text() == source
