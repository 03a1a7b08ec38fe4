"""``Function.copy``: a compiled function reused with other shared variables or without
its updates, as Theano's ``copy(share_memory, swap, delete_updates, name)``.

The optimized, placed graph is copied node by node with its tags (where each node runs,
the kernels' by-value parameters), so nothing is rewritten or compiled again. Each copy
has its own storage cells; ``share_memory`` is accepted (gpugrad keeps no intermediate
storage between calls to share)."""
from ..errors import InputError
from ..graph.basic import Apply
from ..graph.fgraph import FunctionGraph
from ..graph.traversal import toposort
from .profile import profiler


def copy_function(fn, share_memory=False, swap=None, delete_updates=False, name=None):
    swap = dict(swap or {})
    for old, new in swap.items():
        if not any(old is var for var in fn.shared_vars):
            raise InputError(f"copy: {old} is not a shared variable of {fn._label()}")
        if new.type != old.type:
            raise InputError(f"copy: {old} ({old.type}) cannot be swapped for {new} ({new.type}): "
                             "a swapped shared variable needs the same type")
    n_outputs = len(fn._plan.copy_outputs)
    update_vars = [] if delete_updates else [swap.get(var, var) for var, _ in fn._plan.copy_updates]
    fgraph = _copied_graph(fn.graph, len(fn.inputs), fn.graph.outputs[:n_outputs + len(update_vars)])
    copy = type(fn)(fn.inputs, [swap.get(var, var) for var in fn.shared_vars], fgraph, n_outputs, fn._single,
                    update_vars, fn.device, name or (f"{fn.name} copy" if fn.name else None),
                    fn._n_device_outputs > 0, fn._defaults)
    fn.maker.mode.instrument(copy, fn.maker.reference)
    copy.maker.mode, copy.maker.reference = fn.maker.mode, fn.maker.reference
    copy.profile = profiler(copy, fn.profile.timing)
    copy.trust_input = fn.trust_input
    copy._copied_from = (fn, dict(swap=swap, delete_updates=delete_updates, name=name))  # what it pickles as
    return copy


def _copied_graph(fgraph, n_inputs, outputs):
    """The nodes computing ``outputs`` copied with their tags, between copies of the inputs."""
    memo = {var: var.clone() for var in fgraph.inputs}
    for node in toposort(outputs, blockers=fgraph.inputs):
        new = Apply(node.op, [memo.get(v, v) for v in node.inputs], [o.clone() for o in node.outputs])
        new.tag = dict(node.tag)
        memo.update(zip(node.outputs, new.outputs))
    copy = FunctionGraph([memo[v] for v in fgraph.inputs], [memo.get(v, v) for v in outputs], clone=False)
    copy.device = getattr(fgraph, "device", "cpu")
    copy.host_arguments = frozenset(copy.inputs[:n_inputs])
    copy.output_places = tuple(getattr(fgraph, "output_places", ()))[:len(outputs)]
    return copy
