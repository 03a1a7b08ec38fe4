"""The CPU kernels' threads: one shared pool, and ``split``, a fork-join over a range.

A kernel's range is cut into chunks that this thread and the pool's threads take in order
from one shared iterator, rather than into one equal part per thread: on a machine whose
cores are busy with other work (another process, BLAS), a static half waits for its core
and the call waits for it. When this thread runs out of chunks, a pool thread that has not
started yet is cancelled: it was not needed. ctypes releases the GIL while a chunk runs, so
the chunks of one call run at once; calls from several threads share the pool, so together
they never run more kernel threads than ``config.cpu_threads``.
"""
import concurrent.futures
import os
import threading

from ..config import config

# Elements of a chunk: handing one to a sleeping pool thread costs 50-70 µs on a virtual
# machine (waking its CPU), about what 2**18 float32 tanh take; measured, splitting pays
# from about four such chunks of work (a million elements) and loses below.
GRAIN = 1 << 19
_lock = threading.Lock()
_pools = {}


def threads():
    """The threads a kernel may use (``config.cpu_threads``, 0: every core this process may use)."""
    return config.cpu_threads or len(os.sched_getaffinity(0))


def _pool(count):
    with _lock:
        if count not in _pools:
            _pools[count] = concurrent.futures.ThreadPoolExecutor(count - 1, thread_name_prefix="gpugrad-cpu")
        return _pools[count]


def split(run, n, grain=GRAIN, align=64):
    """``run(begin, end)`` over ``[0, n)``: in this thread where ``n`` is under two grains or
    one thread is allowed, else in chunks of about ``grain`` (at most four per thread, each
    a multiple of ``align``: whole cache lines) over this thread and the pool."""
    if n < 2 * grain:
        run(0, n)
        return
    count = min(threads(), n // grain)
    if count <= 1:
        run(0, n)
        return
    pieces = min(4 * count, n // grain)
    step = -(-n // pieces)
    step = -(-step // align) * align
    chunks = iter([(b, min(b + step, n)) for b in range(0, n, step)])

    def work():
        for begin, end in chunks:  # next() on a shared list iterator is atomic under the GIL
            run(begin, end)

    pool = _pool(count)
    helpers = [pool.submit(work) for _ in range(count - 1)]
    try:
        work()
    finally:
        for future in helpers:
            if not future.cancel():
                future.result()
