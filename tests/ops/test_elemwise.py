"""The elementwise table, driven by one test table: every row of ``gpugrad.ops.scalar.ROWS``
is checked forward against NumPy (with broadcasting, per dtype), for shape inference,
first and second derivatives, and the agreement of its R-op with its L-op."""
from typing import NamedTuple

import numpy as np
import pytest
import scipy.special

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.gradient import verify_grad
from gpugrad.graph.traversal import ancestors
from gpugrad.ops import scalar as S
from gpugrad.testing import check_infer_shape, random_array

F = ("float32", "float64")
I = ("int32", "int64")
C = ("complex128",)


class Row(NamedTuple):
    name: str
    fn: object
    ref: object
    domain: tuple
    dtypes: tuple
    grad: str = "smooth"   # "smooth", "kink" (first order in float64 only) or "none"


def _np_clip(x, lo, hi):
    return np.minimum(np.maximum(x, lo), hi)


TABLE = [
    Row("add", T.add, np.add, ("real", "real"), F + I + C),
    Row("mul", T.mul, np.multiply, ("real", "real"), F + I + C),
    Row("sub", T.sub, np.subtract, ("real", "real"), F + I + C),
    Row("true_divide", T.true_divide, np.true_divide, ("real", "positive"), F + I + C),
    Row("floor_divide", T.floor_divide, np.floor_divide, ("real", "positive"), F + I, "none"),
    Row("mod", T.mod, np.mod, ("mod_x", "mod_y"), F + I),
    Row("pow", T.pow, np.power, ("positive", "positive"), F + I + C),
    Row("maximum", T.maximum, np.maximum, ("real", "real"), F + I, "kink"),
    Row("minimum", T.minimum, np.minimum, ("real", "real"), F + I, "kink"),
    Row("arctan2", T.arctan2, np.arctan2, ("real", "positive"), F + I),
    Row("lt", T.lt, np.less, ("real", "real"), F + I, "none"),
    Row("gt", T.gt, np.greater, ("real", "real"), F + I, "none"),
    Row("le", T.le, np.less_equal, ("ties", "ties"), F + I, "none"),
    Row("ge", T.ge, np.greater_equal, ("ties", "ties"), F + I, "none"),
    Row("eq", T.eq, np.equal, ("ties", "ties"), F + I + C, "none"),
    Row("neq", T.neq, np.not_equal, ("ties", "ties"), F + I + C, "none"),
    Row("and", T.bitwise_and, np.bitwise_and, ("real", "real"), I + ("bool",), "none"),
    Row("or", T.bitwise_or, np.bitwise_or, ("real", "real"), I + ("bool",), "none"),
    Row("xor", T.bitwise_xor, np.bitwise_xor, ("real", "real"), I + ("bool",), "none"),
    Row("invert", T.invert, np.invert, ("real",), I + ("bool",), "none"),
    Row("isnan", T.isnan, np.isnan, ("nonfinite",), F + C, "none"),
    Row("isinf", T.isinf, np.isinf, ("nonfinite",), F + C, "none"),
    Row("sign", T.sign, np.sign, ("ties",), F + I, "none"),
    Row("floor", T.floor, np.floor, ("halves",), F + I, "none"),
    Row("ceil", T.ceil, np.ceil, ("halves",), F + I, "none"),
    Row("round", T.round, np.round, ("halves",), F + I, "none"),
    Row("neg", T.neg, np.negative, ("real",), F + I + C),
    Row("exp", T.exp, np.exp, ("small",), F + I + C),
    Row("exp2", T.exp2, np.exp2, ("small",), F + I + C),
    Row("expm1", T.expm1, np.expm1, ("small",), F + C),
    Row("log", T.log, np.log, ("positive",), F + I + C),
    Row("log2", T.log2, np.log2, ("positive",), F + C),
    Row("log10", T.log10, np.log10, ("positive",), F + C),
    Row("log1p", T.log1p, np.log1p, ("unit",), F + C),
    Row("sqrt", T.sqrt, np.sqrt, ("positive",), F + I + C),
    Row("sqr", T.sqr, np.square, ("real",), F + I + C),
    Row("reciprocal", T.reciprocal, np.reciprocal, ("positive",), F + C),
    Row("sin", T.sin, np.sin, ("real",), F + I + C),
    Row("cos", T.cos, np.cos, ("real",), F + C),
    Row("tan", T.tan, np.tan, ("small",), F + C),
    Row("arcsin", T.arcsin, np.arcsin, ("unit",), F + C),
    Row("arccos", T.arccos, np.arccos, ("unit",), F + C),
    Row("arctan", T.arctan, np.arctan, ("real",), F + C),
    Row("sinh", T.sinh, np.sinh, ("small",), F + C),
    Row("cosh", T.cosh, np.cosh, ("small",), F + C),
    Row("tanh", T.tanh, np.tanh, ("real",), F + C),
    Row("arcsinh", T.arcsinh, np.arcsinh, ("real",), F + C),
    Row("arccosh", T.arccosh, np.arccosh, ("above_one",), F + C),
    Row("arctanh", T.arctanh, np.arctanh, ("unit",), F + C),
    Row("sigmoid", T.sigmoid, scipy.special.expit, ("real",), F + I),
    Row("softplus", T.softplus, lambda x: np.logaddexp(0, x), ("real",), F + I),
    Row("erf", T.erf, scipy.special.erf, ("real",), F + C),
    Row("erfc", T.erfc, scipy.special.erfc, ("real",), F + C),
    Row("switch", T.switch, np.where, ("bool", "real", "real"), F + I + C),
    Row("clip", T.clip, _np_clip, ("real", "low", "high"), F + I, "kink"),
    Row("abs", T.abs, np.abs, ("nonzero",), F + I + C),
    Row("real", T.real, np.real, ("real",), F + C),
    Row("imag", T.imag, np.imag, ("real",), F + C),
    Row("conj", T.conj, np.conj, ("real",), F + C),
    Row("angle", T.angle, np.angle, ("nonzero",), F + C),
    Row("complex", T.complex, lambda re, im: re + 1j * im, ("real", "real"), F),
]

