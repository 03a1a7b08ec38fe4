"""Jacobians, Hessians and Jacobian diagonals, each built as one batched graph.

``jacobian(f, x)`` never loops over rows. Reverse mode pulls a symbolic seed ``u`` back
through the graph (``backpropagate``) and vectorizes that pullback over the rows of an
identity: row i of the result is e_i^T J. Forward mode pushes a symbolic tangent ``t``
forward and vectorizes over identity tangents: column j is J e_j. Reverse mode is used
when f has at most as many elements as x (or the sizes are unknown), forward mode
otherwise, and for complex values (where it gives d f / d Re(x), f'(x) when f is
holomorphic). The identity is ``AllocDiag(ones)``, so the rewrites of
``rewrites/structure.py`` see it and keep the Jacobian of an elementwise graph diagonal.

``hessian`` is forward over reverse: the forward-mode Jacobian of the gradient.
"""
import numpy as np

from ..errors import DisconnectedInputError, InputError, ShapeError
from ..graph.basic import Apply, Constant
from ..graph.debug_values import on_placeholders
from ..graph.op import Op
from ..graph.traversal import ancestors, clone_graph, graph_inputs, toposort
from ..ops import scalar as S
from ..ops.blas import AllocDiag
from ..ops.elemwise import Elemwise
from ..ops.join import arange
from ..ops.reduce import sum as sum_
from ..ops.shape import dimshuffle, ones, ones_like, reshape, shape_i, shape_tuple, zeros
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable
from .grad import (Rop, _as_list, _check_wrt, _handle_disconnected, backpropagate, grad, keep_input,
                   pushforward_graph)
from .vectorize import vectorize

CHUNK_ELEMENTS = 1 << 22


def identity(n, dtype):
    """The n x n identity as ``AllocDiag(ones(n))``: the seeds of every batched walk here,
    in the form the structure rewrites recognize."""
    return AllocDiag(0, 0, 1)(ones(n, dtype), n, n)


def _static_size(var):
    return None if None in var.type.shape else int(np.prod(var.type.shape, dtype=np.int64))


def _size(var):
    """The number of elements of ``var``: an int when static, else an int64 scalar."""
    size = _static_size(var)
    if size is None:
        size = 1
        for d in shape_tuple(var):
            size = size * d
    return size


def _unit_batch(n, like, dtype):
    """The n unit vectors of ``like``'s shape, stacked on a leading axis."""
    eye = identity(n, dtype)
    return eye if like.ndim == 1 else reshape(eye, (n,) + shape_tuple(like))


def _fresh(like, dtype):
    return TensorVariable(TensorType(dtype, like.type.shape))


def _result_dtype(expression, var):
    """A Jacobian has the gradient dtype of ``var``, complex when ``expression`` is."""
    want = dtypes.grad_dtype(var.dtype)
    if dtypes.is_complex(expression.dtype) and not dtypes.is_complex(want):
        return str(np.result_type(want, np.complex64))
    return want


def _choose_mode(expression, wrt):
    if dtypes.is_complex(expression.dtype) or any(dtypes.is_complex(v.dtype) for v in wrt):
        return "forward"
    m, sizes = _static_size(expression), [_static_size(v) for v in wrt]
    if m is None or None in sizes:
        return "reverse"
    return "reverse" if m <= sum(sizes) else "forward"


def _reverse(expression, wrt, consider_constant):
    """Rows e_i^T J for all i at once: one pullback, vectorized over identity seeds."""
    dtype = dtypes.grad_dtype(expression.dtype)
    if expression.ndim == 0:
        return backpropagate({expression: S.cast(1, dtype)}, wrt, consider_constant)
    u = _fresh(expression, dtype)
    grads = backpropagate({expression: u}, wrt, consider_constant)
    connected = [g for g in grads if g is not None]
    seeds = _unit_batch(_size(expression), expression, dtype)
    rows = iter(vectorize(connected, {u: seeds}) if connected else ())
    out = []
    for g, var in zip(grads, wrt):
        if g is None:
            out.append(None)
            continue
        j = next(rows)
        out.append(j if expression.ndim == 1 else reshape(j, shape_tuple(expression) + shape_tuple(var)))
    return out


def _forward(expression, var, consider_constant):
    """Columns J e_j for all j at once: one pushforward, vectorized over identity tangents."""
    dtype = dtypes.grad_dtype(var.dtype)
    t = _fresh(var, dtype)
    (tangent,) = pushforward_graph([expression], {var: t}, consider_constant)
    if tangent is None:
        return None
    (columns,) = vectorize([tangent], {t: _unit_batch(_size(var), var, dtype)})
    j = dimshuffle(columns, list(range(1, expression.ndim + 1)) + [0])
    if var.ndim != 1:
        j = reshape(j, shape_tuple(expression) + shape_tuple(var))
    want = _result_dtype(expression, var)
    return j if j.dtype == want else S.cast(j, want)


