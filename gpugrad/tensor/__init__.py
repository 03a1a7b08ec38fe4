"""``gpugrad.tensor`` (imported as ``T``): constructors and every tensor operation."""
import sys

from ..autodiff.grad import Lop, Rop, grad
from ..autodiff.jacobian import hessian, hessian_vector_product, jacobian, jacobian_diag
from ..ops.blas import *  # noqa: F401,F403
from ..ops.gradient_ops import disconnected_grad, grad_clip, grad_scale, undefined_grad, zero_grad
from ..ops.join import *  # noqa: F401,F403
from ..ops.reduce import all, any, argmax, argmin, logsumexp, max, mean, min, prod, std, sum, var
from ..ops.scalar import *  # noqa: F401,F403
from ..ops.scalar import switch
from ..ops.shape import (alloc, dimshuffle, expand_dims, fill, flatten, ones, ones_like, reshape,
                         shape, squeeze, transpose, zeros, zeros_like)
from ..ops.specify import specify_shape
from ..ops.subtensor import *  # noqa: F401,F403
from ..types.constructors import CONSTRUCTORS, tensor
from ..types.variable import HOOKS, TensorConstant, TensorVariable, as_tensor_variable, constant
from . import nnet, signal
from . import nlinalg, shared_randomstreams, slinalg, xlogx

globals().update(CONSTRUCTORS)
HOOKS.tensor = sys.modules[__name__]  # what variables' operators and methods call
where = switch


def join(axis, *tensors):
    """Theano's ``join(axis, *tensors)``: ``concatenate(tensors, axis)``."""
    return concatenate(tensors, axis)
