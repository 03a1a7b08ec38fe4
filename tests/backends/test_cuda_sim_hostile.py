"""The simulator is as hostile as a GPU: blocks and threads in an order drawn from a seed
(replayable), atomics that let other threads in (compare-and-swap loops retry), poisoned
device and shared memory (a fresh instance per block), misaligned pointers refused."""
import numpy as np
import pytest

from gpugrad.backends import base
from gpugrad.backends.cuda_sim import memory, schedule

SOURCE = r"""
extern "C" __global__ void block_order(unsigned* order, unsigned* counter) {
    if (threadIdx.x == 0) order[blockIdx.x + gridDim.x * blockIdx.y] = atomicAdd(counter, 1u);
}
extern "C" __global__ void thread_order(unsigned* order, unsigned* counter) {
    order[blockIdx.x * blockDim.x + threadIdx.x] = counter[blockIdx.x]++;  // a plain loop of threads
}
extern "C" __global__ void fiber_order(unsigned* order, unsigned* counter) {
    __syncthreads();
    order[threadIdx.x] = counter[0]++;
}
extern "C" __global__ void cas_increments(unsigned* word, unsigned* retries) {
    unsigned old = *word, assumed;
    do {
        assumed = old;
        old = atomicCAS(word, assumed, assumed + 1u);
        if (old != assumed) atomicAdd(retries, 1u);
    } while (old != assumed);
}
extern "C" __global__ void unwritten_shared(float* first, int* counts) {
    __shared__ float f[64];
    __shared__ int n[64];
    first[blockIdx.x * blockDim.x + threadIdx.x] = f[threadIdx.x];  // garbage: nobody wrote it
    counts[blockIdx.x * blockDim.x + threadIdx.x] = n[threadIdx.x];
    __syncthreads();
    f[threadIdx.x] = 1.0f;  // what the next block must not see
    n[threadIdx.x] = 0;
}
extern "C" __global__ void unwritten_dynamic(double* first) {
    extern __shared__ double d[];
    first[blockIdx.x * blockDim.x + threadIdx.x] = d[threadIdx.x];
    __syncthreads();
    d[threadIdx.x] = 0.0;
}
extern "C" __global__ void deep_locals(float* y) {
    volatile float big[64 * 1024];  // 256 KiB: more than a fiber's stack
    big[threadIdx.x] = 1.0f;
    __syncthreads();
    y[threadIdx.x] = big[threadIdx.x];
}
extern "C" __global__ void past_the_end(unsigned* y, long long n) { y[n] = 1u; }
extern "C" __global__ void read_complex(const complex<double>* z, double* re) { re[threadIdx.x] = z[threadIdx.x].real(); }
"""


@pytest.fixture(scope="module")
def module(compile_sim):
    return compile_sim(SOURCE)


def _order(sim, module, kernel, grid, block, n, stream):
    schedule.restart(stream)
    order, counter = sim.allocate(n, np.uint32), sim.to_device(np.zeros(np.prod(grid), np.uint32))
    sim.launch(module.get_function(kernel), grid, block, (order, counter))
    return order.copy()


@pytest.mark.parametrize("kernel,grid,block,n", [("block_order", (16, 4), 32, 64), ("thread_order", 1, 256, 256),
                                                 ("fiber_order", 1, 96, 96)])
def test_an_order_drawn_from_the_seed_and_replayed_by_it(sim, module, kernel, grid, block, n):
    first = _order(sim, module, kernel, grid, block, n, "a stream")
    assert sorted(first) == list(range(n)) and list(first) != list(range(n)) and list(first) != list(range(n))[::-1]
    assert list(_order(sim, module, kernel, grid, block, n, "a stream")) == list(first)
    assert list(_order(sim, module, kernel, grid, block, n, "another stream")) != list(first)


