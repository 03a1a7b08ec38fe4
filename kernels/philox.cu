// gpugrad-kernel: philox(in u32* state, out T* y, i64 n)
// n random floats of T (float or double) from a Philox-4x32-10 state [k0, k1, c2, c3]: uniforms in
// (0, 1), or with GG_NORMAL=1 standard normals by Box-Muller (philox_advance.cu makes the state of
// the next call). The same bits as gpugrad/ops/philox.py, which
// documents the mapping: block j is philox((j, j >> 32, c2, c3), (k0, k1)); a float element takes
// one word, a double two; normals pair consecutive uniforms. Every floating-point operation is
// an __f*_rn / __d*_rn intrinsic (rounded once, never contracted into an fma) and log, sin and cos
// are our own polynomials, so NumPy computes the same values. One thread per block of four words
// (four floats or two doubles, written to consecutive addresses); grid-stride loop, 64-bit indices.
#ifdef GPUGRAD_CUDA_SIM  // the host compiler contracts nothing: plain operations round alike
#define __fadd_rn(a, b) ((a) + (b))
#define __fsub_rn(a, b) ((a) - (b))
#define __fmul_rn(a, b) ((a) * (b))
#define __fdiv_rn(a, b) ((a) / (b))
#define __fsqrt_rn(a) sqrtf(a)
#define __dadd_rn(a, b) ((a) + (b))
#define __dsub_rn(a, b) ((a) - (b))
#define __dmul_rn(a, b) ((a) * (b))
#define __ddiv_rn(a, b) ((a) / (b))
#define __dsqrt_rn(a) sqrt(a)
#endif

// The polynomials' coefficients, exact: gpugrad/ops/philox.py's COEFFICIENTS (a test compares them).
#define GG_LOG_F32 {0x1.555556p-1f, 0x1.99999ap-2f, 0x1.24924ap-2f, 0x1.c71c72p-3f, 0x1.745d18p-3f, \
    0x1.3b13b2p-3f}
#define GG_SIN_F32 {-0x1.555556p-3f, 0x1.111112p-7f, -0x1.a01a02p-13f, 0x1.71de3ap-19f, -0x1.ae6456p-26f}
#define GG_COS_F32 {0x1.555556p-5f, -0x1.6c16c2p-10f, 0x1.a01a02p-16f, -0x1.27e4fcp-22f, 0x1.1eed8ep-29f}
#define GG_LN2_F32 0x1.62e43p-1f
#define GG_HALF_PI_F32 0x1.921fb6p+0f
#define GG_SQRT_HALF_F32 0x1.6a09e6p-1f
#define GG_LOG_F64 {0x1.5555555555555p-1, 0x1.999999999999ap-2, 0x1.2492492492492p-2, 0x1.c71c71c71c71cp-3, \
    0x1.745d1745d1746p-3, 0x1.3b13b13b13b14p-3, 0x1.1111111111111p-3, 0x1.e1e1e1e1e1e1ep-4, 0x1.af286bca1af28p-4, \
    0x1.8618618618618p-4, 0x1.642c8590b2164p-4}
#define GG_SIN_F64 {-0x1.5555555555555p-3, 0x1.1111111111111p-7, -0x1.a01a01a01a01ap-13, 0x1.71de3a556c734p-19, \
    -0x1.ae64567f544e4p-26, 0x1.6124613a86d09p-33, -0x1.ae7f3e733b81fp-41, 0x1.952c77030ad4ap-49, -0x1.2f49b46814157p-57}
#define GG_COS_F64 {0x1.5555555555555p-5, -0x1.6c16c16c16c17p-10, 0x1.a01a01a01a01ap-16, -0x1.27e4fb7789f5cp-22, \
    0x1.1eed8eff8d898p-29, -0x1.93974a8c07c9dp-37, 0x1.ae7f3e733b81fp-45, -0x1.6827863b97d97p-53, 0x1.e542ba4020225p-62}
