"""Convolutions in Theano's channels-first layout: ``conv2d``, ``conv3d``, their gradients
with respect to the inputs and to the filters, and ``conv2d_transpose``.

Each is ``Im2Col`` (or its transpose ``Col2Im``, ``ops/patches.py``) and one ``Dot``, with
the channel groups as the product's batch axis::

    image    (N, C, S...)        C = G * Cg
    filters  (F, Cg, K...)       F = G * Fg
    output   (N, F, O...)

    conv:          output  = columns(image) . filters        (G, N*O, K*Cg) @ (G, K*Cg, Fg)
    grad inputs:   image   = Col2Im(grad . filters^T)        (G, N*O, Fg) @ (G, Fg, K*Cg)
    grad filters:  filters = columns(image)^T . grad         (G, K*Cg, N*O) @ (G, N*O, Fg)

so gradients, R-ops and batching rules come from those two ops and ``Dot`` (a batched
input becomes one more leading axis of the columns). ``filter_flip=True`` (the default, a
true convolution) reverses the filters' kernel axes (a view) before they become a matrix.
"""
import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, ShapeError
from ..graph.basic import Constant, Variable
from ..types.variable import as_tensor_variable
from .blas import Dot
from .patches import Col2Im, Im2Col, output_size, per_axis_ints
from .shape import dimshuffle, reshape, shape_i


def _static_int(value):
    """An int for an int or a constant, None for None or a symbolic size."""
    if isinstance(value, Constant):
        return int(value.data)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if value is None or isinstance(value, Variable):
        return None
    raise InputError(f"expected an int, None or an integer scalar variable for a size, got {value!r}")


def _border(border_mode, nd, what):
    """'full', 'half', or one (low, high) padding pair per spatial axis."""
    if border_mode in ("full", "half"):
        return border_mode
    if border_mode == "valid":
        return ((0, 0),) * nd
    if isinstance(border_mode, (int, np.integer)):
        border_mode = (border_mode,) * nd
    if isinstance(border_mode, (tuple, list)) and len(border_mode) == nd:
        pairs = tuple((p, p) if isinstance(p, (int, np.integer)) else tuple(p) for p in border_mode)
        if all(len(p) == 2 and all(isinstance(v, (int, np.integer)) and v >= 0 for v in p) for p in pairs):
            return tuple((int(lo), int(hi)) for lo, hi in pairs)
    raise InputError(f"{what}: border_mode must be 'valid', 'full', 'half', an int >= 0 or {nd} of them "
                     f"(ints or (low, high) pairs), got {border_mode!r}")


def _dim(x, axis):
    """The size of ``x`` on ``axis``: an int when static, else an int64 scalar."""
    size = x.type.shape[axis]
    return size if size is not None else shape_i(x, axis)


