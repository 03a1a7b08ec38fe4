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
import functools
import math

import numpy as np

from ..backends.load import KERNELS_DIR
from ..codegen import host_reduction as codegen
from ..codegen.elementwise import merge_axes
from ..errors import ShapeError
from .host_elementwise import (_kept_buffers, _Layouts, _recycled_buffers, _Table, bind, kernel_call, numpy_thunk,
                               shared_kernel)
from .host_threads import GRAIN, split
from .reduction import RowShapes

SHORT = 64  # columns below which rows run as tiles too: a row's loop is too short to vectorize


def reduction_host_thunk(op, node, storage_in, storage_out):
    """The thunk of CPU ``FusedReduction`` ``node``: its kernel once built, NumPy until then."""
    kernel = shared_kernel(op, codegen.render(op.plan, _functors()), codegen.KERNEL_NAME)
    numpy = numpy_thunk(op, storage_in, storage_out)
    layouts = _RowLayouts(op, node)
    args = (ctypes.c_void_p * (len(node.inputs) + len(node.outputs)))()  # this thunk's own
    reuse = _kept_buffers if node.tag.get("reuse") else _recycled_buffers
    buffers = [reuse([np.dtype(o.dtype)]) for o in node.outputs]  # one each: the outputs' shapes differ

    def thunk():
        call = kernel_call(kernel, layouts, storage_in)
        if call is None:
            return numpy()
        fn, values, (shapes, rows, cols, table) = call
        results = [buffer(shape)[0] for buffer, shape in zip(buffers, shapes)]
        bind(args, values, results)
        run_rows(fn, args, table, rows, cols)
        for cell, out in zip(storage_out, results):
            cell[0] = out
    return thunk


@functools.cache
def _functors():
    """kernels/reduce_ops.cuh, the combining functors every device's reductions use."""
    return (KERNELS_DIR / "reduce_ops.cuh").read_text()


class _RowLayouts(_Layouts):
    """A call's layout (``_Layouts``, worked out once per layout): the outputs' shapes, the
    rows and columns, and the kernel's table."""

    def __init__(self, op, node):
        super().__init__(op, node)
        self.shapes = RowShapes(op.plan)

    def _work_out(self, values):
        plan, shapes = self.shapes.plan, self.shapes
        try:
            shape = shapes.full_shape(values)
        except ShapeError:
            return None  # NumPy's own error
        rows = math.prod(shape[a] for a in shapes.kept)
        cols = math.prod(shape[a] for a in plan.axes)
        if not rows or not cols or any(s % v.itemsize for v in values for s in v.strides):
            return None
        outs = [shapes.out_shape(o, shape) for o in plan.outputs]
        strides = [shapes.strides(v, a) for v, a in zip(plan.inputs, values)]
        strides += [shapes.strides(o, np.empty(out, d)) for o, out, (d, _) in zip(plan.outputs, outs, self.outs)]
        return outs, rows, cols, _Table(_geometry(shapes, shape, strides))


def _geometry(shapes, shape, strides):
    """The kernel's table (codegen/host_reduction.py): the kept and the reduced axes each
    merged, the layout, each operand's strides."""
    n = len(shapes.kept)
    kept, kept_steps = merge_axes([shape[a] for a in shapes.kept], [row[:n] for row in strides])
    reduced, reduced_steps = merge_axes([shape[a] for a in shapes.plan.axes], [row[n:] for row in strides])
    merged = [k + r for k, r in zip(kept_steps, reduced_steps)]
    column = kept[-1] > 1 and (math.prod(reduced) < SHORT or shapes.column_major(
        [row[len(kept) - 1:] for row in merged], 1))
    return np.array([len(kept), len(reduced), codegen.TILE if column else 0, *kept, *reduced,
                     *(s for row in merged for s in row)], np.int64)


def run_rows(fn, args, table, rows, cols):
    """``fn`` over rows ``[0, rows)``: in this thread, or in chunks of about ``GRAIN``
    elements of work over this thread and the pool (runtime/host_threads.py)."""
    if rows < 2 or rows * cols < 2 * GRAIN:
        fn(args, table, 0, rows)
        return
    split(lambda begin, end: fn(args, table, begin, end), rows, grain=max(1, GRAIN // cols), align=1)
