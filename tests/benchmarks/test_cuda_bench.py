"""Issue 3's GPU workloads. On a machine with a GPU they are timed: achieved memory
bandwidth of a fused elementwise gradient kernel, of a 4-D broadcast add (its axes merged,
32-bit indices) and of reductions at 1e8 float32 elements (whole, rows, short rows, and
columns: the bias gradient's sum over axis 0, read in place) against the device's peak
(reported in extra_info; the targets are 80% and 70%), the logistic gradient and the MLP step beside the
same computation written with CuPy array operations, and the per-call overhead of a small
compiled CUDA function (the logistic gradient and the MLP step are the workloads of
``python -m gpugrad.bench --device cuda``). Without a GPU they are skipped, and the same functions run once,
small, on the CUDA simulator as correctness checks against the CPU."""
import numpy as np
import pytest

import gpugrad
import gpugrad.tensor as T
from gpugrad.backends.cuda import gpu_available
from gpugrad.bench.libraries import by_hand, with_gpugrad

HAS_GPU, WHY = gpu_available()
gpu = pytest.mark.skipif(not HAS_GPU, reason=f"no usable GPU: {WHY}")


def fused_gradient():
    """d/dx sum(tanh(x) * x**2): one fused elementwise kernel (read x, write the gradient)."""
    x = T.fvector("x")
    return x, T.grad(T.sum(T.tanh(x) * x ** 2), x)


def logistic_gradient():
    x = T.dmatrix("x")
    return x, T.grad(T.sum(1 / (1 + T.exp(-x))), x)


def full_sum():
    x = T.fvector("x")
    return x, T.sum(x)


def row_sums():
    x = T.fmatrix("x")
    return x, T.sum(x, axis=1)


def column_sums():
    """The bias gradient's reduction: over the leading axis, read where it lies (reduce_cols)."""
    x = T.fmatrix("x")
    return x, T.sum(x, axis=0)


def bias_add_4d():
    """A 4-D elementwise kernel whose axes merge to two (a bias along the last axis: a row of x)."""
    x = T.ftensor4("x")
    return x, T.tanh(x + x[0, 0, 0].dimshuffle("x", "x", "x", 0))


def small_function():
    x = T.fvector("x")
    return x, x * 2.0 + 1.0


@pytest.mark.parametrize("build", [fused_gradient, logistic_gradient, full_sum, row_sums, column_sums, bias_add_4d,
                                   small_function])
def test_simulator_agrees_with_the_cpu(build, rng):
    x, out = build()
    value = rng.standard_normal((5,) * x.ndim).astype(x.dtype)
    sim = gpugrad.function([x], out, device="cuda-sim")
    cpu = gpugrad.function([x], out, device="cpu")
    np.testing.assert_allclose(sim(value), cpu(value), rtol=1e-5)


def _peak_bandwidth():
    """Bytes per second: double data rate x memory clock (kHz) x bus width (bits) / 8, from the
    device attributes (cudaDevAttrMemoryClockRate = 36, cudaDevAttrGlobalMemoryBusWidth = 37)."""
    import cupy
    device = cupy.cuda.Device().id
    clock_khz = cupy.cuda.runtime.deviceGetAttribute(36, device)
    bus_bits = cupy.cuda.runtime.deviceGetAttribute(37, device)
    return 2 * clock_khz * 1e3 * bus_bits / 8


def _bandwidth(benchmark, nbytes):
    achieved = nbytes / benchmark.stats.stats.median
    benchmark.extra_info["bandwidth_GBps"] = achieved / 1e9
    benchmark.extra_info["fraction_of_peak"] = achieved / _peak_bandwidth()


@gpu
@pytest.mark.benchmark(group="CUDA fused elementwise gradient, 1e8 float32")
def test_fused_gradient_bandwidth(benchmark):
    import cupy
    x, out = fused_gradient()
    f = gpugrad.function([x], out, device="cuda", return_device_arrays=True)
    value = cupy.random.standard_normal(10 ** 8, dtype=cupy.float32)

    def run():
        f(value)
        cupy.cuda.Device().synchronize()
    benchmark(run)
    _bandwidth(benchmark, 2 * value.nbytes)  # read x, write the gradient


@gpu
@pytest.mark.benchmark(group="CUDA 4-D broadcast add, 1e8 float32")
def test_merged_axes_elementwise_bandwidth(benchmark):
    import cupy
    x, out = bias_add_4d()
    f = gpugrad.function([x], out, device="cuda", return_device_arrays=True)
    value = cupy.random.standard_normal((100, 100, 100, 100), dtype=cupy.float32)

    def run():
        f(value)
        cupy.cuda.Device().synchronize()
    benchmark(run)
    _bandwidth(benchmark, 2 * value.nbytes)  # read x, write the result


@gpu
@pytest.mark.benchmark(group="CUDA reductions, 1e8 float32")
@pytest.mark.parametrize("build,shape", [(full_sum, (10 ** 8,)), (row_sums, (10 ** 4, 10 ** 4)),
                                         (row_sums, (10 ** 7, 10)), (column_sums, (10 ** 4, 10 ** 4)),
                                         (column_sums, (10 ** 6, 100)), (column_sums, (10 ** 7, 10))],
                         ids=["sum", "sum-axis-1", "sum-axis-1-short-rows", "sum-axis-0", "sum-axis-0-100-columns",
                              "sum-axis-0-10-columns"])
def test_reduction_bandwidth(benchmark, build, shape):
    import cupy
    x, out = build()
    f = gpugrad.function([x], out, device="cuda", return_device_arrays=True)
    value = cupy.random.standard_normal(shape, dtype=cupy.float32)

    def run():
        f(value)
        cupy.cuda.Device().synchronize()
    benchmark(run)
    _bandwidth(benchmark, value.nbytes)


@gpu
@pytest.mark.benchmark(group="CUDA logistic gradient, 1000x1000 float64")
def test_logistic_gradient_gpugrad(suite_benchmark):
    suite_benchmark(with_gpugrad, "logistic", device="cuda")


@gpu
@pytest.mark.benchmark(group="CUDA logistic gradient, 1000x1000 float64")
def test_logistic_gradient_cupy(suite_benchmark):
    suite_benchmark(by_hand, "logistic", device="cuda")


@gpu
@pytest.mark.benchmark(group="CUDA MLP 784-512-10 SGD step, batch 256, float32")
def test_mlp_step_gpugrad(suite_benchmark):
    suite_benchmark(with_gpugrad, "mlp-step", device="cuda")


@gpu
@pytest.mark.benchmark(group="CUDA MLP 784-512-10 SGD step, batch 256, float32")
def test_mlp_step_cupy(suite_benchmark):
    suite_benchmark(by_hand, "mlp-step", device="cuda")


@gpu
@pytest.mark.benchmark(group="CUDA per-call overhead, small function")
def test_small_function_overhead(benchmark):
    import cupy
    x, out = small_function()
    f = gpugrad.function([x], out, device="cuda", return_device_arrays=True)
    value = cupy.ones(16, dtype=cupy.float32)
    benchmark(lambda: (f(value), cupy.cuda.Device().synchronize()))
