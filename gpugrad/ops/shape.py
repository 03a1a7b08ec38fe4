"""Shapes as values and ops that only move data around: Shape, ShapeI, DimShuffle,
Reshape and Alloc (broadcasting a value to a shape: fill, zeros, ones).

Every other op family is built on these, while a few of their gradients and shape rules use
casts, reductions and indexing: those imports (of scalar, reduce and subtensor) wait inside
the functions that need them, the one mutual recursion among the op modules."""
import functools
import operator

import numpy as np

from ..backends import kernels
from ..codegen import elementwise as codegen
from ..errors import ShapeError
from ..graph.basic import Apply, Constant, Variable
from ..graph.op import CudaFacet, Op
from ..runtime.device_arrays import backend_for, library_for
from ..runtime.elementwise import compiled, launch_elementwise
from ..runtime.facets import always, inputs_at, output_in_kernels, sizes_from
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable, constant


def _out(dtype, shape):
    return TensorVariable(TensorType(dtype, shape))


_READS_SHAPES = CudaFacet("runs on the host, reading only its input's shape (a device array's too: no copy)",
                          accepts=None, shapes_only=True)
_VIEW = CudaFacet("a view of the device array, made by its perform (CuPy's reshape and transpose)", accepts=None,
                  view=always)


class Shape(Op):
    """``x.shape`` as an int64 vector."""
    cuda = _READS_SHAPES

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [_out("int64", (x.ndim,))])

    def perform(self, node, inputs):
        return [np.asarray(inputs[0].shape, dtype="int64")]

    def infer_shape(self, node, input_shapes):
        return [(node.inputs[0].ndim,)]

    def pullback(self, inputs, outputs, output_grads):
        return [None]

    def pushforward(self, inputs, outputs, tangents):
        return [None]

    def batch(self, inputs, batched):
        """The shape of one example (every example has it): no batch axis."""
        from .subtensor import subtensor
        return [subtensor(self(inputs[0]), slice(1, None))]


class ShapeI(Op):
    """``x.shape[axis]`` as an int64 scalar; what shape inference is written in."""
    __props__ = ("axis",)
    cuda = _READS_SHAPES

    def __init__(self, axis):
        self.axis = axis

    def __str__(self):
        return f"shape_{self.axis}"

    def make_node(self, x):
        x = as_tensor_variable(x)
        if not 0 <= self.axis < x.ndim:
            raise ShapeError(f"shape_i: axis {self.axis} is out of range for {x} with {x.ndim} dimensions")
        return Apply(self, [x], [_out("int64", ())])

    def perform(self, node, inputs):
        return [np.asarray(inputs[0].shape[self.axis], dtype="int64")]

    def infer_shape(self, node, input_shapes):
        return [()]

    def pullback(self, inputs, outputs, output_grads):
        return [None]

    def pushforward(self, inputs, outputs, tangents):
        return [None]

    def batch(self, inputs, batched):
        """The size in one example (the same for all): no batch axis."""
        return [shape_i(inputs[0], self.axis + 1)]


def shape(x):
    return Shape()(as_tensor_variable(x))


def shape_i(x, axis):
    """The size of ``x`` along ``axis``: a constant when the static shape knows it."""
    size = x.type.shape[axis]
    return constant(size, dtype="int64") if size is not None else ShapeI(axis)(x)


def shape_tuple(x):
    return tuple(shape_i(x, a) for a in range(x.ndim))


