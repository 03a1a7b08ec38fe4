"""Issue 6's W8: d/dx expm(1j x H) for a Hermitian H of size 3 and 64 (complex128), by
forward mode (Rop) and by the Jacobian, beside the SciPy reference 1j H expm(1j x H).
Results are checked against the reference; times are reported, never asserted.

    python -m pytest tests/benchmarks/test_linalg_bench.py --benchmark-only -q
"""
import pytest

from gpugrad.bench.libraries import by_hand, with_gpugrad


@pytest.mark.parametrize("n", [3, 64])
@pytest.mark.parametrize("mode", ["Rop", "jacobian"])
def test_gpugrad_w8(benchmark, suite_benchmark, n, mode):
    benchmark.group = f"W8 d/dx expm(1j x H), {n}x{n} complex128"
    suite_benchmark(with_gpugrad, f"expm-{n}", mode)


@pytest.mark.parametrize("n", [3, 64])
def test_scipy_w8(benchmark, suite_benchmark, n):
    benchmark.group = f"W8 d/dx expm(1j x H), {n}x{n} complex128"
    suite_benchmark(by_hand, f"expm-{n}")
