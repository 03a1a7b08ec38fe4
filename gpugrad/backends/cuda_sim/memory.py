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
import weakref

import numpy as np

PAGE = mmap.PAGESIZE
GUARD = 1 << 20
PROT_NONE = 0
FIBER_STACK, MAX_THREADS = 128 * 1024, 1024  # kStack and kMaxThreads of shim.h
_libc = ctypes.CDLL(None, use_errno=True)
_libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)

_starts = []    # sorted data starts of live allocations
_regions = {}   # data start -> Region


class Region:
    """One guarded mapping: ``[lo, hi)`` is the whole mapping, ``[start, end)`` the data.

    It holds addresses only; the arrays over the mapping keep it alive, and a finalizer
    on the mapping forgets the region when the last of them goes.
    """

    def __init__(self, buffer, nbytes):
        self.lo = ctypes.addressof(ctypes.c_char.from_buffer(buffer))
        self.hi = self.lo + len(buffer)
        self.end = self.hi - GUARD
        self.start = self.end - nbytes
        for addr in (self.lo, self.end):
            if _libc.mprotect(addr, GUARD, PROT_NONE) != 0:
                raise MemoryError(f"mprotect failed (errno {ctypes.get_errno()})")
        bisect.insort(_starts, self.start)
        _regions[self.start] = self
        weakref.finalize(buffer, _forget, self.start)


def _forget(start):
    _starts.pop(bisect.bisect_left(_starts, start))
    del _regions[start]


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
        raise ValueError(f"negative dimensions are not allowed (shape {shape})")  # as np.empty
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
    i = bisect.bisect_right(_starts, addr) - 1
    if i >= 0:
        region = _regions[_starts[i]]
        if region.start <= addr <= region.end:
            return region
    return None


def locate(addr):
    """The region whose data or guards contain ``addr``, or None (only on the error path)."""
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
