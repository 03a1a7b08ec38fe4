// gpugrad-kernel: elementwise2(in A* a, in B* b, out C* out, in i64* geometry, i64 ndim, i64 n)
// out[i] = GG_OP(a[...], b[...]) over a C-ordered output of n elements. The inputs are
// broadcast and strided: geometry holds the output shape, then a's and b's strides in
// elements (0 on broadcast axes), ndim entries each. 64-bit indices, grid-stride loop;
// the loader defines GG_OP, the scalar expression, per instantiation.
extern "C" __global__ void elementwise2(const A* a, const B* b, C* out, const i64* geometry, i64 ndim, i64 n) {
    const i64* shape = geometry;
    const i64* a_strides = geometry + ndim;
    const i64* b_strides = geometry + 2 * ndim;
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)blockDim.x * gridDim.x) {
        i64 rest = i, ia = 0, ib = 0;
        for (i64 d = ndim - 1; d >= 0; --d) {
            i64 k = rest % shape[d];
            rest /= shape[d];
            ia += k * a_strides[d];
            ib += k * b_strides[d];
        }
        out[i] = GG_OP(a[ia], b[ib]);
    }
}
