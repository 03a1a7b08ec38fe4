"""Random differentiable graphs, checked across devices and against finite differences.

Beyond tests/cuda/graph_fuzz.py (every dtype, elementwise-heavy, devices against NumPy), a
graph here is real floats built of the nodes models are made of: products (dot, matmul,
tensordot, batched_dot), reductions (sum, mean, prod, max, logsumexp, var), indexing (slices,
integer arrays with repeats, boolean masks, set/inc_subtensor), loops (scan), linear algebra
(cholesky, solve, det, slogdet, inv, eigvalsh, expm, norm), softmaxes, joins and shape ops,
between smooth elementwise functions. For graph ``seed`` in ``dtype`` (float32 or float64):

- values: the optimized graph on ``cpu`` and on ``cuda-sim`` against the unoptimized one on
  ``cpu``, which computes each node by its ``perform`` (the oracle);
- gradients of a random weighted sum of the outputs: ``cpu`` against ``cuda-sim``; in float64
  against a central difference of the oracle along a random direction, in float32 against
  the same graph built in float64;
- the R-op of the outputs along a random direction, on ``cpu`` and ``cuda-sim``, against the
  gradient (for each output, <Rop, w> = <grad of <out, w>, v>).

``python tests/reliability/random_graphs.py START COUNT [--no-sim]`` runs more seeds and
prints the failures; tests/reliability/test_random_graphs.py runs a sample.
"""
import sys

import numpy as np

import gpugrad
import gpugrad.tensor as T
from gpugrad.graph.traversal import graph_inputs

SIM = "cuda-sim"


class Rejected(Exception):
    """The drawn node does not apply to the drawn operands: draw another."""


class Mismatch(AssertionError):
    """Two ways of computing the same value disagree."""


class Graph:
    """Graph ``seed`` in ``dtype``: ``inputs`` and their values ``args``, ``pool`` of (symbol,
    shape) terms, the drawn ``outputs``. The same seed draws the same graph in either dtype."""

    def __init__(self, seed, dtype):
        self.rng, self.dtype = np.random.default_rng(seed), dtype
        self.inputs, self.args, self.pool, self.steps = [], [], [], []
        for _ in range(self.rng.integers(1, 3)):
            self.new_input(tuple(int(n) for n in self.rng.integers(2, 5, self.rng.integers(0, 4))))
        for _ in range(self.rng.integers(3, 9)):
            for _attempt in range(30):
                step = STEPS[self.rng.integers(len(STEPS))]
                try:
                    self.pool.append(step(self))
                except Rejected:
                    continue
                self.steps.append(step.__name__)
                break
        derived = self.pool[len(self.inputs):] or self.pool
        picks = {len(derived) - 1} | {int(i) for i in self.rng.integers(0, len(derived), self.rng.integers(0, 3))}
        self.outputs = [derived[i] for i in sorted(picks)]

    def new_input(self, shape):
        """A new input of ``shape`` (values in [-1.5, 1.5]); its term."""
        sym = T.tensor(self.dtype, shape=(None,) * len(shape), name=f"x{len(self.inputs)}")
        self.inputs.append(sym)
        self.args.append(self.rng.uniform(-1.5, 1.5, shape).astype(self.dtype))
        self.pool.append((sym, shape))
        return self.pool[-1]

    def pick(self, ok=lambda shape: True):
        """A term whose shape is ``ok``, the recent ones likelier (deeper graphs)."""
        choices = [t for t in self.pool if ok(t[1])]
        if not choices:
            raise Rejected
        return choices[-1 - min(int(self.rng.geometric(0.4)) - 1, len(choices) - 1)]

    def shaped(self, shape):
        """A term of ``shape``: from the pool when one fits, else a new input."""
        fits = [t for t in self.pool if t[1] == shape]
        return fits[self.rng.integers(len(fits))] if fits and self.rng.random() < 0.7 else self.new_input(shape)

    def integers(self, high, size):
        return [int(i) for i in self.rng.integers(0, high, size)]


# ---- the steps: each returns a new (symbol, shape) term or raises Rejected
UNARY = [T.tanh, T.sin, T.cos, T.sigmoid, T.softplus, T.arctan, T.erf, T.sqr,
         lambda x: T.exp(T.tanh(x)), lambda x: T.log(1 + x * x), lambda x: T.sqrt(1 + x * x)]


