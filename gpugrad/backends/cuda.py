"""The CUDA backend, over CuPy's API: ``cupy`` on a GPU (``device="cuda"``), the simulated
CuPy of ``simcupy/`` on the CPU (``device="cuda-sim"``), the same code for both.

A ``CudaBackend`` is one device of an array module ``xp`` (with its ``cupyx``): it
allocates, copies and launches there (every call inside ``with backend.context():``),
compiles ``cupy.RawModule``s whose source names the hash of every header it includes
(CuPy's disk cache keys on the source text alone, so an edited header must change it),
and adopts device arrays passed to a function after asking the driver who owns their
memory (``pointer_owner``: ``cuPointerGetAttribute`` on a GPU, the simulator's record on
``cuda-sim``). CuPy is imported when a backend is made, never by ``import gpugrad``.
"""
import contextlib
import ctypes
import functools
import hashlib
import threading

import numpy as np

from ..errors import InputError
from . import base, nvrtc
from .artifact_cache import ArtifactCache
from .cuda_sim.compiler import included_texts

OPTIONS = ("--std=c++17", "--fmad=false")  # a*b+c rounds twice, as NumPy's (README: Differences)
_RECORDING = threading.local()
HEADERS_LINE = "// gpugrad-headers: "
_CONTEXT, _DEVICE_ORDINAL = 1, 9  # CUpointer_attribute values of cuPointerGetAttribute
MULTIPROCESSORS = 16  # cudaDevAttrMultiProcessorCount


def nvrtc_options(options=(), arch=80):
    """The options NVRTC sees for ``load_module(source, options)`` on compute capability ``arch``."""
    return nvrtc.cupy_options((*OPTIONS, *options), arch)


def gpu_count():
    """How many GPUs CuPy sees, and why none where it sees none (or cannot be imported)."""
    try:
        import cupy
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # ImportError, CUDARuntimeError without a driver, ...
        return 0, f"{type(exc).__name__}: {exc}"
    return count, "" if count else "no CUDA device"


def gpu_available():
    """Whether CuPy imports and sees at least one device; the reason when it does not."""
    count, reason = gpu_count()
    return count > 0, reason


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
    """The failing source written where the user can open it (named in the compile error): the
    user's cache, else a private ``mkdtemp`` folder (artifact_cache.py)."""
    name = f"{hashlib.sha256(source.encode()).hexdigest()[:16]}.cu"
    return ArtifactCache("failed-kernels").save(name, source.encode())


def with_header_hash(source, options):
    """``source`` behind a ``// gpugrad-headers: <sha>`` line hashing every header it includes
    from the ``-I`` folders of ``options``, so that an edited header is a new source."""
    texts = included_texts(source, [o[2:] for o in options if o.startswith("-I") and len(o) > 2])[1:]
    digest = hashlib.sha256("\0".join(text for _, text in texts).encode()).hexdigest()[:16]
    return f"{HEADERS_LINE}{digest}\n{source}"


def _alignment(dtype):
    """The byte alignment a kernel's loads assume: the item size (complex128: 16 bytes)."""
    return np.dtype(dtype).itemsize


