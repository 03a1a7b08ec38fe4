"""Thunks for nodes placed on a device: transfers, views, fused elementwise kernels,
reductions, softmax, dot, indexing and joins, one maker per op class (``_THUNKS``).

The linker asks here for every node whose ``tag["device"]`` is not the host. A
``Composite`` runs its generated kernel (codegen/elementwise.py): the output shape is
the broadcast of the inputs by their static types (an axis broadcasts only where its
static size is 1, as in ``Elemwise``), each input is read through its own strides
(0 on broadcast axes), and the outputs are fresh C-contiguous device arrays. Reductions
and softmax run the kernels of ``kernels/`` through ``backends/kernels.py`` (one
``KernelLibrary`` per backend); ``Dot`` is a library matmul, the linear algebra ops
(``placement.LINALG_OPS``) library calls too (cuSOLVER/cuBLAS through CuPy on ``cuda``, the op's own
``perform`` on ``cuda-sim``); ``Alloc`` a copy kernel, ``Fill`` an assignment into a fresh
array, ``AllocDiag`` zeros and a strided write, ``Repeat``/``RepeatSum`` a gather/scatter-add.
``Diagonal``, ``Reshape``, ``Split`` and basic
``Subtensor`` are views made with the array's own methods (a 0-d result too, and a reshape
of a non-contiguous array from a device copy: NumPy's would land outside the simulator's
memory); an integer-array ``Subtensor`` is ``kernels.gather``, its ``IncSubtensor``
``kernels.scatter_add``, and ``Join`` copies into slices of a fresh array. ``DimShuffle``
runs its ``perform``, which only makes a view and works on device arrays of either backend.

A device array is a CuPy array on ``cuda`` and, on ``cuda-sim``, a NumPy array in the
simulator's guarded memory (``backends/cuda_sim/memory.py``). ``resident``, ``input_filter``,
``overlaps`` and ``device_copy`` let ``Function`` take such arrays as arguments and return
them as results without a trip through the host. A failed device allocation in a thunk (CuPy's
``OutOfMemoryError``, the simulator's ``MemoryError``) is a ``DeviceMemoryError`` naming the node
and the bytes asked for.
"""
import errno
import functools
import math
import re

import numpy as np

from ..backends import backend, kernels
from ..backends.cuda_sim import memory
from ..backends.load import KernelLibrary
from ..codegen import elementwise as codegen
from ..errors import DeviceMemoryError, InputError, ShapeError
from ..graph.basic import Constant
from ..ops.blas import AllocDiag, Diagonal, Dot
from ..ops.indexing import numpy_index, render_index
from ..ops.join import Join, Repeat, RepeatSum, Split
from ..ops.nnet import LogSoftmax, Softmax
from ..ops.reduce import Arg, Reduce
from ..ops.shape import Alloc, Fill, Reshape
from ..ops.subtensor import IncSubtensor, Subtensor
from ..ops.transfer import Transfer
from ..rewrites.fusion import Composite
from . import cupy_linalg
from .placement import gather_axis

BLOCK = 256
MAX_BLOCKS = {"cuda-sim": 8}  # few blocks on the simulator: every grid-stride loop really strides


@functools.cache
def backend_for(device):
    """One backend per device name for the whole process (modules compile once); its
    ``allocate`` records on a failure the bytes it was asked for (``_requested``)."""
    be = backend(device)
    allocate = be.allocate

    def recording_allocate(shape, dtype):
        nbytes = math.prod((shape,) if isinstance(shape, int) else shape) * np.dtype(dtype).itemsize
        try:
            return allocate(shape, dtype)
        except MemoryError as exc:
            exc.nbytes = nbytes
            raise
        except OSError as exc:  # the simulator's mapping of more than the host can map
            if exc.errno != errno.ENOMEM:
                raise
            failure = MemoryError(str(exc))
            failure.nbytes = nbytes
            raise failure from exc
    be.allocate = recording_allocate
    return be