def unary(g):
    sym, shape = g.pick()
    return UNARY[g.rng.integers(len(UNARY))](sym), shape


def binary(g):
    a, shape = g.pick()
    b, _ = g.shaped(shape) if g.rng.random() < 0.8 else g.shaped(shape[1:]) if shape else g.shaped(())
    how = g.rng.integers(5)
    return [a + b, a - b, a * b, a / (1 + b * b), T.maximum(a, b)][how], shape


def reduction(g):
    sym, shape = g.pick(lambda s: len(s) > 0)
    axis = None if g.rng.random() < 0.3 else int(g.rng.integers(len(shape)))
    keepdims = bool(g.rng.random() < 0.3)
    kind = ["sum", "mean", "prod", "max", "min", "var", "logsumexp"][g.rng.integers(7)]
    fn = T.logsumexp if kind == "logsumexp" else getattr(T, kind)
    out = fn(sym, axis=axis, keepdims=keepdims)
    if axis is None:
        return out, (1,) * len(shape) if keepdims else ()
    return out, shape[:axis] + ((1,) if keepdims else ()) + shape[axis + 1:]


def product(g):
    a, sa = g.pick(lambda s: 1 <= len(s) <= 3)
    kind = g.rng.integers(4)
    if kind == 0 or len(sa) == 1:  # dot with a new right operand
        n = int(g.rng.integers(2, 5))
        b, sb = g.shaped((sa[-1], n) if g.rng.random() < 0.7 else (sa[-1],))
        return T.dot(a, b), sa[:-1] + sb[1:]
    if kind == 1:  # a matrix product with the transpose of a same-shaped term
        b, _ = g.shaped(sa)
        return T.matmul(a, b.dimshuffle(0, 2, 1)) if len(sa) == 3 else T.dot(a, b.T), sa[:-1] + sa[-2:-1]
    if kind == 2 and len(sa) == 3:
        b, _ = g.shaped((sa[0], sa[2], 2))
        return T.batched_dot(a, b), (sa[0], sa[1], 2)
    b, _ = g.shaped(sa[-2:])
    return T.tensordot(a, b, axes=2), sa[:-2]


def index(g):
    sym, shape = g.pick(lambda s: len(s) > 0)
    kind, n = g.rng.integers(5), shape[0]
    if kind == 0 and n >= 2:  # no empty arrays: graph_fuzz.py has those
        return sym[1:], (n - 1,) + shape[1:]
    if kind == 1:
        return sym[::-1], shape
    if kind == 2:  # integer indices with repeats: the gradient accumulates
        picks = g.integers(n, int(g.rng.integers(1, 5)))
        return sym[picks], (len(picks),) + shape[1:]
    if kind == 3 and len(shape) >= 2:
        rows, cols = g.integers(shape[0], 3), g.integers(shape[1], 3)
        return sym[rows, cols], (3,) + shape[2:]
    mask = g.rng.random(shape[:1]) < 0.6
    mask[0] = True
    return sym[mask], (int(mask.sum()),) + shape[1:]


def set_inc(g):
    """set_subtensor / inc_subtensor of two rows: a slice, or two indices, repeated ones only
    for inc (they accumulate; which of a set's repeated values lands is unspecified on a GPU)."""
    sym, shape = g.pick(lambda s: len(s) > 0)
    value, _ = g.shaped((2,) + shape[1:])
    setting, sliced = g.rng.random() < 0.5, g.rng.random() < 0.5 and shape[0] >= 2
    if sliced:
        where = sym[:2]
    elif setting:
        if shape[0] < 2:
            raise Rejected
        where = sym[[int(i) for i in g.rng.choice(shape[0], 2, replace=False)]]
    else:
        where = sym[g.integers(shape[0], 2)]
    return (T.set_subtensor if setting else T.inc_subtensor)(where, value), shape


