"""Products and diagonals (gpugrad.ops.blas), driven by one table of cases: each is checked
forward against NumPy per dtype, for shape inference and with verify_grad; dot is also
checked against an explicit Jacobian in both modes, real and complex."""
from typing import NamedTuple

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.gradient import verify_grad
from gpugrad.testing import check_infer_shape, numeric_jacobian, random_array

DTYPES = ("float32", "float64", "complex128")
TOL = {"float32": 1e-4, "float64": 1e-10, "complex128": 1e-10}


class Case(NamedTuple):
    name: str
    fn: object
    ref: object
    shapes: tuple


def _batched_ref(a, b):
    return np.stack([np.dot(x, y) for x, y in zip(a, b)])


def _batched_tensordot_ref(axes):
    return lambda a, b: np.stack([np.tensordot(x, y, axes) for x, y in zip(a, b)])


CASES = [
    Case("dot_mm", T.dot, np.dot, ((3, 4), (4, 5))),
    Case("dot_vm", T.dot, np.dot, ((4,), (4, 5))),
    Case("dot_mv", T.dot, np.dot, ((3, 4), (4,))),
    Case("dot_vv", T.dot, np.dot, ((4,), (4,))),
    Case("dot_scalar", T.dot, np.dot, ((), (3,))),
    Case("dot_3d_2d", T.dot, np.dot, ((2, 3, 4), (4, 5))),
    Case("dot_3d_3d", T.dot, np.dot, ((2, 3, 4), (5, 4, 2))),
    Case("method_dot", lambda a, b: a.dot(b), np.dot, ((2, 3), (3,))),
    Case("matmul_mm", lambda a, b: a @ b, np.matmul, ((3, 4), (4, 5))),
    Case("matmul_batch", T.matmul, np.matmul, ((2, 3, 4), (2, 4, 5))),
    Case("matmul_batch_vs_matrix", T.matmul, np.matmul, ((2, 3, 4), (4, 5))),
    Case("matmul_broadcast_batch", lambda a, b: T.matmul(a.dimshuffle(0, "x", 1, 2), b),
         lambda a, b: np.matmul(a[:, None], b), ((2, 3, 4), (3, 4, 2))),
    Case("matmul_vector_batch", T.matmul, np.matmul, ((4,), (2, 4, 5))),
    Case("matmul_batch_vector", T.matmul, np.matmul, ((2, 3, 4), (4,))),
    Case("matmul_vv", T.matmul, np.matmul, ((4,), (4,))),
    Case("tensordot_default", T.tensordot, np.tensordot, ((2, 3, 4), (3, 4, 5))),
    Case("tensordot_1", lambda a, b: T.tensordot(a, b, 1), lambda a, b: np.tensordot(a, b, 1),
         ((2, 3), (3, 4, 2))),
    Case("tensordot_0", lambda a, b: T.tensordot(a, b, 0), lambda a, b: np.tensordot(a, b, 0), ((2,), (3, 2))),
    Case("tensordot_pairs", lambda a, b: T.tensordot(a, b, ([2, 0], [0, -1])),
         lambda a, b: np.tensordot(a, b, ([2, 0], [0, -1])), ((2, 3, 4), (4, 5, 2))),
    Case("outer", T.outer, np.outer, ((3,), (4,))),
    Case("outer_flattens", T.outer, np.outer, ((2, 2), (3,))),
    Case("batched_dot_mm", T.batched_dot, _batched_ref, ((2, 3, 4), (2, 4, 5))),
    Case("batched_dot_vm", T.batched_dot, _batched_ref, ((2, 4), (2, 4, 5))),
    Case("batched_dot_mv", T.batched_dot, _batched_ref, ((2, 3, 4), (2, 4))),
    Case("batched_dot_vv", T.batched_dot, _batched_ref, ((2, 4), (2, 4))),
    Case("batched_dot_scalars", T.batched_dot, _batched_ref, ((2,), (2, 3))),
    Case("batched_dot_4d", T.batched_dot, _batched_tensordot_ref([[2], [0]]), ((2, 3, 4, 5), (2, 5, 3))),
    Case("batched_tensordot", lambda a, b: T.batched_tensordot(a, b, [[1, 2], [2, 1]]),
         _batched_tensordot_ref([[0, 1], [1, 0]]), ((2, 3, 4), (2, 4, 3, 5))),
    Case("diag_of_vector", T.diag, np.diag, ((4,),)),
    Case("diag_of_vector_k", lambda v: T.diag(v, -2), lambda v: np.diag(v, -2), ((3,),)),
    Case("diag_of_matrix", T.diag, np.diag, ((3, 5),)),
    Case("diagonal_offset", lambda x: T.diagonal(x, 1, 2, 0), lambda x: np.diagonal(x, 1, 2, 0), ((3, 2, 5),)),
    Case("diagonal_negative", lambda x: x.diagonal(-1), lambda x: np.diagonal(x, -1), ((4, 3),)),
    Case("trace", T.trace, np.trace, ((4, 4),)),
    Case("trace_method", lambda x: x.trace(), np.trace, ((3, 5),)),
    Case("trace_3d", lambda x: T.trace(x, 1, 1, 2), lambda x: np.trace(x, 1, 1, 2), ((2, 3, 4),)),
]


