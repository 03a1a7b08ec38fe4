"""Theano's ``compile.ops``: ``as_op``, a Python function on NumPy arrays made an op."""
import importlib
import pickle

from ..errors import OpContractError
from ..graph.op import Op
from ..graph.user_op import make_node_from_types

__all__ = ["as_op", "FromFunctionOp"]


class FromFunctionOp(Op):
    """An op whose ``perform`` calls ``fn`` on the input arrays (Theano's): ``itypes`` and
    ``otypes`` fix its types, ``infer_shape(node, input_shapes)`` is optional. Two are equal
    when they wrap the same function. It pickles as the module attribute that holds it (the
    decorated name), so the op a graph holds comes back as that same op."""
    derived_facets = True

    def __init__(self, fn, itypes, otypes, infer_shape=None):
        self.fn, self.itypes, self.otypes, self.infer_shape_fn = fn, list(itypes), list(otypes), infer_shape
        for t in self.itypes + self.otypes:
            if not (callable(t) and hasattr(t, "dtype") and hasattr(t, "ndim")):
                raise TypeError(f"as_op({fn.__name__}): itypes and otypes must be types such as T.dmatrix, got {t!r}")
        self.__doc__ = fn.__doc__

    def __eq__(self, other):
        return type(self) is type(other) and self.fn == other.fn

    def __hash__(self):
        return hash((type(self), self.fn))

    def __str__(self):
        return f"FromFunctionOp{{{self.fn.__name__}}}"

    def __reduce_ex__(self, protocol):
        module, name = self.fn.__module__, self.fn.__qualname__
        try:
            found = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            found = None
        if found is not self:
            raise pickle.PicklingError(f"{self} pickles as {module}.{name}, which must be this op: decorate a "
                                       "module-level function with as_op to make a picklable op")
        return _load_back, (module, name)

    def make_node(self, *inputs):
        return make_node_from_types(self, *inputs)

    def perform(self, node, inputs, output_storage):
        results = self.fn(*inputs)
        results = list(results) if isinstance(results, (list, tuple)) else [results]
        if len(results) != len(output_storage):
            raise OpContractError(f"{self}: {self.fn.__name__} returned {len(results)} values for "
                                  f"{len(output_storage)} otypes")
        for cell, value in zip(output_storage, results):
            cell[0] = value

    def infer_shape(self, node, input_shapes):
        if self.infer_shape_fn is None:
            raise NotImplementedError(f"{self} has no infer_shape (pass as_op(..., infer_shape=))")
        return self.infer_shape_fn(node, input_shapes)


def _load_back(module, name):
    return getattr(importlib.import_module(module), name)


def as_op(itypes, otypes, infer_shape=None):
    """Decorator: the function becomes a ``FromFunctionOp`` with these input and output types,
    e.g. ``@as_op(itypes=[T.fmatrix, T.fmatrix], otypes=[T.fmatrix])``. It has no gradient
    (subclass ``gpugrad.Op`` for one)."""
    itypes = list(itypes) if isinstance(itypes, (list, tuple)) else [itypes]
    otypes = list(otypes) if isinstance(otypes, (list, tuple)) else [otypes]

    def make_op(fn):
        return FromFunctionOp(fn, itypes, otypes, infer_shape)
    return make_op
