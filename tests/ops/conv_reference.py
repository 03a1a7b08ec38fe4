"""Plain NumPy references for the convolution and pooling tests: loops over the kernel (or
window) positions, written from the definitions, sharing no code with gpugrad."""
import itertools

import numpy as np


def _per_axis(value, nd):
    return (value,) * nd if isinstance(value, int) else tuple(value)


def pads_of(border_mode, kernel, dilation):
    """Theano's (low, high) padding per spatial axis."""
    nd = len(kernel)
    out = []
    for i in range(nd):
        dilated = (kernel[i] - 1) * dilation[i] + 1
        mode = border_mode if isinstance(border_mode, str) else \
            (border_mode,) * nd if isinstance(border_mode, int) else border_mode[i]
        if mode == "valid":
            out.append((0, 0))
        elif mode == "full":
            out.append((dilated - 1,) * 2)
        elif mode == "half":
            out.append((dilated // 2,) * 2)
        else:
            out.append((mode, mode) if isinstance(mode, int) else tuple(mode))
    return out


def conv(x, w, border_mode="valid", subsample=None, filter_flip=True, filter_dilation=None, num_groups=1):
    """Theano's conv2d/conv3d by definition: y[n, f, o] = sum_{c, k} x_pad[n, c, o*s + k*d] w'[f, c, k]."""
    nd = x.ndim - 2
    strides = _per_axis(subsample or 1, nd)
    dilation = _per_axis(filter_dilation or 1, nd)
    kernel = w.shape[2:]
    if filter_flip:
        w = w[(slice(None),) * 2 + (slice(None, None, -1),) * nd]
    pads = pads_of(border_mode, kernel, dilation)
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    outs = [(xp.shape[2 + i] - ((kernel[i] - 1) * dilation[i] + 1)) // strides[i] + 1 for i in range(nd)]
    n_filters, per_group = w.shape[0], w.shape[1]
    y = np.zeros((x.shape[0], n_filters) + tuple(outs), np.result_type(x, w))
    for f in range(n_filters):
        group = f // (n_filters // num_groups)
        xs = xp[:, group * per_group:(group + 1) * per_group]
        for k in itertools.product(*[range(n) for n in kernel]):
            window = tuple(slice(k[i] * dilation[i], k[i] * dilation[i] + strides[i] * (outs[i] - 1) + 1, strides[i])
                           for i in range(nd))
            y[:, f] += np.einsum("nc...,c->n...", xs[(slice(None),) * 2 + window], w[(f, slice(None)) + k])
    return y


def pool(x, ws, ignore_border=True, stride=None, pad=None, mode="max"):
    """Theano's Pool.perform: windows clipped to the (padded) input, one output at a time."""
    nd = len(ws)
    stride = stride or ws
    pad = pad or (0,) * nd
    sizes = x.shape[-nd:]
    outs = []
    for n, w, st, p in zip(sizes, ws, stride, pad):
        r = n + 2 * p
        if ignore_border:
            outs.append((r - w) // st + 1)
        else:
            outs.append((r - 1) // st + 1 if st >= w else max(0, (r - 1 - w + st) // st) + 1)
    y = np.zeros(x.shape[:-nd] + tuple(outs), x.dtype)
    for o in itertools.product(*[range(n) for n in outs]):
        region = []
        for i in range(nd):
            start = o[i] * stride[i] - pad[i]
            end = min(start + ws[i], sizes[i] + pad[i])
            region.append((start, end))
        inside = tuple(slice(max(a, 0), min(b, sizes[i])) for i, (a, b) in enumerate(region))
        values = x[(Ellipsis,) + inside].reshape(x.shape[:-nd] + (-1,))
        if mode == "max":
            y[(Ellipsis,) + o] = values.max(axis=-1)
        elif mode == "sum":
            y[(Ellipsis,) + o] = values.sum(axis=-1)
        elif mode == "average_exc_pad":
            y[(Ellipsis,) + o] = values.sum(axis=-1) / values.shape[-1]
        else:
            y[(Ellipsis,) + o] = values.sum(axis=-1) / np.prod([b - a for a, b in region])
    return y
