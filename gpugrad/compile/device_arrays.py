"""Device arrays: one backend and kernel library per device name, which values already live
in a device's memory, and how arguments become device arrays (checked like host ones).

A device array is an array of the backend's array module: a ``cupy.ndarray`` on ``cuda``, a
``simcupy.ndarray`` (the simulated CuPy's) on ``cuda-sim``; the code is the same for both.
``resident``, ``input_filter``, ``overlaps`` and ``device_copy`` let ``Function`` take such
arrays as arguments and return them as results without a trip through the host; the device
thunks (launch.py and its companions) allocate through ``backend_for`` and launch through
``library_for``. Each runs its CuPy calls on the function's device.
"""
import errno
import functools
import math
import re

import numpy as np

from ..backends import backend
from ..backends.load import KernelLibrary


@functools.cache
def backend_for(device):
    """One backend per device name for the whole process (modules compile once); its
    ``allocate`` records on a failure the bytes it was asked for (``requested_bytes``)."""
    be = backend(device)
    allocate = be.allocate

    def recording_allocate(shape, dtype):
        nbytes = math.prod((shape,) if isinstance(shape, int) else shape) * np.dtype(dtype).itemsize
        try:
            return allocate(shape, dtype)
        except MemoryError as exc:
            exc.nbytes = nbytes
            raise
        except OSError as exc:  # the simulator's mapping of more than the host can map
            if exc.errno != errno.ENOMEM:
                raise
            failure = MemoryError(str(exc))
            failure.nbytes = nbytes
            raise failure from exc
    be.allocate = recording_allocate
    return be


def requested_bytes(exc):
    """The bytes a failed allocation asked for: recorded by ``backend_for``'s allocate, or in
    the message of CuPy's ``OutOfMemoryError`` (an allocation inside a CuPy routine); None if unknown."""
    if hasattr(exc, "nbytes"):
        return exc.nbytes
    found = re.search(r"allocating ([\d,]+) bytes", str(exc))
    return int(found.group(1).replace(",", "")) if found else None


@functools.cache
def library_for(device):
    """The kernels of ``kernels/`` on ``device``'s backend, compiled once per process."""
    return KernelLibrary(backend_for(device))


def resident(device, value):
    """Whether ``value`` already is an array in ``device``'s memory."""
    return backend_for(device).resident(value)


def input_filter(device, type_):
    """``type_.filter`` for the arguments of a function on ``device``: a device array (of the
    backend's array module, or any ``__cuda_array_interface__`` object) of the function's
    device and CUDA context is checked like a host one (same messages) and stays on the
    device; anything else there is an InputError naming the input (``CudaBackend.adopt``)."""
    be = backend_for(device)

    def filter_argument(value, what):
        adopted = be.adopt(value, what)
        return type_.filter(value, what) if adopted is None else checked_on_device(device, type_, adopted, what)
    return filter_argument


def checked_on_device(device, type_, value, what):
    """The checks of ``type_.filter`` run on host stand-ins (the extremes of integer values
    for a narrowing cast, a zero-strided view for the shape), then the cast on the device."""
    if value.dtype != type_.dtype:
        with backend_for(device).context():
            ends = [value.min().item(), value.max().item()] if value.size and value.dtype.kind in "biu" else []
            type_._convert(np.array(ends, value.dtype), what)
            value = value.astype(type_.dtype)
    type_.filter(np.broadcast_to(np.zeros((), type_.dtype), value.shape), what)
    return value


def overlaps(device, a, b):
    """Whether device arrays ``a`` and ``b`` may share memory (by their address ranges)."""
    be = backend_for(device)
    return be.resident(a) and be.resident(b) and bool(be.xp.may_share_memory(a, b))


def device_copy(device, value):
    """A fresh device array equal to device array ``value``, copied on the device."""
    with backend_for(device).context():
        return value.copy()


def on_host(device, value):
    """Counts read on the host: a device result copied back, a host value as it is."""
    be = backend_for(device)
    return be.to_host(value) if be.resident(value) else value
