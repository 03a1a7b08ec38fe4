"""Indexing: ``Subtensor`` (``x[idx]``, basic and NumPy advanced) and ``IncSubtensor``
(``set_subtensor`` / ``inc_subtensor``), the pair that are each other's gradients. The
index description and the shape rule they share live in ``indexing.py``.

On a device, every form of index and every dtype the kernels instantiate: a basic index
(ints, slices, new axes; its scalars read on the host) is a view of the device array, and a
set or add through it an assignment into that view of a device copy. One integer array on
one axis keeps its own kernels (``kernels.gather``, and ``kernels.scatter_add`` for an add).
Any other advanced index (several arrays, arrays with ints, slices and new axes, boolean
masks, sets at arrays) is ``backends/advanced_index.py``: the slices as a view, the index
arrays broadcast into one device matrix (a mask's Trues found by a kernel, whose count is
read back), then one ``gather_nd`` or ``scatter_nd`` launch. A set at repeated indices keeps
one of the values, which one unspecified on a GPU (CuPy's rule; NumPy keeps the last).
Bounds are checked in the kernels, each flagging its row of the program's error board
(``runtime/error_board.py``), read back once per call: a ``ShapeError`` naming the axis, as
on the host.
"""
import numpy as np

from ..backends import advanced_index, kernels
from ..errors import InputError, ShapeError
from ..graph.basic import Apply, Constant, Variable
from ..graph.op import CudaFacet, Op
from ..runtime import error_board
from ..runtime.device_arrays import device_copy, library_for
from ..runtime.facets import output_in_kernels
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable, constant
from . import scalar as S
from .elemwise import _fmt
from .indexing import (FULL, RuntimeDims, StaticDims, SymbolicDims, check_index_inputs, index_kinds, indexed_shape,
                       numpy_index, parse_index, render_index, trimmed)
from .join import arange
from .reduce import normalize_axis, prod
from .shape import (Shape, alloc, broadcast_batch, dimshuffle, flatten, pad_batched, reshape, shape, shape_i,
                    shape_tuple, unbroadcast, zeros_like)

__all__ = ["subtensor", "set_subtensor", "inc_subtensor", "take"]


def _basic(node):
    """An index of ints, slices and new axes only: a view."""
    return "a" not in node.op.idx_list


def _indexable(node):
    """A basic index (a view, or a write through one), or an advanced one of an array whose
    dtype the gather and scatter kernels instantiate."""
    return _basic(node) or output_in_kernels(node)


def _scalar_indices(first):
    """The integer scalars of an index (and slice bounds) are read on the host; its arrays go over."""
    return lambda node: {first + k for k, kind in enumerate(index_kinds(node.op.idx_list)) if kind == "?"}


def _one_array_axis(node):
    """The axis of an index that is full slices then one integer array (``x[:, idx]``,
    ``take``): the form ``kernels.gather``/``scatter_add`` run; None for any other."""
    idx_list = node.op.idx_list
    if idx_list.count("a") != 1 or any(e not in (FULL, "a") for e in idx_list) or node.inputs[-1].dtype == "bool":
        return None
    return idx_list.index("a")


def _subtensor_thunk(device, node, storage_in, storage_out):
    """``Subtensor``: a view for a basic index, ``kernels.gather`` for one integer array on one
    axis, ``gather_nd`` for any other advanced index."""
    library, op, axis = library_for(device), node.op, _one_array_axis(node)
    (x_cell, *index_cells), (dst,) = storage_in, storage_out
    what = f"subtensor [{render_index(op.idx_list)}]"
    if axis is not None:
        row, explain = error_board.row(device), _axis_error("gather", axis)

        def thunk():
            indices = kernels.astype(library, index_cells[0][0], np.int64)
            dst[0] = kernels.gather(library, x_cell[0], indices, axis, row.watch(explain))
    elif "a" in op.idx_list:
        row = error_board.row(device)

        def thunk():
            g = advanced_index.gathering(library, x_cell[0], op.idx_list, [c[0] for c in index_cells], what)
            dst[0] = advanced_index.gather_nd(library, g, row.watch(g.out_of_range))
    else:
        def thunk():
            x = x_cell[0]
            try:
                dst[0] = x[numpy_index(op.idx_list, [c[0] for c in index_cells]) + (Ellipsis,)]
            except IndexError as exc:
                raise ShapeError(f"{what} of an array of shape {x.shape}: {exc}") from None
    return thunk


