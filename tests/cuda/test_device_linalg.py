"""The linear algebra ops on ``device="cuda-sim"`` against ``device="cpu"``: values for real
and complex dtypes and stacks, placement on the device, gradients through expm and solve,
and the host's errors (singular, not positive definite) with the function usable after.
The ``cuda`` tests skip where no GPU is present."""
import numpy as np
import pytest
import scipy.linalg

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.backends import cuda
from gpugrad.compile.placement import LINALG_OPS
from gpugrad.linalg import LinAlgError

from device_checks import DEVICE

S, N = T.slinalg, T.nlinalg
AVAILABLE, REASON = cuda.gpu_available()
GPU = pytest.mark.skipif(not AVAILABLE, reason=f"no usable GPU: {REASON}")
DTYPES = ["float32", "float64", "complex64", "complex128"]


def _hpd(dtype, rng, shape):
    """Hermitian positive definite (so every op below is defined and well conditioned)."""
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return (a @ np.conj(np.swapaxes(a, -1, -2)) / shape[-1] + np.eye(shape[-1])).astype(dtype)


CASES = {
    "expm": lambda a, b: S.expm(0.3 * a),
    "expm_frechet": lambda a, b: S.expm_frechet(0.3 * a, b),
    "solve": lambda a, b: S.solve(a, b),
    "solve_pos": lambda a, b: S.solve(a, b, assume_a="pos", lower=True),
    "solve_triangular": lambda a, b: S.solve_triangular(a, b, lower=True, trans=2),
    "cholesky": lambda a, b: S.cholesky(a),
    "cholesky_upper": lambda a, b: S.cholesky(a, lower=False),
    "inv": lambda a, b: N.matrix_inverse(a),
    "pinv": lambda a, b: N.pinv(a),
    "det": lambda a, b: N.det(a),
    "slogdet": lambda a, b: list(N.slogdet(a)),
    "eigh": lambda a, b: N.eigh(a)[0],
    "eigvalsh": lambda a, b: S.eigvalsh(a, b),
    "norm2": lambda a, b: N.norm(a, 2, axis=(-2, -1)),
    "logm": lambda a, b: S.logm(a),
}


def _close(got, expected, dtype):
    assert got.dtype == expected.dtype and got.shape == expected.shape
    tol = 1e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-10
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


def _on_device(f):
    return [d for node, d in f.placement.items() if isinstance(node.op, LINALG_OPS)]


@pytest.mark.parametrize("batch", [(), (2,)], ids=["matrix", "stack"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(CASES))
def test_linalg_matches_the_cpu(name, dtype, batch, rng):
    shape = batch + (3, 3)
    a, b = T.tensor(dtype, shape=(None,) * len(shape), name="a"), T.tensor(dtype, shape=(None,) * len(shape), name="b")
    out = CASES[name](a, b)
    outputs = out if isinstance(out, list) else [out]
    sim, cpu = gg.function([a, b], outputs, device=DEVICE, on_unused_input="ignore"), gg.function([a, b], outputs, device="cpu", on_unused_input="ignore")
    placed = _on_device(sim)
    assert placed and set(placed) == {DEVICE}
    args = [_hpd(dtype, rng, shape), _hpd(dtype, rng, shape)]
    for got, expected, o in zip(sim(*args), cpu(*args), outputs):
        _close(got, expected, o.dtype)


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
def test_gradients_through_expm_and_solve_match_the_cpu(dtype, rng):
    a, b = T.tensor(dtype, shape=(None, None), name="a"), T.tensor(dtype, shape=(None, None), name="b")
    cost = T.sum(T.abs(S.solve(S.expm(0.3 * a), b)) ** 2)
    grads = T.grad(cost, [a, b])
    sim, cpu = gg.function([a, b], grads, device=DEVICE), gg.function([a, b], grads, device="cpu")
    assert DEVICE in _on_device(sim)
    args = [_hpd(dtype, rng, (3, 3)), _hpd(dtype, rng, (3, 3))]
    for got, expected in zip(sim(*args), cpu(*args)):
        _close(got, expected, dtype)


def test_notebook_derivative_on_the_simulator():
    """d/dx expm(1j x H) = 1j H expm(1j x H): the derivative Theano failed."""
    x = T.dscalar("x")
    h = np.array([[1.0, 2.0, 0.0], [2.0, -1.0, 0.5], [0.0, 0.5, 3.0]])
    e = S.expm(1j * x * h)
    d_re, d_im = T.grad(T.sum(T.real(e)), x), T.grad(T.sum(T.imag(e)), x)
    f = gg.function([x], [d_re, d_im], device=DEVICE)
    expected = (1j * h @ scipy.linalg.expm(0.7j * h)).sum()
    got = f(0.7)
    np.testing.assert_allclose([float(got[0]), float(got[1])], [expected.real, expected.imag], rtol=1e-10)


@pytest.mark.parametrize("build,name", [
    (lambda a, b: S.solve(a, b), "Solve"),
    (lambda a, b: N.matrix_inverse(a) @ b, "MatrixInverse"),
    (lambda a, b: S.solve_triangular(a, b, lower=True), "SolveTriangular"),
])
def test_singular_matrix_raises_and_the_function_recovers(build, name):
    a, b = T.dmatrix("a"), T.dmatrix("b")
    f = gg.function([a, b], build(a, b), device=DEVICE)
    with pytest.raises(LinAlgError, match=name):
        f(np.zeros((3, 3)), np.ones((3, 1)))
    np.testing.assert_allclose(f(2 * np.eye(3), np.ones((3, 1))), 0.5 * np.ones((3, 1)))


def test_cholesky_of_an_indefinite_matrix_raises_and_the_function_recovers():
    a = T.dmatrix("a")
    f = gg.function([a], S.cholesky(a), device=DEVICE)
    with pytest.raises(LinAlgError, match="Cholesky.*positive definite"):
        f(-np.eye(2))
    np.testing.assert_allclose(f(4 * np.eye(2)), 2 * np.eye(2))


@GPU
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(CASES))
def test_linalg_on_cuda_matches_the_cpu(name, dtype, rng):
    shape = (2, 3, 3)
    a, b = T.tensor(dtype, shape=(None,) * 3, name="a"), T.tensor(dtype, shape=(None,) * 3, name="b")
    out = CASES[name](a, b)
    outputs = out if isinstance(out, list) else [out]
    gpu, cpu = gg.function([a, b], outputs, device="cuda", on_unused_input="ignore"), gg.function([a, b], outputs, device="cpu", on_unused_input="ignore")
    args = [_hpd(dtype, rng, shape), _hpd(dtype, rng, shape)]
    for got, expected, o in zip(gpu(*args), cpu(*args), outputs):
        _close(got, expected, o.dtype)

