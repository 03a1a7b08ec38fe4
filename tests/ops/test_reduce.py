"""Reductions over axis None / int / negative / tuple, with and without keepdims:
forward against NumPy, shape inference, gradients (first and second order), R-ops,
and the exact cases: zeros in prod, ties in max/min, large inputs in logsumexp."""
from typing import NamedTuple

import numpy as np
import pytest
import scipy.special

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.gradient import verify_grad
from gpugrad.graph.traversal import ancestors
from gpugrad.testing import check_infer_shape, random_array

F = ("float32", "float64")
I = ("int32", "int64")
C = ("complex128",)
SHAPE = (2, 3, 4)
AXES = [None, 0, -1, (0, 2), (-1, 1), ()]


class Reduction(NamedTuple):
    name: str
    fn: object
    ref: object
    domain: str
    dtypes: tuple
    grad: bool = True


REDUCTIONS = [
    Reduction("sum", T.sum, np.sum, "real", F + I + C + ("bool",)),
    Reduction("prod", T.prod, np.prod, "positive", F + I + C),
    Reduction("mean", T.mean, np.mean, "real", F + I + C + ("bool",)),
    Reduction("var", T.var, np.var, "real", F + I + C),
    Reduction("std", T.std, np.std, "real", F + I + C),
    Reduction("max", T.max, np.max, "real", F + I),
    Reduction("min", T.min, np.min, "real", F + I),
    Reduction("all", T.all, np.all, "real", F + I + ("bool",), False),
    Reduction("any", T.any, np.any, "real", F + I + ("bool",), False),
    Reduction("logsumexp", T.logsumexp, scipy.special.logsumexp, "real", F + I),
]
ARGS = [("argmax", T.argmax, np.argmax), ("argmin", T.argmin, np.argmin)]


def _id(case):
    return case.name if isinstance(case, Reduction) else repr(case)


def _value(red, dtype, rng):
    return random_array(rng, SHAPE, dtype, red.domain)


