"""Launchers for the reduction, softmax, indexing, integer matmul and arange kernels of ``kernels/``
over arrays of any layout.

Each kernel works on C-contiguous rows: ``reduce_rows`` and friends reduce the last
axis of a (rows, cols) matrix (``reduce_groups`` short rows, a warp or less each),
``reduce_cols`` the middle axis of an (outer, rows, cols) array where it lies (a sum over
a leading axis reads the array as it is), ``gather``/``scatter_add_axis`` index the middle
axis of an (outer, n, inner) array. These functions bring a device array of any shape and
strides into that form (transposing the named axes last and copying only when the
view is not already contiguous), pick the launch configuration, and give the result
back in NumPy's shape and dtype. They take a ``KernelLibrary`` (which holds the
backend and caches every instantiation) and device arrays of its backend.
"""
import functools

import numpy as np

from ..errors import ShapeError
from .base import KernelArgumentError
from .load import C_TYPES

BLOCK = 256
MAX_GRID = 65535
TILE = 16               # int_matmul's blocks are TILE x TILE threads, one per output
TARGET_BLOCKS = 1024    # rows fewer than this are split into pieces, to fill the device
MIN_CHUNK = 8192        # ... of at least this many elements each
SHORT_ROW = 256         # rows up to this long reduce in a group of lanes of one warp (reduce_groups)
WIDE_TILE = 32          # columns per block of reduce_cols where more than BLOCK // 4 are reduced
ERROR_ROW = 4           # [flag, index, array, size]: where the indexing kernels flag (gpugrad.cuh)
_COMBINE = {"sum": "gg_sum", "prod": "gg_prod", "max": "gg_max", "min": "gg_min", "all": "gg_all", "any": "gg_any"}
_NUMPY = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "all": np.all, "any": np.any}
_NEED_ELEMENTS = ("max", "min", "argmax", "argmin")


def on_its_device(launcher):
    """``launcher(library, ...)`` with its array calls (copies, views, assignments) and launches
    on the library's device."""
    @functools.wraps(launcher)
    def run(library, *args, **kwargs):
        with library.backend.context():
            return launcher(library, *args, **kwargs)
    return run


