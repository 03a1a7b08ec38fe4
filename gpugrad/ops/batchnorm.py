"""Batch normalization (Theano's ``T.nnet.bn``), composed of elementwise ops and reductions:
its gradients, R-ops, batching rules and device kernels are theirs (the elementwise parts
fuse into one kernel on a device).

    mean   = inputs.mean(axes)              var = inputs.var(axes)
    invstd = 1 / sqrt(var + epsilon)
    out    = (inputs - mean) * gamma * invstd + beta

``axes``: 'per-activation' (``(0,)``), 'spatial' (``(0, 2, 3, ...)``) or a tuple of ints.
The parameters either leave the normalized axes out (``gamma.ndim == inputs.ndim -
len(axes)``, the returned mean and invstd then too) or keep them with size 1.
"""
from ..errors import InputError, ShapeError
from ..types.variable import as_tensor_variable
from . import scalar as S
from .reduce import mean as mean_, var as var_
from .shape import dimshuffle, reshape, shape_i


def batch_normalization(inputs, gamma, beta, mean, std, mode="low_mem"):
    """``(inputs - mean) * (gamma / std) + beta``, all broadcast against ``inputs``. Both of
    Theano's ``mode`` values give the same graph (fusion keeps the intermediates out of memory)."""
    if mode not in ("low_mem", "high_mem"):
        raise InputError(f"batch_normalization: mode must be 'low_mem' or 'high_mem', got {mode!r}")
    inputs = as_tensor_variable(inputs)
    return (inputs - mean) * (gamma / std) + beta


def _axes(axes, ndim, what):
    if axes == "per-activation":
        axes = (0,)
    elif axes == "spatial":
        axes = (0,) + tuple(range(2, ndim))
    elif not isinstance(axes, (tuple, list)) or not all(isinstance(a, int) for a in axes):
        raise InputError(f"{what}: axes must be 'per-activation', 'spatial' or a tuple of ints, got {axes!r}")
    axes = tuple(sorted(set(axes)))
    if not axes or axes[0] < 0 or axes[-1] >= ndim:
        raise ShapeError(f"{what}: axes {axes} must be at least one axis of the {ndim}-d inputs")
    return axes


class _Layout:
    """How the parameters sit against the inputs: without the normalized axes (expanded with
    new broadcastable axes) or with them (their size-1 axes made broadcastable)."""

    def __init__(self, inputs, axes, first, what):
        self.axes, self.ndim, self.what = axes, inputs.ndim, what
        self.kept = tuple(a for a in range(inputs.ndim) if a not in axes)
        self.full = first.ndim == inputs.ndim
        if not self.full and first.ndim != len(self.kept):
            raise ShapeError(f"{what}: {first} has {first.ndim} dimensions; the parameters need "
                             f"{len(self.kept)} (the inputs' axes {self.kept}) or {inputs.ndim}")

    def expand(self, param, name):
        param = as_tensor_variable(param)
        if param.ndim != (self.ndim if self.full else len(self.kept)):
            raise ShapeError(f"{self.what}: {name} {param} ({param.type}) must have as many dimensions as gamma")
        if not self.full:
            source = iter(range(param.ndim))
            return dimshuffle(param, ["x" if a in self.axes else next(source) for a in range(self.ndim)])
        return reshape(param, [1 if a in self.axes else shape_i(param, a) for a in range(self.ndim)])

    def shrink(self, value):
        """A statistic (keepdims shape) in the parameters' layout."""
        return value if self.full else dimshuffle(value, self.kept)


def batch_normalization_train(inputs, gamma, beta, axes="per-activation", epsilon=1e-4,
                              running_average_factor=0.1, running_mean=None, running_var=None):
    """``(out, mean, invstd)`` normalized with the batch's own statistics (module docstring),
    and with ``running_mean`` and ``running_var`` given also their new values
    ``running * (1 - factor) + batch * factor``, the variance unbiased by ``m / (m - 1)``
    (``m`` the number of values each statistic is taken over)."""
    what = "batch_normalization_train"
    inputs = as_tensor_variable(inputs)
    axes = _axes(axes, inputs.ndim, what)
    gamma = as_tensor_variable(gamma)
    layout = _Layout(inputs, axes, gamma, what)
    if (running_mean is None) != (running_var is None):
        raise InputError(f"{what}: running_mean and running_var must both be given or both be None")
    mean = mean_(inputs, axes, keepdims=True)
    var = var_(inputs, axes, keepdims=True)
    invstd = 1.0 / S.sqrt(var + epsilon)
    out = (inputs - mean) * layout.expand(gamma, "gamma") * invstd + layout.expand(beta, "beta")
    results = [out, layout.shrink(mean), layout.shrink(invstd)]
    if running_mean is not None:
        m = S.cast(_count(inputs, axes), var.dtype)
        factor = running_average_factor
        new_mean = layout.expand(running_mean, "running_mean") * (1.0 - factor) + mean * factor
        new_var = layout.expand(running_var, "running_var") * (1.0 - factor) + (m / (m - 1)) * var * factor
        results += [layout.shrink(new_mean), layout.shrink(new_var)]
    return tuple(results)


def _count(x, axes):
    total = shape_i(x, axes[0])
    for a in axes[1:]:
        total = total * shape_i(x, a)
    return total


def batch_normalization_test(inputs, gamma, beta, mean, var, axes="per-activation", epsilon=1e-4):
    """``(inputs - mean) * gamma / sqrt(var + epsilon) + beta`` with given statistics (the
    running averages of training), laid out as ``gamma``."""
    what = "batch_normalization_test"
    inputs = as_tensor_variable(inputs)
    axes = _axes(axes, inputs.ndim, what)
    gamma = as_tensor_variable(gamma)
    layout = _Layout(inputs, axes, gamma, what)
    mean, var = layout.expand(mean, "mean"), layout.expand(var, "var")
    return (inputs - mean) * layout.expand(gamma, "gamma") / S.sqrt(var + epsilon) + layout.expand(beta, "beta")


__all__ = ["batch_normalization", "batch_normalization_train", "batch_normalization_test"]
