"""Linear algebra products and diagonals.

One contraction op, ``Dot(nbatch, ncontract)``, carries every product:

    a: batch + M + K,  b: batch + K + N   ->   batch + M + N
    out[..., m, n] = sum_k a[..., m, k] * b[..., k, n]

with ``nbatch`` leading batch axes (broadcast as in ``np.matmul``) and ``ncontract``
axes summed over. ``dot``, ``tensordot``, ``matmul`` / ``@``, ``outer``, ``batched_dot``
and ``batched_tensordot`` only move axes into that layout (``dimshuffle``), so there is
one pullback and one pushforward to get right, and one cuBLAS call to map it to. The
pullback is again a ``Dot``: g_a = g . conj(b)^T and g_b = conj(a)^T . g.

``Diagonal`` reads a diagonal and ``AllocDiag`` writes one into zeros; each is the
other's transpose and so its pullback.

On a device ``Dot`` is one (batched) matmul of (batch, M, K) by (batch, K, N) views, its
operands first cast on the device to the result's dtype (NumPy's matmul casts to the common
type too): a library call for floats and complex values (cuBLAS through ``cupy.matmul``; on
``cuda-sim`` the simulated CuPy's), ``kernels/int_matmul.cu`` for integers and bools (no
library routine; NumPy's wraparound).
"""
import math

import numpy as np

from ..backends import kernels
from ..errors import ShapeError
from ..graph.basic import Apply, Constant
from ..graph.op import CudaFacet, Op
from ..runtime.device_arrays import backend_for, library_for
from ..runtime.facets import sizes_from
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable
from . import scalar as S
from .elemwise import pad_left, sum_to_input
from .reduce import normalize_axis, sum as sum_
from .shape import dimshuffle, flatten, require_unbatched, shape_i, shape_tuple


def conj_if_complex(x):
    return S.conj(x) if dtypes.is_complex(x.dtype) else x


def _swap(x, nbatch, nfirst):
    """``x`` = batch + P + Q (P of ``nfirst`` axes) reordered to batch + Q + P."""
    head = list(range(nbatch))
    return dimshuffle(x, head + list(range(nbatch + nfirst, x.ndim)) + list(range(nbatch, nbatch + nfirst)))


def _described(x):
    return f"{x} ({x.type})"


def dot_thunk(device, node, storage_in, storage_out):
    """``Dot`` of any operand dtypes; see the module docstring."""
    be, library, op = backend_for(device), library_for(device), node.op
    dtype = np.dtype(node.outputs[0].dtype)
    if dtype.kind in "biu":
        def matmul(a, b):
            return kernels.int_matmul(library, a, b)
    else:
        matmul = be.xp.matmul
    nb, nk = op.nbatch, op.ncontract
    (a_cell, b_cell), (dst,) = storage_in, storage_out

    def thunk():
        a, b = a_cell[0], b_cell[0]
        if a.shape[a.ndim - nk:] != b.shape[nb:nb + nk]:
            raise ShapeError(f"dot: the contracted axes of shapes {a.shape} and {b.shape} differ")
        op._check_batch(node, a.shape, b.shape)
        rows, cols, k = a.shape[nb:a.ndim - nk], b.shape[nb + nk:], math.prod(b.shape[nb:nb + nk])
        out = matmul(_operand(library, a, dtype, a.shape[:nb] + (math.prod(rows), k)),
                     _operand(library, b, dtype, b.shape[:nb] + (k, math.prod(cols))))
        dst[0] = out.reshape(out.shape[:nb] + rows + cols)
    return thunk


def _operand(library, x, dtype, shape):
    """``x`` as a matmul operand of ``shape``: itself where that is its shape (cuBLAS reads a
    transposed matrix as it is), else a reshaped (contiguous) copy."""
    x = kernels.astype(library, x, dtype)
    return x if tuple(x.shape) == tuple(shape) else kernels.reshape(library, x, shape)


