"""Theano's surface around ``function``: ``In``/``Out``, defaults and keyword calls, state
kept by an ``In`` update, ``default_update`` and ``no_default_updates``, borrowing shared
values, and ``Function.copy``; on the CPU and on the CUDA simulator."""
import numpy as np
import pytest

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad import In, Out, function
from gpugrad.errors import InputError

DEVICES = ["cpu", "cuda-sim"]


def test_defaults_and_keyword_calls():
    x, y, w = T.dscalars('x', 'y', 'w')
    f = function([x, In(y, value=1), In(w, value=2, name='w_by_name')], (x + y) * w)
    assert [f(33), f(33, 2), f(33, 0, 1), f(33, w_by_name=1), f(33, w_by_name=1, y=0)] == [68, 70, 33, 34, 33]
    with pytest.raises(InputError, match="no input named 'w'"):
        f(33, w=1)
    with pytest.raises(InputError, match="two values for input 'y'"):
        f(33, 1, y=2)
    with pytest.raises(InputError, match="missing a value for input x"):
        f(y=2)
    with pytest.raises(InputError, match="takes 3 arguments"):
        f(1, 2, 3, 4)
    assert f(1) == 4  # still works


@pytest.mark.parametrize("device", DEVICES)
def test_state_in_an_input_with_an_update(device):
    a = T.scalar()
    x, s = T.scalars('xs')
    f = function([x, In(a, value=1.0, name='a'), In(s, value=0.0, update=s + a * x)], s + a * x, device=device)
    assert (f[a], f[s], f['a']) == (1.0, 0.0, 1.0)
    assert f(3.0) == 3.0 and f(3.0, a=2.0) == 9.0
    assert (f[a], f[s]) == (1.0, 9.0)
    f[a] = 5.0
    assert f(3.0) == 24.0 and f[s] == 24.0
    f[s] = 0.0
    assert f(1.0) == 5.0
    with pytest.raises(KeyError):
        f[x]
    with pytest.raises(InputError, match="needs a value"):
        In(s, update=s + 1)


def test_out_and_borrowed_inputs():
    x = T.dmatrix('x')
    f = function([In(x, borrow=True, mutable=True)], Out(2 * x, borrow=True))
    arg = np.ones((2, 2))
    np.testing.assert_array_equal(f(arg), 2 * arg)
    np.testing.assert_array_equal(arg, np.ones((2, 2)))  # gpugrad never writes into an argument
    g = function([x], [Out(x, borrow=True), x * 1])
    same, _ = g(arg)
    assert not np.shares_memory(same, arg)


@pytest.mark.parametrize("device", DEVICES)
def test_default_updates(device):
    counter = theano.shared(np.int64(0), name='counter')
    counter.default_update = counter + 1
    other = theano.shared(np.float64(10.0), name='other')
    other.default_update = other * 2 + counter  # read by the first one's update: applied too
    read = function([], counter * 1, device=device)
    assert [int(read()) for _ in range(3)] == [0, 1, 2]
    both = function([], other + 0, device=device)
    assert both() == 10.0 and (counter.get_value(), other.get_value()) == (4, 23.0)
    frozen = function([], counter * 1, no_default_updates=True, device=device)
    assert frozen() == 4 and frozen() == 4
    skip_one = function([], other + counter, no_default_updates=[counter], device=device)
    skip_one()
    assert counter.get_value() == 4 and other.get_value() == 50.0
    explicit = function([], counter * 1, updates={counter: counter + 100}, device=device)
    explicit()
    assert counter.get_value() == 104
    bad = theano.shared(np.zeros(3), name='bad')
    bad.default_update = bad.sum()
    with pytest.raises(InputError, match="bad"):
        function([], bad * 1)


def test_shared_borrow_on_the_cpu():
    array = np.ones(2, dtype='float32')
    s_default, s_true = theano.shared(array), theano.shared(array, borrow=True)
    array += 1
    np.testing.assert_array_equal(s_default.get_value(), [1., 1.])
    np.testing.assert_array_equal(s_true.get_value(), [2., 2.])
    assert s_true.get_value(borrow=True) is array
    assert s_true.get_value(borrow=True, return_internal_type=True) is array
    assert s_true.get_value() is not array
    s_true.set_value(np.zeros(2, 'float32'), borrow=True)
    inc = function([], [], updates={s_true: s_true + 1})
    inc()
    assert not np.shares_memory(s_true.get_value(borrow=True), array)


def test_internal_type_on_the_simulator():
    from gpugrad.compile.device_arrays import resident
    w = theano.shared(np.arange(3.), name='w')
    function([], [], updates={w: w * 2}, device='cuda-sim')()
    inside = w.get_value(borrow=True, return_internal_type=True)
    assert resident('cuda-sim', inside)
    copied = w.get_value(return_internal_type=True)
    assert resident('cuda-sim', copied) and copied is not inside
    host = w.get_value()
    assert not resident('cuda-sim', host)
    np.testing.assert_array_equal(host, [0., 2., 4.])


@pytest.mark.parametrize("device", DEVICES)
def test_copy_with_swapped_state_and_without_updates(device):
    state = theano.shared(np.int64(0))
    inc = T.lscalar('inc')
    acc = function([inc], state, updates=[(state, state + inc)], device=device, name='acc')
    acc(10)
    new_state = theano.shared(np.int64(0))
    new_acc = acc.copy(swap={state: new_state})
    assert new_acc(100) == 0 and new_state.get_value() == 100 and state.get_value() == 10
    assert new_acc.name == 'acc copy' and acc.copy(name='other').name == 'other'
    null = acc.copy(delete_updates=True)
    assert null(9000) == 10 and state.get_value() == 10
    shared_copy = acc.copy(share_memory=True)
    shared_copy(1)
    assert state.get_value() == 11
    with pytest.raises(InputError, match="same type"):
        acc.copy(swap={state: theano.shared(np.zeros(2))})
    with pytest.raises(InputError, match="not a shared variable"):
        acc.copy(swap={new_state: state})


def test_copy_keeps_the_mode():
    x = T.dvector('x')
    f = function([x], T.log(x), mode=theano.NanGuardMode())
    with pytest.raises(theano.NanGuardError):
        f.copy()([-1.])
