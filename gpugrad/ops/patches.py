"""Patches of images: ``Im2Col`` copies every window a convolution reads into one row of a
matrix, ``Col2Im`` adds such rows back into an image. They are each other's transpose (and so
each other's pullback), both linear, and together with one ``Dot`` they make every
convolution and its two gradients (``ops/conv.py``): one BLAS product each.

Layouts, for ``nd`` spatial axes (2 for conv2d, 3 for conv3d) and any leading axes ``L``
(the batch, and the batch of a vectorized graph in front of it)::

    image    L + (C,) + S            S: spatial sizes
    columns  L + O + K + (C,)        O: output sizes, K: kernel sizes

    columns[l, o, k, c] = padded(image)[l, c, o * stride + k * dilation]

Channels last in a row make the copy's inner loop run along contiguous memory (the image
is first made channels-last) and the product's long axis (N x O) the leading one, which is
the fast orientation for BLAS in all three products. A border is "full", "half" or one
(low, high) padding pair per spatial axis; "full" and "half" depend on the kernel size,
which is an input (the sizes of a shared variable's filters are not static).
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..errors import InputError, ShapeError
from ..graph.basic import Apply, Constant
from ..graph.op import Op
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable
from . import scalar as S
from .shape import require_unbatched, shape_i


def padding(border, kernel, dilation):
    """The (low, high) padding of one axis: ints, or int64 scalars for a symbolic kernel size."""
    if border == "full":
        return ((kernel - 1) * dilation,) * 2
    if border == "half":
        return (((kernel - 1) * dilation + 1) // 2,) * 2
    return border


def output_size(size, kernel, border, stride, dilation):
    """Theano's ``(size + pad_low + pad_high - dilated kernel) // stride + 1``; ints or int64 scalars."""
    low, high = padding(border, kernel, dilation)
    return (size + low + high - ((kernel - 1) * dilation + 1)) // stride + 1


def per_axis_ints(value, nd, what, name, minimum):
    """An argument of window ops (strides, dilations, window sizes): an int or ``nd`` ints, each
    at least ``minimum``, as a tuple."""
    items = (value,) * nd if isinstance(value, (int, np.integer)) else tuple(value)
    if len(items) != nd or any(not isinstance(v, (int, np.integer)) for v in items):
        raise InputError(f"{what}: {name} must be {nd} ints, got {value!r}")
    if any(v < minimum for v in items):
        raise ShapeError(f"{what}: {name} must be at least {minimum}, got {value!r}")
    return tuple(int(v) for v in items)


def _static(var):
    return int(var.data) if isinstance(var, Constant) else None


def _size_inputs(sizes, what):
    """Sizes as int64 scalar variables (what the shape inputs of an op are)."""
    out = []
    for d in sizes:
        d = as_tensor_variable(d)
        if d.ndim != 0 or not dtypes.is_discrete(d.dtype):
            raise InputError(f"{what}: each size must be an integer scalar, got {d.type}")
        out.append(d if d.dtype == "int64" else S.cast(d, "int64"))
    return out


class _Window(Op):
    """What Im2Col and Col2Im share: the geometry props and the size arithmetic."""
    __props__ = ("border", "strides", "dilations")

    def __init__(self, border, strides, dilations):
        self.border, self.strides, self.dilations = border, tuple(strides), tuple(dilations)

    @property
    def nd(self):
        return len(self.strides)

    def _borders(self):
        return (self.border,) * self.nd if isinstance(self.border, str) else self.border

    def out_sizes(self, sizes, kernels):
        return [output_size(s, k, b, st, d) for s, k, b, st, d in
                zip(sizes, kernels, self._borders(), self.strides, self.dilations)]

    def pads(self, kernels):
        return [padding(b, k, d) for b, k, d in zip(self._borders(), kernels, self.dilations)]

    def _static_out(self, sizes, kernels):
        return [None if None in (s, k) else o for s, k, o in
                zip(sizes, kernels, self.out_sizes([s or 0 for s in sizes], [k or 1 for k in kernels]))]

    def _check_fits(self, sizes, kernels, what):
        """A window that does not fit the padded image (an output size below 1) is an error."""
        outs = self.out_sizes(sizes, kernels)
        if any(o < 1 for o in outs):
            raise ShapeError(f"{what}: filters of size {tuple(kernels)} (dilation {self.dilations}) do not fit an "
                             f"input of spatial size {tuple(sizes)} padded by {self.pads(kernels)}")
        return outs

    @staticmethod
    def _inner(sizes, pads):
        """The index of the image inside its padded copy (spatial axes only)."""
        return tuple(slice(lo, lo + s) for s, (lo, _) in zip(sizes, pads))

    def _windows(self, padded, lead, outs, kernels):
        """The view ``lead + O + K + (C,)`` of a channels-last padded image."""
        strides = padded.strides
        spatial = strides[len(lead):len(lead) + self.nd]
        return as_strided(padded, tuple(lead) + tuple(outs) + tuple(kernels) + padded.shape[-1:],
                          strides[:len(lead)] + tuple(s * st for s, st in zip(spatial, self.strides))
                          + tuple(s * d for s, d in zip(spatial, self.dilations)) + strides[-1:], writeable=False)


