"""Algebra: sums of products in a normal form with fewer passes over the data.

A tree of add, sub, neg and mul nodes of one real float dtype (inner nodes read by
nothing else) is a polynomial in its leaves. ``collect_polynomial`` expands it into
monomials, adds the coefficients of equal monomials and rebuilds it by factoring out,
again and again, the leaf that most monomials share (a Horner scheme), e.g.

    2 v e - ((2 v x - v x x) e) - 2 v e x   ->   v (e (x (x + -4) + 2))

which takes the Hessian-vector product of ``sum(x**2 exp(-x))`` from 11 passes to 5.
The tree is replaced only when that lowers its count of elementwise operations.

This is real arithmetic, as in PyTensor's canonicalizer: a NaN input still gives NaN
(every leaf stays in the result, and monomials whose coefficients cancel keep a zero
coefficient, since ``x - x`` is NaN at an infinite x), but distributing and factoring
change rounding (within a few ulp) and, where an infinite leaf meets a zero one, may
give inf where the written order gave NaN (``x y + x z`` vs ``x (y + z)`` at x = inf,
z = 0, y = 1).
"""
from ..ops import scalar as S
from ..types import dtypes
from .canonicalize import _retyped
from .utils import constant_value, read_once, scalar_name

_TREE_OPS = ("add", "sub", "neg", "mul")
MAX_MONOMIALS = 32


def _inner(fgraph, var, dtype):
    """``var`` belongs inside a tree of ``dtype``: an add/sub/neg/mul read once, not an output."""
    return scalar_name(var) in _TREE_OPS and var.dtype == dtype and read_once(fgraph, var)


def _scalar(var):
    """The Python number of a one-element constant, else None."""
    data = constant_value(var)
    return data.item() if data is not None and data.size == 1 else None


def _expand_node(fgraph, root, dtype, cost):
    """``{leaves: coefficient}`` for the add/sub/neg/mul node computing ``root`` (leaves a tuple
    of variables of ``dtype`` in a fixed order); ``cost[0]`` counts the elementwise operations
    met. None past MAX_MONOMIALS or at a leaf of another dtype. Children first, from a stack:
    a tree as deep as the graph never recurses."""
    expanded, stack = {}, [(root, False)]
    while stack:
        var, ready = stack.pop()
        if ready:
            expanded[var] = _combine(var, [expanded[v] for v in var.owner.inputs], cost)
            continue
        number = _scalar(var)
        if number is not None:
            expanded[var] = {(): number}
        elif var is not root and not _inner(fgraph, var, dtype):
            # a leaf of another dtype (a bool, an int8) would not promote where the rebuilt tree
            # negates or multiplies it as it is (no negative bools; int8 products overflow)
            expanded[var] = {(var,): 1} if var.dtype == dtype else None
        else:
            stack.append((var, True))
            stack.extend((v, False) for v in var.owner.inputs)
    return expanded[root]


def _combine(var, parts, cost):
    """The monomials of ``var``'s node from those of its inputs (``parts``)."""
    name = scalar_name(var)
    cost[0] += max(1, len(parts) - 1)
    if any(p is None for p in parts):
        return None
    if name == "neg":
        return {k: -c for k, c in parts[0].items()}
    if name in ("add", "sub"):
        signs = [1, -1] if name == "sub" else [1] * len(parts)
        total = {}
        for sign, part in zip(signs, parts):
            for k, c in part.items():
                total[k] = total.get(k, 0) + sign * c
        return total
    coefficient, leaves, sums = 1, [], []
    for part in parts:  # one-monomial factors at once: a product of n factors in O(n log n)
        if len(part) == 1:
            ((k, c),) = part.items()
            coefficient *= c
            leaves.extend(k)
        else:
            sums.append(part)
    product = {_merge(tuple(leaves), ()): coefficient}
    for part in sums:
        product = {_merge(k1, k2): c1 * c2 for k1, c1 in product.items() for k2, c2 in part.items()}
        if len(product) > MAX_MONOMIALS:
            return None
    return product


def _merge(k1, k2):
    return tuple(sorted(k1 + k2, key=lambda v: v.id))


def _product(c, leaves, cost):
    """c * leaves[0] * ...; cost counts the operations it adds."""
    if not leaves:
        return c
    if c == -1:
        cost[0] += len(leaves)
        return S.neg(S.mul(*leaves)) if len(leaves) > 1 else S.neg(leaves[0])
    factors = list(leaves) if c == 1 else [c] + list(leaves)
    cost[0] += len(factors) - 1
    return S.mul(*factors) if len(factors) > 1 else factors[0]


def _rebuild(monomials, cost):
    """Horner form: factor out the leaf most monomials share, while two or more do.
    Cancelled monomials (coefficient 0) stay terms of their own: 0 * x * y is NaN at an
    infinite y, where y * (0 * x) would hide it."""
    cancelled = [(leaves, c) for leaves, c in monomials.items() if c == 0 and leaves]
    if cancelled and len(cancelled) < len(monomials):
        live = {leaves: c for leaves, c in monomials.items() if c != 0 or not leaves}
        terms = [_rebuild(live, cost)] + [_product(c, leaves, cost) for leaves, c in cancelled]
        cost[0] += len(terms) - 1
        return S.add(*terms)
    counts = {}
    for leaves in monomials:
        for v in dict.fromkeys(leaves):
            counts[v] = counts.get(v, 0) + 1
    best = max(counts, key=counts.get, default=None)
    if best is None or counts[best] < 2:
        terms = [_product(c, leaves, cost) for leaves, c in monomials.items()]
        if len(terms) == 1:
            return terms[0]
        cost[0] += len(terms) - 1
        return S.add(*terms)
    inner = {}
    rest = {}
    for leaves, c in monomials.items():
        if best in leaves:
            k = list(leaves)
            k.remove(best)
            inner[tuple(k)] = c
        else:
            rest[leaves] = c
    cost[0] += 1
    factored = S.mul(best, _rebuild(inner, cost))
    if not rest:
        return factored
    cost[0] += 1
    return S.add(factored, _rebuild(rest, cost))


def collect_polynomial(fgraph, node):
    """Expand an add/sub/neg/mul tree into monomials, collect them, and rebuild it in
    Horner form when that takes fewer elementwise operations."""
    out = node.outputs[0]
    if scalar_name(out) not in _TREE_OPS or len(node.outputs) != 1 or not dtypes.is_float(out.dtype):
        return None
    if _inner(fgraph, out, out.dtype):
        parent = fgraph.clients[out][0][0].outputs[0]
        if scalar_name(parent) in _TREE_OPS and parent.dtype == out.dtype:
            return None  # rewritten with its root
    old_cost = [0]
    monomials = _expand_node(fgraph, out, out.dtype, old_cost)
    if monomials is None or not any(monomials):
        return None
    new_cost = [0]
    new = _rebuild(monomials, new_cost)
    if new_cost[0] >= old_cost[0] or not hasattr(new, "owner"):
        return None
    return _retyped(fgraph, new, out)


REWRITES = [collect_polynomial]