def loop(g):
    """A recurrence over the leading axis: h_t = tanh(h_{t-1} * w + x_t), every h_t kept."""
    seq, shape = g.pick(lambda s: len(s) >= 1)
    w, _ = g.shaped(shape[1:])
    h0, _ = g.shaped(shape[1:])
    hs, _ = gpugrad.scan(lambda x_t, h, w_: T.tanh(h * w_ + x_t), sequences=seq, outputs_info=h0,
                         non_sequences=w)
    return hs, shape


def linalg(g):
    """A function of the SPD matrix A A^T + n I, A = tanh of a term (well conditioned, and of
    moderate size even after expm of expm)."""
    sym, shape = g.pick(lambda s: len(s) == 2)
    n, bounded = shape[0], T.tanh(sym)
    spd = T.dot(bounded, bounded.T) + n * T.eye(n, dtype=g.dtype)
    kind = g.rng.integers(8)
    if kind == 0:
        return T.slinalg.cholesky(spd), (n, n)
    if kind == 1:
        b, sb = g.shaped((n,) if g.rng.random() < 0.5 else (n, 2))
        return T.slinalg.solve(spd, b), sb
    if kind == 2:
        return T.nlinalg.det(spd / n), ()
    if kind == 3:
        return T.nlinalg.slogdet(spd)[1], ()
    if kind == 4:
        return T.nlinalg.matrix_inverse(spd), (n, n)
    if kind == 5:
        return T.slinalg.eigvalsh(spd), (n,)
    if kind == 6:
        return T.slinalg.expm(spd / (2 * n)), (n, n)
    return T.nlinalg.norm(sym), ()


def softmax(g):
    sym, shape = g.pick(lambda s: len(s) == 2)
    return (T.nnet.softmax if g.rng.random() < 0.5 else T.nnet.log_softmax)(sym), shape


def gradient(g):
    """The gradient of a scalar term with respect to an input it reads: the cost's gradient
    then takes second derivatives through everything below it."""
    sym, _ = g.pick(lambda s: s == ())
    read = [k for k, x in enumerate(g.inputs) if x in graph_inputs([sym])]
    if not read:
        raise Rejected
    k = read[g.rng.integers(len(read))]
    return gpugrad.grad(sym, g.inputs[k], disconnected_inputs="ignore"), g.args[k].shape


def reshape(g):
    sym, shape = g.pick(lambda s: len(s) >= 1)
    kind = g.rng.integers(3)
    if kind == 0:
        return sym.flatten(), (int(np.prod(shape)),)
    if kind == 1 and len(shape) >= 2:
        order = [int(i) for i in g.rng.permutation(len(shape))]
        return sym.dimshuffle(order), tuple(shape[i] for i in order)
    other, _ = g.shaped(shape)
    axis = int(g.rng.integers(len(shape)))
    return T.concatenate([sym, other], axis=axis), shape[:axis] + (2 * shape[axis],) + shape[axis + 1:]


STEPS = [unary, unary, binary, binary, reduction, reduction, product, product, index, set_inc, loop, linalg,
         linalg, softmax, reshape, gradient]


# ---- the checks
TOLERANCE = {"float32": 2e-4, "float64": 1e-9}


def compare(got, expected, rtol, what):
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape or got.dtype != expected.dtype:
        raise Mismatch(f"{what}: got {got.dtype}{got.shape}, expected {expected.dtype}{expected.shape}")
    scale = max(1.0, float(np.abs(expected).max())) if expected.size else 1.0
    if not np.allclose(got, expected, rtol=rtol, atol=rtol * scale, equal_nan=True):
        raise Mismatch(f"{what}: got\n{got}\nexpected\n{expected}")


def _cost(g):
    """A real scalar: the outputs weighted by fixed random arrays (``g.weights``) and summed."""
    g.weights = [T.constant(g.rng.uniform(0.5, 1.5, shape).astype(g.dtype)) for _, shape in g.outputs]
    return sum(T.sum(sym * w) for (sym, _), w in zip(g.outputs, g.weights))


