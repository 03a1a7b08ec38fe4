"""R-ops and L-ops against Jacobians built by ``scan`` over ``grad`` of each output entry,
as PyTensor's tests/test_rop.py (RopLopChecker) checks them: its cases, ported to
gpugrad (``T.disconnected_grad`` plays its non-differentiable ``break_op``)."""
import numpy as np
import pytest

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad import function
from gpugrad.errors import DisconnectedInputError
from gpugrad.graph import clone_replace
from gpugrad.gradient import grad, pullback, pushforward
from gpugrad.printing import Print

break_op = T.disconnected_grad


class Checker:
    def __init__(self, rng):
        self.rng = rng
        self.x, self.v = T.vector("x"), T.vector("v")
        self.mx, self.mv = T.matrix("mx"), T.matrix("mv")
        self.in_shape = (5 + int(rng.integers(3)),)
        self.mat_in_shape = (5 + int(rng.integers(3)), 5 + int(rng.integers(3)))

    def nondiff(self, y, x, v):
        with pytest.raises(ValueError):
            pushforward(y, x, v, use_op_pushforward=True)

    def _scan_jacobian(self, y, x):
        jac, _ = theano.scan(lambda i, y, x: grad(y[i], x), sequences=T.arange(y.shape[0]), non_sequences=[y, x])
        return jac

    def rop_lop(self, y, out_shape, check_nondiff=True):
        """y a vector function of the vector self.x."""
        vx, vv = self.rng.uniform(size=self.in_shape), self.rng.uniform(size=self.in_shape)
        jac = self._scan_jacobian(y, self.x)
        reference = function([self.x, self.v], T.dot(jac, self.v), on_unused_input="ignore")(vx, vv)
        for use_op in (True, False):
            rop = function([self.x, self.v], pushforward(y, self.x, self.v, use_op_pushforward=use_op),
                           on_unused_input="ignore")
            np.testing.assert_allclose(rop(vx, vv), reference, rtol=1e-7)
        if check_nondiff:
            self.nondiff(clone_replace(y, replace={self.x: break_op(self.x)}), self.x, self.v)
        vx, vv = self.rng.uniform(size=self.in_shape), self.rng.uniform(size=out_shape)
        lop = function([self.x, self.v], pullback(y, self.x, self.v), on_unused_input="ignore")
        reference = function([self.x, self.v], T.dot(self.v, self._scan_jacobian(y, self.x)))(vx, vv)
        np.testing.assert_allclose(lop(vx, vv), reference, rtol=1e-7)

    def mat_rop_lop(self, y, out_shape):
        """y a vector function of the matrix self.mx."""
        vx, vv = self.rng.uniform(size=self.mat_in_shape), self.rng.uniform(size=self.mat_in_shape)
        rows, _ = theano.scan(lambda i, y, x, v: (grad(y[i], x) * v).sum(), sequences=T.arange(y.shape[0]),
                              non_sequences=[y, self.mx, self.mv])
        reference = function([self.mx, self.mv], rows, on_unused_input="ignore")(vx, vv)
        for use_op in (True, False):
            rop = function([self.mx, self.mv], pushforward(y, self.mx, self.mv, use_op_pushforward=use_op),
                           on_unused_input="ignore")
            np.testing.assert_allclose(rop(vx, vv), reference)
        self.nondiff(clone_replace(y, replace={self.mx: break_op(self.mx)}), self.mx, self.mv)
        vv = self.rng.uniform(size=out_shape)
        lop = function([self.mx, self.v], pullback(y, self.mx, self.v))
        reference = function([self.mx, self.v], grad((self.v * y).sum(), self.mx))
        np.testing.assert_allclose(lop(vx, vv), reference(vx, vv))


@pytest.fixture
def check(rng):
    return Checker(rng)


def test_max(check):
    check.mat_rop_lop(T.max(check.mx, axis=0), (check.mat_in_shape[1],))
    check.mat_rop_lop(T.max(check.mx, axis=1), (check.mat_in_shape[0],))


def test_argmax(check):
    check.nondiff(T.argmax(check.mx, axis=1), check.mx, check.mv)


def test_subtensor(check):
    check.rop_lop(check.x[:4], (4,))


