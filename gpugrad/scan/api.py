"""``scan``, ``map``, ``reduce``, ``foldl``, ``foldr``: Theano's loop interface.

``fn`` is called once, while building, on placeholders for the current sequence
entries and previous states and on the non-sequences themselves (as in Theano, so
``T.grad(y[i], x)`` with ``y`` a function of ``x`` works). Whatever the returned
graph reads that depends on no placeholder, an explicit non-sequence or any outer
variable, is computed once outside the loop and enters it as a non-sequence: loop
invariants are hoisted by construction.
"""
from collections import OrderedDict

import numpy as np

from ..compile.io import default_updates
from ..compile.modes import get_mode
from ..compile.shared import SharedVariable
from ..errors import InputError
from ..graph.basic import Constant, Variable
from ..graph.debug_values import suspended
from ..graph.traversal import ancestors, clone_graph, graph_inputs, toposort
from ..ops.shape import expand_dims, shape_i
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..ops.scalar import minimum
from ..types.variable import TensorVariable, as_tensor_variable, constant
from .op import Scan


class until:
    """Returned by ``fn`` beside its outputs: stop after the step where ``condition``
    holds (that step's outputs are kept), as Theano's ``scan_module.until``."""

    def __init__(self, condition):
        condition = as_tensor_variable(condition)
        if condition.ndim != 0:
            raise InputError(f"until: the condition must be a scalar, got {condition} ({condition.type})")
        self.condition = condition


def scan(fn, sequences=None, outputs_info=None, non_sequences=None, n_steps=None, truncate_gradient=-1,
         go_backwards=False, mode=None, name=None, profile=False, allow_gc=None, strict=False, return_list=False,
         return_updates=True):
    """Theano's scan: returns ``(outputs, updates)``. ``fn`` receives each sequence's
    entries (one per tap), each state's previous values (one per tap), then the
    non-sequences, and returns the outputs in the order of ``outputs_info`` (None there
    marks an output that is not fed back), optionally with an update dict and ``until``.

    As in Theano, ``mode`` compiles the body (its optimizer), ``name`` names the loop,
    ``strict`` refuses shared variables not passed as non-sequences, ``return_list`` gives
    a list even for one output; ``profile`` and ``allow_gc`` are accepted (the body is
    timed with the function, its intermediates always freed). PyTensor's
    ``return_updates=False`` returns the outputs alone."""
    seqs = [_sequence(s, k) for k, s in enumerate(_as_list(sequences))]
    specs = [_state(o, k) for k, o in enumerate(_as_list(outputs_info))]
    non_seqs = [as_tensor_variable(v) for v in _as_list(non_sequences)]
    exact = n_steps is None
    n_steps, plain = _steps(n_steps, _plain_sequences(seqs, go_backwards))
    states = [s for s in specs if s is not None]

    def step(seq_slots, tap_slots):
        args = list(seq_slots) + [slot for group in tap_slots for slot in group] + non_seqs
        outs, updates, cond = _split_result(fn(*args))
        _add_default_updates(updates, outs + [cond] * (cond is not None), args)
        if specs and len(outs) != len(specs):
            raise InputError(f"scan: fn returned {len(outs)} outputs but outputs_info has {len(specs)} "
                             "entries (one per output, None for an output that is not fed back)")
        kinds = specs or [None] * len(outs)
        fed = [o for o, s in zip(outs, kinds) if s is not None]
        return fed, [o for o, s in zip(outs, kinds) if s is None], cond, updates

    results, updated = build_loop(step, plain, states, n_steps, exact, truncate_gradient, name,
                                  optimizer_of(mode))
    if strict:
        _check_strict(results[0].owner, non_seqs + [s for s, _ in seqs])
    n_fed = len(states) + len(updated)
    bufs, nits = iter(results[:len(states)]), iter(results[n_fed:])
    outputs = [next(nits) if s is None else next(bufs)[s[2]:] for s in specs] or list(nits)
    updates = OrderedDict((shared, buf[-1]) for shared, buf in zip(updated, results[len(states):n_fed]))
    if len(outputs) == 1 and not return_list:
        outputs = outputs[0]
    if return_updates:
        return outputs, updates
    if updates:
        raise InputError(f"scan: fn updates the shared variables {list(updates)}; with return_updates=False "
                         "those updates would be lost (pass return_updates=True and give them to function)")
    return outputs


def optimizer_of(mode):
    """The optimizer a ``scan(mode=...)`` names for the body (None: the function's)."""
    if mode is None:
        return None
    return get_mode(mode).optimizer


def map(fn, sequences, non_sequences=None, truncate_gradient=-1, go_backwards=False, mode=None, name=None):
    """``fn`` applied to every entry of the sequences; returns ``(outputs, updates)``."""
    return scan(fn, sequences, None, non_sequences, truncate_gradient=truncate_gradient,
                go_backwards=go_backwards, mode=mode, name=name)


