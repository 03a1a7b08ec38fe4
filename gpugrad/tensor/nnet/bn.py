"""``T.nnet.bn``: batch normalization (``gpugrad/ops/batchnorm.py``)."""
from ...ops.batchnorm import batch_normalization, batch_normalization_test, batch_normalization_train

__all__ = ["batch_normalization", "batch_normalization_train", "batch_normalization_test"]
