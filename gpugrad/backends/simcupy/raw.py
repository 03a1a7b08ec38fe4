"""``simcupy.RawModule`` and ``RawKernel``: CuPy's own classes, subclassed with empty
``__slots__`` so that they refuse every new attribute exactly as CuPy's do on a GPU, which
compile as CuPy would and launch on the simulator.

Compiling a module (``compile``, ``get_function`` or the first launch, per device) runs
NVRTC on the same ``code`` with the options CuPy would give it for the device's compute
capability (``backends/nvrtc.py``); a failure raises CuPy's ``CompileException`` with
NVRTC's log. A success is remembered in gpugrad's cache (``artifact_cache``, kind ``nvrtc``, by
a hash of the source, the headers it includes, the options and NVRTC's version) and the same source is
built for the simulator (``cuda_sim/compiler.py``). Without CuPy (or libnvrtc) the classes
are stand-ins with the same attributes and refusals, and only the simulator's build runs.

A launch takes its arguments as CuPy does (arrays by pointer, a one-element NumPy array or
a scalar by value: Python ``int``/``float``/``complex``/``bool`` as int64 (uint64 from
2**63)/float64/complex128/bool, NumPy scalars as their dtype; any other NumPy array is a
``TypeError``), refuses an array of another device than the current one (which a GPU would
fault on), and runs asynchronously: a fault is the device's pending error (device.py); while
the stream captures, the launch is recorded for the graph (streams.py).
"""
import hashlib

import numpy as np

from .. import base, nvrtc
from ..artifact_cache import ArtifactCache
from ..cuda import HEADERS_LINE
from ..cuda_sim import compiler
from . import _cupy, cuda
from .arrays import ndarray

_RawModule, _RawKernel = _cupy.raw_classes()
_BUILT = {}  # (code, options, device ordinal) -> the simulator's module
_COMPILED = ArtifactCache("nvrtc")  # an artifact per source NVRTC compiled: its PTX


def nvrtc_compile(code, options, arch):
    """Compile ``code`` with NVRTC as CuPy would on compute capability ``arch``, once per
    source, headers, options and NVRTC version; NVRTC's log in CuPy's ``CompileException``."""
    module = _cupy.nvrtc()
    if module is None:
        return
    full = nvrtc.cupy_options(options, arch)
    headers = [text for _, text in compiler.included_texts(code, [o[2:] for o in full if o.startswith("-I")])[1:]]
    key = hashlib.sha256("\0".join([code, *headers, *full, str(nvrtc.version())]).encode()).hexdigest()[:32]

    def produce(workspace):
        program = module.createProgram(code, "kernel.cu", [], [])
        try:
            module.compileProgram(program, full)
            ptx = module.getPTX(program)
        except module.NVRTCError:
            raise cuda.compiler.CompileException(module.getProgramLog(program), code, "kernel.cu", full) from None
        finally:
            module.destroyProgram(program)
        (workspace.path / "kernel.ptx").write_bytes(ptx if isinstance(ptx, bytes) else ptx.encode())
    _COMPILED.build(f"ok-{key}", produce)


def built(code, options, device):
    """The simulator's module of ``code`` on ``device``, compiled by NVRTC first. The simulator
    builds it without the ``// gpugrad-headers:`` line ``CudaBackend`` puts first for CuPy's
    cache: its own cache hashes the headers already, and every module it loads costs the
    process hundreds of its ~65k memory mappings (fiber stacks), so a kernel is one module
    whether the backend or a kernel test (``SimBackend`` directly) loaded it."""
    key = (code, tuple(options), device.ordinal)
    if key not in _BUILT:
        nvrtc_compile(code, options, device.arch)
        first, _, rest = code.partition("\n")
        module = device.launcher.load_module(rest if first.startswith(HEADERS_LINE) else code, tuple(options))
        for kernel in module.kernels.values():
            device.launcher.name_parameters(kernel, compiler.parameter_names(code, kernel.name) or ())
        _BUILT[key] = module
    return _BUILT[key]


class RawModule(_RawModule):
    """``cupy.RawModule`` compiled for the simulator; see the module docstring."""
    __slots__ = ()

    def compile(self, log_stream=None):
        built(self.code, self.options, cuda.current())

    def get_function(self, name):
        built(self.code, self.options, cuda.current()).get_function(name)
        return RawKernel(self.code, name, self.options, self.backend)


def _argument(value, device):
    """A launch argument as CuPy passes it: an array's memory, or a NumPy scalar."""
    if isinstance(value, ndarray):
        if value._device != device:
            raise ValueError(f"Array device must be same as the current device: array device = {value._device} "
                             f"while current = {device} (a kernel would fault on it)")
        return value._host
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise TypeError(f"You are trying to pass a numpy.ndarray of shape {value.shape} as a kernel parameter. "
                            "Only numpy.ndarrays of size one can be passed by value. If you meant to pass a pointer "
                            "to __global__ memory, you need to pass a cupy.ndarray instead.")
        return value.reshape(-1)[0]
    if isinstance(value, np.generic):
        return value
    if type(value) is int:
        return np.uint64(value) if value >= 2 ** 63 else np.int64(value)
    for kind, dtype in ((bool, np.bool_), (float, np.float64), (complex, np.complex128)):
        if type(value) is kind:
            return dtype(value)
    raise TypeError(f"Unsupported type {type(value)}")


class RawKernel(_RawKernel):
    """``cupy.RawKernel`` launched on the simulator; see the module docstring."""
    __slots__ = ()

    def compile(self, log_stream=None):
        built(self.code, self.options, cuda.current()).get_function(self.name)

    def __call__(self, grid, block, args, *, shared_mem=0):
        for what, dims in (("grid", grid), ("block", block)):
            if not isinstance(dims, tuple):
                raise TypeError(f"Argument '{what}' has incorrect type (expected tuple, got {type(dims).__name__})")
        grid, block = base.check_launch(self.name, (grid + (1, 1))[:3], (block + (1, 1))[:3], shared_mem)
        device = cuda.current()
        device.raise_pending(by_driver=True)
        kernel = built(self.code, self.options, device).get_function(self.name)
        values = [_argument(a, device.ordinal) for a in args]

        def work():
            try:
                device.launcher.launch(kernel, grid, block, values, shared_mem=shared_mem)
            except base.KernelLaunchError as exc:  # asynchronous on a GPU: reported at the next sync
                device.pending = exc
        cuda.enqueue(work, values)
