"""A row program (codegen/reduction.py's ``RowPlan``) -> one host C++ function (``device="cpu"``),
from the same plan, the same statements and the same combining functors as the CUDA kernel.

``gg_reduce(args, geometry, begin, end)`` computes rows ``[begin, end)``: for each row every
pass of the plan (its full values recomputed in each pass, as the CUDA kernel does), the row
values as locals, the full outputs written in their pass and the row outputs once per row.
The runtime (runtime/host_reduction.py) splits the rows over threads. ``args`` holds the
array inputs' then the outputs' data pointers; ``geometry`` is the device kernel's table
with the axes merged and the layout added: ``[kept, reduced, tile, kept sizes..., reduced
sizes..., strides...]`` (each operand's strides in elements over the kept axes then the
reduced ones, 0 where it does not vary), offsets in 64 bits. Two layouts:

- ``tile`` 0, rows along the contiguous axis (softmax over the last axis, row sums): one row
  at a time, the inner loop over the last reduced axis, each accumulator ``LANES`` partials
  wide (combined when the pass ends), so the loop has no chain of dependent adds and
  vectorizes; the outer reduced axes, if any, unravelled once per inner run.
- ``tile`` > 0, column reductions (the kept axis is the contiguous one: ``dh.sum(axis=0)``):
  up to ``tile`` neighbouring rows along the last kept axis at once, the columns outside
  and the tile's rows inside (unit stride), the row values arrays of the tile.

Only the row index (once per row or tile) and the column index of an outer run are
unravelled: the common merged 2-D cases divide once per row at most. Accumulators have the
output's dtype and reduce_ops.cuh's functors (NumPy's NaN rules and complex order), so
results agree with NumPy's to rounding (a sum adds in another order than NumPy's pairwise
sum) and integer and bool reductions exactly.
"""
import re

from . import host
from .elementwise import COMPLEX_TYPES, HELPERS, ctype
from .reduction import _FUNCTORS, _Writer, identity

KERNEL_NAME = "gg_reduce"
TILE = 256   # rows of a column-layout tile: its accumulators fit in L1 beside the rows' reads
LANES = 16   # partial accumulators of a row: one 512-bit vector of float32
SHIMS = """#include <cstring>
#include <algorithm>
static inline float __int_as_float(int x) { float f; std::memcpy(&f, &x, sizeof f); return f; }
static inline double __longlong_as_double(long long x) { double d; std::memcpy(&d, &x, sizeof d); return d; }
using std::isfinite;
// Adds to each operand's offset in ``o`` the index ``i`` unravelled over the geometry's axes
// [first, first + count): one division per axis but the first.
template <int N> static inline void gg_offsets(i64 i, const i64* size, const i64* steps, int width, int first,
                                              int count, i64 (&o)[N]) {
    if (count == 0) return;
    for (int d = first + count - 1; d > first; --d) {
        const i64 q = i / size[d], k = i - q * size[d];
        i = q;
        for (int j = 0; j < N; ++j) o[j] += k * steps[j * width + d];
    }
    for (int j = 0; j < N; ++j) o[j] += i * steps[j * width + first];
}
"""


def render(plan, functors):
    """The host source of ``plan`` (a ``RowPlan`` without by-value inputs) over ``functors``,
    the text of kernels/reduce_ops.cuh (the runtime reads it: codegen does not know where
    the package's files lie); see the module docstring."""
    operands = len(plan.inputs) + len(plan.outputs)
    unpack = [f"    const {ctype(v.dtype)}* in{k} = static_cast<const {ctype(v.dtype)}*>(args[{k}]);"
              for k, v in enumerate(plan.inputs)]
    unpack += [f"    {ctype(v.dtype)}* out{k} = static_cast<{ctype(v.dtype)}*>(args[{len(plan.inputs) + k}]);"
               for k, v in enumerate(plan.outputs)]
    body = [
        f'extern "C" __attribute__((visibility("default"))) void {KERNEL_NAME}('
        "void* const* args, const i64* geometry, i64 begin, i64 end) {",
        *unpack,
        "    const int kept = int(geometry[0]), reduced = int(geometry[1]), width = kept + reduced;",
        "    const i64 tile = geometry[2];",
        "    const i64* size = geometry + 3;",
        "    const i64* steps = size + width;",
        "    i64 cols = 1;",
        "    for (int d = kept; d < width; ++d) cols *= size[d];",
        f"    constexpr int N = {operands};",
        "    if (tile == 0) {", *_rows(_Writer(plan)), "    } else {", *_columns(_Writer(plan)), "    }", "}", ""]
    code = "\n".join(body)
    helpers = [text for name, text in HELPERS.items() if re.search(rf"\b{name}\b", code)]
    functors = functors.replace("#pragma once\n", "")
    return host.PRELUDE + COMPLEX_TYPES + SHIMS + functors + "".join(h + "\n" for h in helpers) + code


