"""``norm``: NumPy's ``linalg.norm``, as a composition of elementwise ops, reductions and
(for the spectral and nuclear norms) ``eigh``, so its derivatives need no rule of their own.

Singular values are the square roots of the eigenvalues of the Gram matrix A^H A (or
A A^H, the smaller when the static shape tells). That squares the condition number, so
tiny singular values lose accuracy; the 2-norm (the largest) does not suffer. The
gradient of the nuclear norm is infinite at a zero singular value, as it should be.
"""
import numpy as np

from ..errors import InputError, ShapeError
from ..ops import scalar as S
from ..ops import reduce as R
from ..ops.reduce import normalize_axis
from ..ops.shape import dimshuffle, shape_i
from ..types import dtypes
from ..types.variable import as_tensor_variable
from .base import described, inexact_dtype, mH, mm
from .decompositions import eigvalsh

_INF = float("inf")


def _abs2(x):
    return S.real(x * S.conj(x)) if dtypes.is_complex(x.dtype) else x * x


def _vector_norm(x, ord):
    """The norm of ``x`` over its last axis."""
    if isinstance(ord, str):
        raise InputError(f"norm: ord={ord!r} is a matrix norm; a vector norm needs a number")
    if ord is None or ord == 2:
        return S.sqrt(R.sum(_abs2(x), axis=-1))
    magnitude = S.abs(x)
    if ord == _INF:
        return R.max(magnitude, axis=-1)
    if ord == -_INF:
        return R.min(magnitude, axis=-1)
    if ord == 0:
        return R.sum(S.neq(x, 0), axis=-1)
    if ord == 1:
        return R.sum(magnitude, axis=-1)
    return R.sum(magnitude ** ord, axis=-1) ** (1.0 / ord)


def singular_values(a):
    """The min(m, n) singular values of each m x n matrix of the stack ``a``, ascending,
    from the largest eigenvalues of its Gram matrix."""
    rows, cols = a.type.shape[-2:]
    wide = None not in (rows, cols) and rows < cols
    squares = eigvalsh(mm(a, mH(a)) if wide else mm(mH(a), a))
    if not wide:
        m, n = shape_i(a, a.ndim - 2), shape_i(a, a.ndim - 1)
        squares = squares[..., n - S.minimum(m, n):]
    return S.sqrt(S.maximum(squares, 0))


def _matrix_norm(a, ord):
    """The norm of each matrix held in the last two axes of ``a``."""
    if ord is None or ord == "fro":
        return S.sqrt(R.sum(_abs2(a), axis=(-2, -1)))
    if ord == "nuc":
        return R.sum(singular_values(a), axis=-1)
    if ord in (2, -2):
        return (R.max if ord == 2 else R.min)(singular_values(a), axis=-1)
    if ord in (1, -1, _INF, -_INF):
        sums = R.sum(S.abs(a), axis=-2 if ord in (1, -1) else -1)
        return (R.max if ord > 0 else R.min)(sums, axis=-1)
    raise InputError(f"norm: ord={ord!r} is not a matrix norm (use None, 'fro', 'nuc', 1, -1, 2, -2, inf or -inf)")


def norm(x, ord=None, axis=None, keepdims=False):
    """``numpy.linalg.norm``: a vector norm over one axis, a matrix norm over two; with
    ``axis=None`` the 2-norm of all entries (``ord=None``) or the norm of a vector or
    matrix ``x``. The result is real (float32 stays float32)."""
    x = as_tensor_variable(x)
    if axis is None and ord is None:
        axes = tuple(range(x.ndim))
        result = S.sqrt(R.sum(_abs2(x), axis=axes)) if axes else S.abs(x)
    else:
        if axis is None:
            if x.ndim not in (1, 2):
                raise ShapeError(f"norm: ord={ord!r} without axis needs a vector or a matrix, got {described(x)}")
            axis = tuple(range(x.ndim))
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        if len(axes) not in (1, 2) or len(set(normalize_axis(axes, x.ndim, "norm"))) != len(axes):
            raise ShapeError(f"norm: axis={axis!r} must name one axis (vector norm) or two (matrix norm) "
                             f"of {described(x)}")
        axes = tuple(int(a) % x.ndim for a in axes)
        moved = dimshuffle(x, [a for a in range(x.ndim) if a not in axes] + list(axes))
        result = _vector_norm(moved, ord) if len(axes) == 1 else _matrix_norm(moved, ord)
    dtype = dtypes.real_dtype(inexact_dtype(x.dtype))
    result = result if result.dtype == dtype else S.cast(result, dtype)
    return _keep(result, sorted(axes), x.ndim) if keepdims else result


def _keep(result, axes, ndim):
    """``result`` with the reduced ``axes`` put back as size-1 axes."""
    it = iter(range(result.ndim))
    return dimshuffle(result, ["x" if a in axes else next(it) for a in range(ndim)])
