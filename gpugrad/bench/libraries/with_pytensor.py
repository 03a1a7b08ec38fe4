"""The workloads in PyTensor: the same Theano-style code as gpugrad's, in PyTensor's
default mode, with ``jacobian``/``hessian`` both as PyTensor builds them by default (a scan
over the rows) and vectorized (``vectorize=True``). Its "Rop" and "Lop" are ``pushforward``
and ``pullback`` where this PyTensor has them (they replace ``Rop``/``Lop``); functions are
compiled with ``on_unused_input="ignore"``, which the tutorial's
``function([W, V, x], Rop(dot(x, W), W, V))`` needs in PyTensor."""
import types
from functools import partial

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor import gradient
from pytensor.compile.mode import get_default_mode

from . import Unavailable, theano_style as ts

try:
    from pytensor.tensor.linalg import expm
except ImportError:  # PyTensor before the linalg module
    from pytensor.tensor.slinalg import expm


def prepare(device, threads):
    if device == "cuda":
        raise Unavailable("PyTensor has no CUDA backend")


def version():
    return f"PyTensor {pytensor.__version__} ({type(get_default_mode().linker).__name__})"


def to_numpy(result):
    return np.asarray(result)


def sync(result):
    """PyTensor returns when its work is done."""


def _vectorized_hessian(cost, wrt):
    return gradient.jacobian(pytensor.grad(cost, wrt), wrt, vectorize=True)


API = types.SimpleNamespace(
    T=pt, function=partial(pytensor.function, on_unused_input="ignore"), grad=pytensor.grad,
    Rop=getattr(gradient, "pushforward", gradient.Rop), Lop=getattr(gradient, "pullback", gradient.Lop),
    jacobian=gradient.jacobian, hessian=gradient.hessian, hessian_vector_product=gradient.hessian_vector_product,
    scan=pytensor.scan, shared=pytensor.shared, expm=expm, asarray=lambda value: value)
VECTORIZED = types.SimpleNamespace(**{**vars(API), "jacobian": partial(gradient.jacobian, vectorize=True),
                                      "hessian": _vectorized_hessian})


def _on(api):
    return lambda device: api


BUILDERS = ts.builders(
    _on(API),
    jacobian=[ts.idiom(_on(VECTORIZED), "jacobian(vectorize=True)", ts.jacobian),
              ts.idiom(_on(API), "jacobian (scan)", ts.jacobian, default=True)],
    jacobian_diag=[ts.idiom(_on(API), "grad(sum(y))", ts.jacobian_diag_by_grad_of_sum)],
    hessian=[ts.idiom(_on(VECTORIZED), "jacobian(grad, vectorize=True)", ts.hessian),
             ts.idiom(_on(API), "hessian (scan)", ts.hessian, default=True)])
