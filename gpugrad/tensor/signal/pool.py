"""``theano.tensor.signal.pool``: ``pool_2d`` and ``pool_3d`` (``gpugrad/ops/pool.py``)."""
import warnings

from ...errors import InputError
from ...ops.pool import pool


def _window_arguments(what, ws, stride, pad, ds, st, padding, ignore_border):
    """Theano's old names (``ds``, ``st``, ``padding``) accepted with a DeprecationWarning, and
    ``ignore_border`` defaulting to False with a warning, as in Theano."""
    for old, new, old_value, new_value in (("ds", "ws", ds, ws), ("st", "stride", st, stride),
                                           ("padding", "pad", padding, pad)):
        if old_value is not None:
            if new_value is not None and old != "padding":
                raise InputError(f"{what}: give {new} or its old name {old}, not both")
            warnings.warn(f"{what}: {old} is Theano's old name of {new}", DeprecationWarning, stacklevel=3)
    ws, stride, pad = (ds if ds is not None else ws, st if st is not None else stride,
                       padding if padding is not None else pad)
    if ws is None:
        raise InputError(f"{what}: the window size ws is required")
    if ignore_border is None:
        warnings.warn(f"{what}: ignore_border was not given and defaults to False (partial windows at the "
                      f"border kept), as in Theano; pass it explicitly", UserWarning, stacklevel=3)
        ignore_border = False
    return ws, stride, pad, ignore_border


def pool_2d(input, ws=None, ignore_border=None, stride=None, pad=(0, 0), mode="max", ds=None, st=None,
            padding=None):
    """Pool the last two axes of ``input`` with windows ``ws`` every ``stride`` (default ``ws``),
    padded by ``pad``; ``mode`` is 'max', 'sum', 'average_inc_pad' or 'average_exc_pad'."""
    ws, stride, pad, ignore_border = _window_arguments("pool_2d", ws, stride, pad, ds, st, padding, ignore_border)
    return pool(input, 2, ws, ignore_border, stride, pad, mode)


def pool_3d(input, ws=None, ignore_border=None, stride=None, pad=(0, 0, 0), mode="max", ds=None, st=None,
            padding=None):
    """``pool_2d`` over the last three axes."""
    ws, stride, pad, ignore_border = _window_arguments("pool_3d", ws, stride, pad, ds, st, padding, ignore_border)
    return pool(input, 3, ws, ignore_border, stride, pad, mode)


__all__ = ["pool_2d", "pool_3d"]
