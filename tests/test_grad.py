"""grad, Lop and Rop semantics of API.md: constants, disconnection, known gradients,
kinks, integers, float32, broadcasting, gradient-only ops and complex conventions."""
import warnings

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.errors import DisconnectedInputError, InputError, NullTypeGradError, ShapeError
from gpugrad.gradient import disconnected_grad, grad_clip, grad_scale, undefined_grad, zero_grad


def run(inputs, outputs, *values):
    return gg.function(inputs, outputs, on_unused_input="ignore")(*values)


def test_grad_of_a_list_returns_a_list():
    x, y = T.dvector("x"), T.dvector("y")
    gx, gy = gg.grad((x * y).sum(), [x, y])
    got = run([x, y], [gx, gy], [1.0, 2.0], [3.0, 4.0])
    np.testing.assert_allclose(got[0], [3.0, 4.0])
    np.testing.assert_allclose(got[1], [1.0, 2.0])
    assert not isinstance(gg.grad(x.sum(), x), list)
    assert isinstance(gg.grad(x.sum(), (x,)), tuple)  # a tuple gives a tuple, as in Theano


def test_consider_constant_stops_at_the_variable():
    x = T.dvector("x")
    y = x * x
    g = gg.grad((y * x).sum(), x, consider_constant=[y])
    np.testing.assert_allclose(run([x], g, [1.0, 2.0]), [1.0, 4.0])
    g = gg.grad((x * x).sum(), x, consider_constant=[x])
    np.testing.assert_allclose(run([x], g, [1.0, 2.0]), [2.0, 4.0])
    with pytest.raises(DisconnectedInputError):
        gg.grad(T.exp(y).sum(), x, consider_constant=[y])


def test_disconnected_inputs_modes():
    x, z = T.dvector("x"), T.dvector("z")
    with pytest.raises(DisconnectedInputError, match="z"):
        gg.grad(x.sum(), z)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = gg.grad(x.sum(), z, disconnected_inputs="warn")
    assert any("z" in str(w.message) for w in caught)
    assert run([z], g, [1.0, 2.0]).tolist() == [0.0, 0.0]
    g = gg.grad(x.sum(), z, disconnected_inputs="ignore")
    assert run([z], g, [1.0, 2.0]).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="disconnected_inputs"):
        gg.grad(x.sum(), z, disconnected_inputs="bogus")


def test_known_grads_and_cost_none():
    x = T.dvector("x")
    y = T.exp(x)
    g = gg.grad(None, x, known_grads={y: T.ones_like(y) * 2})
    np.testing.assert_allclose(run([x], g, [0.0, 1.0]), 2 * np.exp([0.0, 1.0]))
    both = gg.grad(x.sum(), x, known_grads={y: T.ones_like(y)})
    np.testing.assert_allclose(run([x], both, [0.0, 1.0]), 1 + np.exp([0.0, 1.0]))
    with pytest.raises(InputError):
        gg.grad(None, x)


def test_cost_must_be_a_scalar():
    x = T.dvector("x")
    with pytest.raises(InputError, match="scalar"):
        gg.grad(x * 2, x)
    with pytest.raises(InputError, match="symbolic"):
        gg.grad(x.sum(), 3.0)


def test_kinks_abs_at_zero_is_zero_and_ties_split():
    x, y = T.dvector("x"), T.dvector("y")
    np.testing.assert_allclose(run([x], gg.grad(abs(x).sum(), x), [0.0, 2.0, -3.0]), [0.0, 1.0, -1.0])
    gx, gy = gg.grad(T.maximum(x, y).sum(), [x, y])
    got = run([x, y], [gx, gy], [1.0, 2.0, 3.0], [1.0, 5.0, 0.0])
    np.testing.assert_allclose(got[0], [0.5, 0.0, 1.0])
    np.testing.assert_allclose(got[1], [0.5, 1.0, 0.0])


