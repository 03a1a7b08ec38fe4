// gpugrad-kernel: reduce_rows(in T* x, out U* y, i64 rows, i64 cols, i64 chunk)
// y[r * pieces + p] = GG_REDUCE over x[r, p * chunk : (p + 1) * chunk] of a C-contiguous
// (rows, cols) matrix, pieces = ceil(cols / chunk) (1 when chunk >= cols): a second launch
// over the (rows, pieces) partials finishes rows too long for one block. GG_REDUCE is a
// functor of reduce.cuh (gg_sum, gg_prod, gg_max, gg_min, gg_all, gg_any); elements are
// converted to the accumulator type U first (int32 sums in int64, all/any in bool). One
// block per piece (grid-stride), coalesced strided reads, gg_block_reduce; dynamic shared
// memory of (blockDim.x / 32) * sizeof(U). max/min need non-empty pieces; NaN propagates
// (of several complex NaNs, such as nan+1j and 1+nanj, some one: NumPy returns the first).
#include "reduce.cuh"

extern "C" __global__ void reduce_rows(const T* x, U* y, i64 rows, i64 cols, i64 chunk) {
    extern __shared__ __align__(16) unsigned char gg_smem[];
    U* partial = reinterpret_cast<U*>(gg_smem);
    const GG_REDUCE<U> op;
    const gg_to<U> to;
    const i64 pieces = cols > chunk ? (cols + chunk - 1) / chunk : 1;
    for (i64 v = blockIdx.x; v < rows * pieces; v += gridDim.x) {
        const i64 start = v % pieces * chunk;
        const i64 end = min(start + chunk, cols);
        const T* row = x + v / pieces * cols + start;
        const U identity = op.identity(row);
        U acc = identity;
        for (i64 c = threadIdx.x; c < end - start; c += blockDim.x) acc = op(acc, to(row[c]));
        acc = gg_block_reduce(acc, op, identity, partial);
        if (threadIdx.x == 0) y[v] = acc;
    }
}
