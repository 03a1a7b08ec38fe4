"""Indexing: x[idx] (basic and advanced), set_subtensor, inc_subtensor and take,
forward against NumPy, shape inference, gradients and R-ops."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.gradient import verify_grad
from gpugrad.graph.basic import Constant
from gpugrad.ops.shape import ShapeI
from gpugrad.testing import check_infer_shape, numeric_jacobian, random_array

SHAPE = (5, 4, 3)
I_VALUE = 1
V_VALUE = np.array([0, 2, 2, -1])

# Each row indexes x (5, 4, 3) with the scalar I and the integer vector V; the same
# lambda runs on gpugrad variables and on NumPy arrays.
INDEXES = {
    "int": lambda x, I, V: x[1],
    "negative_int": lambda x, I, V: x[-1],
    "slice": lambda x, I, V: x[1:-1],
    "reverse_step": lambda x, I, V: x[::-2],
    "step": lambda x, I, V: x[1:4:2],
    "clamped": lambda x, I, V: x[-10:10, 5:],
    "second_axis": lambda x, I, V: x[:, 0],
    "ellipsis": lambda x, I, V: x[..., 1],
    "newaxis": lambda x, I, V: x[None],
    "newaxis_mixed": lambda x, I, V: x[:, None, 1, ..., None],
    "all_ints": lambda x, I, V: x[1, 2, 0],
    "empty_tuple": lambda x, I, V: x[()],
    "symbolic_int": lambda x, I, V: x[I],
    "symbolic_negative": lambda x, I, V: x[-I, I],
    "symbolic_start": lambda x, I, V: x[I:],
    "symbolic_stop_reverse": lambda x, I, V: x[:I, ::-1],
    "symbolic_bounds": lambda x, I, V: x[I:I + 2, -I:],
    "symbolic_step": lambda x, I, V: x[::I + 1],
    "symbolic_negative_step": lambda x, I, V: x[::-I, 3:0:-I],
    "array": lambda x, I, V: x[V],
    "array_second_axis": lambda x, I, V: x[:, V],
    "array_last_axis": lambda x, I, V: x[..., V[:3]],
    "two_arrays_adjacent": lambda x, I, V: x[:, V, V[:2, None] - 1],
    "two_arrays_apart": lambda x, I, V: x[V, :, V],
    "array_and_int": lambda x, I, V: x[V, 1],
    "int_slice_array": lambda x, I, V: x[1, :, V],
    "array_newaxis_array": lambda x, I, V: x[V, None, V],
    "array_symbolic_int": lambda x, I, V: x[V, I],
    "constant_list": lambda x, I, V: x[[4, -5, 0]],
    "constant_2d_list": lambda x, I, V: x[[[0, 1], [2, 3]]],
    "empty_list": lambda x, I, V: x[[]],
    "array_with_slices": lambda x, I, V: x[1:, V[1:], ::2],
    "mask_constant": lambda x, I, V: x[:, np.array([True, False, True, True])],
    "mask_2d": lambda x, I, V: x[np.arange(20).reshape(5, 4) % 3 == 0],
    "mask_symbolic": lambda x, I, V: x[x > 0],
    "mask_and_array": lambda x, I, V: x[np.array([True, False, True, False, True]), :, V[:3]],
}

DTYPES = ["float32", "float64", "int32"]


def _inputs(dtype, static):
    x = T.tensor(dtype, shape=SHAPE if static else (None,) * 3, name="x")
    return x, T.lscalar("I"), T.lvector("V")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("static", [False, True], ids=["unknown_shape", "static_shape"])
@pytest.mark.parametrize("name", INDEXES)
def test_forward_and_shape(name, static, dtype):
    rng = np.random.default_rng(0)
    value = random_array(rng, SHAPE, dtype)
    x, I, V = _inputs(dtype, static)
    out = INDEXES[name](x, I, V)
    expected = INDEXES[name](value, I_VALUE, V_VALUE)
    got = gg.function([x, I, V], out, on_unused_input="ignore")(value, I_VALUE, V_VALUE)
    assert type(got) is np.ndarray and got.dtype == dtype and out.dtype == dtype
    np.testing.assert_array_equal(got, expected)
    check_infer_shape(out, [x, I, V], [value, I_VALUE, V_VALUE])


def test_static_shapes():
    x = T.tensor("float64", shape=(5, None, 3))
    assert x[1:-1].type.shape == (3, None, 3)
    assert x[1].type.shape == (None, 3)
    assert x[:, :, ::-2].type.shape == (5, None, 2)
    assert x[None, ..., 0].type.shape == (1, 5, None)
    assert x[[0, 1, 1, 2]].type.shape == (4, None, 3)
    assert x[:, 0, [0, 1]].type.shape == (5, 2)
    assert x[0, :, [0, 1]].type.shape == (2, None)
    assert x[:, T.lvector()].type.shape == (5, None, 3)
    assert x[T.lscalar():].type.shape == (None, None, 3)


def test_symbolic_index_values_vary():
    """One compiled function, many index values (negative, clamped, empty slices)."""
    x, i, j = T.vector("x"), T.lscalar("i"), T.lscalar("j")
    outs = [x[i], x[i:j], x[j:i:-1], x[::j], x[i::j], x[-3:i:j]]
    f = gg.function([x, i, j], outs)
    a = np.arange(6.0)
    for i_v, j_v in [(0, 3), (-1, 2), (2, -2), (5, 10), (-6, -1), (3, 1), (4, -7)]:
        expected = [a[i_v], a[i_v:j_v], a[j_v:i_v:-1], a[::j_v], a[i_v::j_v], a[-3:i_v:j_v]]
        for g, e in zip(f(a, i_v, j_v), expected):
            np.testing.assert_array_equal(g, e)
        check_infer_shape(outs, [x, i, j], [a, i_v, j_v])


def test_shape_entry_is_shape_i():
    x = T.tensor("float64", shape=(None, 3))
    first, last = x.shape[0], x.shape[-1]
    assert isinstance(first.owner.op, ShapeI) and first.owner.op.axis == 0
    assert isinstance(last, Constant) and int(last.data) == 3
    assert gg.function([x], first)(np.zeros((7, 3))) == 7
    with pytest.raises(gg.ShapeError, match="2 dimensions"):
        x.shape[2]
    # anything else on a shape vector is an ordinary index
    np.testing.assert_array_equal(gg.function([x], x.shape[::-1])(np.zeros((7, 3))), [3, 7])


GRAD_CASES = {
    "slice": lambda x, I, V: x[1:-1, ::2],
    "int_newaxis": lambda x, I, V: x[1, ::-1, None],
    "symbolic": lambda x, I, V: x[I:, -I],
    "repeated_array": lambda x, I, V: x[V],
    "two_arrays": lambda x, I, V: x[V, :, V],
    "mask": lambda x, I, V: x[T.eq(T.constant(np.arange(60).reshape(SHAPE) % 3), I)],
    "scalar": lambda x, I, V: x[-1, I, 2],
}


@pytest.mark.parametrize("dtype", ["float64", "float32", "complex128"])
@pytest.mark.parametrize("name", GRAD_CASES)
def test_verify_grad(name, dtype):
    rng = np.random.default_rng(1)
    verify_grad(GRAD_CASES[name], [random_array(rng, SHAPE, dtype), np.int64(I_VALUE), V_VALUE], rng=rng)


def test_grad_of_repeated_indices_accumulates():
    x, v = T.vector("x"), T.lvector("v")
    g = gg.grad(x[v].sum(), x)
    np.testing.assert_array_equal(gg.function([x, v], g)(np.zeros(4), [0, 0, 3, 0]), [3, 0, 0, 1])


def test_grad_keeps_float32_and_integer_gives_float():
    x = T.fmatrix("x")
    assert gg.grad(x[1:, 0].sum(), x).dtype == "float32"
    n = T.lvector("n")
    g = gg.grad(T.cast(n[::2], "float64").sum(), n)
    assert g.dtype == "float64"
    np.testing.assert_array_equal(gg.function([n], g)([1, 2, 3]), [1, 0, 1])


# set_subtensor / inc_subtensor rows: (index, value shape) on a (5, 4, 3) array
WRITES = {
    "int": (lambda x, V: x[1], (4, 3)),
    "slice_broadcast_row": (lambda x, V: x[1:-1], (1, 3)),
    "scalar_value": (lambda x, V: x[:, 0, ::2], ()),
    "newaxis": (lambda x, V: x[None, 2], (1, 4, 3)),
    "repeated_array": (lambda x, V: x[V], (4, 4, 3)),
    "repeated_broadcast": (lambda x, V: x[V, :, V], (1, 4)),
    "array_and_int": (lambda x, V: x[1, :, V], (4, 4)),
    "mask": (lambda x, V: x[:, np.array([True, False, True, True])], (3,)),
}


def _numpy_write(kind, index, value, update):
    out = value.copy()
    slot = index(_Recorder(), V_VALUE)
    if kind == "set":
        out[slot] = update
    else:
        np.add.at(out, slot, update)
    return out


class _Recorder:
    """Indexing it returns the index: the NumPy index a row's lambda applies."""

    def __getitem__(self, idx):
        return idx


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "complex64"])
@pytest.mark.parametrize("kind", ["set", "inc"])
@pytest.mark.parametrize("name", WRITES)
def test_set_and_inc_forward(name, kind, dtype):
    rng = np.random.default_rng(2)
    index, v_shape = WRITES[name]
    value, update = random_array(rng, SHAPE, dtype), random_array(rng, v_shape, dtype)
    x = T.tensor(dtype, shape=(None,) * 3, name="x")
    y = T.tensor(dtype, shape=v_shape, name="y")
    V = T.lvector("V")
    fn = T.set_subtensor if kind == "set" else T.inc_subtensor
    out = fn(index(x, V), y)
    assert out.type == x.type
    got = gg.function([x, y, V], out, on_unused_input="ignore")(value, update, V_VALUE)
    np.testing.assert_array_equal(got, _numpy_write(kind, index, value, update))
    assert got.dtype == dtype
    check_infer_shape(out, [x, y, V], [value, update, V_VALUE])


