"""Theano's ``theano.scalar`` names that ported programs import."""
import numpy as np

from .types import dtypes


def upcast(dtype, *more):
    """The dtype that values of all the given dtypes combine to (NumPy 2's promotion of
    arrays, which Theano's ``upcast`` of 0-d arrays also followed), as a string."""
    return str(np.result_type(*[dtypes.as_dtype(d) for d in (dtype,) + more]))


__all__ = ["upcast"]
