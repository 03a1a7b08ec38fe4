"""Batching rules: ``vectorize`` over a batch of 3 equals stacking 3 separate evaluations,
for every op and every way of batching its inputs; static shapes stay as precise."""
import itertools
from dataclasses import dataclass

import numpy as np
import pytest

import gpugrad
import gpugrad.tensor as T
from gpugrad.autodiff.vectorize import vectorize
from gpugrad.ops.gradient_ops import disconnected_grad, grad_clip, grad_scale, undefined_grad, zero_grad
from gpugrad.ops.join import RepeatSum, split
from gpugrad.ops.nnet import PickClass, PlaceClass
from gpugrad.ifelse import ifelse
from gpugrad.ops.pool import MaxPoolRop, PoolGrad
from gpugrad.ops.shape import MatchShape
from gpugrad.printing import Print
from gpugrad.tensor.nnet import abstract_conv
from gpugrad.tensor.signal.pool import pool_2d

BATCH = 3


def normal(*shape, dtype="float64"):
    return lambda rng: rng.standard_normal(shape).astype(dtype)


def ints(high, *shape):
    return lambda rng: rng.integers(0, high, size=shape)


def const(value):
    return lambda rng: np.asarray(value)


@dataclass
class Row:
    name: str
    build: object               # symbolic inputs -> one output
    inputs: list                # generators of one example's value, one per input
    batchable: tuple = None     # which inputs may be batched (default: all)
    static: bool = True         # give the inputs their static shapes


