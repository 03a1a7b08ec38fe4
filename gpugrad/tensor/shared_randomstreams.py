"""Theano's random streams: ``RandomStreams(seed)`` hands out random variables.

    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))            # a 2x2 draw, new numbers at every call
    f = theano.function([], rv_u)

Each call (``uniform``, ``normal``, ``binomial``, ``choice``, ``permutation``,
``random_integers``) makes one ``PhiloxDraw`` (``ops/random.py``) on a state of its own,
a ``RandomStateSharedVariable`` (``rv.rng``) whose ``default_update`` is the next state
(``PhiloxAdvance``): every function that computes the variable advances it, unless
``function(..., no_default_updates=True)`` (``srng.state_updates`` and ``rv.update`` hold
the pairs, as in Theano). Streams are Philox keys made from the seed and the stream's
number, so ``srng.seed(n)`` reseeds every variable, each differently, and the numbers are
the same on every device. Uniform and normal draws are ``low + (high - low) * u`` and
``avg + std * z`` of standard draws, so gradients with respect to low, high, avg and std
are the reparameterisation ones; no gradient flows into a draw otherwise.
"""
import functools
import operator
import secrets

import numpy as np

from ..compile.shared import SharedVariable
from ..config import config
from ..errors import InputError, ShapeError
from ..graph.basic import Constant
from ..ops import philox
from ..ops import scalar as S
from ..ops.random import STATE_TYPE, InverseCDF, PhiloxAdvance, PhiloxDraw, Ranking
from ..ops.reduce import sum as sum_
from ..ops.shape import Shape, reshape, shape_i, shape_tuple
from ..types import dtypes
from ..types.variable import as_tensor_variable, constant

__all__ = ["RandomStreams", "RandomStateSharedVariable", "PhiloxState"]
_NAME = "Philox4x32-10"


class PhiloxState(np.ndarray):
    """A random variable's state as ``rv.rng.get_value()`` returns it: four uint32 words, the
    Philox key and the call counter. It has NumPy ``RandomState``'s ``seed``, ``get_state``
    and ``set_state``, so Theano code that reseeds or restores one variable runs unchanged
    (then ``rv.rng.set_value(state)`` stores it)."""

    def seed(self, seed=None):
        self[...] = philox.stream_state(as_seed(seed), 0)

    def get_state(self):
        return _NAME, np.array(self, dtype=np.uint32)

    def set_state(self, state):
        self[...] = state_words(state)


class RandomStateSharedVariable(SharedVariable):
    """The state of one random variable (Theano's name): a shared uint32 vector of four words,
    read and written as a ``PhiloxState``."""

    def __init__(self, value, name=None):
        super().__init__(STATE_TYPE, state_words(value), name=name)

    def get_value(self, borrow=False, return_internal_type=False):
        value = super().get_value(borrow, return_internal_type)
        return value if return_internal_type else value.view(PhiloxState)

    def set_value(self, value, borrow=False):
        super().set_value(state_words(value), borrow=False)


def state_words(state):
    """The four uint32 words of a state: a ``PhiloxState`` or array of four words, or the
    ``(name, words)`` pair ``PhiloxState.get_state`` returns."""
    if isinstance(state, tuple) and len(state) == 2 and state[0] == _NAME:
        state = state[1]
    words = np.asarray(state)
    if words.shape != (philox.STATE_WORDS,) or words.dtype.kind not in "iu" or np.any(words < 0) \
            or np.any(words > 0xFFFFFFFF):
        raise InputError(f"a random state is {philox.STATE_WORDS} uint32 words (or the pair get_state() "
                         f"returns), got {state!r}")
    return np.array(words, dtype=np.uint32)


def as_seed(seed):
    """A seed as an int in [0, 2^64); None draws one from the operating system, as NumPy does."""
    if seed is None:
        return secrets.randbits(64)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2 ** 64:
        raise InputError(f"a seed must be an int in [0, 2**64), got {seed!r}")
    return int(seed)


