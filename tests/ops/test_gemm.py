"""``gemm(c, alpha, a, b) = c + alpha * a @ b`` (gpugrad.ops.gemm): values against NumPy on
the host (BLAS, and NumPy for layouts BLAS cannot read) and on the simulated device,
gradients, R-op, batching, in-place writes and bad arguments."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.compile.modes import Mode
from gpugrad.errors import ShapeError
from gpugrad.gradient import verify_grad
from gpugrad.ops.gemm import Gemm, gemm
from gpugrad.runtime import host_blas

DTYPES = ("float32", "float64", "complex64", "complex128")
DEVICES = ("cpu", "cuda-sim")
UNFUSED = Mode().excluding("blas")  # the product and the sum as separate nodes
TOL = {"float32": 1e-5, "complex64": 1e-5, "float64": 1e-12, "complex128": 1e-12}


def _values(rng, dtype, m=3, k=4, n=5):
    def draw(*shape):
        x = rng.standard_normal(shape)
        if dtype.startswith("complex"):
            x = x + 1j * rng.standard_normal(shape)
        return x.astype(dtype)
    return draw(m, n), draw(), draw(m, k), draw(k, n)


def _symbols(dtype):
    return T.matrix("c", dtype=dtype), T.scalar("alpha", dtype=dtype), T.matrix("a", dtype=dtype), \
        T.matrix("b", dtype=dtype)


def _expected(c, alpha, a, b):
    return c + alpha * (a @ b)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_values_match_numpy(dtype, device, rng):
    c, alpha, a, b = _symbols(dtype)
    f = gg.function([c, alpha, a, b], gemm(c, alpha, a, b), device=device)
    assert any(isinstance(node.op, Gemm) and where == ("cpu" if device == "cpu" else "cuda-sim")
               for node, where in f.placement.items())
    values = _values(rng, dtype)
    out = f(*values)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, _expected(*values), rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("layout", ["transposed", "sliced columns", "every other row", "empty product"])
def test_operand_layouts(layout, rng):
    """Transposed operands and a leading dimension wider than a row go to BLAS as they are;
    rows two apart cannot, and take NumPy's product; k = 0 adds nothing."""
    c, alpha, a, b = _symbols("float64")
    views = {"transposed": (lambda x: x.T.copy().T, lambda x: x.T.copy().T),
             "sliced columns": (lambda x: np.hstack([x, x])[:, :x.shape[1]], lambda x: x),
             "every other row": (lambda x: np.repeat(x, 2, axis=0)[::2], lambda x: x),
             "empty product": (lambda x: x[:, :0], lambda x: x[:0])}[layout]
    f = gg.function([c, alpha, a, b], gemm(c, alpha, a, b))
    cv, av, aa, bb = _values(rng, "float64")
    aa, bb = views[0](aa), views[1](bb)
    np.testing.assert_allclose(f(cv, av, aa, bb), _expected(cv, av, aa, bb), rtol=1e-12)


def test_the_matrix_given_is_not_written(rng):
    c, alpha, a, b = _symbols("float64")
    f = gg.function([c, alpha, a, b], gemm(c, alpha, a, b))
    values = _values(rng, "float64")
    kept = values[0].copy()
    f(*values)
    np.testing.assert_array_equal(values[0], kept)


def test_a_fresh_matrix_read_nowhere_else_is_written_in_place(rng):
    """The memory plan lets gemm add into its ``c`` when ``c`` is an intermediate of the call
    that nothing reads afterwards; one read later, or returned, is copied first."""
    c, alpha, a, b = _symbols("float64")
    doubled = c * 2.0
    into = gg.function([c, alpha, a, b], gemm(doubled, alpha, a, b))
    kept = gg.function([c, alpha, a, b], [gemm(doubled, alpha, a, b), doubled])
    (node,) = [n for n in into.graph.toposort() if isinstance(n.op, Gemm)]
    assert node.tag.get("inplace") == 0
    assert all(n.tag.get("inplace") is None for n in kept.graph.toposort() if isinstance(n.op, Gemm))
    values = _values(rng, "float64")
    want = _expected(values[0] * 2, *values[1:])
    np.testing.assert_allclose(into(*values), want, rtol=1e-12)
    out, twice = kept(*values)
    np.testing.assert_allclose(out, want, rtol=1e-12)
    np.testing.assert_array_equal(twice, values[0] * 2)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_verify_grad(dtype, device, rng):
    with gg.config.change_flags(device=device):
        verify_grad(gemm, list(_values(rng, dtype)), rng=rng)


