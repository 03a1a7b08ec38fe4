"""An update keeps the type of its shared variable, as in Theano: a new value whose rank
or static shape (a size-1 axis where the variable broadcasts nowhere, a size that
contradicts a declared one) differs is a TypeError when the function is compiled, naming
the variable, unless the variable was declared with a shape that allows it."""
import numpy as np
import pytest

import gpugrad as theano
import gpugrad.tensor as T


def test_an_update_that_would_shrink_a_matrix_to_1x1_is_refused():
    w = theano.shared(np.ones((10, 10)), name="w")
    with pytest.raises(TypeError, match=r"\bw\b.*shape"):
        theano.function([], [], updates={w: w.sum().dimshuffle('x', 'x')})
    np.testing.assert_array_equal(w.get_value(), np.ones((10, 10)))


def test_an_update_of_another_rank_is_refused():
    w = theano.shared(np.ones(3), name="weights")
    with pytest.raises(TypeError, match="weights"):
        theano.function([], [], updates=[(w, T.outer(w, w))])


def test_an_update_contradicting_a_declared_size_is_refused():
    w = theano.shared(np.ones(3), name="w3", shape=(3,))
    with pytest.raises(TypeError, match="w3"):
        theano.function([], [], updates=[(w, T.ones((4,)))])


def test_a_variable_declared_broadcastable_takes_a_1x1_update():
    w = theano.shared(np.ones((1, 1)), name="w", shape=(1, 1))
    f = theano.function([], [], updates={w: (w * 3).sum().dimshuffle('x', 'x')})
    f()
    np.testing.assert_array_equal(w.get_value(), [[3.]])
    b = theano.shared(np.ones((1, 4)), name="b", broadcastable=(True, False))
    assert b.type.shape == (1, None)
    theano.function([], [], updates={b: b * 2})()
    np.testing.assert_array_equal(b.get_value(), 2 * np.ones((1, 4)))


def test_updates_of_unknown_static_size_may_change_the_shape_at_run_time():
    """As with set_value, a value's size may change over time where the type does not fix it."""
    w = theano.shared(np.arange(6.), name="w")
    theano.function([], [], updates={w: w[:3]})()
    np.testing.assert_array_equal(w.get_value(), [0., 1., 2.])
