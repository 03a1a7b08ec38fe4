"""Pickling and deep copies of graphs, however deep, with identity kept.

Pickle (and ``copy.deepcopy``) save an object's state before returning to its caller, so
a variable's owner, that node's inputs, their owners and so on nest one level per node: a
chain of 50,000 ``sin`` overflows the stack. Here the first variable met with an owner
puts in front of its state the nodes it depends on that were not saved yet, inputs first
(``_ancestry``). Each of them is then saved when everything it reads already is, so the
nesting stays a few levels deep whatever the graph, and pickle's memo keeps every
variable and node one object, shared by everything that refers to it.

"Not saved yet" is remembered by a ``_Session``: it is created by the first variable of a
pickle or deep copy and saved inside its state, so it lives exactly as long as the memo of
that pickler (or deep copy) that holds it, and the next one starts a new session.

Ops are values: a deep copy shares them (``Op.__deepcopy__``). An op class defined outside
gpugrad is checked before it is pickled, so that an attribute pickle cannot save (a
lambda, a lock) is reported naming the op and the attribute rather than deep inside pickle.
"""
import copyreg
import pickle
import threading
import weakref

from ..errors import PicklingError

_local = threading.local()


class _Session:
    """The nodes queued so far by one pickler (or deep copy), and the ops checked (by id)."""
    __slots__ = ("known", "checked", "__weakref__")

    def __init__(self):
        self.known, self.checked = set(), set()

    def __reduce__(self):
        return _Session, ()


def _session():
    """The live session of this thread and whether it was just made (then it must be saved)."""
    ref = getattr(_local, "session", None)
    session = ref() if ref is not None else None
    if session is not None:
        return session, False
    session = _Session()
    _local.session = weakref.ref(session)
    return session, True


def _unsaved_ancestry(var, known):
    """The nodes ``var`` depends on that are not in ``known`` (added to it), inputs first."""
    order, stack = [], [(var.owner, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in known:
            continue
        known.add(node)
        stack.append((node, True))
        stack.extend((v.owner, False) for v in reversed(node.inputs) if v.owner is not None and v.owner not in known)
    return order


def reduce_variable(var, state):
    """``__reduce_ex__`` of a variable whose own state is ``state`` (see the module docstring)."""
    session, fresh = _session()
    prefix = {"_session": session} if fresh else {}
    if var.owner is not None and var.owner not in session.known:
        prefix["_ancestry"] = _unsaved_ancestry(var, session.known)
    return copyreg.__newobj__, (type(var),), {**prefix, **state} if prefix else state


def restore_state(state):
    """The variable's own attributes, without what only served the pickling."""
    if "_session" in state or "_ancestry" in state:
        return {k: v for k, v in state.items() if k not in ("_session", "_ancestry")}
    return state


def reduce_op(op, protocol):
    """An op pickles as any object; one of a class from outside gpugrad is checked first."""
    reduced = object.__reduce_ex__(op, protocol)
    if not type(op).__module__.startswith("gpugrad."):
        session, _ = _session()
        if id(op) not in session.checked:
            _check_attributes(op, protocol)
            session.checked.add(id(op))
    return reduced


def _check_attributes(op, protocol):
    for name, value in getattr(op, "__dict__", {}).items():
        try:
            pickle.dumps(value, protocol)
        except Exception as exc:  # noqa: BLE001 - any failure of pickle is reported the same way
            raise PicklingError(f"cannot pickle the op {op} ({type(op).__qualname__} of {type(op).__module__}): "
                                f"its attribute {name!r} = {value!r} cannot be pickled ({type(exc).__name__}: "
                                f"{exc}); make it a module-level function or class, or a plain value") from exc