# Domains beyond gpugrad.testing's, for rows whose kinks or ties the test must avoid or hit.
LOCAL_DOMAINS = {
    "bool": lambda rng, shape: rng.random(shape) > 0.5,
    "mod_x": lambda rng, shape: rng.uniform(2.2, 2.8, shape),      # floor(x / y) stays 2
    "mod_y": lambda rng, shape: rng.uniform(1.0, 1.05, shape),
    "low": lambda rng, shape: rng.uniform(-1.0, -0.3, shape),
    "high": lambda rng, shape: rng.uniform(0.3, 1.0, shape),
    "nonzero": lambda rng, shape: rng.choice([-1, 1], shape) * rng.uniform(0.5, 2.0, shape),
    "halves": lambda rng, shape: rng.integers(-6, 6, shape) / 2,
    "ties": lambda rng, shape: rng.integers(-1, 2, shape).astype(float),
    "nonfinite": lambda rng, shape: rng.choice([0.5, -1.0, np.nan, np.inf, -np.inf], shape),
}

# Input shapes and how each enters the op: a full (3, 4) matrix, or a vector given a
# new broadcastable axis, so every gradient is also summed over broadcast axes.
LAYOUT = {
    1: [((3, 4), None)],
    2: [((3,), (0, "x")), ((4,), ("x", 0))],
    3: [((3, 4), None), ((4,), ("x", 0)), ((3,), (0, "x"))],
}


def _inputs(row, dtype, rng, shapes=None):
    shapes = shapes or [shape for shape, _ in LAYOUT[len(row.domain)]]
    values = []
    for domain, shape in zip(row.domain, shapes):
        if domain == "bool":
            value = LOCAL_DOMAINS[domain](rng, shape)
        elif domain in LOCAL_DOMAINS:
            value = LOCAL_DOMAINS[domain](rng, shape).astype(dtype)
            if np.dtype(dtype).kind == "c":
                value.imag = 0.5 * LOCAL_DOMAINS[domain](rng, shape)
        else:
            value = random_array(rng, shape, dtype, domain)
        values.append(value)
    return values