class Dot(Op):
    """The contraction above; see the module docstring."""
    fresh_outputs = True
    __props__ = ("nbatch", "ncontract")
    cuda = CudaFacet("cupy.matmul (cuBLAS) for floats and complex values, kernels/int_matmul.cu for integers",
                     thunk=dot_thunk, kernels=("int_matmul.cu",))

    def __init__(self, nbatch, ncontract):
        self.nbatch, self.ncontract = int(nbatch), int(ncontract)

    def make_node(self, a, b):
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        nb, nk = self.nbatch, self.ncontract
        if a.ndim < nb + nk or b.ndim < nb + nk:
            raise ShapeError(f"{self}: {_described(a)} and {_described(b)} need at least "
                             f"{nb + nk} dimensions each ({nb} batch, {nk} contracted)")
        sa, sb = a.type.shape, b.type.shape
        for i, j in zip(range(a.ndim - nk, a.ndim), range(nb, nb + nk)):
            if None not in (sa[i], sb[j]) and sa[i] != sb[j]:
                raise ShapeError(f"dot: cannot contract axis {i} of {_described(a)} (size {sa[i]}) with "
                                 f"axis {j} of {_described(b)} (size {sb[j]})")
        batch = []
        for i in range(nb):
            if None not in (sa[i], sb[i]) and sa[i] != sb[i] and 1 not in (sa[i], sb[i]):
                raise ShapeError(f"dot: batch axis {i} of {_described(a)} and {_described(b)} "
                                 f"cannot broadcast (sizes {sa[i]} and {sb[i]})")
            batch.append(sb[i] if sa[i] == 1 or (sa[i] is None and sb[i] != 1) else sa[i])
        shape = tuple(batch) + sa[nb:a.ndim - nk] + sb[nb + nk:]
        dtype = _matmul_dtype(a.dtype, b.dtype)
        return Apply(self, [a, b], [TensorVariable(TensorType(dtype, shape))])

    def perform(self, node, inputs):
        a, b = inputs
        nb, nk = self.nbatch, self.ncontract
        if a.shape[a.ndim - nk:] != b.shape[nb:nb + nk]:
            raise ShapeError(f"dot: the contracted axes of shapes {a.shape} and {b.shape} differ "
                             f"({a.shape[a.ndim - nk:]} vs {b.shape[nb:nb + nk]})")
        self._check_batch(node, a.shape, b.shape)
        rows, cols = a.shape[nb:a.ndim - nk], b.shape[nb + nk:]
        k = math.prod(b.shape[nb:nb + nk])
        out = np.matmul(a.reshape(a.shape[:nb] + (math.prod(rows), k)),
                        b.reshape(b.shape[:nb] + (k, math.prod(cols))))
        out = out.reshape(out.shape[:nb] + rows + cols)
        return [np.asarray(out, dtype=node.outputs[0].type.dtype)]

    def _check_batch(self, node, sa, sb):
        """NumPy broadcasts any size-1 batch axis; only declared ones may (see elemwise)."""
        ta, tb = node.inputs[0].type.shape, node.inputs[1].type.shape
        for i in range(self.nbatch):
            if sa[i] != sb[i] and not ((sa[i] == 1 and ta[i] == 1) or (sb[i] == 1 and tb[i] == 1)):
                raise ShapeError(f"dot: batch axis {i} of shapes {sa} and {sb} does not match and is "
                                 "not declared broadcastable (static size 1)")

    def infer_shape(self, node, input_shapes):
        sa, sb = input_shapes
        nb, nk = self.nbatch, self.ncontract
        batch = tuple(sb[i] if node.inputs[0].type.shape[i] == 1 else sa[i] for i in range(nb))
        return [batch + tuple(sa[nb:len(sa) - nk]) + tuple(sb[nb + nk:])]

    def pullback(self, inputs, outputs, output_grads):
        (a, b), (g,) = inputs, output_grads
        nb, nk = self.nbatch, self.ncontract
        n_rows, n_cols = a.ndim - nb - nk, b.ndim - nb - nk
        g_a = Dot(nb, n_cols)(g, _swap(conj_if_complex(b), nb, nk))
        g_b = Dot(nb, n_rows)(_swap(conj_if_complex(a), nb, n_rows), g)
        return [sum_to_input(g_a, a), sum_to_input(g_b, b)]

    def pushforward(self, inputs, outputs, tangents):
        (a, b), (t_a, t_b) = inputs, tangents
        terms = ([self(t_a, b)] if t_a is not None else []) + ([self(a, t_b)] if t_b is not None else [])
        return [S.add(*terms) if len(terms) == 2 else terms[0] if terms else None]

    def batch(self, inputs, batched):
        """Both batched: one more batch axis. One batched: the batch axis becomes one
        more row axis of ``a`` (or column axis of ``b``), so the product stays one GEMM."""
        a, b = inputs
        nb = self.nbatch
        if all(batched):
            return [Dot(nb + 1, self.ncontract)(a, b)]
        if batched[0]:
            out = self(dimshuffle(a, list(range(1, nb + 1)) + [0] + list(range(nb + 1, a.ndim))), b)
            return [dimshuffle(out, [nb] + list(range(nb)) + list(range(nb + 1, out.ndim)))]
        out = self(a, dimshuffle(b, list(range(1, b.ndim)) + [0]))
        return [dimshuffle(out, [out.ndim - 1] + list(range(out.ndim - 1)))]


