"""``C += alpha * A @ B`` by the BLAS NumPy loaded (runtime/host_blas.py): found here, right for
every dtype and operand layout it takes, and refusing the layouts it cannot read."""
import ctypes

import numpy as np
import pytest

from gpugrad.runtime import host_blas

DTYPES = ("float32", "float64", "complex64", "complex128")


def _draw(rng, shape, dtype):
    x = rng.standard_normal(shape)
    return (x + 1j * rng.standard_normal(shape) if dtype.startswith("complex") else x).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpys_blas_is_found_for_every_float_and_complex_dtype(dtype):
    assert host_blas.gemm_for(dtype) is not None  # NumPy's wheels bundle OpenBLAS


def test_other_dtypes_have_none():
    assert host_blas.gemm_for("int64") is None and host_blas.gemm_for("float16") is None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["rows", "transposed", "wide rows", "wide transposed", "one column", "one row"])
def test_adds_into_c_for_every_layout_it_takes(dtype, layout, rng):
    m, k, n = 5, 3, 4
    make = {"rows": lambda s: _draw(rng, s, dtype),
            "transposed": lambda s: _draw(rng, s[::-1], dtype).T,
            "wide rows": lambda s: _draw(rng, (s[0], s[1] + 3), dtype)[:, 1:1 + s[1]],
            "wide transposed": lambda s: _draw(rng, (s[1], s[0] + 2), dtype)[:, :s[0]].T,
            "one column": lambda s: _draw(rng, s, dtype),
            "one row": lambda s: _draw(rng, s, dtype)}[layout]
    if layout == "one column":
        k = 1
    if layout == "one row":
        m = 1
    gemm = host_blas.gemm_for(dtype)
    a, b, c = make((m, k)), make((k, n)), _draw(rng, (m, n), dtype)
    plan = gemm.plan(a, b)
    assert plan is not None
    alpha = np.asarray(0.5 - 0.25j if dtype.startswith("complex") else 0.5, dtype)  # a 0-d array, as in a graph
    want = c + alpha * (a @ b)
    out = gemm(c, alpha, a, b, plan)
    assert out is c
    tol = 1e-5 if dtype in ("float32", "complex64") else 1e-12
    np.testing.assert_allclose(c, want, rtol=tol, atol=tol)


def test_layouts_blas_cannot_read_are_refused(rng):
    gemm = host_blas.gemm_for("float64")
    a, b = rng.standard_normal((6, 3)), rng.standard_normal((3, 4))
    assert not gemm.plan(a[::2], b[:, ::2])  # no axis of unit stride
    assert not gemm.plan(np.broadcast_to(a[:1], (6, 3)), b)  # rows overlap
    assert not gemm.plan(a[::-1], b)  # negative stride
    assert not gemm.plan(a.astype("float32"), b)  # another dtype


def test_empty_products_change_nothing(rng):
    gemm = host_blas.gemm_for("float64")
    c = rng.standard_normal((3, 2))
    kept = c.copy()
    a, b = np.zeros((3, 0)), np.zeros((0, 2))
    gemm(c, 2.0, a, b, gemm.plan(a, b))
    np.testing.assert_array_equal(c, kept)
    a, b = np.zeros((0, 4)), np.zeros((4, 2))
    gemm(np.zeros((0, 2)), 2.0, a, b, gemm.plan(a, b))


def test_a_library_that_gets_it_wrong_is_not_trusted(monkeypatch):
    """The check against ``np.matmul`` at first use: a gemm adding nothing is refused."""
    class Wrong(host_blas._Gemm):
        def __call__(self, c, alpha, a, b, plan):
            return c
    fn = ctypes.CFUNCTYPE(None)(lambda: None)
    assert not host_blas._trusted(Wrong(fn, "float64"))
    assert host_blas._trusted(host_blas.gemm_for("float64"))
