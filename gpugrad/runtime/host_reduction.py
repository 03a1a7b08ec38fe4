"""Fused reductions on the CPU: a ``FusedReduction``'s generated C++ (codegen/host_reduction.py),
compiled in the background once the node has done enough work, NumPy until then.

The thunk's life is a Composite's (runtime/host_elementwise.py, whose ``_Kernel`` state and
warnings it shares): the inner nodes' own NumPy thunks until the node has computed
``config.cpu_compile_after`` elements, then the kernel once the background compiler has it.
A call fills C-contiguous outputs (the full shape, or each row output's own; fresh or
recycled as a Composite's, ``_kept_buffers``/``_recycled_buffers``), merges the
kept axes and the reduced axes each where every operand allows (``merge_axes``: a
C-contiguous matrix is one kept and one reduced axis), picks the layout (tiles of rows where the
kept axis is the contiguous one, per the first full input's strides, or the rows are
shorter than ``SHORT``, which vectorizes across the tile's rows; else a row at a time) and
splits the rows over ``config.cpu_threads`` threads when there is enough work. Empty inputs
(max/min over an empty axis raise NumPy's ShapeError there), misaligned strides, inputs
that do not broadcast (NumPy's error) and a compile that failed (one warning) run NumPy.
"""
import ctypes
import math

import numpy as np

from ..codegen import host_reduction as codegen
from ..codegen.elementwise import merge_axes
from ..errors import ShapeError
from .host_elementwise import (CHUNK, _kept_buffers, _pool, _recycled_buffers, arrays_of, numpy_thunk, shared_kernel,
                               threads)
from .reduction import RowShapes

SHORT = 64  # columns below which rows run as tiles too: a row's loop is too short to vectorize


def reduction_host_thunk(op, node, storage_in, storage_out):
    """The thunk of CPU ``FusedReduction`` ``node``: its kernel once built, NumPy until then."""
    plan = op.plan
    kernel = shared_kernel(op, codegen.render(plan), codegen.KERNEL_NAME)
    numpy = numpy_thunk(op, storage_in, storage_out)
    shapes = RowShapes(plan)
    dtypes = [np.dtype(v.dtype) for v in node.inputs]
    reuse = _kept_buffers if node.tag.get("reuse") else _recycled_buffers
    buffers = [reuse([np.dtype(o.dtype)]) for o in node.outputs]  # one each: the outputs' shapes differ
    pointers = ctypes.c_void_p * (len(node.inputs) + len(node.outputs))
    geometries = {}

    def thunk():
        fn = kernel.fn or kernel.ready([c[0] for c in storage_in])
        if fn is None:
            return numpy()
        values = arrays_of(storage_in, dtypes)
        try:
            shape = shapes.full_shape(values)
        except ShapeError:
            return numpy()  # NumPy's own error
        rows = math.prod(shape[a] for a in shapes.kept)
        cols = math.prod(shape[a] for a in plan.axes)
        if not rows or not cols or any(s % v.itemsize for v in values for s in v.strides):
            return numpy()
        results = [buffer(shapes.out_shape(o, shape))[0] for o, buffer in zip(plan.outputs, buffers)]
        key = (shape, *(v.strides for v in values))
        geometry = geometries.get(key)
        if geometry is None:
            geometry = _geometry(shapes, shape, values, results)
            if len(geometries) > 64:
                geometries.clear()
            geometries[key] = geometry
        args = pointers(*(a.ctypes.data for a in values), *(r.ctypes.data for r in results))
        run_rows(fn, args, geometry, rows, cols)
        for cell, out in zip(storage_out, results):
            cell[0] = out
    return thunk


def _geometry(shapes, shape, values, results):
    """The kernel's table (codegen/host_reduction.py): the kept and the reduced axes each
    merged, the layout, each operand's strides."""
    plan = shapes.plan
    strides = [shapes.strides(v, a) for v, a in zip(plan.inputs, values)]
    strides += [shapes.strides(o, r) for o, r in zip(plan.outputs, results)]
    n = len(shapes.kept)
    kept, kept_steps = merge_axes([shape[a] for a in shapes.kept], [row[:n] for row in strides])
    reduced, reduced_steps = merge_axes([shape[a] for a in plan.axes], [row[n:] for row in strides])
    merged = [k + r for k, r in zip(kept_steps, reduced_steps)]
    column = kept[-1] > 1 and (math.prod(reduced) < SHORT or shapes.column_major(
        [row[len(kept) - 1:] for row in merged], 1))
    return np.array([len(kept), len(reduced), codegen.TILE if column else 0, *kept, *reduced,
                     *(s for row in merged for s in row)], np.int64)


def run_rows(fn, args, geometry, rows, cols):
    """``fn`` over rows ``[0, rows)``: in this thread, or split over the pool and this thread
    where each part gets ``CHUNK`` elements of work at least."""
    table, count = geometry.ctypes.data, threads()
    parts = min(count, rows, rows * cols // CHUNK)
    if parts <= 1:
        fn(args, table, 0, rows)
        return
    step = -(-rows // parts)
    step = -(-step // codegen.TILE) * codegen.TILE if step > codegen.TILE else step
    bounds = [(b, min(b + step, rows)) for b in range(0, rows, step)]
    futures = [_pool(count).submit(fn, args, table, b, e) for b, e in bounds[1:]]
    fn(args, table, *bounds[0])
    for f in futures:
        f.result()
