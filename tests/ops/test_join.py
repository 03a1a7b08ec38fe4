"""Building arrays from pieces (gpugrad.ops.join), driven by one table of cases: each is
checked forward against NumPy per dtype, for shape inference and with verify_grad;
concatenate is also checked against an explicit Jacobian in both modes."""
from typing import NamedTuple

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.gradient import verify_grad
from gpugrad.testing import check_infer_shape, numeric_jacobian, random_array

DTYPES = ("float32", "float64", "complex128")


class Case(NamedTuple):
    name: str
    fn: object
    ref: object
    shapes: tuple
    dtypes: tuple = DTYPES


CASES = [
    Case("concatenate_rows", lambda a, b: T.concatenate([a, b]), lambda a, b: np.concatenate([a, b]),
         ((2, 3), (4, 3))),
    Case("concatenate_last_axis", lambda a, b, c: T.concatenate([a, b, c], axis=-1),
         lambda a, b, c: np.concatenate([a, b, c], axis=-1), ((2, 3), (2, 1), (2, 2))),
    Case("concatenate_one", lambda a: T.concatenate([a]), lambda a: np.concatenate([a]), ((3,),)),
    Case("stack", lambda a, b: T.stack([a, b]), lambda a, b: np.stack([a, b]), ((2, 3), (2, 3))),
    Case("stack_last_axis", lambda a, b: T.stack([a, b], axis=-1), lambda a, b: np.stack([a, b], -1),
         ((2, 3), (2, 3))),
    Case("stack_scalars", lambda a, b, c: T.stack([a, b, c]), lambda a, b, c: np.stack([a, b, c]),
         ((), (), ())),
    Case("list_of_scalars", lambda a, b: T.as_tensor_variable([a, b, a * b]),
         lambda a, b: np.array([a, b, a * b]), ((), ())),
    Case("split", lambda a: T.concatenate(T.split(a, [1, 3, 0], 3, axis=1)[::-1], axis=1),
         lambda a: np.concatenate(np.split(a, [1, 4], axis=1)[::-1], axis=1), ((2, 4),)),
    Case("repeat_scalar", lambda a: T.repeat(a, 2, axis=1), lambda a: np.repeat(a, 2, axis=1), ((2, 3),)),
    Case("repeat_flat", lambda a: T.repeat(a, 3), lambda a: np.repeat(a, 3), ((2, 3),)),
    Case("repeat_vector", lambda a: T.repeat(a, [2, 0, 1], axis=-1), lambda a: np.repeat(a, [2, 0, 1], axis=-1),
         ((2, 3),)),
    Case("repeat_zero", lambda a: T.repeat(a, 0, axis=0), lambda a: np.repeat(a, 0, axis=0), ((2, 3),)),
    Case("tile", lambda a: T.tile(a, (2, 3)), lambda a: np.tile(a, (2, 3)), ((2, 3),)),
    Case("tile_more_reps", lambda a: T.tile(a, (2, 1, 2)), lambda a: np.tile(a, (2, 1, 2)), ((3,),)),
    Case("tile_fewer_reps", lambda a: T.tile(a, 2), lambda a: np.tile(a, 2), ((2, 3),)),
    Case("tril", T.tril, np.tril, ((4, 3),)),
    Case("tril_k", lambda a: T.tril(a, 1), lambda a: np.tril(a, 1), ((2, 3, 4),)),
    Case("triu", T.triu, np.triu, ((3, 4),)),
    Case("triu_k", lambda a: T.triu(a, -1), lambda a: np.triu(a, -1), ((4, 4),)),
    Case("arange_float_args", lambda start, step: T.arange(start, 5.0, step),
         lambda start, step: np.arange(start, 5.0, step), ((), ()), ("float64",)),
]
PARAMS = [(case, dtype) for case in CASES for dtype in case.dtypes]
IDS = [f"{case.name}-{dtype}" for case, dtype in PARAMS]


def _values(case, dtype, rng):
    if case.name == "arange_float_args":
        return [np.float64(0.3), np.float64(0.7)]
    return [random_array(rng, shape, dtype) for shape in case.shapes]


