"""Differential fuzzing of whole graphs: a seeded generator of random expression graphs and
the check of one on ``device="cuda-sim"`` (the real CUDA C kernels, run on the CPU) against
``device="cpu"``, and of the CPU against NumPy (tests/cuda/test_device_graph_fuzz.py runs a
sample; ``python tests/cuda/graph_fuzz.py START COUNT`` runs more).

A graph has 1-3 inputs (ranks 0-3, static broadcastable axes, nine dtypes) and is built from
elementwise rows, casts, reductions, products, shape ops, joins, splits, repeats, aranges,
allocs, diagonals, triangles, tiles, softmaxes, basic indexing and set/inc through it, each
node's NumPy value computed alongside. The graph, its gradient with respect to its float
inputs and an R-op compile for both devices and run on the same arguments (Python scalars for
0-d inputs, non-contiguous arrays, device arrays, device results); dtypes and shapes must be
equal, values equal to the dtype's tolerance, NaNs in the same places, arguments unchanged,
and a call with a wrong shape must raise the same ``GpugradError`` on both.

Values a device may round differently (a transcendental, a sum) are *approximate*; a
discrete op of one (a comparison, a cast to int, an argmax) may flip, so its value is
*fuzzy*: only its dtype and shape are compared.
"""
import sys
import warnings

import numpy as np

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.compile import device_arrays
from gpugrad.errors import GpugradError
from gpugrad.ops import scalar

from device_checks import DEVICE, host

DTYPES = ["bool", "int8", "int32", "int64", "uint8", "float32", "float64", "complex64", "complex128"]
# rows whose results a device computes exactly as NumPy does (for real operands)
EXACT_ROWS = {"add", "sub", "mul", "neg", "abs", "real", "imag", "conj", "maximum", "minimum", "sqr", "sqrt",
              "true_divide", "lt", "gt", "le", "ge", "eq", "neq", "and", "or", "xor", "invert", "isnan", "isinf",
              "sign", "floor", "ceil", "round", "switch", "clip", "floor_divide", "mod", "complex", "reciprocal"}
DISCRETE_ROWS = {"lt", "gt", "le", "ge", "eq", "neq", "sign", "floor", "ceil", "round", "floor_divide", "mod",
                 "isnan", "isinf", "and", "or", "xor", "invert"}
_FUNCTIONS = {"and": T.bitwise_and, "or": T.bitwise_or, "xor": T.bitwise_xor}


class Term:
    """A symbolic variable, its NumPy value, and how exactly a device reproduces that value:
    ``tol`` the relative error rounding may have put in it (0: exact), ``fuzzy`` where a
    discrete op of a rounded value may differ outright."""

    def __init__(self, sym, val, tol=0.0, fuzzy=False):
        self.sym, self.val, self.tol, self.fuzzy = sym, np.asarray(val), tol, fuzzy


class Rejected(Exception):
    """The drawn op does not apply to the drawn operands (a domain, a shape): draw again."""


class Mismatch(AssertionError):
    """The devices, or the CPU and NumPy, disagree."""


def _kind(t):
    return np.dtype(t.val.dtype).kind


def _derive(val, sym, parents, approx=False, discrete=False):
    """The term of ``sym``: rounded where ``approx`` (at its dtype's precision) or a parent is;
    fuzzy where a parent is, or where a discrete op reads a rounded value."""
    tol = max([p.tol for p in parents] + [tolerance(sym.dtype) if approx else 0.0])
    return Term(sym, val, tol=0.0 if discrete else tol, fuzzy=any(p.fuzzy for p in parents) or (discrete and tol > 0))


