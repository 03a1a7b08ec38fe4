"""scan, map, reduce, foldl, foldr: values, taps, until, derivatives of every order
through loops, and errors that name the scan argument."""
import numpy as np
import pytest

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad.errors import InputError, ShapeError
from gpugrad.gradient import verify_grad
from gpugrad.scan import until
from gpugrad.scan.op import Scan
from gpugrad.testing import numeric_jacobian


def scans_in(f):
    return [node for node in f.maker.fgraph.toposort() if isinstance(node.op, Scan)]


# ---------------------------------------------------------------- the Theano scan tutorial
def power(A, k):
    result, updates = theano.scan(fn=lambda prior_result, A: prior_result * A,
                                  outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    return result[-1], updates


def test_tutorial_power():
    k, A = T.iscalar("k"), T.vector("A")
    final, updates = power(A, k)
    f = theano.function(inputs=[A, k], outputs=final, updates=updates)
    np.testing.assert_allclose(f(np.arange(10.), 2), np.arange(10.) ** 2)
    assert scans_in(f), "a recurrence keeps its loop"


def test_tutorial_power_gradient():
    k, A = T.iscalar("k"), T.dvector("A")
    final, _ = power(A, k)
    g = theano.function([A, k], T.grad(final.sum(), A))
    a = np.array([0.5, 1.5, -2.0])
    np.testing.assert_allclose(g(a, 3), 3 * a ** 2)
    verify_grad(lambda a: power(a, 3)[0], [a])


def polynomial(coefficients, x):
    components, updates = theano.scan(fn=lambda coefficient, power, free_variable:
                                      coefficient * (free_variable ** power),
                                      outputs_info=None, sequences=[coefficients, T.arange(1000)],
                                      non_sequences=x)
    return components.sum()


def test_tutorial_polynomial_and_gradient():
    coefficients, x = T.vector("coefficients"), T.scalar("x")
    p = polynomial(coefficients, x)
    f = theano.function([coefficients, x], [p] + T.grad(p, [coefficients, x]))
    value, g_c, g_x = f(np.asarray([1, 0, 2], dtype="float64"), 3)
    assert value == 19.0
    np.testing.assert_allclose(g_c, [1, 3, 9])
    np.testing.assert_allclose(g_x, 0 + 2 * 2 * 3)
    verify_grad(polynomial, [np.array([1., -0.5, 2.]), np.array(1.3)])


# ---------------------------------------------------------------- recurrences and their gradients
def rnn(X, h0, W, U):
    hs, _ = theano.scan(lambda x_t, h, W, U: T.tanh(T.dot(x_t, W) + T.dot(h, U)),
                        sequences=X, outputs_info=h0, non_sequences=[W, U])
    return hs


def rnn_point(rng):
    return [rng.standard_normal((5, 2, 3)), rng.standard_normal((2, 4)),
            rng.standard_normal((3, 4)) * 0.5, rng.standard_normal((4, 4)) * 0.5]


def test_rnn_gradient_matches_finite_differences(rng):
    verify_grad(rnn, rnn_point(rng), rng=rng)


def test_rnn_implicit_outer_variables(rng):
    """fn reads W and U without naming them as non-sequences."""
    X, h0, W, U = T.dtensor3("X"), T.dmatrix("h0"), T.dmatrix("W"), T.dmatrix("U")
    hs, _ = theano.scan(lambda x_t, h: T.tanh(T.dot(x_t, W) + T.dot(h, U)), sequences=X, outputs_info=h0)
    cost = (hs ** 2).sum()
    f = theano.function([X, h0, W, U], T.grad(cost, [W, U, h0, X]))
    g = theano.function([X, h0, W, U], T.grad((rnn(X, h0, W, U) ** 2).sum(), [W, U, h0, X]))
    point = rnn_point(rng)
    for a, b in zip(f(*point), g(*point)):
        np.testing.assert_allclose(a, b)


def test_rnn_second_derivative(rng):
    """The gradient is a scan: differentiate it again (Hessian-vector product by Rop
    over the gradient and by double backward agree with finite differences)."""
    point = rnn_point(rng)
    verify_grad(lambda X, h0, W, U: T.grad((rnn(X, h0, W, U) ** 2).sum(), W), point, rng=rng)


def test_rnn_pushforward_matches_jacobian(rng):
    X, h0, W, U = T.dtensor3("X"), T.dmatrix("h0"), T.dmatrix("W"), T.dmatrix("U")
    V = T.dmatrix("V")
    hs = rnn(X, h0, W, U)
    f = theano.function([X, h0, W, U, V], T.Rop(hs, W, V))
    point = rnn_point(rng)
    v = rng.standard_normal(point[2].shape)
    fn = theano.function([X, h0, W, U], hs)
    jac = numeric_jacobian(lambda w: fn(point[0], point[1], w, point[3]), point[2])
    np.testing.assert_allclose(f(*point, v), np.tensordot(jac, v, axes=2), rtol=1e-6, atol=1e-8)


def test_rop_through_sequences_and_initial_state(rng):
    x, h0 = T.dvector("x"), T.dscalar("h0")
    out, _ = theano.scan(lambda x_t, h: h * T.sin(x_t) + x_t ** 2, sequences=x, outputs_info=h0)
    vx, vh = T.dvector("vx"), T.dscalar("vh")
    f = theano.function([x, h0, vx, vh], T.Rop(out, [x, h0], [vx, vh]))
    fn = theano.function([x, h0], out)
    xv, hv = rng.standard_normal(4), 0.7
    dx, dh = rng.standard_normal(4), -0.3
    eps = 1e-6
    numeric = (fn(xv + eps * dx, hv + eps * dh) - fn(xv - eps * dx, hv - eps * dh)) / (2 * eps)
    np.testing.assert_allclose(f(xv, hv, dx, dh), numeric, rtol=1e-6)


def test_truncate_gradient():
    x, h0 = T.dvector("x"), T.dscalar("h0")
    out, _ = theano.scan(lambda x_t, h: 2 * h + x_t, sequences=x, outputs_info=h0, truncate_gradient=2)
    f = theano.function([x, h0], T.grad(out[-1], [x, h0]))
    g_x, g_h0 = f(np.ones(5), 1.0)
    np.testing.assert_allclose(g_x, [0, 0, 0, 2, 1])
    assert g_h0 == 0
    full, _ = theano.scan(lambda x_t, h: 2 * h + x_t, sequences=x, outputs_info=h0)
    g_x, g_h0 = theano.function([x, h0], T.grad(full[-1], [x, h0]))(np.ones(5), 1.0)
    np.testing.assert_allclose(g_x, [16, 8, 4, 2, 1])
    assert g_h0 == 32


# ---------------------------------------------------------------- taps, several outputs, until
def test_sequence_and_output_taps():
    """Fibonacci-like: x_t = x_{t-2} + x_{t-1} + s_{t-1} * s_{t+1}."""
    s, x0 = T.dvector("s"), T.dvector("x0")
    out, _ = theano.scan(lambda s_prev, s_next, x2, x1: x2 + x1 + s_prev * s_next,
                         sequences=dict(input=s, taps=[-1, 1]),
                         outputs_info=dict(initial=x0, taps=[-2, -1]))
    f = theano.function([s, x0], out)
    sv, x0v = np.arange(1., 7.), np.array([1., 1.])
    want, hist = [], list(x0v)
    for t in range(1, 5):
        hist.append(hist[-2] + hist[-1] + sv[t - 1] * sv[t + 1])
        want.append(hist[-1])
    np.testing.assert_allclose(f(sv, x0v), want)
    verify_grad(lambda s, x0: theano.scan(lambda a, b, x2, x1: x2 * 0.5 + x1 * a + b,
                                          sequences=dict(input=s, taps=[-1, 1]),
                                          outputs_info=dict(initial=x0, taps=[-2, -1]))[0], [sv / 3, x0v])


def test_several_outputs_and_map_like_outputs():
    x = T.dvector("x")
    (total, squares, count), _ = theano.scan(lambda x_t, acc, n: (acc + x_t, x_t ** 2, n + 1),
                                             sequences=x, outputs_info=[T.constant(0.0), None, T.constant(0)])
    f = theano.function([x], [total, squares, count])
    t, sq, c = f([1., 2., 3.])
    np.testing.assert_allclose(t, [1, 3, 6])
    np.testing.assert_allclose(sq, [1, 4, 9])
    np.testing.assert_array_equal(c, [1, 2, 3])


def test_until_stops_after_the_step():
    x0 = T.dscalar("x0")
    out, _ = theano.scan(lambda x: (x * 2, until(x * 2 > 100)), outputs_info=x0, n_steps=20)
    f = theano.function([x0], out)
    np.testing.assert_allclose(f(3.0), [6, 12, 24, 48, 96, 192])
    g = theano.function([x0], T.grad(out[-1], x0))
    assert g(3.0) == 64
    assert theano.scan.until is until


def test_go_backwards_foldl_foldr_reduce():
    x = T.dvector("x")
    rev, _ = theano.scan(lambda x_t: x_t, sequences=x, go_backwards=True)
    left, _ = theano.foldl(lambda x_t, acc: acc * 10 + x_t, sequences=x, outputs_info=T.constant(0.0))
    right, _ = theano.foldr(lambda x_t, acc: acc * 10 + x_t, sequences=x, outputs_info=T.constant(0.0))
    total, _ = theano.reduce(lambda x_t, acc: acc + x_t, sequences=x, outputs_info=T.constant(0.0))
    f = theano.function([x], [rev, left, right, total])
    r, lv, rv, tv = f([1., 2., 3.])
    np.testing.assert_array_equal(r, [3, 2, 1])
    assert (lv, rv, tv) == (123, 321, 6)


def test_nested_scans(rng):
    """The sum over i of prod over j of (1 + a_i * b_j), a loop inside a loop's body."""
    a, b = T.dvector("a"), T.dvector("b")

    def outer(a_i, b):
        inner, _ = theano.scan(lambda b_j, p: p * (1 + a_i * b_j), sequences=b, outputs_info=T.constant(1.0))
        return inner[-1]
    rows, _ = theano.map(outer, sequences=a, non_sequences=b)
    total = rows.sum()
    f = theano.function([a, b], [total] + T.grad(total, [a, b]))
    av, bv = rng.standard_normal(3), rng.standard_normal(4)
    np.testing.assert_allclose(f(av, bv)[0], np.prod(1 + np.outer(av, bv), axis=1).sum())
    verify_grad(lambda a, b: theano.map(outer, sequences=a, non_sequences=b)[0], [av, bv], rng=rng)


def test_shared_variable_updates_from_fn():
    counter = theano.shared(np.float64(0.0), name="counter")
    xs = T.dvector("xs")
    out, updates = theano.scan(lambda x_t: (x_t + counter, {counter: counter + 1}), sequences=xs)
    f = theano.function([xs], out, updates=updates)
    np.testing.assert_allclose(f([10., 20., 30.]), [10, 21, 32])
    assert counter.get_value() == 3
    np.testing.assert_allclose(f([0.]), [3])


# ---------------------------------------------------------------- loops that stay loops
def test_recurrence_is_not_vectorized():
    x, h0 = T.dvector("x"), T.dscalar("h0")
    out, _ = theano.scan(lambda x_t, h: h + x_t, sequences=x, outputs_info=h0)
    f = theano.function([x, h0], out)
    assert len(scans_in(f)) == 1
    np.testing.assert_allclose(f([1., 2., 3.], 0.5), [1.5, 3.5, 6.5])


def test_loop_invariants_are_hoisted():
    """exp(W) depends on no step: it is computed once, outside the body."""
    x, W = T.dvector("x"), T.dmatrix("W")
    out, _ = theano.scan(lambda h: T.tanh(T.dot(T.exp(W), h)), outputs_info=x, n_steps=3)
    f = theano.function([x, W], out)
    (node,) = scans_in(f)
    assert [str(n.op) for n in node.op.inner_fgraph().toposort()] == ["Dot{0, 1}", "tanh"]
    wv = np.eye(2) * 0.1
    np.testing.assert_allclose(f([1., 2.], wv)[0], np.tanh(np.exp(wv) @ [1., 2.]))


def test_gradient_skips_unrequested_sequence_gradients():
    X, h0, W, U = T.dtensor3("X"), T.dmatrix("h0"), T.dmatrix("W"), T.dmatrix("U")
    f = theano.function([X, h0, W, U], T.grad((rnn(X, h0, W, U) ** 2).sum(), W))
    backward = [n for n in scans_in(f) if n.op.name and n.op.name.startswith("grad")]
    (node,) = backward
    assert node.op.n_nit == 0 and node.op.last_only


# ---------------------------------------------------------------- errors
def test_error_wrong_number_of_outputs():
    x = T.dvector("x")
    with pytest.raises(InputError, match="fn returned 2 outputs but outputs_info has 1"):
        theano.scan(lambda x_t, h: (h + x_t, h), sequences=x, outputs_info=T.constant(0.0))


def test_error_fn_returns_a_non_tensor():
    with pytest.raises(InputError, match="outputs must be tensors"):
        theano.scan(lambda x_t: None, sequences=T.dvector("x"))


def test_error_initial_state_dtype_and_shape():
    x = T.dvector("x")
    with pytest.raises(InputError, match=r"outputs_info\[0\] is float32 of shape \(\).*float64"):
        theano.scan(lambda x_t, h: h + x_t, sequences=x, outputs_info=T.fscalar("h0"))
    with pytest.raises(InputError, match=r"outputs_info\[0\] is float64 of shape \(3,\).*shape \(2,\)"):
        theano.scan(lambda h: h[:2], outputs_info=T.tensor("float64", (3,)), n_steps=2)


def test_error_negative_n_steps():
    with pytest.raises(InputError, match="n_steps is -1"):
        theano.scan(lambda h: h, outputs_info=T.dscalar("h0"), n_steps=-1)
    n, h0 = T.lscalar("n"), T.dscalar("h0")
    out, _ = theano.scan(lambda h: h * 2, outputs_info=h0, n_steps=n)
    with pytest.raises(ShapeError, match="n_steps is -2"):
        theano.function([h0, n], out)(1.0, -2)


def test_error_sequences_shorter_than_n_steps():
    x, n = T.dvector("x"), T.lscalar("n")
    out, _ = theano.scan(lambda x_t: x_t * 2, sequences=x, n_steps=n)
    with pytest.raises(ShapeError, match=r"sequence 0 \(shape \(2,\)\) is shorter than n_steps = 3"):
        theano.function([x, n], out)([1., 2.], 3)


def test_error_shape_changes_between_steps():
    h0 = T.dvector("h0")
    out, _ = theano.scan(lambda h: T.concatenate([h, h]), outputs_info=h0, n_steps=2)
    with pytest.raises(ShapeError, match=r"has shape \(4,\).*shape \(2,\)"):
        theano.function([h0], out)([1., 2.])


def test_error_no_sequences_and_no_n_steps():
    with pytest.raises(InputError, match="give sequences"):
        theano.scan(lambda h: h, outputs_info=T.dscalar("h0"))
