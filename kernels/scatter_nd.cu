// gpugrad-kernel: scatter_nd(in T* src, in i64* idx, inout T* dst, inout i64* error, in i64* geometry, i64 k, i64 rank, i64 nb, i64 inner, i64 total, i64 wrap)
// The writes of advanced indexing, gather_nd.cu's geometry read the other way: the element of
// dst at position (o, b, i) gets src[t] (C-contiguous, total elements), stored when GG_SET is 1
// (x[idx] = v: with repeated indices which value lands is unspecified, as in CuPy) and added
// when 0 (np.add.at: repeated indices accumulate) by gg_atomic_add (gpugrad.cuh: every
// dtype; integers wrap as NumPy's, bool adds are a logical or). An index outside its axis
// is skipped and flags error (index_nd.cuh). 64-bit indices, grid-stride loop over src.
#include "index_nd.cuh"

extern "C" __global__ void scatter_nd(const T* src, const i64* idx, T* dst, i64* error, const i64* geometry,
                                      i64 k, i64 rank, i64 nb, i64 inner, i64 total, i64 wrap) {
    for (i64 t = blockIdx.x * (i64)blockDim.x + threadIdx.x; t < total; t += (i64)blockDim.x * gridDim.x) {
        const i64 i = t % inner, b = t / inner % nb, o = t / inner / nb;
        i64 offset;
        if (!gg_nd_offset(idx, geometry, k, rank, nb, b, o * inner + i, wrap, error, &offset)) continue;
#if GG_SET
        dst[offset] = src[t];
#else
        gg_atomic_add(dst + offset, src[t]);
#endif
    }
}
