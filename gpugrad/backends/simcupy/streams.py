"""Streams and CUDA graphs of the simulated CuPy, as ``cupy.cuda.Stream`` and
``cupy.cuda.Graph`` have them.

Work on a simulated device (a kernel launch, a CuPy routine's kernel) goes through
``enqueue``: it runs at once, in order, as a stream would run it, unless the thread's
current stream captures. ``Stream.begin_capture()`` starts recording instead: the work is
kept with its arguments as they are now (the addresses of its arrays, its scalars) and
nothing runs; ``end_capture()`` returns a ``Graph`` of it, and ``Graph.launch()`` runs the
recorded work again, one launch for the host, reading and writing the same addresses (new
arguments reach a graph by being copied into the memory it reads, as on a GPU).

What CUDA refuses in a capture is refused here, and invalidates the capture (its
``end_capture`` then raises): a synchronisation (of the stream, the device), a copy between
host and device (CuPy's ``get``, ``asarray`` of a NumPy array, ``set``), capturing the null
stream, or capturing twice. Allocations are allowed (CuPy's pool serves them; so does a
program's own pool). A graph is launched on the device it was captured on.
"""
import numpy as np

from . import device as cuda
from .memory import allocation_of


class Stream:
    """``cupy.cuda.Stream``; ``Stream.null`` is the null stream (``None`` as the current one)."""
    null = None

    def __init__(self, null=False, non_blocking=False, ptds=False, priority=None):
        self.is_null, self.non_blocking = bool(null), bool(non_blocking)
        self._work, self._invalid, self._device, self._entered = None, None, None, []

    @property
    def ptr(self):
        return 0 if self.is_null else id(self)

    def __enter__(self):
        self._entered.append(cuda.current_stream())
        self.use()
        return self

    def __exit__(self, *exc):
        cuda.set_current_stream(self._entered.pop())

    def use(self):
        cuda.set_current_stream(None if self.is_null else self)
        return self

    def begin_capture(self, mode=None):
        if self.is_null:
            raise cuda.CUDARuntimeError("cudaErrorStreamCaptureUnsupported", "the null stream cannot be captured")
        if self._work is not None:
            raise cuda.CUDARuntimeError("cudaErrorIllegalState", "the stream is capturing already")
        self._work, self._invalid, self._device = [], None, cuda.current().ordinal

    def is_capturing(self):
        return self._work is not None

    def invalidate(self, what):
        if self._work is not None and self._invalid is None:
            self._invalid = what

    def end_capture(self):
        if self._work is None:
            raise cuda.CUDARuntimeError("cudaErrorIllegalState", "the stream is not capturing")
        work, invalid, self._work, self._invalid = self._work, self._invalid, None, None
        if invalid is not None:
            raise cuda.CUDARuntimeError("cudaErrorStreamCaptureInvalidated",
                                        f"the capture was invalidated by an earlier operation ({invalid})")
        return Graph(work, self._device)

    def record(self, work):
        """Keep ``work`` for the graph (``enqueue`` calls it while this stream captures)."""
        if self._invalid is not None:
            raise cuda.CUDARuntimeError("cudaErrorStreamCaptureInvalidated",
                                        f"the capture was invalidated by an earlier operation ({self._invalid})")
        self._work.append(work)

    def synchronize(self):
        if self.is_capturing():
            self.invalidate("a stream synchronisation")
            raise cuda.CUDARuntimeError("cudaErrorStreamCaptureUnsupported",
                                        "operation not permitted when stream is capturing (a stream synchronisation)")
        cuda.current().raise_pending()

    @property
    def done(self):
        return not self.is_capturing()


Stream.null = Stream(null=True)


def get_current_stream():
    return cuda.current_stream() or Stream.null


class Graph:
    """``cupy.cuda.Graph``: the work a capture recorded, run again by ``launch``."""

    def __init__(self, work, device):
        self._work, self._device = tuple(work), device

    def launch(self, stream=None):
        stream = stream or get_current_stream()
        if cuda.current().ordinal != self._device:
            raise cuda.CUDARuntimeError("cudaErrorInvalidValue", f"a graph captured on device {self._device} "
                                                                 f"launched on device {cuda.current().ordinal}")
        if stream.is_capturing():  # a child graph of the capture
            stream.record(self._run)
            return
        device = cuda.current()
        device.stats.launches += 1
        device.raise_pending(by_driver=True)
        self._run()

    def _run(self):
        for work in self._work:
            work()

    def upload(self, stream=None):
        """Nothing to upload: the simulated device reads the recorded work where it is."""

    @property
    def kernels(self):
        """How many kernels a launch runs."""
        return len(self._work)


def enqueue(work, touches=()):
    """Run the device ``work`` now (one launch, one kernel), or record it while the current
    stream captures, keeping the memory it ``touches`` (NumPy views of device memory)."""
    device = cuda.current()

    def run():
        device.stats.kernels += 1
        work()
    stream = cuda.current_stream()
    if stream is not None and stream.is_capturing():
        kept = [allocation_of(view) for view in touches if isinstance(view, np.ndarray)]
        stream.record(lambda: (kept, run()))
        return
    device.stats.launches += 1
    run()


def capturing():
    """Whether the current stream captures (work is then recorded, not run)."""
    stream = cuda.current_stream()
    return stream is not None and stream.is_capturing()


def transfer(direction, nbytes):
    """Count a copy ``direction`` ("to_device" or "to_host") of ``nbytes``; refused in a capture."""
    cuda.refuse_in_capture(f"a copy {direction.replace('_', ' ')}")
    stats = cuda.current().stats
    setattr(stats, direction, getattr(stats, direction) + 1)
    setattr(stats, f"{direction}_bytes", getattr(stats, f"{direction}_bytes") + nbytes)