class Graph:
    """One random graph: ``inputs`` (symbols), ``args`` (their values), ``pool`` (terms)."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.inputs, self.args, self.pool = [], [], []
        for k in range(self.rng.integers(1, 4)):
            self._new_input(f"x{k}")
        for _ in range(self.rng.integers(2, 12)):
            for _attempt in range(20):
                op = STEPS[self.rng.integers(len(STEPS))]
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        term = op(self)
                except Rejected:
                    continue
                self._check(term, op.__name__)
                self.pool.append(term)
                break

    def _new_input(self, name):
        rng = self.rng
        dtype = DTYPES[rng.integers(len(DTYPES))]
        ndim = int(rng.choice([0, 1, 1, 2, 2, 3]))
        shape = tuple(int(rng.choice([1, 2, 3, 4, 0] if rng.random() < 0.05 else [1, 2, 3, 4])) for _ in range(ndim))
        static = tuple(1 if n == 1 and rng.random() < 0.5 else None for n in shape)
        sym = T.tensor(dtype, shape=static, name=name)
        self.inputs.append(sym)
        self.args.append(sample(rng, dtype, shape))
        self.pool.append(Term(sym, self.args[-1]))

    def _check(self, term, what):
        sym, val = term.sym, term.val
        if sym.dtype != val.dtype or sym.ndim != val.ndim or any(
                s is not None and s != n for s, n in zip(sym.type.shape, val.shape)):
            raise Mismatch(f"{what}: built {sym.type}, NumPy gives {val.dtype}{val.shape}")

    def pick(self, pred=lambda t: True):
        """A term of the pool, the recent ones likelier (deeper graphs)."""
        choices = [t for t in self.pool if pred(t)]
        if not choices:
            raise Rejected
        return choices[-1 - min(int(self.rng.geometric(0.4)) - 1, len(choices) - 1)]

    def choice(self, seq):
        return seq[self.rng.integers(len(seq))]


def tolerance(dtype):
    """The relative error one rounding step of ``dtype`` may leave, with room for a few."""
    return {"e": 1e-2, "f": 1e-4, "F": 1e-4}.get(np.dtype(dtype).char, 1e-10)


def sample(rng, dtype, shape):
    """Values on a grid of quarters (sums and products stay exact), sometimes a NaN, or for
    real floats an infinity (C's complex functions treat those otherwise than NumPy's)."""
    kind = np.dtype(dtype).kind
    if kind == "b":
        return rng.random(shape) < 0.5
    if kind == "u":
        return rng.integers(0, 7, shape).astype(dtype)
    if kind == "i":
        return rng.integers(-4, 5, shape).astype(dtype)
    value = rng.integers(-12, 13, shape) / 4
    if kind == "c":
        value = value + 1j * rng.integers(-12, 13, shape) / 4
    value = np.asarray(value)
    if value.size and rng.random() < 0.1:
        value.flat[rng.integers(value.size)] = rng.choice([np.nan, 0.0] + [np.inf, -np.inf] * (kind == "f"))
    return value.astype(dtype)


def _compatible(a, b):
    """Whether two terms broadcast under gpugrad's rule (an axis broadcasts where static 1)."""
    n = max(a.val.ndim, b.val.ndim)
    pads = [((1,) * (n - t.val.ndim) + t.val.shape, (1,) * (n - t.val.ndim) + t.sym.type.shape) for t in (a, b)]
    return all(x == y or sx == 1 or sy == 1 for (x, y, sx, sy) in
               zip(pads[0][0], pads[1][0], pads[0][1], pads[1][1]))


def _operand(g, like):
    """A second operand for ``like``: a compatible term, a Python scalar or a NumPy constant."""
    r = g.rng.random()
    if r < 0.5:
        return g.pick(lambda t: _compatible(t, like))
    kind = g.choice("bifc")
    if r < 0.8:
        value = {"b": True, "i": int(g.rng.integers(-2, 4)), "f": g.choice([0.5, -1.5, 2.0]),
                 "c": complex(0.5, g.choice([1.0, -0.25]))}[kind]
        return Term(T.constant(value), np.asarray(value))  # NumPy sees the Python scalar below
    dtype = g.choice(DTYPES)
    shape = like.val.shape[-g.rng.integers(0, like.val.ndim + 1):] if like.val.ndim else ()
    value = sample(g.rng, dtype, shape)
    value = value if np.isfinite(value).all() else np.ones(shape, dtype)
    return Term(T.constant(value), value)


def _np_arg(t):
    """Python scalars stay Python scalars (weak in NumPy 2 and gpugrad alike)."""
    return t.val.item() if t.sym.owner is None and getattr(t.sym, "weak", False) else t.val