def reduce(fn, sequences, outputs_info, non_sequences=None, go_backwards=False, mode=None, name=None):
    """A scan of which only the last value of each output is kept."""
    outputs, updates = scan(fn, sequences, outputs_info, non_sequences, go_backwards=go_backwards, mode=mode,
                            name=name)
    if isinstance(outputs, list):
        return [o[-1] for o in outputs], updates
    return outputs[-1], updates


def foldl(fn, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=False, mode=mode, name=name)


def foldr(fn, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=True, mode=mode, name=name)


# ---------------------------------------------------------------- building the op
def build_loop(step, sequences, states, n_steps, exact=True, truncate=-1, name=None, optimizer=None):
    """The outputs of a Scan node (whole state buffers, buffers of the shared variables
    that ``fn`` updates, then stacked per-step outputs) and those shared variables.

    ``states``: ``(initial buffer, taps, _, label)`` tuples; ``step(seq_slots, tap_slots)``
    returns ``(state outputs, per-step outputs, condition or None, updates)``."""
    seq_slots = [_slot(TensorType(s.dtype, s.type.shape[1:])) for s in sequences]
    tap_slots = [[_slot(TensorType(init.dtype, init.type.shape[1:])) for _ in taps]
                 for init, taps, *_ in states]
    with suspended():  # the body is built on placeholders, which have no test values
        fed, nit, cond, updates = step(seq_slots, tap_slots)
    fed, nit = [_output(o, "a recurrent output") for o in fed], [_output(o, "an output") for o in nit]
    states, updated = list(states), []
    for shared, expr in updates.items():
        slot = _slot(shared.type)
        tap_slots.append([slot])
        states.append((expand_dims(shared, 0), (-1,), 1, f"the update of {shared}"))
        fed.append(_output(expr, f"the update of {shared}"))
        updated.append((shared, slot))
    outputs = fed + nit + ([cond] if cond is not None else [])
    if updated:
        outputs = clone_graph(outputs, replace=dict(updated))
    for (init, _, _, label), out in zip(states, outputs):
        _check_state(init, out, label)
    slots = seq_slots + [s for group in tap_slots for s in group]
    inner_inputs, inner_outputs, deps = close_over(outputs, slots)
    op = Scan(inner_inputs, inner_outputs, len(sequences), [s[1] for s in states], cond is not None,
              exact, truncate, name, optimizer=optimizer)
    results = op(n_steps, *sequences, *[s[0] for s in states], *deps)
    return (results if isinstance(results, list) else [results]), [shared for shared, _ in updated]


def close_over(outputs, slots):
    """Separate the body from the outer graph: every variable the outputs read that
    depends on no slot (and is not a constant) becomes a new slot, fed from outside.
    Returns the inner inputs, the inner outputs and the outer variables feeding them."""
    inner, nodes = set(slots), toposort(outputs)
    for node in nodes:
        if any(v in inner for v in node.inputs):
            inner.update(node.outputs)
    deps, seen = [], set()
    readers = [v for node in nodes if node.outputs[0] in inner for v in node.inputs]
    for var in readers + list(outputs):
        if var not in inner and var not in seen and not isinstance(var, Constant):
            seen.add(var)
            deps.append(var)
    new = [_slot(d.type, d.weak) for d in deps]
    inner_outputs = clone_graph(outputs, replace=dict(zip(deps, new)))
    return list(slots) + new, inner_outputs, deps


def _slot(type_, weak=False):
    var = TensorVariable(type_)
    var.weak = weak
    return var


def _output(value, what):
    if isinstance(value, (until, dict)) or value is None:
        raise InputError(f"scan: fn returned {value!r} as {what}; outputs must be tensors")
    try:
        return as_tensor_variable(value)
    except TypeError as exc:
        raise InputError(f"scan: fn returned {type(value).__name__} {value!r} as {what}; "
                         f"outputs must be tensors ({exc})") from None


def _check_state(init, out, label):
    row = init.type.shape[1:]
    if out.dtype != init.dtype or out.ndim != len(row) or any(
            a is not None and b is not None and a != b for a, b in zip(row, out.type.shape)):
        raise InputError(f"scan: {label} is {_fmt(init.dtype, row)} but fn returns "
                         f"{_fmt(out.dtype, out.type.shape)} for it; the initial state must have the dtype "
                         "and shape of what fn returns (cast or reshape one of them)")


def _fmt(dtype, shape):
    sizes = ", ".join("?" if s is None else str(s) for s in shape)
    return f"{dtype} of shape ({sizes}{',' if len(shape) == 1 else ''})"


# ---------------------------------------------------------------- argument normalization
def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _taps(spec, default):
    """A dict's taps as a list: Theano takes a plain int for one tap."""
    taps = spec.get("taps", default)
    return [taps] if isinstance(taps, (int, np.integer)) else list(taps)


