"""One SGD step of LeNet-5 on MNIST shapes (batch 500, float32: conv 20@5x5, max pool 2, conv
50@5x5, max pool 2, dense 500 tanh, softmax), gpugrad beside PyTorch's CPU step (skipped when
PyTorch is not installed). ``python tests/benchmarks/test_lenet_bench.py`` times both,
interleaved, and prints the ratio."""
import time

import numpy as np
import pytest

import gpugrad
import gpugrad.tensor as T
from gpugrad.tensor.signal import pool

GROUP = "LeNet-5 SGD step, MNIST shapes, batch 500, float32"
BATCH, LEARNING_RATE = 500, 0.1
SHAPES = [(20, 1, 5, 5), (20,), (50, 20, 5, 5), (50,), (800, 500), (500,), (500, 10), (10,)]


def initial_parameters(rng):
    return [(rng.standard_normal(s) * (0.1 if len(s) > 1 else 0.0)).astype(np.float32) for s in SHAPES]


def batch(rng):
    return rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, BATCH).astype(np.int32)


def gpugrad_step(params):
    """A compiled step (cost out, the shared parameters updated in place) and the parameters."""
    shared = [gpugrad.shared(p.copy()) for p in params]
    W0, b0, W1, b1, W2, b2, W3, b3 = shared
    x, y = T.ftensor4("x"), T.ivector("y")
    h = x
    for W, b in ((W0, b0), (W1, b1)):
        h = T.tanh(pool.pool_2d(T.nnet.conv2d(h, W), ws=(2, 2), ignore_border=True) + b.dimshuffle("x", 0, "x", "x"))
    h = T.tanh(T.dot(h.flatten(2), W2) + b2)
    cost = T.mean(T.nnet.categorical_crossentropy(T.nnet.softmax(T.dot(h, W3) + b3), y))
    updates = [(p, p - LEARNING_RATE * g) for p, g in zip(shared, T.grad(cost, shared))]
    return gpugrad.function([x, y], cost, updates=updates), shared


def _flipped(p):
    """Theano's conv2d flips its filters (a true convolution), PyTorch's does not: the same
    network in PyTorch has the filters reversed along their two spatial axes."""
    return p[:, :, ::-1, ::-1].copy() if p.ndim == 4 else p.copy()


def pytorch_step(params):
    """The same step in PyTorch (autograd, parameters updated in place), and its parameters."""
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    tensors = [torch.tensor(_flipped(p), requires_grad=True) for p in params]

    def step(X, Y):
        W0, b0, W1, b1, W2, b2, W3, b3 = tensors
        h = torch.as_tensor(X)
        for W, b in ((W0, b0), (W1, b1)):
            h = torch.tanh(functional.max_pool2d(functional.conv2d(h, W), 2) + b[None, :, None, None])
        h = torch.tanh(h.flatten(1) @ W2 + b2)
        cost = functional.cross_entropy(h @ W3 + b3, torch.as_tensor(Y).long())
        for t in tensors:
            t.grad = None
        cost.backward()
        with torch.no_grad():
            for t in tensors:
                t -= LEARNING_RATE * t.grad
        return cost.item()
    return step, tensors


def test_one_step_agrees_with_pytorch(rng):
    params = initial_parameters(rng)
    X, Y = batch(rng)
    ours, shared = gpugrad_step(params)
    theirs, tensors = pytorch_step(params)
    np.testing.assert_allclose(ours(X, Y), theirs(X, Y), rtol=1e-5)
    for var, t in zip(shared, tensors):
        np.testing.assert_allclose(var.get_value(), _flipped(t.detach().numpy()), rtol=1e-3, atol=1e-5)


@pytest.mark.benchmark(group=GROUP)
def test_gpugrad_lenet_step(benchmark, rng):
    step, _ = gpugrad_step(initial_parameters(rng))
    benchmark(step, *batch(rng))


@pytest.mark.benchmark(group=GROUP)
def test_pytorch_lenet_step(benchmark, rng):
    step, _ = pytorch_step(initial_parameters(rng))
    benchmark(step, *batch(rng))


def side_by_side(rounds=10):
    """Median seconds per step of gpugrad and PyTorch, the steps interleaved so both see the same load."""
    rng = np.random.default_rng(0)
    params, data = initial_parameters(rng), batch(rng)
    steps = {"gpugrad": gpugrad_step(params)[0], "pytorch": pytorch_step(params)[0]}
    times = {name: [] for name in steps}
    for _ in range(rounds + 1):
        for name, step in steps.items():
            start = time.perf_counter()
            step(*data)
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t[1:])) for name, t in times.items()}


if __name__ == "__main__":
    medians = side_by_side()
    print(", ".join(f"{name} {t * 1000:.0f} ms" for name, t in medians.items()),
          f"(ratio {medians['gpugrad'] / medians['pytorch']:.2f})")