# ---- the steps: each draws operands from the pool and returns a new term, or raises Rejected
def elementwise(g):
    name = g.choice(list(scalar.ROWS))
    row = scalar.ROWS[name]
    nin = 2 if row.nin == -1 else row.nin
    first = g.pick()
    operands = [first] + [_operand(g, first) for _ in range(nin - 1)]
    if not all(_compatible(a, b) for a in operands for b in operands):
        raise Rejected
    vals = [_np_arg(t) for t in operands]
    if name == "pow" and any(np.dtype(np.asarray(v).dtype).kind in "iub" for v in vals):
        vals[1] = int(g.rng.integers(0, 3))  # no negative integer powers
        operands[1] = Term(T.constant(vals[1]), np.asarray(vals[1]))
    try:
        val = np.asarray(row.numpy(*vals))
    except (TypeError, ValueError, OverflowError):
        raise Rejected from None
    fn = _FUNCTIONS.get(name) or getattr(T, name, None) or getattr(scalar, name)
    sym = fn(*[t.sym for t in operands])
    complex_op = any(_kind(t) == "c" for t in operands) and name in ("mul", "true_divide", "abs", "reciprocal",
                                                                      "sign", "pow")
    term = _derive(val, sym, operands, approx=name not in EXACT_ROWS or complex_op, discrete=name in DISCRETE_ROWS)
    if val.dtype.kind == "c" and not all(np.isfinite(t.val).all() for t in operands):
        term.fuzzy = True  # C's complex functions of infinities differ from NumPy's
    return term


def cast(g):
    t = g.pick()
    dtype = g.choice(DTYPES)
    real = np.real(t.val)
    if np.dtype(dtype).kind in "iu" and _kind(t) in "fc":
        info = np.iinfo(dtype)
        if not (np.isfinite(real).all() and (real >= info.min).all() and (real <= info.max).all()):
            raise Rejected
    val = (real if np.dtype(dtype).kind not in "bc" else t.val).astype(dtype)
    return _derive(val, T.cast(t.sym, dtype), [t], discrete=np.dtype(dtype).kind in "biu")


def _axes(g, ndim):
    r = g.rng.random()
    if r < 0.25 or ndim == 0:
        return None
    if r < 0.6:
        return int(g.rng.integers(-ndim, ndim))
    return tuple(sorted(int(a) for a in g.rng.choice(ndim, g.rng.integers(1, ndim + 1), replace=False)))


def reduction(g):
    kind = g.choice(["sum", "prod", "max", "min", "all", "any", "mean", "var", "std", "argmax", "argmin",
                     "logsumexp"])
    t = g.pick(lambda t: kind != "logsumexp" or _kind(t) == "f")
    axis = _axes(g, t.val.ndim)
    if kind in ("argmax", "argmin") and isinstance(axis, tuple):
        axis = axis[0]
    keepdims = bool(g.rng.random() < 0.4)
    reduced = range(t.val.ndim) if axis is None else np.atleast_1d(axis) % t.val.ndim
    if kind in ("max", "min", "argmax", "argmin", "logsumexp") and any(t.val.shape[a] == 0 for a in reduced):
        raise Rejected
    if kind == "logsumexp":
        shift = np.max(t.val, axis=axis, keepdims=True)
        shift = np.where(np.isinf(shift), 0, shift)
        val = np.log(np.sum(np.exp(t.val - shift), axis=axis, keepdims=True)) + shift
        val = val if keepdims else val.reshape(np.sum(t.val, axis=axis).shape)
    else:
        val = getattr(np, kind)(t.val, axis=axis, keepdims=keepdims)
    sym = getattr(T, kind)(t.sym, axis=axis, keepdims=keepdims)
    approx = kind in ("sum", "prod", "mean", "var", "std", "logsumexp") and _kind(t) in "fc" or kind in ("mean",
                                                                                                       "std")
    return _derive(np.asarray(val), sym, [t], approx=approx, discrete=kind in ("argmax", "argmin", "all", "any"))


