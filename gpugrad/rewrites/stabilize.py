"""Stabilize: replace formulas that lose precision or overflow by their stable forms.

    log(1 + x) -> log1p(x)          exp(x) - 1 -> expm1(x)
    a / (1 + exp(u)) -> a * sigmoid(-u) e * a / (1 + e) with e = exp(u) -> a * sigmoid(u)
    log(sigmoid(x)) -> -softplus(-x) log(1 - sigmoid(x)) -> -softplus(x)
    log(1 + exp(x)) -> softplus(x)   log(softmax(x)) -> log_softmax(x)
"""
from ..ops import scalar as S
from ..ops.nnet import Softmax, log_softmax
from .utils import is_constant_equal, is_op


def _other_than_one(add_var):
    """For add(1, v) or add(v, 1): v; else None."""
    if not is_op(add_var, "add") or len(add_var.owner.inputs) != 2:
        return None
    a, b = add_var.owner.inputs
    if is_constant_equal(a, 1):
        return b
    if is_constant_equal(b, 1):
        return a
    return None


def _keep_type(new, old):
    return [new] if new.dtype == old.dtype and new.ndim == old.ndim else None


def log1p_expm1_softplus(fgraph, node):
    out = node.outputs[0]
    if is_op(out, "log"):
        arg = node.inputs[0]
        v = _other_than_one(arg)
        if v is not None:
            return _keep_type(S.softplus(v.owner.inputs[0]) if is_op(v, "exp") else S.log1p(v), out)
        if is_op(arg, "sigmoid"):
            return _keep_type(S.neg(S.softplus(S.neg(arg.owner.inputs[0]))), out)
        if is_op(arg, "sub") and is_constant_equal(arg.owner.inputs[0], 1) and is_op(arg.owner.inputs[1], "sigmoid"):
            return _keep_type(S.neg(S.softplus(arg.owner.inputs[1].owner.inputs[0])), out)
        if arg.owner is not None and isinstance(arg.owner.op, Softmax):
            return _keep_type(log_softmax(arg.owner.inputs[0], axis=arg.owner.op.axis), out)
    if is_op(out, "sub") and is_op(node.inputs[0], "exp") and is_constant_equal(node.inputs[1], 1):
        return _keep_type(S.expm1(node.inputs[0].owner.inputs[0]), out)
    return None


def logistic(fgraph, node):
    """a / (1 + exp(u)) -> a * sigmoid(-u), and when a has the factor exp(u) itself,
    the other factors times sigmoid(u): so 1 / (1 + exp(-x)) is sigmoid(x) and its
    gradient becomes sigmoid(x) * sigmoid(-x), stable and with two passes."""
    out = node.outputs[0]
    if not is_op(out, "true_divide"):
        return None
    num, den = node.inputs
    e = _other_than_one(den)
    if e is None or not is_op(e, "exp"):
        return None
    u = e.owner.inputs[0]
    if num is e:
        return _keep_type(S.sigmoid(u), out)
    if is_op(num, "mul") and e in num.owner.inputs:
        factors = list(num.owner.inputs)
        factors.remove(e)
        return _keep_type(S.mul(*factors, S.sigmoid(u)), out)
    return _keep_type(S.mul(num, S.sigmoid(S.neg(u))), out)


def sigmoid_of_neg(fgraph, node):
    """sigmoid(-(-x)) and friends: sigmoid(neg(neg x)) -> sigmoid(x)."""
    if is_op(node.outputs[0], "neg") and is_op(node.inputs[0], "neg"):
        return [node.inputs[0].owner.inputs[0]]
    return None


REWRITES = [log1p_expm1_softplus, logistic, sigmoid_of_neg]