def _inc_subtensor_thunk(device, node, storage_in, storage_out):
    """``IncSubtensor`` into a device copy of ``x``: through the view of a basic index (set or
    add), ``kernels.scatter_add`` for an add at one integer array on one axis, ``scatter_nd``
    (set, or atomic add) for any other advanced index."""
    library, op = library_for(device), node.op
    axis = None if op.set_instead_of_inc else _one_array_axis(node)
    write = _basic_write if "a" not in op.idx_list else _scatter_add if axis is not None else _scatter_nd
    row = None if write is _basic_write else error_board.row(device)
    (x_cell, v_cell, *index_cells), (dst,) = storage_in, storage_out

    def thunk():
        x, v = x_cell[0], v_cell[0]
        out = device_copy(device, x)
        write(library, node, out, v, [c[0] for c in index_cells], axis, row)
        dst[0] = out
    return thunk


def _axis_error(what, axis):
    """How a flag of ``kernels.gather``/``scatter_add`` on ``axis`` reads: as their own check."""
    return lambda index, _, size: kernels.out_of_bounds(what, axis, index, size)


def _basic_write(library, node, out, v, values, axis, row):
    op = node.op
    op._check_broadcast(node, out, v, values)
    try:
        view = out[numpy_index(op.idx_list, values) + (Ellipsis,)]
        view[...] = v if op.set_instead_of_inc else view + v
    except IndexError as exc:
        raise ShapeError(f"{op.what} [{render_index(op.idx_list)}] of an array of shape {out.shape}: {exc}") from None
    except ValueError:
        raise ShapeError(f"{op.what}: cannot broadcast a value of shape {v.shape} to the region "
                         f"[{render_index(op.idx_list)}] of shape {op._region(out, values)}") from None


def _scatter_add(library, node, out, v, values, axis, row):
    indices = kernels.astype(library, values[0], np.int64)
    region = (*out.shape[:axis], *indices.shape, *out.shape[axis + 1:])
    check_value_broadcast(node, v, region)
    try:
        v = library.backend.xp.broadcast_to(v, region)
    except ValueError:
        raise ShapeError(f"{node.op.what}: cannot broadcast a value of shape {v.shape} to the region "
                         f"[{render_index(node.op.idx_list)}] of shape {region}") from None
    kernels.scatter_add(library, out, indices, v, axis, row.watch(_axis_error("scatter_add", axis)))


def _scatter_nd(library, node, out, v, values, axis, row):
    op = node.op
    g = advanced_index.gathering(library, out, op.idx_list, values, f"{op.what} [{render_index(op.idx_list)}]")
    check_value_broadcast(node, v, g.shape)
    advanced_index.scatter_nd(library, g, v, op.set_instead_of_inc, row.watch(g.out_of_range))


