// gpugrad-kernel: int_matmul(in T* a, in T* b, out T* c, i64 batch, i64 m, i64 k, i64 n, i64 a_stride, i64 b_stride)
// c[z] = a[z] @ b[z] for z < batch, with C-contiguous (m, k) matrices a[z] = a + z * a_stride,
// (k, n) matrices b[z] = b + z * b_stride (a stride of 0 reuses one matrix for the whole batch)
// and c[z] = c + z * m * n, for integer and bool T, as np.matmul computes them: integer sums of
// products wrap modulo 2^bits of T (they are accumulated exactly modulo 2^64 in an unsigned
// 64-bit integer, then narrowed, which only drops high bits), and for bool the sum of the
// products is a count of true pairs, nonzero exactly when np.matmul's logical or of ands is true.
// A 16x16 block computes a 16x16 tile of c[z] from 16x16 tiles of a[z] and b[z] staged in shared
// memory, threadIdx.x along a row so that the loads of both tiles and the stores of c coalesce.
// blockIdx.x runs over the column tiles; blockIdx.y and blockIdx.z over row tiles and the batch,
// both striding past the 65535 blocks a grid has there. 64-bit offsets throughout.
#define GG_TILE 16

extern "C" __global__ void int_matmul(const T* a, const T* b, T* c, i64 batch, i64 m, i64 k, i64 n,
                                      i64 a_stride, i64 b_stride) {
    typedef unsigned long long u64;
    __shared__ T a_tile[GG_TILE][GG_TILE];
    __shared__ T b_tile[GG_TILE][GG_TILE];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const i64 col = blockIdx.x * (i64)GG_TILE + tx;
    for (i64 z = blockIdx.z; z < batch; z += gridDim.z) {
        const T* az = a + z * a_stride;
        const T* bz = b + z * b_stride;
        for (i64 row0 = blockIdx.y * (i64)GG_TILE; row0 < m; row0 += (i64)gridDim.y * GG_TILE) {
            const i64 row = row0 + ty;
            u64 sum = 0;
            for (i64 k0 = 0; k0 < k; k0 += GG_TILE) {
                a_tile[ty][tx] = row < m && k0 + tx < k ? az[row * k + k0 + tx] : T(0);
                b_tile[ty][tx] = k0 + ty < k && col < n ? bz[(k0 + ty) * n + col] : T(0);
                __syncthreads();
                for (int j = 0; j < GG_TILE; ++j) sum += (u64)a_tile[ty][j] * (u64)b_tile[j][tx];
                __syncthreads();
            }
            if (row < m && col < n) c[(z * m + row) * n + col] = (T)sum;
        }
    }
}
