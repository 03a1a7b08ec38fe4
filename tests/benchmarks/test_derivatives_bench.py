"""Issue 4's derivative workloads (W3-W6), each group pairing gpugrad with a hand-written
NumPy reference on the same data: the workloads of ``python -m gpugrad.bench`` at full
size. Results are checked against the reference; times are reported, never asserted.
Each run keeps its previous result alive, as a loop would.

    python -m pytest tests/benchmarks/test_derivatives_bench.py --benchmark-only -q
"""
import pytest

from gpugrad.bench.libraries import by_hand, with_gpugrad

GROUPS = {
    "jacobian": "W3 elementwise Jacobian (full), n=10000",
    "jacobian-diag": "W3 Jacobian diagonal, n=10000",
    "hessian": "W4 dense Hessian, n=500",
    "hvp-rev": "W5 Hessian-vector product, n=100000",
    "hvp-fwd": "W5 Hessian-vector product, n=100000",
    "rop": "W6 Rop of dot(x, W) wrt W, 1000x1000",
    "lop": "W6 Lop of dot(x, W) wrt W, 1000x1000",
}


@pytest.mark.parametrize("name", list(GROUPS))
def test_gpugrad(benchmark, suite_benchmark, name):
    benchmark.group = GROUPS[name]
    suite_benchmark(with_gpugrad, name)


@pytest.mark.parametrize("name", [name for name in GROUPS if name != "hvp-fwd"])  # one reference for W5
def test_numpy(benchmark, suite_benchmark, name):
    benchmark.group = GROUPS[name]
    suite_benchmark(by_hand, name)
