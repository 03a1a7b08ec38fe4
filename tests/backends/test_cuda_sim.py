"""The CUDA simulator runs real CUDA C: barriers, shared memory, shuffles, atomics, complex
arithmetic, compared with NumPy; and its errors: out of bounds, deadlock, bad arguments.
(Its hostile schedule and poisoned memory: test_cuda_sim_hostile.py.)"""
import numpy as np
import pytest

from gpugrad.backends import base
from gpugrad.backends.cuda_sim import SimBackend, compiler, schedule

SYNC_SOURCE = r"""
extern "C" __global__ void reverse_block(const int* x, int* y) {
    __shared__ int s[1024];
    int base = blockIdx.x * blockDim.x;
    s[threadIdx.x] = x[base + threadIdx.x];
    __syncthreads();
    y[base + threadIdx.x] = s[blockDim.x - 1 - threadIdx.x];
}
extern "C" __global__ void scan_block(const float* x, float* y) {
    extern __shared__ float buf[];
    int t = threadIdx.x, base = blockIdx.x * blockDim.x;
    buf[t] = x[base + t];
    for (int d = 1; d < blockDim.x; d *= 2) {
        __syncthreads();
        float v = t >= d ? buf[t - d] : 0.0f;
        __syncthreads();
        buf[t] += v;
    }
    y[base + t] = buf[t];
}
extern "C" __global__ void shuffles(const int* x, int* out, int width, int arg) {
    int t = blockIdx.x * blockDim.x + threadIdx.x, v = x[t];
    out[4 * t + 0] = __shfl_sync(0xffffffffu, v, arg, width);
    out[4 * t + 1] = __shfl_up_sync(0xffffffffu, v, arg, width);
    out[4 * t + 2] = __shfl_down_sync(0xffffffffu, v, arg, width);
    out[4 * t + 3] = __shfl_xor_sync(0xffffffffu, v, arg, width);
}
extern "C" __global__ void vote(const int* x, unsigned* ballot, int* any_all) {
    int t = threadIdx.x;
    ballot[t] = __ballot_sync(0xffffffffu, x[t] > 0);
    any_all[2 * t] = __any_sync(0xffffffffu, x[t] > 0);
    any_all[2 * t + 1] = __all_sync(0xffffffffu, x[t] > 0);
}
extern "C" __global__ void atomics(const double* v, int* ci, unsigned long long* cu, float* cf, double* cd,
                                   complex<float>* cc, complex<double>* cz, int bins) {
    int t = blockIdx.x * blockDim.x + threadIdx.x, b = t % bins;
    atomicAdd(&ci[b], 1);
    atomicAdd(&cu[b], 1ull << 33);
    atomicAdd(&cf[b], float(v[t]));
    atomicAdd(&cd[b], v[t]);
    atomicAdd(&cc[b], complex<float>(float(v[t]), 1.0f));
    atomicAdd(&cz[b], complex<double>(-v[t], v[t]));
}
extern "C" __global__ void complex_math(const complex<double>* z, complex<double>* out, double* mag, int n) {
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= n) return;
    complex<double> a = z[t];
    out[t] = exp(a) * conj(a) + sqrt(a) / (a + 1.0) - log(a) * a.imag();
    mag[t] = abs(a);
}
extern "C" __global__ void half_exit(int* y) {
    if (threadIdx.x % 2) return;
    __syncthreads();
    y[threadIdx.x] = 1;
}
extern "C" __global__ void shuffle_after_exit(int* y) {
    if (threadIdx.x == 3) return;
    y[threadIdx.x] = __shfl_down_sync(0xffffffffu, int(threadIdx.x), 1);
}
extern "C" __global__ void shared_overflow(float* y) {
    extern __shared__ float s[];
    s[threadIdx.x] = 1.0f;
    __syncthreads();
    y[threadIdx.x] = s[threadIdx.x];
}
"""

PLAIN_SOURCE = r"""
extern "C" __global__ void copy_shifted(const float* x, float* y, long long n, long long shift) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i + shift];
}
extern "C" __global__ void store_shifted(const float* x, float* y, long long n, long long shift) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) y[i + shift] = x[i];
}
extern "C" __global__ void divide(const int* x, int* y, int d) { y[threadIdx.x] = x[threadIdx.x] / d; }
extern "C" __global__ void check_positive(const float* x) { assert(x[threadIdx.x] > 0); }
"""


