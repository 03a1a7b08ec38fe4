"""Loops. W9: the tutorial's scan Jacobian of ``x ** 2`` at n = 1000, written exactly as
in the tutorial (the map is vectorized at compile time), beside ``np.diag(2 * x)``.
An RNN (hidden 128, 100 steps, batch 32): forward plus gradient through scan beside
hand-written NumPy backpropagation through time. Each run keeps its previous result
alive, as a training loop does, so neither side can recycle the last output's memory."""
from functools import partial

import numpy as np
import pytest

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad.bench.libraries import by_hand, with_gpugrad
from gpugrad.bench.timing import holding_last

HIDDEN, STEPS, BATCH = 128, 100, 32


@pytest.mark.benchmark(group="W9 scan Jacobian of x**2, n=1000")
def test_gpugrad_scan_jacobian(suite_benchmark):
    suite_benchmark(with_gpugrad, "scan-jacobian")


@pytest.mark.benchmark(group="W9 scan Jacobian of x**2, n=1000")
def test_numpy_diag(suite_benchmark):
    suite_benchmark(by_hand, "scan-jacobian")


def rnn_gradient():
    """Cost 0.5 * sum of squared hidden states of a tanh RNN, and its gradient."""
    X, h0 = T.dtensor3('X'), T.dmatrix('h0')
    Wx, Wh, b = T.dmatrix('Wx'), T.dmatrix('Wh'), T.dvector('b')
    hs, _ = theano.scan(lambda x_t, h, Wx, Wh, b: T.tanh(T.dot(x_t, Wx) + T.dot(h, Wh) + b),
                        sequences=X, outputs_info=h0, non_sequences=[Wx, Wh, b])
    cost = 0.5 * (hs ** 2).sum()
    return theano.function([X, h0, Wx, Wh, b], [cost] + T.grad(cost, [Wx, Wh, b]))


def numpy_rnn_gradient(X, h0, Wx, Wh, b):
    hs = [h0]
    for x_t in X:
        hs.append(np.tanh(x_t @ Wx + hs[-1] @ Wh + b))
    cost = 0.5 * sum(np.sum(h ** 2) for h in hs[1:])
    gWx, gWh, gb = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dh = np.zeros_like(h0)
    for t in range(len(X), 0, -1):
        d = (dh + hs[t]) * (1 - hs[t] ** 2)
        gWx += X[t - 1].T @ d
        gWh += hs[t - 1].T @ d
        gb += d.sum(0)
        dh = d @ Wh.T
    return cost, gWx, gWh, gb


@pytest.fixture
def rnn_args(rng):
    scale = 1 / np.sqrt(HIDDEN)
    return (rng.standard_normal((STEPS, BATCH, HIDDEN)), np.zeros((BATCH, HIDDEN)),
            rng.standard_normal((HIDDEN, HIDDEN)) * scale, rng.standard_normal((HIDDEN, HIDDEN)) * scale,
            np.zeros(HIDDEN))


@pytest.mark.benchmark(group="RNN h128 x 100 steps x batch 32, forward + gradient")
def test_gpugrad_rnn_gradient(benchmark, rnn_args):
    result = benchmark(holding_last(partial(rnn_gradient(), *rnn_args)))
    for got, want in zip(result, numpy_rnn_gradient(*rnn_args)):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@pytest.mark.benchmark(group="RNN h128 x 100 steps x batch 32, forward + gradient")
def test_numpy_rnn_gradient(benchmark, rnn_args):
    benchmark(holding_last(partial(numpy_rnn_gradient, *rnn_args)))
