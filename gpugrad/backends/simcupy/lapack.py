"""``simcupy.linalg`` (``LINALG``) and the ``cupyx`` parts gpugrad calls (``errstate``,
``scipy.linalg.solve_triangular`` and ``expm``), with CuPy's failure behaviour.

cuSOLVER reports a singular or indefinite matrix only through its ``info``, which CuPy
checks under ``cupyx.errstate(linalg="raise")`` (then ``numpy.linalg.LinAlgError``) and
otherwise ignores, returning whatever the factorization left: here NaNs, in the shape and
dtype the routine returns. ``cupyx.scipy.linalg.expm`` takes one matrix, as CuPy's does.
The numbers are NumPy's and SciPy's on the host memory behind the arrays.
"""
import contextlib
import threading
import types

import numpy as np
import scipy.linalg

from .arrays import FUNCTIONS, apply, ndarray

_STATE = threading.local()


def linalg_mode():
    return getattr(_STATE, "linalg", "ignore")


@contextlib.contextmanager
def errstate(*, divide=None, over=None, under=None, invalid=None, linalg=None):
    """``cupyx.errstate``: only ``linalg`` changes anything here (kernels raise no FP errors)."""
    old = linalg_mode()
    if linalg is not None:
        _STATE.linalg = linalg
    try:
        yield
    finally:
        _STATE.linalg = old


def _nan_like(result):
    result = np.array(result)
    result[...] = np.nan if result.dtype.kind in "fc" else 0
    return result


def _lapack(function, matrix, *others, checked=True, **kwargs):
    """``function`` of the device arrays, a failed factorization handled as CuPy handles it
    (``checked``: CuPy looks at the routine's ``info``, under ``errstate(linalg="raise")``)."""
    def guarded(a, *rest, **kw):
        try:
            return function(a, *rest, **kw)
        except np.linalg.LinAlgError:
            if checked and linalg_mode() == "raise":
                raise
            stand_in = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
            result = function(stand_in, *rest, **kw)
            return tuple(map(_nan_like, result)) if isinstance(result, tuple) else _nan_like(result)
    return apply(guarded, matrix, *others, **kwargs)


def solve(a, b):
    return _lapack(np.linalg.solve, a, b)


def inv(a):
    return _lapack(np.linalg.inv, a)


def cholesky(a):
    return _lapack(np.linalg.cholesky, a)


def pinv(a, rcond=1e-15):
    return _lapack(np.linalg.pinv, a, rcond=rcond)


def det(a):
    return apply(np.linalg.det, a)


def slogdet(a):
    return apply(np.linalg.slogdet, a)


def eigh(a, UPLO="L"):  # noqa: N803 - NumPy's name
    return _lapack(np.linalg.eigh, a, UPLO=UPLO)


def _triangular(a, b, trans, lower, unit_diagonal):
    if a.ndim == 2:
        return scipy.linalg.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal,
                                             check_finite=False)
    return np.stack([_triangular(m, v, trans, lower, unit_diagonal) for m, v in zip(a, b)])


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=False):
    """A zero on the diagonal is no error for cuBLAS's trsm: the solution holds inf or NaN."""
    if not (isinstance(a, ndarray) and isinstance(b, ndarray)):
        raise TypeError("solve_triangular takes cupy.ndarray arguments")
    return _lapack(_triangular, a, b, checked=False, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


def expm(a):
    if a.ndim != 2:
        raise ValueError(f"cupyx.scipy.linalg.expm takes one 2-D matrix, got shape {a.shape}")
    return apply(scipy.linalg.expm, a)


LINALG = {f.__name__: f for f in (solve, inv, cholesky, pinv, det, slogdet, eigh)}
FUNCTIONS.update({f"linalg.{name}": f for name, f in LINALG.items()})
cupyx = types.SimpleNamespace(errstate=errstate, scipy=types.SimpleNamespace(
    linalg=types.SimpleNamespace(solve_triangular=solve_triangular, expm=expm)))
