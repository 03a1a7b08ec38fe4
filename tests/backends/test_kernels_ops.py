"""The reduction, softmax, gather and scatter-add kernels (gpugrad/backends/kernels.py) on the
simulator against NumPy for every dtype they take, on a GPU when there is one, and under NVRTC."""
import numpy as np
import pytest

from gpugrad.backends import backend, cuda, kernels
from gpugrad.backends.base import KernelArgumentError
from gpugrad.backends.load import KernelLibrary
from gpugrad.errors import ShapeError

# (shape, axes, keepdims): rows not a multiple of the block, one row, one column, all axes.
LAYOUTS = [((7, 300), 1, False), ((3, 37, 5), (0, 2), True), ((1, 70), None, False), ((4, 1), 1, False),
           ((2, 3, 33), (1, 2), False), ((), None, False)]
REDUCE_DTYPES = {"sum": ["bool", "int32", "int64", "uint8", "float32", "float64", "complex64", "complex128"],
                 "prod": ["int64", "float32", "float64", "complex128"],
                 "max": ["int8", "int32", "uint8", "float32", "float64", "complex64", "complex128"],
                 "min": ["int8", "int32", "uint8", "float32", "float64", "complex64", "complex128"],
                 "all": ["bool", "int32", "float64", "complex64"], "any": ["bool", "int32", "float64", "complex64"],
                 "argmax": ["int32", "float32", "float64", "complex64", "complex128"],
                 "argmin": ["int32", "float32", "float64", "complex64", "complex128"],
                 "logsumexp": ["float32", "float64"]}
REDUCE_CASES = [(k, dt) for k, dts in REDUCE_DTYPES.items() for dt in dts]
FLOATS = ["float32", "float64", "complex64", "complex128"]
EVERY_DTYPE = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", *FLOATS]


def _random(rng, shape, dtype, kind=None):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < (0.9 if kind == "all" else 0.1)
    if kind == "prod":
        return (rng.choice([-1, 1, 2], shape) if dtype.kind == "i" else rng.uniform(0.8, 1.2, shape)).astype(dtype)
    if dtype.kind in "iu":
        return rng.integers(0 if dtype.kind == "u" else -100, 100, shape).astype(dtype)
    if kind in ("all", "any"):
        return (rng.random(shape) < 0.5).astype(dtype)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _numpy_reduce(kind, x, axes, keepdims):
    if kind in ("argmax", "argmin"):
        return getattr(np, kind)(x, axis=axes, keepdims=keepdims)
    if kind == "logsumexp":
        with np.errstate(all="ignore"):
            m = np.max(x, axis=axes, keepdims=True) if x.size else np.zeros((1,) * x.ndim, x.dtype)
            shift = np.where(np.isfinite(m), m, 0).astype(x.dtype)
            out = np.log(np.sum(np.exp(x - shift), axis=axes, keepdims=True)) + shift
        return out if keepdims else out.reshape(np.sum(x, axis=axes).shape)
    return getattr(np, kind)(x, axis=axes, keepdims=keepdims)


def _check(got, expected, dtype, n=1):
    expected = np.asarray(expected)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    single = np.dtype(dtype) in (np.float32, np.complex64)
    tol = 2e-5 if single else 1e-12
    np.testing.assert_allclose(got, expected, rtol=tol * max(1, n) ** 0.5, atol=tol * n)


@pytest.mark.parametrize("kind,dtype", REDUCE_CASES)
def test_reduce_axes_matches_numpy(sim, library, rng, kind, dtype):
    for shape, axes, keepdims in LAYOUTS:
        if kind.startswith("arg") and not (axes is None or isinstance(axes, int)):
            continue
        x = _random(rng, shape, dtype, kind)
        got = kernels.reduce_axes(library, kind, sim.to_device(x), axes, keepdims)
        _check(got, _numpy_reduce(kind, x, axes, keepdims), dtype, x.size)


