"""``validate``: check the invariants every pass relies on, so that a rewrite or a
hand-built node that breaks one fails at once, naming the culprit, instead of
producing wrong numbers later.

Checked: each output of an Apply points back to it (``owner``, ``index``); every
variable has a TensorType and every constant's data matches it; there is no cycle;
and, for a FunctionGraph, the graph reads only its inputs and constants and the
``clients`` map agrees with the nodes' inputs in both directions.
"""
from ..errors import GraphError
from .basic import Constant, Variable
from .traversal import toposort


def validate(outputs_or_fgraph):
    """Raise GraphError at the first broken invariant; return the toposorted nodes."""
    fgraph = outputs_or_fgraph if hasattr(outputs_or_fgraph, "clients") else None
    if fgraph is not None:
        outputs, blockers = list(fgraph.outputs), list(fgraph.inputs)
    else:
        outputs = outputs_or_fgraph if isinstance(outputs_or_fgraph, (list, tuple)) else [outputs_or_fgraph]
        blockers = []
    for var in outputs:
        _check_variable(var, "an output")
    nodes = toposort(outputs, blockers=blockers)
    for node in nodes:
        _check_node(node)
    if fgraph is not None:
        _check_fgraph(fgraph, nodes)
    return nodes


def _check_node(node):
    for pos, out in enumerate(node.outputs):
        _check_variable(out, f"output {pos} of {node.op}")
        if out.owner is not node or out.index != pos:
            raise GraphError(f"output {pos} ({out!r}) of {node.op} points to owner {out.owner} "
                             f"at index {out.index}, not back to its node")
    for pos, var in enumerate(node.inputs):
        _check_variable(var, f"input {pos} of {node.op}")


def _check_variable(var, where):
    if not isinstance(var, Variable):
        raise GraphError(f"{where} is {type(var).__name__} {var!r}, not a Variable")
    if not all(hasattr(var.type, a) for a in ("dtype", "ndim", "shape")):  # types/ sits below graph/
        raise GraphError(f"{where} ({var!r}) has type {var.type!r}, not a TensorType")
    if isinstance(var, Constant):
        data, typ = var.data, var.type
        if str(data.dtype) != typ.dtype or data.ndim != typ.ndim or not all(
                s is None or s == d for s, d in zip(typ.shape, data.shape)):
            raise GraphError(f"{where} is a constant whose data (dtype {data.dtype}, shape {data.shape}) "
                             f"does not match its type {typ}")


def _check_fgraph(fgraph, nodes):
    inputs = set(fgraph.inputs)
    for var in fgraph.inputs:
        if var.owner is not None:
            raise GraphError(f"FunctionGraph input {var!r} is computed by {var.owner.op}; inputs must be leaves")
    live = set(nodes)
    missing = live - set(fgraph.nodes)
    if missing:
        raise GraphError(f"FunctionGraph does not know its node {next(iter(missing)).op}")
    for node in nodes:
        for pos, var in enumerate(node.inputs):
            if var.owner is None and var not in inputs and not isinstance(var, Constant):
                raise GraphError(f"input {pos} of {node.op} is {var!r}, which is neither an input of "
                                 "the FunctionGraph nor a constant")
            if (node, pos) not in fgraph.clients.get(var, ()):
                raise GraphError(f"clients of {var!r} lack input {pos} of {node.op}")
    for var, entries in fgraph.clients.items():
        for node, pos in entries:
            if node in live and (pos >= len(node.inputs) or node.inputs[pos] is not var):
                raise GraphError(f"clients of {var!r} list input {pos} of {node.op}, which reads "
                                 f"{node.inputs[pos] if pos < len(node.inputs) else 'nothing'} instead")
