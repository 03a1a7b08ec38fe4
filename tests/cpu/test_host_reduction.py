"""Fused reductions on the CPU (codegen/host_reduction.py, runtime/host_reduction.py) against
the NumPy path: softmax and its kin, row and column reductions of elementwise work, every kind
and dtype, NaN and infinities, strided inputs, 3-D domains, empty arrays and the thread split.
Each function's kernels build at its first call (``cpu_compile_after = 0``); ``kernels`` fails
a test whose fused reduction falls back to NumPy. The graphs have no static sizes, so data of
every shape shares one kernel (the compiles dominate this file's time)."""
import warnings

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.errors import ShapeError
from gpugrad.ops.fused import FusedReduction
from gpugrad.runtime import host_elementwise, host_reduction

import test_host_kernels as host_kernels  # noqa: E402 (tests/cpu, on the path pytest gives its tests)

TOLERANCE = {"float32": 2e-5, "complex64": 2e-5}


def _fused(f):
    return [n for n in f.graph.toposort() if isinstance(n.op, FusedReduction)]


def pair(inputs, outputs):
    """(the function running fused CPU reductions, built at its first call; the NumPy one)."""
    return host_kernels.pair(inputs, outputs, fused=FusedReduction)


@pytest.fixture
def kernels(monkeypatch):
    """``pair``, for functions whose fused reductions must run their kernels."""
    host_kernels.never_numpy(monkeypatch, host_reduction, "a fused reduction")
    return pair


