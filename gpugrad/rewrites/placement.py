"""Device placement: which node of a compiled graph runs where, and the transfers between.

It runs in the rewrite pipeline after gradients, R-ops and L-ops are built and
rewritten, before fusion, and only for a function compiled for a device (``cpu``
graphs are left untouched). It keeps no list of ops: it asks each op's CUDA facet
(``op.cuda``, a ``CudaFacet`` of graph/op.py, declared beside the op's ``perform``). The rules:

* shape arithmetic stays on the host: an op that reads only shapes (``Shape``/``ShapeI``,
  ``facet.shapes_only``) reads a device array's where it is, and a 0-d elementwise result of
  host values (shapes, constants, scalar inputs) is computed where its inputs are;
* a node its op's facet ``accepts`` (the dtypes its kernels take, a loop with device work)
  runs on the device; the inputs ``facet.host_inputs`` names (sizes, the integer scalars of an
  index, a model read only for its shape, the literals of a kernel) stay on the host;
* a view (``facet.view``: DimShuffle, Reshape, Split, basic Subtensor, MatchShape, ...)
  goes where it is read as an array (a reader taking it by value, below, reads it on the
  host); one read only for its shape, or returned, stays with the array it looks into;
* every other node runs on the host, its device inputs copied back first: an op without a
  facet, a dtype no kernel instantiates (float16), softmax of other dtypes;
* one ``Transfer`` per value that crosses, shared by all of its readers: one per input
  used on the device, one per device result read on the host or returned, and one per
  input read on the host or returned as it is (its argument may be a device array; for a
  host array that transfer passes it through).
  ``fgraph.output_places`` may say otherwise per result: ``"device"`` for the results of
  ``function(..., return_device_arrays=True)`` (a result computed on the host goes
  over, so every result is a device array), ``"either"`` for the new values of shared
  variables, which stay where they are computed (a device update never comes back).
  A one-element host value at a position ``facet.by_value`` names (read by an elementwise
  kernel, or filling an ``Alloc``: shape arithmetic such as ``1 / batch_size``, a learning
  rate passed as a Python float) needs none either: it stays on the host, its views with it
  (unless another reader needs them as arrays), and the kernel takes it as a parameter by
  value (``node.tag["by_value"]``, the positions; codegen/elementwise.py): no copy per call.
  Graph inputs qualify only where the graph's maker says their arguments come from the
  host (``fgraph.host_arguments``: a function's own inputs); one read so goes through the
  pass-through ``Transfer`` to the host, which copies a device array argument back (one
  synchronous read). Other inputs keep their ``Transfer`` to the device: a shared
  variable is read from its resident copy and a scan body's slots are device arrays
  already, which costs no copy per call, where reading them on the host would;
* a shared variable read on the device goes over through its ``Transfer`` too, but that
  one reads the variable's resident device copy (``SharedVariable.on_device``): it is
  uploaded once, not per call.

The result is a tag on every node, ``node.tag["device"]`` (``"cpu"`` for the host),
which ``f.placement``, ``debugprint`` and the linker read.
"""
import numpy as np

from ..codegen import elementwise as codegen
from ..graph.basic import Constant
from ..ops.transfer import Transfer

HOST = "cpu"


def accepted(node):
    """Whether ``node``'s op runs it on a device (its facet accepts it)."""
    facet = node.op.cuda
    return facet is not None and facet.accepts is not None and facet.accepts(node)


def host_inputs(node):
    """The positions of ``node``'s inputs that a device node reads on the host."""
    facet = node.op.cuda
    return facet.host_inputs(node) if facet is not None else ()


def _reads_shapes_only(node):
    return node.op.cuda is not None and node.op.cuda.shapes_only


def _host_scalar(node, on_device):
    """A 0-d result of 0-d host values only (shape arithmetic, a scalar parameter's update):
    copying its inputs over would cost more than computing it."""
    return all(v.ndim == 0 for v in node.outputs + node.inputs) and not any(
        v.owner is not None and on_device.get(v.owner, False) for v in node.inputs)


