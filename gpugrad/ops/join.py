"""Building arrays from pieces: ``Join`` (concatenate, stack) and its transpose ``Split``;
``Repeat`` and its transpose ``RepeatSum``; ``ARange``. Each pair are each other's
pullback, since gluing and cutting (copying and summing copies) are adjoint linear maps.

tile, tril, triu, eye and identity_like are compositions (broadcast-and-reshape, or a
mask built from two ``arange``s), so they need no op and no derivative of their own.
"""
import numpy as np

from ..backends import kernels
from ..config import config
from ..errors import ShapeError
from ..graph.basic import Apply, Constant, Variable
from ..graph.op import CudaFacet, Op
from ..runtime.device_arrays import library_for, on_host
from ..runtime.facets import always, output_in_kernels, sizes_from
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable, constant
from . import scalar as S
from .elemwise import pad_left
from .reduce import normalize_axis, sum as sum_
from .shape import (_entries, alloc, broadcast_batch, dimshuffle, expand_dims, flatten, require_unbatched, reshape,
                    shape_i, zeros_like)


def _out(dtype, shape):
    return TensorVariable(TensorType(dtype, shape))


def _described(x):
    return f"{x} ({x.type})"


def _static(v):
    """The value of an int or an int constant; None for a symbolic one."""
    if isinstance(v, (int, np.integer)):
        return int(v)
    return int(v.data) if isinstance(v, Constant) else None


def _size_sum(sizes):
    """The sum of sizes (ints or int64 scalars): an int when all are known."""
    static = [_static(s) for s in sizes]
    return sum(static) if None not in static else S.add(*sizes)


def _sizes(dims, what):
    dims = [as_tensor_variable(d) for d in dims]
    for d in dims:
        if d.ndim != 0 or not dtypes.is_discrete(d.dtype):
            raise ShapeError(f"{what}: each size must be an integer scalar, got {_described(d)}")
    return [S.cast(d, "int64") for d in dims]


def _join_thunk(device, node, storage_in, storage_out):
    """``Join``: every input copied into its slice of one fresh device array."""
    library, axis, dtype = library_for(device), node.op.axis, node.outputs[0].dtype
    (dst,) = storage_out

    def thunk():
        dst[0] = kernels.concatenate(library, [c[0] for c in storage_in], axis, dtype)
    return thunk


