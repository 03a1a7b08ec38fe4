"""Small matchers shared by the rewrite phases."""
import numpy as np

from ..graph.basic import Constant
from ..ops.elemwise import Elemwise
from ..ops.shape import DimShuffle


def scalar_name(var):
    """The table name of the elementwise op computing ``var`` (None otherwise)."""
    node = var.owner
    return node.op.scalar_op.name if node is not None and isinstance(node.op, Elemwise) else None


def is_op(var, name):
    return scalar_name(var) == name


def read_once(fgraph, var):
    """``var`` is an intermediate of ``fgraph`` read by one node, once (not an output): a
    rewrite may fold it into that reader."""
    return var not in fgraph.outputs and len(fgraph.clients.get(var, ())) == 1


def constant_value(var):
    """The value of a constant, seen through broadcasting dimshuffles; None if not constant."""
    while var.owner is not None and isinstance(var.owner.op, DimShuffle):
        var = var.owner.inputs[0]
    return var.data if isinstance(var, Constant) else None


def is_constant_equal(var, value):
    data = constant_value(var)
    return data is not None and data.size > 0 and bool(np.all(data == value))


def same_type_or_none(new, old):
    """``new`` if it can stand for ``old`` (same dtype and rank), else None."""
    return new if new.dtype == old.dtype and new.ndim == old.ndim else None
