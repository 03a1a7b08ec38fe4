"""jacobian, hessian, hessian_vector_product and jacobian_diag: values against finite
differences in both modes and both precisions, higher orders, structure, errors."""
import numpy as np
import pytest

import gpugrad
import gpugrad.tensor as T
from gpugrad.autodiff import jacobian as jacobian_module
from gpugrad.errors import DisconnectedInputError, InputError, ShapeError
from gpugrad.ops.blas import AllocDiag, Dot
from gpugrad.ops.elemwise import Elemwise
from gpugrad.testing import numeric_jacobian

W_CONST = np.linspace(-1.0, 1.0, 12).reshape(4, 3)

# name: (build expression from x, shape of x)
CASES = {
    "elementwise": (lambda x: x ** 3 * T.sin(x), (4,)),
    "dot_vector_matrix": (lambda x: T.dot(x, W_CONST), (4,)),
    "dot_matrix_vector": (lambda x: T.dot(W_CONST.T, x), (4,)),
    "sum_axis": (lambda x: T.sum(x ** 2, axis=0), (3, 2)),
    "prod": (lambda x: T.prod(x, axis=1), (2, 3)),
    "max": (lambda x: T.max(x, axis=0), (3, 2)),
    "mean_of_exp": (lambda x: T.mean(T.exp(x)) * x, (3,)),
    "slices": (lambda x: x[1:] * x[:-1], (5,)),
    "integer_indexing": (lambda x: x[[0, 2, 2]] * 2.0, (4,)),
    "matrix_product": (lambda x: T.dot(x, x.T), (2, 3)),
    "softmax": (lambda x: T.nnet.softmax(x), (2, 3)),
    "scalar_output": (lambda x: T.sum(T.tanh(x)), (3,)),
    "concatenate": (lambda x: T.concatenate([x, x ** 2]), (3,)),
    "reshape": (lambda x: T.reshape(x ** 2, (2, 3)), (6,)),
}


def _check_against_fd(build, shape, dtype, mode, rng):
    x = T.tensor(dtype, shape=(None,) * len(shape), name="x")
    y = build(x)
    f = gpugrad.function([x], y)
    j = gpugrad.function([x], T.jacobian(y, x, mode=mode), on_unused_input="ignore")
    value = rng.uniform(0.5, 1.5, shape) * rng.choice([-1, 1], shape)
    got = j(value.astype(dtype))
    want = numeric_jacobian(lambda v: f(v.astype(dtype)).astype("float64"), value,
                            eps=1e-6 if dtype == "float64" else 1e-2)
    assert got.dtype == dtype and got.shape == np.shape(f(value.astype(dtype))) + shape
    tol = 1e-6 if dtype == "float64" else 2e-2
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_matches_finite_differences(name, mode, rng):
    build, shape = CASES[name]
    _check_against_fd(build, shape, "float64", mode, rng)


@pytest.mark.parametrize("name", ["elementwise", "dot_vector_matrix", "prod", "slices", "softmax"])
def test_jacobian_float32_stays_float32(name, rng):
    build, shape = CASES[name]
    for mode in (None, "forward"):
        _check_against_fd(build, shape, "float32", mode, rng)


def test_both_modes_agree_on_a_list_of_wrt(rng):
    a, b = T.dvector("a"), T.dmatrix("b")
    y = T.tanh(T.dot(b, a)) * a.sum()
    values = [rng.standard_normal(3), rng.standard_normal((2, 3))]
    rev = gpugrad.function([a, b], T.jacobian(y, [a, b], mode="reverse"))(*values)
    fwd = gpugrad.function([a, b], T.jacobian(y, [a, b], mode="forward"))(*values)
    assert [r.shape for r in rev] == [(2, 3), (2, 2, 3)]
    for r, f in zip(rev, fwd):
        np.testing.assert_allclose(r, f, rtol=1e-12)


def test_tutorial_jacobian_and_hessian():
    x = T.dvector('x')
    y = x ** 2
    f = gpugrad.function([x], T.jacobian(y, x))
    np.testing.assert_array_equal(f([4, 4]), [[8., 0.], [0., 8.]])
    cost = y.sum()
    h = gpugrad.function([x], T.hessian(cost, x))
    np.testing.assert_array_equal(h([4, 4]), [[2., 0.], [0., 2.]])


def test_seed_004_jacobian_of_powers():
    x = T.fvector()
    p = T.as_tensor_variable([(x ** i).sum() for i in range(5)])
    j = T.jacobian(p, x)
    f = gpugrad.function([x], [p, j])
    p_value, j_value = f([1., 2., 3.])
    assert p_value.dtype == j_value.dtype == np.float32
    np.testing.assert_array_equal(p_value, [3., 6., 14., 36., 98.])
    np.testing.assert_array_equal(j_value, [[0., 0., 0.], [1., 1., 1.], [2., 4., 6.],
                                            [3., 12., 27.], [4., 32., 108.]])


