"""A fused elementwise graph -> one CUDA C kernel, a grid-stride loop over merged axes.

The graph is a ``Composite``'s inner graph: ``inputs`` (operands, all of the
output's rank), ``outputs``, and between them Elemwise nodes of the table in
``ops/scalar.py`` whose ``cuda`` templates give the C expression. Scalar constants
become literals. Each intermediate is a local of its exact NumPy dtype, and kernels
compile without FMA contraction (NVRTC ``--fmad=false``, g++ ``-ffp-contract=off``), so
+, -, *, / and sqrt of a float32 chain round as NumPy's do on every device; library
functions (exp, log, sin, ...) are the device's, within a few ulps of NumPy's. The
emitted kernel for ``exp(x) * y`` (float64) is

    extern "C" __global__ void composite(const f64* __restrict__ in0, const f64* __restrict__ in1,
                                         f64* __restrict__ out0, const i64* geometry, i64 n) {
        const bool narrow = geometry[1] != 0;
        for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)blockDim.x * gridDim.x) {
            i64 o[2];                                   // each array input's offset of element i
            if (narrow) gg_unravel<int>(i, geometry, o); else gg_unravel<i64>(i, geometry, o);
            const f64 a0 = in0[o[0]];
            const f64 a1 = in1[o[1]];
            const f64 v0 = exp(a0);
            const f64 v1 = (v0 * a1);
            out0[i] = v1;
        }
    }

Outputs are C-contiguous; ``geometry`` (made by ``geometry``) is the number of axes,
whether 32-bit indices suffice, the shape and each array input's strides, after
``merge_axes`` joined the axes every operand steps over contiguously; ``gg_unravel``
divides once per axis but the first, so most kernels (1-D after merging) divide not at
all, and in 32-bit arithmetic (the branch is the same for every thread). A one-element host value (shape
arithmetic such as ``1 / batch_size``, a scalar argument: ``Composite.by_value``) is no
array: it is a kernel parameter such as ``const f32 a1``, passed by value at the launch,
so it needs no upload, and has no offset and no geometry row.
"""
import math
import re

import numpy as np

from ..graph.basic import Constant
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable

KERNEL_NAME = "composite"
C_TYPES = {np.dtype(d): c for d, c in [
    ("bool", "bool"), ("int8", "i8"), ("int16", "i16"), ("int32", "i32"), ("int64", "i64"),
    ("uint8", "u8"), ("uint16", "u16"), ("uint32", "u32"), ("uint64", "u64"), ("float32", "f32"),
    ("float64", "f64"), ("complex64", "c64"), ("complex128", "c128")]}