def product(g):
    kind = g.choice(["dot", "tensordot", "batched_dot", "outer", "matmul"])
    a = g.pick(lambda t: t.val.ndim == 3 if kind == "batched_dot" else t.val.ndim >= 1 and (
        kind != "outer" or t.val.ndim == 1))
    b_shape = {"dot": a.val.shape[-1:] + tuple(g.rng.integers(1, 4, g.rng.integers(0, 2))),
               "matmul": a.val.shape[-1:] + tuple(g.rng.integers(1, 4, g.rng.integers(0, 2))),
               "outer": (int(g.rng.integers(1, 4)),),
               "batched_dot": a.val.shape[:1] + a.val.shape[-1:] + (int(g.rng.integers(1, 4)),)}.get(kind)
    if kind == "tensordot":
        n = int(g.rng.integers(0, a.val.ndim + 1))
        b_shape = a.val.shape[a.val.ndim - n:] + tuple(g.rng.integers(1, 3, g.rng.integers(0, 2)))
    b = _shaped(g, b_shape)
    if kind == "dot" and a.val.ndim > 2:
        raise Rejected
    fn = {"dot": np.dot, "outer": np.outer, "tensordot": lambda x, y: np.tensordot(x, y, n),
          "batched_dot": np.matmul, "matmul": np.matmul}[kind]
    sym = {"dot": T.dot, "outer": T.outer, "tensordot": lambda x, y: T.tensordot(x, y, n),
           "batched_dot": T.batched_dot, "matmul": T.matmul}[kind](a.sym, b.sym)
    return _derive(np.asarray(fn(a.val, b.val)), sym, [a, b], approx=_kind(a) in "fc" or _kind(b) in "fc")


def _shaped(g, shape):
    """A term of ``shape``: one of the pool, or a constant of a random dtype."""
    fits = [t for t in g.pool if t.val.shape == tuple(shape)]
    if fits and g.rng.random() < 0.7:
        return g.choice(fits)
    value = sample(g.rng, g.choice(DTYPES), tuple(int(n) for n in shape))
    return Term(T.constant(np.where(np.isfinite(value), value, 1).astype(value.dtype)),
                np.where(np.isfinite(value), value, 1).astype(value.dtype))


def shuffle(g):
    t = g.pick()
    nd = t.val.ndim
    r = g.rng.random()
    if r < 0.3:
        return _derive(t.val.T, T.transpose(t.sym), [t])
    keep = [d for d in range(nd) if t.sym.type.shape[d] != 1 or g.rng.random() < 0.6]
    order = [int(d) for d in g.rng.permutation(keep)]
    pattern = list(order)
    for _ in range(g.rng.integers(0, 2)):
        pattern.insert(int(g.rng.integers(0, len(pattern) + 1)), "x")
    val = np.transpose(t.val, order + [d for d in range(nd) if d not in keep]).reshape(
        [t.val.shape[d] for d in order] + [])
    for pos, p in enumerate(pattern):
        if p == "x":
            val = np.expand_dims(val, pos)
    return _derive(val, t.sym.dimshuffle(*pattern), [t])


def reshape(g):
    t = g.pick()
    if g.rng.random() < 0.3 and t.val.ndim >= 1:
        nd = int(g.rng.integers(1, t.val.ndim + 1))
        flat = t.val.reshape(t.val.shape[:nd - 1] + (int(np.prod(t.val.shape[nd - 1:])),))
        return _derive(flat, T.flatten(t.sym, nd), [t])
    size, shape = t.val.size, []
    for _ in range(g.rng.integers(0, 4)):
        divisors = [d for d in range(1, 5) if size % d == 0] if size else [0, 1, 2]
        shape.append(int(g.choice(divisors)))
        size = size // shape[-1] if shape[-1] else 0
    if size != 1 and (size or 0 not in shape):
        shape.append(size)
    elif g.rng.random() < 0.3 and shape and 0 not in shape:
        shape[int(g.rng.integers(len(shape)))] = -1
    val = t.val.reshape(shape)
    return _derive(val, T.reshape(t.sym, tuple(shape)), [t])


def join(g):
    t = g.pick(lambda t: t.val.ndim >= 1)
    if g.rng.random() < 0.3:
        others = [u for u in g.pool if u.val.shape == t.val.shape]
        parts = [t] + [g.choice(others) for _ in range(g.rng.integers(0, 3))]
        axis = int(g.rng.integers(0, t.val.ndim + 1))
        return _derive(np.stack([p.val for p in parts], axis), T.stack([p.sym for p in parts], axis), parts)
    axis = int(g.rng.integers(0, t.val.ndim))
    rest = t.val.shape[:axis], t.val.shape[axis + 1:]
    others = [u for u in g.pool if u.val.ndim == t.val.ndim and (u.val.shape[:axis], u.val.shape[axis + 1:]) == rest]
    parts = [t] + [g.choice(others) for _ in range(g.rng.integers(1, 3))]
    g.rng.shuffle(parts)
    return _derive(np.concatenate([p.val for p in parts], axis), T.concatenate([p.sym for p in parts], axis), parts)