def _broadcast(row):
    """``row.fn`` with its inputs laid out as LAYOUT says."""
    patterns = [p for _, p in LAYOUT[len(row.domain)]]

    def fn(*xs):
        return row.fn(*[x if p is None else x.dimshuffle(p) for x, p in zip(xs, patterns)])
    return fn


def _ref(row, values):
    patterns = [p for _, p in LAYOUT[len(row.domain)]]
    arrays = [v if p is None else (v[:, None] if p == (0, "x") else v[None, :]) for v, p in zip(values, patterns)]
    with np.errstate(all="ignore"):
        return np.asarray(row.ref(*arrays))


def _symbolic(values):
    return [T.tensor(v.dtype, shape=(None,) * v.ndim) for v in values]


def _cases(kinds):
    return [(r, d) for r in TABLE for d in r.dtypes if np.dtype(d).kind in kinds]


def _id(case):
    return case.name if isinstance(case, Row) else str(case)


def test_table_covers_every_row():
    assert sorted(r.name for r in TABLE) == sorted(S.ROWS)


@pytest.mark.parametrize("row,dtype", _cases("biufc"), ids=_id)
def test_forward_matches_numpy(row, dtype):
    values = _inputs(row, dtype, np.random.default_rng(0))
    xs = _symbolic(values)
    out = _broadcast(row)(*xs)
    expected = _ref(row, values)
    got = gg.function(xs, out)(*values)
    assert out.dtype == got.dtype == expected.dtype
    tol = 1e-5 if np.dtype(expected.dtype).itemsize <= 4 or expected.dtype == "complex64" else 1e-12
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("row", TABLE, ids=_id)
def test_static_broadcasting_and_infer_shape(row):
    """Inputs whose broadcastable axes are declared in their types, not made by dimshuffle."""
    shapes = {1: [(3, 4)], 2: [(3, 1), (4,)], 3: [(3, 4), (1, 4), (3, 1)]}[len(row.domain)]
    values = _inputs(row, row.dtypes[0], np.random.default_rng(1), shapes)
    xs = [T.tensor(v.dtype, shape=tuple(1 if n == 1 else None for n in v.shape)) for v in values]
    out = row.fn(*xs)
    assert out.type.shape == (None, None)
    got = gg.function(xs, out)(*values)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(got, row.ref(*values), rtol=1e-6)
    check_infer_shape(out, xs, values)


GRAD_CASES = [(r, d) for r, d in _cases("fc") if r.grad == "smooth" or (r.grad == "kink" and d == "float64")]


@pytest.mark.parametrize("row,dtype", GRAD_CASES, ids=_id)
def test_verify_grad(row, dtype):
    rng = np.random.default_rng(2)
    verify_grad(_broadcast(row), _inputs(row, dtype, rng), rng=rng)


@pytest.mark.parametrize("row", [r for r in TABLE if r.grad != "none" and "float32" in r.dtypes], ids=_id)
def test_float32_gradient_graph_has_no_float64(row):
    """The whole gradient graph of a float32 function computes in float32 (weak Python
    scalars aside), and so does its R-op."""
    values = _inputs(row, "float32", np.random.default_rng(3))
    xs = _symbolic(values)
    out = _broadcast(row)(*xs)
    cost = T.sum(T.real(out)) if out.dtype.startswith("complex") else T.sum(out)
    grads = gg.grad(cost, [x for x in xs if x.dtype == "float32"])
    tangents = gg.Rop(out, [x for x in xs if x.dtype == "float32"],
                      [T.tensor("float32", shape=(None,) * x.ndim) for x in xs if x.dtype == "float32"])
    assert all(g.dtype == "float32" for g in grads)
    assert tangents.dtype == out.dtype
    wide = [v for v in ancestors(grads + [tangents]) if v.dtype in ("float64", "complex128") and not v.weak]
    assert not wide, f"{row.name}: float64 values in a float32 gradient: {wide}"


