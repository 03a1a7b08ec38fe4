"""Reduction fusion: the elementwise kernels feeding a reduction, the reduction and the
elementwise kernels reading its result become one ``FusedReduction`` (ops/fused.py), one
row program (codegen/reduction.py), when they share a *domain*: a full shape (by the shape
keys of rewrites/shapes.py) and the axes reduced.

In a domain every value is *full* (exactly the full shape), a *row* value (the full shape
with the reduced axes of size 1, or dropped), or an input that broadcasts to one of those.
Members are device ``Composite`` nodes (after elementwise fusion) whose outputs are all full
or row values (on the CPU, ``host=True``: Composites and the elementwise nodes with a kernel
that host fusion left alone), ``Reduce`` nodes over exactly the domain's axes of a full value (or over some
of them of a row value: the identity), and ``DimShuffle`` views turning a row value into the
other row shape. A region takes its domain from its first reduction; a region without one,
or with nothing to fuse (one reduction alone), is left as it was.
"""
from ..codegen import elementwise as codegen
from ..codegen.reduction import REDUCTIONS
from ..graph.basic import Apply
from ..ops.elemwise import Composite, Elemwise
from ..ops.fused import FusedReduction
from ..ops.reduce import Reduce
from ..ops.shape import DimShuffle
from ..runtime.facets import KERNEL_DTYPES
from .regions import Regions
from .shapes import shape_keys


class _Domain:
    """A full shape's keys and the reduced axes; ``space(var)`` tells how ``var`` fits."""

    def __init__(self, keys, full, axes):
        self.keys, self.full, self.axes = keys, tuple(full), tuple(sorted(axes))
        self.kept = [k for a, k in enumerate(self.full) if a not in self.axes]

    def __eq__(self, other):
        return isinstance(other, _Domain) and (self.full, self.axes) == (other.full, other.axes)

    def space(self, var):
        """"full", "row" (exactly), "input" (readable: it broadcasts to one), or None."""
        k, static = self.keys.of(var), var.type.shape
        if var.ndim == len(self.full):
            if k == self.full:
                return "full"
            if all(static[a] == 1 if a in self.axes else k[a] == self.full[a] for a in range(var.ndim)):
                return "row"
            return "input" if all(k[a] == self.full[a] or static[a] == 1 for a in range(var.ndim)) else None
        if var.ndim == len(self.kept):
            if list(k) == self.kept:
                return "row"
            return "input" if all(x == y or s == 1 for x, y, s in zip(k, self.kept, static)) else None
        return None

    def admits(self, node):
        """Whether ``node`` computes in this domain (see the module docstring)."""
        outs = [self.space(o) for o in node.outputs]
        if any(s not in ("full", "row") for s in outs):
            return False
        if isinstance(node.op, Reduce):
            source = self.space(node.inputs[0])
            return source == "full" and node.op.axis == self.axes or source == "row" and set(node.op.axis) <= set(
                self.axes) and node.inputs[0].ndim == len(self.full)
        if isinstance(node.op, DimShuffle):
            return self.space(node.inputs[0]) == "row" and self._keeps_rows(node)
        by_value = {node.inputs[k] for k in getattr(node.op, "by_value", ())}
        return all(self.space(v) is not None for v in node.inputs if v not in by_value)

    def _keeps_rows(self, node):
        """A dimshuffle of row values that only adds or drops reduced axes."""
        def kept_axes(var):
            return [a for a in range(var.ndim) if a not in self.axes] if var.ndim == len(self.full) \
                else list(range(var.ndim))
        pattern = node.op.pattern
        return [pattern[a] for a in kept_axes(node.outputs[0])] == kept_axes(node.inputs[0])


def _reduction(node):
    """A Reduce a row program computes (any kind of a kernel dtype over some axes)."""
    return (isinstance(node.op, Reduce) and node.op.kind in REDUCTIONS and node.op.axis
            and node.inputs[0].dtype in KERNEL_DTYPES and node.outputs[0].dtype in KERNEL_DTYPES)


