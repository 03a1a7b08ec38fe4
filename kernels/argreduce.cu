// gpugrad-kernel: argreduce_rows(in T* x, out i64* y, i64 rows, i64 cols)
// y[r] = the index of the largest (GG_ARGMIN 0) or smallest (GG_ARGMIN 1) element of
// row r of a C-contiguous (rows, cols) matrix, cols >= 1, as NumPy picks it: the first
// NaN if any (complex: NaN in either part), else the first of equal extremes (complex in
// NumPy's lexicographic order, gg_less). Value-index pairs are totally ordered
// (value, then lower index), so the combine is associative and any reduction tree
// agrees with NumPy's scan. One block per row; dynamic shared memory of
// (blockDim.x / 32) * sizeof(gg_indexed<T>).
#include "reduce.cuh"

template <class T> struct gg_arg_pick {
    __device__ __forceinline__ gg_indexed<T> operator()(gg_indexed<T> a, gg_indexed<T> b) const {
        const bool nan_a = gg_isnan(a.value), nan_b = gg_isnan(b.value);
        if (nan_a || nan_b) return nan_a && (!nan_b || a.index < b.index) ? a : b;
        const bool b_better = GG_ARGMIN ? gg_less(b.value, a.value) : gg_less(a.value, b.value);
        return b_better || (b.value == a.value && b.index < a.index) ? b : a;
    }
};

extern "C" __global__ void argreduce_rows(const T* x, i64* y, i64 rows, i64 cols) {
    extern __shared__ __align__(16) unsigned char gg_smem[];
    gg_indexed<T>* partial = reinterpret_cast<gg_indexed<T>*>(gg_smem);
    const gg_arg_pick<T> pick;
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* row = x + r * cols;
        const gg_indexed<T> identity = {row[0], 0};
        gg_indexed<T> best = identity;
        for (i64 c = threadIdx.x; c < cols; c += blockDim.x) best = pick(best, gg_indexed<T>{row[c], c});
        best = gg_block_reduce(best, pick, identity, partial);
        if (threadIdx.x == 0) y[r] = best.index;
    }
}
