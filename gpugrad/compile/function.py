"""``gpugrad.function``: check the arguments, build the graph to run, optimize, link."""
import functools
from types import SimpleNamespace

import numpy as np

from ..errors import DuplicateUpdateError, InputError, MissingInputError, UnusedInputError
from ..graph.basic import Constant, Variable
from ..graph.debug_values import suspended
from ..graph.fgraph import FunctionGraph
from ..graph.traversal import ancestors, clone_graph, graph_inputs
from ..ops.scalar import cast
from ..ops.transfer import Transfer
from ..runtime import device_arrays
from ..types.variable import HOOKS, as_tensor_variable
from ..utils import cyclic_gc_paused, report
from . import devices, in_place, io, modes
from .copy import copy_function
from .float_call import float_call
from .linked import Linked
from .pickling import reduce_function, remembered
from .profile import profiler
from .shared import SharedVariable, acquire_in_order


class Maker:
    """Theano's ``f.maker``: holds the optimized ``fgraph``."""

    def __init__(self, fgraph):
        self.fgraph = fgraph
        self.mode, self.reference = modes.FAST_RUN, None  # what compiled it, and its oracle (DebugMode)

    @property
    def env(self):
        """Theano's first name for ``fgraph``, still used in its tutorial (``f.maker.env``)."""
        return self.fgraph