class Join(Op):
    """``np.concatenate`` along ``axis``; the dtype promotes as in NumPy (Python scalars weak)."""
    fresh_outputs = True
    __props__ = ("axis",)
    cuda = CudaFacet("copies into the slices of one fresh device array (backends/kernels.concatenate)",
                     thunk=_join_thunk)

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, *tensors):
        tensors = [as_tensor_variable(t) for t in tensors]
        ndim = tensors[0].ndim
        if any(t.ndim != ndim for t in tensors) or not 0 <= self.axis < ndim:
            raise ShapeError(f"concatenate: cannot join {', '.join(map(_described, tensors))} on axis "
                             f"{self.axis}: they need the same number of dimensions, at least {self.axis + 1}")
        shape = []
        for a in range(ndim):
            sizes = [t.type.shape[a] for t in tensors]
            known = {s for s in sizes if s is not None}
            if a != self.axis and len(known) > 1:
                raise ShapeError(f"concatenate: the shapes of {', '.join(map(_described, tensors))} differ "
                                 f"on axis {a}, which is not the join axis {self.axis}")
            shape.append((sum(sizes) if None not in sizes else None) if a == self.axis else
                         (known.pop() if known else None))
        out = _out(dtypes.result_type(*[(t.dtype, t.weak) for t in tensors]), shape)
        out.weak = all(t.weak for t in tensors)
        return Apply(self, tensors, [out])

    def perform(self, node, inputs):
        return [np.concatenate(inputs, axis=self.axis, dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node, input_shapes):
        out = list(input_shapes[0])
        out[self.axis] = _size_sum([shp[self.axis] for shp in input_shapes])
        return [tuple(out)]

    def pullback(self, inputs, outputs, output_grads):
        pieces = Split(len(inputs), self.axis)(output_grads[0], *[shape_i(x, self.axis) for x in inputs])
        return pieces if len(inputs) > 1 else [pieces]

    def pushforward(self, inputs, outputs, tangents):
        if all(t is None for t in tangents):
            return [None]
        return [self(*[zeros_like(x, dtypes.grad_dtype(x.dtype)) if t is None else t
                       for x, t in zip(inputs, tangents)])]

    def batch(self, inputs, batched):
        size = shape_i(inputs[batched.index(True)], 0)
        return [Join(self.axis + 1)(*[t if f else broadcast_batch(t, size) for t, f in zip(inputs, batched)])]


def _split_thunk(device, node, storage_in, storage_out):
    """``Split`` with host sizes: views of consecutive slices of the device array."""
    axis = node.op.axis
    (x_cell, *size_cells) = storage_in

    def thunk():
        x, sizes = x_cell[0], [int(c[0]) for c in size_cells]
        if sum(sizes) != x.shape[axis] or min(sizes) < 0:
            raise ShapeError(f"split: sizes {sizes} do not cut axis {axis} of an array of shape {x.shape}")
        start = 0
        for cell, size in zip(storage_out, sizes):
            cell[0] = x[(slice(None),) * axis + (slice(start, start + size),)]
            start += size
    return thunk


class Split(Op):
    """``x`` cut along ``axis`` into ``n`` pieces of the given sizes (int64 scalar inputs)."""
    __props__ = ("n", "axis")
    cuda = CudaFacet("views of consecutive slices of the device array", thunk=_split_thunk, accepts=None,
                     host_inputs=sizes_from(1), view=always)

    def __init__(self, n, axis):
        self.n, self.axis = int(n), int(axis)

    def make_node(self, x, *sizes):
        x = as_tensor_variable(x)
        if not 0 <= self.axis < x.ndim or len(sizes) != self.n:
            raise ShapeError(f"split: cannot cut {_described(x)} into {len(sizes)} pieces "
                             f"(expected {self.n}) along axis {self.axis}")
        sizes = _sizes(sizes, "split")
        static = [_static(s) for s in sizes]
        total = x.type.shape[self.axis]
        if None not in static and total is not None and sum(static) != total:
            raise ShapeError(f"split: sizes {static} do not add up to {total}, the size of axis "
                             f"{self.axis} of {_described(x)}")
        shapes = [x.type.shape[:self.axis] + (s,) + x.type.shape[self.axis + 1:] for s in static]
        return Apply(self, [x, *sizes], [_out(x.dtype, shape) for shape in shapes])

    def perform(self, node, inputs):
        x, *sizes = inputs
        sizes = [int(s) for s in sizes]
        if sum(sizes) != x.shape[self.axis] or min(sizes) < 0:
            raise ShapeError(f"split: sizes {sizes} do not cut axis {self.axis} of an array of shape {x.shape}")
        return np.split(x, np.cumsum(sizes)[:-1], axis=self.axis)

    def infer_shape(self, node, input_shapes):
        shp = input_shapes[0]
        return [tuple(shp[:self.axis]) + (s,) + tuple(shp[self.axis + 1:]) for s in node.inputs[1:]]

    def pullback(self, inputs, outputs, output_grads):
        return [Join(self.axis)(*output_grads)] + [None] * self.n

    def pushforward(self, inputs, outputs, tangents):
        if tangents[0] is None:
            return [None] * self.n
        pieces = self(tangents[0], *inputs[1:])
        return pieces if self.n > 1 else [pieces]

    def batch(self, inputs, batched):
        require_unbatched(self, batched[1:], "the pieces would have different sizes in different examples")
        pieces = Split(self.n, self.axis + 1)(*inputs)
        return pieces if self.n > 1 else [pieces]


def concatenate(tensors, axis=0):
    """NumPy's ``concatenate`` of a list of tensors."""
    tensors = [as_tensor_variable(t) for t in tensors]
    if not tensors:
        raise ShapeError("concatenate: needs at least one tensor")
    (axis,) = normalize_axis(axis, max(t.ndim for t in tensors), "concatenate")
    return tensors[0] if len(tensors) == 1 else Join(axis)(*tensors)


def stack(tensors, axis=0):
    """NumPy's ``stack``: the tensors (scalars too) joined along a new axis."""
    tensors = [as_tensor_variable(t) for t in tensors]
    if not tensors:
        raise ShapeError("stack: needs at least one tensor")
    (axis,) = normalize_axis(axis, tensors[0].ndim + 1, "stack")
    if any(t.ndim != tensors[0].ndim for t in tensors):
        raise ShapeError(f"stack: all tensors need the same number of dimensions, got "
                         f"{', '.join(map(_described, tensors))}")
    return concatenate([expand_dims(t, axis) for t in tensors], axis)


def split(x, splits_size, n_splits, axis=0):
    """Theano's ``split``: ``x`` cut along ``axis`` into ``n_splits`` pieces of the sizes
    ``splits_size`` (a list, or an int vector of known length)."""
    x = as_tensor_variable(x)
    (axis,) = normalize_axis(axis, x.ndim, "split")
    sizes = _entries(splits_size, n_splits) if isinstance(splits_size, Variable) else list(splits_size)
    if len(sizes) != n_splits:
        raise ShapeError(f"split: {len(sizes)} sizes given for {n_splits} pieces")
    pieces = Split(n_splits, axis)(x, *sizes)
    return pieces if n_splits > 1 else [pieces]


def _arange_dtype(node):
    return node.outputs[0].dtype in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                                     "float32", "float64")


