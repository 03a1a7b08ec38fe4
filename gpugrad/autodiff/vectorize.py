"""Vectorization (vmap) of graphs over a new leading axis.

``vectorize(outputs, {x: xs})`` rebuilds the graph of ``outputs`` with ``x`` replaced by
``xs``, which carries one more axis in front (the batch); every node on the way is
replaced by its op's batching rule, ``op.batch(inputs, batched)``, which receives the
inputs (batched ones with the extra leading axis) and returns the outputs with it.
Nothing loops: the result is one graph, whose nodes work on whole batches.

A rule may return an output *without* the batch axis (the ndim of the original output)
when it is the same for every example: the shape of a batched value is the shape of
one example, so ``zeros_like(x)`` of a batched ``x`` allocates with the sizes of one
example and only then gains the batch axis. Nodes reading such values are rebuilt."""
from ..errors import GpugradError
from ..graph.debug_values import on_placeholders
from ..graph.traversal import toposort
from ..ops.shape import broadcast_batch, shape_i
from ..types.variable import as_tensor_variable


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
            results = node.op.batch(inputs, flags)
        except NotImplementedError as exc:
            raise NotImplementedError(f"vectorize: cannot batch {node.op}: {exc}") from None
        for out, value in zip(node.outputs, results):
            value = as_tensor_variable(value)
            if value.ndim not in (out.ndim, out.ndim + 1):
                raise GpugradError(f"vectorize: the batching rule of {node.op} returned {value.type} "
                                   f"for {out.type}")
            (batched if value.ndim == out.ndim + 1 else moved)[out] = value
    return [batched[o] if o in batched else broadcast_batch(moved.get(o, o), size) for o in outputs]
