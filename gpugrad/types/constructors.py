"""Symbolic input constructors: ``T.dmatrix('x')``, ``T.tensor('float32', shape=(None, 3))``."""
from . import dtypes
from .tensor_type import TensorType
from .variable import TensorVariable

_RANKS = {"scalar": 0, "vector": 1, "matrix": 2, "tensor3": 3, "tensor4": 4, "tensor5": 5}


def tensor(dtype=None, shape=None, name=None, ndim=None):
    """A symbolic input; ``shape`` gives static sizes (None: unknown, 1: broadcastable)."""
    if isinstance(dtype, (tuple, list)) and shape is None:
        dtype, shape = None, dtype
    if shape is None:
        shape = (None,) * (ndim or 0)
    return TensorVariable(TensorType(dtypes.as_dtype(dtype), shape), name=name)


def _constructor(rank, fixed_dtype=None):
    def make(name=None, dtype=None, shape=None):
        if fixed_dtype is not None and dtype is not None:
            raise TypeError(f"this constructor always makes {fixed_dtype}; use T.tensor for {dtype}")
        return tensor(fixed_dtype or dtype, shape if shape is not None else (None,) * rank, name=name)
    return make


def _table():
    made = {}
    for kind, rank in _RANKS.items():
        made[kind] = _constructor(rank)
        for letter, dtype in dtypes.LETTERS.items():
            made[letter + kind] = _constructor(rank, dtype)
    return made


CONSTRUCTORS = _table()
