"""The simulated CuPy's streams, CUDA graphs and allocators mirror CuPy's API (the names and
signatures are checked against the installed CuPy's) and CUDA's rules: a capture records
work without running it, a graph replays it reading and writing the same memory, and what
CUDA refuses during a capture (a synchronisation, a copy between host and device, capturing
the null stream) is refused and invalidates the capture."""
import inspect

import numpy as np
import pytest

from gpugrad.backends import simcupy as cp

SOURCE = r"""
extern "C" __global__ void axpy(const double* x, double* y, double a, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = a * x[i] + y[i];
}
"""
CAPTURE_ERROR = "cudaErrorStreamCaptureUnsupported"


@pytest.fixture(scope="module")
def axpy():
    return cp.RawModule(code=SOURCE, options=("--std=c++17",)).get_function("axpy")


def _captured(work):
    stream = cp.cuda.Stream(non_blocking=True)
    with stream:
        stream.begin_capture()
        work()
        return stream.end_capture()


def test_a_capture_records_and_a_launch_replays_on_the_same_memory(axpy):
    x, y = cp.asarray(np.arange(4.0)), cp.zeros(4)
    stats = cp.cuda.simulated(0).stats
    before = stats.copy()
    graph = _captured(lambda: (axpy((1,), (4,), (x, y, 2.0, np.int32(4))), y.fill(1.0), (y * 3).sum()))
    assert stats.since(before).kernels == 0 and y.get().tolist() == [0.0] * 4  # nothing ran
    assert graph.kernels == 4  # axpy, the fill, the product and its sum
    graph.launch()
    assert y.get().tolist() == [1.0] * 4  # axpy, then the fill
    x[...] = 7.0  # new contents where the graph reads: a replay sees them
    graph.launch(stream=cp.cuda.Stream.null)
    spent = stats.since(before)
    assert (spent.launches, spent.kernels) == (3, 9)  # two graph launches and the copy; 4 kernels each
    axpy((1,), (4,), (x, y, 1.0, np.int32(4)))
    assert y.get().tolist() == [8.0] * 4


@pytest.mark.parametrize("refused", ["get", "asarray", "stream sync", "device sync", "set"])
def test_what_cuda_refuses_in_a_capture_invalidates_it(refused):
    a = cp.zeros(3)
    stream = cp.cuda.Stream(non_blocking=True)
    action = {"get": a.get, "asarray": lambda: cp.asarray(np.ones(3)), "stream sync": stream.synchronize,
              "device sync": cp.cuda.Device().synchronize, "set": lambda: a.set(np.ones(3))}[refused]
    with stream:
        stream.begin_capture()
        with pytest.raises(cp.cuda.runtime.CUDARuntimeError, match=CAPTURE_ERROR):
            action()
        assert stream.is_capturing()
        with pytest.raises(cp.cuda.runtime.CUDARuntimeError, match="cudaErrorStreamCaptureInvalidated"):
            a.fill(2.0)
        with pytest.raises(cp.cuda.runtime.CUDARuntimeError, match="cudaErrorStreamCaptureInvalidated"):
            stream.end_capture()
    assert not stream.is_capturing() and a.get().tolist() == [0.0] * 3


def test_the_null_stream_and_a_second_begin_are_refused():
    with pytest.raises(cp.cuda.runtime.CUDARuntimeError, match=CAPTURE_ERROR):
        cp.cuda.Stream.null.begin_capture()
    stream = cp.cuda.Stream(non_blocking=True)
    with pytest.raises(cp.cuda.runtime.CUDARuntimeError, match="cudaErrorIllegalState"):
        stream.end_capture()
    stream.begin_capture()
    with pytest.raises(cp.cuda.runtime.CUDARuntimeError, match="cudaErrorIllegalState"):
        stream.begin_capture()
    assert stream.end_capture().kernels == 0


def test_allocations_in_a_capture_are_allowed_and_served_by_the_current_allocator():
    served = []

    def allocator(size):
        served.append(size)
        return cp.cuda.malloc(size)
    with cp.cuda.using_allocator(allocator):
        graph = _captured(lambda: cp.zeros(5))
        assert cp.cuda.get_allocator() is allocator
    assert served == [40] and cp.cuda.get_allocator() is cp.cuda.malloc
    graph.launch()


def test_a_graph_runs_on_the_device_it_was_captured_on():
    graph = _captured(lambda: cp.zeros(2))
    with cp.cuda.Device(1), pytest.raises(cp.cuda.runtime.CUDARuntimeError, match="cudaErrorInvalidValue"):
        graph.launch()


def test_the_api_is_cupys():
    """Every name gpugrad calls exists in CuPy with the parameters the simulated layer takes."""
    cupy = pytest.importorskip("cupy")
    pairs = [(cupy.cuda.Stream, cp.cuda.Stream, ["begin_capture", "end_capture", "is_capturing", "synchronize",
                                                   "use"]),
             (cupy.cuda.Graph, cp.cuda.Graph, ["launch", "upload"]), (cupy.ndarray, cp.ndarray, ["set", "get"])]
    for real, simulated, names in pairs:
        for name in names:
            assert hasattr(real, name) and hasattr(simulated, name), name
    for name in ["using_allocator", "get_allocator", "set_allocator", "alloc", "MemoryPointer", "UnownedMemory",
                 "get_current_stream"]:
        assert hasattr(cupy.cuda, name) and hasattr(cp.cuda, name), name
    assert list(inspect.signature(cp.cuda.UnownedMemory).parameters) == ["ptr", "size", "owner", "device_id"]
    assert list(inspect.signature(cp.cuda.Stream).parameters)[:2] == ["null", "non_blocking"]
