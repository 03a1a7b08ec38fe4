// gpugrad-kernel: logsumexp_rows(in T* x, out T* y, i64 rows, i64 cols)
// y[r] = log(sum(exp(x[r, :]))) of a C-contiguous (rows, cols) float matrix, stable: the
// row's max m first (NaN propagates), then m + log(sum(exp(x - m))), shifting by 0 where
// m is infinite (so a row of -inf, or an empty row, gives -inf and a +inf gives +inf).
// Two passes over the row, the second from cache. One block per row; dynamic shared
// memory of (blockDim.x / 32) * sizeof(T).
#include "reduce.cuh"

extern "C" __global__ void logsumexp_rows(const T* x, T* y, i64 rows, i64 cols) {
    extern __shared__ __align__(16) unsigned char gg_smem[];
    T* partial = reinterpret_cast<T*>(gg_smem);
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        T shift;
        const T s = gg_shifted_exp_sum(x + r * cols, cols, partial, shift);
        if (threadIdx.x == 0) y[r] = shift + log(s);
    }
}
