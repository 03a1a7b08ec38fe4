"""Structure: keep diagonal matrices diagonal, so derivatives of elementwise graphs stay O(n).

``jacobian`` seeds its batched walks with the identity ``AllocDiag(ones(n))``. Vectorized
over it, the pullback of an elementwise graph multiplies that (n, n) seed by factors
broadcast along the batch axis, adds such products, negates them, transposes them. Each
rewrite here moves one such step onto the diagonal vector, since for D = diag(v):

    D * F       = diag(v * diag(F))       (F (1, n), (n, 1), (1, 1), diagonal or dense)
    D / F       = diag(v / diag(F))       -D = diag(-v)      cast(D) = diag(cast(v))
    D1 + D2     = diag(v1 + v2)           D^T = D            diagonal(D) = v
    sum(D, 0)   = sum(D, 1) = v           dot(D, B) = v[:, None] * B   dot(A, D) = A * v
    D1 + D2 + F = diag(v1 + v2) + F       (D + F)^T = D + F^T   (F broadcast: F^T is free)

so the Jacobian of ``x**3 * sin(x)`` becomes ``AllocDiag`` of the O(n) derivative: the
only n x n work left is writing the result, and a dense Hessian such as that of
``sum(f(x)) + sum(x)**2`` writes one diagonal plus one broadcast sum. Diagonal constants
(small identities that constant folding produced) count as diag(v) too. Last, an outer
product (a ``Dot`` that contracts nothing, as in the L-op of ``dot(x, W)``) becomes a
broadcast product, one pass over its output.
"""
import numpy as np

from ..graph.basic import Constant
from ..ops import scalar as S
from ..ops.blas import AllocDiag, Diagonal, Dot
from ..ops.elemwise import Elemwise
from ..ops.reduce import Reduce
from ..ops.shape import DimShuffle, dimshuffle
from ..types.variable import constant
from .utils import scalar_name

_LINEAR_UNARY = ("neg", "conj", "real", "imag")


def diagonal_of(var):
    """``(v, (n, n))`` when ``var`` is the square matrix diag(v), as far as its graph
    shows; else None. ``(n, n)`` are the sizes to rebuild it with."""
    node = var.owner
    if node is not None and isinstance(node.op, AllocDiag):
        op = node.op
        if (op.offset, op.axis1, op.axis2) == (0, 0, 1) and var.ndim == 2 and _same_size(*node.inputs[1:]):
            return node.inputs[0], tuple(node.inputs[1:])
        return None
    if isinstance(var, Constant) and var.ndim == 2 and var.data.shape[0] == var.data.shape[1] > 1:
        data = var.data
        off_diagonal = data[~np.eye(data.shape[0], dtype=bool)]
        if not np.any(off_diagonal):
            return constant(np.diagonal(data).copy()), data.shape
    return None


def _same_size(a, b):
    return a is b or (isinstance(a, Constant) and isinstance(b, Constant) and a.data == b.data)


def _on_diagonal(f):
    """The entries of the (broadcast) matrix ``f`` that lie on the diagonal, as a vector
    (or a scalar that broadcasts to one)."""
    found = diagonal_of(f)
    if found is not None:
        return found[0]
    rows, cols = f.type.shape
    if rows == 1 and cols == 1:
        return dimshuffle(f, ())
    if rows == 1:
        return dimshuffle(f, (1,))
    if cols == 1:
        return dimshuffle(f, (0,))
    return Diagonal(0, 0, 1)(f)


def _diag(v, dims, like):
    """diag(v) with ``like``'s dtype, or None if that needs a cast of a weak value."""
    if v.dtype != like.dtype:
        v = S.cast(v, like.dtype)
    new = AllocDiag(0, 0, 1)(v, *dims)
    return [new] if new.ndim == like.ndim else None


def elemwise_of_diagonal(fgraph, node):
    """Products and quotients with a diagonal factor, linear unary maps of a diagonal,
    and sums of diagonals: the result is diagonal, computed on the vectors."""
    if not isinstance(node.op, Elemwise) or node.outputs[0].ndim != 2 or len(node.outputs) != 1:
        return None
    out, name = node.outputs[0], scalar_name(node.outputs[0])
    found = [diagonal_of(v) if v.type.shape[0] != 1 else None for v in node.inputs]
    if name == "mul":
        for pos, hit in enumerate(found):
            if hit is not None:
                rest = [_on_diagonal(f) for k, f in enumerate(node.inputs) if k != pos]
                return _diag(S.mul(hit[0], *rest), hit[1], out)
        return None
    if found[0] is None:
        return _gather_diagonal_terms(node, found)
    v, dims = found[0]
    if name == "true_divide":
        return _diag(S.true_divide(v, _on_diagonal(node.inputs[1])), dims, out)
    if name in _LINEAR_UNARY or (name or "").startswith("cast{"):
        return _diag(node.op(v), dims, out)
    if name in ("add", "sub") and all(h is not None for h in found):
        return _diag(node.op(*[h[0] for h in found]), dims, out)
    return _gather_diagonal_terms(node, found)


