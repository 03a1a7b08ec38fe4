// Included by the reduction kernels (reduce.cu, argreduce.cu, logsumexp.cu, softmax*.cu):
// the combining functors (reduce_ops.cuh, shared with the host C++ of fused CPU reductions)
// and the block-wide reduction (warp shuffles, then the warps' partials in shared memory the
// caller provides: blockDim.x / 32 slots; blockDim.x a multiple of 32).
#pragma once
#include "reduce_ops.cuh"

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
