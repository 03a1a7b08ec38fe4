"""Neural-network ops (``T.nnet``): sigmoid, softplus and relu, softmax and log_softmax
as ops with a stable ``perform``, and the cross-entropies.

The cross-entropies never evaluate ``0 * log(0)`` (as scipy's ``xlogy``): where a
target weight is exactly 0 and the probability sits at the log's pole, the term is 0
with a zero gradient, so loss and gradient stay finite wherever the prediction agrees
with the target (output 0 for target 0, output 1 for target 1), and the loss is
``inf`` only where they disagree.
"""
import numpy as np

from ..errors import InputError, ShapeError
from ..graph.basic import Apply, Variable
from ..graph.op import Op
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable, constant
from . import reduce as R
from . import scalar as S
from .join import arange
from .scalar import sigmoid, softplus
from .shape import alloc, dimshuffle, shape_i
from .subtensor import IncSubtensor, subtensor


def relu(x, alpha=0):
    """max(x, 0), or ``alpha * x`` below 0 (leaky); the gradient at 0 is ``alpha`` (0
    for the plain relu, a valid subgradient as in JAX and PyTorch)."""
    x = as_tensor_variable(x)
    plain = not isinstance(alpha, Variable) and np.ndim(alpha) == 0 and alpha == 0
    return S.switch(S.gt(x, 0), x, 0 if plain else alpha * x)


def elu(x, alpha=1):
    """x above 0, ``alpha * (exp(x) - 1)`` below (Clevert et al.); the exponential is taken
    of min(x, 0) only, so a large x never makes an inf (or a NaN gradient)."""
    x = as_tensor_variable(x)
    positive = S.gt(x, 0)
    return S.switch(positive, x, alpha * S.expm1(S.switch(positive, 0, x)))


def selu(x):
    """Scaled elu with the self-normalizing constants of Klambauer et al. (Theano's values)."""
    return 1.0507009873554804934193349852946 * elu(x, 1.6732632423543772848170429916717)


def softsign(x):
    """x / (1 + |x|)."""
    x = as_tensor_variable(x)
    return x / (1 + S.abs(x))


def hard_sigmoid(x):
    """Theano's piecewise-linear sigmoid, clip(0.2 * x + 0.5, 0, 1)."""
    x = as_tensor_variable(x)
    return S.clip(x * 0.2 + 0.5, 0, 1)


class _SoftmaxBase(Op):
    """Shared make_node and infer_shape of the normalized exponentials over ``axis``
    (a tuple of axes, normalized)."""
    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = tuple(axis)

    def __str__(self):
        return f"{type(self).__name__}{{axis={list(self.axis)}}}"

    def make_node(self, x):
        x = as_tensor_variable(x)
        if not dtypes.is_float(x.dtype):
            raise InputError(f"{type(self).__name__.lower()}: expected a real floating-point input, "
                             f"got {x} of dtype {x.dtype}")
        return Apply(self, [x], [TensorVariable(TensorType(x.dtype, x.type.shape))])

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def batch(self, inputs, batched):
        return [type(self)(tuple(a + 1 for a in self.axis))(inputs[0])]

    def _shifted(self, x):
        """x minus its max over ``axis`` (0 where the max is not finite), so exp never overflows."""
        m = np.max(x, axis=self.axis, keepdims=True) if x.size else np.zeros((1,) * x.ndim, x.dtype)
        return x - np.where(np.isfinite(m), m, 0)


class Softmax(_SoftmaxBase):
    """exp(x) / sum(exp(x)) over ``axis``. Its Jacobian diag(s) - s s^T is symmetric, so
    both modes apply  v -> s * (v - sum(v * s))."""
    fresh_outputs = True

    def perform(self, node, inputs):
        with np.errstate(all="ignore"):
            e = np.exp(self._shifted(inputs[0]))
            return [np.asarray(e / np.sum(e, axis=self.axis, keepdims=True), dtype=node.outputs[0].dtype)]

    def _apply_jacobian(self, s, v):
        return s * (v - R.sum(v * s, self.axis, keepdims=True))

    def pullback(self, inputs, outputs, output_grads):
        return [self._apply_jacobian(outputs[0], output_grads[0])]

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self._apply_jacobian(outputs[0], tangents[0])]