@pytest.mark.parametrize("case, dtype", PARAMS, ids=IDS)
def test_forward_and_infer_shape(case, dtype, rng):
    values = _values(case, dtype, rng)
    inputs = [T.tensor(dtype, (None,) * np.ndim(v)) for v in values]
    out = case.fn(*inputs)
    got = gg.function(inputs, out)(*values)
    want = case.ref(*values)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6)
    if out.owner is not None:
        check_infer_shape(out, inputs, values)


@pytest.mark.parametrize("case, dtype", PARAMS, ids=IDS)
def test_verify_grad(case, dtype, rng):
    verify_grad(case.fn, _values(case, dtype, rng), rng=rng)


@pytest.mark.parametrize("fn", [lambda a, b: T.concatenate([a, b * b], axis=1),
                                lambda a, b: T.repeat(a * b, [1, 2, 0], axis=1),
                                lambda a, b: T.tile(a * b, (2, 1))])
def test_second_order(fn, rng):
    a, b = random_array(rng, (2, 3)), random_array(rng, (2, 3))
    verify_grad(lambda x, y: T.grad(T.sum(fn(x, y) ** 2), x), [a, b], rng=rng)


@pytest.mark.parametrize("wrt", [0, 1])
def test_concatenate_rop_and_lop_against_jacobian(wrt, rng):
    point = [random_array(rng, (2, 3)), random_array(rng, (2, 2))]

    def fn(v):
        args = list(point)
        args[wrt] = v
        return np.concatenate(args, axis=1) * 2.0
    jac = numeric_jacobian(fn, point[wrt]).reshape(10, -1)
    x, y, v, u = T.dmatrix("x"), T.dmatrix("y"), T.dmatrix("v"), T.dmatrix("u")
    out = T.concatenate([x, y], axis=1) * 2.0
    target = [x, y][wrt]
    v0, u0 = random_array(rng, point[wrt].shape), random_array(rng, (2, 5))
    rop, lop = gg.function([x, y, v, u], [T.Rop(out, target, v), T.Lop(out, target, u)])(*point, v0, u0)
    np.testing.assert_allclose(rop.ravel(), jac @ v0.ravel(), atol=1e-8)
    np.testing.assert_allclose(lop.ravel(), jac.T @ u0.ravel(), atol=1e-8)


def test_rop_of_concatenate_with_one_constant_piece(rng):
    x, v = T.dvector("x"), T.dvector("v")
    got = gg.function([x, v], T.Rop(T.concatenate([x, np.ones(2)]), x, v))(np.zeros(3), np.arange(3.0))
    np.testing.assert_array_equal(got, [0, 1, 2, 0, 0])


def test_concatenate_promotes_like_numpy():
    assert T.concatenate([T.ivector(), T.fvector()]).dtype == "float64"
    assert T.concatenate([T.fvector(), T.dvector()]).dtype == "float64"
    assert T.stack([T.fscalar(), 2.0]).dtype == "float32"
    assert T.stack([T.lscalar(), 2]).dtype == "int64"


def test_tutorial_concatenate_of_reshaped_scalar():
    x, y = T.fscalar(), T.fvector()
    z = T.concatenate([x.reshape((1,)), y.reshape((-1,))])
    e = (z ** 2).sum()
    out = gg.function([x, y], [e, T.grad(e, wrt=x)])(2.0, [1.0, 3.0])
    assert out[1].dtype == "float32"
    np.testing.assert_allclose(out, [14.0, 4.0])


def test_static_shapes():
    a, b = T.tensor("float64", (2, None)), T.tensor("float64", (3, 4))
    assert T.concatenate([a, b]).type.shape == (5, 4)
    assert T.stack([T.scalar(), T.scalar(), T.scalar()]).type.shape == (3,)
    assert T.as_tensor_variable([T.scalar(), 1.0]).type.shape == (2,)
    assert T.repeat(b, 2, axis=1).type.shape == (3, 8)
    assert T.repeat(b, [1, 2, 0], axis=0).type.shape == (3, 4)
    assert T.tile(b, (2, 1, 3)).type.shape == (2, 3, 12)
    assert T.eye(3, 4).type.shape == (3, 4)
    assert T.tril(b).type.shape == (3, 4)
    assert T.arange(2, 11, 3).type.shape == (3,)


