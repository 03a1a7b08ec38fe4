"""Indexing: ``Subtensor`` (``x[idx]``, basic and NumPy advanced) and ``IncSubtensor``
(``set_subtensor`` / ``inc_subtensor``), the pair that are each other's gradients.

An index is kept as ``idx_list``, a tuple with one entry per index item:

==============  ================================================================
``3``, ``-1``   a constant integer (the axis is dropped)
``"?"``         a symbolic integer scalar, taken from the next op input
``(a, b, c)``   a slice; each part is None, a constant int or ``"?"``
``"x"``         ``None`` / ``np.newaxis``: a new axis of size 1
``"a"``         an integer or boolean array (symbolic or constant), the next input
==============  ================================================================

Constants are folded into the list (so static shapes follow: ``x[1:-1]`` of static
length 5 has length 3), Ellipsis is expanded, trailing full slices are dropped.
One shape rule (``_shape``) serves build time (static sizes), ``infer_shape``
(symbolic sizes) and run time (the region an ``IncSubtensor`` writes).
"""
import numpy as np

from ..errors import InputError, ShapeError
from ..graph.basic import Apply, Constant, Variable
from ..graph.op import Op
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable, constant
from . import scalar as S
from .elemwise import _fmt, broadcast_shapes
from .join import arange
from .reduce import normalize_axis, prod, sum as sum_
from .shape import (Shape, alloc, broadcast_batch, dimshuffle, flatten, pad_batched, reshape, shape, shape_i,
                    shape_tuple, unbroadcast, zeros_like)

__all__ = ["subtensor", "set_subtensor", "inc_subtensor", "take"]

FULL = (None, None, None)


# ---------------------------------------------------------------- parsing an index
def _parse(x, index):
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
        idx_list[ellipsis:ellipsis] = [FULL] * (x.ndim - used)
    return _trimmed(tuple(idx_list)), inputs


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


def _numpy_index(idx_list, values):
    """The NumPy index tuple for ``idx_list`` given the values of the index inputs."""
    values = iter(values)

    def part(p):
        return int(next(values)) if p == "?" else p
    index = []
    for entry in idx_list:
        if entry == "x":
            index.append(None)
        elif isinstance(entry, tuple):
            index.append(slice(*(part(p) for p in entry)))
        elif entry == "a":
            index.append(next(values))
        else:
            index.append(part(entry))
    return tuple(index)


def _render(idx_list, args=None):
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
def _shape(idx_list, x_shape, indices, index_shapes, dims):
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


class _StaticDims:
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


class _SymbolicDims:
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


def _kinds(idx_list):
    """The placeholder (``"?"`` or ``"a"``) of each index input, in order."""
    return [p for e in idx_list for p in (e if isinstance(e, tuple) else (e,)) if p in ("?", "a")]


def _check_inputs(idx_list, inputs, what):
    """The index inputs match the placeholders of ``idx_list`` (also on graph rebuilds)."""
    kinds = _kinds(idx_list)
    if len(kinds) != len(inputs):
        raise InputError(f"{what}: the index [{_render(idx_list)}] needs {len(kinds)} index inputs, "
                         f"got {len(inputs)}")
    for kind, var in zip(kinds, inputs):
        _check_index_type(var)
        if (var.ndim == 0) != (kind == "?"):
            raise InputError(f"{what}: index input {var} ({var.type}) does not fit "
                             f"the index [{_render(idx_list)}]")


