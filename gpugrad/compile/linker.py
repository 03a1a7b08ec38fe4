"""The linker: a toposorted graph becomes a flat list of thunks reading and writing
preallocated one-element storage cells; a value's cell is emptied right after its
last reader runs, so intermediates are freed as early as possible. A program with device
nodes runs inside its device (``with backend.context():``), so every CuPy call of a call
lands on the function's GPU, whichever device is current in the caller's thread."""
import functools

import numpy as np

from ..errors import GpugradError, HostMemoryError, ShapeError
from ..graph.basic import Constant
from ..ops.transfer import Transfer
from ..runtime import error_board, lazy
from ..runtime.device_arrays import backend_for
from ..runtime.graphs import DeviceCalls, call_order
from ..runtime.thunks import device_thunk


class Program:
    """What a linked graph runs: ``input_cells`` to fill, ``run()``, ``output_cells`` to read."""

    def __init__(self, fgraph, cells=None, deferred=frozenset()):
        """``cells`` may preset storage for some inputs (a shared variable's container);
        ``deferred`` nodes are left out of ``run()``, their inputs kept, for the caller to
        compute after it (an update applied in place: compile/in_place.py)."""
        self.fgraph = fgraph
        cells = dict(cells or {})

        def cell(var):
            if var not in cells:
                cells[var] = [var.data] if isinstance(var, Constant) else [None]
            return cells[var]

        self.input_cells = [cell(v) for v in fgraph.inputs]
        order, paths = lazy.schedule(fgraph)  # toposort, each lazy branch's nodes before their node
        directions = {node: node.op.to for node in order if isinstance(node.op, Transfer)}
        if paths is None:
            order = call_order(order, set(fgraph.inputs), directions)
        keep = set(fgraph.inputs) | set(fgraph.outputs) | {v for node in deferred for v in node.inputs}
        order = [node for node in order if node not in deferred]
        last_use = {}
        for i, node in enumerate(order):
            for v in node.inputs:
                last_use[v] = i
        thunks, raw = [], []
        with error_board.linking(cells) as (board, owned):
            for i, node in enumerate(order):
                board.at(i, node)
                make = node.op.make_thunk if node.tag.get("device", "cpu") == "cpu" else device_thunk
                thunk = make(node, [cell(v) for v in node.inputs], [cell(v) for v in node.outputs])
                dead = [cells[v] for v in set(node.inputs)
                        if last_use.get(v) == i and v not in keep and not isinstance(v, Constant)]
                dead += [cells[o] for o in node.outputs if o not in last_use and o not in keep]
                thunks.append(_freeing(thunk, dead) if dead else thunk)
                raw.append(thunk)
        self.nodes, self.thunks, self.blocks = lazy.fold(order, paths, thunks, raw, cells)
        self.board = board if owned and board.rows else None
        self.output_cells = [cell(v) for v in fgraph.outputs]
        for node in deferred:
            for v in node.inputs:
                cell(v)
        self.cells = cells
        devices = {node.tag.get("device", "cpu") for node in order} - {"cpu"}
        device = devices.pop() if devices else None
        self._context = backend_for(device).context if device else None
        self.calls = device and DeviceCalls(self, device, explain, directions)
        if device is None:  # a host program runs its thunks: one call less per run
            self.run = self._run

    def thunk_lists(self):
        """``(thunks, nodes)`` lists that a call runs, for modes that wrap each thunk."""
        return [(self.thunks, self.nodes)] + self.blocks

    def run(self):
        """Run every thunk (see ``_run``), on the program's device if it has one, its memory
        pool serving the call and its launches replayed as CUDA graphs where the call repeats
        (``runtime/graphs.py``)."""
        if self._context is None:
            return self._run()
        with self._context():
            return self.calls.run()

    def _run(self):
        """Run every thunk with NumPy's floating-point warnings off (inf and nan are values
        here, as in compiled Theano code), set once per call rather than per node. A program
        whose device kernels check indices reads its error board once, at the end; any failure
        on the way is first checked against it (a bad index earlier is the real cause)."""
        i, board = 0, self.board
        token = _quiet()
        try:
            if board is not None:
                board.clear()
            for thunk in self.thunks:
                thunk()
                i += 1
        except Exception as exc:
            flagged = board.first_error(explain) if board is not None else None
            if flagged is not None:
                raise flagged
            if isinstance(exc, _EXPLAINED):
                raise explain(self.nodes[i], i, exc, self.cells) from exc
            raise
        finally:
            _loud(token)
        if board is not None:
            flagged = board.first_error(explain)
            if flagged is not None:
                raise flagged


_EXPLAINED = (GpugradError, ArithmeticError, ValueError, TypeError, IndexError, MemoryError,
              np.linalg.LinAlgError)


def explain(node, i, exc, cells):
    """``exc`` raised while computing ``node`` (node ``i`` of a program whose storage is
    ``cells``), as a GpugradError that names the node and the shapes of its inputs."""
    shapes = ", ".join(str(np.shape(cells[v][0])) if cells[v][0] is not None else "?" for v in node.inputs)
    where = f"while computing node {i} ({node.op}) of inputs ({', '.join(map(str, node.inputs))}) " \
            f"with shapes {shapes}"
    if isinstance(exc, GpugradError):
        cls = type(exc)
    elif isinstance(exc, MemoryError):
        cls = HostMemoryError
    elif isinstance(exc, (ValueError, IndexError)):
        cls = ShapeError
    else:
        cls = GpugradError
    try:
        return cls(f"{exc}\n  {where}")
    except TypeError:
        return GpugradError(f"{exc}\n  {where}")


def _freeing(thunk, dead):
    def run_and_free():
        thunk()
        for c in dead:
            c[0] = None
    return run_and_free


def _errstate_switch():
    """``(enter, exit)`` turning NumPy's float warnings off and back. NumPy 2 keeps that
    state in a context variable; setting it directly costs 0.1 µs where ``np.errstate``
    costs over 1 µs, a third of a small function's call. Other NumPy versions fall back
    to ``np.errstate``."""
    try:
        from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj
        quiet = _make_extobj(all="ignore")
        return functools.partial(_extobj_contextvar.set, quiet), _extobj_contextvar.reset
    except (ImportError, AttributeError, TypeError):
        def enter():
            state = np.errstate(all="ignore")
            state.__enter__()
            return state
        return enter, lambda state: state.__exit__(None, None, None)


_quiet, _loud = _errstate_switch()
