"""Per-call overhead: the tutorial's compiled gradient of x**2 at a Python float, beside
the plain Python function it is equivalent to."""
import pytest

from gpugrad.bench.libraries import by_hand, with_gpugrad

GROUP = "overhead: d(x**2)/dx at a Python float"


@pytest.mark.benchmark(group=GROUP)
def test_compiled_scalar_gradient(suite_benchmark):
    assert suite_benchmark(with_gpugrad, "scalar-grad") == 188.4


@pytest.mark.benchmark(group=GROUP)
def test_plain_python_gradient(suite_benchmark):
    assert suite_benchmark(by_hand, "scalar-grad") == 188.4