def _arange_thunk(device, node, storage_in, storage_out):
    """``ARange`` with start, stop and step on the host (a device result among them copied back)."""
    library, dtype = library_for(device), node.outputs[0].dtype
    (dst,) = storage_out

    def thunk():
        start, stop, step = (np.asarray(on_host(device, c[0])).item() for c in storage_in)
        dst[0] = kernels.arange(library, start, stop, step, dtype)
    return thunk


class ARange(Op):
    """``np.arange(start, stop, step)`` from scalar inputs. For a float dtype the output
    is differentiable in ``start`` and ``step``: out[i] = start + i * step."""
    __props__ = ("dtype",)
    cuda = CudaFacet("kernels/arange.cu through backends/kernels.arange, its length from the host scalars",
                     thunk=_arange_thunk, accepts=_arange_dtype, host_inputs=sizes_from(0), kernels=("arange.cu",))

    def __init__(self, dtype):
        self.dtype = dtypes.as_dtype(dtype)

    def make_node(self, start, stop, step):
        args = [as_tensor_variable(v) for v in (start, stop, step)]
        for name, v in zip(("start", "stop", "step"), args):
            if v.ndim != 0 or dtypes.is_complex(v.dtype):
                raise ShapeError(f"arange: {name} must be a real scalar, got {_described(v)}")
        values = [_value(v) for v in args]
        if values[2] == 0:
            raise ShapeError("arange: step must not be zero")
        length = None if None in values else len(np.arange(*values))
        return Apply(self, args, [_out(self.dtype, (length,))])

    def perform(self, node, inputs):
        start, stop, step = (v.item() for v in inputs)
        return [np.arange(start, stop, step, dtype=self.dtype)]

    def infer_shape(self, node, input_shapes):
        if all(dtypes.is_discrete(v.dtype) for v in node.inputs):
            start, stop, step = (S.cast(v, "int64") for v in node.inputs)
            n = -S.floor_divide(start - stop, step)
        else:
            start, stop, step = (S.cast(v, "float64") for v in node.inputs)
            n = S.cast(S.ceil((stop - start) / step), "int64")
        return [(S.maximum(n, 0),)]

    def pullback(self, inputs, outputs, output_grads):
        (out,), (g,) = outputs, output_grads
        if dtypes.is_discrete(out.dtype):
            return [None] * 3
        return [sum_(g), S._zeros_grad(inputs[1]), sum_(g * _index(out))]

    def pushforward(self, inputs, outputs, tangents):
        (out,), (t_start, _, t_step) = outputs, tangents
        if dtypes.is_discrete(out.dtype) or (t_start is None and t_step is None):
            return [None]
        t_start = 0 if t_start is None else t_start
        return [alloc(t_start, shape_i(out, 0)) if t_step is None else t_start + _index(out) * t_step]

    def batch(self, inputs, batched):
        raise NotImplementedError(f"{self} cannot be vectorized over a batched start, stop or step: "
                                  "each example would have its own length (a data-dependent shape)")


def _value(v):
    return v.data.item() if isinstance(v, Constant) else None


def _index(vector):
    """0, 1, ..., len(vector) - 1 in ``vector``'s dtype."""
    return S.cast(arange(shape_i(vector, 0)), vector.dtype)