def test_third_derivative_of_tanh_through_jacobian_of_hessian():
    x = T.dvector('x')
    third = T.jacobian(T.hessian(T.sum(T.tanh(x)), x), x)
    value = np.array([0.3, -0.7])
    t = np.tanh(value)
    want = np.zeros((2, 2, 2))
    want[[0, 1], [0, 1], [0, 1]] = -2 * (1 - t ** 2) * (1 - 3 * t ** 2)
    np.testing.assert_allclose(gpugrad.function([x], third)(value), want, rtol=1e-12)


def test_second_derivative_of_sigmoid_in_both_precisions():
    for dtype, tol in (("float64", 1e-12), ("float32", 1e-5)):
        x = T.tensor(dtype, shape=(None,), name="x")
        h = gpugrad.function([x], T.hessian(T.sum(T.nnet.sigmoid(x)), x))
        value = np.array([-2.0, 0.1, 3.0], dtype=dtype)
        s = 1 / (1 + np.exp(-value.astype("float64")))
        got = h(value)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, np.diag(s * (1 - s) * (1 - 2 * s)), rtol=tol, atol=tol)


def test_hessian_of_the_benchmark_cost_and_hessian_vector_product(rng):
    x, v = T.dvector('x'), T.dvector('v')
    cost = T.sum(x ** 2 * T.exp(-x)) + T.sum(x) ** 2
    value, p = rng.standard_normal(5), rng.standard_normal(5)
    want = np.diag((2 - 4 * value + value ** 2) * np.exp(-value)) + 2
    np.testing.assert_allclose(gpugrad.function([x], T.hessian(cost, x))(value), want, rtol=1e-12)
    hvp = gpugrad.function([x, v], T.hessian_vector_product(cost, x, v))
    np.testing.assert_allclose(hvp(value, p), want @ p, rtol=1e-12)


def test_hessian_of_a_list_gives_one_block_each(rng):
    a, b = T.dvector('a'), T.dscalar('b')
    h_a, h_b = T.hessian(T.sum(a ** 3) * b, [a, b])
    f = gpugrad.function([a, b], [h_a, h_b])
    got_a, got_b = f([1., 2.], 3.)
    np.testing.assert_allclose(got_a, np.diag([18., 36.]))
    assert got_b == 0


def _elemwise_2d(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Elemwise) and n.outputs[0].ndim == 2]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_elementwise_jacobian_is_a_diagonal_of_vector_work(mode):
    x = T.dvector('x')
    f = gpugrad.function([x], T.jacobian(x ** 3 * T.sin(x), x, mode=mode))
    nodes = f.maker.fgraph.toposort()
    assert any(isinstance(n.op, AllocDiag) for n in nodes)
    assert not _elemwise_2d(f), [n.op for n in _elemwise_2d(f)]
    value = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(f(value), np.diag(3 * value ** 2 * np.sin(value) + value ** 3 * np.cos(value)))


def test_structure_holds_for_small_static_sizes_and_diagonals_read_back():
    x = T.tensor("float64", shape=(3,), name="x")
    j = T.jacobian(T.exp(-x) / (1 + x ** 2), x)
    f = gpugrad.function([x], [j, T.diagonal(j), j.sum(axis=0)])
    assert not _elemwise_2d(f)
    value = np.array([0.1, 0.2, 0.3])
    d = -np.exp(-value) / (1 + value ** 2) - np.exp(-value) * 2 * value / (1 + value ** 2) ** 2
    full, diagonal, column_sums = f(value)
    np.testing.assert_allclose(full, np.diag(d))
    np.testing.assert_allclose(diagonal, d)
    np.testing.assert_allclose(column_sums, d)


def test_jacobian_diag_is_exact_where_the_jacobian_is_not_diagonal():
    x = T.dvector('x')
    f = gpugrad.function([x], T.jacobian_diag(x * x.sum(), x))
    value = np.array([1., 2., 3.])
    np.testing.assert_allclose(f(value), value.sum() + value)


def test_jacobian_diag_in_chunks_matches_the_full_jacobian(rng, monkeypatch):
    monkeypatch.setattr(jacobian_module, "CHUNK_ELEMENTS", 7)
    x = T.dvector('x')
    y = T.tanh(T.dot(W_CONST @ W_CONST.T, x)) + x[::-1] * x
    value = rng.standard_normal(4)
    got = gpugrad.function([x], T.jacobian_diag(y, x))(value)
    full = gpugrad.function([x], T.jacobian(y, x))(value)
    np.testing.assert_allclose(got, np.diagonal(full), rtol=1e-12)


def test_jacobian_diag_of_elementwise_graph_is_one_vector_pass():
    x = T.fvector('x')
    f = gpugrad.function([x], T.jacobian_diag(x ** 3 * T.sin(x), x))
    assert all(n.outputs[0].ndim <= 1 for n in f.maker.fgraph.toposort())
    value = np.array([0.5, 1.0, 2.0], dtype="float32")
    got = f(value)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, 3 * value ** 2 * np.sin(value) + value ** 3 * np.cos(value), rtol=1e-6)


