// gpugrad-kernel: reduce_groups(in T* x, out U* y, i64 rows, i64 cols, i64 width)
// y[r] = GG_REDUCE over row r of a C-contiguous (rows, cols) matrix of short rows: a group of
// ``width`` lanes (a power of two, at most 32) per row, blockDim.x / width rows per block,
// combined by shuffles within the group; no shared memory, no barrier. Every thread of a block
// runs the same iterations (rows past the end compute and drop), so every lane of a warp
// meets its shuffles. GG_REDUCE and the conversion to U as in reduce.cu.
#include "reduce.cuh"

extern "C" __global__ void reduce_groups(const T* x, U* y, i64 rows, i64 cols, i64 width) {
    const GG_REDUCE<U> op;
    const gg_to<U> to;
    const int w = int(width), lane = threadIdx.x % w;
    const i64 per_block = blockDim.x / w;
    for (i64 first = blockIdx.x * per_block; first < rows; first += gridDim.x * per_block) {
        const i64 r = first + threadIdx.x / w;
        const T* row = x + (r < rows ? r : first) * cols;
        U acc = op.identity(row);
        for (i64 c = lane; r < rows && c < cols; c += w) acc = op(acc, to(row[c]));
        for (int offset = w / 2; offset > 0; offset /= 2) acc = op(acc, gg_shfl_down(acc, offset));
        if (r < rows && lane == 0) y[r] = acc;
    }
}
