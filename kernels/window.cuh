// Included by the convolution and pooling kernels (im2col.cu, col2im.cu, pool_window.cu,
// pool_backward.cu): the geometry of windows over up to three spatial axes, each described
// by gg_axis (2-d work passes a leading axis of size 1, window 1, stride 1, no padding).
#pragma once

struct gg_axis {
    i64 n, o, k, s, p, dil;  // input size, output size, window, stride, low padding, dilation

    // The input index a window position reads: output o, kernel position j (may be outside).
    __device__ __forceinline__ i64 at(i64 out, i64 j) const { return out * s - p + j * dil; }

    // The window of output ``out`` (pooling, dilation 1): [start, end) inside the padded
    // input (its high side reaching n + p), and [lo, hi) inside the input itself.
    __device__ __forceinline__ void span(i64 out, i64& start, i64& end, i64& lo, i64& hi) const {
        start = out * s - p;
        end = start + k < n + p ? start + k : n + p;
        lo = start > 0 ? start : 0;
        hi = end < n ? end : n;
    }

    // The outputs whose window (pooling, dilation 1) holds input index i: [first, last].
    __device__ __forceinline__ void outputs_holding(i64 i, i64& first, i64& last) const {
        const i64 before = i + p - k;
        first = before < 0 ? 0 : before / s + 1;
        last = (i + p) / s;
        if (last > o - 1) last = o - 1;
    }
};
