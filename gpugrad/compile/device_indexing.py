"""Device thunks of indexing: ``Subtensor``, ``IncSubtensor`` and the categorical
crossentropy's ``PickClass``/``PlaceClass``, every form of index and every dtype the kernels
instantiate.

A basic index (ints, slices, new axes; its scalars read on the host) is a view of the device
array, and a set or add through it an assignment into that view of a device copy. One integer
array on one axis keeps its own kernels (``kernels.gather``, and ``kernels.scatter_add`` for an
add). Any other advanced index (several arrays, arrays with ints, slices and new axes,
boolean masks, sets at arrays) is
``backends/advanced_index.py``: the slices as a view, the index arrays broadcast into one
device matrix (a mask's Trues found by a kernel, whose count is read back), then one
``gather_nd`` or ``scatter_nd`` launch. A set at repeated indices keeps one of the values, which
one unspecified on a GPU (CuPy's rule; NumPy keeps the last). Bounds are checked in the kernels,
each flagging its row of the program's error board (``error_board.py``), read back once per call:
a ``ShapeError`` naming the axis (for a class index an ``InputError``), as on the host.
"""
import numpy as np

from ..backends import advanced_index, kernels
from ..errors import ShapeError
from ..ops.indexing import FULL, numpy_index, render_index
from ..ops.nnet import PickClass, PlaceClass
from ..ops.subtensor import IncSubtensor, Subtensor, check_value_broadcast
from . import error_board
from .device_arrays import device_copy, library_for


def _one_array_axis(node):
    """The axis of an index that is full slices then one integer array (``x[:, idx]``,
    ``take``): the form ``kernels.gather``/``scatter_add`` run; None for any other."""
    idx_list = node.op.idx_list
    if idx_list.count("a") != 1 or any(e not in (FULL, "a") for e in idx_list) or node.inputs[-1].dtype == "bool":
        return None
    return idx_list.index("a")


def subtensor_thunk(device, node, storage_in, storage_out):
    """``Subtensor``: a view for a basic index, ``kernels.gather`` for one integer array on one
    axis, ``gather_nd`` for any other advanced index."""
    library, op, axis = library_for(device), node.op, _one_array_axis(node)
    (x_cell, *index_cells), (dst,) = storage_in, storage_out
    what = f"subtensor [{render_index(op.idx_list)}]"
    if axis is not None:
        row, explain = error_board.row(device), _axis_error("gather", axis)

        def thunk():
            indices = kernels.astype(library, index_cells[0][0], np.int64)
            dst[0] = kernels.gather(library, x_cell[0], indices, axis, row.watch(explain))
    elif "a" in op.idx_list:
        row = error_board.row(device)

        def thunk():
            g = advanced_index.gathering(library, x_cell[0], op.idx_list, [c[0] for c in index_cells], what)
            dst[0] = advanced_index.gather_nd(library, g, row.watch(g.out_of_range))
    else:
        def thunk():
            x = x_cell[0]
            try:
                dst[0] = x[numpy_index(op.idx_list, [c[0] for c in index_cells]) + (Ellipsis,)]
            except IndexError as exc:
                raise ShapeError(f"{what} of an array of shape {x.shape}: {exc}") from None
    return thunk


def inc_subtensor_thunk(device, node, storage_in, storage_out):
    """``IncSubtensor`` into a device copy of ``x``: through the view of a basic index (set or
    add), ``kernels.scatter_add`` for an add at one integer array on one axis, ``scatter_nd``
    (set, or atomic add) for any other advanced index."""
    library, op = library_for(device), node.op
    axis = None if op.set_instead_of_inc else _one_array_axis(node)
    write = _basic_write if "a" not in op.idx_list else _scatter_add if axis is not None else _scatter_nd
    row = None if write is _basic_write else error_board.row(device)
    (x_cell, v_cell, *index_cells), (dst,) = storage_in, storage_out

    def thunk():
        x, v = x_cell[0], v_cell[0]
        out = device_copy(device, x)
        write(library, node, out, v, [c[0] for c in index_cells], axis, row)
        dst[0] = out
    return thunk


def _axis_error(what, axis):
    """How a flag of ``kernels.gather``/``scatter_add`` on ``axis`` reads: as their own check."""
    return lambda index, _, size: kernels.out_of_bounds(what, axis, index, size)


def _basic_write(library, node, out, v, values, axis, row):
    op = node.op
    op._check_broadcast(node, out, v, values)
    try:
        view = out[numpy_index(op.idx_list, values) + (Ellipsis,)]
        view[...] = v if op.set_instead_of_inc else view + v
    except IndexError as exc:
        raise ShapeError(f"{op.what} [{render_index(op.idx_list)}] of an array of shape {out.shape}: {exc}") from None
    except ValueError:
        raise ShapeError(f"{op.what}: cannot broadcast a value of shape {v.shape} to the region "
                         f"[{render_index(op.idx_list)}] of shape {op._region(out, values)}") from None


def _scatter_add(library, node, out, v, values, axis, row):
    indices = kernels.astype(library, values[0], np.int64)
    region = (*out.shape[:axis], *indices.shape, *out.shape[axis + 1:])
    check_value_broadcast(node, v, region)
    try:
        v = library.backend.xp.broadcast_to(v, region)
    except ValueError:
        raise ShapeError(f"{node.op.what}: cannot broadcast a value of shape {v.shape} to the region "
                         f"[{render_index(node.op.idx_list)}] of shape {region}") from None
    kernels.scatter_add(library, out, indices, v, axis, row.watch(_axis_error("scatter_add", axis)))


def _scatter_nd(library, node, out, v, values, axis, row):
    op = node.op
    g = advanced_index.gathering(library, out, op.idx_list, values, f"{op.what} [{render_index(op.idx_list)}]")
    check_value_broadcast(node, v, g.shape)
    advanced_index.scatter_nd(library, g, v, op.set_instead_of_inc, row.watch(g.out_of_range))


def pick_class_thunk(device, node, storage_in, storage_out):
    """``PickClass``, ``x[arange(n), idx]``: one ``gather_nd`` with the rows stepped by position;
    a class index outside [0, classes) is an InputError, as on the host."""
    library, row = library_for(device), error_board.row(device)
    (x_cell, idx_cell), (dst,) = storage_in, storage_out

    def thunk():
        g = advanced_index.class_gathering(library, x_cell[0], idx_cell[0])
        dst[0] = advanced_index.gather_nd(library, g, row.watch(g.out_of_range))
    return thunk


def place_class_thunk(device, node, storage_in, storage_out):
    """``PlaceClass``: zeros of the model's shape (only its shape is read) with ``v`` stored at
    ``[arange(n), idx]`` by one ``scatter_nd``."""
    library, dtype, row = library_for(device), node.outputs[0].dtype, error_board.row(device)
    (v_cell, idx_cell, like_cell), (dst,) = storage_in, storage_out

    def thunk():
        out = library.backend.allocate(like_cell[0].shape, dtype)
        out.fill(0)
        g = advanced_index.class_gathering(library, out, idx_cell[0])
        advanced_index.scatter_nd(library, g, v_cell[0], True, row.watch(g.out_of_range))
        dst[0] = out
    return thunk


THUNKS = {Subtensor: subtensor_thunk, IncSubtensor: inc_subtensor_thunk, PickClass: pick_class_thunk,
          PlaceClass: place_class_thunk}
