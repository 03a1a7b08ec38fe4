"""Generated elementwise kernels on a device (codegen/elementwise.py): compiled once per
source, launched over a broadcast shape with each input read through its own strides.

``composite_thunk`` is the device thunk of a ``Composite`` (ops/elemwise.py): the output
shape is the broadcast of the inputs by their static types (an axis broadcasts only where
its static size is 1, as in ``Elemwise``), each input is read through its own strides (0 on
broadcast axes; a one-element host value is passed by value as a NumPy scalar,
``Composite.by_value``), and the outputs are fresh C-contiguous device arrays.
``launch_elementwise`` is the launch itself, which ``Alloc``'s copy kernel shares.
"""
import functools

import numpy as np

from ..codegen import elementwise as codegen, grouped
from ..errors import ShapeError
from .device_arrays import backend_for

BLOCK = 256
BLOCKS_PER_MULTIPROCESSOR = 32  # a grid-stride loop's grid: enough to fill the device, no more


@functools.lru_cache(maxsize=None)
def compiled(device, source, name=codegen.KERNEL_NAME, options=()):
    """The kernel ``name`` of a generated ``source`` on ``device``, compiled once per process."""
    return backend_for(device).load_module(source, options, name=f"a generated kernel ({name})").get_function(name)


def composite_thunk(device, node, storage_in, storage_out):
    """The generated kernel over the broadcast shape; an input at a ``by_value`` position
    (a one-element host array) goes to the kernel as a NumPy scalar of its dtype."""
    kernel, by_value = compiled(device, node.op.source), node.op.by_value
    arrays = [k for k in range(len(node.inputs)) if k not in by_value]
    static = [node.inputs[k].type.shape for k in arrays]
    ndim, outs = node.outputs[0].ndim, [(o.dtype, o.type.shape) for o in node.outputs]
    geometries = {}

    def thunk():
        values = [c[0].flat[0] if k in by_value else c[0] for k, c in enumerate(storage_in)]
        shape = _broadcast(node.op, ndim, static, [values[k] for k in arrays])
        run, values = _lifted(device, shape, [s for _, s in outs], values)
        results = launch_elementwise(device, kernel, run, values, static, [d for d, _ in outs], geometries)
        for cell, out, (_, out_static) in zip(storage_out, results, outs):
            cell[0] = _narrow(out, out_static, shape)
    return thunk


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


def launch_elementwise(device, kernel, shape, values, static, out_dtypes, geometries):
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


def group_thunk(device, node, storage_in, storage_out):
    """One launch for every part of an ``ElementwiseGroup`` (codegen/grouped.py): each part's
    broadcast shape, its own C-contiguous outputs and its geometry table (merged axes)."""
    op, be = node.op, backend_for(device)
    kernel = compiled(device, op.source, grouped.KERNEL_NAME)
    parts = []
    for part, inner, inputs in zip(op.parts, op.part_nodes(node.inputs), op.inputs_of):
        arrays = [k for k in range(len(part.inputs)) if k not in part.by_value]
        parts.append((part, inner, arrays, [inner.inputs[k].type.shape for k in arrays], inputs))
    geometries = {}

    def thunk():
        args, results, tables = [], [], []
        for part, inner, arrays, static, inputs in parts:
            values = [c[0].flat[0] if k in part.by_value else c[0] for k, c in enumerate(storage_in[inputs])]
            shape = _broadcast(part, inner.outputs[0].ndim, static, [values[k] for k in arrays])
            made = [be.allocate(shape, o.dtype) for o in inner.outputs]
            strides = [[0 if s[d] == 1 else values[k].strides[d] // values[k].itemsize for d in range(len(shape))]
                       for k, s in zip(arrays, static)]
            merged, rows = codegen.merge_axes(shape, strides)
            tables.append((int(np.prod(shape, dtype=np.int64)), [len(merged), *merged, *(x for r in rows for x in r)]))
            args += values + made
            results += made
        total = sum(n for n, _ in tables)
        if total:
            key = tuple(tuple(t) for _, t in tables) + tuple(n for n, _ in tables)
            if key not in geometries:
                if len(geometries) > 64:
                    geometries.clear()
                geometries[key] = be.to_device(_group_geometry(tables))
            grid = min(-(-total // BLOCK), BLOCKS_PER_MULTIPROCESSOR * be.multiprocessors)
            be.launch(kernel, grid, BLOCK, [*args, geometries[key], np.int64(total)])
        for cell, out in zip(storage_out, results):
            cell[0] = out
    return thunk


def _group_geometry(tables):
    """``[each table's offset, each part's end, the tables]`` (codegen/grouped.py)."""
    count = len(tables)
    offsets, ends, flat = [], np.cumsum([n for n, _ in tables]).tolist(), []
    for _, table in tables:
        offsets.append(2 * count + len(flat))
        flat += table
    return np.array(offsets + ends + flat, dtype=np.int64)


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