def _accumulate(w, reductions, index):
    """The lines folding each reduction's input into its accumulator ``acc<i>[index]``."""
    lines = []
    for i, s in reductions:
        U = ctype(s.node.outputs[0].dtype)
        lines.append(f"acc{i}[{index}] = {_FUNCTORS[s.kind]}<{U}>()(acc{i}[{index}], "
                     f"gg_to<{U}>()({w.name(s.node.inputs[0])}));")
    return lines


def _numbered(w, p):
    """Pass ``p``'s reductions, each with its index among all of the program's."""
    return [(w.plan.reductions().index(s), s) for s in w.plan.reductions(p)]


def _pass_body(w, p, at, lane):
    """The reads, full statements, accumulations (into ``acc<i>[lane]``) and full writes of
    pass ``p`` for one element, operand ``j`` being at ``at(j)``."""
    plan = w.plan
    steps, wanted = plan.needed_in(p)
    lines = [f"const {ctype(plan.inputs[k].dtype)} a{k} = in{k}[{at(j)}];" for j, k in enumerate(w.arrays)
             if plan.full[plan.inputs[k]] and plan.inputs[k] in wanted]
    lines += [w.compute(s, "") for s in steps]
    lines += _accumulate(w, _numbered(w, p), lane)
    lines += [f"out{k}[{at(w.out_operand[k])}] = {w.name(o)};" for k, o in enumerate(plan.outputs)
              if plan.full[o] and plan.ready[o] == p]
    return lines


def _unit_or_strided(w, p, bound, lane, index, steps, pad):
    """Pass ``p``'s innermost loop over ``lane`` (the element ``index`` along the axis of
    ``steps``) twice: unit-stride where every full operand steps by 1 along it (vectorized,
    ``ivdep``: outputs never alias inputs), else by the operands' own steps."""
    full = [j for j, k in enumerate(w.arrays) if w.plan.full[w.plan.inputs[k]]]
    full += [w.out_operand[k] for k, o in enumerate(w.plan.outputs) if w.plan.full[o]]
    unit = " && ".join(f"{steps}[{j}] == 1" for j in full) or "true"
    lines = []
    for condition, at in ((f"if ({unit}) {{", lambda j: f"co[{j}] + {index}"),
                          ("} else {", lambda j: f"co[{j}] + ({index}) * {steps}[{j}]")):
        lines += [condition, "#pragma GCC ivdep", f"    for (i64 {lane} = 0; {bound}; ++{lane}) {{",
                  *("        " + line for line in _pass_body(w, p, at, lane)), "    }"]
    return [pad + line if not line.startswith("#") else line for line in lines + ["}"]]


def _accumulators(reductions, width, index, count):
    """Each reduction's ``width`` accumulators, the first ``count`` set to its identity."""
    lines = []
    for i, s in reductions:
        out = s.node.outputs[0]
        lines += [f"            {ctype(out.dtype)} acc{i}[{width}];",
                  f"            for (i64 {index} = 0; {index} < {count}; ++{index}) "
                  f"acc{i}[{index}] = {identity(s.kind, out.dtype)};"]
    return lines


def _offsets(index, axes):
    """``co``: the row's offsets plus ``index`` unravelled over the first ``axes`` reduced
    axes (the outer ones of a row layout's run: none where the last is the only one)."""
    return ["                i64 co[N];",
            "                for (int j = 0; j < N; ++j) co[j] = ro[j];",
            f"                gg_offsets({index}, size, steps, width, kept, {axes}, co);"]


