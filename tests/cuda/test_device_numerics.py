"""The same answer on every device where C, NumPy and the GPU could each give their own:
float to integer casts of NaN, infinities and values out of range (saturated, NaN to 0),
MIN // -1 and MIN % -1 and division by zero (NumPy's results), negative integer powers, and a*b+c rounded twice
(never fused into an FMA), checked on ``cpu`` and ``cuda-sim`` against an exact reference."""
import math

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T

DEVICES = ["cpu", "cuda-sim"]
INTEGERS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 0.9, -0.9, 3.7, -3.7, 126.5, 127.9, 128.0, -128.5, -129.0,
           255.9, 256.0, 32767.5, 65535.9, -32769.0, 2.0**31 - 0.5, 2.0**31, -2.0**31 - 1.0, 4294967295.5,
           2.0**32, 2.0**62, 2.0**63, -2.0**63, -2.0**64, 2.0**64, 1e30, -1e30]


def _saturated(value, dtype):
    """The reference: truncate toward zero, clamp to the dtype's range, NaN to 0 (Python ints)."""
    info = np.iinfo(dtype)
    if math.isnan(value):
        return 0
    if math.isinf(value):
        return info.max if value > 0 else info.min
    return min(max(math.trunc(value), info.min), info.max)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("source", ["float32", "float64", "complex128"])
def test_float_to_integer_casts_saturate_and_take_nan_to_0(device, source):
    values = np.array(SPECIAL, source if source != "complex128" else "float64")
    x = T.vector(dtype=source)
    f = gg.function([x], [T.cast(x, d) for d in INTEGERS] + [T.cast(x, "bool")], device=device)
    given = values.astype(source) if source != "complex128" else values + 1j * np.pi
    results = f(given)
    reference = values.astype(source if source != "complex128" else "float64")  # float32 rounds the values first
    for dtype, got in zip(INTEGERS, results):
        expected = np.array([_saturated(float(v), dtype) for v in reference], dtype)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, expected, err_msg=f"{source} -> {dtype} on {device}")
    np.testing.assert_array_equal(results[-1], given != 0)  # to bool: nonzero, NaN is True


@pytest.mark.parametrize("device", DEVICES)
def test_a_cast_inside_a_fused_kernel_saturates_too(device):
    x = T.dvector("x")
    f = gg.function([x], T.cast(x * 2.0, "int32") + 1, device=device)
    np.testing.assert_array_equal(f(np.array([np.nan, 2.0**31, -2.0**31, 1.5])),
                                  np.array([1, 2**31 - 1 + 1, -2**31 + 1, 4], "int64").astype("int32"))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", INTEGERS)
def test_integer_division_at_its_edges_is_numpys(device, dtype):
    """MIN // -1 wraps to MIN and MIN % -1 is 0 (C traps: SIGFPE on x86); x // 0 and x % 0
    are 0; floor rounding for mixed signs."""
    info = np.iinfo(dtype)
    a = np.array([info.min, info.min, info.max, 7, 7, 0, info.min, 5], dtype)
    b = np.array([-1 if info.min else 1, 0, -1 if info.min else 3, 0, 2, 0, 1, info.max], dtype)
    if info.min:
        a, b = np.concatenate([a, np.array([-7, 7, -7], dtype)]), np.concatenate([b, np.array([2, -2, -2], dtype)])
    x, y = T.vector(dtype=dtype), T.vector(dtype=dtype)
    f = gg.function([x, y], [x // y, x % y], device=device)
    with np.errstate(all="ignore"):
        expected = [a // b, a % b]
    for got, want in zip(f(a, b), expected):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", INTEGERS)
def test_integer_powers_negative_exponents_included(device, dtype):
    """A negative power of an integer is the exact power truncated toward zero (1 and -1 keep
    theirs, 0 and every other base give 0), as in JAX and PyTorch. Before: NumPy's ValueError
    on the CPU and 1 from the kernels; non-negative powers wrap around as NumPy's."""
    info = np.iinfo(dtype)
    if info.min:
        a = np.array([2, 1, -1, -1, 0, -3, 3, 5, -2, 7], dtype)
        b = np.array([-1, -5, -3, -2, -1, -1, 4, 0, 3, info.max], dtype)
        expected = [0, 1, -1, 1, 0, 0, 81, 1, -8, np.power(a[-1], b[-1])]
    else:
        a, b = np.array([2, 3, 0, 7], dtype), np.array([3, 0, 5, info.max], dtype)
        expected = np.power(a, b)
    x, y = T.vector(dtype=dtype), T.vector(dtype=dtype)
    got = gg.function([x, y], x ** y, device=device)(a, b)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, np.array(expected).astype(dtype))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_multiply_add_rounds_twice_as_numpy(device, dtype, rng):
    """No fused multiply-add: a GPU contracting x*y+z differs from NumPy in ~1/4 of float32 samples."""
    x, y, z = (T.vector(dtype=dtype) for _ in range(3))
    f = gg.function([x, y, z], [x * y + z, x * y - z], device=device)
    a, b, c = (rng.standard_normal(20000).astype(dtype) for _ in range(3))
    got = f(a, b, c)
    np.testing.assert_array_equal(got[0], a * b + c)
    np.testing.assert_array_equal(got[1], a * b - c)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_z_times_its_conjugate_is_real(device, dtype, rng):
    """Also on the CPU, where NumPy's own complex multiply fuses into FMAs on CPUs that have them."""
    z = T.vector(dtype=dtype)
    f = gg.function([z], [T.imag(z * T.conj(z)), z * T.conj(z), T.sqr(z)], device=device)
    value = (rng.standard_normal(5000) + 1j * rng.standard_normal(5000)).astype(dtype)
    imag, product, square = f(value)
    a, b = value.real, value.imag
    assert not imag.any()
    np.testing.assert_array_equal(product.real, a * a + b * b)
    np.testing.assert_array_equal(square.real, a * a - b * b)
    np.testing.assert_array_equal(square.imag, a * b + b * a)