def test_jacobian_diag_proof_rule():
    x, y = T.dvector('x'), T.dvector('y')
    assert jacobian_module.is_elementwise_in(T.exp(x) * y + 2, x)
    assert not jacobian_module.is_elementwise_in(x * x.sum(), x)
    assert not jacobian_module.is_elementwise_in(x[::-1] * x, x)
    s = T.tensor("float64", shape=(1,), name="s")
    assert not jacobian_module.is_elementwise_in(s * y, s)


def test_rop_through_prod_and_max(rng):
    x, v = T.dmatrix('x'), T.dmatrix('v')
    value, direction = rng.uniform(0.5, 1.5, (2, 3)), rng.standard_normal((2, 3))
    for build in (lambda a: T.prod(a, axis=1), lambda a: T.max(a, axis=0), lambda a: T.prod(a)):
        y = build(x)
        rop = gpugrad.function([x, v], T.Rop(y, x, v))(value, direction)
        fx = gpugrad.function([x], y)
        jac = numeric_jacobian(fx, value)
        np.testing.assert_allclose(rop, np.tensordot(jac, direction, axes=2), rtol=1e-6, atol=1e-8)


def test_complex_expression_of_a_real_variable_has_a_complex_jacobian():
    x = T.dvector('x')
    j = gpugrad.function([x], T.jacobian(T.exp(1j * x), x))([0.5, 1.0])
    assert j.dtype == np.complex128
    np.testing.assert_allclose(j, np.diag(1j * np.exp(1j * np.array([0.5, 1.0]))))


def test_disconnected_inputs():
    x, z = T.dvector('x'), T.dvector('z')
    with pytest.raises(DisconnectedInputError, match="z"):
        T.jacobian(x ** 2, z)
    f = gpugrad.function([x, z], T.jacobian(x ** 2, z, disconnected_inputs="ignore"))
    np.testing.assert_array_equal(f([1., 2., 3.], [1., 2.]), np.zeros((3, 2)))
    with pytest.raises(DisconnectedInputError, match="z"):
        T.jacobian_diag(x ** 2, z)


def test_bad_input_errors_name_the_culprit():
    x, m = T.dvector('x'), T.dmatrix('m')
    with pytest.raises(InputError, match="wrt must be a vector.*m"):
        T.jacobian_diag(T.sum(m, axis=0), m)
    with pytest.raises(InputError, match="expression must be a vector"):
        T.jacobian_diag(T.sum(x), x)
    with pytest.raises(InputError, match=r"scalar \(shape \(\)\).*1 dimensions"):
        T.hessian(x ** 2, x)
    with pytest.raises(InputError, match=r"scalar \(shape \(\)\)"):
        T.hessian_vector_product(x ** 2, x, x)
    a = T.tensor("float64", shape=(3,), name="a")
    with pytest.raises(ShapeError, match="not square"):
        T.jacobian_diag(T.concatenate([a, a]), a)
    with pytest.raises(ValueError, match="mode"):
        T.jacobian(x, x, mode="sideways")


def test_hessian_of_an_elementwise_cost_stays_diagonal():
    x = T.dvector('x')
    f = gpugrad.function([x], T.hessian(T.sum(T.exp(x) * x), x))
    assert not _elemwise_2d(f)
    value = np.array([0.1, 0.7])
    np.testing.assert_allclose(f(value), np.diag(np.exp(value) * (value + 2)))


def test_products_with_the_identity_scale_rows_and_outer_products_broadcast(rng):
    x, W, u = T.dvector('x'), T.dmatrix('W'), T.dvector('u')
    jac = gpugrad.function([W, x], T.jacobian(T.dot(W, T.sin(x)), x, mode="reverse"))
    lop = gpugrad.function([u, x], T.Lop(T.dot(x, W), W, u))
    for f in (jac, lop):  # what is left is the forward dot(W, sin(x)), read for its size
        assert all(n.outputs[0].ndim == 1 for n in f.maker.fgraph.toposort() if isinstance(n.op, Dot))
    w_value, x_value, u_value = rng.standard_normal((2, 3)), rng.standard_normal(3), rng.standard_normal(3)
    np.testing.assert_allclose(jac(w_value, x_value), w_value * np.cos(x_value), rtol=1e-12)
    np.testing.assert_allclose(lop(u_value, x_value), np.outer(x_value, u_value), rtol=1e-12)


def test_jacobian_can_be_differentiated_again():
    x = T.dvector('x')
    g = T.grad(T.sum(T.jacobian(x ** 3, x)), x)
    np.testing.assert_allclose(gpugrad.function([x], g)([1., -2.]), [6., -12.])
