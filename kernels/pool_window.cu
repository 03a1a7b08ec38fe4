// gpugrad-kernel: pool_window(in T* x, in U* v, out U* y, i64 planes, i64 d, i64 h, i64 w, i64 od, i64 oh, i64 ow, i64 kd, i64 kh, i64 kw, i64 sd, i64 sh, i64 sw, i64 pd, i64 ph, i64 pw)
// Pooling (gpugrad/ops/pool.py) of the C-contiguous (planes, d, h, w) arrays over windows
// kd x kh x kw every (sd, sh, sw), padded by (pd, ph, pw) (2-d pooling: d = kd = sd = 1,
// pd = 0); y is (planes, od, oh, ow). GG_POOL selects what each window gives:
//   0  max: the mean of v where x holds the window's maximum (NaN-propagating as NumPy's);
//      with v = x that is the maximum itself, exactly (the forward pass), else the R-op;
//      a NaN maximum gives NaN
//   1  the sum of v, 2  its average over the window inside the padded input,
//   3  its average over the window's input elements (padding left out)
// Padding never takes part. One thread per output, grid-stride, 64-bit indices.
#include "window.cuh"

extern "C" __global__ void pool_window(const T* x, const U* v, U* y, i64 planes, i64 d, i64 h, i64 w, i64 od,
                                       i64 oh, i64 ow, i64 kd, i64 kh, i64 kw, i64 sd, i64 sh, i64 sw,
                                       i64 pd, i64 ph, i64 pw) {
    const gg_axis az{d, od, kd, sd, pd, 1}, ay{h, oh, kh, sh, ph, 1}, ax{w, ow, kw, sw, pw, 1};
    const i64 total = planes * od * oh * ow;
    for (i64 e = blockIdx.x * (i64)blockDim.x + threadIdx.x; e < total; e += (i64)blockDim.x * gridDim.x) {
        const i64 ox = e % ow, oy = e / ow % oh, oz = e / ow / oh % od, p = e / ow / oh / od;
        const gg_box box(az, ay, ax, oz, oy, ox);
        const U* vp = v + p * d * h * w;
#if GG_POOL == 0
        const T* xp = x + p * d * h * w;
        const T top = box.top(xp);
        U mean = U(0);
        i64 ties = 0;
        for (i64 z = box.zlo; z < box.zhi; ++z)
            for (i64 r = box.ylo; r < box.yhi; ++r)
                for (i64 c = box.xlo; c < box.xhi; ++c) {
                    const i64 at = (z * h + r) * w + c;
                    if (xp[at] == top) mean += (vp[at] - mean) / U(++ties);  // exact when all equal
                }
        y[e] = ties ? mean : U(top);
#else
        U sum = U(0);
        for (i64 z = box.zlo; z < box.zhi; ++z)
            for (i64 r = box.ylo; r < box.yhi; ++r)
                for (i64 c = box.xlo; c < box.xhi; ++c) sum += vp[(z * h + r) * w + c];
#if GG_POOL == 1
        y[e] = sum;
#elif GG_POOL == 2
        y[e] = sum / U(box.padded_size());
#else
        y[e] = sum / U(box.size());
#endif
#endif
    }
}
