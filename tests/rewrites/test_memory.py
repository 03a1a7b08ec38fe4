"""The memory plan must never change a value: in-place writes and kept buffers are
checked against views, outputs and repeated calls."""
import numpy as np

import gpugrad as gg
import gpugrad.tensor as T


def test_inplace_write_does_not_clobber_a_view_read_later():
    x = T.vector("x")
    a = T.exp(x)
    np.testing.assert_allclose(gg.function([x], a[1:] + (a * 2).sum())(np.zeros(3)), [7.0, 7.0])
    m = T.matrix("m")
    b = T.exp(m)
    np.testing.assert_allclose(gg.function([m], b.T + (b * 2).sum())(np.zeros((1, 2))), [[5.0], [5.0]])
    np.testing.assert_allclose(gg.function([m], b.reshape((2,)) + (b * 2).sum())(np.zeros((1, 2))), [5.0, 5.0])


def test_returned_arrays_survive_the_next_call():
    m = T.matrix("m")
    b = T.exp(m)
    f = gg.function([m], [b.T, b * 2, T.tanh(b) + 1])
    first = f(np.zeros((1, 2)))
    kept = [o.copy() for o in first]
    f(np.ones((1, 2)))
    for got, want in zip(first, kept):
        np.testing.assert_array_equal(got, want)


def test_logistic_gradient_writes_in_place_and_keeps_buffers():
    x = T.dmatrix("x")
    f = gg.function([x], T.grad(T.sum(1 / (1 + T.exp(-x))), x))
    tags = [node.tag for node in f.maker.fgraph.toposort()]
    assert any("inplace" in t for t in tags)
    value = np.random.default_rng(0).standard_normal((50, 40))
    s = 1 / (1 + np.exp(-value))
    for _ in range(3):
        np.testing.assert_allclose(f(value), s * (1 - s), rtol=1e-12)


def test_inputs_are_never_written():
    x = T.dvector("x")
    f = gg.function([x], T.exp(x * 2) + 1)
    value = np.arange(3.0)
    f(value)
    np.testing.assert_array_equal(value, np.arange(3.0))