class Function:
    """A compiled function. Call it with one value per input (positionally or by name).

    Results are NumPy arrays the caller owns: an output that is (or views) an input, a
    constant, a shared variable's value or another result is copied, so writing into a
    result never changes the function's state. A call that raises leaves the function
    and the shared variables as they were. On a device, arguments may be device arrays
    (used where they are), and ``device_outputs`` leaves the results there."""

    def __init__(self, inputs, shared_vars, fgraph, n_outputs, single, update_vars, device, name,
                 device_outputs=False, defaults=None):
        self.inputs, self.shared_vars = inputs, shared_vars
        self.maker = Maker(fgraph)
        self.graph = fgraph
        self.name = name
        self.device = device
        self.placement = {node: node.tag.get("device", "cpu") for node in fgraph.toposort()}
        n_in = len(inputs)
        self._host_shared, self._device_shared = _shared_sides(fgraph, fgraph.inputs[n_in:], shared_vars, device)
        self._single, self._n_in = single, n_in
        if device != "cpu":
            self._arrays = device_arrays
        filters = [v.type.filter if device == "cpu" else device_arrays.input_filter(device, v.type) for v in inputs]
        copies = _must_copy(fgraph.outputs, fgraph.inputs)
        lone = single and not update_vars and not copies[0] and not device_outputs
        written_in_place = {} if device != "cpu" else in_place.in_place_updates(
            fgraph, n_outputs, update_vars, dict(zip(shared_vars, fgraph.inputs[n_in:])))
        self._plan = SimpleNamespace(
            fgraph=fgraph, shared_vars=tuple(shared_vars), host_shared=self._host_shared, lone=lone, instruments=[],
            in_place=written_in_place,
            filters=tuple((filt, f"input {i} ({v.name or v.type})")
                          for i, (v, filt) in enumerate(zip(inputs, filters))),
            copy_outputs=tuple(copies[:n_outputs]),
            copy_updates=tuple(zip(update_vars, copies[n_outputs:])))
        self._idle = [Linked(self._plan)]
        self._locks = tuple(var.update_lock for var in sorted(set(update_vars), key=lambda v: v.id))
        self._defaults = defaults or io.Defaults(inputs, [None] * n_in)
        self._n_device_outputs = n_outputs if device_outputs else 0
        self._device_updates = device != "cpu"
        on_floats = device == "cpu" and not update_vars and not shared_vars
        fallback = functools.partial(self._run_program, trusted=False)
        self._floats = float_call(fgraph, self._plan.filters, single, fallback) if on_floats else None
        self.trust_input = False

    @property
    def trust_input(self):
        """Theano's ``trust_input``: True skips the checks and conversions of the arguments
        (README, "Theano's function surface"). Each argument must then already be what the
        input's filter makes of it, a NumPy array of the input's dtype and shape; anything
        else is the caller's mistake, which may raise an unhelpful error or give a wrong
        result. On a device the arguments are still checked: its kernels read raw memory."""
        return self._trust_asked

    @trust_input.setter
    def trust_input(self, trusted):
        self._trust_asked = bool(trusted)
        self._trusted = self._trust_asked and self.device == "cpu"
        floats = self._floats
        self._fast = None if floats is None else floats.trusted if self._trusted else floats.checked

    def __call__(self, *args, **kwargs):
        if kwargs or len(args) != self._n_in:
            args = self._defaults.complete(self._label(), args, kwargs)
        fast = self._fast
        if fast is not None:  # all float64 scalars: computed on Python floats (compile/float_call.py)
            return fast(*args)
        return self._run_program(args, self._trusted)

    def _run_program(self, args, trusted):
        """A call run by a linked copy of the program: the arguments into its cells
        (filtered unless ``trusted``), run, the results made the caller's own."""
        idle, locks = self._idle, self._locks
        try:  # a linked copy no other thread is using (compile/linked.py)
            linked = idle.pop()
        except IndexError:
            linked = Linked(self._plan)
        if locks:
            acquire_in_order(locks)  # README, "Threads": one global order, no deadlock
        try:
            if trusted:
                for (cell, _, _), value in zip(linked.filters, args):
                    cell[0] = value
            else:
                for (cell, filt, what), value in zip(linked.filters, args):
                    cell[0] = filt(value, what)
            linked.run()
            lone = linked.lone
            if lone is not None:  # the common case, inlined: an array of its own, not an argument
                value = lone[0]
                if value.base is None:
                    for cell in linked.sources:
                        if value is cell[0]:
                            return value.copy()
                    return value
                return self._private(linked, value, False, (), None)
            return self._results(linked)
        finally:
            for cell, _ in linked.shared:  # an idle copy holding a value would keep it from
                cell[0] = None  # being updated in place (compile/in_place.py)
            if locks:
                for lock in reversed(locks):
                    lock.release()
            idle.append(linked)

    def _results(self, linked):
        outs, seen = [], {id(cell[0]) for cell in linked.sources}
        for k, (cell, always) in enumerate(linked.outputs):
            private = self._private_on_device if k < self._n_device_outputs else self._private
            outs.append(private(linked, cell[0], always, outs, seen))
            seen.add(id(outs[-1]))
        if linked.updates or linked.in_place:
            self._apply_updates(linked, outs, seen)
        return outs[0] if self._single else outs

    def instrument(self, change, relink=True):
        """Apply ``change(program)`` (a mode's run-time checks, compile/modes.py; a profile,
        compile/profile.py) to every linked copy of the program, the ones linked later for
        other threads too. ``relink=False``: the change leaves the program's thunks and
        ``run`` as they are, so the copies already linked are kept."""
        self._plan.instruments.append(change)
        if relink:  # the checks or timings are the program's: calls run it from now on
            self._plan.in_place = {}  # they look at every node's result, the updates' too
            self._floats = None
            self.trust_input = self._trust_asked
            self._idle[:] = [Linked(self._plan)]
        else:
            for linked in self._idle:
                change(linked.program)

    def _private(self, linked, value, always, taken, seen):
        """``value``, or a copy of it if the caller would otherwise share its memory with
        an argument, a shared variable, a constant or another result. An array owning its
        memory can only be one of those itself (``seen``: their ids); a view (a reshaped
        matmul result, say) is checked by memory bounds, and copied only when it may overlap one."""
        if always:
            return value.copy()
        if value.base is None:
            shares = id(value) in seen
        else:
            shares = (any(_shares(value, cell[0]) for cell in linked.sources)
                      or any(_shares(value, c) for c in linked.constants)
                      or any(_shares(value, other) for other in taken))
        return value.copy() if shares else value

    def _private_on_device(self, linked, value, always, taken, seen):
        """``_private`` for a device array, which has no ``base`` to tell a view (the
        simulator's arrays are views of their mappings): ask the memory ranges instead."""
        overlaps, device = self._arrays.overlaps, self.device
        sources = [cell[0] for cell in linked.sources] + [var.on_device(device) for var in self._device_shared]
        if always or any(overlaps(device, value, other) for other in sources + taken):
            return self._arrays.device_copy(self.device, value)
        return value

    def _apply_updates(self, linked, outs, seen):
        """Check every new value first, then store them all, so a failing check changes nothing.
        A value computed on the device stays there; a gemm of a variable's own value is added
        into its array where nothing else holds it (compile/in_place.py)."""
        new, on_device = [], []
        for var, cell, always in linked.updates:
            value, what = cell[0], f"update of {var.name or var}"
            resident = self._device_updates and self._arrays.resident(self.device, value)
            if resident:
                value = self._private_on_device(linked, self._arrays.checked_on_device(self.device, var.type, value,
                                                                                       what), always, outs + new, seen)
            else:
                value = self._private(linked, var.type.filter(value, what), always, outs + new, seen)
            new.append(value)
            seen.add(id(value))
            on_device.append(resident)
        def store_others():
            for (var, _, _), value, resident in zip(linked.updates, new, on_device):
                if resident:
                    var.store_on_device(self.device, value)
                else:
                    var.store(value)
        if linked.in_place:
            in_place.apply(linked.in_place, store_others)
        else:
            store_others()

    def __getitem__(self, key):
        """Theano's ``f[x]`` / ``f['name']``: the default value of an input (compile/io.py)."""
        return self._defaults[key]

    def __setitem__(self, key, value):
        self._defaults[key] = value

    def copy(self, share_memory=False, swap=None, delete_updates=False, name=None):
        """Theano's ``Function.copy`` (compile/copy.py): the compiled graph reused."""
        return copy_function(self, share_memory, swap, delete_updates, name)

    def __reduce__(self):
        """Pickled (and deep-copied) as what it was compiled from: compile/pickling.py."""
        return reduce_function(self)

    def _label(self):
        return f"function {self.name!r}" if self.name else "function"


