"""Independent elementwise kernels as one launch (an optimizer step's parameter updates, one
shape each): each *part* is a Composite's inner graph over its own shape and operands, and
one grid-stride loop runs over the elements of every part one after the other, each index
handed to its part::

    for (i64 i = ...; i < total; i += stride) {
        if (i < geometry[2]) { const i64 at = i; ... part 0's element at ... }
        else if (i < geometry[3]) { const i64 at = i - geometry[2]; ... part 1's ... }
    }

``geometry`` is ``[table of part 0, ..., table of part P-1 (offsets), end of part 0, ...,
end of part P-1 (running sums of their sizes), tables...]``, a part's table its rank, its
shape and each array input's strides (0 where it broadcasts). A part's outputs are
C-contiguous; its names carry its number (``p1a0``, ``p1out0``), its expressions are the
table's (codegen/elementwise.py), so each part computes exactly what its own kernel would.
"""
from .elementwise import ctype, grid_stride, is_literal, literal, value_of

KERNEL_NAME = "grouped"


def render(parts):
    """The kernel of ``parts``: objects with a Composite's ``inputs``, ``outputs``, ``nodes``
    and ``by_value``."""
    params, branches = [], []
    for j, part in enumerate(parts):
        part_params, body = _part(j, part)
        params += part_params
        start = "i" if j == 0 else f"i - geometry[{len(parts) + j - 1}]"
        branches.append(f"        {'if' if j == 0 else 'else if'} (i < geometry[{len(parts) + j}]) {{\n"
                        f"            const i64 at = {start};\n" + "\n".join(body) + "\n        }")
    return grid_stride(KERNEL_NAME, params + ["const i64* geometry", "i64 total"], "total", branches)


def _part(j, part):
    """``(parameters, body lines)`` of part ``j``."""
    arrays = [k for k in range(len(part.inputs)) if k not in part.by_value]
    names = {v: f"p{j}a{k}" for k, v in enumerate(part.inputs)}
    params = [f"const {ctype(v.dtype)} p{j}a{k}" if k in part.by_value else
              f"const {ctype(v.dtype)}* __restrict__ p{j}in{k}" for k, v in enumerate(part.inputs)]
    params += [f"{ctype(v.dtype)}* __restrict__ p{j}out{k}" for k, v in enumerate(part.outputs)]
    pad = "            "
    body = []
    if arrays:
        body += [f"{pad}const i64* g = geometry + geometry[{j}];",
                 f"{pad}const int nd = int(g[0]);",
                 f"{pad}i64 o[{len(arrays)}] = {{0}}, rest = at;",
                 f"{pad}for (int d = nd - 1; d >= 0; --d) {{",
                 f"{pad}    const i64 k = rest % g[1 + d];",
                 f"{pad}    rest /= g[1 + d];",
                 *[f"{pad}    o[{row}] += k * g[1 + nd * {row + 1} + d];" for row in range(len(arrays))],
                 f"{pad}}}"]
    body += [f"{pad}const {ctype(part.inputs[k].dtype)} p{j}a{k} = p{j}in{k}[o[{row}]];"
             for row, k in enumerate(arrays)]
    for node in part.nodes:
        for v in node.inputs:
            if v not in names and is_literal(v):
                names[v] = f"p{j}c{sum(n.startswith(f'p{j}c') for n in names.values())}"
                body.append(f"{pad}const {ctype(v.dtype)} {names[v]} = {literal(v.data, v.dtype)};")
        out = node.outputs[0]
        names[out] = f"p{j}v{sum(n.startswith(f'p{j}v') for n in names.values())}"
        body.append(f"{pad}const {ctype(out.dtype)} {names[out]} = {value_of(node, names)};")
    body += [f"{pad}p{j}out{k}[at] = {names[v]};" for k, v in enumerate(part.outputs)]
    return params, body
