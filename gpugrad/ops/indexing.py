"""The index description and shape rule shared by ``Subtensor`` and ``IncSubtensor``.

An index is kept as ``idx_list``, a tuple with one entry per index item:

==============  ================================================================
``3``, ``-1``   a constant integer (the axis is dropped)
``"?"``         a symbolic integer scalar, taken from the next op input
``(a, b, c)``   a slice; each part is None, a constant int or ``"?"``
``"x"``         ``None`` / ``np.newaxis``: a new axis of size 1
``"a"``         an integer or boolean array (symbolic or constant), the next input
``"..."``       an Ellipsis that covers no axis but separates advanced indices
                (NumPy then puts their axes in front, as for ``x[:, i, ..., j]``)
==============  ================================================================

Constants are folded into the list (so static shapes follow: ``x[1:-1]`` of static
length 5 has length 3), Ellipsis is expanded, trailing full slices are dropped.
One shape rule (``indexed_shape``) serves build time (static sizes), ``infer_shape``
(symbolic sizes) and run time (the region an ``IncSubtensor`` writes).
"""
import numpy as np

from ..errors import InputError, ShapeError
from ..graph.basic import Constant, Variable
from ..types import dtypes
from ..types.variable import as_tensor_variable, constant
from . import scalar as S
from .elemwise import broadcast_shapes
from .reduce import sum as sum_

FULL = (None, None, None)


# ---------------------------------------------------------------- parsing an index
def parse_index(x, index):
    """``(idx_list, inputs)`` for ``x[index]``."""
    items = list(index) if isinstance(index, tuple) else [index]
    idx_list, inputs, used, ellipsis = [], [], 0, None
    for item in items:
        if item is Ellipsis:
            if ellipsis is not None:
                raise InputError(f"subtensor: an index of {x} can only have a single ellipsis (...)")
            ellipsis = len(idx_list)
            continue
        entry, axes = _entry(item, inputs)
        idx_list.append(entry)
        used += axes
    if used > x.ndim:
        raise ShapeError(f"subtensor: too many indices for {x}: it has {x.ndim} dimensions "
                         f"but {used} were indexed")
    if ellipsis is not None:
        idx_list[ellipsis:ellipsis] = [FULL] * (x.ndim - used) or _separator(idx_list, ellipsis)
    return trimmed(tuple(idx_list)), inputs


def _separator(idx_list, at):
    """``["..."]`` where an Ellipsis covering no axis stands between advanced indices (integers
    count when an array is present), which NumPy then does not treat as adjacent; else []."""
    def advanced(entries):
        return any(e == "a" or ("a" in idx_list and e != "x" and not isinstance(e, tuple)) for e in entries)
    return ["..."] if advanced(idx_list[:at]) and advanced(idx_list[at:]) else []


def _entry(item, inputs):
    """The idx_list entry for one index item and how many axes of x it consumes."""
    if item is None:
        return "x", 0
    if isinstance(item, slice):
        parts = tuple(_slice_part(p, inputs) for p in (item.start, item.stop, item.step))
        return (parts[:2] + (None,) if parts[2] == 1 else parts), 1
    if isinstance(item, (bool, np.bool_)):
        raise InputError(f"subtensor: a boolean scalar index ({item}) is not supported; "
                         "use a boolean array mask or T.switch")
    if isinstance(item, (int, np.integer)):
        return int(item), 1
    var = as_tensor_variable(item)
    if isinstance(var, Constant) and var.data.size == 0 and var.dtype != "bool":
        var = constant(var.data.astype("int64"))  # x[[]]: an empty integer index
    _check_index_type(var)
    if var.ndim == 0:
        if isinstance(var, Constant):
            return int(var.data), 1
        inputs.append(var)
        return "?", 1
    inputs.append(var)
    return "a", var.ndim if var.dtype == "bool" else 1


def _slice_part(part, inputs):
    if part is None or (isinstance(part, (int, np.integer)) and not isinstance(part, (bool, np.bool_))):
        return None if part is None else int(part)
    var = as_tensor_variable(part)
    if var.ndim != 0 or not dtypes.is_discrete(var.dtype) or var.dtype == "bool":
        raise InputError(f"subtensor: slice bounds must be integer scalars, got {var} ({var.type})")
    if isinstance(var, Constant):
        return int(var.data)
    inputs.append(var)
    return "?"


def _check_index_type(var):
    if not dtypes.is_discrete(var.dtype):
        raise InputError(f"subtensor: an index must be an integer or a boolean array, got {var} ({var.type})")
    if var.ndim == 0 and var.dtype == "bool":
        raise InputError(f"subtensor: a boolean scalar index ({var}) is not supported; use a boolean array")