def _shares(host, other):
    """Whether host array ``host`` may share memory with ``other`` (a device array never does:
    and NumPy would hand it to CuPy's ``may_share_memory``, which takes device arrays only)."""
    return isinstance(other, np.ndarray) and np.may_share_memory(host, other)


def _shared_sides(fgraph, clones, shared_vars, where):
    """The shared variables whose host value the graph reads (synchronized before a call),
    and those read through their resident device copy (the ``Transfer`` is tagged)."""
    if where == "cpu":
        return tuple(shared_vars), ()
    host, device = [], []
    for clone, var in zip(clones, shared_vars):
        readers = [node for node, _ in fgraph.clients.get(clone, ())]
        to_device = [node for node in readers if isinstance(node.op, Transfer) and node.op.to == "device"]
        for node in to_device:
            node.tag["shared"] = var
        if to_device:
            device.append(var)
        if len(to_device) < len(readers) or clone in fgraph.outputs:
            host.append(var)
    return tuple(host), tuple(device)


def _must_copy(results, inputs):
    """Whether each result always needs a copy: it is an input or a constant, or the same
    variable is returned or stored twice (an output that is also an update)."""
    inputs, seen, twice = set(inputs), set(), set()
    for var in results:
        (twice if var in seen else seen).add(var)
    return [var in inputs or isinstance(var, Constant) or var in twice for var in results]


@remembered
@cyclic_gc_paused
def function(inputs, outputs=None, updates=None, givens=None, device=None,
             on_unused_input="raise", name=None, mode=None, allow_input_downcast=None,
             return_device_arrays=False, no_default_updates=False, profile=None):
    """Compile a callable computing ``outputs`` from ``inputs`` (see API.md).

    Inputs may be ``In`` and outputs ``Out`` (compile/io.py); shared variables read by the
    graph apply their ``default_update`` unless ``no_default_updates`` (True, or a list of
    variables) says not to; ``mode`` is a Theano mode name or object (compile/modes.py).
    ``return_device_arrays=True`` leaves the results on the function's device: CuPy
    arrays on ``cuda``, the simulated CuPy's arrays on ``cuda-sim`` (``.get()`` reads them),
    NumPy arrays on ``cpu``. ``profile`` (True, a ``ProfileStats``, None: ``config.profile``)
    times every node; ``f.profile()`` reports (compile/profile.py)."""
    device = devices.resolve(device)
    mode = modes.get_mode(mode)
    inputs, specs = io.unpack_inputs(inputs)
    inputs = _check_inputs(inputs)
    defaults = io.Defaults(inputs, specs)
    outputs = io.unpack_outputs(outputs)
    single = outputs is not None and not isinstance(outputs, (list, tuple))
    outputs = [] if outputs is None else [outputs] if single else list(outputs)
    outputs = [as_tensor_variable(o) for o in outputs]
    update_pairs = _check_updates(_pairs(updates) + defaults.updates())
    exprs = outputs + [e for _, e in update_pairs]
    replace = {old: _given(old, new) for old, new in _pairs(givens)}
    if replace:
        exprs = clone_graph(exprs, replace=replace)
    implicit = io.default_updates(exprs, [v for v, _ in update_pairs], no_default_updates, blockers=inputs)
    implicit = _check_updates([(v, clone_graph([e], replace=replace)[0]) for v, e in implicit])  # givens too
    update_pairs += implicit
    exprs += [e for _, e in implicit]
    used = set(ancestors(exprs, blockers=inputs))
    _check_missing(exprs, inputs)
    _check_unused(inputs, used, on_unused_input)
    listed = set(inputs)
    shared_vars = [v for v in graph_inputs(exprs, blockers=inputs)
                   if isinstance(v, SharedVariable) and v not in listed]
    fgraph = FunctionGraph(inputs + shared_vars, exprs)
    fgraph.host_arguments = frozenset(fgraph.inputs[:len(inputs)])  # one-element ones go to kernels by value
    device_outputs = bool(return_device_arrays) and device != "cpu"
    fgraph.output_places = ("device" if device_outputs else "host",) * len(outputs) + ("either",) * len(update_pairs)
    with suspended():  # rewrites build nodes on the graph's copies, which have no test values
        mode.optimize(fgraph, device)
    fn = Function(inputs, shared_vars, fgraph, len(outputs), single, [v for v, _ in update_pairs],
                  device, name, device_outputs, defaults)
    fn.maker.mode, fn.maker.reference = mode, functools.partial(modes.reference_program, inputs + shared_vars, exprs)
    mode.instrument(fn, fn.maker.reference)
    fn.profile = profiler(fn, profile)
    return fn


