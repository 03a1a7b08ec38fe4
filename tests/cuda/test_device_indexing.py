"""Reshape, indexing (views, gather, the scatter of its gradient), set/inc_subtensor, joins and
splits on ``device="cuda-sim"`` against ``device="cpu"``: values for every supported form and
dtype, where each node runs, the transfers a call makes, gradients, and bounds errors."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.compile import device_arrays
from gpugrad.errors import ShapeError
from gpugrad.ops.join import Join, Split
from gpugrad.ops.shape import Reshape
from gpugrad.ops.subtensor import IncSubtensor, Subtensor

from device_checks import DEVICE, on_both, places, same, transfers

DTYPES = ["float32", "float64", "int64", "complex128"]
SHAPE = (5, 4)


def _value(dtype, rng, shape=SHAPE):
    value = rng.integers(-4, 5, shape) if dtype == "int64" else rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        value = value + 1j * rng.standard_normal(shape)
    return value.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reshape_and_basic_indexing_are_device_views(dtype, rng):
    x, k = T.matrix("x", dtype=dtype), T.lscalar("k")
    y = x * 2
    outputs = [y[1:, ::2], y[None, k, -1], y[1, 2], y[::-1, None, 1:3] * 3, T.reshape(y.T, (-1,)),
               T.reshape(y, (2, -1)) + 1]
    sim, cpu = on_both([x, k], outputs)
    assert places(sim, (Subtensor, Reshape)) == {DEVICE}
    assert transfers(sim) == ["device"] + ["host"] * len(outputs)  # k is read on the host
    args = _value(dtype, rng), 3
    same(sim(*args), cpu(*args))


def test_views_are_views_of_the_device_array(rng):
    x = T.dmatrix("x")
    f = gg.function([x], [T.exp(x)[1:, ::2], T.reshape(T.exp(x), (-1,))], device=DEVICE,
                    return_device_arrays=True)
    for out in f(rng.standard_normal(SHAPE)):
        assert device_arrays.resident(DEVICE, out)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_matches_the_cpu(dtype, rng):
    x, i, j = T.matrix("x", dtype=dtype), T.lmatrix("i"), T.ivector("j")
    y = x * 2
    outputs = [y[i], y[:, j], T.take(y, j, axis=0), T.take(y, i)]
    sim, cpu = on_both([x, i, j], outputs)
    assert places(sim, Subtensor) == {DEVICE}
    assert transfers(sim) == ["device"] * 3 + ["host"] * len(outputs)
    args = _value(dtype, rng), np.array([[0, -1, 2], [4, 4, 1]]), np.array([3, 0, -4, 3], "int32")
    same(sim(*args), cpu(*args))


@pytest.mark.parametrize("dtype", DTYPES)
def test_set_and_inc_subtensor_match_the_cpu(dtype, rng):
    x, v, i, k = T.matrix("x", dtype=dtype), T.vector("v", dtype=dtype), T.lvector("i"), T.lscalar("k")
    y = x * 2
    outputs = [T.set_subtensor(y[1:, 0], v), T.inc_subtensor(y[k, 1:], v[:3]), T.set_subtensor(y[1:3], 7),
               T.inc_subtensor(y[i], v)]
    sim, cpu = on_both([x, v, i, k], outputs)
    assert places(sim, IncSubtensor) == {DEVICE}  # int64 adds too: scatter_nd's integer atomics
    args = _value(dtype, rng), _value(dtype, rng, (4,)), np.array([1, 3, 1, -1]), 2
    same(sim(*args), cpu(*args))


def test_other_index_forms_run_on_the_device_too(rng):
    x, i = T.dmatrix("x"), T.lvector("i")
    y = T.exp(x)
    outputs = [y[y > 1], y[i, i], y[i, 1:], T.set_subtensor(y[i], 0.0)]
    sim, cpu = on_both([x, i], outputs)
    assert places(sim, (Subtensor, IncSubtensor)) == {DEVICE}  # see test_device_advanced_indexing.py
    args = rng.standard_normal(SHAPE), np.array([0, 3, 3])
    same(sim(*args), cpu(*args))


@pytest.mark.parametrize("dtype", DTYPES)
def test_join_and_split_match_the_cpu(dtype, rng):
    x, w = T.matrix("x", dtype=dtype), T.matrix("w", dtype=dtype)
    y = x * 2
    a, b = T.split(y, [2, 3], 2, axis=0)
    outputs = [T.concatenate([y, w], axis=1), T.stack([y, w]), T.concatenate([y, T.cast(w, "float64")]),
               a * 3, b + 1]
    sim, cpu = on_both([x, w], outputs)
    assert places(sim, (Join, Split)) == {DEVICE}
    assert transfers(sim) == ["device"] * 2 + ["host"] * len(outputs)
    args = _value(dtype, rng), _value(dtype, rng)
    same(sim(*args), cpu(*args))


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
def test_gradients_through_indexing_and_joins_match_the_cpu(dtype, rng):
    x, i = T.matrix("x", dtype=dtype), T.lvector("i")
    z = T.concatenate([x[:, i], T.reshape(x[1:, ::2], (-1, 4)), x[None, 0]], axis=0)
    cost = T.sum(T.real(z * T.conj(z)) * T.arange(z.shape[1]))
    sim, cpu = on_both([x, i], T.grad(cost, x))
    assert places(sim, (Subtensor, IncSubtensor, Join, Split, Reshape)) == {DEVICE}
    assert transfers(sim) == ["device", "device", "host"]
    args = _value(dtype, rng), np.array([2, 0, 2, -1])
    same([sim(*args)], [cpu(*args)])


def test_out_of_bounds_indices_name_the_axis_and_the_function_still_works(rng):
    x, i, k = T.dmatrix("x"), T.lvector("i"), T.lscalar("k")
    y = T.exp(x)
    f = gg.function([x, i, k], [y[:, i] * 2, T.inc_subtensor(y[i], 1.0), y[k] * 2], device=DEVICE)
    value = rng.standard_normal(SHAPE)
    with pytest.raises(ShapeError, match="index 4 is out of bounds for axis 1 with size 4"):
        f(value, np.array([0, 4]), 0)
    scatter = gg.function([x, i], T.grad(T.sum(y[i] ** 2), x), device=DEVICE)
    assert places(scatter, IncSubtensor) == {DEVICE}
    with pytest.raises(ShapeError, match="index -6 is out of bounds for axis 0 with size 5"):
        scatter(value, np.array([-6, 1]))
    with pytest.raises(ShapeError, match="out of bounds"):
        f(value, np.array([0, 1]), 5)
    cpu = gg.function([x, i, k], [y[:, i] * 2, T.inc_subtensor(y[i], 1.0), y[k] * 2], device="cpu")
    same(f(value, np.array([0, 3]), 4), cpu(value, np.array([0, 3]), 4))
    np.testing.assert_allclose(scatter(value, np.array([-5, 1, 1])), np.exp(2 * value) * 2 * [[1], [2], [0], [0], [0]])


def test_join_and_reshape_shape_errors_on_the_device(rng):
    x, w = T.dmatrix("x"), T.dmatrix("w")
    f = gg.function([x, w], [T.concatenate([T.exp(x), T.exp(w)], axis=1), T.reshape(T.exp(x), (3, -1))],
                    device=DEVICE)
    with pytest.raises(ShapeError, match="concatenate"):
        f(rng.standard_normal((2, 3)), rng.standard_normal((3, 3)))
    with pytest.raises(ShapeError, match="reshape"):
        f(rng.standard_normal((2, 4)), rng.standard_normal((2, 1)))
    assert f(rng.standard_normal((3, 2)), rng.standard_normal((3, 1)))[0].shape == (3, 3)
