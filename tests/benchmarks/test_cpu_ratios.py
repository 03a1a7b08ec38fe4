"""gpugrad / hand-written NumPy on the CPU, both timed in the same run (the machine's load
moves both), for the workloads the CPU kernels target (issue 11): W2 logistic gradient,
W3 Jacobian diagonal, W5 Hessian-vector product, W7 MLP step. Each test prints its ratio
beside the target; times are reported, never asserted (a shared machine's are noisy).
Under ``--benchmark-disable`` (CI) each side runs once and its result is checked.

    python -m pytest tests/benchmarks/test_cpu_ratios.py --benchmark-only -s -q
"""
import pytest

from gpugrad.bench.libraries import by_hand, with_gpugrad
from gpugrad.bench.runner import data_for, expected_results, mismatch
from gpugrad.bench.timing import FULL, measure
from gpugrad.bench.workloads import BY_NAME

TARGETS = {"logistic": ("W2", 0.5), "jacobian-diag": ("W3 diag", 0.2), "hvp-rev": ("W5 Hv", 1.0),
           "mlp-step": ("W7", 1.0)}


def _call(module, workload, data):
    idiom = module.BUILDERS[workload.name][0]
    return idiom.build(data, "cpu")


@pytest.mark.parametrize("name", list(TARGETS))
def test_gpugrad_over_numpy(benchmark, name, capsys):
    workload, (label, target) = BY_NAME[name], TARGETS[name]
    benchmark.group = f"CPU ratio {label}"
    data = data_for(workload, quick=False)
    ours, theirs = _call(with_gpugrad, workload, data), _call(by_hand, workload, data)
    if workload.checked_calls == 1:
        expected = expected_results(workload, data)
        for call in (ours, theirs):
            wrong = mismatch(expected, [call()], workload.rtol, workload.atol)
            assert not wrong, wrong
    else:
        ours(), theirs()
    if benchmark.disabled:
        benchmark(ours)  # one more call, untimed
        return
    times = [measure(call, lambda result: None, FULL).median for call in (theirs, ours, theirs, ours)]
    numpy_time, gpugrad_time = min(times[0], times[2]), min(times[1], times[3])
    benchmark.pedantic(ours, rounds=3, iterations=1)
    ratio = gpugrad_time / numpy_time
    with capsys.disabled():
        print(f"\n{label} ({workload.name}): gpugrad {gpugrad_time * 1e3:.3f} ms, NumPy {numpy_time * 1e3:.3f} ms, "
              f"ratio {ratio:.2f}x (target <= {target}x)")
