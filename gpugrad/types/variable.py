"""TensorVariable and TensorConstant: the NumPy-like face of symbolic values.

Operators and methods delegate to ``gpugrad.tensor`` (imported on first use, since
the ops themselves are built on these classes)."""
import numpy as np

from ..config import config
from ..graph.basic import Constant, Variable
from . import dtypes
from .tensor_type import TensorType


def _T():
    from .. import tensor
    return tensor


class _TensorMethods:
    """Operator overloads and NumPy-named methods shared by variables and constants."""
    __array_priority__ = 1000
    weak = False

    dtype = property(lambda self: self.type.dtype)
    ndim = property(lambda self: self.type.ndim)
    broadcastable = property(lambda self: self.type.broadcastable)
    shape = property(lambda self: _T().shape(self))
    size = property(lambda self: _T().prod(self.shape))
    T = property(lambda self: _T().transpose(self))
    real = property(lambda self: _T().real(self))
    imag = property(lambda self: _T().imag(self))

    def __add__(self, other): return _T().add(self, other)
    def __radd__(self, other): return _T().add(other, self)
    def __sub__(self, other): return _T().sub(self, other)
    def __rsub__(self, other): return _T().sub(other, self)
    def __mul__(self, other): return _T().mul(self, other)
    def __rmul__(self, other): return _T().mul(other, self)
    def __truediv__(self, other): return _T().true_divide(self, other)
    def __rtruediv__(self, other): return _T().true_divide(other, self)
    def __floordiv__(self, other): return _T().floor_divide(self, other)
    def __rfloordiv__(self, other): return _T().floor_divide(other, self)
    def __mod__(self, other): return _T().mod(self, other)
    def __rmod__(self, other): return _T().mod(other, self)
    def __pow__(self, other): return _T().pow(self, other)
    def __rpow__(self, other): return _T().pow(other, self)
    def __matmul__(self, other): return _T().matmul(self, other)
    def __rmatmul__(self, other): return _T().matmul(other, self)
    def __neg__(self): return _T().neg(self)
    def __pos__(self): return self
    def __abs__(self): return _T().abs(self)
    def __invert__(self): return _T().invert(self)
    def __and__(self, other): return _T().bitwise_and(self, other)
    def __rand__(self, other): return _T().bitwise_and(other, self)
    def __or__(self, other): return _T().bitwise_or(self, other)
    def __ror__(self, other): return _T().bitwise_or(other, self)
    def __xor__(self, other): return _T().bitwise_xor(self, other)
    def __rxor__(self, other): return _T().bitwise_xor(other, self)
    def __lt__(self, other): return _T().lt(self, other)
    def __le__(self, other): return _T().le(self, other)
    def __gt__(self, other): return _T().gt(self, other)
    def __ge__(self, other): return _T().ge(self, other)
    __hash__ = Variable.__hash__

    def __getitem__(self, index): return _T().subtensor(self, index)

    def __repr__(self):
        """The name, and with ``config.print_test_value`` the test value below it (Theano)."""
        text = super().__repr__()
        if config.print_test_value and "test_value" in self.tag:
            from ..graph.debug_values import value_of
            return f"{text}\n{value_of(self)!r}"
        return text

    def __iter__(self):
        raise TypeError("a symbolic tensor cannot be iterated; index it (x[i]) or use gpugrad.scan")

    def __bool__(self):
        raise TypeError("a symbolic tensor has no truth value; use T.switch or T.eq for comparisons")

    def __len__(self):
        raise TypeError("a symbolic tensor has no len(); use x.shape[0]")

    def sum(self, axis=None, keepdims=False, dtype=None): return _T().sum(self, axis, keepdims, dtype)
    def prod(self, axis=None, keepdims=False): return _T().prod(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return _T().mean(self, axis, keepdims)
    def var(self, axis=None, keepdims=False, ddof=0): return _T().var(self, axis, keepdims, ddof)
    def std(self, axis=None, keepdims=False, ddof=0): return _T().std(self, axis, keepdims, ddof)
    def max(self, axis=None, keepdims=False): return _T().max(self, axis, keepdims)
    def min(self, axis=None, keepdims=False): return _T().min(self, axis, keepdims)
    def argmax(self, axis=None, keepdims=False): return _T().argmax(self, axis, keepdims)
    def argmin(self, axis=None, keepdims=False): return _T().argmin(self, axis, keepdims)
    def all(self, axis=None, keepdims=False): return _T().all(self, axis, keepdims)
    def any(self, axis=None, keepdims=False): return _T().any(self, axis, keepdims)
    def dot(self, other): return _T().dot(self, other)
    def reshape(self, *shape, ndim=None):
        return _T().reshape(self, shape[0] if len(shape) == 1 else shape, ndim=ndim)
    def flatten(self, ndim=1): return _T().flatten(self, ndim)
    def transpose(self, *axes): return _T().transpose(self, axes or None)
    def dimshuffle(self, *pattern):
        return _T().dimshuffle(self, pattern[0] if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)) else pattern)
    def squeeze(self, axis=None): return _T().squeeze(self, axis)
    def astype(self, dtype): return _T().cast(self, dtype)
    def conj(self): return _T().conj(self)
    def clip(self, lo, hi): return _T().clip(self, lo, hi)
    def round(self): return _T().round(self)
    def nonzero(self):
        raise NotImplementedError("nonzero has a data-dependent shape; use T.switch or a boolean mask as weights")
    def diagonal(self, offset=0, axis1=0, axis2=1): return _T().diagonal(self, offset, axis1, axis2)
    def trace(self): return _T().trace(self)
    def copy(self, name=None):
        return _T().tensor_copy(self, name=name)

    def eval(self, inputs_to_values=None, **kwargs):
        """This variable's value for ``inputs_to_values`` ({variable or its name: value}),
        as Theano's ``eval``: compiled by ``function`` once per set of inputs (and keyword
        arguments, passed to ``function``), then cached on the variable."""
        from ..graph.traversal import graph_inputs
        values = dict(inputs_to_values or {})
        names = {v.name: v for v in graph_inputs([self]) if v.name}
        inputs = tuple(names.get(k, k) if isinstance(k, str) else k for k in values)
        unknown = [k for k in inputs if isinstance(k, str)]
        if unknown:
            raise TypeError(f"eval: no input of {self} is named {unknown[0]!r}")
        key = (inputs, tuple(sorted(kwargs.items())))
        cache = self.__dict__.setdefault("_eval_functions", {})
        if key not in cache:
            from ..compile.function import function
            cache[key] = function(list(inputs), self, on_unused_input="ignore", **kwargs)
        return cache[key](*values.values())


