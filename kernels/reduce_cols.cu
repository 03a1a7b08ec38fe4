// gpugrad-kernel: reduce_cols(in T* x, out U* y, i64 outer, i64 rows, i64 cols, i64 chunk, i64 width)
// y[o, p, c] = GG_REDUCE over x[o, p * chunk : (p + 1) * chunk, c] of a C-contiguous (outer, rows,
// cols) array, pieces = ceil(rows / chunk) (1 when chunk >= rows): the middle axis reduced where
// the array lies, without moving it last (every bias gradient sum(axis=0)). A block covers
// ``width`` consecutive columns (cols itself when the rows are short, else 32) with
// blockDim.x / width lanes of rows: thread t reads column t % width of rows t / width,
// t / width + lanes, ..., so a warp reads consecutive addresses. The lanes' partials meet in
// dynamic shared memory of blockDim.x * sizeof(U), halving per step. Work items (o, p, tile)
// are grid-strided. GG_REDUCE and the conversion to U as in reduce.cu.
#include "reduce.cuh"

extern "C" __global__ void reduce_cols(const T* x, U* y, i64 outer, i64 rows, i64 cols, i64 chunk, i64 width) {
    extern __shared__ __align__(16) unsigned char gg_smem[];
    U* partial = reinterpret_cast<U*>(gg_smem);
    const GG_REDUCE<U> op;
    const gg_to<U> to;
    const int w = int(width), lanes = int(blockDim.x / width), lane = threadIdx.x / w;
    const i64 pieces = rows > chunk ? (rows + chunk - 1) / chunk : 1, tiles = (cols + w - 1) / w;
    for (i64 v = blockIdx.x; v < outer * pieces * tiles; v += gridDim.x) {
        const i64 c = v % tiles * w + threadIdx.x % w, p = v / tiles % pieces, o = v / (tiles * pieces);
        const bool active = lane < lanes && c < cols;
        const i64 start = p * chunk, end = min(start + chunk, rows);
        const T* column = x + (o * rows + start) * cols + (active ? c : 0);
        U acc = op.identity(column);
        for (i64 r = lane; active && r < end - start; r += lanes) acc = op(acc, to(column[r * cols]));
        partial[threadIdx.x] = acc;
        __syncthreads();
        for (int live = lanes; live > 1; live = (live + 1) / 2) {
            const int half = (live + 1) / 2;
            if (active && lane + half < live) partial[threadIdx.x] = op(partial[threadIdx.x], partial[threadIdx.x + half * w]);
            __syncthreads();
        }
        if (active && lane == 0) y[(o * pieces + p) * cols + c] = partial[threadIdx.x];
        __syncthreads();
    }
}
