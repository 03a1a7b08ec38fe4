"""Symbolic shape equality for rewrites: ``shape_key(fgraph, var)`` gives one key per
axis (an int when static, else a canonical form of the expression computing the size),
so two variables have equal shapes when their keys are equal.

Keys come from each op's ``infer_shape``, followed back to the graph inputs. An
Elemwise also proves its non-broadcast inputs equal along each axis (they must be, or
the call fails), which a union-find records."""
from ..graph.basic import Constant
from ..graph.traversal import dependency_order
from ..ops.elemwise import Elemwise
from ..ops.shape import ShapeI, shape_tuple


class ShapeKeys:
    def __init__(self, fgraph):
        self.fgraph = fgraph
        self.memo = {}
        self.parent = {}
        self.interned = {}

    def find(self, key):
        root = key
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while key != root:  # path compression: unions of 10,000 inputs stay linear
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:
            if isinstance(a, int):
                a, b = b, a
            self.parent[a] = b

    def of(self, var):
        """The canonical key per axis of ``var``."""
        self._know(var)
        return tuple(self.find(k) for k in self.memo[var])

    def _know(self, var):
        """Compute the keys of ``var`` and of every ancestor not known yet, inputs first, so
        that ``_compute`` finds its inputs' keys: no recursion, however deep the graph."""
        if var not in self.memo:
            for v in dependency_order([var], known=self.memo):
                self.memo[v] = self._compute(v)

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
        self._know(var)
        return self.memo[var][axis]

    def dim_key(self, dim):
        """Canonical key of a size: an int, or a flat token for an int64 scalar expression. Equal
        expressions get equal tokens (hash-consing, ``interned``), so keys never nest, however
        deep the graph; the expression is walked from a stack, its inputs first."""
        if isinstance(dim, int):
            return dim
        keys, stack = {}, [dim]
        while stack:
            var = stack[-1]
            node = var.owner
            if var in keys:
                pass
            elif isinstance(var, Constant):
                keys[var] = int(var.data)
            elif node is None:
                keys[var] = ("scalar", var.id)
            elif isinstance(node.op, ShapeI):
                keys[var] = self.find(self.memo_key(node.inputs[0], node.op.axis))
            else:
                pending = [v for v in node.inputs if v.ndim == 0 and v not in keys]
                if pending:
                    stack.extend(pending)
                    continue
                expression = (str(node.op),) + tuple(keys[v] if v.ndim == 0 else ("value", v.id) for v in node.inputs)
                keys[var] = self.interned.setdefault(expression, ("expression", len(self.interned)))
            stack.pop()
        return keys[dim]


def shape_keys(fgraph):
    """The fgraph's ShapeKeys, made once and kept on it: facts about shapes stay true
    while rewrites replace variables."""
    if getattr(fgraph, "shape_keys", None) is None:
        fgraph.shape_keys = ShapeKeys(fgraph)
    return fgraph.shape_keys
