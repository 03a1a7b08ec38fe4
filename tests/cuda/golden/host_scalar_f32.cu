#include <cupy/complex.cuh>
typedef signed char i8;
typedef short i16;
typedef int i32;
typedef long long i64;
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef float f32;
typedef double f64;
typedef complex<float> c64;
typedef complex<double> c128;
extern "C" __global__ void composite(const f32* __restrict__ in0, const f32 a1, f32* __restrict__ out0, const i64* geometry, i64 ndim, i64 n) {
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)blockDim.x * gridDim.x) {
        i64 rest = i, o0 = 0;
        for (i64 d = ndim - 1; d >= 0; --d) {
            const i64 k = rest % geometry[d];
            rest /= geometry[d];
            o0 += k * geometry[ndim * 1 + d];
        }
        const f32 a0 = in0[o0];
        const f32 v0 = exp(a0);
        const f32 v1 = v0 / a1;
        const f32 v2 = v1 - a1;
        out0[i] = v2;
    }
}