ROWS = [
    # Elemwise (broadcasting, weak constants keep float32, several outputs' dtypes)
    Row("add_broadcast", lambda x, y: x + y, [normal(2, 3), normal(3)]),
    Row("mul_weak_f32", lambda x: x * 2.0 + 1, [normal(2, 3, dtype="float32")]),
    Row("switch", lambda c, x, y: T.switch(c > 0, x, y), [normal(2, 3), normal(2, 3), normal(3)]),
    Row("exp_cast", lambda x: T.cast(T.exp(x), "float32"), [normal(4)]),
    Row("add_dynamic", lambda x, y: x * y, [normal(2, 3), normal(3)], static=False),
    # DimShuffle
    Row("transpose", lambda x: x.T, [normal(2, 3)]),
    Row("dimshuffle_x", lambda x: x.dimshuffle(1, "x", 0), [normal(2, 3)]),
    # Reduce and Arg
    Row("sum_axis0", lambda x: x.sum(axis=0), [normal(2, 3)]),
    Row("max_keepdims", lambda x: x.max(axis=1, keepdims=True), [normal(2, 3)]),
    Row("prod_all", lambda x: T.prod(x), [normal(2, 3)]),
    Row("argmax_flat", lambda x: T.argmax(x), [normal(2, 3)]),
    Row("argmin_flat_keepdims", lambda x: T.argmin(x, keepdims=True), [normal(2, 3)], static=False),
    Row("argmax_axis_keepdims", lambda x: T.argmax(x, axis=1, keepdims=True), [normal(2, 3)]),
    # Alloc, Fill, Reshape, Shape, ShapeI, MatchShape
    Row("alloc", lambda v: T.alloc(v, 2, 3), [normal(3)]),
    Row("alloc_symbolic", lambda v, n: T.alloc(v, n, 3), [normal(3), const(2)], batchable=(0,)),
    Row("fill", lambda x, v: T.fill(x, v), [normal(2, 3), normal(3)]),
    Row("fill_weak", lambda x: T.fill(x, 2.0), [normal(2, 3, dtype="float32")]),
    Row("reshape", lambda x: x.reshape((3, 2)), [normal(2, 3)]),
    Row("reshape_dynamic", lambda x, y: x.reshape((y.shape[0], -1)), [normal(2, 3), normal(3)], static=False),
    Row("flatten", lambda x: T.flatten(x), [normal(2, 3)], static=False),
    Row("shape", lambda x: x.shape * 1.0, [normal(2, 3)], static=False),
    Row("shape_i", lambda x, y: x.shape[1] * y, [normal(2, 3), normal(3)], static=False),
    Row("zeros_like", lambda x, y: T.zeros_like(x) + y, [normal(2, 3), normal(3)], static=False),
    Row("match_shape", lambda v, w: MatchShape("m")(v, w), [normal(2, 3), normal(2, 3)], static=False),
    Row("specify_shape", lambda v: T.specify_shape(v, (2, None)) * 2, [normal(2, 3)], static=False),
    Row("print", lambda v: Print("v", global_fn=lambda op, value: None)(v) + 1, [normal(2, 3)]),
    Row("ifelse", lambda c, x, y: ifelse(c, x * 2, y.sum(axis=0)), [const(1), normal(3), normal(2, 3)],
        batchable=(1, 2)),
    Row("ifelse_batched_condition", lambda c, x, y: ifelse(c, x * 2, y.sum(axis=0)),
        [ints(2), normal(3), normal(2, 3)]),
    # gradient ops
    Row("disconnected_grad", lambda x: disconnected_grad(x) * 2, [normal(3)]),
    Row("zero_grad", lambda x: zero_grad(x), [normal(3)]),
    Row("grad_clip", lambda x: grad_clip(x, -1, 1), [normal(3)]),
    Row("grad_scale", lambda x: grad_scale(x, 2.0), [normal(3)]),
    Row("undefined_grad", lambda x: undefined_grad(x), [normal(3)]),
    # Dot, Diagonal, AllocDiag
    Row("dot_mm", lambda a, b: T.dot(a, b), [normal(2, 3), normal(3, 4)]),
    Row("dot_mv", lambda a, b: T.dot(a, b), [normal(2, 3), normal(3)]),
    Row("dot_vm_dynamic", lambda a, b: T.dot(a, b), [normal(3), normal(3, 4)], static=False),
    Row("matmul_batched", lambda a, b: a @ b, [normal(2, 2, 3), normal(2, 3, 4)]),
    Row("matmul_broadcast", lambda a, b: a @ b, [normal(2, 2, 3), normal(1, 3, 4)]),
    Row("outer", lambda a, b: T.outer(a, b), [normal(2), normal(3)]),
    Row("tensordot", lambda a, b: T.tensordot(a, b, [[0, 2], [1, 0]]), [normal(2, 3, 4), normal(4, 2)]),
    Row("batched_dot", lambda a, b: T.batched_dot(a, b), [normal(2, 3, 4), normal(2, 4)]),
    Row("diagonal", lambda x: T.diagonal(x, 1, 0, 2), [normal(3, 2, 4)]),
    Row("diag_vector", lambda v: T.diag(v, k=1), [normal(3)]),
    Row("trace", lambda x: T.trace(x), [normal(3, 3)]),
    # Join, Split, ARange (with unbatched bounds), Repeat, RepeatSum
    Row("concatenate", lambda x, y: T.concatenate([x, y], axis=1), [normal(2, 3), normal(2, 1)]),
    Row("stack", lambda x, y: T.stack([x, y]), [normal(3), normal(3)]),
    Row("split", lambda x: split(x, [1, 2], 2, axis=1)[1], [normal(2, 3)]),
    Row("arange_of_shape", lambda x: T.arange(x.shape[0]) * x, [normal(4)], static=False),
    Row("repeat", lambda x: T.repeat(x, 2, axis=1), [normal(2, 3)]),
    Row("repeat_counts", lambda x: T.repeat(x, [1, 2, 0]), [normal(3)]),
    Row("repeat_sum", lambda g: RepeatSum(0)(g, [1, 2], 2), [normal(3, 2)]),
    Row("tril", lambda x: T.tril(x), [normal(3, 3)], static=False),
    # nnet
    Row("softmax", lambda x: T.nnet.softmax(x), [normal(2, 3)]),
    Row("log_softmax_axis0", lambda x: T.nnet.log_softmax(x, axis=0), [normal(2, 3)]),
    Row("pick_class", lambda p, i: PickClass()(p, i), [normal(2, 3), ints(3, 2)]),
    Row("place_class", lambda v, i, p: PlaceClass()(v, i, p), [normal(2), ints(3, 2), normal(2, 3)]),
    Row("crossentropy", lambda x, i: T.nnet.categorical_crossentropy(T.nnet.softmax(x), i),
        [normal(2, 3), ints(3, 2)]),
    # convolutions (Im2Col, Col2Im, Dot) and pooling
    Row("conv2d", lambda x, w: T.nnet.conv2d(x, w, border_mode=1, subsample=(2, 1)),
        [normal(2, 2, 5, 4), normal(3, 2, 2, 2)]),
    Row("conv2d_groups", lambda x, w: T.nnet.conv2d(x, w, num_groups=2, filter_flip=False),
        [normal(1, 4, 4, 4), normal(2, 2, 3, 2)], static=False),
    Row("conv2d_grad_inputs", lambda g, w: abstract_conv.conv2d_grad_wrt_inputs(g, w, (1, 2, 5, 4), subsample=(2, 1)),
        [normal(1, 3, 2, 3), normal(3, 2, 2, 2)]),
    Row("conv2d_grad_weights", lambda x, g: abstract_conv.conv2d_grad_wrt_weights(x, g, (3, 2, 2, 2), subsample=(2, 1)),
        [normal(1, 2, 5, 4), normal(1, 3, 2, 3)]),
    Row("pool_max", lambda x: pool_2d(x, ws=(2, 2), ignore_border=False), [normal(2, 3, 5)]),
    Row("pool_average", lambda x: pool_2d(x, ws=(2, 2), pad=(1, 0), ignore_border=True, mode="average_exc_pad"),
        [normal(3, 4)], static=False),
    Row("pool_grad_max", lambda x, g: PoolGrad("max", (2, 2), (1, 1), (0, 0), True)(x, g),
        [normal(2, 3, 3), normal(2, 2, 2)]),
    Row("pool_grad_sum", lambda x, g: PoolGrad("sum", (2, 2), (2, 2), (0, 0), False)(x, g),
        [normal(3, 3), normal(2, 2)]),
    Row("max_pool_rop", lambda x, t: MaxPoolRop("max", (2, 1), (1, 1), (0, 0), True)(x, t),
        [normal(2, 3, 3), normal(2, 3, 3)]),
    # Subtensor
    Row("slices", lambda x: x[1:, ::2], [normal(3, 4)]),
    Row("newaxis_int", lambda x: x[None, 1], [normal(3, 4)]),
    Row("scalar_index", lambda x, i: x[i], [normal(4, 2), ints(4)]),
    Row("scalar_index_col", lambda x, i: x[:, i], [normal(2, 4), ints(4)]),
    Row("scalar_index_dynamic", lambda x, i: x[i], [normal(4), ints(4)], static=False),
    Row("newaxis_scalar", lambda x, i: x[None, :, i], [normal(2, 4), ints(4)]),
    Row("array_index", lambda x, i: x[i], [normal(4, 2), ints(4, 3)]),
    Row("array_index_col", lambda x, i: x[:, i], [normal(2, 4), ints(4, 2, 3)]),
    Row("arrays_broadcast", lambda x, i, j: x[i, j], [normal(3, 4), ints(3, 2, 1), ints(4, 5)]),
    Row("arrays_apart", lambda x, i, j: x[i, :, j], [normal(3, 2, 4), ints(3, 5), ints(4)]),
    Row("slice_bounds", lambda x, a: x[a:], [normal(4), const(1)], batchable=(0,), static=False),
    Row("mask", lambda x: x[np.array([True, False, True])], [normal(3, 2)]),
    # IncSubtensor
    Row("set_slice", lambda x, v: T.set_subtensor(x[1:3], v), [normal(4, 2), normal(2)]),
    Row("inc_scalar", lambda x, v, i: T.inc_subtensor(x[i], v), [normal(4, 2), normal(2), ints(4)]),
    Row("inc_scalar_col", lambda x, v, i: T.inc_subtensor(x[:, i], v), [normal(2, 4), normal(2), ints(4)]),
    Row("inc_array_repeated", lambda x, v, i: T.inc_subtensor(x[i], v), [normal(4), normal(5), ints(2, 5)]),
    Row("set_arrays_apart", lambda x, v, i, j: T.set_subtensor(x[i, :, j], v),
        [normal(3, 2, 4), normal(2), ints(3, 5), ints(4)]),
]


