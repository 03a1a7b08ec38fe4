"""``grad``, ``jacobian``, ``hessian`` and the gradient ops, with the cases of PyTensor's
tests/test_gradient.py that use only the public API, ported to gpugrad (the cases that
define their own Ops, NullType or random streams belong to user-defined Ops, issue 18)."""
import numpy as np
import pytest
from scipy.optimize import rosen_hess_prod

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad.errors import DisconnectedInputError
from gpugrad.gradient import (grad, grad_clip, grad_scale, hessian, hessian_vector_product, jacobian,
                              subgraph_grad, verify_grad, zero_grad, disconnected_grad)
from gpugrad.ops.gradient_ops import GradientOp

one = T.as_tensor_variable(1.0)


def _rng():
    return np.random.default_rng([2012, 8, 28])


def test_grad_keep_type():
    X = T.matrix()
    y = X.sum()
    assert isinstance(grad(y, [X]), list)
    assert not isinstance(grad(y, X), list)


def test_zero_gradient_shape():
    x = T.dmatrix()
    f = theano.function([x], grad(T.dscalar(), x, disconnected_inputs="ignore"))
    a = np.ones((3, 7))
    assert (f(a) == 0).all() and f(a).shape == a.shape


def test_cost_is_scalar():
    v, m = T.vector(), T.matrix()
    with pytest.raises(TypeError):
        grad(v, v)
    with pytest.raises(TypeError):
        grad(m, m)


def test_grad_name():
    A, x = T.matrix("A"), T.vector("x")
    f = T.dot(x, T.dot(A, x))
    f.name = "f"
    assert grad(f, x).name == "(df/dx)"


@pytest.mark.parametrize("output", [
    lambda x, A: x * x,
    lambda x, A: T.dot(x, T.dot(A, x)),
    lambda x, A: T.dot(x * x, A),
    lambda x, A: T.dot(x * x, T.dot(A, x)),
    lambda x, A: grad(T.dot(x, T.dot(A, x)), x),
    lambda x, A: grad(T.dot(x * x, T.dot(A, x)), x),
], ids=["duplicate_input", "quadratic", "quadratic_vector", "cubic", "grad_grad_quadratic", "grad_grad_cubic"])
def test_verify_grad_of_small_graphs(output):
    rng = _rng()
    verify_grad(output, [rng.standard_normal(2), rng.standard_normal((2, 2))], rng=rng)


def test_grad_int():
    W, b = T.matrix(), T.vector()

    def make_grad_func(X):
        cost = T.nnet.sigmoid(T.dot(X, W) + b).sum()
        return theano.function([X, W, b], grad(cost, X), on_unused_input="ignore")

    rng = np.random.default_rng([2012, 9, 5])
    X = (rng.standard_normal((5, 3)) * 127.0).astype("int32")
    Wv, bv = rng.standard_normal((3, 4)), rng.standard_normal(4)
    np.testing.assert_allclose(make_grad_func(T.imatrix())(X, Wv, bv),
                               make_grad_func(T.matrix(dtype="float64"))(X.astype("float64"), Wv, bv))


def test_grad_disconnected():
    x = T.vector(name="x")
    total = x.sum()
    num_elements = x.shape[0]
    cost = T.alloc(total / num_elements, num_elements).sum()
    f = theano.function([x], grad(cost, x, add_names=False))
    np.testing.assert_allclose(f(np.random.default_rng([2012, 9, 5]).standard_normal(3)), np.ones(3))


def test_downcast_dtype():
    x = T.fscalar("x")
    y = x * 2
    z = T.lscalar("z")
    c = y + z
    dc_dx, dc_dy, dc_dz, dc_dc = grad(c, [x, y, z, c])
    assert {dc_dc.dtype, dc_dz.dtype, dc_dy.dtype} <= {"float32", "float64"}
    assert dc_dx.dtype == "float32"


def test_grad_constant():
    x, y = T.scalar(), T.scalar()
    g_x = grad(x + y, x, consider_constant=[x])
    g_one = grad(one + y, one)
    got_x, got_one = theano.function([x, y], [g_x, g_one])(1, 0.5)
    assert np.allclose(got_x, got_one)


