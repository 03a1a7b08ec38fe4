"""Faults a compiled function must survive: negative sizes, impossible allocations, Ctrl-C."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import gpugrad
import gpugrad.tensor as T
from gpugrad.backends.cuda_sim import memory
from gpugrad.errors import DeviceMemoryError, HostMemoryError, ShapeError
from devices import DEVICES, with_sizes



def test_the_simulator_allocator_rejects_negative_sizes():
    """Before: ``memory.empty((-1,))`` handed out an array inside the guard page."""
    for shape in [(-1,), (3, -2), -5]:
        with pytest.raises(ShapeError, match="negative"):
            memory.empty(shape, np.float64)


def _negative_size_graphs():
    n, x = T.lscalar("n"), T.dvector("x")
    return {"zeros": ([n], T.zeros((n,))), "ones of a matrix": ([n], T.ones((3, n)) * 2),
            "fill": ([n], T.zeros((n,)).sum()), "alloc": ([x, n], T.alloc(x, n, x.shape[0])),
            "reshape": ([x, n], x.reshape((n, 2))), "reshape with -1": ([x, n], x.reshape((n, -1))),
            "tile": ([x, n], T.tile(x, (n,))), "repeat": ([x, n], T.repeat(x, n)),
            "gradient of an alloc": ([x, n], T.grad((T.alloc(x.sum(), n) ** 2).sum(), x))}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", sorted(_negative_size_graphs()))
def test_a_negative_size_in_a_graph_is_a_shape_error(device, name):
    """Before: the simulator allocated inside a guard page ("grid ... got 0" at the launch), and
    a reshape to (-3, 2) took the -3 for a -1 on both devices."""
    inputs, output = _negative_size_graphs()[name]
    f = gpugrad.function(inputs, output, device=device)
    args = [np.arange(4.0) if v.ndim else -3 for v in inputs]
    with pytest.raises(ShapeError):
        f(*args)
    good = [np.arange(4.0) if v.ndim else 2 for v in inputs]
    expected = gpugrad.function(inputs, output, device="cpu")(*good)
    np.testing.assert_allclose(f(*good), expected)  # the function still works


@pytest.mark.parametrize("device", DEVICES)
def test_an_allocation_that_cannot_succeed_is_a_named_memory_error(device):
    n = T.lscalar("n")
    for inputs, output in [([], T.zeros((10**7, 10**7))), ([n], (T.ones((n, n)) * 2).sum()), ([n], T.eye(n))]:
        f = gpugrad.function(inputs, output, device=device)
        with pytest.raises(MemoryError) as caught:
            f(*[10**7 for _ in inputs])
        assert isinstance(caught.value, (HostMemoryError, DeviceMemoryError)), type(caught.value)
        assert "while computing" in str(caught.value)
    small = gpugrad.function([n], T.ones((n, n)).sum(), device=device)
    assert small(3) == 9.0


@pytest.mark.parametrize("device", DEVICES)
def test_a_size_past_any_address_is_a_shape_error_on_every_device(device):
    """NumPy's "array is too big" on every device. Before, on cuda-sim: the int64 product of
    the extents wrapped, and the call failed with "cannot fit 'int' into an index-sized integer"."""
    n = T.lscalar("n")
    f = gpugrad.function([n], T.ones((n, n)).sum(), device=device)
    with pytest.raises(ShapeError, match="array is too big"):
        f(2**33)
    assert f(3) == 9.0


INTERRUPTED = textwrap.dedent("""
    import os, signal, sys, threading, time
    import numpy as np
    import gpugrad, gpugrad.tensor as T

    device, steps = sys.argv[1], int(sys.argv[2])
    x = T.dvector("x")
    calls = gpugrad.shared(np.int64(0), name="calls")
    states, _ = gpugrad.scan(lambda h: T.tanh(h) * 0.5 + 0.25, outputs_info=x, n_steps=steps)
    f = gpugrad.function([x], states[-1], updates=[(calls, calls + 1)], device=device)
    value = np.linspace(-1, 1, 4)
    expected = f(value)  # compiles the kernels
    start = time.perf_counter()
    np.testing.assert_array_equal(f(value), expected)
    took = time.perf_counter() - start
    interrupted = attempts = 0
    while interrupted < 4 and attempts < 30:  # Ctrl-Cs at 1/8 .. 6/8 of a call, until 4 landed in one
        attempts += 1
        timer = threading.Timer(took * (attempts % 6 + 1) / 8, os.kill, (os.getpid(), signal.SIGINT))
        before, finished = int(calls.get_value()), False
        timer.start()
        try:
            f(value)
            finished = True
            time.sleep(took)  # a Ctrl-C that comes after the call lands here
        except KeyboardInterrupt:
            if not finished:
                interrupted += 1
                assert int(calls.get_value()) == before, "an interrupted call applied its update"
        timer.join()
        np.testing.assert_array_equal(f(value), expected)
    if device == "cuda-sim":  # the simulator's table of regions survived Ctrl-Cs in its finalizers
        from gpugrad.backends.cuda_sim import memory
        fresh = [memory.empty(1000, np.float64) for _ in range(200)]
        assert all(memory.region_of(a) is not None for a in fresh)
    print("interrupted", interrupted, "attempts", attempts, "calls", int(calls.get_value()), flush=True)
""")


@pytest.mark.parametrize("device, steps", with_sizes(20_000, 300))
def test_ctrl_c_during_a_long_call_leaves_the_function_usable(device, steps):
    """SIGINT at several points of a long call (a scan); the next call is right and the
    update lock was released (it would hang otherwise). In a subprocess: the Ctrl-C is real.
    Before, on cuda-sim: a Ctrl-C landing in the finalizer of a device allocation was lost
    ("Exception ignored") and could leave the simulator's table of allocations corrupt."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.run([sys.executable, "-c", INTERRUPTED, device, str(steps)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and "Error" not in proc.stderr, proc.stderr[-3000:]
    assert "Exception ignored" not in proc.stderr, proc.stderr[-3000:]  # no Ctrl-C lost in a finalizer
    interrupted, attempts, calls = (int(v) for v in proc.stdout.split()[1::2])
    assert interrupted >= 3, proc.stdout
    assert calls == 2 + attempts + (attempts - interrupted)  # every finished call, and only those, updated once
