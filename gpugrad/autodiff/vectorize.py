"""Vectorization (vmap) of graphs over a new leading axis.

``vectorize(outputs, {x: xs})`` rebuilds the graph of ``outputs`` with ``x`` replaced by
``xs``, which carries one more axis in front (the batch); every node on the way is
replaced by its op's batching rule, ``op.batch(inputs, batched)``, which receives the
inputs (batched ones with the extra leading axis) and returns the outputs with it.
Nothing loops: the result is one graph, whose nodes work on whole batches.

A rule may return an output *without* the batch axis (the ndim of the original output)
when it is the same for every example: the shape of a batched value is the shape of
one example, so ``zeros_like(x)`` of a batched ``x`` allocates with the sizes of one
example and only then gains the batch axis. Nodes reading such values are rebuilt.

A user's op without a batching rule (``derived_facets``, graph/user_op.py) is batched by
``BatchLoop``, which calls the op's ``perform`` on one example after another: a Python
loop on the host, but it has the op's derivatives (vectorized in turn), so ``jacobian``
and ``hessian`` work through such an op."""
import numpy as np

from ..errors import GpugradError, ShapeError
from ..graph.basic import Apply
from ..graph.debug_values import on_placeholders
from ..graph.op import Op
from ..graph.traversal import toposort
from ..ops.reduce import sum as sum_
from ..ops.shape import broadcast_batch, shape_i
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable
from .grad import op_pushforward


@on_placeholders
def vectorize(outputs, batched_inputs):
    """Batched versions of ``outputs``; an output that does not depend on any batched
    input is repeated along the batch axis."""
    batched = {k: as_tensor_variable(v) for k, v in batched_inputs.items()}
    for var, value in batched.items():
        if value.ndim != var.ndim + 1:
            raise GpugradError(f"vectorize: the batched value for {var} must have {var.ndim + 1} "
                               f"dimensions (a leading batch axis), got {value.ndim}")
    size = shape_i(next(iter(batched.values())), 0)
    moved = {}  # variables rebuilt without the batch axis (the same for every example)
    for node in toposort(list(outputs), blockers=set(batched)):
        flags = [v in batched for v in node.inputs]
        inputs = [batched[v] if f else moved.get(v, v) for v, f in zip(node.inputs, flags)]
        if not any(flags):
            if any(v in moved for v in node.inputs):
                moved.update(zip(node.outputs, node.op.make_node(*inputs).outputs))
            continue
        try:
            results = _batched(node.op, inputs, flags)
        except NotImplementedError as exc:
            raise NotImplementedError(f"vectorize: cannot batch {node.op}: {exc}") from None
        for out, value in zip(node.outputs, results):
            value = as_tensor_variable(value)
            if value.ndim not in (out.ndim, out.ndim + 1):
                raise GpugradError(f"vectorize: the batching rule of {node.op} returned {value.type} "
                                   f"for {out.type}")
            (batched if value.ndim == out.ndim + 1 else moved)[out] = value
    return [batched[o] if o in batched else broadcast_batch(moved.get(o, o), size) for o in outputs]


def _batched(op, inputs, flags):
    """The op's batching rule, or a ``BatchLoop`` for a user's op that has none."""
    if getattr(op, "derived_facets", False) and type(op).batch is Op.batch:
        results = BatchLoop(op, flags)(*inputs)
        return results if isinstance(results, list) else [results]
    return op.batch(inputs, flags)


class BatchLoop(Op):
    """``op`` applied to each example of a batch in turn (the inputs flagged in ``batched``
    carry the batch axis): the batching rule of a user's op that has none. Its pullback and
    pushforward are the op's, vectorized over the examples."""
    __props__ = ("op", "batched")

    def __init__(self, op, batched):
        self.op, self.batched = op, tuple(bool(b) for b in batched)

    def __str__(self):
        return f"BatchLoop{{{self.op}}}"

    def make_node(self, *inputs):
        inputs = [as_tensor_variable(v) for v in inputs]
        size = next(v.type.shape[0] for v, flag in zip(inputs, self.batched) if flag)
        _, example = self._example(inputs)
        return Apply(self, inputs, [_out(o.dtype, (size, *o.type.shape)) for o in example.outputs])

    def _example(self, inputs):
        """Placeholders for one example of the batched inputs (the others as they are), and the
        op's node on them."""
        slots = [_out(v.dtype, v.type.shape[1:]) if flag else v for v, flag in zip(inputs, self.batched)]
        return slots, self.op.make_node(*slots)

    def perform(self, node, inputs):
        if "example" not in node.tag:
            node.tag["example"] = self._example(node.inputs)[1]
        example = node.tag["example"]
        sizes = {v.shape[0] for v, flag in zip(inputs, self.batched) if flag}
        if len(sizes) != 1:
            raise ShapeError(f"{self}: the batched inputs have different batch sizes {sorted(sizes)}")
        rows = [self.op.perform(example, [v[b] if flag else v for v, flag in zip(inputs, self.batched)])
                for b in range(sizes.pop())]
        return [np.stack([row[k] for row in rows]) if rows else
                np.empty((0, *(s or 0 for s in out.type.shape)), out.dtype) for k, out in enumerate(example.outputs)]

    def pullback(self, inputs, outputs, output_grads):
        slots, example = self._example(inputs)
        seeds = [_out(g.dtype, g.type.shape[1:]) for g in output_grads]
        grads = self.op.pullback(slots, example.outputs, seeds)
        batched = self._vectorized(grads, slots, inputs, example.outputs, outputs, seeds, output_grads)
        return [None if g is None else g if flag else sum_(g, axis=0) for g, flag in zip(batched, self.batched)]

    def pushforward(self, inputs, outputs, tangents):
        slots, example = self._example(inputs)
        tangent_slots = [_out(t.dtype, t.type.shape[1:]) if t is not None and flag else t
                         for t, flag in zip(tangents, self.batched)]
        results = op_pushforward(self.op, slots, example.outputs, tangent_slots)
        pairs = [(s, t) for s, t, flag in zip(tangent_slots, tangents, self.batched) if t is not None and flag]
        return self._vectorized(results, slots, inputs, example.outputs, outputs, *zip(*pairs) if pairs else ((), ()))

    def _vectorized(self, values, slots, inputs, example_outputs, outputs, more_slots, more_values):
        """``values`` (built on one example, None kept) over the whole batch."""
        mapping = {s: v for s, v, flag in zip(slots, inputs, self.batched) if flag}
        mapping.update(zip(example_outputs, outputs))
        mapping.update(zip(more_slots, more_values))
        wanted = [v for v in values if v is not None]
        done = iter(vectorize(wanted, mapping) if wanted else [])
        return [None if v is None else next(done) for v in values]

    def batch(self, inputs, batched):
        results = BatchLoop(self, batched)(*inputs)
        return results if isinstance(results, list) else [results]


def _out(dtype, shape):
    return TensorVariable(TensorType(dtype, shape))