def agree(fast, numpy, *args, tol=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, want = fast(*args), numpy(*args)
    got, want = (got, want) if isinstance(got, list) else ([got], [want])
    for k, (g, w) in enumerate(zip(got, want)):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, k
        t = tol if tol is not None else TOLERANCE.get(str(g.dtype), 1e-12)
        np.testing.assert_allclose(g, w, rtol=t, atol=t, equal_nan=True, err_msg=f"output {k}")


def _xent(dtype):
    x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
    z = x - x.max(axis=1, keepdims=True)
    lse = T.log(T.exp(z).sum(axis=1, keepdims=True))
    loss = -(y * (z - lse)).sum(axis=1).mean()
    return [x, y], [loss, gg.grad(loss, x)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_cross_entropy_and_its_gradient(dtype, kernels, rng):
    """Short rows (tiles of rows), long rows (a row at a time), one row, one column."""
    fast, numpy = kernels(*_xent(dtype))
    assert len(_fused(fast)) >= 2  # the loss's region and the gradient's
    for rows, cols in [(256, 10), (3, 300), (1, 7), (9, 1), (40, 2000)]:
        x = (rng.standard_normal((rows, cols)) * 4).astype(dtype)
        y = np.eye(cols, dtype=dtype)[rng.integers(0, cols, rows)]
        agree(fast, numpy, x, y)


@pytest.fixture(scope="module")
def softmaxes():
    """softmax, log-softmax and logsumexp of one matrix: one fused region."""
    x = T.dmatrix("x")
    m = x.max(axis=1, keepdims=True)
    e = T.exp(x - m)
    s = e.sum(axis=1, keepdims=True)
    return [x], [e / s, x - m - T.log(s), (T.log(s) + m).flatten()]


def test_softmax_log_softmax_logsumexp_strided_and_special(softmaxes, kernels, rng):
    fast, numpy = kernels(*softmaxes)
    big = rng.standard_normal((30, 80))
    special = big[:6, :70].copy()
    special[1, 3], special[2, :] = np.nan, -np.inf
    special[3, 5], special[4, 9] = np.inf, -np.inf
    for value in (big, big.T, big[::2, ::-3], big[::-1], np.broadcast_to(big[:1], (5, 80)), special,
                  np.asfortranarray(big)):
        agree(fast, numpy, value)


def test_empty_arrays_run_numpy_and_max_over_an_empty_axis_raises(softmaxes, rng):
    fast, numpy = pair(*softmaxes)
    agree(fast, numpy, np.zeros((0, 5)))
    for f in (fast, numpy):
        with pytest.raises(ShapeError, match="cannot reduce an array of shape \\(3, 0\\)"):
            f(np.zeros((3, 0)))
    agree(fast, numpy, rng.standard_normal((4, 6)))  # and the function keeps working


@pytest.fixture(scope="module")
def bias_gradient():
    """``dh = dh0 * (1 - h*h)`` and the bias step from ``dh.sum(axis=0)``: a column reduction."""
    dh0, h, b = T.fmatrix("dh0"), T.fmatrix("h"), T.fvector("b")
    dh = dh0 * (1 - h * h)
    return [dh0, h, b], [dh, b - 0.1 * dh.sum(axis=0), dh.mean(axis=0)]


def test_column_sums_of_elementwise_work(bias_gradient, kernels, rng):
    fast, numpy = kernels(*bias_gradient)
    big = rng.standard_normal((300, 600)).astype("float32")
    for rows, cols in [(256, 512), (5, 3), (1, 40), (700, 1)]:
        agree(fast, numpy, big[:rows, :cols] if rows <= 300 and cols <= 600 else
              rng.standard_normal((rows, cols)).astype("float32"),
              rng.standard_normal((rows, cols)).astype("float32"), rng.standard_normal(cols).astype("float32"))
    agree(fast, numpy, big[:200:2, ::-5], big.T[:100, :120], big[0, :120])  # strided, transposed


def test_large_inputs_split_rows_over_threads(softmaxes, bias_gradient, kernels, rng, monkeypatch):
    """Rows split over two threads, in both layouts (chunks of 4,096 elements of work here);
    the split really happens."""
    splits = []
    split = host_reduction.split

    def counting(run, n, **kwargs):
        splits.append(n)
        return split(run, n, **kwargs)
    monkeypatch.setattr(host_reduction, "split", counting)
    monkeypatch.setattr(host_reduction, "GRAIN", 1 << 12)
    rows_fast, rows_numpy = kernels(*softmaxes)
    cols_fast, cols_numpy = kernels(*bias_gradient)
    with gg.config.change_flags(cpu_threads=2):
        agree(rows_fast, rows_numpy, rng.standard_normal((1001, 300)))
        a, h = (rng.standard_normal((2, 700, 513)).astype("float32"))
        agree(cols_fast, cols_numpy, a, h, rng.standard_normal(513).astype("float32"))
    assert splits == [1001, 513]


DTYPES = ["float32", "float64", "complex64", "complex128", "int8", "int64", "uint32", "bool"]


def _sample(dtype, shape, rng):
    if dtype == "bool":
        return rng.random(shape) < 0.7
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0 if dtype.startswith("u") else -3, 4, shape).astype(dtype)
    value = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        value = value + 1j * rng.standard_normal(shape)
    return value.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_kind_in_every_dtype(dtype, kernels, rng):
    """sum, prod, max, min, all and any of elementwise work in one region; integer and bool
    results exact, NaN and infinities in max and min as NumPy's."""
    x = T.matrix("x", dtype=dtype)
    y = x * x
    kinds = [y.sum(axis=1), y.prod(axis=1), y.max(axis=1), y.min(axis=1), y.all(axis=1), y.any(axis=1)]
    fast, numpy = kernels([x], kinds)
    tol = 0 if dtype == "bool" or np.dtype(dtype).kind in "iu" else None
    for shape in [(4, 9), (70, 3), (2, 100)]:
        agree(fast, numpy, _sample(dtype, shape, rng), tol=tol)
    if np.dtype(dtype).kind == "f":
        special = np.array([[1, np.nan, 3], [np.inf, -np.inf, 0], [-np.inf, 2, 1], [np.nan, np.inf, 1]], dtype)
        agree(fast, numpy, special)


def test_middle_and_several_axes_of_3d_with_and_without_keepdims(kernels, rng):
    x, w = T.dtensor3("x"), T.dtensor3("w")
    middle = T.exp(x * w).sum(axis=1)
    outer = (x * x - w).max(axis=(0, 2), keepdims=True) + T.sqrt(abs(x * x).sum(axis=(0, 2), keepdims=True))
    fast, numpy = kernels([x, w], [middle, outer, middle * 2])
    assert len(_fused(fast)) == 2
    big = rng.standard_normal((6, 7, 8))
    for value in (big, big.transpose(2, 0, 1).copy(), big[::-1, :, ::2], big.transpose(1, 2, 0)):
        agree(fast, numpy, value, rng.standard_normal(value.shape))
    agree(fast, numpy, big, np.broadcast_to(rng.standard_normal((1, 7, 1)), big.shape))


def test_numpy_runs_with_cpu_codegen_off_and_until_the_kernel_is_built(softmaxes, rng, monkeypatch):
    """With the kernels off there is no fused reduction; a cold fused node runs its inner
    nodes' NumPy thunks until it has done ``cpu_compile_after`` elements of work."""
    _, numpy = pair(*softmaxes)
    monkeypatch.setattr(host_elementwise, "_KERNELS", {})  # not the hot ones of the tests before
    made, shared = [], host_reduction.shared_kernel
    monkeypatch.setattr(host_reduction, "shared_kernel", lambda *args: made.append(shared(*args)) or made[-1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with gg.config.change_flags(cpu_codegen=True, cpu_compile_after=10**9):
            cold = gg.function(*softmaxes, device="cpu")
    assert made and _fused(cold)
    agree(cold, numpy, rng.standard_normal((5, 4)), tol=0)  # NumPy's results exactly
    assert all(kernel.fn is None and kernel.future is None and kernel.work == 20 for kernel in made)
