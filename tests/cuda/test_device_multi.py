"""Several devices (issue 19 item 4) on the two simulated ones: a function for ``cuda-sim:1``
makes every CuPy call of a call on device 1 whichever device is current; values of another
device are named; a device number the machine lacks is an error; and the synchronous debug
mode names the node whose kernel faulted."""
import threading

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.backends import simcupy
from gpugrad.backends.simcupy import memory as sim_memory
from gpugrad.compile import devices
from gpugrad.runtime import elementwise
from gpugrad.runtime.device_arrays import backend_for
from gpugrad.errors import DeviceError, InputError

from device_checks import host, sim_only

pytestmark = sim_only  # the two simulated devices; tests/gpu/run.sh runs the suite on cuda:1 of two GPUs


def _model(initial):
    """Fused elementwise work, reductions, a gather (the error board), a linear algebra routine,
    a matmul and a scan, with a shared variable updated on the device."""
    w = gg.shared(initial, name="w")
    x, idx = T.dmatrix("x"), T.lvector("idx")
    h = T.tanh(T.dot(x, w))[idx]
    rows, _ = gg.scan(lambda row, acc: acc * 0.5 + T.exp(row), sequences=h, outputs_info=T.zeros_like(h[0]))
    cost = T.sum(rows) + T.nlinalg.det(w) + T.nnet.softmax(h).max()
    return [x, idx], [cost, T.grad(cost, w)], [(w, w - 0.01 * T.grad(cost, w))], w


@pytest.fixture
def device_zero_refuses(monkeypatch):
    """Device 0 of the simulator refuses to allocate or launch: a call that strays there fails."""
    malloc = sim_memory.malloc

    def only_on_one(size):
        assert simcupy.cuda.current().ordinal == 1, "an allocation on device 0"
        return malloc(size)
    monkeypatch.setattr(sim_memory, "malloc", only_on_one)

    def no_launch(*args, **kwargs):
        raise AssertionError("a launch on device 0")
    monkeypatch.setattr(simcupy.cuda.DEVICES[0].launcher, "launch", no_launch)


def test_every_call_of_a_call_runs_on_the_functions_device(rng, device_zero_refuses):
    initial = rng.standard_normal((4, 4)) + 4 * np.eye(4)
    inputs, outputs, updates, w = _model(initial)
    f = gg.function(inputs, outputs, updates=updates, device="cuda-sim:1", return_device_arrays=True)
    args = rng.standard_normal((5, 4)), np.array([0, 4, 2])
    got = [f(*args) for _ in range(2)][-1]
    assert simcupy.cuda.current().ordinal == 0  # the caller's device, as it was
    assert all(g.device.id == 1 for g in got) and w.newer_on == "cuda-sim:1"
    inputs, outputs, updates, w_cpu = _model(initial)
    cpu = gg.function(inputs, outputs, updates=updates, device="cpu")
    expected = [cpu(*args) for _ in range(2)][-1]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(host(g), e, rtol=1e-10)
    np.testing.assert_allclose(w.get_value(), w_cpu.get_value(), rtol=1e-12)


def test_a_thread_whose_current_device_is_another_one(rng):
    x = T.dvector("x")
    f = gg.function([x], T.exp(x).sum() * 2, device="cuda-sim:0")
    results = []

    def run():
        with simcupy.cuda.Device(1):
            results.append(f(np.arange(3.0)))
            results.append(simcupy.cuda.current().ordinal)
    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    np.testing.assert_allclose(results[0], 2 * np.exp(np.arange(3.0)).sum())
    assert results[1] == 1


def test_arrays_of_another_device_are_named(rng):
    x = T.dvector("x")
    f = gg.function([x], x * 2.0, device="cuda-sim:1")
    elsewhere = backend_for("cuda-sim:0").to_device(np.arange(3.0))
    with pytest.raises(InputError, match=r"input 0 \(x\): a device array on cuda-sim:0, but the function runs on "
                                         r"cuda-sim:1"):
        f(elsewhere)
    np.testing.assert_array_equal(f(backend_for("cuda-sim:1").to_device(np.arange(3.0))), [0.0, 2.0, 4.0])
    with simcupy.cuda.Device(1), pytest.raises(ValueError, match="Array device must be same as the current device: "
                                                                 "array device = 0 while current = 1"):
        elsewhere + 1.0  # what CuPy says when such an array reaches a kernel


def test_a_shared_variable_moves_between_devices_through_the_host():
    w = gg.shared(np.ones(3), name="w")
    on_one = gg.function([], [], updates=[(w, w * 3.0)], device="cuda-sim:1")
    on_zero = gg.function([], w + 1.0, updates=[(w, w * 2.0)], device="cuda-sim")
    on_one()
    np.testing.assert_array_equal(on_zero(), [4.0, 4.0, 4.0])
    on_one()
    np.testing.assert_array_equal(w.get_value(), [18.0, 18.0, 18.0])


def test_a_device_number_the_machine_lacks_is_an_error(monkeypatch):
    with pytest.raises(DeviceError, match=r"device 'cuda-sim:7': this machine has 2 simulated devices"):
        gg.function([T.dvector("x")], T.dvector("y"), device="cuda-sim:7")
    monkeypatch.setattr(devices, "_gpus", lambda: (1, ""))  # one GPU
    with pytest.raises(DeviceError, match=r"device 'cuda:7': this machine has 1 GPUs, numbered 0 to 0"):
        devices.resolve("cuda:7")
    assert devices.resolve("cuda:0") == "cuda:0"


def _faulting(monkeypatch):
    """A fused kernel told its input has a huge stride: it reads far outside the array (its
    result read by argmax, a kernel of its own)."""
    real = elementwise._geometry
    monkeypatch.setattr(elementwise, "_geometry", lambda shape, static, values: real(shape, static, values) * 1000)
    x = T.dvector("x")
    return [x], T.argmax(T.exp(x) * 2)


def test_a_fault_is_reported_late_unless_launches_are_synchronous(monkeypatch):
    """On a GPU a kernel's fault surfaces at the next synchronization, naming whatever node
    waited; ``sync_launches`` (GPUGRAD_SYNC_LAUNCHES=1) waits after every device node."""
    inputs, output = _faulting(monkeypatch)
    late = gg.function(inputs, output, device="cuda-sim")
    with pytest.raises(gg.GpugradError, match=r"(?s)out-of-bounds read.*while computing node \d \((?!composite)"):
        late(np.arange(600.0))
    with gg.config.change_flags(sync_launches=True):
        synced = gg.function(inputs, output, device="cuda-sim")
    with pytest.raises(gg.GpugradError, match=r"(?s)out-of-bounds read.*while computing node \d \(composite"):
        synced(np.arange(600.0))
    monkeypatch.undo()
    assert synced(np.arange(3.0)) == 2
