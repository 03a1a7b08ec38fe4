"""Convolutions, pooling and batch normalization on ``device="cuda-sim"`` against
``device="cpu"``: values, gradients, R-ops and second derivatives, float32 and float64; what
runs where and what crosses; ``verify_grad`` on the device; a small LeNet's training steps."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.errors import ShapeError
from gpugrad.gradient import verify_grad
from gpugrad.ops.blas import Dot
from gpugrad.ops.patches import Col2Im, Im2Col
from gpugrad.ops.pool import MaxPoolRop, Pool, PoolGrad
from gpugrad.ops.reduce import Reduce
from gpugrad.ops.elemwise import Composite
from gpugrad.ops.fused import FusedReduction
from gpugrad.tensor.nnet import bn
from gpugrad.tensor.signal.pool import pool_2d, pool_3d

from device_checks import DEVICE, on_both, places, same, transfers

CONVS = [  # input shape, filter shape, keyword arguments
    ((2, 4, 7, 6), (6, 2, 3, 2), dict(border_mode=((1, 0), (2, 1)), subsample=(2, 1), filter_dilation=(1, 2),
                                      num_groups=2)),
    ((1, 2, 5, 5), (3, 2, 3, 3), dict(border_mode="full", filter_flip=False)),
    ((1, 2, 3, 4, 5), (2, 2, 2, 3, 2), dict(border_mode="half", subsample=(1, 2, 1))),
]
POOLS = [  # input shape, keyword arguments
    ((2, 3, 7, 6), dict(ws=(3, 2), stride=(2, 1), pad=(1, 0), ignore_border=True)),
    ((2, 5, 5), dict(ws=(2, 2), ignore_border=False)),
    ((1, 2, 4, 5, 3), dict(ws=(2, 3, 2), ignore_border=True)),
]
MODES = ["max", "sum", "average_inc_pad", "average_exc_pad"]


def _conv(x, w, kwargs):
    return (T.nnet.conv3d if x.ndim == 5 else T.nnet.conv2d)(x, w, **kwargs)


def _pool(x, mode, kwargs):
    return (pool_3d if len(kwargs["ws"]) == 3 else pool_2d)(x, mode=mode, **kwargs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("x_shape,w_shape,kwargs", CONVS)
def test_convolution_and_its_derivatives_match_the_cpu(dtype, x_shape, w_shape, kwargs, rng):
    x, w = T.tensor(dtype, shape=x_shape, name="x"), T.tensor(dtype, shape=(None,) * len(w_shape), name="w")
    tx = T.tensor(dtype, shape=x_shape, name="tx")
    y = _conv(x, w, kwargs)
    cost = T.sum(T.tanh(y) ** 2)
    gx, gw = T.grad(cost, [x, w])
    outputs = [y, gx, gw, T.Rop(y, x, tx), T.grad(T.sum(gx * tx), w)]
    sim, cpu = on_both([x, w, tx], outputs)
    assert places(sim, (Im2Col, Col2Im, Dot)) == {DEVICE}
    assert transfers(sim) == ["device"] * 3 + ["host"] * len(outputs)
    values = [rng.standard_normal(s).astype(dtype) for s in (x_shape, w_shape, x_shape)]
    same(sim(*values), cpu(*values), double_tol=1e-10)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,kwargs", POOLS)
def test_pooling_and_its_derivatives_match_the_cpu(mode, shape, kwargs, rng):
    x, t = (T.tensor("float64", shape=(None,) * len(shape), name=n) for n in "xt")
    y = _pool(x, mode, kwargs)
    g = T.grad(T.sum(y ** 2), x)
    outputs = [y, g, T.Rop(y, x, t), T.grad(T.sum(g * t), x), T.Rop(g, x, t)]
    sim, cpu = on_both([x, t], outputs)
    assert places(sim, (Pool, PoolGrad, MaxPoolRop)) == {DEVICE}
    X = np.round(rng.standard_normal(shape), 1)  # ties within windows
    X.flat[::7] = np.nan if mode == "max" else 0.5
    values = [X, rng.standard_normal(shape)]
    same(sim(*values), cpu(*values))


def test_float32_and_integer_pooling(rng):
    x, i = T.ftensor4("x"), T.itensor4("i")
    outputs = [pool_2d(x, ws=(2, 2), ignore_border=False, mode="average_exc_pad"), pool_2d(i, ws=(3, 2), ignore_border=True),
               pool_2d(i, ws=(2, 2), ignore_border=True, mode="sum"), T.grad(T.sum(pool_2d(x, (2, 2), True) ** 2), x)]
    sim, cpu = on_both([x, i], outputs)
    values = [rng.standard_normal((2, 3, 5, 4)).astype("float32"), rng.integers(-5, 5, (2, 1, 6, 4)).astype("int32")]
    same(sim(*values), cpu(*values))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_verify_grad_on_the_device(dtype, rng):
    X, W = rng.standard_normal((1, 2, 5, 4)).astype(dtype), rng.standard_normal((2, 2, 2, 2)).astype(dtype)
    apart = (rng.permutation(X.size).reshape(X.shape) * 0.1).astype(dtype)  # maxima stay put under eps
    with gg.config.change_flags(device=DEVICE):
        verify_grad(lambda x, w: T.nnet.conv2d(x, w, border_mode=1, subsample=(2, 1)), [X, W], rng=rng)
        verify_grad(lambda x: pool_2d(x, ws=(2, 2), ignore_border=False), [apart], rng=rng)
        verify_grad(lambda x: pool_2d(x, ws=(3, 2), pad=(1, 1), ignore_border=True, mode="average_inc_pad"),
                    [X], rng=rng)


def test_batch_normalization_runs_on_the_device(rng):
    x, g, b = T.ftensor4("x"), T.fvector("g"), T.fvector("b")
    out, mean, invstd = bn.batch_normalization_train(x, g, b, "spatial")
    outputs = [out, mean, invstd, *T.grad(T.sum(out ** 2), [x, g, b])]
    sim, cpu = on_both([x, g, b], outputs)
    assert places(sim, (Reduce, Composite, FusedReduction)) == {DEVICE}
    values = [rng.standard_normal((4, 3, 2, 5)).astype("float32"), rng.uniform(0.5, 1.5, 3).astype("float32"),
              rng.standard_normal(3).astype("float32")]
    same(sim(*values), cpu(*values))


def test_a_small_lenet_trains_alike_on_both_devices(rng):
    """Three SGD steps of conv-pool-conv-pool-dense-softmax (shared parameters stay on the device)."""
    shapes = [(4, 1, 3, 3), (4,), (6, 4, 2, 2), (6,), (24, 10), (10,)]
    params = [(rng.standard_normal(s) * 0.3).astype("float32") for s in shapes]
    X = rng.standard_normal((5, 1, 10, 10)).astype("float32")
    Y = rng.integers(0, 10, 5).astype("int32")
    results = []
    for device in (DEVICE, "cpu"):
        shared = [gg.shared(p.copy()) for p in params]
        W0, b0, W1, b1, W2, b2 = shared
        x, y = T.ftensor4("x"), T.ivector("y")
        h = T.tanh(pool_2d(T.nnet.conv2d(x, W0), ws=(2, 2), ignore_border=True) + b0.dimshuffle("x", 0, "x", "x"))
        h = T.nnet.relu(pool_2d(T.nnet.conv2d(h, W1), ws=(2, 2), ignore_border=False) + b1.dimshuffle("x", 0, "x", "x"))
        p = T.nnet.softmax(T.dot(h.flatten(2), W2) + b2)
        cost = T.mean(T.nnet.categorical_crossentropy(p, y))
        step = gg.function([x, y], cost, updates=[(s, s - 0.1 * g) for s, g in zip(shared, T.grad(cost, shared))],
                           device=device)
        costs = [step(X, Y) for _ in range(3)]
        results.append(costs + [s.get_value() for s in shared])
    same(*results)
    assert results[0][2] < results[0][0]


def test_errors_on_the_device():
    x, w = T.ftensor4("x"), T.ftensor4("w")
    f = gg.function([x, w], [T.nnet.conv2d(x, w), pool_2d(x, ws=(3, 3), ignore_border=True)], device=DEVICE)
    with pytest.raises(ShapeError, match="conv2d: the input .* has 2 channels but the filters expect 3"):
        f(np.zeros((1, 2, 4, 4), "float32"), np.zeros((1, 3, 2, 2), "float32"))
    with pytest.raises(ShapeError, match="pool_2d: the window"):
        f(np.zeros((1, 2, 2, 4), "float32"), np.zeros((1, 2, 2, 2), "float32"))
    assert f(np.ones((1, 2, 4, 4), "float32"), np.ones((1, 2, 2, 2), "float32"))[0].shape == (1, 1, 3, 3)
