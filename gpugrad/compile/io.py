"""Theano's ``In`` and ``Out`` (inputs with defaults, names and updates; outputs with
borrow flags), and the updates a function applies without being told: shared variables'
``default_update``.

``function`` unpacks its inputs and outputs here; the values a call may leave out live in
``Defaults``, which the compiled function reads when it completes a call's arguments and
which ``f[x]`` / ``f['name']`` read and write, as in Theano."""
import numpy as np

from ..errors import InputError
from ..graph.basic import Variable
from .shared import SharedVariable, shared

_NO_VALUE = object()


class In:
    """An input of ``function`` with options: ``value``, a default used when a call leaves
    the argument out; ``name``, the keyword a call may give it by (the variable's own name
    otherwise); ``update``, an expression whose value replaces the default after each call
    (state carried between calls; it needs a ``value``). ``borrow`` and ``mutable`` are
    accepted: gpugrad never writes into its arguments, so both are always safe."""

    def __init__(self, variable, name=None, value=_NO_VALUE, update=None, mutable=False, borrow=False,
                 strict=False, allow_downcast=None, implicit=None):
        if not isinstance(variable, Variable):
            raise InputError(f"In: expected a symbolic variable, got {type(variable).__name__} {variable!r}")
        if update is not None and value is _NO_VALUE:
            raise InputError(f"In({variable}): an input with an update needs a value to start from")
        self.variable, self.name, self.value, self.update = variable, name or variable.name, value, update
        self.mutable, self.borrow, self.implicit = mutable, borrow, bool(implicit)

    def __repr__(self):
        return f"In({self.variable})"


class Out:
    """An output of ``function``. ``borrow=True`` allows the result to alias the function's
    memory; gpugrad's results are fresh arrays unless they would alias an argument, a
    shared value, a constant or another result, so it changes nothing."""

    def __init__(self, variable, borrow=False):
        if not isinstance(variable, Variable):
            raise InputError(f"Out: expected a symbolic variable, got {type(variable).__name__} {variable!r}")
        self.variable, self.borrow = variable, borrow


def unpack_inputs(inputs):
    """``(variables, specs)``: the input variables, and the ``In`` of each (or None)."""
    if isinstance(inputs, (Variable, In)):
        inputs = [inputs]
    if not isinstance(inputs, (list, tuple)):
        raise InputError(f"function: inputs must be a list of variables, got {type(inputs).__name__}")
    specs = [item if isinstance(item, In) else None for item in inputs]
    return [item.variable if isinstance(item, In) else item for item in inputs], specs


def unpack_outputs(outputs):
    """The output variables of ``Out`` items (a single one or a list stays as it was given)."""
    if isinstance(outputs, Out):
        return outputs.variable
    if isinstance(outputs, (list, tuple)):
        return [o.variable if isinstance(o, Out) else o for o in outputs]
    return outputs


class Defaults:
    """The defaults of a function's inputs, one cell (or None) per input, and the names a
    call may use. An ``In`` with an update keeps its value in a shared variable, which the
    function updates like any other."""

    def __init__(self, inputs, specs):
        self.inputs = inputs
        self.names = {}
        self.cells, self.states = [], []
        for i, (var, spec) in enumerate(zip(inputs, specs)):
            name = spec.name if spec is not None else var.name
            if name:
                self.names[name] = i
            self.cells.append(self._cell(var, spec))

    def _cell(self, var, spec):
        if spec is None or spec.value is _NO_VALUE:
            return None
        what = f"In({spec.name or var}).value"
        if spec.update is None:
            return [var.type.filter(spec.value, what)]
        state = shared(var.type.filter(spec.value, what), name=spec.name or var.name, shape=var.type.shape)
        self.states.append((state, spec.update))
        return state.container

    def updates(self):
        """The (shared variable, expression) pairs of the inputs with an update."""
        return list(self.states)

    def complete(self, label, args, kwargs):
        """The arguments of a call: positional ones, then keywords by name, then defaults."""
        n = len(self.inputs)
        count = f"{label} takes {n} arguments ({', '.join(map(str, self.inputs))}), got {len(args)}"
        if len(args) > n:
            raise InputError(count)
        values = list(args) + [_NO_VALUE] * (n - len(args))
        for key, value in kwargs.items():
            if key not in self.names:
                raise InputError(f"{label} has no input named {key!r} (its inputs: "
                                 f"{', '.join(map(str, self.inputs))})")
            if values[self.names[key]] is not _NO_VALUE:
                raise InputError(f"{label} got two values for input {key!r}")
            values[self.names[key]] = value
        for i, cell in enumerate(self.cells):
            if values[i] is _NO_VALUE and cell is not None:
                values[i] = cell[0]
        missing = [str(v) for v, value in zip(self.inputs, values) if value is _NO_VALUE]
        if missing:
            raise InputError(f"{label} is missing a value for input {', '.join(missing)}" if kwargs else count)
        return values

    def _index(self, key):
        if isinstance(key, str):
            if key not in self.names:
                raise KeyError(f"no input named {key!r}")
            return self.names[key]
        for i, var in enumerate(self.inputs):
            if var is key:
                return i
        raise KeyError(f"{key} is not an input of this function")

    def __getitem__(self, key):
        cell = self.cells[self._index(key)]
        if cell is None:
            raise KeyError(f"input {key} has no default value")
        value = cell[0]
        return value.copy() if isinstance(value, np.ndarray) else value

    def __setitem__(self, key, value):
        i = self._index(key)
        filtered = self.inputs[i].type.filter(value, f"default of input {key}")
        if self.cells[i] is None:
            self.cells[i] = [filtered]
        else:
            self.cells[i][0] = filtered


def default_updates(exprs, explicit, skip, blockers=()):
    """``(shared variable, expression)`` pairs for the shared variables that ``exprs`` (and
    these updates' own expressions, in turn) read, short of ``blockers``, and whose
    ``default_update`` is set, unless ``explicit`` updates them or ``skip`` (True, or a
    list of variables: ``function``'s ``no_default_updates``) says not to."""
    from ..graph.traversal import graph_inputs
    if skip is True:
        return []
    if not (skip is False or skip is None or isinstance(skip, (list, tuple))) or \
            not all(isinstance(v, SharedVariable) for v in skip or ()):
        raise InputError(f"function: no_default_updates must be True, False or a list of shared variables, "
                         f"got {skip!r}")
    done = set(explicit) | set(skip or ())
    found, pending = [], list(exprs)
    while pending:
        new = [v for v in graph_inputs(pending, blockers) if isinstance(v, SharedVariable)
               and v.default_update is not None and v not in done]
        pending = []
        for var in dict.fromkeys(new):
            done.add(var)
            found.append((var, var.default_update))
            pending.append(var.default_update)
    return found
