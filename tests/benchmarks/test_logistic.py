"""The tutorial's logistic gradient on a 1000x1000 float64 matrix, beside hand-written
NumPy, and the time to build and compile it. Each run keeps its previous result alive,
as a training loop does, so neither side can recycle the last output's memory."""
import numpy as np
import pytest

import gpugrad
import gpugrad.tensor as T

GROUP = "logistic gradient, 1000x1000 float64"


def logistic_gradient():
    x = T.dmatrix("x")
    s = T.sum(1 / (1 + T.exp(-x)))
    return gpugrad.function([x], T.grad(s, x))


def numpy_logistic_gradient(X):
    s = 1 / (1 + np.exp(-X))
    return s * (1 - s)


def looped(fn, X):
    """``fn(X)``, holding on to the result of the previous call."""
    last = [None]

    def step():
        last[0] = fn(X)
        return last[0]
    return step


@pytest.fixture
def X(rng):
    return rng.standard_normal((1000, 1000))


@pytest.mark.benchmark(group=GROUP)
def test_gpugrad_logistic_gradient(benchmark, X):
    result = benchmark(looped(logistic_gradient(), X))
    np.testing.assert_allclose(result, numpy_logistic_gradient(X), rtol=1e-12)


@pytest.mark.benchmark(group=GROUP)
def test_numpy_logistic_gradient(benchmark, X):
    benchmark(looped(numpy_logistic_gradient, X))


@pytest.mark.benchmark(group="compile time")
def test_compile_logistic_gradient(benchmark):
    f = benchmark(logistic_gradient)
    assert f([[0.0]]) == 0.25