class DimShuffle(Op):
    """Permute axes, drop broadcastable ones and insert new ones ('x' in the pattern)."""
    __props__ = ("pattern",)
    cuda = _VIEW

    def __init__(self, pattern):
        self.pattern = tuple(pattern)

    def __str__(self):
        return f"DimShuffle{{{','.join(map(str, self.pattern))}}}"

    def make_node(self, x):
        x = as_tensor_variable(x)
        kept = [p for p in self.pattern if p != "x"]
        if sorted(kept) != sorted(set(kept)) or any(not 0 <= p < x.ndim for p in kept):
            raise ShapeError(f"dimshuffle{self.pattern}: invalid pattern for {x} with {x.ndim} dimensions")
        for axis in set(range(x.ndim)) - set(kept):
            if x.type.shape[axis] != 1:
                raise ShapeError(f"dimshuffle{self.pattern}: cannot drop axis {axis} of {x}, "
                                 f"whose size is {x.type.shape[axis] or 'unknown'} (not 1)")
        shape = tuple(1 if p == "x" else x.type.shape[p] for p in self.pattern)
        out = _out(x.dtype, shape)
        out.weak = x.weak
        return Apply(self, [x], [out])

    def perform(self, node, inputs):
        (x,) = inputs
        kept = [p for p in self.pattern if p != "x"]
        dropped = tuple(a for a in range(x.ndim) if a not in kept)
        y = x.reshape([s for a, s in enumerate(x.shape) if a not in dropped]) if dropped else x
        order = sorted(kept)
        y = y.transpose([order.index(p) for p in kept])
        return [y.reshape([1 if p == "x" else x.shape[p] for p in self.pattern])]

    def make_thunk(self, node, storage_in, storage_out):
        """Without dropped axes: one transpose and one index of precomputed tuples (0.3 µs,
        where ``perform`` works the pattern out each call in 2 µs); on a device array too."""
        kept = tuple(p for p in self.pattern if p != "x")
        if len(kept) < node.inputs[0].ndim:
            return super().make_thunk(node, storage_in, storage_out)
        index = tuple(None if p == "x" else slice(None) for p in self.pattern)
        order = None if kept == tuple(range(len(kept))) else kept
        (src,), (dst,) = storage_in, storage_out

        def thunk():
            x = src[0]
            dst[0] = (x if order is None else x.transpose(order))[index]
        return thunk

    def infer_shape(self, node, input_shapes):
        (shp,) = input_shapes
        return [tuple(1 if p == "x" else shp[p] for p in self.pattern)]

    def pullback(self, inputs, outputs, output_grads):
        (x,), (g,) = inputs, output_grads
        kept = [p for p in self.pattern if p != "x"]
        new_axes = tuple(a for a, p in enumerate(self.pattern) if p == "x")
        from .reduce import sum as sum_
        if new_axes:
            g = sum_(g, axis=new_axes)
        # g now has axes in the order of ``kept``; put them back and re-insert dropped axes
        back = [kept.index(a) if a in kept else "x" for a in range(x.ndim)]
        return [dimshuffle(g, back)]

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0])]

    def batch(self, inputs, batched):
        return [DimShuffle((0,) + tuple(p if p == "x" else p + 1 for p in self.pattern))(inputs[0])]


def dimshuffle(x, pattern):
    x = as_tensor_variable(x)
    pattern = tuple(pattern)
    if pattern == tuple(range(x.ndim)):
        return x
    return DimShuffle(pattern)(x)


def transpose(x, axes=None):
    x = as_tensor_variable(x)
    axes = tuple(reversed(range(x.ndim))) if axes is None else tuple(a % x.ndim for a in axes)
    return dimshuffle(x, axes)


def expand_dims(x, axis):
    x = as_tensor_variable(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    ndim = x.ndim + len(axes)
    axes = sorted(a % ndim for a in axes)
    pattern, source = [], iter(range(x.ndim))
    for a in range(ndim):
        pattern.append("x" if a in axes else next(source))
    return dimshuffle(x, pattern)


def squeeze(x, axis=None):
    """Drop size-1 axes: those given, or every axis statically known to be 1."""
    x = as_tensor_variable(x)
    if axis is None:
        axes = [a for a, s in enumerate(x.type.shape) if s == 1]
    else:
        axes = [a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis)]
    return dimshuffle(x, [a for a in range(x.ndim) if a not in axes])