def test_gradients_equal_those_of_the_unfused_expression(rng):
    c, alpha, a, b = _symbols("complex128")
    wrt = [c, alpha, a, b]
    grads = gg.function(wrt, gg.grad(T.sum(abs(gemm(c, alpha, a, b)) ** 2), wrt))
    plain = gg.function(wrt, gg.grad(T.sum(abs(c + alpha * T.dot(a, b)) ** 2), wrt), mode=UNFUSED)
    values = _values(rng, "complex128")
    for got, want in zip(grads(*values), plain(*values)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("wrt", ["c", "alpha", "a", "b", "all"])
def test_rop_agrees_with_the_unfused_expression(wrt, rng):
    c, alpha, a, b = _symbols("float64")
    names = ("c", "alpha", "a", "b")
    chosen = [v for v, name in zip((c, alpha, a, b), names) if wrt in (name, "all")]
    tangents = [v.type() for v in chosen]
    rop = gg.function([c, alpha, a, b, *tangents], gg.Rop(gemm(c, alpha, a, b), chosen, tangents),
                      on_unused_input="ignore")
    plain = gg.function([c, alpha, a, b, *tangents], gg.Rop(c + alpha * T.dot(a, b), chosen, tangents),
                        mode=UNFUSED, on_unused_input="ignore")
    values = _values(rng, "float64")
    directions = [rng.standard_normal(np.shape(v)) for v, name in zip(values, names) if wrt in (name, "all")]
    np.testing.assert_allclose(rop(*values, *directions), plain(*values, *directions), rtol=1e-12)


def test_jacobian_batches_through_gemm(rng):
    """``jacobian`` vectorizes the pullback over rows (each op's batching rule, gemm's too)."""
    c, alpha, a, b = _symbols("float64")
    x = T.dvector("x")
    out = gemm(c, alpha, T.reshape(x, (3, 4)), b).flatten()
    J = gg.function([c, alpha, x, b], gg.jacobian(out, x))
    values = _values(rng, "float64")
    want = np.kron(np.eye(3), (values[1] * values[3]).T)
    np.testing.assert_allclose(J(values[0], values[1], values[2].ravel(), values[3]), want, rtol=1e-12)


def test_batching_rule_matches_a_loop(rng):
    c, alpha, a, b = _symbols("float64")
    stack = T.dtensor3("stack")
    mapped, _ = gg.map(lambda ai, c, alpha, b: gemm(c, alpha, ai, b), sequences=stack, non_sequences=[c, alpha, b])
    f = gg.function([c, alpha, stack, b], mapped)
    values = _values(rng, "float64")
    stacked = rng.standard_normal((2, 3, 4))
    want = np.stack([_expected(values[0], values[1], s, values[3]) for s in stacked])
    np.testing.assert_allclose(f(values[0], values[1], stacked, values[3]), want, rtol=1e-12)


def test_bad_nodes_are_refused():
    c, alpha, a, b = _symbols("float64")
    with pytest.raises(ShapeError, match="matrices"):
        gemm(c, alpha, T.dvector(), b)
    with pytest.raises(TypeError, match="one float or complex dtype"):
        gemm(c, alpha, T.fmatrix(), b)
    with pytest.raises(TypeError, match="one float or complex dtype"):
        gemm(T.matrix(dtype="int64"), T.scalar(dtype="int64"), T.matrix(dtype="int64"), T.matrix(dtype="int64"))
    with pytest.raises(ShapeError, match="columns and b's rows differ"):
        gemm(c, alpha, T.tensor("float64", shape=(3, 4)), T.tensor("float64", shape=(5, 2)))


@pytest.mark.parametrize("device", DEVICES)
def test_run_time_mismatch_names_the_shapes_and_the_function_recovers(device, rng):
    c, alpha, a, b = _symbols("float64")
    f = gg.function([c, alpha, a, b], gemm(c, alpha, a, b), device=device)
    values = _values(rng, "float64")
    with pytest.raises(ShapeError, match=r"c \(3, 5\), a \(3, 4\), b \(3, 5\)"):
        f(values[0], values[1], values[2], values[3][:3])
    with pytest.raises(ShapeError, match=r"got c \(2, 5\)"):
        f(values[0][:2], *values[1:])
    np.testing.assert_allclose(f(*values), _expected(*values), rtol=1e-12)


def test_without_blas_numpy_computes_it(rng, monkeypatch):
    """Where NumPy's BLAS cannot be reached the thunk runs ``perform``."""
    monkeypatch.setattr(host_blas, "gemm_for", lambda dtype: None)
    c, alpha, a, b = _symbols("float64")
    f = gg.function([c, alpha, a, b], gemm(c, alpha, a, b))
    values = _values(rng, "float64")
    np.testing.assert_allclose(f(*values), _expected(*values), rtol=1e-12)


def test_pp_prints_the_sum_it_computes():
    c, alpha, a, b = _symbols("float64")
    assert gg.printing.pp(gemm(c, alpha, a, b)) == "(c + (alpha * Dot{0, 1}(a, b)))"