def test_known_grads():
    full_range = T.arange(10)
    x, t, coeffs = T.scalar("x"), T.iscalar("t"), T.vector("c")
    ft, ct = full_range[t], coeffs[t]
    p = x ** ft
    y = ct * p
    cost = T.sqr(y)
    layers = [[cost], [y], [ct, p], [ct, x, ft], [coeffs, t, full_range, x]]
    inputs = [coeffs, t, x]
    rng = np.random.default_rng([2012, 11, 15])
    values = [rng.standard_normal(10), np.int32(rng.integers(10)), rng.standard_normal()]
    true_grads = theano.function(inputs, grad(cost, inputs, disconnected_inputs="ignore"))(*values)
    for layer in layers:
        known = dict(zip(layer, grad(cost, layer, disconnected_inputs="ignore")))
        full = grad(cost=None, known_grads=known, wrt=inputs, disconnected_inputs="ignore")
        for a, b in zip(true_grads, theano.function(inputs, full)(*values)):
            np.testing.assert_allclose(a, b)


def test_dxdx_and_known_grads_of_integers():
    x = T.iscalar()
    assert np.allclose(grad(x, x).eval({x: 12}), 1.0)
    g_expected = T.scalar()
    f = theano.function([g_expected], grad(cost=None, known_grads={x: g_expected}, wrt=x))
    assert np.allclose(f(0.6), 0.6)


def test_subgraph_grad():
    x, t = T.fvector("x"), T.fvector("t")
    w1 = theano.shared(np.random.default_rng(1).standard_normal((3, 4)))
    w2 = theano.shared(np.random.default_rng(2).standard_normal((4, 2)))
    a1 = T.tanh(T.dot(x, w1))
    a2 = T.tanh(T.dot(a1, w2))
    cost2 = T.sqr(a2 - t).sum() + T.sqr(w2.sum())
    cost1 = T.sqr(w1.sum())
    inputs = [t, x]
    rng = np.random.default_rng([2012, 11, 15])
    values = [rng.standard_normal(2).astype("float32"), rng.standard_normal(3).astype("float32")]
    true_grads = theano.function(inputs, grad(cost2 + cost1, [w2, w1]))(*values)
    next_grad, param_grads = None, []
    for params, end, cost in (([w2], [a1], cost2), ([w1], [x], cost1)):
        param_grad, next_grad = subgraph_grad(wrt=params, end=end, start=next_grad, cost=cost)
        next_grad = dict(zip(end, next_grad))
        param_grads.extend(param_grad)
    for true, got in zip(true_grads, theano.function(inputs, param_grads)(*values)):
        assert np.sum(np.abs(true - got)) < 1e-5


@pytest.mark.parametrize("stop", [zero_grad, disconnected_grad])
def test_stop_gradient_ops(stop):
    x = T.matrix("x")
    f = theano.function([x], x * stop(x))
    assert not any(isinstance(node.op, GradientOp) for node in f.maker.fgraph.toposort())
    a = np.random.default_rng(0).standard_normal((5, 5))
    cases = [(x * stop(x), x), (x * stop(T.exp(x)), T.exp(x)), (x ** 2 * stop(x), 2 * x ** 2)]
    if stop is zero_grad:
        cases.append((stop(x), T.constant(0.0)))
    for expr, expected in cases:
        got = theano.function([x], grad(expr.sum(), x, disconnected_inputs="ignore"), on_unused_input="ignore")
        want = theano.function([x], expected, on_unused_input="ignore")
        assert np.allclose(got(a), want(a))


def test_zero_grad_rop():
    x, v = T.vector(), T.vector()
    f = theano.function([x, v], T.Rop(zero_grad(x), x, v), on_unused_input="ignore")
    rng = np.random.default_rng(0)
    assert np.count_nonzero(f(rng.standard_normal(5), rng.standard_normal(5))) == 0


def test_disconnected_paths():
    x = T.matrix("x")
    with pytest.raises(DisconnectedInputError):
        grad(disconnected_grad(x).sum(), x)
    grad((x + disconnected_grad(x)).sum(), x)
    a, b = T.matrix("a"), T.matrix("b")
    y = a + disconnected_grad(b)
    with pytest.raises(DisconnectedInputError):
        grad(y.sum(), b)
    grad(y.sum(), a)


