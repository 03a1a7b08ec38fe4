// gpugrad-kernel: swish_grad(in T* x, in T* g, out T* dx, i64 n)
// dx = g d/dx(x sigmoid(x)) = g s (1 + x (1 - s)) with s = sigmoid(x), elementwise over n values
// of T: the gradient (and, the Jacobian being diagonal, the R-op) of swish.cu. Grid-stride loop,
// 64-bit indices, coalesced.
extern "C" __global__ void swish_grad(const T* x, const T* g, T* dx, i64 n) {
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)blockDim.x * gridDim.x) {
        const T s = T(1) / (T(1) + exp(-x[i]));
        dx[i] = g[i] * s * (T(1) + x[i] * (T(1) - s));
    }
}
