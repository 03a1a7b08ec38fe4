"""Dead loop outputs: a Scan computes every output its body defines, but a gradient
asks for all of its inputs' derivatives (the sequences' too) while the function may
use only some. This rewrite rebuilds the loop without the outputs nobody reads, then
without the sequences and non-sequences the remaining body no longer needs, so a
step does only the work that reaches a result."""
from ..graph.traversal import ancestors
from ..ops.subtensor import Subtensor
from .op import Scan


def remove_unused_outputs(fgraph, node):
    op = node.op
    if not isinstance(op, Scan):
        return None
    used = [o in fgraph.clients or o in fgraph.outputs for o in node.outputs]
    keep_states = [k for k in range(op.n_states) if used[k]]
    keep_nit = [j for j in range(op.n_nit) if used[op.n_states + j]]
    groups = op.tap_groups
    while True:
        targets = [op.outputs[k] for k in keep_states] + [op.nit_outputs[j] for j in keep_nit]
        needed = set(ancestors(targets + op.outputs[len(op.outputs) - int(op.until):]))
        more = [k for k in range(op.n_states) if k not in keep_states and needed.intersection(groups[k])]
        if not more:
            break
        keep_states = sorted(keep_states + more)
    seqs = [k for k, slot in enumerate(op.seq_slots) if slot in needed]
    nonseqs = [k for k, slot in enumerate(op.nonseq_slots) if slot in needed]
    if (len(keep_states), len(keep_nit), len(seqs), len(nonseqs)) == (
            op.n_states, op.n_nit, op.n_seqs, len(op.nonseq_slots)):
        return None
    n_steps, outer_seqs, inits, outer_nonseqs = op.split_outer(node.inputs)
    new_op = Scan([op.seq_slots[k] for k in seqs] + [s for k in keep_states for s in groups[k]]
                  + [op.nonseq_slots[k] for k in nonseqs],
                  targets + op.outputs[len(op.outputs) - int(op.until):], len(seqs),
                  [op.taps[k] for k in keep_states], op.until, op.exact and bool(seqs), op.truncate, op.name,
                  [keep_states.index(k) for k in op.last_only if k in keep_states], op.optimizer)
    new = new_op(n_steps, *[outer_seqs[k] for k in seqs], *[inits[k] for k in keep_states],
                 *[outer_nonseqs[k] for k in nonseqs])
    new = iter(new if isinstance(new, list) else [new])
    replaced = {k: next(new) for k in keep_states}
    replaced.update((op.n_states + j, next(new)) for j in keep_nit)
    return [replaced.get(i) for i in range(len(node.outputs))]



def final_states_only(fgraph, node):
    """A state whose buffer is read only as ``buf[-1]`` (a reduce, a gradient's
    accumulator, a final hidden state) keeps no buffer: the loop holds its last values."""
    op = node.op
    if not isinstance(op, Scan):
        return None
    finals = {}
    for k in range(op.n_states):
        readers = fgraph.clients.get(node.outputs[k], [])
        if k not in op.last_only and readers and node.outputs[k] not in fgraph.outputs and all(
                isinstance(r.op, Subtensor) and r.op.idx_list == (-1,) for r, _ in readers):
            finals[k] = [r.outputs[0] for r, _ in readers]
    if not finals:
        return None
    new_op = Scan(op.inputs, op.outputs, op.n_seqs, op.taps, op.until, op.exact, op.truncate, op.name,
                  op.last_only | set(finals), op.optimizer)
    new = new_op(*node.inputs)
    new = new if isinstance(new, list) else [new]
    for k, reads in finals.items():
        for var in reads:
            fgraph.replace(var, new[k], reason="final_states_only")
    return [None if k in finals else out for k, out in enumerate(new)]


REWRITES = [remove_unused_outputs, final_states_only]
