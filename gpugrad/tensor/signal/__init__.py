"""``theano.tensor.signal``: pooling (``pool``, and its old name ``downsample``)."""
from . import downsample, pool
