"""Rewrites that cut passes over the data (rewrites/algebra.py, specialize.py): values equal
to the unoptimized graph on random and non-finite inputs, in float32 and float64."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.ops.elemwise import Elemwise

EDGES = np.array([np.nan, 0.0, -0.0, 1.0, -3.5, 1e-30])


def elemwise_ops(f):
    """How many elementwise operations the compiled graph runs (an n-ary node counts n - 1)."""
    return sum(max(1, len(n.inputs) - 1) for n in f.maker.fgraph.toposort() if isinstance(n.op, Elemwise))


def both(inputs, output):
    return gg.function(inputs, output, on_unused_input="ignore"), gg.function(inputs, output, mode="None", on_unused_input="ignore")


POLYNOMIALS = {
    "w3 derivative": lambda x, y: 3 * x * x * T.sin(x) + T.cos(x) * x * x * x,
    "hessian-vector terms": lambda x, y: 2 * y * T.exp(-x) - (2 * y * x - y * x * x) * T.exp(-x)
    - 2 * y * T.exp(-x) * x,
    "factor shared by some terms": lambda x, y: x * y + x * T.sin(y) + T.cos(x),
    "cancelling terms": lambda x, y: x * y - y * x + y,
    "sub and neg": lambda x, y: -(x - y) * (x + y) - y * (x - y),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(POLYNOMIALS))
def test_collected_polynomial_keeps_values(name, dtype, rng):
    x, y = T.vector("x", dtype=dtype), T.vector("y", dtype=dtype)
    fast, slow = both([x, y], POLYNOMIALS[name](x, y))
    xs = np.concatenate([rng.uniform(-2, 2, 20), EDGES]).astype(dtype)
    ys = np.concatenate([rng.uniform(-2, 2, 20), EDGES[::-1]]).astype(dtype)
    result = fast(xs, ys)
    assert result.dtype == dtype
    rtol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(result, slow(xs, ys), rtol=rtol, atol=rtol)


def test_collected_polynomial_takes_fewer_passes():
    """The Hessian-vector product of sum(x**2 exp(-x)) + sum(x)**2 (issue 4's W5)."""
    x, v = T.dvector("x"), T.dvector("v")
    cost = T.sum(x ** 2 * T.exp(-x)) + T.sum(x) ** 2
    fast, slow = both([x, v], T.grad(T.sum(T.grad(cost, x) * v), x))
    assert elemwise_ops(fast) <= 9 < elemwise_ops(slow)
    xs, vs = np.linspace(-2, 2, 7), np.linspace(1, 3, 7)
    np.testing.assert_allclose(fast(xs, vs), (2 - 4 * xs + xs * xs) * np.exp(-xs) * vs + 2 * vs.sum(), rtol=1e-12)
    y = T.dvector("y")
    fast, slow = both([x, y], POLYNOMIALS["w3 derivative"](x, y))
    assert elemwise_ops(fast) <= 7 < elemwise_ops(slow)


@pytest.mark.parametrize("name", sorted(POLYNOMIALS))
def test_nan_inputs_give_nan(name):
    x, y = T.dvector("x"), T.dvector("y")
    fast, slow = both([x, y], POLYNOMIALS[name](x, y))
    xs, ys = np.array([np.nan, np.nan, np.nan]), np.array([2.0, np.nan, np.inf])
    assert np.isnan(fast(xs, ys)).all() and np.isnan(slow(xs, ys)).all()


def test_cancelled_terms_keep_nan_at_infinity():
    """x y - y x + y collects to 0 x y + y, never y: at y = inf it is NaN, as computed term by term."""
    x, y = T.dvector("x"), T.dvector("y")
    fast, _ = both([x, y], x * y - y * x + y)
    np.testing.assert_array_equal(fast(np.array([1.0, 2.0, np.inf]), np.array([np.inf, 3.0, 1.0])),
                                  [np.nan, 3.0, np.nan])


def test_shared_inner_node_is_computed_once(rng):
    """A product read twice stays one node (a leaf of both trees), never duplicated."""
    x, y = T.dvector("x"), T.dvector("y")
    p = x * y
    fast, slow = both([x, y], [p * 2 + p * x, p - 1])
    xs, ys = rng.standard_normal(5), rng.standard_normal(5)
    for a, b in zip(fast(xs, ys), slow(xs, ys)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_broadcast_terms_keep_their_shape(rng):
    m, v = T.dmatrix("m"), T.dvector("v")
    fast, slow = both([m, v], m * v + v * 2 + v * m)
    ms, vs = rng.standard_normal((3, 4)), rng.standard_normal(4)
    np.testing.assert_allclose(fast(ms, vs), slow(ms, vs), rtol=1e-12)


def test_integer_polynomials_are_left_alone():
    i = T.lvector("i")
    fast, slow = both([i], i * i * 3 + i * i * i)
    values = np.array([1, -2, 3, 2 ** 21])
    np.testing.assert_array_equal(fast(values), slow(values))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_derivative_is_exact_in_relative_terms(dtype):
    x = T.vector("x", dtype=dtype)
    f = gg.function([x], T.grad(T.sum(1 / (1 + T.exp(-x))), x))
    limit = 80 if dtype == "float32" else 700
    values = np.concatenate([np.linspace(-limit, limit, 41), [0.0, 1e-8]]).astype(dtype)
    e = np.exp(-np.abs(values.astype(np.longdouble)))
    np.testing.assert_allclose(f(values), (e / (1 + e) ** 2).astype(dtype), rtol=1e-5 if dtype == "float32" else 1e-13)
    far = np.array([-1e4, 1e4, np.inf, -np.inf, np.nan], dtype)
    np.testing.assert_array_equal(f(far), [0, 0, 0, 0, np.nan])
    assert f(values).dtype == dtype
