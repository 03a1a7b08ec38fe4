"""The last host-only cases of reductions and scatter-adds, on ``device="cuda-sim"`` against
``device="cpu"``: max, min, argmax and argmin of complex values in NumPy's order (real part,
then imaginary; NaN in either part propagates, argmax takes the first NaN), their gradients,
and the scatter-add of every integer dtype and bool (``RepeatSum``, ``inc_subtensor`` at one
integer array) with repeated indices, which wraps as NumPy's does."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.backends import kernels
from gpugrad.ops.join import RepeatSum
from gpugrad.ops.fused import FusedReduction
from gpugrad.ops.reduce import Arg, Reduce
from gpugrad.ops.subtensor import IncSubtensor

from device_checks import DEVICE, identical, on_both, places

COMPLEX = ["complex64", "complex128"]
AXES = [None, 0, 1, (0, 1)]


def _tied(dtype, rng, shape):
    """Few distinct real parts, so most comparisons are decided by the imaginary part."""
    return (rng.integers(-1, 2, shape) + 1j * rng.integers(-2, 3, shape)).astype(dtype)


def _orderings(z):
    outputs = [f(z, axis=a, keepdims=k) for f in (T.max, T.min) for a in AXES for k in (False, True)]
    return outputs + [f(z, axis=a, keepdims=k) for f in (T.argmax, T.argmin) for a in AXES[:3] for k in (False, True)]


@pytest.mark.parametrize("dtype", COMPLEX)
def test_complex_max_min_and_arg_follow_numpys_order(dtype, rng):
    z = T.tensor(dtype, shape=(None, None), name="z")
    sim, cpu = on_both([z], _orderings(z))
    assert places(sim, (Reduce, Arg)) == {DEVICE}
    for shape in [(5, 7), (2, 700)]:  # 700: several warps per row, ties across them
        value = _tied(dtype, rng, shape)
        identical(sim(value), cpu(value))


@pytest.mark.parametrize("dtype", COMPLEX)
def test_complex_nan_in_either_part_propagates(dtype, rng):
    z = T.tensor(dtype, shape=(None, None), name="z")
    sim, cpu = on_both([z], _orderings(z))
    value = _tied(dtype, rng, (4, 6))
    value[1, 2] = complex(np.nan, -5)    # one NaN per row and per column:
    value[3, 4] = complex(-5, np.nan)    # axis 0 and 1 give exactly NumPy's NaN
    got, want = sim(value), cpu(value)
    for g, w, out in zip(got, want, _orderings(z)):
        whole = out.owner.op.axis in (None, (0, 1))
        if whole and isinstance(out.owner.op, Reduce):  # two NaNs: some NaN, NumPy's the first
            assert g.shape == w.shape and np.isnan(g).all() and np.isnan(w).all()
        else:
            identical([g], [w])
    row = np.zeros((1, 700), dtype)
    row[0, [650, 90, 400]] = [complex(1, np.nan), 5, complex(np.nan, 0)]
    assert [int(sim(row)[i]) for i in (16, 22)] == [400, 400]  # argmax/argmin over all: the first NaN


@pytest.mark.parametrize("dtype", COMPLEX)
def test_gradients_of_complex_max_and_min_match_the_cpu(dtype, rng):
    z, w = T.tensor(dtype, shape=(None, None), name="z"), T.tensor(dtype, shape=(None,), name="w")
    cost = T.sum(T.real(T.max(z, axis=1) * w)) + T.sum(T.imag(T.min(z, axis=0))) + T.real(T.max(z))
    sim, cpu = on_both([z, w], gg.grad(cost, z))
    assert places(sim, (Reduce, FusedReduction)) == {DEVICE}
    value, weights = _tied(dtype, rng, (5, 4)), _tied(dtype, rng, 5)  # ties split the gradient
    got, want = sim(value, weights), cpu(value, weights)
    assert got.dtype == want.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=1e-6)


def _integers(dtype, rng, shape):
    if dtype == "bool":
        return rng.random(shape) < 0.3
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -200), min(info.max, 200), shape, endpoint=True).astype(dtype)


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8", "bool"])
def test_integer_repeat_sum_matches_the_cpu(dtype, rng):
    g, r = T.tensor(dtype, shape=(None, None), name="g"), T.lvector("r")
    outputs = [RepeatSum(1)(g, r, 4), RepeatSum(0)(g, 3, 2)]
    sim, cpu = on_both([g, r], outputs)
    assert places(sim, RepeatSum) == {DEVICE}
    args = _integers(dtype, rng, (6, 6)), np.array([1, 0, 2, 3])  # runs of 2 and 3: int8 sums wrap
    for got, want in zip(sim(*args), cpu(*args)):
        assert got.dtype == want.dtype == dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", ["int8", "int64", "bool"])
def test_inc_subtensor_at_one_array_into_integers(dtype, rng, monkeypatch):
    x, v, i = T.tensor(dtype, shape=(None, None), name="x"), T.tensor(dtype, shape=(None, None), name="v"), \
        T.lvector("i")
    outputs = [T.inc_subtensor(x[i], v), T.inc_subtensor(x[:, i], v[0, 0])]
    sim, cpu = on_both([x, v, i], outputs)
    assert places(sim, IncSubtensor) == {DEVICE}
    calls = []
    scatter_add = kernels.scatter_add
    monkeypatch.setattr(kernels, "scatter_add", lambda *a: calls.append(a) or scatter_add(*a))
    x_value, v_value = _integers(dtype, rng, (5, 5)), _integers(dtype, rng, (7, 5))
    if dtype == "int8":
        v_value[:] = 100  # index 1 thrice: 300 wraps
    idx = np.array([1, -4, 1, 0, 4, 1, -1])
    for got, want in zip(sim(x_value, v_value, idx), cpu(x_value, v_value, idx)):
        assert got.dtype == want.dtype == dtype
        np.testing.assert_array_equal(got, want)
    assert len(calls) == 2  # both through scatter_add_axis, not scatter_nd
