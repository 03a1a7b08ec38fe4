// gpugrad-kernel: mask_positions(in bool* mask, inout i64* offsets, out i64* coords, in i64* shape, i64 ndim, i64 n, i64 chunk, i64 count)
// np.nonzero of a C-contiguous boolean mask of `ndim` axes (`shape`, n elements), as per-axis
// coordinates: coords[d * count + c] is axis d of the c-th True in C order. Chunk c of the
// mask (elements [c * chunk, (c + 1) * chunk)) belongs to one block, which walks it in tiles
// of blockDim.x elements (consecutive threads read consecutive ones), grid-stride over the
// chunks. The count is data dependent, so it takes two launches of the same grid: with
// GG_WRITE 0 each block writes its chunk's number of Trues to offsets[c] (coords unused);
// the caller reads them back (the one sync), turns them into exclusive prefix sums and
// allocates coords; with GG_WRITE 1 each block writes its Trues from offsets[c] on, ranked
// within a tile by a warp ballot and the warps' counts in shared memory. blockDim.x is a
// multiple of 32, at most 1024.
extern "C" __global__ void mask_positions(const bool* mask, i64* offsets, i64* coords, const i64* shape, i64 ndim,
                                          i64 n, i64 chunk, i64 count) {
    __shared__ int warp_counts[32];
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    for (i64 c = blockIdx.x; c * chunk < n; c += gridDim.x) {
        const i64 stop = min(n, (c + 1) * chunk);
        i64 base = GG_WRITE ? offsets[c] : 0;
        for (i64 tile = c * chunk; tile < stop; tile += blockDim.x) {
            const i64 i = tile + threadIdx.x;
            const bool flag = i < stop && mask[i];
            const unsigned ballot = __ballot_sync(0xffffffffu, flag);
            if (lane == 0) warp_counts[warp] = __popc(ballot);
            __syncthreads();
            i64 rank = __popc(ballot & ((1u << lane) - 1u)), total = 0;
            for (int w = 0; w < warps; ++w) {
                rank += w < warp ? warp_counts[w] : 0;
                total += warp_counts[w];
            }
            if (GG_WRITE && flag) {
                i64 rest = i;
                for (i64 d = ndim - 1; d >= 0; --d) {
                    coords[d * count + base + rank] = rest % shape[d];
                    rest /= shape[d];
                }
            }
            base += total;
            __syncthreads();  // the next tile rewrites warp_counts
        }
        if (!GG_WRITE && threadIdx.x == 0) offsets[c] = base;
    }
}