@pytest.fixture(scope="module")
def sync_module(compile_sim):
    return compile_sim(SYNC_SOURCE)


@pytest.fixture(scope="module")
def plain_module(compile_sim):
    return compile_sim(PLAIN_SOURCE)


@pytest.mark.parametrize("stream", ["first", "second"])
def test_barrier_and_static_shared(sync_module, rng, stream):
    backend = SimBackend()
    schedule.restart(stream)
    x = rng.integers(0, 1000, 3 * 256).astype(np.int32)
    y = backend.allocate(x.shape, np.int32)
    backend.launch(sync_module.get_function("reverse_block"), 3, 256, (backend.to_device(x), y))
    np.testing.assert_array_equal(y, x.reshape(3, 256)[:, ::-1].ravel())


@pytest.mark.parametrize("stream", ["first", "second"])
def test_extern_shared_scan(sync_module, rng, stream):
    backend = SimBackend()
    schedule.restart(stream)
    x = rng.standard_normal(2 * 128).astype(np.float32)
    y = backend.allocate(x.shape, np.float32)
    backend.launch(sync_module.get_function("scan_block"), 2, 128, (backend.to_device(x), y), shared_mem=128 * 4)
    np.testing.assert_allclose(y, np.cumsum(x.reshape(2, 128), axis=1).ravel(), rtol=1e-5, atol=1e-5)


def _shuffle_model(x, width, arg):
    lane = np.arange(x.size) % 32
    base = np.arange(x.size) - lane % width
    within = lane % width
    up = np.where(within - arg >= 0, np.arange(x.size) - arg, np.arange(x.size))
    down = np.where(within + arg < width, np.arange(x.size) + arg, np.arange(x.size))
    xor = np.where((within ^ arg) < width, base + (within ^ arg), np.arange(x.size))
    return np.stack([x[base + arg % width], x[up], x[down], x[xor]], axis=1).ravel()


@pytest.mark.parametrize("width,arg", [(32, 1), (32, 5), (16, 3), (8, 7), (4, 2)])
def test_shuffles(sim, sync_module, rng, width, arg):
    x = rng.integers(-100, 100, 2 * 64).astype(np.int32)
    out = sim.allocate(4 * x.size, np.int32)
    sim.launch(sync_module.get_function("shuffles"), 2, 64, (sim.to_device(x), out, np.int32(width), np.int32(arg)))
    np.testing.assert_array_equal(out, _shuffle_model(x, width, arg))


def test_votes(sim, sync_module, rng):
    x = rng.integers(-3, 3, 64).astype(np.int32)
    x[32:] = 1
    ballot, any_all = sim.allocate(64, np.uint32), sim.allocate(128, np.int32)
    sim.launch(sync_module.get_function("vote"), 1, 64, (sim.to_device(x), ballot, any_all))
    bits = [sum(int(v) << i for i, v in enumerate(x[w * 32:(w + 1) * 32] > 0)) for w in range(2)]
    np.testing.assert_array_equal(ballot, np.repeat(bits, 32))
    np.testing.assert_array_equal(any_all[0::2], np.repeat([np.any(x[:32] > 0), True], 32))
    np.testing.assert_array_equal(any_all[1::2], np.repeat([np.all(x[:32] > 0), True], 32))


def test_atomics_every_type(sim, sync_module, rng):
    bins, blocks, threads = 7, 3, 96
    v = rng.standard_normal(blocks * threads)
    target = np.arange(v.size) % bins
    outs = [sim.to_device(np.zeros(bins, dt)) for dt in
            (np.int32, np.uint64, np.float32, np.float64, np.complex64, np.complex128)]
    sim.launch(sync_module.get_function("atomics"), blocks, threads, (sim.to_device(v), *outs, np.int32(bins)))
    def binned(values):
        acc = np.zeros(bins, np.asarray(values).dtype)
        np.add.at(acc, target, values)
        return acc
    np.testing.assert_array_equal(outs[0], binned(np.ones(v.size, np.int64)))
    np.testing.assert_array_equal(outs[1], binned(np.full(v.size, 1 << 33, np.uint64)))
    np.testing.assert_allclose(outs[2], binned(v), rtol=1e-5)
    np.testing.assert_allclose(outs[3], binned(v), rtol=1e-12)
    np.testing.assert_allclose(outs[4], binned(v + 1j), rtol=1e-5)
    np.testing.assert_allclose(outs[5], binned(-v + 1j * v), rtol=1e-12)


