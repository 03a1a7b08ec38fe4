"""The ``cuda`` backend: CuPy arrays, ``cupy.RawModule`` compiled by NVRTC, real launches.

CuPy is imported when a backend is made, never by ``import gpugrad``. The options
given to NVRTC are ``OPTIONS`` plus the caller's; CuPy adds its own include paths and
the device's ``-arch`` (``nvrtc_options`` spells out the full list, so tests can
compile every kernel for sm_80 and sm_90 without a device).
"""
import ctypes
import functools
import hashlib
import tempfile
from pathlib import Path

from ..errors import InputError
from . import base

OPTIONS = ("--std=c++17", "--fmad=false")  # a*b+c rounds twice, as NumPy's (README: Differences)
_CONTEXT, _DEVICE_ORDINAL = 1, 9  # CUpointer_attribute values of cuPointerGetAttribute


def nvrtc_options(options=(), arch=80):
    """The options NVRTC sees for ``cupy.RawModule(code, options=OPTIONS + options)`` on ``arch``."""
    from cupy._core.core import assemble_cupy_compiler_options
    return [*assemble_cupy_compiler_options((*OPTIONS, *options)), f"-arch=compute_{arch}"]


def gpu_available():
    """Whether CuPy imports and sees at least one device; the reason when it does not."""
    try:
        import cupy
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # ImportError, CUDARuntimeError without a driver, ...
        return False, f"{type(exc).__name__}: {exc}"
    return (count > 0, "no CUDA device" if count == 0 else "")


@functools.cache
def _libcuda():
    for name in ("libcuda.so.1", "libcuda.so", "nvcuda.dll"):
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def pointer_owner(ptr):
    """``(device ordinal, context handle)`` of the allocation holding device address ``ptr``,
    from the driver (``cuPointerGetAttribute``); ``None`` where the driver knows no allocation
    there (freed memory, a destroyed context); ``()`` where the driver library cannot be loaded."""
    lib = _libcuda()
    if lib is None:
        return ()
    context, ordinal = ctypes.c_void_p(), ctypes.c_int()
    for attribute, out in ((_CONTEXT, context), (_DEVICE_ORDINAL, ordinal)):
        if lib.cuPointerGetAttribute(ctypes.byref(out), attribute, ctypes.c_uint64(ptr)) != 0:
            return None
    return ordinal.value, context.value or 0


def _saved_source(source):
    """The failing source written where the user can open it (named in the compile error)."""
    folder = Path(tempfile.gettempdir()) / "gpugrad-failed-kernels"
    folder.mkdir(exist_ok=True)
    path = folder / f"{hashlib.sha256(source.encode()).hexdigest()[:16]}.cu"
    path.write_text(source)
    return path


class CudaModule(base.Module):
    def __init__(self, raw):
        self.raw = raw

    def get_function(self, name):
        kernel = self.raw.get_function(name)
        kernel.param_names = None
        return kernel


class CudaBackend(base.Backend):
    """See the module docstring; ``device`` is the CUDA device ordinal."""

    name = "cuda"

    def __init__(self, device=0):
        import cupy
        self.cupy, self.device = cupy, cupy.cuda.Device(device)

    def allocate(self, shape, dtype):
        with self.device:
            return self.cupy.empty(shape, dtype)

    def to_device(self, array):
        with self.device:
            return self.cupy.asarray(array)

    def to_host(self, array):
        return self.cupy.asnumpy(array)

    @functools.cached_property
    def context(self):
        """The context this backend's arrays live in: the device's primary one, which CuPy uses."""
        with self.device:
            self.cupy.empty(1)  # the runtime makes the primary context current
            return self.cupy.cuda.driver.ctxGetCurrent()

    def adopt(self, value, what):
        """``value`` as a CuPy array on this backend's device if it is device memory (a CuPy
        array, or any object with ``__cuda_array_interface__``: PyTorch, Numba, JAX; no copy),
        None if it is not; an InputError naming ``what`` where it lives on another GPU, in
        another CUDA context, or in memory the driver does not know (freed)."""
        if isinstance(value, self.cupy.ndarray):
            ptr, size = value.data.ptr, value.size
        elif hasattr(value, "__cuda_array_interface__"):
            interface = value.__cuda_array_interface__
            ptr, size = interface["data"][0], 1 if 0 not in interface["shape"] else 0
        else:
            return None
        if size:
            self._check_owner(pointer_owner(ptr), what)
        return value if isinstance(value, self.cupy.ndarray) else self.cupy.asarray(value)

    def _check_owner(self, owner, what):
        here = f"cuda:{self.device.id}"
        if owner == ():  # no driver library to ask: CuPy's own record of the device
            return
        if owner is None:
            raise InputError(f"{what}: not device memory the CUDA driver knows (freed, or of a destroyed "
                             f"context); the function runs on {here}")
        ordinal, context = owner
        if ordinal != self.device.id:
            raise InputError(f"{what}: a device array on cuda:{ordinal}, but the function runs on {here}; "
                             f"copy it there first (cupy.asarray under cupy.cuda.Device({self.device.id}))")
        if context != self.context:
            raise InputError(f"{what}: a device array of another CUDA context (0x{context:x}) on {here}, "
                             f"whose kernels run in its primary context (0x{self.context:x}, the one CuPy "
                             f"uses); copy it into a CuPy array while its own context is current")

    def load_module(self, source, options=(), name="module"):
        with self.device:
            raw = self.cupy.RawModule(code=source, options=(*OPTIONS, *options))
            try:
                raw.compile()
            except self.cupy.cuda.compiler.CompileException as exc:
                raise base.KernelCompileError(f"NVRTC failed to compile {name} (source: {_saved_source(source)}):"
                                              f"\n{exc}") from exc
        return CudaModule(raw)

    def launch(self, kernel, grid, block, args, shared_mem=0):
        grid, block = base.check_launch(getattr(kernel, "name", "kernel"), grid, block, shared_mem)
        with self.device:
            kernel(grid, block, tuple(args), shared_mem=shared_mem)

    def synchronize(self):
        self.device.synchronize()
