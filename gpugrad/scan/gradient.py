"""Derivatives through a loop, as loops: both are built with ``build_loop``, so they
are Scan nodes themselves and can be differentiated again (second derivatives).

Pullback (backpropagation through time) runs the body's pullback backwards over the
steps. A state with lag L is read by the L steps after the one writing it, so the
backward loop carries, per state, the gradients still being summed for the next L
buffer rows (a window; a plain row for L = 1). At step t (positions are buffer rows,
the initial values first):

    G        = window[-1]                     total gradient of the row written at t
    grads    = body pullback at step t, seeded with G and the per-step outputs' grads
    window'  = [g_buf[t], window[:-1]] + the taps' gradients      rows t .. t+L-1

and a non-sequence's gradient is summed in a carried accumulator. The body's outputs
are read back from the forward buffers instead of being recomputed (so tanh's
pullback uses the stored state). ``truncate_gradient = k`` runs only the last k steps.

Pushforward runs the body together with its forward-mode derivative, the tangents
of the states carried as extra states.
"""
from ..autodiff.grad import Rop, backpropagate
from ..graph.basic import Constant
from ..graph.debug_values import on_placeholders
from ..graph.traversal import ancestors, clone_graph
from ..ops import scalar as S
from ..ops.join import stack
from ..ops.shape import expand_dims, shape_i, zeros_like
from ..ops.subtensor import set_subtensor
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable
from .api import build_loop


def _placeholder(var, drop=0):
    """A stand-in for a derivative of ``var`` (of one row of it, with ``drop=1``)."""
    return TensorVariable(TensorType(dtypes.grad_dtype(var.dtype), var.type.shape[drop:]))


def _smooth(var):
    return not dtypes.is_discrete(var.dtype) and not isinstance(var, Constant)


@on_placeholders
def pullback(op, inputs, outputs, output_grads):
    _, seqs, inits, nonseqs = op.split_outer(inputs)
    bufs, nits = outputs[:op.n_states], outputs[op.n_states:]
    n = shape_i(nits[0], 0) if nits else shape_i(bufs[0], 0) - op.lags[0]
    m = n if op.truncate < 0 else S.minimum(n, op.truncate)
    seeds = {k: _placeholder(o) for k, o in enumerate(op.outputs[:op.n_states + op.n_nit]) if _smooth(o)}
    inner = _inner_grads(op, seeds)
    wanted = [k for k, g in enumerate(inner) if g is not None and _smooth(op.inputs[k]) and
              (k < op.n_seqs or k >= op.n_seqs + op.n_taps)]
    fed = [k for k in range(op.n_states) if k in seeds]
    if not wanted and not fed:
        return [None] * len(inputs)

    def rev(x, start):
        """Rows ``start + n - m .. start + n - 1`` of ``x``, last first."""
        return x[start + n - m:start + n][::-1]

    rows = {k: _placeholder(bufs[k], drop=1) for k in fed}
    feeds = [(op.inputs[k], rev(seqs[k], 0)) for k in range(op.n_seqs)]
    taps = [(k, tap) for k in range(op.n_states) for tap in op.taps[k]]
    feeds += [(slot, rev(bufs[k], op.lags[k] + tap)) for slot, (k, tap) in zip(op.tap_slots, taps)]
    feeds += [(op.outputs[k], rev(bufs[k], op.lags[k])) for k in range(op.n_states) if op.outputs[k].owner]
    feeds += [(o, rev(nits[j], 0)) for j, o in enumerate(op.nit_outputs) if o.owner]
    feeds += [(seeds[op.n_states + j], rev(output_grads[op.n_states + j], 0)) for j in range(op.n_nit)
              if op.n_states + j in seeds]
    feeds += [(rows[k], rev(output_grads[k], 0)) for k in fed]
    needed = set(ancestors([g for g in inner if g is not None]))
    feeds = [(key, value) for key, value in feeds if key in needed or key in rows.values()]
    windows = [output_grads[k][n] if op.lags[k] == 1 else output_grads[k][n:n + op.lags[k]] for k in fed]
    summed = [k for k in wanted if k >= op.n_seqs]
    accs = [zeros_like(nonseqs[k - op.n_seqs - op.n_taps], dtype=dtypes.grad_dtype(op.inputs[k].dtype))
            for k in summed]
    states = [(expand_dims(v, 0), (-1,), 1, "a gradient") for v in windows + accs]

    def step(seq_slots, tap_slots):
        replace = {key: slot for (key, _), slot in zip(feeds, seq_slots)}
        carried = [group[0] for group in tap_slots]
        for k, w in zip(fed, carried):
            replace[seeds[k]] = w if op.lags[k] == 1 else w[op.lags[k] - 1]
        replace.update(zip(op.nonseq_slots, nonseqs))
        grads = iter(clone_graph([g for g in inner if g is not None], replace=replace))
        grads = [None if g is None else next(grads) for g in inner]
        new = [_window(op, k, w, replace[rows[k]], grads, taps) for k, w in zip(fed, carried)]
        new += [acc + grads[k] for acc, k in zip(carried[len(fed):], summed)]
        return new, [grads[k] for k in wanted if k < op.n_seqs], None, {}

    results, _ = build_loop(step, [v for _, v in feeds], states, m, name=f"grad of {op}")
    finals = [buf[-1] for buf in results[:len(states)]]
    out = [None] * len(inputs)
    for k, final in zip(fed, finals):
        g = expand_dims(final, 0) if op.lags[k] == 1 else final
        out[1 + op.n_seqs + k] = g if op.truncate < 0 else S.switch(S.lt(m, n), zeros_like(g), g)
    for k, final in zip(summed, finals[len(fed):]):
        out[1 + op.n_states + k - op.n_taps] = final
    for k, g in zip([k for k in wanted if k < op.n_seqs], results[len(states):]):
        g = g[::-1]
        if not op.exact or op.truncate >= 0 or op.until:
            g = set_subtensor(zeros_like(seqs[k], dtype=g.dtype)[n - m:n], g)
        out[1 + k] = g
    return out


