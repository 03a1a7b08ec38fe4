"""Lazy branches: nodes that only one branch of a lazy op (``ifelse``) needs run only when
that branch is taken.

A lazy op declares ``branches(node)`` (the input positions each branch needs) and
``choose(condition)`` (the branch a host value of input 0 takes); the linker sets its
thunk's ``chosen`` to that branch before calling it, so the condition is read once. Every node gets a *branch path*:
the lazy nodes and branches whose values alone need it, outermost first, the longest path
common to all its uses (a use as a branch input of a lazy node extends that node's path).
Nodes with an empty path run on every call.

``execution_order`` places each branch's nodes right before their lazy node, so the
memory plan (in-place writes, rewrites/memory.py) and the linker see the order a call
runs. ``fold`` then turns each lazy node and the branches before it into one thunk: read
the condition (a device value is read back once), run that branch's thunks, select.
"""
from ..graph.basic import Constant


def _lazy_positions(node):
    """``{input position: branch}`` of a lazy node, ``{}`` for any other."""
    branches = getattr(node.op, "branches", None)
    return {} if branches is None else {p: k for k, ps in enumerate(branches(node)) for p in ps}


def _common_prefix(paths):
    first = paths[0]
    n = len(first)
    for other in paths[1:]:
        n = min(n, len(other))
        while n and other[:n] != first[:n]:
            n -= 1
    return first[:n]


def branch_paths(nodes, outputs):
    """``node -> path``: a tuple of (lazy node, branch) pairs, outermost first."""
    uses, paths = {}, {}
    results = set(outputs)
    for node in reversed(nodes):
        found = [()] if any(o in results for o in node.outputs) else []
        found += [u for o in node.outputs for u in uses.get(o, ())]
        path = _common_prefix(found) if found else ()
        paths[node] = path
        lazy = _lazy_positions(node)
        for pos, var in enumerate(node.inputs):
            if not isinstance(var, Constant):
                uses.setdefault(var, []).append(path + ((node, lazy[pos]),) if pos in lazy else path)
    return paths


def schedule(fgraph):
    """``(order, paths)``: the nodes of ``fgraph`` in the order a call runs them (each branch's
    own nodes right before their lazy node; ``fgraph.toposort()`` when there is no lazy
    node) and their branch paths (None when there is no lazy node)."""
    nodes = fgraph.toposort()
    if not any(_lazy_positions(node) for node in nodes):
        return nodes, None
    paths = branch_paths(nodes, fgraph.outputs)
    blocks = {}
    for node in nodes:
        if paths[node]:
            blocks.setdefault(paths[node][-1], []).append(node)
    order = []

    def emit(node):
        for k in range(len(node.op.branches(node)) if _lazy_positions(node) else 0):
            for inner in blocks.get((node, k), ()):
                emit(inner)
        order.append(node)
    for node in nodes:
        if not paths[node]:
            emit(node)
    return order, paths


def execution_order(fgraph):
    return schedule(fgraph)[0]


def fold(order, paths, thunks, raw, cells):
    """``(nodes, thunks, blocks)``: the nodes of ``order`` that run on every call and their
    thunks, in which a lazy node's thunk first runs the branch it chooses (the thunks of
    the nodes before it that only that branch needs); ``blocks`` holds every branch's
    ``(thunks, nodes)``. ``raw`` are the nodes' thunks before the linker wrapped them."""
    if paths is None:
        return list(order), list(thunks), []
    blocks, main = {}, ([], [])
    for node, thunk, bare in zip(order, thunks, raw):
        if _lazy_positions(node):
            branches = [blocks.setdefault((node, k), ([], [])) for k in range(len(node.op.branches(node)))]
            thunk = _branching(node, thunk, bare, [b[0] for b in branches], cells)
        target = blocks.setdefault(paths[node][-1], ([], [])) if paths[node] else main
        target[0].append(thunk)
        target[1].append(node)
    return main[1], main[0], list(blocks.values())


def _branching(node, thunk, bare, branch_thunks, cells):
    """Read the condition, run the chosen branch's thunks, then the lazy node's own."""
    condition, choose = cells[node.inputs[0]], node.op.choose
    device = node.tag.get("device", "cpu")
    read = host_reader(device)

    def run():
        k = choose(read(condition[0]))
        for step in branch_thunks[k]:
            step()
        bare.chosen = k
        thunk()
    return run


def host_reader(device):
    """A function giving a host array for a value of ``device`` (the identity on the CPU)."""
    if device == "cpu":
        return lambda value: value
    from .device_arrays import on_host
    return lambda value: on_host(device, value)
