"""Scan on a device: the loop driver of ``op.Loop`` over device arrays, its body compiled
for the device.

The body is optimized with the function's pipeline for the device, so placement and
fusion run inside it too, with every result left a device array
(``fgraph.output_places``; the ``until`` condition stays where it is computed). Each
step then costs only the body's own launches: the loop slices the sequences as device
views, hands the state rows over as views of the stacked device buffers (allocated by
the backend), and writes each result into its row by a device assignment. The inner
``Transfer`` to the device of a slot passes a device array through (a type check).

Where the body reads an input on the host, the input is a host one: a sequence or
non-sequence that the body reads only there (an index, a size) stays on the host
outside the loop as well (``host_inputs``, the Scan's ``SIZE_INPUTS``); a state row, or
a value the body also reads on the device, is copied back inside the step by a
``Transfer`` to the host. The ``until`` condition is read back once per step, the one
synchronization a step needs: the body's program is linked inside the function's, so its
kernels flag bad indices on the function's error board (``compile/error_board.py``),
read once per call. A body of host scalar arithmetic only (a polynomial's
terms) keeps its Scan on the host (``has_device_work``): a kernel launch per scalar
operation and a copy per step would cost more than the loop itself.
"""
from ..graph.fgraph import FunctionGraph
from ..graph.traversal import toposort
from ..ops.transfer import Transfer
from .op import Loop


def has_device_work(node):
    """The placement rule of a Scan: whether its body has a node the device runs that is
    not 0-d arithmetic (which placement would keep on the host anyway)."""
    from ..compile.placement import DEVICE_OPS
    op = node.op
    for inner in toposort(op.outputs, blockers=op.inputs):
        rule = DEVICE_OPS.get(type(inner.op))
        if rule is not None and any(v.ndim for v in inner.inputs + inner.outputs) and rule[0](inner):
            return True
    return False


def device_body(op, device):
    """The body optimized and placed for ``device``; a state row or a device input read on
    the host goes through a ``Transfer`` to the host (its readers share it)."""
    from ..compile.placement import METADATA_OPS, rewire
    from ..config import config
    from ..rewrites.pipeline import optimize
    fgraph = FunctionGraph(op.inputs, op.outputs)
    fgraph.output_places = ("device",) * (len(op.outputs) - op.until) + ("either",) * op.until
    optimize(fgraph, config.optimizer, device)
    host = host_slots(op, fgraph)
    readers = _readers(fgraph)
    for k, slot in enumerate(fgraph.inputs):
        on_host = [(node, pos) for node, pos in readers.get(slot, ())
                   if not isinstance(node.op, (Transfer, METADATA_OPS))]
        if k in host or not on_host:
            continue
        copy = Transfer("host", of_argument=True)(slot)
        copy.owner.tag["device"] = device
        for node, pos in on_host:
            rewire(fgraph, node, pos, copy)
    fgraph._order = None
    return fgraph


def _readers(fgraph):
    """``variable -> [(node, position)]`` over the live nodes only."""
    readers = {}
    for node in fgraph.toposort():
        for pos, var in enumerate(node.inputs):
            readers.setdefault(var, []).append((node, pos))
    return readers


def host_slots(op, fgraph):
    """The positions among ``op.inputs`` of the sequences and non-sequences that the placed
    body ``fgraph`` never copies to the device: the loop feeds them host arrays."""
    readers = _readers(fgraph)
    taps = range(op.n_seqs, op.n_seqs + op.n_taps)
    return {k for k, slot in enumerate(fgraph.inputs) if k not in taps and not any(
        isinstance(node.op, Transfer) and node.op.to == "device" for node, _ in readers.get(slot, ()))}


def host_inputs(node):
    """The Scan's ``SIZE_INPUTS``: ``n_steps`` and the outer inputs of ``host_slots``, read on
    the host. Placement tags the node before asking, so its device is known here."""
    op = node.op
    slots = host_slots(op, op.inner_fgraph(node.tag["device"]))
    outer = [1 + k if k < op.n_seqs else 1 + k - op.n_taps + op.n_states for k in slots]
    return {0, *outer}


def scan_thunk(device, node, storage_in, storage_out):
    """The loop of ``op.Loop`` over device arrays, allocated by the device's backend; an
    input the body reads on the host that arrives on the device is copied back once per call."""
    from ..compile.device_arrays import backend_for
    be = backend_for(device)
    loop = Loop(node.op, node, device, be.allocate)
    to_host = sorted(host_inputs(node) - {0})

    def thunk():
        values = [cell[0] for cell in storage_in]
        for pos in to_host:
            if be.resident(values[pos]):
                values[pos] = be.to_host(values[pos])
        for cell, value in zip(storage_out, loop.run(values)):
            cell[0] = value
    return thunk
