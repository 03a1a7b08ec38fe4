"""The error board: where a compiled program's device kernels flag bad indices, read back once
per call instead of once per launch (a read-back waits for the device: one per gather would
serialize the stream).

Every kernel that checks indices (``gather.cu``, ``scatter_add_axis.cu``, ``gather_nd.cu``,
``scatter_nd.cu``) takes a row of ``ERROR_ROW`` int64s, ``[flag, index, array, size]``: the first
thread to find an index outside its axis claims the row (a compare-and-swap on the flag) and
records the index, which of the index arrays held it and the size of its axis. A program gets
one (rows, ``ERROR_ROW``) device array per device with a row per checking node, which its thunks ask
for while the linker makes them (``row``), so the kernels keep one signature and the launchers
of ``backends/`` stay usable on their own (with no row they check at once). The board is
zeroed before a call that follows a flagged or interrupted one (a device fill, no wait) and
read back once at its end; the first flagged row in node order is the error, named as its
thunk would have named it and explained as the linker explains a failing node.

A scan body's program is linked while its loop's node is, so its rows join the board of the
program around it: a step costs no read-back, and a bad index in any step fails the call.
"""
import contextlib
import contextvars

import numpy as np

from ..backends.kernels import ERROR_ROW
from .device_arrays import backend_for

_LINKING = contextvars.ContextVar("gpugrad_error_board", default=None)


class Row:
    """One checking node's row. ``watch(explain)`` gives the kernel its device row and records
    how to turn a flag into an exception: ``explain(index, array, size)``."""
    __slots__ = ("device", "frames", "position", "array", "explain")

    def __init__(self, device, frames, position):
        self.device, self.frames, self.position = device, frames, position
        self.array = self.explain = None

    def watch(self, explain):
        self.explain = explain
        return self.array


class _Unwatched:
    """The row of a thunk made outside a linker: no row, so the launchers check at once."""

    @staticmethod
    def watch(explain):
        return None


class ErrorBoard:
    """The rows of one program (and the scan bodies linked inside it), per device."""

    def __init__(self):
        self.rows, self._frames, self._arrays, self._counts, self._dirty = [], [], {}, {}, True

    def row(self, device):
        position = self._counts[device] = self._counts.get(device, -1) + 1
        row = Row(device, tuple(tuple(frame) for frame in reversed(self._frames)), position)
        self.rows.append(row)
        return row

    def at(self, i, node):
        """The node the thunks made from now on belong to (``i`` in its program)."""
        self._frames[-1][:2] = i, node

    def _allocate(self):
        for device, last in self._counts.items():
            self._arrays[device] = backend_for(device).allocate((last + 1, ERROR_ROW), np.int64)
        for r in self.rows:
            r.array = self._arrays[r.device][r.position]

    def clear(self):
        """Zero the rows when a kernel may have flagged one since they were last read clean."""
        if self._dirty:
            for array in self._arrays.values():
                array.fill(0)
        self._dirty = True

    def first_error(self, explain):
        """The exception of the first flagged row in node order, explained node by node out to
        this program's by ``explain(node, i, exc, cells)`` (the linker's), in the one read-back
        of a call; None when every row is clean."""
        found = {device: backend_for(device).to_host(array) for device, array in self._arrays.items()}
        if not any(values[:, 0].any() for values in found.values()):
            self._dirty = False
            return None
        r = next(r for r in self.rows if found[r.device][r.position, 0])
        exc = r.explain(*(int(v) for v in found[r.device][r.position, 1:]))
        for i, node, cells in r.frames:
            exc = explain(node, i, exc, cells)
        return exc


def row(device):
    """A row of the board of the program being linked, for a thunk on ``device``."""
    board = _LINKING.get()
    return _Unwatched if board is None else board.row(device)


@contextlib.contextmanager
def linking(cells):
    """The board the thunks of a program (whose storage is ``cells``) get rows of while it is
    linked: the enclosing program's when a loop body is linked inside it, else a fresh one,
    allocated on leaving. Yields ``(board, owned)``."""
    board = _LINKING.get()
    owned = board is None
    if owned:
        board = ErrorBoard()
        token = _LINKING.set(board)
    board._frames.append([0, None, cells])
    try:
        yield board, owned
    finally:
        board._frames.pop()
        if owned:
            _LINKING.reset(token)
    if owned:
        board._allocate()
