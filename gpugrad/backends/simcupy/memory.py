"""Device memory of the simulated CuPy, with CuPy's allocator API: ``Memory`` (an allocation
of the simulated driver: a guarded mapping of cuda_sim/memory.py), ``UnownedMemory``
(memory someone else owns, kept alive by ``owner``), ``MemoryPointer(mem, offset)``, and
the thread's current allocator (``alloc``, ``get_allocator``, ``set_allocator``,
``using_allocator``), which every new array of the layer is allocated through, so that a
compiled program's own pool (runtime/pool.py) serves CuPy's allocations as on a GPU.

The default allocator asks the simulated driver for fresh memory on every call (counted
in the device's ``stats``). ``pointer_owner`` answers for the simulated driver what
``cuPointerGetAttribute`` answers on a GPU.
"""
import contextlib
import ctypes
import threading
import weakref

import numpy as np

from ..cuda_sim import memory
from . import device as cuda

OWNERS = weakref.WeakKeyDictionary()  # memory.Region -> the ordinal of the device it was allocated on
_LIVE = weakref.WeakValueDictionary()  # the start of a live allocation -> its Memory
_THREAD = threading.local()


class Memory:
    """An allocation of the simulated driver on the current device."""
    __slots__ = ("ptr", "size", "device_id", "_host", "__weakref__")

    def __init__(self, size):
        self._host = memory.empty(size, np.uint8)
        self.ptr, self.size, self.device_id = self._host.__array_interface__["data"][0], size, cuda.current().ordinal
        region = memory.region_of(self._host)
        OWNERS[region] = self.device_id
        _LIVE[region.start] = self


def allocation_of(view):
    """The live ``Memory`` holding NumPy view ``view`` of device memory, or None: what a
    captured graph keeps so that the memory it reads and writes stays mapped (on a GPU it
    must stay allocated too; here an unmapped address would crash the process)."""
    region = memory.region_of(view)
    return None if region is None else _LIVE.get(region.start)


class UnownedMemory:
    """``cupy.cuda.UnownedMemory``: memory that ``owner`` keeps alive."""
    __slots__ = ("ptr", "size", "device_id", "owner")

    def __init__(self, ptr, size, owner, device_id=-1):
        self.ptr, self.size, self.owner = ptr, size, owner
        known = pointer_owner(ptr) if device_id < 0 else None
        self.device_id = device_id if device_id >= 0 else known[0] if known else cuda.current().ordinal


class MemoryPointer:
    """``cupy.cuda.MemoryPointer``: an address ``offset`` bytes into ``mem``, which it keeps alive."""
    __slots__ = ("mem", "ptr", "device_id")

    def __init__(self, mem, offset):
        self.mem, self.ptr, self.device_id = mem, mem.ptr + offset, mem.device_id

    @property
    def device(self):
        return cuda.Device(self.device_id)

    def __int__(self):
        return self.ptr

    def __add__(self, offset):
        return MemoryPointer(self.mem, self.ptr - self.mem.ptr + offset)

    def view(self, shape, dtype, strides):
        """A NumPy view of ``shape``/``dtype``/``strides`` (None: C order) at this address
        (the simulator's own access to it: a kernel's, never handed out)."""
        dtype = np.dtype(dtype)
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if strides is None:
            strides = tuple(int(np.prod(shape[k + 1:], dtype=np.int64)) * dtype.itemsize for k in range(len(shape)))
        extent = [(n - 1) * s for n, s in zip(shape, strides)] if 0 not in shape else []
        low = self.ptr + sum(e for e in extent if e < 0)
        high = self.ptr + sum(e for e in extent if e > 0) + dtype.itemsize
        buffer = (ctypes.c_char * (high - low)).from_address(low)
        return np.ndarray(shape, dtype, buffer=buffer, offset=self.ptr - low, strides=strides)


def malloc(size):
    """Fresh device memory from the simulated driver (the default allocator), counted."""
    stats = cuda.current().stats
    stats.allocations += 1
    stats.allocated_bytes += size
    return MemoryPointer(Memory(size), 0)


def get_allocator():
    return getattr(_THREAD, "allocator", None) or malloc


def set_allocator(allocator=None):
    """``allocator`` for this thread's allocations; None: the driver's (``malloc``)."""
    _THREAD.allocator = allocator


@contextlib.contextmanager
def using_allocator(allocator=None):
    """``cupy.cuda.using_allocator``: ``allocator`` (``size -> MemoryPointer``) serves this
    thread's allocations inside the block."""
    before = getattr(_THREAD, "allocator", None)
    set_allocator(allocator)
    try:
        yield
    finally:
        set_allocator(before)


def alloc(size):
    """``cupy.cuda.alloc``: ``size`` bytes from the current allocator."""
    return get_allocator()(size)


def pointer_owner(ptr):
    """The driver's answer for address ``ptr`` (``CudaBackend.adopt``): ``(device ordinal,
    context handle)`` of the allocation holding it, None where no live allocation does."""
    region = memory.locate(ptr)
    device = OWNERS.get(region) if region is not None and region.start <= ptr < max(region.end, region.start + 1) \
        else None
    return None if device is None else (device, cuda.DEVICES[device].context)
