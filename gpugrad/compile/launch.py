"""Thunks for nodes placed on a device: transfers, views, fused elementwise kernels,
reductions, softmax, dot, indexing and joins, one maker per op class (``_THUNKS``).

The linker asks here for every node whose ``tag["device"]`` is not the host. A
``Composite`` runs its generated kernel (codegen/elementwise.py): the output shape is
the broadcast of the inputs by their static types (an axis broadcasts only where its
static size is 1, as in ``Elemwise``), each input is read through its own strides
(0 on broadcast axes; a one-element host value is passed by value as a NumPy scalar,
``Composite.by_value``), and the outputs are fresh C-contiguous device arrays. Reductions
and softmax run the kernels of ``kernels/`` through ``backends/kernels.py`` (one
``KernelLibrary`` per backend); ``Dot`` (a library matmul, or ``kernels/int_matmul.cu`` for integers)
and ``ARange`` are in ``device_dot_arange.py``; the linear algebra ops (``placement.LINALG_OPS``) are
CuPy's cuSOLVER/cuBLAS routines (``cupy_linalg.py``); ``Alloc`` a copy kernel, ``Fill`` an assignment into a fresh
array, ``AllocDiag`` zeros and a strided write, ``Repeat``/``RepeatSum`` a gather/scatter-add.
``Diagonal``, ``Reshape``, ``Split`` and basic
``Subtensor`` are views made with the array's own methods (a 0-d result too, and a reshape
of a non-contiguous array from a device copy); advanced indexing, ``IncSubtensor`` and the categorical crossentropy's
``PickClass``/``PlaceClass`` are in ``device_indexing.py``, and ``Join`` copies into slices
of a fresh array. ``DimShuffle`` runs its ``perform``, which only makes a view (CuPy's
``reshape`` and ``transpose``).

Device arrays, backends and kernel libraries come from ``device_arrays.py``; every CuPy call
goes through the backend's array module (``be.xp``), the same code on ``cuda`` and ``cuda-sim``.
A failed device allocation in a thunk (CuPy's ``OutOfMemoryError``, the simulator's
``MemoryError``) is a ``DeviceMemoryError`` naming the node and the bytes asked for. With
``config.sync_launches`` (``GPUGRAD_SYNC_LAUNCHES=1``) every device node waits for its
kernels, so a kernel that faults is reported at its own node, not at a later read-back.
"""
import functools

import numpy as np

from ..backends import kernels
from ..codegen import elementwise as codegen
from ..config import config
from ..errors import DeviceMemoryError, ShapeError
from ..graph.basic import Constant
from ..ops.blas import AllocDiag, Diagonal, Dot
from ..ops.join import ARange, Join, Repeat, RepeatSum, Split
from ..ops.nnet import LogSoftmax, Softmax
from ..ops.reduce import Arg, Reduce
from ..ops.shape import Alloc, Fill, Reshape
from ..ops.transfer import Transfer
from ..ops.elemwise import Elemwise
from ..rewrites.fusion import Composite, composite_of
from ..scan.device import scan_thunk
from ..scan.op import Scan
from . import cupy_linalg, device_conv
from .device_arrays import requested_bytes, backend_for, library_for, on_host, resident
from .device_indexing import THUNKS as INDEXING_THUNKS
from .device_dot_arange import arange_thunk, dot_thunk

BLOCK = 256
BLOCKS_PER_MULTIPROCESSOR = 32  # a grid-stride loop's grid: enough to fill the device, no more


def _reporting_memory(node, thunk):
    """``thunk``, a failed device allocation in it (CuPy's ``OutOfMemoryError`` is a
    ``MemoryError``) raised as a ``DeviceMemoryError`` naming the node and the bytes asked for.
    Nothing is left half-written that a later call reads: every call refills the cells."""
    def run():
        try:
            thunk()
        except MemoryError as exc:
            nbytes = requested_bytes(exc)
            asked = "an allocation" if nbytes is None else f"an allocation of {nbytes:,} bytes"
            raise DeviceMemoryError(
                f"out of {node.tag['device']} memory: {asked} failed while computing {node.op} of inputs "
                f"({', '.join(map(str, node.inputs))}) ({exc})") from exc
    return run


@functools.lru_cache(maxsize=None)
def _kernel(device, source):
    return backend_for(device).load_module(source, name="a fused elementwise kernel").get_function(
        codegen.KERNEL_NAME)


