"""The launch of a row program (codegen/reduction.py): the full shape from the inputs, the
geometry, and how the threads share the rows.

``reduction_thunk`` is the device thunk of a ``FusedReduction`` (ops/fused.py). Each array
input is read through its strides over the full shape (0 where it broadcasts, and along
the reduced axes for a row value); full outputs are C-contiguous arrays of the full shape,
row outputs C-contiguous arrays of their own shape (the reduced axes kept as 1 or dropped).
The threads of a row (``group``, ``stride`` apart) are chosen per launch from the layout:
where the kept axes are the contiguous ones (a column sum) a block holds a warp's width of
neighbouring rows, each with the block's other warps as its lanes; else enough of a warp to
cover a short row, or the whole block for a long one. A single-pass
program over few long rows is launched twice (``mode`` 1: pieces of each row, then 2: the
pieces combined and the epilogue), as ``kernels.reduce_axes`` splits long rows.
"""
import math

import numpy as np

from ..backends.kernels import MIN_CHUNK, SHORT_ROW, TARGET_BLOCKS
from ..codegen import reduction as codegen
from ..errors import ShapeError
from .device_arrays import backend_for, library_for
from .elementwise import BLOCKS_PER_MULTIPROCESSOR, compiled

WARP = 32
BLOCK = 256


def reduction_thunk(device, node, storage_in, storage_out):
    """The thunk of a ``FusedReduction`` node on ``device``."""
    plan = node.op.plan
    kernel = compiled(device, node.op.source, codegen.KERNEL_NAME, library_for(device).options)
    launcher = _Launcher(device, kernel, plan)

    def thunk():
        values = [c[0].flat[0] if k in plan.by_value else c[0] for k, c in enumerate(storage_in)]
        for cell, out in zip(storage_out, launcher(values)):
            cell[0] = out
    return thunk


def _power_of_two(n):
    """The least power of two at least ``n`` (1 for 0)."""
    return 1 << max(0, n - 1).bit_length()


