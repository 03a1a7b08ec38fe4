// gpugrad-kernel: im2col(in T* x, out T* cols, i64 n, i64 c, i64 d, i64 h, i64 w, i64 od, i64 oh, i64 ow, i64 kd, i64 kh, i64 kw, i64 sd, i64 sh, i64 sw, i64 dd, i64 dh, i64 dw, i64 pd, i64 ph, i64 pw)
// The columns of a convolution (gpugrad/ops/patches.py): for the C-contiguous channels-last
// image x (n, d, h, w, c), cols (n, od, oh, ow, kd, kh, kw, c) holds at [b, o, k, ch] the
// element x[b, o * stride - pad + k * dilation, ch] of the padded image, 0 in the padding
// (pd, ph, pw are the low paddings; the high side is wherever the windows reach). One thread
// per element of cols, grid-stride, 64-bit indices: the writes and, along the channels, the
// reads are coalesced.
#include "window.cuh"

extern "C" __global__ void im2col(const T* x, T* cols, i64 n, i64 c, i64 d, i64 h, i64 w, i64 od, i64 oh, i64 ow,
                                  i64 kd, i64 kh, i64 kw, i64 sd, i64 sh, i64 sw, i64 dd, i64 dh, i64 dw,
                                  i64 pd, i64 ph, i64 pw) {
    const gg_axis az{d, od, kd, sd, pd, dd}, ay{h, oh, kh, sh, ph, dh}, ax{w, ow, kw, sw, pw, dw};
    const i64 total = n * od * oh * ow * kd * kh * kw * c;
    for (i64 e = blockIdx.x * (i64)blockDim.x + threadIdx.x; e < total; e += (i64)blockDim.x * gridDim.x) {
        i64 r = e;
        const i64 ch = r % c; r /= c;
        const i64 jx = r % kw; r /= kw;
        const i64 jy = r % kh; r /= kh;
        const i64 jz = r % kd; r /= kd;
        const i64 ox = r % ow; r /= ow;
        const i64 oy = r % oh; r /= oh;
        const i64 oz = r % od;
        const i64 b = r / od;
        const i64 z = az.at(oz, jz), y = ay.at(oy, jy), xi = ax.at(ox, jx);
        const bool inside = z >= 0 && z < d && y >= 0 && y < h && xi >= 0 && xi < w;
        cols[e] = inside ? x[(((b * d + z) * h + y) * w + xi) * c + ch] : T(0);
    }
}
