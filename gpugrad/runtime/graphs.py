"""How a program with device nodes runs a call: its memory pool (runtime/pool.py) serves every
allocation, and when the call repeats one seen before its launches are replayed as one CUDA
graph (``cupy.cuda.Graph``; the simulated CuPy records and replays the same way).

A program is split once, when it is linked, into a *head* (the copies of its arguments and
shared variables to the device), a *body* (the device work, and host work on host values
only) and a *tail* (results read back to the host, and host work on them). A call is keyed
by what the body's work depends on besides the contents of device memory: the shapes,
dtypes and strides of the arguments, the values of arguments the host reads (a scalar
passed by value to a kernel), and the device addresses of device-resident inputs (shared
variables, device arrays passed in), which a graph reads where it was captured. The first
call of a key runs plainly; the second captures the body on a side stream and launches the
graph; later ones stage host arguments into the buffers the graph reads (one copy each, as
a plain call makes), launch the graph (one launch for the host) and run the tail. A graph
replays only when nothing still holds a buffer it writes (a result of an earlier call the
caller kept): else another graph is captured for the key (up to ``PER_KEY``), else the call
runs plainly. A training loop whose parameters move between two buffers at each update
gets a graph for each of their places.

Not captured, run plainly and named in ``reasons`` (``Function.profile()``): a program with
lazy branches (``ifelse`` reads its condition on the host), an error board (read back every
call), a host read of a device value whose result goes back to the device, a host-read
argument of more than ``MAX_KEYED`` elements, ``config.sync_launches``; and a call whose
capture CUDA refuses (a data-dependent size, a host read inside a kernel launcher: the
node is named).
"""
import threading
from collections import Counter, OrderedDict

import numpy as np

from ..config import config
from ..graph.basic import Constant
from .device_arrays import backend_for
from .pool import DevicePool

PER_KEY = 3       # graphs captured for one key, whose buffers differ
KEYS = 16         # keys remembered per program (least recently used first out)
MAX_KEYED = 16    # elements of a host-read argument a key may hold
_RUNNING = threading.local()  # the DeviceCalls running a call in this thread, if any


class DeviceCalls:
    """The calls of one program on ``device``. ``run()`` runs one; ``status`` counts them."""

    def __init__(self, program, device, explain, directions):
        self.program, self.explain = program, explain
        self.backend = backend_for(device)
        self.pool = DevicePool(self.backend.xp)
        self.status = Counter()
        self.reasons = Counter()
        self.split = _Split(program, directions) if config.cuda_graphs else None
        self.held = "" if config.cuda_graphs else "config.cuda_graphs is False"
        self.keys = OrderedDict()  # key -> [graphs] (empty: seen once)
        self.nested = set()  # the programs run inside this one's calls (loop bodies)

    def hold(self, reason):
        """Run every call plainly from now on, for ``reason``."""
        self.held = reason

    def run(self):
        """One call; a program run inside another's call (a loop's body) is part of that call:
        the outer pool serves it and the outer capture records its launches."""
        outer = getattr(_RUNNING, "calls", None)
        if outer is not None:
            outer.nested.add(self)
            self.program._run()
            return
        _RUNNING.calls = self
        try:
            with self.pool.serving():
                self._run()
        finally:
            _RUNNING.calls = None

    def _run(self):
        split = self.split
        reason = self.held or split.reason
        if reason:
            self._plain(reason)
            return
        self._forget_values()
        key, pinned = split.key(self)
        if isinstance(key, str):
            self._plain(key)
            return
        self._by_key(key, pinned)

    def _forget_values(self):
        """Empty the cells the last call left values in (its results are the caller's now), and
        those of the loop bodies it ran, so that they hold no buffer a graph writes."""
        for cell in self.split.stale:
            cell[0] = None
        for inner in self.nested:
            for var, cell in inner.program.cells.items():
                if not isinstance(var, Constant):
                    cell[0] = None

    def _plain(self, reason):
        self.status["plain"] += 1
        if reason:
            self.reasons[reason] += 1
        self.program._run()

    def _by_key(self, key, pinned):
        graphs = self.keys.pop(key, None)
        if isinstance(graphs, str):  # a capture was refused for this key
            self.keys[key] = graphs
            self._plain(graphs)
            return
        self.keys[key] = [] if graphs is None else graphs
        if len(self.keys) > KEYS:
            self._forget(self.keys.popitem(last=False)[1])
        if graphs is None:
            self._plain("")
            return
        graph = next((g for g in graphs if g.ready()), None)
        if graph is not None:
            self.status["replayed"] += 1
            graph.replay(pinned)
        elif len(graphs) < PER_KEY:
            self._capture(key, graphs, pinned)
        else:
            self._plain("a result of an earlier call still holds a buffer every graph of this call writes")

    def _capture(self, key, graphs, pinned):
        try:
            graph = _Graph.capture(self, pinned)
        except _Refused as refused:
            self.keys[key] = refused.reason
            self._plain(refused.reason)
            return
        self.status["captured"] += 1
        graphs.append(graph)

    def _forget(self, graphs):
        for graph in graphs if isinstance(graphs, list) else ():
            self.pool.reserve(graph.written, graph.read, by=-1)

    def run_nodes(self, positions, failed=None):
        """The thunks at ``positions``; a failure explained by its node as the linker does (or
        by ``failed(i, exc)``)."""
        program = self.program
        for i in positions:
            try:
                program.thunks[i]()
            except Exception as exc:
                raise (failed or self._explained)(i, exc) from exc

    def _explained(self, i, exc):
        return self.explain(self.program.nodes[i], i, exc, self.program.cells)


