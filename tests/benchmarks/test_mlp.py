"""One SGD step of a 784-512-10 tanh MLP with softmax cross-entropy (batch 256, float32):
gpugrad with shared variables and ``updates=``, beside the same step written by hand in NumPy."""
import numpy as np
import pytest

import gpugrad
import gpugrad.tensor as T

GROUP = "MLP 784-512-10 SGD step, batch 256, float32"
LEARNING_RATE = 0.1


def initial_parameters(rng):
    def weights(n_in, n_out):
        return (rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32)
    return [weights(784, 512), np.zeros(512, np.float32), weights(512, 10), np.zeros(10, np.float32)]


def batch(rng):
    X = rng.standard_normal((256, 784)).astype(np.float32)
    Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 256)]
    return X, Y


def gpugrad_step(params):
    """A compiled step: returns the cost and updates the shared parameters in place."""
    W1, b1, W2, b2 = shared = [gpugrad.shared(p.copy(), name=n) for p, n in zip(params, ["W1", "b1", "W2", "b2"])]
    X, Y = T.fmatrix("X"), T.fmatrix("Y")
    h = T.tanh(T.dot(X, W1) + b1)
    z = T.dot(h, W2) + b2
    log_p = z - T.logsumexp(z, axis=1, keepdims=True)
    cost = -T.mean(T.sum(Y * log_p, axis=1))
    grads = T.grad(cost, shared)
    step = gpugrad.function([X, Y], cost, updates=[(p, p - LEARNING_RATE * g) for p, g in zip(shared, grads)])
    return step, shared


def numpy_step(params):
    """Forward, backward and update by hand; ``params`` (a list of arrays) is updated in place."""
    def step(X, Y):
        W1, b1, W2, b2 = params
        h = np.tanh(X @ W1 + b1)
        z = h @ W2 + b2
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        cost = -np.mean(np.sum(Y * log_p, axis=1))
        dz = (np.exp(log_p) - Y) / np.float32(len(X))
        dh = (dz @ W2.T) * (1 - h * h)
        for p, g in zip(params, [X.T @ dh, dh.sum(axis=0), h.T @ dz, dz.sum(axis=0)]):
            p -= np.float32(LEARNING_RATE) * g
        return cost
    return step


def test_one_step_agrees_with_numpy(rng):
    params = initial_parameters(rng)
    X, Y = batch(rng)
    step, shared = gpugrad_step(params)
    by_hand = [p.copy() for p in params]
    np.testing.assert_allclose(step(X, Y), numpy_step(by_hand)(X, Y), rtol=1e-5)
    for var, expected in zip(shared, by_hand):
        assert var.get_value().dtype == np.float32
        np.testing.assert_allclose(var.get_value(), expected, rtol=1e-4, atol=1e-6)


@pytest.mark.benchmark(group=GROUP)
def test_gpugrad_mlp_step(benchmark, rng):
    step, _ = gpugrad_step(initial_parameters(rng))
    benchmark(step, *batch(rng))


@pytest.mark.benchmark(group=GROUP)
def test_numpy_mlp_step(benchmark, rng):
    step = numpy_step(initial_parameters(rng))
    benchmark(step, *batch(rng))