class LogSoftmax(_SoftmaxBase):
    """x - logsumexp(x) over ``axis``, with Jacobian I - 1 softmax^T:
    pullback g - softmax * sum(g), pushforward t - sum(softmax * t)."""
    fresh_outputs = True

    def perform(self, node, inputs):
        with np.errstate(all="ignore"):
            shifted = self._shifted(inputs[0])
            out = shifted - np.log(np.sum(np.exp(shifted), axis=self.axis, keepdims=True))
        return [np.asarray(out, dtype=node.outputs[0].dtype)]

    def pullback(self, inputs, outputs, output_grads):
        (y,), (g,) = outputs, output_grads
        return [g - S.exp(y) * R.sum(g, self.axis, keepdims=True)]

    def pushforward(self, inputs, outputs, tangents):
        (y,), (t,) = outputs, tangents
        return [None if t is None else t - R.sum(S.exp(y) * t, self.axis, keepdims=True)]


def _normalized(op_class, what):
    def apply(x, axis=-1):
        x = as_tensor_variable(x)
        if dtypes.is_discrete(x.dtype):
            x = S.cast(x, dtypes.apply_dtype(np.exp, ((x.dtype, False),))[0])
        return op_class(R.normalize_axis(axis, x.ndim, what))(x)
    apply.__name__ = what
    apply.__doc__ = f"{op_class.__doc__.splitlines()[0]} (integer inputs are cast as NumPy's exp casts them)."
    return apply


softmax = _normalized(Softmax, "softmax")
log_softmax = _normalized(LogSoftmax, "log_softmax")


class PickClass(Op):
    """``x[i, idx[i]]`` for each row i: the probability each row gives its true class."""

    def make_node(self, x, idx):
        x, idx = _check_indexed(x, idx, "categorical_crossentropy")
        return Apply(self, [x, idx], [TensorVariable(TensorType(x.dtype, x.type.shape[:1]))])

    def perform(self, node, inputs):
        x, idx = inputs
        _check_indices(x.shape, idx)
        return [np.asarray(x[np.arange(x.shape[0]), idx], dtype=node.outputs[0].dtype)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0][:1]]

    def pullback(self, inputs, outputs, output_grads):
        x, idx = inputs
        return [PlaceClass()(output_grads[0], idx, x), None]

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0], inputs[1])]

    def batch(self, inputs, batched):
        """As indexing, ``x[b, i, idx[b, i]]``: one gather however the inputs are batched."""
        x, idx = inputs
        size = shape_i(x if batched[0] else idx, 0)
        return [subtensor(x, _class_index(shape_i(x, batched[0]), idx, size if batched[0] else None))]


class PlaceClass(Op):
    """The transpose of PickClass: zeros shaped like ``like`` with ``v[i]`` at ``[i, idx[i]]``."""

    def make_node(self, v, idx, like):
        v, like = as_tensor_variable(v), as_tensor_variable(like)
        like, idx = _check_indexed(like, idx, "categorical_crossentropy gradient")
        return Apply(self, [v, idx, like], [TensorVariable(TensorType(v.dtype, like.type.shape))])

    def perform(self, node, inputs):
        v, idx, like = inputs
        _check_indices(like.shape, idx)
        out = np.zeros(like.shape, dtype=node.outputs[0].dtype)
        out[np.arange(like.shape[0]), idx] = v
        return [out]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[2]]

    def pullback(self, inputs, outputs, output_grads):
        return [PickClass()(output_grads[0], inputs[1]), None, None]

    def pushforward(self, inputs, outputs, tangents):
        t = tangents[0]
        return [None if t is None else self(t, inputs[1], inputs[2])]

    def batch(self, inputs, batched):
        """As indexing: zeros of the batched shape with ``v`` set at ``[b, i, idx[b, i]]``."""
        v, idx, like = inputs
        size = shape_i(inputs[batched.index(True)], 0)
        rows, classes = shape_i(like, batched[2]), shape_i(like, batched[2] + 1)
        zeros = alloc(constant(0, dtype=v.dtype), size, rows, classes)
        return [IncSubtensor(("a",) * 3, True)(zeros, v, *_class_index(rows, idx, size))]


def _class_index(rows, idx, size):
    """The integer index ``[i, idx[..., i]]``, with ``b`` in front (``[b, i, idx[b, i]]``)
    for a batch of ``size`` matrices; an unbatched ``idx`` broadcasts over the batch."""
    index = (arange(rows), idx)
    return index if size is None else (dimshuffle(arange(size), (0, "x")),) + index


