"""The nodes of a graph: ``Variable`` (a value), ``Apply`` (an op applied to variables),
``Constant`` (a variable whose value is known while building)."""
import itertools

import numpy as np

from ..errors import GraphError

_ids = itertools.count()


class Tag(dict):
    """A variable's annotations, by key or as attributes (Theano's ``x.tag.test_value``)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"tag has no {name!r}") from None

    def __setattr__(self, name, value):
        self[name] = value

    def __delattr__(self, name):
        self.pop(name, None)


class Variable:
    """A symbolic value of a given ``type``; ``owner`` is the Apply that computes it
    (None for graph inputs and constants), ``index`` its position among the owner's outputs."""

    def __init__(self, type, owner=None, index=None, name=None):
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.tag = Tag()
        self.id = next(_ids)

    def clone(self):
        return type(self)(self.type, None, None, self.name)

    def __repr__(self):
        return self.name if self.name else f"<{self.type} #{self.id}>"


class Constant(Variable):
    """A variable holding ``data``; ``weak`` marks a Python scalar, which takes the dtype
    of the arrays it meets, as in NumPy 2 (``fvector * 2.0`` stays float32)."""

    def __init__(self, type, data, name=None, weak=False):
        super().__init__(type, None, None, name)
        self.data = data
        self.weak = weak
        self.data.setflags(write=False)

    def clone(self):
        return type(self)(self.type, self.data, self.name, self.weak)

    def signature(self):
        """What makes two constants interchangeable (used by merge)."""
        return (self.type, self.weak, self.data.shape, self.data.tobytes())

    def __repr__(self):
        if self.name:
            return self.name
        if self.data.ndim == 0:
            value = self.data.item()
            return repr(value) if isinstance(value, (int, float, complex, bool)) else str(value)
        return np.array2string(self.data, separator=", ", threshold=8)


class Apply:
    """One use of ``op`` on ``inputs``, producing ``outputs`` (whose owner is this node)."""

    def __init__(self, op, inputs, outputs):
        self.op = op
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        for what, variables in (("input", self.inputs), ("output", self.outputs)):
            for i, var in enumerate(variables):
                if not isinstance(var, Variable):
                    raise GraphError(f"Apply of {op}: {what} {i} is {type(var).__name__} {var!r}, not a variable "
                                     "(convert inputs with as_tensor_variable; make outputs by calling a type, "
                                     "x.type())")
        for i, out in enumerate(self.outputs):
            out.owner, out.index = self, i
        self.tag = {}

    @property
    def out(self):
        (single,) = self.outputs
        return single

    def clone_with_new_inputs(self, inputs):
        """The same op on other inputs, through make_node so types are re-derived."""
        return self.op.make_node(*inputs)

    def __repr__(self):
        return f"{self.op}({', '.join(map(repr, self.inputs))})"
