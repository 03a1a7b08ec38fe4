"""``clone_replace`` (``gpugrad.clone``): a copy of a graph with some variables replaced,
as Theano's ``theano.clone`` and PyTensor's ``graph.clone_replace``."""
from ..errors import InputError
from .basic import Constant, Variable
from .traversal import clone_graph, graph_inputs


def clone_replace(output, replace=None, strict=True, share_inputs=True):
    """``output`` (a variable, list or tuple) rebuilt with each key of ``replace`` (a dict or
    a list of pairs) replaced by its value. A replacement keeps the dtype and rank of what
    it replaces (``strict=False`` allows another dtype). With ``share_inputs=False`` the
    copy's free inputs are new variables too (shared variables and constants stay)."""
    outputs = list(output) if isinstance(output, (list, tuple)) else [output]
    pairs = list(replace.items()) if isinstance(replace, dict) else list(replace or ())
    for old, new in pairs:
        _check_replacement(old, new, strict)
    memo = dict(pairs)
    if not share_inputs:
        for var in graph_inputs(outputs, blockers=memo):
            if var not in memo and not _holds_value(var):
                memo[var] = var.clone()
    cloned = clone_graph(outputs, replace=memo)
    if isinstance(output, (list, tuple)):
        return type(output)(cloned)
    return cloned[0]


def _holds_value(var):
    """Constants and shared variables (which have ``get_value``) stay shared by the copy."""
    return isinstance(var, Constant) or hasattr(var, "get_value")


def _check_replacement(old, new, strict):
    if not isinstance(old, Variable) or not isinstance(new, Variable):
        raise InputError(f"clone: replace must map variables to variables, got {old!r} -> {new!r}")
    a, b = old.type, new.type
    if getattr(a, "ndim", None) != getattr(b, "ndim", None) or (strict and a.dtype != b.dtype):
        raise InputError(f"clone: {old} ({a}) cannot be replaced by {new} ({b}): the replacement needs the "
                         f"same {'dtype and ' if strict else ''}number of dimensions")
