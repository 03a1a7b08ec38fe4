"""Issue 6's W8: d/dx expm(1j x H) for a Hermitian H of size 3 and 64 (complex128), by
forward mode (Rop) and by the Jacobian, beside the SciPy reference 1j H expm(1j x H).
Results are checked against the reference; times are reported, never asserted.

    python -m pytest tests/benchmarks/test_linalg_bench.py --benchmark-only -q
"""
import numpy as np
import pytest
import scipy.linalg

import gpugrad
import gpugrad.tensor as T

X = 2.0


def hermitian(n):
    rng = np.random.default_rng(8)
    h = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    return (h + h.conj().T) / (2 * np.sqrt(n))


def scipy_reference(x, h):
    return 1j * h @ scipy.linalg.expm(1j * x * h)


def gpugrad_derivative(h, mode):
    x = T.dscalar("x")
    expH = T.slinalg.expm(1j * x * h)
    return gpugrad.function([x], T.Rop(expH, x, 1.0) if mode == "rop" else T.jacobian(expH, x))


@pytest.mark.parametrize("n", [3, 64])
@pytest.mark.parametrize("mode", ["rop", "jacobian"])
def test_gpugrad_w8(benchmark, n, mode):
    benchmark.group = f"W8 d/dx expm(1j x H), {n}x{n} complex128"
    h = hermitian(n)
    result = benchmark(gpugrad_derivative(h, mode), X)
    np.testing.assert_allclose(result, scipy_reference(X, h), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n", [3, 64])
def test_scipy_w8(benchmark, n):
    benchmark.group = f"W8 d/dx expm(1j x H), {n}x{n} complex128"
    benchmark(scipy_reference, X, hermitian(n))