def _matmul_dtype(a, b):
    return str(np.matmul(np.zeros((0, 0), a), np.zeros((0, 0), b)).dtype)


def _axis_list(axes, x, what):
    """Axes of ``x`` as given (an int or a sequence), made non-negative, order kept."""
    axes = [axes] if isinstance(axes, (int, np.integer)) else list(axes)
    for ax in axes:
        if not -x.ndim <= ax < x.ndim:
            raise ShapeError(f"{what}: axis {ax} is out of range for {_described(x)}")
    return [int(ax) % x.ndim for ax in axes]


def _contract(a, b, axes, nbatch, what):
    """Contract ``a`` with ``b`` over the axis pairs ``axes`` (NumPy's tensordot ``axes``
    argument), after ``nbatch`` shared leading batch axes."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > a.ndim - nbatch or n > b.ndim - nbatch:
            raise ShapeError(f"{what}: cannot contract {n} axes of {_described(a)} and {_described(b)}")
        axes_a, axes_b = list(range(a.ndim - n, a.ndim)), list(range(nbatch, nbatch + n))
    else:
        axes_a, axes_b = _axis_list(axes[0], a, what), _axis_list(axes[1], b, what)
    if len(axes_a) != len(axes_b) or len(set(axes_a)) < len(axes_a) or len(set(axes_b)) < len(axes_b):
        raise ShapeError(f"{what}: axes {axes} must name as many distinct axes of {a} as of {b}")
    if set(range(nbatch)) & (set(axes_a) | set(axes_b)):
        raise ShapeError(f"{what}: axes {axes} include the batch axis")
    for i, j in zip(axes_a, axes_b):
        sa, sb = a.type.shape[i], b.type.shape[j]
        if None not in (sa, sb) and sa != sb:
            raise ShapeError(f"{what}: axis {i} of {_described(a)} has size {sa} but axis {j} of "
                             f"{_described(b)} has size {sb}")
    batch = list(range(nbatch))
    free_a = [i for i in range(nbatch, a.ndim) if i not in axes_a]
    free_b = [i for i in range(nbatch, b.ndim) if i not in axes_b]
    return Dot(nbatch, len(axes_a))(dimshuffle(a, batch + free_a + axes_a), dimshuffle(b, batch + axes_b + free_b))


def tensordot(a, b, axes=2):
    """NumPy's ``tensordot``: sum over the last ``axes`` axes of ``a`` and the first of
    ``b``, or over the axis pairs of ``axes = (axes_a, axes_b)``."""
    return _contract(a, b, axes, 0, "tensordot")


def batched_tensordot(a, b, axes=2):
    """``tensordot`` for each index of the shared leading (batch) axis; an integer
    ``axes`` counts axes after the batch axis (Theano's convention)."""
    return _contract(a, b, axes, 1, "batched_tensordot")


def dot(a, b):
    """NumPy's ``dot``: a product with a scalar, or the sum over the last axis of ``a``
    and the second-to-last (only, for a vector) axis of ``b``."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        return S.mul(a, b)
    return tensordot(a, b, [[a.ndim - 1], [max(b.ndim - 2, 0)]])


def matmul(a, b):
    """NumPy's ``matmul`` (``a @ b``): batches broadcast, a vector operand acts as a row
    (``a``) or a column (``b``) whose axis is then dropped."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: operands must have at least one dimension, got {_described(a)} "
                         f"and {_described(b)}; use * for a product with a scalar")
    batch_a, batch_b = max(a.ndim - 2, 0), max(b.ndim - 2, 0)
    nbatch = max(batch_a, batch_b)
    return Dot(nbatch, 1)(pad_left(a, a.ndim + nbatch - batch_a), pad_left(b, b.ndim + nbatch - batch_b))


