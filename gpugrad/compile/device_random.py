"""The device thunks of ``PhiloxDraw`` and ``PhiloxAdvance`` (``launch._THUNKS``): ``kernels/philox.cu``
writes the draw and ``kernels/philox_advance.cu`` the next state, from a state that stays on the
device (a shared variable's resident copy, or a scan's state buffer), so drawing costs no
transfer; the sizes are read on the host (``placement.SIZE_INPUTS``)."""
import math

import numpy as np

from ..backends.kernels import BLOCK, MAX_GRID
from ..ops import philox
from ..ops.random import run_time_shape
from .device_arrays import backend_for, library_for

PER_BLOCK = {"float32": 4, "float64": 2}  # elements made of one Philox block of four words


def draw_thunk(device, node, storage_in, storage_out):
    be, library, op = backend_for(device), library_for(device), node.op
    defines = (("GG_NORMAL", str(int(op.distribution == "normal"))),)
    (state_cell, *size_cells), (out_cell,) = storage_in, storage_out

    def thunk():
        shape = run_time_shape(op, [c[0] for c in size_cells])
        n, out = math.prod(shape), be.allocate(shape, op.dtype)
        if n:
            grid = min(-(-n // (PER_BLOCK[op.dtype] * BLOCK)), MAX_GRID)
            library.launch("philox", grid, BLOCK, (state_cell[0], out, n), defines=defines)
        out_cell[0] = out
    return thunk


def advance_thunk(device, node, storage_in, storage_out):
    be, library = backend_for(device), library_for(device)
    (state_cell,), (next_cell,) = storage_in, storage_out

    def thunk():
        following = be.allocate(philox.STATE_WORDS, np.uint32)
        library.launch("philox_advance", 1, 32, (state_cell[0], following))
        next_cell[0] = following
    return thunk
