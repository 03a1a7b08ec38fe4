"""expm beyond the table: repeated eigenvalues (where Theano's eigendecomposition
gradient fails), each algorithm of expm_frechet, the notebook's complex derivative
d/dx expm(1j x H) with respect to a real x, and the notebook's reused ``H``."""
import numpy as np
import pytest
import scipy.linalg as sl

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.gradient import verify_grad
from gpugrad.testing import numeric_jacobian

JORDAN = np.array([[2.0, 1.0, 0.0], [0.0, 2.0, 1.0], [0.0, 0.0, 2.0]])


@pytest.mark.parametrize("a", [2 * np.eye(3), JORDAN], ids=["2I", "jordan"])
def test_repeated_eigenvalues(a, rng):
    verify_grad(T.slinalg.expm, [a], rng=rng)
    A, E = T.dmatrix("A"), T.dmatrix("E")
    e = rng.standard_normal((3, 3))
    rop, grad = gg.function([A, E], [T.Rop(T.slinalg.expm(A), A, E),
                                     T.grad(T.sum(T.slinalg.expm(A) * E), A)])(a, e)
    np.testing.assert_allclose(rop, sl.expm_frechet(a, e, compute_expm=False), rtol=1e-12)
    jac = numeric_jacobian(sl.expm, a)
    np.testing.assert_allclose(rop, np.tensordot(jac, e, 2), rtol=1e-7)
    np.testing.assert_allclose(grad, np.tensordot(e, jac, 2), rtol=1e-7)
    if np.allclose(a, 2 * np.eye(3)):
        np.testing.assert_allclose(rop, np.exp(2) * e, rtol=1e-13)


@pytest.mark.parametrize("n,commuting", [(20, True), (3, False), (20, False)], ids=["commuting", "block", "al-mohy"])
def test_expm_frechet_algorithms(n, commuting, rng):
    a = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))) / n
    e = 1.5 * a if commuting else rng.standard_normal((n, n)) + 0j
    A, E = T.zmatrix("A"), T.zmatrix("E")
    got = gg.function([A, E], T.slinalg.expm_frechet(A, E))(a, e)
    np.testing.assert_allclose(got, sl.expm_frechet(a, e, compute_expm=False), rtol=1e-11, atol=1e-13)


def _hermitian(rng, n):
    h = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    return (h + h.conj().T) / (2 * np.sqrt(n))


def test_complex_derivative_with_respect_to_a_real_scalar(rng):
    """d/dx expm(1j x H) = 1j H expm(1j x H), by forward mode, by the Jacobian, and by one
    real gradient per entry of the real and imaginary parts (the notebook's recipe)."""
    h = _hermitian(rng, 3)
    x = T.dscalar("x")
    expH = T.slinalg.expm(1j * x * h)
    want = 1j * h @ sl.expm(2j * h)
    flat = T.flatten(expH)
    entries = [T.grad(T.real(flat[i]), x) + 1j * T.grad(T.imag(flat[i]), x) for i in range(9)]
    rop, jac, *looped = gg.function([x], [T.Rop(expH, x, 1.0), T.jacobian(expH, x)] + entries)(2.0)
    assert rop.dtype == jac.dtype == np.complex128
    assert T.grad(T.real(T.sum(expH)), x).dtype == "float64"
    np.testing.assert_allclose(rop, want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(jac, want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.reshape(looped, (3, 3)), want, rtol=1e-12, atol=1e-14)


def test_notebook_reused_H_is_a_missing_input():
    """The notebook's last cell builds expm(1j x H) from an H that depends on an earlier
    vector x; compiling it with the new scalar x alone must name that vector."""
    x = T.dvector("x")
    H = T.tensordot(x, np.arange(18).reshape(2, 3, 3) / 100, axes=1)
    x = T.dscalar("x")
    expH = T.slinalg.expm(1j * x * H)
    with pytest.raises(gg.MissingInputError, match=r"x \(TensorType\(float64, vector\)\)"):
        gg.function([x], T.Rop(T.real(expH), x, 1.0))


def test_expm_of_expm_derivative_second_order(rng):
    """Gradients of the R-op (so the pullback of expm_frechet) against finite differences."""
    a = rng.standard_normal((3, 3)) * 0.5
    e = rng.standard_normal((3, 3))
    verify_grad(lambda A: T.Rop(T.slinalg.expm(A), A, e), [a], rng=rng)
    verify_grad(lambda A: T.grad(T.real(T.sum(T.slinalg.expm(A) * e)), A), [a + 1j * a.T], rng=rng)
