// gpugrad-kernel: scatter_add(in T* src, in i64* idx, inout T* dst, i64 n, i64 inner, i64 dst_rows)
// dst[idx[i], :] += src[i, :] for i < n, rows of `inner` elements, repeated indices
// accumulating (the gradient of take / integer indexing). Negative indices count from
// the end; the caller has checked the range. atomicAdd on float, double and, through
// gpugrad.cuh, complex (two atomics, on the real and the imaginary part).
extern "C" __global__ void scatter_add(const T* src, const i64* idx, T* dst, i64 n, i64 inner, i64 dst_rows) {
    for (i64 k = blockIdx.x * (i64)blockDim.x + threadIdx.x; k < n * inner; k += (i64)blockDim.x * gridDim.x) {
        i64 row = idx[k / inner];
        if (row < 0) row += dst_rows;
        atomicAdd(&dst[row * inner + k % inner], src[k]);
    }
}