@pytest.mark.parametrize("args, kwargs", [((5,), {}), ((2, 9, 3), {}), ((9, 2, -2), {}), ((3, 1), {}),
                                          ((0.5, 3.0, 0.25), {}), ((4,), {"dtype": "float32"}),
                                          ((1, 4), {"dtype": "int32"})])
def test_arange_with_symbolic_arguments(args, kwargs):
    symbols = [T.lscalar() if isinstance(a, int) else T.dscalar() for a in args]
    out = T.arange(*symbols, **kwargs)
    got = gg.function(symbols, out)(*args)
    want = np.arange(*args, **kwargs)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    check_infer_shape(out, symbols, list(args))


def test_arange_of_a_shape_and_its_dtypes():
    y = T.dmatrix("y")
    out = T.arange(y.shape[0])
    assert out.dtype == "int64"
    np.testing.assert_array_equal(gg.function([y], out)(np.zeros((4, 2))), np.arange(4))
    assert T.arange(T.fscalar()).dtype == "float32"
    assert T.arange(10).type.shape == (10,)


def test_arange_has_no_gradient_in_integer_arguments():
    n, x = T.lscalar("n"), T.dvector("x")
    cost = T.sum(T.arange(n) * x)
    np.testing.assert_array_equal(gg.function([n, x], T.grad(cost, x))(3, np.ones(3)), [0, 1, 2])
    with pytest.raises(gg.DisconnectedInputError):
        T.grad(cost, n)


def test_arange_rop_in_step():
    start, step, t = T.dscalar(), T.dscalar(), T.dscalar()
    got = gg.function([start, step, t], T.Rop(T.arange(start, 4.0, step), step, t))(0.0, 1.0, 2.0)
    np.testing.assert_array_equal(got, [0, 2, 4, 6])


@pytest.mark.parametrize("args, dtype", [((3,), None), ((3, 4, 1), "float32"), ((4, 3, -1), "int64"),
                                         ((2, 2, 5), "complex128")])
def test_eye(args, dtype):
    out = gg.function([], T.eye(*args, dtype=dtype))()
    np.testing.assert_array_equal(out, np.eye(*args, dtype=dtype or gg.config.floatX))
    assert out.dtype == np.dtype(dtype or gg.config.floatX)


def test_eye_with_symbolic_size_and_identity_like(rng):
    n, x = T.lscalar("n"), T.fmatrix("x")
    f = gg.function([n, x], [T.eye(n), T.identity_like(x)])
    got = f(3, np.zeros((2, 4), "float32"))
    np.testing.assert_array_equal(got[0], np.eye(3))
    assert got[1].dtype == "float32"
    np.testing.assert_array_equal(got[1], np.eye(2, 4))
    check_infer_shape([T.eye(n)], [n], [3])


def test_tril_keeps_integer_and_bool_dtypes(rng):
    for dtype in ("int32", "bool"):
        x = T.tensor(dtype, (None, None))
        value = random_array(rng, (3, 3), dtype)
        got = gg.function([x], T.tril(x))(value)
        assert got.dtype == value.dtype
        np.testing.assert_array_equal(got, np.tril(value))


def test_repeat_by_symbolic_counts(rng):
    x, r = T.dmatrix("x"), T.lvector("r")
    out = T.repeat(x, r, axis=0)
    value = random_array(rng, (3, 2))
    np.testing.assert_array_equal(gg.function([x, r], out)(value, [0, 2, 1]), np.repeat(value, [0, 2, 1], 0))
    g = gg.function([x, r], T.grad(out.sum(), x))(value, [0, 2, 1])
    np.testing.assert_array_equal(g, np.array([[0, 0], [2, 2], [1, 1]]))


