"""A compiled function made fit for Dask workers: stateless, checked to pickle, shipped once.

A worker holds its own copy of a function for as long as the client holds it, so a copy
that read shared variables would keep the values they had when it was shipped. The copy
shipped instead takes every shared variable the function reads as an extra trailing input
(``givens`` replace them), and each ``map_batches`` passes the values they have then: the
function crosses the network once per worker, the parameters (small) once per call.

With a ``dask.distributed`` client the copy is scattered to every worker
(``client.scatter(..., broadcast=True)``) once per client and the tasks name it by its
future; under the threaded or synchronous scheduler the tasks share one compiled copy, which
threads may call at once (README, "Threads"). A worker may still receive the copy again
(Dask's memory manager drops replicas nothing waits for; a worker restarts), so it travels
as a ``Portable``: pickled once on the client, compiled once per process that loads it."""
import collections
import pickle
import threading
import uuid
import weakref

from ..compile.function import Function, function
from ..errors import InputError, PicklingError

_SHIPMENTS = weakref.WeakKeyDictionary()  # a Function -> its Shipment


def shipment(f, caller):
    """The ``Shipment`` of compiled function ``f``, made on first use."""
    found = _SHIPMENTS.get(f)
    if found is None:
        found = _SHIPMENTS[f] = Shipment(f, caller)
    return found


class Shipment:
    """``f`` as the workers run it: ``stateless`` (shared variables as trailing inputs),
    ``params`` (those variables, in that order) and one scattered copy per client."""

    def __init__(self, f, caller):
        if not isinstance(f, Function):
            raise InputError(f"{caller}: expected a function compiled by gpugrad.function, got {type(f).__name__} "
                             f"{f!r}")
        label = f._label()
        recipe = getattr(f, "_recipe", None)
        if recipe is None:
            raise PicklingError(f"{caller}: {label} cannot be sent to Dask workers: it was not made by "
                                "gpugrad.function (send the original of a Function.copy())")
        outputs = recipe["outputs"]
        self.single = outputs is not None and not isinstance(outputs, list)
        self.n_outputs = 0 if outputs is None else 1 if self.single else len(outputs)
        updated = f.maker.fgraph.outputs[self.n_outputs:]
        if updated:
            raise InputError(f"{caller}: {label} has {len(updated)} update(s) (of shared variables, or a random "
                             "stream's default update); workers cannot apply them to the client's variables: compile "
                             "it without updates and apply them on the client (gpugrad.distributed.grad_step)")
        self.label, self.inputs, self.params = label, list(f.inputs), tuple(f.shared_vars)
        self.stateless = _stateless(recipe, self.params)
        try:
            self.portable = Portable(uuid.uuid4().hex, pickle.dumps(self.stateless), self.stateless)
        except Exception as exc:
            raise PicklingError(f"{caller}: {label} cannot be sent to Dask workers, which need it pickled: "
                                f"{type(exc).__name__}: {exc}") from exc
        self._scattered = weakref.WeakKeyDictionary()  # a Client -> the future of its copy

    def param_values(self):
        """The shared variables' values now, as the workers' copy takes them."""
        return tuple(var.get_value() for var in self.params)

    def handle(self, client):
        """What the tasks name the function by: its future on ``client``'s workers (scattered
        again only if that copy was lost); without a client the ``Portable`` itself (one
        object for threads; pickled into every task by the multiprocessing scheduler, and
        compiled once per process all the same)."""
        if client is None:
            return self.portable
        future = self._scattered.get(client)
        if future is None or future.status != "finished":
            future = self._scattered[client] = client.scatter(self.portable, broadcast=True, hash=False)
        return future


class Portable:
    """A compiled function as it travels: its pickle (made once, on the client) and a
    token; a process that loads it compiles it only the first time it sees the token."""

    def __init__(self, token, payload, function):
        self.token, self.payload, self.function = token, payload, function

    def __call__(self, *args):
        return self.function(*args)

    def __reduce__(self):
        return _load, (self.token, self.payload)


_LOADED = collections.OrderedDict()  # token -> function: the copies this process compiled, newest last
_LOADED_LIMIT = 32
_LOADED_LOCK = threading.Lock()


def _load(token, payload):
    with _LOADED_LOCK:
        function = _LOADED.get(token)
        if function is None:
            function = pickle.loads(payload)
            if len(_LOADED) >= _LOADED_LIMIT:
                _LOADED.popitem(last=False)
        _LOADED[token] = function
        _LOADED.move_to_end(token)
    return Portable(token, payload, function)


def _stateless(recipe, params):
    """Compile again what ``recipe`` compiled, each of ``params`` replaced by a new input."""
    givens = recipe.get("givens") or []
    givens = list(givens.items()) if isinstance(givens, dict) else list(givens)
    stand_ins = [var.type(name=var.name) for var in params]
    options = {key: recipe[key] for key in ("device", "mode", "name", "on_unused_input", "allow_input_downcast")
               if key in recipe}
    return function(list(recipe["inputs"]) + stand_ins, recipe["outputs"], givens=givens + list(zip(params, stand_ins)),
                    no_default_updates=True, return_device_arrays=True, **options)
