"""The host's BLAS rewrite (rewrites/blas.py): a matrix plus a scaled product becomes one
gemm where that is the same computation, and stays as it was everywhere else."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.compile.modes import Mode
from gpugrad.ops.blas import Dot
from gpugrad.ops.gemm import Gemm

UNFUSED = Mode().excluding("blas")


def _ops(f):
    return [type(node.op) for node in f.graph.toposort()]


def _compare(inputs, out, values, device="cpu"):
    """Compile ``out`` with and without the rewrite, check they agree; the rewritten function."""
    f = gg.function(inputs, out, device=device)
    plain = gg.function(inputs, out, mode=UNFUSED)
    np.testing.assert_allclose(f(*values), plain(*values), rtol=1e-12)
    return f


@pytest.fixture
def abc(rng):
    c, a, b = T.dmatrix("c"), T.dmatrix("a"), T.dmatrix("b")
    return (c, a, b), [rng.standard_normal((3, 5)), rng.standard_normal((3, 4)), rng.standard_normal((4, 5))]


@pytest.mark.parametrize("form", ["c - 0.1 * dot(a, b)", "c + dot(a, b) * 2", "dot(a, b) + c", "c - dot(a, b)",
                                  "c + -(3 * dot(a, b))", "c - a @ b"])
def test_a_matrix_plus_a_scaled_product_is_one_gemm(form, abc):
    (c, a, b), values = abc
    out = eval(form, {"dot": T.dot, "a": a, "b": b, "c": c})
    f = _compare([c, a, b], out, values)
    assert Gemm in _ops(f) and Dot not in _ops(f)


def test_an_sgd_update_is_a_gemm_of_the_shared_matrix(rng):
    W = gg.shared(rng.standard_normal((4, 3)).astype("float32"), name="W")
    x, lr = T.fmatrix("x"), T.fscalar("lr")
    cost = T.sum(T.tanh(T.dot(x, W)))
    step = gg.function([x, lr], cost, updates=[(W, W - lr * gg.grad(cost, W))])
    (node,) = [n for n in step.graph.toposort() if isinstance(n.op, Gemm)]
    assert node.inputs[0] in step.graph.inputs  # the shared variable's value itself
    start, xv = W.get_value(), rng.standard_normal((2, 4)).astype("float32")
    step(xv, np.float32(0.5))
    t = np.tanh(xv @ start)
    np.testing.assert_allclose(W.get_value(), start - 0.5 * xv.T @ (1 - t * t), rtol=1e-5)


def test_a_product_read_elsewhere_stays_a_dot(abc):
    (c, a, b), values = abc
    p = T.dot(a, b)
    f = _compare([c, a, b], [c + 2 * p, p], values)
    assert Gemm not in _ops(f)


def test_a_broadcast_matrix_is_not_a_gemm_operand(abc, rng):
    (_, a, b), values = abc
    row = T.drow("row")
    f = _compare([row, a, b], row + T.dot(a, b), [rng.standard_normal((1, 5))] + values[1:])
    assert Gemm not in _ops(f)


def test_elementwise_factors_and_other_dtypes_are_left_alone(abc, rng):
    (c, a, b), values = abc
    f = _compare([c, a, b], c + c * T.dot(a, b), values)
    assert Gemm not in _ops(f)
    ci, ai, bi = T.lmatrix(), T.lmatrix(), T.lmatrix()
    ints = [rng.integers(-3, 3, v.shape) for v in values]
    f = _compare([ci, ai, bi], ci + T.dot(ai, bi), ints)
    assert Gemm not in _ops(f)


def test_a_device_keeps_dot_and_its_kernel(abc):
    (c, a, b), values = abc
    f = _compare([c, a, b], c - 0.5 * T.dot(a, b), values, device="cuda-sim")
    assert Gemm not in _ops(f) and Dot in _ops(f)


def test_a_symbolic_factor_becomes_alpha(abc):
    (c, a, b), values = abc
    s = T.dscalar("s")
    f = gg.function([c, a, b, s], c - s * T.dot(a, b) * 2.0)
    assert Gemm in _ops(f)
    np.testing.assert_allclose(f(*values, 0.25), values[0] - 0.5 * values[1] @ values[2], rtol=1e-12)


def test_excluding_the_blas_phase_keeps_the_product(abc):
    (c, a, b), _ = abc
    assert Gemm not in _ops(gg.function([c, a, b], c + T.dot(a, b), mode=UNFUSED))
    assert Gemm not in _ops(gg.function([c, a, b], c + T.dot(a, b), mode=Mode().excluding("gemm")))
