"""``T.nnet``: sigmoid, softplus, relu, softmax, log_softmax and the cross-entropies:
values against NumPy/SciPy, stability at extreme inputs, gradients, R-ops, shapes."""
import numpy as np
import pytest
import scipy.special

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.gradient import verify_grad
from gpugrad.ops import nnet
from gpugrad.testing import check_infer_shape, random_array


def _run(inputs, outputs, *values):
    return gg.function(inputs, outputs)(*values)


def test_namespace():
    assert set(nnet.__all__) <= set(dir(T.nnet))
    for name in ("sigmoid", "softmax", "log_softmax", "relu", "softplus", "categorical_crossentropy",
                 "binary_crossentropy", "sigmoid_binary_crossentropy"):
        assert callable(getattr(T.nnet, name))
    assert T.nnet.sigmoid is T.sigmoid and T.nnet.softplus is T.softplus


def test_sigmoid_and_softplus_at_extremes():
    x = T.dvector()
    value = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    s, sp, gs, gsp = _run([x], [T.nnet.sigmoid(x), T.nnet.softplus(x),
                                gg.grad(T.sum(T.nnet.sigmoid(x)), x), gg.grad(T.sum(T.nnet.softplus(x)), x)], value)
    np.testing.assert_allclose(s, scipy.special.expit(value), rtol=1e-15)
    np.testing.assert_allclose(sp, np.logaddexp(0, value), rtol=1e-15)
    np.testing.assert_allclose(sp[[0, -1]], [0.0, 1000.0])
    np.testing.assert_allclose(gsp, scipy.special.expit(value), rtol=1e-15)
    assert np.all(np.isfinite(gs)) and gs[0] == gs[-1] == 0.0


def test_relu():
    x = T.dvector()
    value = np.array([-2.0, 0.0, 3.0])
    out, g = _run([x], [T.nnet.relu(x), gg.grad(T.sum(T.nnet.relu(x)), x)], value)
    np.testing.assert_array_equal(out, [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])      # 0 at the kink, as API.md says
    out, g = _run([x], [T.nnet.relu(x, alpha=0.1), gg.grad(T.sum(T.nnet.relu(x, 0.1)), x)], value)
    np.testing.assert_allclose(out, [-0.2, 0.0, 3.0])
    np.testing.assert_allclose(g, [0.1, 0.1, 1.0])
    assert T.nnet.relu(T.fvector()).dtype == "float32"
    assert T.nnet.relu(T.fvector(), 0.01).dtype == "float32"
    assert T.nnet.relu(T.ivector()).dtype == "int32"
    a = T.dscalar()
    assert gg.function([x, a], T.nnet.relu(x, a))(value, 0.5).tolist() == [-1.0, 0.0, 3.0]
    verify_grad(T.nnet.relu, [np.array([-1.5, 0.7, 2.0])])


SOFTMAXES = [(T.nnet.softmax, scipy.special.softmax), (T.nnet.log_softmax, scipy.special.log_softmax)]


@pytest.mark.parametrize("fn,ref", SOFTMAXES, ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [-1, 0, (0, 2), None], ids=repr)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_forward_and_shape(fn, ref, axis, dtype):
    value = random_array(np.random.default_rng(0), (2, 3, 4), dtype) * 3
    x = T.tensor(dtype, shape=(None, 3, None))
    out = fn(x, axis=axis)
    got = _run([x], out, value)
    assert got.dtype == out.dtype == dtype
    tol = 1e-5 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(got, ref(value.astype("float64"), axis=axis), rtol=tol, atol=tol)
    check_infer_shape(out, [x], [value])
    assert out.type.shape == (None, 3, None)


@pytest.mark.parametrize("fn", [T.nnet.softmax, T.nnet.log_softmax], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [-1, 0, (0, 1)], ids=repr)
def test_softmax_gradients(fn, axis):
    rng = np.random.default_rng(1)
    value = rng.standard_normal((3, 4))
    verify_grad(lambda x: fn(x, axis=axis), [value], rng=rng)
    verify_grad(lambda x: gg.grad(T.sum(fn(x, axis=axis) ** 2), x), [value], n_tests=1, rng=rng)
    verify_grad(lambda x: fn(x, axis=axis), [value.astype("float32")], rng=rng)
    x, v, u = T.dmatrix(), T.dmatrix(), T.dmatrix()
    out = fn(x, axis=axis)
    v_value, u_value = rng.standard_normal((2, 3, 4))
    jv, jtu = _run([x, v, u], [gg.Rop(out, x, v), gg.Lop(out, x, u)], value, v_value, u_value)
    np.testing.assert_allclose(np.sum(u_value * jv), np.sum(jtu * v_value), rtol=1e-10)