class RandomStreams:
    """Random variables drawn from Philox streams of one seed (Theano's
    ``shared_randomstreams.RandomStreams``); see the module docstring."""

    def __init__(self, seed=None):
        self.default_instance_seed = as_seed(seed)
        self.state_updates = []  # (state, next state) of every variable made, in order
        self._seed, self._streams = self.default_instance_seed, 0

    def seed(self, seed=None):
        """Reseed every variable made so far, each with its own stream of ``seed`` (the
        instance's seed if None), and the ones made later."""
        self._seed = self.default_instance_seed if seed is None else as_seed(seed)
        for stream, (state, _) in enumerate(self.state_updates):
            state.set_value(philox.stream_state(self._seed, stream))
        self._streams = len(self.state_updates)

    def updates(self):
        """The ``(state, next state)`` pairs, for ``function(..., updates=srng.updates())``."""
        return list(self.state_updates)

    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None):
        """Uniform in (low, high): ``low + (high - low) * u``, u uniform in (0, 1)."""
        low, high = as_tensor_variable(low), as_tensor_variable(high)
        dtype = _float_dtype("uniform", dtype, low, high)
        u, state = self._standard("uniform", dtype, size, ndim, [low, high])
        if not (_is_constant(low, 0) and _is_constant(high, 1)):
            low, high = _in_dtype(low, u.dtype), _in_dtype(high, u.dtype)
            u = low + (high - low) * u
        return random_variable(S.cast(u, dtype), state)

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None):
        """Normal of mean ``avg`` and standard deviation ``std``: ``avg + std * z``, z standard."""
        avg, std = as_tensor_variable(avg), as_tensor_variable(std)
        dtype = _float_dtype("normal", dtype, avg, std)
        z, state = self._standard("normal", dtype, size, ndim, [avg, std])
        if not (_is_constant(avg, 0) and _is_constant(std, 1)):
            z = _in_dtype(avg, z.dtype) + _in_dtype(std, z.dtype) * z
        return random_variable(S.cast(z, dtype), state)

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", prob=None):
        """The number of ``n`` trials with probability ``p`` that succeed: ``u < p`` counted
        over n uniforms u (n an integer scalar, p broadcast to ``size``)."""
        p, n = as_tensor_variable(p if prob is None else prob), as_tensor_variable(n)
        if n.ndim != 0 or not dtypes.is_discrete(n.dtype):
            raise InputError(f"binomial: n must be an integer scalar, got {n} ({n.type})")
        sizes = _sizes("binomial", size, ndim, [p])
        trials = [] if _is_constant(n, 1) else [n]
        u, state = self._draw("uniform", _float_dtype("binomial", None, p), trials + sizes)
        success = S.lt(u, p)
        return random_variable(S.cast(sum_(success, axis=0) if trials else success, dtype), state)

    def random_integers(self, size=None, low=0, high=1, ndim=None, dtype="int64"):
        """Integers uniform in [low, high] (both included), from float64 uniforms."""
        low, high = as_tensor_variable(low), as_tensor_variable(high)
        u, state = self._draw("uniform", "float64", _sizes("random_integers", size, ndim, [low, high]))
        count = S.cast(high, "float64") - S.cast(low, "float64") + 1
        offset = S.minimum(S.floor(u * count), count - 1)
        return random_variable(S.cast(S.cast(low, "float64") + offset, dtype), state)

    def choice(self, size=None, a=2, replace=True, p=None, ndim=None, dtype=None):
        """Values of ``a`` (an integer n: ``arange(n)``; or a vector) drawn with or without
        replacement, uniformly or with probabilities ``p``. ``dtype`` defaults to int64 for an
        integer ``a`` and to a's dtype for a vector."""
        a = as_tensor_variable(a)
        if a.ndim > 1 or (a.ndim == 0 and not dtypes.is_discrete(a.dtype)):
            raise InputError(f"choice: a must be an integer or a vector, got {a} ({a.type})")
        n = a if a.ndim == 0 else shape_i(a, 0)
        sizes = _sizes("choice", size, ndim, [])
        if replace:
            u, state = self._draw("uniform", "float64", sizes)
            index = InverseCDF()(u, p) if p is not None else S.minimum(S.floor(u * S.cast(n, "float64")), n - 1)
        else:
            keys, state = self._draw("uniform", "float64", [n])
            count = functools.reduce(operator.mul, sizes, constant(1, dtype="int64"))
            order = Ranking(p is not None)(keys, count, *([] if p is None else [p]))
            index = reshape(order, sizes) if sizes else order[0]
        index = S.cast(index, "int64")
        values = index if a.ndim == 0 else a[index]
        dtype = dtype or ("int64" if a.ndim == 0 else a.dtype)
        return random_variable(S.cast(values, dtype), state)

    def permutation(self, size=None, n=1, ndim=None, dtype="int64"):
        """Random orderings of ``arange(n)``: one (shape (n,)) or one per entry of ``size``."""
        sizes = _sizes("permutation", size, ndim, [])
        keys, state = self._draw("uniform", "float64", sizes + [n])
        return random_variable(S.cast(Ranking()(keys, n), dtype), state)

    def _standard(self, distribution, dtype, size, ndim, params):
        """A standard draw of the precision ``dtype`` needs, shaped by ``size`` or the params."""
        return self._draw(distribution, "float64" if dtype == "float64" else "float32",
                          _sizes(distribution, size, ndim, params))

    def _draw(self, distribution, dtype, sizes):
        state = RandomStateSharedVariable(philox.stream_state(self._seed, self._streams))
        self._streams += 1
        state.default_update = PhiloxAdvance()(state)
        self.state_updates.append((state, state.default_update))
        return PhiloxDraw(distribution, dtype)(state, *sizes), state


