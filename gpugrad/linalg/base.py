"""What every linear algebra op shares: stacks of matrices, dtypes, errors, and the
matrix algebra their derivatives are written in.

Every op takes stacks: the last two axes of an input hold the matrices (the last one of
a vector operand), any axes before them are batch axes, as in ``numpy.linalg``. So the
batching rule of every op is the op itself, applied to inputs that all carry the batch
axis (``StackOp.batch``), and derivatives written with ``mm``, ``mT`` and ``mH`` hold
for stacks unchanged.

Complex conventions (API.md): for a real cost C and complex A, the gradient is
dC/dRe A + i dC/dIm A, which for a holomorphic matrix function f makes the pullback the
adjoint of its Fréchet derivative under Re<X, Y> = Re sum conj(X) Y:

    <G, L_f(A, E)> = <L_f(A^H, G), E>     (f with real Taylor coefficients)

so expm, logm and inverse pull back through the same derivative evaluated at A^H.
"""
import numpy as np

from ..errors import LinAlgError, ShapeError
from ..graph.op import Op
from ..ops import scalar as S
from ..ops.blas import matmul
from ..ops.join import concatenate, tril, triu
from ..ops.shape import broadcast_batch, dimshuffle, shape_i, zeros_like
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable


def described(x):
    return f"{x} ({x.type})"


def inexact_dtype(*dtype_list):
    """The dtype of a result: NumPy promotion, integers and bools to float64, float16 to
    float32 (LAPACK has no half precision); float32 and complex stay as they are."""
    dtype = str(np.result_type(*dtype_list))
    if dtypes.is_complex(dtype) or dtype in ("float32", "float64"):
        return dtype
    return "float32" if dtype == "float16" else "float64"


def as_matrix(x, dtype, what, square=True):
    """``x`` as a stack of matrices of ``dtype``; a ShapeError when its rank, or its static
    shape (for a ``square`` operand), proves it unusable."""
    x = as_tensor_variable(x)
    if x.ndim < 2:
        raise ShapeError(f"{what}: expected a matrix (or a stack of them), got {described(x)}")
    rows, cols = x.type.shape[-2:]
    if square and None not in (rows, cols) and rows != cols:
        raise ShapeError(f"{what}: expected a square matrix, got {described(x)} with {rows} rows "
                         f"and {cols} columns")
    return x if x.dtype == dtype else S.cast(x, dtype)


def square_shape(shape):
    """The static shape of a square stack whose input has static shape ``shape``."""
    n = shape[-1] if shape[-1] is not None else shape[-2]
    return tuple(shape[:-2]) + (n, n)


def out(dtype, shape):
    return TensorVariable(TensorType(dtype, shape))


def check_square(op, a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"{op}: expected square matrices (the last two axes equal), got shape {a.shape}")


def run(op, fn, *args, **kwargs):
    """``fn(*args)`` with LAPACK's complaints re-raised as LinAlgError naming ``op``."""
    try:
        return fn(*args, **kwargs)
    except np.linalg.LinAlgError as exc:
        raise LinAlgError(f"{op}: {exc}") from None


class StackOp(Op):
    """An op on stacks of matrices; its batching rule is itself, once every input
    carries the batch axis."""

    def batch(self, inputs, batched):
        size = shape_i(next(v for v, f in zip(inputs, batched) if f), 0)
        inputs = [v if f else broadcast_batch(v, size) for v, f in zip(inputs, batched)]
        return self.make_node(*inputs).outputs


# ------------------------------------------------------------ matrix algebra on stacks
def mT(x):
    """Swap the last two axes."""
    return dimshuffle(x, list(range(x.ndim - 2)) + [x.ndim - 1, x.ndim - 2])


def mH(x):
    """Conjugate transpose of the last two axes."""
    return S.conj(mT(x)) if dtypes.is_complex(x.dtype) else mT(x)


mm = matmul


def batch_scalar(x, ndim):
    """A stack of scalars (batch axes only) made to broadcast against stacks of ``ndim``-axis cores."""
    return dimshuffle(x, list(range(x.ndim)) + ["x"] * ndim)


def none_to_zeros(tangents, like):
    """Tangents with each ``None`` (zero) replaced by zeros shaped like the input."""
    return [zeros_like(v, dtypes.grad_dtype(v.dtype)) if t is None else t for t, v in zip(tangents, like)]


def triangle(x, lower, strict=False):
    """The lower (or upper) triangle of each matrix, without its diagonal if ``strict``."""
    return tril(x, -1 if strict else 0) if lower else triu(x, 1 if strict else 0)


def _diagonal_part(x, real):
    d = tril(triu(x))
    return S.real(d) if real and dtypes.is_complex(x.dtype) else d


def hermitian_from(x, lower, hermitian):
    """The matrix an op reading one triangle of ``x`` really sees: that triangle mirrored,
    conjugated if ``hermitian`` (whose diagonal LAPACK then takes as real)."""
    t = triangle(x, lower, strict=True)
    mirror = mH(t) if hermitian else mT(t)
    return t + mirror + _diagonal_part(x, hermitian)


def hermitian_from_adjoint(g, lower, hermitian):
    """The pullback of ``hermitian_from``: entries outside the triangle get no gradient."""
    mirror = mH(g) if hermitian else mT(g)
    return triangle(g, lower, strict=True) + triangle(mirror, lower, strict=True) + _diagonal_part(g, hermitian)


def upper_block(a, e, d):
    """The stack of block matrices [[a, e], [0, d]] (all three of one dtype)."""
    dtype = inexact_dtype(a.dtype, e.dtype, d.dtype)
    a, e, d = [v if v.dtype == dtype else S.cast(v, dtype) for v in (a, e, d)]
    return concatenate([concatenate([a, e], -1), concatenate([zeros_like(a), d], -1)], -2)


def blocks(x, n):
    """The top-left, top-right and bottom-right ``n`` x ``n`` blocks of each matrix of ``x``."""
    return x[..., :n, :n], x[..., :n, n:], x[..., n:, n:]


def block_frechet(fn, a, e):
    """The Fréchet derivative L_f(a, e) of the primary matrix function ``fn`` as the
    top-right block of f([[a, e], [0, a]]) (Higham, Functions of Matrices, Thm 3.6)."""
    return blocks(fn(upper_block(a, e, a)), shape_i(a, a.ndim - 1))[1]
