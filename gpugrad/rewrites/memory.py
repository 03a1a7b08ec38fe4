"""Memory: decide, for elementwise nodes, where results are written.

* in place: a node may overwrite one of its inputs when that input is a fresh array
  made earlier in the same call (not a graph input, constant or view), of the output's
  dtype and shape, and read by no later node;
* reused buffers: a node whose result never reaches an output keeps its buffer from
  one call to the next, so large intermediates are not returned to the operating
  system and faulted in again on every call.

The decisions are tags on the nodes (``node.tag["inplace"]``, ``node.tag["reuse"]``)
that the ops' thunks honour; the graph itself does not change."""
from ..graph.basic import Constant
from ..ops.elemwise import Elemwise
from ..ops.shape import Alloc
from .canonicalize import _keys



def _fresh(var):
    """Made by this call into a new array of its own: an Alloc, or an elementwise op whose
    NumPy function is a ufunc (np.real and np.imag, say, return views of their input)."""
    op = var.owner.op if var.owner is not None else None
    return isinstance(op, Alloc) or (isinstance(op, Elemwise) and op.supports_out())


def plan_memory(fgraph):
    order = fgraph.toposort()
    last_reader = {}
    for i, node in enumerate(order):
        for v in node.inputs:
            last_reader[v] = i
    outputs = set(fgraph.outputs)
    keys = _keys(fgraph)
    root = {}
    for i, node in enumerate(order):
        if not isinstance(node.op, Elemwise) or len(node.outputs) != 1 or not node.op.supports_out():
            continue
        out = node.outputs[0]
        candidates = range(min(len(node.inputs), node.op.max_inplace_position() + 1))
        for k in candidates:
            var = node.inputs[k]
            if (_fresh(var) and not isinstance(var, Constant)
                    and var not in outputs and last_reader.get(var) == i and node.inputs.count(var) == 1
                    and var.dtype == out.dtype and keys.same_shape(var, out)
                    and all(s != 1 or o == 1 for s, o in zip(var.type.shape, out.type.shape))):
                node.tag["inplace"] = k
                root[out] = root.get(var, var)
                break
        else:
            root[out] = out
    reaches_output = {root.get(v, v) for v in outputs}
    for node in order:
        if isinstance(node.op, Elemwise) and node.outputs[0] in root and "inplace" not in node.tag:
            if node.outputs[0] not in reaches_output:
                node.tag["reuse"] = True


class MemoryPhase:
    name = "memory"

    def __init__(self, modes=("fast_run",)):
        self.modes = modes

    def run(self, fgraph):
        plan_memory(fgraph)

    def __str__(self):
        return "memory: elementwise results in place or in buffers kept across calls"
