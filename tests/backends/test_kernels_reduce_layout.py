"""Reductions read the array where it lies: over leading or middle axes of a C-contiguous
array by columns (``reduce_cols``: no transposed copy, checked by counting allocations),
short rows by groups of lanes of a warp (``reduce_groups``), against NumPy on the simulator."""
import numpy as np
import pytest

from gpugrad.backends import kernels

from test_kernels_ops import _check, _random

KINDS = {"sum": ["bool", "int32", "uint8", "float32", "complex128"], "prod": ["int64", "float64"],
         "max": ["int8", "float32", "complex64"], "min": ["uint16", "float64"], "all": ["bool", "float64"],
         "any": ["int32", "complex64"]}
CASES = [(kind, dtype) for kind, dtypes in KINDS.items() for dtype in dtypes]
# (shape, axes): few columns (one block spans them), many (tiles of 32), a middle axis, a
# leading run, rows as long as the block and one column.
COLUMNS = [((50, 7), 0), ((70, 100), 0), ((3, 40, 100), 1), ((6, 5, 4, 3), (0, 1)), ((257, 1, 2), (0, 1)),
           ((9, 64), 0), ((2, 33, 65), 1)]
SHORT_ROWS = [((37, 1), 1), ((20, 3), 1), ((5, 32), 1), ((9, 33), 1), ((4, 256), 1), ((2, 3, 17), 2)]


@pytest.mark.parametrize("kind,dtype", CASES)
def test_reductions_over_columns_and_short_rows(sim, library, rng, kind, dtype):
    for shape, axes in COLUMNS + SHORT_ROWS:
        x = _random(rng, shape, dtype, kind)
        got = kernels.reduce_axes(library, kind, sim.to_device(x), axes)
        _check(got, getattr(np, kind)(x, axis=axes), dtype, x.size)


@pytest.fixture
def allocations(library, monkeypatch):
    """The shapes the simulator allocates while reducing."""
    log, allocate = [], library.backend.allocate
    monkeypatch.setattr(library.backend, "allocate",
                        lambda shape, dtype: log.append(np.atleast_1d(shape).tolist()) or allocate(shape, dtype))
    return log


@pytest.mark.parametrize("shape,axis", [((512, 300), 0), ((8, 200, 30), 1), ((64, 3), 0), ((4, 5, 6), (0, 1))])
def test_a_bias_gradient_sum_reads_in_place_without_a_transposed_copy(sim, library, rng, allocations, shape, axis):
    x = rng.standard_normal(shape)
    device_x = sim.to_device(x)
    got = kernels.reduce_axes(library, "sum", device_x, axis)
    _check(got, x.sum(axis=axis), "float64", x.size)
    assert all(int(np.prod(s)) < x.size for s in allocations), allocations  # outputs and partials only


def test_without_the_column_kernel_a_transposed_copy_is_made(sim, library, rng, allocations):
    """The count above can fail: a non-contiguous array still goes through a transposed copy."""
    x = sim.to_device(rng.standard_normal((6, 40)))[:, ::2]
    kernels.reduce_axes(library, "sum", x, 0)
    assert [20, 6] in allocations


@pytest.mark.parametrize("kind", ["sum", "max", "any"])
def test_long_columns_reduce_in_pieces(sim, library, rng, monkeypatch, kind, allocations):
    monkeypatch.setattr(kernels, "MIN_CHUNK", 64)
    monkeypatch.setattr(kernels, "TARGET_BLOCKS", 16)
    dtype = "bool" if kind == "any" else "float64"
    x = _random(rng, (1000, 5), dtype, kind)
    _check(kernels.reduce_axes(library, kind, sim.to_device(x), 0), getattr(np, kind)(x, axis=0), dtype, 1000)
    assert any(len(s) == 3 and s[1] > 1 for s in allocations)  # partials of several pieces


def test_empty_columns(sim, library):
    _check(kernels.reduce_axes(library, "sum", sim.allocate((0, 3, 4), np.float32), 0), np.zeros((3, 4), np.float32),
           "float32")
    _check(kernels.reduce_axes(library, "prod", sim.allocate((2, 0, 4), np.int64), 1), np.ones((2, 4), np.int64), "int64")
    assert kernels.reduce_axes(library, "max", sim.allocate((3, 0), np.float64), 0).shape == (0,)
