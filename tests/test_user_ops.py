"""Ops users write with Theano's interface (graph/user_op.py, compile/ops.py): forward, grad,
Rop, Lop, jacobian and hessian (a loop where the op has no batching rule, an R-op from two
pullbacks where it has none), scan, printing, pickling, a device function, and the errors
a broken op gets, each naming the op, after which the function still works."""
import pickle

import numpy as np
import pytest

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad import function
from gpugrad.autodiff.vectorize import BatchLoop
from gpugrad.compile.ops import FromFunctionOp, as_op
from gpugrad.errors import DisconnectedInputError, GraphError, InputError, NullTypeGradError, OpContractError
from gpugrad.gradient import DisconnectedType, grad_undefined, verify_grad


class DoubleOp(theano.Op):
    """2 x (Theano's tutorial op), with grad, R_op and infer_shape."""
    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,), (out,) = inputs, output_storage
        out[0] = x + x

    def infer_shape(self, node, shapes):
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        return [2 * output_grads[0]]

    def R_op(self, inputs, eval_points):
        return [None if eval_points[0] is None else 2 * eval_points[0]]


class CubeOp(theano.Op):
    """x ** 3 with a gradient only: no R_op, no batching rule, and a grad that uses the op
    itself (so second derivatives go through it again)."""
    __props__ = ("scale",)

    def __init__(self, scale=1.0):
        self.scale = scale

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.scale * inputs[0] ** 3

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        return [g * 3 * CubeOp(self.scale)(x) / x]


class TwiceOp(DoubleOp):
    """2 x again, but its derivatives apply the op itself to the seeds and tangents, which
    a batched Jacobian then has to batch."""

    def grad(self, inputs, output_grads):
        return [TwiceOp()(output_grads[0])]

    def R_op(self, inputs, eval_points):
        return [None if eval_points[0] is None else TwiceOp()(eval_points[0])]


class SumDiff(theano.Op):
    """Two outputs, x + y and x - y; y's gradient may be declared disconnected."""
    __props__ = ()
    itypes = [T.dvector, T.dvector]
    otypes = [T.dvector, T.dvector]

    def perform(self, node, inputs, output_storage):
        x, y = inputs
        output_storage[0][0], output_storage[1][0] = x + y, x - y

    def grad(self, inputs, output_grads):
        gs, gd = output_grads
        return [gs + gd, gs - gd]


