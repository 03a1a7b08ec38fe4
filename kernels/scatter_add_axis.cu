// gpugrad-kernel: scatter_add_axis(in T* src, in i64* idx, inout T* dst, inout i64* error, i64 outer, i64 n, i64 m, i64 inner)
// np.add.at along an axis, the pullback of gather: dst[o, idx[j], i] += src[o, j, i] for
// C-contiguous dst of shape (outer, n, inner) and src of shape (outer, m, inner); repeated
// indices accumulate through gg_atomic_add (gpugrad.cuh: every dtype, bool by logical or).
// Negative indices count from the end; an index outside [-n, n) is skipped and recorded
// in the error row, as in gather.cu.
extern "C" __global__ void scatter_add_axis(const T* src, const i64* idx, T* dst, i64* error,
                                            i64 outer, i64 n, i64 m, i64 inner) {
    const i64 total = outer * m * inner;
    for (i64 k = blockIdx.x * (i64)blockDim.x + threadIdx.x; k < total; k += (i64)blockDim.x * gridDim.x) {
        const i64 i = k % inner, j = k / inner % m, o = k / inner / m;
        const i64 row = gg_checked_index(idx[j], n, error);
        if (row >= 0) gg_atomic_add(&dst[(o * n + row) * inner + i], src[k]);
    }
}
