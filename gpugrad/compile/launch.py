"""Thunks for nodes placed on a device: transfers, views, fused elementwise kernels, sums.

The linker asks here for every node whose ``tag["device"]`` is not the host. A
``Composite`` runs its generated kernel (codegen/elementwise.py): the output shape is
the broadcast of the inputs by their static types (an axis broadcasts only where its
static size is 1, as in ``Elemwise``), each input is read through its own strides
(0 on broadcast axes), and the outputs are fresh C-contiguous device arrays. A ``sum``
runs ``kernels/sum_rows.cu``. View ops (``DimShuffle``) run their ``perform``, which
only makes a view and works on device arrays of either backend.
"""
import functools

import numpy as np

from ..backends import backend
from ..backends.load import KernelLibrary
from ..codegen import elementwise as codegen
from ..errors import ShapeError
from ..graph.basic import Constant
from ..ops.reduce import Reduce
from ..ops.transfer import Transfer
from ..rewrites.fusion import Composite

BLOCK = 256
SUM_BLOCK = 128
MAX_BLOCKS = {"cuda-sim": 8}  # few blocks on the simulator: every grid-stride loop really strides


@functools.cache
def backend_for(device):
    """One backend per device name for the whole process (modules compile once)."""
    return backend(device)


@functools.lru_cache(maxsize=None)
def _kernel(device, source):
    return backend_for(device).load_module(source, name="a fused elementwise kernel").get_function(
        codegen.KERNEL_NAME)


@functools.cache
def _library(device):
    return KernelLibrary(backend_for(device))


def device_thunk(node, storage_in, storage_out):
    device = node.tag["device"]
    if isinstance(node.op, Transfer):
        return _transfer_thunk(backend_for(device), node, storage_in, storage_out)
    if isinstance(node.op, Composite):
        return _composite_thunk(device, node, storage_in, storage_out)
    if isinstance(node.op, Reduce):
        return _sum_thunk(device, node, storage_in, storage_out)
    return node.op.make_thunk(node, storage_in, storage_out)


def _transfer_thunk(be, node, storage_in, storage_out):
    (src,), (dst,) = storage_in, storage_out
    if node.op.to == "host":
        def thunk():
            dst[0] = be.to_host(src[0])
    elif isinstance(node.inputs[0], Constant):
        resident = be.to_device(np.asarray(node.inputs[0].data))

        def thunk():
            dst[0] = resident
    else:
        def thunk():
            dst[0] = be.to_device(src[0])
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


def _sum_thunk(device, node, storage_in, storage_out):
    """``sum`` over any axes: the kept axes moved first (a view; a copy kernel makes it
    contiguous when it is not), then ``kernels/sum_rows.cu`` over (kept, reduced)."""
    be, library = backend_for(device), _library(device)
    (src,), (dst,) = storage_in, storage_out
    axes, ndim = node.op.axis, node.inputs[0].ndim
    kept = [a for a in range(ndim) if a not in axes]
    dtype = node.outputs[0].dtype
    copy, geometries = _kernel(device, codegen.copy_source(dtype)), {}

    def thunk():
        x = src[0]
        y = x.transpose(kept + list(axes))
        if not y.flags.c_contiguous:
            (y,) = _launch_elementwise(device, copy, [y], [(None,) * ndim], [dtype], geometries, "sum")
        rows = int(np.prod([x.shape[a] for a in kept], dtype=np.int64))
        cols = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
        out = be.allocate((rows,), dtype)
        if rows:
            library.launch("sum_rows", min(rows, MAX_BLOCKS.get(device, 4096)), SUM_BLOCK,
                           (y.reshape(rows, cols), out, rows, cols), shared_mem=SUM_BLOCK // 32 * out.itemsize)
        shape = [1 if a in axes else x.shape[a] for a in range(ndim)] if node.op.keepdims else \
            [x.shape[a] for a in kept]
        dst[0] = out.reshape(shape)
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