def arange(start, stop=None, step=1, dtype=None):
    """NumPy's ``arange`` with scalar (symbolic or Python) arguments, e.g.
    ``arange(x.shape[0])``. Integer arguments give int64 as in NumPy; otherwise the
    arguments' promoted dtype, so a float32 start keeps float32 (NumPy would give float64)."""
    if stop is None:
        start, stop = 0, start
    args = [as_tensor_variable(v) for v in (start, stop, step)]
    if dtype is None:
        dtype = dtypes.result_type(*[(v.dtype, v.weak) for v in args])
        dtype = "int64" if dtypes.is_discrete(dtype) else dtype
    return ARange(dtype)(*args)


def _repeat_thunk(device, node, storage_in, storage_out):
    """``Repeat`` with the counts on the host: a gather (``kernels.repeat``)."""
    library, axis = library_for(device), node.op.axis
    (x_cell, counts_cell), (dst,) = storage_in, storage_out

    def thunk():
        dst[0] = kernels.repeat(library, x_cell[0], on_host(device, counts_cell[0]), axis)
    return thunk


class Repeat(Op):
    """``np.repeat(x, repeats, axis)`` with an int scalar or an int vector of ``repeats``."""
    __props__ = ("axis",)
    cuda = CudaFacet("kernels/gather.cu through backends/kernels.repeat (the counts read on the host)",
                     thunk=_repeat_thunk, accepts=output_in_kernels, host_inputs=sizes_from(1), kernels=("gather.cu",))

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, x, repeats):
        x, repeats = as_tensor_variable(x), _repeats(repeats)
        n = x.type.shape[self.axis]
        if repeats.ndim == 1 and None not in (n, repeats.type.shape[0]) and n != repeats.type.shape[0]:
            raise ShapeError(f"repeat: {_described(repeats)} needs one count per entry of axis "
                             f"{self.axis} of {_described(x)}")
        size = None
        if isinstance(repeats, Constant):
            size = int(repeats.data.sum()) if repeats.ndim else _times(n, repeats) if n is not None else None
        shape = x.type.shape[:self.axis] + (size,) + x.type.shape[self.axis + 1:]
        return Apply(self, [x, repeats], [_out(x.dtype, shape)])

    def perform(self, node, inputs):
        x, repeats = inputs
        if repeats.ndim and len(repeats) != x.shape[self.axis]:
            raise ShapeError(f"repeat: {len(repeats)} counts for axis {self.axis} of an array of shape {x.shape}")
        return [np.repeat(x, repeats, axis=self.axis)]

    def infer_shape(self, node, input_shapes):
        shp, repeats = list(input_shapes[0]), node.inputs[1]
        shp[self.axis] = sum_(repeats) if repeats.ndim else shp[self.axis] * repeats
        return [tuple(shp)]

    def pullback(self, inputs, outputs, output_grads):
        x, repeats = inputs
        return [RepeatSum(self.axis)(output_grads[0], repeats, shape_i(x, self.axis)), None]

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0], inputs[1])]

    def batch(self, inputs, batched):
        require_unbatched(self, batched[1:], "the repeated length would differ between examples")
        return [Repeat(self.axis + 1)(*inputs)]


def _repeat_sum_thunk(device, node, storage_in, storage_out):
    """``RepeatSum`` with the counts and size on the host: a scatter-add (``kernels.repeat_sum``)."""
    library, axis = library_for(device), node.op.axis
    (g_cell, counts_cell, n_cell), (dst,) = storage_in, storage_out

    def thunk():
        dst[0] = kernels.repeat_sum(library, g_cell[0], on_host(device, counts_cell[0]), int(n_cell[0]), axis)
    return thunk


