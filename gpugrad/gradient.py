"""Theano's ``gradient`` module: differentiation entry points and ``verify_grad``, and what
an op's ``grad`` returns for an input without a gradient: ``DisconnectedType()()`` (the
output does not depend on it), ``grad_undefined`` and ``grad_not_implemented``."""
from .autodiff.grad import Lop, Rop, grad, pullback, pushforward, subgraph_grad
from .autodiff.jacobian import hessian, hessian_vector_product, jacobian, jacobian_diag
from .errors import DisconnectedInputError, GradientError, NullTypeGradError
from .ops.gradient_ops import NullGradient, disconnected_grad, grad_clip, grad_scale, undefined_grad, zero_grad
from .testing import verify_grad

__all__ = ["grad", "Lop", "Rop", "pushforward", "pullback", "subgraph_grad", "jacobian", "hessian",
           "hessian_vector_product", "jacobian_diag",
           "verify_grad", "GradientError", "DisconnectedInputError", "NullTypeGradError",
           "disconnected_grad", "zero_grad", "grad_clip", "grad_scale", "undefined_grad",
           "DisconnectedType", "grad_undefined", "grad_not_implemented"]


class DisconnectedType:
    """Theano's type of "no dependence": ``DisconnectedType()()`` in the list an op's ``grad``
    returns is gpugrad's ``None`` there (no gradient flows into that input)."""

    def __call__(self, name=None):
        return None


def grad_undefined(op, x_pos, x, comment=""):
    """The gradient of ``op`` with respect to its input ``x_pos`` (``x``) does not exist: ``grad``
    raises NullTypeGradError, naming them, if a result needs it."""
    return NullGradient(f"the gradient of {op} with respect to input {x_pos} ({x}) is undefined"
                        + (f": {comment}" if comment else ""))(x)


def grad_not_implemented(op, x_pos, x, comment=""):
    """As ``grad_undefined``, for a gradient that exists but ``op`` does not implement."""
    return NullGradient(f"the gradient of {op} with respect to input {x_pos} ({x}) is not implemented"
                        + (f": {comment}" if comment else ""))(x)
