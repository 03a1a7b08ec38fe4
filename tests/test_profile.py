"""``f.profile()`` and Theano's profiling spellings (compile/profile.py): calls by kind and
their reasons on a device, every node's time on every device, and on a device its launches,
allocations and bytes."""
import io
import threading

import numpy as np

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.compile import ProfileStats


def _logistic():
    x = T.dmatrix("x")
    return x, gg.grad(T.sum(1 / (1 + T.exp(-x))), x)


def test_profile_true_times_every_node_on_the_cpu():
    x, g = _logistic()
    f = gg.function([x], g, device="cpu", profile=True)
    for _ in range(3):
        f(np.ones((4, 5)))
    profile = f.profile()
    assert profile.calls == 3 and profile.nodes and all(n.calls == 3 and n.seconds > 0 for n in profile.nodes)
    assert [n.seconds for n in profile.nodes] == sorted((n.seconds for n in profile.nodes), reverse=True)
    out = io.StringIO()
    f.profile.summary(file=out)  # Theano's spelling
    assert "Function profile" in out.getvalue() and "us/call" in out.getvalue()


def test_config_profile_and_a_shared_profile_stats():
    x, g = _logistic()
    with gg.config.change_flags(profile=True):
        timed = gg.function([x], g, device="cpu")
    untimed = gg.function([x], g, device="cpu")
    stats = ProfileStats(name="mine")
    named = gg.function([x], g, device="cpu", profile=stats)
    for f in (timed, untimed, named):
        f(np.ones((2, 2)))
    assert timed.profile().nodes and not untimed.profile().nodes and named.profile is stats and stats().nodes
    assert "timed with function(..., profile=True)" in str(untimed.profile())
    assert all(n.calls == 0 for n in timed.copy().profile().nodes)  # a copy has a profile of its own


def test_on_a_device_nodes_count_launches_allocations_and_bytes():
    x, g = _logistic()
    f = gg.function([x], g, device="cuda-sim", profile=True)
    for _ in range(3):
        f(np.ones((4, 5)))
    profile = f.profile()
    kernel = next(n for n in profile.nodes if n.op.startswith("composite"))
    assert kernel.device == "cuda-sim" and kernel.spent.launches == 3 and kernel.out_bytes == 3 * 4 * 5 * 8
    by_op = {n.op: n for n in profile.nodes}
    assert by_op["transfer_to_device"].spent.to_device_bytes == by_op["transfer_to_host"].spent.to_host_bytes == 480
    assert profile.per_call("launches") == 1 and profile.per_call("allocations") <= 1
    assert profile.graphs == {"plain": 3} and profile.reasons == {"profiling times every node": 3}
    assert "per call:" in str(profile) and "composite" in str(profile)


def test_without_timing_a_device_function_reports_its_calls_and_pool():
    x, g = _logistic()
    f = gg.function([x], g, device="cuda-sim")
    for _ in range(4):
        f(np.ones((4, 5)))
    profile = f.profile()
    assert profile.calls == 4 and profile.graphs == {"plain": 1, "captured": 1, "replayed": 2}
    assert profile.pool["allocations"] == profile.pool["buffers"] == 3  # the argument, the result, the geometry
    with gg.config.change_flags(cuda_graphs=False):
        plain = gg.function([x], g, device="cuda-sim")
    plain(np.ones((2, 2)))
    assert plain.profile().reasons == {"config.cuda_graphs is False": 1}


def test_a_profile_sums_the_copies_linked_for_concurrent_threads():
    """A function links a copy of its program per thread calling it at once (compile/linked.py):
    the profile counts every copy's calls, on the CPU and on a device."""
    x, g = _logistic()
    for device, profile in (("cpu", True), ("cuda-sim", None)):
        f = gg.function([x], g, device=device, profile=profile)
        start = threading.Barrier(4)

        def calls():
            start.wait()
            for _ in range(5):
                f(np.ones((3, 3)))
        threads = [threading.Thread(target=calls) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert f.profile().calls == 20, device
