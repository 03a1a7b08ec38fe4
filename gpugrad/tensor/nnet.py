"""``T.nnet``: neural-network ops (sigmoid, softmax, log_softmax, relu, softplus, cross-entropies)."""
from ..ops.nnet import *  # noqa: F401,F403