def _gather_diagonal_terms(node, found):
    """add(diag(v1), diag(v2), F) -> add(diag(v1 + v2), F): one diagonal to write."""
    if scalar_name(node.outputs[0]) != "add" or sum(h is not None for h in found) < 2:
        return None
    hits = [h for h in found if h is not None]
    total = _diag(S.add(*[h[0] for h in hits]), hits[0][1], node.outputs[0])
    rest = [v for v, h in zip(node.inputs, found) if h is None]
    new = S.add(total[0], *rest)
    return [new] if new.dtype == node.outputs[0].dtype else None


def reduce_of_diagonal(fgraph, node):
    """sum(diag(v), axis=0 or 1) = v; over both axes, sum(v)."""
    if not isinstance(node.op, Reduce) or node.op.kind != "sum":
        return None
    found = diagonal_of(node.inputs[0])
    if found is None:
        return None
    v, axes = found[0], node.op.axis
    if axes == (0, 1):
        total = Reduce("sum", (0,), False)(v)
        result = dimshuffle(total, ("x", "x")) if node.op.keepdims else total
    else:
        result = dimshuffle(v, (("x", 0) if axes == (0,) else (0, "x"))) if node.op.keepdims else v
    out = node.outputs[0]
    return [result] if result.dtype == out.dtype and result.ndim == out.ndim else None


def transpose_of_diagonal(fgraph, node):
    """diag(v)^T = diag(v); diagonal(diag(v)) = v; and a transpose moves into an
    elementwise op over diagonals and broadcast vectors, where it costs nothing (forward
    mode's Jacobian is the transpose of its batched columns)."""
    if isinstance(node.op, DimShuffle) and node.op.pattern == (1, 0):
        x = node.inputs[0]
        if diagonal_of(x) is not None:
            return [x]
        return _transpose_into_elemwise(fgraph, x)
    if isinstance(node.op, Diagonal) and (node.op.offset, node.op.axis1, node.op.axis2) == (0, 0, 1):
        found = diagonal_of(node.inputs[0])
        return None if found is None or found[0].dtype != node.outputs[0].dtype else [found[0]]
    return None


def _transpose_into_elemwise(fgraph, x):
    node = x.owner
    if (node is None or not isinstance(node.op, Elemwise) or len(node.outputs) != 1
            or len(fgraph.clients.get(x, ())) != 1):
        return None
    found = [diagonal_of(v) for v in node.inputs]
    if all(h is None for h in found) or not all(h is not None or 1 in v.type.shape
                                                for v, h in zip(node.inputs, found)):
        return None
    flipped = [v if h is not None else dimshuffle(v, (1, 0)) for v, h in zip(node.inputs, found)]
    return [node.op(*flipped)]


def dot_with_diagonal(fgraph, node):
    """dot(diag(v), B) = v[:, None] * B and dot(A, diag(v)) = A * v: scaling rows or
    columns instead of a matrix product."""
    if not isinstance(node.op, Dot) or (node.op.nbatch, node.op.ncontract) != (0, 1):
        return None
    a, b = node.inputs
    out = node.outputs[0]
    left, right = diagonal_of(a), diagonal_of(b)
    if left is not None and b.ndim >= 1:
        new = S.mul(dimshuffle(left[0], [0] + ["x"] * (b.ndim - 1)), b)
    elif right is not None and a.ndim >= 1:
        new = S.mul(a, dimshuffle(right[0], ["x"] * (a.ndim - 1) + [0]))
    else:
        return None
    return [new] if new.dtype == out.dtype and new.ndim == out.ndim else None


def outer_as_product(fgraph, node):
    """A ``Dot`` that contracts nothing (``outer``) is a broadcast product: one pass
    over the output, where a matrix product with inner size 1 is slower (the L-op of
    ``dot(x, W)`` with respect to ``W`` is such an outer product)."""
    if not isinstance(node.op, Dot) or (node.op.nbatch, node.op.ncontract) != (0, 0):
        return None
    a, b = node.inputs
    new = S.mul(dimshuffle(a, list(range(a.ndim)) + ["x"] * b.ndim),
                dimshuffle(b, ["x"] * a.ndim + list(range(b.ndim))))
    return [new] if new.dtype == node.outputs[0].dtype else None


REWRITES = [elemwise_of_diagonal, reduce_of_diagonal, transpose_of_diagonal, dot_with_diagonal,
            outer_as_product]