class RowShapes:
    """The shapes and strides of a row program's call, on a device or on the host
    (runtime/host_reduction.py): ``arrays`` the array inputs' positions, ``kept`` the kept axes."""

    def __init__(self, plan):
        self.plan = plan
        self.arrays = [k for k in range(len(plan.inputs)) if k not in plan.by_value]
        self.kept = [a for a in range(plan.rank) if a not in plan.axes]

    def full_shape(self, arrays):
        """The full shape the array inputs broadcast to (an axis broadcasts only where its
        static size is 1); a row value's axes are the kept ones."""
        plan, sizes = self.plan, [set() for _ in range(self.plan.rank)]
        for k, value in zip(self.arrays, arrays):
            static = plan.inputs[k].type.shape
            axes = range(plan.rank) if len(static) == plan.rank else self.kept
            for a, s, n in zip(axes, static, value.shape):
                if s != 1:
                    sizes[a].add(n)
        for a, found in enumerate(sizes):
            if len(found) > 1:
                raise ShapeError(f"fused reduction: inputs of shapes {', '.join(str(v.shape) for v in arrays)} "
                                 f"do not broadcast on axis {a} (sizes {sorted(found)})")
        return tuple(found.pop() if found else 1 for found in sizes)

    def out_shape(self, out, shape):
        if self.plan.full[out]:
            return shape
        if out.ndim == self.plan.rank:
            return tuple(1 if a in self.plan.axes else n for a, n in enumerate(shape))
        return tuple(shape[a] for a in self.kept)

    def strides(self, var, value):
        """``value``'s strides in elements over the kept axes then the reduced ones."""
        static, own = var.type.shape, [s // value.itemsize for s in value.strides]
        if len(static) == self.plan.rank:
            per_axis = [0 if s == 1 else st for s, st in zip(static, own)]
        else:
            per_axis = [0] * self.plan.rank
            for a, s, st in zip(self.kept, static, own):
                per_axis[a] = 0 if s == 1 else st
        return [per_axis[a] for a in self.kept] + [per_axis[a] for a in self.plan.axes]

    def column_major(self, strides, kept=None):
        """Whether the first full array input steps over its kept axes more finely than over
        its reduced ones (a sum over axis 0 of a C-contiguous matrix); ``kept`` is how many
        of the strides are the kept axes'."""
        full = [row for k, row in zip(self.arrays, strides) if self.plan.full[self.plan.inputs[k]]]
        n = len(self.kept) if kept is None else kept
        if not full or not n:
            return False
        kept, reduced = [abs(s) for s in full[0][:n] if s], [abs(s) for s in full[0][n:] if s]
        return bool(kept and reduced) and min(kept) < min(reduced)


class _Launcher(RowShapes):
    """Shapes, strides and launch configuration of one node's kernel."""

    def __init__(self, device, kernel, plan):
        super().__init__(plan)
        self.be, self.kernel = backend_for(device), kernel
        self.geometries, self.unused = {}, {}

    def __call__(self, values):
        plan, be = self.plan, self.be
        arrays = [values[k] for k in self.arrays]
        shape = self.full_shape(arrays)
        rows = math.prod(shape[a] for a in self.kept)
        cols = math.prod(shape[a] for a in plan.axes)
        if cols == 0 and rows and any(s.kind in ("max", "min") for s in plan.reductions()):
            kind = next(s.kind for s in plan.reductions() if s.kind in ("max", "min"))
            raise ShapeError(f"{kind}: cannot reduce an array of shape {shape} over the empty axes {plan.axes}")
        results = [be.allocate(self.out_shape(o, shape), o.dtype) for o in plan.outputs]
        if rows == 0:
            return results
        strides = [self.strides(v, a) for v, a in zip((plan.inputs[k] for k in self.arrays), arrays)]
        strides += [self.strides(o, r) for o, r in zip(plan.outputs, results)]
        geometry = self._geometry(shape, strides)
        column = self.column_major(strides)
        pieces, chunk = self._pieces(rows, cols)
        if pieces == 1:
            self._launch(values, results, self._unused_parts(), geometry, rows, cols, column, cols, 1, cols, 0)
            return results
        parts = [be.allocate(rows * pieces, s.node.outputs[0].dtype) for s in plan.reductions()]
        self._launch(values, results, parts, geometry, rows, cols, column, chunk, pieces, chunk, 1)
        self._launch(values, results, parts, geometry, rows, cols, False, pieces, pieces, chunk, 2)
        return results

    def _launch(self, values, results, parts, geometry, rows, cols, column, walk, pieces, chunk, mode):
        """One launch; ``walk`` is how many columns (or pieces) a row's group covers."""
        units = rows * pieces if mode == 1 else rows
        if column:  # a warp's width of neighbouring rows per block, the rest of the block their lanes
            stride = min(WARP, _power_of_two(units))
            group = BLOCK // stride
        else:
            stride, group = 1, BLOCK if walk > SHORT_ROW else min(WARP, _power_of_two(walk))
        grid = min(-(-units // (BLOCK // group)), BLOCKS_PER_MULTIPROCESSOR * self.be.multiprocessors)
        scalars = (rows, cols, group, stride, pieces, chunk, mode)
        self.be.launch(self.kernel, grid, BLOCK, [*values, *results, *parts, geometry, *map(np.int64, scalars)],
                       shared_mem=BLOCK * codegen.WIDEST)

    def _geometry(self, shape, strides):
        key = (shape, *map(tuple, strides))
        if key not in self.geometries:
            if len(self.geometries) > 64:
                self.geometries.clear()
            sizes = [shape[a] for a in self.kept] + [shape[a] for a in self.plan.axes]
            host = np.array([len(self.kept), len(self.plan.axes), *sizes, *(s for row in strides for s in row)],
                            np.int64)
            self.geometries[key] = self.be.to_device(host)
        return self.geometries[key]

    def _pieces(self, rows, cols):
        """``(pieces, chunk)``: a single-pass program with fewer rows than fill the device and
        long rows splits each into pieces of at least MIN_CHUNK columns."""
        if not self.plan.single_pass or rows >= TARGET_BLOCKS or cols < 2 * MIN_CHUNK:
            return 1, cols
        pieces = min(-(-TARGET_BLOCKS // rows), cols // MIN_CHUNK)
        chunk = -(-cols // pieces)
        return -(-cols // chunk), chunk

    def _unused_parts(self):
        """Stand-ins for the partials, which a launch of mode 0 never touches."""
        dtypes = [s.node.outputs[0].dtype for s in self.plan.reductions()]
        for dtype in dtypes:
            if dtype not in self.unused:
                self.unused[dtype] = self.be.allocate(1, dtype)
        return [self.unused[dtype] for dtype in dtypes]