def outer(a, b):
    """NumPy's ``outer`` of the flattened operands (nothing contracted, no conjugation)."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    return Dot(0, 0)(a if a.ndim == 1 else flatten(a), b if b.ndim == 1 else flatten(b))


def batched_dot(a, b):
    """Theano's ``batched_dot``: ``dot(a[i], b[i])`` for each index of the leading axis
    (matrix-matrix, matrix-vector, vector-matrix or vector-vector), as one op."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"batched_dot: operands need a leading batch axis, got {_described(a)} "
                         f"and {_described(b)}")
    if a.ndim == 1:
        return S.mul(dimshuffle(a, [0] + ["x"] * (b.ndim - 1)), b)
    if b.ndim == 1:
        return S.mul(a, dimshuffle(b, [0] + ["x"] * (a.ndim - 1)))
    return batched_tensordot(a, b, [[a.ndim - 1], [max(1, b.ndim - 2)]])


def _diagonal_length(n1, n2, offset):
    """``min(n1, n2 - offset)`` for offset >= 0, ``min(n1 + offset, n2)`` below, at least 0."""
    n1, n2 = (n1 + offset, n2) if offset < 0 else (n1, n2 - offset)
    if isinstance(n1, int) and isinstance(n2, int):
        return max(0, min(n1, n2))
    return S.maximum(S.minimum(n1, n2), 0)


def _diagonal_thunk(device, node, storage_in, storage_out):
    """``Diagonal``: a view of the device array (``diagonal`` of NumPy and CuPy alike)."""
    op = node.op
    (src,), (dst,) = storage_in, storage_out

    def thunk():
        dst[0] = src[0].diagonal(op.offset, op.axis1, op.axis2)
    return thunk


class Diagonal(Op):
    """``np.diagonal(x, offset, axis1, axis2)`` (a copy): the two axes removed and the
    diagonal appended as the last axis."""
    __props__ = ("offset", "axis1", "axis2")
    cuda = CudaFacet("a view of the device array (its diagonal method)", thunk=_diagonal_thunk)

    def __init__(self, offset, axis1, axis2):
        self.offset, self.axis1, self.axis2 = int(offset), int(axis1), int(axis2)

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.ndim < 2 or max(self.axis1, self.axis2) >= x.ndim:
            raise ShapeError(f"diagonal: axes {self.axis1} and {self.axis2} are out of range for {_described(x)}")
        n1, n2 = x.type.shape[self.axis1], x.type.shape[self.axis2]
        length = None if None in (n1, n2) else _diagonal_length(n1, n2, self.offset)
        return Apply(self, [x], [TensorVariable(TensorType(x.dtype, self._rest(x.type.shape) + (length,)))])

    def _rest(self, shape):
        return tuple(s for a, s in enumerate(shape) if a not in (self.axis1, self.axis2))

    def perform(self, node, inputs):
        return [np.diagonal(inputs[0], self.offset, self.axis1, self.axis2).copy()]

    def infer_shape(self, node, input_shapes):
        (shp,) = input_shapes
        return [self._rest(shp) + (_diagonal_length(shp[self.axis1], shp[self.axis2], self.offset),)]

    def pullback(self, inputs, outputs, output_grads):
        return [AllocDiag(self.offset, self.axis1, self.axis2)(output_grads[0], *shape_tuple(inputs[0]))]

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0])]

    def batch(self, inputs, batched):
        return [Diagonal(self.offset, self.axis1 + 1, self.axis2 + 1)(inputs[0])]


def _alloc_diag_thunk(device, node, storage_in, storage_out):
    """``AllocDiag`` with host sizes: zeros and a strided write (``kernels.alloc_diag``)."""
    library, op = library_for(device), node.op
    (v_cell, *size_cells), (dst,) = storage_in, storage_out

    def thunk():
        shape = tuple(int(c[0]) for c in size_cells)
        dst[0] = kernels.alloc_diag(library, v_cell[0], shape, op.offset, op.axis1, op.axis2)
    return thunk