class FirstOnly(theano.Op):
    """out = x * 3, reading y only for its shape: connection_pattern says y is not connected."""
    __props__ = ()

    def make_node(self, x, y):
        x, y = T.as_tensor_variable(x), T.as_tensor_variable(y)
        return theano.Apply(self, [x, y], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 3

    def connection_pattern(self, node):
        return [[True], [False]]

    def grad(self, inputs, output_grads):
        return [output_grads[0] * 3, T.zeros_like(inputs[1])]


class PyTensorShapes(DoubleOp):
    def infer_shape(self, fgraph, node, input_shapes):
        return input_shapes


@as_op(itypes=[T.fmatrix, T.fmatrix], otypes=[T.fmatrix],
       infer_shape=lambda node, shapes: [shapes[0][:-1] + shapes[1][-1:]])
def numpy_dot(a, b):
    return np.dot(a, b)


def test_the_op_is_theanos_everywhere():
    assert theano.Op is theano.gof.Op is theano.graph.op.Op
    assert theano.Apply is theano.gof.Apply
    assert isinstance(DoubleOp(), theano.gof.Op) and DoubleOp.derived_facets
    assert not getattr(T.exp(T.dvector()).owner.op, "derived_facets", False)  # gpugrad's own ops are left alone


def test_forward_shape_and_props(rng):
    x = T.dmatrix("x")
    f = function([x], DoubleOp()(x))
    inp = rng.random((5, 4))
    np.testing.assert_allclose(f(inp), inp * 2)
    assert CubeOp(2.0) == CubeOp(2.0) and CubeOp(2.0) != CubeOp(3.0) and hash(CubeOp(2.0)) == hash(CubeOp(2.0))
    assert str(CubeOp(2.0)) == "CubeOp{2.0}"
    shape = function([x], DoubleOp()(x).shape)
    assert tuple(shape(inp)) == (5, 4)
    assert not any(isinstance(n.op, DoubleOp) for n in shape.maker.fgraph.toposort())  # infer_shape used
    assert tuple(function([x], PyTensorShapes()(x).shape)(inp)) == (5, 4)


def test_grad_rop_lop_and_verify_grad(rng):
    x, v = T.dvector("x"), T.dvector("v")
    y = DoubleOp()(x)
    g, r, lop = T.grad(T.sum(y ** 2), x), T.Rop(y, x, v), T.Lop(y, x, v)
    xv, vv = rng.standard_normal(3), rng.standard_normal(3)
    gv, rv, lv = function([x, v], [g, r, lop])(xv, vv)
    np.testing.assert_allclose(gv, 8 * xv)
    np.testing.assert_allclose(rv, 2 * vv)
    np.testing.assert_allclose(lv, 2 * vv)
    verify_grad(lambda a: T.sum(CubeOp(0.5)(a) * DoubleOp()(a)), [rng.uniform(0.5, 1.5, 4)], rng=rng)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_and_hessian_through_ops_without_batching_rules(rng, mode):
    x = T.dvector("x")
    jac = T.jacobian(CubeOp()(x) + TwiceOp()(x), x, mode=mode)
    hess = T.hessian(T.sum(CubeOp()(x) * TwiceOp()(x)), x)
    xv = rng.uniform(0.5, 1.5, 4)
    f = function([x], [jac, hess])
    jv, hv = f(xv)
    np.testing.assert_allclose(jv, np.diag(3 * xv ** 2 + 2))
    np.testing.assert_allclose(hv, np.diag(24 * xv ** 2))
    assert any(isinstance(n.op, BatchLoop) for n in f.maker.fgraph.toposort())  # TwiceOp over the seeds


def test_vectorize_loops_over_the_batch_for_an_op_without_a_rule(rng):
    x, xs = T.dvector("x"), T.dmatrix("xs")
    (ys,) = theano.vectorize([CubeOp(2.0)(x) + TwiceOp()(x)], {x: xs})
    assert str(ys.owner.inputs[0].owner.op) == "BatchLoop{CubeOp{2.0}}"
    xv = rng.standard_normal((3, 4))
    np.testing.assert_allclose(function([xs], ys)(xv), 2 * xv ** 3 + 2 * xv)
    np.testing.assert_allclose(function([xs], T.grad(T.sum(ys), xs))(xv), 6 * xv ** 2 + 2)


def test_rop_of_an_op_with_only_a_gradient_comes_from_two_pullbacks(rng):
    x, v = T.dvector("x"), T.dvector("v")
    xv, vv = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    np.testing.assert_allclose(function([x, v], T.Rop(CubeOp(2.0)(x), x, v))(xv, vv), 6 * xv ** 2 * vv)


def test_several_outputs_itypes_and_connection_pattern(rng):
    x, y = T.dvector("x"), T.dvector("y")
    s, d = SumDiff()(x, y)
    xv, yv = rng.standard_normal(3), rng.standard_normal(3)
    sv, dv, gx, gy = function([x, y], [s, d] + T.grad(T.sum(s * 2 + d), [x, y]))(xv, yv)
    np.testing.assert_allclose([sv, dv, gx, gy], [xv + yv, xv - yv, np.full(3, 3.0), np.full(3, 1.0)])
    out = FirstOnly()(x, y)
    assert function([x, y], T.grad(T.sum(out), x))(xv, yv).tolist() == [3.0] * 3
    with pytest.raises(DisconnectedInputError):
        T.grad(T.sum(out), y)
    with pytest.raises(InputError, match="input 1 must be a variable of type"):
        SumDiff()(x, T.fvector())


def test_undefined_and_disconnected_gradients():
    class Floor(DoubleOp):
        def grad(self, inputs, output_grads):
            return [grad_undefined(self, 0, inputs[0], "floor is flat")]

    class Label(DoubleOp):
        def grad(self, inputs, output_grads):
            return [DisconnectedType()()]

    x = T.dvector("x")
    with pytest.raises(NullTypeGradError, match="input 0 .* is undefined: floor is flat"):
        T.grad(T.sum(Floor()(x)), x)
    with pytest.raises(DisconnectedInputError):
        T.grad(T.sum(Label()(x)), x)


def test_as_op(rng):
    x, y = T.fmatrix(), T.fmatrix()
    product = numpy_dot(x, y)
    f = function([x, y], [product, product.shape])
    a, b = rng.random((5, 4)).astype("float32"), rng.random((4, 7)).astype("float32")
    out, shape = f(a, b)
    np.testing.assert_allclose(out, a @ b, rtol=1e-6)
    assert tuple(shape) == (5, 7) and str(numpy_dot) == "FromFunctionOp{numpy_dot}"
    assert isinstance(numpy_dot, FromFunctionOp) and numpy_dot == as_op([T.fmatrix] * 2, [T.fmatrix])(numpy_dot.fn)


def test_user_ops_and_their_graphs_pickle(rng):
    x = T.dvector("x")
    graph = CubeOp(2.0)(DoubleOp()(x))
    x2, y2, dot2 = pickle.loads(pickle.dumps((x, graph, numpy_dot)))
    assert dot2 is numpy_dot and y2.owner.op == CubeOp(2.0)
    np.testing.assert_allclose(function([x2], y2)(np.array([1.0, 2.0])), [16.0, 128.0])
    local = as_op([T.dvector], [T.dvector])(lambda a: a)
    with pytest.raises(pickle.PicklingError, match="module-level"):
        pickle.dumps(local)


def test_in_a_scan_and_printed(rng):
    x = T.dmatrix("x")
    rows, _ = theano.scan(lambda row, prev: DoubleOp()(row) + prev, sequences=x, outputs_info=T.zeros_like(x[0]))
    xv = rng.standard_normal((4, 3))
    np.testing.assert_allclose(function([x], rows)(xv), np.cumsum(2 * xv, axis=0))
    mapped, _ = theano.map(lambda row: CubeOp()(row), sequences=x)
    np.testing.assert_allclose(function([x], mapped)(xv), xv ** 3)
    assert theano.pp(DoubleOp()(x)) == "DoubleOp(x)"
    assert "DoubleOp" in theano.printing.debugprint(DoubleOp()(x), file=open("/dev/null", "w"))


def test_on_a_device_the_op_runs_on_the_host_with_transfers(rng):
    x = T.dvector("x")
    out = T.exp(DoubleOp()(T.sin(x)))
    sim, cpu = (function([x], [out, T.grad(T.sum(out), x)], device=d) for d in ("cuda-sim", "cpu"))
    xv = rng.standard_normal(5)
    for got, expected in zip(sim(xv), cpu(xv)):
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    places = {type(node.op).__name__: where for node, where in sim.placement.items()}
    assert places["DoubleOp"] == "cpu" and places["Composite"] == "cuda-sim"
    text = theano.printing.debugprint(sim, file=open("/dev/null", "w"))
    assert "DoubleOp [id" in text and "transfer_to_host" in text and "transfer_to_device" in text


class BadMakeNode(DoubleOp):
    def make_node(self, x):
        return [x]


class NoOutputs(DoubleOp):
    def make_node(self, x):
        return theano.Apply(self, [x], [])


class TypeForVariable(DoubleOp):
    def make_node(self, x):
        return theano.Apply(self, [x], [x.type])


class TooManyOutputs(SumDiff):
    def make_node(self, x, y):
        return theano.Apply(self, [x, y], [x.type(), x.type(), x.type()])


@pytest.mark.parametrize("op,error,match", [
    (BadMakeNode(), OpContractError, r"make_node of BadMakeNode returned list .* not an Apply"),
    (NoOutputs(), OpContractError, "Apply with 0 outputs"),
    (TypeForVariable(), GraphError, "output 0 is TensorType.* not a variable .*x.type()"),
])
def test_bad_make_node(op, error, match):
    with pytest.raises(error, match=match):
        op(T.dvector("x"))


def test_make_node_with_more_outputs_than_otypes():
    with pytest.raises(OpContractError, match="3 outputs but otypes has 2"):
        TooManyOutputs()(T.dvector(), T.dvector())


class Moody(DoubleOp):
    """Breaks perform's contract depending on the first value."""

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        if x[0] == 1:
            return  # leaves the output unset
        output_storage[0][0] = x.astype("float32") if x[0] == 2 else x[:1] if x[0] == 3 else x * 2


@pytest.mark.parametrize("first,match", [(1, "left output 0 .* unset"), (2, "dtype float32"),
                                         (3, r"shape \(1,\)")])
def test_bad_perform_is_an_error_naming_the_op_and_the_function_keeps_working(first, match):
    x = T.tensor("float64", shape=(3,), name="x")
    f = function([x], Moody()(x))
    with pytest.raises(OpContractError, match=f"perform of Moody .*{match}"):
        f([first, 0, 0])
    np.testing.assert_allclose(f([5, 1, 1]), [10, 2, 2])


@pytest.mark.parametrize("grad,match", [
    (lambda inputs, gs: [gs[0], gs[0]], "returned 2 gradients for its 1 inputs"),
    (lambda inputs, gs: gs[0], "must return a list"),
    (lambda inputs, gs: [T.cast(gs[0], "int64")], "integer-typed result \\(int64\\) for input 0"),
    (lambda inputs, gs: [T.sum(gs[0])], "0 dimensions for input 0"),
])
def test_bad_grad_is_an_error_naming_the_op(grad, match):
    class BadGrad(DoubleOp):
        pass
    BadGrad.grad = lambda self, inputs, output_grads: grad(inputs, output_grads)
    x = T.dvector("x")
    f = function([x], BadGrad()(x))
    with pytest.raises(OpContractError, match=f"BadGrad.grad .*{match}"):
        T.grad(T.sum(BadGrad()(x)), x)
    np.testing.assert_allclose(f([1.0]), [2.0])


def test_bad_r_op_is_an_error_naming_the_op():
    class BadROp(DoubleOp):
        def R_op(self, inputs, eval_points):
            return [eval_points[0], eval_points[0]]
    x = T.dvector("x")
    with pytest.raises(OpContractError, match="BadROp.R_op returned 2 results for its 1 outputs"):
        T.Rop(BadROp()(x), x, x)