@pytest.mark.parametrize("kind", ["sum", "max", "all", "prod"])
def test_long_rows_reduce_in_two_launches(sim, library, rng, monkeypatch, kind):
    monkeypatch.setattr(kernels, "MIN_CHUNK", 64)
    monkeypatch.setattr(kernels, "TARGET_BLOCKS", 8)
    dtype = "bool" if kind == "all" else "float64"
    x = _random(rng, (3, 1001), dtype, kind)
    x[1, 517] = True if kind == "all" else x[1, 517]
    got = kernels.reduce_axes(library, kind, sim.to_device(x), 1)
    _check(got, getattr(np, kind)(x, axis=1), dtype, 1001)


def test_transposed_view_is_reduced_without_the_caller_copying(sim, library, rng):
    x = sim.to_device(rng.standard_normal((40, 6)))
    _check(kernels.reduce_axes(library, "sum", x.T, 1), x.T.sum(axis=1), "float64", 40)
    _check(kernels.reduce_axes(library, "sum", x[:, ::2], 0), x[:, ::2].sum(axis=0), "float64", 40)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nan_and_ties_follow_numpy(sim, library, dtype):
    x = np.array([[1, 3, 3, -2, 3], [np.nan, 5, np.nan, 7, 1], [0, -np.inf, np.inf, np.inf, -np.inf],
                  [-np.inf] * 5], dtype)
    x = np.concatenate([x, np.tile(np.array([2, 9, 9, 1, 2], dtype), (1, 1))])
    d = sim.to_device(x)
    for kind in ("max", "min", "argmax", "argmin", "logsumexp"):
        with np.errstate(all="ignore"):
            _check(kernels.reduce_axes(library, kind, d, 1), _numpy_reduce(kind, x, 1, False), dtype)
    long = np.zeros((1, 700), dtype)
    long[0, [650, 90, 400]] = [5, 5, np.nan]
    _check(kernels.reduce_axes(library, "argmax", sim.to_device(long), 1), [400], "int64")
    long[0, 400] = 0
    _check(kernels.reduce_axes(library, "argmax", sim.to_device(long), None), 90, "int64")


def test_empty_reductions(sim, library):
    x = sim.allocate((3, 0), np.float64)
    for kind in ("sum", "prod", "all", "any", "logsumexp"):
        _check(kernels.reduce_axes(library, kind, x, 1), _numpy_reduce(kind, np.zeros((3, 0)), 1, False), "float64")
    for kind in ("max", "argmin"):
        with pytest.raises(ShapeError, match=f"{kind}: cannot reduce an array of shape \\(3, 0\\) over an empty"):
            kernels.reduce_axes(library, kind, x, 1)
    _check(kernels.reduce_axes(library, "max", x, 0, keepdims=True), np.zeros((1, 0)), "float64")
    _check(kernels.reduce_axes(library, "sum", sim.allocate((0, 4), np.int32), 0), np.zeros(4, np.int64), "int64")


def test_reduce_bad_arguments(sim, library):
    x = sim.allocate((2, 3), np.complex64)
    with pytest.raises(KernelArgumentError, match="cast first"):
        kernels.reduce_axes(library, "logsumexp", sim.allocate(3, np.int32))
    with pytest.raises(ShapeError, match="argmax: takes one axis"):
        kernels.reduce_axes(library, "argmax", x.real.copy(), (0, 1))
    with pytest.raises(ShapeError, match="axis \\(2,\\) out of range"):
        kernels.reduce_axes(library, "sum", x, 2)