def test_complex_arithmetic(sim, sync_module, rng):
    z = rng.standard_normal(100) + 1j * rng.standard_normal(100)
    out, mag = sim.allocate(100, np.complex128), sim.allocate(100, np.float64)
    sim.launch(sync_module.get_function("complex_math"), 2, 64, (sim.to_device(z), out, mag, np.int32(100)))
    expected = np.exp(z) * np.conj(z) + np.sqrt(z) / (z + 1.0) - np.log(z) * z.imag
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    np.testing.assert_allclose(mag, np.abs(z), rtol=1e-14)


def test_barrier_deadlock_is_an_error(sim, sync_module):
    y = sim.allocate(64, np.int32)
    with pytest.raises(base.BarrierDeadlockError, match=r"half_exit.*__syncthreads.*exit"):
        sim.launch(sync_module.get_function("half_exit"), 1, 64, (y,))
    with pytest.raises(base.BarrierDeadlockError, match="lane 3 of warp 0 has exited"):
        sim.launch(sync_module.get_function("shuffle_after_exit"), 1, 32, (y,))
    test_barrier_and_static_shared(sync_module, np.random.default_rng(0), "after")  # fibers recovered


def test_dynamic_shared_overflow(sim, sync_module):
    y = sim.allocate(64, np.float32)
    with pytest.raises(base.OutOfBoundsError, match="write.*dynamic shared memory"):
        sim.launch(sync_module.get_function("shared_overflow"), 1, 64, (y,), shared_mem=32 * 4)


@pytest.mark.parametrize("kernel,shift,pattern", [  # which thread faults first is the schedule's choice
    ("copy_shifted", 1, r"read of argument 0 of kernel 'copy_shifted' at element 1000 \(0 bytes past the end"),
    ("store_shifted", 3, r"block \(7, 0, 0\), thread \(10[123], 0, 0\): out-of-bounds write of argument 1 .* "
                         r"at element 100[012] \([048] bytes past the end"),
    ("copy_shifted", -2000, r"read of argument 0 .* at element -1?\d{3,4} \(.* bytes before the start"),
    ("copy_shifted", 1 << 40, "not near any buffer"),
])
def test_out_of_bounds(sim, plain_module, kernel, shift, pattern):
    assert not plain_module.fibers
    x, y = sim.to_device(np.ones(1000, np.float32)), sim.allocate(1000, np.float32)
    with pytest.raises(base.OutOfBoundsError, match=pattern) as info:
        sim.launch(plain_module.get_function(kernel), 8, 128, (x, y, 1000, shift))
    assert "thread (" in str(info.value)
    sim.launch(plain_module.get_function("copy_shifted"), 8, 128, (x, y, 1000, 0))
    np.testing.assert_array_equal(y, 1.0)


def test_host_arrays_are_staged_and_checked(sim, plain_module):
    x, y = np.arange(10, dtype=np.float32), np.zeros(10, np.float32)
    sim.launch(plain_module.get_function("copy_shifted"), 1, 32, (x, y, 10, 0))
    np.testing.assert_array_equal(y, x)
    with pytest.raises(base.OutOfBoundsError, match="element 10"):
        sim.launch(plain_module.get_function("copy_shifted"), 1, 32, (x, y, 10, 1))


def test_device_faults_and_asserts(sim, plain_module):
    x, y = sim.to_device(np.arange(32, dtype=np.int32)), sim.allocate(32, np.int32)
    with pytest.raises(base.KernelLaunchError, match="division by zero"):
        sim.launch(plain_module.get_function("divide"), 1, 32, (x, y, np.int32(0)))
    with pytest.raises(base.KernelLaunchError, match=r"thread \(5, 0, 0\).*assertion `x\[threadIdx.x\] > 0'"):
        sim.launch(plain_module.get_function("check_positive"), 1, 32,
                   (sim.to_device(np.where(np.arange(32) == 5, -1.0, 1.0).astype(np.float32)),))