class Subtensor(Op):
    """``x[idx]``. Basic indexing returns a view (no op writes into its inputs);
    advanced indexing gathers. The gradient scatters back with ``IncSubtensor``."""
    __props__ = ("idx_list",)
    cuda = CudaFacet("a view, kernels/gather.cu (one integer array on one axis) or kernels/gather_nd.cu",
                     thunk=_subtensor_thunk, accepts=_indexable, host_inputs=_scalar_indices(1), view=_basic,
                     kernels=("gather.cu", "gather_nd.cu", "mask_positions.cu"))

    def __init__(self, idx_list):
        self.idx_list = tuple(idx_list)

    def __str__(self):
        return f"Subtensor{{{render_index(self.idx_list)}}}"

    def pp(self, node, args):
        return f"{args[0]}[{render_index(self.idx_list, args[1:])}]"

    def make_node(self, x, *indices):
        x = as_tensor_variable(x)
        indices = [as_tensor_variable(i) for i in indices]
        check_index_inputs(self.idx_list, indices, "subtensor")
        out_shape = indexed_shape(self.idx_list, x.type.shape, indices, [i.type.shape for i in indices], StaticDims)
        return Apply(self, [x, *indices], [TensorVariable(TensorType(x.dtype, out_shape))])

    def perform(self, node, inputs):
        x, *values = inputs
        try:
            out = x[numpy_index(self.idx_list, values)]
        except IndexError as exc:
            raise ShapeError(f"subtensor [{render_index(self.idx_list)}] of an array of shape {x.shape}: {exc}") from None
        return [out if type(out) is np.ndarray else np.asarray(out)]

    def infer_shape(self, node, input_shapes):
        return [indexed_shape(self.idx_list, input_shapes[0], node.inputs[1:], input_shapes[1:], SymbolicDims)]

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


def check_value_broadcast(node, v, region):
    """The value of an ``IncSubtensor`` node broadcasts into ``region`` (the indexed shape,
    found on the host or, for a mask's count, on the device) only along the axes its type
    declares of size 1."""
    lead = len(region) - v.ndim
    for a, declared in enumerate(node.inputs[1].type.shape):
        if declared is None and v.shape[a] == 1 and lead + a >= 0 and region[lead + a] != 1:
            raise ShapeError(f"{node.op.what}: the value has size 1 on axis {a} (shape {v.shape}) and broadcasts "
                             f"to {region[lead + a]}, but its type {node.inputs[1].type} does not declare that "
                             "axis broadcastable; give it static size 1 or use dimshuffle")