class CudaBackend(base.Backend):
    """One device ``ordinal`` of array module ``xp`` (``cupy`` or ``simcupy``); ``name`` is the
    device's name in messages (``cuda:1``, ``cuda-sim``)."""

    def __init__(self, ordinal, xp, cupyx, pointer_owner, name):
        self.xp, self.cupyx, self.ordinal, self.name = xp, cupyx, ordinal, name
        self._pointer_owner = pointer_owner
        self.device = xp.cuda.Device(ordinal)
        self._counts = base.Counts()
        self._failures = (xp.cuda.runtime.CUDARuntimeError, xp.cuda.driver.CUDADriverError)

    @contextlib.contextmanager
    def _reporting(self):
        """CUDA's errors (a fault of an earlier kernel, raised by the next launch or wait) as a
        ``KernelLaunchError``, which the linker explains by the node that met it."""
        try:
            yield
        except self._failures as exc:
            raise base.KernelLaunchError(f"{self.name}: {exc}") from exc

    def context(self):
        """``with backend.context():`` runs CuPy calls on this backend's device (a fresh
        ``Device`` each time: CuPy's keep one stack per object, not per thread)."""
        return self.xp.cuda.Device(self.ordinal)

    @functools.cached_property
    def multiprocessors(self):
        return self.xp.cuda.runtime.deviceGetAttribute(MULTIPROCESSORS, self.ordinal)

    def allocate(self, shape, dtype):
        with self.context():
            return self.xp.empty(shape, dtype)

    def to_device(self, array):
        self._count("to_device", getattr(array, "nbytes", 0))
        with self.context():
            return self.xp.asarray(array)

    def copy_from_host(self, array, value):
        """Host ``value`` copied into device ``array`` (C-contiguous, of its shape and dtype)."""
        self._count("to_device", value.nbytes)
        with self.context():
            array.set(value)

    def to_host(self, array):
        """A NumPy copy (it waits for the device: a failed launch before it is raised here)."""
        self._count("to_host", array.nbytes)
        with self._reporting():
            return self.xp.asnumpy(array)

    def _count(self, what, nbytes):
        setattr(self._counts, what, getattr(self._counts, what) + 1)
        setattr(self._counts, f"{what}_bytes", getattr(self._counts, f"{what}_bytes") + nbytes)

    def counts(self):
        """What the host asked of this device so far (a ``base.Counts``): on ``cuda-sim`` the
        simulated device's own count, CuPy's routines included; on a GPU what gpugrad asked
        through this backend (its kernel and graph launches, its copies)."""
        simulated = getattr(self.xp.cuda, "simulated", None)
        return simulated(self.ordinal).stats.copy() if simulated else self._counts.copy()

    def synchronize(self):
        with self._reporting():
            self.context().synchronize()

    @functools.cached_property
    def primary_context(self):
        """The context this backend's arrays live in: the device's primary one, which CuPy uses."""
        with self.context():
            self.xp.empty(1)  # the runtime makes the primary context current
            return self.xp.cuda.driver.ctxGetCurrent()

    def resident(self, value):
        """Whether ``value`` is an array of this backend's device."""
        return isinstance(value, self.xp.ndarray) and value.device.id == self.ordinal

    def adopt(self, value, what):
        """``value`` as an array of this device if it is device memory (an array of ``xp``, or
        any object with ``__cuda_array_interface__``: PyTorch, Numba, JAX; no copy unless it is
        misaligned), None if it is not; an InputError naming ``what`` where it lives on another
        device, in another CUDA context, or in memory the driver does not know (freed)."""
        if isinstance(value, self.xp.ndarray):
            ptr, size = value.data.ptr, value.size
        elif hasattr(value, "__cuda_array_interface__"):
            interface = value.__cuda_array_interface__
            ptr, size = interface["data"][0], 1 if 0 not in interface["shape"] else 0
        else:
            return None
        if size:
            self._check_owner(self._pointer_owner(ptr), what)
        with self.context():
            return self._aligned(self.xp.asarray(value))

    def _aligned(self, array):
        """``array``, or an aligned copy where its address or strides break the alignment its
        kernels' loads need (a misaligned complex128 load faults and poisons the context). The
        copy reads it through a view of a type its address and strides do align to."""
        need = _alignment(array.dtype)
        if not array.size or not (array.data.ptr % need or any(s % need for s in array.strides)):
            return array
        unit = next(u for u in (8, 4, 2, 1) if u <= need and not array.data.ptr % u
                    and not any(s % u for s in array.strides))
        parts = self.xp.ndarray((*array.shape, array.itemsize // unit), np.dtype(f"u{unit}"), array.data,
                                (*array.strides, unit))
        return parts.copy().view(array.dtype).reshape(array.shape)

    def _check_owner(self, owner, what):
        if owner == ():  # no driver library to ask: CuPy's own record of the device
            return
        if owner is None:
            raise InputError(f"{what}: not device memory the CUDA driver knows (freed, or of a destroyed "
                             f"context); the function runs on {self.name}")
        ordinal, context = owner
        if ordinal != self.ordinal:
            raise InputError(f"{what}: a device array on {self.name.partition(':')[0]}:{ordinal}, but the function "
                             f"runs on {self.name}; copy it there first (cupy.asarray under "
                             f"cupy.cuda.Device({self.ordinal}))")
        if context != self.primary_context:
            raise InputError(f"{what}: a device array of another CUDA context (0x{context:x}) on {self.name}, "
                             f"whose kernels run in its primary context (0x{self.primary_context:x}, the one CuPy "
                             f"uses); copy it into a CuPy array while its own context is current")

    def load_module(self, source, options=(), name="module"):
        source = with_header_hash(source, options)
        with self.context():
            raw = self.xp.RawModule(code=source, options=(*OPTIONS, *options))
            try:
                raw.compile()
            except self.xp.cuda.compiler.CompileException as exc:
                raise base.KernelCompileError(f"NVRTC failed to compile {name} (source: {_saved_source(source)}):"
                                              f"\n{exc}") from exc
        return raw

    def launch(self, kernel, grid, block, args, shared_mem=0):
        grid, block = base.check_launch(kernel.name, grid, block, shared_mem)
        with self.context(), self._reporting():
            kernel(grid, block, tuple(args), shared_mem=shared_mem)
        self._counts.launches += 1
        self._counts.kernels += 1
        arguments = getattr(_RECORDING, "arguments", None)
        if arguments is not None:
            arguments.extend(a.data.ptr for a in args if isinstance(a, self.xp.ndarray) and a.size)

    @contextlib.contextmanager
    def recording_arguments(self):
        """The device addresses this thread's launches pass inside the block, as a list (what a
        captured graph reads: the memory it must keep)."""
        before = getattr(_RECORDING, "arguments", None)
        _RECORDING.arguments = found = []
        try:
            yield found
        finally:
            _RECORDING.arguments = before

    def capture_stream(self):
        """A stream to capture a CUDA graph on (CUDA refuses to capture the null stream)."""
        with self.context():
            return self.xp.cuda.Stream(non_blocking=True)

    def launch_graph(self, graph):
        """Run a captured ``cupy.cuda.Graph`` on the current stream (one launch)."""
        with self.context(), self._reporting():
            graph.launch(self.xp.cuda.get_current_stream())
        self._counts.launches += 1
