// gpugrad-kernel: softmax_backward_rows(in T* g, in T* y, out T* dx, i64 rows, i64 cols)
// The pullback of softmax_rows for each row of C-contiguous (rows, cols) matrices: with
// y the forward output and g its gradient, dx = y * (g - sum(g * y)) for softmax
// (GG_LOG 0) and dx = g - exp(y) * sum(g) for log_softmax (GG_LOG 1). One block per row:
// one reduction, then one elementwise pass; dynamic shared memory of
// (blockDim.x / 32) * sizeof(T).
#include "reduce.cuh"

extern "C" __global__ void softmax_backward_rows(const T* g, const T* y, T* dx, i64 rows, i64 cols) {
    extern __shared__ __align__(16) unsigned char gg_smem[];
    T* partial = reinterpret_cast<T*>(gg_smem);
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* gr = g + r * cols;
        const T* yr = y + r * cols;
        T* dr = dx + r * cols;
        T s = T(0);
#if GG_LOG
        for (i64 c = threadIdx.x; c < cols; c += blockDim.x) s += gr[c];
        s = gg_block_reduce(s, gg_sum<T>(), T(0), partial);
        for (i64 c = threadIdx.x; c < cols; c += blockDim.x) dr[c] = gr[c] - exp(yr[c]) * s;
#else
        for (i64 c = threadIdx.x; c < cols; c += blockDim.x) s += gr[c] * yr[c];
        s = gg_block_reduce(s, gg_sum<T>(), T(0), partial);
        for (i64 c = threadIdx.x; c < cols; c += blockDim.x) dr[c] = yr[c] * (gr[c] - s);
#endif
    }
}
