"""``theano.tensor.signal.downsample``: Theano's first name of the pooling module."""
from .pool import pool_2d


def max_pool_2d(input, ds, ignore_border=None, st=None, padding=(0, 0), mode="max"):
    """``pool_2d(input, ws=ds, ignore_border, stride=st, pad=padding, mode)``."""
    return pool_2d(input, ws=ds, ignore_border=ignore_border, stride=st, pad=padding, mode=mode)


__all__ = ["max_pool_2d"]