@pytest.mark.parametrize("kind", ["set", "inc"])
@pytest.mark.parametrize("name", WRITES)
def test_set_and_inc_grad(name, kind):
    rng = np.random.default_rng(3)
    index, v_shape = WRITES[name]
    fn = T.set_subtensor if kind == "set" else T.inc_subtensor

    def fun(x, y):
        # verify_grad's inputs have unknown shapes; restate the broadcastable axes of y
        return fn(index(x, T.constant(V_VALUE)), y.reshape(v_shape) if v_shape else y) * 1.5
    verify_grad(fun, [random_array(rng, SHAPE), random_array(rng, v_shape)], rng=rng)


def test_inc_repeated_indices_accumulate():
    x, v = T.vector("x"), T.lvector("v")
    out = T.inc_subtensor(x[v], 1.0)
    np.testing.assert_array_equal(gg.function([x, v], out)(np.zeros(4), [1, 1, 1, 3]), [0, 3, 0, 1])
    # set with repeated indices keeps one of the values, as NumPy does
    out = T.set_subtensor(x[v], T.constant(np.array([5.0, 6.0, 7.0])))
    np.testing.assert_array_equal(gg.function([x, v], out)(np.zeros(4), [2, 2, 0]), [7, 0, 6, 0])


def test_set_subtensor_does_not_modify_input():
    x = T.vector("x")
    f = gg.function([x], [T.set_subtensor(x[1:], 0.0), x[1:] * 1])
    a = np.ones(3)
    out, view = f(a)
    np.testing.assert_array_equal(a, [1, 1, 1])
    np.testing.assert_array_equal(out, [1, 0, 0])