#define GG_LN2_F64 0x1.62e42fefa39efp-1
#define GG_HALF_PI_F64 0x1.921fb54442d18p+0
#define GG_SQRT_HALF_F64 0x1.6a09e667f3bcdp-1

__device__ __forceinline__ float gg_add(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ float gg_sub(float a, float b) { return __fsub_rn(a, b); }
__device__ __forceinline__ float gg_mul(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ float gg_div(float a, float b) { return __fdiv_rn(a, b); }
__device__ __forceinline__ float gg_sqrt(float a) { return __fsqrt_rn(a); }
__device__ __forceinline__ double gg_add(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ double gg_sub(double a, double b) { return __dsub_rn(a, b); }
__device__ __forceinline__ double gg_mul(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ double gg_div(double a, double b) { return __ddiv_rn(a, b); }
__device__ __forceinline__ double gg_sqrt(double a) { return __dsqrt_rn(a); }

template <class T, int N> __device__ __forceinline__ T gg_horner(T z, const T (&c)[N]) {
    T p = c[N - 1];
    for (int k = N - 2; k >= 0; --k) p = gg_add(gg_mul(p, z), c[k]);
    return p;
}

// Each helper once per format; the second argument of a constant only picks the overload.
__device__ __forceinline__ float gg_log_series(float z) { const float c[] = GG_LOG_F32; return gg_horner(z, c); }
__device__ __forceinline__ float gg_sin_series(float z) { const float c[] = GG_SIN_F32; return gg_horner(z, c); }
__device__ __forceinline__ float gg_cos_series(float z) { const float c[] = GG_COS_F32; return gg_horner(z, c); }
__device__ __forceinline__ double gg_log_series(double z) { const double c[] = GG_LOG_F64; return gg_horner(z, c); }
__device__ __forceinline__ double gg_sin_series(double z) { const double c[] = GG_SIN_F64; return gg_horner(z, c); }
__device__ __forceinline__ double gg_cos_series(double z) { const double c[] = GG_COS_F64; return gg_horner(z, c); }
__device__ __forceinline__ float gg_ln2(float) { return GG_LN2_F32; }
__device__ __forceinline__ float gg_half_pi(float) { return GG_HALF_PI_F32; }
__device__ __forceinline__ float gg_sqrt_half(float) { return GG_SQRT_HALF_F32; }
__device__ __forceinline__ double gg_ln2(double) { return GG_LN2_F64; }
__device__ __forceinline__ double gg_half_pi(double) { return GG_HALF_PI_F64; }
__device__ __forceinline__ double gg_sqrt_half(double) { return GG_SQRT_HALF_F64; }
__device__ __forceinline__ float gg_frexp(float x, int* e) { return frexpf(x, e); }
__device__ __forceinline__ double gg_frexp(double x, int* e) { return frexp(x, e); }
__device__ __forceinline__ float gg_rint(float x) { return rintf(x); }
__device__ __forceinline__ double gg_rint(double x) { return rint(x); }

// The uniforms of one block of four words: four floats (2 (w >> 9) + 1) 2^-24, or two doubles
// (2 ((a >> 6) 2^26 + (b >> 6)) + 1) 2^-53 of the word pairs (a, b).
__device__ __forceinline__ void gg_uniforms(const unsigned* w, float* u) {
    for (int k = 0; k < 4; ++k) u[k] = gg_mul((float)(((w[k] >> 9) << 1) | 1u), 0x1p-24f);
}

__device__ __forceinline__ void gg_uniforms(const unsigned* w, double* u) {
    for (int k = 0; k < 2; ++k) {
        const unsigned long long m = ((unsigned long long)(w[2 * k] >> 6) << 26) | (w[2 * k + 1] >> 6);
        u[k] = gg_mul((double)((m << 1) | 1ull), 0x1p-53);
    }
}

// Random123's philox4x32_R(10, c, (k0, k1)), in place.
__device__ __forceinline__ void gg_philox4x32_10(unsigned* c, unsigned k0, unsigned k1) {
    for (int round = 0; round < 10; ++round) {
        const unsigned long long p0 = 0xD2511F53ull * c[0], p1 = 0xCD9E8D57ull * c[2];
        const unsigned c0 = (unsigned)(p1 >> 32) ^ c[1] ^ k0, c2 = (unsigned)(p0 >> 32) ^ c[3] ^ k1;
        c[0] = c0;
        c[1] = (unsigned)p1;
        c[2] = c2;
        c[3] = (unsigned)p0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
}

// log x for x in (0, 1): x = 2^e m, m in [sqrt(1/2), sqrt(2)), f = m - 1, s = f / (2 + f),
// log m = f - (f^2/2 - s (f^2/2 + R(s^2))) (fdlibm's reduction).
template <class T> __device__ __forceinline__ T gg_log(T x) {
    int e;
    T m = gg_frexp(x, &e);
    if (m < gg_sqrt_half(x)) {
        m = gg_add(m, m);
        --e;
    }
    const T f = gg_sub(m, T(1)), hfsq = gg_mul(gg_mul(T(0.5), f), f);
    const T s = gg_div(f, gg_add(T(2), f)), z = gg_mul(s, s);
    const T r = gg_mul(z, gg_log_series(z));
    return gg_add(gg_mul((T)e, gg_ln2(x)), gg_sub(f, gg_sub(hfsq, gg_mul(s, gg_add(hfsq, r)))));
}

// r cos(2 pi v) and r sin(2 pi v) into pair[0], pair[1] with r = sqrt(-2 log u), (u, v) = pair: the
// nearest quarter turn q of 4v and the rest (4v - q) pi/2 in [-pi/4, pi/4], Taylor polynomials there.
template <class T> __device__ __forceinline__ void gg_box_muller(T* pair) {
    const T r = gg_sqrt(gg_mul(T(-2), gg_log(pair[0])));
    const T four_v = gg_mul(T(4), pair[1]), q = gg_rint(four_v);
    const T x = gg_mul(gg_sub(four_v, q), gg_half_pi(q)), z = gg_mul(x, x);
    const T sin_x = gg_add(x, gg_mul(x, gg_mul(z, gg_sin_series(z))));
    const T cos_x = gg_sub(T(1), gg_sub(gg_mul(T(0.5), z), gg_mul(z, gg_mul(z, gg_cos_series(z)))));
    const int quadrant = (int)q & 3;
    const T c = quadrant == 0 ? cos_x : quadrant == 1 ? -sin_x : quadrant == 2 ? -cos_x : sin_x;
    const T s = quadrant == 0 ? sin_x : quadrant == 1 ? cos_x : quadrant == 2 ? -sin_x : -cos_x;
    pair[0] = gg_mul(r, c);
    pair[1] = gg_mul(r, s);
}

#ifndef GG_NORMAL
#define GG_NORMAL 0
#endif

extern "C" __global__ void philox(const unsigned* state, T* y, i64 n) {
    const int per_block = sizeof(T) == 4 ? 4 : 2;  // elements made of four words
    const unsigned k0 = state[0], k1 = state[1], c2 = state[2], c3 = state[3];
    const i64 blocks = (n + per_block - 1) / per_block;
    for (i64 j = blockIdx.x * (i64)blockDim.x + threadIdx.x; j < blocks; j += (i64)blockDim.x * gridDim.x) {
        unsigned w[4] = {(unsigned)j, (unsigned)((unsigned long long)j >> 32), c2, c3};
        gg_philox4x32_10(w, k0, k1);
        T u[4];
        gg_uniforms(w, u);
        if (GG_NORMAL)
            for (int p = 0; p < per_block; p += 2) gg_box_muller(u + p);
        const i64 first = j * per_block;
        for (int k = 0; k < per_block; ++k)
            if (first + k < n) y[first + k] = u[k];
    }
}