@pytest.mark.parametrize("row", [r for r in TABLE if r.grad == "smooth" and r.name not in ("complex",)], ids=_id)
def test_second_derivative(row):
    """verify_grad of the gradient with respect to each real input."""
    rng = np.random.default_rng(4)
    values = _inputs(row, "float64", rng)
    fn = _broadcast(row)
    for i, v in enumerate(values):
        if v.dtype == "float64":
            verify_grad(lambda *xs, i=i: gg.grad(T.sum(T.real(fn(*xs))), xs[i]), values, n_tests=1, rng=rng)


ROP_CASES = [(r, d) for r in TABLE if r.grad != "none" for d in ("float64", "complex128") if d in r.dtypes]


@pytest.mark.parametrize("row,dtype", ROP_CASES, ids=_id)
def test_rop_is_adjoint_of_lop(row, dtype):
    """<u, J v> == <J^H u, v> (real parts of the complex inner products)."""
    rng = np.random.default_rng(5)
    values = _inputs(row, dtype, rng)
    xs = _symbolic(values)
    wrt = [x for x in xs if x.dtype == dtype]
    out = _broadcast(row)(*xs)
    vs = [T.tensor(x.dtype, shape=(None,) * x.ndim) for x in wrt]
    u = T.tensor(out.dtype, shape=(None,) * out.ndim)
    jv = gg.Rop(out, wrt, vs)
    jtu = gg.Lop(out, wrt, u)
    f = gg.function(xs + vs + [u], [jv] + jtu, on_unused_input="ignore")
    v_values = [random_array(rng, x.shape, x.dtype) for x, sym in zip(values, xs) if sym in wrt]
    u_value = random_array(rng, _ref(row, values).shape, out.dtype)
    jv_value, *jtu_values = f(*values, *v_values, u_value)
    left = np.sum(np.real(np.conj(u_value) * jv_value))
    right = sum(np.sum(np.real(np.conj(g) * v)) for g, v in zip(jtu_values, v_values))
    np.testing.assert_allclose(left, right, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("row,dtype", _cases("iub"), ids=_id)
def test_integer_inputs_get_float_gradients(row, dtype):
    values = _inputs(row, dtype, np.random.default_rng(6))
    xs = _symbolic(values)
    out = _broadcast(row)(*xs)
    wrt = [x for x in xs if x.dtype == dtype]
    cost = T.sum(T.real(out)) if out.dtype.startswith("complex") else T.sum(out)
    grads = gg.function(xs, gg.grad(T.cast(cost, "float64"), wrt), on_unused_input="ignore")(*values)
    assert all(g.dtype == gg.config.floatX for g in grads)
    if np.dtype(out.dtype).kind in "biu":
        assert all(not np.any(g) for g in grads), "an op with an integer output passes back zeros"


def _grad_at(fn, *values):
    xs = _symbolic([np.asarray(v) for v in values])
    return gg.function(xs, gg.grad(T.sum(fn(*xs)), xs))(*values)


def test_abs_kink_gives_zero():
    (g,) = _grad_at(T.abs, np.array([-2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(g, [-1.0, 0.0, 1.0])
    (g,) = _grad_at(T.abs, np.array([0j, 3 + 4j]))
    np.testing.assert_allclose(g, [0, 0.6 + 0.8j])


@pytest.mark.parametrize("fn,win", [(T.maximum, [0.5, 1.0, 0.0]), (T.minimum, [0.5, 0.0, 1.0])])
def test_ties_split_the_gradient_evenly(fn, win):
    gx, gy = _grad_at(fn, np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 5.0]))
    np.testing.assert_array_equal(gx, win)
    np.testing.assert_array_equal(gx + gy, [1.0, 1.0, 1.0])


def test_clip_gradient_goes_to_the_bound_that_is_hit():
    x, lo, hi = np.array([-2.0, 0.0, 2.0]), np.array([-1.0, -1.0, -1.0]), np.array([1.0, 1.0, 1.0])
    gx, glo, ghi = _grad_at(T.clip, x, lo, hi)
    np.testing.assert_array_equal(gx, [0, 1, 0])
    np.testing.assert_array_equal(glo, [1, 0, 0])
    np.testing.assert_array_equal(ghi, [0, 0, 1])


def test_variadic_add_and_mul():
    x, y, z = T.dvector(), T.dvector(), T.dvector()
    rng = np.random.default_rng(7)
    values = [rng.standard_normal(4) for _ in range(3)]
    np.testing.assert_allclose(gg.function([x, y, z], T.mul(x, y, z))(*values), np.prod(values, axis=0))
    np.testing.assert_allclose(gg.function([x, y, z], T.add(x, y, z))(*values), np.sum(values, axis=0))
    verify_grad(T.mul, values, rng=rng)
    verify_grad(T.add, values, rng=rng)


def test_weak_python_scalars_keep_the_array_dtype():
    x = T.fvector("x")
    for out in (x * 2.0, 2.0 * x, x + 1, x / 3, x ** 2, x - 0.5, T.maximum(x, 0.0), T.switch(x > 0, x, 0)):
        assert out.dtype == "float32", out
    assert (x * 1j).dtype == "complex64"
    assert (T.ivector() * 2.0).dtype == "float64"
    assert (T.bvector() + 1).dtype == "int8"
    f = gg.function([x], x * 0.1)
    value = np.array([1.0, 3.0], dtype="float32")
    got = f(value)
    assert got.dtype == "float32"
    np.testing.assert_array_equal(got, value * 0.1)


@pytest.mark.parametrize("a,b", [("float32", "int64"), ("int8", "uint8"), ("int32", "float32"), ("int16", "float32"),
                                 ("float32", "complex64"), ("float64", "complex64"), ("bool", "bool"),
                                 ("int32", "int32"), ("uint64", "int64")])
def test_numpy2_promotion(a, b):
    x, y = T.vector(dtype=a), T.vector(dtype=b)
    xv, yv = np.ones(2, a), np.ones(2, b)
    for fn, ref in ((T.add, np.add), (T.true_divide, np.true_divide), (T.mul, np.multiply)):
        out = fn(x, y)
        assert out.dtype == ref(xv, yv).dtype, (fn, a, b)
        assert gg.function([x, y], out)(xv, yv).dtype == out.dtype


def test_zero_dimensional_arrays_are_strong():
    """A float64 0-d array promotes a float32 vector (NEP 50: only Python scalars are weak)."""
    assert (T.fvector() * T.dscalar()).dtype == "float64"
    assert (T.fvector() * np.float64(2.0)).dtype == "float64"


@pytest.mark.parametrize("src,dst", [("float64", "float32"), ("float32", "int32"), ("int32", "float64"),
                                     ("complex128", "float64"), ("float64", "complex64"), ("bool", "float32")])
def test_cast(src, dst):
    rng = np.random.default_rng(8)
    value = random_array(rng, (3,), src)
    x = T.vector(dtype=src)
    out = T.cast(x, dst)
    assert out.dtype == dst
    got = gg.function([x], out)(value)
    np.testing.assert_array_equal(got, np.real(value).astype(dst) if np.dtype(dst).kind != "c" else value.astype(dst))
    if np.dtype(src).kind in "fc" and np.dtype(dst).kind in "fc":
        verify_grad(lambda v: T.cast(v, dst), [value], rng=rng, eps=1e-3, abs_tol=1e-3, rel_tol=1e-3)
    assert T.cast(x, src) is x


def test_broadcast_mismatch_raises():
    with pytest.raises(gg.ShapeError, match="axis 0"):
        T.tensor("float64", shape=(3,)) + T.tensor("float64", shape=(4,))
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = gg.function([x, y], x * y)
    with pytest.raises(gg.ShapeError, match="broadcastable"):
        f(np.ones((1, 3)), np.ones((2, 3)))


def test_wrong_number_of_inputs_raises():
    with pytest.raises(TypeError, match="sub takes 2 inputs"):
        S.sub(T.dvector(), T.dvector(), T.dvector())