def device_thunk(node, storage_in, storage_out):
    device = node.tag["device"]
    make = _THUNKS.get(type(node.op))
    if make is None:  # a view op: its perform only makes a view (CuPy's reshape and transpose)
        return node.op.make_thunk(node, storage_in, storage_out)
    thunk = _reporting_memory(node, make(device, node, storage_in, storage_out))
    return _synchronized(backend_for(device), thunk) if config.sync_launches else thunk


def _synchronized(be, thunk):
    """``thunk``, then a wait for its kernels: a fault is raised here, naming this node."""
    def run():
        thunk()
        be.synchronize()
    return run


def _transfer_thunk(device, node, storage_in, storage_out):
    """A copy, except for what already is on the device: a device array argument passes
    through, and a shared variable (``node.tag["shared"]``) gives its resident copy."""
    be = backend_for(device)
    (src,), (dst,) = storage_in, storage_out
    if node.op.to == "host":
        def thunk():
            value = src[0]
            dst[0] = be.to_host(value) if resident(device, value) else value
    elif "shared" in node.tag:
        shared = node.tag["shared"]

        def thunk():
            dst[0] = shared.on_device(device)
    elif isinstance(node.inputs[0], Constant):
        uploaded = be.to_device(np.asarray(node.inputs[0].data))

        def thunk():
            dst[0] = uploaded
    else:
        def thunk():
            value = src[0]
            dst[0] = value if resident(device, value) else be.to_device(value)
    return thunk


def _composite_thunk(device, node, storage_in, storage_out):
    """The generated kernel over the broadcast shape; an input at a ``by_value`` position
    (a one-element host array) goes to the kernel as a NumPy scalar of its dtype."""
    kernel, by_value = _kernel(device, node.op.source), node.op.by_value
    arrays = [k for k in range(len(node.inputs)) if k not in by_value]
    static = [node.inputs[k].type.shape for k in arrays]
    ndim, outs = node.outputs[0].ndim, [(o.dtype, o.type.shape) for o in node.outputs]
    geometries = {}

    def thunk():
        values = [c[0].flat[0] if k in by_value else c[0] for k, c in enumerate(storage_in)]
        shape = _broadcast(node.op, ndim, static, [values[k] for k in arrays])
        run, values = _lifted(device, shape, [s for _, s in outs], values)
        results = _launch_elementwise(device, kernel, run, values, static, [d for d, _ in outs], geometries)
        for cell, out, (_, out_static) in zip(storage_out, results, outs):
            cell[0] = _narrow(out, out_static, shape)
    return thunk


def _elemwise_thunk(device, node, storage_in, storage_out):
    """An elementwise node the fusion phase did not fuse (a mode excluding it): the kernel of
    a one-node ``Composite``, reading the node's inputs that are not literals of it."""
    composite, outer = composite_of([node], node.outputs)
    inner = composite.make_node(*outer)
    inner.tag.update(node.tag)
    return _composite_thunk(device, inner, [storage_in[node.inputs.index(v)] for v in outer], storage_out)


def _lifted(device, shape, out_statics, values):
    """The shape to launch over and the values to read: ``shape``, except that an empty axis
    some output is static 1 on (``x.sum(1, keepdims=True)`` fused with ``x[:, :0] / it``) is
    run at size 1, for that output still has values; the empty inputs are then read as one
    zero of stride 0 (they feed only outputs that are empty)."""
    run = tuple(1 if n == 0 and any(s[axis] == 1 for s in out_statics) else n for axis, n in enumerate(shape))
    if run == shape:
        return shape, values
    be = backend_for(device)
    lifted = []
    for v in values:
        if not isinstance(v, np.generic) and v.size == 0:
            zero = be.allocate((1,) * len(run), v.dtype)
            zero[...] = 0
            v = be.xp.broadcast_to(zero, run)
        lifted.append(v)
    return run, lifted


