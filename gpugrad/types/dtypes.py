"""Dtypes: the one table of names and shorthand letters, and NumPy 2 promotion.

Promotion asks NumPy itself: a weak operand (a Python scalar) is represented by a
Python value, which NumPy 2 treats as weak (NEP 50), so ``float32 * 2.0 -> float32``
and ``int32 * 2.0 -> float64`` exactly as for arrays.
"""
import functools

import numpy as np

from ..config import config

LETTERS = {"b": "int8", "w": "int16", "i": "int32", "l": "int64",
           "f": "float32", "d": "float64", "c": "complex64", "z": "complex128"}
ALL = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
       "float16", "float32", "float64", "complex64", "complex128")
_WEAK_VALUE = {"b": True, "i": 1, "u": 1, "f": 1.0, "c": 1.0 + 0j}


def kind(dtype):
    return np.dtype(dtype).kind


def is_float(dtype):
    return kind(dtype) == "f"


def is_complex(dtype):
    return kind(dtype) == "c"


def is_inexact(dtype):
    return kind(dtype) in "fc"


def is_discrete(dtype):
    return kind(dtype) in "biu"


def real_dtype(dtype):
    """float32 for complex64, float64 for complex128, the dtype itself otherwise."""
    return {"complex64": "float32", "complex128": "float64"}.get(str(dtype), str(dtype))


def grad_dtype(dtype):
    """The dtype of a gradient with respect to a variable of ``dtype``: never integer."""
    return str(dtype) if is_inexact(dtype) else config.floatX


def weak_value(dtype):
    return _WEAK_VALUE[kind(dtype)]


@functools.lru_cache(maxsize=4096)
def apply_dtype(fn, operands):
    """The output dtypes of NumPy ``fn`` applied to ``operands``, each a pair
    (dtype, weak). Computed on empty arrays, so it is NumPy's own rule."""
    args = [weak_value(d) if weak else np.zeros(0, d) for d, weak in operands]
    with np.errstate(all="ignore"):
        out = fn(*args)
    outs = out if isinstance(out, tuple) else (out,)
    return tuple(str(np.asarray(o).dtype) for o in outs)


def result_type(*operands):
    """Promoted dtype of (dtype, weak) pairs; weak only if every operand is weak."""
    args = [weak_value(d) if weak else np.dtype(d) for d, weak in operands]
    return str(np.result_type(*args))


def as_dtype(dtype):
    """Canonical dtype name, or a clear error for what is not a dtype."""
    if dtype is None:
        return config.floatX
    if dtype == "floatX":
        return config.floatX
    try:
        name = str(np.dtype(dtype))
    except TypeError:
        raise TypeError(f"{dtype!r} is not a dtype gpugrad knows") from None
    if name not in ALL:
        raise TypeError(f"dtype {name} is not supported; use one of {', '.join(ALL)}")
    return name
