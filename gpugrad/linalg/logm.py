"""The principal matrix logarithm, ``scipy.linalg.logm``.

Its Fréchet derivative is a block of a logarithm (Higham, Functions of Matrices,
Thm 3.6), so both derivatives are compositions of this op:

    logm([[A, E], [0, A]]) = [[logm(A), L(A, E)], [0, logm(A)]]
    R-op: L(A, dA)        gradient: L(A^H, G)

A real matrix keeps a real logarithm only where it has one: a real input whose
principal logarithm is complex (a negative eigenvalue) raises LinAlgError at run time,
asking for a complex input, rather than giving a result of a dtype known only then.
"""
import numpy as np
import scipy.linalg

from ..errors import LinAlgError
from ..graph.basic import Apply
from ..types.variable import as_tensor_variable
from .base import (StackOp, as_matrix, block_frechet, check_square, inexact_dtype, mH, out,
                   square_shape)
from .device import cupy_routine


# Gauss-Legendre nodes and weights on [0, 1]: log(I + X) = sum_j w_j X (I + t_j X)^-1 is the
# [8/8] Pade approximant, accurate to double precision for ||X||_1 <= 0.25.
_NODES, _WEIGHTS = (np.polynomial.legendre.leggauss(8)[0] + 1) / 2, np.polynomial.legendre.leggauss(8)[1] / 2
_SQRT_STEPS, _MAX_ROOTS = 100, 64


def _norm1(cp, a):
    """The largest 1-norm over a stack, read back once (the loops below branch on it)."""
    return float(cp.abs(a).sum(axis=-2).max()) if a.size else 0.0


def _sqrtm_db(cp, a, eye):
    """The principal square root of each matrix by the product form of the Denman-Beavers
    iteration (Higham, Functions of Matrices, (6.17)): inverses only, which cuSOLVER has;
    None when it does not converge (an eigenvalue on the closed negative real axis)."""
    m, y = a, a
    for _ in range(_SQRT_STEPS):
        try:
            m_inv = cp.linalg.inv(m)
        except np.linalg.LinAlgError:  # NumPy raises; CuPy gives non-finite values (checked below)
            return None
        y = y @ (eye + m_inv) / 2
        m = (eye + (m + m_inv) / 2) / 2
        if not np.isfinite(_norm1(cp, m)):
            return None
        if _norm1(cp, m - eye) <= 1e-14 * a.shape[-1]:
            return y
    return None


def _cupy_logm(cp, cupyx, op, a):
    """Inverse scaling and squaring: square roots until A^(1/2^s) is within 1/4 of I, the
    Gauss-Legendre form of the Pade approximant of log(I + X) there (solves), times 2^s.
    It needs no Schur form (CuPy has none); where the square roots do not converge (an
    eigenvalue on the negative real axis, or 0) the op's SciPy perform runs on a host copy,
    with its branch choice and errors: the one documented host fallback of this op."""
    check_square(op, a)
    dtype = a.dtype
    if a.size == 0:
        return [a.copy()]
    work = a.astype(np.result_type(dtype, np.float64))
    eye = cp.eye(a.shape[-1], dtype=work.dtype)
    roots = 0
    while _norm1(cp, work - eye) > 0.25:
        work = _sqrtm_db(cp, work, eye) if roots < _MAX_ROOTS else None
        if work is None:
            return [cp.asarray(principal_log(op, cp.asnumpy(a), dtype))]
        roots += 1
    x = work - eye
    log = sum(w * cp.linalg.solve(eye + t * x, x) for t, w in zip(_NODES, _WEIGHTS))
    return [(log * 2.0 ** roots).astype(dtype, copy=False)]


class Logm(StackOp):
    """The principal logarithm of each square matrix of a stack."""
    cuda = cupy_routine(_cupy_logm, "inverse scaling and squaring with cupy.linalg.inv and solve")

    def make_node(self, a):
        a = as_tensor_variable(a)
        a = as_matrix(a, inexact_dtype(a.dtype), "logm")
        return Apply(self, [a], [out(a.dtype, square_shape(a.type.shape))])

    def perform(self, node, inputs):
        return [principal_log(self, inputs[0], node.outputs[0].type.dtype)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def pullback(self, inputs, outputs, output_grads):
        return [block_frechet(self, mH(inputs[0]), output_grads[0])]

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else block_frechet(self, inputs[0], tangents[0])]


def principal_log(op, a, dtype):
    """SciPy's logm of each matrix of ``a`` as ``dtype``, in double precision (SciPy's float32
    path is too coarse); LinAlgError for a real ``dtype`` where the logarithm is complex."""
    check_square(op, a)
    result = scipy.linalg.logm(a.astype(np.result_type(a, np.float64)))
    if np.iscomplexobj(result) and not np.iscomplexobj(np.zeros(0, dtype)):
        raise LinAlgError(f"{op}: the matrix has no real principal logarithm (it has an eigenvalue "
                          f"on the negative real axis); cast it to complex (T.cast(A, 'complex128'))")
    return np.asarray(result, dtype=dtype)


def logm(A):
    """The principal matrix logarithm of ``A`` (or of each matrix of a stack)."""
    return Logm()(A)