def test_tile_by_symbolic_reps(rng):
    x, k = T.dvector("x"), T.lscalar("k")
    value = random_array(rng, (3,))
    np.testing.assert_array_equal(gg.function([x, k], T.tile(x, (k, 2)))(value, 2), np.tile(value, (2, 2)))


@pytest.mark.parametrize("build, match", [
    (lambda: T.concatenate([T.matrix(), T.vector()]), "same number of dimensions"),
    (lambda: T.concatenate([T.tensor("float64", (2, 3), name="a"), T.tensor("float64", (2, 4), name="b")]),
     r"a .*\(2, 3\).*b .*\(2, 4\)"),
    (lambda: T.concatenate([T.matrix(), T.matrix()], axis=2), "out of range"),
    (lambda: T.concatenate([]), "at least one"),
    (lambda: T.stack([T.matrix(), T.vector()]), "same number of dimensions"),
    (lambda: T.split(T.tensor("float64", (4,)), [1, 2], 2), "add up"),
    (lambda: T.arange(T.vector()), "scalar"),
    (lambda: T.arange(0, 5, 0), "zero"),
    (lambda: T.repeat(T.matrix(), 1.5), "integer"),
    (lambda: T.repeat(T.tensor("float64", (3,)), [1, 2]), "one count per entry"),
    (lambda: T.tril(T.vector()), "two dimensions"),
    (lambda: T.identity_like(T.vector()), "matrix"),
    (lambda: T.tile(T.matrix(), (2.0, 1)), "integer"),
])
def test_bad_arguments_raise_shape_error(build, match):
    with pytest.raises(gg.ShapeError, match=match):
        build()


@pytest.mark.parametrize("fn, values", [
    (lambda a, b: T.concatenate([a, b]), (np.zeros((2, 3)), np.zeros((2, 4)))),
    (lambda a, b: T.stack([a, b]), (np.zeros((2, 3)), np.zeros((3, 3)))),
    (lambda a, r: T.repeat(a, r, axis=0), (np.zeros((2, 3)), np.array([1, 2, 3]))),
    (lambda a, n: T.split(a, [n, 1], 2), (np.zeros(4), np.array(2))),
])
def test_run_time_mismatch_raises_shape_error(fn, values):
    inputs = [T.tensor(v.dtype, (None,) * v.ndim) for v in values]
    f = gg.function(inputs, fn(*inputs))
    with pytest.raises(gg.ShapeError):
        f(*values)


def test_hessian_vector_product_through_pieces(rng):
    """Forward over reverse: the pushforwards of Split and RepeatSum (the pullbacks)."""
    x, v = T.dvector("x"), T.dvector("v")
    pieces = T.concatenate([x, T.repeat(x, [1, 2, 0]), T.tile(x, 2)])
    cost = T.sum(pieces ** 3) + T.sum(T.stack([T.sum(x), T.prod(x)]) ** 2)
    g = T.grad(cost, x)
    f_g, f_hv = gg.function([x], g), gg.function([x, v], T.Rop(g, x, v))
    x0, v0 = random_array(rng, (3,)), random_array(rng, (3,))
    numeric = (f_g(x0 + 1e-6 * v0) - f_g(x0 - 1e-6 * v0)) / 2e-6
    np.testing.assert_allclose(f_hv(x0, v0), numeric, rtol=1e-6, atol=1e-6)


def test_zeros_and_ones_take_a_shape_vector():
    """Theano's ``T.zeros(x.shape)``: a shape vector of known length is the sizes (it was read
    as one size, a ShapeError); one of unknown length needs ``ndim``."""
    x, n = T.dmatrix("x"), T.lvector("n")
    f = gg.function([x, n], [T.zeros(x.shape), T.ones(n, ndim=3, dtype="int32")])
    zeros, ones = f(np.ones((2, 3)), [1, 2, 4])
    np.testing.assert_array_equal(zeros, np.zeros((2, 3)))
    assert ones.dtype == np.int32 and ones.shape == (1, 2, 4) and (ones == 1).all()
    with pytest.raises(gg.ShapeError, match="zeros: the length of the shape vector n is unknown"):
        T.zeros(n)