def _launch_elementwise(device, kernel, shape, values, static, out_dtypes, geometries):
    """Fresh C-contiguous outputs of ``shape``, filled by one launch of a codegen kernel
    over ``values``: arrays (of static shapes ``static``) and by-value NumPy scalars, in
    the kernel's order; ``geometries`` caches the geometry arrays already on the device."""
    be = backend_for(device)
    n = int(np.prod(shape, dtype=np.int64))
    results = [be.allocate(shape, dtype) for dtype in out_dtypes]
    if n:
        arrays = [v for v in values if not isinstance(v, np.generic)]
        key = (shape, *(v.strides for v in arrays))
        if key not in geometries:
            if len(geometries) > 64:
                geometries.clear()
            geometries[key] = be.to_device(_geometry(shape, static, arrays))
        grid = min(-(-n // BLOCK), BLOCKS_PER_MULTIPROCESSOR * be.multiprocessors)
        be.launch(kernel, grid, BLOCK, [*values, *results, geometries[key], np.int64(n)])
    return results


def _reduce_thunk(device, node, storage_in, storage_out):
    """Every ``Reduce`` kind and ``Arg`` through ``kernels.reduce_axes``: the reduced axes moved
    last (a view, copied only when not contiguous), then one block per row of ``kernels/``."""
    library, op = library_for(device), node.op
    (src,), (dst,) = storage_in, storage_out

    def thunk():
        dst[0] = kernels.reduce_axes(library, op.kind, src[0], op.axis, op.keepdims)
    return thunk


def _softmax_thunk(device, node, storage_in, storage_out):
    """Softmax and LogSoftmax forward: ``kernels/softmax.cu``, one block per row."""
    library, axis = library_for(device), node.op.axis
    run = kernels.log_softmax if isinstance(node.op, LogSoftmax) else kernels.softmax
    (src,), (dst,) = storage_in, storage_out

    def thunk():
        dst[0] = run(library, src[0], axis)
    return thunk


def _linalg_thunk(device, node, storage_in, storage_out):
    """A linear algebra op as a library call, as ``Dot``: the CuPy routine of ``cupy_linalg``
    (cuSOLVER/cuBLAS; on ``cuda-sim`` the simulated CuPy's, NumPy and SciPy underneath)."""
    be, op = backend_for(device), node.op
    dtypes_out = [o.dtype for o in node.outputs]

    def thunk():
        results = cupy_linalg.run(be, op, [c[0] for c in storage_in])
        for cell, result, dtype in zip(storage_out, results, dtypes_out):
            cell[0] = result.astype(dtype, copy=False)
    return thunk


def _alloc_thunk(device, node, storage_in, storage_out):
    """``Alloc``: the value broadcast to the sizes (host ints) as a view, then made a fresh
    C-contiguous array by the generated copy kernel; a one-element host value (placement's
    ``by_value``) is the kernel's scalar parameter instead."""
    be, dtype, ndim = backend_for(device), node.outputs[0].dtype, node.outputs[0].ndim
    by_value = 0 in node.tag.get("by_value", ())
    copy, geometries = _kernel(device, codegen.copy_source(dtype, by_value)), {}
    (value_cell, *size_cells), (dst,) = storage_in, storage_out

    def thunk():
        shape = tuple(int(c[0]) for c in size_cells)
        if by_value:
            args, static = [value_cell[0].flat[0]], []
        else:
            try:
                args, static = [be.xp.broadcast_to(value_cell[0], shape)], [(None,) * ndim]
            except ValueError:
                raise ShapeError(f"alloc: cannot broadcast a value of shape {value_cell[0].shape} "
                                 f"to {shape}") from None
        (dst[0],) = _launch_elementwise(device, copy, shape, args, static, [dtype], geometries)
    return thunk


def _fill_thunk(device, node, storage_in, storage_out):
    """``Fill``: a fresh device array of the model's shape (only its shape is read, wherever it
    is) and the output's dtype, the value broadcast and cast into it by an assignment."""
    be, dtype = backend_for(device), node.outputs[0].dtype
    (like_cell, value_cell), (dst,) = storage_in, storage_out

    def thunk():
        out, value = be.allocate(like_cell[0].shape, dtype), value_cell[0]
        try:
            out[...] = value
        except ValueError:
            raise ShapeError(f"fill: cannot broadcast a value of shape {value.shape} to {out.shape}") from None
        dst[0] = out
    return thunk


def _diagonal_thunk(device, node, storage_in, storage_out):
    """``Diagonal``: a view of the device array (``diagonal`` of NumPy and CuPy alike)."""
    op = node.op
    (src,), (dst,) = storage_in, storage_out

    def thunk():
        dst[0] = src[0].diagonal(op.offset, op.axis1, op.axis2)
    return thunk


def _alloc_diag_thunk(device, node, storage_in, storage_out):
    """``AllocDiag`` with host sizes: zeros and a strided write (``kernels.alloc_diag``)."""
    library, op = library_for(device), node.op
    (v_cell, *size_cells), (dst,) = storage_in, storage_out

    def thunk():
        shape = tuple(int(c[0]) for c in size_cells)
        dst[0] = kernels.alloc_diag(library, v_cell[0], shape, op.offset, op.axis1, op.axis2)
    return thunk


def _repeat_thunk(device, node, storage_in, storage_out):
    """``Repeat`` with the counts on the host: a gather (``kernels.repeat``)."""
    library, axis = library_for(device), node.op.axis
    (x_cell, counts_cell), (dst,) = storage_in, storage_out

    def thunk():
        dst[0] = kernels.repeat(library, x_cell[0], on_host(device, counts_cell[0]), axis)
    return thunk


def _repeat_sum_thunk(device, node, storage_in, storage_out):
    """``RepeatSum`` with the counts and size on the host: a scatter-add (``kernels.repeat_sum``)."""
    library, axis = library_for(device), node.op.axis
    (g_cell, counts_cell, n_cell), (dst,) = storage_in, storage_out

    def thunk():
        dst[0] = kernels.repeat_sum(library, g_cell[0], on_host(device, counts_cell[0]), int(n_cell[0]), axis)
    return thunk


def _reshape_thunk(device, node, storage_in, storage_out):
    """``Reshape`` with host sizes: a view of the device array (of a contiguous copy if need be)."""
    library = library_for(device)
    (x_cell, *size_cells), (dst,) = storage_in, storage_out

    def thunk():
        dst[0] = kernels.reshape(library, x_cell[0], tuple(int(c[0]) for c in size_cells))
    return thunk


def _join_thunk(device, node, storage_in, storage_out):
    """``Join``: every input copied into its slice of one fresh device array."""
    library, axis, dtype = library_for(device), node.op.axis, node.outputs[0].dtype
    (dst,) = storage_out

    def thunk():
        dst[0] = kernels.concatenate(library, [c[0] for c in storage_in], axis, dtype)
    return thunk


def _split_thunk(device, node, storage_in, storage_out):
    """``Split`` with host sizes: views of consecutive slices of the device array."""
    axis = node.op.axis
    (x_cell, *size_cells) = storage_in

    def thunk():
        x, sizes = x_cell[0], [int(c[0]) for c in size_cells]
        if sum(sizes) != x.shape[axis] or min(sizes) < 0:
            raise ShapeError(f"split: sizes {sizes} do not cut axis {axis} of an array of shape {x.shape}")
        start = 0
        for cell, size in zip(storage_out, sizes):
            cell[0] = x[(slice(None),) * axis + (slice(start, start + size),)]
            start += size
    return thunk


def _broadcast(what, ndim, static, values):
    """The output shape; a size-1 axis not declared broadcastable that meets a larger one
    is an error, as in ``Elemwise``."""
    shape = []
    for axis in range(ndim):
        sizes = {v.shape[axis] for v, s in zip(values, static) if s[axis] != 1}
        if len(sizes) > 1:
            raise ShapeError(f"{what}: inputs of shapes {', '.join(str(v.shape) for v in values)} do not "
                             f"broadcast on axis {axis} (sizes {sorted(sizes)}; an axis broadcasts only where "
                             f"its static size is 1)")
        shape.append(sizes.pop() if sizes else 1)
    return tuple(shape)


def _geometry(shape, static, values):
    """Each input's strides in elements (0 on its broadcast axes), merged by ``codegen.geometry``."""
    return codegen.geometry(shape, [[0 if s[d] == 1 else v.strides[d] // v.itemsize for d in range(len(shape))]
                                    for v, s in zip(values, static)])


def _narrow(out, out_static, shape):
    """An output that does not vary along an axis the others broadcast over keeps size 1 there,
    the others the broadcast ``shape`` (0 on an axis ``_lifted`` ran at size 1)."""
    want = tuple(1 if s == 1 else n for s, n in zip(out_static, shape))
    return out if tuple(out.shape) == want else out[tuple(slice(0, n) for n in want)]


_THUNKS = {Transfer: _transfer_thunk, Composite: _composite_thunk, Elemwise: _elemwise_thunk, Reduce: _reduce_thunk, Arg: _reduce_thunk,
           Softmax: _softmax_thunk, LogSoftmax: _softmax_thunk, Dot: dot_thunk, Alloc: _alloc_thunk,
           Reshape: _reshape_thunk, Join: _join_thunk, Split: _split_thunk, Fill: _fill_thunk,
           Diagonal: _diagonal_thunk, AllocDiag: _alloc_diag_thunk, Repeat: _repeat_thunk,
           RepeatSum: _repeat_sum_thunk, ARange: arange_thunk, Scan: scan_thunk, **INDEXING_THUNKS, **device_conv.THUNKS,
           **{op: _linalg_thunk for op in cupy_linalg.ROUTINES}}
