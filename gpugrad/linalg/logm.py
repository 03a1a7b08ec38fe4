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


class Logm(StackOp):
    """The principal logarithm of each square matrix of a stack."""

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
