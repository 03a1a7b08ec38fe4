"""The ``cuda`` backend (``CudaBackend``): its own lines run here on the simulated CuPy, against
CuPy's real ``RawModule``/``RawKernel`` classes and NVRTC; the few tests that need a GPU skip
(and are counted) without one."""
import subprocess
import sys

import numpy as np
import pytest

from gpugrad import errors as gg_errors
from gpugrad.backends import backend, base, cuda, simcupy
from gpugrad.backends.load import KERNELS_DIR, KernelLibrary
from gpugrad.compile.device_arrays import backend_for

available, reason = cuda.gpu_available()
gpu = pytest.mark.skipif(not available, reason=f"no usable GPU: {reason}")
SIM = backend_for("cuda-sim")


def test_import_gpugrad_does_not_import_cupy():
    code = "import gpugrad, gpugrad.backends, gpugrad.backends.load, sys; print('cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_unknown_backend_name():
    with pytest.raises(ValueError, match="unknown kernel backend 'opencl'"):
        backend("opencl")


def test_kernels_are_cupys_own_classes_and_take_no_attributes():
    """The bug of issue 19: a KernelLibrary that set an attribute on its kernels crashed at the
    first launch on a GPU. Its kernels here are subclasses of CuPy's RawKernel with no room
    for one; the launch works and nothing can be attached."""
    cupy = pytest.importorskip("cupy")
    library = KernelLibrary(SIM)
    x = SIM.to_device(np.arange(12.0).reshape(3, 4))
    out = SIM.allocate(3, np.float64)
    library.launch("reduce_rows", 3, 32, (x, out, 3, 4, 4), shared_mem=8, defines=(("GG_REDUCE", "gg_sum"),))
    np.testing.assert_array_equal(SIM.to_host(out), [6.0, 22.0, 38.0])
    kernel = next(iter(library._kernels.values()))
    module = SIM.load_module('extern "C" __global__ void f(float* y) { y[0] = 1.0f; }', name="f")
    for obj, cls in ((kernel, cupy.RawKernel), (module.get_function("f"), cupy.RawKernel),
                     (module, cupy.RawModule)):
        assert isinstance(obj, cls)
        with pytest.raises(AttributeError):
            obj.param_names = None


def test_compile_error_carries_nvrtcs_log_and_the_saved_source():
    pytest.importorskip("cupy")
    if simcupy.raw._cupy.nvrtc() is None:
        pytest.skip("libnvrtc is not installed")
    source = 'extern "C" __global__ void broken() { nope; }'
    with pytest.raises(base.KernelCompileError, match=r'(?s)NVRTC failed to compile a test kernel \(source: (.*\.cu)\)'
                                                      r'.*identifier "nope" is undefined') as info:
        SIM.load_module(source, name="a test kernel")
    saved = info.value.args[0].split("(source: ")[1].split(")")[0]
    assert open(saved).read() == cuda.with_header_hash(source, ())


def test_sources_name_the_hash_of_their_headers(tmp_path):
    """CuPy's disk cache keys on the source text, not the headers it includes: the source a
    module compiles names their hash, so an edited header compiles anew."""
    (tmp_path / "h.cuh").write_text("#define VALUE 1\n")
    source = '#include "h.cuh"\nextern "C" __global__ void f(float* y) { y[0] = VALUE; }'
    before = cuda.with_header_hash(source, (f"-I{tmp_path}",))
    assert before.startswith("// gpugrad-headers: ") and before.endswith(source)
    (tmp_path / "h.cuh").write_text("#define VALUE 2\n")
    after = cuda.with_header_hash(source, (f"-I{tmp_path}",))
    assert after != before and cuda.with_header_hash(source, (f"-I{tmp_path}",)) == after
    module = SIM.load_module(source, (f"-I{tmp_path}",))
    assert module.code == after
    y = SIM.allocate(1, np.float32)
    SIM.launch(module.get_function("f"), 1, 1, [y])
    assert SIM.to_host(y)[0] == 2.0


def test_library_sources_hash_gpugrad_cuh():
    text = cuda.with_header_hash('#include "gpugrad.cuh"\n', (f"-I{KERNELS_DIR}",))
    assert text.splitlines()[0] != cuda.with_header_hash("\n", ()).splitlines()[0]


