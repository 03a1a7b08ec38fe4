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
    const T lowest = -gg_infinity<T>();
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* row = x + r * cols;
        T m = lowest;
        for (i64 c = threadIdx.x; c < cols; c += blockDim.x) m = gg_max<T>()(m, row[c]);
        m = gg_block_reduce(m, gg_max<T>(), lowest, partial);
        const T shift = isfinite(m) ? m : T(0);
        T s = T(0);
        for (i64 c = threadIdx.x; c < cols; c += blockDim.x) s += exp(row[c] - shift);
        s = gg_block_reduce(s, gg_sum<T>(), T(0), partial);
        if (threadIdx.x == 0) y[r] = shift + log(s);
    }
}