def _softmax(x, axes):
    with np.errstate(all="ignore"):
        m = np.max(x, axis=axes, keepdims=True)
        e = np.exp(x - np.where(np.isfinite(m), m, 0))
        return e / e.sum(axis=axes, keepdims=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,axis", [((5, 300), -1), ((3, 4, 7), 1), ((2, 3, 5), (0, 2)), ((1, 1), 1)])
def test_softmax_forward_and_backward(sim, library, rng, dtype, shape, axis):
    x, g = (rng.standard_normal(shape).astype(dtype) * 3 for _ in range(2))
    dx, dg = sim.to_device(x), sim.to_device(g)
    s = _softmax(x, axis)
    _check(kernels.softmax(library, dx, axis), s, dtype, 10)
    _check(kernels.log_softmax(library, dx, axis), np.log(s), dtype, 10)
    ds, dl = sim.to_device(s), sim.to_device(np.log(s))
    _check(kernels.softmax_backward(library, dg, ds, axis), s * (g - (g * s).sum(axis=axis, keepdims=True)), dtype, 10)
    _check(kernels.log_softmax_backward(library, dg, dl, axis), g - s * g.sum(axis=axis, keepdims=True), dtype, 10)


def test_softmax_of_infinite_rows_matches_the_op(sim, library):
    x = np.array([[-np.inf, -np.inf], [np.inf, 0.0], [1000.0, -1000.0]])
    with np.errstate(all="ignore"):
        _check(kernels.softmax(library, sim.to_device(x)), _softmax(x, -1), "float64")
        assert kernels.softmax(library, sim.allocate((0, 3), np.float64)).shape == (0, 3)
    with pytest.raises(KernelArgumentError, match="float32 or float64"):
        kernels.softmax(library, sim.allocate(3, np.int64))


@pytest.mark.parametrize("dtype", ["bool", "int32", "int64", *FLOATS])
def test_gather_matches_take(sim, library, rng, dtype):
    x = _random(rng, (3, 6, 5), dtype)
    for idx, axis in [(rng.integers(-6, 6, (4, 2)), 1), (rng.integers(-3, 3, 9), 0), (np.array([4, -1, 4]), -1)]:
        got = kernels.gather(library, sim.to_device(x), sim.to_device(idx), axis)
        np.testing.assert_array_equal(got, np.take(x, idx, axis=axis))


def test_gather_bad_indices(sim, library):
    x = sim.to_device(np.arange(12.0).reshape(3, 4))
    with pytest.raises(ShapeError, match="gather: index (4|-5) is out of bounds for axis 1 with size 4"):
        kernels.gather(library, x, sim.to_device(np.array([0, 4, -5, 1])), 1)
    with pytest.raises(ShapeError, match="index 7 is out of bounds for axis 1 with size 0"):
        kernels.gather(library, sim.allocate((0, 0), np.float64), sim.to_device(np.array([7])), 1)
    with pytest.raises(KernelArgumentError, match="indices must be int64"):
        kernels.gather(library, x, sim.to_device(np.array([0], np.int32)), 1)
    assert kernels.gather(library, x, sim.allocate(0, np.int64), 0).shape == (0, 4)


@pytest.mark.parametrize("dtype", EVERY_DTYPE)
def test_scatter_add_accumulates_repeated_indices(sim, library, rng, dtype):
    for shape, idx, axis in [((5, 7), rng.integers(-5, 5, 40), 0), ((2, 4, 3), rng.integers(-4, 4, (6, 5)), 1),
                             ((3, 2), np.array([1, 1, 1, -1]), -1)]:
        dst = _random(rng, shape, dtype)
        src = _random(rng, (*shape[:axis % len(shape)], *idx.shape, *shape[axis % len(shape) + 1:]), dtype)
        expected = dst.copy()
        np.add.at(expected, (slice(None),) * (axis % len(shape)) + (idx,), src)
        got = kernels.scatter_add(library, sim.to_device(dst), sim.to_device(idx), sim.to_device(src), axis)
        _check(got, expected, dtype, 10)


def test_scatter_add_bad_input(sim, library):
    dst = sim.to_device(np.zeros((3, 4)))
    with pytest.raises(ShapeError, match="scatter_add: index 3 is out of bounds for axis 0 with size 3"):
        kernels.scatter_add(library, dst, sim.to_device(np.array([0, 3])), sim.to_device(np.ones((2, 4))))
    with pytest.raises(ShapeError, match="src has shape \\(2, 3\\).*needs \\(2, 4\\)"):
        kernels.scatter_add(library, dst, sim.to_device(np.array([0, 1])), sim.to_device(np.ones((2, 3))))
    with pytest.raises(KernelArgumentError, match="C-contiguous array of a kernel dtype \\(not float16\\)"):
        kernels.scatter_add(library, sim.allocate((3, 4), np.float16), sim.to_device(np.array([0])),
                            sim.allocate((1, 4), np.float16))
    with pytest.raises(KernelArgumentError, match="and src of its dtype, got int64 and int32"):
        kernels.scatter_add(library, sim.allocate((3, 4), np.int64), sim.to_device(np.array([0])),
                            sim.allocate((1, 4), np.int32))


available, reason = cuda.gpu_available()


@pytest.mark.skipif(not available, reason=f"no usable GPU: {reason}")
def test_kernels_on_gpu(rng):
    library = KernelLibrary(backend("cuda"))
    be = library.backend
    x = rng.standard_normal((300, 2000)).astype(np.float32)
    dx = be.to_device(x)
    for kind in ("sum", "max", "argmin", "logsumexp"):
        _check(be.to_host(kernels.reduce_axes(library, kind, dx, 1)), _numpy_reduce(kind, x, 1, False), "float32",
               2000)
    _check(be.to_host(kernels.reduce_axes(library, "sum", dx, None)), x.sum(), "float32", x.size)
    _check(be.to_host(kernels.softmax(library, dx, 0)), _softmax(x, 0), "float32", 10)
    idx = rng.integers(-300, 300, 1000)
    _check(be.to_host(kernels.gather(library, dx, be.to_device(idx), 0)), x[idx], "float32")
    expected = np.zeros_like(x)
    np.add.at(expected, idx, x[idx])
    got = kernels.scatter_add(library, be.to_device(np.zeros_like(x)), be.to_device(idx), be.to_device(x[idx]))
    _check(be.to_host(got), expected, "float32", 10)


NVRTC_CASES = [("reduce_rows", {"T": t, "U": u}, (("GG_REDUCE", op),)) for t, u, op in [
    ("bool", "int64", "gg_sum"), ("int32", "int64", "gg_prod"), ("uint8", "uint8", "gg_max"),
    ("float32", "float32", "gg_min"), ("complex64", "complex64", "gg_sum"), ("complex128", "complex128", "gg_prod"),
    ("float64", "bool", "gg_all"), ("complex64", "bool", "gg_any"), ("complex64", "complex64", "gg_max"),
    ("complex128", "complex128", "gg_min")]] + [
    (name, {"T": t, "U": u}, (("GG_REDUCE", op),)) for name in ("reduce_cols", "reduce_groups") for t, u, op in [
        ("float32", "float32", "gg_sum"), ("int32", "int64", "gg_sum"), ("complex128", "complex128", "gg_max"),
        ("uint8", "uint8", "gg_min"), ("float64", "bool", "gg_all"), ("int16", "int16", "gg_prod")]] + [
    ("argreduce_rows", {"T": "float32"}, (("GG_ARGMIN", "0"),)),
    ("argreduce_rows", {"T": "int8"}, (("GG_ARGMIN", "1"),)),
    ("argreduce_rows", {"T": "complex64"}, (("GG_ARGMIN", "0"),)),
    ("argreduce_rows", {"T": "complex128"}, (("GG_ARGMIN", "1"),)),
    ("logsumexp_rows", {"T": "float64"}, ()), ("softmax_rows", {"T": "float32"}, (("GG_LOG", "0"),)),
    ("softmax_rows", {"T": "float64"}, (("GG_LOG", "1"),)),
    ("softmax_backward_rows", {"T": "float32"}, (("GG_LOG", "1"),)),
    ("softmax_backward_rows", {"T": "float64"}, (("GG_LOG", "0"),)),
    ("gather", {"T": "bool"}, ()), ("gather", {"T": "complex128"}, ()),
    *[("scatter_add_axis", {"T": t}, ()) for t in EVERY_DTYPE]]


def test_every_new_kernel_file_is_compiled_by_nvrtc(library):
    ours = {"reduce_rows", "reduce_cols", "reduce_groups", "argreduce_rows", "logsumexp_rows", "softmax_rows",
            "softmax_backward_rows", "gather", "scatter_add_axis"}
    assert ours <= set(library.sources) and ours == {name for name, _, _ in NVRTC_CASES}
