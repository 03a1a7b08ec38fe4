"""Theano's ``gof`` (graph objects): what a user's op is built from."""
from .graph.basic import Apply, Constant, Variable
from .graph.fgraph import FunctionGraph
from .graph.op import Op

__all__ = ["Apply", "Constant", "FunctionGraph", "Op", "Variable"]
