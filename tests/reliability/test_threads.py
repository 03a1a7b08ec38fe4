"""Compiled functions called from many threads at once: every call gets its own result,
and every update of a shared variable is applied exactly once (README, "Threads")."""
import sys
import threading

import numpy as np
import pytest

import gpugrad
import gpugrad.tensor as T
from devices import DEVICES, with_sizes

THREADS = 8


@pytest.fixture(autouse=True)
def frequent_thread_switches():
    """Switch threads every 10 microseconds, not every 5 ms, so that races show in a short test."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(interval)


def _in_threads(work, n_threads=THREADS):
    """Run ``work(k)`` in ``n_threads`` threads started together; re-raise the first failure."""
    start, failures = threading.Barrier(n_threads), []

    def run(k):
        start.wait()
        try:
            work(k)
        except BaseException as exc:  # noqa: BLE001 - reported in the main thread
            failures.append(exc)
    threads = [threading.Thread(target=run, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]


@pytest.mark.parametrize("device, calls", with_sizes(1000, 1000))
def test_each_thread_gets_its_own_results(device, calls):
    x = T.dvector("x")
    cost = T.sum(T.tanh(x) * x)
    f = gpugrad.function([x], [cost, T.grad(cost, x)], device=device)
    wrong = []

    def work(k):
        for i in range(calls):
            value = np.array([k, i, k * i], dtype=float) / 100
            c, g = f(value)
            t = np.tanh(value)
            if not (np.allclose(c, (t * value).sum()) and np.allclose(g, t + value * (1 - t * t))):
                wrong.append((k, i))
    _in_threads(work)
    assert not wrong, f"{len(wrong)} of {THREADS * calls} calls returned another call's results"


@pytest.mark.parametrize("device", DEVICES)
def test_every_update_is_applied_once(device):
    counter = gpugrad.shared(np.int64(0), name="counter")
    step = gpugrad.function([], counter, updates=[(counter, counter + 1)], device=device)
    _in_threads(lambda k: [step() for _ in range(1000)])
    assert counter.get_value() == THREADS * 1000  # README, "Threads"


def test_updates_of_one_variable_from_two_functions_are_atomic():
    total = gpugrad.shared(np.zeros(3), name="total")
    x = T.dvector("x")
    add = gpugrad.function([x], [], updates=[(total, total + x)])
    double_minus = gpugrad.function([], [], updates=[(total, total * 1.0 - 0.0 + 1.0)])
    _in_threads(lambda k: [add(np.ones(3)) if k % 2 else double_minus() for _ in range(500)])
    np.testing.assert_array_equal(total.get_value(), np.full(3, THREADS * 500.0))


def test_readers_run_concurrently_with_an_updater():
    """A function without updates is never blocked by one that updates what it reads, and
    each of its calls reads one value of the variable (never half of an update)."""
    w = gpugrad.shared(np.zeros(1000), name="w")
    bump = gpugrad.function([], [], updates=[(w, w + 1)])
    spread = gpugrad.function([], w.max() - w.min() + (w - w.mean()).sum())

    def work(k):
        for _ in range(300):
            if k == 0:
                bump()
            else:
                assert spread() == 0.0
    _in_threads(work)
    assert w.get_value()[0] == 300


def test_readers_never_see_half_of_an_update_added_in_place():
    """One thread adds 1 to every element of a 600x600 matrix by a gemm into its own array
    (compile/in_place.py), two read it (without the value lock around reads, a reader saw 27
    and 28 in one value)."""
    n, steps = 600, 100
    W = gpugrad.shared(np.zeros((n, n)), name="W")
    column, row = gpugrad.shared(np.ones((n, 1)), name="column"), gpugrad.shared(np.ones((1, n)), name="row")
    bump = gpugrad.function([], [], updates=[(W, W + T.dot(column, row))])
    spread = gpugrad.function([], W.max() - W.min())
    assert bump._idle[0].in_place

    def work(k):
        for _ in range(steps):
            if k == 0:
                bump()
            else:
                assert spread() == 0.0
                value = W.get_value()
                assert value.max() == value.min()
    _in_threads(work, n_threads=3)
    np.testing.assert_array_equal(W.get_value(), np.full((n, n), float(steps)))
