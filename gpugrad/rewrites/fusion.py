"""Fusion: connected elementwise regions on one device become one ``Composite`` node,
which the CUDA backends run as one generated kernel (codegen/elementwise.py), so an
intermediate never makes a round trip through device memory.

Only nodes the placement pass put on a device are fused (``node.tag["device"]``); on
the CPU NumPy evaluates node by node, and a CPU-only graph is left untouched. Every
device elementwise node becomes part of a Composite, a region of one node included:
that is how it gets its kernel. Scalar constants move into the Composite (they become
literals of the kernel); a one-element host value the placement pass left on the host
(``node.tag["by_value"]``) stays an input, passed to the kernel by value
(``Composite.by_value``).
"""
from ..codegen import elementwise as codegen
from ..graph.basic import Apply
from ..graph.op import Op
from ..graph.traversal import ancestors, toposort
from ..ops.elemwise import Elemwise, broadcast_shapes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable


class Composite(Op):
    """An elementwise op defined by an inner graph of Elemwise nodes; ``perform`` runs the
    inner graph with NumPy (the oracle), ``source`` is its CUDA kernel, which takes the
    inputs at the positions ``by_value`` (one-element host values) as scalar parameters."""
    __props__ = ("source",)
    fresh_outputs = True

    def __init__(self, inputs, outputs, by_value=()):
        self.inputs, self.outputs = list(inputs), list(outputs)
        self.by_value = frozenset(by_value)
        self.nodes = toposort(self.outputs, blockers=self.inputs)
        self.source = codegen.render(self.inputs, self.outputs, self.nodes, self.by_value)
        self._deps = [[k for k, v in enumerate(self.inputs) if v in set(ancestors([o], blockers=self.inputs))]
                      for o in self.outputs]

    def __str__(self):
        return "composite{" + ",".join(str(n.op) for n in self.nodes) + "}"

    def make_node(self, *inputs):
        outputs = []
        for out, deps in zip(self.outputs, self._deps):
            shape = broadcast_shapes([inputs[k].type.shape for k in deps], str(self)) if deps else out.type.shape
            var = TensorVariable(TensorType(out.dtype, shape))
            var.weak = getattr(out, "weak", False)
            outputs.append(var)
        return Apply(self, list(inputs), outputs)

    def perform(self, node, inputs):
        values = dict(zip(self.inputs, inputs))
        for inner in self.nodes:
            args = [values[v] if v in values else v.data.item() if v.weak else v.data for v in inner.inputs]
            values.update(zip(inner.outputs, inner.op.perform(inner, args)))
        return [values[o] for o in self.outputs]

    def infer_shape(self, node, input_shapes):
        shapes = []
        for out, deps in zip(node.outputs, self._deps):
            dims = []
            for axis, size in enumerate(out.type.shape):
                dims.append(size if size is not None else
                            next(input_shapes[k][axis] for k in deps if node.inputs[k].type.shape[axis] != 1))
            shapes.append(tuple(dims))
        return shapes


def _fusible(node):
    return isinstance(node.op, Elemwise) and node.tag.get("device", "cpu") != "cpu" and codegen.supports(node)


def _regions(fgraph):
    """Groups of fusible nodes, grown in topological order. A node joins (and so merges)
    the regions of its producers, except those that something else it reads depends on
    (an outside node or another region: the Composite would then depend on itself);
    ``blocked[v]`` holds the regions ``v`` depends on other than through its own region,
    ``after[r]`` those region ``r`` does, so a merge carries what each part depended on."""
    order = fgraph.toposort()
    group, blocked, parent, after = {}, {}, {}, {}

    def find(g):
        while parent[g] != g:
            g = parent[g]
        return g

    def reached(starts):
        """The regions ``starts`` are or depend on, through outside nodes and other regions."""
        seen, todo = set(), [find(g) for g in starts]
        while todo:
            g = todo.pop()
            if g not in seen:
                seen.add(g)
                todo.extend(find(h) for h in after.get(g, ()))
        return seen

    for node in order:
        behind = set().union(*(blocked.get(v, ()) for v in node.inputs))
        if _fusible(node):
            producers = list(dict.fromkeys(find(group[v.owner]) for v in node.inputs if v.owner in group))
            upstream = reached(behind).union(*(reached(after.get(g, ())) for g in producers))
            allowed = [g for g in producers if g not in upstream]
            gid = allowed[0] if allowed else len(parent)
            parent[gid] = gid
            for g in allowed[1:]:
                parent[g] = gid
                after.setdefault(gid, set()).update(after.pop(g, ()))
            group[node] = gid
        mine = find(group[node]) if node in group else None
        for v in node.inputs:
            if v.owner in group and find(group[v.owner]) != mine:
                behind.add(find(group[v.owner]))
        if mine is not None:
            after.setdefault(mine, set()).update(behind)
        for out in node.outputs:
            blocked[out] = behind
    regions = {}
    for node in order:
        if node in group:
            regions.setdefault(find(group[node]), []).append(node)
    return list(regions.values())


def composite_of(nodes, used_outside):
    """The ``Composite`` computing ``used_outside`` (outputs of ``nodes``, a connected region of
    elementwise nodes in topological order) and the outer variables it reads, in order
    (scalar constants become literals of its kernel, not inputs)."""
    produced = {o for n in nodes for o in n.outputs}
    outer = list(dict.fromkeys(v for n in nodes for v in n.inputs
                               if v not in produced and not codegen.is_literal(v)))
    by_value = {k for k, v in enumerate(outer) for n in nodes
                for pos in n.tag.get("by_value", ()) if n.inputs[pos] is v}
    memo = {v: v.clone() for v in outer}
    for n in nodes:
        inner = Apply(n.op, [memo.get(v, v) for v in n.inputs], [o.clone() for o in n.outputs])
        memo.update(zip(n.outputs, inner.outputs))
    return Composite([memo[v] for v in outer], [memo[o] for o in used_outside], by_value), outer


def _fuse(fgraph, nodes):
    member = set(nodes)
    used_outside = [o for n in nodes for o in n.outputs if o in fgraph.outputs
                    or any(client not in member for client, _ in fgraph.clients.get(o, ()))]
    op, outer = composite_of(nodes, used_outside)
    node = op.make_node(*outer)
    node.tag["device"] = nodes[0].tag["device"]
    for old, new in zip(used_outside, node.outputs):
        fgraph.replace(old, new, reason="fusion")


class FusionPhase:
    """The pipeline phase; a no-op without device nodes."""
    name = "fusion"

    def __init__(self, modes=("fast_run", "fast_compile", "None")):
        self.modes = modes

    def run(self, fgraph):
        if getattr(fgraph, "device", "cpu") == "cpu":
            return
        for nodes in _regions(fgraph):
            _fuse(fgraph, nodes)
        fgraph.prune()

    def __str__(self):
        return "fusion: connected elementwise regions on one device as one Composite (one kernel)"


__all__ = ["Composite", "FusionPhase", "composite_of"]