def test_set_grad_values():
    """set_subtensor zeroes the gradient of x where it writes; inc passes it through."""
    x, y = T.vector("x"), T.dscalar("y")
    cost = (T.set_subtensor(x[1:3], y) * T.constant(np.arange(1.0, 5.0))).sum()
    gx, gy = gg.function([x, y], gg.grad(cost, [x, y]))(np.zeros(4), 0.0)
    np.testing.assert_array_equal(gx, [1, 0, 0, 4])
    assert gy == 5


def test_rop_and_lop_against_jacobian():
    rng = np.random.default_rng(4)
    x, y = T.vector("x"), T.vector("y")
    idx = np.array([3, 0, 3])
    out = T.inc_subtensor(x[idx], y)[::-1][1:] * 2

    def numpy_fn(xy):
        z = xy[:5].copy()
        np.add.at(z, idx, xy[5:])
        return (z[::-1][1:]) * 2
    a, b = rng.standard_normal(5), rng.standard_normal(3)
    jac = numeric_jacobian(numpy_fn, np.concatenate([a, b]))
    ta, tb, u = rng.standard_normal(5), rng.standard_normal(3), rng.standard_normal(4)
    ex, ey = T.vector("ex"), T.vector("ey")
    rop = T.Rop(out, [x, y], [ex, ey])
    got = gg.function([x, y, ex, ey], rop)(a, b, ta, tb)
    np.testing.assert_allclose(got, jac @ np.concatenate([ta, tb]), atol=1e-6)
    eu = T.vector("u")
    lop = T.Lop(out, [x, y], eu)
    gx, gy = gg.function([x, y, eu], lop)(a, b, u)
    np.testing.assert_allclose(np.concatenate([gx, gy]), u @ jac, atol=1e-6)


