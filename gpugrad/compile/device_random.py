"""The device thunk of ``PhiloxDraw`` (``launch._THUNKS``): ``kernels/philox.cu`` writes the draw
and the next state on the device, from a state that stays there (a shared variable's resident
copy, or a scan's state buffer), so drawing costs no transfer; the sizes are read on the host
(``placement.SIZE_INPUTS``)."""
import math

import numpy as np

from ..backends.kernels import BLOCK, MAX_GRID
from ..ops import philox
from ..ops.random import run_time_shape
from .device_arrays import backend_for, library_for

PER_BLOCK = {"float32": 4, "float64": 2}  # elements made of one Philox block of four words


def philox_thunk(device, node, storage_in, storage_out):
    be, library, op = backend_for(device), library_for(device), node.op
    defines = (("GG_NORMAL", str(int(op.distribution == "normal"))),)
    (state_cell, *size_cells), (next_cell, out_cell) = storage_in, storage_out

    def thunk():
        shape = run_time_shape(op, [c[0] for c in size_cells])
        n = math.prod(shape)
        state, out = state_cell[0], be.allocate(shape, op.dtype)
        following = be.allocate(philox.STATE_WORDS, np.uint32)
        grid = max(1, min(-(-n // (PER_BLOCK[op.dtype] * BLOCK)), MAX_GRID))
        library.launch("philox", grid, BLOCK, (state, following, out, n), defines=defines)
        next_cell[0], out_cell[0] = following, out
    return thunk