# ---------------------------------------------------------------- the ops
class Subtensor(Op):
    """``x[idx]``. Basic indexing returns a view (no op writes into its inputs);
    advanced indexing gathers. The gradient scatters back with ``IncSubtensor``."""
    __props__ = ("idx_list",)

    def __init__(self, idx_list):
        self.idx_list = tuple(idx_list)

    def __str__(self):
        return f"Subtensor{{{_render(self.idx_list)}}}"

    def pp(self, node, args):
        return f"{args[0]}[{_render(self.idx_list, args[1:])}]"

    def make_node(self, x, *indices):
        x = as_tensor_variable(x)
        indices = [as_tensor_variable(i) for i in indices]
        _check_inputs(self.idx_list, indices, "subtensor")
        out_shape = _shape(self.idx_list, x.type.shape, indices, [i.type.shape for i in indices], _StaticDims)
        return Apply(self, [x, *indices], [TensorVariable(TensorType(x.dtype, out_shape))])

    def perform(self, node, inputs):
        x, *values = inputs
        try:
            out = x[_numpy_index(self.idx_list, values)]
        except IndexError as exc:
            raise ShapeError(f"subtensor [{_render(self.idx_list)}] of an array of shape {x.shape}: {exc}") from None
        return [out if type(out) is np.ndarray else np.asarray(out)]

    def infer_shape(self, node, input_shapes):
        return [_shape(self.idx_list, input_shapes[0], node.inputs[1:], input_shapes[1:], _SymbolicDims)]

    def pullback(self, inputs, outputs, output_grads):
        x, *indices = inputs
        zeros = zeros_like(x, dtype=dtypes.grad_dtype(x.dtype))
        return [IncSubtensor(self.idx_list, False)(zeros, output_grads[0], *indices)] + [None] * len(indices)

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0], *inputs[1:])]

    def batch(self, inputs, batched):
        x, *indices = inputs
        size = shape_i(x if batched[0] else indices[batched.index(True) - 1], 0)
        index = _BatchedIndex(self.idx_list, batched[0], indices, batched[1:], size, x.ndim - batched[0])
        out = Subtensor(index.idx_list)(x, *index.inputs)
        return [dimshuffle(out, [index.layout.index(a) for a in index.wanted])]


class IncSubtensor(Op):
    """A copy of ``x`` with ``x[idx]`` set to ``v`` or incremented by it. Increments
    through repeated integer indices accumulate (``np.add.at``); sets keep the last."""
    __props__ = ("idx_list", "set_instead_of_inc")

    def __init__(self, idx_list, set_instead_of_inc):
        self.idx_list, self.set_instead_of_inc = tuple(idx_list), bool(set_instead_of_inc)

    @property
    def what(self):
        return "set_subtensor" if self.set_instead_of_inc else "inc_subtensor"

    def __str__(self):
        return f"{self.what}{{{_render(self.idx_list)}}}"

    def pp(self, node, args):
        return f"{self.what}({args[0]}[{_render(self.idx_list, args[2:])}], {args[1]})"

    def make_node(self, x, v, *indices):
        x, v = as_tensor_variable(x), as_tensor_variable(v)
        indices = [as_tensor_variable(i) for i in indices]
        _check_inputs(self.idx_list, indices, self.what)
        region = _shape(self.idx_list, x.type.shape, indices, [i.type.shape for i in indices], _StaticDims)
        if v.ndim > len(region) or any(s not in (None, 1) and r is not None and s != r
                                       for s, r in zip(reversed(v.type.shape), reversed(region))):
            raise ShapeError(f"{self.what}: cannot broadcast the value {v} ({v.type}) to the region "
                             f"[{_render(self.idx_list)}] of {x}, of shape {_fmt(region)}")
        if v.dtype != x.dtype:
            if not np.can_cast(v.dtype, x.dtype, "same_kind"):
                raise InputError(f"{self.what}: cannot store the value {v} of dtype {v.dtype} "
                                 f"into {x} of dtype {x.dtype}; cast it explicitly")
            v = constant(np.asarray(v.data, x.dtype)) if isinstance(v, Constant) else S.cast(v, x.dtype)
        return Apply(self, [x, v, *indices], [TensorVariable(x.type)])

    def perform(self, node, inputs):
        x, v, *values = inputs
        index = _numpy_index(self.idx_list, values)
        out = x.copy()
        self._check_broadcast(node, x, v, values)
        try:
            if self.set_instead_of_inc:
                out[index] = v
            elif "a" in self.idx_list:
                np.add.at(out, index, v)
            else:
                out[index] += v
        except IndexError as exc:
            raise ShapeError(f"{self.what} [{_render(self.idx_list)}] of an array of shape {x.shape}: {exc}") from None
        except ValueError:
            raise ShapeError(f"{self.what}: cannot broadcast a value of shape {v.shape} to the region "
                             f"[{_render(self.idx_list)}] of shape {self._region(x, values)}") from None
        return [out]

    def _region(self, x, values):
        return _shape(self.idx_list, x.shape, values, [np.shape(i) for i in values], _StaticDims)

    def _check_broadcast(self, node, x, v, values):
        """Like Elemwise: a value broadcasts only along axes its type declares size 1, else
        its gradient (summed over the declared axes only) would be wrong."""
        declared = node.inputs[1].type.shape
        unsure = [a for a, s in enumerate(declared) if s is None and v.shape[a] == 1]
        if not unsure:
            return
        region = self._region(x, values)
        lead = len(region) - v.ndim
        for a in unsure:
            if region[lead + a] != 1:
                raise ShapeError(f"{self.what}: the value has size 1 on axis {a} (shape {v.shape}) and "
                                 f"broadcasts to {region[lead + a]}, but its type {node.inputs[1].type} does "
                                 "not declare that axis broadcastable; give it static size 1 or use dimshuffle")

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def pullback(self, inputs, outputs, output_grads):
        x, v, *indices = inputs
        (g,) = output_grads
        g_x = IncSubtensor(self.idx_list, True)(g, 0, *indices) if self.set_instead_of_inc else g
        g_v = Subtensor(self.idx_list)(g, *indices)
        if self.set_instead_of_inc and "a" in self.idx_list:
            g_v = g_v * _last_writes(x, g_v, self.idx_list, indices)
        return [g_x, unbroadcast(g_v, v)] + [None] * len(indices)

    def pushforward(self, inputs, outputs, tangents):
        x, v, *indices = inputs
        t_x, t_v = tangents[:2]
        if t_v is None and (t_x is None or not self.set_instead_of_inc):
            return [t_x]
        if t_x is None:
            t_x = zeros_like(x, dtype=dtypes.grad_dtype(x.dtype))
        return [self(t_x, 0 if t_v is None else t_v, *indices)]

    def batch(self, inputs, batched):
        """Every example writes into its own copy of ``x``: the value is laid out as the
        batched region, whose batch axis NumPy may not put in front."""
        x, v, *indices = inputs
        size = shape_i(inputs[batched.index(True)], 0)
        if not batched[0]:
            x = broadcast_batch(x, size)
        index = _BatchedIndex(self.idx_list, True, indices, batched[2:], size, x.ndim - 1)
        region = len(index.wanted) - 1
        if not batched[1]:
            v = dimshuffle(v, ["x"] * (region + 1 - v.ndim) + list(range(v.ndim)))
        v = pad_batched(v, region)
        v = dimshuffle(v, [index.wanted.index(a) for a in index.layout])
        return [IncSubtensor(index.idx_list, self.set_instead_of_inc)(x, v, *index.inputs)]


