"""``pool_2d``/``pool_3d`` on the CPU: every mode against Theano's window loop
(conv_reference.py), shapes, gradients (ties shared evenly), R-ops, second derivatives, the
old names and the errors."""
import warnings

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.errors import InputError, ShapeError
from gpugrad.gradient import verify_grad
from gpugrad.tensor.signal import downsample, pool
from gpugrad.testing import check_infer_shape, numeric_jacobian

import conv_reference as ref

MODES = ["max", "sum", "average_inc_pad", "average_exc_pad"]
# name, input shape, keyword arguments
GEOMETRIES = [
    ("tiles", (2, 3, 6, 4), dict(ws=(2, 2), ignore_border=True)),
    ("dropped_border", (2, 3, 7, 5), dict(ws=(2, 2), ignore_border=True)),
    ("partial_border", (2, 3, 7, 5), dict(ws=(2, 2), ignore_border=False)),
    ("overlap", (1, 2, 7, 6), dict(ws=(3, 2), stride=(2, 1), ignore_border=False)),
    ("gaps", (1, 2, 8, 7), dict(ws=(2, 2), stride=(3, 3), ignore_border=False)),
    ("padded", (2, 1, 5, 6), dict(ws=(3, 3), stride=(2, 2), pad=(1, 2), ignore_border=True)),
    ("matrix", (5, 7), dict(ws=(3, 2), stride=(1, 2), ignore_border=True)),
    ("five_d", (2, 1, 2, 5, 4), dict(ws=(2, 3), pad=(1, 1), ignore_border=True)),
    ("pool_3d", (1, 2, 5, 4, 6), dict(ws=(2, 2, 3), stride=(1, 2, 2), ignore_border=False)),
    ("pool_3d_padded", (1, 1, 4, 5, 3), dict(ws=(3, 2, 2), pad=(1, 1, 0), ignore_border=True)),
]
IDS = [g[0] for g in GEOMETRIES]


def _pool(shape, kwargs):
    return pool.pool_3d if len(kwargs["ws"]) == 3 else pool.pool_2d


def _distinct(rng, shape, dtype="float64"):
    """Values without ties (a permutation), so max pooling is differentiable everywhere."""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 - 1).astype(dtype)


