"""Merge: equal constants become one, and nodes applying equal ops to the same
inputs become one (common subexpression elimination)."""
from ..graph.basic import Constant


def merge(fgraph):
    """One pass in topological order; each node is compared after its inputs merged."""
    constants = {}
    for var in list(fgraph.clients):
        if isinstance(var, Constant):
            canonical = constants.setdefault(var.signature(), var)
            if canonical is not var:
                fgraph.replace(var, canonical, reason="merge")
    seen = {}
    for node in fgraph.toposort():
        key = (node.op, tuple(node.inputs))
        first = seen.setdefault(key, node)
        if first is not node:
            for old, new in zip(node.outputs, first.outputs):
                fgraph.replace(old, new, reason="merge")
    fgraph.prune()


class MergePhase:
    """A phase object for the pipeline: merge has no local form."""
    name = "merge"

    def __init__(self, modes=("fast_run", "fast_compile")):
        self.modes = modes

    def run(self, fgraph):
        merge(fgraph)

    def __str__(self):
        return "merge: equal constants and common subexpressions"
