// Included by the reduction kernels (reduce.cu, argreduce.cu, logsumexp.cu, softmax*.cu):
// the combining functors, NaN-propagating max/min as NumPy has them (complex values in its
// lexicographic order), conversions to the accumulator type, and the block-wide reduction
// (warp shuffles, then the warps' partials in shared memory the caller provides:
// blockDim.x / 32 slots; blockDim.x a multiple of 32).
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

// A value and the index it came from: argmax/argmin combine these.
template <class T> struct gg_indexed {
    T value;
    i64 index;
};
template <class T> __device__ __forceinline__ gg_indexed<T> gg_shfl_down(gg_indexed<T> v, int offset) {
    return {gg_shfl_down(v.value, offset), gg_shfl_down(v.index, offset)};
}

// The result of the whole block's ``op`` over each thread's ``v``, returned to every thread.
template <class U, class Op>
__device__ U gg_block_reduce(U v, const Op& op, U identity, U* partial) {
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    for (int offset = 16; offset > 0; offset /= 2) v = op(v, gg_shfl_down(v, offset));
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < warps ? partial[lane] : identity;
        for (int offset = 16; offset > 0; offset /= 2) v = op(v, gg_shfl_down(v, offset));
        if (lane == 0) partial[0] = v;
    }
    __syncthreads();
    v = partial[0];
    __syncthreads();
    return v;
}

// The stable parts of log(sum(exp(row))) for the whole block: ``shift``, the row's max (NaN
// propagates; 0 where it is infinite), and the returned sum of exp(row - shift).
template <class T>
__device__ T gg_shifted_exp_sum(const T* row, i64 cols, T* partial, T& shift) {
    const T lowest = -gg_infinity<T>();
    T m = lowest;
    for (i64 c = threadIdx.x; c < cols; c += blockDim.x) m = gg_max<T>()(m, row[c]);
    m = gg_block_reduce(m, gg_max<T>(), lowest, partial);
    shift = isfinite(m) ? m : T(0);
    T s = T(0);
    for (i64 c = threadIdx.x; c < cols; c += blockDim.x) s += exp(row[c] - shift);
    return gg_block_reduce(s, gg_sum<T>(), T(0), partial);
}
