"""Deep and wide graphs: nothing recurses along the graph (traversals, rewrites, clone, grad,
printing, pickling), and nothing is quadratic in the number of inputs or outputs."""
import copy
import io
import pickle

import numpy as np
import pytest

import gpugrad
import gpugrad.tensor as T
from gpugrad.graph.traversal import clone_graph
from gpugrad.graph.validate import validate
from gpugrad.printing import debugprint, pp


def elementwise_chain(x, k):
    """sin and a scaling in turn, ``k`` ops: with its gradient, 3 nodes per op."""
    for i in range(k):
        x = T.sin(x) if i % 2 else x * 1.0001
    return x


def numpy_chain(x, k):
    """The chain's value and its gradient (of the sum), in NumPy."""
    derivative = np.ones_like(x)
    for i in range(k):
        if i % 2:
            derivative, x = derivative * np.cos(x), np.sin(x)
        else:
            derivative, x = derivative * 1.0001, x * 1.0001
    return x.sum(), derivative


@pytest.mark.slow
def test_a_chain_of_50000_elementwise_ops_and_its_gradient():
    """Before: RecursionError from about 1,000 ops (shape inference, polynomial collection)."""
    k, x = 50_000, T.dvector("x")
    z = elementwise_chain(x, k)
    cost = z.sum()
    f = gpugrad.function([x], [cost, T.grad(cost, x)])
    value = np.linspace(0.5, 1.5, 3)
    expected_cost, expected_grad = numpy_chain(value, k)
    got_cost, got_grad = f(value)
    np.testing.assert_allclose(got_cost, expected_cost, rtol=1e-9)
    np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-9)
    loaded = pickle.loads(pickle.dumps(cost))
    assert len(pp(loaded)) < 2 * 10_000 + 5


def matrix_chain(x, W, k):
    """Products, indexing, reductions, softmax, joins and reshapes in turn, ``k`` ops."""
    z = x
    for i in range(k):
        step = i % 6
        if step == 0:
            z = T.dot(z, W)
        elif step == 1:
            z = T.tanh(z) + z[::-1]
        elif step == 2:
            z = z - z.mean(axis=0)
        elif step == 3:
            z = T.nnet.softmax(z) * 2
        elif step == 4:
            z = T.concatenate([z[:, :1], z[:, 1:] * 0.5], axis=1)
        else:
            z = T.maximum(z, 0.1 * z).reshape((z.shape[1], z.shape[0])).T
    return z


def numpy_matrix_chain(x, W, k):
    z = x
    for i in range(k):
        step = i % 6
        if step == 0:
            z = z @ W
        elif step == 1:
            z = np.tanh(z) + z[::-1]
        elif step == 2:
            z = z - z.mean(axis=0)
        elif step == 3:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            z = e / e.sum(axis=1, keepdims=True) * 2
        elif step == 4:
            z = np.concatenate([z[:, :1], z[:, 1:] * 0.5], axis=1)
        else:
            z = np.maximum(z, 0.1 * z).reshape((z.shape[1], z.shape[0])).T
    return z


def test_every_walk_over_a_deep_graph_of_every_kind_of_op(rng):
    """1,100 ops deep (past the recursion limit of 1,000): grad, clone, validate, printing,
    pickle, deep copy, compile and run; the gradient checked by a central difference."""
    k, x, W = 1100, T.dmatrix("x"), T.dmatrix("W")
    cost = matrix_chain(x, W, k).sum()
    gx = T.grad(cost, x)
    (cloned,) = clone_graph([cost], replace={x: x * 1})
    validate([cost, gx, cloned])
    assert "..." in pp(gx) and len(debugprint(gx, file=io.StringIO())) > k
    for restored in (pickle.loads(pickle.dumps([x, W, gx])), copy.deepcopy([x, W, gx])):
        assert restored[2].owner.op == gx.owner.op
    f = gpugrad.function([x, W], [cost, gx])
    xv, Wv, direction = rng.normal(size=(3, 3)) * 0.1, np.eye(3) * 0.9, rng.normal(size=(3, 3))
    value, grad = f(xv, Wv)
    np.testing.assert_allclose(value, numpy_matrix_chain(xv, Wv, k).sum(), rtol=1e-9)
    eps = 1e-6
    difference = (f(xv + eps * direction, Wv)[0] - f(xv - eps * direction, Wv)[0]) / (2 * eps)
    np.testing.assert_allclose((grad * direction).sum(), difference, rtol=1e-5, atol=1e-8)


def test_a_deep_chain_on_the_simulator():
    k, x = 1500, T.dvector("x")
    cost = elementwise_chain(x, k).sum()
    f = gpugrad.function([x], [cost, T.grad(cost, x)], device="cuda-sim")
    value = np.linspace(0.5, 1.5, 3)
    for got, expected in zip(f(value), numpy_chain(value, k)):
        np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_a_sum_of_10000_inputs_and_every_gradient():
    """``sum`` of Python (a chain of 10,000 adds) and the gradient with respect to every input.
    Before: quadratic in the inputs and outputs (76 s to compile, 5 s a call)."""
    n = 10_000
    xs = [T.dscalar(f"x{i}") for i in range(n)]
    total = sum(xs)
    grads = T.grad(total * total + T.add(*[v * v for v in xs]), xs)
    f = gpugrad.function(xs, [total] + grads)
    values = np.arange(n) / n
    results = f(*values)
    assert results[0] == pytest.approx(values.sum())
    np.testing.assert_allclose(results[1:], 2 * values.sum() + 2 * values)


def test_one_add_of_10000_inputs():
    xs = [T.dvector(f"x{i}") for i in range(10_000)]
    total = T.add(*xs)
    f = gpugrad.function(xs, [total, T.grad(total.sum(), xs[0])])
    values = [np.full(2, i / 10_000) for i in range(10_000)]
    result, grad = f(*values)
    np.testing.assert_allclose(result, np.sum(values, axis=0))
    np.testing.assert_array_equal(grad, [1.0, 1.0])
