"""Launchers for NumPy's advanced indexing on the device: ``gather_nd.cu``, ``scatter_nd.cu``
and ``mask_positions.cu`` over device arrays of any layout.

An index is taken apart as NumPy does: its slices and new axes are applied first, as a view
(no copy: the kernels read and write through strides); every integer, integer array and
boolean mask (as the coordinates of its Trues, one row per axis it covers) is an index array,
and they broadcast together into one (k, nb) int64 device matrix. The result has the other
axes of the view in order, with the broadcast index shape where the index items stand if they
are adjacent, else in front. ``Gathering`` is that description; ``gather_nd`` and
``scatter_nd`` read and write through it, and the categorical crossentropy's ``x[arange(n),
idx]`` is one (``class_gathering``), its rows stepped by position instead of by an index.
"""
import functools
import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, ShapeError
from .kernels import ERROR_ROW, on_its_device

BLOCK = 256
MAX_GRID = 4096


@dataclass
class Gathering:
    """Where each element of ``view[index]`` lives: ``index`` (k, nb) indexes the axes of
    ``sizes`` and ``strides`` (in elements), which are axes ``axes`` of the array indexed
    (named in errors); ``rest`` are the (size, stride) of the view's other axes in order, the
    last of which multiply to ``inner``; ``shape`` is the result's; ``iota`` the stride the
    broadcast position itself steps by. ``wrap`` False: class indices, where a negative one
    is out of range too."""
    view: object
    index: object
    sizes: tuple
    strides: tuple
    axes: tuple
    rest: tuple
    inner: int
    shape: tuple
    what: str
    iota: int = 0
    wrap: bool = True

    @property
    def total(self):
        return math.prod(self.shape)

    def geometry(self):
        pairs = [*zip(self.sizes, self.strides), *self.rest, (self.iota,)]
        return tuple(int(v) for pair in pairs for v in pair)

    def out_of_range(self, index, j, size):
        """The error of ``index`` outside index array ``j``'s axis, of ``size``."""
        if not self.wrap:
            return InputError(f"{self.what}: class index {index} is out of range for {size} classes")
        return ShapeError(f"{self.what}: index {index} is out of bounds for axis {self.axes[j]} with size {size}")


def _elements(array, axis):
    return array.strides[axis] // array.itemsize


@on_its_device
def gathering(library, x, idx_list, values, what):
    """The ``Gathering`` of ``x[index]`` for an ``idx_list`` with at least one array
    (``ops/indexing.py``): ``values`` are the index inputs, host integers for its scalars and
    device arrays for its arrays. A mask's coordinates are found on the device (one sync)."""
    basic, rows = _take_apart(library, x, idx_list, values, what)
    view = x[tuple(basic)]
    placed = [at for _, _, at in rows]
    others = [a for a in range(view.ndim) if a not in placed]
    adjacent = "..." not in idx_list and placed == list(range(placed[0], placed[-1] + 1))
    front = [a for a in others if a < placed[0]] if adjacent else []
    back = [a for a in others if a not in front]
    block = _broadcast([np.shape(value) for value, _, _ in rows], what)
    return Gathering(view, _index_matrix(library, [value for value, _, _ in rows], block),
                     tuple(view.shape[at] for at in placed), tuple(_elements(view, at) for at in placed),
                     tuple(a for _, a, _ in rows), tuple((view.shape[a], _elements(view, a)) for a in others),
                     math.prod(view.shape[a] for a in back),
                     tuple(view.shape[a] for a in front) + block + tuple(view.shape[a] for a in back), what)


def _take_apart(library, x, idx_list, values, what):
    """The basic part of an index (its slices and new axes, full slices where the rest stand)
    and its index arrays as rows (value, axis of x, axis of the basic view): integers and
    arrays one each, a mask one per axis it covers (the coordinates of its Trues)."""
    values, basic, rows, axis = iter(values), [], [], 0
    for entry in idx_list:
        if entry == "...":  # no axis: it only separates the index arrays (gathering)
            continue
        if entry == "x":
            basic.append(None)
            continue
        if isinstance(entry, tuple):
            basic.append(slice(*(int(next(values)) if p == "?" else p for p in entry)))
            axis += 1
            continue
        value = next(values) if entry in ("?", "a") else entry
        if getattr(value, "dtype", None) == np.bool_:
            coords = mask_positions(library, value, x.shape[axis:axis + value.ndim], axis, what)
            found = [(coords[d], axis + d, len(basic) + d) for d in range(value.ndim)]
        elif getattr(value, "ndim", 0):
            found = [(value, axis, len(basic))]
        else:
            found = [(_checked_int(int(value), x.shape[axis], axis, what), axis, len(basic))]
        rows += found
        basic += [slice(None)] * len(found)
        axis += len(found)
    return basic, rows


def _checked_int(index, n, axis, what):
    """An integer of the index, checked here: NumPy checks it even when the arrays broadcast
    to nothing (no launch to flag it)."""
    if not -n <= index < n:
        raise ShapeError(f"{what}: index {index} is out of bounds for axis {axis} with size {n}")
    return index


@on_its_device
def class_gathering(library, x, idx, what="categorical_crossentropy"):
    """The ``Gathering`` of ``x[arange(n), idx]`` for a matrix ``x`` and a vector of class
    indices in [0, classes): the rows are the broadcast position itself (``iota``)."""
    if idx.shape[0] != x.shape[0]:
        raise ShapeError(f"{what}: {x.shape[0]} rows of probabilities but {idx.shape[0]} class indices")
    return Gathering(x, _index_matrix(library, [idx], tuple(idx.shape)), (x.shape[1],), (_elements(x, 1),), (1,), (), 1,
                     (x.shape[0],), what, iota=_elements(x, 0), wrap=False)


