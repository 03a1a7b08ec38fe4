"""``ifelse(condition, then_branch, else_branch)``: a lazy conditional, as Theano's
``theano.ifelse.ifelse``. Unlike ``T.switch`` (elementwise, both sides computed), only the
branch the scalar condition picks is computed.

``IfElse`` is an ordinary node whose inputs are the condition, then the values of the
``then`` branch, then those of the ``else`` branch. It declares its ``branches`` (which
inputs each one needs) and ``choose`` (which branch a condition value takes); the linker
(compile/lazy.py) then runs the nodes that only one branch needs inside the IfElse's
thunk, after reading the condition, and never the others'. On a device the branch values
stay device arrays and the condition is read back once per run of the node.

Derivatives are conditionals too: the pullback sends each output's gradient to the branch
taken and zeros to the other (and zeros to the condition, a step function), the
pushforward picks the taken branch's tangent, so both are as lazy as the forward pass.
Batched over a condition that differs between examples, an IfElse becomes an
elementwise ``switch`` (both branches computed)."""
import numpy as np

from .errors import InputError
from .graph.basic import Apply
from .graph.op import Op
from .ops import scalar as S
from .ops.shape import broadcast_batch, shape_i, zeros_like
from .types import dtypes
from .types.tensor_type import TensorType
from .types.variable import TensorVariable, as_tensor_variable


class IfElse(Op):
    """``n_outs`` values chosen between two branches by a scalar condition (nonzero: then).
    The outputs are copies of the chosen values (as Theano's default ``as_view=False``),
    so later nodes may write into them."""
    __props__ = ("n_outs",)
    fresh_outputs = True

    def __init__(self, n_outs, name=None):
        if int(n_outs) < 1:
            raise ValueError(f"IfElse: n_outs must be at least 1, got {n_outs}")
        self.n_outs, self.name = int(n_outs), name

    def __str__(self):
        return f"if{{{self.name or ''}}}"

    def make_node(self, condition, *branch_values):
        condition = as_tensor_variable(condition)
        if condition.ndim != 0:
            raise InputError(f"ifelse: the condition must be a scalar, got {condition} ({condition.type}); "
                             "use T.switch for an elementwise choice")
        if len(branch_values) != 2 * self.n_outs:
            raise InputError(f"ifelse: expected {self.n_outs} values per branch, got {len(branch_values)} in all")
        thens, elses = _paired(branch_values[:self.n_outs], branch_values[self.n_outs:])
        outputs = [TensorVariable(TensorType(t.dtype, tuple(a if a == b else None for a, b in
                                                            zip(t.type.shape, e.type.shape))))
                   for t, e in zip(thens, elses)]
        return Apply(self, [condition] + thens + elses, outputs)

    def branches(self, node):
        """The input positions each branch needs: then, else."""
        return [list(range(1, 1 + self.n_outs)), list(range(1 + self.n_outs, 1 + 2 * self.n_outs))]

    def choose(self, condition):
        """The branch a condition value takes: 0 (then) for nonzero, 1 (else) for zero."""
        return 0 if condition.item() else 1

    def perform(self, node, inputs):
        positions = self.branches(node)[self.choose(inputs[0])]
        return [np.array(inputs[p]) for p in positions]

    def make_thunk(self, node, storage_in, storage_out):
        return _Select(self, node, storage_in, storage_out)

    def infer_shape(self, node, input_shapes):
        cond = node.inputs[0]
        thens, elses = input_shapes[1:1 + self.n_outs], input_shapes[1 + self.n_outs:]
        return [tuple(a if _same(a, b) else S.switch(cond, a, b) for a, b in zip(t, e))
                for t, e in zip(thens, elses)]

    def pullback(self, inputs, outputs, output_grads):
        cond, thens, elses = inputs[0], inputs[1:1 + self.n_outs], inputs[1 + self.n_outs:]
        zeros_then = [zeros_like(v, dtype=g.dtype) for v, g in zip(thens, output_grads)]
        zeros_else = [zeros_like(v, dtype=g.dtype) for v, g in zip(elses, output_grads)]
        to_then = _listed(ifelse(cond, list(output_grads), zeros_then))
        to_else = _listed(ifelse(cond, zeros_else, list(output_grads)))
        return [zeros_like(cond, dtype=dtypes.grad_dtype(cond.dtype))] + to_then + to_else

    def pushforward(self, inputs, outputs, tangents):
        cond, thens, elses = inputs[0], inputs[1:1 + self.n_outs], inputs[1 + self.n_outs:]
        t_then, t_else = tangents[1:1 + self.n_outs], tangents[1 + self.n_outs:]
        if all(t is None for t in t_then + t_else):
            return [None] * self.n_outs
        pick = [t if t is not None else zeros_like(v, dtype=dtypes.grad_dtype(v.dtype))
                for t, v in zip(t_then + t_else, thens + elses)]
        return _listed(ifelse(cond, pick[:self.n_outs], pick[self.n_outs:]))

    def batch(self, inputs, batched):
        """One condition for the whole batch stays a lazy IfElse over batched branches; a
        batched condition is an elementwise choice per example (a switch)."""
        size = next(shape_i(v, 0) for v, b in zip(inputs, batched) if b)
        values = [v if b else broadcast_batch(v, size) for v, b in zip(inputs[1:], batched[1:])]
        thens, elses = values[:self.n_outs], values[self.n_outs:]
        if not batched[0]:
            return _listed(ifelse(inputs[0], thens, elses))
        cond = inputs[0]
        return [S.switch(cond.dimshuffle([0] + ["x"] * (t.ndim - 1)), t, e) for t, e in zip(thens, elses)]


