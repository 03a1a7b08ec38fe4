"""A row program -> one CUDA C kernel: the elementwise work feeding reductions over one set
of axes (their prologue), the reductions, and the elementwise work on their results (their
epilogue), written with the expression table of codegen/elementwise.py. The CPU renders the
same ``RowPlan`` as host C++ (codegen/host_reduction.py, with this module's ``_Writer``).

The domain is a full shape split into *kept* axes and *reduced* axes: a **row** is one
index over the kept axes, its **columns** the indices over the reduced ones. A value of the
program is *full* (one per element: it varies along the reduced axes) or a *row* value (one
per row). A reduction turns a full value into a row value after a **pass** over the row's
columns; a full value that reads the row value of an earlier reduction (softmax's
``exp(z - max(z))``) is computed in a later pass, so one kernel runs every step of a
softmax cross-entropy and its gradient over a row::

    pass 0: m = max(z)                       (z = h @ W + b, recomputed in every pass)
    pass 1: s = sum(exp(z - m))
    pass 2: loss = sum(y * (z - m - log(s))), and writes dz = exp(z - m) / s - y

``group`` threads share a row, ``stride`` threads apart (chosen per launch by
runtime/reduction.py): for rows along the contiguous axis, consecutive threads (a power of
two up to 32 for short rows, several rows to a warp, combined by shuffles of that width;
the whole block for long rows, reduce.cuh's ``gg_block_reduce``); for column sums, whose
kept axis is the contiguous one, threads a warp's width apart, so that a warp reads
consecutive addresses (neighbouring rows), combined in shared memory. Every thread of a
block runs the same number of row iterations, so the shuffles and barriers meet all. Split launches (``mode`` 1 then 2) serve a
single-pass program over few long rows: mode 1 gives each (row, piece) of ``chunk``
columns a group that writes its accumulators to ``part<j>`` (and the full outputs), mode 2
combines each row's pieces and runs the epilogue. Reductions use reduce.cuh's functors
(NumPy's NaN rules and complex order) and accumulate in the output's dtype.

``geometry`` is ``[kept, reduced, kept sizes..., reduced sizes..., strides...]``: for each
array operand (array inputs, then outputs) its strides in elements over the kept axes then
the reduced ones, 0 where it does not vary (a row value along the reduced axes, a
broadcast input)."""
from dataclasses import dataclass

import numpy as np

from ..graph.basic import Apply
from .elementwise import C_TYPES, HELPERS, PRELUDE, ctype, is_literal, literal, value_of

KERNEL_NAME = "fused_reduce"
HEADERS = ('#include "gpugrad.cuh"', '#include "reduce.cuh"')
WIDEST = 16  # bytes of the widest accumulator (complex128): the scratch holds a partial per thread
GROUP_REDUCE = """template <class T> __device__ __forceinline__ T gg_shfl_down_in(T v, int offset, int width) {
    return __shfl_down_sync(0xffffffffu, v, offset, width);
}
template <class R> __device__ __forceinline__ complex<R> gg_shfl_down_in(complex<R> v, int offset, int width) {
    return complex<R>(__shfl_down_sync(0xffffffffu, v.real(), offset, width),
                      __shfl_down_sync(0xffffffffu, v.imag(), offset, width));
}
template <class T> __device__ __forceinline__ T gg_shfl_first(T v, int width) {
    return __shfl_sync(0xffffffffu, v, 0, width);
}
template <class R> __device__ __forceinline__ complex<R> gg_shfl_first(complex<R> v, int width) {
    return complex<R>(__shfl_sync(0xffffffffu, v.real(), 0, width), __shfl_sync(0xffffffffu, v.imag(), 0, width));
}
// The combination of the values of a row's ``group`` threads, returned to each of them; every
// thread of the block calls it. Threads ``stride`` apart make a group (consecutive ones for
// rows, which then meet by shuffles, or the whole block; a warp's width apart for columns,
// whose lanes meet in shared memory: ``scratch`` holds blockDim.x values).
template <class U, class Op>
__device__ U gg_group_reduce(U v, const Op& op, U identity, i64 group, i64 stride, unsigned char* scratch) {
    if (group == 1) return v;
    U* partial = reinterpret_cast<U*>(scratch);
    if (stride > 1) {
        const int lane = int(threadIdx.x / stride % group), step = int(stride);
        partial[threadIdx.x] = v;
        __syncthreads();
        for (int live = int(group); live > 1; live = (live + 1) / 2) {
            const int half = (live + 1) / 2;
            if (lane + half < live) partial[threadIdx.x] = op(partial[threadIdx.x], partial[threadIdx.x + half * step]);
            __syncthreads();
        }
        v = partial[threadIdx.x - lane * step];
        __syncthreads();
        return v;
    }
    if (group > 32) return gg_block_reduce(v, op, identity, partial);
    for (int offset = int(group) / 2; offset > 0; offset /= 2) v = op(v, gg_shfl_down_in(v, offset, int(group)));
    return gg_shfl_first(v, int(group));
}
"""
REDUCTIONS = ("sum", "prod", "max", "min", "all", "any")
_FUNCTORS = {kind: f"gg_{kind}" for kind in REDUCTIONS}


