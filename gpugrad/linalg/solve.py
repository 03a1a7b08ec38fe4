"""Linear systems: ``solve`` (SciPy's, with its ``assume_a`` and ``lower``) and
``solve_triangular``.

For x = M^{-1} b, where M is what the op reads of ``a`` (one triangle, mirrored, for a
symmetric, Hermitian or positive definite ``a``; one triangle for a triangular one):

    R-op:      dx  = M^{-1} (db - dM x)
    gradient:  g_b = M^{-H} g,    g_M = -g_b x^H

and g_a is g_M folded back onto the entries the op read (base.hermitian_from_adjoint),
so finite differences in any entry of ``a`` agree, as they do for SciPy.

``b_ndim`` says whether ``b`` holds vectors (1) or matrices (2) of right-hand sides;
axes before those are batch axes matching those of ``a``.
"""
import numpy as np
import scipy.linalg

from ..errors import InputError, ShapeError
from ..graph.basic import Apply
from ..ops import scalar as S
from ..ops.shape import dimshuffle
from ..types import dtypes
from ..types.variable import as_tensor_variable
from .base import (StackOp, as_matrix, check_square, described, hermitian_from, hermitian_from_adjoint, inexact_dtype,
                   mH, mT, mm, out, run, triangle)
from .device import cupy_routine, mirrored

_KINDS = {"gen": "gen", "general": "gen", "sym": "sym", "symmetric": "sym", "her": "her", "hermitian": "her",
          "pos": "pos", "positive definite": "pos"}
_TRIANGULAR = {"lower triangular": True, "upper triangular": False}
_TRANS = {0: 0, "N": 0, 1: 1, "T": 1, 2: 2, "C": 2}


