"""Ops that users write, with Theano's interface, mapped onto the facets gpugrad calls.

An op class defined outside gpugrad is a *user op*; ``Op.__init_subclass__`` calls ``adapt``
once per such class, which installs, where the class has Theano's method and not gpugrad's:

=================================================  ===============================================
Theano (and PyTensor)                              gpugrad
=================================================  ===============================================
``perform(node, inputs, output_storage)``          ``perform(node, inputs)`` returning the outputs
``grad(inputs, output_grads)`` / ``L_op(inputs,    ``pullback(inputs, outputs, output_grads)``
outputs, output_grads)``
``R_op(inputs, eval_points)``                      ``pushforward(inputs, outputs, tangents)``
``itypes`` / ``otypes`` instead of ``make_node``   ``make_node``
``connection_pattern(node)``                       gradients of unconnected inputs are None
``infer_shape(fgraph, node, shapes)`` (PyTensor)   ``infer_shape(node, shapes)``
``make_thunk(node, storage_map, compute_map,       ``make_thunk(node, storage_in, storage_out)``
no_recycling)``
=================================================  ===============================================

and checks what the user's methods give back, raising ``OpContractError`` naming the op:
``make_node`` must return an ``Apply`` with outputs (as many as ``otypes`` has, if it has
them); ``perform`` must set every output to an array of the output's dtype, rank and static
sizes; ``grad`` and ``R_op`` one entry per input or output (``None`` where disconnected),
never integer-typed, each of its variable's rank. A user op also has ``derived_facets``:
where it has no R-op, ``Rop`` derives one from two pullbacks (``autodiff/grad.py``), and
where it has no batching rule, ``vectorize`` and ``jacobian`` loop over the batch
(``BatchLoop`` in ``autodiff/vectorize.py``).
"""
import functools
import inspect

import numpy as np

from ..errors import InputError, OpContractError
from .basic import Apply, Variable

GPUGRAD = __name__.split(".")[0] + "."


def adapt(cls):
    """Install the facets of a user op class (see the module docstring); gpugrad's own ops
    (and ops that say ``derived_facets = False``) are left as they are."""
    if not cls.__dict__.get("derived_facets", not cls.__module__.startswith(GPUGRAD)):
        return
    cls.derived_facets = True
    own = cls.__dict__
    if "perform" in own:
        cls.perform = _checked_perform(own["perform"])
    if "make_node" in own:
        cls.make_node = _checked_make_node(own["make_node"])
    elif own.get("otypes") is not None:
        cls.make_node = _checked_make_node(make_node_from_types)
    if ("grad" in own or "L_op" in own) and "pullback" not in own:
        cls.pullback = _pullback_from_grad
    if "R_op" in own and "pushforward" not in own:
        cls.pushforward = _pushforward_from_r_op
    if "infer_shape" in own and _arity(own["infer_shape"]) == 4:  # PyTensor's (self, fgraph, node, shapes)
        cls.infer_shape = _without_fgraph(own["infer_shape"])
    if "make_thunk" in own and (_arity(own["make_thunk"]) or 0) >= 5:  # Theano's (node, storage_map, ...)
        cls.make_thunk = _thunk_from_storage_map(own["make_thunk"])


def _arity(method):
    try:
        return len(inspect.signature(method).parameters)
    except (TypeError, ValueError):
        return None


def _checked_perform(perform):
    """``perform(node, inputs)`` returning checked outputs, from either spelling; Theano's own
    call, with ``output_storage``, still goes straight to the user's method."""
    with_storage = (_arity(perform) or 0) >= 4

    @functools.wraps(perform)
    def checked(self, node, inputs, output_storage=None, *rest):
        if output_storage is not None:
            return perform(self, node, inputs, output_storage, *rest)
        if with_storage:
            storage = [[None] for _ in node.outputs]
            perform(self, node, inputs, storage)
            results = [cell[0] for cell in storage]
        else:
            results = perform(self, node, inputs)
            if not isinstance(results, (list, tuple)) or len(results) != len(node.outputs):
                raise OpContractError(f"perform of {self} must return a list of {len(node.outputs)} outputs, "
                                      f"got {type(results).__name__}")
        return [_checked_output(self, k, var, value) for k, (var, value) in enumerate(zip(node.outputs, results))]
    return checked


def _checked_output(op, k, var, value):
    if value is None:
        raise OpContractError(f"perform of {op} left output {k} ({var.type}) unset; it must store an array in "
                              f"output_storage[{k}][0]")
    array = value if isinstance(value, np.ndarray) else np.asarray(value)
    want = var.type
    if array.dtype != want.dtype or array.ndim != want.ndim or any(
            s is not None and s != n for s, n in zip(want.shape, array.shape)):
        raise OpContractError(f"perform of {op} stored an array of dtype {array.dtype} and shape {array.shape} "
                              f"as output {k}, whose type is {want} (make_node's output types are what perform "
                              "must produce; cast or reshape the result)")
    return array