def _check_indexed(x, idx, what):
    x, idx = as_tensor_variable(x), as_tensor_variable(idx)
    if x.ndim != 2 or idx.ndim != 1 or not dtypes.is_discrete(idx.dtype) or idx.dtype == "bool":
        raise InputError(f"{what}: expects a matrix of class probabilities and an integer vector of "
                         f"class indices, got {x} ({x.type}) and {idx} ({idx.type})")
    rows = {x.type.shape[0], idx.type.shape[0]} - {None}
    if len(rows) > 1:
        raise ShapeError(f"{what}: {x} has {x.type.shape[0]} rows but {idx} has {idx.type.shape[0]} indices")
    return x, idx


def _check_indices(shape, idx):
    if idx.shape[0] != shape[0]:
        raise ShapeError(f"categorical_crossentropy: {shape[0]} rows of probabilities but {idx.shape[0]} "
                         f"class indices")
    if idx.size and (idx.min() < 0 or idx.max() >= shape[1]):
        raise InputError(f"categorical_crossentropy: class index {idx.min() if idx.min() < 0 else idx.max()} "
                         f"is out of range for {shape[1]} classes")


def _xlogy(w, p):
    """w * log(p), and 0 where w = 0 and p = 0 (scipy's xlogy). Only there is ``p``
    replaced, by a harmless 1, so neither the value nor a gradient meets 0 * inf."""
    return w * S.log(S.switch(S.eq(w, 0) & S.eq(p, 0), 1, p))


def _xlog1py(w, p):
    """w * log1p(p), and 0 where w = 0 and p = -1 (scipy's xlog1py), as ``_xlogy``."""
    return w * S.log1p(S.switch(S.eq(w, 0) & S.eq(p, -1), 0, p))


def categorical_crossentropy(coding_dist, true_dist):
    """-sum(true_dist * log(coding_dist)) over the last axis, one value per row.

    ``true_dist`` is either a distribution (one-hot or soft) shaped like ``coding_dist``,
    or an integer vector of class indices (then it is -log(coding_dist[i, true_dist[i]])).
    When ``coding_dist`` is a softmax over the last axis, its log is taken as
    log_softmax of the logits, so a class whose probability underflows to 0 still
    gives a finite loss and gradient."""
    coding_dist, true_dist = as_tensor_variable(coding_dist), as_tensor_variable(true_dist)
    log_p = _log_of_softmax(coding_dist)
    if dtypes.is_discrete(true_dist.dtype) and true_dist.ndim == coding_dist.ndim - 1:
        return -(PickClass()(log_p, true_dist) if log_p is not None else S.log(PickClass()(coding_dist, true_dist)))
    if true_dist.ndim != coding_dist.ndim:
        raise InputError(f"categorical_crossentropy: true_dist {true_dist} ({true_dist.type}) must have the "
                         f"shape of coding_dist {coding_dist} ({coding_dist.type}) or be a vector of class indices")
    terms = true_dist * log_p if log_p is not None else _xlogy(true_dist, coding_dist)
    return -R.sum(terms, axis=-1)


def _log_of_softmax(p):
    """log(p) as log_softmax(x) when ``p`` is softmax(x) over the last axis, else None."""
    node = p.owner
    if node is not None and isinstance(node.op, Softmax) and node.op.axis == (p.ndim - 1,):
        return log_softmax(node.inputs[0], axis=node.op.axis)
    return None


def binary_crossentropy(output, target):
    """-(target * log(output) + (1 - target) * log(1 - output)), elementwise.

    Finite, with a finite gradient, at output 0 for target 0 and output 1 for target 1;
    ``inf`` only where the output contradicts the target."""
    output, target = as_tensor_variable(output), as_tensor_variable(target)
    return -(_xlogy(target, output) + _xlog1py(1 - target, -output))


def sigmoid_binary_crossentropy(logits, target):
    """binary_crossentropy(sigmoid(logits), target) computed from the logits as
    softplus(logits) - target * logits: exact for any logits, no saturation."""
    logits = as_tensor_variable(logits)
    return softplus(logits) - target * logits


__all__ = ["sigmoid", "softplus", "relu", "elu", "selu", "softsign", "hard_sigmoid", "softmax", "log_softmax",
           "Softmax", "LogSoftmax", "categorical_crossentropy", "binary_crossentropy", "sigmoid_binary_crossentropy"]
