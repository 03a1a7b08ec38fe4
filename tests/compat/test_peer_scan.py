"""``scan``, ``map`` and ``reduce``: the public-API cases of PyTensor's tests/scan/test_views.py
and of the first part of tests/scan/test_basic.py (TestScan, up to test_hash), ported to
gpugrad. Cases that inspect the Scan op's internals (its inner function's storage, its
input/output mappings, its clone), pickle functions or draw random numbers are not here."""
import numpy as np
import pytest

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad import Mode, function, grad, shared
from gpugrad.scan import map as g_map, reduce as g_reduce, scan
from gpugrad.scan.op import Scan

MODES = [Mode(linker="py", optimizer=None), Mode(linker="cvm", optimizer=None)]


def test_reduce_and_map(rng):
    v, s = T.vector("v"), T.scalar("s")
    result, updates = g_reduce(lambda x, y: x + y, v, s)
    f = function([v, s], result, updates=updates, allow_input_downcast=True)
    v_v = rng.uniform(-5.0, 5.0, size=(5,))
    assert abs(np.sum(v_v) - f(v_v, 0.0)) < 1e-3
    abs_expr, abs_updates = g_map(lambda x: abs(x), v, [], truncate_gradient=-1, go_backwards=False)
    vals = rng.uniform(-5.0, 5.0, size=(10,))
    np.testing.assert_allclose(function([v], abs_expr, updates=abs_updates)(vals), abs(vals))


@pytest.mark.parametrize("fold", [g_reduce, theano.foldl, theano.foldr])
def test_gradient_of_a_fold(fold):
    x = shared(np.random.default_rng(0).uniform(size=(10,)))
    o, _ = fold(lambda v, acc: acc + v, x, T.constant(np.asarray(0.0)))
    np.testing.assert_allclose(function([], grad(o, x))(), np.ones(10))


@pytest.mark.parametrize("mode", MODES, ids=["py", "cvm"])
@pytest.mark.parametrize("x_init", ["float64", "int32"])
def test_no_step(mode, x_init):
    x_init = T.scalar("x", dtype=x_init)
    n_steps = T.iscalar("n_steps")
    values, _ = scan(lambda x_tm1: 2 * x_tm1, outputs_info=(x_init,), n_steps=n_steps)
    res = function((x_init, n_steps), values, mode=mode)(1, 0)
    assert np.array_equal(res, np.array([], dtype=values.dtype)) and res.dtype == values.dtype


@pytest.mark.parametrize("mode", MODES, ids=["py", "cvm"])
@pytest.mark.parametrize("x", ["float64", "int32"])
@pytest.mark.parametrize("x_init", ["float64", "int32", None])
def test_no_steps_over_an_empty_sequence(mode, x, x_init):
    x = T.vector("x", dtype=x)
    with theano.config.change_flags(mode=mode):
        if x_init is None:
            values, _ = scan(lambda x_i: 2 * x_i, sequences=x)
            values_fn = function((x,), values)
            res = values_fn(np.array([], dtype=x.dtype))
        else:
            x_init = T.scalar("x0", dtype=x_init)
            values, _ = scan(lambda x_seq, x_i: 2 * x_i, outputs_info=(x_init,), sequences=x)
            res = function((x_init, x), values)(1, np.array([], dtype=x.dtype))
    assert any(isinstance(n.op, Scan) for n in theano.graph.traversal.toposort([values]))
    assert np.array_equal(res, np.array([], dtype=values.dtype)) and res.dtype == values.dtype


def test_only_nonseq_inputs():
    inp = T.matrix()
    broadcasted_inp, _ = scan(lambda x: x, non_sequences=[inp], n_steps=2)
    fun = function([inp], [broadcasted_inp, grad(broadcasted_inp.sum(), inp)])
    inputs = np.array([[1, 2], [3, 4]], dtype="float64")
    out1, out2 = fun(inputs)
    np.testing.assert_allclose(out1, np.repeat(inputs[None], 2, axis=0))
    np.testing.assert_allclose(out2, np.ones(inputs.shape) * 2)


