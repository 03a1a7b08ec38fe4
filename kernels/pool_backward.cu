// gpugrad-kernel: pool_backward(in T* x, in U* g, out U* gx, i64 planes, i64 d, i64 h, i64 w, i64 od, i64 oh, i64 ow, i64 kd, i64 kh, i64 kw, i64 sd, i64 sh, i64 sw, i64 pd, i64 ph, i64 pw)
// The gradient of pool_window.cu (same geometry; g is (planes, od, oh, ow), gx and x are
// (planes, d, h, w), C-contiguous): each input element gathers, from every window holding
// it, that window's gradient as GG_POOL shares it out:
//   0  max: g / (the window's number of elements equal to its maximum) where x holds the
//      maximum, else 0 (the window's maximum and ties are recomputed from x)
//   1  sum: g, 2 / 3  g divided as the forward average divides
// One thread per input element, no atomics (a deterministic sum), grid-stride, 64-bit indices.
#include "window.cuh"

// The share of the gradient ``grad`` of the window ``box`` that input element ``at`` (of the plane xp) gets.
__device__ __forceinline__ U gg_share(const T* xp, i64 at, U grad, const gg_box& box) {
#if GG_POOL == 0
    const T top = box.top(xp);
    return xp[at] == top ? grad / U(box.count(xp, top)) : U(0);
#elif GG_POOL == 1
    return grad;
#elif GG_POOL == 2
    return grad / U(box.padded_size());
#else
    return grad / U(box.size());
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
                    sum += gg_share(xp, (z * h + r) * w + c, gp[(oz * oh + oy) * ow + ox],
                                    gg_box(az, ay, ax, oz, oy, ox));
        gx[e] = sum;
    }
}
