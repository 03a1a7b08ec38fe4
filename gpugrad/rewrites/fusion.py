"""Fusion: connected elementwise regions on one device become one ``Composite`` node
(ops/elemwise.py), which runs as one generated kernel (codegen/elementwise.py), so an
intermediate never makes a round trip through device memory; regions that read a common
input and compute one shape become one as well (their kernel reads it once), and elementwise
work around reductions joins them (rewrites/row_fusion.py).

On a device graph only nodes the placement pass put on the device are fused
(``node.tag["device"]``). A CPU graph (``device="cpu"``, with ``enabled()``) gets its own
pass: regions of two elementwise nodes or more become Composites run by generated C++
(runtime/host_elementwise.py), then reductions join their elementwise work as on a device
(``fuse_reductions(host=True)``, runtime/host_reduction.py). On a device every
device elementwise node becomes part of a Composite, a region of one node included:
that is how it gets its kernel. Scalar constants move into the Composite (they become
literals of the kernel); a one-element host value the placement pass left on the host
(``node.tag["by_value"]``) stays an input, passed to the kernel by value
(``Composite.by_value``).
"""
from ..codegen import elementwise as codegen
from ..ops.elemwise import Composite, Elemwise, composite_of
from ..ops.fused import ElementwiseGroup
from ..ops.shape import ShapeI
from .regions import Regions
from .row_fusion import fuse_reductions
from ..runtime.host_elementwise import enabled
from .shapes import shape_keys


def _fusible(node):
    return isinstance(node.op, Elemwise) and node.tag.get("device", "cpu") != "cpu" and codegen.supports(node)


class _ElementwisePolicy:
    """Every fusible node joins all the producers' regions the cycle rule allows."""

    @staticmethod
    def member(node):
        return _fusible(node)

    @staticmethod
    def choose(node, allowed, regions):
        return allowed


class _HostPolicy:
    """On the CPU (a graph for ``device="cpu"``): every elementwise node with a kernel joins,
    except that a node of ``apart`` (a recomputed tail, below) joins only regions of other
    such nodes."""

    def __init__(self, apart=frozenset()):
        self.apart = apart

    @staticmethod
    def member(node):
        return isinstance(node.op, Elemwise) and codegen.supports(node)

    def choose(self, node, allowed, regions):
        if node not in self.apart:
            return allowed
        return [g for g in allowed if all(m in self.apart for m in regions.members(g))]


_CHEAP = frozenset(("add", "sub", "mul", "neg"))  # recomputed where read: one more operation per element


def _recomputed_tails(fgraph, regions):
    """The nodes each region would rather leave to the regions reading their results: cheap
    arithmetic (``1 - h * h`` of a ``tanh`` region, read by the gradient's region) on values the
    region writes out anyway, all of whose readers are elementwise nodes of other regions.
    Written out, such a result costs a pass over memory to write and one to read; recomputed
    by its readers from the value they could read instead, it costs neither."""
    apart = set()
    for nodes in regions.groups():
        members = set(nodes)
        readers = {o: [c for c, _ in fgraph.clients.get(o, ())] for n in nodes for o in n.outputs}
        tail = set()
        for node in reversed(nodes):  # readers before what they read
            outs = node.outputs
            read_by = [r for o in outs for r in readers[o]]
            if (node.op.scalar_op.name in _CHEAP and not any(o in fgraph.outputs for o in outs)
                    and all(r in tail or (r not in members and _HostPolicy.member(r)) for r in read_by)):
                tail.add(node)
        kept = members - tail
        exported = {o for n in kept for o in n.outputs
                    if o in fgraph.outputs or any(r not in members for r in readers[o])}
        reads = {v for n in tail for v in n.inputs if v.owner in kept}
        if tail and reads <= exported and len(kept) > 1:  # nothing new written out, and something spared
            apart |= tail
    return frozenset(apart)


def _with_siblings(fgraph, regions):
    """The groups of ``regions`` with those that read a common input, compute one shape, do
    not depend on each other (through any other region either: ``Regions.merge``) and run in
    the same lazy branch merged: one kernel reads the input once and writes every result."""
    keys, shapes, paths, last_reader = shape_keys(fgraph), {}, {}, {}
    for nodes in regions.groups():
        g = regions.find(regions.group[nodes[0]])
        shapes[g], paths[g] = {keys.of(o) for n in nodes for o in n.outputs}, regions.paths[nodes[0]]
        members = set(nodes)
        reads = {v for n in nodes for v in n.inputs if v.owner not in members and not codegen.is_literal(v)}
        for other in dict.fromkeys(regions.find(last_reader[v]) for v in reads if v in last_reader):
            if shapes[other] == shapes[g] and len(shapes[g]) == 1 and paths[other] == paths[g] \
                    and regions.merge(other, g):
                g = other
                break
        for v in reads:
            last_reader[v] = g
    return regions.groups()