def test_softmax_float32_gradients_stay_float32():
    x = T.fmatrix()
    for fn in (T.nnet.softmax, T.nnet.log_softmax):
        assert gg.grad(T.sum(fn(x) ** 2), x).dtype == "float32"
        assert gg.Rop(fn(x), x, T.fmatrix()).dtype == "float32"


def test_softmax_is_stable():
    x = T.dmatrix()
    value = np.array([[1000.0, 0.0], [-1000.0, -1000.0], [0.0, -np.inf], [1e308, 1e308]])
    s, ls = _run([x], [T.nnet.softmax(x), T.nnet.log_softmax(x)], value)
    np.testing.assert_allclose(s, [[1, 0], [0.5, 0.5], [1, 0], [0.5, 0.5]])
    np.testing.assert_allclose(ls, [[0, -1000], [np.log(0.5)] * 2, [0, -np.inf], [np.log(0.5)] * 2])
    g = _run([x], gg.grad(T.sum(T.nnet.log_softmax(x) * [[1.0, 0.0]]), x), value[:2])
    np.testing.assert_allclose(g, [[0.0, 0.0], [0.5, -0.5]], atol=1e-300)


def test_softmax_of_integers_and_bad_input():
    x = T.lmatrix()
    out = T.nnet.softmax(x)
    assert out.dtype == "float64"
    np.testing.assert_allclose(_run([x], out, np.array([[1, 2]])), scipy.special.softmax([[1.0, 2.0]], axis=-1))
    with pytest.raises(gg.InputError, match="softmax"):
        T.nnet.softmax(T.zmatrix())
    with pytest.raises(gg.ShapeError, match="axis 2"):
        T.nnet.log_softmax(T.dmatrix(), axis=2)


def _ce_reference(p, y):
    return -np.log(p[np.arange(len(y)), y])


def test_categorical_crossentropy_indices_and_one_hot_agree():
    rng = np.random.default_rng(2)
    p_value = scipy.special.softmax(rng.standard_normal((5, 3)), axis=1)
    y_value = np.array([0, 2, 1, 1, 0])
    p, y, t = T.dmatrix(), T.lvector(), T.dmatrix()
    by_index = T.nnet.categorical_crossentropy(p, y)
    by_dist = T.nnet.categorical_crossentropy(p, t)
    a, b = _run([p, y, t], [by_index, by_dist], p_value, y_value, np.eye(3)[y_value])
    np.testing.assert_allclose(a, _ce_reference(p_value, y_value), rtol=1e-14)
    np.testing.assert_allclose(b, a, rtol=1e-14)
    check_infer_shape(by_index, [p, y], [p_value, y_value])
    soft = rng.dirichlet(np.ones(3), 5)
    np.testing.assert_allclose(_run([p, t], by_dist, p_value, soft), -np.sum(soft * np.log(p_value), axis=1))


def test_categorical_crossentropy_gradients():
    rng = np.random.default_rng(3)
    p_value = rng.uniform(0.1, 1.0, (4, 3))
    y_value = np.array([2, 0, 1, 2], dtype="int32")
    verify_grad(lambda p: T.nnet.categorical_crossentropy(p, y_value), [p_value], rng=rng)
    verify_grad(lambda p: T.nnet.categorical_crossentropy(p, np.eye(3)[y_value]), [p_value], rng=rng)
    verify_grad(lambda p, t: T.nnet.categorical_crossentropy(p, t), [p_value, rng.dirichlet(np.ones(3), 4)], rng=rng)
    verify_grad(lambda x: T.nnet.categorical_crossentropy(T.nnet.softmax(x), y_value), [rng.standard_normal((4, 3))],
                rng=rng)
    verify_grad(lambda p: gg.grad(T.sum(T.nnet.categorical_crossentropy(p, y_value)), p), [p_value], rng=rng)
    p, v, u = T.dmatrix(), T.dmatrix(), T.dvector()
    out = T.nnet.categorical_crossentropy(p, T.constant(y_value))
    v_value, u_value = rng.standard_normal((4, 3)), rng.standard_normal(4)
    jv, jtu = _run([p, v, u], [gg.Rop(out, p, v), gg.Lop(out, p, u)], p_value, v_value, u_value)
    np.testing.assert_allclose(np.sum(u_value * jv), np.sum(jtu * v_value), rtol=1e-12)


