"""Compile time of a chain of k elementwise ops and its gradient (3 nodes an op), k = 1e3,
1e4 and 5e4: about linear in k. The two large ones run only when timed
(``--benchmark-only``); tests/reliability/test_deep_graphs.py compiles 5e4 in the suite."""
import pytest

import gpugrad
import gpugrad.tensor as T

GROUP = "compile: a chain of k elementwise ops and its gradient"


def compile_chain(k):
    x = T.dvector("x")
    z = x
    for i in range(k):
        z = T.sin(z) if i % 2 else z * 1.0001
    cost = z.sum()
    return gpugrad.function([x], [cost, T.grad(cost, x)])


@pytest.mark.benchmark(group=GROUP)
@pytest.mark.parametrize("k", [1_000, 10_000, 50_000])
def test_compile_a_chain(benchmark, k):
    if benchmark.disabled and k > 1_000:
        pytest.skip("timed only with --benchmark-only")
    benchmark.pedantic(compile_chain, args=(k,), rounds=1 if k > 1_000 else 3, iterations=1)