def random_variable(var, state):
    """``var`` carrying Theano's ``rng`` (its state) and ``update`` (the state's update)."""
    var.rng, var.update = state, (state, state.default_update)
    return var


def _float_dtype(what, dtype, *params):
    """The dtype of a float draw: ``dtype``, or floatX promoted with the parameters' dtypes."""
    if dtype is None:
        dtype = dtypes.result_type((config.floatX, False), *[(p.dtype, p.weak) for p in params])
    dtype = dtypes.as_dtype(dtype)
    if not dtypes.is_float(dtype):
        raise InputError(f"{what}: draws floats, not {dtype} (cast the result, or use random_integers or choice)")
    return dtype


def _sizes(what, size, ndim, params):
    """The draw's sizes: from ``size`` (an int, a tuple of ints or integer scalars, or an
    integer vector such as ``x.shape``) or, where it is None, the parameters' broadcast
    shape; ``ndim`` must agree, and the parameters must broadcast to it."""
    if size is None:
        sizes = list(shape_tuple(functools.reduce(operator.add, params))) if params else []
    elif isinstance(size, (tuple, list)):
        sizes = list(size)
    else:
        size = as_tensor_variable(size)
        sizes = [size] if size.ndim == 0 else _entries(what, size, ndim)
    if ndim is not None and ndim != len(sizes):
        raise ShapeError(f"{what}: ndim={ndim} but size {size} has {len(sizes)} entries")
    for p in params:
        if p.ndim > len(sizes):
            raise ShapeError(f"{what}: the parameter {p} ({p.type}) has more dimensions than size {size}")
    return sizes


def _entries(what, vector, ndim):
    """The entries of an integer vector of sizes; the sizes of ``x`` itself for ``x.shape``."""
    if vector.ndim != 1 or not dtypes.is_discrete(vector.dtype):
        raise ShapeError(f"{what}: size must be an integer vector or a tuple of sizes, got {vector} ({vector.type})")
    if vector.owner is not None and isinstance(vector.owner.op, Shape):
        return list(shape_tuple(vector.owner.inputs[0]))
    length = vector.type.shape[0] if ndim is None else ndim
    if length is None:
        raise ShapeError(f"{what}: the length of size {vector} is unknown; pass ndim=")
    if isinstance(vector, Constant):
        return [int(v) for v in vector.data]
    return [vector[i] for i in range(length)]


def _is_constant(var, value):
    return isinstance(var, Constant) and var.data.ndim == 0 and var.data.item() == value


def _in_dtype(var, dtype):
    if isinstance(var, Constant) and var.weak:
        return constant(var.data.item(), dtype=dtype)
    return var if var.dtype == dtype else S.cast(var, dtype)