class _Select:
    """The thunk of an IfElse node, on the host or a device: copies of the chosen branch's
    values. The linker sets ``chosen`` after reading the condition (compile/lazy.py);
    run on its own, it reads the condition itself."""

    def __init__(self, op, node, storage_in, storage_out):
        self.positions, self.choose = op.branches(node), op.choose
        self.storage_in, self.storage_out = storage_in, storage_out
        self.device = node.tag.get("device", "cpu")
        self.chosen = None

    def __call__(self):
        k, self.chosen = self.chosen, None
        if k is None:
            from .compile.lazy import host_reader
            k = self.choose(host_reader(self.device)(self.storage_in[0][0]))
        for cell, pos in zip(self.storage_out, self.positions[k]):
            cell[0] = self._copy(self.storage_in[pos][0])

    def _copy(self, value):
        if self.device == "cpu":
            return np.array(value)
        from .compile.device_arrays import device_copy, resident
        return device_copy(self.device, value) if resident(self.device, value) else np.array(value)


def _same(a, b):
    return a is b or (isinstance(a, int) and isinstance(b, int) and a == b)


def _paired(thens, elses):
    """The branch values as tensors of one dtype and rank per pair; a Python number takes
    the dtype of the value it pairs with."""
    out_then, out_else = [], []
    for k, (t, e) in enumerate(zip(thens, elses)):
        t, e = as_tensor_variable(t), as_tensor_variable(e)
        if t.weak and not e.weak:
            t = S.cast(t, e.dtype)
        elif e.weak and not t.weak:
            e = S.cast(e, t.dtype)
        if t.dtype != e.dtype or t.ndim != e.ndim:
            raise InputError(f"ifelse: the branches of output {k} differ: {t} ({t.type}) and {e} ({e.type}); "
                             "both need the same dtype and number of dimensions (cast or reshape one)")
        out_then.append(t)
        out_else.append(e)
    return out_then, out_else


def _listed(result):
    return result if isinstance(result, list) else [result]


def ifelse(condition, then_branch, else_branch, name=None):
    """``then_branch`` if the scalar ``condition`` is nonzero, else ``else_branch``; each a
    variable or a list of them (of equal lengths), and only the branch taken is computed."""
    as_list = isinstance(then_branch, (list, tuple))
    thens = list(then_branch) if as_list else [then_branch]
    elses = list(else_branch) if isinstance(else_branch, (list, tuple)) else [else_branch]
    if len(thens) != len(elses):
        raise InputError(f"ifelse: the then branch has {len(thens)} values and the else branch {len(elses)}")
    if not thens:
        raise InputError("ifelse: the branches hold no values")
    out = IfElse(len(thens), name)(condition, *thens, *elses)
    out = _listed(out)
    return out if as_list else out[0]


__all__ = ["ifelse", "IfElse"]
