"""Walks over graphs, all iterative so that deep graphs (long chains, unrolled loops)
never meet Python's recursion limit."""
from ..errors import GraphError


def ancestors(outputs, blockers=()):
    """Every variable that ``outputs`` depend on, stopping at ``blockers``."""
    blockers = set(blockers)
    seen, stack, order = set(), list(outputs), []
    while stack:
        var = stack.pop()
        if var in seen:
            continue
        seen.add(var)
        order.append(var)
        if var.owner is not None and var not in blockers:
            stack.extend(var.owner.inputs)
    return order


def graph_inputs(outputs, blockers=()):
    """The leaves (owner-less variables, or blockers) that ``outputs`` depend on."""
    blockers = set(blockers)
    return [v for v in ancestors(outputs, blockers) if v.owner is None or v in blockers]


def toposort(outputs, blockers=()):
    """The Apply nodes between ``blockers`` (or the leaves) and ``outputs``, inputs first.
    A node met again while its own inputs are being sorted closes a cycle: GraphError."""
    blockers = set(blockers)
    order, done, open_nodes = [], set(), set()
    stack = [(v, False) for v in reversed(outputs)]
    while stack:
        var, expanded = stack.pop()
        node = var.owner
        if node is None or var in blockers or node in done:
            continue
        if expanded:
            done.add(node)
            open_nodes.discard(node)
            order.append(node)
            continue
        if node in open_nodes:
            raise GraphError(f"the graph has a cycle through {node.op} (computing {var})")
        open_nodes.add(node)
        stack.append((var, True))
        stack.extend((i, False) for i in reversed(node.inputs) if i.owner is not None and i.owner not in done)
    return order


def dependency_order(outputs, known=()):
    """The variables ``outputs`` depend on that are not in ``known`` (a set or dict), each after
    the inputs of its owner: what a memoized computation over a graph visits first, so that it
    never has to recurse."""
    order, done = [], set()
    stack = [(v, False) for v in reversed(outputs)]
    while stack:
        var, expanded = stack.pop()
        if expanded:
            order.append(var)
            continue
        if var in done or var in known:
            continue
        done.add(var)
        stack.append((var, True))
        if var.owner is not None:
            stack.extend((v, False) for v in reversed(var.owner.inputs) if v not in done and v not in known)
    return order


def clients_of(nodes):
    """Map variable -> list of (node, input position) that read it."""
    clients = {}
    for node in nodes:
        for pos, var in enumerate(node.inputs):
            clients.setdefault(var, []).append((node, pos))
    return clients


def clone_graph(outputs, replace=None, blockers=()):
    """Copy the graph of ``outputs``; ``replace`` maps old variables to new ones.
    Leaves are kept (the same input variables), nodes are rebuilt through make_node."""
    memo = dict(replace or {})
    for node in toposort(outputs, blockers=set(blockers) | set(memo)):
        new_inputs = [memo.get(v, v) for v in node.inputs]
        if all(a is b for a, b in zip(new_inputs, node.inputs)):
            continue
        new_node = node.op.make_node(*new_inputs)
        for old, new in zip(node.outputs, new_node.outputs):
            memo[old] = new
    return [memo.get(v, v) for v in outputs]
