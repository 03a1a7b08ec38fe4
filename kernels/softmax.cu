// gpugrad-kernel: softmax_rows(in T* x, out T* y, i64 rows, i64 cols)
// Each row of a C-contiguous (rows, cols) float matrix normalised as GG_LOG selects:
// softmax y = exp(x - m) / sum(exp(x - m)) (GG_LOG 0), log_softmax y = x - m - log(sum(...))
// (GG_LOG 1), with m the row's max, or 0 where it is infinite, as the op's perform has
// it (a row of -inf gives NaN). Three passes over the row: max, sum, write. One block per
// row; dynamic shared memory of (blockDim.x / 32) * sizeof(T).
#include "reduce.cuh"

extern "C" __global__ void softmax_rows(const T* x, T* y, i64 rows, i64 cols) {
    extern __shared__ __align__(16) unsigned char gg_smem[];
    T* partial = reinterpret_cast<T*>(gg_smem);
    const T lowest = -gg_infinity<T>();
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * cols;
        T* yr = y + r * cols;
        T m = lowest;
        for (i64 c = threadIdx.x; c < cols; c += blockDim.x) m = gg_max<T>()(m, xr[c]);
        m = gg_block_reduce(m, gg_max<T>(), lowest, partial);
        const T shift = isfinite(m) ? m : T(0);
        T s = T(0);
        for (i64 c = threadIdx.x; c < cols; c += blockDim.x) s += exp(xr[c] - shift);
        s = gg_block_reduce(s, gg_sum<T>(), T(0), partial);
#if GG_LOG
        const T offset = shift + log(s);
        for (i64 c = threadIdx.x; c < cols; c += blockDim.x) yr[c] = xr[c] - offset;
#else
        for (i64 c = threadIdx.x; c < cols; c += blockDim.x) yr[c] = exp(xr[c] - shift) / s;
#endif
    }
}