@on_placeholders
def jacobian(expression, wrt, consider_constant=None, disconnected_inputs="raise", vectorize=True, *, mode=None):
    """d expression / d wrt, of shape ``expression.shape + wrt.shape`` (a list or tuple for a
    list or tuple ``wrt``). ``mode`` forces "reverse" or "forward"; by default the cheaper
    one. It is always one vectorized graph: PyTensor's ``vectorize=False`` (a scan over
    rows there) gives the same values."""
    expression = as_tensor_variable(expression)
    wrt_list, pack = _as_list(wrt)
    wrt_list = [_check_wrt(v, "jacobian") for v in wrt_list]
    consider_constant = consider_constant or ()
    mode = mode or _choose_mode(expression, wrt_list)
    if mode == "reverse":
        results = _reverse(expression, wrt_list, consider_constant)
    elif mode == "forward":
        results = [_forward(expression, v, consider_constant) for v in wrt_list]
    else:
        raise ValueError(f"jacobian: mode must be 'reverse', 'forward' or None, got {mode!r}")
    out = []
    for var, j in zip(wrt_list, results):
        if j is None:
            _handle_disconnected(var, disconnected_inputs, "jacobian")
            j = zeros(shape_tuple(expression) + shape_tuple(var), _result_dtype(expression, var))
        out.append(keep_input(j, var))
    return pack(out)


def _scalar_cost(cost, what):
    cost = as_tensor_variable(cost)
    if cost.ndim != 0:
        raise InputError(f"{what}: the cost must be a scalar (shape ()), got {cost} of type {cost.type} "
                         f"with {cost.ndim} dimensions; use jacobian for vector-valued functions")
    return cost


def hessian(cost, wrt, consider_constant=None, disconnected_inputs="raise"):
    """The Hessian of the scalar ``cost`` with respect to each of ``wrt``, forward over
    reverse: the forward-mode Jacobian of ``grad(cost, wrt)``, shape wrt.shape * 2."""
    cost = _scalar_cost(cost, "hessian")
    wrt_list, pack = _as_list(wrt)
    grads = grad(cost, wrt_list, consider_constant, disconnected_inputs)
    return pack([jacobian(g, var, consider_constant, "ignore", mode="forward") for g, var in zip(grads, wrt_list)])


def hessian_vector_product(cost, wrt, p, consider_constant=None, disconnected_inputs="raise"):
    """H p without forming H: the R-op of the gradient (forward over reverse). For lists,
    entry k is sum_j H_kj p_j."""
    cost = _scalar_cost(cost, "hessian_vector_product")
    grads = grad(cost, wrt, consider_constant, disconnected_inputs)
    return Rop(grads, wrt, p, disconnected_outputs="ignore")


def _check_vector(var, role):
    var = as_tensor_variable(var)
    if var.ndim != 1:
        raise InputError(f"jacobian_diag: {role} must be a vector, got {var} of type {var.type} "
                         f"with {var.ndim} dimensions")
    return var


@on_placeholders
def jacobian_diag(expression, wrt):
    """The diagonal d expression[i] / d wrt[i] of the Jacobian of a vector ``expression``
    with respect to a vector ``wrt`` of the same length, exact for every graph.

    When the Jacobian is provably diagonal (``is_elementwise_in``) it is one forward pass
    with a ones tangent: O(n) work and memory. Otherwise rows of J are computed in chunks
    (batched pullbacks of identity rows, about 4M elements at a time) and their diagonal
    entries kept; that path is exact but not differentiable further."""
    expression = _check_vector(expression, "the expression")
    wrt = _check_vector(_check_wrt(wrt, "jacobian_diag"), "wrt")
    if wrt not in ancestors([expression]):
        raise DisconnectedInputError(f"jacobian_diag: {wrt} is not part of the computational graph of "
                                     f"{expression}")
    m, n = expression.type.shape[0], wrt.type.shape[0]
    if None not in (m, n) and m != n:
        raise ShapeError(f"jacobian_diag: the Jacobian of {expression} ({m} elements) with respect to "
                         f"{wrt} ({n} elements) is not square")
    if is_elementwise_in(expression, wrt):
        (d,) = pushforward_graph([expression], {wrt: ones_like(wrt, dtypes.grad_dtype(wrt.dtype))})
        return d
    return chunked_diagonal(expression, wrt)


