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
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * cols;
        T* yr = y + r * cols;
        T shift;
        const T s = gg_shifted_exp_sum(xr, cols, partial, shift);
#if GG_LOG
        const T offset = shift + log(s);
        for (i64 c = threadIdx.x; c < cols; c += blockDim.x) yr[c] = xr[c] - offset;
#else
        for (i64 c = threadIdx.x; c < cols; c += blockDim.x) yr[c] = exp(xr[c] - shift) / s;
#endif
    }
}
