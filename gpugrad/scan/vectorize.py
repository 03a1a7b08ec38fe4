"""The map-vectorization rewrite: a loop whose steps do not depend on each other (no
recurrent state, no ``until``, as many steps as the sequences have entries) is
replaced by its body batched over the sequences (``autodiff.vectorize``), one graph
with no loop. The tutorial's scan Jacobian

    scan(lambda i, y, x: T.grad(y[i], x), sequences=T.arange(y.shape[0]), non_sequences=[y, x])

becomes a scatter of ones into a zero matrix times ``2 * x``. A body with an op that
has no batching rule keeps its loop."""
from ..autodiff.vectorize import vectorize
from ..errors import GpugradError
from ..graph.basic import Constant
from ..graph.traversal import clone_graph
from ..ops.blas import AllocDiag
from ..ops.join import ARange
from ..ops.shape import Alloc, ShapeI, alloc
from ..ops.subtensor import IncSubtensor
from ..rewrites.shapes import ShapeKeys
from ..rewrites.utils import is_constant_equal
from ..types.dtypes import is_discrete
from .op import Scan


def vectorize_map(fgraph, node):
    op = node.op
    if not isinstance(op, Scan) or op.n_states or op.until or not op.n_seqs or not op.exact:
        return None
    _, seqs, _, nonseqs = op.split_outer(node.inputs)
    try:
        batched = vectorize(op.outputs, dict(zip(op.seq_slots, seqs)))
    except (NotImplementedError, GpugradError):
        return None
    results = clone_graph(batched, replace=dict(zip(op.nonseq_slots, nonseqs)))
    if any(new.dtype != old.dtype or new.ndim != old.ndim for new, old in zip(results, node.outputs)):
        return None
    return results


def scatter_to_diagonal(fgraph, node):
    """inc_subtensor(zeros(n, n)[arange(n), arange(n)], v) -> diag(v): a map over
    ``arange(n)`` writing entry i of row i (the one-hot seeds of the scan Jacobian,
    batched) builds a diagonal matrix, which the structure phase then keeps diagonal.

    Sizes are compared through shape inference, where the length of ``arange(0, s, 1)``
    counts as ``s`` for a size ``s`` that cannot be negative (a shape entry)."""
    if not isinstance(node.op, IncSubtensor) or node.op.idx_list != ("a", "a"):
        return None
    x, v, rows, cols = node.inputs
    stops = [_arange_stop(rows), _arange_stop(cols)]
    if None in stops or not _is_zeros(x) or v.ndim > 1:
        return None
    keys = ShapeKeys(fgraph)
    for var in fgraph.variables():
        stop = _arange_stop(var)
        if stop is not None:
            keys.memo[var] = (keys.dim_key(stop),)
    sizes = {keys.dim_key(s) for s in stops} | set(keys.of(x))
    if len(sizes) != 1:
        return None
    n = stops[1]
    diagonal = AllocDiag(0, 0, 1)(alloc(v, n) if v.type.shape != (None,) else v, n, n)
    return [diagonal] if diagonal.type.dtype == node.outputs[0].dtype else None


def _arange_stop(var):
    """``s`` if ``var`` is ``arange(0, s, 1)`` of integers with ``s`` a shape entry."""
    node = var.owner
    if node is None or not isinstance(node.op, ARange) or not is_discrete(var.dtype):
        return None
    start, stop, step = node.inputs
    if not (is_constant_equal(start, 0) and is_constant_equal(step, 1)):
        return None
    if isinstance(stop, Constant) and stop.data >= 0:
        return stop
    return stop if stop.owner is not None and isinstance(stop.owner.op, ShapeI) else None


def _is_zeros(var):
    while var.owner is not None and isinstance(var.owner.op, Alloc):
        var = var.owner.inputs[0]
    return is_constant_equal(var, 0)


REWRITES = [vectorize_map, scatter_to_diagonal]