def numpy_index(idx_list, values):
    """The NumPy index tuple for ``idx_list`` given the values of the index inputs."""
    values = iter(values)

    def part(p):
        return int(next(values)) if p == "?" else p
    index = []
    for entry in idx_list:
        if entry == "x":
            index.append(None)
        elif entry == "...":
            index.append(Ellipsis)
        elif isinstance(entry, tuple):
            index.append(slice(*(part(p) for p in entry)))
        elif entry == "a":
            index.append(next(values))
        else:
            index.append(part(entry))
    return tuple(index)


def render_index(idx_list, args=None):
    """``1:-1, i, None``: the index as written, with ``args`` for its inputs (or ``?``)."""
    args = iter(args) if args is not None else None

    def part(p, placeholder="?"):
        if p is None:
            return ""
        return (next(args) if args is not None else placeholder) if p in ("?", "a") else str(p)
    items = []
    for entry in idx_list:
        if entry == "x":
            items.append("None")
        elif isinstance(entry, tuple):
            start, stop, step = (part(p) for p in entry)
            items.append(f"{start}:{stop}" + (f":{step}" if step else ""))
        else:
            items.append(part(entry, "[?]" if entry == "a" else "?"))
    return ", ".join(items) or "..."


# ---------------------------------------------------------------- the shape rule
def indexed_shape(idx_list, x_shape, indices, index_shapes, dims):
    """The shape of ``x[idx]`` with sizes in the domain ``dims``. NumPy's rule: slices
    and new axes keep their place; integer and array indices (integers count as arrays
    when any array is present) broadcast together, and their shape goes where they
    stand if they are adjacent, else in front."""
    items = iter(zip(indices, index_shapes))
    advanced = "a" in idx_list
    out, groups, first, adjacent, prev = [], [], None, True, False
    axis = 0
    for entry in idx_list:
        is_advanced = False
        if entry == "x":
            out.append(1)
        elif entry == "...":
            pass
        elif isinstance(entry, tuple):
            parts = [next(items)[0] if p == "?" else p for p in entry]
            out.append(dims.slice_len(x_shape[axis], *parts))
            axis += 1
        elif entry == "a":
            index, index_shape = next(items)
            if str(index.dtype) == "bool":
                dims.check_mask(index, index_shape, x_shape[axis:axis + len(index_shape)], axis)
                axis += len(index_shape)
                index_shape = (dims.count(index),)
            else:
                dims.check_array(index, x_shape[axis], axis)
                axis += 1
            groups.append(tuple(index_shape))
            is_advanced = True
        else:
            index = next(items)[0] if entry == "?" else entry
            dims.check_int(index, x_shape[axis], axis)
            axis += 1
            if advanced:
                groups.append(())
                is_advanced = True
        if is_advanced:
            if first is None:
                first = len(out)
            elif not prev:
                adjacent = False
        prev = is_advanced
    out.extend(x_shape[axis:])
    if groups:
        at = first if adjacent else 0
        out[at:at] = dims.broadcast(groups)
    return tuple(out)


def _known(value):
    """The value of a constant or run-time index, or None while it is symbolic."""
    if isinstance(value, Constant):
        return value.data if value.ndim else int(value.data)
    return None if isinstance(value, Variable) else value


class StaticDims:
    """Sizes that are ints or None (unknown): static shapes while building, and
    actual shapes at run time; the checks raise ShapeError naming axis and size."""

    @staticmethod
    def slice_len(n, *parts):
        known = [p if p is None else _known(p) for p in parts]
        if known[2] == 0:
            raise ShapeError("subtensor: slice step cannot be zero")
        if tuple(parts) in (FULL, (None, None, 1)):
            return n
        if n is None or any(k is None and p is not None for k, p in zip(known, parts)):
            return None
        return len(range(*slice(*known).indices(n)))

    @staticmethod
    def check_int(index, n, axis):
        k = _known(index)
        if k is not None and n is not None and not -n <= k < n:
            raise ShapeError(f"subtensor: index {k} is out of bounds for axis {axis} with size {n}")

    @staticmethod
    def check_array(index, n, axis):
        k = _known(index)
        if k is not None and n is not None and k.size and not (-n <= k.min() and k.max() < n):
            bad = k[(k < -n) | (k >= n)].flat[0]
            raise ShapeError(f"subtensor: index {bad} is out of bounds for axis {axis} with size {n}")

    @staticmethod
    def check_mask(index, shape, sizes, axis):
        if len(shape) > len(sizes) or any(s is not None and n is not None and s != n
                                          for s, n in zip(shape, sizes)):
            raise ShapeError(f"subtensor: a boolean index of shape {tuple(shape)} does not match "
                             f"the indexed axes {axis}.. of sizes {tuple(sizes)}")

    @staticmethod
    def count(mask):
        k = _known(mask)
        return None if k is None else int(np.count_nonzero(k))

    @staticmethod
    def broadcast(shapes):
        ndim = max(len(s) for s in shapes)
        return broadcast_shapes([(1,) * (ndim - len(s)) + tuple(s) for s in shapes], "subtensor index")


