// gpugrad-kernel: scatter_nd(in T* src, in i64* idx, inout T* dst, inout i64* error, in i64* geometry, i64 k, i64 rank, i64 nb, i64 inner, i64 total, i64 wrap)
// The writes of advanced indexing, gather_nd.cu's geometry read the other way: the element of
// dst at position (o, b, i) gets src[t] (C-contiguous, total elements), stored when GG_SET is 1
// (x[idx] = v: with repeated indices which value lands is unspecified, as in CuPy) and added
// when 0 (np.add.at: repeated indices accumulate). Adds are atomic: atomicAdd for float,
// double, complex (gpugrad.cuh), 32- and 64-bit integers (wrapping, as NumPy's); a
// compare-and-swap loop on the aligned 32-bit word holding the element for 8- and 16-bit
// integers and bool (whose add is a logical or, as np.add.at's). An index outside its axis
// is skipped and flags error (index_nd.cuh). 64-bit indices, grid-stride loop over src.
#include "index_nd.cuh"

__device__ __forceinline__ void gg_atomic_add(float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void gg_atomic_add(double* p, double v) { atomicAdd(p, v); }
template <class R> __device__ __forceinline__ void gg_atomic_add(complex<R>* p, complex<R> v) { atomicAdd(p, v); }
__device__ __forceinline__ void gg_atomic_add(int* p, int v) { atomicAdd(p, v); }
__device__ __forceinline__ void gg_atomic_add(unsigned* p, unsigned v) { atomicAdd(p, v); }
__device__ __forceinline__ void gg_atomic_add(unsigned long long* p, unsigned long long v) { atomicAdd(p, v); }
__device__ __forceinline__ void gg_atomic_add(long long* p, long long v) {  // two's complement: the same bits
    atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
}

template <class N> __device__ __forceinline__ N gg_narrow_add(N a, N b) { return N(a + b); }
__device__ __forceinline__ bool gg_narrow_add(bool a, bool b) { return a || b; }

template <class N> __device__ void gg_atomic_add(N* p, N v) {
    static_assert(sizeof(N) <= 2, "gg_atomic_add: no atomic add for this type");
    const unsigned long long address = reinterpret_cast<unsigned long long>(p);
    unsigned* word = reinterpret_cast<unsigned*>(address & ~3ull);
    const unsigned shift = unsigned(address & 3ull) * 8u, bits = (1u << (8u * sizeof(N))) - 1u;
    unsigned old = *word, assumed;
    do {
        assumed = old;
        const N sum = gg_narrow_add(static_cast<N>((assumed >> shift) & bits), v);
        old = atomicCAS(word, assumed, (assumed & ~(bits << shift)) | ((unsigned(sum) & bits) << shift));
    } while (old != assumed);
}

extern "C" __global__ void scatter_nd(const T* src, const i64* idx, T* dst, i64* error, const i64* geometry,
                                      i64 k, i64 rank, i64 nb, i64 inner, i64 total, i64 wrap) {
    for (i64 t = blockIdx.x * (i64)blockDim.x + threadIdx.x; t < total; t += (i64)blockDim.x * gridDim.x) {
        const i64 i = t % inner, b = t / inner % nb, o = t / inner / nb;
        i64 offset;
        if (!gg_nd_offset(idx, geometry, k, rank, nb, b, o * inner + i, wrap, error, &offset)) continue;
#if GG_SET
        dst[offset] = src[t];
#else
        gg_atomic_add(dst + offset, src[t]);
#endif
    }
}