def _fuse_on_the_host(fgraph):
    """Regions of two nodes or more as Composites run by generated C++ (one node gains
    nothing from a loop of its own: NumPy's already makes one pass), except regions of
    scalars: a kernel call costs about what a NumPy call on a 0-d array does, so fusing them
    gains little and would hide their nodes from modes and printing."""
    _sizes_from_arguments(fgraph)
    regions = Regions(fgraph, _HostPolicy())
    apart = _recomputed_tails(fgraph, regions)
    if apart:
        regions = Regions(fgraph, _HostPolicy(apart))
    groups = _with_siblings(fgraph, regions)
    for nodes in groups:
        if len(nodes) > 1 and any(o.ndim for n in nodes for o in n.outputs):
            _fuse(fgraph, nodes)
    fgraph.prune()


def _fuse(fgraph, nodes):
    member = set(nodes)
    used_outside = [o for n in nodes for o in n.outputs if o in fgraph.outputs
                    or any(client not in member for client, _ in fgraph.clients.get(o, ()))]
    op, outer = composite_of(nodes, used_outside)
    node = op.make_node(*outer)
    if "device" in nodes[0].tag:
        node.tag["device"] = nodes[0].tag["device"]
    for old, new in zip(used_outside, node.outputs):
        fgraph.replace(old, new, reason="fusion")


def _sizes_from_arguments(fgraph):
    """Sizes read from the function's arguments, not from values the call computes, where
    the shape keys prove them equal (``1 / x.shape[0]`` of a mean over rows of a reduction's
    result): a fused node must not wait for the size of its own output."""
    keys = shape_keys(fgraph)
    for node in fgraph.toposort():  # what elementwise nodes prove about shapes, before they are fused
        if isinstance(node.op, Elemwise):
            keys.of(node.outputs[0])
    sources = {}
    for var in fgraph.inputs:
        if var in getattr(fgraph, "host_arguments", ()):
            for axis, key in enumerate(keys.of(var)):
                if not isinstance(key, int):
                    sources.setdefault(key, (var, axis))
    for node in fgraph.toposort():
        if isinstance(node.op, ShapeI) and node.inputs[0].owner is not None:
            found = sources.get(keys.of(node.inputs[0])[node.op.axis])
            if found is not None:
                size = ShapeI(found[1])(found[0])
                size.owner.tag["device"] = node.tag.get("device", "cpu")
                fgraph.replace(node.outputs[0], size, reason="size of an argument")


def _group_sinks(fgraph):
    """The elementwise kernels whose results only leave the call (an optimizer step's
    parameter updates, one shape each) as one launch: none of them waits for another."""
    sinks = [node for node in fgraph.toposort() if isinstance(node.op, Composite) and _whole(node.op) and all(
        o in fgraph.outputs and not fgraph.clients.get(o) for o in node.outputs)]
    if len(sinks) < 2:
        return
    op = ElementwiseGroup([node.op for node in sinks])
    node = op.make_node(*[v for n in sinks for v in n.inputs])
    node.tag["device"] = sinks[0].tag["device"]
    for old, new in zip([o for n in sinks for o in n.outputs], node.outputs):
        fgraph.replace(old, new, reason="grouped launch")
    fgraph.prune()


def _whole(composite):
    """Whether every output varies with every array input: each has the part's whole shape."""
    arrays = {k for k in range(len(composite.inputs)) if k not in composite.by_value}
    return all(arrays <= set(deps) for deps in composite._deps)


class FusionPhase:
    """The pipeline phase; a no-op without device nodes."""
    name = "fusion"

    def __init__(self, modes=("fast_run", "fast_compile", "None")):
        self.modes = modes

    def run(self, fgraph):
        if getattr(fgraph, "device", "cpu") == "cpu":
            if enabled():
                _fuse_on_the_host(fgraph)
                fuse_reductions(fgraph, host=True)
                fgraph.prune()
            return
        _sizes_from_arguments(fgraph)
        for nodes in _with_siblings(fgraph, Regions(fgraph, _ElementwisePolicy)):
            _fuse(fgraph, nodes)
        fgraph.prune()
        fuse_reductions(fgraph)
        fgraph.prune()
        _group_sinks(fgraph)

    def __str__(self):
        return "fusion: connected elementwise regions on one device as one Composite (one kernel)"


__all__ = ["FusionPhase"]
