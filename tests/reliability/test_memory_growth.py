"""No memory grows with use: calls of a compiled gradient, functions compiled and dropped,
shared variables made and dropped. Python's allocations are counted by tracemalloc, the
rest (NumPy buffers, the simulator's mappings, compiled code) by the resident set size."""
import gc
import os
import tracemalloc

import numpy as np
import pytest

import gpugrad
import gpugrad.tensor as T
from devices import with_sizes

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads the RSS from /proc")
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def growth(work, repeats):
    """Bytes traced by tracemalloc and bytes of RSS gained by ``repeats`` runs of ``work``, after
    a tenth as many to warm up (caches filled, free lists grown)."""
    for _ in range(max(1, repeats // 10)):
        work()
    gc.collect()
    tracemalloc.start()
    try:
        before, rss_before = tracemalloc.get_traced_memory()[0], rss()
        for _ in range(repeats):
            work()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before, rss() - rss_before
    finally:
        tracemalloc.stop()


def squares_gradient(device):
    x = T.dvector("x")
    cost = T.sum(x * x)
    f = gpugrad.function([x], [cost, T.grad(cost, x)], device=device)
    value = np.linspace(-1, 1, 8)
    return lambda: f(value)


@pytest.mark.slow
@pytest.mark.parametrize("device, calls", with_sizes(100_000, 2_000))
def test_calls_of_a_compiled_gradient(device, calls):
    traced, resident = growth(squares_gradient(device), calls)
    assert traced < 64 * 1024 and resident < 4 << 20, (traced, resident)


@pytest.mark.slow
def test_compiled_and_dropped_functions():
    x, w = T.dvector("x"), gpugrad.shared(np.ones(8), name="w")

    def compile_and_drop():
        cost = T.sum(T.tanh(x * w))
        f = gpugrad.function([x], [cost, T.grad(cost, x)], updates=[(w, w * 1.0)])
        f(np.ones(8))
    traced, resident = growth(compile_and_drop, 500)
    assert traced < 256 * 1024 and resident < 8 << 20, (traced, resident)


def test_shared_variables_made_and_dropped():
    traced, resident = growth(lambda: gpugrad.shared(np.zeros(100), name="s").get_value(), 10_000)
    assert traced < 64 * 1024 and resident < 4 << 20, (traced, resident)