@pytest.mark.parametrize("op, want", [(lambda x: grad_clip(x, -1, 1), (1, 4)), (lambda x: grad_scale(x, 2), (8, 4))])
def test_grad_clip_and_scale(op, want):
    x = T.scalar()
    f = theano.function([x], [grad(op(x) ** 2, x), grad(x ** 2, x)])
    assert not any(isinstance(node.op, GradientOp) for node in f.maker.fgraph.toposort())
    assert np.allclose(f(2.0), want)


@pytest.mark.parametrize("container", [None, tuple, list])
def test_jacobian_vector_matrix_scalar(container):
    rng = np.random.default_rng(0)
    cases = [(T.vector(), lambda x: x * 2, (10,), lambda vx: np.eye(10) * 2),
             (T.matrix(), lambda x: 2 * x.sum(axis=0), (10, 10), None),
             (T.scalar(), lambda x: x * 2, (), lambda vx: 2)]
    expected_matrix = np.zeros((10, 10, 10))
    for dx in range(10):
        expected_matrix[dx, :, dx] = 2.0
    for x, fn, shape, expected in cases:
        jx = jacobian(fn(x), x if container is None else container([x]))
        if container is not None:
            assert isinstance(jx, container)
            jx = jx[0]
        vx = rng.uniform(size=shape)
        assert np.allclose(theano.function([x], jx)(vx), expected(vx) if expected else expected_matrix)


def test_jacobian_of_products():
    rng = np.random.default_rng(0)
    x, z = T.vector(), T.vector()
    vx, vz = rng.uniform(size=10), rng.uniform(size=10)
    jx, jz = theano.function([x, z], jacobian(x * z, [x, z]))(vx, vz)
    assert np.allclose(jx, np.diag(vz)) and np.allclose(jz, np.diag(vx))
    x, z = T.matrix(), T.matrix()
    vx, vz = rng.uniform(size=(10, 10)), rng.uniform(size=(10, 10))
    jx, jz = theano.function([x, z], jacobian((x * z).sum(axis=1), [x, z]))(vx, vz)
    ex, ez = np.zeros((10, 10, 10)), np.zeros((10, 10, 10))
    for d in range(10):
        ex[d, d, :], ez[d, d, :] = vz[d, :], vx[d, :]
    assert np.allclose(jx, ex) and np.allclose(jz, ez)
    s, r = T.scalar(), T.scalar()
    assert np.allclose(theano.function([s, r], jacobian(s * r, [s, r]))(0.25, 0.5), [0.5, 0.25])


def test_hessian():
    x = T.vector()
    assert np.allclose(theano.function([x], hessian(T.sum(x ** 2), x))(np.arange(10.)), np.eye(10) * 2)


def test_jacobian_disconnected_inputs():
    v1, v2 = T.vector(), T.vector()
    func_v = theano.function([v1, v2], jacobian(1 + v1, v2, disconnected_inputs="ignore"))
    assert np.allclose(func_v(np.arange(4.), np.arange(4.)), np.zeros((4, 4)))
    s1, s2 = T.scalar(), T.scalar()
    func_s = theano.function([s2], jacobian(1 + s1, s2, disconnected_inputs="ignore"))
    assert np.allclose(func_s(1.0), np.zeros(1))


def test_hessian_vector_product_of_rosenbrock():
    x, p = T.vector("x", dtype="float64"), T.vector("p", dtype="float64")
    rosen = (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
    x_test, p_test = 0.1 * np.arange(9), 0.5 * np.arange(9)
    np.testing.assert_allclose(hessian_vector_product(rosen, wrt=x, p=p).eval({x: x_test, p: p_test}),
                               rosen_hess_prod(x_test, p_test))


def test_hessian_vector_product_of_several_wrt():
    x, y, p_x, p_y = (T.vector(n, dtype="float64") for n in ("x", "y", "p_x", "p_y"))
    hx, hy = hessian_vector_product((x ** 2 - y ** 2).sum(), wrt=[x, y], p=[p_x, p_y])
    f = theano.function([x, y, p_x, p_y], [hx, hy])
    got_x, got_y = f(x=np.full(3, np.nan), y=np.full(3, np.nan), p_x=[1, 2, 3], p_y=[3, 2, 1])
    np.testing.assert_allclose(got_x, [2, 4, 6])
    np.testing.assert_allclose(got_y, [-6, -4, -2])
