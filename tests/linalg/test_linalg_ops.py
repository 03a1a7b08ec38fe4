"""Every linear algebra op, driven by one table: forward against SciPy/NumPy (float32,
float64, complex128), shape inference, verify_grad (float64 and complex128), R-op and
L-op against an explicit finite-difference Jacobian, and the batching rule on stacks."""
from typing import NamedTuple

import numpy as np
import pytest
import scipy.linalg as sl

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.autodiff.vectorize import vectorize
from gpugrad.gradient import verify_grad
from gpugrad.testing import check_infer_shape, numeric_jacobian, random_array

S, N = T.slinalg, T.nlinalg


def general(shape=(3, 3)):
    return lambda rng, dtype: random_array(rng, shape, dtype)


def small(rng, dtype):
    return random_array(rng, (3, 3), dtype, "small") * 0.5


def well_conditioned(rng, dtype):
    return random_array(rng, (3, 3), dtype) + 3 * np.eye(3, dtype=dtype)


def positive_definite(rng, dtype):
    a = random_array(rng, (3, 3), dtype)
    return (a @ a.conj().T + 3 * np.eye(3)).astype(dtype)


def near_identity(rng, dtype):
    return sl.expm(small(rng, dtype)).astype(dtype)


class Case(NamedTuple):
    name: str
    fn: object
    ref: object
    inputs: tuple
    dtypes: tuple = ("float32", "float64", "complex128")
    stackable: bool = True


def _frechet(a, e):
    return sl.expm_frechet(a, e, compute_expm=False)


CASES = [
    Case("expm", S.expm, sl.expm, (small,)),
    Case("expm_frechet", S.expm_frechet, _frechet, (small, small)),
    Case("logm", S.logm, lambda a: sl.logm(a.astype(np.result_type(a, np.float64))), (near_identity,)),
    Case("solve", S.solve, sl.solve, (well_conditioned, general((3, 2)))),
    Case("solve_vector", S.solve, sl.solve, (well_conditioned, general((3,))), stackable=False),
    Case("solve_sym_lower", lambda a, b: S.solve(a, b, "sym", True),
         lambda a, b: sl.solve(a, b, assume_a="sym", lower=True), (well_conditioned, general((3, 2)))),
    Case("solve_her", lambda a, b: S.solve(a, b, "her"), lambda a, b: sl.solve(a, b, assume_a="her"),
         (well_conditioned, general((3, 2)))),
    Case("solve_pos_lower", lambda a, b: S.solve(a, b, "pos", True),
         lambda a, b: sl.solve(a, b, assume_a="pos", lower=True), (positive_definite, general((3, 2)))),
    Case("solve_triangular", lambda a, b: S.solve_triangular(a, b, lower=True),
         lambda a, b: sl.solve_triangular(a, b, lower=True), (well_conditioned, general((3, 2)))),
    Case("solve_triangular_T_unit", lambda a, b: S.solve_triangular(a, b, 1, False, True),
         lambda a, b: sl.solve_triangular(a, b, 1, False, True), (well_conditioned, general((3, 2)))),
    Case("solve_triangular_C", lambda a, b: S.solve_triangular(a, b, "C", True),
         lambda a, b: sl.solve_triangular(a, b, "C", True), (well_conditioned, general((3, 2)))),
    Case("cholesky", S.cholesky, np.linalg.cholesky, (positive_definite,)),
    Case("cholesky_upper", lambda a: S.cholesky(a, lower=False), lambda a: sl.cholesky(a, lower=False),
         (positive_definite,)),
    Case("inv", N.matrix_inverse, np.linalg.inv, (well_conditioned,)),
    Case("det", N.det, np.linalg.det, (well_conditioned,)),
    Case("slogdet_log", lambda a: N.slogdet(a)[1], lambda a: np.linalg.slogdet(a)[1], (general(),)),
    Case("slogdet_sign", lambda a: N.slogdet(a)[0], lambda a: np.linalg.slogdet(a)[0], (general(),),
         ("complex128",)),
    Case("eigh_values", lambda a: N.eigh(a)[0], lambda a: np.linalg.eigh(a)[0], (general(),)),
    Case("eigh_vectors_upper", lambda a: abs(N.eigh(a, "U")[1]) ** 2,
         lambda a: abs(np.linalg.eigh(a, "U")[1]) ** 2, (general(),)),
    Case("eigvalsh_generalized", S.eigvalsh, lambda a, b: sl.eigvalsh(a, b), (general(), positive_definite),
         ("float64", "complex128")),
    Case("pinv", N.pinv, np.linalg.pinv, (general((3, 2)),)),
    Case("norm_2", lambda a: N.norm(a, 2), lambda a: np.linalg.norm(a, 2), (general((3, 4)),), stackable=False),
    Case("norm_nuc", lambda a: N.norm(a, "nuc"), lambda a: np.linalg.norm(a, "nuc"), (general((4, 3)),),
         stackable=False),
    Case("norm_vector_3", lambda v: N.norm(v, 3), lambda v: np.linalg.norm(v, 3), (general((5,)),), stackable=False),
]
IDS = [c.name for c in CASES]
TOL = {"float32": 1e-4, "float64": 1e-10, "complex128": 1e-10}