class RuntimeDims(StaticDims):
    """Actual sizes at run time, where NumPy itself checks the index arrays, and only the
    elements it reads: none of arrays that broadcast to nothing (``x[i, j]``, ``j`` empty)."""

    check_array = staticmethod(lambda *args: None)


class SymbolicDims:
    """Sizes that are ints or int64 scalar variables (``infer_shape``); nothing to check."""

    check_int = check_array = check_mask = staticmethod(lambda *args: None)

    @staticmethod
    def count(mask):
        k = _known(mask)
        return int(np.count_nonzero(k)) if k is not None else S.cast(sum_(mask), "int64")

    @staticmethod
    def broadcast(shapes):
        ndim = max(len(s) for s in shapes)
        out = [1] * ndim
        for shape in shapes:
            for a, size in enumerate((1,) * (ndim - len(shape)) + tuple(shape)):
                out[a] = _broadcast_size(out[a], size)
        return out

    @staticmethod
    def slice_len(n, start, stop, step):
        n, parts = _plain(n), [_int64(_plain(p)) for p in (start, stop, step)]
        if all(isinstance(p, int) or p is None for p in parts + [n]):
            return len(range(*slice(*parts).indices(n)))
        start, stop, step = parts
        if (start, stop, step) in (FULL, (None, None, 1)):
            return n
        if step is None or isinstance(step, int):
            return _int64(_directed_len(n, start, stop, 1 if step is None else step, step is None or step > 0))
        return _int64(S.switch(S.gt(step, 0), _directed_len(n, start, stop, step, True),
                               _directed_len(n, start, stop, step, False)))


def _broadcast_size(a, b):
    a, b = _plain(a), _plain(b)
    if isinstance(b, int) and b == 1:
        return a
    if isinstance(a, int) and a == 1:
        return b
    if isinstance(a, int) or isinstance(b, int):
        return a if isinstance(a, int) else b
    return S.switch(S.eq(a, 1), b, a)


def _plain(v):
    """A size or bound as a Python int where it is known (shape tuples hold constants)."""
    if isinstance(v, (Constant, np.integer)):
        return int(_known(v)) if isinstance(v, Constant) else int(v)
    return v


def _int64(v):
    if v is None or isinstance(v, (int, np.integer)):
        return None if v is None else int(v)
    return v if v.dtype == "int64" else S.cast(v, "int64")


def _directed_len(n, start, stop, step, forward):
    """len(range(*slice(start, stop, step).indices(n))) for a step of known sign."""
    lo, hi = (0, n) if forward else (-1, n - 1)
    start = _clip_index(start, n, lo, hi, lo if forward else hi)
    stop = _clip_index(stop, n, lo, hi, hi if forward else lo)
    span, stride = (stop - start, step) if forward else (start - stop, -step)
    count = span if isinstance(stride, int) and stride == 1 else (span + stride - 1) // stride
    return _max(count, 0)


def _clip_index(i, n, lo, hi, default):
    if i is None:
        return default
    if isinstance(i, int):
        wrapped = i + n if i < 0 else i
    else:
        wrapped = S.switch(S.lt(i, 0), i + n, i)
    return _min(_max(wrapped, lo), hi)


def _max(a, b):
    return max(a, b) if isinstance(a, int) and isinstance(b, int) else S.maximum(a, b)


def _min(a, b):
    return min(a, b) if isinstance(a, int) and isinstance(b, int) else S.minimum(a, b)


def index_kinds(idx_list):
    """The placeholder (``"?"`` or ``"a"``) of each index input, in order."""
    return [p for e in idx_list for p in (e if isinstance(e, tuple) else (e,)) if p in ("?", "a")]


def check_index_inputs(idx_list, inputs, what):
    """The index inputs match the placeholders of ``idx_list`` (also on graph rebuilds)."""
    kinds = index_kinds(idx_list)
    if len(kinds) != len(inputs):
        raise InputError(f"{what}: the index [{render_index(idx_list)}] needs {len(kinds)} index inputs, "
                         f"got {len(inputs)}")
    for kind, var in zip(kinds, inputs):
        _check_index_type(var)
        if (var.ndim == 0) != (kind == "?"):
            raise InputError(f"{what}: index input {var} ({var.type}) does not fit "
                             f"the index [{render_index(idx_list)}]")


# ---------------------------------------------------------------- the ops

def trimmed(idx_list):
    """``idx_list`` without its trailing full slices, unless a ``"..."`` (an Ellipsis to
    NumPy) would then cover their axes."""
    while idx_list and idx_list[-1] == FULL and "..." not in idx_list:
        idx_list = idx_list[:-1]
    return idx_list