def _pairs(mapping):
    """The (key, value) pairs of a dict or of a list of pairs (each a tuple or a list of two)."""
    if not mapping:
        return []
    if isinstance(mapping, dict):
        return list(mapping.items())
    for pair in mapping:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise InputError(f"function: updates and givens are (variable, expression) pairs, got {pair!r}")
    return [tuple(pair) for pair in mapping]


HOOKS.function = function  # what a variable's eval compiles with


def _check_inputs(inputs):
    if isinstance(inputs, Variable):
        inputs = [inputs]
    inputs = list(inputs)
    for i, v in enumerate(inputs):
        if not isinstance(v, Variable):
            raise InputError(f"function: input {i} must be a symbolic variable, got {type(v).__name__} {v!r}")
        if isinstance(v, Constant):
            raise InputError(f"function: input {i} is the constant {v}; constants cannot be inputs")
        if isinstance(v, SharedVariable):
            raise InputError(f"function: input {i} is the shared variable {v}, which functions read by "
                             "themselves; to give its value as an argument, substitute a variable with givens=")
    if len(set(inputs)) != len(inputs):
        raise InputError("function: the same variable is given twice as an input")
    return inputs


def _check_updates(pairs):
    checked = []
    for var, expr in pairs:
        if not isinstance(var, SharedVariable):
            raise InputError(f"updates: {var} is not a shared variable; only shared variables can be updated")
        if any(var is done for done, _ in checked):
            raise DuplicateUpdateError(f"updates: the shared variable {var} is given two updates")
        expr = as_tensor_variable(expr)
        var.check_update(expr)
        if expr.dtype != var.dtype:
            if not np.can_cast(expr.dtype, var.dtype, casting="same_kind"):
                raise InputError(f"updates: the new value of {var} has dtype {expr.dtype}, "
                                 f"which cannot be stored in {var.dtype}")
            expr = cast(expr, var.dtype)
        checked.append((var, expr))
    return checked


def _given(old, new):
    new = as_tensor_variable(new)
    if new.ndim != old.ndim:
        raise InputError(f"givens: {old} has {old.ndim} dimensions but its replacement {new} has {new.ndim}")
    return new


def _check_missing(exprs, inputs):
    listed = set(inputs)
    for v in graph_inputs(exprs, blockers=inputs):
        if v in listed or isinstance(v, (Constant, SharedVariable)):
            continue
        raise MissingInputError(f"function: the outputs depend on {v} ({v.type}), "
                                "which is not among the inputs; add it to the inputs list")


def _check_unused(inputs, used, mode):
    for i, v in enumerate(inputs):
        if v in used:
            continue
        message = f"function: input {i} ({v}) is not used to compute the outputs"
        if mode == "raise":
            message += " (pass on_unused_input='ignore' to allow it)"
        report(mode, UnusedInputError, message, "on_unused_input")
