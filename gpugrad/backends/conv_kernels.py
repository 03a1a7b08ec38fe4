"""Launchers of the convolution and pooling kernels (``kernels/im2col.cu``, ``col2im.cu``,
``pool_window.cu``, ``pool_backward.cu``) over device arrays of any layout.

The kernels take C-contiguous arrays with three spatial axes; these functions bring an
array into that form (channels last for the columns; a 2-d problem gains a leading spatial
axis of size 1), allocate the result and launch one grid-stride grid. The geometry (output
sizes, paddings) comes from the ops (``ops/patches.py``, ``ops/pool.py``), which also
checked it.
"""
import math

from .kernels import BLOCK, MAX_GRID, reshape

POOL_MODES = {"max": 0, "sum": 1, "average_inc_pad": 2, "average_exc_pad": 3}  # GG_POOL of the kernels


def _three(values, fill):
    """Per-axis values for three spatial axes: ``fill`` in front of a 2-d problem's two."""
    return (fill,) * (3 - len(values)) + tuple(int(v) for v in values)


def _grid(total):
    return max(1, min(-(-total // BLOCK), MAX_GRID))


def _window_arguments(spatial, outs, kernels, strides, dilations, pads_low):
    return (*_three(spatial, 1), *_three(outs, 1), *_three(kernels, 1), *_three(strides, 1),
            *_three(dilations, 1), *_three(pads_low, 0))


def im2col(library, x, kernels, outs, pads_low, strides, dilations):
    """The columns ``lead + outs + kernels + (C,)`` of the device image ``x`` (``lead + (C,) +
    spatial``): ``Im2Col``'s values."""
    nd = len(kernels)
    lead, c, spatial = tuple(x.shape[:-nd - 1]), x.shape[-nd - 1], tuple(x.shape[-nd:])
    n = math.prod(lead)
    order = tuple(range(len(lead))) + tuple(range(len(lead) + 1, x.ndim)) + (len(lead),)
    image = reshape(library, x.transpose(order), (n, *_three(spatial, 1), c))
    cols = library.backend.allocate(lead + tuple(outs) + tuple(kernels) + (c,), x.dtype)
    if cols.size:
        library.launch("im2col", _grid(cols.size), BLOCK,
                       (image, cols, n, c, *_window_arguments(spatial, outs, kernels, strides, dilations, pads_low)))
    return cols


def col2im(library, cols, sizes, pads_low, strides, dilations):
    """The image ``lead + (C,) + sizes`` the columns add up to (``Col2Im``'s values), a
    channels-first view of a channels-last device array."""
    nd = len(sizes)
    lead, c = tuple(cols.shape[:-2 * nd - 1]), cols.shape[-1]
    outs, kernels = tuple(cols.shape[-2 * nd - 1:-nd - 1]), tuple(cols.shape[-nd - 1:-1])
    n = math.prod(lead)
    source = reshape(library, cols, (n, *_three(outs, 1), *_three(kernels, 1), c))
    image = library.backend.allocate(lead + tuple(sizes) + (c,), cols.dtype)
    if image.size:
        library.launch("col2im", _grid(image.size), BLOCK,
                       (source, image, n, c, *_window_arguments(sizes, outs, kernels, strides, dilations, pads_low)))
    return image.transpose(tuple(range(len(lead))) + (image.ndim - 1,) + tuple(range(len(lead), image.ndim - 1)))


def _planes(library, x, nd):
    """``x`` as C-contiguous (planes, d, h, w) with its leading axes as planes."""
    spatial = tuple(x.shape[-nd:])
    return reshape(library, x, (math.prod(x.shape[:-nd]), *_three(spatial, 1)))


def pool_window(library, x, v, mode, ws, stride, pad, out_shape):
    """Each window's pooled ``v`` (a max window: the mean of ``v`` where ``x`` holds its
    maximum; ``v`` is ``x`` for the forward pass), of shape ``out_shape`` and ``v``'s dtype."""
    nd = len(ws)
    xs = _planes(library, x, nd)
    vs = xs if v is x else _planes(library, v, nd)
    y = library.backend.allocate(tuple(out_shape), v.dtype)
    if y.size:
        library.launch("pool_window", _grid(y.size), BLOCK,
                       (xs, vs, y, xs.shape[0], *xs.shape[1:], *_three(out_shape[-nd:], 1), *_three(ws, 1),
                        *_three(stride, 1), *_three(pad, 0)), defines=(("GG_POOL", str(POOL_MODES[mode])),))
    return y


def pool_backward(library, x, g, mode, ws, stride, pad):
    """The gradient of ``pool_window(x, x)`` given ``g``, of ``x``'s shape and ``g``'s dtype."""
    nd = len(ws)
    xs, gs = _planes(library, x, nd), _planes(library, g, nd)
    gx = library.backend.allocate(tuple(x.shape), g.dtype)
    if gx.size:
        library.launch("pool_backward", _grid(gx.size), BLOCK,
                       (xs, gs, gx, xs.shape[0], *xs.shape[1:], *gs.shape[1:], *_three(ws, 1), *_three(stride, 1),
                        *_three(pad, 0)), defines=(("GG_POOL", str(POOL_MODES[mode])),))
    return gx
