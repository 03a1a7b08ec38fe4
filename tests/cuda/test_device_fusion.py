"""Reduction fusion (rewrites/row_fusion.py, codegen/reduction.py): elementwise work feeding a
reduction, the reduction and the work on its result run as one row kernel, for every way
the kernel shares rows among threads (a thread per column sum, a warp or part of one per
short row, a block per long row, long rows split over pieces), against the CPU."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.errors import ShapeError
from gpugrad.ops.elemwise import Composite
from gpugrad.ops.fused import FusedReduction
from gpugrad.ops.reduce import Reduce

from device_checks import DEVICE, host, on_both


def _kernels(f):
    return [type(node.op).__name__ for node in f.graph.toposort() if isinstance(node.op, (Composite, Reduce,
                                                                                        FusedReduction))]


def _same(f, g, *values, tol=1e-12):
    got, want = f(*values), g(*values)
    for a, b in zip(got if isinstance(got, list) else [got], want if isinstance(want, list) else [want]):
        a = host(a)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize("shape,axis", [((6, 10), 1), ((3, 700), 1), ((40, 9), 0), ((2, 40000), 1),
                                        ((30000, 3), 0), ((4, 5, 6), (0, 2)), ((7, 8), None)],
                         ids=["short-rows", "long-rows", "column-sums", "split-rows", "split-columns", "two-axes",
                              "everything"])
def test_prologue_reduction_epilogue_is_one_kernel(shape, axis, rng):
    """sum(exp(x) * w) over ``axis`` then an epilogue, and the prologue's product returned too."""
    x, w = T.dtensor3("x") if len(shape) == 3 else T.dmatrix("x"), T.dscalar("w")
    prologue = T.exp(x) * w
    out = T.sqrt(T.sum(prologue, axis=axis)) + 1.0
    sim, cpu = on_both([x, w], [out, prologue])
    assert _kernels(sim) == ["FusedReduction"]
    _same(sim, cpu, rng.standard_normal(shape), 0.5)


def test_softmax_cross_entropy_and_its_gradient_are_one_kernel(rng):
    """Three passes over each row (max, sum of exponentials, the loss and dz) in one launch."""
    z, y = T.dmatrix("z"), T.dmatrix("y")
    cost = -T.mean(T.sum(y * (z - T.logsumexp(z, axis=1, keepdims=True)), axis=1))
    rows = T.sum(y * (z - T.logsumexp(z, axis=1, keepdims=True)), axis=1)
    sim, cpu = on_both([z, y], [rows, T.grad(cost, z)])
    assert _kernels(sim) == ["FusedReduction"]
    for cols in (10, 300):
        labels = np.eye(cols)[rng.integers(0, cols, 17)]
        _same(sim, cpu, rng.standard_normal((17, cols)) * 5, labels)


@pytest.mark.parametrize("dtype", ["bool", "int8", "int32", "uint16", "float32", "complex64", "complex128"])
def test_every_kind_of_every_dtype(dtype, rng):
    """The six kinds over one domain are one kernel of six accumulators, each with an epilogue."""
    x = T.tensor(dtype, shape=(None, None), name="x")
    reduced = [getattr(T, kind)(x * x, axis=1, keepdims=True) for kind in ("sum", "prod", "max", "min", "all", "any")]
    sim, cpu = on_both([x], reduced + [T.switch(r, 1, 0) * 2 for r in reduced])
    assert _kernels(sim) == ["FusedReduction"]
    value = (rng.integers(-2, 3, (5, 37)) + (1j * rng.integers(-2, 3, (5, 37)) if dtype.startswith("c") else 0))
    _same(sim, cpu, value.astype(dtype), tol=1e-5)


def test_nans_and_infinities_propagate_as_numpy_does():
    x = T.dmatrix("x")
    sim, cpu = on_both([x], [T.max(x * 1.0, axis=1), T.min(x + 0.0, axis=0), T.sum(x * 2, axis=1)])
    value = np.array([[1.0, np.nan, 3.0], [-np.inf, 2.0, np.inf], [0.0, -1.0, -np.inf]])
    _same(sim, cpu, value)


def test_a_row_value_reshaped_between_rows_and_columns(rng):
    """The sum without keepdims, dimshuffled back to a column, feeds a later pass."""
    x = T.dmatrix("x")
    s = T.sum(T.exp(x), axis=1)
    out = T.exp(x) / s.dimshuffle(0, "x")
    sim, cpu = on_both([x], out)
    assert _kernels(sim) == ["FusedReduction"]
    _same(sim, cpu, rng.standard_normal((9, 13)))