class TensorVariable(_TensorMethods, Variable):
    def clone(self):
        var = TensorVariable(self.type, None, None, self.name)
        var.weak = self.weak
        return var


class TensorConstant(_TensorMethods, Constant):
    pass


def constant(value, dtype=None, name=None):
    """A TensorConstant for ``value``; a Python scalar without ``dtype`` is weak."""
    if isinstance(value, Variable):
        raise TypeError(f"constant() takes a value, not the symbolic variable {value}")
    weak = dtype is None and isinstance(value, (bool, int, float, complex)) and not isinstance(value, np.generic)
    if weak:
        data = np.asarray(value)
        if data.dtype.kind == "i":
            data = data.astype("int64")
    else:
        data = np.asarray(value, dtype=dtypes.as_dtype(dtype) if dtype is not None else None)
        if data.dtype.kind not in "biufc":
            raise TypeError(f"cannot make a tensor constant from {type(value).__name__} "
                            f"(dtype {data.dtype})")
        dtypes.as_dtype(data.dtype)
    return TensorConstant(TensorType(str(data.dtype), data.shape), np.array(data), name=name, weak=weak)


def as_tensor_variable(value, name=None, ndim=None, dtype=None):
    """Variables pass through; numbers, arrays and (nested) lists become constants, and
    a list holding symbolic scalars becomes their ``stack``."""
    if isinstance(value, Variable):
        var = value
    elif isinstance(value, (list, tuple)) and _holds_variables(value):
        var = _T().stack([as_tensor_variable(v) for v in value])
    else:
        var = constant(value, dtype=dtype, name=name)
    if ndim is not None and var.ndim != ndim:
        raise TypeError(f"expected a tensor with {ndim} dimensions, got {var} with {var.ndim}")
    return var


def _holds_variables(seq):
    return any(isinstance(v, Variable) or (isinstance(v, (list, tuple)) and _holds_variables(v)) for v in seq)