def _operands(a, b, b_ndim, what):
    """``a`` and ``b`` cast to their common inexact dtype, checked, and the output's static shape."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    dtype = inexact_dtype(a.dtype, b.dtype)
    a = as_matrix(a, dtype, what)
    b = b if b.dtype == dtype else S.cast(b, dtype)
    if b.ndim < b_ndim or a.ndim - 2 != b.ndim - b_ndim:
        raise ShapeError(f"{what}: {described(b)} must have the batch axes of {described(a)} followed by "
                         f"{b_ndim} axes ({'a vector' if b_ndim == 1 else 'a matrix'} of right-hand sides)")
    n, rows = a.type.shape[-1], b.type.shape[b.ndim - b_ndim]
    if None not in (n, rows) and n != rows:
        raise ShapeError(f"{what}: {described(a)} has {n} columns but {described(b)} has {rows} rows")
    batch = [x if x is not None else y for x, y in zip(a.type.shape[:-2], b.type.shape[:a.ndim - 2])]
    shape = tuple(batch) + ((n if rows is None else rows),) + b.type.shape[b.ndim - b_ndim + 1:]
    return a, b, out(dtype, shape)


def check_run(op, a, b):
    check_square(op, a)
    rows = b.shape[b.ndim - op.b_ndim]
    if rows != a.shape[-1] or a.shape[:-2] != b.shape[:b.ndim - op.b_ndim]:
        raise ShapeError(f"{op}: a of shape {a.shape} does not match b of shape {b.shape}")


def _as_columns(b, b_ndim):
    return b[..., None] if b_ndim == 1 else b


def _times(m, x, b_ndim):
    """``m @ x`` for a stack of matrices or of vectors ``x``."""
    if b_ndim == 2:
        return mm(m, x)
    return mm(m, dimshuffle(x, list(range(x.ndim)) + ["x"]))[..., 0]


def _outer(u, v, b_ndim):
    """``u v^H``: the gradient of M in M x = b from g_b = u and x = v."""
    if b_ndim == 2:
        return mm(u, mH(v))
    batch = list(range(u.ndim - 1))
    v = S.conj(v) if dtypes.is_complex(v.dtype) else v
    return dimshuffle(u, batch + [u.ndim - 1, "x"]) * dimshuffle(v, batch + ["x", v.ndim - 1])


def _columns(op, b, solve):
    """``solve`` of ``b`` as a stack of matrices (a vector right-hand side as one column)."""
    if op.b_ndim == 2:
        return [solve(b)]
    return [solve(b[..., None])[..., 0]]


def _cupy_solve(cp, cupyx, op, a, b):
    check_run(op, a, b)
    m = a if op.assume_a == "gen" else mirrored(cp, a, op.lower, op.assume_a != "sym")
    return _columns(op, b, lambda cols: cp.linalg.solve(m, cols))


class Solve(StackOp):
    """x with M x = b, M read from ``a`` as ``scipy.linalg.solve`` reads it for ``assume_a``."""
    cuda = cupy_routine(_cupy_solve, "cupy.linalg.solve (cuSOLVER)", "Singular matrix")
    __props__ = ("assume_a", "lower", "b_ndim")

    def __init__(self, assume_a="gen", lower=False, b_ndim=2):
        if assume_a not in _KINDS:
            raise InputError(f"solve: assume_a={assume_a!r} is not one of {', '.join(map(repr, _KINDS))}, "
                             f"'lower triangular' or 'upper triangular'")
        self.assume_a = _KINDS[assume_a]
        self.lower = bool(lower) and self.assume_a != "gen"
        self.b_ndim = int(b_ndim)

    def make_node(self, a, b):
        a, b, x = _operands(a, b, self.b_ndim, "solve")
        return Apply(self, [a, b], [x])

    def perform(self, node, inputs):
        a, b = inputs
        check_run(self, a, b)
        x = run(self, scipy.linalg.solve, a, _as_columns(b, self.b_ndim), assume_a=self.assume_a,
                lower=self.lower, check_finite=False)
        return [np.asarray(x[..., 0] if self.b_ndim == 1 else x, dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]

    def _read(self, a):
        """M as the op sees it in ``a``, or in a tangent of ``a``."""
        if self.assume_a == "gen":
            return a
        return hermitian_from(a, self.lower, self.assume_a != "sym")

    def pullback(self, inputs, outputs, output_grads):
        a, _ = inputs
        g_b = Solve(self.assume_a, not self.lower, self.b_ndim)(mH(a), output_grads[0])
        g_m = -_outer(g_b, outputs[0], self.b_ndim)
        if self.assume_a != "gen":
            g_m = hermitian_from_adjoint(g_m, self.lower, self.assume_a != "sym")
        return [g_m, g_b]

    def pushforward(self, inputs, outputs, tangents):
        (a, _), (t_a, t_b) = inputs, tangents
        rhs = [t_b] if t_b is not None else []
        if t_a is not None:
            rhs.append(-_times(self._read(t_a), outputs[0], self.b_ndim))
        return [self(a, S.add(*rhs) if len(rhs) > 1 else rhs[0]) if rhs else None]


def _cupy_solve_triangular(cp, cupyx, op, a, b):
    check_run(op, a, b)
    solve = cupyx.scipy.linalg.solve_triangular
    return _columns(op, b, lambda cols: solve(a, cols, trans=op.trans, lower=op.lower,
                                              unit_diagonal=op.unit_diagonal))


class SolveTriangular(StackOp):
    """x with op(M) x = b, M the lower or upper triangle of ``a`` (with ones on the
    diagonal if ``unit_diagonal``), op(M) = M, M^T or M^H for ``trans`` 0, 1 or 2."""
    cuda = cupy_routine(_cupy_solve_triangular, "cupyx.scipy.linalg.solve_triangular (cuBLAS trsm)",
                        "Singular matrix")
    __props__ = ("lower", "trans", "unit_diagonal", "b_ndim")

    def __init__(self, lower=False, trans=0, unit_diagonal=False, b_ndim=2):
        if trans not in _TRANS:
            raise InputError(f"solve_triangular: trans={trans!r} is not one of 0, 1, 2, 'N', 'T', 'C'")
        self.lower, self.trans = bool(lower), _TRANS[trans]
        self.unit_diagonal, self.b_ndim = bool(unit_diagonal), int(b_ndim)

    def make_node(self, a, b):
        a, b, x = _operands(a, b, self.b_ndim, "solve_triangular")
        return Apply(self, [a, b], [x])

    def perform(self, node, inputs):
        a, b = inputs
        check_run(self, a, b)
        x = run(self, scipy.linalg.solve_triangular, a, _as_columns(b, self.b_ndim), trans=self.trans,
                lower=self.lower, unit_diagonal=self.unit_diagonal, check_finite=False)
        return [np.asarray(x[..., 0] if self.b_ndim == 1 else x, dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]

    def _op(self, m):
        return (m, mT(m), mH(m))[self.trans]

    def _with_trans(self, trans):
        return SolveTriangular(self.lower, trans, self.unit_diagonal, self.b_ndim)

    def pullback(self, inputs, outputs, output_grads):
        (a, _), (g,) = inputs, output_grads
        if self.trans == 1 and dtypes.is_complex(a.dtype):
            g_b = S.conj(self._with_trans(0)(a, S.conj(g)))   # (M^T)^{-H} = conj(M^{-1}) conj
        else:
            g_b = self._with_trans(2 if self.trans == 0 else 0)(a, g)
        g_m = self._op(-_outer(g_b, outputs[0], self.b_ndim))
        return [triangle(g_m, self.lower, strict=self.unit_diagonal), g_b]

    def pushforward(self, inputs, outputs, tangents):
        (a, _), (t_a, t_b) = inputs, tangents
        rhs = [t_b] if t_b is not None else []
        if t_a is not None:
            t_m = self._op(triangle(t_a, self.lower, strict=self.unit_diagonal))
            rhs.append(-_times(t_m, outputs[0], self.b_ndim))
        return [self(a, S.add(*rhs) if len(rhs) > 1 else rhs[0]) if rhs else None]


def _b_ndim(b, b_ndim):
    return (1 if as_tensor_variable(b).ndim == 1 else 2) if b_ndim is None else b_ndim


def solve(a, b, assume_a="gen", lower=False, b_ndim=None):
    """``scipy.linalg.solve``: x with a x = b. ``b_ndim`` (1 or 2) says whether ``b``
    holds one vector or a matrix of right-hand sides per matrix of ``a``; by default a
    1-d ``b`` is a vector, anything else a matrix (NumPy 2's rule)."""
    if assume_a in _TRIANGULAR:
        return solve_triangular(a, b, lower=_TRIANGULAR[assume_a], b_ndim=b_ndim)
    return Solve(assume_a, lower, _b_ndim(b, b_ndim))(a, b)


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, b_ndim=None):
    """``scipy.linalg.solve_triangular``: x with op(a) x = b for a triangular ``a``."""
    return SolveTriangular(lower, trans, unit_diagonal, _b_ndim(b, b_ndim))(a, b)
