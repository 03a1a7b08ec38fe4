"""Containers in, the same containers out, as in Theano: a tuple ``wrt`` (``grad``,
``Lop``, ``jacobian``, ``hessian``) or a tuple ``f`` (``Rop``) gives a tuple back, a list a
list, one variable one variable."""
import numpy as np
import pytest

import gpugrad as theano
import gpugrad.tensor as T


@pytest.fixture
def graph():
    x, y = T.dvector('x'), T.dscalar('y')
    return x, y, (x ** 2).sum() * y


def _values(f, *args):
    return [np.asarray(v) for v in f(*args)]


def test_grad_with_a_tuple_wrt(graph):
    x, y, cost = graph
    grads = T.grad(cost, (x, y))
    assert type(grads) is tuple and len(grads) == 2
    assert type(T.grad(cost, [x, y])) is list
    gx, gy = _values(theano.function([x, y], list(grads)), [1., 2.], 3.)
    np.testing.assert_allclose(gx, [6., 12.])
    assert gy == 5.


def test_jacobian_and_hessian_with_a_tuple_wrt(graph):
    x, y, cost = graph
    assert type(T.jacobian(x * y, (x, y))) is tuple
    assert type(T.hessian(cost, (x, y))) is tuple
    assert type(T.hessian(cost, [x, y])) is list


def test_lop_with_a_tuple_wrt_and_rop_with_a_tuple_f(graph):
    x, y, _ = graph
    u, v = T.dvector('u'), T.dvector('v')
    lop = T.Lop(x * y, (x, y), u)
    assert type(lop) is tuple
    rop = T.Rop((x * y, x.sum()), x, v)
    assert type(rop) is tuple
    assert type(T.Rop([x * y], x, v)) is list
    f = theano.function([x, y, u, v], list(lop) + list(rop))
    lx, ly, r0, r1 = _values(f, [1., 2.], 3., [1., 1.], [2., 5.])
    np.testing.assert_allclose(lx, [3., 3.])
    assert ly == 3.
    np.testing.assert_allclose(r0, [6., 15.])
    assert r1 == 7.


def test_hessian_vector_product_with_tuples(graph):
    x, y, cost = graph
    p, q = T.dvector('p'), T.dscalar('q')
    hv = T.hessian_vector_product(cost, (x, y), (p, q))
    assert type(hv) is tuple