def _block(cols):
    """Threads per block: a multiple of 32, no more than the row needs, at most BLOCK."""
    return min(BLOCK, max(32, -(-cols // 32) * 32))


def _contiguous(library, view):
    """``view`` itself if C-contiguous, else a contiguous device copy."""
    if view.flags.c_contiguous:
        return view
    out = library.backend.allocate(view.shape, view.dtype)
    out[...] = view
    return out


def _normalize_axes(axes, ndim, what):
    if axes is None:
        return tuple(range(ndim))
    axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
    if any(not -ndim <= a < ndim for a in axes):
        raise ShapeError(f"{what}: axis {axes} out of range for an array of {ndim} dimensions")
    normalized = tuple(sorted(int(a) % ndim for a in axes))
    if len(set(normalized)) != len(normalized):
        raise ShapeError(f"{what}: repeated axis in {axes}")
    return normalized


def _as_rows(library, x, axes):
    """x with ``axes`` moved last, as a contiguous (rows, cols) matrix, and the kept shape."""
    kept = [a for a in range(x.ndim) if a not in axes]
    view = _contiguous(library, x.transpose(kept + list(axes)))
    cols = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    rows = int(np.prod([x.shape[a] for a in kept], dtype=np.int64))
    return view.reshape(rows, cols), tuple(x.shape[a] for a in kept)


def _out_shape(shape, axes, keepdims):
    return tuple(1 if a in axes else n for a, n in enumerate(shape)) if keepdims else \
        tuple(n for a, n in enumerate(shape) if a not in axes)


def _launch_rows(library, name, rows, cols, args, shared_item, defines=()):
    """One block per row (grid-stride beyond MAX_GRID) and a warp's partial per shared slot."""
    block = _block(cols)
    library.launch(name, min(rows, MAX_GRID), block, args, shared_mem=block // 32 * shared_item,
                   defines=defines)


def _reduce_matrix(library, kind, m, dtype):
    """The ``kind`` reduction of each row of the contiguous matrix ``m`` into a ``dtype`` vector:
    short rows by groups of lanes of a warp (the power of two that covers them, at most 32),
    long ones a block each, in two launches when few long rows would leave most of the device idle."""
    rows, cols = m.shape
    defines = (("GG_REDUCE", _COMBINE[kind]),)
    if cols <= SHORT_ROW:
        out, width = library.backend.allocate(rows, dtype), min(32, 1 << max(cols - 1, 0).bit_length())
        library.launch("reduce_groups", min(-(-rows * width // BLOCK), MAX_GRID), BLOCK, (m, out, rows, cols, width),
                       defines=defines)
        return out
    pieces = min(-(-TARGET_BLOCKS // rows), cols // MIN_CHUNK) if rows < TARGET_BLOCKS else 1
    chunk = -(-cols // pieces) if pieces > 1 else cols
    pieces = -(-cols // chunk) if pieces > 1 else 1
    out = library.backend.allocate(rows * pieces, dtype)
    _launch_rows(library, "reduce_rows", rows * pieces, chunk, (m, out, rows, cols, chunk), dtype.itemsize, defines)
    if pieces == 1:
        return out
    return _reduce_matrix(library, kind, out.reshape(rows, pieces), dtype)


def _reduce_columns(library, kind, x, dtype):
    """The ``kind`` reduction over the middle axis of the C-contiguous (outer, rows, cols) ``x``
    into an (outer, cols) array, read where it lies: blocks of ``width`` columns (all of them
    when there are few) by lanes of rows, coalesced; long columns split into pieces reduced
    again, as ``_reduce_matrix`` splits rows."""
    outer, rows, cols = x.shape
    width = cols if cols <= BLOCK // 4 else WIDE_TILE
    items = outer * -(-cols // width)
    pieces = max(1, min(-(-TARGET_BLOCKS // items), rows * width // MIN_CHUNK)) if items < TARGET_BLOCKS else 1
    chunk = -(-rows // pieces)
    pieces = -(-rows // chunk) if rows else 1
    out = library.backend.allocate((outer, pieces, cols), dtype)
    library.launch("reduce_cols", min(items * pieces, MAX_GRID), BLOCK, (x, out, outer, rows, cols, chunk, width),
                   shared_mem=BLOCK * dtype.itemsize, defines=(("GG_REDUCE", _COMBINE[kind]),))
    return out.reshape(outer, cols) if pieces == 1 else _reduce_columns(library, kind, out, dtype)


def _combine(library, kind, x, axes, dtype):
    """``kind`` (sum, prod, max, min, all, any) of ``x`` over ``axes`` as a vector of the kept
    elements in C order. Axes that are one run of a C-contiguous ``x`` are reduced where they
    lie: by rows when they are last, by columns when others follow (no transposed copy);
    other layouts move the axes last (a copy only where that view is not contiguous)."""
    kept = int(np.prod([n for a, n in enumerate(x.shape) if a not in axes], dtype=np.int64))
    if not kept:
        return library.backend.allocate(0, dtype)
    if x.flags.c_contiguous and axes and axes == tuple(range(axes[0], axes[-1] + 1)) and axes[-1] < x.ndim - 1:
        outer = int(np.prod(x.shape[:axes[0]], dtype=np.int64))
        rows = int(np.prod(x.shape[axes[0]:axes[-1] + 1], dtype=np.int64))
        return _reduce_columns(library, kind, x.reshape(outer, rows, kept // outer), dtype).reshape(kept)
    return _reduce_matrix(library, kind, _as_rows(library, x, axes)[0], dtype)


@on_its_device
def reduce_axes(library, kind, x, axes=None, keepdims=False):
    """NumPy's ``kind`` (sum, prod, max, min, all, any, argmax, argmin, logsumexp) of device
    array ``x`` over ``axes`` (None: all; argmax/argmin take one axis or None, like NumPy).

    The result has NumPy's dtype (int32 sums in int64, argmax in int64, all/any bool);
    max, min and the arg reductions of an empty axis raise ShapeError, the others give
    their identity (logsumexp: -inf); complex values are ordered as NumPy orders them
    (lexicographically, NaN in either part propagating). logsumexp takes float32/float64 only.
    """
    if kind in ("argmax", "argmin") and not (axes is None or isinstance(axes, (int, np.integer))):
        raise ShapeError(f"{kind}: takes one axis or None, got {axes!r}")
    axes = _normalize_axes(axes, x.ndim, kind)
    _check_reducible(kind, x, axes)
    if kind in _COMBINE:
        out = _combine(library, kind, x, axes, _NUMPY[kind](np.zeros(1, x.dtype)).dtype)
    else:
        m, _ = _as_rows(library, x, axes)
        rows, cols = m.shape
        out = library.backend.allocate(rows, np.int64 if kind.startswith("arg") else x.dtype)
        if rows and kind == "logsumexp":
            _launch_rows(library, "logsumexp_rows", rows, cols, (m, out, rows, cols), x.itemsize)
        elif rows:
            _launch_rows(library, "argreduce_rows", rows, cols, (m, out, rows, cols), 2 * max(x.itemsize, 8),
                         (("GG_ARGMIN", str(int(kind == "argmin"))),))  # sizeof(gg_indexed<T>)
    return out.reshape(_out_shape(x.shape, axes, keepdims))


def _check_reducible(kind, x, axes):
    if kind not in _COMBINE and kind not in ("argmax", "argmin", "logsumexp"):
        raise ValueError(f"unknown reduction {kind!r}")
    if kind in _NEED_ELEMENTS and any(x.shape[a] == 0 for a in axes):
        raise ShapeError(f"{kind}: cannot reduce an array of shape {x.shape} over an empty axis")
    if kind == "logsumexp" and x.dtype not in (np.float32, np.float64):
        raise KernelArgumentError(f"logsumexp: expected float32 or float64, got {x.dtype} (cast first)")


def _rowwise(library, name, arrays, axes, log):
    """Run the row kernel ``name`` on ``arrays`` (same shape) normalised over ``axes``; the
    result is C-contiguous in the arrays' own layout."""
    x = arrays[0]
    if x.dtype not in (np.float32, np.float64) or any(a.dtype != x.dtype or a.shape != x.shape for a in arrays):
        raise KernelArgumentError(f"{name}: expected float32 or float64 arrays of one shape and dtype, got "
                                  f"{[(a.shape, str(a.dtype)) for a in arrays]}")
    axes = _normalize_axes(axes, x.ndim, name)
    matrices = [_as_rows(library, a, axes)[0] for a in arrays]
    rows, cols = matrices[0].shape
    out = library.backend.allocate((rows, cols), x.dtype)
    if out.size:
        _launch_rows(library, name, rows, cols, (*matrices, out, rows, cols), x.itemsize,
                     (("GG_LOG", str(int(log))),))
    kept = [a for a in range(x.ndim) if a not in axes]
    order = kept + list(axes)
    moved = out.reshape([x.shape[a] for a in order])
    return _contiguous(library, moved.transpose(np.argsort(order)))


@on_its_device
def softmax(library, x, axis=-1):
    """exp(x) / sum(exp(x)) over ``axis`` (an int or a tuple), shifted by the max as Softmax.perform."""
    return _rowwise(library, "softmax_rows", [x], axis, log=False)


@on_its_device
def log_softmax(library, x, axis=-1):
    """x - logsumexp(x) over ``axis``, stable."""
    return _rowwise(library, "softmax_rows", [x], axis, log=True)


@on_its_device
def softmax_backward(library, g, y, axis=-1):
    """The gradient of softmax given its output ``y`` and output gradient ``g``: y * (g - sum(g * y))."""
    return _rowwise(library, "softmax_backward_rows", [g, y], axis, log=False)


@on_its_device
def log_softmax_backward(library, g, y, axis=-1):
    """The gradient of log_softmax given its output ``y`` and ``g``: g - exp(y) * sum(g)."""
    return _rowwise(library, "softmax_backward_rows", [g, y], axis, log=True)


def _indexing_geometry(x_shape, indices, axis, what):
    """(axis, outer, n, m, inner) of indexing an array of ``x_shape`` along ``axis``."""
    ndim = len(x_shape)
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{what}: axis {axis} out of range for an array of shape {tuple(x_shape)}")
    if indices.dtype != np.int64:
        raise KernelArgumentError(f"{what}: indices must be int64, got {indices.dtype}")
    axis %= ndim
    outer = int(np.prod(x_shape[:axis], dtype=np.int64))
    inner = int(np.prod(x_shape[axis + 1:], dtype=np.int64))
    return axis, outer, x_shape[axis], indices.size, inner


def _grid(total):
    return max(1, min(-(-total // BLOCK), MAX_GRID))


def out_of_bounds(what, axis, index, n):
    """The error of ``index`` outside axis ``axis`` of size ``n``, worded as NumPy's."""
    return ShapeError(f"{what}: index {index} is out of bounds for axis {axis} with size {n}")


def _error_row(library, error):
    """``error`` (a row of a program's error board, ``runtime/error_board.py``, which its
    program reads) or, when None, a fresh zeroed row the launcher reads itself."""
    if error is not None:
        return error
    row = library.backend.allocate(ERROR_ROW, np.int64)
    row.fill(0)
    return row


def _check_row(library, error, row, axis, what):
    """Raise the index the kernel flagged in ``row``, unless it is the caller's to read."""
    if error is None:
        found, index, _, n = (int(v) for v in library.backend.to_host(row))
        if found:
            raise out_of_bounds(what, axis, index, n)


def _check_on_host(library, indices, n, axis, what):
    """The first index outside [-n, n), found on the host where nothing is launched (an empty
    result: NumPy still checks the indices)."""
    if indices.size:
        flat = library.backend.to_host(indices).ravel()
        bad = flat[(flat < -n) | (flat >= n)]
        if bad.size:
            raise out_of_bounds(what, axis, int(bad[0]), n)


@on_its_device
def gather(library, x, indices, axis=0, error=None):
    """``np.take(x, indices, axis)`` for int64 ``indices`` of any shape; an index outside
    [-n, n) raises ShapeError, read back from the kernel's error row (one sync), or is left
    in ``error``, a row of the caller's error board."""
    axis, outer, n, m, inner = _indexing_geometry(x.shape, indices, axis, "gather")
    shape = (*x.shape[:axis], *indices.shape, *x.shape[axis + 1:])
    out = library.backend.allocate(shape, x.dtype)
    if out.size == 0:
        _check_on_host(library, indices, n, axis, "gather")
        return out
    row = _error_row(library, error)
    library.launch("gather", _grid(out.size), BLOCK, (_contiguous(library, x), _contiguous(library, indices),
                                                     out, row, outer, n, m, inner))
    _check_row(library, error, row, axis, "gather")
    return out


@on_its_device
def scatter_add(library, dst, indices, src, axis=0, error=None):
    """``np.add.at(dst, (slice(None),) * axis + (indices,), src)`` in place on the C-contiguous
    device array ``dst`` of any dtype but float16 (repeated indices accumulate; integers wrap,
    bools or); returns ``dst``. Bad indices as in ``gather``."""
    axis, outer, n, m, inner = _indexing_geometry(dst.shape, indices, axis, "scatter_add")
    expected = (*dst.shape[:axis], *indices.shape, *dst.shape[axis + 1:])
    if tuple(src.shape) != expected:
        raise ShapeError(f"scatter_add: src has shape {tuple(src.shape)}, indexing {tuple(dst.shape)} "
                         f"along axis {axis} by indices of shape {tuple(indices.shape)} needs {expected}")
    if dst.dtype not in C_TYPES or src.dtype != dst.dtype or not dst.flags.c_contiguous:
        raise KernelArgumentError(f"scatter_add: dst must be a C-contiguous array of a kernel dtype (not float16) "
                                  f"and src of its dtype, got {dst.dtype} and {src.dtype}")
    if src.size == 0:
        _check_on_host(library, indices, n, axis, "scatter_add")
        return dst
    row = _error_row(library, error)
    library.launch("scatter_add_axis", _grid(src.size), BLOCK, (_contiguous(library, src),
                                                               _contiguous(library, indices),
                                                               dst, row, outer, n, m, inner))
    _check_row(library, error, row, axis, "scatter_add")
    return dst


@on_its_device
def reshape(library, x, shape):
    """``x.reshape(shape)``: a view of a C-contiguous ``x``, else a view of a contiguous device
    copy (NumPy's own copy would land outside the simulator's device memory)."""
    try:
        return _contiguous(library, x).reshape(shape)
    except ValueError:
        raise ShapeError(f"reshape: cannot reshape an array of shape {tuple(x.shape)} to {shape}") from None


@on_its_device
def concatenate(library, arrays, axis, dtype):
    """``np.concatenate(arrays, axis, dtype=dtype)``: each array copied into its slice of one
    fresh device array; arrays that differ off the join axis raise ShapeError."""
    first = arrays[0]
    if any(a.ndim != first.ndim or a.shape[:axis] + a.shape[axis + 1:] != first.shape[:axis] + first.shape[axis + 1:]
           for a in arrays):
        raise ShapeError(f"concatenate: cannot join arrays of shapes {', '.join(str(tuple(a.shape)) for a in arrays)} "
                         f"on axis {axis}")
    out = library.backend.allocate((*first.shape[:axis], sum(a.shape[axis] for a in arrays),
                                    *first.shape[axis + 1:]), dtype)
    start = 0
    for a in arrays:
        out[(slice(None),) * axis + (slice(start, start + a.shape[axis]),)] = a
        start += a.shape[axis]
    return out


@on_its_device
def alloc_diag(library, v, shape, offset, axis1, axis2):
    """``AllocDiag.perform`` on the device: zeros of ``shape`` with ``v``'s last axis written on
    the (offset, axis1, axis2) diagonal, its other axes on the remaining ones in order. The
    zeros are laid out with the two axes last, so the diagonal is a strided slice of their
    flattened product; the result is that array with the axes put back (copied only when they
    were not already last)."""
    rest = [a for a in range(len(shape)) if a not in (axis1, axis2)]
    rows, cols = shape[axis1], shape[axis2]
    r0, c0 = max(0, -offset), max(0, offset)
    n = max(0, min(rows - r0, cols - c0))
    moved_shape = tuple(shape[a] for a in rest) + (rows, cols)
    if tuple(v.shape) != moved_shape[:-2] + (n,):
        raise ShapeError(f"alloc_diag: a diagonal of shape {tuple(v.shape)} does not fit shape {tuple(shape)} "
                         f"(offset {offset}, axes {axis1} and {axis2})")
    moved = library.backend.allocate(moved_shape, v.dtype)
    moved.fill(0)
    if n:
        start = r0 * cols + c0
        flat = moved.reshape(moved_shape[:-2] + (rows * cols,))
        flat[..., start:start + (n - 1) * (cols + 1) + 1:cols + 1] = v
    order = rest + [axis1, axis2]
    return _contiguous(library, moved.transpose([order.index(a) for a in range(len(shape))]))


def _runs(library, counts, n, total, what):
    """The int64 device index repeating each of ``range(n)`` ``counts`` (host ints, one or n) times."""
    counts = np.broadcast_to(np.asarray(counts, np.int64), (n,))
    if counts.sum() != total or (counts < 0).any():
        raise ShapeError(f"{what}: counts {counts} do not add up to {total}")
    return library.backend.to_device(np.repeat(np.arange(n, dtype=np.int64), counts))


@on_its_device
def repeat(library, x, counts, axis):
    """``np.repeat(x, counts, axis)`` for host ``counts``: a gather of each entry along ``axis``."""
    counts = np.asarray(counts, np.int64)
    if counts.ndim and counts.size != x.shape[axis]:
        raise ShapeError(f"repeat: {counts.size} counts for axis {axis} of an array of shape {tuple(x.shape)}")
    total = int(counts.sum()) if counts.ndim else int(counts) * x.shape[axis]
    return gather(library, x, _runs(library, counts, x.shape[axis], total, "repeat"), axis, _unread_row(library))


@on_its_device
def repeat_sum(library, g, counts, n, axis):
    """``RepeatSum``: each run of ``counts`` entries of ``g`` along ``axis`` summed into one of
    ``n`` entries, by a scatter-add into zeros."""
    indices = _runs(library, counts, n, g.shape[axis], "repeat")
    out = library.backend.allocate((*g.shape[:axis], n, *g.shape[axis + 1:]), g.dtype)
    out.fill(0)
    return scatter_add(library, out, indices, g, axis, _unread_row(library))


@functools.cache
def _unread_row(library):
    """The error row of ``repeat`` and ``repeat_sum``, never read: their indices are in range by
    construction, so they need no sync."""
    return library.backend.allocate(ERROR_ROW, np.int64)


@on_its_device
def astype(library, x, dtype):
    """``x`` as a device array of ``dtype``: itself when it is one, else a fresh device array the
    values are cast into by an assignment (a kernel of the backend's, never a trip through the host)."""
    if x.dtype == dtype:
        return x
    out = library.backend.allocate(x.shape, dtype)
    out[...] = x
    return out


def _batched(library, x, batch):
    """``x`` of shape (..., r, c) as a C-contiguous array of ``batch`` (r, c) matrices and the stride
    between them: 0 when ``x`` holds one matrix for the whole batch; copied out in full only when
    it repeats along some batch axes but not all."""
    if int(np.prod(x.shape[:-2], dtype=np.int64)) == 1:
        return _contiguous(library, x), 0
    if tuple(x.shape[:-2]) != tuple(batch):
        full = library.backend.allocate((*batch, *x.shape[-2:]), x.dtype)
        full[...] = x
        x = full
    return _contiguous(library, x), x.shape[-2] * x.shape[-1]


@on_its_device
def int_matmul(library, a, b):
    """``np.matmul(a, b)`` of integer or bool device arrays of one dtype, of shapes (..., m, k) and
    (..., k, n) whose batch axes broadcast: kernels/int_matmul.cu, with NumPy's wraparound (and
    for bool its or of ands); an empty k gives zeros."""
    if a.dtype != b.dtype or a.dtype.kind not in "biu" or a.ndim < 2 or b.ndim < 2:
        raise KernelArgumentError(f"int_matmul: expected integer or bool arrays of one dtype with 2 or more "
                                  f"dimensions, got {a.dtype}{tuple(a.shape)} and {b.dtype}{tuple(b.shape)}")
    (m, k), n = a.shape[-2:], b.shape[-1]
    if b.shape[-2] != k:
        raise ShapeError(f"int_matmul: cannot multiply shapes {tuple(a.shape)} and {tuple(b.shape)}")
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ShapeError(f"int_matmul: batch axes of shapes {tuple(a.shape)} and {tuple(b.shape)} "
                         "do not broadcast") from None
    out = library.backend.allocate((*batch, m, n), a.dtype)
    nbatch = int(np.prod(batch, dtype=np.int64))
    if out.size:
        (a, a_stride), (b, b_stride) = _batched(library, a, batch), _batched(library, b, batch)
        grid = (-(-n // TILE), min(-(-m // TILE), MAX_GRID), min(nbatch, MAX_GRID))
        library.launch("int_matmul", grid, (TILE, TILE), (a, b, out, nbatch, m, k, n, a_stride, b_stride))
    return out


@on_its_device
def arange(library, start, stop, step, dtype):
    """``np.arange(start, stop, step, dtype=dtype)`` of host numbers on the device, as NumPy makes it:
    the length ceil((stop - start) / step) and the first two values, start and start + step cast
    to ``dtype``, on the host; ``kernels/arange.cu`` writes first + i * (second - first) in ``dtype``."""
    quotient = (stop - start) / step
    if not np.isfinite(quotient):
        raise ShapeError(f"arange: cannot compute the length of arange({start}, {stop}, {step})")
    length = max(0, int(np.ceil(quotient)))
    out = library.backend.allocate(length, dtype)
    if length:
        head = np.array([start, start + step][:length], dtype)
        library.launch("arange", _grid(length), BLOCK, (out, head[0], head[-1], length))
    return out
