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
import mmap
import threading
import weakref

import numpy as np

from ...errors import ShapeError

PAGE = mmap.PAGESIZE
GUARD = 1 << 20
PROT_NONE = 0
_libc = ctypes.CDLL(None, use_errno=True)
_libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)

# The table of live regions. Each change is one step a Ctrl-C cannot split (a finalizer may be
# interrupted anywhere between them): ``_starts`` may hold starts no longer in ``_regions``,
# which lookups skip and ``_forget`` sweeps out now and then; a region is entered in
# ``_starts`` before ``_regions``. The lock orders threads (a finalizer may run inside it).
_starts = []    # sorted data starts of allocations, some of them freed
_regions = {}   # data start -> Region, live allocations only
_stale = [0]    # freed starts still in _starts
_lock = threading.RLock()


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
        with _lock:
            i = bisect.bisect_left(_starts, self.start)
            if i == len(_starts) or _starts[i] != self.start:
                _starts.insert(i, self.start)
            _regions[self.start] = self
        weakref.finalize(buffer, _forget, self)


def _forget(region):
    """Drop ``region`` unless a newer one took its place: a mapping is unmapped before its
    finalizer runs (with the GIL released), so another thread may map the same addresses first."""
    with _lock:
        if _regions.get(region.start) is region:
            del _regions[region.start]
            _stale[0] += 1
            if _stale[0] > 64 and 2 * _stale[0] > len(_starts):
                _starts[:] = sorted(_regions)
                _stale[0] = 0


def empty(shape, dtype):
    """A C-contiguous array whose last byte is followed by a guard."""
    dtype = np.dtype(dtype)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(n < 0 for n in shape):
        raise ShapeError(f"cannot allocate an array of shape {shape}: negative dimensions are not allowed")
    count = int(np.prod(shape, dtype=np.int64))
    nbytes = count * dtype.itemsize
    buffer = mmap.mmap(-1, 2 * GUARD + -(-max(nbytes, 1) // PAGE) * PAGE)
    region = Region(buffer, nbytes)
    flat = np.frombuffer(buffer, dtype=dtype, count=count, offset=region.start - region.lo)
    return flat.reshape(shape)


def region_of(array):
    """The guarded region holding ``array``'s first element, or None for foreign memory."""
    addr = array.__array_interface__["data"][0]
    with _lock:
        i, region = bisect.bisect_right(_starts, addr) - 1, None
        while i >= 0 and region is None:  # the nearest live start at or below addr
            region = _regions.get(_starts[i])
            i -= 1
    return region if region is not None and region.start <= addr <= region.end else None


def locate(addr):
    """The region whose data or guards contain ``addr``, or None (only on the error path)."""
    with _lock:
        return next((r for r in _regions.values() if r.lo <= addr < r.hi), None)