def _inputs(case, dtype, rng):
    values = [random_array(rng, shape, dtype) for shape in case.shapes]
    return [T.tensor(dtype, (None,) * v.ndim) for v in values], values


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_forward_and_infer_shape(case, dtype, rng):
    inputs, values = _inputs(case, dtype, rng)
    out = case.fn(*inputs)
    got = gg.function(inputs, out)(*values)
    want = case.ref(*values)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=TOL[dtype], atol=TOL[dtype])
    check_infer_shape(out, inputs, values)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_verify_grad(case, dtype, rng):
    values = [random_array(rng, shape, dtype) for shape in case.shapes]
    verify_grad(case.fn, values, rng=rng)


@pytest.mark.parametrize("a_dtype, b_dtype", [("float32", "float64"), ("int32", "float32"), ("int8", "int8"),
                                              ("int32", "int64"), ("bool", "bool"), ("complex64", "float64")])
def test_dtype_follows_numpy(a_dtype, b_dtype, rng):
    a, b = random_array(rng, (2, 3), a_dtype), random_array(rng, (3,), b_dtype)
    x, y = T.tensor(a_dtype, (None, None)), T.tensor(b_dtype, (None,))
    out = T.dot(x, y)
    assert out.dtype == str(np.dot(a, b).dtype)
    np.testing.assert_allclose(gg.function([x, y], out)(a, b), np.dot(a, b), rtol=1e-6)


def test_float32_gradients_stay_float32():
    x, W = T.fmatrix("x"), T.fmatrix("W")
    gx, gW = T.grad(T.sum(T.dot(x, W) ** 2), [x, W])
    assert gx.dtype == gW.dtype == "float32"


def test_static_shapes_flow_through():
    a, b = T.tensor("float64", (2, None, 4)), T.tensor("float64", (4, 5))
    assert T.dot(a, b).type.shape == (2, None, 5)
    assert T.tensordot(a, T.tensor("float64", (None, 4, 3)), [[1, 2], [0, 1]]).type.shape == (2, 3)
    assert T.matmul(T.tensor("float64", (1, 3, 4)), T.tensor("float64", (7, 4, 2))).type.shape == (7, 3, 2)
    assert T.outer(T.vector(), T.tensor("float64", (6,))).type.shape == (None, 6)
    assert T.diag(T.tensor("float64", (3,))).type.shape == (3, 3)
    assert T.diagonal(T.tensor("float64", (3, 5)), 1).type.shape == (3,)


def test_tutorial_dot_with_constant():
    x = T.dvector("x")
    gz = T.grad(T.dot(x, np.array([5, 7])), x)
    np.testing.assert_array_equal(gg.function([x], gz)([1, 20]), [5.0, 7.0])


def test_integer_operand_gradient_is_float(rng):
    x, k = T.dvector("x"), T.lmatrix("k")
    g = T.grad(T.dot(k, x).sum(), x)
    values = np.array([[1, 2], [3, 4]])
    np.testing.assert_array_equal(gg.function([x, k], g)(np.ones(2), values), values.sum(0).astype(float))


def _complex_jacobian(fn, x, eps=1e-7):
    """Jacobian of a holomorphic NumPy function by real steps (out shape + in shape)."""
    out = fn(x)
    jac = np.zeros(out.shape + x.shape, dtype=complex)
    for idx in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[idx] = eps
        jac[(Ellipsis,) + idx] = (fn(x + step) - fn(x - step)) / (2 * eps)
    return jac


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
@pytest.mark.parametrize("wrt", [0, 1])
def test_dot_rop_and_lop_against_jacobian(dtype, wrt, rng):
    x0, W0 = random_array(rng, (3, 4), dtype), random_array(rng, (4, 2), dtype)
    x, W = T.tensor(dtype, (None, None)), T.tensor(dtype, (None, None))
    point = [x0, W0]

    def fn(v):
        args = list(point)
        args[wrt] = v
        return args[0] @ args[1]
    jac_fn = numeric_jacobian if dtype == "float64" else _complex_jacobian
    jac = jac_fn(fn, point[wrt]).reshape(6, -1)
    v = random_array(rng, point[wrt].shape, dtype)
    u = random_array(rng, (3, 2), dtype)
    out = T.dot(x, W)
    target = [x, W][wrt]
    vv, uu = T.tensor(dtype, (None, None)), T.tensor(dtype, (None, None))
    rop, lop = gg.function([x, W, vv, uu], [T.Rop(out, target, vv), T.Lop(out, target, uu)])(x0, W0, v, u)
    np.testing.assert_allclose(rop.ravel(), jac @ v.ravel(), atol=1e-6)
    np.testing.assert_allclose(lop.ravel(), np.conj(jac).T @ u.ravel(), atol=1e-6)