def test_empty_rows_and_columns_and_errors(rng):
    x = T.dmatrix("x")
    sim, cpu = on_both([x], [T.sum(x * 2, axis=1) + 1, T.prod(x + 1, axis=0)])
    for shape in [(0, 4), (4, 0)]:
        _same(sim, cpu, np.zeros(shape))
    biggest = gg.function([x], T.max(x * 2, axis=1), device=DEVICE)
    with pytest.raises(ShapeError, match="empty"):
        biggest(np.zeros((3, 0)))
    np.testing.assert_array_equal(host(biggest(np.ones((2, 2)))), [2.0, 2.0])  # still works after


def test_strided_and_broadcast_inputs(rng):
    """Inputs read through their strides: a transposed view, a bias row broadcast over rows."""
    x, b = T.dmatrix("x"), T.dvector("b")
    out = T.sum(T.tanh(x.T + b), axis=1)
    sim, cpu = on_both([x, b], out)
    _same(sim, cpu, rng.standard_normal((11, 6)), rng.standard_normal(11))


def test_the_mlp_step_makes_few_kernels():
    """The MLP of the benchmarks: its forward and backward softmax rows are one kernel, each
    bias gradient and update one, the loss one, the two weight updates one; the dropped
    alloc of -1/batch none."""
    from gpugrad.bench import reference as ref
    from gpugrad.bench.libraries import theano_style, with_gpugrad
    step, _ = theano_style.mlp_training_step(with_gpugrad.api(DEVICE), ref.mlp(np.random.default_rng(0), 8))
    kernels = _kernels(step)
    assert kernels.count("FusedReduction") == 4 and kernels.count("Composite") == 1 and "Reduce" not in kernels
    assert [type(n.op).__name__ for n in step.graph.toposort()].count("ElementwiseGroup") == 1  # W1's, W2's updates


def test_elementwise_siblings_reading_one_input_are_one_kernel(rng):
    """Two results of x that share no elementwise node: one kernel reads x once and writes
    both; a region that depends on the other through a matmul stays apart (no cycle)."""
    x, w = T.dmatrix("x"), T.dmatrix("w")
    siblings = [T.exp(x) * 2, T.sin(x) + 1]
    sim, cpu = on_both([x], siblings)
    assert _kernels(sim) == ["Composite"]
    _same(sim, cpu, rng.standard_normal((3, 4)))
    chained = [T.exp(x) * 2, T.tanh(T.dot(T.exp(x) * 2, w)) + x]
    sim, cpu = on_both([x, w], chained)
    assert _kernels(sim) == ["Composite", "Composite"]
    _same(sim, cpu, rng.standard_normal((3, 3)), rng.standard_normal((3, 3)))


def test_updates_of_different_shapes_are_one_launch(rng):
    """Results that only leave the call (an SGD step's weight updates, of two shapes, with a
    learning rate passed by value and a decay row broadcast over one of them) run as one
    grouped kernel."""
    from gpugrad.ops.fused import ElementwiseGroup

    def step(device, values):
        w1, w2 = gg.shared(values[0].copy(), name="w1"), gg.shared(values[1].copy(), name="w2")
        keep = gg.shared(values[2], name="keep", shape=(1, None))
        x, lr = T.dmatrix("x"), T.dscalar("lr")
        cost = T.sum(T.tanh(T.dot(T.tanh(T.dot(x, w1)), w2)))
        g1, g2 = gg.grad(cost, [w1, w2])
        f = gg.function([x, lr], cost, device=device, updates=[(w1, w1 - lr * g1), (w2, (w2 - lr * g2) * keep)])
        return f, (w1, w2)
    values = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.uniform(0.5, 1, (1, 2))
    (sim, on_sim), (cpu, on_cpu) = step(DEVICE, values), step("cpu", values)
    assert sum(isinstance(n.op, ElementwiseGroup) for n in sim.graph.toposort()) == 1
    for k in range(4):
        value = rng.standard_normal((5, 4))
        np.testing.assert_allclose(sim(value, 0.1 * k), cpu(value, 0.1 * k), rtol=1e-10)
    for a, b in zip(on_sim, on_cpu):
        np.testing.assert_allclose(a.get_value(), b.get_value(), rtol=1e-10, atol=1e-12)
