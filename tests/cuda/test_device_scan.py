"""Scan loops on ``device="cuda-sim"`` against ``device="cpu"``: maps, taps, several outputs,
``until``, an RNN with its gradient (BPTT) and R-op, the tutorial's power and polynomial,
updates of shared variables; where the loop and its body run, the transfers a call makes,
and shape errors inside a step."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.errors import ShapeError
from gpugrad.compile import placement
from gpugrad.ops.reduce import Reduce
from gpugrad.ops.transfer import Transfer
from gpugrad.scan import until
from gpugrad.scan.op import Scan

from device_checks import DEVICE, on_both, same, transfers



def _scans(f):
    return [node for node in f.graph.toposort() if isinstance(node.op, Scan)]


def _run_both(inputs, outputs, args):
    sim, cpu = on_both(inputs, outputs)
    same(sim(*args), cpu(*args), double_tol=1e-11)
    return sim


def test_maps_match_the_cpu(rng):
    x, k = T.dmatrix("x"), T.lscalar("k")
    mapped, _ = gg.map(lambda row: T.exp(row) * 2, sequences=x)
    looped, _ = gg.scan(lambda row, x: T.sum(row * x[0]) + row[::-1], sequences=x, non_sequences=x, n_steps=k)
    sim = _run_both([x, k], [mapped, looped], (rng.standard_normal((6, 3)), 4))
    assert {sim.placement[node] for node in _scans(sim)} == {DEVICE}  # n_steps given: the loop stays


def test_recurrence_with_taps_several_outputs_and_non_sequences(rng):
    x, h0, w, b = T.dmatrix("x"), T.dmatrix("h0"), T.dvector("w"), T.dscalar("b")

    def step(x_prev, x_next, h2, h1, w, b):
        h = T.tanh(h2 * w + h1 + x_prev - x_next) + b
        return h, T.sum(h * x_next)

    (hs, sums), _ = gg.scan(step, sequences=dict(input=x, taps=[-1, 1]),
                            outputs_info=[dict(initial=h0, taps=[-2, -1]), None], non_sequences=[w, b])
    args = rng.standard_normal((7, 3)), rng.standard_normal((2, 3)), rng.standard_normal(3), 0.5
    sim = _run_both([x, h0, w, b], [hs, sums], args)
    assert transfers(sim) == ["device"] * 4 + ["host"] * 2


def test_until_stops_on_the_device(rng):
    h0, w = T.dvector("h0"), T.dvector("w")
    hs, _ = gg.scan(lambda h, w: (h * w + 1, until(T.max(abs(h)) > 50)), outputs_info=h0, non_sequences=w,
                    n_steps=40)
    sim = _run_both([h0, w], hs, (np.array([1.0, -0.5, 0.2]), np.array([1.5, 1.2, -1.1])))
    assert len(sim(np.array([1.0, -0.5, 0.2]), np.array([1.5, 1.2, -1.1]))) < 40
    assert {sim.placement[node] for node in _scans(sim)} == {DEVICE}


def _rnn(dtype):
    x, h0, W, U = T.matrix("x", dtype=dtype), T.vector("h0", dtype=dtype), T.matrix("W", dtype=dtype), \
        T.matrix("U", dtype=dtype)
    hs, _ = gg.scan(lambda x_t, h, W, U: T.tanh(T.dot(h, W) + T.dot(x_t, U)), sequences=x, outputs_info=h0,
                    non_sequences=[W, U])
    return [x, h0, W, U], hs


def _rnn_args(dtype, rng):
    return [(rng.standard_normal(s) * 0.5).astype(dtype) for s in [(6, 2), (3,), (3, 3), (2, 3)]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rnn_forward_gradient_and_rop_match_the_cpu(dtype, rng):
    inputs, hs = _rnn(dtype)
    x, h0, W, U = inputs
    cost = T.sum(hs[-1] ** 2) + T.sum(hs)
    V = T.matrix("V", dtype=dtype)
    outputs = [hs] + T.grad(cost, [x, h0, W, U]) + [T.Rop(hs, W, V)]
    args = _rnn_args(dtype, rng) + [rng.standard_normal((3, 3)).astype(dtype)]
    sim = _run_both(inputs + [V], outputs, args)
    assert len(_scans(sim)) == 3 and {sim.placement[node] for node in _scans(sim)} == {DEVICE}
    assert transfers(sim) == ["device"] * 5 + ["host"] * len(outputs)


def test_the_loop_and_its_body_run_on_the_device(rng):
    inputs, hs = _rnn("float64")
    sim, _ = on_both(inputs, [hs, T.grad(T.sum(hs), inputs[2])])
    for node in _scans(sim):
        assert sim.placement[node] == DEVICE
        assert {n.tag["device"] for n in node.op.inner_fgraph(DEVICE).toposort()} == {DEVICE}
        assert not [n for n in node.op.inner_fgraph(DEVICE).toposort()
                    if isinstance(n.op, Transfer) and n.op.to == "host"]


def test_a_body_with_host_ops_and_a_nested_scan(rng, monkeypatch):
    monkeypatch.delitem(placement.DEVICE_OPS, Reduce)  # reductions become host-only ops
    x = T.dmatrix("x")

    def step(row, h):
        inner, _ = gg.scan(lambda a, b: T.tanh(a * b + row), outputs_info=h, non_sequences=row, n_steps=2)
        return inner[-1] + T.sum(row)

    hs, _ = gg.scan(step, sequences=x, outputs_info=T.zeros_like(x[0]))
    sim = _run_both([x], [hs, T.grad(T.sum(hs), x)], (rng.standard_normal((4, 3)),))
    places = {str(n.op): n.tag["device"] for n in _scans(sim)[0].op.inner_fgraph(DEVICE).toposort()}
    assert places["Scan"] == DEVICE and places["sum{axis=[0]}"] == "cpu" and places["transfer_to_host"] == DEVICE


def test_an_index_sequence_stays_on_the_host(rng):
    x = T.dmatrix("x")
    rows, _ = gg.scan(lambda i, x: x[i] * 2 + x[i + 1], sequences=T.arange(x.shape[0] - 1), non_sequences=x,
                      n_steps=x.shape[0] - 1)
    sim = _run_both([x], rows, (rng.standard_normal((5, 3)),))
    (node,) = _scans(sim)
    assert transfers(sim) == ["device", "host"]  # the indices are never copied
    inner = node.op.inner_fgraph(DEVICE)
    assert {n.tag["device"] for n in inner.toposort() if n.outputs[0].ndim} == {DEVICE}


def power(A, k):
    result, updates = gg.scan(fn=lambda prior_result, A: prior_result * A, outputs_info=T.ones_like(A),
                              non_sequences=A, n_steps=k)
    return result[-1], updates


def polynomial(coefficients, x):
    components, _ = gg.scan(fn=lambda coefficient, power, free_variable: coefficient * (free_variable ** power),
                            outputs_info=None, sequences=[coefficients, T.arange(1000)], non_sequences=x)
    return components.sum()


def test_tutorial_power_and_polynomial(rng):
    k, A = T.iscalar("k"), T.dvector("A")
    final, updates = power(A, k)
    sim = _run_both([A, k], [final, T.grad(final.sum(), A)], (rng.standard_normal(4), 3))
    np.testing.assert_allclose(sim(np.arange(4.0), 2)[0], np.arange(4.0) ** 2)
    coefficients, x = T.dvector("coefficients"), T.dscalar("x")
    p = polynomial(coefficients, x)
    sim = _run_both([coefficients, x], [p] + T.grad(p, [coefficients, x]), (np.array([1.0, 0.0, 2.0]), 3.0))
    assert sim(np.array([1.0, 0.0, 2.0]), 3.0)[0] == 19.0


def test_scan_updates_of_shared_variables_on_the_device(rng):
    x = T.dmatrix("x")
    value = rng.standard_normal(3)
    results = []
    for device in (DEVICE, "cpu"):
        acc = gg.shared(value.copy(), name="acc")
        ys, updates = gg.scan(lambda x_t: (x_t * acc, {acc: acc + x_t}), sequences=x)
        f = gg.function([x], ys, updates=updates, device=device)
        results.append([f(np.ones((4, 3))), f(np.full((2, 3), 0.5)), acc.get_value()])
    same(*results, double_tol=1e-11)
    np.testing.assert_allclose(results[0][2], value + 5)


def test_a_shape_error_names_the_step_and_the_function_still_works(rng):
    sizes, h0 = T.lvector("sizes"), T.dvector("h0")
    hs, _ = gg.scan(lambda k, h: T.tanh(h + T.alloc(1.0, k)), sequences=sizes, outputs_info=h0)
    f = gg.function([sizes, h0], hs, device=DEVICE)
    with pytest.raises(ShapeError, match="in step 2 of Scan"):
        f(np.array([3, 3, 4, 3]), np.zeros(3))
    grows, _ = gg.scan(lambda h: T.concatenate([h, h]), outputs_info=h0, n_steps=3)
    g = gg.function([h0], grows, device=DEVICE)
    with pytest.raises(ShapeError, match="at step 0 the body's recurrent output 0 has shape"):
        g(np.zeros(2))
    cpu = gg.function([sizes, h0], hs, device="cpu")
    args = np.array([3, 3, 3]), np.ones(3)
    same([f(*args)], [cpu(*args)], double_tol=1e-11)
