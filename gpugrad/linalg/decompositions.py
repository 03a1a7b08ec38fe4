"""Decompositions of Hermitian matrices: ``cholesky`` and ``eigh`` (and ``eigvalsh``).

Both read one triangle of A (``lower``), as LAPACK does; S is the Hermitian matrix that
triangle defines (base.hermitian_from) and gradients are folded back onto it.

Cholesky, S = L L^H, with Phi(X) = the lower triangle of X with its diagonal halved:
    R-op      dL = L Phi(L^{-1} dS L^{-H})
    gradient  g_S = L^{-H} Phi(L^H g_L) L^{-1}
(the upper factor U = L^H goes through the same formulas transposed).

Eigh, S = V diag(w) V^H, with P = V^H dS V and F_ij = 1 / (w_j - w_i) off the diagonal:
    R-op      dw = Re diag(P),  dV = V (F o P)
    gradient  g_S = V (diag(g_w) + F o (V^H g_V)) V^H
Limitations: eigenvectors of a repeated eigenvalue are not unique, so where w_i = w_j
exactly the eigenvector terms are dropped (F_ij = 0) and only gradients that do not
depend on the choice of basis of that eigenspace are right (every eigenvalue gradient
is); close but distinct eigenvalues give large, ill-conditioned eigenvector gradients.
Complex eigenvectors have an arbitrary phase each; the derivative fixes it by making
diag(V^H dV) zero, so gradients are those of costs invariant under that phase (|V|,
V diag(f(w)) V^H, ...), which are the only meaningful ones.
"""
import numpy as np

from ..graph.basic import Apply
from ..ops import scalar as S
from ..ops.blas import diagonal
from ..ops.join import eye, tril
from ..ops.shape import dimshuffle, shape_i
from ..types import dtypes
from ..types.variable import as_tensor_variable
from .base import (StackOp, as_matrix, check_square, hermitian_from, hermitian_from_adjoint, inexact_dtype, mH, mm,
                   out, run, square_shape)
from .device import cupy_routine, mirrored, square
from .solve import SolveTriangular


def _phi(x):
    """The lower triangle of ``x`` with the diagonal halved."""
    return 0.5 * (tril(x) + tril(x, -1))


def _cupy_cholesky(cp, cupyx, op, a):
    """CuPy's lower factor of the matrix read from the op's triangle; the upper one is its ``^H``."""
    check_square(op, a)
    low = cp.linalg.cholesky(mirrored(cp, a, op.lower, hermitian=True))
    return [low if op.lower else low.swapaxes(-1, -2).conj()]


