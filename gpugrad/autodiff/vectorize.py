"""Vectorization (vmap) of graphs over a new leading axis.

``vectorize(outputs, {x: xs})`` rebuilds the graph of ``outputs`` with ``x`` replaced by
``xs``, which carries one more axis in front (the batch); every node on the way is
replaced by its op's batching rule, ``op.batch(inputs, batched)``, which receives the
inputs (batched ones with the extra leading axis) and returns the outputs with it.
Nothing loops: the result is one graph, whose nodes work on whole batches."""
from ..errors import GpugradError
from ..graph.traversal import toposort
from ..ops.shape import alloc, shape_i, shape_tuple
from ..types.variable import as_tensor_variable


def vectorize(outputs, batched_inputs):
    """Batched versions of ``outputs``; an output that does not depend on any batched
    input is repeated along the batch axis."""
    batched = {k: as_tensor_variable(v) for k, v in batched_inputs.items()}
    for var, value in batched.items():
        if value.ndim != var.ndim + 1:
            raise GpugradError(f"vectorize: the batched value for {var} must have {var.ndim + 1} "
                               f"dimensions (a leading batch axis), got {value.ndim}")
    size = shape_i(next(iter(batched.values())), 0)
    for node in toposort(list(outputs), blockers=set(batched)):
        flags = [v in batched for v in node.inputs]
        if not any(flags):
            continue
        try:
            rule = node.op.batch
            results = rule([batched.get(v, v) for v in node.inputs], flags)
        except NotImplementedError as exc:
            raise NotImplementedError(f"vectorize: {node.op} has no batching rule ({exc})") from None
        for out, value in zip(node.outputs, results):
            batched[out] = value
    return [batched[o] if o in batched else broadcast_batch(o, size) for o in outputs]


def broadcast_batch(var, size):
    """``var`` repeated ``size`` times along a new leading axis."""
    var = as_tensor_variable(var)
    return alloc(var, size, *shape_tuple(var))


def unbatched_to_batched(inputs, flags):
    """Give every unbatched input a broadcastable leading axis, so ops that broadcast
    (elementwise ones) can take the batch as it is."""
    from ..ops.shape import dimshuffle
    return [v if f else dimshuffle(v, ["x"] + list(range(v.ndim))) for v, f in zip(inputs, flags)]