@dataclass(frozen=True)
class Convolution:
    """One convolution's arguments, checked: what builds its graphs (module docstring)."""
    nd: int
    what: str
    border: object
    strides: tuple
    dilations: tuple
    flip: bool
    groups: int

    @classmethod
    def of(cls, nd, what, border_mode="valid", subsample=1, filter_flip=True, filter_dilation=1, num_groups=1):
        groups = per_axis_ints(num_groups, 1, what, "num_groups", 1)[0]
        return cls(nd, what, _border(border_mode, nd, what), per_axis_ints(subsample, nd, what, "subsample", 1),
                   per_axis_ints(filter_dilation, nd, what, "filter_dilation", 1), bool(filter_flip), groups)

    def _window(self):
        return (self.border, self.strides, self.dilations)

    def _tensor(self, x, name):
        x = as_tensor_variable(x)
        if x.ndim != self.nd + 2:
            layout = "(batch, channels, " + ", ".join(["depth", "rows", "columns"][-self.nd:]) + ")"
            what = "filters (filters, channels, " + layout.split(", ", 2)[2] if name == "filters" else layout
            raise ShapeError(f"{self.what}: {name} must be a {self.nd + 2}-d tensor {what}, got {x} ({x.type})")
        if x.dtype == "bool":
            raise InputError(f"{self.what}: {name} {x} is boolean; cast it to a number first")
        return x

    def _shape(self, x, hint, name):
        """The static shape of ``x`` completed by the user's ``hint`` (input_shape, filter_shape):
        a hint that contradicts a static size, or has the wrong length, raises."""
        static = list(x.type.shape)
        if hint is None:
            return static
        if len(hint) != x.ndim:
            raise ShapeError(f"{self.what}: {name}_shape {tuple(hint)} must have {x.ndim} entries")
        for axis, h in enumerate(hint):
            h = _static_int(h)
            if h is not None and static[axis] not in (None, h):
                raise ShapeError(f"{self.what}: {name}_shape {tuple(hint)} contradicts the static shape "
                                 f"{x.type.shape} of {x} on axis {axis}")
            static[axis] = h if static[axis] is None else static[axis]
        return static

    def _check_channels(self, c, cg, f):
        g = self.groups
        if f is not None and f % g:
            raise ShapeError(f"{self.what}: {f} filters cannot be split into num_groups={g} groups")
        if c is not None and c % g:
            raise ShapeError(f"{self.what}: {c} input channels cannot be split into num_groups={g} groups")
        if None not in (c, cg) and c != cg * g:
            raise ShapeError(f"{self.what}: the input has {c} channels but the filters expect {cg * g} "
                             f"({cg} per group, num_groups={g})")

    def _check_fit(self, spatial, kernels):
        if None in spatial or None in kernels:
            return
        if min(Im2Col(*self._window()).out_sizes(spatial, kernels)) < 1:
            raise ShapeError(f"{self.what}: filters of size {tuple(kernels)} (dilation {self.dilations}) are larger "
                             f"than the input of spatial size {tuple(spatial)} with border_mode {self.border!r}")

    # ---------------------------------------------------------------- the three products
    def output(self, x, w, input_shape=None, filter_shape=None):
        x, w = self._tensor(x, "input"), self._tensor(w, "filters")
        xs, ws = self._shape(x, input_shape, "input"), self._shape(w, filter_shape, "filter")
        self._check_channels(xs[1], ws[1], ws[0])
        self._check_fit(xs[2:], ws[2:])
        cols = Im2Col(*self._window())(x, _dim(w, 1) * self.groups, *[_dim(w, a) for a in range(2, w.ndim)])
        product = Dot(1, 1)(self._patch_matrix(cols), self._filter_matrix(w))
        return self._from_output_matrix(product, _dim(x, 0), [_dim(cols, a) for a in range(1, self.nd + 1)],
                                        _dim(w, 0))

    def grad_inputs(self, grad, w, input_shape, filter_shape=None):
        grad, w = self._tensor(grad, "output_grad"), self._tensor(w, "filters")
        sizes = self._given_sizes(input_shape, "input_shape")
        ws = self._shape(w, filter_shape, "filter")
        self._check_channels(_static_int(input_shape[1]), ws[1], ws[0])
        self._check_fit([_static_int(s) for s in sizes], ws[2:])
        product = Dot(1, 1)(self._output_matrix(grad), dimshuffle(self._filter_matrix(w), (0, 2, 1)))
        outs, kernels = [_dim(grad, a) for a in range(2, grad.ndim)], [_dim(w, a) for a in range(2, w.ndim)]
        cols = self._from_patch_matrix(product, _dim(grad, 0), outs, kernels, _dim(w, 1) * self.groups)
        return Col2Im(*self._window())(cols, *sizes)

    def grad_filters(self, x, grad, filter_shape, input_shape=None):
        x, grad = self._tensor(x, "input"), self._tensor(grad, "output_grad")
        kernels = self._given_sizes(filter_shape, "filter_shape")
        xs = self._shape(x, input_shape, "input")
        self._check_channels(xs[1], _static_int(filter_shape[1]), _static_int(filter_shape[0]))
        self._check_fit(xs[2:], [_static_int(k) for k in kernels])
        given = _static_int(filter_shape[1])
        channels = _dim(x, 1) if given is None else given * self.groups
        cols = Im2Col(*self._window())(x, channels, *kernels)
        product = Dot(1, 1)(dimshuffle(self._patch_matrix(cols), (0, 2, 1)), self._output_matrix(grad))
        filters = _static_int(filter_shape[0])
        w = self._from_filter_matrix(product, _dim(grad, 1) if filters is None else filters, channels // self.groups,
                                     [_dim(cols, a) for a in range(self.nd + 1, 2 * self.nd + 1)])
        return self._flipped(w)

    def _given_sizes(self, shape, name):
        if shape is None or len(shape) != self.nd + 2:
            raise ShapeError(f"{self.what}: {name} must give {self.nd + 2} sizes (the spatial ones at least), "
                             f"got {shape!r}")
        sizes = list(shape[2:])
        if any(s is None for s in sizes):
            raise ShapeError(f"{self.what}: {name} {tuple(shape)} must give every spatial size")
        return sizes

    # ---------------------------------------------------------------- layouts (module docstring)
    def _patch_matrix(self, cols):
        """columns (N, O..., K..., C) -> (G, N*O, K*Cg)."""
        nd, g = self.nd, self.groups
        rows = math.prod([_dim(cols, a) for a in range(nd + 1)])
        kernel = math.prod([_dim(cols, a) for a in range(nd + 1, 2 * nd + 1)])
        split = reshape(cols, (rows, kernel, g, _dim(cols, 2 * nd + 1) // g))
        return reshape(dimshuffle(split, (2, 0, 1, 3)), (g, rows, -1))

    def _flipped(self, w):
        """Filters with their kernel axes reversed for a true convolution (a view)."""
        return w[(slice(None),) * 2 + (slice(None, None, -1),) * self.nd] if self.flip else w

    def _filter_matrix(self, w):
        """filters (F, Cg, K...) -> (G, K*Cg, Fg), the kernels reversed for a true convolution."""
        nd, g, w = self.nd, self.groups, self._flipped(w)
        split = reshape(w, (g, _dim(w, 0) // g) + tuple(_dim(w, a) for a in range(1, w.ndim)))
        kernel = math.prod([_dim(w, a) for a in range(2, w.ndim)])
        return reshape(dimshuffle(split, (0,) + tuple(range(3, nd + 3)) + (2, 1)), (g, kernel * _dim(w, 1), -1))

    def _output_matrix(self, y):
        """output (N, F, O...) -> (G, N*O, Fg)."""
        nd, g = self.nd, self.groups
        rows = math.prod([_dim(y, 0)] + [_dim(y, a) for a in range(2, y.ndim)])
        last = dimshuffle(y, (0,) + tuple(range(2, nd + 2)) + (1,))
        return dimshuffle(reshape(last, (rows, g, _dim(y, 1) // g)), (1, 0, 2))

    def _from_output_matrix(self, m, n, outs, f):
        """(G, N*O, Fg) -> output (N, F, O...)."""
        nd = self.nd
        last = reshape(dimshuffle(m, (1, 0, 2)), (n, *outs, f))
        return dimshuffle(last, (0, nd + 1) + tuple(range(1, nd + 1)))

    def _from_patch_matrix(self, m, n, outs, kernels, c):
        """(G, N*O, K*Cg) -> columns (N, O..., K..., C)."""
        g = self.groups
        split = reshape(m, (g, math.prod([n, *outs]), math.prod(kernels), c // g))
        return reshape(dimshuffle(split, (1, 2, 0, 3)), (n, *outs, *kernels, c))

    def _from_filter_matrix(self, m, f, cg, kernels):
        """(G, K*Cg, Fg) -> filters (F, Cg, K...)."""
        nd, g = self.nd, self.groups
        split = reshape(m, (g, *kernels, cg, f // g))
        ordered = dimshuffle(split, (0, nd + 2, nd + 1) + tuple(range(1, nd + 1)))
        return reshape(ordered, (f, cg, *kernels))


def get_conv_shape_1axis(image_shape, kernel_shape, border_mode, subsample, dilation=1):
    """Theano's output size on one axis (None where a size is unknown)."""
    if None in (image_shape, kernel_shape, subsample, dilation):
        return None
    border = border_mode if border_mode in ("full", "half") else \
        (0, 0) if border_mode == "valid" else tuple(border_mode) if isinstance(border_mode, tuple) \
        else (border_mode, border_mode)
    return output_size(image_shape, kernel_shape, border, subsample, dilation)


def get_conv_output_shape(image_shape, kernel_shape, border_mode, subsample, filter_dilation=None):
    """Theano's ``(batch, filters, outputs...)`` of a convolution (None where unknown)."""
    nd = len(subsample)
    dilations = filter_dilation or (1,) * nd
    borders = (border_mode,) * nd if isinstance(border_mode, (str, int, np.integer)) else tuple(border_mode)
    spatial = tuple(get_conv_shape_1axis(i, k, b, s, d) for i, k, b, s, d in
                    zip(image_shape[2:], kernel_shape[2:], borders, subsample, dilations))
    return (image_shape[0], kernel_shape[0]) + spatial


def _shared_filters(unshared, what):
    if unshared:
        raise NotImplementedError(f"{what}: unshared (locally connected) filters are not supported")


def conv2d(input, filters, input_shape=None, filter_shape=None, border_mode="valid", subsample=(1, 1),
           filter_flip=True, image_shape=None, filter_dilation=(1, 1), num_groups=1, unshared=False):
    """Theano's ``T.nnet.conv2d``: ``input`` (batch, channels, rows, columns) convolved with
    ``filters`` (filters, channels / num_groups, rows, columns). ``input_shape`` (or its old
    name ``image_shape``) and ``filter_shape`` are optional static sizes, checked against the
    variables'. ``border_mode``: 'valid', 'full', 'half', an int or a pair (ints or (low, high)
    pairs); ``filter_flip=False`` gives a cross-correlation."""
    _shared_filters(unshared, "conv2d")
    spec = Convolution.of(2, "conv2d", border_mode, subsample, filter_flip, filter_dilation, num_groups)
    return spec.output(input, filters, input_shape if input_shape is not None else image_shape, filter_shape)


def conv3d(input, filters, input_shape=None, filter_shape=None, border_mode="valid", subsample=(1, 1, 1),
           filter_flip=True, filter_dilation=(1, 1, 1), num_groups=1):
    """``conv2d`` over (batch, channels, depth, rows, columns) with 3-d filters."""
    spec = Convolution.of(3, "conv3d", border_mode, subsample, filter_flip, filter_dilation, num_groups)
    return spec.output(input, filters, input_shape, filter_shape)


def conv2d_grad_wrt_inputs(output_grad, filters, input_shape, filter_shape=None, border_mode="valid",
                           subsample=(1, 1), filter_flip=True, filter_dilation=(1, 1), num_groups=1):
    """The gradient of ``conv2d`` with respect to its input, given ``output_grad``:
    ``input_shape`` must give the spatial sizes (with a stride several fit one output)."""
    spec = Convolution.of(2, "conv2d_grad_wrt_inputs", border_mode, subsample, filter_flip, filter_dilation,
                          num_groups)
    return spec.grad_inputs(output_grad, filters, input_shape, filter_shape)


def conv2d_grad_wrt_weights(input, output_grad, filter_shape, input_shape=None, border_mode="valid",
                            subsample=(1, 1), filter_flip=True, filter_dilation=(1, 1), num_groups=1):
    """The gradient of ``conv2d`` with respect to its filters, given ``output_grad``:
    ``filter_shape`` must give the kernel's spatial sizes."""
    spec = Convolution.of(2, "conv2d_grad_wrt_weights", border_mode, subsample, filter_flip, filter_dilation,
                          num_groups)
    return spec.grad_filters(input, output_grad, filter_shape, input_shape)


def conv3d_grad_wrt_inputs(output_grad, filters, input_shape, filter_shape=None, border_mode="valid",
                           subsample=(1, 1, 1), filter_flip=True, filter_dilation=(1, 1, 1), num_groups=1):
    """``conv2d_grad_wrt_inputs`` for ``conv3d``."""
    spec = Convolution.of(3, "conv3d_grad_wrt_inputs", border_mode, subsample, filter_flip, filter_dilation,
                          num_groups)
    return spec.grad_inputs(output_grad, filters, input_shape, filter_shape)


def conv3d_grad_wrt_weights(input, output_grad, filter_shape, input_shape=None, border_mode="valid",
                            subsample=(1, 1, 1), filter_flip=True, filter_dilation=(1, 1, 1), num_groups=1):
    """``conv2d_grad_wrt_weights`` for ``conv3d``."""
    spec = Convolution.of(3, "conv3d_grad_wrt_weights", border_mode, subsample, filter_flip, filter_dilation,
                          num_groups)
    return spec.grad_filters(input, output_grad, filter_shape, input_shape)


def conv2d_transpose(input, filters, output_shape, filter_shape=None, border_mode="valid", input_dilation=(1, 1),
                     filter_flip=True, filter_dilation=(1, 1), num_groups=1):
    """Theano's transposed convolution ("deconvolution"): ``conv2d_grad_wrt_inputs`` of
    ``input``, ``input_dilation`` playing the stride."""
    spec = Convolution.of(2, "conv2d_transpose", border_mode, input_dilation, filter_flip, filter_dilation,
                          num_groups)
    return spec.grad_inputs(input, filters, output_shape, filter_shape)


__all__ = ["conv2d", "conv3d", "conv2d_grad_wrt_inputs", "conv2d_grad_wrt_weights", "conv3d_grad_wrt_inputs",
           "conv3d_grad_wrt_weights", "conv2d_transpose", "get_conv_output_shape", "get_conv_shape_1axis"]