def split(g):
    t = g.pick(lambda t: t.val.ndim >= 1)
    axis = int(g.rng.integers(0, t.val.ndim))
    n = t.val.shape[axis]
    cuts = sorted(int(c) for c in g.rng.integers(0, n + 1, g.rng.integers(1, 3)))
    sizes = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    parts = T.split(t.sym, sizes, len(sizes), axis)
    k = int(g.rng.integers(len(sizes)))
    val = np.split(t.val, np.cumsum(sizes)[:-1], axis)[k]
    return _derive(val, parts[k] if len(sizes) > 1 else parts[0] if isinstance(parts, list) else parts, [t])


def repeat(g):
    t = g.pick()
    axis = None if t.val.ndim == 0 or g.rng.random() < 0.3 else int(g.rng.integers(0, t.val.ndim))
    n = t.val.size if axis is None else t.val.shape[axis]
    reps = int(g.rng.integers(0, 3)) if g.rng.random() < 0.5 else g.rng.integers(0, 3, n)
    return _derive(np.repeat(t.val, reps, axis), T.repeat(t.sym, reps, axis), [t])


def arange(g):
    t = g.pick(lambda t: t.val.ndim >= 1)
    axis = int(g.rng.integers(0, t.val.ndim))
    start, step = int(g.rng.integers(-2, 3)), g.choice([1, 2, -1, 0.5])
    n = t.val.shape[axis]
    stop_sym, stop = (t.sym.shape[axis], n) if step > 0 else (-t.sym.shape[axis], -n)
    dtype = g.choice([None, "int8", "int32", "float32", "float64"])
    if dtype == "int8" and step == 0.5:
        raise Rejected
    val = np.arange(start, stop, step, dtype=dtype)
    sym = T.arange(start, stop_sym, step, dtype=dtype)
    if val.dtype != sym.dtype and dtype is None:
        val = val.astype(sym.dtype)  # arange's default dtype of symbolic bounds: the bounds' type
    return _derive(val, sym, [t], approx=step == 0.5 and dtype == "float32")


def alloc(g):
    t = g.pick()
    r = g.rng.random()
    if r < 0.3:
        fn = g.choice([T.zeros_like, T.ones_like])
        return _derive((np.zeros_like if fn is T.zeros_like else np.ones_like)(t.val), fn(t.sym), [])
    if r < 0.5:
        v = g.pick(lambda u: _compatible(u, t) and u.val.ndim <= t.val.ndim and np.broadcast_shapes(
            u.val.shape, t.val.shape) == t.val.shape and np.can_cast(u.val.dtype, t.val.dtype, "same_kind"))
        val = np.broadcast_to(v.val, t.val.shape).astype(t.val.dtype)  # the model's dtype, as in Theano
        return _derive(val, T.fill(t.sym, v.sym), [v])
    dims = [int(n) for n in g.rng.integers(1, 4, g.rng.integers(0, 2))] + list(t.val.shape)
    sym_dims = dims[:len(dims) - t.val.ndim] + [t.sym.shape[d] if t.sym.type.shape[d] is None and g.rng.random() < 0.5
                                                else n for d, n in enumerate(t.val.shape)]
    return _derive(np.broadcast_to(t.val, dims).copy(), T.alloc(t.sym, *sym_dims), [t])


def diagonal(g):
    t = g.pick(lambda t: t.val.ndim in (1, 2, 3))
    k = int(g.rng.integers(-1, 2))
    if t.val.ndim == 1:
        return _derive(np.diag(t.val, k), T.diag(t.sym, k), [t])
    if t.val.ndim == 2 and g.rng.random() < 0.3:
        return _derive(np.diag(t.val, k), T.diag(t.sym, k), [t])
    a1, a2 = (int(a) for a in g.rng.choice(t.val.ndim, 2, replace=False))
    if g.rng.random() < 0.4:
        return _derive(np.trace(t.val, k, a1, a2), T.trace(t.sym, k, a1, a2), [t], approx=_kind(t) in "fc")
    return _derive(np.diagonal(t.val, k, a1, a2), T.diagonal(t.sym, k, a1, a2), [t])


