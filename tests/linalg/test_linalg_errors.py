"""Bad input to the linear algebra ops: a clear error naming the op, at build time where
static shapes prove it, at run time otherwise, and a function that still works after."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.linalg import LinAlgError

S, N = T.slinalg, T.nlinalg
SQUARE_ONLY = [S.expm, N.matrix_inverse, N.det, S.logm, S.cholesky, lambda a: N.eigh(a)[0], lambda a: N.slogdet(a)[1]]


@pytest.mark.parametrize("fn", SQUARE_ONLY)
def test_non_square_static_shape_fails_at_build_time(fn):
    with pytest.raises(gg.ShapeError, match="square"):
        fn(T.tensor("float64", (2, 3)))


@pytest.mark.parametrize("fn,name", [(S.expm, "Expm"), (N.inv, "MatrixInverse"), (N.det, "Det")])
def test_non_square_at_run_time_names_the_op(fn, name):
    a = T.dmatrix("a")
    f = gg.function([a], fn(a))
    with pytest.raises(gg.ShapeError, match=f"{name}.*square"):
        f(np.ones((2, 3)))
    assert np.all(np.isfinite(f(np.eye(2))))


def test_vector_is_not_a_matrix():
    with pytest.raises(gg.ShapeError, match="expected a matrix"):
        S.expm(T.dvector("v"))


@pytest.mark.parametrize("build,name", [
    (lambda a, b: S.solve(a, b), "Solve"),
    (lambda a, b: N.matrix_inverse(a) @ b, "MatrixInverse"),
    (lambda a, b: S.solve_triangular(a, b, lower=True), "SolveTriangular"),
])
def test_singular_matrix_raises_linalg_error_and_function_recovers(build, name):
    a, b = T.dmatrix("a"), T.dmatrix("b")
    f = gg.function([a, b], build(a, b))
    with pytest.raises(LinAlgError, match=name) as info:
        f(np.zeros((3, 3)), np.ones((3, 1)))
    assert isinstance(info.value, gg.GpugradError) and isinstance(info.value, np.linalg.LinAlgError)
    np.testing.assert_allclose(f(2 * np.eye(3), np.ones((3, 1))), 0.5 * np.ones((3, 1)))


def test_cholesky_of_a_matrix_that_is_not_positive_definite():
    a = T.dmatrix("a")
    f = gg.function([a], S.cholesky(a))
    with pytest.raises(LinAlgError, match="Cholesky.*positive definite"):
        f(-np.eye(2))
    np.testing.assert_allclose(f(4 * np.eye(2)), 2 * np.eye(2))


def test_real_logm_of_a_matrix_without_a_real_logarithm():
    a = T.dmatrix("a")
    f = gg.function([a], S.logm(a))
    with pytest.raises(LinAlgError, match="complex"):
        f(np.diag([-1.0, 2.0]))
    np.testing.assert_allclose(f(np.diag([1.0, np.e])), np.diag([0.0, 1.0]), atol=1e-14)
    z = gg.function([a], S.logm(T.cast(a, "complex128")))(np.diag([-1.0, 2.0]))
    np.testing.assert_allclose(z, np.diag([np.pi * 1j, np.log(2)]), atol=1e-14)


def test_solve_shape_and_option_errors():
    with pytest.raises(gg.ShapeError, match="3 columns.*2 rows"):
        S.solve(T.tensor("float64", (3, 3)), T.tensor("float64", (2, 1)))
    with pytest.raises(gg.ShapeError, match="batch axes"):
        S.solve(T.dtensor3(), T.dmatrix())
    with pytest.raises(gg.InputError, match="assume_a"):
        S.solve(T.dmatrix(), T.dmatrix(), assume_a="banded")
    with pytest.raises(gg.InputError, match="trans"):
        S.solve_triangular(T.dmatrix(), T.dmatrix(), trans="X")
    a, b = T.dmatrix("a"), T.dmatrix("b")
    f = gg.function([a, b], S.solve(a, b))
    with pytest.raises(gg.ShapeError, match="Solve"):
        f(np.eye(3), np.ones((2, 1)))
    np.testing.assert_allclose(f(np.eye(3), np.ones((3, 1))), np.ones((3, 1)))


def test_norm_bad_arguments():
    with pytest.raises(gg.InputError, match="matrix norm"):
        N.norm(T.dvector(), "fro")
    with pytest.raises(gg.InputError, match="not a matrix norm"):
        N.norm(T.dmatrix(), 3)
    with pytest.raises(gg.ShapeError, match="axis"):
        N.norm(T.dtensor3(), axis=(0, 1, 2))
