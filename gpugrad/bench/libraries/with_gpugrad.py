"""The workloads in gpugrad: the Theano-style builders compiled for the device (on a GPU
the arguments are CuPy arrays and the results stay there, as the peers' do), and
``jacobian_diag`` for the diagonal."""
import types
from functools import partial

import numpy as np

import gpugrad
import gpugrad.tensor as T

from . import Unavailable, theano_style as ts


def prepare(device, threads):
    if device == "cuda":
        from ...backends.cuda import gpu_available
        usable, why = gpu_available()
        if not usable:
            raise Unavailable(f"no usable GPU: {why}")


def version():
    return f"gpugrad {gpugrad.__version__}"


def to_numpy(result):
    return result.get() if hasattr(result, "__cuda_array_interface__") else np.asarray(result)


def sync(result):
    if hasattr(result, "__cuda_array_interface__"):
        import cupy
        cupy.cuda.Device().synchronize()


def _to_gpu(value):
    import cupy
    return cupy.asarray(value) if isinstance(value, np.ndarray) else value


def _function(*args, **kwargs):
    """``gpugrad.function`` whose CPU kernels build at its first call (the checked, untimed
    one), so the timing sees them from the start rather than NumPy while they build."""
    with gpugrad.config.change_flags(cpu_compile_after=0):
        return gpugrad.function(*args, **kwargs)


def api(device):
    """gpugrad's namespace for ``theano_style``, compiling for ``device``."""
    on_gpu = device == "cuda"
    return types.SimpleNamespace(
        T=T, function=partial(_function, device=device, return_device_arrays=on_gpu),
        grad=gpugrad.grad, Rop=gpugrad.Rop, Lop=gpugrad.Lop, jacobian=gpugrad.jacobian, hessian=gpugrad.hessian,
        hessian_vector_product=gpugrad.hessian_vector_product, scan=gpugrad.scan, shared=gpugrad.shared,
        expm=T.slinalg.expm, asarray=_to_gpu if on_gpu else (lambda value: value))


def jacobian_diag(api, data):
    x, y = ts.elementwise(api.T)
    return ts.bound(api, api.function([x], gpugrad.jacobian_diag(y, x)), data, "x")


BUILDERS = ts.builders(api, jacobian_diag=[ts.idiom(api, "jacobian_diag", jacobian_diag)])
