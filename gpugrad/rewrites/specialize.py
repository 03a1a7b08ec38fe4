"""Specialize: cheaper forms of the same arithmetic for execution."""
from ..ops import scalar as S
from ..types import dtypes
from .canonicalize import pow_of_constant
from .utils import is_op, scalar_name


def sigmoid_derivative(fgraph, node):
    """sigmoid(x) * sigmoid(-x), the logistic's derivative, -> e / (1 + e)**2 with
    e = exp(-|x|): one exp instead of two sigmoids, and exact in relative terms for
    every x (the textbook s * (1 - s) loses everything past |x| ~ 37)."""
    if scalar_name(node.outputs[0]) != "mul" or dtypes.is_complex(node.outputs[0].dtype):
        return None
    factors = list(node.inputs)
    for a in factors:
        if not is_op(a, "sigmoid"):
            continue
        x = a.owner.inputs[0]
        for b in factors:
            if is_op(b, "sigmoid") and is_op(b.owner.inputs[0], "neg") and b.owner.inputs[0].owner.inputs[0] is x:
                e = S.exp(S.neg(S.abs(x)))
                rest = [f for f in factors if f is not a and f is not b]
                new = S.mul(*rest, S.true_divide(e, S.sqr(1 + e))) if rest else S.true_divide(e, S.sqr(1 + e))
                return [new] if new.dtype == node.outputs[0].dtype and new.ndim == node.outputs[0].ndim else None
    return None


REWRITES = [pow_of_constant, sigmoid_derivative]
