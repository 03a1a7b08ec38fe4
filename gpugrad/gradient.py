"""Theano's ``gradient`` module: differentiation entry points and ``verify_grad``."""
from .autodiff.grad import Lop, Rop, grad, pullback, pushforward, subgraph_grad
from .autodiff.jacobian import hessian, hessian_vector_product, jacobian, jacobian_diag
from .autodiff.verify import verify_grad
from .errors import DisconnectedInputError, GradientError, NullTypeGradError
from .ops.gradient_ops import disconnected_grad, grad_clip, grad_scale, undefined_grad, zero_grad

__all__ = ["grad", "Lop", "Rop", "pushforward", "pullback", "subgraph_grad", "jacobian", "hessian",
           "hessian_vector_product", "jacobian_diag",
           "verify_grad", "GradientError", "DisconnectedInputError", "NullTypeGradError",
           "disconnected_grad", "zero_grad", "grad_clip", "grad_scale", "undefined_grad"]