def _inner_grads(op, seeds):
    """The body's pullback in terms of its slots and the ``seeds`` placeholders."""
    totals = {}
    for k, ph in seeds.items():
        out = op.outputs[k]
        totals[out] = totals[out] + ph if out in totals else ph
    return backpropagate(totals, op.inputs) if totals else [None] * len(op.inputs)


def _window(op, k, window, row, grads, taps):
    """The carried gradients after the step: rows t .. t + L - 1 of state ``k``."""
    lag = op.lags[k]
    contrib = [None] * lag
    for pos, (state, tap) in enumerate(taps):
        g = grads[op.n_seqs + pos]
        if state == k and g is not None:
            j = lag + tap
            contrib[j] = g if contrib[j] is None else contrib[j] + g
    entries = [row if j == 0 else window[j - 1] for j in range(lag)] if lag > 1 else [row]
    entries = [e if c is None else e + c for e, c in zip(entries, contrib)]
    return entries[0] if lag == 1 else stack(entries)


@on_placeholders
def pushforward(op, inputs, outputs, tangents):
    n_steps, seqs, inits, nonseqs = op.split_outer(inputs)
    _, t_seqs, t_inits, t_nonseqs = op.split_outer(tangents)
    if all(t is None for t in tangents):
        return [None] * len(outputs)
    states = [k for k in range(op.n_states) if _smooth(op.outputs[k])]
    nit = [j for j, o in enumerate(op.nit_outputs) if _smooth(o)]
    seq_t = {k: t for k, t in enumerate(t_seqs) if t is not None}
    non_t = {k: t for k, t in enumerate(t_nonseqs) if t is not None}
    points = {op.seq_slots[k]: _placeholder(op.seq_slots[k]) for k in seq_t}
    points.update((op.nonseq_slots[k], _placeholder(op.nonseq_slots[k])) for k in non_t)
    groups = op.tap_groups
    points.update((slot, _placeholder(slot)) for k in states for slot in groups[k])
    targets = [op.outputs[k] for k in states] + [op.nit_outputs[j] for j in nit]
    inner_t = Rop(targets, list(points), list(points.values()), disconnected_outputs="ignore")
    t_init = [t_inits[k] if t_inits[k] is not None else zeros_like(inits[k], dtype=dtypes.grad_dtype(inits[k].dtype))
              for k in states]
    loop_states = [(init, op.taps[k], op.lags[k], f"state {k}") for k, init in enumerate(inits)]
    loop_states += [(init, op.taps[k], op.lags[k], f"the tangent of state {k}") for k, init in zip(states, t_init)]

    def step(seq_slots, tap_slots):
        replace = dict(zip(op.seq_slots, seq_slots))
        replace.update((points[op.seq_slots[k]], s) for k, s in zip(seq_t, seq_slots[op.n_seqs:]))
        replace.update((slot, new) for k in range(op.n_states) for slot, new in zip(groups[k], tap_slots[k]))
        replace.update((points[slot], new) for k, group in zip(states, tap_slots[op.n_states:])
                       for slot, new in zip(groups[k], group))
        replace.update(zip(op.nonseq_slots, nonseqs))
        replace.update((points[op.nonseq_slots[k]], t) for k, t in non_t.items())
        outs = clone_graph(op.outputs + inner_t, replace=replace)
        body, derivs = outs[:len(op.outputs)], outs[len(op.outputs):]
        fed = body[:op.n_states] + derivs[:len(states)]
        per_step = body[op.n_states:op.n_states + op.n_nit] + derivs[len(states):]
        return fed, per_step, body[-1] if op.until else None, {}

    results, _ = build_loop(step, seqs + list(seq_t.values()), loop_states, n_steps, op.exact, op.truncate,
                            name=f"forward derivative of {op}")
    t_bufs = dict(zip(states, results[op.n_states:op.n_states + len(states)]))
    t_nits = dict(zip(nit, results[op.n_states + len(states) + op.n_nit:]))
    return [t_bufs.get(k) for k in range(op.n_states)] + [t_nits.get(j) for j in range(op.n_nit)]