def _variable(value, batched, static):
    shape = value.shape if static else (None,) * value.ndim
    return T.tensor(str(value.dtype), shape=((BATCH,) + shape if static else (None,) + shape) if batched else shape)


def _check(row, flags, rng):
    examples = [[gen(rng) for _ in range(BATCH)] for gen in row.inputs]
    single = [_variable(ex[0], False, row.static) for ex in examples]
    out = row.build(*single)
    stacked = {v: _variable(ex[0], True, row.static) for v, ex, f in zip(single, examples, flags) if f}
    (batched,) = vectorize([out], stacked)
    assert batched.dtype == out.dtype
    assert batched.type.shape == (BATCH if row.static else None,) + out.type.shape, (batched.type, out.type)
    f_one = gpugrad.function(single, out)
    expected = np.stack([f_one(*[ex[b] if f else ex[0] for ex, f in zip(examples, flags)])
                         for b in range(BATCH)])
    inputs = [stacked.get(v, v) for v in single]
    values = [np.stack(ex) if f else ex[0] for ex, f in zip(examples, flags)]
    got = gpugrad.function(inputs, batched, on_unused_input="ignore")(*values)
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def _cases():
    for row in ROWS:
        batchable = row.batchable if row.batchable is not None else tuple(range(len(row.inputs)))
        for n in range(1, len(batchable) + 1):
            for chosen in itertools.combinations(batchable, n):
                flags = tuple(k in chosen for k in range(len(row.inputs)))
                yield pytest.param(row, flags, id=f"{row.name}-{''.join('b' if f else 'u' for f in flags)}")


