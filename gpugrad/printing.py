"""``pp`` (infix, as Theano prints gradients) and ``debugprint`` (one node a line)."""
from .graph.basic import Constant
from .graph.traversal import toposort


def pp(var):
    """Infix rendering: ``((fill((x ** 2), 1.0) * 2) * (x ** (2 - 1)))``."""
    names = {}
    memo = {}
    for node in toposort([var]):
        for out in node.outputs:
            memo[out] = _render(node, out, memo, names)
    return _leaf(var, names) if var not in memo else memo[var]


def _leaf(var, names):
    if isinstance(var, Constant) or var.name:
        return repr(var)
    return names.setdefault(var, f"<{var.type}>")


def _render(node, out, memo, names):
    args = [memo[v] if v in memo else _leaf(v, names) for v in node.inputs]
    printer = getattr(node.op, "pp", None)
    if printer is not None:
        return printer(node, args)
    if len(node.outputs) > 1:
        return f"{node.op}({', '.join(args)})[{out.index}]"
    return f"{node.op}({', '.join(args)})"


def debugprint(obj, file=None, print_type=True):
    """One line per node, children indented under the node that reads them; a node
    seen before is shown by its id only. Returns the text (and prints it to ``file``)."""
    maker = getattr(obj, "maker", None)
    outputs = maker.fgraph.outputs if maker is not None else obj if isinstance(obj, (list, tuple)) else [obj]
    placement = getattr(obj, "placement", {})
    ids, lines = {}, []
    for out in outputs:
        stack = [(out, 0)]
        while stack:
            var, depth = stack.pop()
            node = var.owner
            if node is None:
                lines.append("   " * depth + f"{var!r}" + (f" [{var.type}]" if print_type else ""))
                continue
            seen = node in ids
            ident = ids.setdefault(node, f"id {chr(65 + len(ids) % 26)}{len(ids) // 26 or ''}")
            where = f" on {placement[node]}" if node in placement else ""
            label = f"{node.op}" + (f".{var.index}" if len(node.outputs) > 1 else "")
            lines.append("   " * depth + f"{label} [{ident}]" + (f" {var.type}" if print_type else "")
                         + ("" if seen else where) + (" (seen above)" if seen else ""))
            if not seen:
                stack.extend((v, depth + 1) for v in reversed(node.inputs))
    text = "\n".join(lines)
    print(text, file=file)
    return text