def test_inc_and_set_subtensor(check):
    t3, t10 = theano.shared(check.rng.uniform(size=(3,))), theano.shared(check.rng.uniform(size=(10,)))
    check.rop_lop(T.inc_subtensor(check.x[:3], t3), check.in_shape)
    check.rop_lop(T.inc_subtensor(t10[:4], check.x[:4]), (10,))
    check.rop_lop(T.set_subtensor(check.x[:3], t3), check.in_shape)
    check.rop_lop(T.set_subtensor(t10[:4], check.x[:4]), (10,))


def test_print(check):
    check.rop_lop(Print("x", attrs=("shape",), global_fn=lambda op, value: None)(check.x), check.in_shape)


def test_dimshuffle_and_join(check):
    check.rop_lop(check.x[:4].dimshuffle("x", 0).sum(axis=0), (4,))
    t = theano.shared(check.rng.uniform(size=(10,)))
    check.rop_lop(T.join(0, check.x, t), (check.in_shape[0] + 10,))


def test_dot_and_elemwise(check):
    w = theano.shared(check.rng.uniform(size=(check.in_shape[0],) * 2))
    check.rop_lop(T.dot(check.x, w), check.in_shape)
    check.rop_lop((check.x + 1) ** 2, check.in_shape)
    check.rop_lop(check.x + T.cast(check.x, "int32"), check.in_shape)


def test_flatten_sum_softmax(check):
    check.mat_rop_lop(check.mx.flatten(), (check.mat_in_shape[0] * check.mat_in_shape[1],))
    check.mat_rop_lop(check.mx.sum(axis=1), (check.mat_in_shape[0],))
    check.rop_lop(T.nnet.softmax(check.x, axis=-1), check.in_shape)


def test_alloc(check):
    check.rop_lop(T.alloc(check.x.sum(), check.in_shape[0]), check.in_shape[0])
    out3d = T.alloc(check.x, check.mat_in_shape[0], check.mat_in_shape[1], check.in_shape[0])
    check.rop_lop(out3d.flatten(), check.mat_in_shape[0] * check.mat_in_shape[1] * check.in_shape[0])


@pytest.mark.parametrize("use_op", [True, False])
def test_invalid_input(use_op):
    with pytest.raises(ValueError):
        pushforward(0.0, [T.matrix()], [T.vector()], use_op_pushforward=use_op)


@pytest.mark.parametrize("use_op", [True, False])
def test_multiple_outputs(use_op, rng):
    m, v, m_, v_ = T.matrix("m"), T.vector("v"), T.matrix("m_"), T.vector("v_")
    as_list = pushforward([m, v, m + v], [m, v], [m_, v_], use_op_pushforward=use_op)
    as_tuple = pushforward((m, v, m + v), [m, v], [m_, v_], use_op_pushforward=use_op)
    assert isinstance(as_list, list) and len(as_list) == 3
    assert isinstance(as_tuple, tuple) and len(as_tuple) == 3
    values = [rng.uniform(size=s) for s in ((3, 7), (7,), (3, 7), (7,))]
    got = function([m, v, m_, v_], list(as_list) + list(as_tuple))(*values)
    np.testing.assert_allclose(got[2], values[2] + values[3])
    np.testing.assert_allclose(got[5], got[2])


@pytest.mark.parametrize("use_op", [True, False])
def test_rop_partially_differentiable_paths(use_op):
    x = T.arange(20.0).reshape([1, 20])
    v = theano.shared(np.ones([20]), name="v")
    d = T.dot(x, v).sum()
    with pytest.raises(DisconnectedInputError):  # d(grad)/dv is 0: the gradient does not depend on v
        pushforward(grad(d, v), v, v, use_op_pushforward=use_op)
    zero = pushforward(grad(d, v), v, v, use_op_pushforward=use_op, disconnected_outputs="ignore")
    assert not function([], zero)().any()
    x, y = T.matrix("x"), T.matrix("y")
    pushforward(T.dot(x, break_op(y)).sum(), [x], [x.type()], use_op_pushforward=use_op)
    for out in (T.dot(break_op(x), y).sum(), T.dot(break_op(x), break_op(y)).sum()):
        with pytest.raises(ValueError):
            pushforward(out, [x], [x.type()], use_op_pushforward=use_op, disconnected_outputs="raise")
