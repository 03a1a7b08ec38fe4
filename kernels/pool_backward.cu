// gpugrad-kernel: pool_backward(in T* x, in U* g, out U* gx, i64 planes, i64 d, i64 h, i64 w, i64 od, i64 oh, i64 ow, i64 kd, i64 kh, i64 kw, i64 sd, i64 sh, i64 sw, i64 pd, i64 ph, i64 pw)
// The gradient of pool_window.cu (same geometry; g is (planes, od, oh, ow), gx and x are
// (planes, d, h, w), C-contiguous): each input element gathers, from every window holding
// it, that window's gradient as GG_POOL shares it out:
//   0  max: g / (the window's number of elements equal to its maximum) where x holds the
//      maximum, else 0 (the window's maximum and ties are recomputed from x)
//   1  sum: g, 2 / 3  g divided as the forward average divides
// One thread per input element, no atomics (a deterministic sum), grid-stride, 64-bit indices.
#include "reduce.cuh"
#include "window.cuh"

// The share of window (oz, oy, ox)'s gradient that input element ``at`` (in the plane xp) gets.
__device__ __forceinline__ U gg_share(const T* xp, i64 at, U grad, const gg_axis& az, const gg_axis& ay,
                                      const gg_axis& ax, i64 oz, i64 oy, i64 ox) {
    i64 z0, z1, zlo, zhi, y0, y1, ylo, yhi, x0, x1, xlo, xhi;
    az.span(oz, z0, z1, zlo, zhi);
    ay.span(oy, y0, y1, ylo, yhi);
    ax.span(ox, x0, x1, xlo, xhi);
#if GG_POOL == 0
    const i64 h = ay.n, w = ax.n;
    T top = xp[(zlo * h + ylo) * w + xlo];
    for (i64 z = zlo; z < zhi; ++z)
        for (i64 r = ylo; r < yhi; ++r)
            for (i64 c = xlo; c < xhi; ++c) {
                const T t = xp[(z * h + r) * w + c];
                if (gg_isnan(t) || t > top) top = t;
            }
    if (xp[at] != top) return U(0);
    i64 ties = 0;
    for (i64 z = zlo; z < zhi; ++z)
        for (i64 r = ylo; r < yhi; ++r)
            for (i64 c = xlo; c < xhi; ++c) ties += xp[(z * h + r) * w + c] == top;
    return grad / U(ties);
#elif GG_POOL == 1
    return grad;
#elif GG_POOL == 2
    return grad / U((z1 - z0) * (y1 - y0) * (x1 - x0));
#else
    return grad / U((zhi - zlo) * (yhi - ylo) * (xhi - xlo));
#endif
}

extern "C" __global__ void pool_backward(const T* x, const U* g, U* gx, i64 planes, i64 d, i64 h, i64 w, i64 od,
                                         i64 oh, i64 ow, i64 kd, i64 kh, i64 kw, i64 sd, i64 sh, i64 sw,
                                         i64 pd, i64 ph, i64 pw) {
    const gg_axis az{d, od, kd, sd, pd, 1}, ay{h, oh, kh, sh, ph, 1}, ax{w, ow, kw, sw, pw, 1};
    const i64 total = planes * d * h * w;
    for (i64 e = blockIdx.x * (i64)blockDim.x + threadIdx.x; e < total; e += (i64)blockDim.x * gridDim.x) {
        const i64 c = e % w, r = e / w % h, z = e / w / h % d, p = e / w / h / d;
        i64 fz, lz, fy, ly, fx, lx;
        az.outputs_holding(z, fz, lz);
        ay.outputs_holding(r, fy, ly);
        ax.outputs_holding(c, fx, lx);
        const T* xp = x + p * d * h * w;
        const U* gp = g + p * od * oh * ow;
        U sum = U(0);
        for (i64 oz = fz; oz <= lz; ++oz)
            for (i64 oy = fy; oy <= ly; ++oy)
                for (i64 ox = fx; ox <= lx; ++ox)
                    sum += gg_share(xp, (z * h + r) * w + c, gp[(oz * oh + oy) * ow + ox], az, ay, ax, oz, oy, ox);
        gx[e] = sum;
    }
}