SCALAR_TYPES = """typedef signed char i8;
typedef short i16;
typedef int i32;
typedef long long i64;
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef float f32;
typedef double f64;
"""
COMPLEX_TYPES = """#include <cupy/complex.cuh>
typedef complex<float> c64;
typedef complex<double> c128;
"""
PRELUDE = "#include <cupy/complex.cuh>\n" + SCALAR_TYPES + COMPLEX_TYPES.split("\n", 1)[1]
# NumPy's semantics where C's differ or leave it undefined: floor division and modulo of
# signed integers round toward -inf, division by zero gives 0 and MIN // -1 wraps to MIN
# (MIN % -1 is 0) in every width, where C traps or is undefined; float floor division as
# NumPy's divmod (1 // 0.1 is 9, a zero takes the divisor's sign); complex powers as NumPy's
# (x ** 0 is 1, 0 ** y is 0 where Re y > 0 else NaN, integer exponents by repeated
# squaring); clip propagates NaN; any nonzero condition (complex too) selects. A float to
# integer conversion saturates and takes NaN to 0 (gg_float_to_int; ``convert``), as the
# GPU's cvt instruction does and gpugrad's NumPy path too (ops/scalar.py), where C and
# NumPy leave it undefined.
HELPERS = {
    "gg_floordiv": """template <class T> __device__ __forceinline__ T gg_floordiv(T a, T b) {
    if (b == 0) return T(0);
    if (b == T(-1)) return T(0ull - (unsigned long long)a);
    T q = a / b;
    return a % b != 0 && ((a < 0) != (b < 0)) ? T(q - 1) : q;
}""",
    "gg_imod": """template <class T> __device__ __forceinline__ T gg_imod(T a, T b) {
    if (b == 0 || b == T(-1)) return T(0);
    T r = a % b;
    return r != 0 && ((r < 0) != (b < 0)) ? T(r + b) : r;
}""",
    "gg_float_to_int": """template <class I, class F> __device__ __forceinline__ I gg_float_to_int(F x, I lo, I hi) {
    return x != x ? I(0) : x <= F(lo) ? lo : x >= F(hi) ? hi : I(x);
}""",
    "gg_unravel": """template <class I, int N> __device__ __forceinline__ void gg_unravel(i64 i, const i64* geometry, i64 (&offset)[N]) {
    const int ndim = int(geometry[0]);
    const i64* shape = geometry + 2;
    I rest = I(i), o[N];
    #pragma unroll
    for (int a = 0; a < N; ++a) o[a] = 0;
    for (int d = ndim - 1; d > 0; --d) {
        const I size = I(shape[d]), q = rest / size, k = rest - q * size;
        rest = q;
        #pragma unroll
        for (int a = 0; a < N; ++a) o[a] += k * I(shape[ndim * (a + 1) + d]);
    }
    #pragma unroll
    for (int a = 0; a < N; ++a) offset[a] = o[a] + rest * I(shape[ndim * (a + 1)]);
}""",
    "gg_fmod": """template <class T> __device__ __forceinline__ T gg_fmod(T a, T b) {
    T r = fmod(a, b);
    if (r == 0) return T(copysign(T(0), b));
    return (r < 0) != (b < 0) ? T(r + b) : r;
}""",
    "gg_ffloordiv": """template <class T> __device__ __forceinline__ T gg_ffloordiv(T a, T b) {
    if (b == 0) return a / b;
    T mod = fmod(a, b);
    T div = (a - mod) / b;
    if (mod != 0 && (b < 0) != (mod < 0)) div -= T(1);
    if (div == 0) return T(copysign(T(0), a / b));
    T f = floor(div);
    return div - f > T(0.5) ? T(f + 1) : f;
}""",
    "gg_ipow": """template <class T> __device__ __forceinline__ T gg_ipow(T base, T e) {
    T result = 1;
    for (; e > 0; e >>= 1, base *= base)
        if (e & 1) result *= base;
    return result;
}""",
    # A signed integer to a negative power: the exact power truncated toward zero (ops/scalar.py).
    "gg_spow": """template <class T> __device__ __forceinline__ T gg_spow(T base, T e) {
    if (e < 0) return base == T(1) ? T(1) : base == T(-1) ? T((e & 1) ? -1 : 1) : T(0);
    T result = 1;
    for (; e > 0; e >>= 1, base *= base)
        if (e & 1) result *= base;
    return result;
}""",
    "gg_cpow": """template <class T> __device__ __forceinline__ T gg_cpow(T a, T b) {
    typedef decltype(a.real()) R;
    const R br = b.real(), bi = b.imag();
    if (br == R(0) && bi == R(0)) return T(1);
    if (a.real() == R(0) && a.imag() == R(0)) return br > R(0) ? T(0) : T(R(0) / R(0), R(0) / R(0));
    if (bi == R(0) && br == floor(br) && fabs(br) < R(100)) {
        T result(1), p = a;
        for (long long n = (long long)fabs(br); n; n >>= 1, p *= p)
            if (n & 1) result *= p;
        return br < R(0) ? T(1) / result : result;
    }
    return pow(a, b);
}""",
    "gg_truth": """template <class T> __device__ __forceinline__ bool gg_truth(T x) {
    return x != T(0);
}""",
    "gg_clip": """template <class T> __device__ __forceinline__ T gg_clip(T x, T lo, T hi) {
    T y = x > lo || x != x ? x : lo;
    return y < hi || y != y ? y : hi;
}""",
}
_RANK = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}
_COMPARISONS = ("lt", "gt", "le", "ge", "eq", "neq")


def ctype(dtype):
    return C_TYPES[np.dtype(dtype)]


def template(scalar_op, dtype):
    """The row's CUDA C template for operands of ``dtype``, or None (no kernel: host)."""
    spec = scalar_op.cuda
    if spec is None or isinstance(spec, str):
        return spec
    return next((t for kinds, t in spec.items() if np.dtype(dtype).kind in kinds), None)


def _converted_inputs(node):
    """The inputs a row's templates convert to the compute type: not one they only read as it
    is (switch's condition, ``{raw0}``: a complex condition must not make the branches
    complex), unless that leaves none (complex's parts, read by ``{out}``)."""
    spec = node.op.scalar_op.cuda
    texts = [spec] if isinstance(spec, str) else list((spec or {}).values())
    converted = [v for k, v in enumerate(node.inputs)
                 if not all(f"{{raw{k}}}" in t and f"{{{k}}}" not in t for t in texts)]
    return converted or node.inputs


def _beyond(var, dtype):
    """A Python int constant ``dtype`` cannot hold (NumPy compares ``uint8 <= -1`` exactly)."""
    if not (isinstance(var, Constant) and getattr(var, "weak", False) and var.data.dtype.kind in "iu"):
        return False
    info = np.iinfo(dtype)
    return not info.min <= var.data.item() <= info.max


