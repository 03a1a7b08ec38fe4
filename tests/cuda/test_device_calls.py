"""What a call asks of the device (runtime/graphs.py, runtime/pool.py), counted on the
simulated device: the logistic gradient (W2) and the MLP training step (W7) of the benchmarks
in launches, allocations and copies per call, plain and replayed as CUDA graphs; the pool
never reuses a buffer a result still holds; a replay computes what a plain call does, a new
shape captures anew, and what cannot be captured runs plainly, its reason in ``f.profile()``."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.backends import simcupy
from gpugrad.bench import reference as ref
from gpugrad.bench.libraries import theano_style, with_gpugrad
from gpugrad.ifelse import ifelse
from gpugrad.ops.blas import Dot
from gpugrad.scan import until

SIM = "cuda-sim"
MLP_LAUNCHES = 8  # kernels besides the matmuls, at most (before: 22 kernels, 5 copies, 37 allocations; now 6)


def _per_call(call, n):
    """The simulated device's counts of each of ``n`` calls of ``call``."""
    device, counts = simcupy.cuda.simulated(0), []
    for _ in range(n):
        before = device.stats.copy()
        call()
        counts.append(device.stats.since(before))
    return counts


def _mlp(graphs, batch=256):
    with gg.config.change_flags(cuda_graphs=graphs):
        data = ref.mlp(np.random.default_rng(0), batch)
        step, params = theano_style.mlp_training_step(with_gpugrad.api(SIM), data)
    return step, params, data


@pytest.mark.parametrize("graphs", [False, True], ids=["plain", "graphs"])
def test_the_mlp_step_in_launches_allocations_and_copies(graphs):
    step, _, data = _mlp(graphs)
    dots = sum(isinstance(node.op, Dot) for node in step.graph.toposort())
    counts = _per_call(lambda: step(data["X"], data["Y"]), 8)
    assert dots == 5 and all(c.kernels - dots <= MLP_LAUNCHES for c in counts)
    # the parameters move between two buffers: a plain call for each place, a capture for each
    # (one launch: the graph), then replays
    assert [c.launches == 1 for c in counts] == [False] * 3 + [graphs] * 5
    assert all(c.allocations == 0 for c in counts[1:])  # the pool serves every call after the first
    assert all((c.to_device, c.to_host) == (2, 1) for c in counts[1:])  # X and Y over, the cost back
    assert step.profile().graphs.get("replayed", 0) == (3 if graphs else 0)


@pytest.mark.parametrize("graphs", [False, True], ids=["plain", "graphs"])
def test_the_logistic_gradient_is_one_launch(graphs):
    with gg.config.change_flags(cuda_graphs=graphs):
        call = theano_style.logistic_gradient(with_gpugrad.api(SIM), ref.matrix(np.random.default_rng(0), 50))
    counts = _per_call(call, 4)
    assert all(c.launches == 1 and c.kernels == 1 for c in counts)
    assert all(c.allocations == 0 and (c.to_device, c.to_host) == (1, 1) for c in counts[1:])


def test_replayed_steps_compute_what_plain_steps_do():
    plain, plain_params, data = _mlp(False, batch=16)
    replayed, replayed_params, _ = _mlp(True, batch=16)
    for _ in range(8):
        np.testing.assert_array_equal(replayed(data["X"], data["Y"]), plain(data["X"], data["Y"]))
    for a, b in zip(replayed_params, plain_params):
        np.testing.assert_array_equal(a.get_value(), b.get_value())
    assert replayed.profile().graphs["replayed"] == 3


def test_a_returned_device_array_stays_intact_over_later_calls():
    x = T.dvector("x")
    f = gg.function([x], T.exp(x) * 2, device=SIM, return_device_arrays=True)
    first = f(np.arange(4.0))
    kept = first.get()
    later = [f(np.full(4, float(i))) for i in range(6)]  # every result kept
    np.testing.assert_array_equal(first.get(), kept)
    for i, value in enumerate(later):
        np.testing.assert_array_equal(value.get(), np.full(4, 2 * np.exp(float(i))))
    for i in range(6):  # results dropped at once: the same buffers serve every call
        f(np.full(4, float(i)))
    assert _per_call(lambda: f(np.ones(4)), 3)[-1].allocations == 0


def test_new_shapes_capture_anew_and_replay_theirs(rng):
    x, w = T.dmatrix("x"), gg.shared(rng.standard_normal(3), name="w")
    f = gg.function([x], T.sum(T.tanh(x * w), axis=1), device=SIM, updates=[(w, w * 0.5)])
    cpu_w = gg.shared(w.get_value(), name="w")
    cpu = gg.function([x], T.sum(T.tanh(x * cpu_w), axis=1), device="cpu", updates=[(cpu_w, cpu_w * 0.5)])
    for rows in [4, 4, 4, 4, 4, 7, 7, 7, 7, 7, 4, 4]:
        value = rng.standard_normal((rows, 3))
        np.testing.assert_allclose(f(value), cpu(value), rtol=1e-12)
    graphs = f.profile().graphs
    assert graphs["captured"] >= 2 and graphs["replayed"] >= 4


def test_what_cannot_be_captured_runs_plainly_and_says_why():
    x, i = T.dvector("x"), T.lvector("i")
    doubling, _ = gg.scan(lambda v: (v * 2, until(T.sum(v) > 10)), outputs_info=x, n_steps=10)
    cases = [
        (gg.function([x], ifelse(T.sum(x) > 0, x * 2, x * 3), device=SIM), [np.ones(3)], "ifelse"),
        (gg.function([x, i], x[i] * 2, device=SIM), [np.ones(3), np.array([0, 2])], "error board"),
        (gg.function([x], doubling[-1], device=SIM), [np.ones(3)], "(Scan) cannot be captured: "
                                                                     "cudaErrorStreamCaptureUnsupported"),
    ]
    for f, args, reason in cases:
        results = [np.asarray(f(*args)) for _ in range(3)]
        assert all(np.array_equal(r, results[0]) for r in results)
        profile = f.profile()
        assert "replayed" not in profile.graphs and any(reason in text for text in profile.reasons), profile
        assert reason in str(profile)


def test_a_loop_body_runs_in_its_call_and_replays_with_it():
    x = T.dvector("x")
    doubling, _ = gg.scan(lambda v: v * 2, outputs_info=x, n_steps=4)
    f = gg.function([x], doubling[-1], device=SIM)
    assert [f(np.full(3, float(k)))[0] for k in range(5)] == [16.0 * k for k in range(5)]
    assert f.profile().graphs == {"plain": 1, "captured": 1, "replayed": 3}