class Cholesky(StackOp):
    """The lower factor L (or the upper one U = L^H) of S = L L^H; a matrix that is not
    positive definite raises LinAlgError."""
    cuda = cupy_routine(_cupy_cholesky, "cupy.linalg.cholesky (cuSOLVER potrf)", "Matrix is not positive definite")
    __props__ = ("lower",)

    def __init__(self, lower=True):
        self.lower = bool(lower)

    def make_node(self, a):
        a = as_tensor_variable(a)
        a = as_matrix(a, inexact_dtype(a.dtype), "cholesky")
        return Apply(self, [a], [out(a.dtype, square_shape(a.type.shape))])

    def perform(self, node, inputs):
        check_square(self, inputs[0])
        factor = run(self, np.linalg.cholesky, inputs[0], upper=not self.lower)
        return [np.asarray(factor, dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def _lower_factor(self, factor):
        return factor if self.lower else mH(factor)

    def pullback(self, inputs, outputs, output_grads):
        low = self._lower_factor(outputs[0])
        g_low = self._lower_factor(output_grads[0])
        inner = _phi(mm(mH(low), g_low))
        solve_h = SolveTriangular(lower=True, trans=2)
        g_s = mH(solve_h(low, mH(solve_h(low, inner))))     # L^{-H} inner L^{-1}
        return [hermitian_from_adjoint(g_s, self.lower, hermitian=True)]

    def pushforward(self, inputs, outputs, tangents):
        if tangents[0] is None:
            return [None]
        low = self._lower_factor(outputs[0])
        solve = SolveTriangular(lower=True)
        d_s = hermitian_from(tangents[0], self.lower, hermitian=True)
        inner = mH(solve(low, mH(solve(low, d_s))))          # L^{-1} dS L^{-H}
        return [self._lower_factor(mm(low, _phi(inner)))]


def _gaps(w):
    """F_ij = 1 / (w_j - w_i), and 0 where the two are equal (the diagonal included)."""
    batch = list(range(w.ndim - 1))
    diff = dimshuffle(w, batch + ["x", w.ndim - 1]) - dimshuffle(w, batch + [w.ndim - 1, "x"])
    same = S.eq(diff, 0)
    return S.switch(same, 0.0, 1.0 / S.switch(same, 1.0, diff))


class Eigh(StackOp):
    """``numpy.linalg.eigh``: ascending real eigenvalues w and orthonormal eigenvectors V
    (columns) of the Hermitian matrix read from one triangle."""
    cuda = cupy_routine(square(lambda cp, op, a: cp.linalg.eigh(a, UPLO="L" if op.lower else "U")),
                        "cupy.linalg.eigh (cuSOLVER syevd/heevd)")
    __props__ = ("lower",)

    def __init__(self, lower=True):
        self.lower = bool(lower)

    def make_node(self, a):
        a = as_tensor_variable(a)
        a = as_matrix(a, inexact_dtype(a.dtype), "eigh")
        shape = square_shape(a.type.shape)
        return Apply(self, [a], [out(dtypes.real_dtype(a.dtype), shape[:-1]), out(a.dtype, shape)])

    def perform(self, node, inputs):
        check_square(self, inputs[0])
        w, v = run(self, np.linalg.eigh, inputs[0], UPLO="L" if self.lower else "U")
        return [np.asarray(w, dtype=node.outputs[0].type.dtype), np.asarray(v, dtype=node.outputs[1].type.dtype)]

    def infer_shape(self, node, input_shapes):
        shape = tuple(input_shapes[0])
        return [shape[:-1], shape]

    def pullback(self, inputs, outputs, output_grads):
        (a,), (w, v), (g_w, g_v) = inputs, outputs, output_grads
        n = shape_i(a, a.ndim - 1)
        g_p = dimshuffle(g_w, list(range(g_w.ndim)) + ["x"]) * eye(n, dtype=w.dtype) + _gaps(w) * mm(mH(v), g_v)
        g_s = mm(mm(v, g_p), mH(v))
        return [hermitian_from_adjoint(g_s, self.lower, hermitian=True)]

    def pushforward(self, inputs, outputs, tangents):
        (w, v), (t,) = outputs, tangents
        if t is None:
            return [None, None]
        p = mm(mm(mH(v), hermitian_from(t, self.lower, hermitian=True)), v)
        d_w = diagonal(p, 0, -2, -1)
        return [S.real(d_w) if dtypes.is_complex(d_w.dtype) else d_w, mm(v, _gaps(w) * p)]


def cholesky(a, lower=True):
    """The Cholesky factor of the Hermitian positive definite ``a``: lower (L, a = L L^H)
    by default as in Theano and NumPy, else upper (U, a = U^H U) as SciPy's default."""
    return Cholesky(lower)(a)


def eigh(a, UPLO="L"):
    """``numpy.linalg.eigh``: ``(w, v)``, reading the lower (``UPLO="L"``) or upper triangle."""
    return Eigh(UPLO.upper() == "L")(a)


def eigvalsh(a, b=None, lower=True):
    """The eigenvalues of the Hermitian ``a``, or with ``b`` (Hermitian positive definite)
    those of the generalized problem a v = w b v, as ``scipy.linalg.eigvalsh``: the
    reduction to L^{-1} a L^{-H} (b = L L^H) is a composition, differentiable as is."""
    if b is None:
        return Eigh(lower)(a)[0]
    low = Cholesky(True)(hermitian_from(as_tensor_variable(b), lower, hermitian=True))
    solve = SolveTriangular(lower=True)
    reduced = solve(low, mH(solve(low, hermitian_from(as_tensor_variable(a), lower, hermitian=True))))
    return Eigh(True)(reduced)[0]
