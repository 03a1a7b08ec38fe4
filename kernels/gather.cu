// gpugrad-kernel: gather(in T* x, in i64* idx, out T* y, inout i64* error, i64 outer, i64 n, i64 m, i64 inner)
// np.take along an axis: y[o, j, i] = x[o, idx[j], i] for C-contiguous x of shape
// (outer, n, inner) and y of shape (outer, m, inner). Negative indices count from the end;
// an index outside [-n, n) writes 0 to y and is recorded in the error row (gg_flag_index in
// gpugrad.cuh), which the caller turns into an error. 64-bit indices,
// grid-stride loop over y, so consecutive threads read consecutive elements of a row.
extern "C" __global__ void gather(const T* x, const i64* idx, T* y, i64* error, i64 outer, i64 n, i64 m, i64 inner) {
    const i64 total = outer * m * inner;
    for (i64 k = blockIdx.x * (i64)blockDim.x + threadIdx.x; k < total; k += (i64)blockDim.x * gridDim.x) {
        const i64 i = k % inner, j = k / inner % m, o = k / inner / m;
        const i64 row = gg_checked_index(idx[j], n, error);
        y[k] = row < 0 ? T(0) : x[(o * n + row) * inner + i];
    }
}
