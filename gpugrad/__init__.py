"""gpugrad: symbolic differentiation of array programs, compiled for the CPU or a GPU.

    import gpugrad as theano
    import gpugrad.tensor as T
"""
from . import tensor
from .autodiff.grad import Lop, Rop, grad, pullback, pushforward
from .autodiff.jacobian import hessian, hessian_vector_product, jacobian, jacobian_diag
from .autodiff.vectorize import vectorize
from .compile.function import function
from .compile.io import In, Out
from .compile.modes import DebugMode, Mode, MonitorMode, NanGuardMode
from .compile.shared import shared
from .compile.ops import as_op
from .graph.basic import Apply, Constant, Variable
from .graph.op import Op
from .graph.replace import clone_replace
from .ops.blas import dot
from .config import config
from .errors import (CacheWarning, CodegenWarning, DeviceError, DeviceFallbackWarning, DeviceMemoryError,
                     DisconnectedInputError, DistributionError, GpugradError, GradientError, GraphError,
                     HostMemoryError, InputError, LinAlgError, MissingInputError, NanGuardError, NullTypeGradError,
                     OpContractError, PicklingError, ShapeError, UnusedInputError)
from .printing import pp
from .scan import foldl, foldr, map, reduce, scan
from .tensor.shared_randomstreams import RandomStreams
from . import gof, gradient, ifelse, printing, sandbox, scalar

clone = clone_replace  # Theano's theano.clone
__version__ = "0.1.0"