def _rows(w):
    """The row layout: one row at a time, lanes of partial accumulators over its columns."""
    plan, pad = w.plan, " " * 8
    lines = ["        const i64 inner = size[width - 1], outer = inner ? cols / inner : 0;",
             "        i64 cs[N];",
             "        for (int j = 0; j < N; ++j) cs[j] = steps[j * width + width - 1];",
             "        for (i64 r = begin; r < end; ++r) {",
             "            i64 ro[N] = {0};",
             "            gg_offsets(r, size, steps, width, 0, kept, ro);"]
    lines += [f"            const {ctype(plan.inputs[k].dtype)} a{k} = in{k}[ro[{j}]];"
              for j, k in enumerate(w.arrays) if not plan.full[plan.inputs[k]]]
    for p in range(plan.last + 1):
        lines += [w.compute(s, pad + "    ") for s in plan.row_steps(p)]
        if p not in plan.passes:
            continue
        reductions = _numbered(w, p)
        lines += _accumulators(reductions, LANES, "l", LANES)
        lines += ["            for (i64 q = 0; q < outer; ++q) {",
                  *_offsets("q", "reduced - 1"),
                  f"                for (i64 first = 0; first < inner; first += {LANES}) {{",
                  f"                    const i64 n = inner - first < {LANES} ? inner - first : {LANES};",
                  *_unit_or_strided(w, p, "l < n", "l", "first + l", "cs", "                    "),
                  "                }", "            }"]
        for i, s in reductions:
            out = s.node.outputs[0]
            U = ctype(out.dtype)
            lines += [f"            {U} {w.fresh(out)} = acc{i}[0];",
                      f"            for (int l = 1; l < {LANES}; ++l) {w.names[out]} = "
                      f"{_FUNCTORS[s.kind]}<{U}>()({w.names[out]}, acc{i}[l]);"]
    lines += [f"            out{k}[ro[{w.out_operand[k]}]] = {w.name(o)};"
              for k, o in enumerate(plan.outputs) if not plan.full[o]]
    return [pad + line for line in w.constants] + lines + ["        }"]


def _columns(w):
    """The column layout: a tile of neighbouring rows at once, its rows the inner loop."""
    plan = w.plan
    lines = ["        const i64 run = size[kept - 1];  // a tile's rows lie along the last kept axis",
             "        i64 ks[N];",
             "        for (int j = 0; j < N; ++j) ks[j] = steps[j * width + kept - 1];",
             "        for (i64 r0 = begin; r0 < end;) {",
             "            const i64 nt = std::min(std::min(tile, run - r0 % run), end - r0);",
             "            i64 ro[N] = {0};",
             "            gg_offsets(r0, size, steps, width, 0, kept, ro);"]
    for j, k in enumerate(w.arrays):
        v = plan.inputs[k]
        if not plan.full[v]:
            lines += [f"            {ctype(v.dtype)} a{k}[{TILE}];",
                      f"            for (i64 t = 0; t < nt; ++t) a{k}[t] = in{k}[ro[{j}] + t * ks[{j}]];"]
            w.names[v] = f"a{k}[t]"
    for p in range(plan.last + 1):
        lines += _tiled_row_steps(w, plan.row_steps(p))
        if p not in plan.passes:
            continue
        reductions = _numbered(w, p)
        lines += _accumulators(reductions, TILE, "t", "nt")
        lines += ["            for (i64 c = 0; c < cols; ++c) {",
                  *_offsets("c", "reduced"),
                  *_unit_or_strided(w, p, "t < nt", "t", "t", "ks", "                "),
                  "            }"]
        for i, s in reductions:
            w.names[s.node.outputs[0]] = f"acc{i}[t]"
    lines += [f"            for (i64 t = 0; t < nt; ++t) out{k}[ro[{w.out_operand[k]}] + t * ks[{w.out_operand[k]}]] "
              f"= {w.name(o)};" for k, o in enumerate(plan.outputs) if not plan.full[o]]
    lines += ["            r0 += nt;", "        }"]
    return ["        " + line for line in w.constants] + lines


def _tiled_row_steps(w, steps):
    """Row values of the tile: an array each, computed in one loop over its rows."""
    if not steps:
        return []
    declared, body = [], []
    for s in steps:
        out = s.node.outputs[0]
        expr = w.expression(s)
        name = w.fresh(out)
        declared.append(f"            {ctype(out.dtype)} {name}[{TILE}];")
        body.append(f"                {name}[t] = {expr};")
        w.names[out] = f"{name}[t]"
    return declared + ["            for (i64 t = 0; t < nt; ++t) {", *body, "            }"]