class RepeatSum(Op):
    """The transpose of ``Repeat``: each run of ``repeats`` copies along ``axis`` summed
    back into one entry, giving ``n`` entries."""
    __props__ = ("axis",)
    cuda = CudaFacet("kernels/scatter_add_axis.cu into zeros through backends/kernels.repeat_sum",
                     thunk=_repeat_sum_thunk, accepts=output_in_kernels, host_inputs=sizes_from(1),
                     kernels=("scatter_add_axis.cu",))

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, g, repeats, n):
        g, repeats, (n,) = as_tensor_variable(g), _repeats(repeats), _sizes([n], "repeat")
        shape = g.type.shape[:self.axis] + (_static(n),) + g.type.shape[self.axis + 1:]
        return Apply(self, [g, repeats, n], [_out(g.dtype, shape)])

    def perform(self, node, inputs):
        g, repeats, n = inputs
        moved, n = np.moveaxis(g, self.axis, 0), int(n)
        counts = np.broadcast_to(repeats, (n,))
        if counts.sum() != moved.shape[0]:
            raise ShapeError(f"repeat: counts {counts} do not add up to {moved.shape[0]}")
        if repeats.ndim == 0:
            out = moved.reshape((n, int(repeats)) + moved.shape[1:]).sum(axis=1)
        else:
            out = np.zeros((n,) + moved.shape[1:], dtype=g.dtype)
            used = counts > 0
            if used.any():
                out[used] = np.add.reduceat(moved, (np.cumsum(counts) - counts)[used], axis=0)
        return [np.ascontiguousarray(np.moveaxis(out, 0, self.axis), dtype=g.dtype)]

    def infer_shape(self, node, input_shapes):
        shp = list(input_shapes[0])
        shp[self.axis] = node.inputs[2]
        return [tuple(shp)]

    def pullback(self, inputs, outputs, output_grads):
        return [Repeat(self.axis)(output_grads[0], inputs[1]), None, None]

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0], *inputs[1:])]

    def batch(self, inputs, batched):
        require_unbatched(self, batched[1:], "the summed runs would differ between examples")
        return [RepeatSum(self.axis + 1)(*inputs)]


def _repeats(repeats):
    repeats = as_tensor_variable(repeats)
    if repeats.ndim > 1 or not dtypes.is_discrete(repeats.dtype):
        raise ShapeError(f"repeat: repeats must be an integer scalar or vector, got {_described(repeats)}")
    return S.cast(repeats, "int64")


def repeat(x, repeats, axis=None):
    """NumPy's ``repeat``; ``axis=None`` repeats the entries of the flattened ``x``."""
    x = as_tensor_variable(x)
    if axis is None:
        x, axis = flatten(x), 0
    (axis,) = normalize_axis(axis, x.ndim, "repeat")
    return Repeat(axis)(x, repeats)


def _times(a, b):
    sa, sb = _static(a), _static(b)
    return sa * sb if None not in (sa, sb) else S.mul(a, b)


def tile(x, reps):
    """NumPy's ``tile``: each axis of ``x`` (padded to ``len(reps)`` axes) repeated as a
    block ``reps[i]`` times, by broadcasting to (r0, n0, r1, n1, ...) and merging pairs."""
    x = as_tensor_variable(x)
    reps = list(reps) if isinstance(reps, (list, tuple)) else [reps]
    ndim = max(x.ndim, len(reps))
    x, reps = pad_left(x, ndim), [1] * (ndim - len(reps)) + _sizes(reps, "tile")
    blocks = dimshuffle(x, [p for a in range(ndim) for p in ("x", a)])
    tiled = alloc(blocks, *[d for a in range(ndim) for d in (reps[a], shape_i(x, a))])
    return reshape(tiled, [_times(reps[a], shape_i(x, a)) for a in range(ndim)])


def _band(x, k, keep, what):
    """``x`` with the entries of its last two axes outside the band ``keep(col - row, k)`` zeroed."""
    x = as_tensor_variable(x)
    if x.ndim < 2:
        raise ShapeError(f"{what}: {_described(x)} needs at least two dimensions")
    rows = dimshuffle(arange(shape_i(x, x.ndim - 2)), (0, "x"))
    cols = dimshuffle(arange(shape_i(x, x.ndim - 1)), ("x", 0))
    return S.switch(keep(cols - rows, k), x, constant(0, dtype=x.dtype))


def tril(x, k=0):
    """NumPy's ``tril``: zeros above the ``k``-th diagonal of the last two axes."""
    return _band(x, k, S.le, "tril")


def triu(x, k=0):
    """NumPy's ``triu``: zeros below the ``k``-th diagonal of the last two axes."""
    return _band(x, k, S.ge, "triu")


def eye(n, m=None, k=0, dtype=None):
    """An ``n`` x ``m`` matrix with ones on the ``k``-th diagonal (dtype: floatX)."""
    rows = dimshuffle(arange(n), (0, "x"))
    cols = dimshuffle(arange(n if m is None else m), ("x", 0))
    return S.cast(S.eq(cols - rows, k), dtype or config.floatX)


def identity_like(x):
    """``eye`` with the shape and dtype of the matrix ``x``."""
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise ShapeError(f"identity_like: expected a matrix, got {_described(x)}")
    return eye(shape_i(x, 0), shape_i(x, 1), dtype=x.dtype)


__all__ = ["concatenate", "stack", "split", "arange", "repeat", "tile", "tril", "triu", "eye", "identity_like"]
