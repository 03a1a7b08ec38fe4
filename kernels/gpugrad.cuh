// Included by the loader's prelude before every kernel of this directory, on the GPU
// (NVRTC) and in the simulator alike: CuPy's complex types, the helpers CUDA lacks
// for them (atomicAdd and warp shuffles act on the real and imaginary parts), and an
// atomic add for every element type (gg_atomic_add).
#pragma once
#include <cupy/complex.cuh>

typedef long long i64;

#ifndef GPUGRAD_CUDA_SIM
template <class R>
__device__ complex<R> atomicAdd(complex<R>* p, complex<R> v) {
    R* parts = reinterpret_cast<R*>(p);
    R re = atomicAdd(parts, v.real());
    return complex<R>(re, atomicAdd(parts + 1, v.imag()));
}
#endif

// *p += v atomically for every element type: atomicAdd for float, double, complex, 32- and
// 64-bit integers (wrapping, as NumPy's); a compare-and-swap loop on the aligned 32-bit
// word holding the element for 8- and 16-bit integers and bool (whose add is a logical
// or, as np.add.at's).
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

template <class T>
__device__ __forceinline__ T gg_shfl_down(T v, int offset) {
    return __shfl_down_sync(0xffffffffu, v, offset);
}

template <class R>
__device__ __forceinline__ complex<R> gg_shfl_down(complex<R> v, int offset) {
    return complex<R>(__shfl_down_sync(0xffffffffu, v.real(), offset),
                      __shfl_down_sync(0xffffffffu, v.imag(), offset));
}

// Records an index outside its axis in an error row [flag, index, array, size] (an error
// board's row, gpugrad/compile/error_board.py): the first thread to flag the row claims it,
// so the four fields describe one index, and the first launch to flag it in a call keeps it.
__device__ __forceinline__ void gg_flag_index(i64* error, i64 index, i64 array, i64 n) {
    if (atomicCAS(reinterpret_cast<unsigned long long*>(error), 0ull, 1ull) != 0ull) return;
    error[1] = index;
    error[2] = array;
    error[3] = n;
}

// ``index`` into an axis of ``n`` (negative counts from the end), or -1 after flagging it in
// ``error`` (gg_flag_index) when it is outside [-n, n).
__device__ __forceinline__ i64 gg_checked_index(i64 index, i64 n, i64* error) {
    const i64 wrapped = index < 0 ? index + n : index;
    if (wrapped >= 0 && wrapped < n) return wrapped;
    gg_flag_index(error, index, 0, n);
    return -1;
}
