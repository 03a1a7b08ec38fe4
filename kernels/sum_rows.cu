// gpugrad-kernel: sum_rows(in T* x, out T* y, i64 rows, i64 cols)
// y[r] = sum(x[r, :]) for a C-contiguous (rows, cols) matrix: one block per row
// (grid-stride over rows), threads stride over the columns, each warp reduces with
// shuffles and the warps' partial sums meet in dynamic shared memory, which the launch
// sizes as (blockDim.x / 32) * sizeof(T). blockDim.x must be a multiple of 32.
extern "C" __global__ void sum_rows(const T* x, T* y, i64 rows, i64 cols) {
    extern __shared__ __align__(16) unsigned char gg_smem[];
    T* partial = reinterpret_cast<T*>(gg_smem);
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        T acc = T(0);
        for (i64 c = threadIdx.x; c < cols; c += blockDim.x) acc += x[r * cols + c];
        for (int offset = 16; offset > 0; offset /= 2) acc += gg_shfl_down(acc, offset);
        if (lane == 0) partial[warp] = acc;
        __syncthreads();
        if (warp == 0) {
            acc = lane < warps ? partial[lane] : T(0);
            for (int offset = 16; offset > 0; offset /= 2) acc += gg_shfl_down(acc, offset);
            if (lane == 0) y[r] = acc;
        }
        __syncthreads();
    }
}
