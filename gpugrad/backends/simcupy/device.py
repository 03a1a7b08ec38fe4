"""Simulated devices with CuPy's device API (``Device``, ``runtime``, ``driver``,
``compiler``), as ``simcupy.cuda`` (cuda.py) gives them.

There are ``GPUGRAD_SIM_DEVICES`` devices (default 2), each of compute capability
``GPUGRAD_SIM_ARCH`` (default 90) with one streaming multiprocessor (the simulator runs
one block at a time), each with a ``SimBackend`` that runs its grids. The current device is
per thread, as in the CUDA runtime; ``with Device(n):`` switches it for a block and
restores it after. Launches are asynchronous as on a GPU: a kernel that faults leaves a
*pending error* on its device, raised as ``runtime.CUDARuntimeError`` by the next launch
or synchronisation there (``Device.synchronize``, a copy to the host), so a fault is
reported where a GPU would report it, not where it happened. Unlike on a GPU, the error
is cleared once raised (a real context stays broken until the process ends).

Each device counts what the host asks of it (``stats``, a ``Counts``): launches (kernels
and graphs), the kernels it runs, allocations, and copies each way with their bytes. The
thread's current stream lives here too (``current_stream``, streams.py makes them), so
every synchronisation can refuse to run while that stream captures (``refuse_in_capture``).
"""
import os
import threading
import types

from ..base import Counts, OutOfBoundsError
from ..cuda_sim import SimBackend
from ._cupy import real_cupy

_THREAD = threading.local()
# cudaDeviceAttr values gpugrad reads, and their values on a simulated device
ATTRIBUTES = {1: ("MaxThreadsPerBlock", 1024), 16: ("MultiProcessorCount", 1),
              36: ("MemoryClockRate", 1_000_000), 37: ("GlobalMemoryBusWidth", 256)}


class CUDARuntimeError(RuntimeError):
    """An error of the simulated CUDA runtime (``cupy.cuda.runtime.CUDARuntimeError`` on a GPU)."""

    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name = name


class CUDADriverError(RuntimeError):
    """An error of the simulated CUDA driver (``cupy.cuda.driver.CUDADriverError``): what a
    launch raises after an earlier kernel failed."""

    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name = name


class SimulatedDevice:
    """One simulated GPU: its launcher, the error its last failed launch left pending, and
    what it was asked to do (``stats``)."""

    def __init__(self, ordinal, arch):
        self.ordinal, self.arch = ordinal, arch
        self.launcher = SimBackend()
        self.context = 0x5100 + ordinal  # the handle of its primary context
        self.pending = None
        self.stats = Counts()

    def raise_pending(self, by_driver=False):
        """The error of an earlier launch, raised once at the next synchronisation (by the
        runtime, as CuPy's copies and ``synchronize``) or launch (by the driver, as CuPy's)."""
        error, self.pending = self.pending, None
        if error is not None:
            name = "illegal address" if isinstance(error, OutOfBoundsError) else "launch failed"
            name = f"CUDA_ERROR_{name.upper().replace(' ', '_')}" if by_driver else \
                f"cudaError{name.title().replace(' ', '')}"
            raise (CUDADriverError if by_driver else CUDARuntimeError)(
                name, f"a kernel launched earlier failed: {error}") from error


def _knob(name, default):
    value = os.environ.get(name, str(default))
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


DEVICES = tuple(SimulatedDevice(i, str(_knob("GPUGRAD_SIM_ARCH", 90)))
                for i in range(_knob("GPUGRAD_SIM_DEVICES", 2)))


def current():
    """The calling thread's current device."""
    return DEVICES[getattr(_THREAD, "device", 0)]


def current_stream():
    """The calling thread's current stream (None: the null stream)."""
    return getattr(_THREAD, "stream", None)


def set_current_stream(stream):
    _THREAD.stream = stream


def refuse_in_capture(what):
    """``what`` (a synchronisation, a copy between host and device) is illegal while the
    current stream captures: CUDA invalidates the capture and fails the call."""
    stream = current_stream()
    if stream is not None and stream.is_capturing():
        stream.invalidate(what)
        raise CUDARuntimeError("cudaErrorStreamCaptureUnsupported",
                               f"operation not permitted when stream is capturing ({what})")


def simulated(ordinal):
    """Device ``ordinal``, or CUDA's error for an ordinal no device has."""
    if not isinstance(ordinal, int) or not 0 <= ordinal < len(DEVICES):
        raise CUDARuntimeError("cudaErrorInvalidDevice", f"invalid device ordinal {ordinal!r} "
                               f"({len(DEVICES)} simulated devices; GPUGRAD_SIM_DEVICES sets how many)")
    return DEVICES[ordinal]


def _set_device(ordinal):
    simulated(ordinal)
    _THREAD.device = ordinal


class Device:
    """``cupy.cuda.Device``: ``Device()`` is the current one; ``with Device(n):`` makes ``n``
    current for the block (re-entrant and per thread)."""
    __slots__ = ("id",)

    def __init__(self, device=None):
        self.id = current().ordinal if device is None else int(device)

    def __enter__(self):
        stack = _THREAD.__dict__.setdefault("stack", [])
        stack.append(current().ordinal)
        _set_device(self.id)
        return self

    def __exit__(self, *exc):
        _THREAD.device = _THREAD.stack.pop()

    def use(self):
        _set_device(self.id)

    def synchronize(self):
        refuse_in_capture("a device synchronisation")
        simulated(self.id).raise_pending()

    @property
    def compute_capability(self):
        return simulated(self.id).arch

    @property
    def attributes(self):
        return {name: value for name, value in ATTRIBUTES.values()}

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


def _device_attribute(attribute, device):
    simulated(device)
    if attribute not in ATTRIBUTES:
        raise CUDARuntimeError("cudaErrorInvalidValue", f"the simulator does not model device attribute "
                                                        f"{attribute}")
    return ATTRIBUTES[attribute][1]


def _synchronize_current():
    refuse_in_capture("a device synchronisation")
    current().raise_pending()


def _context_of_current():
    return current().context


runtime = types.SimpleNamespace(
    CUDARuntimeError=CUDARuntimeError, getDeviceCount=lambda: len(DEVICES), getDevice=lambda: current().ordinal,
    setDevice=_set_device, deviceGetAttribute=_device_attribute, deviceSynchronize=_synchronize_current)
driver = types.SimpleNamespace(CUDADriverError=CUDADriverError, ctxGetCurrent=_context_of_current)


class CompileException(Exception):
    """The stand-in for ``cupy.cuda.compiler.CompileException`` where CuPy is not installed."""

    def __init__(self, msg, source, name, options, backend="nvrtc"):
        super().__init__(msg)
        self.source, self.name, self.options, self.backend = source, name, options, backend


compiler = types.SimpleNamespace(
    CompileException=real_cupy().cuda.compiler.CompileException if real_cupy() else CompileException)
