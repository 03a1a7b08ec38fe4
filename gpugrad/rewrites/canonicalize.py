"""Canonicalize: put graphs in one normal form so later phases match fewer patterns.

Each function is a local rewrite ``(fgraph, node) -> replacements or None``."""
import numpy as np

from ..graph.basic import Constant
from ..graph.traversal import ancestors
from ..ops import scalar as S
from ..ops.join import stack
from ..ops.elemwise import Elemwise, pad_left
from ..ops.gradient_ops import GradientOp, UndefinedGrad
from ..ops.shape import Alloc, DimShuffle, Fill, MatchShape, Reshape, Shape, ShapeI, ones_like, shape_tuple
from ..types.variable import TensorConstant
from .shapes import shape_keys
from .utils import constant_value, is_constant_equal, is_op, read_once, scalar_name

FOLD_LIMIT = 1 << 12


def remove_gradient_ops(fgraph, node):
    """Stop-gradient, clip and scale ops are the identity once gradients are built."""
    if isinstance(node.op, GradientOp) and not isinstance(node.op, UndefinedGrad):
        return [node.inputs[0]]
    return None


def remove_checked_match_shape(fgraph, node):
    """An eval-point shape check that shape inference proves always passes."""
    if isinstance(node.op, MatchShape):
        value, like = node.inputs
        keys = shape_keys(fgraph)
        if keys.of(value)[node.op.value_lead:] == keys.of(like)[node.op.like_lead:]:
            return [value]
    return None


def constant_folding(fgraph, node):
    """Compute nodes whose inputs are all constants, when the result is small."""
    if not node.inputs or not all(isinstance(v, Constant) for v in node.inputs) or \
            getattr(node.op, "side_effect", False):
        return None
    if any(None not in o.type.shape and np.prod(o.type.shape, dtype=float) > FOLD_LIMIT for o in node.outputs):
        return None
    values = node.op.perform(node, [v.data for v in node.inputs])
    if any(np.size(v) > FOLD_LIMIT for v in values):
        return None
    out = []
    for var, value in zip(node.outputs, values):
        data = np.asarray(value, dtype=var.dtype)
        # a weak size-1 result (a padded Python scalar) stays weak, so float32 stays float32
        out.append(TensorConstant(var.type.with_shape(data.shape), data.copy(),
                                  weak=var.weak and data.size == 1))
    return out


def shape_of_known_size(fgraph, node):
    """``x.shape`` and ``shape_i`` become constants where sizes are static, and are
    read from the inputs (not the computed value) through shape inference otherwise."""
    if isinstance(node.op, ShapeI):
        size = node.inputs[0].type.shape[node.op.axis]
        if size is not None:
            return [TensorConstant(node.outputs[0].type, np.asarray(size, dtype="int64"))]
        source = _shape_source(node.inputs[0], node.op.axis)
        if source[0] is not node.inputs[0]:
            return [ShapeI(source[1])(source[0])]
        size = _inferred_sizes(node.inputs[0])[node.op.axis]
        return None if size is None else [size]
    if isinstance(node.op, Shape) and None not in node.inputs[0].type.shape:
        return [TensorConstant(node.outputs[0].type, np.asarray(node.inputs[0].type.shape, dtype="int64"))]
    if isinstance(node.op, Shape) and node.inputs[0].ndim and None not in _inferred_sizes(node.inputs[0]):
        return [stack(_inferred_sizes(node.inputs[0]))]
    return None


def _inferred_sizes(var):
    """Per axis, the size of ``var`` as its op's ``infer_shape`` computes it from the op's
    inputs (so the op need not run for it), or None where that would read ``var`` itself."""
    node = var.owner
    try:
        sizes = node.op.infer_shape(node, [shape_tuple(v) for v in node.inputs])[var.index]
    except (NotImplementedError, AttributeError):
        return [None] * var.ndim
    lifted = []
    for size in sizes:
        size = None if size is None else S.cast(size, "int64")
        # var can only be reached before the node's inputs (a walk past them costs the whole graph)
        lifted.append(None if size is None or var in ancestors([size], blockers=node.inputs) else size)
    return lifted


def _shape_source(var, axis):
    """An earlier variable whose size on some axis equals ``var``'s on ``axis``,
    following ops that keep sizes (elementwise, dimshuffle)."""
    while var.owner is not None:
        op = var.owner.op
        if isinstance(op, Elemwise):
            candidates = [v for v in var.owner.inputs if v.type.shape[axis] != 1]
            if not candidates:
                break
            var = candidates[0]
        elif isinstance(op, DimShuffle) and op.pattern[axis] != "x":
            var, axis = var.owner.inputs[0], op.pattern[axis]
        else:
            break
    return var, axis