class Im2Col(_Window):
    """``image, channels, *kernel_sizes -> columns`` (module docstring). ``channels`` is the
    channel count the filters expect: checked here, so a mismatch names the convolution."""
    fresh_outputs = True

    def make_node(self, x, channels, *kernels):
        x = as_tensor_variable(x)
        nd = self.nd
        if x.ndim < nd + 1 or len(kernels) != nd:
            raise ShapeError(f"{self}: expected an image with {nd} spatial axes after its channel axis and "
                             f"{nd} kernel sizes, got {x} ({x.type}) and {len(kernels)} sizes")
        channels, *kernels = _size_inputs([channels, *kernels], str(self))
        shape = x.type.shape
        lead, c, spatial = shape[:-nd - 1], shape[-nd - 1], shape[-nd:]
        ks = [_static(k) for k in kernels]
        if c is not None and _static(channels) not in (None, c):
            raise ShapeError(f"conv{nd}d: the input has {c} channels but the filters expect {_static(channels)}")
        if None not in spatial and None not in ks:
            self._check_fits(spatial, ks, f"conv{nd}d")
        out_shape = tuple(lead) + tuple(self._static_out(spatial, ks)) + tuple(ks) + (c,)
        return Apply(self, [x, channels, *kernels], [TensorVariable(TensorType(x.dtype, out_shape))])

    def geometry(self, shape, channels, kernels):
        """The output sizes and paddings for an image of ``shape``, after the run-time checks."""
        nd = self.nd
        if shape[-nd - 1] != channels:
            raise ShapeError(f"conv{nd}d: the input (shape {tuple(shape)}) has {shape[-nd - 1]} channels but the "
                             f"filters expect {channels}")
        return self._check_fits(shape[-nd:], kernels, f"conv{nd}d"), self.pads(kernels)

    def perform(self, node, inputs):
        x, channels, *kernels = inputs
        nd, kernels = self.nd, [int(k) for k in kernels]
        lead, c, spatial = x.shape[:-nd - 1], x.shape[-nd - 1], x.shape[-nd:]
        outs, pads = self.geometry(x.shape, int(channels), kernels)
        channels_last = np.moveaxis(x, -nd - 1, -1)
        if any(p for pair in pads for p in pair):
            padded = np.zeros(lead + tuple(s + lo + hi for s, (lo, hi) in zip(spatial, pads)) + (c,), x.dtype)
            padded[(Ellipsis,) + self._inner(spatial, pads) + (slice(None),)] = channels_last
        else:
            padded = np.ascontiguousarray(channels_last)
        return [np.ascontiguousarray(self._windows(padded, lead, outs, kernels))]

    def infer_shape(self, node, input_shapes):
        x_shape, nd = input_shapes[0], self.nd
        kernels = node.inputs[2:]
        outs = self.out_sizes(x_shape[-nd:], kernels)
        return [tuple(x_shape[:-nd - 1]) + tuple(outs) + tuple(kernels) + (x_shape[-nd - 1],)]

    def pullback(self, inputs, outputs, output_grads):
        x = inputs[0]
        sizes = [shape_i(x, a) for a in range(x.ndim - self.nd, x.ndim)]
        return [Col2Im(*self._props())(output_grads[0], *sizes)] + [None] * (len(inputs) - 1)

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0], *inputs[1:])]

    def batch(self, inputs, batched):
        """The batch is one more leading axis of the image, and so of the columns."""
        require_unbatched(self, batched[1:], "the kernel sizes would differ between examples")
        return [self(*inputs)]