def _parts(order, inputs, directions):
    """``(head, tail, reason)`` of nodes in ``order``: the copies of ``inputs`` to the device;
    the copies of device values back to the host and the host nodes reading them (None, and
    the reason, where device work reads such a value)."""
    head = [n for n in order if directions.get(n) == "device" and n.inputs[0] in inputs]
    tail, reads = [], set()
    for i, node in enumerate(order):
        back = directions.get(node) == "host" and node.inputs[0] not in inputs
        if back or any(v in reads for v in node.inputs):
            if node.tag.get("device", "cpu") != "cpu" and not back:
                return head, None, f"node {i} ({node.op}) works on the device on a value read back to the host"
            tail.append(node)
            reads.update(node.outputs)
    return head, tail, ""


def call_order(order, inputs, directions):
    """``order`` (a toposort) with its head first and its tail last (``_parts``): the order a
    capture runs them in, so that plain calls claim the pool's slots as captures do."""
    head, tail, _ = _parts(order, inputs, directions)
    if tail is None:
        return order
    rest = set(head) | set(tail)
    return head + [n for n in order if n not in rest] + tail


class _Refused(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class _Split:
    """The head, body and tail of a program (positions in its thunk list), what keys a call,
    or ``reason``: why the program never replays."""

    def __init__(self, program, directions):
        nodes, fgraph = program.nodes, program.fgraph
        head, tail, self.reason = _parts(nodes, set(fgraph.inputs), directions)
        position = {node: i for i, node in enumerate(nodes)}
        self.head, self.tail = [position[n] for n in head], [position[n] for n in tail or ()]
        self.body = [i for i in range(len(nodes)) if i not in self.tail and i not in self.head]
        self.cells = program.cells
        self.input_cells = program.input_cells
        self.read_on_host = {k for k, v in enumerate(fgraph.inputs)
                             if any(v in nodes[i].inputs and not _shapes_only(nodes[i]) for i in self.body)}
        self.heads = [(i, nodes[i].inputs[0], nodes[i].outputs[0]) for i in self.head]
        later = {nodes[j] for j in self.tail} | {nodes[j] for j in self.head}
        self.exports = list(dict.fromkeys(v for v in [*(v for i in self.tail for v in nodes[i].inputs), *fgraph.outputs]
                                          if v.owner is not None and v.owner not in later))
        self.stale = [cell for var, cell in program.cells.items() if var.owner is not None]
        if program.blocks:
            self.reason = "ifelse reads its condition on the host"
        elif program.board is not None:
            self.reason = "the error board of its index checks is read back after every call"
        elif config.sync_launches:
            self.reason = "config.sync_launches waits after every node"

    def key(self, calls):
        """``(key, pinned)``: what the call's graph depends on, and the head values already
        on the device (run here: a shared variable's resident copy, a device argument); a
        reason string instead of a key where this call cannot replay."""
        parts, pinned = [], {}
        for k, cell in enumerate(self.input_cells):
            value = cell[0]
            if k in self.read_on_host:
                array = np.asarray(value) if not calls.backend.resident(value) else None
                if array is None or array.size > MAX_KEYED:
                    return f"argument {k}, read on the host, is not a small host value", pinned
                parts.append((array.dtype.str, array.shape, array.tobytes()))
            else:
                parts.append(_layout(value))
        for i, source, out in self.heads:
            if calls.backend.resident(self.cells[source][0]) or "shared" in calls.program.nodes[i].tag:
                calls.run_nodes([i])
                value = pinned[i] = self.cells[out][0]
                parts.append(("pinned", value.data.ptr, *_layout(value)))
        return tuple(parts), pinned


def _shapes_only(node):
    return node.op.cuda is not None and node.op.cuda.shapes_only


def _layout(value):
    return (type(value).__name__, getattr(value, "shape", ()), getattr(value, "dtype", np.dtype(type(value))).str,
            getattr(value, "strides", ()))


class _Graph:
    """One captured body: the CUDA graph, the pool slots it writes (``written``), the slots its
    host arguments are staged into, and how to rebuild the arrays the tail and the caller read."""

    def __init__(self, calls, cuda_graph, written, read, staged, exports):
        self.calls, self.cuda_graph, self.written, self.read, self.staged, self.exports = (
            calls, cuda_graph, written, read, staged, exports)
        calls.pool.reserve(written, read)

    @classmethod
    def capture(cls, calls, pinned):
        split, program, pool = calls.split, calls.program, calls.pool
        staged = {}
        with pool.recording() as head_slots:
            for i, source, out in split.heads:
                if i not in pinned:
                    calls.run_nodes([i])
                    staged[i] = pool.slot_at(program.cells[out][0].data.ptr)
        if None in staged.values():
            raise _Refused("an empty argument has no buffer to stage into")
        stream = calls.backend.capture_stream()
        with pool.recording() as written, calls.backend.recording_arguments() as addresses, stream:
            stream.begin_capture()
            try:
                calls.run_nodes(split.body, lambda i, exc: _Refused(
                    f"node {i} ({program.nodes[i].op}) cannot be captured: {exc}"))
            except _Refused:
                _end(stream, quiet=True)
                raise
            graph = _end(stream)
        written = list(dict.fromkeys(written + head_slots))
        inputs = {pool.slot_at(value.data.ptr) for value in pinned.values() if value.size}
        read = [found[0] for found in map(pool.slot_at, addresses)
                if found is not None and found[0] not in written and found not in inputs]
        graph = cls(calls, graph, written, read, staged,
                    [(var, _recipe(calls, split, program.cells[var][0], pinned)) for var in split.exports])
        graph._launch()
        return graph

    def ready(self):
        """Whether nothing holds a buffer this graph writes (a kept result of an earlier call)."""
        return all(slot.free for slot in self.written)

    def replay(self, pinned):
        split, program, pool = self.calls.split, self.calls.program, self.calls.pool
        for i, source, out in split.heads:
            if i in pinned:
                continue
            slot, _ = self.staged[i]
            value = np.asarray(program.cells[source][0], order="C")
            array = pool.array(slot, 0, value.shape, value.dtype, None)
            self.calls.backend.copy_from_host(array, value)
            program.cells[out][0] = array
        self._launch()

    def _launch(self):
        calls, program = self.calls, self.calls.program
        calls.backend.launch_graph(self.cuda_graph)
        for var, recipe in self.exports:
            program.cells[var][0] = recipe(calls, program)
        calls.run_nodes(calls.split.tail)


def _end(stream, quiet=False):
    """End the capture; a capture CUDA invalidated (a refused call inside) is no graph."""
    try:
        return stream.end_capture()
    except Exception as exc:
        if not quiet:
            raise _Refused(f"the capture failed: {exc}") from exc
    return None


def _recipe(calls, split, value, pinned):
    """How a replay rebuilds ``value`` (an array the capture left in a cell): over the pool
    slot it lives in, over a pinned input's memory, or (a host value, a constant's upload)
    as it is."""
    if not calls.backend.resident(value):
        return lambda calls, program: value
    shape, dtype, strides, ptr = value.shape, value.dtype, value.strides, value.data.ptr
    found = calls.pool.slot_at(ptr)
    if found is not None:
        slot, offset = found
        return lambda calls, program: calls.pool.array(slot, offset, shape, dtype, strides)
    for i, source, out in split.heads:
        base = pinned.get(i)
        if base is not None and base.data.ptr <= ptr < base.data.ptr + max(base.nbytes, 1):
            offset = ptr - base.data.ptr
            return lambda calls, program, out=out: calls.backend.xp.ndarray(
                shape, dtype, memptr=program.cells[out][0].data + offset, strides=strides)
    return lambda calls, program: value