def _checked_make_node(make_node):
    @functools.wraps(make_node)
    def checked(self, *inputs, **kwargs):
        node = make_node(self, *inputs, **kwargs)
        if not isinstance(node, Apply):
            raise OpContractError(f"make_node of {self} returned {type(node).__name__} {node!r}, not an Apply "
                                  "(return gpugrad.Apply(self, inputs, [out.type() ...]))")
        expected = getattr(self, "otypes", None)
        if not node.outputs or (expected is not None and len(node.outputs) != len(expected)):
            raise OpContractError(f"make_node of {self} returned an Apply with {len(node.outputs)} outputs"
                                  + (f" but otypes has {len(expected)}" if expected is not None else
                                     "; an op has at least one output"))
        return node
    return checked


def make_node_from_types(self, *inputs):
    """Theano's ``make_node`` of an op that declares ``itypes`` and ``otypes``: inputs of those
    types (a variable of known sizes fits a type leaving them open), outputs of ``otypes``."""
    if len(inputs) != len(self.itypes):
        raise InputError(f"{self} takes {len(self.itypes)} inputs ({', '.join(map(str, self.itypes))}), "
                         f"got {len(inputs)}")
    for k, (var, want) in enumerate(zip(inputs, self.itypes)):
        if not (isinstance(var, Variable) and var.type.dtype == want.dtype and var.type.ndim == want.ndim and all(
                s is None or s == n for s, n in zip(want.shape, var.type.shape))):
            got = f"{var} ({var.type})" if isinstance(var, Variable) else f"{type(var).__name__} {var!r}"
            raise InputError(f"{self}: input {k} must be a variable of type {want}, got {got}")
    return Apply(self, list(inputs), [t() for t in self.otypes])


def _pullback_from_grad(self, inputs, outputs, output_grads):
    """The user's ``L_op`` or ``grad``, checked; None where ``connection_pattern`` says an
    input reaches no output."""
    if hasattr(self, "L_op"):
        grads, what = self.L_op(inputs, outputs, output_grads), "L_op"
    else:
        grads, what = self.grad(inputs, output_grads), "grad"
    grads = _checked_list(self, what, grads, inputs, "gradients", "inputs")
    pattern = self.connection_pattern(outputs[0].owner) if hasattr(self, "connection_pattern") else None
    if pattern is not None:
        grads = [g if any(connected) else None for g, connected in zip(grads, pattern)]
    return grads


def _pushforward_from_r_op(self, inputs, outputs, tangents):
    return _checked_list(self, "R_op", self.R_op(inputs, tangents), outputs, "results", "outputs")


def _checked_list(op, what, results, like, noun, of):
    """``results`` of ``op.<what>``: a list with one entry per variable of ``like``, each None
    or of its variable's rank and never integer-typed."""
    if not isinstance(results, (list, tuple)):
        raise OpContractError(f"{op}.{what} must return a list with one entry per {of[:-1]}, "
                              f"got {type(results).__name__}")
    if len(results) != len(like):
        raise OpContractError(f"{op}.{what} returned {len(results)} {noun} for its {len(like)} {of}")
    for k, (var, g) in enumerate(zip(like, results)):
        if g is None:
            continue
        dtype, ndim = (g.type.dtype, g.type.ndim) if isinstance(g, Variable) else (np.asarray(g).dtype,
                                                                                    np.ndim(g))
        if np.dtype(dtype).kind in "biu":
            raise OpContractError(f"{op}.{what} returned an integer-typed result ({dtype}) for {of[:-1]} {k} "
                                  f"({var}); derivatives are floats (zeros for an integer {of[:-1]}), or None "
                                  "(theano.gradient.DisconnectedType()()) where there is no dependence")
        if ndim != var.type.ndim:
            raise OpContractError(f"{op}.{what} returned a result with {ndim} dimensions for {of[:-1]} {k} "
                                  f"({var}, {var.type}), which has {var.type.ndim}")
    return list(results)


def _without_fgraph(infer_shape):
    @functools.wraps(infer_shape)
    def shapes(self, node, input_shapes):
        return infer_shape(self, None, node, input_shapes)
    return shapes


def _thunk_from_storage_map(make_thunk):
    """Theano's ``make_thunk``, given the node's storage cells as Theano's maps of them."""
    @functools.wraps(make_thunk)
    def thunk(self, node, storage_in, storage_out):
        storage_map = dict(zip(node.inputs, storage_in))
        storage_map.update(zip(node.outputs, storage_out))
        compute_map = {var: [True] for var in node.inputs}
        compute_map.update((var, [False]) for var in node.outputs)
        return make_thunk(self, node, storage_map, compute_map, [])
    return thunk