def _elementwise(node, host):
    """Elementwise work a row program computes: a Composite, on the CPU also a lone node."""
    return isinstance(node.op, Composite) or host and isinstance(node.op, Elemwise) and codegen.supports(node)


class _RowPolicy:
    """Regions of one domain each (``Regions``' policy): ``labels[region]`` is its domain.
    Members are the device's nodes, or with ``host`` those of a CPU graph."""

    def __init__(self, fgraph, host=False):
        self.keys, self.host = shape_keys(fgraph), host

    def member(self, node):
        if (node.tag.get("device", "cpu") == "cpu") != self.host:
            return False
        return _elementwise(node, self.host) or isinstance(node.op, DimShuffle) or _reduction(node)

    def choose(self, node, allowed, regions):
        """The producers' regions of the first domain admitting ``node``: a labelled
        producer's, else the one its own reduction starts."""
        domains = [regions.labels[g] for g in allowed if regions.labels.get(g) is not None]
        if _reduction(node) and node.inputs[0].ndim:
            domains.append(_Domain(self.keys, self.keys.of(node.inputs[0]), node.op.axis))
        domain = next((d for d in domains if d.admits(node)), None)
        if domain is None:
            return []
        chosen = [g for g in allowed if regions.labels.get(g) == domain or regions.labels.get(g) is None
                  and all(domain.admits(n) for n in regions.members(g))]
        gid = chosen[0] if chosen else len(regions.parent)
        regions.labels[gid] = domain
        return chosen


def fuse_reductions(fgraph, host=False):
    """Every region worth it (elementwise work and a reduction, or several reductions) as one
    node; ``host``: the nodes of a CPU graph (``device="cpu"``), else the device's."""
    regions = Regions(fgraph, _RowPolicy(fgraph, host))
    for nodes in regions.groups():
        domain = regions.labels.get(regions.find(regions.group[nodes[0]]))
        reductions = [n for n in nodes if isinstance(n.op, Reduce)]
        if domain is not None and reductions and len(reductions) + sum(
                _elementwise(n, host) for n in nodes) > 1:
            _fuse(fgraph, nodes, domain)


def _fuse(fgraph, nodes, domain):
    member = set(nodes)
    produced = {o for n in nodes for o in n.outputs}
    outer = list(dict.fromkeys(v for n in nodes for v in n.inputs if v not in produced and not codegen.is_literal(v)))
    by_value = {v for n in nodes if isinstance(n.op, Composite) for k in n.op.by_value for v in [n.inputs[k]]}
    used_outside = [o for n in nodes for o in n.outputs if o in fgraph.outputs
                    or any(client not in member for client, _ in fgraph.clients.get(o, ()))]
    memo = {v: v.clone() for v in outer}
    for n in nodes:
        memo.update(zip(n.outputs, _inlined(n, [memo.get(v, v) for v in n.inputs])))
    op = FusedReduction([memo[v] for v in outer], [memo[o] for o in used_outside], len(domain.full), domain.axes,
                        {k for k, v in enumerate(outer) if v in by_value})
    node = op.make_node(*outer)
    if "device" in nodes[0].tag:
        node.tag["device"] = nodes[0].tag["device"]
    for old, new in zip(used_outside, node.outputs):
        fgraph.replace(old, new, reason="reduction fusion")


def _inlined(node, inputs):
    """The outputs of ``node`` rebuilt on ``inputs``: a Composite's inner nodes, else a copy."""
    if not isinstance(node.op, Composite):
        return Apply(node.op, inputs, [o.clone() for o in node.outputs]).outputs
    local = dict(zip(node.op.inputs, inputs))
    for inner in node.op.nodes:
        copy = Apply(inner.op, [local.get(v, v) for v in inner.inputs], [o.clone() for o in inner.outputs])
        local.update(zip(inner.outputs, copy.outputs))
    return [local[o] for o in node.op.outputs]
