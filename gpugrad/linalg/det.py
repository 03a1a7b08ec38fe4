"""Determinants: ``det`` and ``slogdet`` (sign and log of the absolute value).

With t = tr(A^{-1} dA), the derivative of log det A:

    det:       d(det) = det * t                 gradient  conj(g det) A^{-H}
    slogdet:   d(log|det|) = Re t, d(sign) = i sign Im t (zero for real A)
               gradient  (g_log + i Im(g_sign conj(sign))) A^{-H}

Both go through the inverse, so their gradients at a singular matrix raise
LinAlgError (the values themselves are fine: 0, and sign 0 with log -inf).
"""
import numpy as np

from ..graph.basic import Apply
from ..ops import scalar as S
from ..ops.reduce import sum as sum_
from ..types import dtypes
from ..types.variable import as_tensor_variable
from .base import StackOp, as_matrix, batch_scalar, check_square, inexact_dtype, mH, mT, out
from .device import cupy_routine, square
from .inverse import matrix_inverse


def _trace_of_product(x, y):
    """tr(x y) for each pair of a stack."""
    return sum_(x * mT(y), axis=(-2, -1))


class Det(StackOp):
    """``numpy.linalg.det`` of a stack of square matrices."""
    cuda = cupy_routine(square(lambda cp, op, a: cp.linalg.det(a)), "cupy.linalg.det (cuSOLVER getrf)")

    def make_node(self, a):
        a = as_tensor_variable(a)
        a = as_matrix(a, inexact_dtype(a.dtype), "det")
        return Apply(self, [a], [out(a.dtype, a.type.shape[:-2])])

    def perform(self, node, inputs):
        check_square(self, inputs[0])
        return [np.asarray(np.linalg.det(inputs[0]), dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node, input_shapes):
        return [tuple(input_shapes[0][:-2])]

    def pullback(self, inputs, outputs, output_grads):
        (a,), (d,), (g,) = inputs, outputs, output_grads
        scale = g * S.conj(d) if dtypes.is_complex(d.dtype) else g * d
        return [batch_scalar(scale, 2) * mH(matrix_inverse(a))]

    def pushforward(self, inputs, outputs, tangents):
        (a,), (d,), (t,) = inputs, outputs, tangents
        return [None if t is None else d * _trace_of_product(matrix_inverse(a), t)]


class SLogDet(StackOp):
    """``numpy.linalg.slogdet``: (sign, log|det|); the log is real, the sign has A's dtype."""
    cuda = cupy_routine(square(lambda cp, op, a: cp.linalg.slogdet(a)), "cupy.linalg.slogdet (cuSOLVER getrf)")

    def make_node(self, a):
        a = as_tensor_variable(a)
        a = as_matrix(a, inexact_dtype(a.dtype), "slogdet")
        batch = a.type.shape[:-2]
        return Apply(self, [a], [out(a.dtype, batch), out(dtypes.real_dtype(a.dtype), batch)])

    def perform(self, node, inputs):
        check_square(self, inputs[0])
        sign, log = np.linalg.slogdet(inputs[0])
        return [np.asarray(sign, dtype=node.outputs[0].type.dtype), np.asarray(log, dtype=node.outputs[1].type.dtype)]

    def infer_shape(self, node, input_shapes):
        return [tuple(input_shapes[0][:-2])] * 2

    def pullback(self, inputs, outputs, output_grads):
        (a,), (sign, _), (g_sign, g_log) = inputs, outputs, output_grads
        scale = g_log
        if dtypes.is_complex(a.dtype):
            scale = S.complex(g_log, S.imag(g_sign * S.conj(sign)))
        return [batch_scalar(scale, 2) * mH(matrix_inverse(a))]

    def pushforward(self, inputs, outputs, tangents):
        (a,), (sign, _), (t,) = inputs, outputs, tangents
        if t is None:
            return [None, None]
        trace = _trace_of_product(matrix_inverse(a), t)
        if not dtypes.is_complex(a.dtype):
            return [None, trace]
        return [sign * S.complex(0, S.imag(trace)), S.real(trace)]


def det(a):
    """The determinant of ``a`` (or of each matrix of a stack)."""
    return Det()(a)


def slogdet(a):
    """``(sign, log|det a|)``, as ``numpy.linalg.slogdet``."""
    return SLogDet()(a)
