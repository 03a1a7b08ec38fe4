"""Theano's surface around variables: types as values, row/col and plural constructors,
``eval``, ``clone``, ``join``, ``specify_shape``, gradient names, ``scalar.upcast``,
``xlogx`` and PyTensor's spellings of the derivative functions."""
import numpy as np
import pytest

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad.errors import InputError, ShapeError
from gpugrad.gradient import verify_grad
from gpugrad.ops.specify import SpecifyShape


def test_typed_constructors_are_types():
    x = T.dscalar('x')
    assert x.type is T.dscalar and x.type == T.dscalar
    assert repr(T.dscalar) == "TensorType(float64, scalar)"
    assert [str(t) for t in (T.fvector, T.imatrix, T.drow, T.lcol, T.ztensor3)] == [
        "TensorType(float32, vector)", "TensorType(int32, matrix)", "TensorType(float64, row)",
        "TensorType(int64, col)", "TensorType(complex128, 3D)"]
    assert str(T.tensor('float32', shape=(None, 3)).type) == "TensorType(float32, shape=(None, 3))"
    y = x.type('y')
    assert y.type is T.dscalar and y.name == 'y' and y is not x
    with pytest.raises(TypeError, match="float64"):
        T.dmatrix('m', dtype='float32')


def test_rows_cols_and_higher_ranks():
    assert T.row('r').broadcastable == (True, False)
    assert T.col(dtype='int32').type == T.icol
    assert T.frow().type.shape == (1, None) and T.dcol().type.shape == (None, 1)
    assert T.tensor7('t').ndim == 7 and T.btensor5().dtype == 'int8'
    r, m = T.drow('r'), T.dmatrix('m')
    got = theano.function([r, m], r + m)(np.ones((1, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(got, np.ones((2, 3)))


def test_plural_constructors():
    a, b = T.dscalars('a', 'b')
    assert (a.name, b.name, a.type) == ('a', 'b', T.dscalar)
    x, s = T.scalars('xs')  # as in Theano, one string is a sequence of one-letter names
    assert (x.name, s.name) == ('x', 's')
    assert T.dmatrices('m').name == 'm'
    three = T.ivectors(3)
    assert len(three) == 3 and all(v.type is T.ivector for v in three)
    assert [v.type for v in T.matrices('p', 'q')] == [T.matrix().type] * 2
    assert T.fcols('c', 'd')[1].type is T.fcol and T.tensor3s('u', 'v')[0].ndim == 3


def test_eval_compiles_once_per_set_of_inputs():
    x, y = T.dscalars('x', 'y')
    z = x + y
    assert np.allclose(z.eval({x: 16.3, y: 12.1}), 28.4)
    assert z.eval({x: 1.0, y: 2.0}) == 3.0
    assert z.eval({'x': 1.0, 'y': 5.0}) == 6.0
    assert len(z._eval_functions) == 1
    assert (x * 2).eval({x: 3.0}) == 6.0
    assert T.constant(4.0).eval() == 4.0
    with pytest.raises(TypeError, match="'w'"):
        z.eval({'w': 1.0})


def test_dot_clone_and_join():
    x, w = T.dvector('x'), T.dmatrix('w')
    y = theano.dot(x, w) + 1
    v = T.dvector('v')
    z = theano.clone(y, replace={x: v * 2})
    f = theano.function([v, w], z)
    np.testing.assert_allclose(f([1., 2.], np.eye(2)), [3., 5.])
    pair = theano.clone([y, y * 3], replace=[(x, v)])
    assert isinstance(pair, list) and len(pair) == 2
    fresh = theano.graph.clone_replace(y, share_inputs=False)
    assert x not in theano.graph.traversal.graph_inputs([fresh])
    with pytest.raises(InputError, match="cannot be replaced"):
        theano.clone(y, replace={x: T.dmatrix()})
    a, b = T.dmatrices('a', 'b')
    got = theano.function([a, b], T.join(1, a, b, a))(np.ones((2, 1)), np.zeros((2, 2)))
    np.testing.assert_array_equal(got, [[1, 0, 0, 1]] * 2)


@pytest.mark.parametrize("device", ["cpu", "cuda-sim"])
def test_specify_shape(device, rng):
    x = T.dmatrix('x')
    y = T.specify_shape(x, (2, None))
    assert y.type.shape == (2, None) and isinstance(y.owner.op, SpecifyShape)
    f = theano.function([x], y * 2, device=device)
    np.testing.assert_array_equal(f(np.ones((2, 3))), 2 * np.ones((2, 3)))
    with pytest.raises(ShapeError, match=r"specified as \(2, None\)"):
        f(np.ones((3, 3)))
    np.testing.assert_array_equal(f(np.ones((2, 1))), [[2.], [2.]])  # the function still works
    with pytest.raises(ShapeError, match="size 2 on axis 0"):
        T.specify_shape(y, (3, None))
    z = T.dmatrix('z')
    same = T.specify_shape(x, z.shape)
    assert theano.function([x, z], same.sum(), device=device)(np.ones((2, 2)), np.ones((2, 2))) == 4
    with theano.config.change_flags(device=device):
        verify_grad(lambda a: T.specify_shape(a, (2, 3)) ** 2, [rng.standard_normal((2, 3))], rng=rng)
    v = T.dmatrix('v')
    rop = theano.function([x, v], T.Rop(T.specify_shape(x, (2, 2)) ** 2, x, v), device=device)
    np.testing.assert_allclose(rop(np.full((2, 2), 3.), np.ones((2, 2))), np.full((2, 2), 6.))
    jac = theano.function([x], T.jacobian(T.specify_shape(x, (None, 2)).sum(axis=0) ** 2, x), device=device)
    assert jac(np.ones((3, 2))).shape == (2, 3, 2)


def test_gradients_are_named_after_cost_and_wrt():
    x, w = T.dvector('x'), T.dscalar('w')
    cost = (x * w).sum()
    cost.name = 'cost'
    gx, gw = T.grad(cost, [x, w])
    assert (gx.name, gw.name) == ('(dcost/dx)', '(dcost/dw)')
    assert T.grad(cost, x, add_names=False).name is None
    assert T.grad((x * w).sum(), x).name is None  # the cost has no name


def test_scalar_upcast_and_xlogx():
    assert theano.scalar.upcast('int32', 'float32') == 'float64'
    assert theano.scalar.upcast('int8', 'int16', 'float32') == 'float32'
    x, y = T.dvectors('x', 'y')
    f = theano.function([x, y], [T.xlogx.xlogx(x), T.xlogx.xlogy0(x, y), T.grad(T.xlogx.xlogx(x).sum(), x)])
    xl, xy, g = f([0., 1., 2.], [0., 3., 4.])
    np.testing.assert_allclose(xl, [0., 0., 2 * np.log(2.)])
    np.testing.assert_allclose(xy, [0., np.log(3.), 2 * np.log(4.)])
    np.testing.assert_allclose(g, [0., 1., 1 + np.log(2.)])


def test_softmax_of_a_vector_is_a_vector():
    """Theano gave a 1 x n row; gpugrad follows NumPy, JAX and PyTensor (README)."""
    x = T.dvector('x')
    got = theano.function([x], T.nnet.softmax(x))([0., np.log(3.)])
    np.testing.assert_allclose(got, [0.25, 0.75])


def test_pytensor_spellings():
    x, v = T.dvector('x'), T.dvector('v')
    y = x ** 2
    f = theano.function([x, v], [theano.pushforward(y, x, v), theano.pullback(y, x, v),
                                 T.Rop(y, x, v, use_op_rop_implementation=False),
                                 T.jacobian(y, x, vectorize=False)])
    r, l, r2, j = f([1., 2.], [1., 1.])
    np.testing.assert_allclose(r, [2., 4.])
    np.testing.assert_allclose(l, [2., 4.])
    np.testing.assert_allclose(r2, r)
    np.testing.assert_allclose(j, np.diag([2., 4.]))
    z = T.dscalar('z')
    assert T.grad(x.sum(), [x, z], disconnected_inputs='ignore', return_disconnected='none')[1] is None
    assert T.Rop([y, z * 2], x, v, disconnected_outputs='ignore', return_disconnected='none')[1] is None
