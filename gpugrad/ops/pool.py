"""Pooling over the last ``nd`` axes (Theano's ``pool_2d``/``pool_3d``): max, sum and the two
averages, their gradients and the max's R-op.

Windows of ``ws`` taken every ``stride``, over the input padded by ``pad`` on both sides.
With ``ignore_border=False`` a last, partial window is kept where the input does not divide
evenly (Theano's rule; no padding then). Each window covers at least one input element
(``pad < ws``). What a window sums or averages:

    max              the largest element (padding never counts)
    sum              the sum of its elements
    average_inc_pad  the sum over the window's size inside the padded input
    average_exc_pad  the sum over its number of input elements (padding left out)

The averages and the sum are linear; their gradient ``PoolGrad`` spreads each output's
gradient back over its window (divided as the forward divides), and their R-op is the
pooling of the tangent. The max's Jacobian depends on where the maxima are: ``PoolGrad``
(max) routes each output's gradient to its window's maximum and ``MaxPoolRop`` reads the
tangent there. Where several elements of a window tie for the maximum, each of them gets
an equal share (the gradient divided by their count; Theano gave each tied element the
whole gradient, PyTorch gives it to the first): a valid subgradient, as ``T.max`` splits
ties, and the R-op is the matching mean of the tangents. A window whose maximum is NaN
passes no gradient back. The derivatives of the routing itself (with respect to the
input that decides it) are zero.
"""
import numpy as np

from ..errors import InputError, ShapeError
from ..graph.basic import Apply
from ..graph.op import Op
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable
from .patches import per_axis_ints
from .shape import broadcast_batch, shape_i, zeros_like

MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