def _broadcast(shapes, what):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ShapeError(f"{what}: index arrays of shapes {', '.join(map(str, shapes))} do not broadcast "
                         f"together") from None


def _index_matrix(library, rows, shape):
    """The index arrays (device arrays and host ints) broadcast to ``shape``, as one C-contiguous
    (k, nb) int64 device matrix: filled by assignments on the device (a cast where needed),
    never through the host; a lone int64 array of that shape already is one."""
    (first, *others), nb = rows, math.prod(shape)
    if not others and getattr(first, "dtype", None) == np.int64 and first.shape == shape and first.flags.c_contiguous:
        return first.reshape(1, nb)
    matrix = library.backend.allocate((len(rows), nb), np.int64)
    for j, row in enumerate(rows):
        matrix[j].reshape(shape)[...] = row
    return matrix


def _contiguous_on(library, value, shape, dtype):
    """``value`` broadcast to ``shape`` as a C-contiguous device array (itself if it is one)."""
    if value.shape == shape and value.flags.c_contiguous and value.dtype == dtype:
        return value
    out = library.backend.allocate(shape, dtype)
    out[...] = value
    return out


def _grid(total):
    return max(1, min(-(-total // BLOCK), MAX_GRID))


@functools.lru_cache(maxsize=256)
def _constant(library, values):
    """A tuple of ints as an int64 device array, uploaded once per value (a geometry or a
    shape: the same every call of a compiled function on arrays of the same shapes)."""
    return library.backend.to_device(np.array(values, np.int64))


def _launch(library, name, g, source, target, error, defines=()):
    """One launch over ``g``'s ``total`` positions, the bad indices flagged in ``error``: a row
    of the caller's error board (``compile/error_board.py``), or when None a fresh one read
    back at once (one sync). With nothing to launch, the indices are checked on the host."""
    be, nb = library.backend, g.index.shape[1]
    k, rank = g.index.shape[0], len(g.rest)
    if g.total == 0:
        if nb and k:
            _check_on_host(g, be.to_host(g.index))
        return
    row = error
    if error is None:
        row = be.allocate(ERROR_ROW, np.int64)
        row.fill(0)
    library.launch(name, _grid(g.total), BLOCK, (source, g.index, target, row, _constant(library, g.geometry()),
                                                 k, rank, nb, g.inner, g.total, int(g.wrap)), defines=defines)
    if error is None:
        found, index, j, size = (int(v) for v in be.to_host(row))
        if found:
            raise g.out_of_range(index, j, size)


def _check_on_host(g, index):
    for j, (row, n) in enumerate(zip(index, g.sizes)):
        bad = row[(row < (-n if g.wrap else 0)) | (row >= n)]
        if bad.size:
            raise g.out_of_range(int(bad[0]), j, n)


@on_its_device
def gather_nd(library, g, error=None):
    """``view[index]`` of a ``Gathering``: a fresh C-contiguous device array of ``g.shape``; a
    bad index raises at once, or with ``error`` is flagged there (``_launch``)."""
    out = library.backend.allocate(g.shape, g.view.dtype)
    _launch(library, "gather_nd", g, g.view, out, error)
    return out


@on_its_device
def scatter_nd(library, g, value, set_instead_of_inc, error=None):
    """``view[index] = value`` (repeated indices: which lands is unspecified) or
    ``np.add.at(view, index, value)`` in place, ``value`` broadcast to ``g.shape``; bad
    indices as in ``gather_nd``."""
    try:
        source = _contiguous_on(library, value, g.shape, g.view.dtype)
    except ValueError:
        raise ShapeError(f"{g.what}: cannot broadcast a value of shape {tuple(value.shape)} to the indexed region "
                         f"of shape {g.shape}") from None
    _launch(library, "scatter_nd", g, source, g.view, error, (("GG_SET", str(int(set_instead_of_inc))),))


@on_its_device
def mask_positions(library, mask, sizes, axis=0, what="nonzero"):
    """The coordinates of the Trues of boolean device array ``mask`` in C order, as an int64
    (ndim, count) device array (``np.nonzero`` stacked); ``sizes`` are those of the axes it
    indexes, from ``axis`` on, which its shape must equal. The count is data dependent: the
    per-block counts are read back once."""
    if tuple(mask.shape) != tuple(sizes):
        raise ShapeError(f"{what}: a boolean index of shape {tuple(mask.shape)} does not match the indexed axes "
                         f"{axis}.. of sizes {tuple(sizes)}")
    be, n = library.backend, mask.size
    if n == 0:
        return be.allocate((mask.ndim, 0), np.int64)
    flat = _contiguous_on(library, mask, mask.shape, np.bool_).reshape(-1)
    chunks = min(-(-n // BLOCK), MAX_GRID)
    chunk = -(-n // (chunks * BLOCK)) * BLOCK
    chunks = -(-n // chunk)
    offsets, shape = be.allocate(chunks, np.int64), _constant(library, tuple(mask.shape))
    library.launch("mask_positions", chunks, BLOCK, (flat, offsets, offsets, shape, mask.ndim, n, chunk, 0),
                   defines=(("GG_WRITE", "0"),))  # offsets stands in for the coordinates, not yet allocated
    counts = be.to_host(offsets)
    count = int(counts.sum())
    coords = be.allocate((mask.ndim, count), np.int64)
    if count:
        starts = be.to_device(np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64))
        library.launch("mask_positions", chunks, BLOCK, (flat, starts, coords, shape, mask.ndim, n, chunk, count),
                       defines=(("GG_WRITE", "1"),))
    return coords
