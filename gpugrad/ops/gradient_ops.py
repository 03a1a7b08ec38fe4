"""Identity ops that only change gradients: stop (disconnected_grad, zero_grad), clip,
scale, and undefined_grad. Compilation removes them; they exist for ``grad``. And
``NullGradient``, the gradient a user's op declares undefined (Theano's ``grad_undefined``)."""
from ..errors import NullTypeGradError
from ..graph.basic import Apply
from ..graph.op import Op
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable
from .scalar import clip
from .shape import zeros_like


class GradientOp(Op):
    """Forward: the identity. Subclasses say what happens to the gradient."""

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorVariable(x.type)])

    def perform(self, node, inputs):
        return [inputs[0]]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self.pullback(inputs, outputs, tangents)[0]]

    def batch(self, inputs, batched):
        return [self(inputs[0])]


class DisconnectedGrad(GradientOp):
    def pullback(self, inputs, outputs, output_grads):
        return [None]


class ZeroGrad(GradientOp):
    def pullback(self, inputs, outputs, output_grads):
        return [zeros_like(output_grads[0])]


class GradClip(GradientOp):
    __props__ = ("lower", "upper")

    def __init__(self, lower, upper):
        if lower > upper:
            raise ValueError(f"grad_clip: lower bound {lower} is above upper bound {upper}")
        self.lower, self.upper = lower, upper

    def pullback(self, inputs, outputs, output_grads):
        return [clip(output_grads[0], self.lower, self.upper)]


class GradScale(GradientOp):
    __props__ = ("factor",)

    def __init__(self, factor):
        self.factor = factor

    def pullback(self, inputs, outputs, output_grads):
        return [output_grads[0] * self.factor]


class UndefinedGrad(GradientOp):
    """Marks a value whose gradient does not exist; using that gradient raises."""

    def pullback(self, inputs, outputs, output_grads):
        raise NullTypeGradError(f"the gradient through undefined_grad({inputs[0]}) is undefined "
                                "and a requested gradient depends on it")

    def pushforward(self, inputs, outputs, tangents):
        if tangents[0] is None:
            return [None]
        raise NullTypeGradError(f"the R-op through undefined_grad({inputs[0]}) is undefined")


class NullGradient(Op):
    """A gradient that does not exist, with the reason (``gradient.grad_undefined`` and
    ``grad_not_implemented`` make it for an op's ``grad``): ``grad`` raises NullTypeGradError
    with ``message`` when a result depends on it, and so does computing it."""
    __props__ = ("message",)

    def __init__(self, message):
        self.message = message

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorVariable(TensorType(dtypes.grad_dtype(x.dtype), x.type.shape))])

    def perform(self, node, inputs):
        raise NullTypeGradError(self.message)

    def pullback(self, inputs, outputs, output_grads):
        raise NullTypeGradError(self.message)

    def pushforward(self, inputs, outputs, tangents):
        raise NullTypeGradError(self.message)

    def batch(self, inputs, batched):
        return [self(inputs[0])]


def disconnected_grad(x):
    """``x`` in the forward pass; no gradient flows back through it (disconnected)."""
    return DisconnectedGrad()(x)


def zero_grad(x):
    """``x`` in the forward pass; its gradient is zero (still connected)."""
    return ZeroGrad()(x)


def grad_clip(x, lower, upper):
    """``x`` in the forward pass; the gradient flowing back is clipped to [lower, upper]."""
    return GradClip(lower, upper)(x)


def grad_scale(x, factor):
    """``x`` in the forward pass; the gradient flowing back is multiplied by ``factor``."""
    return GradScale(factor)(x)


def undefined_grad(x):
    """``x`` in the forward pass; any gradient that needs to flow back through it raises."""
    return UndefinedGrad()(x)