def flatten_add_mul(fgraph, node):
    """add(a, add(b, c)) -> add(a, b, c), and the same for mul, when the inner result
    has no other reader and the same dtype."""
    out = node.outputs[0]
    name = scalar_name(out)
    if name not in ("add", "mul") or any(is_op(c.outputs[0], name) and _absorbable(fgraph, c.outputs[0], name, out)
                                         for c, _ in fgraph.clients.get(out, ())):
        return None  # the reader above absorbs this node with the whole chain, in one step
    new_inputs, changed, stack = [], False, list(reversed(node.inputs))
    while stack:
        v = stack.pop()
        if _absorbable(fgraph, out, name, v):
            stack.extend(reversed(v.owner.inputs))
            changed = True
        else:
            new_inputs.append(v)
    if not changed:
        return None
    new = node.op(*new_inputs)
    return [new] if new.dtype == node.outputs[0].dtype else None


def _absorbable(fgraph, reader, name, v):
    """``v`` is the same n-ary op as ``reader``, of its dtype, read by nothing else."""
    return is_op(v, name) and v.dtype == reader.dtype and read_once(fgraph, v)


def combine_constants(fgraph, node):
    """Fold every constant operand of an n-ary add or mul into one, placed first."""
    name = scalar_name(node.outputs[0])
    if name not in ("add", "mul"):
        return None
    consts = [v for v in node.inputs if isinstance(v, Constant)]
    if len(consts) < 2:
        return None
    others = [v for v in node.inputs if not isinstance(v, Constant)]
    folded = constant_folding(fgraph, node.op.make_node(*consts))
    if folded is None:
        return None
    return [node.op(folded[0], *others) if others else folded[0]]


def remove_neutral_elements(fgraph, node):
    """x * 1, x + 0, x - 0, x / 1, x ** 1 -> x, when that keeps the result's type."""
    out = node.outputs[0]
    name = scalar_name(out)
    if name in ("add", "mul"):
        neutral = 0 if name == "add" else 1
        kept = [v for v in node.inputs if not is_constant_equal(v, neutral)]
        if len(kept) == len(node.inputs) or not kept:
            return None
        candidate = kept[0] if len(kept) == 1 else node.op(*kept)
    elif name in ("sub", "true_divide", "pow"):
        neutral = {"sub": 0, "true_divide": 1, "pow": 1}[name]
        if not is_constant_equal(node.inputs[1], neutral):
            return None
        candidate = node.inputs[0]
    else:
        return None
    return _retyped(fgraph, candidate, out)


def _retyped(fgraph, candidate, out):
    """``candidate`` converted to ``out``'s dtype, if shape inference proves the shapes equal."""
    if candidate.ndim != out.ndim or not shape_keys(fgraph).same_shape(candidate, out):
        return None
    if candidate.dtype != out.dtype:
        candidate = S.cast(candidate, out.dtype)
    return [candidate]


def remove_useless_alloc(fgraph, node):
    """alloc(v, *shape) or fill(like, v) that does not change v's shape is v."""
    if isinstance(node.op, Alloc):
        value = node.inputs[0]
    elif isinstance(node.op, Fill):
        value = node.inputs[1]
    else:
        return None
    return _retyped(fgraph, pad_left(value, node.outputs[0].ndim), node.outputs[0])


def alloc_into_elemwise(fgraph, node):
    """An elementwise op reading alloc(v, shape) or fill(like, v) reads v instead, when
    its other inputs already give the output that shape."""
    if not isinstance(node.op, Elemwise) or len(node.inputs) < 2:
        return None
    keys = shape_keys(fgraph)
    out = node.outputs[0]
    for pos, var in enumerate(node.inputs):
        value = _allocated(var)
        if value is None:
            continue
        if value.dtype != var.dtype and not value.weak:
            value = S.cast(value, var.dtype)
        others = [v for k, v in enumerate(node.inputs) if k != pos and v.ndim == out.ndim]
        if not all(var.type.shape[a] == 1 or any(keys.of(o)[a] == keys.of(var)[a] for o in others)
                   for a in range(out.ndim)):
            continue
        new = node.op(*(node.inputs[:pos] + [pad_left(value, out.ndim)] + node.inputs[pos + 1:]))
        if new.dtype == out.dtype:
            return [new]
    return None


