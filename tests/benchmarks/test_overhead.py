"""Per-call overhead: the tutorial's compiled gradient of x**2 at a Python float, beside
the plain Python function it is equivalent to; and the same function with
``trust_input = True`` (arguments not checked: README, "Theano's function surface")."""
import numpy as np
import pytest

import gpugrad
import gpugrad.tensor as T
from gpugrad.bench.libraries import by_hand, with_gpugrad

GROUP = "overhead: d(x**2)/dx at a Python float"


@pytest.mark.benchmark(group=GROUP)
def test_compiled_scalar_gradient(suite_benchmark):
    assert suite_benchmark(with_gpugrad, "scalar-grad") == 188.4


@pytest.mark.benchmark(group=GROUP)
@pytest.mark.parametrize("argument", [94.2, np.array(94.2)], ids=["float", "0-d array"])
def test_compiled_scalar_gradient_trusted(benchmark, argument):
    x = T.dscalar("x")
    f = gpugrad.function([x], gpugrad.grad(x ** 2, x))
    f.trust_input = True
    assert benchmark(f, argument) == 188.4


@pytest.mark.benchmark(group=GROUP)
def test_plain_python_gradient(suite_benchmark):
    assert suite_benchmark(by_hand, "scalar-grad") == 188.4
