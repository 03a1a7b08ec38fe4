// gpugrad-kernel: col2im(in T* cols, out T* x, i64 n, i64 c, i64 d, i64 h, i64 w, i64 od, i64 oh, i64 ow, i64 kd, i64 kh, i64 kw, i64 sd, i64 sh, i64 sw, i64 dd, i64 dh, i64 dw, i64 pd, i64 ph, i64 pw)
// The transpose of im2col.cu (same arguments): each element of the channels-last image
// x (n, d, h, w, c) is the sum of the elements of cols (n, od, oh, ow, kd, kh, kw, c) copied
// from it. One thread per element of x gathers them (no atomics, a deterministic sum): for
// each kernel position, the output position that reads it, if the stride lands on it.
// Grid-stride, 64-bit indices; the reads of cols are coalesced along the channels.
#include "window.cuh"

// The output index along one axis whose window reads input i at kernel position j, or -1.
__device__ __forceinline__ i64 gg_reader(const gg_axis& a, i64 i, i64 j) {
    const i64 offset = i + a.p - j * a.dil;
    if (offset < 0 || offset % a.s) return -1;
    const i64 out = offset / a.s;
    return out < a.o ? out : -1;
}

extern "C" __global__ void col2im(const T* cols, T* x, i64 n, i64 c, i64 d, i64 h, i64 w, i64 od, i64 oh, i64 ow,
                                  i64 kd, i64 kh, i64 kw, i64 sd, i64 sh, i64 sw, i64 dd, i64 dh, i64 dw,
                                  i64 pd, i64 ph, i64 pw) {
    const gg_axis az{d, od, kd, sd, pd, dd}, ay{h, oh, kh, sh, ph, dh}, ax{w, ow, kw, sw, pw, dw};
    const i64 total = n * d * h * w * c;
    for (i64 e = blockIdx.x * (i64)blockDim.x + threadIdx.x; e < total; e += (i64)blockDim.x * gridDim.x) {
        i64 r = e;
        const i64 ch = r % c; r /= c;
        const i64 xi = r % w; r /= w;
        const i64 y = r % h; r /= h;
        const i64 z = r % d;
        const i64 b = r / d;
        T sum = T(0);
        for (i64 jz = 0; jz < kd; ++jz) {
            const i64 oz = gg_reader(az, z, jz);
            if (oz < 0) continue;
            for (i64 jy = 0; jy < kh; ++jy) {
                const i64 oy = gg_reader(ay, y, jy);
                if (oy < 0) continue;
                for (i64 jx = 0; jx < kw; ++jx) {
                    const i64 ox = gg_reader(ax, xi, jx);
                    if (ox < 0) continue;
                    sum += cols[((((((b * od + oz) * oh + oy) * ow + ox) * kd + jz) * kh + jy) * kw + jx) * c + ch];
                }
            }
        }
        x[e] = sum;
    }
}