def test_complex_pullback_conjugates_the_other_operand(rng):
    x0, W0, g0 = (random_array(rng, s, "complex128") for s in ((2, 3), (3, 4), (2, 4)))
    x, W, g = T.zmatrix("x"), T.zmatrix("W"), T.zmatrix("g")
    gx, gW = T.Lop(T.dot(x, W), [x, W], g)
    got = gg.function([x, W, g], [gx, gW])(x0, W0, g0)
    np.testing.assert_allclose(got[0], g0 @ W0.conj().T)
    np.testing.assert_allclose(got[1], x0.conj().T @ g0)


def test_rop_with_one_tangent_only(rng):
    x, W, v = T.dmatrix("x"), T.dmatrix("W"), T.dmatrix("v")
    x0, W0, v0 = (random_array(rng, s) for s in ((2, 3), (3, 4), (3, 4)))
    got = gg.function([x, W, v], T.Rop(T.dot(x, W), W, v))(x0, W0, v0)
    np.testing.assert_allclose(got, x0 @ v0)


def test_second_order_through_dot(rng):
    A0, x0 = random_array(rng, (3, 3)), random_array(rng, (3,))
    verify_grad(lambda x, A: T.grad(T.dot(x, T.dot(A, x)), x), [x0, A0], rng=rng)


def test_static_shape_mismatch_names_both_shapes():
    a, b = T.tensor("float64", (2, 3), name="a"), T.tensor("float64", (4, 5), name="b")
    with pytest.raises(gg.ShapeError, match=r"a .*\(2, 3\).*b .*\(4, 5\)"):
        T.dot(a, b)
    with pytest.raises(gg.ShapeError, match=r"\(2, 3\).*\(4, 5\)"):
        a @ b
    with pytest.raises(gg.ShapeError, match=r"\(2, 3\).*\(4, 5\)"):
        T.tensordot(a, b, [[0], [1]])
    with pytest.raises(gg.ShapeError, match="broadcast"):
        T.matmul(T.tensor("float64", (2, 3, 3)), T.tensor("float64", (4, 3, 3)))


@pytest.mark.parametrize("build", [
    lambda: T.matmul(T.scalar(), T.matrix()),
    lambda: T.tensordot(T.matrix(), T.matrix(), [[0, 1], [0]]),
    lambda: T.tensordot(T.matrix(), T.matrix(), [[0, 0], [0, 1]]),
    lambda: T.tensordot(T.matrix(), T.matrix(), [[2], [0]]),
    lambda: T.tensordot(T.matrix(), T.vector(), 2),
    lambda: T.batched_dot(T.scalar(), T.matrix()),
    lambda: T.diag(T.tensor3()),
    lambda: T.diagonal(T.vector()),
    lambda: T.diagonal(T.matrix(), 0, 1, 1),
])
def test_bad_arguments_raise_shape_error(build):
    with pytest.raises(gg.ShapeError):
        build()


@pytest.mark.parametrize("fn, shapes", [
    (T.dot, ((2, 3), (4, 5))),
    (lambda a, b: T.tensordot(a, b, 2), ((2, 3), (3, 2))),
    (T.matmul, ((2, 3, 4), (1, 4, 5))),
    (T.batched_dot, ((2, 3, 4), (3, 4, 5))),
])
def test_run_time_mismatch_raises_shape_error(fn, shapes, rng):
    values = [random_array(rng, s) for s in shapes]
    inputs = [T.tensor("float64", (None,) * len(s)) for s in shapes]
    f = gg.function(inputs, fn(*inputs))
    with pytest.raises(gg.ShapeError):
        f(*values)


def test_hessian_vector_product_through_products(rng):
    """Forward over reverse: the pushforwards of the pullbacks (Dot, AllocDiag)."""
    x, v = T.dvector("x"), T.dvector("v")
    A = random_array(rng, (3, 3))
    cost = T.trace(T.outer(x, x) @ T.diag(x)) + T.dot(x, T.dot(A, x)) * T.sum(T.diagonal(T.outer(x, x), 1))
    g = T.grad(cost, x)
    f_g, f_hv = gg.function([x], g), gg.function([x, v], T.Rop(g, x, v))
    x0, v0 = random_array(rng, (3,)), random_array(rng, (3,))
    numeric = (f_g(x0 + 1e-6 * v0) - f_g(x0 - 1e-6 * v0)) / 2e-6
    np.testing.assert_allclose(f_hv(x0, v0), numeric, rtol=1e-6, atol=1e-6)
