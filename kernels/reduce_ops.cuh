// The combining functors of every reduction, for every device: included by reduce.cuh (the
// CUDA kernels, on the GPU and in the simulator) and pasted into the host C++ of fused CPU
// reductions (gpugrad/codegen/host_reduction.py, whose prelude defines __device__,
// __forceinline__, __int_as_float and __longlong_as_double for the host). NaN-propagating
// max/min as NumPy has them (complex values in its lexicographic order) and conversions to
// the accumulator type.
#pragma once

template <class T> __device__ __forceinline__ bool gg_isnan(T v) { return v != v; }
template <class T> __device__ __forceinline__ T gg_infinity();  // +inf, from its bits: no constant overflows
template <> __device__ __forceinline__ float gg_infinity<float>() { return __int_as_float(0x7f800000); }
template <> __device__ __forceinline__ double gg_infinity<double>() { return __longlong_as_double(0x7ff0000000000000LL); }

// a < b in NumPy's order: complex values by real part, ties by imaginary part (a NaN in
// either part makes the value NaN, gg_isnan, which the callers test first).
template <class T> __device__ __forceinline__ bool gg_less(T a, T b) { return a < b; }
template <class R> __device__ __forceinline__ bool gg_less(complex<R> a, complex<R> b) {
    return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
}

// v as the accumulator type U; complex -> bool is "nonzero", as NumPy's all/any read it.
template <class U> struct gg_to {
    template <class T> __device__ __forceinline__ U operator()(T v) const { return U(v); }
};
template <> struct gg_to<bool> {
    template <class T> __device__ __forceinline__ bool operator()(T v) const { return v != T(0); }
    template <class R> __device__ __forceinline__ bool operator()(complex<R> v) const {
        return v.real() != R(0) || v.imag() != R(0);
    }
};

// Each functor: identity(row) (the value an idle thread contributes; max/min use the row's
// first element, which the caller guarantees exists) and the associative combine.
template <class U> struct gg_sum {
    template <class T> __device__ U identity(const T*) const { return U(0); }
    __device__ __forceinline__ U operator()(U a, U b) const { return a + b; }
};
template <class U> struct gg_prod {
    template <class T> __device__ U identity(const T*) const { return U(1); }
    __device__ __forceinline__ U operator()(U a, U b) const { return a * b; }
};
template <class U> struct gg_max {
    template <class T> __device__ U identity(const T* row) const { return U(row[0]); }
    __device__ __forceinline__ U operator()(U a, U b) const {
        return gg_isnan(a) ? a : gg_isnan(b) || gg_less(a, b) ? b : a;
    }
};
template <class U> struct gg_min {
    template <class T> __device__ U identity(const T* row) const { return U(row[0]); }
    __device__ __forceinline__ U operator()(U a, U b) const {
        return gg_isnan(a) ? a : gg_isnan(b) || gg_less(b, a) ? b : a;
    }
};
template <class U> struct gg_all {
    template <class T> __device__ U identity(const T*) const { return true; }
    __device__ __forceinline__ U operator()(U a, U b) const { return a && b; }
};
template <class U> struct gg_any {
    template <class T> __device__ U identity(const T*) const { return false; }
    __device__ __forceinline__ U operator()(U a, U b) const { return a || b; }
};
