"""The ``cuda`` backend: CuPy arrays, ``cupy.RawModule`` compiled by NVRTC, real launches.

CuPy is imported when a backend is made, never by ``import gpugrad``. The options
given to NVRTC are ``OPTIONS`` plus the caller's; CuPy adds its own include paths and
the device's ``-arch`` (``nvrtc_options`` spells out the full list, so tests can
compile every kernel for sm_80 and sm_90 without a device).
"""
from . import base

OPTIONS = ("--std=c++17",)


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

    def load_module(self, source, options=(), name="module"):
        with self.device:
            raw = self.cupy.RawModule(code=source, options=(*OPTIONS, *options))
            try:
                raw.compile()
            except self.cupy.cuda.compiler.CompileException as exc:
                raise base.KernelCompileError(f"NVRTC failed to compile {name}:\n{exc}") from exc
        return CudaModule(raw)

    def launch(self, kernel, grid, block, args, shared_mem=0):
        grid, block = base.check_launch(getattr(kernel, "name", "kernel"), grid, block, shared_mem)
        with self.device:
            kernel(grid, block, tuple(args), shared_mem=shared_mem)

    def synchronize(self):
        self.device.synchronize()
