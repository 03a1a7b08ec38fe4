"""Updates of a shared matrix by a gemm of its own value, added into its array
(compile/in_place.py): the same values as before, and nothing anyone holds changes (readers
in other threads: tests/reliability/test_threads.py)."""
import pickle

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.errors import InputError, ShapeError

LR = 0.1


def _sgd(rng, **kwargs):
    """An SGD step on ``W`` (a gemm of ``W``'s value) and its NumPy reference."""
    W = gg.shared(rng.standard_normal((4, 5)), name="W")
    x = T.dmatrix("x")
    cost = T.sum(T.tanh(T.dot(x, W)))
    step = gg.function([x], cost, updates=[(W, W - LR * gg.grad(cost, W))], **kwargs)

    def reference(w, xv):
        t = np.tanh(xv @ w)
        return w - LR * xv.T @ (1 - t * t)
    return W, step, reference


def _address(var):
    return var.get_value(borrow=True).ctypes.data


def test_the_update_is_added_into_the_variables_array(rng):
    W, step, reference = _sgd(rng)
    assert step._idle[0].in_place  # the gemm is applied with the updates
    where = _address(W)
    for _ in range(3):
        xv, before = rng.standard_normal((3, 4)), W.get_value()
        step(xv)
        np.testing.assert_allclose(W.get_value(), reference(before, xv), rtol=1e-12)
        assert _address(W) == where


def test_an_array_the_caller_holds_is_never_written(rng):
    """A borrowed value, a view of it, or the array given to ``shared(borrow=True)``."""
    W, step, reference = _sgd(rng)
    xv = rng.standard_normal((3, 4))
    for hold in (lambda: W.get_value(borrow=True), lambda: W.get_value(borrow=True).T[1:]):
        held = hold()
        kept = held.copy()
        before = W.get_value()
        step(xv)
        np.testing.assert_array_equal(held, kept)
        np.testing.assert_allclose(W.get_value(), reference(before, xv), rtol=1e-12)
    given = rng.standard_normal((4, 5))
    W.set_value(given, borrow=True)
    kept = given.copy()
    step(xv)
    np.testing.assert_array_equal(given, kept)
    np.testing.assert_allclose(W.get_value(), reference(kept, xv), rtol=1e-12)


def test_a_product_that_reads_the_variable_goes_into_a_copy(rng):
    """``W + 0.1 * dot(W, W)``: the operands are the very array the sum would overwrite."""
    W = gg.shared(rng.standard_normal((50, 50)), name="W")
    step = gg.function([], [], updates=[(W, W + 0.1 * T.dot(W, W))])
    assert step._idle[0].in_place
    before = W.get_value()
    step()
    np.testing.assert_allclose(W.get_value(), before + 0.1 * before @ before, rtol=1e-12)


def test_a_function_that_read_the_value_does_not_keep_it_from_being_updated(rng):
    W, step, _ = _sgd(rng)
    total = gg.function([], W.sum())
    total()
    where = _address(W)
    step(rng.standard_normal((3, 4)))
    assert _address(W) == where


def test_a_call_that_raises_leaves_every_variable_as_it_was(rng):
    """The gemm's own shapes, or another update's check, failing after the graph ran."""
    W = gg.shared(rng.standard_normal((4, 5)), name="W")
    row = gg.shared(np.zeros((1, 5)), shape=(1, None), name="row")
    a, b, r = T.dmatrix("a"), T.dmatrix("b"), T.dmatrix("r")
    step = gg.function([a, b, r], [], updates=[(W, W + T.dot(a, b)), (row, row + r)])
    assert step._idle[0].in_place
    before = W.get_value()
    with pytest.raises(InputError, match="row"):
        step(np.ones((4, 2)), np.ones((2, 5)), np.ones((2, 5)))  # row's new value has two rows
    with pytest.raises(ShapeError, match="gemm"):
        step(np.ones((3, 2)), np.ones((2, 5)), np.ones((1, 5)))  # a product of 3 rows for W's 4
    np.testing.assert_array_equal(W.get_value(), before)
    np.testing.assert_array_equal(row.get_value(), np.zeros((1, 5)))
    step(np.ones((4, 2)), np.ones((2, 5)), np.ones((1, 5)))
    np.testing.assert_array_equal(W.get_value(), before + 2)
    np.testing.assert_array_equal(row.get_value(), np.ones((1, 5)))


@pytest.mark.parametrize("kwargs", [dict(profile=True), dict(mode="DebugMode"), dict(mode="NanGuardMode")])
def test_instrumented_functions_compute_the_update_as_a_node(kwargs, rng):
    W, step, reference = _sgd(rng, **kwargs)
    assert not step._idle[0].in_place
    xv, before = rng.standard_normal((3, 4)), W.get_value()
    step(xv)
    np.testing.assert_allclose(W.get_value(), reference(before, xv), rtol=1e-12)


def test_copies_and_pickles_update_in_place_too(rng):
    W, step, reference = _sgd(rng)
    other = gg.shared(W.get_value(), name="other")
    for again in (pickle.loads(pickle.dumps(step)), step.copy(), step.copy(swap={W: other})):
        assert again._idle[0].in_place
        target = other if any(v is other for v in again.shared_vars) else next(
            v for v in again.shared_vars if v.name == "W")
        xv, before, where = rng.standard_normal((3, 4)), target.get_value(), _address(target)
        again(xv)
        np.testing.assert_allclose(target.get_value(), reference(before, xv), rtol=1e-12)
        assert _address(target) == where
    assert not step.copy(delete_updates=True)._idle[0].in_place


def test_excluding_inplace_turns_it_off(rng):
    W, step, reference = _sgd(rng, mode=gg.Mode().excluding("inplace"))
    assert not step._idle[0].in_place
    xv, before = rng.standard_normal((3, 4)), W.get_value()
    step(xv)
    np.testing.assert_allclose(W.get_value(), reference(before, xv), rtol=1e-12)


def test_a_device_function_keeps_its_update_on_the_device(rng):
    W, step, reference = _sgd(rng, device="cuda-sim")
    assert not step._idle[0].in_place
    xv, before = rng.standard_normal((3, 4)), W.get_value()
    step(xv)
    np.testing.assert_allclose(W.get_value(), reference(before, xv), rtol=1e-10)
