"""The convolution and pooling kernels (gpugrad/backends/conv_kernels.py) on the simulator
against the ops' NumPy perform, for the instantiations NVRTC compiles (backend_kernel_cases)."""
import numpy as np
import pytest

import gpugrad.tensor as T
from gpugrad.backends import conv_kernels
from gpugrad.ops.patches import Col2Im, Im2Col
from gpugrad.ops.pool import MaxPoolRop, Pool, PoolGrad

from backend_kernel_cases import INSTANTIATIONS

# image shape (lead + C + spatial), kernel, border, strides, dilations
WINDOWS = [
    ((2, 3, 6, 7), (3, 2), ((1, 0), (2, 1)), (2, 1), (1, 2)),
    ((1, 2, 2, 5, 4), (2, 2), "half", (1, 2), (2, 1)),
    ((1, 2, 4, 3, 5), (2, 1, 3), "full", (1, 1, 2), (1, 1, 1)),
]
# input shape, mode-independent pooling geometry (ws, stride, pad, ignore_border)
POOLS = [
    ((2, 3, 7, 6), (3, 2), (2, 1), (1, 0), True),
    ((2, 5, 4), (2, 3), (2, 3), (0, 0), False),
    ((1, 2, 5, 4, 6), (2, 2, 3), (1, 2, 2), (1, 0, 1), True),
]
MODES = ["max", "sum", "average_inc_pad", "average_exc_pad"]


def _values(rng, shape, dtype):
    if np.dtype(dtype).kind in "iu":
        return rng.integers(-3, 4, shape).astype(dtype)  # many ties for max pooling
    values = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return values.astype(dtype)


def _close(got, expected):
    got = np.asarray(got)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    single = expected.dtype in (np.float32, np.complex64)
    np.testing.assert_allclose(got, expected, rtol=1e-5 if single else 1e-12, atol=1e-5 if single else 1e-12)


def _perform(op, *values):
    """``op``'s NumPy result for ``values`` (a node built on variables of their dtypes)."""
    node = op.make_node(*[T.tensor(np.asarray(v).dtype.name, shape=(None,) * np.ndim(v)) for v in values])
    return op.perform(node, list(values))[0]


@pytest.mark.parametrize("dtype", [t["T"] for t, _ in INSTANTIATIONS["im2col"]])
@pytest.mark.parametrize("shape,kernel,border,strides,dilations", WINDOWS)
def test_im2col(sim, library, rng, dtype, shape, kernel, border, strides, dilations):
    nd = len(kernel)
    op = Im2Col(border, strides, dilations)
    x = _values(rng, shape, dtype)
    outs, pads = op.geometry(x.shape, shape[-nd - 1], kernel)
    strided = sim.to_device(np.moveaxis(x, -1, 0)).transpose(list(range(1, x.ndim)) + [0])  # a non-contiguous view
    got = conv_kernels.im2col(library, strided, kernel, outs, [lo for lo, _ in pads], strides, dilations)
    _close(got, _perform(op, x, np.int64(shape[-nd - 1]), *map(np.int64, kernel)))


@pytest.mark.parametrize("dtype", [t["T"] for t, _ in INSTANTIATIONS["col2im"]])
@pytest.mark.parametrize("shape,kernel,border,strides,dilations", WINDOWS)
def test_col2im(sim, library, rng, dtype, shape, kernel, border, strides, dilations):
    nd = len(kernel)
    op = Col2Im(border, strides, dilations)
    outs, pads = Im2Col(border, strides, dilations).geometry(shape, shape[-nd - 1], kernel)
    cols = _values(rng, shape[:-nd - 1] + tuple(outs) + kernel + shape[-nd - 1:-nd], dtype)
    got = conv_kernels.col2im(library, sim.to_device(cols), shape[-nd:], [lo for lo, _ in pads], strides, dilations)
    _close(got, _perform(op, cols, *map(np.int64, shape[-nd:])))


def _pool_cases():
    for types, defines in INSTANTIATIONS["pool_window"]:
        mode = MODES[int(defines[0][1])]
        yield pytest.param(types["T"], types["U"], mode, id=f"{np.dtype(types['T'])}-{np.dtype(types['U'])}-{mode}")


@pytest.mark.parametrize("x_dtype,v_dtype,mode", list(_pool_cases()))
@pytest.mark.parametrize("shape,ws,stride,pad,ignore_border", POOLS)
def test_pool_window(sim, library, rng, x_dtype, v_dtype, mode, shape, ws, stride, pad, ignore_border):
    """The forward pass (v = x) and, for max windows (of many ties), the R-op (v a float tangent)."""
    props = (mode, ws, stride, pad, ignore_border)
    x = _values(rng, shape, x_dtype)
    out_shape = Pool(*props).checked_out_shape(x.shape)
    if x_dtype == v_dtype:
        expected = _perform(Pool(*props), x)
        d = sim.to_device(x)
        _close(conv_kernels.pool_window(library, d, d, mode, ws, stride, pad, out_shape), expected)
    if mode == "max" and np.dtype(v_dtype).kind == "f":
        t = _values(rng, shape, v_dtype)
        expected = _perform(MaxPoolRop(*props), x, t)
        got = conv_kernels.pool_window(library, sim.to_device(x), sim.to_device(t), mode, ws, stride, pad, out_shape)
        _close(got, expected)


@pytest.mark.parametrize("types,defines", INSTANTIATIONS["pool_backward"],
                         ids=[f"{np.dtype(t['T'])}-{np.dtype(t['U'])}-{d[0][1]}" for t, d in INSTANTIATIONS["pool_backward"]])
@pytest.mark.parametrize("shape,ws,stride,pad,ignore_border", POOLS)
def test_pool_backward(sim, library, rng, types, defines, shape, ws, stride, pad, ignore_border):
    mode = MODES[int(defines[0][1])]
    op = PoolGrad(mode, ws, stride, pad, ignore_border)
    x = _values(rng, shape, types["T"])
    g = _values(rng, op.out_shape(x.shape), types["U"])
    expected = _perform(op, x, g)
    _close(conv_kernels.pool_backward(library, sim.to_device(x), sim.to_device(g), mode, ws, stride, pad), expected)


def test_only_kernels_with_barriers_run_as_fibers(library):
    """The prelude's shuffle helpers (gpugrad.cuh) made every kernel a fiber kernel: 256 guarded
    stacks, 512 memory mappings per loaded kernel, until a test process ran out of them."""
    from gpugrad.backends.cuda_sim import compiler

    def fibers(name, types, defines=()):
        return compiler.build(library.sources[name].instantiate(types, defines), library.options)[2]
    assert not any(fibers(name, {"T": np.float32, "U": np.float32}, (("GG_POOL", "0"),))
                   for name in ("im2col", "col2im", "pool_window", "pool_backward"))
    assert fibers("reduce_rows", {"T": np.float32, "U": np.float32}, (("GG_REDUCE", "gg_sum"),))
    assert fibers("int_matmul", {"T": np.int32})