class _BatchedIndex:
    """The index of a batched ``x[idx]`` (x of ``ndim`` axes per example), and the axes
    of its result: ``layout`` names them as NumPy orders them, ``wanted`` as the batched
    result has them (``"b"`` first, then the axes of one example's result).

    Unbatched index inputs keep the index and gain a full slice over the batch axis.
    Batched ones become integer arrays with the batch in front, and a batched ``x`` is
    indexed by ``arange(size)`` on its batch axis as well (JAX's gather batching), so
    ``x[i]`` with ``i`` batched picks row ``i[b]`` of example ``b`` in one gather."""

    def __init__(self, idx_list, batched_x, indices, flags, size, ndim):
        example_shapes = [v.type.shape[f:] for v, f in zip(indices, flags)]
        n_out = len(_shape(idx_list, (None,) * ndim, indices, example_shapes, _StaticDims))
        arrays = [(v, f) for v, f, k in zip(indices, flags, _kinds(idx_list)) if k == "a"]
        m = max((1 if v.dtype == "bool" else v.ndim - f for v, f in arrays), default=0)
        block, rest = [f"a{i}" for i in range(m)], [f"r{i}" for i in range(n_out - m)]
        self.wanted = ["b"] + _placed(rest, block, _block_at(idx_list))
        if not any(flags):
            self.idx_list, self.inputs = _trimmed((FULL,) + tuple(idx_list)), list(indices)
            self.layout = _placed(["b"] + rest, block, _block_at(self.idx_list))
            return
        self.idx_list, self.inputs = _as_arrays(idx_list, indices, flags, m)
        if batched_x:
            self.idx_list = ("a",) + self.idx_list
            self.inputs.insert(0, dimshuffle(arange(size), [0] + ["x"] * m))
        self.layout = _placed(rest, ["b"] + block, _block_at(self.idx_list))


