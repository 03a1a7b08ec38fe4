// gpugrad-kernel: philox_advance(in u32* state, out u32* next)
// The Philox state of a stream's next call (philox.cu draws from a state): the key [k0, k1] kept, the
// 64-bit call counter c2 + 2^32 c3 plus one. One thread; the state stays on the device.
extern "C" __global__ void philox_advance(const unsigned* state, unsigned* next) {
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        next[0] = state[0];
        next[1] = state[1];
        next[2] = state[2] + 1u;
        next[3] = state[3] + (state[2] == 0xFFFFFFFFu ? 1u : 0u);
    }
}
