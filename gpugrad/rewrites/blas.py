"""BLAS forms for the host: a matrix plus a scaled product, ``c + alpha * dot(a, b)``
(``c - lr * dot(X.T, g)``, an SGD update), becomes one ``gemm`` (ops/gemm.py), which adds
the product into a copy of ``c`` (or into ``c`` itself, rewrites/memory.py) while each tile
is in cache, where ``Dot`` wrote it out for an elementwise kernel to read back.

It runs after placement, on host nodes only (a device keeps ``Dot`` and its fused kernel),
and before fusion, which would otherwise take the addition into an elementwise region.
Only a product nothing else reads is taken (else it would be computed twice), of matrices
of one float or complex dtype; ``alpha`` is the product of the term's scalar factors.
"""
import numpy as np

from ..ops import scalar as S
from ..ops.blas import Dot
from ..ops.gemm import DTYPES, gemm
from ..ops.shape import dimshuffle
from ..types.variable import constant
from .utils import constant_value, read_once, scalar_name


def _on_host(var):
    return var.owner.tag.get("device", "cpu") == "cpu"


def _scalar(var):
    """``var`` as a 0-d value if every axis of it is a broadcast one (None otherwise)."""
    if any(size != 1 for size in var.type.shape):
        return None
    return dimshuffle(var, []) if var.ndim else var


def _scaled_product(fgraph, term, dtype):
    """``(factors, sign, a, b)`` where ``term`` is ``sign * prod(factors) * dot(a, b)`` of
    matrices, the product and every node on the way read only there; None otherwise."""
    factors, sign = [], 1
    while scalar_name(term) == "neg" and read_once(fgraph, term) and _on_host(term):
        sign, term = -sign, term.owner.inputs[0]
    if scalar_name(term) == "mul" and read_once(fgraph, term) and _on_host(term):
        products = [v for v in term.owner.inputs if v.owner is not None and isinstance(v.owner.op, Dot)]
        if len(products) != 1:
            return None
        factors = [_scalar(v) for v in term.owner.inputs if v is not products[0]]
        if term.dtype != dtype or any(f is None or (f.dtype != dtype and constant_value(f) is None) for f in factors):
            return None  # a symbolic factor of another dtype would need a cast; a constant is folded
        term = products[0]
    node = term.owner
    if (node is None or not isinstance(node.op, Dot) or (node.op.nbatch, node.op.ncontract) != (0, 1)
            or not read_once(fgraph, term) or not _on_host(term)):
        return None
    a, b = node.inputs
    if not (a.ndim == b.ndim == 2 and a.dtype == b.dtype == term.dtype == dtype):
        return None
    return factors, sign, a, b


def _alpha(factors, sign, dtype):
    """``sign * prod(factors)`` as a 0-d value of ``dtype``: a constant when they all are."""
    values = [constant_value(f) for f in factors]
    if all(v is not None for v in values):
        return constant(np.asarray(sign * np.prod([np.asarray(v).reshape(()) for v in values], dtype=dtype)))
    alpha = S.mul(*factors) if len(factors) > 1 else factors[0]
    return S.neg(alpha) if sign < 0 else alpha


def product_into_matrix(fgraph, node):
    """``c + alpha * dot(a, b)``, ``c - alpha * dot(a, b)`` (either order for ``+``) -> gemm."""
    out = node.outputs[0]
    name = scalar_name(out)
    if name not in ("add", "sub") or len(node.inputs) != 2 or out.ndim != 2 or out.dtype not in DTYPES \
            or not _on_host(out):
        return None
    for k in ((0, 1) if name == "add" else (1,)):
        found = _scaled_product(fgraph, node.inputs[k], out.dtype)
        c = node.inputs[1 - k]
        if found is None or c.dtype != out.dtype or c.ndim != 2 \
                or any(s == 1 and o != 1 for s, o in zip(c.type.shape, out.type.shape)):
            continue  # c broadcast along an axis: gemm adds into a matrix of the result's shape
        factors, sign, a, b = found
        new = gemm(c, _alpha(factors, -sign if name == "sub" else sign, out.dtype), a, b)
        new.owner.tag["device"] = "cpu"
        return [new]
    return None


REWRITES = [product_into_matrix]
