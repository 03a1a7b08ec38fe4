"""Guarded host memory: the simulator's device arrays, and how it finds out-of-bounds accesses.

Every allocation is its own anonymous mapping laid out as

    [ guard (PROT_NONE) | slack | data ........ ][ guard (PROT_NONE) ]
                                              ^ page boundary

The data ends exactly at a page boundary, so a read or write even one element past the
end faults; the fault handler of the shim turns the fault into a report, and
``locate`` names the allocation (and so the kernel argument) the address belongs to.
Accesses before the start are caught once they leave the page of the first element
(the slack before it is at most a page). Guards are 1 MiB, address space only, so
strided overruns are caught as well.
"""
import bisect
import ctypes
import functools
import mmap
import threading
import weakref

import numpy as np

from ...errors import ShapeError

PAGE = mmap.PAGESIZE
GUARD = 1 << 20
PROT_NONE = 0
FIBER_STACK, MAX_THREADS = 128 * 1024, 1024  # kStack and kMaxThreads of shim.h
_libc = ctypes.CDLL(None, use_errno=True)
_libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)

# The table of live regions, read and changed under the lock. A mapping's death is only
# noted in ``_dead``, by a weakref callback that runs no Python code (so a Ctrl-C is never
# lost in it, nor splits it), and swept out of the table at the next allocation or lookup:
# a mapping is unmapped before its callback runs, with the GIL released, so another thread
# may have mapped the same addresses first, and a region leaves only if no newer one took
# its start. ``_starts`` may hold a start ``_regions`` lost (a Ctrl-C inside a sweep):
# lookups skip it and sweeps compact it away.
_starts = []    # sorted data starts of the regions
_regions = {}   # data start -> Region
_dead = {}      # Region -> its weakref, once its mapping is gone
_lock = threading.RLock()


class Region:
    """One guarded mapping: ``[lo, hi)`` is the whole mapping, ``[start, end)`` the data.

    It holds addresses only; the arrays over the mapping keep it alive, and a weakref to
    the mapping marks the region dead when the last of them goes.
    """

    def __init__(self, buffer, nbytes):
        self.lo = ctypes.addressof(ctypes.c_char.from_buffer(buffer))
        self.hi = self.lo + len(buffer)
        self.end = self.hi - GUARD
        self.start = self.end - nbytes
        for addr in (self.lo, self.end):
            if _libc.mprotect(addr, GUARD, PROT_NONE) != 0:
                raise MemoryError(f"mprotect failed (errno {ctypes.get_errno()})")
        self._ref = weakref.ref(buffer, functools.partial(_dead.__setitem__, self))
        with _lock:
            _sweep()
            i = bisect.bisect_left(_starts, self.start)
            if i == len(_starts) or _starts[i] != self.start:
                _starts.insert(i, self.start)
            _regions[self.start] = self


def _sweep():
    """Drop the regions whose mappings are gone (under the lock)."""
    while _dead:
        region, _ = _dead.popitem()
        if _regions.get(region.start) is region:
            del _regions[region.start]
            i = bisect.bisect_left(_starts, region.start)
            if i < len(_starts) and _starts[i] == region.start:
                del _starts[i]
    if len(_starts) > 2 * len(_regions) + 64:
        _starts[:] = sorted(_regions)


def poison_value(dtype):
    """What an unwritten element of ``dtype`` reads as (see the module docstring)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        return np.iinfo(dtype).max
    return True if dtype.kind == "b" else np.nan


def empty(shape, dtype):
    """A C-contiguous, poisoned array whose last byte is followed by a guard."""
    dtype = np.dtype(dtype)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(n < 0 for n in shape):
        raise ShapeError(f"cannot allocate an array of shape {shape}: negative dimensions are not allowed")
    count = int(np.prod(shape, dtype=np.int64))
    nbytes = count * dtype.itemsize
    buffer = mmap.mmap(-1, 2 * GUARD + -(-max(nbytes, 1) // PAGE) * PAGE)
    region = Region(buffer, nbytes)
    flat = np.frombuffer(buffer, dtype=dtype, count=count, offset=region.start - region.lo)
    if dtype.kind in "biufc":
        flat.fill(poison_value(dtype))
    else:
        flat.view(np.uint8).fill(0xFF)
    return flat.reshape(shape)


def region_of(array):
    """The guarded region holding ``array``'s first element, or None for foreign memory."""
    addr = array.__array_interface__["data"][0]
    with _lock:
        _sweep()
        i, region = bisect.bisect_right(_starts, addr) - 1, None
        while i >= 0 and region is None:  # the nearest live start at or below addr
            region = _regions.get(_starts[i])
            i -= 1
    return region if region is not None and region.start <= addr <= region.end else None


def locate(addr):
    """The region whose data or guards contain ``addr``, or None (only on the error path)."""
    with _lock:
        _sweep()
        return next((r for r in _regions.values() if r.lo <= addr < r.hi), None)


@functools.cache
def _fiber_stack_mapping():
    buffer = mmap.mmap(-1, PAGE + MAX_THREADS * FIBER_STACK)
    stacks = ctypes.addressof(ctypes.c_char.from_buffer(buffer)) + PAGE
    for t in range(MAX_THREADS):
        if _libc.mprotect(stacks + t * FIBER_STACK, PAGE, PROT_NONE) != 0:
            raise MemoryError(f"mprotect failed (errno {ctypes.get_errno()})")
    return buffer, stacks


def fiber_stacks():
    """The address of the stacks every kernel's fibers run on, shared by all loaded kernels:
    ``MAX_THREADS`` stacks of ``FIBER_STACK`` bytes, each starting with a guard page that
    turns an overflow into a fault, after a header page whose last word shim.h's
    ``claim_stacks`` keeps. Address space only (pages appear as they are touched); mapped
    once per process."""
    return _fiber_stack_mapping()[1]
