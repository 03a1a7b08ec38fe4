// Included by the convolution and pooling kernels (im2col.cu, col2im.cu, pool_window.cu,
// pool_backward.cu): the geometry of windows over up to three spatial axes, each described
// by gg_axis (2-d work passes a leading axis of size 1, window 1, stride 1, no padding), and
// gg_box, one pooling window, with its maximum and the count of its ties. No barriers here
// (nor in the kernels): the simulator runs them as plain loops, without fiber stacks.
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

// The pooling window of output (oz, oy, ox): [z0, z1) x [y0, y1) x [x0, x1) inside the padded
// input, [zlo, zhi) x ... inside the input (where its elements are read, in a plane of h x w rows).
struct gg_box {
    i64 z0, z1, zlo, zhi, y0, y1, ylo, yhi, x0, x1, xlo, xhi, h, w;

    __device__ gg_box(const gg_axis& az, const gg_axis& ay, const gg_axis& ax, i64 oz, i64 oy, i64 ox)
        : h(ay.n), w(ax.n) {
        az.span(oz, z0, z1, zlo, zhi);
        ay.span(oy, y0, y1, ylo, yhi);
        ax.span(ox, x0, x1, xlo, xhi);
    }

    __device__ __forceinline__ i64 padded_size() const { return (z1 - z0) * (y1 - y0) * (x1 - x0); }
    __device__ __forceinline__ i64 size() const { return (zhi - zlo) * (yhi - ylo) * (xhi - xlo); }

    // The largest element of the window in ``plane``, NaN if any is (NumPy's max).
    template <class X> __device__ X top(const X* plane) const {
        X best = plane[(zlo * h + ylo) * w + xlo];
        for (i64 z = zlo; z < zhi; ++z)
            for (i64 r = ylo; r < yhi; ++r)
                for (i64 c = xlo; c < xhi; ++c) {
                    const X t = plane[(z * h + r) * w + c];
                    if (t != t || t > best) best = t;  // a NaN wins, as in NumPy's max
                }
        return best;
    }

    // How many elements of the window in ``plane`` equal ``value``.
    template <class X> __device__ i64 count(const X* plane, X value) const {
        i64 n = 0;
        for (i64 z = zlo; z < zhi; ++z)
            for (i64 r = ylo; r < yhi; ++r)
                for (i64 c = xlo; c < xhi; ++c) n += plane[(z * h + r) * w + c] == value;
        return n;
    }
};