@dataclass(frozen=True)
class Step:
    """One node of a row program: ``map`` (an Elemwise row of the table), ``reduce`` (of
    ``kind``, over the reduced axes) or ``view`` (a row value as another shape or dtype:
    a dimshuffle adding or dropping reduced axes, a reduction over size-1 axes)."""
    node: Apply
    role: str
    kind: str = None


def identity(kind, dtype):
    """C for the value a ``kind`` accumulator of ``dtype`` starts from."""
    dtype = np.dtype(dtype)
    if kind in ("sum", "prod", "all", "any"):
        value = literal(np.asarray({"sum": 0, "prod": 1, "all": True, "any": False}[kind]).astype(dtype), dtype)
    elif dtype.kind == "b":
        value = "false" if kind == "max" else "true"
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        value = literal(info.min if kind == "max" else info.max, dtype)
    else:
        real = ctype(np.dtype(dtype.char.lower()) if dtype.kind == "c" else dtype)
        value = f"{'-' if kind == 'max' else ''}gg_infinity<{real}>()"
        value = f"{value}, {value}" if dtype.kind == "c" else value
    return f"{ctype(dtype)}({value})"


class RowPlan:
    """When each value of a row program exists: ``full[v]`` (varies along the reduced axes)
    and ``ready[v]``, the pass after which it can be computed (0: before the first)."""

    def __init__(self, inputs, outputs, steps, rank, axes, by_value=()):
        self.inputs, self.outputs, self.steps = list(inputs), list(outputs), list(steps)
        self.rank, self.axes, self.by_value = rank, tuple(axes), frozenset(by_value)
        self.full, self.ready = {}, {}
        for k, v in enumerate(self.inputs):
            self.full[v] = k not in self.by_value and v.ndim == rank and any(v.type.shape[a] != 1 for a in axes)
            self.ready[v] = 0
        for i, step in enumerate(self.steps):
            ins = [v for v in step.node.inputs if v in self.full]
            out = step.node.outputs[0]
            if step.role == "reduce" and not self.full[ins[0]]:  # over size-1 axes of a row value
                step = self.steps[i] = Step(step.node, "view")
            if step.role == "reduce":
                self.full[out], self.ready[out] = False, self.ready[ins[0]] + 1
            else:
                self.full[out] = step.role == "map" and any(self.full[v] for v in ins)
                self.ready[out] = max((self.ready[v] for v in ins), default=0)
        self.passes = sorted({self.ready[s.node.inputs[0]] for s in self.reductions()}
                             | {self.ready[o] for o in self.outputs if self.full[o]})

    @property
    def last(self):
        """The last pass after which a value becomes computable."""
        return max([0] + list(self.ready.values()))

    def row_steps(self, p):
        """The steps computing row values once the reductions before pass ``p`` are done."""
        return [s for s in self.steps if not self.full[s.node.outputs[0]] and s.role != "reduce"
                and self.ready[s.node.outputs[0]] == p]

    def reductions(self, at=None):
        return [s for s in self.steps if s.role == "reduce" and (at is None or self.ready[s.node.inputs[0]] == at)]

    @property
    def single_pass(self):
        """Whether every reduction and full output belongs to the first pass (split launches)."""
        return self.passes == [0]

    def needed_in(self, p):
        """The full steps pass ``p`` computes: those its reductions and writes depend on."""
        wanted = {s.node.inputs[0] for s in self.reductions(p)} | \
            {o for o in self.outputs if self.full[o] and self.ready[o] == p}
        chosen = []
        for step in reversed(self.steps):
            out = step.node.outputs[0]
            if step.role == "map" and self.full[out] and out in wanted:
                chosen.append(step)
                wanted.update(step.node.inputs)
        return list(reversed(chosen)), wanted


