"""``C += alpha * A @ B`` in place on the host, by the BLAS NumPy itself calls.

NumPy's ``matmul`` has no ``beta``: ``W + alpha * (A @ B)`` writes the product to a new
array and makes two more passes over memory to add it. BLAS ``gemm`` adds into ``C`` tile
by tile while the tile is in cache. NumPy does not expose it, and SciPy's
``scipy.linalg.blas`` is a second OpenBLAS with a thread pool of its own: alternating its
calls with NumPy's products on two cores made both 2-6x slower (the idle pool's threads
spin), measured. So this module calls the ``cblas_?gemm`` of the library NumPy loaded,
found among the process's loaded libraries (NumPy's bundled ``scipy_openblas64_``, a system
OpenBLAS, MKL), checked once against ``np.matmul`` on small cases. Where none is found,
or the check fails, ``gemm`` is None and callers use NumPy.
"""
import ctypes
import functools
import glob
import os

import numpy as np

from .host_elementwise import address

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112
_PREFIXES = {np.dtype(np.float32): "s", np.dtype(np.float64): "d",
             np.dtype(np.complex64): "c", np.dtype(np.complex128): "z"}
_SCALAR = {"s": ctypes.c_float, "d": ctypes.c_double}


def _candidate_libraries():
    """Shared libraries in this process that may hold NumPy's BLAS, NumPy's own first."""
    numpy_dir = os.path.dirname(os.path.dirname(np.__file__))
    bundled = glob.glob(os.path.join(numpy_dir, "numpy.libs", "*blas*")) + \
        glob.glob(os.path.join(numpy_dir, "numpy", ".dylibs", "*blas*"))
    loaded = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1]
                name = os.path.basename(path)
                if ("blas" in name or "mkl_rt" in name) and path not in loaded:
                    loaded.append(path)
    except OSError:
        pass
    return [p for p in bundled if p in loaded or not loaded] + [p for p in loaded if p not in bundled]


def _bind(library, prefix):
    """The library's ``cblas_<prefix>gemm`` with its integer width, or None."""
    for name, index in ((f"scipy_cblas_{prefix}gemm64_", ctypes.c_int64), (f"cblas_{prefix}gemm64_", ctypes.c_int64),
                        (f"cblas_{prefix}gemm", ctypes.c_int)):
        fn = getattr(library, name, None)
        if fn is None:
            continue
        scalar = _SCALAR.get(prefix, ctypes.c_void_p)  # complex alpha and beta go by pointer
        fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, index, index, index, scalar,
                       ctypes.c_void_p, index, ctypes.c_void_p, index, scalar, ctypes.c_void_p, index]
        fn.restype = None
        return fn
    return None


def _operand(x):
    """(transpose flag, leading dimension) describing matrix ``x`` to a row-major gemm, or None
    when BLAS cannot read it as it is (neither axis of unit stride, rows overlapping, a
    negative stride, misaligned)."""
    item = x.itemsize
    if x.strides[0] % item or x.strides[1] % item or address(x) % item:
        return None
    rows, cols = x.shape
    s0, s1 = x.strides[0] // item, x.strides[1] // item
    if (s1 == 1 or cols == 1) and (rows == 1 or s0 >= max(cols, 1)):
        return NO_TRANS, s0 if rows > 1 else max(cols, 1)
    if (s0 == 1 or rows == 1) and (cols == 1 or s1 >= max(rows, 1)):
        return TRANS, s1 if cols > 1 else max(rows, 1)
    return None


class _Gemm:
    """``gemm(c, alpha, a, b, plan)``: ``c += alpha * a @ b`` for one dtype, ``c`` a
    C-contiguous writeable matrix, ``plan`` what ``plan(a, b)`` said of the operands."""

    def __init__(self, fn, dtype):
        self.fn, self.dtype = fn, np.dtype(dtype)
        scalar = _SCALAR.get(_PREFIXES[self.dtype])
        self.one = scalar(1.0) if scalar is not None else np.ones(1, self.dtype)

    def plan(self, a, b):
        """How BLAS reads ``a`` and ``b`` as they are, or None where it cannot."""
        if a.dtype != self.dtype or b.dtype != self.dtype or a.ndim != 2 or b.ndim != 2:
            return None
        ta, tb = _operand(a), _operand(b)
        return None if ta is None or tb is None else ta + tb

    def __call__(self, c, alpha, a, b, plan):
        """``c += alpha * a @ b``; returns ``c``."""
        m, n = c.shape
        k = a.shape[1]
        if m == 0 or n == 0 or k == 0:
            return c  # adds nothing (and BLAS would read a leading dimension of 0)
        ta, lda, tb, ldb = plan
        one = self.one
        if isinstance(one, np.ndarray):  # complex alpha and beta go by pointer
            scale = np.array([alpha], self.dtype)
            alpha, one = address(scale), address(one)
        self.fn(ROW_MAJOR, ta, tb, m, n, k, alpha, address(a), lda, address(b), ldb, one, address(c), n)
        return c


def _trusted(gemm):
    """Whether ``gemm`` agrees with ``np.matmul`` on small cases of every operand layout."""
    rng = np.random.default_rng(0)
    for shape_a, shape_b, t_a, t_b in (((3, 4), (4, 5), False, False), ((3, 4), (4, 5), True, True),
                                       ((1, 2), (2, 1), False, True), ((5, 1), (1, 3), True, False)):
        a = rng.standard_normal(shape_a[::-1] if t_a else shape_a) * (1 + 1j if gemm.dtype.kind == "c" else 1)
        b = rng.standard_normal(shape_b[::-1] if t_b else shape_b)
        a, b = a.astype(gemm.dtype), b.astype(gemm.dtype)
        a, b = (a.T if t_a else a), (b.T if t_b else b)
        c = rng.standard_normal((shape_a[0], shape_b[1])).astype(gemm.dtype)
        want = c + gemm.dtype.type(0.5) * (a @ b)
        plan = gemm.plan(a, b)
        if plan is None or not np.allclose(gemm(c.copy(), 0.5, a, b, plan), want, rtol=1e-4, atol=1e-5):
            return False
    return True


@functools.cache
def gemm_for(dtype):
    """The in-place ``gemm`` for ``dtype`` (float32/64, complex64/128), or None where NumPy's
    BLAS cannot be reached."""
    dtype = np.dtype(dtype)
    prefix = _PREFIXES.get(dtype)
    if prefix is None:
        return None
    for path in _candidate_libraries():
        try:
            fn = _bind(ctypes.CDLL(path), prefix)
        except OSError:
            continue
        if fn is not None:
            gemm = _Gemm(fn, dtype)
            return gemm if _trusted(gemm) else None
    return None