def _requested(exc):
    """The bytes a failed allocation asked for: recorded by ``backend_for``'s allocate, or in
    the message of CuPy's ``OutOfMemoryError`` (an allocation inside a CuPy routine); None if unknown."""
    if hasattr(exc, "nbytes"):
        return exc.nbytes
    found = re.search(r"allocating ([\d,]+) bytes", str(exc))
    return int(found.group(1).replace(",", "")) if found else None


def _reporting_memory(node, thunk):
    """``thunk``, a failed device allocation in it (CuPy's ``OutOfMemoryError`` is a
    ``MemoryError``) raised as a ``DeviceMemoryError`` naming the node and the bytes asked for.
    Nothing is left half-written that a later call reads: every call refills the cells."""
    def run():
        try:
            thunk()
        except MemoryError as exc:
            nbytes = _requested(exc)
            asked = "an allocation" if nbytes is None else f"an allocation of {nbytes:,} bytes"
            raise DeviceMemoryError(
                f"out of {node.tag['device']} memory: {asked} failed while computing {node.op} of inputs "
                f"({', '.join(map(str, node.inputs))}) ({exc})") from exc
    return run


@functools.lru_cache(maxsize=None)
def _kernel(device, source):
    return backend_for(device).load_module(source, name="a fused elementwise kernel").get_function(
        codegen.KERNEL_NAME)


@functools.cache
def _library(device):
    return KernelLibrary(backend_for(device))


def resident(device, value):
    """Whether ``value`` already is an array in ``device``'s memory."""
    be = backend_for(device)
    if be.name == "cuda":
        return isinstance(value, be.cupy.ndarray)
    return type(value) is np.ndarray and memory.region_of(value) is not None


def input_filter(device, type_):
    """``type_.filter`` for the arguments of a function on ``device``: a device array is
    checked like a host one (same messages) and stays on the device; a CuPy array of
    another GPU is an InputError naming both devices."""
    be = backend_for(device)

    def filter_argument(value, what):
        if not resident(device, value):
            return type_.filter(value, what)
        if be.name == "cuda" and value.device.id != be.device.id:
            raise InputError(f"{what}: a CuPy array on cuda:{value.device.id}, but the function runs on "
                             f"{device} (cuda:{be.device.id}); copy it there first (cupy.asarray under "
                             f"cupy.cuda.Device({be.device.id}))")
        return checked_on_device(type_, value, what)
    return filter_argument


def checked_on_device(type_, value, what):
    """The checks of ``type_.filter`` run on host stand-ins (the extremes of integer values
    for a narrowing cast, a zero-strided view for the shape), then the cast on the device."""
    if value.dtype != type_.dtype:
        ends = [value.min().item(), value.max().item()] if value.size and value.dtype.kind in "biu" else []
        type_._convert(np.array(ends, value.dtype), what)
        value = value.astype(type_.dtype)
    type_.filter(np.broadcast_to(np.zeros((), type_.dtype), value.shape), what)
    return value


def overlaps(device, a, b):
    """Whether device arrays ``a`` and ``b`` may share memory (a view has no ``base`` to tell
    on the simulator: its arrays are views of their mappings)."""
    if type(a) is not type(b):
        return False
    be = backend_for(device)
    return bool((be.cupy if be.name == "cuda" else np).may_share_memory(a, b))


def device_copy(device, value):
    """A fresh device array equal to ``value``."""
    be = backend_for(device)
    return value.copy() if be.name == "cuda" else be.to_device(value)


def device_thunk(node, storage_in, storage_out):
    device = node.tag["device"]
    make = _THUNKS.get(type(node.op))
    if make is None:  # a view op: its perform only makes a view, on either backend's arrays
        return node.op.make_thunk(node, storage_in, storage_out)
    return _reporting_memory(node, make(device, node, storage_in, storage_out))


def _transfer_thunk(device, node, storage_in, storage_out):
    """A copy, except for what already is on the device: a device array argument passes
    through, and a shared variable (``node.tag["shared"]``) gives its resident copy."""
    be = backend_for(device)
    (src,), (dst,) = storage_in, storage_out
    if node.op.to == "host":
        def thunk():
            dst[0] = be.to_host(src[0])
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
    kernel = _kernel(device, node.op.source)
    static = [v.type.shape for v in node.inputs]
    outs = [(o.dtype, o.type.shape) for o in node.outputs]
    geometries = {}

    def thunk():
        values = [c[0] for c in storage_in]
        results = _launch_elementwise(device, kernel, values, static, [d for d, _ in outs], geometries, node.op)
        for cell, out, (_, out_static) in zip(storage_out, results, outs):
            cell[0] = _narrow(out, out_static)
    return thunk


