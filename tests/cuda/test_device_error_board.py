"""The error board (gpugrad/compile/error_board.py) on the simulator: the kernels that check
indices flag rows of one device array read back once per call, not once per launch."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.backends import advanced_index, kernels
from gpugrad.compile import device_arrays
from gpugrad.errors import InputError, ShapeError
from gpugrad.ops.nnet import PickClass, PlaceClass
from gpugrad.ops.subtensor import IncSubtensor, Subtensor

from device_checks import DEVICE



def _board_reads(log):
    return [c for c in log if c[0] == "to_host" and len(c[1]) == 2 and c[1][1] == kernels.ERROR_ROW
            and c[2] == np.int64]


def _embedding_model(rng):
    """Embedding lookups, a take, the crossentropy's PickClass and, in the gradient, their
    scatter-adds and PlaceClass: six nodes that check indices."""
    emb = gg.shared(rng.standard_normal((10, 4)), name="emb")
    w = gg.shared(rng.standard_normal((8, 5)), name="w")
    ids, y = T.lmatrix("ids"), T.ivector("y")
    h = emb[ids].reshape((ids.shape[0], 8))
    p = T.nnet.softmax(T.tanh(h).dot(w))
    cost = T.mean(T.nnet.categorical_crossentropy(p, y)) + T.sum(T.take(h, y % 3, axis=0))
    return [ids, y], [cost, *T.grad(cost, [w, emb])]


def test_one_read_back_of_the_board_per_call(rng, copies):
    inputs, outputs = _embedding_model(rng)
    f = gg.function(inputs, outputs, device=DEVICE)
    cpu = gg.function(inputs, outputs, device="cpu")
    assert {f.placement[n] for n in f.placement if isinstance(n.op, (Subtensor, IncSubtensor, PickClass,
                                                                     PlaceClass))} == {DEVICE}
    args = rng.integers(0, 10, (6, 2)), rng.integers(0, 5, 6).astype("int32")
    f(*args)
    copies.clear()
    got = f(*args)
    reads = [c for c in copies if c[0] == "to_host"]
    assert len(_board_reads(copies)) == 1 and _board_reads(copies)[0][1][0] >= 6
    assert len(reads) == 1 + len(outputs)  # the board, then each output
    assert all(c[1] in (np.shape(a) for a in args) or c[1] == () for c in copies if c[0] == "to_device")
    for g, c in zip(got, cpu(*args)):
        np.testing.assert_allclose(g, c, rtol=1e-10)


def test_bad_indices_raise_as_before_and_the_function_still_works(rng):
    inputs, outputs = _embedding_model(rng)
    f = gg.function(inputs, outputs, device=DEVICE)
    cpu = gg.function(inputs, outputs, device="cpu")
    ids, y = np.arange(12).reshape(6, 2) % 10, np.array([0, 1, 2, 3, 4, 1], "int32")
    with pytest.raises(ShapeError, match="index 10 is out of bounds for axis 0 with size 10"):
        f(np.where(ids == 3, 10, ids), y)
    with pytest.raises(InputError, match="class index 5 is out of range for 5 classes"):
        f(ids, np.where(y == 1, 5, y).astype("int32"))
    with pytest.raises(ShapeError, match="index -11 is out of bounds for axis 0 with size 10"):
        f(np.where(ids == 3, -11, ids), np.where(y == 1, 5, y).astype("int32"))  # the first node's error
    for g, c in zip(f(ids, y), cpu(ids, y)):
        np.testing.assert_allclose(g, c, rtol=1e-10)


def test_a_later_failure_caused_by_a_bad_index_reports_the_index(rng):
    x, i = T.lvector("x"), T.lvector("i")
    f = gg.function([x, i], T.alloc(1.0, x[i].sum() - 1) * 2, device=DEVICE)
    values = np.array([3, 4, 5])
    with pytest.raises(ShapeError, match="index 3 is out of bounds for axis 0 with size 3") as info:
        f(values, np.array([3]))  # the gather gives 0, and the alloc of size -1 fails
    assert info.value.__context__ is not None
    np.testing.assert_array_equal(f(values, np.array([0, 2])), np.full(7, 2.0))


def test_a_scan_reads_the_board_once_per_call_not_per_step(rng, copies):
    table, ids, h0 = T.dmatrix("table"), T.lmatrix("ids"), T.dvector("h0")
    hs, _ = gg.scan(lambda i, h: T.tanh(h + table[i].sum(axis=0)), sequences=ids, outputs_info=h0)
    f = gg.function([table, ids, h0], hs, device=DEVICE)
    cpu = gg.function([table, ids, h0], hs, device="cpu")
    value = rng.standard_normal((5, 3))
    for steps in (2, 7):
        args = value, rng.integers(-5, 5, (steps, 2)), np.zeros(3)
        copies.clear()
        np.testing.assert_allclose(f(*args), cpu(*args), rtol=1e-12)
        assert len(_board_reads(copies)) == 1 and len([c for c in copies if c[0] == "to_host"]) == 2
    bad = np.array([[0, 1], [2, 3], [4, 7], [1, 2]])
    with pytest.raises(ShapeError, match=r"index 7 is out of bounds for axis 0 with size 5(.|\n)*Scan"):
        f(value, bad, np.zeros(3))
    np.testing.assert_allclose(f(value, bad[:2], np.zeros(3)), cpu(value, bad[:2], np.zeros(3)), rtol=1e-12)


def test_launchers_given_a_row_leave_the_flag_there(rng):
    library, be = device_arrays.library_for(DEVICE), device_arrays.backend_for(DEVICE)
    x = be.to_device(rng.standard_normal((3, 4)))
    row = be.to_device(np.zeros(kernels.ERROR_ROW, np.int64))
    kernels.gather(library, x, be.to_device(np.array([0, 4, 1])), 1, error=row)
    np.testing.assert_array_equal(be.to_host(row), [1, 4, 0, 4])
    row = be.to_device(np.zeros(kernels.ERROR_ROW, np.int64))
    g = advanced_index.gathering(library, x, ["a", "a"], [be.to_device(np.array([1, 2])),
                                                         be.to_device(np.array([0, -5]))], "x[i, j]")
    advanced_index.gather_nd(library, g, error=row)
    flag, index, which, size = be.to_host(row)
    assert (flag, index, which, size) == (1, -5, 1, 4)
    assert str(g.out_of_range(index, which, size)) == "x[i, j]: index -5 is out of bounds for axis 1 with size 4"
    with pytest.raises(ShapeError, match="index -5 is out of bounds for axis 1 with size 4"):
        advanced_index.gather_nd(library, g)  # no row: checked at once, as before
