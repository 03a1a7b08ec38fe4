"""FunctionGraph: a private, mutable copy of a graph between fixed inputs and outputs,
which rewrites edit in place by replacing variables."""
import collections

from ..errors import GpugradError
from .basic import Apply, Constant
from .traversal import ancestors, toposort


class FunctionGraph:
    def __init__(self, inputs, outputs, clone=True):
        """``clone`` copies every node (and the inputs), so rewriting never touches the
        user's graph; ``self.memo`` maps the user's variables to the copies."""
        self.memo = {}
        if clone:
            inputs, outputs = self._clone(inputs, outputs)
        self.inputs = list(inputs)
        self.outputs = OutputList(outputs)
        self._order = None
        self.clients = {}
        self.nodes = set()
        for var in self.outputs:
            self._import(var)

    def _clone(self, inputs, outputs):
        memo = self.memo
        for var in inputs:
            memo[var] = var.clone()
        for node in toposort(outputs, blockers=inputs):
            new_inputs = []
            for v in node.inputs:
                if v not in memo:
                    memo[v] = v if isinstance(v, Constant) else v.clone()
                new_inputs.append(memo[v])
            new_node = Apply(node.op, new_inputs, [o.clone() for o in node.outputs])
            for old, new in zip(node.outputs, new_node.outputs):
                memo[old] = new
        for v in outputs:
            if v not in memo:
                memo[v] = v if isinstance(v, Constant) else v.clone()
        return [memo[v] for v in inputs], [memo[v] for v in outputs]

    def _import(self, var):
        """Register the nodes computing ``var`` that the graph does not know yet."""
        stack = [var]
        while stack:
            node = stack.pop().owner
            if node is None or node in self.nodes:
                continue
            self.nodes.add(node)
            for pos, v in enumerate(node.inputs):
                self.clients.setdefault(v, []).append((node, pos))
            stack.extend(node.inputs)

    def toposort(self):
        if self._order is None:
            self._order = toposort(self.outputs, blockers=self.inputs)
        return self._order

    def variables(self):
        return ancestors(self.outputs, blockers=self.inputs)

    def replace(self, old, new, reason=None):
        """Make every reader of ``old`` read ``new`` instead (types must agree)."""
        if old is new:
            return
        if old.type != new.type:
            if old.type.dtype != new.type.dtype or old.type.ndim != new.type.ndim:
                raise GpugradError(f"rewrite {reason}: cannot replace {old} ({old.type}) "
                                   f"by {new} ({new.type})")
        self._import(new)
        for node, pos in self.clients.pop(old, []):
            node.inputs[pos] = new
            self.clients.setdefault(new, []).append((node, pos))
        if old in self.outputs:
            self.outputs = OutputList(new if v is old else v for v in self.outputs)
        self._order = None

    def prune(self):
        """Drop client entries of nodes no longer reachable from the outputs."""
        live = set(self.toposort())
        self.nodes = live
        self.clients = {v: [(n, p) for n, p in cl if n in live] for v, cl in self.clients.items()}
        self.clients = {v: cl for v, cl in self.clients.items() if cl}

    def __str__(self):
        return f"FunctionGraph({', '.join(map(str, self.outputs))})"


class OutputList(list):
    """``FunctionGraph.outputs``: a list whose ``in`` is a dictionary lookup. Rewrites ask it of
    nearly every node, so with as many outputs as nodes (the gradient with respect to 10,000
    inputs) a list's scan would make compiling quadratic."""

    def __init__(self, items=()):
        super().__init__(items)
        self._recount()

    def _recount(self):
        self._counts = collections.Counter(self)

    def __contains__(self, var):
        return self._counts.get(var, 0) > 0

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            super().__setitem__(index, value)
            self._recount()
            return
        self._counts[self[index]] -= 1
        self._counts[value] += 1
        super().__setitem__(index, value)


def _recounting(name):
    method = getattr(list, name)

    def mutate(self, *args):
        result = method(self, *args)
        self._recount()
        return result
    mutate.__name__ = name
    return mutate


for _name in ("__delitem__", "__iadd__", "append", "extend", "insert", "pop", "remove", "clear"):
    setattr(OutputList, _name, _recounting(_name))