def _launch_elementwise(device, kernel, values, static, out_dtypes, geometries, what):
    """Fresh C-contiguous outputs of the broadcast shape, filled by one launch of a
    codegen kernel; ``geometries`` caches the geometry arrays already on the device."""
    be = backend_for(device)
    shape = _broadcast(what, static, values)
    n = int(np.prod(shape, dtype=np.int64))
    results = [be.allocate(shape, dtype) for dtype in out_dtypes]
    if n:
        key = (shape, *(v.strides for v in values))
        if key not in geometries:
            if len(geometries) > 64:
                geometries.clear()
            geometries[key] = be.to_device(_geometry(shape, static, values))
        grid = min(-(-n // BLOCK), MAX_BLOCKS.get(device, 4096))
        be.launch(kernel, grid, BLOCK, [*values, *results, geometries[key], np.int64(len(shape)), np.int64(n)])
    return results


def _reduce_thunk(device, node, storage_in, storage_out):
    """Every ``Reduce`` kind and ``Arg`` through ``kernels.reduce_axes``: the reduced axes moved
    last (a view, copied only when not contiguous), then one block per row of ``kernels/``."""
    library, op = _library(device), node.op
    (src,), (dst,) = storage_in, storage_out

    def thunk():
        dst[0] = kernels.reduce_axes(library, op.kind, src[0], op.axis, op.keepdims)
    return thunk


def _softmax_thunk(device, node, storage_in, storage_out):
    """Softmax and LogSoftmax forward: ``kernels/softmax.cu``, one block per row."""
    library, axis = _library(device), node.op.axis
    run = kernels.log_softmax if isinstance(node.op, LogSoftmax) else kernels.softmax
    (src,), (dst,) = storage_in, storage_out

    def thunk():
        dst[0] = run(library, src[0], axis)
    return thunk


def _dot_thunk(device, node, storage_in, storage_out):
    """``Dot`` as one (batched) matmul of (batch, M, K) by (batch, K, N) views, as ``Dot.perform``:
    cuBLAS through ``cupy.matmul`` on ``cuda``; on ``cuda-sim`` NumPy's matmul over the
    simulator's host-resident device arrays (it emulates kernels; BLAS-class work is a library
    call on both), the result copied into the simulator's guarded memory."""
    be, op, dtype = backend_for(device), node.op, node.outputs[0].dtype
    matmul, finish = (be.cupy.matmul, None) if be.name == "cuda" else (np.matmul, be.to_device)
    nb, nk = op.nbatch, op.ncontract
    (a_cell, b_cell), (dst,) = storage_in, storage_out

    def thunk():
        a, b = a_cell[0], b_cell[0]
        if a.shape[a.ndim - nk:] != b.shape[nb:nb + nk]:
            raise ShapeError(f"dot: the contracted axes of shapes {a.shape} and {b.shape} differ")
        op._check_batch(node, a.shape, b.shape)
        rows, cols, k = a.shape[nb:a.ndim - nk], b.shape[nb + nk:], math.prod(b.shape[nb:nb + nk])
        out = matmul(a.reshape(a.shape[:nb] + (math.prod(rows), k)), b.reshape(b.shape[:nb] + (k, math.prod(cols))))
        out = out.reshape(out.shape[:nb] + rows + cols).astype(dtype, copy=False)
        dst[0] = finish(out) if finish else out
    return thunk


def _linalg_thunk(device, node, storage_in, storage_out):
    """A linear algebra op as a library call, as ``Dot``: on ``cuda`` the CuPy routine of
    ``cupy_linalg`` (cuSOLVER/cuBLAS); on ``cuda-sim`` the op's own ``perform`` (NumPy and
    SciPy over the simulator's host-resident device arrays, so the values and the errors are
    the host's), each result copied into the simulator's guarded memory."""
    be, op = backend_for(device), node.op
    dtypes_out = [o.dtype for o in node.outputs]
    if be.name == "cuda":
        def call(values):
            return cupy_linalg.run(be.cupy, op, values)
    else:
        def call(values):
            return [be.to_device(r) for r in op.perform(node, values)]

    def thunk():
        results = call([c[0] for c in storage_in])
        for cell, result, dtype in zip(storage_out, results, dtypes_out):
            cell[0] = result.astype(dtype, copy=False)
    return thunk


def _alloc_thunk(device, node, storage_in, storage_out):
    """``Alloc``: the value broadcast to the sizes (host ints) as a view, then made a fresh
    C-contiguous array by the generated copy kernel."""
    be, dtype, ndim = backend_for(device), node.outputs[0].dtype, node.outputs[0].ndim
    broadcast_to = be.cupy.broadcast_to if be.name == "cuda" else np.broadcast_to
    copy, geometries = _kernel(device, codegen.copy_source(dtype)), {}
    (value_cell, *size_cells), (dst,) = storage_in, storage_out

    def thunk():
        shape = tuple(int(c[0]) for c in size_cells)
        try:
            view = broadcast_to(value_cell[0], shape)
        except ValueError:
            raise ShapeError(f"alloc: cannot broadcast a value of shape {value_cell[0].shape} to {shape}") from None
        (dst[0],) = _launch_elementwise(device, copy, [view], [(None,) * ndim], [dtype], geometries, "alloc")
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
    library, op = _library(device), node.op
    (v_cell, *size_cells), (dst,) = storage_in, storage_out

    def thunk():
        shape = tuple(int(c[0]) for c in size_cells)
        dst[0] = kernels.alloc_diag(library, v_cell[0], shape, op.offset, op.axis1, op.axis2)
    return thunk


def _on_host(device, value):
    """Counts read on the host: a device result copied back, a host value as it is."""
    return backend_for(device).to_host(value) if resident(device, value) else value


def _repeat_thunk(device, node, storage_in, storage_out):
    """``Repeat`` with the counts on the host: a gather (``kernels.repeat``)."""
    library, axis = _library(device), node.op.axis
    (x_cell, counts_cell), (dst,) = storage_in, storage_out

    def thunk():
        dst[0] = kernels.repeat(library, x_cell[0], _on_host(device, counts_cell[0]), axis)
    return thunk


def _repeat_sum_thunk(device, node, storage_in, storage_out):
    """``RepeatSum`` with the counts and size on the host: a scatter-add (``kernels.repeat_sum``)."""
    library, axis = _library(device), node.op.axis
    (g_cell, counts_cell, n_cell), (dst,) = storage_in, storage_out

    def thunk():
        dst[0] = kernels.repeat_sum(library, g_cell[0], _on_host(device, counts_cell[0]), int(n_cell[0]), axis)
    return thunk


def _reshape_thunk(device, node, storage_in, storage_out):
    """``Reshape`` with host sizes: a view of the device array (of a contiguous copy if need be)."""
    library = _library(device)
    (x_cell, *size_cells), (dst,) = storage_in, storage_out

    def thunk():
        dst[0] = kernels.reshape(library, x_cell[0], tuple(int(c[0]) for c in size_cells))
    return thunk


def _subtensor_thunk(device, node, storage_in, storage_out):
    """``Subtensor``: a basic index (ints, slices, new axes; scalars read on the host) is a view
    of the device array, 0-d results included; one integer array on one axis is a gather."""
    library, op, axis = _library(device), node.op, gather_axis(node.op.idx_list)
    (x_cell, *index_cells), (dst,) = storage_in, storage_out
    if axis is not None:
        def thunk():
            indices = kernels.as_int64(library, index_cells[0][0])
            dst[0] = kernels.gather(library, x_cell[0], indices, axis)
        return thunk

    def thunk():
        x = x_cell[0]
        try:
            dst[0] = x[numpy_index(op.idx_list, [c[0] for c in index_cells]) + (Ellipsis,)]
        except IndexError as exc:
            raise ShapeError(f"subtensor [{render_index(op.idx_list)}] of an array of shape {x.shape}: {exc}") from None
    return thunk


def _inc_subtensor_thunk(device, node, storage_in, storage_out):
    """``IncSubtensor`` into a device copy of ``x``: through the view of a basic index (set or
    add), or ``kernels.scatter_add`` of the value broadcast to the region for an increment at
    one integer array on one axis. Broadcasting is checked as ``perform`` does, on stand-ins."""
    library, op, axis = _library(device), node.op, gather_axis(node.op.idx_list)
    be = library.backend
    broadcast_to = be.cupy.broadcast_to if be.name == "cuda" else np.broadcast_to
    (x_cell, v_cell, *index_cells), (dst,) = storage_in, storage_out

    def thunk():
        x, v, values = x_cell[0], v_cell[0], [c[0] for c in index_cells]
        stand_ins = [np.zeros(i.shape, np.int64) if getattr(i, "ndim", 0) else i for i in values]
        op._check_broadcast(node, x, v, stand_ins)
        out = device_copy(device, x)
        region = op._region(x, stand_ins)
        try:
            if axis is not None:
                dst[0] = kernels.scatter_add(library, out, kernels.as_int64(library, values[0]),
                                             broadcast_to(v, region), axis)
                return
            view = out[numpy_index(op.idx_list, values) + (Ellipsis,)]
            view[...] = v if op.set_instead_of_inc else view + v
        except IndexError as exc:
            raise ShapeError(f"{op.what} [{render_index(op.idx_list)}] of an array of shape {x.shape}: {exc}") from None
        except ValueError:
            raise ShapeError(f"{op.what}: cannot broadcast a value of shape {v.shape} to the region "
                             f"[{render_index(op.idx_list)}] of shape {region}") from None
        dst[0] = out
    return thunk


def _join_thunk(device, node, storage_in, storage_out):
    """``Join``: every input copied into its slice of one fresh device array."""
    library, axis, dtype = _library(device), node.op.axis, node.outputs[0].dtype
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


def _broadcast(what, static, values):
    """The output shape; a size-1 axis not declared broadcastable that meets a larger one
    is an error, as in ``Elemwise``."""
    shape = []
    for axis in range(len(static[0])):
        sizes = {v.shape[axis] for v, s in zip(values, static) if s[axis] != 1}
        if len(sizes) > 1:
            raise ShapeError(f"{what}: inputs of shapes {', '.join(str(v.shape) for v in values)} do not "
                             f"broadcast on axis {axis} (sizes {sorted(sizes)}; an axis broadcasts only where "
                             f"its static size is 1)")
        shape.append(sizes.pop() if sizes else 1)
    return tuple(shape)


def _geometry(shape, static, values):
    """Output shape, then each input's strides in elements (0 on its broadcast axes)."""
    rows = [list(shape)]
    for v, s in zip(values, static):
        rows.append([0 if s[d] == 1 else v.strides[d] // v.itemsize for d in range(len(shape))])
    return np.array(rows, dtype=np.int64).reshape(-1)


def _narrow(out, out_static):
    """An output that does not vary along an axis the others broadcast over keeps size 1 there."""
    if all(s != 1 or n == 1 for s, n in zip(out_static, out.shape)):
        return out
    return out[tuple(slice(0, 1) if s == 1 else slice(None) for s in out_static)]


_THUNKS = {Transfer: _transfer_thunk, Composite: _composite_thunk, Reduce: _reduce_thunk, Arg: _reduce_thunk,
           Softmax: _softmax_thunk, LogSoftmax: _softmax_thunk, Dot: _dot_thunk, Alloc: _alloc_thunk,
           Reshape: _reshape_thunk, Subtensor: _subtensor_thunk, IncSubtensor: _inc_subtensor_thunk,
           Join: _join_thunk, Split: _split_thunk, Fill: _fill_thunk, Diagonal: _diagonal_thunk,
           AllocDiag: _alloc_diag_thunk, Repeat: _repeat_thunk, RepeatSum: _repeat_sum_thunk,
           **{op: _linalg_thunk for op in cupy_linalg.ROUTINES}}