def compute_dtype(node):
    """The type operands are converted to: NumPy's promotion of the inputs (those converted),
    or the output's type where that is a wider kind (``true_divide`` of ints computes in float);
    a comparison of integers with a Python int out of their range, in a type that holds both."""
    promoted = np.dtype(dtypes.result_type(*[(v.dtype, getattr(v, "weak", False)) for v in _converted_inputs(node)]))
    out = np.dtype(node.outputs[0].dtype)
    if node.op.scalar_op.name in _COMPARISONS and promoted.kind in "iu" and any(
            _beyond(v, promoted) for v in node.inputs):
        return np.promote_types(promoted, np.int64)
    return out if out.kind in "fc" and _RANK[out.kind] > _RANK[promoted.kind] else promoted


def supports(node):
    """Whether an Elemwise node has a kernel: one output, known dtypes, a template."""
    if len(node.outputs) != 1 or any(np.dtype(v.dtype) not in C_TYPES for v in node.inputs + node.outputs):
        return False
    return template(node.op.scalar_op, compute_dtype(node)) is not None


def is_literal(var):
    """A constant the kernel embeds as a literal: one finite element."""
    if not isinstance(var, Constant) or var.data.size != 1 or np.dtype(var.dtype) not in C_TYPES:
        return False
    value = var.data.item()
    return all(math.isfinite(p) for p in (value.real, value.imag)) if isinstance(value, (float, complex)) \
        else True


def literal(value, dtype):
    """``value`` as exact C: hex floats, suffixed integers."""
    dtype, value = np.dtype(dtype), np.asarray(value).item()
    if dtype.kind == "b":
        return "true" if value else "false"
    if dtype.kind == "u":
        return f"{value}ULL"
    if dtype.kind == "i":
        return "(-9223372036854775807LL - 1)" if value == -2**63 else f"{value}LL"
    if dtype.kind == "f":
        return float(value).hex()
    return f"{ctype(dtype)}({complex(value).real.hex()}, {complex(value).imag.hex()})"


def convert(expr, source, target):
    """C for the value ``expr`` of dtype ``source`` as ``target``; a float (a complex's real
    part) to an integer saturates, NaN to 0: ``gg_float_to_int<i32>(v0, (-2147483647LL - 1), 2147483647LL)``."""
    source, target = np.dtype(source), np.dtype(target)
    if source == target:
        return expr
    if source.kind in "fc" and target.kind in "iu":
        info, real = np.iinfo(target), expr if source.kind == "f" else f"({expr}).real()"
        return f"gg_float_to_int<{ctype(target)}>({real}, {literal(info.min, target)}, {literal(info.max, target)})"
    return f"{ctype(target)}({expr})"


def _expression(node, names):
    scalar_op, T = node.op.scalar_op, compute_dtype(node)
    tpl = template(scalar_op, T)
    raw = [names[v] for v in node.inputs]
    operands = [convert(r, v.dtype, T) for v, r in zip(node.inputs, raw)]
    fields = {"T": ctype(T), "out": ctype(node.outputs[0].dtype), **{f"raw{i}": r for i, r in enumerate(raw)}}
    if scalar_op.nin == -1:
        expr = operands[0]
        for operand in operands[1:]:
            expr = "(" + tpl.format(expr, operand, **fields) + ")"
        return expr
    return tpl.format(*operands, **fields)


def _result_dtype(node):
    """The dtype of a row's expression: complex only where the compute type is and the
    output is complex (``abs``, ``real``, comparisons of complex give real or bool); a float
    (real) one where the output is an integer (a cast), so ``convert`` saturates it."""
    T, out = compute_dtype(node), np.dtype(node.outputs[0].dtype)
    if T.kind == out.kind == "c":
        return T
    return np.dtype(T.char.lower()) if T.kind in "fc" and out.kind in "iu" else out


def value_of(node, names):
    """C for the value of the Elemwise ``node`` as its output's dtype, its inputs read by
    their C ``names`` (the other generated kernels build on it: codegen/reduction.py)."""
    return convert(_expression(node, names), _result_dtype(node), node.outputs[0].dtype)


def copy_source(dtype, by_value=False):
    """A strided (transposed, broadcast) array copied into a C-contiguous one; with
    ``by_value`` a host scalar filling one (``Alloc`` of a host value)."""
    value = TensorVariable(TensorType(str(np.dtype(dtype)), ()))
    return render([value], [value], [], {0} if by_value else ())


