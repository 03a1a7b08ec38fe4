"""gather_nd.cu, scatter_nd.cu and mask_positions.cu (through gpugrad/backends/advanced_index.py) on
the simulator against NumPy, for every instantiation of backend_kernel_cases.py, with grids small
enough that every grid-stride loop strides."""
import numpy as np
import pytest

from gpugrad.backends import advanced_index
from gpugrad.errors import InputError, ShapeError
from gpugrad.ops.indexing import FULL, numpy_index

from backend_kernel_cases import INSTANTIATIONS

# idx_list, index values (arrays are uploaded), for an x of shape (4, 5, 6)
INDEXES = [(("a", FULL, "a"), [np.array([[0], [-1]]), np.array([5, 0, -4])]),   # not adjacent: in front
           ((FULL, "a", "?"), [np.array([[1, -5], [4, 4]]), -2]),                 # adjacent, after a slice
           (((None, None, -1), "x", "a"), [np.array([True, False, True, True, False])])]  # reversed view, mask


@pytest.fixture(autouse=True)
def small_grids(monkeypatch):
    monkeypatch.setattr(advanced_index, "MAX_GRID", 2)
    monkeypatch.setattr(advanced_index, "BLOCK", 32)


def _random(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return rng.integers(0 if dtype.kind == "u" else -50, 50, shape).astype(dtype)


def _on_device(sim, values):
    return [sim.to_device(v) if np.ndim(v) else v for v in values]


@pytest.mark.parametrize("dtype", [t["T"] for t, _ in INSTANTIATIONS["gather_nd"]])
@pytest.mark.parametrize("idx_list,values", INDEXES)
def test_gather_nd(sim, library, rng, dtype, idx_list, values):
    x = _random(rng, (4, 5, 6), dtype)
    g = advanced_index.gathering(library, sim.to_device(x), idx_list, _on_device(sim, values), "gather_nd")
    expected = x[numpy_index(idx_list, values)]
    got = advanced_index.gather_nd(library, g)
    assert got.shape == expected.shape and np.array_equal(got, expected)


@pytest.mark.parametrize("types,defines", INSTANTIATIONS["scatter_nd"])
def test_scatter_nd(sim, library, rng, types, defines):
    dtype, set_ = types["T"], defines[0][1] == "1"
    idx_list, values = INDEXES[0] if set_ else INDEXES[1]  # a set needs distinct positions to be determined
    x = _random(rng, (4, 5, 6), dtype)
    index = numpy_index(idx_list, values)
    v = _random(rng, x[index].shape, dtype)
    out = sim.to_device(x)
    advanced_index.scatter_nd(library, advanced_index.gathering(library, out, idx_list, _on_device(sim, values), "s"),
                              sim.to_device(v), set_)
    hits = np.zeros(x.shape, np.int64)
    np.add.at(hits, index, 1)
    if set_:
        assert hits.max() == 1, "which of several values a set at one position keeps is unspecified"
        x[index] = v
    else:
        assert hits.max() > 1, "the add case should accumulate at repeated positions"
        np.add.at(x, index, v)
    if x.dtype.kind in "fc":  # the order of atomic float adds is the device's: rounding differs
        np.testing.assert_allclose(out, x, rtol=1e-5)
    else:
        np.testing.assert_array_equal(out, x)


@pytest.mark.parametrize("shape", [(70,), (3, 40, 2), (5, 0), (1, 1)])
@pytest.mark.parametrize("density", [0.0, 0.3, 1.0])
def test_mask_positions(sim, library, rng, shape, density):
    mask = rng.random(shape) < density
    got = advanced_index.mask_positions(library, sim.to_device(mask), shape)
    assert got.dtype == np.int64 and np.array_equal(got, np.stack(np.nonzero(mask)).reshape(len(shape), -1))


def test_mask_positions_grid_strides_over_chunks(sim, library, rng):
    mask = rng.random(300) < 0.5
    offsets, flat, shape = sim.allocate(5, np.int64), sim.to_device(mask), sim.to_device(np.array([300]))
    library.launch("mask_positions", 2, 32, (flat, offsets, offsets, shape, 1, 300, 64, 0),
                   defines=(("GG_WRITE", "0"),))
    counts = offsets.copy()
    np.testing.assert_array_equal(counts, [mask[c * 64:(c + 1) * 64].sum() for c in range(5)])
    coords = sim.allocate((1, int(counts.sum())), np.int64)
    starts = sim.to_device(np.concatenate([[0], np.cumsum(counts)[:-1]]))
    library.launch("mask_positions", 2, 32, (flat, starts, coords, shape, 1, 300, 64, coords.shape[1]),
                   defines=(("GG_WRITE", "1"),))
    np.testing.assert_array_equal(coords[0], np.flatnonzero(mask))


def test_errors_name_the_axis_and_class_indices_are_not_wrapped(sim, library):
    x = sim.to_device(np.zeros((4, 5)))
    with pytest.raises(ShapeError, match="index -6 is out of bounds for axis 1 with size 5"):
        advanced_index.gather_nd(library, advanced_index.gathering(
            library, x, ("a", "a"), [sim.to_device(np.array([0, 1])), sim.to_device(np.array([2, -6]))], "g"))
    with pytest.raises(ShapeError, match="does not match the indexed axes 1"):
        advanced_index.gathering(library, x, (FULL, "a"), [sim.to_device(np.ones(4, bool))], "g")
    with pytest.raises(ShapeError, match="do not broadcast"):
        advanced_index.gathering(library, x, ("a", "a"), [sim.to_device(np.zeros(2, int)),
                                                         sim.to_device(np.zeros(3, int))], "g")
    picked = advanced_index.class_gathering(library, x, sim.to_device(np.array([0, 4, 2, -1])))
    with pytest.raises(InputError, match="class index -1 is out of range for 5 classes"):
        advanced_index.gather_nd(library, picked)
    empty = advanced_index.gathering(library, x[:0], (FULL, "a"), [sim.to_device(np.array([7]))], "g")
    with pytest.raises(ShapeError, match="index 7 is out of bounds for axis 1"):  # nothing to launch: the host checks
        advanced_index.gather_nd(library, empty)
