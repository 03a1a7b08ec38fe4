"""The model the Dask tests share, the shape of its data, and the comparison they make."""
import numpy as np

import gpugrad
import gpugrad.tensor as T

ROWS, FEATURES, CHUNK = 50, 4, 16  # chunks of 16, 16, 16 and 2 rows: one is short
REDUCES = [None, "mean", "sum", "mean", "mean"]


class Model:
    """The tutorial's logistic regression: per-example probabilities, the mean and the
    summed cost, and the mean cost's gradients with respect to both shared parameters."""

    def __init__(self, rng):
        self.x, self.y = T.dmatrix("x"), T.dvector("y")
        self.w = gpugrad.shared(rng.normal(size=FEATURES), name="w")
        self.b = gpugrad.shared(0.1, name="b")
        p = T.nnet.sigmoid(T.dot(self.x, self.w) + self.b)
        xent = T.nnet.binary_crossentropy(p, self.y)
        self.cost = xent.mean()
        self.outputs = [p, self.cost, xent.sum()] + gpugrad.grad(self.cost, [self.w, self.b])
        self.f = gpugrad.function([self.x, self.y], self.outputs, name="logistic")


def assert_all_close(got, expected):
    """Float64 results of the chunks, combined, against the whole data's: to 1e-12."""
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