def _reshape_thunk(device, node, storage_in, storage_out):
    """``Reshape`` with host sizes: a view of the device array (of a contiguous copy if need be)."""
    library = library_for(device)
    (x_cell, *size_cells), (dst,) = storage_in, storage_out

    def thunk():
        dst[0] = kernels.reshape(library, x_cell[0], tuple(int(c[0]) for c in size_cells))
    return thunk


class Reshape(Op):
    """Reshape to ``ndim`` sizes given as int64 scalar inputs (a -1 is resolved when built)."""
    __props__ = ("ndim",)
    cuda = CudaFacet("a view of the device array (of a contiguous device copy if need be)", thunk=_reshape_thunk,
                     accepts=None, host_inputs=sizes_from(1), view=always)

    def __init__(self, ndim):
        self.ndim = ndim

    def make_node(self, x, *dims):
        x = as_tensor_variable(x)
        static = [int(d.data) if isinstance(d, Constant) else None for d in dims]
        if None not in x.type.shape:
            total = int(np.prod(x.type.shape))
            if static.count(None) == 1 and np.prod([s for s in static if s is not None]):
                static[static.index(None)] = total // int(np.prod([s for s in static if s is not None]))
            elif None not in static and int(np.prod(static)) != total:
                raise ShapeError(f"reshape: cannot reshape {x} of shape {x.type.shape} to {tuple(static)}")
        return Apply(self, [x, *dims], [_out(x.dtype, static)])

    def perform(self, node, inputs):
        x, *dims = inputs
        try:
            if min(dims, default=0) < 0:  # a -1 was resolved when built; NumPy would take any negative for it
                raise ValueError
            return [x.reshape(tuple(int(d) for d in dims))]
        except ValueError:
            raise ShapeError(f"reshape: cannot reshape an array of shape {x.shape} "
                             f"to {tuple(int(d) for d in dims)}") from None

    def infer_shape(self, node, input_shapes):
        return [tuple(node.inputs[1:])]

    def pullback(self, inputs, outputs, output_grads):
        x = inputs[0]
        return [reshape(output_grads[0], shape_tuple(x))] + [None] * self.ndim

    def pushforward(self, inputs, outputs, tangents):
        t = tangents[0]
        return [None if t is None else self(t, *inputs[1:])]

    def batch(self, inputs, batched):
        require_unbatched(self, batched[1:], "the target shape would differ between examples")
        x, *dims = inputs
        return [Reshape(self.ndim + 1)(x, shape_i(x, 0), *dims)]


def reshape(x, newshape, ndim=None):
    """``x`` with a new shape: a tuple of ints and symbolic scalars, or an int vector
    (``y.shape``) whose length is known; one entry may be -1."""
    x = as_tensor_variable(x)
    if isinstance(newshape, (int, np.integer)) or (isinstance(newshape, Variable) and newshape.ndim == 0):
        newshape = (newshape,)
    if isinstance(newshape, Variable):
        newshape = _entries(newshape, ndim)
    from .scalar import cast, floor_divide, mul
    dims = [as_tensor_variable(d) for d in newshape]
    dims = [d if d.dtype == "int64" else cast(d, "int64") for d in dims]
    for d in dims:
        if d.ndim != 0 or not dtypes.is_discrete(d.dtype):
            raise ShapeError(f"reshape: each size must be an integer scalar, got {d.type}")
    unknown = [i for i, d in enumerate(dims) if isinstance(d, Constant) and d.data == -1]
    if len(unknown) > 1:
        raise ShapeError("reshape: at most one size may be -1")
    if unknown:
        others = [d for i, d in enumerate(dims) if i != unknown[0]]
        total = _product(shape_tuple(x), mul)
        dims[unknown[0]] = floor_divide(total, _product(others, mul)) if others else total
    return Reshape(len(dims))(x, *dims)


def _product(dims, mul):
    static = [d for d in dims if isinstance(d, (int, np.integer))]
    symbolic = [d for d in dims if not isinstance(d, (int, np.integer))]
    result = constant(int(np.prod(static)) if static else 1, dtype="int64")
    for d in symbolic:
        result = mul(result, d)
    return result


