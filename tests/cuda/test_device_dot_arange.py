"""Dot of every dtype (integer and bool by kernels/int_matmul.cu, mixed operands cast on the
device) and ARange (kernels/arange.cu) on ``device="cuda-sim"`` against ``device="cpu"`` and
NumPy: values bit for bit, where each node runs, the transfers, gradients through arange, and
both kernels on their own with grids small enough that every grid-stride loop strides."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.backends import kernels
from gpugrad.backends.load import KernelLibrary
from gpugrad.compile import device_arrays
from gpugrad.ops.blas import Dot
from gpugrad.ops.join import ARange

from device_checks import DEVICE, host, identical, on_both, places, transfers

INT_DTYPES = ["int8", "int32", "int64", "uint8", "bool"]
ALL_INTEGERS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool"]


@pytest.fixture(scope="module")
def library():
    return KernelLibrary(device_arrays.backend_for(DEVICE))


def _integers(rng, shape, dtype):
    """Values over the dtype's whole range, so products and sums wrap around."""
    if dtype == "bool":
        return rng.random(shape) < 0.3
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_integer_dot_matches_the_cpu_and_numpy(dtype, rng):
    """Every form of a product, with sizes that are not multiples of the 16-wide tile."""
    v, w, a, b = T.vector("v", dtype=dtype), T.vector("w", dtype=dtype), T.matrix("a", dtype=dtype), \
        T.matrix("b", dtype=dtype)
    x, y, z = T.tensor3("x", dtype=dtype), T.tensor3("y", dtype=dtype), T.tensor3("z", dtype=dtype)
    outputs = [T.dot(v, w), T.dot(a, v), T.dot(a, b), T.batched_dot(x, y), T.tensordot(x, z, axes=[[1, 2], [0, 1]]),
               T.matmul(x, b)]
    sim, cpu = on_both([v, w, a, b, x, y, z], outputs)
    assert places(sim, Dot) == {DEVICE}
    assert transfers(sim) == ["device"] * 7 + ["host"] * len(outputs)
    args = [_integers(rng, s, dtype) for s in [(19,), (19,), (17, 19), (19, 33), (3, 17, 19), (3, 19, 5), (17, 19, 2)]]
    got = sim(*args)
    identical(got, cpu(*args))
    vv, ww, aa, bb, xx, yy, zz = args
    identical(got, [np.dot(vv, ww), aa @ vv, aa @ bb, xx @ yy, np.tensordot(xx, zz, axes=[[1, 2], [0, 1]]), xx @ bb])


@pytest.mark.parametrize("dtype,value", [("int8", 127), ("int32", 2**31 - 1), ("int64", 2**62 + 3), ("uint8", 255)])
def test_integer_dot_wraps_around_as_numpy(dtype, value):
    a, b = T.matrix("a", dtype=dtype), T.matrix("b", dtype=dtype)
    sim, cpu = on_both([a, b], [T.dot(a, b)])
    args = np.full((5, 40), value, dtype), np.full((40, 3), value, dtype)
    expected = args[0] @ args[1]
    assert expected[0, 0] != 40 * value * value  # it did wrap
    identical(sim(*args), [expected])
    identical(cpu(*args), [expected])


@pytest.mark.parametrize("dtype_a,dtype_b", [("int32", "float32"), ("int64", "float64"), ("bool", "float32"),
                                             ("int8", "int32"), ("uint8", "int8"), ("bool", "int64"),
                                             ("float32", "complex128")])
