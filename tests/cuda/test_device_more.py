"""More ops on ``device="cuda-sim"`` against ``device="cpu"``: an out-of-memory allocation
inside a device thunk (a DeviceMemoryError naming the node and the bytes, the function usable
afterwards), diagonals, Fill, MatchShape, Repeat, integer dot, and a Hessian through AllocDiag."""
import errno

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.backends.cuda_sim import memory
from gpugrad.ops.blas import AllocDiag, Diagonal
from gpugrad.ops.join import Repeat, RepeatSum
from gpugrad.ops.shape import Fill, MatchShape, shape_tuple

from device_checks import DEVICE, on_both, places, sim_only

HUGE = 1 << 40
DTYPES = ["float64", "complex128", "int64"]


@sim_only
@pytest.mark.parametrize("failure", [MemoryError("cannot map that much"),
                                     OSError(errno.ENOMEM, "Cannot allocate memory")])
def test_out_of_device_memory_names_the_node_and_bytes_then_the_function_works(failure, monkeypatch):
    real_empty = memory.empty

    def guarded_empty(shape, dtype):
        if int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize >= HUGE:
            raise failure
        return real_empty(shape, dtype)
    monkeypatch.setattr(memory, "empty", guarded_empty)
    x, n = T.dscalar("x"), T.lscalar("n")
    f = gg.function([x, n], T.alloc(x, n, n) * 2, device=DEVICE)
    with pytest.raises(gg.DeviceMemoryError) as info:
        f(1.5, 1 << 19)
    message = str(info.value)
    assert "computing Alloc of inputs (" in message and ", n, n)" in message
    assert f"{(1 << 38) * 8:,} bytes" in message
    assert isinstance(info.value, MemoryError)
    np.testing.assert_array_equal(f(1.5, 3), np.full((3, 3), 3.0))


def _value(dtype, rng, shape):
    value = rng.integers(-4, 5, shape) if dtype == "int64" else rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        value = value + 1j * rng.standard_normal(shape)
    return value.astype(dtype)


def _same(fs, *args):
    for got, want in zip(*(f(*args) for f in fs)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("offset, axis1, axis2", [(0, 0, 1), (1, 0, 1), (-2, 1, 0), (1, 2, 0)])
def test_diagonal_and_alloc_diag_match_the_cpu(dtype, offset, axis1, axis2, rng):
    x = T.tensor(dtype, (None,) * 3, name="x")
    d = T.diagonal(x * 2, offset, axis1, axis2)
    back = AllocDiag(offset, axis1, axis2)(d + 1, *shape_tuple(x))
    fs = on_both([x], [d * 1, back])
    assert places(fs[0], Diagonal) == places(fs[0], AllocDiag) == {DEVICE}
    _same(fs, _value(dtype, rng, (4, 5, 3)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_diag_of_a_vector_and_of_a_matrix(dtype, rng):
    v, m = T.tensor(dtype, (None,), name="v"), T.tensor(dtype, (None, None), name="m")
    fs = on_both([v, m], [T.diag(v * 1, 1), T.diag(m * 1, -1), T.trace(m * 1)])
    _same(fs, _value(dtype, rng, (4,)), _value(dtype, rng, (3, 5)))


def test_alloc_diag_bad_sizes_raise_shape_error(rng):
    v, n = T.dvector("v"), T.lscalar("n")
    f = gg.function([v, n], AllocDiag(0, 0, 1)(v * 2, n, n), device=DEVICE)
    with pytest.raises(gg.ShapeError, match="alloc_diag"):
        f(np.ones(3), 5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_fill_broadcasts_on_the_device(dtype, rng):
    x, v = T.tensor(dtype, (None, None), name="x"), T.tensor(dtype, (1, None), name="v")
    fs = on_both([x, v], [T.fill(x * 1, v * 1) * 1, T.fill(x, 3)])
    assert places(fs[0], Fill) == {DEVICE}
    _same(fs, _value(dtype, rng, (3, 4)), _value(dtype, rng, (1, 4)))


def test_match_shape_checks_on_the_device(rng):
    x, y = T.dmatrix("x"), T.dmatrix("y")
    fs = on_both([x, y], MatchShape("seed")(y * 2, x) * 3)
    assert places(fs[0], MatchShape) == {DEVICE}
    _same(fs, rng.standard_normal((2, 3)), rng.standard_normal((2, 3)))
    with pytest.raises(gg.ShapeError, match="seed: expected shape"):
        fs[0](np.ones((2, 3)), np.ones((3, 2)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_repeat_and_its_gradient_match_the_cpu(dtype, rng):
    x, r = T.tensor(dtype, (None, None), name="x"), T.lvector("r")
    y = T.repeat(x * 1, r, axis=1)
    outputs = [y * 1, T.repeat(x * 1, 2, axis=0) * 1]
    if dtype != "int64":
        outputs.append(gg.grad(T.real(T.sum(y * T.conj(y))), x))
    fs = on_both([x, r], outputs)
    assert places(fs[0], Repeat) == {DEVICE}
    if dtype != "int64":
        assert places(fs[0], RepeatSum) == {DEVICE}
    args = _value(dtype, rng, (3, 4)), np.array([1, 0, 2, 3])
    for got, want in zip(fs[0](*args), fs[1](*args)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_integer_dot_matches_the_cpu(rng):
    a, b = T.lmatrix("a"), T.lmatrix("b")
    fs = on_both([a, b], T.dot(a, b) * 2)
    _same(fs, _value("int64", rng, (3, 4)), _value("int64", rng, (4, 2)))


def test_hessian_through_alloc_diag_matches_the_cpu(rng):
    x = T.dvector("x")
    fs = on_both([x], T.hessian(T.sum(x ** 2 * T.exp(-x)), x))
    assert DEVICE in places(fs[0], AllocDiag)
    value = rng.standard_normal(5)
    np.testing.assert_allclose(fs[0](value), fs[1](value), rtol=1e-12)
