"""Per-call overhead: the tutorial's compiled gradient of x**2 at a Python float,
beside the plain Python function it is equivalent to."""
import pytest

import gpugrad
import gpugrad.tensor as T

GROUP = "overhead: d(x**2)/dx at a Python float"


@pytest.mark.benchmark(group=GROUP)
def test_compiled_scalar_gradient(benchmark):
    x = T.dscalar("x")
    f = gpugrad.function([x], T.grad(x ** 2, x))
    assert benchmark(f, 94.2) == 188.4


@pytest.mark.benchmark(group=GROUP)
def test_plain_python_gradient(benchmark):
    def f(x):
        return 2.0 * x
    assert benchmark(f, 94.2) == 188.4