class _Writer:
    """Names and lines of the kernel being written."""

    def __init__(self, plan):
        self.plan = plan
        self.arrays = [k for k in range(len(plan.inputs)) if k not in plan.by_value]
        self.operands = {plan.inputs[k]: j for j, k in enumerate(self.arrays)}
        self.out_operand = {k: len(self.arrays) + k for k in range(len(plan.outputs))}
        self.names = {v: f"a{k}" for k, v in enumerate(plan.inputs)}
        self.constants = []
        self.count = 0

    def name(self, var):
        """The C name of ``var``, declaring a literal constant the first time."""
        if var not in self.names:
            if not is_literal(var):
                raise ValueError(f"{var} is neither an input nor computed by the row program")
            self.names[var] = f"c{len(self.constants)}"
            self.constants.append(f"    const {ctype(var.dtype)} {self.names[var]} = {literal(var.data, var.dtype)};")
        return self.names[var]

    def fresh(self, var):
        self.names[var] = f"v{self.count}"
        self.count += 1
        return self.names[var]

    def expression(self, step):
        """C for the value of ``step``'s output, its inputs read by their names."""
        out = step.node.outputs[0]
        for v in step.node.inputs:
            self.name(v)
        if step.role == "map":
            return value_of(step.node, self.names)
        return f"gg_to<{ctype(out.dtype)}>()({self.names[step.node.inputs[0]]})"

    def compute(self, step, indent):
        expr = self.expression(step)
        out = step.node.outputs[0]
        return f"{indent}const {ctype(out.dtype)} {self.fresh(out)} = {expr};"


def _offsets(array, operands, count, axes):
    """Lines adding to ``array`` (``ro`` or ``co``) the offsets of ``operands`` for index
    ``count`` unravelled over the kept (``axes`` = "kept") or reduced axes."""
    first, size = ("0", "kept") if axes == "kept" else ("kept", "reduced")
    index = "r" if axes == "kept" else "c"
    adds = "".join(f" {array}[{j}] += k * steps[{j} * width + {first} + d];" for j in operands)
    single = "".join(f" {array}[{j}] += {index} * steps[{j} * width + {first}];" for j in operands)
    return [f"    {{ i64 rest = {index};",
            f"      if ({size} == 1) {{{single} }} else",
            f"      for (int d = {size} - 1; d >= 0; --d) {{ const i64 k = rest % size[{first} + d]; rest /= size[{first} + d];"
            f"{adds} }} }}"]


def render(plan):
    """The kernel source of ``plan`` (a ``RowPlan``); see the module docstring."""
    w = _Writer(plan)
    body = [*_row_start(w)]
    for p in range(plan.last + 1):
        body += [w.compute(s, "        ") for s in plan.row_steps(p)]
        if p in plan.passes:
            body += _pass(w, p)
            if plan.single_pass:
                body += _partials(w)
    for k, out in enumerate(plan.outputs):
        if not plan.full[out]:
            body.append(f"        if (active && lane == 0) out{k}[ro[{w.out_operand[k]}]] = {w.name(out)};")
    return _kernel(w, body)


def _row_start(w):
    """The row's offsets and its row inputs, read once per row."""
    plan, operands = w.plan, len(w.arrays) + len(w.plan.outputs)
    lines = [f"        i64 ro[{operands}] = {{0}};", "        const i64 r = active ? row : 0;"]
    lines += ["    " + line for line in _offsets("ro", range(operands), "r", "kept")]
    for j, k in enumerate(w.arrays):
        v = plan.inputs[k]
        if not plan.full[v]:
            lines.append(f"        const {ctype(v.dtype)} a{k} = active ? in{k}[ro[{j}]] : {ctype(v.dtype)}(0);")
    return lines