def _allocated(var):
    """The value ``var`` is alloc(value, shape) or fill(like, value) of, or a dimshuffle of
    one whose value is a single element (a column of ``-1 / n``), as a 0-d value; else None."""
    owner = var.owner
    if owner is not None and isinstance(owner.op, DimShuffle):
        value = _allocated(owner.inputs[0])
        return None if value is None or any(s != 1 for s in value.type.shape) else DimShuffle(())(
            value) if value.ndim else value
    if owner is None or not isinstance(owner.op, (Alloc, Fill)):
        return None
    return owner.inputs[0] if isinstance(owner.op, Alloc) else owner.inputs[1]


def neg_out_of_products(fgraph, node):
    """(-a) * b -> -(a * b), (-a) / b -> -(a / b), a / (-b) -> -(a / b), --a -> a:
    negations gather where they cancel."""
    name = scalar_name(node.outputs[0])
    if name == "neg" and is_op(node.inputs[0], "neg"):
        return [node.inputs[0].owner.inputs[0]]
    if name not in ("mul", "true_divide"):
        return None
    negs = [k for k, v in enumerate(node.inputs) if is_op(v, "neg")]
    if not negs:
        return None
    inputs = [v.owner.inputs[0] if k in negs else v for k, v in enumerate(node.inputs)]
    inner = node.op(*inputs)
    new = inner if len(negs) % 2 == 0 else S.neg(inner)
    # a weak operand under the negation (a cast of a Python number that replaced a fill)
    # promotes otherwise than the negation did
    return [new] if new.dtype == node.outputs[0].dtype else None


def products_over_one_division(fgraph, node):
    """a * (b / c) -> (a * b) / c, so a quotient's numerator holds all the factors."""
    if scalar_name(node.outputs[0]) != "mul":
        return None
    for pos, var in enumerate(node.inputs):
        if is_op(var, "true_divide") and len(fgraph.clients.get(var, ())) == 1:
            num, den = var.owner.inputs
            rest = node.inputs[:pos] + [num] + node.inputs[pos + 1:]
            new = S.true_divide(S.mul(*rest), den)
            if new.dtype == node.outputs[0].dtype:
                return [new]
    return None


def pow_of_constant(fgraph, node):
    """x ** 0.5 -> sqrt(x), x ** -1 -> 1 / x, x ** n for small integers n -> products
    (NumPy's pow is a slow general loop; multiplication is exact for these)."""
    if scalar_name(node.outputs[0]) != "pow":
        return None
    base, exponent = node.inputs
    value = constant_value(exponent)
    if value is None or value.size == 0 or node.outputs[0].type.shape != base.type.shape:
        return None
    value = value.flat[0]
    if not np.all(constant_value(exponent) == value):
        return None
    value = complex(value) if np.iscomplexobj(value) else float(value)
    if value == 0.5:
        new = S.sqrt(base)
    elif value == -1:
        new = S.reciprocal(base)
    elif value in (2, 3, 4):
        new = S.mul(*[base] * int(value.real))
    else:
        return None
    return [new] if new.dtype == node.outputs[0].dtype else None


def pow_integer_exponent(fgraph, node):
    """x ** 1 -> x is a neutral element; x ** 0 -> ones. (Others wait for specialize.)"""
    if scalar_name(node.outputs[0]) != "pow" or not is_constant_equal(node.inputs[1], 0):
        return None
    return _retyped(fgraph, ones_like(node.inputs[0], dtype=node.outputs[0].dtype), node.outputs[0])


def merge_reshape(fgraph, node):
    """reshape(reshape(x, a), b) -> reshape(x, b); reshape to x's own shape -> x."""
    if not isinstance(node.op, Reshape):
        return None
    x = node.inputs[0]
    if x.owner is not None and isinstance(x.owner.op, Reshape):
        return [node.op(x.owner.inputs[0], *node.inputs[1:])]
    return None


def merge_dimshuffles(fgraph, node):
    """dimshuffle(dimshuffle(x)) -> one dimshuffle; the identity pattern -> x; a
    dimshuffle of a constant -> a constant."""
    if not isinstance(node.op, DimShuffle):
        return None
    x = node.inputs[0]
    pattern = node.op.pattern
    if pattern == tuple(range(x.ndim)):
        return [x]
    if x.owner is not None and isinstance(x.owner.op, DimShuffle):
        inner = x.owner.op.pattern
        combined = tuple("x" if p == "x" else inner[p] for p in pattern)
        source = x.owner.inputs[0]
        return [source if combined == tuple(range(source.ndim)) else DimShuffle(combined)(source)]
    return None


REWRITES = [remove_gradient_ops, remove_checked_match_shape, constant_folding, shape_of_known_size,
            merge_dimshuffles, merge_reshape, flatten_add_mul, combine_constants, remove_neutral_elements,
            remove_useless_alloc, alloc_into_elemwise, neg_out_of_products, products_over_one_division,
            pow_integer_exponent]
