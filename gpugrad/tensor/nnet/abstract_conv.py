"""``T.nnet.abstract_conv``: the convolution functions ported code imports from Theano's
module of that name (``gpugrad/ops/conv.py``)."""
from ...ops.conv import *  # noqa: F401,F403
from ...ops.conv import __all__  # noqa: F401