def test_mixed_dot_casts_on_the_device(dtype_a, dtype_b, rng):
    a, b = T.matrix("a", dtype=dtype_a), T.matrix("b", dtype=dtype_b)
    sim, cpu = on_both([a, b], [T.dot(a, b), T.dot(b.T, a.T)])
    assert places(sim, Dot) == {DEVICE}
    args = [(_integers(rng, s, dt) if np.dtype(dt).kind in "biu" else rng.standard_normal(s).astype(dt))
            for s, dt in [((6, 21), dtype_a), ((21, 4), dtype_b)]]
    got, expected = sim(*args), cpu(*args)
    for g, e, numpy in zip(got, expected, [args[0] @ args[1], args[1].T @ args[0].T]):
        assert g.dtype == e.dtype == numpy.dtype and g.shape == e.shape
        np.testing.assert_allclose(g, numpy, rtol=1e-5 if g.dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", ["int32", "bool", "float64"])
@pytest.mark.parametrize("shape_a,shape_b", [((3, 0), (0, 4)), ((0, 5), (5, 4)), ((2, 3, 0), (2, 0, 4))])
def test_empty_dot(dtype, shape_a, shape_b):
    a, b = T.tensor(dtype, shape=(None,) * len(shape_a), name="a"), T.tensor(dtype, shape=(None,) * len(shape_b))
    sim, cpu = on_both([a, b], [T.matmul(a, b)])
    args = np.ones(shape_a, dtype), np.ones(shape_b, dtype)
    identical(sim(*args), cpu(*args))
    identical(sim(*args), [np.matmul(*args)])


def test_integer_dot_gradient_is_unchanged(rng):
    """A float cost of an integer product: gradients flow to the float operand only."""
    a, w = T.imatrix("a"), T.dmatrix("w")
    cost = T.sum(T.dot(a, w) ** 2) + T.sum(T.dot(a, a.T))
    sim, cpu = on_both([a, w], gg.grad(cost, [w]) + [cost])
    assert places(sim, Dot) == {DEVICE}
    args = rng.integers(-3, 4, (5, 6)).astype("int32"), rng.standard_normal((6, 2))
    for g, e in zip(sim(*args), cpu(*args)):
        np.testing.assert_allclose(g, e, rtol=1e-12)


ARANGES = [(0, 10, 1), (7, -5, -3), (3, 3, 1), (5, 0, 1), (0.5, 7.25, 0.37), (2.0, -3.3, -0.7), (-1.0, 1.0, 0.1),
           (1.0, 1.0, -0.5)]


@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
def test_arange_matches_numpy(dtype):
    start, stop, step = T.dscalar("start"), T.dscalar("stop"), T.dscalar("step")
    sim, cpu = on_both([start, stop, step], [T.arange(start, stop, step, dtype=dtype)])
    assert places(sim, ARange) == {DEVICE}
    assert transfers(sim) == ["host"]  # start, stop and step are read on the host
    for args in ARANGES:
        got = sim(*args)
        identical(got, cpu(*args))
        identical(got, [np.arange(*args, dtype=dtype)])


def test_integer_arange_reads_scalars_computed_on_the_device(rng):
    """A start reduced on the device comes back for the length; the arange runs on the device."""
    x, step = T.lvector("x"), T.lscalar("step")
    start = T.sum(x)
    out = T.arange(start, start + T.sum(x ** 2), step) * 2
    sim, cpu = on_both([x, step], [out])
    assert places(sim, ARange) == {DEVICE}
    for args in [(np.array([3, -9]), 3), (np.array([1, 2]), -1), (np.array([1, 2]), 1), (np.array([0]), 7)]:
        identical(sim(*args), cpu(*args))


def test_gradients_through_arange_are_unchanged(rng):
    x, start, step = T.dvector("x"), T.dscalar("start"), T.dscalar("step")
    ramp = T.arange(start, start + x.shape[0] * step - step / 2, step)
    cost = T.sum(x * ramp ** 2) + T.sum(T.arange(x.shape[0]) * x)
    sim, cpu = on_both([x, start, step], gg.grad(cost, [x, start, step]) + [cost])
    assert places(sim, ARange) == {DEVICE}
    args = rng.standard_normal(23), 0.25, -0.5
    for g, e in zip(sim(*args), cpu(*args)):
        np.testing.assert_allclose(g, e, rtol=1e-12)


@pytest.mark.parametrize("dtype", ALL_INTEGERS)
def test_int_matmul_kernel_strides_over_rows_and_batch(library, dtype, rng):
    """One block row and one batch block: the row-tile and batch loops of the kernel stride."""
    be = library.backend
    a, b = _integers(rng, (3, 37, 20), dtype), _integers(rng, (3, 20, 18), dtype)
    b_one = _integers(rng, (20, 18), dtype)
    for bb, b_stride in [(b, 20 * 18), (b_one, 0)]:
        out = be.allocate((3, 37, 18), dtype)
        library.launch("int_matmul", (2, 1, 1), (16, 16), (be.to_device(a), be.to_device(bb), out, 3, 37, 20, 18,
                                                           37 * 20, b_stride))
        np.testing.assert_array_equal(host(out), np.matmul(a, bb))


def test_int_matmul_broadcasts_batch_axes(library, rng):
    be = library.backend
    a, b = _integers(rng, (2, 1, 5, 7), "int16"), _integers(rng, (3, 7, 4), "int16")
    got = kernels.int_matmul(library, be.to_device(a), be.to_device(b))
    np.testing.assert_array_equal(host(got), np.matmul(a, b))


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                                   "float32", "float64"])
def test_arange_kernel_strides(library, dtype):
    be = library.backend
    start, step = (5, 3) if np.dtype(dtype).kind == "u" else (-7.5, 1.37) if np.dtype(dtype).kind == "f" else (-7, 3)
    expected = np.arange(start, start + 300 * step, step, dtype=dtype)  # wraps for int8 and uint8
    first, second = np.array([start, start + step], dtype)
    out = be.allocate(expected.size, dtype)
    library.launch("arange", 2, 32, (out, first, second, expected.size))
    np.testing.assert_array_equal(host(out), expected)