def _values(case, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [make(rng, dtype) for make in case.inputs]


def _symbolic(values):
    return [T.tensor(str(v.dtype), (None,) * v.ndim) for v in values]


def _params(kinds=("float32", "float64", "complex128")):
    return [pytest.param(c, d, id=f"{c.name}-{d}") for c in CASES for d in kinds if d in c.dtypes]


@pytest.mark.parametrize("case,dtype", _params())
def test_forward_and_shape(case, dtype):
    values = _values(case, dtype)
    inputs = _symbolic(values)
    out = case.fn(*inputs)
    got = gg.function(inputs, out)(*values)
    want = case.ref(*values)
    assert got.dtype == (np.float32 if dtype == "float32" else want.dtype)
    np.testing.assert_allclose(got, want, rtol=TOL[dtype] * 100, atol=TOL[dtype] * 100)
    if out.owner is not None and "norm" not in case.name:
        check_infer_shape(out, inputs, values)


@pytest.mark.parametrize("case,dtype", _params(("float64", "complex128")))
def test_verify_grad(case, dtype):
    verify_grad(case.fn, _values(case, dtype), rng=np.random.default_rng(1))


def _jacobians(ref, values):
    """d out / d Re x and d out / d Im x of the first input, by central differences."""
    x, rest = values[0], values[1:]
    along_re = numeric_jacobian(lambda t: ref(x + t, *rest), np.zeros(x.shape))
    along_im = numeric_jacobian(lambda t: ref(x + 1j * t, *rest), np.zeros(x.shape)) if np.iscomplexobj(x) else None
    return along_re, along_im


@pytest.mark.parametrize("case,dtype", _params(("float64", "complex128")))
def test_rop_lop_against_jacobian(case, dtype):
    values = _values(case, dtype)
    inputs = _symbolic(values)
    out = case.fn(*inputs)
    rng = np.random.default_rng(2)
    along_re, along_im = _jacobians(case.ref, values)
    v = random_array(rng, values[0].shape, dtype)
    u = random_array(rng, along_re.shape[:along_re.ndim - values[0].ndim], out.dtype)
    tv, tu = _symbolic([v, u])
    rop, lop = gg.function(inputs + [tv, tu], [T.Rop(out, inputs[0], tv), T.Lop(out, inputs[0], tu)])(*values, v, u)
    axes = (list(range(along_re.ndim - v.ndim, along_re.ndim)), list(range(v.ndim)))
    want_rop = np.tensordot(along_re, v.real, axes)
    want_lop = _vjp(along_re, u, v.ndim)
    if along_im is not None:
        want_rop = want_rop + np.tensordot(along_im, v.imag, axes)
        want_lop = want_lop + 1j * _vjp(along_im, u, v.ndim)
    np.testing.assert_allclose(rop, want_rop, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(lop, want_lop, rtol=1e-6, atol=1e-6)


def _vjp(jac, u, in_ndim):
    """Re sum_out conj(u) * d out / d x: the L-op along one real direction of x."""
    out_axes = list(range(jac.ndim - in_ndim))
    return np.real(np.tensordot(np.conj(u), jac, (out_axes, out_axes)))


@pytest.mark.parametrize("case", [c for c in CASES if c.stackable], ids=lambda c: c.name)
def test_batching_rule_on_stacks(case):
    """The first input stacked (vectorize calls the batching rule); the others shared."""
    stack = [_values(case, "float64", seed) for seed in range(3)]
    first = np.stack([v[0] for v in stack])
    rest = stack[0][1:]
    inputs = _symbolic(stack[0])
    batched = T.tensor("float64", (None,) * first.ndim)
    (out,) = vectorize([case.fn(*inputs)], {inputs[0]: batched})
    got = gg.function([batched] + inputs[1:], out)(first, *rest)
    np.testing.assert_allclose(got, np.stack([case.ref(a, *rest) for a in first]), rtol=1e-9, atol=1e-9)


def test_float32_stays_float32():
    a = T.fmatrix("a")
    outs = [S.expm(a), S.solve(a, a), N.matrix_inverse(a), N.det(a), N.eigh(a)[0], S.logm(a), N.norm(a, 2)]
    assert all(o.dtype == "float32" for o in outs)
    assert N.slogdet(T.cmatrix())[1].dtype == "float32"
    assert S.expm(T.lmatrix()).dtype == "float64"
