"""``suite_benchmark``: pytest-benchmark timing of one idiom of a workload of
``python -m gpugrad.bench`` at its full size (the device synchronised after every call),
its last result then checked against the hand-written reference; a training step, whose
state moves on with every call, is checked by its own test instead."""
import pytest

from gpugrad.bench.runner import data_for, expected_results, mismatch
from gpugrad.bench.timing import holding_last
from gpugrad.bench.workloads import BY_NAME


@pytest.fixture(autouse=True)
def cpu_kernels():
    """The CPU's generated kernels on, as users run gpugrad (tests/conftest.py turns them off
    for the rest of the suite)."""
    import gpugrad
    with gpugrad.config.change_flags(cpu_codegen=True):
        yield


@pytest.fixture
def suite_benchmark(benchmark):
    def run(module, name, label=None, device="cpu"):
        """Time ``module``'s idiom ``label`` (its first by default) of workload ``name``."""
        workload = BY_NAME[name]
        idiom = next(idiom for idiom in module.BUILDERS[name] if label in (None, idiom.label))
        data = data_for(workload, quick=False)
        call = idiom.build(data, device)

        def synced():
            result = call()
            module.sync(result)
            return result
        result = benchmark(holding_last(synced))
        if workload.checked_calls == 1:
            wrong = mismatch(expected_results(workload, data), [module.to_numpy(result)], workload.rtol, workload.atol)
            assert not wrong, wrong
        return result
    return run
