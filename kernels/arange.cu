// gpugrad-kernel: arange(out T* y, T first, T second, i64 n)
// np.arange's n values as NumPy's fill computes them: y[0] = first and y[1] = second (the host
// casts start and start + step to T), then y[i] = first + i * delta with delta = second - first
// in T. Integers wrap modulo 2^bits of T as NumPy's do (the arithmetic is unsigned 64-bit, then
// narrowed); floats round the product and the sum each in T and are never contracted into an
// fma, so the values are NumPy's bit for bit. Grid-stride loop, 64-bit indices.
#ifdef GPUGRAD_CUDA_SIM  // the host compiler targets no fma instruction: plain operations round alike
#define __fmul_rn(a, b) ((a) * (b))
#define __fadd_rn(a, b) ((a) + (b))
#define __dmul_rn(a, b) ((a) * (b))
#define __dadd_rn(a, b) ((a) + (b))
#endif

template <class U>
__device__ __forceinline__ U gg_arange_at(U first, U second, i64 i) {
    typedef unsigned long long u64;
    return (U)((u64)first + (u64)i * ((u64)second - (u64)first));
}

__device__ __forceinline__ float gg_arange_at(float first, float second, i64 i) {
    return __fadd_rn(first, __fmul_rn((float)i, second - first));
}

__device__ __forceinline__ double gg_arange_at(double first, double second, i64 i) {
    return __dadd_rn(first, __dmul_rn((double)i, second - first));
}

extern "C" __global__ void arange(T* y, T first, T second, i64 n) {
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)blockDim.x * gridDim.x)
        y[i] = i == 0 ? first : i == 1 ? second : gg_arange_at(first, second, i);
}