def check(seed, dtype="float64", sim=True):
    """Build graph ``seed`` in ``dtype`` and check it (module docstring); raises Mismatch."""
    g = Graph(seed, dtype)
    outputs = [sym for sym, _ in g.outputs]
    oracle = _compiled(g.inputs, outputs, "cpu", mode="None")
    expected = oracle(*g.args)
    devices = ["cpu", SIM] if sim else ["cpu"]
    for device in devices:
        got = _compiled(g.inputs, outputs, device)(*g.args)
        for k, (a, e) in enumerate(zip(got, expected)):
            compare(a, e, TOLERANCE[dtype], f"seed {seed} {dtype}: output {k} on {device}")
    cost = _cost(g)
    grads = gpugrad.grad(cost, g.inputs, disconnected_inputs="ignore")
    gradients = [_compiled(g.inputs, grads, device)(*g.args) for device in devices]
    for k, (a, e) in enumerate(zip(gradients[-1], gradients[0])):
        compare(a, e, TOLERANCE[dtype], f"seed {seed} {dtype}: gradient {k} on {SIM} and cpu")
    _check_rop(seed, g, gradients[0], devices)
    if dtype == "float64":
        _against_differences(seed, g, cost, gradients[0])
    else:
        wide = Graph(seed, "float64")
        wide_grads = _compiled(wide.inputs, gpugrad.grad(_cost(wide), wide.inputs, disconnected_inputs="ignore"),
                               "cpu")(*wide.args)
        for k, (a, e) in enumerate(zip(gradients[0], wide_grads)):
            compare(a.astype("float64"), e, 2e-3, f"seed {seed}: float32 gradient {k} against float64")
    return g


def _check_rop(seed, g, gradient, devices):
    """The R-op of the outputs along a random direction v, weighted as in the cost: equal to
    <gradient, v>, on every device (forward mode against reverse mode)."""
    direction = [g.rng.standard_normal(a.shape).astype(g.dtype) for a in g.args]
    points = [T.tensor(g.dtype, shape=(None,) * x.ndim) for x in g.inputs]
    tangents = gpugrad.Rop([sym for sym, _ in g.outputs], g.inputs, points, disconnected_outputs="ignore")
    along = sum(T.sum(t * w) for t, w in zip(tangents, g.weights))
    expected = sum(float(np.sum(gr.astype("float64") * d)) for gr, d in zip(gradient, direction))
    for device in devices:
        got = float(_compiled(g.inputs + points, along, device)(*g.args, *direction))
        if not abs(got - expected) <= TOLERANCE[g.dtype] * 10 * (1 + abs(expected)):
            raise Mismatch(f"seed {seed} {g.dtype}: the R-op on {device} gives {got} along a direction, "
                           f"the gradient {expected} (steps {g.steps})")


def _compiled(inputs, outputs, device, mode=None):
    return gpugrad.function(inputs, outputs, device=device, mode=mode, on_unused_input="ignore")


def _against_differences(seed, g, cost, gradient):
    """<gradient, v> against (f(x + eps v) - f(x - eps v)) / 2 eps of the oracle."""
    f = _compiled(g.inputs, cost, "cpu", mode="None")
    direction = [g.rng.standard_normal(a.shape) for a in g.args]
    eps = 1e-6
    plus = f(*[a + eps * d for a, d in zip(g.args, direction)])
    minus = f(*[a - eps * d for a, d in zip(g.args, direction)])
    numeric = (plus - minus) / (2 * eps)
    analytic = sum(float(np.sum(gr * d)) for gr, d in zip(gradient, direction))
    size = sum(float(np.sum(np.abs(gr * d))) for gr, d in zip(gradient, direction))
    if not abs(numeric - analytic) <= 1e-5 * (1 + abs(numeric) + size):
        raise Mismatch(f"seed {seed}: the gradient gives {analytic} along a direction, a central difference "
                       f"{numeric} (steps {g.steps})")


def main(argv):
    start, count = int(argv[1]), int(argv[2])
    sim = "--no-sim" not in argv
    failures = 0
    for seed in range(start, start + count):
        for dtype in ("float64", "float32"):
            try:
                check(seed, dtype, sim)
            except Exception as exc:  # noqa: BLE001 - every failure is reported, then the run goes on
                failures += 1
                print(f"seed {seed} {dtype}: {type(exc).__name__}: {str(exc)[:2000]}", flush=True)
    print(f"{count} seeds x 2 dtypes, {failures} failures", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
