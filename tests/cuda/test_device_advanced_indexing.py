"""Every form of advanced indexing on ``device="cuda-sim"`` against ``device="cpu"``: boolean
masks, several integer arrays (adjacent or not) mixed with ints, slices and new axes,
set/inc_subtensor at them (repeated indices accumulate in an add), integer and bool arrays,
gradients, the categorical crossentropy's PickClass/PlaceClass, where each node runs, the
transfers a call makes, and bounds errors."""
import numpy as np
import pytest

import gpugrad.tensor as T
from gpugrad.errors import InputError, ShapeError
from gpugrad.ops.nnet import PickClass, PlaceClass
from gpugrad.ops.subtensor import IncSubtensor, Subtensor
from gpugrad.ops.transfer import Transfer

from device_checks import DEVICE, on_both, places, same, transfers

DTYPES = ["bool", "int8", "int64", "float32", "float64", "complex128"]
SHAPE = (4, 5, 6)


def _value(dtype, rng, shape=SHAPE):
    if dtype == "bool":
        return rng.random(shape) < 0.5
    value = rng.integers(-4, 5, shape) if np.dtype(dtype).kind == "i" else rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        value = value + 1j * rng.standard_normal(shape)
    return value.astype(dtype)


def _arrays_crossing(f):
    """The inputs that go over, and how many results come back (not counting the scalars that
    shape arithmetic on the host sends over: a mean's count, the sizes of an arange)."""
    crossing = [n for n in f.graph.toposort() if isinstance(n.op, Transfer)]
    return sorted(n.inputs[0].name for n in crossing if n.inputs[0] in f.graph.inputs), \
        [n.op.to for n in crossing].count("host")


@pytest.mark.parametrize("dtype", DTYPES)
def test_masks_and_several_arrays_match_the_cpu(dtype, rng):
    x, m1, m2, i, j, k = (T.tensor3("x", dtype=dtype), T.vector("m1", dtype="bool"), T.matrix("m2", dtype="bool"),
                          T.lvector("i"), T.imatrix("j"), T.lscalar("k"))
    outputs = [x[m1], x[m2], x[:, m2[0]], x[1:, ::-1][m2[:3, :5]], x[i, j], x[:, i, j], x[i, :, j],
               x[None, i, 1:, k], x[-1, :, i], x[k, None, j], x[m1, 2:, i[:1]], x[::2, i[:, None], ::-3]]
    sim, cpu = on_both([x, m1, m2, i, j, k], outputs)
    assert places(sim, Subtensor) == {DEVICE}
    assert transfers(sim) == ["device"] * 5 + ["host"] * len(outputs)  # k is read on the host
    args = (_value(dtype, rng), np.array([True, False, True, True]), rng.random((4, 5)) < 0.5,
            np.array([3, -4, 2]), np.array([[0, -1, 4]], "int32"), -1)
    same(sim(*args), cpu(*args))


@pytest.mark.parametrize("dtype", DTYPES)
def test_set_and_inc_at_arrays_and_masks_match_the_cpu(dtype, rng):
    x, m, i, j = T.tensor3("x", dtype=dtype), T.matrix("m", dtype="bool"), T.lvector("i"), T.lvector("j")
    v = T.vector("v", dtype=dtype)
    outputs = [T.inc_subtensor(x[i, :, j], v[:4, None]),    # repeated (i, j) pairs accumulate
               T.inc_subtensor(x[i], v[0]), T.inc_subtensor(x[m], v[1]),
               T.set_subtensor(x[i[:2], 1:3, j[:2]], v[:2, None]), T.set_subtensor(x[:, m[0]], v),
               T.set_subtensor(x[i[1:3], ::-1, -1], v[:5])]
    sim, cpu = on_both([x, m, i, j, v], outputs)
    assert places(sim, IncSubtensor) == {DEVICE}
    assert transfers(sim) == ["device"] * 5 + ["host"] * len(outputs)
    args = (_value(dtype, rng), rng.random((4, 5)) < 0.5, np.array([1, 3, 1, -3]), np.array([-1, 0, 5, 5]),
            _value(dtype, rng, (6,)))
    same(sim(*args), cpu(*args))


@pytest.mark.parametrize("dtype", ["float32", "complex128"])
def test_gradients_of_advanced_indexing_match_the_cpu(dtype, rng):
    x, w, m, i, j = (T.matrix("x", dtype=dtype), T.vector("w", dtype=dtype), T.matrix("m", dtype="bool"),
                     T.lvector("i"), T.lvector("j"))
    cost = T.sum(T.real(x[m] * T.conj(x[m]))) + T.sum(T.real(x[i, j] * w)) + \
        T.sum(T.real(T.set_subtensor(x[i[:2], j[:2]], w[:2]) * T.conj(x)))
    sim, cpu = on_both([x, w, m, i, j], T.grad(cost, [x, w]))
    assert places(sim, (Subtensor, IncSubtensor)) == {DEVICE}
    assert _arrays_crossing(sim) == (["i", "j", "m", "w", "x"], 2)
    args = _value(dtype, rng, (5, 4)), _value(dtype, rng, (3,)), rng.random((5, 4)) < 0.5, [0, -1, 0], [3, 1, 3]
    same(sim(*args), cpu(*args))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_categorical_crossentropy_and_its_gradient_on_the_device(dtype, rng):
    x, y = T.matrix("x", dtype=dtype), T.ivector("y")
    p = T.nnet.softmax(x)
    cost = T.mean(T.nnet.categorical_crossentropy(p, y)) + T.sum(T.nnet.categorical_crossentropy(T.exp(x) / 9, y))
    sim, cpu = on_both([x, y], [cost, T.grad(cost, x)])
    assert places(sim, (PickClass, PlaceClass)) == {DEVICE}
    assert _arrays_crossing(sim) == (["x", "y"], 2)
    args = _value(dtype, rng, (6, 5)), np.array([0, 4, 2, 2, 1, 3], "int32")
    same(sim(*args), cpu(*args))
    with pytest.raises(InputError, match="class index -1 is out of range for 5 classes"):
        sim(args[0], np.array([0, 4, 2, 2, 1, -1], "int32"))
    same(sim(*args), cpu(*args))


def test_out_of_bounds_indices_name_the_axis_and_the_function_still_works(rng):
    x, i, j, m = T.dtensor3("x"), T.lvector("i"), T.lvector("j"), T.vector("m", dtype="bool")
    y = T.exp(x)
    outputs = [y[:, i, j] * 2, T.inc_subtensor(y[i, 0, j], 1.0), y[m, 1:, i[:1]]]
    sim, cpu = on_both([x, i, j, m], outputs)
    value, mask = rng.standard_normal(SHAPE), np.array([True, False, False, True])
    with pytest.raises(ShapeError, match="index 6 is out of bounds for axis 2 with size 6"):
        sim(value, np.array([0, 1]), np.array([1, 6]), mask)
    with pytest.raises(ShapeError, match="index -5 is out of bounds for axis 0 with size 4"):
        sim(value, np.array([-5, 1]), np.array([1, 2]), mask)
    with pytest.raises(ShapeError, match="boolean index of shape \\(3,\\) does not match"):
        sim(value, np.array([0, 1]), np.array([1, 2]), mask[:3])
    args = value, np.array([0, -1]), np.array([5, 5]), mask
    same(sim(*args), cpu(*args))