def is_elementwise_in(expression, wrt):
    """The proof rule for a diagonal Jacobian: every node on a path from ``wrt`` to
    ``expression`` is an ``Elemwise`` and no input that depends on ``wrt`` is broadcast
    there. Then, by induction along the path, every such variable has wrt's shape and its
    element i is a function of wrt[i] and of values that do not depend on wrt."""
    dependent = {wrt}
    for node in toposort([expression], blockers={wrt}):
        reads = [v for v in node.inputs if v in dependent]
        if not reads:
            continue
        if not isinstance(node.op, Elemwise):
            return False
        out_shape = node.outputs[0].type.shape
        if any(v.ndim != len(out_shape) or (v.type.shape != out_shape and 1 in v.type.shape) for v in reads):
            return False
        dependent.update(node.outputs)
    return True


def chunked_diagonal(expression, wrt):
    """The Jacobian's diagonal by chunks of rows: for rows [start, stop) the pullback is
    vectorized over the identity rows U (stop - start, n) and diag = sum(G * U, axis=1)."""
    start, stop = TensorVariable(TensorType("int64", ())), TensorVariable(TensorType("int64", ()))
    dtype = dtypes.grad_dtype(expression.dtype)
    n = shape_i(wrt, 0)
    rows = arange(start, stop, 1)
    u_rows = S.cast(S.eq(dimshuffle(rows, (0, "x")), dimshuffle(arange(0, n, 1), ("x", 0))), dtype)
    u = _fresh(expression, dtype)
    (g,) = backpropagate({expression: u}, [wrt])
    (g_rows,) = vectorize([g], {u: u_rows})
    chunk = sum_(g_rows * S.cast(u_rows, g_rows.dtype), axis=1)
    outer = [v for v in graph_inputs([chunk, n]) if v not in (start, stop) and not isinstance(v, Constant)]
    return ChunkedDiagonal(outer, start, stop, n, chunk)(*outer)


class ChunkedDiagonal(Op):
    """Runs the inner graph of ``chunked_diagonal`` once per chunk of rows, on NumPy
    (by each node's ``perform``), and concatenates the chunks. The nodes that do not
    depend on the chunk bounds (the forward pass) run once per call. Each instance has
    its own inner graph, so instances compare by identity."""
    __eq__, __hash__ = object.__eq__, object.__hash__

    def __init__(self, inputs, start, stop, size, chunk):
        self.inputs, self.start, self.stop, self.size, self.chunk = inputs, start, stop, size, chunk
        nodes = toposort([chunk, size])
        varying = {start, stop}
        for node in nodes:
            if any(v in varying for v in node.inputs):
                varying.update(node.outputs)
        self.fixed_nodes = [nd for nd in nodes if not any(o in varying for o in nd.outputs)]
        self.chunk_nodes = [nd for nd in nodes if any(o in varying for o in nd.outputs)]

    def __str__(self):
        return "ChunkedDiagonal"

    def make_node(self, *inputs):
        inputs = [as_tensor_variable(v) for v in inputs]
        length = self.size.data.item() if isinstance(self.size, Constant) else None
        return Apply(self, inputs, [TensorVariable(TensorType(self.chunk.dtype, (length,)))])

    def perform(self, node, inputs):
        values = _run(self.fixed_nodes, dict(zip(self.inputs, inputs)))
        n = int(_value(self.size, values))
        step = max(1, CHUNK_ELEMENTS // max(n, 1))
        parts = []
        for begin in range(0, n, step):
            values[self.start], values[self.stop] = np.int64(begin), np.int64(min(begin + step, n))
            parts.append(_value(self.chunk, _run(self.chunk_nodes, dict(values))))
        out = np.concatenate(parts) if parts else np.zeros(0, node.outputs[0].type.dtype)
        return [np.asarray(out, dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node, input_shapes):
        """The length n, computed from this node's inputs as the inner graph computes it."""
        (size,) = clone_graph([self.size], replace=dict(zip(self.inputs, node.inputs)))
        return [(size,)]


def _value(var, values):
    return var.data if isinstance(var, Constant) else values[var]


def _run(nodes, values):
    """Evaluate ``nodes`` (in order) by their ``perform``, reading and extending ``values``."""
    for node in nodes:
        results = node.op.perform(node, [_value(v, values) for v in node.inputs])
        values.update(zip(node.outputs, results))
    return values


__all__ = ["jacobian", "hessian", "hessian_vector_product", "jacobian_diag"]
