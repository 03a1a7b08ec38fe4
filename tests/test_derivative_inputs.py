"""A derivative keeps its ``wrt`` as an input of the graph, as ``grad`` does in Theano,
even where its value does not depend on it (a constant Jacobian, a disconnected input,
static shapes): ``function([x], T.jacobian(x * 2, x))`` must not raise UnusedInputError."""
import numpy as np
import pytest

import gpugrad as theano
import gpugrad.tensor as T


def test_jacobian_of_a_linear_function_of_a_scalar():
    x = T.dscalar('x')
    f = theano.function([x], T.jacobian(x * 2, x))
    assert f(3.0) == 2.0


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_constant_jacobians_of_static_shapes(mode):
    x = T.tensor('float64', shape=(3,), name='x')
    f = theano.function([x], T.jacobian(2 * x, x, mode=mode))
    np.testing.assert_array_equal(f(np.ones(3)), 2 * np.eye(3))


def test_disconnected_inputs_ignored_give_zeros_and_stay_inputs():
    x, z = T.dvector('x'), T.dmatrix('z')
    jx, jz = T.jacobian(x ** 2, [x, z], disconnected_inputs='ignore')
    f = theano.function([x, z], [jx, jz])
    got_x, got_z = f([1., 2.], np.ones((3, 4)))
    np.testing.assert_array_equal(got_x, np.diag([2., 4.]))
    assert got_z.shape == (2, 3, 4) and not got_z.any()
    s = T.dscalar('s')
    assert theano.function([x, s], T.jacobian(x * 3, s, disconnected_inputs='ignore'))([1., 2.], 5.).shape == (2,)


def test_grad_and_hessian_keep_static_shaped_inputs():
    x = T.tensor('float64', shape=(2,), name='x')
    y = T.dscalar('y')
    g = theano.function([x, y], T.grad((x * 3).sum(), [x, y], disconnected_inputs='ignore'))
    gx, gy = g(np.ones(2), 1.0)
    np.testing.assert_array_equal(gx, [3., 3.])
    assert gy == 0
    h = theano.function([x], T.hessian((x * 3).sum(), x))
    np.testing.assert_array_equal(h(np.ones(2)), np.zeros((2, 2)))
    s = T.dscalar('s')
    assert theano.function([s], T.hessian(s * 5, s))(1.0) == 0
