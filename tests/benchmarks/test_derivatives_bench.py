"""Issue 4's derivative workloads (W3-W6), each group pairing gpugrad with a hand-written
NumPy reference on the same data. Results are checked against the reference; times are
reported, never asserted. Each run keeps its previous result alive, as a loop would.

    python -m pytest tests/benchmarks/test_derivatives_bench.py --benchmark-only -q
"""
import numpy as np
import pytest

import gpugrad
import gpugrad.tensor as T


def looped(fn, *args):
    """``fn(*args)``, holding on to the result of the previous call."""
    last = [None]

    def step():
        last[0] = fn(*args)
        return last[0]
    return step


# ---------------------------------------------------------------- W3: x**3 * sin(x), n = 10000
W3 = 10_000


def numpy_w3_derivative(x):
    return 3 * x ** 2 * np.sin(x) + x ** 3 * np.cos(x)


@pytest.fixture(scope="module")
def x_w3():
    return np.random.default_rng(3).uniform(-2, 2, W3)


def _w3_expression():
    x = T.dvector("x")
    return x, x ** 3 * T.sin(x)


@pytest.mark.benchmark(group="W3 elementwise Jacobian (full), n=10000")
def test_gpugrad_w3_full_jacobian(benchmark, x_w3):
    x, y = _w3_expression()
    f = gpugrad.function([x], T.jacobian(y, x))
    result = benchmark(looped(f, x_w3))
    np.testing.assert_allclose(np.diagonal(result), numpy_w3_derivative(x_w3), rtol=1e-12)


@pytest.mark.benchmark(group="W3 elementwise Jacobian (full), n=10000")
def test_numpy_w3_full_jacobian(benchmark, x_w3):
    benchmark(looped(lambda x: np.diag(numpy_w3_derivative(x)), x_w3))


@pytest.mark.benchmark(group="W3 Jacobian diagonal, n=10000")
def test_gpugrad_w3_jacobian_diag(benchmark, x_w3):
    x, y = _w3_expression()
    f = gpugrad.function([x], T.jacobian_diag(y, x))
    result = benchmark(looped(f, x_w3))
    np.testing.assert_allclose(result, numpy_w3_derivative(x_w3), rtol=1e-12)


@pytest.mark.benchmark(group="W3 Jacobian diagonal, n=10000")
def test_numpy_w3_jacobian_diag(benchmark, x_w3):
    benchmark(looped(numpy_w3_derivative, x_w3))


# ------------------------------------- W4/W5: sum(x**2 * exp(-x)) + sum(x)**2
def _cost():
    x = T.dvector("x")
    return x, T.sum(x ** 2 * T.exp(-x)) + T.sum(x) ** 2


def numpy_hessian(x):
    return np.diag((2 - 4 * x + x ** 2) * np.exp(-x)) + 2


def numpy_hessian_vector_product(x, v):
    return (2 - 4 * x + x * x) * np.exp(-x) * v + 2 * v.sum()


@pytest.fixture(scope="module")
def x_w4():
    return np.random.default_rng(4).uniform(-2, 2, 500)


@pytest.mark.benchmark(group="W4 dense Hessian, n=500")
def test_gpugrad_w4_hessian(benchmark, x_w4):
    x, cost = _cost()
    f = gpugrad.function([x], T.hessian(cost, x))
    result = benchmark(looped(f, x_w4))
    np.testing.assert_allclose(result, numpy_hessian(x_w4), rtol=1e-12)


@pytest.mark.benchmark(group="W4 dense Hessian, n=500")
def test_numpy_w4_hessian(benchmark, x_w4):
    benchmark(looped(numpy_hessian, x_w4))


@pytest.fixture(scope="module")
def xv_w5():
    rng = np.random.default_rng(5)
    return rng.uniform(-2, 2, 100_000), rng.standard_normal(100_000)


def _check_w5(result, xv_w5):
    np.testing.assert_allclose(result, numpy_hessian_vector_product(*xv_w5), rtol=1e-9, atol=1e-9)


@pytest.mark.benchmark(group="W5 Hessian-vector product, n=100000")
def test_gpugrad_w5_grad_of_g_dot_v(benchmark, xv_w5):
    x, cost = _cost()
    v = T.dvector("v")
    g = T.grad(cost, x)
    f = gpugrad.function([x, v], T.grad(T.sum(g * v), x))
    _check_w5(benchmark(looped(f, *xv_w5)), xv_w5)


@pytest.mark.benchmark(group="W5 Hessian-vector product, n=100000")
def test_gpugrad_w5_rop_of_g(benchmark, xv_w5):
    x, cost = _cost()
    v = T.dvector("v")
    f = gpugrad.function([x, v], T.hessian_vector_product(cost, x, v))
    _check_w5(benchmark(looped(f, *xv_w5)), xv_w5)


@pytest.mark.benchmark(group="W5 Hessian-vector product, n=100000")
def test_numpy_w5_hessian_vector_product(benchmark, xv_w5):
    benchmark(looped(numpy_hessian_vector_product, *xv_w5))


# ---------------------------------------------------------------- W6: dot(x, W), W 1000x1000
@pytest.fixture(scope="module")
def w6():
    rng = np.random.default_rng(6)
    return rng.standard_normal(1000), rng.standard_normal((1000, 1000)), rng.standard_normal((1000, 1000)), \
        rng.standard_normal(1000)


@pytest.mark.benchmark(group="W6 Rop of dot(x, W) wrt W, 1000x1000")
def test_gpugrad_w6_rop(benchmark, w6):
    x_value, w_value, v_value, _ = w6
    x, W, V = T.dvector("x"), T.dmatrix("W"), T.dmatrix("V")
    f = gpugrad.function([W, V, x], T.Rop(T.dot(x, W), W, V))
    result = benchmark(looped(f, w_value, v_value, x_value))
    np.testing.assert_allclose(result, x_value @ v_value, rtol=1e-10)


@pytest.mark.benchmark(group="W6 Rop of dot(x, W) wrt W, 1000x1000")
def test_numpy_w6_rop(benchmark, w6):
    x_value, _, v_value, _ = w6
    benchmark(looped(lambda x, V: x @ V, x_value, v_value))


@pytest.mark.benchmark(group="W6 Lop of dot(x, W) wrt W, 1000x1000")
def test_gpugrad_w6_lop(benchmark, w6):
    x_value, _, _, u_value = w6
    x, W, u = T.dvector("x"), T.dmatrix("W"), T.dvector("u")
    f = gpugrad.function([u, x], T.Lop(T.dot(x, W), W, u))
    result = benchmark(looped(f, u_value, x_value))
    np.testing.assert_allclose(result, np.outer(x_value, u_value), rtol=1e-12)


@pytest.mark.benchmark(group="W6 Lop of dot(x, W) wrt W, 1000x1000")
def test_numpy_w6_lop(benchmark, w6):
    x_value, _, _, u_value = w6
    benchmark(looped(np.outer, x_value, u_value))
