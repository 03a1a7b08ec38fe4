"""A fused elementwise graph -> one host C++ loop (``device="cpu"``), from the same table.

The statements are the CUDA kernel's (``elementwise.statements``: one translation of the
table in ops/scalar.py for every device); only the loop around them differs. A chunk
``[begin, end)`` of the C-contiguous outputs is computed by ``gg_kernel``; the runtime
(runtime/host_elementwise.py) splits a large output into chunks over threads. The emitted
source for ``exp(x) * y`` (float64, ``y`` a broadcast scalar) is

    template <bool C> static inline void gg_run(i64 count, const f64* __restrict__ in0, i64 s0,
                                                const f64* __restrict__ in1, i64 s1, f64* __restrict__ out0) {
        for (i64 j = 0; j < count; ++j) {
            const f64 a0 = in0[C ? j : j * s0];
            const f64 a1 = in1[0];
            const f64 v0 = exp(a0);
            const f64 v1 = (v0 * a1);
            out0[j] = v1;
        }
    }
    extern "C" void gg_kernel(void* const* args, const i64* geometry, i64 begin, i64 end) { ... }

``geometry`` null is the fast path: every array input C-contiguous of the output's shape, so
the inner loop is unit-stride over restrict pointers and the compiler vectorizes it. Otherwise
``geometry`` is ``elementwise.geometry``'s table (merged axes, strides in elements, 0 where an
input broadcasts) and each run along the last merged axis is one ``gg_run<false>`` call with
the inputs' own strides: transposed, sliced, negatively strided and broadcast inputs, 64-bit
offsets throughout; where every array input's rows are contiguous (``x + b`` of a bias row)
each row runs the vectorized ``gg_run<true>``. An input whose static shape is all ones (a scalar broadcast over the
output) is read once per element from its one value in both paths.
"""
import re

from .elementwise import COMPLEX_TYPES, HELPERS, SCALAR_TYPES, ctype, statements

KERNEL_NAME = "gg_kernel"
PRELUDE = """#include <cmath>
#include <math.h>
#define __device__
#define __forceinline__ inline __attribute__((always_inline))
""" + SCALAR_TYPES + "using std::isnan; using std::isinf;\n"


def scalar_inputs(op):
    """The positions of inputs broadcast over every axis (static shape all ones)."""
    return frozenset(k for k, v in enumerate(op.inputs) if all(s == 1 for s in v.type.shape))


def render(op):
    """The host source of Composite ``op`` (no by-value inputs: those are a device's)."""
    inputs, outputs, scalars = op.inputs, op.outputs, scalar_inputs(op)
    names = {v: f"a{k}" for k, v in enumerate(inputs)}
    reads = [f"        const {ctype(v.dtype)} a{k} = in{k}[{'0' if k in scalars else 'C ? j : j * s' + str(k)}];"
             for k, v in enumerate(inputs)]
    body = [*reads, *statements(op.nodes, names, "        "),
            *(f"        out{k}[j] = {names[v]};" for k, v in enumerate(outputs))]
    params = [f"const {ctype(v.dtype)}* __restrict__ in{k}, i64 s{k}" for k, v in enumerate(inputs)]
    params += [f"{ctype(v.dtype)}* __restrict__ out{k}" for k, v in enumerate(outputs)]
    run = "\n".join([
        f"template <bool C> static inline void gg_run(i64 count, {', '.join(params)}) {{",
        "    for (i64 j = 0; j < count; ++j) {", *body, "    }", "}"])
    return _prelude(run) + run + "\n" + _entry(inputs, outputs, scalars)


def _entry(inputs, outputs, scalars):
    """``gg_kernel``: unpack the pointers, then the fast path or the strided runs of a chunk."""
    n_in = len(inputs)
    unpack = [f"    const {ctype(v.dtype)}* in{k} = static_cast<const {ctype(v.dtype)}*>(args[{k}]);"
              for k, v in enumerate(inputs)]
    unpack += [f"    {ctype(v.dtype)}* out{k} = static_cast<{ctype(v.dtype)}*>(args[{n_in + k}]);"
               for k, v in enumerate(outputs)]
    fast = [f"in{k}{'' if k in scalars else ' + begin'}, 1" for k in range(n_in)]  # a scalar: its one value
    fast += [f"out{k} + begin" for k in range(len(outputs))]
    strided = [f"in{k} + o[{k}] + j * st[{k}], st[{k}]" for k in range(n_in)] + \
              [f"out{k} + i" for k in range(len(outputs))]
    arrays = [k for k in range(n_in) if k not in scalars]
    unit = " && ".join(f"st[{k}] == 1" for k in arrays) or "true"
    strides = ["    const bool unit = true;"] if not n_in else [
        f"    i64 st[{n_in}];",
        f"    for (int a = 0; a < {n_in}; ++a) st[a] = shape[nd * (a + 1) + nd - 1];",
        f"    const bool unit = {unit};  // rows contiguous in every array input: the fast loop per row"]
    offsets = [] if not n_in else [
        f"        i64 o[{n_in}] = {{0}};",
        "        for (int d = nd - 2; d >= 0; --d) {",
        "            const i64 q = row / shape[d], k = row - q * shape[d];",
        "            row = q;",
        f"            for (int a = 0; a < {n_in}; ++a) o[a] += k * shape[nd * (a + 1) + d];",
        "        }"]
    return "\n".join([
        f'extern "C" __attribute__((visibility("default"))) void {KERNEL_NAME}('
        "void* const* args, const i64* geometry, i64 begin, i64 end) {",
        *unpack,
        "    if (!geometry) {",
        f"        gg_run<true>(end - begin, {', '.join(fast)});",
        "        return;",
        "    }",
        "    const int nd = int(geometry[0]);",
        "    const i64* shape = geometry + 2;",
        "    const i64 inner = shape[nd - 1];",
        *strides,
        "    for (i64 i = begin; i < end;) {",
        "        i64 row = i / inner;",
        "        const i64 j = i - row * inner, count = inner - j < end - i ? inner - j : end - i;",
        *offsets,
        f"        if (unit) gg_run<true>(count, {', '.join(strided)});",
        f"        else gg_run<false>(count, {', '.join(strided)});",
        "        i += count;",
        "    }",
        "}", ""])


def _prelude(code):
    """The prelude, complex support where the code has complex values, the helpers it calls."""
    helpers = [text for helper, text in HELPERS.items() if re.search(rf"\b{helper}\b", code)]
    complex_ = COMPLEX_TYPES if re.search(r"\bc(64|128)\b", code) else ""
    return PRELUDE + complex_ + "".join(h + "\n" for h in helpers)