def test_each_block_draws_its_own_thread_order(sim, module):
    schedule.restart("blocks")
    order, counter = sim.allocate((4, 128), np.uint32), sim.to_device(np.zeros(4, np.uint32))
    sim.launch(module.get_function("thread_order"), 4, 128, (order, counter))
    assert len({tuple(row) for row in order}) == 4


def test_compare_and_swap_loops_meet_contention_and_still_count_right(sim, module):
    word, retries = sim.to_device(np.zeros(1, np.uint32)), sim.to_device(np.zeros(1, np.uint32))
    sim.launch(module.get_function("cas_increments"), 3, 64, (word, retries))
    assert word[0] == 3 * 64 and retries[0] > 0


def test_device_memory_is_poisoned():
    assert np.isnan(memory.empty(5, np.float32)).all() and np.isnan(memory.empty((2, 3), np.complex128)).all()
    assert (memory.empty(4, np.int64) == np.iinfo(np.int64).max).all()
    assert (memory.empty(4, np.uint8) == 255).all() and memory.empty(3, np.bool_).all()
    with pytest.raises(ValueError, match="negative dimensions"):
        memory.empty((2, -1), np.float64)


def test_static_shared_memory_is_fresh_and_poisoned_in_every_block(sim, module):
    first, counts = sim.allocate(3 * 64, np.float32), sim.allocate(3 * 64, np.int32)
    sim.launch(module.get_function("unwritten_shared"), 3, 64, (first, counts))
    assert np.isnan(first).all() and (counts == np.iinfo(np.int32).max).all()


def test_dynamic_shared_memory_is_fresh_and_poisoned_in_every_block(sim, module):
    first = sim.allocate(2 * 32, np.float64)
    sim.launch(module.get_function("unwritten_dynamic"), 2, 32, (first,), shared_mem=32 * 8)
    assert np.isnan(first).all()


def test_a_misaligned_pointer_is_refused_naming_the_argument(sim, module):
    words = sim.allocate(2 * 9, np.float64)
    words[...] = np.arange(18)
    aligned, misaligned = words[:16].view(np.complex128), words[1:17].view(np.complex128)
    re = sim.allocate(8, np.float64)
    sim.launch(module.get_function("read_complex"), 1, 8, (aligned, re))
    np.testing.assert_array_equal(re, np.arange(0, 16, 2))
    with pytest.raises(base.KernelLaunchError, match=r"argument 0 of kernel 'read_complex': misaligned address "
                                                     r"0x[0-9a-f]+ for complex128.*16-byte"):
        sim.launch(module.get_function("read_complex"), 1, 8, (misaligned, re))


def test_a_launch_error_names_the_seed(sim, module):
    word = sim.allocate(1, np.uint32)
    with pytest.raises(base.OutOfBoundsError, match=rf"GPUGRAD_SIM_SEED={schedule.process_seed()}\b"):
        sim.launch(module.get_function("past_the_end"), 1, 4, (word, 1))


def test_fibers_of_every_kernel_share_one_set_of_guarded_stacks(sim, module, compile_sim):
    """A stack overflow is caught, and loading more kernels that synchronise adds no mappings
    (each used to map and guard stacks of its own, up to vm.max_map_count)."""
    y = sim.allocate(32, np.float32)
    with pytest.raises(base.OutOfBoundsError, match="stack overflow"):
        sim.launch(module.get_function("deep_locals"), 1, 32, (y,))
    def mappings():
        with open("/proc/self/maps") as maps:
            return sum(1 for _ in maps)
    before = mappings()
    for k in range(3):
        source = f'extern "C" __global__ void k{k}(float* y) {{ __syncthreads(); y[threadIdx.x] = {k}.0f; }}'
        sim.launch(compile_sim(source).get_function(f"k{k}"), 1, 256, (sim.allocate(256, np.float32),))
    assert mappings() - before < 3 * 16
    sim.launch(module.get_function("fiber_order"), 1, 96, (sim.allocate(96, np.uint32),
                                                           sim.to_device(np.zeros(1, np.uint32))))
