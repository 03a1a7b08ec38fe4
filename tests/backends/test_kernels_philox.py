"""kernels/philox.cu and philox_advance.cu against gpugrad/ops/philox.py: Random123's known
answers for the Philox function itself (a test kernel around the kernel file's device function,
on the simulator and under NVRTC), the draws bit for bit (float32 and float64, uniform and
normal, sizes that leave blocks half used, grids smaller than the work, a counter about to
carry), the next state's carry, and the kernel's polynomial coefficients equal to the NumPy
side's."""
import re

import numpy as np
import pytest

from gpugrad.backends import cuda
from gpugrad.backends.load import KERNELS_DIR
from gpugrad.ops import philox

# Random123's tests/kat_vectors, the three "philox4x32 10" lines: counter, key, result.
KAT = [((0x00000000, 0x00000000, 0x00000000, 0x00000000), (0x00000000, 0x00000000),
        (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)),
       ((0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff), (0xffffffff, 0xffffffff),
        (0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)),
       ((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), (0xa4093822, 0x299f31d0),
        (0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1))]

KAT_SOURCE = """#include "gpugrad.cuh"
typedef float T;
#include "philox.cu"
extern "C" __global__ void philox_kat(const unsigned* counters, const unsigned* keys, unsigned* out, i64 n) {
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)blockDim.x * gridDim.x) {
        unsigned c[4] = {counters[4 * i], counters[4 * i + 1], counters[4 * i + 2], counters[4 * i + 3]};
        gg_philox4x32_10(c, keys[2 * i], keys[2 * i + 1]);
        for (int k = 0; k < 4; ++k) out[4 * i + k] = c[k];
    }
}
"""


def test_the_numpy_philox_gives_random123s_known_answers():
    for counter, key, expected in KAT:
        assert [int(w) for w in philox.philox4x32(counter, key)] == list(expected)


def test_the_kernels_philox_gives_random123s_known_answers(sim, compile_sim):
    kernel = compile_sim(KAT_SOURCE, (f"-I{KERNELS_DIR}",)).get_function("philox_kat")
    counters = np.array([c for c, _, _ in KAT], np.uint32).ravel()
    keys = np.array([k for _, k, _ in KAT], np.uint32).ravel()
    out = sim.allocate(4 * len(KAT), np.uint32)
    sim.launch(kernel, 1, 32, (sim.to_device(counters), sim.to_device(keys), out, np.int64(len(KAT))))
    assert sim.to_host(out).reshape(-1, 4).tolist() == [list(e) for _, _, e in KAT]


def test_the_known_answer_kernel_compiles_with_nvrtc(nvrtc_ptx):
    ptx = nvrtc_ptx(KAT_SOURCE, "philox_kat.cu", cuda.nvrtc_options((f"-I{KERNELS_DIR}",), 90))
    assert ".entry philox_kat(" in ptx


@pytest.mark.parametrize("distribution", ["uniform", "normal"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n,grid,block", [(1, 1, 32), (3, 1, 32), (5, 2, 32), (7, 1, 32),
                                          (1001, 2, 64), (4099, 3, 32)])
def test_the_kernel_draws_the_numpy_bits(sim, library, distribution, dtype, n, grid, block):
    state = philox.stream_state(1234, 5)
    state[2:] = (0xFFFFFFFF, 7)
    out = sim.allocate(n, dtype)
    library.launch("philox", grid, block, (sim.to_device(state), out, n),
                   defines=(("GG_NORMAL", str(int(distribution == "normal"))),))
    expected = getattr(philox, distribution)(state, n, dtype)
    bits = f"u{np.dtype(dtype).itemsize}"
    np.testing.assert_array_equal(sim.to_host(out).view(bits), expected.view(bits))


@pytest.mark.parametrize("counter", [(0, 0), (0xFFFFFFFF, 7), (0xFFFFFFFF, 0xFFFFFFFF)])
def test_the_next_state_counts_the_call_with_a_carry(sim, library, counter):
    state = philox.stream_state(1234, 5)
    state[2:] = counter
    following = sim.allocate(4, np.uint32)
    library.launch("philox_advance", 1, 32, (sim.to_device(state), following))
    assert sim.to_host(following).tolist() == philox.advance(state).tolist()
    count = (counter[0] + (counter[1] << 32) + 1) % 2 ** 64
    assert philox.advance(state).tolist() == [state[0], state[1], count & 0xFFFFFFFF, count >> 32]


def test_the_kernels_coefficients_are_the_numpy_sides():
    text = (KERNELS_DIR / "philox.cu").read_text()
    for dtype, suffix in (("float32", "F32"), ("float64", "F64")):
        expected = philox.COEFFICIENTS[np.dtype(dtype)]
        for name, value in expected.items():
            found = re.search(rf"#define GG_{name.upper()}_{suffix} (\{{[^}}]*\}}|\S+)", text).group(1)
            literals = [float.fromhex(v.strip().rstrip("f")) for v in found.strip("{}").replace("\\", "").split(",")]
            assert literals == [float(v) for v in np.atleast_1d(value)], (name, dtype)
