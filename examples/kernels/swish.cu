// gpugrad-kernel: swish(in T* x, out T* y, i64 n)
// y = x sigmoid(x) = x / (1 + exp(-x)), elementwise over n values of T (float or double), for
// examples/custom_op.py. Grid-stride loop, 64-bit indices, coalesced.
extern "C" __global__ void swish(const T* x, T* y, i64 n) {
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)blockDim.x * gridDim.x)
        y[i] = x[i] / (T(1) + exp(-x[i]));
}