@pytest.mark.parametrize("row, flags", list(_cases()))
def test_vectorize_matches_stacked_examples(row, flags, rng):
    _check(row, flags, rng)


def test_vectorize_gradient_graph(rng):
    x, w, xs = T.vector("x"), T.vector("w"), T.matrix("xs")
    (g,) = vectorize([T.grad(T.sum(T.tanh(x) * w), x)], {x: xs})
    X, W = rng.standard_normal((BATCH, 4)), rng.standard_normal(4)
    np.testing.assert_allclose(gpugrad.function([xs, w], g)(X, W), (1 - np.tanh(X) ** 2) * W)


def test_vectorize_tutorial_jacobian_body(rng):
    """``T.grad(y[i], x)`` over ``i = arange(n)``: the Jacobian's rows, one gather and
    one scatter for the whole batch (no loop)."""
    x, i = T.vector("x"), T.lscalar("i")
    y = x ** 2 + T.sin(x)
    (rows,) = vectorize([T.grad(y[i], x)], {i: T.arange(x.shape[0])})
    X = rng.standard_normal(5)
    np.testing.assert_allclose(gpugrad.function([x], rows)(X), np.diag(2 * X + np.cos(X)))


def test_vectorize_rop_and_lop_give_jacobian_and_hessian(rng):
    """Forward mode over stacked tangents (its shape check skips the batch axis) and
    reverse-over-reverse over stacked seeds."""
    x, v, u, A = T.vector("x"), T.vector("v"), T.vector("u"), T.matrix("A")
    f = T.tanh(T.dot(A, x))
    eye = T.eye(x.shape[0])
    (jac,) = vectorize([T.Rop(f, x, v)], {v: eye})
    (hess,) = vectorize([T.Lop(T.grad(T.sum(f ** 2), x), x, u)], {u: eye})
    X, M = rng.standard_normal(3), rng.standard_normal((4, 3))
    got_jac, got_hess = gpugrad.function([A, x], [jac, hess])(M, X)
    d = 1 - np.tanh(M @ X) ** 2
    np.testing.assert_allclose(got_jac, (d[:, None] * M).T)
    t = np.tanh(M @ X)
    expected = M.T @ np.diag(2 * d ** 2 - 4 * t ** 2 * d) @ M
    np.testing.assert_allclose(got_hess, expected, atol=1e-12)


@pytest.mark.parametrize("build, what", [
    (lambda x, n: T.arange(n) * 1.0, "ARange"),
    (lambda x, n: T.alloc(x, n), "Alloc"),
    (lambda x, n: x[n:], "Subtensor"),
])
def test_batched_sizes_raise(build, what):
    """A batched size gives examples different shapes: NotImplementedError naming the op."""
    x, n, ns = T.vector("x"), T.lscalar("n"), T.lvector("ns")
    with pytest.raises(NotImplementedError, match=what):
        vectorize([build(x, n)], {n: ns})