def test_categorical_crossentropy_where_probabilities_are_zero():
    """A zero probability off the true class costs nothing; a softmax that underflows
    at the true class still gives a finite loss and gradient."""
    p, t, x, y = T.dmatrix(), T.dmatrix(), T.dmatrix(), T.lvector()
    loss = T.nnet.categorical_crossentropy(p, t)
    value, g = _run([p, t], [loss, gg.grad(T.sum(loss), p)], np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]]))
    assert value[0] == 0.0 and np.all(np.isfinite(g))
    assert _run([p, t], loss, np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))[0] == np.inf
    loss = T.nnet.categorical_crossentropy(T.nnet.softmax(x), y)
    value, g = _run([x, y], [loss, gg.grad(T.sum(loss), x)], np.array([[0.0, -1000.0]]), np.array([1]))
    np.testing.assert_allclose(value, [1000.0])
    np.testing.assert_allclose(g, [[1.0, -1.0]])


def test_categorical_crossentropy_bad_input():
    p = T.dmatrix("p")
    with pytest.raises(gg.InputError, match="class indices"):
        T.nnet.categorical_crossentropy(p, T.dtensor3())
    with pytest.raises(gg.ShapeError, match="rows"):
        T.nnet.categorical_crossentropy(T.tensor("float64", shape=(3, 2)), T.tensor("int64", shape=(4,)))
    y = T.lvector("y")
    f = gg.function([p, y], T.nnet.categorical_crossentropy(p, y))
    with pytest.raises(gg.InputError, match="class index 3"):
        f(np.full((2, 3), 1 / 3), np.array([0, 3]))
    with pytest.raises(gg.ShapeError, match="class indices"):
        f(np.full((2, 3), 1 / 3), np.array([0]))


def test_binary_crossentropy():
    rng = np.random.default_rng(4)
    o_value, t_value = rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4))
    o, t = T.dmatrix(), T.dmatrix()
    out = T.nnet.binary_crossentropy(o, t)
    expected = -(t_value * np.log(o_value) + (1 - t_value) * np.log1p(-o_value))
    np.testing.assert_allclose(_run([o, t], out, o_value, t_value), expected, rtol=1e-14)
    check_infer_shape(out, [o, t], [o_value, t_value])
    verify_grad(T.nnet.binary_crossentropy, [o_value, t_value], rng=rng)
    verify_grad(lambda a, b: gg.grad(T.sum(T.nnet.binary_crossentropy(a, b)), a), [o_value, t_value], rng=rng)
    assert T.nnet.binary_crossentropy(T.fvector(), T.fvector()).dtype == "float32"
    assert T.nnet.binary_crossentropy(T.fvector(), 1.0).dtype == "float32"


def test_binary_crossentropy_at_zero_and_one():
    """Loss 0 and a finite gradient where output and target agree exactly; inf where
    they disagree."""
    o, t = T.dvector(), T.dvector()
    loss = T.nnet.binary_crossentropy(o, t)
    f = gg.function([o, t], [loss, gg.grad(T.sum(loss), o)])
    value, g = f(np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    np.testing.assert_array_equal(value, [0.0, 0.0])
    np.testing.assert_array_equal(g, [1.0, -1.0])
    value, _ = f(np.array([0.0, 1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.5, 0.5]))
    np.testing.assert_array_equal(value, [np.inf] * 4)


def test_sigmoid_binary_crossentropy():
    rng = np.random.default_rng(5)
    z_value, t_value = rng.standard_normal(6) * 3, rng.uniform(0, 1, 6)
    z, t = T.dvector(), T.dvector()
    out = T.nnet.sigmoid_binary_crossentropy(z, t)
    reference = T.nnet.binary_crossentropy(T.nnet.sigmoid(z), t)
    a, b = _run([z, t], [out, reference], z_value, t_value)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    verify_grad(T.nnet.sigmoid_binary_crossentropy, [z_value, t_value], rng=rng)
    value, g = _run([z, t], [out, gg.grad(T.sum(out), z)], np.array([1000.0, -1000.0, 1000.0]),
                    np.array([1.0, 0.0, 0.0]))
    np.testing.assert_allclose(value, [0.0, 0.0, 1000.0])
    np.testing.assert_allclose(g, [0.0, 0.0, 1.0])
    assert T.nnet.sigmoid_binary_crossentropy(T.fvector(), T.fvector()).dtype == "float32"
