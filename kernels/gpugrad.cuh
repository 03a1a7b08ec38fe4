// Included by the loader's prelude before every kernel of this directory, on the GPU
// (NVRTC) and in the simulator alike: CuPy's complex types, and the helpers CUDA lacks
// for them (atomicAdd and warp shuffles act on the real and imaginary parts).
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

template <class T>
__device__ __forceinline__ T gg_shfl_down(T v, int offset) {
    return __shfl_down_sync(0xffffffffu, v, offset);
}

template <class R>
__device__ __forceinline__ complex<R> gg_shfl_down(complex<R> v, int offset) {
    return complex<R>(__shfl_down_sync(0xffffffffu, v.real(), offset),
                      __shfl_down_sync(0xffffffffu, v.imag(), offset));
}

// ``index`` into an axis of ``n`` (negative counts from the end), or -1 when it is outside
// [-n, n): then error[0] = 1 and error[1] = the index, which the caller turns into an error.
__device__ __forceinline__ i64 gg_checked_index(i64 index, i64 n, i64* error) {
    const i64 wrapped = index < 0 ? index + n : index;
    if (wrapped >= 0 && wrapped < n) return wrapped;
    error[0] = 1;
    error[1] = index;
    return -1;
}
