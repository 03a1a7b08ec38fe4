"""Device arrays in and out of compiled functions (``return_device_arrays=True``, device
array arguments), counted in backend copies; ``cuda`` cases skip without a GPU."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.backends import cuda
from gpugrad.compile import device_arrays
from gpugrad.errors import InputError

from device_checks import DEVICE, host

available, reason = cuda.gpu_available()


def _on_device(array):
    return device_arrays.resident(DEVICE, array)


def test_results_stay_on_the_simulator(rng, copies):
    x, y = T.dmatrix("x"), T.dvector("y")
    f = gg.function([x, y], [T.exp(x) * y, (x * y).sum(), x.shape[0] * 2], device=DEVICE,
                    return_device_arrays=True)
    args = rng.standard_normal((3, 4)), rng.standard_normal(4)
    got = f(*args)
    assert all(_on_device(g) for g in got)
    np.testing.assert_allclose(host(got[0]), np.exp(args[0]) * args[1], rtol=1e-12)
    np.testing.assert_allclose(host(got[1]), (args[0] * args[1]).sum(), rtol=1e-12)
    assert host(got[2]) == 6  # computed on the host, sent over so that every result is a device array
    assert not [c for c in copies if c[0] == "to_host"]


def test_device_arguments_are_used_without_a_round_trip(rng, copies):
    x = T.fmatrix("x")
    f = gg.function([x], T.tanh(x) * 2.0, device=DEVICE, return_device_arrays=True)
    value = device_arrays.backend_for(DEVICE).to_device(rng.standard_normal((5, 6)).astype("float32"))
    copies.clear()
    out = f(value)
    assert _on_device(out) and out.dtype == np.float32
    np.testing.assert_allclose(host(out), np.tanh(host(value)) * 2, rtol=1e-6)
    assert not [c for c in copies if c[1] == (5, 6)]  # only the kernel's geometry goes over
    again = f(out)  # a result fed back in
    np.testing.assert_allclose(host(again), np.tanh(host(out)) * 2, rtol=1e-6)


def test_device_arguments_are_checked_like_host_ones(rng):
    be = device_arrays.backend_for(DEVICE)
    cases = [("float32", np.zeros(3, "float32")), ("float32", np.zeros((2, 4), "float32")),
             ("float32", np.zeros((2, 3), "complex64")), ("int8", np.full((2, 3), 300, "int32"))]
    for dtype, bad in cases:
        x = T.tensor(dtype, shape=(None, 3), name="x")
        with pytest.raises(InputError) as on_cpu:
            gg.function([x], x * 2, device="cpu")(bad)
        with pytest.raises(InputError) as on_device:
            gg.function([x], x * 2, device=DEVICE)(be.to_device(bad))
        assert str(on_device.value) == str(on_cpu.value)
    x = T.tensor("int8", shape=(None, 3), name="x")
    small = be.to_device(np.arange(6, dtype="int32").reshape(2, 3))
    out = gg.function([x], x * 2, device=DEVICE)(small)
    assert out.dtype == np.int8
    np.testing.assert_array_equal(out, np.arange(6).reshape(2, 3) * 2)


def test_results_never_alias_arguments_or_each_other(rng):
    x = T.dmatrix("x")
    f = gg.function([x], [x, x.T, T.exp(x), T.exp(x)], device=DEVICE, return_device_arrays=True)
    value = device_arrays.backend_for(DEVICE).to_device(rng.standard_normal((2, 3)))
    same, view, e1, e2 = f(value)
    assert all(_on_device(a) for a in (same, view, e1, e2))
    for a, b in [(same, value), (view, value), (e1, e2)]:
        assert not np.may_share_memory(a, b)  # CuPy's may_share_memory (the simulated one on cuda-sim)
    np.testing.assert_array_equal(host(view), host(value).T)


def test_cpu_functions_return_numpy_arrays():
    x = T.dvector("x")
    out = gg.function([x], x * 2.0, device="cpu", return_device_arrays=True)([1.0, 2.0])
    assert type(out) is np.ndarray


@pytest.mark.skipif(not available, reason=f"no usable GPU: {reason}")
def test_cupy_arrays_in_and_out(rng):
    import cupy
    x = T.fmatrix("x")
    f = gg.function([x], T.exp(x) + 1.0, device="cuda", return_device_arrays=True)
    value = cupy.asarray(rng.standard_normal((4, 5)).astype("float32"))
    out = f(value)
    assert isinstance(out, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(out), np.exp(cupy.asnumpy(value)) + 1, rtol=1e-5)
    with pytest.raises(InputError, match="expected 2 dimensions"):
        f(cupy.zeros(3, "float32"))
    host = gg.function([x], T.exp(x), device="cuda")(value)
    assert type(host) is np.ndarray


def _gpus():
    import cupy
    return cupy.cuda.runtime.getDeviceCount() if available else 0


@pytest.mark.skipif(_gpus() < 2, reason="needs two GPUs")
def test_cupy_array_on_another_gpu_is_named(rng):
    import cupy
    x = T.fvector("x")
    f = gg.function([x], x * 2.0, device="cuda:0")
    with cupy.cuda.Device(1):
        value = cupy.zeros(3, "float32")
    with pytest.raises(InputError, match=r"input 0 \(x\).*cuda:1.*cuda:0"):
        f(value)


def _mlp_step(params, device):
    """The step of tests/benchmarks/test_mlp.py on ``device``, at small sizes."""
    shared = [gg.shared(p.copy(), name=n) for p, n in zip(params, ["W1", "b1", "W2", "b2"])]
    W1, b1, W2, b2 = shared
    X, Y = T.fmatrix("X"), T.fmatrix("Y")
    z = T.dot(T.tanh(T.dot(X, W1) + b1), W2) + b2
    cost = -T.mean(T.sum(Y * (z - T.logsumexp(z, axis=1, keepdims=True)), axis=1))
    grads = T.grad(cost, shared)
    step = gg.function([X, Y], cost, updates=[(p, p - 0.1 * g) for p, g in zip(shared, grads)], device=device)
    return step, shared


def test_mlp_parameters_stay_on_the_device(rng, copies):
    sizes = [(20, 16), (16,), (16, 4), (4,)]
    params = [(rng.standard_normal(s) / 4).astype("float32") for s in sizes]
    batches = [(rng.standard_normal((8, 20)).astype("float32"), np.eye(4, dtype="float32")[rng.integers(0, 4, 8)])
               for _ in range(3)]
    sim, on_sim = _mlp_step(params, DEVICE)
    cpu, on_cpu = _mlp_step(params, "cpu")
    for i, batch in enumerate(batches):
        copies.clear()
        np.testing.assert_allclose(sim(*batch), cpu(*batch), rtol=1e-5)
        moved = [c for c in copies if c[1] in sizes and c[2] == np.float32]
        assert len(moved) == (4 if i == 0 else 0), moved  # uploaded on the first call only
    assert all(var.newer_on == DEVICE for var in on_sim)
    for var, expected in zip(on_sim, on_cpu):
        np.testing.assert_allclose(var.get_value(), expected.get_value(), rtol=1e-5, atol=1e-6)


def test_host_readers_see_device_updates_and_set_value_invalidates(copies):
    w = gg.shared(np.arange(3.0), name="w")
    x = T.dvector("x")
    bump = gg.function([], [], updates=[(w, w * 2.0 + 1.0)], device=DEVICE)
    read = gg.function([x], w + x, device="cpu")
    bump()
    bump()
    assert w.newer_on == DEVICE and [c[0] for c in copies].count("to_host") == 0
    np.testing.assert_array_equal(read(np.zeros(3)), np.arange(3.0) * 4 + 3)  # copied back lazily
    assert w.newer_on is None
    gg.function([], [], updates=[(w, w - 1.0)], device="cpu")()  # a host update: device copy out of date
    bump()
    np.testing.assert_array_equal(w.get_value(), (np.arange(3.0) * 4 + 2) * 2 + 1)
    w.set_value([5.0, 6.0, 7.0])
    copies.clear()
    bump()
    assert [c[0] for c in copies].count("to_device") == 1  # uploaded again after set_value
    np.testing.assert_array_equal(w.get_value(), [11.0, 13.0, 15.0])


def test_device_updates_are_returned_privately():
    w = gg.shared(np.ones(2), name="w")
    f = gg.function([], w * 3.0, updates=[(w, w * 3.0)], device=DEVICE, return_device_arrays=True)
    out = f()
    with device_arrays.backend_for(DEVICE).context():
        out[...] = -1.0  # the caller's array, not the shared variable's new value
    np.testing.assert_array_equal(w.get_value(), [3.0, 3.0])


def test_arguments_read_on_the_host_go_through_a_transfer(rng, copies):
    """An argument returned as it is, or read by a host node (0-d arithmetic), may be a device
    array: it reaches the host through a Transfer, which passes a host array through."""
    x, lr = T.dvector("x"), T.dscalar("lr")
    f = gg.function([x, lr], [x, lr * 2, T.exp(x)], device=DEVICE)
    to_host = [node for node in f.graph.toposort() if isinstance(node.op, gg.ops.transfer.Transfer)
               and node.op.to == "host"]
    assert {node.inputs[0] for node in to_host} >= set(f.graph.inputs)
    value = rng.standard_normal(3)
    out, doubled, _ = f(device_arrays.backend_for(DEVICE).to_device(value), 0.5)
    assert not _on_device(out) and not _on_device(doubled)
    np.testing.assert_array_equal(out, value)
    copies.clear()
    f(value, 0.5)  # host arguments pass through: the one copy back is exp(x)'s
    assert [c for c in copies if c[0] == "to_host"] == [("to_host", (3,), np.float64)]
