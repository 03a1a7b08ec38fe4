"""Theano's ``tensor.xlogx`` module: ``x * log(x)`` and ``x * log(y)``, 0 where ``x`` is 0.

Both are compositions of elementwise ops (so they run fused on a device and have
gradients, R-ops and batching rules through them). Only where ``x`` is 0 and the logarithm
would meet 0 is its argument replaced, by 1, so neither the value nor a derivative meets
0 * inf: the gradient of ``xlogx`` at 0 is 0 (Theano's is -inf)."""
from ..ops.nnet import _xlogy
from ..types.variable import as_tensor_variable


def xlogy0(x, y):
    """``x * log(y)``, and 0 where ``x`` and ``y`` are both 0 (the crossentropies' term)."""
    return _xlogy(as_tensor_variable(x), as_tensor_variable(y))


def xlogx(x):
    """``x * log(x)``, and 0 at ``x = 0`` (the limit)."""
    return xlogy0(x, x)


__all__ = ["xlogx", "xlogy0"]