def softmax(g):
    t = g.pick(lambda t: t.val.ndim >= 1 and _kind(t) == "f" and t.val.size)
    axis = int(g.rng.integers(-t.val.ndim, t.val.ndim)) if g.rng.random() < 0.5 else -1
    log = g.rng.random() < 0.5
    shift = np.max(t.val, axis, keepdims=True)  # as gpugrad shifts: SciPy's all-NaN row at +inf is not the limit
    shift = np.where(np.isinf(shift), 0, shift)
    e = np.exp(t.val - shift)
    val = t.val - shift - np.log(e.sum(axis, keepdims=True)) if log else e / e.sum(axis, keepdims=True)
    sym = (T.nnet.log_softmax if log else T.nnet.softmax)(t.sym, axis=axis)
    return _derive(val.astype(t.val.dtype), sym, [t], approx=True)


def index(g, t=None):
    t = t or g.pick(lambda t: t.val.ndim >= 1)
    idx, d = [], 0
    while d < t.val.ndim and (not idx or g.rng.random() < 0.7):
        n, r = t.val.shape[d], g.rng.random()
        if r < 0.1:
            idx.append(None)
            continue
        d += 1
        if r < 0.4 and n:
            idx.append(int(g.rng.integers(-n, n)))
        else:
            idx.append(slice(g.choice([None, 0, 1, -1, -2]), g.choice([None, 2, -1, 5]), g.choice([None, 1, 2, -1])))
    term = _derive(t.val[tuple(idx)], t.sym[tuple(idx)], [t])
    term.key = tuple(idx)
    return term


def triangle(g):
    t = g.pick(lambda t: t.val.ndim >= 2)
    k, lower = int(g.rng.integers(-2, 3)), g.rng.random() < 0.5
    val = (np.tril if lower else np.triu)(t.val, k)
    return _derive(val, (T.tril if lower else T.triu)(t.sym, k), [t])


def tile(g):
    t = g.pick()
    reps = tuple(int(r) for r in g.rng.integers(1, 3, g.rng.integers(t.val.ndim, t.val.ndim + 2) or 1))
    return _derive(np.tile(t.val, reps), T.tile(t.sym, reps), [t])


def eye(g):
    t = g.pick(lambda t: t.val.ndim >= 1)
    n, k, dtype = int(g.rng.integers(0, 4)), int(g.rng.integers(-1, 2)), g.choice(DTYPES)
    return _derive(np.eye(n, t.val.shape[0], k, dtype=dtype), T.eye(n, t.sym.shape[0], k, dtype=dtype), [])


def axes_change(g):
    t = g.pick()
    ones = [d for d in range(t.val.ndim) if t.sym.type.shape[d] == 1]
    if ones and g.rng.random() < 0.5:
        axis = g.choice(ones)
        return _derive(np.squeeze(t.val, axis), T.squeeze(t.sym, axis), [t])
    axis = int(g.rng.integers(-t.val.ndim - 1, t.val.ndim + 1))
    return _derive(np.expand_dims(t.val, axis), T.expand_dims(t.sym, axis), [t])


def set_inc(g):
    """set_subtensor / inc_subtensor through a basic index (a view on the device)."""
    t = g.pick(lambda t: t.val.ndim >= 1)
    target = index(g, t)
    v = g.pick(lambda u: u.val.ndim <= target.val.ndim and _compatible(u, target) and np.broadcast_shapes(
        u.val.shape, target.val.shape) == target.val.shape and np.can_cast(u.val.dtype, t.val.dtype, "same_kind"))
    inc = g.rng.random() < 0.5
    val = t.val.copy()
    key = target.key
    val[key] = val[key] + v.val if inc else v.val
    return _derive(val, (T.inc_subtensor if inc else T.set_subtensor)(target.sym, v.sym), [t, v])


STEPS = [elementwise] * 6 + [cast, cast, reduction, reduction, reduction, product, shuffle, reshape, join, split,
                              repeat, arange, alloc, diagonal, softmax, index, index, triangle, tile, eye,
                              axes_change, set_inc]