class IncSubtensor(Op):
    """A copy of ``x`` with ``x[idx]`` set to ``v`` or incremented by it. Increments
    through repeated integer indices accumulate (``np.add.at``); a set through them keeps
    one of the values, the one NumPy's assignment keeps (the last, for a contiguous index
    array; NumPy promises no order, and a GPU's is unspecified)."""
    __props__ = ("idx_list", "set_instead_of_inc")
    cuda = CudaFacet("a device copy of x, then an assignment through a view, kernels/scatter_add_axis.cu or "
                     "kernels/scatter_nd.cu", thunk=_inc_subtensor_thunk, accepts=_indexable,
                     host_inputs=_scalar_indices(2), kernels=("scatter_add_axis.cu", "scatter_nd.cu",
                                                              "mask_positions.cu"))

    def __init__(self, idx_list, set_instead_of_inc):
        self.idx_list, self.set_instead_of_inc = tuple(idx_list), bool(set_instead_of_inc)

    @property
    def what(self):
        return "set_subtensor" if self.set_instead_of_inc else "inc_subtensor"

    def __str__(self):
        return f"{self.what}{{{render_index(self.idx_list)}}}"

    def pp(self, node, args):
        return f"{self.what}({args[0]}[{render_index(self.idx_list, args[2:])}], {args[1]})"

    def make_node(self, x, v, *indices):
        x, v = as_tensor_variable(x), as_tensor_variable(v)
        indices = [as_tensor_variable(i) for i in indices]
        check_index_inputs(self.idx_list, indices, self.what)
        region = indexed_shape(self.idx_list, x.type.shape, indices, [i.type.shape for i in indices], StaticDims)
        if v.ndim > len(region) or any(s not in (None, 1) and r is not None and s != r
                                       for s, r in zip(reversed(v.type.shape), reversed(region))):
            raise ShapeError(f"{self.what}: cannot broadcast the value {v} ({v.type}) to the region "
                             f"[{render_index(self.idx_list)}] of {x}, of shape {_fmt(region)}")
        if v.dtype != x.dtype:
            if not np.can_cast(v.dtype, x.dtype, "same_kind"):
                raise InputError(f"{self.what}: cannot store the value {v} of dtype {v.dtype} "
                                 f"into {x} of dtype {x.dtype}; cast it explicitly")
            v = constant(np.asarray(v.data, x.dtype)) if isinstance(v, Constant) else S.cast(v, x.dtype)
        return Apply(self, [x, v, *indices], [TensorVariable(x.type)])

    def perform(self, node, inputs):
        x, v, *values = inputs
        index = numpy_index(self.idx_list, values)
        out = x.copy()
        self._check_broadcast(node, x, v, values)
        try:
            if self.set_instead_of_inc:
                out[index] = v
            elif "a" in self.idx_list:
                np.add.at(out, index, self._ranked(v, x, values))
            else:
                out[index] += v
        except IndexError as exc:
            raise ShapeError(f"{self.what} [{render_index(self.idx_list)}] of an array of shape {x.shape}: {exc}") from None
        except ValueError:
            raise ShapeError(f"{self.what}: cannot broadcast a value of shape {v.shape} to the region "
                             f"[{render_index(self.idx_list)}] of shape {self._region(x, values)}") from None
        return [out]

    def _ranked(self, v, x, values):
        """``v`` with leading axes of size 1 up to the region's rank: NumPy 2.4's ``add.at``
        misreads a value of lower rank than one multi-dimensional index array (adds garbage)."""
        return v.reshape((1,) * (len(self._region(x, values)) - v.ndim) + v.shape)

    def _region(self, x, values):
        return indexed_shape(self.idx_list, x.shape, values, [np.shape(i) for i in values], RuntimeDims)

    def _check_broadcast(self, node, x, v, values):
        """Like Elemwise: a value broadcasts only along axes its type declares size 1, else
        its gradient (summed over the declared axes only) would be wrong."""
        if any(s is None and v.shape[a] == 1 for a, s in enumerate(node.inputs[1].type.shape)):
            check_value_broadcast(node, v, self._region(x, values))

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
        n_out = len(indexed_shape(idx_list, (None,) * ndim, indices, example_shapes, StaticDims))
        arrays = [(v, f) for v, f, k in zip(indices, flags, index_kinds(idx_list)) if k == "a"]
        m = max((1 if v.dtype == "bool" else v.ndim - f for v, f in arrays), default=0)
        block, rest = [f"a{i}" for i in range(m)], [f"r{i}" for i in range(n_out - m)]
        self.wanted = ["b"] + _placed(rest, block, _block_at(idx_list))
        if not any(flags):
            self.idx_list, self.inputs = trimmed((FULL,) + tuple(idx_list)), list(indices)
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
                raise NotImplementedError(f"subtensor [{render_index(idx_list)}] cannot be vectorized over a batched "
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
        advanced = entry == "a" or (arrays and entry not in ("x", "...") and not isinstance(entry, tuple))
        if advanced and first is None:
            first = at
        elif advanced and not prev:
            adjacent = False
        at += entry == "x" or isinstance(entry, tuple)
        prev = advanced
    return None if first is None else first if adjacent else 0


def _placed(rest, block, at):
    return rest if at is None else rest[:at] + block + rest[at:]



def _last_writes(x, region, idx_list, indices):
    """1 where an element of the written region is the write that stays (repeated integer
    indices: whichever the set kept, found by the same set of ids), else 0: written ids, read back."""
    ids = reshape(arange(prod(shape(region))), shape(region))
    board = IncSubtensor(idx_list, True)(alloc(constant(-1, dtype="int64"), *shape_tuple(x)), ids, *indices)
    return S.eq(Subtensor(idx_list)(board, *indices), ids)


# ---------------------------------------------------------------- public functions
def subtensor(x, index):
    """``x[index]`` with NumPy's semantics (what ``TensorVariable.__getitem__`` calls).
    ``x.shape[i]`` for a constant ``i`` is ``shape_i``: a constant where the size is static."""
    x = as_tensor_variable(x)
    idx_list, inputs = parse_index(x, index)
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