def _ref(red, value, axis, keepdims):
    return np.asarray(red.ref(value, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("red,dtype", [(r, d) for r in REDUCTIONS for d in r.dtypes], ids=_id)
def test_forward_matches_numpy(red, dtype):
    value = _value(red, dtype, np.random.default_rng(0))
    x = T.tensor(dtype, shape=(None,) * len(SHAPE))
    for axis in AXES:
        if red.name == "logsumexp" and axis == ():
            continue
        for keepdims in (False, True):
            out = red.fn(x, axis=axis, keepdims=keepdims)
            expected = _ref(red, value, axis, keepdims)
            got = gg.function([x], out)(value)
            assert out.dtype == got.dtype == expected.dtype, (axis, keepdims)
            assert got.shape == expected.shape, (axis, keepdims)
            tol = 2e-5 if np.dtype(expected.dtype).itemsize == 4 else 1e-12
            np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, err_msg=f"axis={axis}")


@pytest.mark.parametrize("red", REDUCTIONS, ids=_id)
@pytest.mark.parametrize("keepdims", [False, True])
def test_infer_shape(red, keepdims):
    value = _value(red, red.dtypes[0], np.random.default_rng(1))
    x = T.tensor(value.dtype, shape=(None, 3, None))
    for axis in [None, 1, -1, (0, 2)]:
        check_infer_shape(red.fn(x, axis=axis, keepdims=keepdims), [x], [value])


@pytest.mark.parametrize("red", [r for r in REDUCTIONS if r.grad], ids=_id)
@pytest.mark.parametrize("axis", [None, 1, -1, (0, 2)], ids=repr)
@pytest.mark.parametrize("keepdims", [False, True])
def test_verify_grad(red, axis, keepdims):
    rng = np.random.default_rng(2)
    for dtype in ("float64",) + tuple(d for d in ("complex128",) if d in red.dtypes):
        verify_grad(lambda x: red.fn(x, axis=axis, keepdims=keepdims), [_value(red, dtype, rng)], rng=rng)


@pytest.mark.parametrize("red", [r for r in REDUCTIONS if r.grad and r.name not in ("max", "min")], ids=_id)
def test_second_derivative(red):
    rng = np.random.default_rng(3)
    value = _value(red, "float64", rng)
    verify_grad(lambda x: gg.grad(T.sum(red.fn(x, axis=(0, 2)) ** 2), x), [value], n_tests=1, rng=rng)


@pytest.mark.parametrize("red", [r for r in REDUCTIONS if r.grad], ids=_id)
def test_float32_gradient_stays_float32(red):
    x = T.ftensor3()
    g = gg.grad(T.sum(red.fn(x, axis=1)), x)
    r = gg.Rop(red.fn(x, axis=(0, 2)), x, T.ftensor3())
    assert g.dtype == r.dtype == "float32"
    wide = [v for v in ancestors([g, r]) if v.dtype in ("float64", "complex128") and not v.weak]
    assert not wide, wide


@pytest.mark.parametrize("red", [r for r in REDUCTIONS if r.grad], ids=_id)
@pytest.mark.parametrize("axis", [None, -1, (0, 2)], ids=repr)
def test_rop_is_adjoint_of_lop(red, axis):
    rng = np.random.default_rng(4)
    for dtype in ("float64",) + tuple(d for d in ("complex128",) if d in red.dtypes):
        x = T.tensor(dtype, shape=(None,) * 3)
        v = T.tensor(dtype, shape=(None,) * 3)
        out = red.fn(x, axis=axis)
        u = T.tensor(out.dtype, shape=(None,) * out.ndim)
        f = gg.function([x, v, u], [gg.Rop(out, x, v), gg.Lop(out, x, u)])
        x_value, v_value = _value(red, dtype, rng), random_array(rng, SHAPE, dtype)
        u_value = random_array(rng, _ref(red, x_value, axis, False).shape, out.dtype)
        jv, jtu = f(x_value, v_value, u_value)
        np.testing.assert_allclose(np.sum(np.real(np.conj(u_value) * jv)),
                                   np.sum(np.real(np.conj(jtu) * v_value)), rtol=1e-9)


@pytest.mark.parametrize("name,fn,ref", ARGS)
@pytest.mark.parametrize("dtype", F + I)
def test_arg_reductions(name, fn, ref, dtype):
    rng = np.random.default_rng(5)
    value = random_array(rng, SHAPE, dtype)
    value[0, 0, :2] = value[0, 0, 2]          # ties: the first index wins, as in NumPy
    x = T.tensor(dtype, shape=(None, None, None))
    for axis in (None, 0, -1, 1):
        for keepdims in (False, True):
            out = fn(x, axis=axis, keepdims=keepdims)
            expected = ref(value, axis=axis, keepdims=keepdims)
            got = gg.function([x], out)(value)
            assert got.dtype == out.dtype == "int64"
            np.testing.assert_array_equal(got, expected)
            check_infer_shape(out, [x], [value])
    g = gg.function([x], gg.grad(T.sum(fn(x, axis=0) * 1.0), x))(value)
    assert g.dtype == (dtype if dtype.startswith("float") else gg.config.floatX) and not np.any(g)


def test_prod_with_zeros_has_the_exact_gradient():
    """d prod / d x_i is the product of the other factors, also where some are 0."""
    x = T.dmatrix()
    value = np.array([[2.0, 0.0, 3.0], [0.0, 5.0, 0.0], [1.0, 2.0, 4.0]])
    g = gg.function([x], gg.grad(T.sum(T.prod(x, axis=1)), x))(value)
    np.testing.assert_array_equal(g, [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [8.0, 4.0, 2.0]])
    v = T.dmatrix()
    direction = np.ones_like(value)
    r = gg.function([x, v], gg.Rop(T.prod(x, axis=1), x, v))(value, direction)
    np.testing.assert_array_equal(r, [6.0, 0.0, 14.0])
    verify_grad(lambda a: T.prod(a, axis=1), [value], rng=np.random.default_rng(6))


def test_prod_of_complex_pulls_back_the_conjugate():
    z = T.zvector()
    value = np.array([1 + 2j, 0.5 - 1j, 2j])
    g = gg.function([z], gg.grad(T.real(T.prod(z)), z))(value)
    others = np.array([value[1] * value[2], value[0] * value[2], value[0] * value[1]])
    np.testing.assert_allclose(g, np.conj(others))


@pytest.mark.parametrize("fn", [T.max, T.min])
def test_max_and_min_ties_split_evenly(fn):
    x = T.dmatrix()
    value = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]) * (1 if fn is T.max else -1)
    g = gg.function([x], gg.grad(T.sum(fn(x, axis=1)), x))(value)
    np.testing.assert_allclose(g, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    g = gg.function([x], gg.grad(fn(x), x))(value)
    np.testing.assert_allclose(g, [[0, 0.5, 0.5], [0, 0, 0]])


def test_logsumexp_is_stable():
    x = T.dvector()
    f = gg.function([x], [T.logsumexp(x), gg.grad(T.logsumexp(x), x)])
    for value in ([1000.0, 1000.0], [-1000.0, -1000.0], [1000.0, 0.0], [0.0, -np.inf], [1e-20, 1e-20]):
        out, g = f(np.array(value))
        np.testing.assert_allclose(out, scipy.special.logsumexp(value), rtol=1e-14)
        np.testing.assert_allclose(g, scipy.special.softmax(value), rtol=1e-14)
    out, _ = f(np.array([-np.inf, -np.inf]))
    assert out == -np.inf
    assert f(np.array([np.inf, 0.0]))[0] == np.inf
    xf = T.fvector()
    big = gg.function([xf], T.logsumexp(xf))(np.array([1000.0, 1000.0], dtype="float32"))
    assert big.dtype == "float32" and np.isclose(big, 1000 + np.log(2))


def test_dtypes_follow_numpy():
    assert T.sum(T.ivector()).dtype == str(np.sum(np.ones(1, "int32")).dtype)
    assert T.sum(T.bvector()).dtype == "int64"
    assert T.prod(T.bvector()).dtype == "int64"
    assert T.sum(T.ivector(), dtype="float32").dtype == "float32"
    assert T.mean(T.fvector()).dtype == "float32"
    assert T.mean(T.ivector()).dtype == "float64"
    assert T.var(T.cvector()).dtype == "float32"
    assert T.std(T.zvector()).dtype == "float64"
    assert T.max(T.ivector()).dtype == "int32"
    assert T.all(T.fvector()).dtype == "bool"


def test_var_and_std_with_ddof():
    x = T.dmatrix()
    value = np.random.default_rng(7).standard_normal((4, 5))
    got = gg.function([x], [T.var(x, axis=0, ddof=1), T.std(x, axis=1, ddof=1)])(value)
    np.testing.assert_allclose(got[0], np.var(value, axis=0, ddof=1))
    np.testing.assert_allclose(got[1], np.std(value, axis=1, ddof=1))


def test_methods_match_functions():
    x = T.dmatrix()
    value = np.random.default_rng(8).standard_normal((3, 4))
    outs = [x.sum(axis=0), x.prod(1), x.mean(), x.var(axis=1), x.std(), x.max(0, keepdims=True), x.min(),
            x.argmax(axis=1), x.argmin(), x.all(), x.any(axis=0)]
    refs = [value.sum(axis=0), value.prod(1), value.mean(), value.var(axis=1), value.std(),
            value.max(0, keepdims=True), value.min(), value.argmax(axis=1), value.argmin(), value.all(),
            value.any(axis=0)]
    for got, ref in zip(gg.function([x], outs)(value), refs):
        np.testing.assert_allclose(got, ref)


def test_bad_axis_raises():
    x = T.dmatrix("x")
    with pytest.raises(gg.ShapeError, match="axis 2"):
        T.sum(x, axis=2)
    with pytest.raises(gg.ShapeError, match="axis -3"):
        T.max(x, axis=(0, -3))
    with pytest.raises(gg.ShapeError, match="axis 5"):
        T.argmax(x, axis=5)


def test_max_of_empty_axis_raises():
    with pytest.raises(gg.ShapeError, match="empty"):
        T.max(T.tensor("float64", shape=(0, 3)), axis=0)
    x = T.dmatrix()
    f = gg.function([x], T.max(x, axis=0))
    with pytest.raises(gg.ShapeError, match="empty"):
        f(np.zeros((0, 3)))
    assert gg.function([x], T.sum(x, axis=0))(np.zeros((0, 3))).shape == (3,)
