"""TensorType: dtype plus static shape (``None`` for a size known only at run time)."""
import numpy as np

from ..errors import InputError
from . import dtypes


class TensorType:
    """``shape`` holds a non-negative int per axis, or None where the size is known only
    at run time. The private fields are precomputed for ``filter``, which runs on every
    argument of every call."""
    __slots__ = ("dtype", "shape", "_np_dtype", "_static_axes", "_scalars")

    def __init__(self, dtype, shape=()):
        self.dtype = dtypes.as_dtype(dtype)
        self.shape = tuple(_size(s, shape) for s in shape)
        self._np_dtype = np.dtype(self.dtype)
        self._static_axes = tuple((a, s) for a, s in enumerate(self.shape) if s is not None)
        self._scalars = _direct_scalars(self._np_dtype.kind) if not self.shape else ()

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def broadcastable(self):
        return tuple(s == 1 for s in self.shape)

    def __eq__(self, other):
        return isinstance(other, TensorType) and (self.dtype, self.shape) == (other.dtype, other.shape)

    def __hash__(self):
        return hash((self.dtype, self.shape))

    def __str__(self):
        """Theano's names where its broadcast patterns say it all (``TensorType(float64, row)``,
        ``TensorType(float32, 3D)``), PyTensor's ``shape=`` form for other static sizes."""
        if all(s in (None, 1) for s in self.shape):
            pattern = _NAMED.get(self.shape)
            if pattern is None:
                pattern = f"{self.ndim}D" if 1 not in self.shape else str(self.broadcastable)
            return f"TensorType({self.dtype}, {pattern})"
        return f"TensorType({self.dtype}, shape={self.shape})"

    __repr__ = __str__

    def __call__(self, name=None, dtype=None):
        """A new variable of this type (Theano's ``x.type()`` and ``T.dmatrix('x')``)."""
        if dtype is not None and dtypes.as_dtype(dtype) != self.dtype:
            raise TypeError(f"{self} makes {self.dtype} variables, not {dtype}; use "
                            f"T.tensor({dtype!r}, shape={self.shape}) for another dtype")
        from .variable import TensorVariable
        return TensorVariable(self, name=name)

    def with_shape(self, shape):
        return TensorType(self.dtype, shape)

    def with_dtype(self, dtype):
        return TensorType(dtype, self.shape)

    def is_compatible(self, other):
        """True if a value of ``other`` may stand where this type is expected."""
        return (self.dtype == other.dtype and self.ndim == other.ndim
                and all(a is None or b is None or a == b for a, b in zip(self.shape, other.shape)))

    def filter(self, value, what="input"):
        """Convert a call argument to an array of this type, or raise naming ``what``.
        An array of the exact dtype is used as it is (no copy); compiled code never writes
        into its inputs."""
        if type(value) is np.ndarray and value.dtype is self._np_dtype:
            array = value
        elif type(value) in self._scalars:
            try:
                return np.array(value, self._np_dtype)
            except OverflowError:
                raise InputError(f"{what}: {value} does not fit in {self.dtype} ({self})") from None
        else:
            array = self._convert(value, what)
        if array.ndim != self.ndim:
            raise InputError(f"{what}: expected {self.ndim} dimensions ({self}), "
                             f"got an array with shape {array.shape}")
        for axis, want in self._static_axes:
            if array.shape[axis] != want:
                raise InputError(f"{what}: expected size {want} on axis {axis} ({self}), "
                                 f"got shape {array.shape}")
        return array

    def _convert(self, value, what):
        if hasattr(value, "__cuda_array_interface__") and hasattr(value, "get"):
            value = value.get()
        try:
            array = np.asarray(value)
        except (ValueError, TypeError) as exc:
            raise InputError(f"{what}: cannot convert {type(value).__name__} to {self}: {exc}") from None
        if array.dtype == self.dtype:
            return array
        if array.dtype.kind not in "biufc":
            raise InputError(f"{what}: cannot convert a value of dtype {array.dtype} to {self}")
        if not _fits(array, self.dtype):
            raise InputError(f"{what}: cannot cast {array.dtype} to {self.dtype} without losing "
                             f"information ({self}); cast it explicitly")
        return array.astype(self.dtype)


_NAMED = {(): "scalar", (None,): "vector", (None, None): "matrix", (1, None): "row", (None, 1): "col"}


def _fits(array, dtype):
    """Numbers move up the kinds bool < int < float < complex, and within a kind to any
    width (float64 data into a float32 input, as NumPy's same_kind); integers into a
    narrower integer type only when every value fits."""
    order = "biufc".index
    src, dst = array.dtype.kind, np.dtype(dtype).kind
    if order(src) > order(dst) and not (src == "u" and dst == "i"):
        return False
    if dst in "iu" and src in "biu" and array.size:
        info = np.iinfo(dtype)
        return bool(array.min() >= info.min and array.max() <= info.max)
    return True


def _size(size, shape):
    if size is None:
        return None
    if isinstance(size, (bool, np.bool_)) or not isinstance(size, (int, np.integer)) or size < 0:
        raise TypeError(f"static shape {tuple(shape)}: each size must be a non-negative int or None, "
                        f"got {size!r}")
    return int(size)


def _direct_scalars(kind):
    """Python number types a 0-d input of this kind converts straight from (the fast path)."""
    return {"f": (float, int), "c": (float, int, complex), "i": (int,), "u": (int,)}.get(kind, ())
