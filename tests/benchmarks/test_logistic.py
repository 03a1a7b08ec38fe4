"""The tutorial's logistic gradient on a 1000x1000 float64 matrix, beside hand-written
NumPy, and the time to build and compile it (a fresh graph each time, called once on
10x10). Each run keeps its previous result alive, as a training loop does, so neither
side can recycle the last output's memory."""
import pytest

from gpugrad.bench.libraries import by_hand, with_gpugrad

GROUP = "logistic gradient, 1000x1000 float64"


@pytest.mark.benchmark(group=GROUP)
def test_gpugrad_logistic_gradient(suite_benchmark):
    suite_benchmark(with_gpugrad, "logistic")


@pytest.mark.benchmark(group=GROUP)
def test_numpy_logistic_gradient(suite_benchmark):
    suite_benchmark(by_hand, "logistic")


@pytest.mark.benchmark(group="compile time")
def test_compile_logistic_gradient(suite_benchmark):
    suite_benchmark(with_gpugrad, "compile")