class AllocDiag(Op):
    """Zeros of the shape given by scalar inputs with ``v``'s last axis written on the
    diagonal (offset, axis1, axis2) and its other axes on the remaining axes in order."""
    fresh_outputs = True
    __props__ = ("offset", "axis1", "axis2")
    cuda = CudaFacet("zeros and a strided write of the diagonal (backends/kernels.alloc_diag)",
                     thunk=_alloc_diag_thunk, host_inputs=sizes_from(1))

    def __init__(self, offset, axis1, axis2):
        self.offset, self.axis1, self.axis2 = int(offset), int(axis1), int(axis2)

    def make_node(self, v, *dims):
        v = as_tensor_variable(v)
        dims = [as_tensor_variable(d) for d in dims]
        if len(dims) != v.ndim + 1 or any(d.ndim or not dtypes.is_discrete(d.dtype) for d in dims):
            raise ShapeError(f"alloc_diag: {_described(v)} needs {v.ndim + 1} integer scalar sizes, "
                             f"got {', '.join(_described(d) for d in dims)}")
        dims = [S.cast(d, "int64") for d in dims]
        static = tuple(int(d.data) if isinstance(d, Constant) else None for d in dims)
        return Apply(self, [v, *dims], [TensorVariable(TensorType(v.dtype, static))])

    def perform(self, node, inputs):
        v, *dims = inputs
        out = np.zeros(tuple(int(d) for d in dims), dtype=node.outputs[0].type.dtype)
        view = np.moveaxis(out, (self.axis1, self.axis2), (-2, -1))
        n = _diagonal_length(view.shape[-2], view.shape[-1], self.offset)
        if v.shape != view.shape[:-2] + (n,):
            raise ShapeError(f"alloc_diag: a diagonal of shape {v.shape} does not fit shape {out.shape} "
                             f"(offset {self.offset}, axes {self.axis1} and {self.axis2})")
        i = np.arange(n)
        view[..., i + max(0, -self.offset), i + max(0, self.offset)] = v
        return [out]

    def infer_shape(self, node, input_shapes):
        return [tuple(node.inputs[1:])]

    def pullback(self, inputs, outputs, output_grads):
        g = Diagonal(self.offset, self.axis1, self.axis2)(output_grads[0])
        return [g] + [None] * (len(inputs) - 1)

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0], *inputs[1:])]

    def batch(self, inputs, batched):
        require_unbatched(self, batched[1:], "the allocated shape would differ between examples")
        v, *dims = inputs
        return [AllocDiag(self.offset, self.axis1 + 1, self.axis2 + 1)(v, shape_i(v, 0), *dims)]


def diagonal(x, offset=0, axis1=0, axis2=1):
    """NumPy's ``diagonal``."""
    x = as_tensor_variable(x)
    if x.ndim < 2:
        raise ShapeError(f"diagonal: {_described(x)} needs at least two dimensions")
    (a1,), (a2,) = normalize_axis(axis1, x.ndim, "diagonal"), normalize_axis(axis2, x.ndim, "diagonal")
    if a1 == a2:
        raise ShapeError(f"diagonal: axis1 and axis2 are both axis {a1} of {_described(x)}")
    return Diagonal(offset, a1, a2)(x)


def diag(v, k=0):
    """NumPy's ``diag``: a vector becomes a square matrix with it on the ``k``-th
    diagonal; a matrix gives its ``k``-th diagonal."""
    v = as_tensor_variable(v)
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise ShapeError(f"diag: expected a vector or a matrix, got {_described(v)}")
    size = v.type.shape[0]
    n = shape_i(v, 0) + abs(int(k)) if size is None else size + abs(int(k))
    return AllocDiag(k, 0, 1)(v, n, n)


def trace(x, offset=0, axis1=0, axis2=1):
    """NumPy's ``trace``: the sum of ``diagonal(x, offset, axis1, axis2)``."""
    return sum_(diagonal(x, offset, axis1, axis2), axis=-1)


__all__ = ["dot", "tensordot", "batched_tensordot", "matmul", "outer", "batched_dot",
           "diag", "diagonal", "trace"]