def _sequence(spec, k):
    if isinstance(spec, dict):
        var, taps = as_tensor_variable(spec["input"]), _taps(spec, [0])
    else:
        var, taps = as_tensor_variable(spec), [0]
    if var.ndim == 0:
        raise InputError(f"scan: sequences[{k}] is the scalar {var}; a sequence needs a leading axis to loop over")
    if not taps or not all(isinstance(t, (int, np.integer)) for t in taps):
        raise InputError(f"scan: sequences[{k}] has taps {taps}; taps must be a non-empty list of ints")
    return var, [int(t) for t in taps]


def _state(spec, k):
    """``(initial buffer, taps, lag, label)`` for a fed-back output, None for a plain one."""
    label = f"outputs_info[{k}]"
    if spec is None or (isinstance(spec, dict) and spec.get("initial") is None):
        return None
    init, taps = (spec["initial"], _taps(spec, [-1])) if isinstance(spec, dict) else (spec, [-1])
    init = as_tensor_variable(init)
    if not taps or not all(isinstance(t, (int, np.integer)) and t < 0 for t in taps):
        raise InputError(f"scan: {label} has taps {taps}; output taps must be negative ints (previous steps)")
    taps = [int(t) for t in taps]
    lag = -min(taps)
    if lag == 1:
        return expand_dims(init, 0), taps, lag, label
    if init.ndim == 0 or (init.type.shape[0] is not None and init.type.shape[0] < lag):
        raise InputError(f"scan: {label} with taps {taps} needs an initial value with at least {lag} rows "
                         f"(one per previous step), got {init} ({init.type})")
    return (init if init.type.shape[0] == lag else init[:lag]), taps, lag, label


def _plain_sequences(seqs, go_backwards):
    """One tap-free sequence per (sequence, tap). Taps are relative to the step, as in
    Theano: entry t of the slice for tap k is entry t + k - min(0, min(taps)) of the
    sequence, so ``taps=[-1]`` starts at entry 0 and ends one entry early."""
    plain = []
    for var, taps in seqs:
        var = var[::-1] if go_backwards else var
        lo, hi = min(0, min(taps)), max(0, max(taps))
        for tap in taps:
            start, cut = tap - lo, hi - tap
            plain.append(var if start == cut == 0 else var[start:-cut] if cut else var[start:])
    return plain


def _steps(n_steps, plain):
    """``(n_steps, sequences)``: n_steps as given, or as in Theano the length of the
    shortest sequence (the tutorial's polynomial zips coefficients with ``arange(1000)``),
    to which the sequences are then cut: every sequence has exactly n_steps entries."""
    if n_steps is not None:
        n_steps = as_tensor_variable(n_steps)
        if n_steps.ndim != 0 or not dtypes.is_discrete(n_steps.dtype):
            raise InputError(f"scan: n_steps must be an integer scalar, got {n_steps} ({n_steps.type})")
        if isinstance(n_steps, Constant) and int(n_steps.data) < 0:
            raise InputError(f"scan: n_steps is {int(n_steps.data)}; it must be at least 0 "
                             "(use go_backwards=True to loop backwards)")
        return n_steps, plain
    if not plain:
        raise InputError("scan: give sequences to loop over or n_steps")
    lengths = [shape_i(s, 0) for s in plain]
    if all(isinstance(n, Constant) for n in lengths):
        n = constant(min(int(m.data) for m in lengths), dtype="int64")
    else:
        n = lengths[0]
        for m in lengths[1:]:
            n = minimum(n, m)
    return n, [s if m is n else s[:n] for s, m in zip(plain, lengths)]


def _split_result(result):
    """Theano's conventions: outputs, an update dict and ``until``, in any order."""
    items = list(result) if isinstance(result, (list, tuple)) else [result]
    outs, updates, cond = [], OrderedDict(), None
    for item in items:
        if isinstance(item, dict):
            updates.update(item)
        elif isinstance(item, until):
            cond = item.condition
        elif isinstance(item, (list, tuple)):
            outs.extend(item)
        else:
            outs.append(item)
    for shared in updates:
        if not isinstance(shared, Variable) or shared.owner is not None:
            raise InputError(f"scan: fn returned an update for {shared!r}, which is not a shared variable")
    return outs, updates, cond


def _add_default_updates(updates, outs, args):
    """As in Theano, a shared variable that the body reads (short of ``fn``'s arguments) and
    whose ``default_update`` is set is updated at every step unless ``fn`` updates it: a
    random variable used in the body draws anew at each step (its state becomes a state of the
    loop, and scan's updates carry its last value out). Pass the variable as a non-sequence to
    draw it once instead."""
    exprs = [v for v in outs + list(updates.values()) if isinstance(v, Variable)]  # others are errors, later
    for shared, expr in default_updates(exprs, list(updates), False, blockers=args):
        if shared not in args:
            updates[shared] = expr


def _check_strict(node, explicit):
    allowed = set(ancestors(explicit))
    for var in graph_inputs(node.inputs[1:]):
        if isinstance(var, SharedVariable) and var not in allowed:
            raise InputError(f"scan (strict=True): fn uses the shared variable {var}, which is not among "
                             "the non_sequences")