# ---- running a graph on both devices
def compare(got, expected, tol, what):
    """Equal dtype and shape; integers and bools exact; floats to ``tol`` or the dtype's tolerance
    relative to the largest magnitude, NaNs and infinities in the same places (for complex
    values only where they are: C's and NumPy's special cases differ on the other part)."""
    got, expected = host(got).copy(), np.asarray(expected)
    if got.dtype != expected.dtype or got.shape != expected.shape:
        raise Mismatch(f"{what}: got {got.dtype}{got.shape}, expected {expected.dtype}{expected.shape}")
    if got.dtype.kind in "biu":
        if not np.array_equal(got, expected):
            raise Mismatch(f"{what}: got\n{got}\nexpected\n{expected}")
        return
    tol = max(tol, tolerance(got.dtype))
    if got.dtype.kind == "c":
        if not np.array_equal(np.isfinite(got), np.isfinite(expected)):
            raise Mismatch(f"{what}: got\n{got}\nexpected\n{expected}")
        got, expected = (np.where(np.isfinite(expected), v, 0) for v in (got, expected))
    for g, e in ((got.real, expected.real), (got.imag, expected.imag)) if got.dtype.kind == "c" else ((got, expected),):
        finite = np.isfinite(e)
        scale = max(1.0, float(np.abs(e[finite]).max())) if finite.any() else 1.0
        same_special = np.array_equal(np.isnan(g), np.isnan(e)) and np.array_equal(
            np.where(finite | np.isnan(e), 0, e), np.where(finite | np.isnan(g), 0, g))
        if not same_special or not np.allclose(g[finite], e[finite], rtol=tol, atol=tol * scale):
            raise Mismatch(f"{what}: got\n{got}\nexpected\n{expected}")


def _call_args(values, rng, device):
    """The arguments of one call: 0-d ones sometimes Python scalars, others sometimes
    non-contiguous views, and on the device sometimes device arrays (strided ones too)."""
    be = device_arrays.backend_for(DEVICE)
    out = []
    for value in values:
        r = rng.random()
        if value.ndim == 0 and r < 0.5:
            out.append(value.item())
            continue
        on_device = device == DEVICE and rng.random() < 0.3
        if value.ndim and value.shape[-1] and r < 0.4:
            wide = np.repeat(value, 2, axis=-1)
            out.append((be.to_device(wide) if on_device else wide)[..., ::2])
        else:
            out.append(be.to_device(value) if on_device else value.copy())
    return out


def _run(f, args, what):
    kept = [host(a).copy() for a in args]
    results = f(*args)
    for a, k in zip(args, kept):
        if not np.array_equal(host(a), k, equal_nan=True):
            raise Mismatch(f"{what}: the call wrote into its argument")
    return results


def _outputs(g):
    """The last term and up to two others, not bare inputs."""
    derived = [t for t in g.pool[len(g.inputs):]] or g.pool
    chosen = [derived[-1]] + [g.choice(derived) for _ in range(g.rng.integers(0, 3))]
    return list({id(t): t for t in chosen}.values())


def _both(inputs, outputs, rng):
    cpu = gg.function(inputs, outputs, device="cpu", on_unused_input="ignore")
    sim = gg.function(inputs, outputs, device=DEVICE, on_unused_input="ignore",
                      return_device_arrays=bool(rng.random() < 0.3))
    return cpu, sim


def run_graph(seed):
    """Build graph ``seed``, check it, its gradient and its R-op on both devices; raise Mismatch."""
    g = Graph(seed)
    outs, rng = _outputs(g), g.rng
    cpu, sim = _both(g.inputs, [t.sym for t in outs], rng)
    expected = _run(cpu, _call_args(g.args, rng, "cpu"), "cpu")
    for k, (t, e) in enumerate(zip(outs, expected)):
        if not t.fuzzy:
            compare(e, t.val, t.tol, f"cpu vs NumPy, output {k}")
    got = _run(sim, _call_args(g.args, rng, DEVICE), DEVICE)
    for k, (t, gv, e) in enumerate(zip(outs, got, expected)):
        if t.fuzzy:
            gv = host(gv)
            if (gv.dtype, gv.shape) != (e.dtype, e.shape):
                raise Mismatch(f"cuda-sim vs cpu, output {k}: got {gv.dtype}{gv.shape}, expected {e.dtype}{e.shape}")
        else:
            compare(gv, e, t.tol, f"cuda-sim vs cpu, output {k}")
    _check_errors(g, cpu, sim, rng, outs, expected)
    _check_derivatives(g, outs, rng)
    return g