@pytest.mark.parametrize("args,pattern", [
    (lambda x, y: (x.astype(np.float64), y, 4, 0), "argument 0 of kernel 'copy_shifted' points to float32; got a float64"),
    (lambda x, y: (x, y, np.int32(4), 0), "argument 2 .* is int64; got a int32 scalar"),
    (lambda x, y: (x, y, 4.0, 0), "argument 2 .* is int64; got a float64 scalar"),
    (lambda x, y: (x, y, 4), "takes 4 arguments, got 3"),
    (lambda x, y: (1.0, y, 4, 0), "argument 0 .* is a pointer; got float"),
])
def test_mismatched_arguments(sim, plain_module, args, pattern):
    x, y = sim.allocate(4, np.float32), sim.allocate(4, np.float32)
    with pytest.raises(base.KernelArgumentError, match=pattern):
        sim.launch(plain_module.get_function("copy_shifted"), 1, 4, args(x, y))


@pytest.mark.parametrize("grid,block,shared", [(1, 2048, 0), (0, 32, 0), (1, (32, 1, 128), 0), (1, 32, 1 << 20)])
def test_launch_limits(sim, plain_module, grid, block, shared):
    x = sim.allocate(4, np.float32)
    with pytest.raises(base.KernelLaunchError):
        sim.launch(plain_module.get_function("copy_shifted"), grid, block, (x, x, 0, 0), shared_mem=shared)


def test_compile_error_names_the_source(sim):
    with pytest.raises(base.KernelCompileError, match=r"(?s)g\+\+ failed .*\.cpp.*undeclared_thing"):
        sim.load_module('extern "C" __global__ void broken(float* y) { y[0] = undeclared_thing; }')


def test_disk_cache_hit(monkeypatch, tmp_path):
    shim = compiler.precompiled_shim()
    monkeypatch.setattr(compiler, "precompiled_shim", lambda: shim)
    monkeypatch.setenv("GPUGRAD_CACHE", str(tmp_path))
    source = 'extern "C" __global__ void one(float* y) { y[threadIdx.x] = 1.0f; }'
    path, names, fibers = compiler.build(source)
    assert path.parent == tmp_path / "cuda_sim" and path.exists() and names == ["one"] and not fibers
    def no_compiler(*args):
        raise AssertionError("compiled again instead of using the cache")
    monkeypatch.setattr(compiler, "_compile", no_compiler)
    assert compiler.build(source)[0] == path
    with pytest.raises(AssertionError, match="compiled again"):
        compiler.build(source, ("-DVARIANT=1",))
    y = np.zeros(8, np.float32)
    backend = SimBackend()
    backend.launch(backend.load_module(source).get_function("one"), 1, 8, (y,))
    np.testing.assert_array_equal(y, 1.0)


def test_an_edited_header_is_a_new_cache_key(monkeypatch, tmp_path):
    """The key hashes every header the source includes with quotes, not only the source."""
    shim = compiler.precompiled_shim()
    monkeypatch.setattr(compiler, "precompiled_shim", lambda: shim)
    monkeypatch.setenv("GPUGRAD_CACHE", str(tmp_path / "cache"))
    header = tmp_path / "value.cuh"
    source = '#include "value.cuh"\nextern "C" __global__ void one(float* y) { y[threadIdx.x] = VALUE; }'
    header.write_text("#define VALUE 1.0f\n")
    first = compiler.build(source, (f"-I{tmp_path}",))[0]
    header.write_text("#define VALUE 2.0f\n__device__ void sync_here() { __syncthreads(); }\n")
    second, _, fibers = compiler.build(source, (f"-I{tmp_path}",))
    assert second != first and fibers


def test_extern_shared_rewrite():
    src = "extern __shared__ __align__(16) unsigned char smem[];\nvoid f() { extern __shared__ double b[]; }"
    out = compiler.prepare(src)[0]
    assert "#define smem (reinterpret_cast<unsigned char*>(::gg::L->dynamic_shared))" in out
    assert "double* const b = reinterpret_cast<double*>(::gg::L->dynamic_shared);" in out
