"""Reductions, argmax/argmin, softmax, log_softmax and dot on ``device="cuda-sim"`` against
``device="cpu"`` over dtypes and axes; what stays on the host; the MLP training step of
tests/benchmarks/test_mlp.py (smaller) with one transfer per input and per output.
Dtypes are those tests/backends compiles, so the simulator's disk cache is shared."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.errors import ShapeError
from gpugrad.ops.blas import Dot
from gpugrad.ops.nnet import LogSoftmax, Softmax
from gpugrad.ops.reduce import Arg, Reduce
from gpugrad.ops.shape import Alloc
from gpugrad.ops.transfer import Transfer

from device_checks import DEVICE, on_both, transfers

SHAPE = (4, 3, 5)
REDUCE_DTYPES = {"sum": ["bool", "int32", "float32", "complex128"], "prod": ["int64", "float64"],
                 "max": ["int8", "float32"], "min": ["int8", "float64"], "all": ["bool", "float64"],
                 "any": ["bool", "float64"], "argmax": ["int32", "float64"], "argmin": ["int32", "float32"]}
AXES = [(None, False), (1, False), ((0, 2), True)]
ARG_AXES = [(None, False), (1, False), (2, True)]


def _value(dtype, rng, shape=SHAPE):
    """Near 1 (products stay tame), a few zeros for all/any, ties for the arg reductions."""
    if dtype == "bool":
        return rng.random(shape) > 0.3
    if np.dtype(dtype).kind in "iu":
        return rng.integers(-3 if np.dtype(dtype).kind == "i" else 0, 4, shape).astype(dtype)
    value = np.round(rng.uniform(0.5, 1.5, shape), 1) * (rng.random(shape) > 0.1)
    if np.dtype(dtype).kind == "c":
        value = value + 0.5j * rng.uniform(0.5, 1.5, shape)
    return value.astype(dtype)


def _placed(f, op_type):
    return [d for node, d in f.placement.items() if isinstance(node.op, op_type)]


def _close(got, expected, dtype):
    assert got.dtype == expected.dtype and got.shape == expected.shape
    tol = 2e-5 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-12
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("kind,dtype", [(k, d) for k, ds in REDUCE_DTYPES.items() for d in ds])
def test_reductions_match_the_cpu(kind, dtype, rng):
    x = T.tensor(dtype, shape=(None,) * 3, name="x")
    axes = ARG_AXES if kind.startswith("arg") else AXES
    outputs = [getattr(T, kind)(x, axis=axis, keepdims=keep) for axis, keep in axes]
    sim, cpu = on_both([x], outputs)
    assert set(_placed(sim, (Reduce, Arg))) == {DEVICE} and len(_placed(sim, (Reduce, Arg))) == 3
    assert transfers(sim) == ["device"] + ["host"] * 3
    value = _value(dtype, rng, (4, 6, 10)).transpose(0, 2, 1)[:, ::2]  # strided: the kernels copy first
    for got, expected in zip(sim(value), cpu(value)):
        _close(got, expected, dtype)


def test_empty_reductions_follow_numpy():
    x = T.tensor("float32", shape=(None,) * 3, name="x")
    sim, cpu = on_both([x], [T.sum(x, axis=1), T.any(x, axis=(0, 2)), T.max(x, axis=0)])
    empty = np.zeros((0, 3, 5), "float32")
    with pytest.raises(ShapeError, match="empty"):
        sim(empty)
    ok = np.zeros((2, 0, 5), "float32")
    for got, expected in zip(sim(ok), cpu(ok)):
        _close(got, expected, "float32")


def test_complex_max_and_argmax_run_on_the_device(rng):  # their order: test_device_complex_order.py
    z = T.tensor("complex128", shape=(None, None), name="z")
    sim, cpu = on_both([z], [T.max(z, axis=1), T.argmax(z), T.sum(z, axis=0)])
    assert sorted(_placed(sim, (Reduce, Arg))) == [DEVICE] * 3
    value = _value("complex128", rng, (3, 4))
    for got, expected in zip(sim(value), cpu(value)):
        _close(got, expected, "complex128")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("axis", [-1, 0, (0, 2)])
def test_softmax_and_log_softmax_match_the_cpu(dtype, axis, rng):
    x = T.tensor(dtype, shape=(None,) * 3, name="x")
    sm, lsm = T.nnet.softmax(x, axis=axis), T.nnet.log_softmax(x, axis=axis)
    w = T.tensor(dtype, shape=(None,) * 3, name="w")
    grads = T.grad(T.sum(sm * w) + T.sum(lsm * w), x)
    sim, cpu = on_both([x, w], [sm, lsm, grads])
    assert set(_placed(sim, (Softmax, LogSoftmax))) == {DEVICE}
    assert transfers(sim) == ["device"] * 2 + ["host"] * 3  # the gradient never leaves the device
    args = [(rng.standard_normal(SHAPE) * 3).astype(dtype), rng.standard_normal(SHAPE).astype(dtype)]
    for got, expected in zip(sim(*args), cpu(*args)):
        _close(got, expected, dtype)


def _dot_cases():
    f32, f64, c128 = "float32", "float64", "complex128"
    return [
        ("matrix-matrix", lambda a, b: T.dot(a, b), (f64, (None, None), (5, 3)), (f64, (None, None), (3, 4))),
        ("matrix-vector", lambda a, b: T.dot(a, b), (f32, (None, None), (5, 3)), (f32, (None,), (3,))),
        ("vector-vector", lambda a, b: T.dot(a, b), (f32, (None,), (3,)), (f32, (None,), (3,))),
        ("mixed", lambda a, b: T.dot(a, b), (f32, (None, None), (5, 3)), (f64, (None, None), (3, 4))),
        ("complex", lambda a, b: T.dot(a, b), (c128, (None, None), (5, 3)), (c128, (None, None), (3, 4))),
        ("batched", T.batched_dot, (f64, (None,) * 3, (2, 5, 3)), (f64, (None,) * 3, (2, 3, 4))),
        ("broadcast batch", T.matmul, (f64, (1, None, None), (1, 5, 3)), (f64, (None,) * 3, (2, 3, 4))),
        ("tensordot", lambda a, b: T.tensordot(a, b, axes=2), (f64, (None,) * 3, (5, 2, 3)),
         (f64, (None,) * 3, (2, 3, 4))),
    ]


@pytest.mark.parametrize("name,fn,a_spec,b_spec", _dot_cases(), ids=[c[0] for c in _dot_cases()])
def test_dot_matches_the_cpu(name, fn, a_spec, b_spec, rng):
    (da, sa, va), (db, sb, vb) = a_spec, b_spec
    a, b = T.tensor(da, shape=sa, name="a"), T.tensor(db, shape=sb, name="b")
    out = fn(a, b)
    sim, cpu = on_both([a, b], out)
    assert set(_placed(sim, Dot)) == {DEVICE} and transfers(sim) == ["device", "device", "host"]
    args = [_value(da, rng, va), _value(db, rng, vb)]
    args[0] = np.asfortranarray(args[0])  # a non-contiguous operand
    _close(sim(*args), cpu(*args), out.dtype)


def test_dot_gradients_and_errors_on_the_device(rng):
    a, b = T.dmatrix("a"), T.dmatrix("b")
    cost = T.sum(T.tanh(T.dot(a, b)))
    sim, cpu = on_both([a, b], T.grad(cost, [a, b]))
    assert _placed(sim, Dot) == [DEVICE] * 3
    args = rng.standard_normal((5, 3)), rng.standard_normal((3, 4))
    for got, expected in zip(sim(*args), cpu(*args)):
        _close(got, expected, "float64")
    with pytest.raises(ShapeError, match="contracted"):
        sim(np.ones((5, 3)), np.ones((2, 4)))


def test_integer_dot_runs_on_the_device(rng):
    a, b = T.imatrix("a"), T.imatrix("b")
    sim, cpu = on_both([a, b], T.dot(a, b) * 2)
    assert _placed(sim, Dot) == [DEVICE]
    args = _value("int32", rng, (3, 4)), _value("int32", rng, (4, 2))
    np.testing.assert_array_equal(sim(*args), cpu(*args))


def _mlp_step(device, params):
    """The step of tests/benchmarks/test_mlp.py (tanh hidden layer, log-softmax cross-entropy,
    SGD through updates=) on ``device``."""
    shared = [gg.shared(p.copy(), name=n) for p, n in zip(params, ["W1", "b1", "W2", "b2"])]
    W1, b1, W2, b2 = shared
    X, Y = T.fmatrix("X"), T.fmatrix("Y")
    h = T.tanh(T.dot(X, W1) + b1)
    z = T.dot(h, W2) + b2
    log_p = z - T.logsumexp(z, axis=1, keepdims=True)
    cost = -T.mean(T.sum(Y * log_p, axis=1))
    grads = T.grad(cost, shared)
    step = gg.function([X, Y], cost, updates=[(p, p - 0.1 * g) for p, g in zip(shared, grads)], device=device)
    return step, shared


def test_mlp_training_step_matches_the_cpu_with_one_transfer_per_input_and_output(rng):
    n_in, n_hidden, n_out, batch = 20, 16, 10, 8
    params = [(rng.standard_normal((n_in, n_hidden)) / np.sqrt(n_in)).astype("float32"),
              np.zeros(n_hidden, "float32"),
              (rng.standard_normal((n_hidden, n_out)) / np.sqrt(n_hidden)).astype("float32"),
              np.zeros(n_out, "float32")]
    X = rng.standard_normal((batch, n_in)).astype("float32")
    Y = np.eye(n_out, dtype="float32")[rng.integers(0, n_out, batch)]
    sim, sim_params = _mlp_step(DEVICE, params)
    cpu, cpu_params = _mlp_step("cpu", params)
    for _ in range(2):
        np.testing.assert_allclose(sim(X, Y), cpu(X, Y), rtol=1e-5)
    for s, c in zip(sim_params, cpu_params):
        np.testing.assert_allclose(s.get_value(), c.get_value(), rtol=1e-5, atol=1e-6)
    host = [node for node, d in sim.placement.items() if d == "cpu"]  # scalars and a (1,) view of one
    assert all(s == 1 for node in host for v in node.outputs for s in v.type.shape), [str(n.op) for n in host]
    # X, Y and the four parameters go over once (the parameters stay on the device between
    # calls), the cost comes back, the four new parameters stay on the device; the two scalars
    # computed from the batch size on the host (the mean's count and -1/batch, the value its
    # gradient allocates on the device) are kernel parameters passed by value: no transfer
    copies = [(n.op.to, n.outputs[0].ndim) for n in sim.graph.toposort() if isinstance(n.op, Transfer)]
    assert sorted(to for to, ndim in copies if ndim) == ["device"] * 6
    assert sorted(to for to, ndim in copies if not ndim) == ["host"]


def test_alloc_on_the_device_broadcasts_with_host_sizes(rng):
    v, x = T.dvector("v"), T.dmatrix("x")
    out = T.alloc(v, x.shape[0], v.shape[0]) * 2.0 + T.alloc(T.exp(v).sum(), 2, 3).sum()
    sim, cpu = on_both([v, x], out)
    assert _placed(sim, Alloc) == [DEVICE] * 2
    assert transfers(sim) == ["device", "host"]  # x is only read for its shape
    args = rng.standard_normal(4), rng.standard_normal((3, 5))
    _close(sim(*args), cpu(*args), "float64")
