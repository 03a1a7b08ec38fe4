"""Shared variables: state that lives across calls of compiled functions."""
import numpy as np

from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable
from .device_arrays import backend_for


class SharedVariable(TensorVariable):
    """A variable with a value of its own. Functions read it as an implicit input and
    may write it through ``updates``; the host value sits in ``container[0]``, the very
    storage cell CPU functions read, so calls need no copying.

    Device functions read ``on_device(device)``, a device copy uploaded once and kept
    until the value changes, and leave their updates there (``store_on_device``): the
    host value is then stale (``newer_on`` names the device) and ``sync`` copies it back
    when the host next reads it (``get_value``, a CPU function). So parameters trained on
    a device never cross per call."""

    def __init__(self, type, value, name=None):
        super().__init__(type, None, None, name)
        self.container = [None]
        self.set_value(value)

    def get_value(self, borrow=False):
        self.sync()
        value = self.container[0]
        return value if borrow else value.copy()

    def set_value(self, value, borrow=False):
        array = self.type.filter(value, what=f"shared variable {self.name or self}")
        self.store(array if borrow and array is value else np.array(array))

    def store(self, array):
        """A new host value (checked by the caller); every device copy is out of date."""
        self.container[0] = array
        self.newer_on, self._copies = None, {}

    def store_on_device(self, device, array):
        """A new value computed on ``device``: kept there, copied back only when read on the host."""
        self.newer_on, self._copies = device, {device: array}

    def on_device(self, device):
        """The value as an array of ``device``, uploaded on first use after a change (and
        again if the copy kept is not in that device's memory)."""
        array = self._copies.get(device)
        be = backend_for(device)
        if array is None or not be.resident(array):
            self.sync()
            array = self._copies[device] = be.to_device(self.container[0])
        return array

    def sync(self):
        """Bring the host value up to date after a device function changed it."""
        if self.newer_on is not None:
            self.container[0] = backend_for(self.newer_on).to_host(self._copies[self.newer_on])
            self.newer_on = None

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
