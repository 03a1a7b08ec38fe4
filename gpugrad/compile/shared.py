"""Shared variables: state that lives across calls of compiled functions."""
import numpy as np

from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable


class SharedVariable(TensorVariable):
    """A variable with a value of its own. Functions read it as an implicit input and
    may write it through ``updates``; the value sits in ``container[0]``, the very
    storage cell compiled functions read, so calls need no copying."""

    def __init__(self, type, value, name=None):
        super().__init__(type, None, None, name)
        self.container = [None]
        self.set_value(value)

    def get_value(self, borrow=False):
        value = self.container[0]
        return value if borrow else value.copy()

    def set_value(self, value, borrow=False):
        array = self.type.filter(value, what=f"shared variable {self.name or self}")
        self.container[0] = array if borrow and array is value else np.array(array)

    def clone(self):
        return TensorVariable.clone(self)


def shared(value, name=None, strict=False, borrow=False, shape=None):
    """A shared variable holding ``value`` (its dtype; Python floats become floatX).
    ``shape`` may declare static sizes, e.g. ``(1, None)`` for a broadcastable row."""
    if isinstance(value, float):
        array = np.asarray(value, dtype=dtypes.as_dtype(None))
    else:
        array = np.asarray(value)
    dtypes.as_dtype(array.dtype)
    static = tuple(shape) if shape is not None else (None,) * array.ndim
    var = SharedVariable(TensorType(str(array.dtype), static), array if borrow else array.copy(), name=name)
    return var
