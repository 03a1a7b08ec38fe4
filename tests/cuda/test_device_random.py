"""Random streams on the test device (cuda-sim, or a GPU: tests/cuda/device_checks.py) against
``device="cpu"``: the same numbers bit for bit for the same seed, shapes and call count
(float32 and float64, odd sizes, parameters, every distribution, draws in a scan), the draw on
the device with its state kept there (no copy per call), and the state read back where the
host needs it."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.ops.random import PhiloxDraw
from gpugrad.tensor.shared_randomstreams import RandomStreams

from device_checks import DEVICE, places, transfers


def _same_bits(got, expected):
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_array_equal(g.view(f"u{g.dtype.itemsize}"), e.view(f"u{e.dtype.itemsize}"))


def _on_both(build, inputs=(), calls=2, args=()):
    """Each call's results on the device and on cpu, from streams of one seed."""
    results = []
    for device in (DEVICE, "cpu"):
        srng = RandomStreams(seed=31)
        f = gg.function(list(inputs), build(srng), device=device)
        results.append([f(*args) for _ in range(calls)])
    return results


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(1,), (7,), (3, 5), (2, 3, 6), (0, 4)])
def test_uniform_and_normal_bit_for_bit(dtype, shape):
    sim, cpu = _on_both(lambda s: [s.uniform(shape, dtype=dtype), s.normal(shape, dtype=dtype)])
    for got, expected in zip(sim, cpu):
        _same_bits(got, expected)
    assert not np.array_equal(sim[0][0], sim[1][0]) or not sim[0][0].size


def test_parameters_and_every_distribution_bit_for_bit():
    x = T.fmatrix("x")

    def build(s):
        return [s.uniform(x.shape, low=-x, high=2.0, dtype="float32"), s.normal(avg=x, std=0.5 + x * x),
                s.binomial((5, 3), n=4, p=0.3), s.choice((6,), a=5, p=[0.1, 0.2, 0.3, 0.2, 0.2]),
                s.choice((2,), a=9, replace=False), s.permutation(n=7), s.random_integers((9,), -3, 3)]
    sim, cpu = _on_both(build, [x], args=(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4),))
    for got, expected in zip(sim, cpu):
        _same_bits(got, expected)


def test_the_state_stays_on_the_device(copies):
    srng = RandomStreams(seed=2)
    rv = srng.normal((4, 4), dtype="float32")
    f = gg.function([], rv, device=DEVICE)
    assert places(f, PhiloxDraw) == {DEVICE}
    assert transfers(f) == ["device", "host"]  # the state goes over once (it is resident), the draw comes back
    f()
    copies.clear()
    f()
    assert copies == [("to_host", (4, 4), np.dtype("float32"))]
    assert rv.rng.get_value()[2] == 2  # read back when the host asks


def test_a_cpu_function_continues_the_stream_a_device_function_advanced():
    srng = RandomStreams(seed=5)
    rv = srng.uniform((3,))
    on_sim, on_cpu = gg.function([], rv, device=DEVICE), gg.function([], rv, device="cpu")
    a, b, c = on_sim(), on_cpu(), on_sim()
    srng.seed(5)
    _same_bits([on_cpu(), on_cpu(), on_cpu()], [a, b, c])


def test_draws_in_a_scan_bit_for_bit():
    x = T.matrix("x", dtype="float32")
    sim, cpu = [], []
    for device, results in ((DEVICE, sim), ("cpu", cpu)):
        srng = RandomStreams(seed=12)
        outputs, updates = gg.scan(lambda row: T.tanh(row) * srng.binomial((3,), p=0.5, dtype="float32")
                                   + srng.normal((3,), dtype="float32"), sequences=x)
        f = gg.function([x], outputs, updates=updates, device=device)
        results.extend(f(np.ones((5, 3), np.float32)) for _ in range(2))
    _same_bits(sim, cpu)
    assert len({tuple(row) for row in sim[0]}) == 5