def _entries(vector, ndim, what="reshape"):
    """The scalar entries of a symbolic int vector of known length."""
    if vector.owner is not None and isinstance(vector.owner.op, Shape):
        return shape_tuple(vector.owner.inputs[0])
    n = vector.type.shape[0] if ndim is None else ndim
    if n is None:
        raise ShapeError(f"{what}: the length of the shape vector {vector} is unknown; pass ndim=")
    if isinstance(vector, Constant):
        return [int(v) for v in vector.data]
    from .subtensor import subtensor
    return [subtensor(vector, i) for i in range(n)]


def flatten(x, ndim=1):
    """Keep the first ``ndim - 1`` axes and merge the rest into one."""
    x = as_tensor_variable(x)
    if not 1 <= ndim <= max(x.ndim, 1):
        raise ShapeError(f"flatten: ndim={ndim} is out of range for {x} with {x.ndim} dimensions")
    merged = [shape_i(x, a) for a in range(ndim - 1, x.ndim)]  # their product: -1 is ambiguous at a size 0
    last = functools.reduce(operator.mul, merged) if merged else 1
    return reshape(x, [shape_i(x, a) for a in range(ndim - 1)] + [last])


def _alloc_thunk(device, node, storage_in, storage_out):
    """``Alloc``: the value broadcast to the sizes (host ints) as a view, then made a fresh
    C-contiguous array by the generated copy kernel; a one-element host value (placement's
    ``by_value``) is the kernel's scalar parameter instead."""
    be, dtype, ndim = backend_for(device), node.outputs[0].dtype, node.outputs[0].ndim
    by_value = 0 in node.tag.get("by_value", ())
    copy, geometries = compiled(device, codegen.copy_source(dtype, by_value)), {}
    (value_cell, *size_cells), (dst,) = storage_in, storage_out

    def thunk():
        shape = tuple(int(c[0]) for c in size_cells)
        if by_value:
            args, static = [value_cell[0].flat[0]], []
        else:
            try:
                args, static = [be.xp.broadcast_to(value_cell[0], shape)], [(None,) * ndim]
            except ValueError:
                raise ShapeError(f"alloc: cannot broadcast a value of shape {value_cell[0].shape} "
                                 f"to {shape}") from None
        (dst[0],) = launch_elementwise(device, copy, shape, args, static, [dtype], geometries)
    return thunk


class Alloc(Op):
    """``value`` broadcast to the shape given by scalar inputs (a fresh, writable array)."""
    fresh_outputs = True
    cuda = CudaFacet("the generated copy kernel over a broadcast view of the value (a one-element host value "
                     "by value)", thunk=_alloc_thunk, accepts=output_in_kernels, host_inputs=sizes_from(1),
                     by_value=inputs_at(0))

    def make_node(self, value, *dims):
        value = as_tensor_variable(value)
        dims = [as_tensor_variable(d) for d in dims]
        for d in dims:
            if d.ndim != 0 or not dtypes.is_discrete(d.dtype):
                raise ShapeError(f"alloc: each size must be an integer scalar, got {d.type}")
        if value.ndim > len(dims):
            raise ShapeError(f"alloc: the value {value} has more dimensions than the shape")
        static = tuple(int(d.data) if isinstance(d, Constant) else None for d in dims)
        return Apply(self, [value] + dims, [_out(value.dtype, static)])

    def perform(self, node, inputs):
        value, *dims = inputs
        out = np.empty(tuple(int(d) for d in dims), dtype=node.outputs[0].type.dtype)
        try:
            out[...] = value
        except ValueError:
            raise ShapeError(f"alloc: cannot broadcast a value of shape {np.shape(value)} "
                             f"to {out.shape}") from None
        return [out]

    def infer_shape(self, node, input_shapes):
        return [tuple(node.inputs[1:])]

    def pullback(self, inputs, outputs, output_grads):
        value, *dims = inputs
        return [unbroadcast(output_grads[0], value)] + [None] * len(dims)

    def pushforward(self, inputs, outputs, tangents):
        t = tangents[0]
        return [None if t is None else self(t, *inputs[1:])]

    def batch(self, inputs, batched):
        require_unbatched(self, batched[1:], "the allocated shape would differ between examples")
        value, *dims = inputs
        return [alloc(pad_batched(value, len(dims)), shape_i(value, 0), *dims)]


