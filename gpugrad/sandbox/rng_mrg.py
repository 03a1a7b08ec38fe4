"""Theano's ``sandbox.rng_mrg.MRG_RandomStreams``: gpugrad's ``RandomStreams`` (Philox
streams, not MRG31k3p: the same numbers on every device) with MRG's seed (12345),
argument orders (``binomial(size, p, n)``) and matrix forms: ``multinomial`` and
``choice`` draw from each row of a matrix of probabilities."""
from ..errors import InputError
from ..ops import scalar as S
from ..ops.join import arange
from ..ops.random import InverseCDF, Ranking
from ..ops.reduce import sum as sum_
from ..ops.shape import dimshuffle, shape_i
from ..tensor.shared_randomstreams import RandomStreams, as_seed, random_variable
from ..types.variable import as_tensor_variable

__all__ = ["MRG_RandomStreams"]


class MRG_RandomStreams(RandomStreams):
    """``RandomStreams`` as Theano's MRG spelling takes its arguments; ``nstreams`` is accepted
    and changes nothing (Philox needs no stream count)."""

    def __init__(self, seed=12345):
        super().__init__(seed)

    @property
    def rstate(self):
        """``(seed, streams made)``: what the next variable's stream comes from (Theano copies it
        between generators to keep them in step)."""
        return self._seed, self._streams

    @rstate.setter
    def rstate(self, value):
        seed, streams = value
        self._seed, self._streams = as_seed(seed), int(streams)

    def binomial(self, size=None, p=0.5, n=1, ndim=None, dtype="int64", nstreams=None):
        return super().binomial(size, n, p, ndim, dtype)

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None, truncate=False):
        if truncate:
            raise NotImplementedError("MRG_RandomStreams.normal: truncate=True is not implemented in gpugrad "
                                      "(clip the draw, or draw uniforms and transform them)")
        return super().normal(size, avg, std, ndim, dtype)

    def multinomial(self, size=None, n=1, pvals=None, ndim=None, dtype="int64", nstreams=None):
        """For each row of ``pvals`` (one distribution over its columns) the counts of ``n``
        draws in each column: an array of ``pvals``'s shape."""
        pvals = _rows_of_probabilities("multinomial", pvals, size)
        u, state = self._draw("uniform", "float64", [n, shape_i(pvals, 0)])
        index = InverseCDF()(u, pvals)
        one_hot = S.eq(dimshuffle(index, [0, 1, "x"]), arange(shape_i(pvals, 1)))
        return random_variable(S.cast(sum_(one_hot, axis=0), dtype), state)

    def choice(self, size=1, a=None, replace=True, p=None, ndim=None, dtype="int64", nstreams=None):
        """``size`` columns drawn for each row of ``p`` (with or without replacement): an array
        of shape (rows of p, size)."""
        if a is not None:
            raise InputError("MRG_RandomStreams.choice: a must be None; the values drawn are the columns of p")
        p = _rows_of_probabilities("choice", p, None)
        rows = shape_i(p, 0)
        if replace:
            u, state = self._draw("uniform", "float64", [rows, size])
            index = InverseCDF()(u, dimshuffle(p, [0, "x", 1]))
        else:
            keys, state = self._draw("uniform", "float64", [rows, shape_i(p, 1)])
            index = Ranking(weighted=True)(keys, size, p)
        return random_variable(S.cast(index, dtype), state)


def _rows_of_probabilities(what, pvals, size):
    if pvals is None:
        raise InputError(f"MRG_RandomStreams.{what}: give the probabilities (a matrix, one row per distribution)")
    pvals = as_tensor_variable(pvals)
    if pvals.ndim != 2:
        raise InputError(f"MRG_RandomStreams.{what}: the probabilities must be a matrix (one row per "
                         f"distribution), got {pvals} ({pvals.type})")
    if size is not None and len(size) != 1:
        raise InputError(f"MRG_RandomStreams.{what}: size is the number of distributions (rows of pvals), got {size}")
    return pvals