class Col2Im(_Window):
    """``columns, *image_sizes -> image``: each row added back into the windows it was copied
    from (module docstring); the transpose of ``Im2Col``."""
    fresh_outputs = True

    def make_node(self, cols, *sizes):
        cols = as_tensor_variable(cols)
        nd = self.nd
        if cols.ndim < 2 * nd + 1 or len(sizes) != nd:
            raise ShapeError(f"{self}: expected columns with {nd} output and {nd} kernel axes before the channel "
                             f"axis and {nd} image sizes, got {cols} ({cols.type}) and {len(sizes)} sizes")
        sizes = _size_inputs(sizes, str(self))
        shape = cols.type.shape
        lead, outs, ks, c = shape[:-2 * nd - 1], shape[-2 * nd - 1:-nd - 1], shape[-nd - 1:-1], shape[-1]
        static = [_static(s) for s in sizes]
        if None not in static and None not in ks and None not in outs:
            self._check_sizes(static, ks, outs)
        return Apply(self, [cols, *sizes], [TensorVariable(TensorType(cols.dtype, tuple(lead) + (c,) + tuple(static)))])

    def _check_sizes(self, sizes, kernels, outs):
        want = self._check_fits(sizes, kernels, f"conv{self.nd}d gradient")
        if tuple(want) != tuple(outs):
            raise ShapeError(f"conv{self.nd}d gradient: an image of spatial size {tuple(sizes)} gives outputs of "
                             f"size {tuple(want)} with filters of size {tuple(kernels)}, but the gradient has "
                             f"spatial size {tuple(outs)}")

    def geometry(self, shape, sizes):
        """The output and kernel sizes the columns of ``shape`` hold, and the paddings, after
        checking that they are those of an image of spatial ``sizes``."""
        nd = self.nd
        outs, kernels = shape[-2 * nd - 1:-nd - 1], shape[-nd - 1:-1]
        self._check_sizes(sizes, kernels, outs)
        return outs, kernels, self.pads(kernels)

    def perform(self, node, inputs):
        cols, *sizes = inputs
        nd, sizes = self.nd, [int(s) for s in sizes]
        lead, c = cols.shape[:-2 * nd - 1], cols.shape[-1]
        outs, kernels, pads = self.geometry(cols.shape, sizes)
        padded = np.zeros(lead + tuple(s + lo + hi for s, (lo, hi) in zip(sizes, pads)) + (c,), cols.dtype)
        for k in np.ndindex(*kernels):
            window = tuple(slice(i * d, i * d + st * (o - 1) + 1, st)
                           for i, d, st, o in zip(k, self.dilations, self.strides, outs))
            padded[(Ellipsis,) + window + (slice(None),)] += cols[(Ellipsis,) + k + (slice(None),)]
        return [np.moveaxis(padded[(Ellipsis,) + self._inner(sizes, pads) + (slice(None),)], -1, -nd - 1)]

    def infer_shape(self, node, input_shapes):
        cols_shape, nd = input_shapes[0], self.nd
        return [tuple(cols_shape[:-2 * nd - 1]) + (cols_shape[-1],) + tuple(node.inputs[1:])]

    def pullback(self, inputs, outputs, output_grads):
        cols, nd = inputs[0], self.nd
        kernels = [shape_i(cols, a) for a in range(cols.ndim - nd - 1, cols.ndim - 1)]
        channels = shape_i(cols, cols.ndim - 1)
        return [Im2Col(*self._props())(output_grads[0], channels, *kernels)] + [None] * nd

    def pushforward(self, inputs, outputs, tangents):
        return [None if tangents[0] is None else self(tangents[0], *inputs[1:])]

    def batch(self, inputs, batched):
        require_unbatched(self, batched[1:], "the image sizes would differ between examples")
        return [self(*inputs)]