def _pool_size(size, ws, stride, pad, ignore_border):
    """Theano's output size of one axis (an int, or an int64 scalar for a symbolic size)."""
    if ignore_border:
        return (size + 2 * pad - ws) // stride + 1
    if isinstance(size, int):
        return max(0, (size - 1 - ws + stride) // stride) + 1 if stride < ws else (size - 1) // stride + 1
    from .scalar import maximum
    return maximum((size - 1 - ws + stride) // stride, 0) + 1 if stride < ws else (size - 1) // stride + 1


class _Pooling(Op):
    """Geometry, checks and the NumPy window arithmetic the three pooling ops share."""
    __props__ = ("mode", "ws", "stride", "pad", "ignore_border")

    def __init__(self, mode, ws, stride, pad, ignore_border):
        self.mode, self.ws, self.stride = mode, tuple(ws), tuple(stride)
        self.pad, self.ignore_border = tuple(pad), bool(ignore_border)

    @property
    def nd(self):
        return len(self.ws)

    def out_shape(self, shape):
        nd = self.nd
        return tuple(shape[:-nd]) + tuple(_pool_size(s, w, st, p, self.ignore_border) for s, w, st, p in
                                          zip(shape[-nd:], self.ws, self.stride, self.pad))

    def _static_out(self, shape):
        nd = self.nd
        return tuple(shape[:-nd]) + tuple(None if s is None else _pool_size(s, w, st, p, self.ignore_border)
                                          for s, w, st, p in zip(shape[-nd:], self.ws, self.stride, self.pad))

    def _checked(self, x, name="input"):
        x = as_tensor_variable(x)
        if x.ndim < self.nd:
            raise ShapeError(f"pool_{self.nd}d: the {name} needs at least {self.nd} dimensions, got {x} ({x.type})")
        return x

    def _padded_sizes(self, shape):
        """The pooled axes' sizes once padded: ``pad`` before, and after as far as the last window reaches."""
        outs = self.out_shape(shape)[-self.nd:]
        return tuple(max(p + n, (o - 1) * st + w) for n, o, st, w, p in
                     zip(shape[-self.nd:], outs, self.stride, self.ws, self.pad))

    def _padded(self, x, fill):
        """x padded so that every window lies inside (itself when it already does); the new
        cells hold ``fill``."""
        nd, sizes = self.nd, self._padded_sizes(x.shape)
        if sizes == x.shape[-nd:] and not any(self.pad):
            return x
        padded = np.full(x.shape[:-nd] + sizes, fill, dtype=x.dtype)
        padded[self._inner(x.shape)] = x
        return padded

    def _inner(self, shape):
        """The index of the unpadded input inside the padded one."""
        return (Ellipsis,) + tuple(slice(p, p + n) for p, n in zip(self.pad, shape[-self.nd:]))

    def _offsets(self, padded, outs):
        """For each position in the window: the index of that element of every window in the
        padded input, and its view (``lead + O``)."""
        for k in np.ndindex(*self.ws):
            index = (Ellipsis,) + tuple(slice(i, i + st * (o - 1) + 1, st) for i, st, o in zip(k, self.stride, outs))
            yield index, padded[index]

    def _combined(self, padded, outs, combine):
        """``combine`` (np.maximum, np.add) over the window, one pass per window position, in
        the memory order of the input (a channels-last input stays so)."""
        total = None
        for _, view in self._offsets(padded, outs):
            if total is None:
                total = np.array(view, order="K")
            else:
                combine(total, view, out=total)
        return total

    def _divisor(self, shape):
        """What each output is divided by (1 for max and sum), broadcastable to the output:
        the product over axes of each window's length inside the padded (inc_pad) or the
        unpadded (exc_pad) input."""
        nd, outs = self.nd, self.out_shape(shape)[-self.nd:]
        divisor = np.ones((1,) * nd)
        if self.mode not in ("average_inc_pad", "average_exc_pad"):
            return divisor
        for axis, (n, o, w, st, p) in enumerate(zip(shape[-nd:], outs, self.ws, self.stride, self.pad)):
            start = np.arange(o) * st - p
            end = np.minimum(start + w, n + p)
            if self.mode == "average_exc_pad":
                start, end = np.maximum(start, 0), np.minimum(end, n)
            divisor = divisor * (end - start).reshape((-1,) + (1,) * (nd - 1 - axis))
        return divisor

    def _max_routing(self, x):
        """Per position in the window, where each window holds its maximum (padding never
        does), and the count of ties per window."""
        outs = self.out_shape(x.shape)[-self.nd:]
        padded = self._padded(x, _lowest(x.dtype))
        top = self._combined(padded, outs, np.maximum)
        inside = None if padded is x else self._padded(np.ones(x.shape, bool), False)
        masks = []
        for index, view in self._offsets(padded, outs):
            at_max = np.equal(view, top)
            if inside is not None:
                at_max &= inside[index]
            masks.append(at_max)
        ties = masks[0].astype(np.int32)
        for at_max in masks[1:]:
            ties += at_max
        return masks, ties

    def _scatter(self, x, share, masks=None):
        """The transpose of reading windows, into an array shaped like ``x``: ``share`` (``lead +
        O``) goes back to every position of its window, or only where ``masks`` (one per position
        in the window) are set (a select: a NaN share elsewhere stays out)."""
        nd, outs = self.nd, self.out_shape(x.shape)[-self.nd:]
        sizes = self._padded_sizes(x.shape)
        unpadded = sizes == x.shape[-nd:] and not any(self.pad)
        buffer = np.zeros_like(x, share.dtype) if unpadded else np.zeros(x.shape[:-nd] + sizes, share.dtype)
        disjoint = all(st >= w for st, w in zip(self.stride, self.ws))
        finite = masks is None or np.isfinite(share).all()  # then share * mask selects (and is 6x faster)
        for k, (index, _) in enumerate(self._offsets(buffer, outs)):
            target = buffer[index]
            if masks is None:
                piece = share
            elif finite and disjoint:
                np.multiply(share, masks[k], out=target)
                continue
            else:
                piece = share * masks[k] if finite else np.where(masks[k], share, 0)
            if disjoint:
                target[...] = piece
            else:
                target += piece
        return buffer if unpadded else buffer[self._inner(x.shape)]

    def checked_out_shape(self, shape):
        """The pooled shape of an input of ``shape``; a window larger than the padded input raises."""
        out = self.out_shape(shape)
        if any(o < 0 for o in out[-self.nd:]) or (self.ignore_border and 0 not in shape and min(out[-self.nd:]) < 1):
            raise ShapeError(f"pool_{self.nd}d: the window {self.ws} is larger than an input of shape {shape} "
                             f"padded by {self.pad}")
        return out


class Pool(_Pooling):
    """The pooling of ``x`` (module docstring)."""
    fresh_outputs = True

    def make_node(self, x):
        x = self._checked(x)
        return Apply(self, [x], [TensorVariable(TensorType(x.dtype, self._static_out(x.type.shape)))])

    def perform(self, node, inputs):
        (x,) = inputs
        outs = self.checked_out_shape(x.shape)[-self.nd:]
        if self.mode == "max":
            return [self._combined(self._padded(x, _lowest(x.dtype)), outs, np.maximum)]
        total = self._combined(self._padded(x, 0), outs, np.add)
        return [total if self.mode == "sum" else np.asarray(total / self._divisor(x.shape), dtype=x.dtype)]

    def infer_shape(self, node, input_shapes):
        return [self.out_shape(input_shapes[0])]

    def pullback(self, inputs, outputs, output_grads):
        return [PoolGrad(*self._props())(inputs[0], output_grads[0])]

    def pushforward(self, inputs, outputs, tangents):
        t = tangents[0]
        if t is None:
            return [None]
        return [MaxPoolRop(*self._props())(inputs[0], t) if self.mode == "max" else self(t)]

    def batch(self, inputs, batched):
        return [self(inputs[0])]


class _Routed(_Pooling):
    """An op linear in its second input ``v`` and routed by its first, the pooled ``x`` (for max,
    where ``x`` holds each window's maximum): its derivative is itself applied to the tangent
    of ``v``, and an unbatched input is repeated along the batch."""
    fresh_outputs = True
    what, second = None, None  # how errors name the op and its second input

    def make_node(self, x, v):
        x, v = self._checked(x), self._checked(v, self.second)
        if v.ndim != x.ndim:
            raise ShapeError(f"pool_{self.nd}d {self.what}: {v} ({v.type}) and {x} ({x.type}) differ in rank")
        return Apply(self, [x, v], [TensorVariable(TensorType(*self._output_type(x, v)))])

    def pushforward(self, inputs, outputs, tangents):
        t = tangents[1]
        return [None if t is None else self(inputs[0], t)]

    def batch(self, inputs, batched):
        size = shape_i(inputs[batched.index(True)], 0)
        return [self(*[v if b else broadcast_batch(v, size) for v, b in zip(inputs, batched)])]


class PoolGrad(_Routed):
    """``x, g -> gx``: the pooling's transpose applied to the gradient ``g`` of its output
    (for max, routed by where ``x`` holds each window's maximum)."""
    what, second = "gradient", "output gradient"

    def _output_type(self, x, g):
        return dtypes.grad_dtype(g.dtype), x.type.shape

    def perform(self, node, inputs):
        x, g = inputs
        dtype = node.outputs[0].dtype
        self.check_shapes(x.shape, g.shape)
        if self.mode == "max":
            masks, ties = self._max_routing(x)
            return [self._scatter(x, np.asarray(g / np.maximum(ties, 1), dtype=dtype), masks)]  # no ties: NaN window
        return [self._scatter(x, np.asarray(g / self._divisor(x.shape), dtype=dtype))]

    def check_shapes(self, x_shape, g_shape):
        if tuple(g_shape) != self.out_shape(x_shape):
            raise ShapeError(f"pool_{self.nd}d gradient: an input of shape {tuple(x_shape)} pools to "
                             f"{self.out_shape(x_shape)}, but its gradient has shape {tuple(g_shape)}")

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def pullback(self, inputs, outputs, output_grads):
        x, (s,) = inputs[0], output_grads
        through_g = MaxPoolRop(*self._props())(x, s) if self.mode == "max" else Pool(*self._props())(s)
        return [zeros_like(x, dtypes.grad_dtype(x.dtype)) if self.mode == "max" else None, through_g]


class MaxPoolRop(_Routed):
    """``x, t -> y``: the max pooling's Jacobian at ``x`` applied to the tangent ``t`` (each
    window's tangent at its maximum, averaged over ties); transpose of ``PoolGrad`` (max)."""
    what, second = "R-op", "tangent"

    def _output_type(self, x, t):
        return t.dtype, self._static_out(x.type.shape)

    def perform(self, node, inputs):
        x, t = inputs
        self.check_shapes(x.shape, t.shape)
        masks, ties = self._max_routing(x)
        dtype = node.outputs[0].dtype
        total = np.zeros(ties.shape, dtype)
        for at_max, (_, view) in zip(masks, self._offsets(self._padded(t, 0), self.out_shape(x.shape)[-self.nd:])):
            total += np.where(at_max, view, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return [np.asarray(total / ties, dtype=dtype)]

    def check_shapes(self, x_shape, t_shape):
        if tuple(t_shape) != tuple(x_shape):
            raise ShapeError(f"pool_{self.nd}d R-op: the tangent has shape {tuple(t_shape)}, the input "
                             f"{tuple(x_shape)}")

    def infer_shape(self, node, input_shapes):
        return [self.out_shape(input_shapes[0])]

    def pullback(self, inputs, outputs, output_grads):
        x = inputs[0]
        return [zeros_like(x, dtypes.grad_dtype(x.dtype)), PoolGrad(*self._props())(x, output_grads[0])]


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def pool(input, nd, ws, ignore_border, stride, pad, mode):
    """``Pool`` of ``input`` over its last ``nd`` axes, the arguments checked (``pool_2d``)."""
    what = f"pool_{nd}d"
    if mode not in MODES:
        raise InputError(f"{what}: mode must be one of {MODES}, got {mode!r}")
    ws = per_axis_ints(ws, nd, what, "ws", 1)
    stride = ws if stride is None else per_axis_ints(stride, nd, what, "stride", 1)
    pad = per_axis_ints(pad, nd, what, "pad", 0)
    if any(pad) and not ignore_border:
        raise InputError(f"{what}: padding {pad} needs ignore_border=True")
    if any(p >= w for p, w in zip(pad, ws)):
        raise ShapeError(f"{what}: padding {pad} must be smaller than the window {ws}")
    x = as_tensor_variable(input)
    if x.dtype == "bool" or dtypes.is_complex(x.dtype) or (mode.startswith("average") and not dtypes.is_float(x.dtype)):
        raise InputError(f"{what}: cannot {mode}-pool {x} of dtype {x.dtype}"
                         + ("; cast it to a float type first" if x.dtype != "bool" else ""))
    op = Pool(mode, ws, stride, pad, ignore_border)
    op._checked(x)
    spatial = x.type.shape[-nd:]
    if ignore_border and any(s is not None and s + 2 * p < w for s, p, w in zip(spatial, pad, ws)):
        raise ShapeError(f"{what}: the window {ws} is larger than the input {x} of spatial size {spatial} "
                         f"padded by {pad}")
    return op(x)