def _rnn_numpy(v_u, v_x0, w_in, w, backwards=False):
    v_out = np.zeros((4,))
    order = v_u[::-1] if backwards else v_u
    prev = v_x0
    for step in range(4):
        prev = v_out[step] = order[step] * w_in + prev * w
    return v_out


@pytest.mark.parametrize("backwards", [False, True])
def test_one_sequence_one_output_weights(backwards, rng):
    u, x0, W_in, W = T.vector("u"), T.scalar("x0"), T.scalar("win"), T.scalar("w")
    output, updates = scan(lambda u_t, x_tm1, W_in, W: u_t * W_in + x_tm1 * W, u, x0, [W_in, W], n_steps=None,
                           truncate_gradient=-1, go_backwards=backwards)
    f2 = function([u, x0, W_in, W], output, updates=updates, allow_input_downcast=True)
    v_u, v_x0, w, w_in = rng.uniform(-5.0, 5.0, size=(4,)), rng.uniform(), rng.uniform(), rng.uniform()
    np.testing.assert_allclose(f2(v_u, v_x0, w_in, w), _rnn_numpy(v_u, v_x0, w_in, w, backwards))


def test_one_sequence_one_output_weights_shared(rng):
    u, x0 = T.vector("u"), T.scalar("x0")
    W_in, W = shared(np.asarray(rng.uniform()), name="w_in"), shared(np.asarray(rng.uniform()), name="w")
    output, updates = scan(lambda u_t, x_tm1, a, b: u_t * a + x_tm1 * b, u, x0, [W_in, W], n_steps=None,
                           truncate_gradient=-1, go_backwards=False)
    f3 = function([u, x0], output, updates=updates, allow_input_downcast=True)
    v_u, v_x0 = rng.uniform(-5.0, 5.0, size=(4,)), rng.uniform()
    np.testing.assert_allclose(f3(v_u, v_x0), _rnn_numpy(v_u, v_x0, W_in.get_value(), W.get_value()))


def test_using_taps_sequence():
    x = T.dvector()
    y, updates = scan(lambda x: [x], sequences=dict(input=x, taps=[-1]), outputs_info=[None])
    inp = np.arange(5).astype("float64")
    assert np.all(function([x], y, updates=updates)(inp) == inp[:-1])


def test_output_only(rng):
    u = T.vector("u")
    outputs, updates = scan(lambda u_t: u_t + 3, u, [], [], n_steps=None, truncate_gradient=-1, go_backwards=False)
    v_u = rng.uniform(-5.0, 5.0, size=(5,))
    np.testing.assert_allclose(function([u], outputs, updates=updates)(v_u), v_u + 3)


def test_output_padding():
    a, init_a = T.vector(), T.vector()
    b = shared(np.random.default_rng(0).random((5, 4)))
    out, updates = scan(lambda a: (a + 1, {b: 2 * b}), outputs_info=[{"initial": init_a}], n_steps=1)
    assert out[-1].type.ndim == a.type.ndim and updates[b].type.ndim == b.type.ndim
    out, updates = scan(lambda a: (a + 1, {b: 2 * b}), outputs_info=[init_a], n_steps=1)
    assert out.type.ndim == a.type.ndim + 1 and updates[b].type.ndim == b.type.ndim


def test_sequence_dict():
    x = T.vector("x")
    sx, _ = scan(fn=lambda s: s + 1, sequences=[{"input": x}])
    np.testing.assert_array_equal(function([x], sx)([1., 2.]), [2., 3.])


def test_hash():
    x, y = T.vector(), T.vector()
    scan1, _ = scan(lambda _x: _x + 1, x)
    scan2, _ = scan(lambda _x: _x + 1, y)
    op1, op2 = (s.owner.op if isinstance(s.owner.op, Scan) else s.owner.inputs[0].owner.op for s in (scan1, scan2))
    assert op1 == op2 and hash(op1) == hash(op2)