def _as_arrays(idx_list, indices, flags, m):
    """``idx_list`` with each batched index as an integer array of ``m + 1`` axes, the
    batch first (NumPy then broadcasts all array indices together)."""
    entries, inputs, given = [], [], iter(zip(indices, flags))
    for entry in idx_list:
        for part in (entry if isinstance(entry, tuple) else (entry,)):
            if part not in ("?", "a"):
                continue
            var, flag = next(given)
            if var.dtype == "bool" or (flag and isinstance(entry, tuple)):
                raise NotImplementedError(f"subtensor [{_render(idx_list)}] cannot be vectorized over a batched "
                                          "slice bound or with a boolean mask: examples would have different shapes")
            inputs.append(pad_batched(var, m) if flag else var)
        entries.append("a" if entry == "?" and flag else entry)
    return tuple(entries), inputs


def _block_at(idx_list):
    """Where NumPy puts the axes of the integer-array indices in the result (None if
    there are none): where the indices stand if they are adjacent, else in front."""
    arrays = "a" in idx_list
    at, first, prev, adjacent = 0, None, False, True
    for entry in idx_list:
        advanced = entry == "a" or (arrays and entry != "x" and not isinstance(entry, tuple))
        if advanced and first is None:
            first = at
        elif advanced and not prev:
            adjacent = False
        at += entry == "x" or isinstance(entry, tuple)
        prev = advanced
    return None if first is None else first if adjacent else 0


def _placed(rest, block, at):
    return rest if at is None else rest[:at] + block + rest[at:]


def _trimmed(idx_list):
    while idx_list and idx_list[-1] == FULL:
        idx_list = idx_list[:-1]
    return idx_list


def _last_writes(x, region, idx_list, indices):
    """1 where an element of the written region is the write that stays (repeated
    integer indices: the last one, as NumPy assigns), else 0: written ids, read back."""
    ids = reshape(arange(prod(shape(region))), shape(region))
    board = IncSubtensor(idx_list, True)(alloc(constant(-1, dtype="int64"), *shape_tuple(x)), ids, *indices)
    return S.eq(Subtensor(idx_list)(board, *indices), ids)


# ---------------------------------------------------------------- public functions
def subtensor(x, index):
    """``x[index]`` with NumPy's semantics (what ``TensorVariable.__getitem__`` calls).
    ``x.shape[i]`` for a constant ``i`` is ``shape_i``: a constant where the size is static."""
    x = as_tensor_variable(x)
    idx_list, inputs = _parse(x, index)
    if x.owner is not None and isinstance(x.owner.op, Shape) and len(idx_list) == 1 \
            and isinstance(idx_list[0], int):
        source, k = x.owner.inputs[0], idx_list[0]
        if not -source.ndim <= k < source.ndim:
            raise ShapeError(f"subtensor: index {k} is out of bounds for the shape of {source}, "
                             f"which has {source.ndim} dimensions")
        return shape_i(source, k % source.ndim)
    return Subtensor(idx_list)(x, *inputs)


def _write(x, y, set_instead_of_inc, what):
    node = x.owner if isinstance(x, Variable) else None
    if node is None or not isinstance(node.op, Subtensor):
        raise InputError(f"{what}: the first argument must be the result of indexing, x[idx]; got {x}")
    return IncSubtensor(node.op.idx_list, set_instead_of_inc)(node.inputs[0], y, *node.inputs[1:])


def set_subtensor(x, y):
    """``x`` is ``a[idx]``: a copy of ``a`` with ``a[idx] = y`` (Theano's semantics)."""
    return _write(x, y, True, "set_subtensor")


def inc_subtensor(x, y):
    """``x`` is ``a[idx]``: a copy of ``a`` with ``y`` added at ``idx``; repeated integer
    indices accumulate, like ``np.add.at``."""
    return _write(x, y, False, "inc_subtensor")


def take(x, indices, axis=None):
    """NumPy's ``take``: ``x[..., indices]`` along ``axis`` (the flattened x for None)."""
    x = as_tensor_variable(x)
    indices = as_tensor_variable(indices)
    if indices.dtype == "bool":
        indices = S.cast(indices, "int64")
    if axis is None:
        return subtensor(flatten(x) if x.ndim != 1 else x, indices)
    (axis,) = normalize_axis(axis, x.ndim, "take")
    return subtensor(x, (slice(None),) * axis + (indices,))
