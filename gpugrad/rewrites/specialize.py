"""Specialize: cheaper forms of the same arithmetic for execution (small integer powers
as products, sums of products in Horner form: see algebra.py)."""
from ..ops import scalar as S
from ..types import dtypes
from .algebra import collect_polynomial
from .canonicalize import pow_of_constant
from .utils import is_op, scalar_name


def sigmoid_derivative(fgraph, node):
    """sigmoid(x) * sigmoid(-x), the logistic's derivative, -> 0.5 / (1 + cosh(x)):
    three passes instead of two sigmoids and a product, and exact in relative terms
    wherever the result is a normal number (the textbook s * (1 - s) loses everything
    past |x| ~ 37; where cosh overflows the result is 0, below the smallest normal)."""
    if scalar_name(node.outputs[0]) != "mul" or dtypes.is_complex(node.outputs[0].dtype):
        return None
    factors = list(node.inputs)
    for a in factors:
        if not is_op(a, "sigmoid"):
            continue
        x = a.owner.inputs[0]
        for b in factors:
            if is_op(b, "sigmoid") and is_op(b.owner.inputs[0], "neg") and b.owner.inputs[0].owner.inputs[0] is x:
                derivative = S.true_divide(0.5, S.add(S.cosh(x), 1))
                rest = [f for f in factors if f is not a and f is not b]
                new = S.mul(*rest, derivative) if rest else derivative
                return [new] if new.dtype == node.outputs[0].dtype and new.ndim == node.outputs[0].ndim else None
    return None


REWRITES = [pow_of_constant, sigmoid_derivative, collect_polynomial]
