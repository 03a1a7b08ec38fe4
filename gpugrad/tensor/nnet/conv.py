"""``T.nnet.conv``: Theano's first ``conv2d`` spelling, ``conv.conv2d(input, filters,
image_shape=None, filter_shape=None, border_mode='valid', subsample=(1, 1))``."""
from ...errors import InputError
from ...ops import conv as _conv

# options of Theano's old ConvOp that chose among its C implementations; they change no result
_TUNING = {"unroll_batch", "unroll_kern", "unroll_patch", "openmp", "verbose", "version", "direction_hint",
           "imshp", "kshp", "nkern", "bsize"}


def conv2d(input, filters, image_shape=None, filter_shape=None, border_mode="valid", subsample=(1, 1), **kwargs):
    """A true 2-d convolution ('valid' or 'full') of a 4-d input with 4-d filters."""
    unknown = set(kwargs) - _TUNING
    if unknown:
        raise InputError(f"conv.conv2d: unexpected arguments {sorted(unknown)}")
    if border_mode not in ("valid", "full"):
        raise InputError(f"conv.conv2d: border_mode must be 'valid' or 'full', got {border_mode!r}")
    return _conv.conv2d(input, filters, input_shape=image_shape, filter_shape=filter_shape,
                        border_mode=border_mode, subsample=subsample)


__all__ = ["conv2d"]