def test_integer_inputs_get_float_gradients_and_integer_ops_pass_zeros():
    i = T.ivector("i")
    g = gg.grad((i * 2.5).sum(), i)
    assert g.dtype == "float64"
    np.testing.assert_allclose(run([i], g, [1, 2]), [2.5, 2.5])
    x = T.dvector("x")
    g = gg.grad((x // 1).sum() + (x > 0).sum() + T.floor(x).sum(), x)
    np.testing.assert_allclose(run([x], g, [1.5, -2.0]), [0.0, 0.0])
    g = gg.grad(i.sum(), i)
    assert g.dtype == "float64" and run([i], g, [3, 4]).tolist() == [1.0, 1.0]


def test_float32_gradients_stay_float32():
    v = T.fvector("v")
    for cost in ((v * 2.0).sum() ** 2, T.exp(v).sum() * 3, (v ** 2).mean(), T.tanh(v / 3).sum()):
        g = gg.grad(cost, v)
        assert g.dtype == "float32"
        assert run([v], g, np.ones(3, "float32")).dtype == np.float32


def test_broadcast_gradients_are_summed():
    M = T.dmatrix("M")
    b = T.tensor("float64", shape=(1, None), name="b")
    v = T.dvector("v")
    gb, gv = gg.grad((M + b).sum() + (M * v).sum(), [b, v])
    m = np.arange(6.0).reshape(3, 2)
    got = run([M, b, v], [gb, gv], m, np.ones((1, 2)), np.ones(2))
    np.testing.assert_allclose(got[0], [[3.0, 3.0]])
    np.testing.assert_allclose(got[1], m.sum(axis=0))


def test_stop_gradient_ops():
    x = T.dvector("x")
    value = [1.0, 2.0]
    np.testing.assert_allclose(run([x], gg.grad((disconnected_grad(x) * x).sum(), x), value), value)
    np.testing.assert_allclose(run([x], gg.grad((zero_grad(x) * x).sum(), x), value), value)
    assert run([x], gg.grad(zero_grad(x).sum(), x), value).tolist() == [0.0, 0.0]
    with pytest.raises(DisconnectedInputError):
        gg.grad(disconnected_grad(x).sum(), x)
    np.testing.assert_allclose(run([x], gg.grad((grad_clip(x, -1, 1) * 5).sum(), x), value), [1.0, 1.0])
    np.testing.assert_allclose(run([x], gg.grad(grad_scale(x, 3).sum(), x), value), [3.0, 3.0])
    with pytest.raises(NullTypeGradError, match="undefined"):
        gg.grad(undefined_grad(x).sum(), x)
    y = T.dvector("y")
    g = gg.grad((undefined_grad(x) + y).sum(), y)  # the undefined branch is not needed
    assert run([x, y], g, value, value).tolist() == [1.0, 1.0]
    np.testing.assert_allclose(run([x], disconnected_grad(x) * 2, value), [2.0, 4.0])


def _cost(z):
    return (np.real(z) ** 2 * 3 + np.imag(z) * 2 + np.real(z) * np.imag(z)).sum()


def test_complex_gradient_is_da_plus_i_db():
    z = T.zvector("z")
    cost = (T.real(z) ** 2 * 3 + T.imag(z) * 2 + T.real(z) * T.imag(z)).sum()
    point = np.array([1 + 2j, 3 - 1j])
    got = run([z], gg.grad(cost, z), point)
    eps = 1e-6
    for k in range(2):
        e = np.zeros(2)
        e[k] = eps
        da = (_cost(point + e) - _cost(point - e)) / (2 * eps)
        db = (_cost(point + 1j * e) - _cost(point - 1j * e)) / (2 * eps)
        np.testing.assert_allclose(got[k], da + 1j * db, rtol=1e-6)


def test_complex_cost_raises_with_advice_and_holomorphic_gives_the_derivative():
    z = T.zscalar("z")
    with pytest.raises(InputError, match="real.*abs.*holomorphic=True"):
        gg.grad(z ** 3, z)
    g = gg.grad(z ** 3, z, holomorphic=True)
    np.testing.assert_allclose(run([z], g, 1 + 2j), 3 * (1 + 2j) ** 2)
    g = gg.grad(T.exp(z) * z, z, holomorphic=True)
    np.testing.assert_allclose(run([z], g, 0.5 - 1j), np.exp(0.5 - 1j) * (1 + 0.5 - 1j))


def test_rop_is_the_directional_derivative():
    x, v = T.dvector("x"), T.dvector("v")
    f = gg.function([x, v], gg.Rop(T.sin(x) * x, x, v))
    point, direction = np.array([0.3, -1.2]), np.array([1.0, 2.0])
    np.testing.assert_allclose(f(point, direction), (np.cos(point) * point + np.sin(point)) * direction)


def test_lop_equals_grad_of_projection():
    x = T.zvector("x")
    u = T.zvector("u")
    out = x ** 2 * (1 + 2j)
    lop = gg.Lop(out, x, u)
    reference = gg.grad(T.real((T.conj(u) * out).sum()), x)
    point, proj = np.array([1 + 1j, 2 - 0.5j]), np.array([0.5 - 1j, 1 + 2j])
    got = run([x, u], [lop, reference], point, proj)
    np.testing.assert_allclose(got[0], got[1])
    r = T.dvector("r")
    w = T.dvector("w")
    np.testing.assert_allclose(run([r, w], gg.Lop(T.exp(r), r, w), [0.0, 1.0], [2.0, 3.0]),
                               np.exp([0.0, 1.0]) * [2.0, 3.0])


def test_rop_lop_accept_lists():
    x, y = T.dvector("x"), T.dvector("y")
    v, w = T.dvector("v"), T.dvector("w")
    (r,) = gg.Rop([x * y], [x, y], [v, w])
    got = run([x, y, v, w], r, [1.0, 2.0], [3.0, 4.0], [1.0, 1.0], [1.0, 0.0])
    np.testing.assert_allclose(got, [4.0, 4.0])
    lx, ly = gg.Lop(x * y, [x, y], v)
    got = run([x, y, v], [lx, ly], [1.0, 2.0], [3.0, 4.0], [1.0, 2.0])
    np.testing.assert_allclose(got[0], [3.0, 8.0])
    np.testing.assert_allclose(got[1], [1.0, 4.0])


def test_eval_points_are_checked_at_call_time():
    x, u = T.dvector("x"), T.dvector("u")
    f = gg.function([x, u], gg.Rop(x ** 2, x, u))
    with pytest.raises(ShapeError, match="eval point u.*x"):
        f([1.0, 2.0], [1.0, 1.0, 1.0])
    np.testing.assert_allclose(f([1.0, 2.0], [1.0, 1.0]), [2.0, 4.0])
    g = gg.function([x, u], gg.Lop(x ** 2, x, u))
    with pytest.raises(ShapeError, match=r"\bu\b"):
        g([1.0, 2.0], [1.0, 1.0, 1.0])
    np.testing.assert_allclose(g([1.0, 2.0], [1.0, 1.0]), [2.0, 4.0])
    with pytest.raises(ShapeError, match="dimensions"):  # a ValueError, as in Theano and PyTensor
        gg.Rop(x ** 2, x, T.dmatrix())


def test_rop_keeps_wrt_as_an_input():
    W, V = T.dmatrix("W"), T.dmatrix("V")
    x = T.dvector("x")
    f = gg.function([W, V, x], gg.Rop((W * x).sum(axis=1), W, V))
    w = np.ones((2, 3))
    np.testing.assert_allclose(f(w, np.ones((2, 3)), [1.0, 2.0, 3.0]), [6.0, 6.0])
