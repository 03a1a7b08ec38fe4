"""``host_threads.split``: every index computed exactly once, whoever takes the chunks."""
import threading

import numpy as np
import pytest

import gpugrad as gg
from gpugrad.runtime import host_threads


def _covered(n, grain, threads):
    seen = np.zeros(n, np.int64)
    callers = set()

    def run(begin, end):
        seen[begin:end] += 1
        callers.add(threading.get_ident())
    with gg.config.change_flags(cpu_threads=threads):
        host_threads.split(run, n, grain)
    return seen, callers


@pytest.mark.parametrize("n", [0, 1, 1000, 4096, 4097, 100_003])
@pytest.mark.parametrize("threads", [1, 2, 3, 8])
def test_each_index_once(n, threads):
    seen, _ = _covered(n, 1024, threads)
    assert (seen == 1).all()


def test_small_ranges_stay_on_the_calling_thread():
    _, callers = _covered(2047, 1024, 4)
    assert callers == {threading.get_ident()}


def test_chunks_are_whole_cache_lines():
    bounds = []
    with gg.config.change_flags(cpu_threads=3):
        host_threads.split(lambda b, e: bounds.append((b, e)), 10_000, 1000)
    assert sorted(bounds)[0][0] == 0 and all(b % 64 == 0 for b, _ in bounds)
    assert len(bounds) > 3  # more chunks than threads: a busy core takes fewer


def test_a_pool_thread_that_never_starts_delays_nothing():
    """The pool's threads all blocked by other work: this thread takes every chunk and the
    queued helpers are cancelled rather than waited for."""
    pool = host_threads._pool(2)
    release = threading.Event()
    blocker = pool.submit(release.wait)
    try:
        seen, callers = _covered(8192, 1024, 2)
        assert (seen == 1).all() and callers == {threading.get_ident()}
    finally:
        release.set()
        blocker.result()


def test_an_error_in_a_chunk_reaches_the_caller_and_the_pool_keeps_working():
    def run(begin, end):
        if begin:
            raise ValueError(f"chunk at {begin}")
    with gg.config.change_flags(cpu_threads=2), pytest.raises(ValueError, match="chunk at"):
        host_threads.split(run, 8192, 1024)
    seen, _ = _covered(8192, 1024, 2)
    assert (seen == 1).all()