class _ForeignArray:
    """An object exposing device memory the way PyTorch or Numba arrays do."""

    def __init__(self, ptr, shape=(4,), typestr="<f4", keep=None):
        self.__cuda_array_interface__ = {"data": (ptr, False), "shape": shape, "typestr": typestr, "version": 3}
        self.keep = keep


def _backend_asking(owner):
    return cuda.CudaBackend(0, simcupy, simcupy.cupyx, lambda ptr: owner, "cuda:0")


@pytest.mark.parametrize("owner,message", [
    ((1, 0x5101), r"input 0 \(x\): a device array on cuda:1, but the function runs on cuda:0"),
    ((0, 0xBAD), r"input 0 \(x\): a device array of another CUDA context \(0xbad\) on cuda:0.*primary context "
                 r"\(0x5100"),
    (None, r"input 0 \(x\): not device memory the CUDA driver knows"),
])
def test_device_memory_of_another_gpu_or_context_is_named(owner, message):
    """The driver's record of the allocation decides (``pointer_owner``, answered here)."""
    with pytest.raises(gg_errors.InputError, match=message):
        _backend_asking(owner).adopt(_ForeignArray(0x7000), "input 0 (x)")


def test_the_simulated_driver_knows_its_allocations():
    on_one = backend_for("cuda-sim:1").allocate(3, np.float32)
    assert simcupy.pointer_owner(on_one.data.ptr) == (1, 0x5101)
    assert simcupy.pointer_owner(0x7000) is None
    with pytest.raises(gg_errors.InputError, match=r"a device array on cuda-sim:1, but the function runs on "
                                                   r"cuda-sim\b"):
        SIM.adopt(on_one, "input 0 (x)")


def test_host_values_are_not_adopted():
    assert SIM.adopt(np.zeros(3), "input 0 (x)") is None


def test_misaligned_device_memory_is_copied_before_kernels_read_it(rng):
    """complex128 is read with 16-byte loads: a view 8 bytes into an allocation would fault on
    a GPU (and poison its context). Adopted, it is copied to aligned memory first."""
    values = rng.standard_normal(10)
    buffer = SIM.to_device(values)
    view = _ForeignArray(buffer.data.ptr + 8, shape=(4,), typestr="<c16", keep=buffer)
    adopted = SIM.adopt(view, "input 0 (z)")
    assert adopted.data.ptr % 16 == 0 and adopted.data.ptr != buffer.data.ptr + 8
    np.testing.assert_array_equal(SIM.to_host(adopted), values[1:9].view(np.complex128))
    aligned = _ForeignArray(buffer.data.ptr, shape=(4,), typestr="<f8", keep=buffer)
    assert SIM.adopt(aligned, "input 0 (x)").data.ptr == buffer.data.ptr  # no copy where none is needed


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_reduce_rows_and_scatter_add_axis_on_gpu(rng, dtype):
    library = KernelLibrary(backend("cuda"))
    be = library.backend
    x = (rng.standard_normal((37, 300)) + (1j * rng.standard_normal((37, 300)) if np.dtype(dtype).kind == "c"
                                           else 0)).astype(dtype)
    y = be.allocate(37, dtype)
    library.launch("reduce_rows", 8, 128, (be.to_device(x), y, 37, 300, 300), shared_mem=4 * x.itemsize,
                   defines=(("GG_REDUCE", "gg_sum"),))
    tol = 1e-4 if dtype in (np.float32, np.complex64) else 1e-10
    np.testing.assert_allclose(be.to_host(y), x.sum(axis=1), rtol=tol, atol=tol * 300)
    idx = rng.integers(-5, 5, 37)
    dst, error = be.to_device(np.zeros((5, 300), dtype)), be.to_device(np.zeros(4, np.int64))
    library.launch("scatter_add_axis", 16, 256, (be.to_device(x), be.to_device(idx), dst, error, 1, 5, 37, 300))
    expected = np.zeros((5, 300), dtype)
    np.add.at(expected, idx, x)
    be.synchronize()
    np.testing.assert_allclose(be.to_host(dst), expected, rtol=tol, atol=tol)
    assert not be.to_host(error).any()


@gpu
def test_gpu_launch_limits():
    library = KernelLibrary(backend("cuda"))
    be = library.backend
    x = be.allocate((1, 4), np.float32)
    with pytest.raises(base.KernelLaunchError):
        library.launch("reduce_rows", 1, 2048, (x, be.allocate(1, np.float32), 1, 4, 4),
                       defines=(("GG_REDUCE", "gg_sum"),))
