"""gpugrad: symbolic differentiation of array programs, compiled for the CPU or a GPU.

    import gpugrad as theano
    import gpugrad.tensor as T
"""
from . import tensor
from .autodiff.grad import Lop, Rop, grad
from .autodiff.jacobian import hessian, hessian_vector_product, jacobian, jacobian_diag
from .autodiff.vectorize import vectorize
from .compile.function import function
from .compile.shared import shared
from .config import config
from .errors import (DeviceError, DeviceFallbackWarning, DeviceMemoryError, DisconnectedInputError, GpugradError, GradientError,
                     GraphError, InputError, LinAlgError, MissingInputError, NullTypeGradError, ShapeError,
                     UnusedInputError)
from .printing import pp
from .scan import foldl, foldr, map, reduce, scan
from . import gradient, printing

__version__ = "0.1.0"
