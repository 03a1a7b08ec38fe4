"""``T.nnet``: neural-network ops (activations, softmax, cross-entropies), convolutions, and
Theano's submodules ``conv``, ``abstract_conv`` and ``bn``."""
from ...ops.nnet import *  # noqa: F401,F403
from ...ops.conv import conv2d, conv2d_transpose, conv3d
from ...ops.batchnorm import batch_normalization
from . import abstract_conv, bn, conv
