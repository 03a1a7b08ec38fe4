"""The module-level functions of the simulated CuPy that gpugrad calls: creation, transfers,
manipulation, ``matmul`` and the ufuncs; each registered for ``__array_function__`` and
``__array_ufunc__`` dispatch (arrays.py). Device rules as in arrays.py: new arrays live on the
current device, and every input array must live there too (``asarray``/``array``/``copy``
are the copies between devices and from the host)."""
import numpy as np

from . import cuda
from .arrays import FUNCTIONS, UFUNCS, apply, check_device, ndarray, produce, upload
from .memory import pointer_owner

UFUNC_NAMES = ("add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "remainder", "power",
               "negative", "positive", "absolute", "conjugate", "exp", "log", "sqrt", "tanh", "isfinite", "isnan",
               "isinf", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "maximum",
               "minimum", "logical_and", "logical_or", "logical_not", "sign", "matmul")


def _ufunc(name):
    function = getattr(np, name)

    def call(*args, out=None, **kwargs):
        return apply(function, *args, out=out, **kwargs)
    call.__name__ = name
    return call


def empty(shape, dtype=float, order="C"):
    return ndarray(shape, dtype, order=order)


def zeros(shape, dtype=float, order="C"):
    out = empty(shape, dtype, order)
    out.fill(0)
    return out


def ones(shape, dtype=float, order="C"):
    out = empty(shape, dtype, order)
    out.fill(1)
    return out


def empty_like(a, dtype=None):
    return empty(a.shape, a.dtype if dtype is None else dtype)


def zeros_like(a, dtype=None):
    return zeros(a.shape, a.dtype if dtype is None else dtype)


def eye(N, M=None, k=0, dtype=float):  # noqa: N803 - NumPy's names
    return produce(lambda: np.eye(N, M, k, dtype))


def _from_interface(obj):
    """An array over the device memory ``obj`` exposes (``__cuda_array_interface__``), no copy;
    it keeps ``obj`` alive, as CuPy's ``UnownedMemory`` does."""
    interface = obj.__cuda_array_interface__
    ptr, shape = interface["data"][0], tuple(interface["shape"])
    owner = pointer_owner(ptr) if 0 not in shape else (cuda.current().ordinal, None)
    if owner is None:
        raise ValueError(f"__cuda_array_interface__ of {type(obj).__name__} points to {ptr:#x}, which is no "
                         "simulated device memory")
    dtype = np.dtype(interface["typestr"])
    pointer = cuda.MemoryPointer(cuda.UnownedMemory(ptr, int(np.prod(shape, dtype=np.int64)) * dtype.itemsize, obj,
                                                    owner[0]), 0)
    return ndarray._of(pointer.view(shape, interface["typestr"], interface.get("strides")), owner[0], obj)


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0):
    """A new array on the current device: from the host, or copied from device memory."""
    if isinstance(obj, ndarray) or hasattr(obj, "__cuda_array_interface__"):
        source = obj if isinstance(obj, ndarray) else _from_interface(obj)
        out = source.copy()
        return out if dtype is None or np.dtype(dtype) == out.dtype else out.astype(dtype, copy=False)
    return upload(np.array(obj, dtype=dtype, ndmin=ndmin))


def asarray(a, dtype=None, order=None):
    """``a`` itself when it is an array of the current device (of ``dtype``), a view of device
    memory exposed by ``__cuda_array_interface__``, else a copy on the current device."""
    if hasattr(a, "__cuda_array_interface__") and not isinstance(a, ndarray):
        a = _from_interface(a)
    if isinstance(a, ndarray) and a._device == cuda.current().ordinal:
        return a if dtype is None or np.dtype(dtype) == a.dtype else a.astype(dtype)
    return array(a, dtype)


def ascontiguousarray(a, dtype=None):
    a = asarray(a, dtype)
    return a if a.flags.c_contiguous else a.copy()


def asnumpy(a, stream=None, order="C", out=None):
    return a.get(stream, order, out) if isinstance(a, ndarray) else np.asarray(a, order=order)


def broadcast_to(a, shape):
    """A read-only view (CuPy's is writable; writing into a broadcast view races on a GPU)."""
    if not isinstance(a, ndarray):
        raise TypeError(f"broadcast_to takes a cupy.ndarray, got {type(a)}")
    return a._view(np.broadcast_to(a._host, shape))


def may_share_memory(a, b, max_work=None):
    if not (isinstance(a, ndarray) and isinstance(b, ndarray)):
        raise TypeError("may_share_memory takes two cupy.ndarray")
    return np.may_share_memory(a._host, b._host)


def _joined(function, arrays, axis, dtype=None):
    for a in arrays:
        check_device(a)
    return produce(lambda: function([a._host for a in arrays], axis=axis, dtype=dtype), [a._host for a in arrays])


def stack(arrays, axis=0, out=None, dtype=None):
    return _joined(np.stack, arrays, axis, dtype)


def concatenate(arrays, axis=0, out=None, dtype=None):
    return _joined(np.concatenate, arrays, axis, dtype)


def tril(m, k=0):
    return apply(np.tril, m, k=k)


def triu(m, k=0):
    return apply(np.triu, m, k=k)


def transpose(a, axes=None):
    return a.transpose(axes)


def swapaxes(a, axis1, axis2):
    return a.swapaxes(axis1, axis2)


def reshape(a, newshape, order="C"):
    return a.reshape(newshape, order=order)


def shape(a):
    return a.shape


def ndim(a):
    return a.ndim


def real(val):
    return val.real


def imag(val):
    return val.imag


def copy(a, order="K"):
    return asarray(a).copy()


def sum(a, axis=None, dtype=None, out=None, keepdims=False):  # noqa: A001 - CuPy's name
    return a.sum(axis=axis, dtype=dtype, out=out, keepdims=keepdims)


def mean(a, axis=None, dtype=None, out=None, keepdims=False):
    return a.mean(axis=axis, dtype=dtype, out=out, keepdims=keepdims)


UFUNCS.update({name: getattr(np, name) for name in UFUNC_NAMES})
PUBLIC = {name: _ufunc(name) for name in UFUNC_NAMES}
PUBLIC.update(abs=PUBLIC["absolute"], conj=PUBLIC["conjugate"], dot=lambda a, b, out=None: apply(np.dot, a, b, out=out))
PUBLIC.update({f.__name__: f for f in (
    empty, zeros, ones, empty_like, zeros_like, eye, array, asarray, ascontiguousarray, asnumpy, broadcast_to,
    may_share_memory, stack, concatenate, tril, triu, transpose, swapaxes, reshape, shape, ndim, real, imag, copy,
    sum, mean)})
FUNCTIONS.update(PUBLIC)