@pytest.mark.parametrize("name,shape,kwargs", GEOMETRIES, ids=IDS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_matches_theano(name, shape, kwargs, mode, dtype, rng):
    X = rng.standard_normal(shape).astype(dtype)
    x = T.tensor(dtype, shape=shape, name="x")
    y = _pool(shape, kwargs)(x, mode=mode, **kwargs)
    got = gg.function([x], y)(X)
    expected = ref.pool(X, mode=mode, **kwargs)
    assert got.dtype == y.dtype == dtype
    assert got.shape == expected.shape == y.type.shape
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    check_infer_shape(y, [x], [X])


@pytest.mark.parametrize("name,shape,kwargs", GEOMETRIES, ids=IDS)
@pytest.mark.parametrize("mode", MODES)
def test_gradients(name, shape, kwargs, mode, rng):
    verify_grad(lambda x: _pool(shape, kwargs)(x, mode=mode, **kwargs), [_distinct(rng, shape)], rng=rng)


@pytest.mark.parametrize("mode", MODES)
def test_gradients_float32(mode, rng):
    name, shape, kwargs = GEOMETRIES[3]
    verify_grad(lambda x: pool.pool_2d(x, mode=mode, **kwargs), [_distinct(rng, shape, "float32")], rng=rng)


@pytest.mark.parametrize("name,shape,kwargs", [GEOMETRIES[3], GEOMETRIES[5], GEOMETRIES[9]],
                         ids=[IDS[3], IDS[5], IDS[9]])
@pytest.mark.parametrize("mode", MODES)
def test_rop_lop_and_second_order(name, shape, kwargs, mode, rng):
    """R-op and L-op against the finite-difference Jacobian; the gradient's gradient."""
    X = _distinct(rng, shape)
    fn = _pool(shape, kwargs)
    x, t, u = (T.tensor("float64", shape=(None,) * len(shape), name=n) for n in "xtu")
    y = fn(x, mode=mode, **kwargs)
    jac = numeric_jacobian(lambda v: ref.pool(v, mode=mode, **kwargs), X)
    V, U = rng.standard_normal(shape), rng.standard_normal(jac.shape[:len(shape)])
    rop, (lop,) = T.Rop(y, x, t), T.Lop(y, [x], u)
    got_rop, got_lop = gg.function([x, t, u], [rop, lop])(X, V, U)
    np.testing.assert_allclose(got_rop, np.tensordot(jac, V, len(shape)), atol=1e-6)
    np.testing.assert_allclose(got_lop, np.tensordot(U, jac, len(shape)), atol=1e-6)
    verify_grad(lambda v: T.grad(T.sum(fn(v, mode=mode, **kwargs) ** 2), v), [X], n_tests=1, rng=rng)
    verify_grad(lambda v: T.Rop(fn(v, mode=mode, **kwargs) ** 2, v, T.ones_like(v)), [X], n_tests=1, rng=rng)


def test_max_ties_share_the_gradient_evenly():
    """Each tied maximum of a window gets gradient / (number of ties); the R-op is their mean."""
    x = T.dmatrix("x")
    X = np.array([[1.0, 1.0, 0.0, 5.0], [1.0, 0.0, 5.0, 5.0]])
    y = pool.pool_2d(x, ws=(2, 2), ignore_border=True)
    g = T.grad(T.sum(y * [[2.0, 4.0]]), x)
    got_y, got_g, got_rop = gg.function([x], [y, g, T.Rop(y, x, x * 10)])(X)
    np.testing.assert_array_equal(got_y, [[1.0, 5.0]])
    np.testing.assert_allclose(got_g, [[2 / 3, 2 / 3, 0, 4 / 3], [2 / 3, 0, 4 / 3, 4 / 3]])
    np.testing.assert_allclose(got_rop, [[10.0, 50.0]])


def test_nan_windows_pool_to_nan_and_pass_no_gradient():
    x = T.dmatrix("x")
    X = np.array([[np.nan, 1.0, 2.0, 3.0]])
    y = pool.pool_2d(x, ws=(1, 2), ignore_border=True)
    got_y, got_g = gg.function([x], [y, T.grad(T.sum(y), x)])(X)
    assert np.isnan(got_y[0, 0]) and got_y[0, 1] == 3.0
    np.testing.assert_array_equal(got_g, [[0.0, 0.0, 0.0, 1.0]])


def test_integer_inputs():
    x = T.imatrix("x")
    X = np.array([[1, -7, 3], [4, 2, -6]], dtype="int32")
    y = pool.pool_2d(x, ws=(2, 2), ignore_border=False)
    s = pool.pool_2d(x, ws=(2, 2), ignore_border=False, mode="sum")
    got_y, got_s, got_g = gg.function([x], [y, s, T.grad(T.sum(y), x)])(X)
    assert got_y.dtype == got_s.dtype == np.int32 and got_g.dtype == np.float64
    np.testing.assert_array_equal(got_y, [[4, 3]])
    np.testing.assert_array_equal(got_s, [[0, -3]])
    np.testing.assert_array_equal(got_g, [[0, 0, 1], [1, 0, 0]])


def test_old_names_and_defaults(rng):
    X = rng.standard_normal((1, 1, 5, 5))
    x = T.dtensor4("x")
    with pytest.warns(DeprecationWarning) as record:
        by_ds = pool.pool_2d(x, ds=(2, 2), st=(1, 1), ignore_border=True)
    assert sorted(str(w.message) for w in record) == ["pool_2d: ds is Theano's old name of ws",
                                                      "pool_2d: st is Theano's old name of stride"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        old = downsample.max_pool_2d(x, (2, 2), ignore_border=True, st=(1, 1))
    with pytest.warns(UserWarning, match="ignore_border was not given"):
        default = pool.pool_2d(x, ws=(2, 2))
    got = gg.function([x], [by_ds, old, default])(X)
    np.testing.assert_allclose(got[0], ref.pool(X, (2, 2), stride=(1, 1)))
    np.testing.assert_allclose(got[1], got[0])
    np.testing.assert_allclose(got[2], ref.pool(X, (2, 2), ignore_border=False))


ERRORS = [
    ("mode", lambda x: pool.pool_2d(x, ws=(2, 2), ignore_border=True, mode="median"), InputError, "mode"),
    ("ws", lambda x: pool.pool_2d(x, ws=(0, 2), ignore_border=True), ShapeError, "ws must be at least 1"),
    ("stride", lambda x: pool.pool_2d(x, ws=(2, 2), stride=(1, -1), ignore_border=True), ShapeError, "stride"),
    ("ws length", lambda x: pool.pool_2d(x, ws=(2, 2, 2), ignore_border=True), InputError, "2 ints"),
    ("no ws", lambda x: pool.pool_2d(x, ignore_border=True), InputError, "ws"),
    ("pad without ignore_border", lambda x: pool.pool_2d(x, ws=(2, 2), pad=(1, 1), ignore_border=False),
     InputError, "ignore_border=True"),
    ("pad too large", lambda x: pool.pool_2d(x, ws=(2, 2), pad=(2, 0), ignore_border=True), ShapeError, "smaller"),
    ("rank", lambda x: pool.pool_3d(x[0, 0], ws=(2, 2, 2), ignore_border=True), ShapeError, "3 dimensions"),
    ("window too large", lambda x: pool.pool_2d(T.tensor("float64", shape=(1, 1, 3, 5)), ws=(4, 2),
                                                ignore_border=True), ShapeError, "larger"),
    ("average of ints", lambda x: pool.pool_2d(T.itensor4(), ws=(2, 2), ignore_border=True, mode="average_inc_pad"),
     InputError, "float"),
    ("complex", lambda x: pool.pool_2d(T.ztensor4(), ws=(2, 2), ignore_border=True), InputError, "complex128"),
]


@pytest.mark.parametrize("what,build,error,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_at_graph_building(what, build, error, message):
    with pytest.raises(error, match=message) as info:
        build(T.dtensor4("x"))
    assert "pool_" in str(info.value)


def test_errors_at_run_time():
    x = T.dtensor4("x")
    f = gg.function([x], pool.pool_2d(x, ws=(3, 3), ignore_border=True))
    with pytest.raises(ShapeError, match="pool_2d: the window"):
        f(np.zeros((1, 1, 2, 5)))
    assert f(np.zeros((1, 1, 3, 5))).shape == (1, 1, 1, 1)
