"""Memory: decide, for elementwise nodes and gemm, where results are written.

* in place: a node may overwrite one of its inputs (a gemm its matrix ``c``) when that
  input is a fresh array made earlier in the same call (not a graph input or constant), of
  the output's dtype and shape, and neither it nor any view of it (indexing, dimshuffle,
  reshape) is read later, read by the node through another input (``g + g[::-1] + h``: a
  variadic add reads its later operands after writing its first partial sum), or returned;
* reused buffers: a node (or a CPU Composite) whose buffers never reach an output, directly or through a
  view or a later in-place write, keeps it from one call to the next, so large
  intermediates are not returned to the operating system and faulted in again;
* a gemm of a graph input (a shared variable's value) may be added into that input's own
  array when it is the variable's update: the function decides, per call
  (``node.tag["update_in_place"]``; compile/in_place.py).

The decisions are tags on the nodes (``node.tag["inplace"]``, ``node.tag["reuse"]``)
that the ops' thunks honour; the graph itself does not change."""
from ..graph.basic import Constant
from ..runtime.lazy import execution_order
from ..ops.elemwise import Composite, Elemwise
from ..ops.gemm import Gemm
from .shapes import shape_keys


def _fresh(var):
    """Made by this call into a new array of its own (the op says so: ``fresh_outputs``)."""
    return var.owner is not None and var.owner.op.fresh_outputs


class _Aliases:
    """Which variables share a buffer: a node that is not known to make a fresh array may
    return a view of its first input, and an in-place node writes into its target."""

    def __init__(self, fgraph):
        order = execution_order(fgraph)  # a lazy branch's nodes run right before their node
        self.order = order
        self.last_read = {}
        for i, node in enumerate(order):
            for v in node.inputs:
                self.last_read[v] = i
        for v in fgraph.outputs:
            self.last_read[v] = len(order)
        self.root, self.members = {}, {}

    def join(self, var, source):
        root = self.root.get(source, source)
        self.root[var] = root
        self.members.setdefault(root, [root]).append(var)

    def shares(self, a, b):
        """``a`` and ``b`` are (views of) one buffer."""
        return self.root.get(a, a) is self.root.get(b, b)

    def free_after(self, var, i):
        """No alias of ``var`` is read after node ``i``."""
        root = self.root.get(var, var)
        return all(self.last_read.get(w, -1) <= i for w in self.members.get(root, [root]))


def _writable_inputs(node):
    """The positions of inputs ``node`` can write its result into."""
    if isinstance(node.op, Elemwise) and len(node.outputs) == 1 and node.op.supports_out():
        return range(min(len(node.inputs), node.op.max_inplace_position() + 1))
    return (0,) if isinstance(node.op, Gemm) else ()


def plan_memory(fgraph):
    aliases = _Aliases(fgraph)
    keys = shape_keys(fgraph)
    for i, node in enumerate(aliases.order):
        positions = _writable_inputs(node)
        if isinstance(node.op, Gemm) and node.inputs[0] in fgraph.inputs:
            node.tag["update_in_place"] = True
        if positions:
            out = node.outputs[0]
            for k in positions:
                var = node.inputs[k]
                if (_fresh(var) and not isinstance(var, Constant)
                        and not any(aliases.shares(w, var) for j, w in enumerate(node.inputs) if j != k)
                        and aliases.free_after(var, i) and var.dtype == out.dtype and keys.same_shape(var, out)
                        and all(s != 1 or o == 1 for s, o in zip(var.type.shape, out.type.shape))):
                    node.tag["inplace"] = k
                    aliases.join(out, var)
                    break
        elif not _fresh(node.outputs[0]) and node.inputs:
            for out in node.outputs:
                aliases.join(out, node.inputs[0])
    returned = {aliases.root.get(v, v) for v in fgraph.outputs}
    for node in aliases.order:
        out = node.outputs[0]
        if isinstance(node.op, Elemwise) and node.op.supports_out() and "inplace" not in node.tag \
                and out not in returned:
            node.tag["reuse"] = True
        elif isinstance(node.op, Composite) and node.tag.get("device", "cpu") == "cpu" and not any(
                aliases.root.get(o, o) in returned for o in node.outputs):
            node.tag["reuse"] = True  # a CPU kernel's outputs (runtime/host_elementwise.py)


class MemoryPhase:
    name = "memory"

    def __init__(self, modes=("fast_run",)):
        self.modes = modes

    def run(self, fgraph):
        plan_memory(fgraph)

    def __str__(self):
        return "memory: elementwise results in place or in buffers kept across calls"
