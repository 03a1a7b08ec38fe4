"""Symbolic shape equality for rewrites: ``shape_key(fgraph, var)`` gives one key per
axis (an int when static, else a canonical form of the expression computing the size),
so two variables have equal shapes when their keys are equal.

Keys come from each op's ``infer_shape``, followed back to the graph inputs. An
Elemwise also proves its non-broadcast inputs equal along each axis (they must be, or
the call fails), which a union-find records."""
from ..graph.basic import Constant
from ..ops.elemwise import Elemwise
from ..ops.shape import ShapeI, shape_tuple


class ShapeKeys:
    def __init__(self, fgraph):
        self.fgraph = fgraph
        self.memo = {}
        self.parent = {}

    def find(self, key):
        while self.parent.get(key, key) != key:
            key = self.parent[key]
        return key

    def union(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:
            if isinstance(a, int):
                a, b = b, a
            self.parent[a] = b

    def of(self, var):
        """The canonical key per axis of ``var``."""
        if var not in self.memo:
            self.memo[var] = self._compute(var)
        return tuple(self.find(k) for k in self.memo[var])

    def same_shape(self, a, b):
        return a.ndim == b.ndim and self.of(a) == self.of(b)

    def _compute(self, var):
        static = var.type.shape
        node = var.owner
        if node is None:
            return tuple(s if s is not None else ("input", var.id, axis) for axis, s in enumerate(static))
        if isinstance(node.op, Elemwise):
            self._unite_elemwise(node)
        try:
            inferred = node.op.infer_shape(node, [shape_tuple(v) for v in node.inputs])[var.index]
        except NotImplementedError:
            inferred = [None] * var.ndim
        return tuple(s if s is not None else
                     ("output", var.id, axis) if d is None else self.dim_key(d)
                     for axis, (s, d) in enumerate(zip(static, inferred)))

    def _unite_elemwise(self, node):
        for axis in range(node.outputs[0].ndim):
            keys = [self.memo_key(v, axis) for v in node.inputs if v.type.shape[axis] != 1]
            for k in keys[1:]:
                self.union(keys[0], k)

    def memo_key(self, var, axis):
        if var not in self.memo:
            self.memo[var] = self._compute(var)
        return self.memo[var][axis]

    def dim_key(self, dim):
        """Canonical key of a size: an int, or an int64 scalar expression."""
        if isinstance(dim, int):
            return dim
        if isinstance(dim, Constant):
            return int(dim.data)
        node = dim.owner
        if node is None:
            return ("scalar", dim.id)
        if isinstance(node.op, ShapeI):
            return self.find(self.memo_key(node.inputs[0], node.op.axis))
        return (str(node.op),) + tuple(self.dim_key(v) if v.ndim == 0 else ("value", v.id) for v in node.inputs)


def shape_keys(fgraph):
    """The fgraph's ShapeKeys, made once and kept on it: facts about shapes stay true
    while rewrites replace variables."""
    if getattr(fgraph, "shape_keys", None) is None:
        fgraph.shape_keys = ShapeKeys(fgraph)
    return fgraph.shape_keys