def _sides(fgraph):
    """``node -> True`` where the node runs on the device."""
    on_device = {}
    order = fgraph.toposort()
    host_arguments = getattr(fgraph, "host_arguments", ())
    for node in order:
        on_device[node] = accepted(node) and not _host_scalar(node, on_device)
    for node in reversed(order):  # a view goes where it is read as an array, or (returned) stays with it
        if _is_view(node):
            readers = [(client, pos) for out in node.outputs for client, pos in fgraph.clients.get(out, ())
                       if not _reads_shapes_only(client)]
            on_device[node] = any(on_device.get(client, False) and not _reads_by_value(
                client, pos, on_device, host_arguments) for client, pos in readers) if readers else \
                _source(node) is not None and on_device.get(_source(node), False)
    for node in order:  # a view of one that went over for another reader follows it there
        if _is_view(node) and not on_device[node] and on_device.get(node.inputs[0].owner, False):
            on_device[node] = any(on_device.get(client, False) for out in node.outputs
                                  for client, _ in fgraph.clients.get(out, ()))
    return on_device


def _reads_by_value(node, pos, on_device, host_arguments):
    """Whether the device node ``node`` takes its input ``pos`` as a kernel parameter by value:
    a one-element host value (``_host_value``) of a dtype kernels take, at a position its
    facet's ``by_value`` names (an elementwise kernel's input, an ``Alloc``'s fill value)."""
    var = node.inputs[pos]
    if node.op.cuda is None or pos not in node.op.cuda.by_value(node):
        return False
    return all(size == 1 for size in var.type.shape) and np.dtype(var.dtype) in codegen.C_TYPES and \
        _host_value(var, on_device, host_arguments)


def _host_value(var, on_device, host_arguments):
    """A value the host holds: computed there (a view of it too), a constant, or one of
    ``host_arguments``."""
    while var.owner is not None and _is_view(var.owner):
        var = var.owner.inputs[0]
    if var.owner is not None:
        return not on_device.get(var.owner, False)
    return isinstance(var, Constant) or var in host_arguments


def _is_view(node):
    return node.op.cuda is not None and node.op.cuda.view(node)


def _source(node):
    """The node computing the array that ``node``, a view (of views), looks into."""
    while node is not None and _is_view(node):
        node = node.inputs[0].owner
    return node


def rewire(fgraph, node, pos, new):
    old = node.inputs[pos]
    node.inputs[pos] = new
    fgraph.clients[old] = [(n, p) for n, p in fgraph.clients.get(old, ()) if (n, p) != (node, pos)]
    fgraph._import(new)
    fgraph.clients.setdefault(new, []).append((node, pos))


def place(fgraph, device):
    """Tag every node of ``fgraph`` with where it runs and insert the transfers."""
    on_device = _sides(fgraph)
    copies = {}

    def moved(var, to):
        if (var, to) not in copies:
            copies[var, to] = Transfer(to, of_argument=var in arguments)(var)
            copies[var, to].owner.tag["device"] = device
        return copies[var, to]

    def resident(var):
        return var.owner is not None and on_device.get(var.owner, False)

    arguments = set(fgraph.inputs)  # their values may be device arrays: a host reader needs a Transfer

    def needs_host_copy(var):
        return resident(var) or var in arguments

    host_arguments = getattr(fgraph, "host_arguments", ())
    for node, device_side in list(on_device.items()):
        node.tag["device"] = device if device_side else HOST
        if _reads_shapes_only(node):
            continue
        on_host = host_inputs(node) if device_side else ()
        by_value = {pos for pos, var in enumerate(node.inputs) if device_side and pos not in on_host
                    and not resident(var) and _reads_by_value(node, pos, on_device, host_arguments)}
        if by_value:
            node.tag["by_value"] = by_value
        for pos, var in enumerate(list(node.inputs)):
            if pos in on_host:
                continue
            read_on_host = not device_side or pos in by_value
            if not read_on_host and not resident(var):
                rewire(fgraph, node, pos, moved(var, "device"))
            elif read_on_host and needs_host_copy(var):
                rewire(fgraph, node, pos, moved(var, "host"))
    places = getattr(fgraph, "output_places", ())
    for k, var in enumerate(fgraph.outputs):
        where = places[k] if k < len(places) else "host"
        if where == "host" and needs_host_copy(var) or where == "device" and not resident(var):
            fgraph.outputs[k] = moved(var, where)
            fgraph._import(fgraph.outputs[k])
    fgraph._order = None


class PlacementPhase:
    """The pipeline phase: ``place`` for ``fgraph.device``; nothing for the CPU."""
    name = "placement"

    def __init__(self, modes=("fast_run", "fast_compile", "None")):
        self.modes = modes

    def run(self, fgraph):
        device = getattr(fgraph, "device", HOST)
        if device != HOST:
            place(fgraph, device)

    def __str__(self):
        return "placement: nodes on the function's device or the host, explicit transfers between"