def render(inputs, outputs, nodes, by_value=()):
    """The kernel source for inner graph ``inputs`` -> ``outputs`` computed by ``nodes``
    (in topological order); the inputs at the positions ``by_value`` are host scalars,
    kernel parameters ``const T a<k>`` read by no index."""
    arrays = [k for k in range(len(inputs)) if k not in by_value]
    names = {v: f"a{k}" for k, v in enumerate(inputs)}
    body = [f"        const {ctype(inputs[k].dtype)} a{k} = in{k}[o[{row}]];" for row, k in enumerate(arrays)]
    body += statements(nodes, names, "        ")
    body += [f"        out{k}[i] = {names[v]};" for k, v in enumerate(outputs)]
    params = [f"const {ctype(v.dtype)} a{k}" if k in by_value else f"const {ctype(v.dtype)}* __restrict__ in{k}"
              for k, v in enumerate(inputs)]
    params += [f"{ctype(v.dtype)}* __restrict__ out{k}" for k, v in enumerate(outputs)]
    params += ["const i64* geometry", "i64 n"]
    unravel = [] if not arrays else [
        f"        i64 o[{len(arrays)}];",
        "        if (narrow) gg_unravel<int>(i, geometry, o); else gg_unravel<i64>(i, geometry, o);"]
    return grid_stride(KERNEL_NAME, params, "n", [*unravel, *body],
                       ["    const bool narrow = geometry[1] != 0;"] if arrays else [])


def statements(nodes, names, pad):
    """The C statements computing ``nodes`` (topological order) one element at a time, each
    value a local of its exact dtype: ``const f64 v0 = exp(a0);``. ``names`` maps the values
    already read (the inputs) to their C names; the constants and results get theirs here.
    Every emitter of elementwise work shares them (the CUDA kernels here, the host loops of
    codegen/host.py): one table, one translation of it."""
    lines = []
    constants = sum(n.startswith("c") for n in names.values())
    values = sum(n.startswith("v") for n in names.values())
    for node in nodes:
        for v in node.inputs:
            if v not in names:
                names[v], constants = f"c{constants}", constants + 1
                lines.append(f"{pad}const {ctype(v.dtype)} {names[v]} = {literal(v.data, v.dtype)};")
        out = node.outputs[0]
        names[out], values = f"v{values}", values + 1
        lines.append(f"{pad}const {ctype(out.dtype)} {names[out]} = {value_of(node, names)};")
    return lines


def grid_stride(name, params, count, body, head=()):
    """The source of kernel ``name``: ``head``, then a grid-stride loop of index ``i`` over
    ``count`` elements running ``body``, behind the prelude and the helpers it calls."""
    kernel = "\n".join([
        f'extern "C" __global__ void {name}({", ".join(params)}) {{',
        *head,
        f"    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < {count}; i += (i64)blockDim.x * gridDim.x) {{",
        *body,
        "    }",
        "}",
    ])
    helpers = [text for helper, text in HELPERS.items() if re.search(rf"\b{helper}\b", kernel)]
    return PRELUDE + "".join(h + "\n" for h in helpers) + kernel + "\n"


def merge_axes(shape, strides):
    """``shape`` and each array's ``strides`` (in elements, 0 where it broadcasts) with the
    size-1 axes dropped and each axis merged into the one before it wherever every array
    steps over the pair as over one axis (stride before = stride * size); the C-contiguous
    output always does. A contiguous or broadcast operand leaves one axis: a 4-D ``x + y``
    of C-contiguous arrays is 1-D, ``x + b`` with a bias row ``b`` 2-D. At least one axis."""
    merged, rows = [], [[] for _ in strides]
    for d, size in enumerate(shape):
        if size == 1:
            continue
        if merged and all(row[-1] == st[d] * size for row, st in zip(rows, strides)):
            merged[-1] *= size
            for row, st in zip(rows, strides):
                row[-1] = st[d]
        else:
            merged.append(size)
            for row, st in zip(rows, strides):
                row.append(st[d])
    if not merged:
        return (1,), [(0,) for _ in strides]
    return tuple(merged), [tuple(row) for row in rows]


def geometry(shape, strides):
    """What a kernel of ``render`` reads for an output of ``shape`` and array inputs of
    ``strides`` (elements, 0 where broadcast): ``[ndim, narrow, shape..., strides...]`` of
    the merged axes (``merge_axes``); ``narrow`` (1) where every index and offset fits in 32
    bits, so the kernel runs its 32-bit instantiation (GPU integer division is software,
    and 64-bit division several times dearer)."""
    merged, rows = merge_axes(shape, strides)
    reach = max([math.prod(shape)] + [sum((n - 1) * abs(st) for n, st in zip(merged, row)) + 1 for row in rows])
    narrow = int(reach < 2**31)
    return np.array([len(merged), narrow, *merged, *(st for row in rows for st in row)], dtype=np.int64)
