"""Shared variables: state that lives across calls of compiled functions."""
import threading

import numpy as np

from ..errors import InputError
from ..runtime.device_arrays import backend_for, device_copy
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable


class SharedVariable(TensorVariable):
    """A variable with a value of its own. Functions read it as an implicit input and
    may write it through ``updates``; the host value sits in ``container[0]``, the very
    storage cell CPU functions read, so calls need no copying.

    Device functions read ``on_device(device)``, a device copy uploaded once and kept
    until the value changes, and leave their updates there (``store_on_device``): the
    host value is then stale (``newer_on`` names the device) and ``sync`` copies it back
    when the host next reads it (``get_value``, a CPU function). So parameters trained on
    a device never cross per call.

    Threads: the host value, ``newer_on`` and the device copies change together under
    ``value_lock``, which every read of the host value takes too (``read``), so none reads it
    while an update writes into it (compile/in_place.py); ``update_lock`` is held by every
    call of a function that updates the variable, from its read to its store (``acquire_in_order``)."""

    default_update = None  # an expression every function reading the variable stores into it

    def __init__(self, type, value, name=None, borrow=False):
        super().__init__(type, None, None, name)
        self.container = [None]
        self.value_lock, self.update_lock = threading.Lock(), threading.Lock()
        self.set_value(value, borrow=borrow)

    def get_value(self, borrow=False, return_internal_type=False):
        """The value as a NumPy array (a copy unless ``borrow``: then the host array itself,
        which aliases the variable until an update or ``set_value`` replaces it). With
        ``return_internal_type`` the newest value as it is stored: a device array where a
        device function last changed it (CuPy on ``cuda``), else the host array."""
        if return_internal_type and self.newer_on is not None:
            value = self._copies[self.newer_on]
            if borrow:
                return value
            return device_copy(self.newer_on, value)
        value = self.read()
        return value if borrow else value.copy()

    def read(self):
        """The host value (brought up to date first). Holding it keeps an update from
        writing into it (compile/in_place.py counts who holds it)."""
        self.sync()
        with self.value_lock:
            return self.container[0]

    def set_value(self, value, borrow=False):
        array = self.type.filter(value, what=f"shared variable {self.name or self}")
        self.store(array if borrow and array is value else np.array(array))

    def store(self, array):
        """A new host value (checked by the caller); every device copy is out of date."""
        with self.value_lock:
            self.store_held(array)

    def store_held(self, array):
        """``store`` by a caller already holding ``value_lock`` (compile/in_place.py)."""
        self.container[0] = array
        self.newer_on, self._copies = None, {}

    def store_on_device(self, device, array):
        """A new value computed on ``device``: kept there, copied back only when read on the host."""
        with self.value_lock:
            self.newer_on, self._copies = device, {device: array}

    def on_device(self, device):
        """The value as an array of ``device``, uploaded on first use after a change (and
        again if the copy kept is not in that device's memory)."""
        array = self._copies.get(device)
        be = backend_for(device)
        if array is None or not be.resident(array):
            with self.value_lock:
                self._sync()
                array = self._copies.get(device)
                if array is None or not be.resident(array):
                    array = self._copies[device] = be.to_device(self.container[0])
        return array

    def sync(self):
        """Bring the host value up to date after a device function changed it."""
        if self.newer_on is not None:
            with self.value_lock:
                self._sync()

    def _sync(self):
        if self.newer_on is not None:
            self.container[0] = backend_for(self.newer_on).to_host(self._copies[self.newer_on])
            self.newer_on = None

    def clone(self):
        return TensorVariable.clone(self)

    def __getstate__(self):
        """Pickled (and deep-copied) by value: the newest value, no device copies, no locks."""
        state = {k: v for k, v in self.__dict__.items()
                 if k not in ("value_lock", "update_lock", "_copies", "newer_on")}
        state["container"] = [self.read()]
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self.value_lock, self.update_lock = threading.Lock(), threading.Lock()
        self.newer_on, self._copies = None, {}

    def check_update(self, expr):
        """An update keeps this variable's type, as in Theano: its rank, and its static sizes
        where they are known. A size 1 on an axis this variable does not declare as 1 would
        make it broadcast there (Theano's broadcast pattern); sizes left unknown (None) may
        change at run time, as with ``set_value``."""
        what = f"updates: the new value of shared variable {self.name or self}"
        if expr.ndim != self.ndim:
            raise InputError(f"{what} has {expr.ndim} dimensions ({expr.type}), expected {self.ndim} ({self.type})")
        for axis, (want, got) in enumerate(zip(self.type.shape, expr.type.shape)):
            if got is not None and got != want and (want is not None or got == 1):
                raise InputError(
                    f"{what} has static shape {_sizes(expr.type.shape)}, which contradicts its type "
                    f"{_sizes(self.type.shape)} on axis {axis}; an update must keep the variable's shape "
                    f"(declare it with shared(..., shape={_sizes(expr.type.shape)}) if that is intended)")


def acquire_in_order(locks):
    """Take ``locks`` in their order, or none of them (a Ctrl-C while waiting). A call of a
    function with updates holds the ``update_lock`` of every variable it updates (one global
    order, so functions updating the same ones never deadlock) from before it reads them
    until its new values are stored: updates from many threads, through one function or
    several, apply one after the other. An in-place update takes its variables'
    ``value_lock``s so (compile/in_place.py)."""
    taken = []
    try:
        for lock in locks:
            lock.acquire()
            taken.append(lock)
    except BaseException:
        for lock in reversed(taken):
            lock.release()
        raise


def _sizes(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def shared(value, name=None, strict=False, borrow=False, shape=None, broadcastable=None):
    """A shared variable holding ``value`` (its dtype; Python floats become floatX).
    ``shape`` may declare static sizes, e.g. ``(1, None)`` for a broadcastable row;
    Theano's ``broadcastable=(True, False)`` says the same."""
    if broadcastable is not None:
        if shape is not None:
            raise TypeError("shared: give shape or broadcastable, not both")
        shape = tuple(1 if b else None for b in broadcastable)
    if isinstance(value, float):
        array = np.asarray(value, dtype=dtypes.as_dtype(None))
    else:
        array = np.asarray(value)
    dtypes.as_dtype(array.dtype)
    static = tuple(shape) if shape is not None else (None,) * array.ndim
    return SharedVariable(TensorType(str(array.dtype), static), array, name=name, borrow=borrow)
