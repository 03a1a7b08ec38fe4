"""Sequence taps are relative to the step, as in Theano: step t's tap k reads entry
t - min(0, min(taps)) + k, and a loop over n entries runs
n - (max(0, max(taps)) - min(0, min(taps))) steps. Values, gradients and R-ops through
tapped sequences, on the CPU and on the CUDA simulator."""
import numpy as np
import pytest

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad.gradient import verify_grad
from gpugrad.testing import numeric_jacobian

DEVICES = ["cpu", "cuda-sim"]


def tapped(taps):
    """The entries each step reads, as NumPy: one row per step, one column per tap."""
    lo, hi = min(0, min(taps)), max(0, max(taps))
    n = 5 - (hi - lo)
    return np.array([[t - lo + k for k in taps] for t in range(n)], dtype=float)


@pytest.mark.parametrize("taps", [[-1], [-2, -1], [2], [0, 2], [-1, 1], [-3, 1]])
def test_each_step_reads_the_entries_its_taps_name(taps):
    x = T.dvector("x")
    out, _ = theano.scan(lambda *entries: T.stack(list(entries)), sequences=dict(input=x, taps=taps))
    np.testing.assert_array_equal(theano.function([x], out)(np.arange(5.)), tapped(taps))


def test_theanos_examples():
    x = T.dvector("x")
    f = theano.function([x], theano.scan(lambda a: a, sequences=dict(input=x, taps=[-1]))[0])
    np.testing.assert_array_equal(f(np.arange(5.)), [0., 1., 2., 3.])
    f = theano.function([x], theano.scan(lambda a: a, sequences=dict(input=x, taps=[2]))[0])
    np.testing.assert_array_equal(f(np.arange(5.)), [2., 3., 4.])


def test_a_plain_int_tap():
    x = T.dvector("x")
    out, _ = theano.scan(lambda a: a * 10, sequences=dict(input=x, taps=-1))
    np.testing.assert_array_equal(theano.function([x], out)(np.arange(5.)), [0., 10., 20., 30.])


def test_tapped_sequences_with_a_state_and_backwards():
    x = T.dvector("x")
    total, _ = theano.scan(lambda a, b, acc: acc + a * b, sequences=dict(input=x, taps=[-2, 1]),
                           outputs_info=T.constant(0.0))
    back, _ = theano.scan(lambda a: a, sequences=dict(input=x, taps=[-1]), go_backwards=True)
    f = theano.function([x], [total, back])
    v = np.arange(1., 7.)
    got_total, got_back = f(v)
    np.testing.assert_allclose(got_total, np.cumsum(v[0:3] * v[3:6]))
    np.testing.assert_array_equal(got_back, v[::-1][:-1])


def _tap_loop(x, w):
    out, _ = theano.scan(lambda a, b, c, acc, w: T.tanh(acc * w + a - 2 * b + c * c),
                         sequences=dict(input=x, taps=[-2, 0, 1]), outputs_info=T.zeros_like(w),
                         non_sequences=w)
    return out


def _tap_loop_numpy(x, w):
    acc, rows = np.zeros_like(w), []
    for t in range(len(x) - 3):
        acc = np.tanh(acc * w + x[t] - 2 * x[t + 2] + x[t + 3] ** 2)
        rows.append(acc)
    return np.array(rows)


@pytest.mark.parametrize("device", DEVICES)
def test_gradient_through_tapped_sequences(device, rng):
    x, w = rng.standard_normal((7, 2)) * 0.5, rng.standard_normal(2)
    with theano.config.change_flags(device=device):
        verify_grad(_tap_loop, [x, w], rng=rng)


@pytest.mark.parametrize("device", DEVICES)
def test_rop_through_tapped_sequences(device, rng):
    x, w = T.dmatrix("x"), T.dvector("w")
    v = T.dmatrix("v")
    out = _tap_loop(x, w)
    f = theano.function([x, w, v], [out, T.Rop(out, x, v)], device=device)
    xv, wv, vv = rng.standard_normal((7, 2)) * 0.5, rng.standard_normal(2), rng.standard_normal((7, 2))
    value, jv = f(xv, wv, vv)
    np.testing.assert_allclose(value, _tap_loop_numpy(xv, wv), rtol=1e-12)
    jac = numeric_jacobian(lambda a: _tap_loop_numpy(a, wv), xv)
    np.testing.assert_allclose(jv, np.tensordot(jac, vv, axes=2), rtol=1e-6, atol=1e-8)
