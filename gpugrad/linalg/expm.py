"""The matrix exponential and its Fréchet derivative.

    expm(A)            = sum_k A^k / k!        (SciPy: scaling and squaring, Padé)
    expm_frechet(A, E) = L(A, E) = d/dt expm(A + t E) at t = 0
                       = integral_0^1 expm(s A) E expm((1 - s) A) ds

expm's R-op is L(A, dA) and its gradient L(A^H, G) (see base.py), which stays right for
repeated eigenvalues, where eigendecomposition formulas (Theano's) divide by zero.
L's own derivatives come from the block identity

    expm([[A, E], [0, A]]) = [[expm(A), L(A, E)], [0, expm(A)]]

which makes L(A, E) a block of an exponential, so its derivatives are Fréchet
derivatives of expm at the block matrix: second order costs nothing new.
"""
import numpy as np
import scipy.linalg

from ..errors import ShapeError
from ..graph.basic import Apply
from ..ops.shape import shape_i, zeros_like
from ..types.variable import as_tensor_variable
from .base import (StackOp, as_matrix, blocks, check_square, inexact_dtype, mH, out, square_shape,
                   upper_block, none_to_zeros)
from .device import cupy_routine

_BLOCK_BELOW = 16  # below this size an expm of the 2n block beats SciPy's Python-level expm_frechet


def _cupy_expm(cp, cupyx, op, a):
    """``cupyx.scipy.linalg.expm`` one matrix at a time (it takes no stacks); where the
    installed CuPy lacks it, SciPy's on a host copy: the one documented host fallback."""
    check_square(op, a)
    if a.size == 0:
        return [a.copy()]
    expm = getattr(cupyx.scipy.linalg, "expm", None)
    if expm is None:
        return [cp.asarray(scipy.linalg.expm(cp.asnumpy(a)))]
    flat = a.reshape((-1,) + a.shape[-2:])
    return [cp.stack([expm(m) for m in flat]).reshape(a.shape)]


class Expm(StackOp):
    """``scipy.linalg.expm`` on a stack of square matrices."""
    cuda = cupy_routine(_cupy_expm, "cupyx.scipy.linalg.expm, one matrix at a time")

    def make_node(self, a):
        a = as_tensor_variable(a)
        a = as_matrix(a, inexact_dtype(a.dtype), "expm")
        return Apply(self, [a], [out(a.dtype, square_shape(a.type.shape))])

    def perform(self, node, inputs):
        (a,) = inputs
        check_square(self, a)
        return [np.asarray(scipy.linalg.expm(a), dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def pullback(self, inputs, outputs, output_grads):
        return [ExpmFrechet()(mH(inputs[0]), output_grads[0])]

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else ExpmFrechet()(inputs[0], tangents[0])]


def _cupy_expm_frechet(cp, cupyx, op, a, e):
    """L(a, e) as the top-right block of expm([[a, e], [0, a]]) (Higham, Thm 3.6)."""
    check_square(op, a)
    if a.shape != e.shape:
        raise ShapeError(f"{op}: a of shape {a.shape} and e of shape {e.shape} differ")
    n = a.shape[-1]
    block = cp.concatenate([cp.concatenate([a, e], -1), cp.concatenate([cp.zeros_like(a), a], -1)], -2)
    return [_cupy_expm(cp, cupyx, op, block)[0][..., :n, n:]]


class ExpmFrechet(StackOp):
    """L(A, E), the Fréchet derivative of expm at ``A`` in the direction ``E``.

    Where A and E commute up to the rounding error of AE and EA, L(A, E) = E expm(A):
    one expm and one product, which is the case of every derivative of expm(x H) with
    respect to the scalar x (the check costs two small products, far less than the
    expm it saves). Otherwise small matrices go through the block identity (one expm of
    size 2n, cheaper there than anything written in Python) and larger ones through Al-Mohy
    and Higham's algorithm (``scipy.linalg.expm_frechet``, about 3 expm)."""
    cuda = cupy_routine(_cupy_expm_frechet, "the top-right block of cupyx.scipy.linalg.expm of [[A, E], [0, A]]")

    def make_node(self, a, e):
        a, e = as_tensor_variable(a), as_tensor_variable(e)
        dtype = inexact_dtype(a.dtype, e.dtype)
        a, e = as_matrix(a, dtype, "expm_frechet"), as_matrix(e, dtype, "expm_frechet")
        shape = [x if x is not None else y for x, y in zip(square_shape(a.type.shape), square_shape(e.type.shape))]
        if a.ndim != e.ndim or any(None not in (x, y) and x != y for x, y in zip(a.type.shape, e.type.shape)):
            raise ShapeError(f"expm_frechet: A ({a.type}) and E ({e.type}) must have the same shape")
        return Apply(self, [a, e], [out(dtype, tuple(shape))])

    def perform(self, node, inputs):
        a, e = inputs
        check_square(self, a)
        if a.shape != e.shape:
            raise ShapeError(f"{self}: A and E must have the same shape, got {a.shape} and {e.shape}")
        n = a.shape[-1]
        if _commute(a, e):
            result = e @ scipy.linalg.expm(a)
        elif n < _BLOCK_BELOW:
            block = np.concatenate([np.concatenate([a, e], -1), np.concatenate([np.zeros_like(a), a], -1)], -2)
            result = scipy.linalg.expm(block)[..., :n, n:]
        else:
            result = scipy.linalg.expm_frechet(a, e, compute_expm=False, check_finite=False)
        return [np.asarray(result, dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def pullback(self, inputs, outputs, output_grads):
        a, e = inputs
        (g,) = output_grads
        zero = zeros_like(g)
        g_block = self(mH(upper_block(a, e, a)), upper_block(zero, g, zero))
        top_left, top_right, bottom_right = blocks(g_block, shape_i(a, a.ndim - 1))
        return [top_left + bottom_right, top_right]

    def pushforward(self, inputs, outputs, tangents):
        if all(t is None for t in tangents):
            return [None]
        a, e = inputs
        t_a, t_e = none_to_zeros(tangents, inputs)
        tangent = self(upper_block(a, e, a), upper_block(t_a, t_e, t_a))
        return [blocks(tangent, shape_i(a, a.ndim - 1))[1]]


def _commute(a, e):
    """Whether AE - EA is within the rounding error of the two products: entrywise at most
    n eps sum_k |A_ik| |E_kj| each, so in Frobenius norm at most 2 n eps |A| |E| (one
    matrix: squared norms by ``vdot``, a few microseconds at size 3), or bounded through
    the largest entries (a stack)."""
    if a.size == 0:
        return True
    n, eps = a.shape[-1], np.finfo(a.dtype).eps
    gap = a @ e - e @ a
    if a.ndim == 2:
        a, e, gap = a.ravel(), e.ravel(), gap.ravel()
        return bool(np.vdot(gap, gap).real <= (2 * n * eps) ** 2 * np.vdot(a, a).real * np.vdot(e, e).real)
    gap, size_a, size_e = (np.abs(x).max(axis=(-2, -1)) for x in (gap, a, e))
    return bool(np.all(gap <= 2 * n * n * eps * size_a * size_e))


def expm(A):
    """The matrix exponential of ``A`` (or of each matrix of a stack)."""
    return Expm()(A)


def expm_frechet(A, E):
    """The Fréchet derivative of ``expm`` at ``A`` applied to ``E`` (SciPy's
    ``expm_frechet(A, E, compute_expm=False)``)."""
    return ExpmFrechet()(A, E)
