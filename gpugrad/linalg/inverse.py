"""The inverse and the Moore-Penrose pseudo-inverse.

    inverse:  X = A^{-1};   R-op -X dA X;   gradient -X^H G X^H
    pinv:     P = A^+ (Golub and Pereyra, valid where the rank does not change):
      R-op      dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P
      gradient  g_A = -P^H G P^H + (I - A P) G^H P P^H + P^H P G^H (I - P A)

The identity matrices are never formed: (I - A P) Y is computed as Y - A (P Y).
"""
import numpy as np

from ..graph.basic import Apply
from ..types.variable import as_tensor_variable
from .base import StackOp, as_matrix, check_square, inexact_dtype, mH, mm, out, run, square_shape
from .device import cupy_routine, square


class MatrixInverse(StackOp):
    """``numpy.linalg.inv`` of a stack of square matrices; a singular one raises LinAlgError."""
    cuda = cupy_routine(square(lambda cp, op, a: cp.linalg.inv(a)), "cupy.linalg.inv (cuSOLVER)", "Singular matrix")

    def make_node(self, a):
        a = as_tensor_variable(a)
        a = as_matrix(a, inexact_dtype(a.dtype), "matrix_inverse")
        return Apply(self, [a], [out(a.dtype, square_shape(a.type.shape))])

    def perform(self, node, inputs):
        (a,) = inputs
        check_square(self, a)
        return [np.asarray(run(self, np.linalg.inv, a), dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def pullback(self, inputs, outputs, output_grads):
        x_h = mH(outputs[0])
        return [-mm(mm(x_h, output_grads[0]), x_h)]

    def pushforward(self, inputs, outputs, tangents):
        x = outputs[0]
        return [None if tangents[0] is None else -mm(mm(x, tangents[0]), x)]


class Pinv(StackOp):
    """``numpy.linalg.pinv`` (default cutoff) of a stack of matrices of any shape."""
    cuda = cupy_routine(lambda cp, cupyx, op, a: [cp.linalg.pinv(a)], "cupy.linalg.pinv (cuSOLVER gesvd)")

    def make_node(self, a):
        a = as_tensor_variable(a)
        a = as_matrix(a, inexact_dtype(a.dtype), "pinv", square=False)
        shape = a.type.shape
        return Apply(self, [a], [out(a.dtype, shape[:-2] + (shape[-1], shape[-2]))])

    def perform(self, node, inputs):
        return [np.asarray(run(self, np.linalg.pinv, inputs[0]), dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node, input_shapes):
        shape = input_shapes[0]
        return [tuple(shape[:-2]) + (shape[-1], shape[-2])]

    def pullback(self, inputs, outputs, output_grads):
        (a,), (p,), (g,) = inputs, outputs, output_grads
        p_h, g_h = mH(p), mH(g)
        left = mm(g_h, mm(p, p_h))
        left = left - mm(a, mm(p, left))
        right = mm(mm(p_h, p), g_h)
        right = right - mm(mm(right, p), a)
        return [-mm(mm(p_h, g), p_h) + left + right]

    def pushforward(self, inputs, outputs, tangents):
        (a,), (p,), (t,) = inputs, outputs, tangents
        if t is None:
            return [None]
        p_h, t_h = mH(p), mH(t)
        left = mm(mm(p, p_h), t_h)
        left = left - mm(mm(left, a), p)
        right = mm(t_h, mm(p_h, p))
        right = right - mm(p, mm(a, right))
        return [-mm(mm(p, t), p) + left + right]


def matrix_inverse(a):
    """The inverse of the square matrix ``a`` (or of each matrix of a stack)."""
    return MatrixInverse()(a)


def pinv(a):
    """The Moore-Penrose pseudo-inverse of ``a`` (or of each matrix of a stack)."""
    return Pinv()(a)