def unbroadcast(g, value):
    """Sum ``g`` down to the shape of ``value``, which was broadcast to make it."""
    from .reduce import sum as sum_
    lead = g.ndim - value.ndim
    axes = tuple(range(lead)) + tuple(lead + a for a, s in enumerate(value.type.shape)
                                      if s == 1 and g.type.shape[lead + a] != 1)
    if axes:
        g = sum_(g, axis=axes, keepdims=True)
        if lead:
            g = dimshuffle(g, list(range(lead, g.ndim)))
    return g


def alloc(value, *dims):
    return Alloc()(value, *dims)


def alloc_like(value, like):
    """``value`` broadcast to the shape of ``like``."""
    return alloc(value, *shape_tuple(like))


def fill(like, value):
    """Theano's ``fill(model, value)``: ``value`` with the shape and dtype of ``model``."""
    like = as_tensor_variable(like)
    value = as_tensor_variable(value)
    from .scalar import cast
    if value.dtype != like.dtype and not value.weak:
        value = cast(value, like.dtype)
    return Fill()(like, value)


def _fill_thunk(device, node, storage_in, storage_out):
    """``Fill``: a fresh device array of the model's shape (only its shape is read, wherever it
    is) and the output's dtype, the value broadcast and cast into it by an assignment."""
    be, dtype = backend_for(device), node.outputs[0].dtype
    (like_cell, value_cell), (dst,) = storage_in, storage_out

    def thunk():
        out, value = be.allocate(like_cell[0].shape, dtype), value_cell[0]
        try:
            out[...] = value
        except ValueError:
            raise ShapeError(f"fill: cannot broadcast a value of shape {value.shape} to {out.shape}") from None
        dst[0] = out
    return thunk


class Fill(Op):
    """``fill(model, value)``: kept as its own node until canonicalize removes it through
    shape inference, so unoptimized graphs print as in Theano."""
    fresh_outputs = True
    cuda = CudaFacet("an assignment of the value into a fresh array of the model's shape (read on the host)",
                     thunk=_fill_thunk, host_inputs=inputs_at(0))

    def make_node(self, like, value):
        if value.ndim > like.ndim:
            raise ShapeError(f"fill: the value {value} has more dimensions than the model {like}")
        dtype = like.dtype if value.weak else value.dtype
        return Apply(self, [like, value], [_out(dtype, like.type.shape)])

    def perform(self, node, inputs):
        like, value = inputs
        out = np.empty(np.shape(like), dtype=node.outputs[0].type.dtype)
        out[...] = value
        return [out]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def pp(self, node, args):
        return f"fill({args[0]}, {args[1]})"

    def pullback(self, inputs, outputs, output_grads):
        return [None, unbroadcast(output_grads[0], inputs[1])]

    def pushforward(self, inputs, outputs, tangents):
        t = tangents[1]
        return [None if t is None else fill(inputs[0], t)]

    def batch(self, inputs, batched):
        """A batched model keeps the op; a batched value over an unbatched model is
        broadcast to the model's shape with the batch in front (an ``alloc``)."""
        like, value = inputs
        if batched[0]:
            return [self(like, pad_batched(value, like.ndim - 1) if batched[1] else value)]
        if value.weak:
            from .scalar import cast
            value = cast(value, like.dtype)
        return [alloc(pad_batched(value, like.ndim), shape_i(value, 0), *shape_tuple(like))]


def zeros_like(x, dtype=None):
    x = as_tensor_variable(x)
    return alloc(constant(0, dtype=dtype or x.dtype), *shape_tuple(x))


def ones_like(x, dtype=None):
    x = as_tensor_variable(x)
    return alloc(constant(1, dtype=dtype or x.dtype), *shape_tuple(x))