def test_rop_of_set_subtensor_with_only_x_tangent():
    x, e = T.vector("x"), T.vector("e")
    out = T.Rop(T.set_subtensor(x[[0, 2]], 3.0), x, e)
    np.testing.assert_array_equal(gg.function([x, e], out)(np.zeros(3), np.ones(3)), [0, 1, 0])


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_take(axis):
    rng = np.random.default_rng(5)
    value = rng.standard_normal((4, 3))
    x = T.matrix("x")
    for indices in ([2, -1, 0, 0], np.array([[1, 0], [2, 2]]), 1):
        got = gg.function([x], T.take(x, indices, axis=axis))(value)
        np.testing.assert_array_equal(got, np.take(value, indices, axis=axis))


def test_pp_and_str():
    x, i = T.matrix("x"), T.lscalar("i")
    assert gg.pp(x[1:-1, i]) == "x[1:-1, i]"
    assert gg.pp(x[None, ::2]) == "x[None, ::2]"
    assert gg.pp(T.inc_subtensor(x[i], 1.0)) == "inc_subtensor(x[i], 1.0)"
    assert str(x[i:, [0, 1]].owner.op) == "Subtensor{?:, [?]}"


def test_build_time_errors():
    x = T.tensor("float64", shape=(5, None))
    with pytest.raises(gg.ShapeError, match="index 5 is out of bounds for axis 0 with size 5"):
        x[5]
    with pytest.raises(gg.ShapeError, match="index -6 is out of bounds for axis 0 with size 5"):
        x[-6, 1]
    with pytest.raises(gg.ShapeError, match="index 7 is out of bounds for axis 0 with size 5"):
        x[[0, 7]]
    with pytest.raises(gg.ShapeError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(gg.ShapeError, match="step cannot be zero"):
        x[::0]
    with pytest.raises(gg.ShapeError, match="boolean index"):
        x[np.array([True, False])]
    with pytest.raises(TypeError, match="integer"):
        x[T.dscalar("f")]
    with pytest.raises(TypeError, match="integer"):
        x[1.5]
    with pytest.raises(TypeError, match="single ellipsis"):
        x[..., ...]
    with pytest.raises(gg.InputError, match="result of indexing"):
        T.set_subtensor(x, 1.0)
    with pytest.raises(gg.ShapeError, match="cannot broadcast"):
        T.set_subtensor(x[:, 0], T.constant(np.zeros(4)))
    with pytest.raises(gg.InputError, match="cast it explicitly"):
        T.inc_subtensor(x[0], T.zvector())


def test_run_time_errors():
    x, i, v = T.matrix("x"), T.lscalar("i"), T.lvector("v")
    f = gg.function([x, i], x[:, i])
    with pytest.raises(gg.ShapeError, match="index 3 is out of bounds for axis 1 with size 3"):
        f(np.zeros((2, 3)), 3)
    g = gg.function([x, v], T.inc_subtensor(x[v], 1.0))
    with pytest.raises(gg.ShapeError, match="out of bounds for axis 0 with size 2"):
        g(np.zeros((2, 3)), [0, 2])
    y = T.matrix("y")
    h = gg.function([x, y], T.set_subtensor(x[1:], y))
    with pytest.raises(gg.ShapeError, match="cannot broadcast a value of shape"):
        h(np.zeros((3, 3)), np.zeros((2, 2)))
    with pytest.raises(gg.ShapeError, match="broadcastable"):
        h(np.zeros((3, 3)), np.zeros((1, 3)))
    mask = T.bmatrix("m")
    k = gg.function([x, mask], x[T.cast(mask, "bool")])
    with pytest.raises(gg.ShapeError, match="boolean index did not match"):
        k(np.zeros((2, 3)), np.ones((3, 3), dtype="int8"))
