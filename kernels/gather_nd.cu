// gpugrad-kernel: gather_nd(in T* x, in i64* idx, out T* y, inout i64* error, in i64* geometry, i64 k, i64 rank, i64 nb, i64 inner, i64 total, i64 wrap)
// NumPy's advanced indexing: y[o, b, i] = x[the element index_nd.cuh finds for position b of
// the broadcast index arrays and position (o, i) of x's other axes], for a C-contiguous y of
// total = outer * nb * inner elements: the index block stands after the other axes' first
// outer positions (where NumPy puts it: outer is 1 when the index items are not adjacent).
// An index outside its axis writes 0 and flags error (index_nd.cuh). 64-bit indices,
// grid-stride loop over y: consecutive threads write consecutive elements and, along x's
// last axis, read consecutive ones.
#include "index_nd.cuh"

extern "C" __global__ void gather_nd(const T* x, const i64* idx, T* y, i64* error, const i64* geometry,
                                     i64 k, i64 rank, i64 nb, i64 inner, i64 total, i64 wrap) {
    for (i64 t = blockIdx.x * (i64)blockDim.x + threadIdx.x; t < total; t += (i64)blockDim.x * gridDim.x) {
        const i64 i = t % inner, b = t / inner % nb, o = t / inner / nb;
        i64 offset;
        y[t] = gg_nd_offset(idx, geometry, k, rank, nb, b, o * inner + i, wrap, error, &offset) ? x[offset] : T(0);
    }
}