def _check_errors(g, cpu, sim, rng, outs, expected):
    """A wrong shape raises the same GpugradError on both (or both run and agree); the next
    good call still gives the right results."""
    bad = [k for k, a in enumerate(g.args) if a.ndim]
    if not bad or rng.random() < 0.5:
        return
    k = g.choice(bad)
    axis = int(rng.integers(g.args[k].ndim))
    shape = list(g.args[k].shape)
    shape[axis] += 1 if shape[axis] != 2 else -1
    args = list(g.args)
    args[k] = sample(rng, args[k].dtype, tuple(shape))
    outcomes = []
    for f, device in ((cpu, "cpu"), (sim, DEVICE)):
        try:
            outcomes.append(f(*_call_args(args, rng, device)))
        except GpugradError as exc:
            outcomes.append(type(exc))
        except Exception as exc:  # noqa: BLE001 (anything else is the bug being hunted)
            raise Mismatch(f"{device}: a call with input {k} of shape {tuple(shape)} raised "
                           f"{type(exc).__name__}: {exc}") from exc
    if isinstance(outcomes[0], type) or isinstance(outcomes[1], type):
        if outcomes[0] != outcomes[1]:
            raise Mismatch(f"input {k} of shape {tuple(shape)}: cpu gives {_name(outcomes[0])}, "
                           f"cuda-sim {_name(outcomes[1])}")
    else:
        for j, (t, a, b) in enumerate(zip(outs, outcomes[1], outcomes[0])):
            if not t.fuzzy:
                compare(a, b, t.tol, f"input {k} of shape {tuple(shape)}, output {j}")
    for j, (t, a, b) in enumerate(zip(outs, sim(*g.args), expected)):
        if not t.fuzzy:
            compare(a, b, t.tol, f"after the error, output {j}")


def _name(outcome):
    return outcome.__name__ if isinstance(outcome, type) else "results"


def _cost(outs, rng):
    terms = []
    for t in outs:
        if t.fuzzy or _kind(t) not in "fc":
            continue
        for part in (T.real, T.imag) if _kind(t) == "c" else (T.real,):
            weights = rng.integers(-4, 5, t.val.shape) / 4
            terms.append(T.sum(part(t.sym) * weights))
    return sum(terms[1:], terms[0]) if terms else None


def _check_derivatives(g, outs, rng):
    """The gradient of a weighted sum of the float results and their R-op, on both devices."""
    wrt = [v for v in g.inputs if np.dtype(v.dtype).kind in "fc"]
    cost = _cost(outs, rng)
    if not wrt or cost is None:
        return
    try:
        grads = T.grad(cost, wrt, disconnected_inputs="ignore")
    except (NotImplementedError, GpugradError):
        return
    _agree(g.inputs, grads, g.args, rng, "gradient")
    floats = [t.sym for t in outs if not t.fuzzy and _kind(t) in "fc"]
    points = [T.tensor(v.dtype, shape=v.type.shape, name=f"v_{v.name}") for v in wrt]
    try:
        rops = T.Rop(floats, wrt, points, disconnected_outputs="ignore")
    except (NotImplementedError, GpugradError):
        return
    values = [sample(rng, v.dtype, a.shape) for v, a in zip(wrt, (g.args[g.inputs.index(v)] for v in wrt))]
    values = [np.where(np.isfinite(v), v, 0.5).astype(v.dtype) for v in values]
    _agree(g.inputs + points, [r for r in rops if r is not None], g.args + values, rng, "R-op")


def _agree(inputs, outputs, args, rng, what):
    if not outputs:
        return
    cpu, sim = _both(inputs, outputs, rng)
    expected = cpu(*args)
    for k, (a, b) in enumerate(zip(sim(*args), expected)):
        compare(a, b, 1e-4, f"{what} {k}")


if __name__ == "__main__":
    start, count = (int(a) for a in sys.argv[1:3])
    for seed in range(start, start + count):
        try:
            run_graph(seed)
        except Exception as exc:  # noqa: BLE001 (report every failing seed and go on)
            print(f"seed {seed}: {type(exc).__name__}: {exc}")

