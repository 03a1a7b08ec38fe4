"""Each installed peer's builders at the quick sizes: every idiom verified against the
hand-written reference and timed briefly. Peers that are not installed (CI installs only
``.[test]``) are skipped; ``pip install ".[bench]" torch`` brings them."""
import importlib.util

import pytest

from gpugrad.bench import runner, timing
from gpugrad.bench.environment import available_cpus
from gpugrad.bench.libraries import load
from gpugrad.bench.workloads import WORKLOADS

INSTALLED = [key for key in ("jax", "torch", "pytensor") if importlib.util.find_spec(key) is not None]
if not INSTALLED:
    pytest.skip("no peer installed (JAX, PyTorch, PyTensor)", allow_module_level=True)
BRIEF = timing.Schedule(repetition=1e-4, repetitions=2, budget=0.01, least=1)
# Where a peer cannot differentiate a workload: reported as failed (never as a wrong answer).
KNOWN_FAILURES = {
    ("PyTensor", "expm-3"): "PyTensor's Expm has no gradient for complex matrices",
    ("PyTensor", "expm-64"): "PyTensor's Expm has no gradient for complex matrices",
}


@pytest.fixture(scope="module", params=INSTALLED)
def peer(request):
    libraries, skipped = load([request.param], "cpu", len(available_cpus()))
    assert not skipped, skipped
    return libraries[-1]


@pytest.mark.parametrize("workload", WORKLOADS, ids=[w.name for w in WORKLOADS])
def test_every_idiom_is_verified(peer, workload):
    data = runner.data_for(workload, quick=True)
    expected = runner.expected_results(workload, data)
    idioms = peer.module.BUILDERS[workload.name]
    assert idioms, f"{peer.name} has no idiom for {workload.name}"
    for idiom in idioms:
        row = runner.measure_idiom(workload, peer, idiom, data, expected, "cpu", BRIEF)
        if (peer.name, workload.name) in KNOWN_FAILURES:
            assert row.status in ("ok", "failed"), row
        else:
            assert row.status == "ok", row
            assert row.timing.median > 0