def _pass(w, p):
    """One loop over the row's columns (or, in mode 2, over its pieces' partials)."""
    plan = w.plan
    reductions = plan.reductions(p)
    steps, wanted = plan.needed_in(p)
    reads = [j for j, k in enumerate(w.arrays) if plan.full[plan.inputs[k]] and plan.inputs[k] in wanted]
    writes = [k for k, o in enumerate(plan.outputs) if plan.full[o] and plan.ready[o] == p]
    lines = [f"        {ctype(s.node.outputs[0].dtype)} acc{i} = {identity(s.kind, s.node.outputs[0].dtype)};"
             for i, s in _numbered(w, reductions)]
    lines.append("        for (i64 c = first + lane; active && c < last; c += group) {")
    if plan.single_pass:
        lines.append("            if (mode == 2) {")
        lines += [f"                acc{i} = {_FUNCTORS[s.kind]}<{ctype(s.node.outputs[0].dtype)}>()(acc{i}, "
                  f"part{i}[row * pieces + c]);" for i, s in _numbered(w, reductions)]
        lines.append("                continue;")
        lines.append("            }")
    operands = reads + [w.out_operand[k] for k in writes]
    lines.append(f"            i64 co[{max(1, len(w.arrays) + len(plan.outputs))}] = {{0}};")
    lines += ["        " + line for line in _offsets("co", operands, "c", "reduced")]
    for j in reads:
        k = w.arrays[j]
        lines.append(f"            const {ctype(plan.inputs[k].dtype)} a{k} = in{k}[ro[{j}] + co[{j}]];")
    lines += [w.compute(s, "            ") for s in steps]
    for i, s in _numbered(w, reductions):
        U = ctype(s.node.outputs[0].dtype)
        lines.append(f"            acc{i} = {_FUNCTORS[s.kind]}<{U}>()(acc{i}, gg_to<{U}>()({w.name(s.node.inputs[0])}));")
    for k in writes:
        j = w.out_operand[k]
        lines.append(f"            out{k}[ro[{j}] + co[{j}]] = {w.name(plan.outputs[k])};")
    lines.append("        }")
    for i, s in _numbered(w, reductions):
        out, U = s.node.outputs[0], ctype(s.node.outputs[0].dtype)
        lines.append(f"        const {U} {w.fresh(out)} = gg_group_reduce(acc{i}, {_FUNCTORS[s.kind]}<{U}>(), "
                     f"{identity(s.kind, out.dtype)}, group, stride, gg_scratch);")
    return lines


def _numbered(w, reductions):
    """Each reduction with its index among all of the program's (its ``acc``/``part`` number)."""
    every = w.plan.reductions()
    return [(every.index(s), s) for s in reductions]


def _partials(w):
    """Mode 1 ends a piece here: its accumulators go to the partials."""
    stores = "".join(f" part{i}[unit] = {w.names[s.node.outputs[0]]};" for i, s in enumerate(w.plan.reductions()))
    return [f"        if (mode == 1) {{ if (active && lane == 0) {{{stores} }} continue; }}"]


def _kernel(w, body):
    plan = w.plan
    params = [f"const {ctype(v.dtype)} a{k}" if k in plan.by_value else f"const {ctype(v.dtype)}* __restrict__ in{k}"
              for k, v in enumerate(plan.inputs)]
    params += [f"{ctype(v.dtype)}* __restrict__ out{k}" for k, v in enumerate(plan.outputs)]
    params += [f"{ctype(s.node.outputs[0].dtype)}* __restrict__ part{i}" for i, s in enumerate(plan.reductions())]
    params += ["const i64* geometry", "i64 rows", "i64 cols", "i64 group", "i64 stride", "i64 pieces", "i64 chunk",
               "i64 mode"]
    head = [
        f'extern "C" __global__ void {KERNEL_NAME}({", ".join(params)}) {{',
        "    extern __shared__ __align__(16) unsigned char gg_scratch[];",
        "    const int kept = int(geometry[0]), reduced = int(geometry[1]), width = kept + reduced;",
        "    const i64* size = geometry + 2;",
        "    const i64* steps = size + width;  // each array operand's strides",
        "    const i64 per_block = blockDim.x / group, lane = threadIdx.x / stride % group;",
        "    const i64 slot = threadIdx.x % stride + threadIdx.x / (stride * group) * stride;",
        "    const i64 units = mode == 1 ? rows * pieces : rows;",
        *w.constants,
        "    for (i64 base = blockIdx.x * per_block; base < units; base += gridDim.x * per_block) {",
        "        const i64 unit = base + slot;",
        "        const bool active = unit < units;",
        "        const i64 row = mode == 1 ? unit / pieces : unit;",
        "        const i64 first = mode == 1 ? unit % pieces * chunk : 0;",
        "        const i64 last = mode == 1 ? min(first + chunk, cols) : mode == 2 ? pieces : cols;",
    ]
    kernel = "\n".join(head + body + ["    }", "}"])
    helpers = [text for name, text in HELPERS.items() if name in kernel]
    prelude = "\n".join(HEADERS) + "\n" + PRELUDE.split("\n", 1)[1]
    return prelude + "".join(h + "\n" for h in helpers) + GROUP_REDUCE + kernel + "\n"


def supports(dtype):
    """Whether an accumulator of ``dtype`` has a kernel (every kernel dtype)."""
    return np.dtype(dtype) in C_TYPES
