"""A compiled program's own device memory pool: the buffers of one call are the next call's
when the shapes repeat, so a call in steady state allocates nothing.

While a program runs, ``serving()`` makes the pool CuPy's allocator for the thread
(``cupy.cuda.using_allocator``), so every allocation of the call is its, those inside CuPy's
routines (a matmul's result) included. A request is served by a free *slot* of exactly
that many bytes, else by a new block from the allocator that was current before (CuPy's
own pool on a GPU, the simulated driver on ``cuda-sim``), counted in ``misses``.

A slot is busy while a *lease* it handed out is alive: the arrays over it hold the lease
(through ``UnownedMemory``'s owner), so a result returned to the user, a shared variable's
value or an intermediate still in a cell keeps its slot, and a slot comes free only when
nothing can read it any more. The lease also holds the block, so memory outlives the pool
while an array needs it. Slots unused for ``KEEP_CALLS`` calls go back to the allocator,
unless a captured graph (runtime/graphs.py) writes or reads them (``reserve``); a slot a
graph reads but did not write (a cached kernel geometry) is claimed by nothing else while
the graph lives.
"""
import contextlib
import weakref

KEEP_CALLS = 3


class Lease:
    """What keeps a slot busy and its memory alive: held by every array over the slot."""
    __slots__ = ("block", "__weakref__")

    def __init__(self, block):
        self.block = block


class Slot:
    """One block of the pool: ``size`` bytes at ``ptr``; ``lease`` (a weak reference) is
    the current claim, ``last`` the call that last claimed it, ``graphs`` how many captured
    graphs write it, ``readers`` how many read what it held when they were captured (a
    kernel's geometry: nothing may claim it while they live)."""
    __slots__ = ("block", "ptr", "size", "lease", "last", "graphs", "readers")

    def __init__(self, block, size):
        self.block, self.ptr, self.size = block, block.ptr, size
        self.lease, self.last, self.graphs, self.readers = None, -1, 0, 0

    @property
    def free(self):
        return self.lease is None or self.lease() is None

    def claim(self, call):
        lease = Lease(self.block)
        self.lease, self.last = weakref.ref(lease), call
        return lease


class DevicePool:
    """The pool of one program on one device (``xp``: ``cupy`` or the simulated CuPy)."""

    def __init__(self, xp):
        self.xp, self.calls, self.requests, self.misses = xp, 0, 0, 0
        self._slots, self._by_size, self._outer, self._records = [], {}, None, []

    @contextlib.contextmanager
    def serving(self):
        """This thread's CuPy allocations come from the pool inside the block."""
        self._outer = self.xp.cuda.get_allocator()
        try:
            with self.xp.cuda.using_allocator(self.malloc):
                yield self
        finally:
            self._outer = None
            self.calls += 1
            self._trim()

    @contextlib.contextmanager
    def recording(self):
        """The slots claimed inside the block (a capture's, a staged input's), as a list."""
        claimed = []
        self._records.append(claimed)
        try:
            yield claimed
        finally:
            self._records.remove(claimed)

    def malloc(self, size):
        """CuPy's allocator interface: ``size`` bytes as a ``MemoryPointer``."""
        self.requests += 1
        if size == 0:
            return self._outer(0)
        slot = next((s for s in self._by_size.get(size, ()) if s.free and not s.readers), None)
        if slot is None:
            self.misses += 1
            slot = Slot(self._outer(size), size)
            self._slots.append(slot)
            self._by_size.setdefault(size, []).append(slot)
        for claimed in self._records:
            claimed.append(slot)
        return self._pointer(slot, slot.claim(self.calls), 0)

    def array(self, slot, offset, shape, dtype, strides):
        """A new array over ``slot`` (what a replayed graph wrote there), claiming it."""
        lease = slot.lease() if not slot.free else slot.claim(self.calls)
        return self.xp.ndarray(shape, dtype, memptr=self._pointer(slot, lease, offset), strides=strides)

    def _pointer(self, slot, lease, offset):
        cuda = self.xp.cuda
        return cuda.MemoryPointer(cuda.UnownedMemory(slot.ptr, slot.size, lease, slot.block.device_id), offset)

    def slot_at(self, ptr):
        """``(slot, offset)`` of the slot holding address ``ptr``, or None."""
        for slot in self._slots:
            if slot.ptr <= ptr < slot.ptr + slot.size:
                return slot, ptr - slot.ptr
        return None

    def reserve(self, written, read, by=1):
        """Count a graph (``by`` -1: one forgotten) writing the ``written`` slots and reading
        the ``read`` ones."""
        for slot in set(written):
            slot.graphs += by
        for slot in set(read):
            slot.readers += by

    def _trim(self):
        """Give back the free slots no call claimed lately and no graph writes."""
        stale = [s for s in self._slots if s.free and not s.graphs and not s.readers
                 and s.last < self.calls - KEEP_CALLS]
        for slot in stale:
            self._slots.remove(slot)
            self._by_size[slot.size].remove(slot)

    @property
    def buffers(self):
        return len(self._slots)

    @property
    def held_bytes(self):
        return sum(s.size for s in self._slots)