def _dims(shape_arg, what, ndim):
    """The sizes of ``zeros``/``ones``: an int, a symbolic scalar, a sequence of them, or an
    int vector of known length (``x.shape``, as Theano takes it)."""
    if isinstance(shape_arg, Variable) and shape_arg.ndim == 1:
        return list(_entries(shape_arg, ndim, what))
    if isinstance(shape_arg, (int, np.integer, Variable)):
        shape_arg = (shape_arg,)
    return list(shape_arg)


def zeros(shape_arg, dtype=None, ndim=None):
    return alloc(constant(0, dtype=dtypes.as_dtype(dtype)), *_dims(shape_arg, "zeros", ndim))


def ones(shape_arg, dtype=None, ndim=None):
    return alloc(constant(1, dtype=dtypes.as_dtype(dtype)), *_dims(shape_arg, "ones", ndim))


class MatchShape(Op):
    """``value`` unchanged, after checking at run time that it has the shape of ``like``:
    what an R-op's eval point or an L-op's seed promises. The first ``value_lead`` axes
    of ``value`` and ``like_lead`` axes of ``like`` are left out of the comparison
    (batch axes, once vectorized)."""
    __props__ = ("what", "value_lead", "like_lead")
    cuda = CudaFacet("its value, after a shape check on the host (the model read only for its shape)",
                     accepts=None, host_inputs=inputs_at(1), view=always)

    def __init__(self, what, value_lead=0, like_lead=0):
        self.what, self.value_lead, self.like_lead = what, int(value_lead), int(like_lead)

    def make_node(self, value, like):
        value, like = as_tensor_variable(value), as_tensor_variable(like)
        if value.ndim - self.value_lead != like.ndim - self.like_lead:
            raise ShapeError(f"{self.what}: expected {like.ndim - self.like_lead} dimensions like {like} "
                             f"({like.type}), got {value} ({value.type})")
        return Apply(self, [value, like], [_out(value.dtype, value.type.shape)])

    def perform(self, node, inputs):
        value, like = inputs
        if value.shape[self.value_lead:] != like.shape[self.like_lead:]:
            raise ShapeError(f"{self.what}: expected shape {like.shape[self.like_lead:]} (the shape of "
                             f"{node.inputs[1]}), got {value.shape[self.value_lead:]}")
        return [value]

    def infer_shape(self, node, input_shapes):
        return [tuple(input_shapes[0][:self.value_lead]) + tuple(input_shapes[1][self.like_lead:])]

    def pullback(self, inputs, outputs, output_grads):
        return [output_grads[0], None]

    def pushforward(self, inputs, outputs, tangents):
        return [tangents[0]]

    def batch(self, inputs, batched):
        """The check skips the batch axes; for an unbatched value the result stays unbatched."""
        op = MatchShape(self.what, self.value_lead + batched[0], self.like_lead + batched[1])
        return [op(*inputs)]


# ---------------------------------------------------------------- batching helpers
def require_unbatched(op, flags, why):
    """Batching rules cannot give examples different output shapes (NumPy arrays are
    rectangular): a batched size, bound or count raises, naming the op."""
    if any(flags):
        raise NotImplementedError(f"{op} cannot be vectorized over a batched size or count: {why}")


def pad_batched(var, ndim):
    """The batched ``var`` with broadcastable axes inserted right after its batch axis,
    so that one example has ``ndim`` axes, aligned on the right as NumPy broadcasts."""
    return dimshuffle(var, [0] + ["x"] * (ndim + 1 - var.ndim) + list(range(1, var.ndim)))


def broadcast_batch(var, size):
    """``var`` repeated ``size`` times along a new leading axis (an allocated ``var``,
    such as the zeros a gradient starts from, is allocated once with the batch)."""
    var = as_tensor_variable(var)
    if var.owner is not None and isinstance(var.owner.op, Alloc):
        value, *dims = var.owner.inputs
        return alloc(value, size, *dims)
    return alloc(var, size, *shape_tuple(var))
