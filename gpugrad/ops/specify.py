"""``specify_shape``: a value whose shape the user promises, checked where it is computed.

Theano's and PyTensor's ``specify_shape(x, shape)``: the output is ``x`` itself (a view,
on the host or the device), its type carries every size given as a constant, so later
ops check and fold against them while building, and each call checks the promise."""
import numpy as np

from ..errors import ShapeError
from ..graph.basic import Apply, Constant, Variable
from ..graph.op import Op
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable
from .shape import _entries, require_unbatched


class SpecifyShape(Op):
    """Inputs ``x`` and one int scalar per axis in ``known`` (True where a size is given)."""
    __props__ = ("known",)

    def __init__(self, known):
        self.known = tuple(bool(k) for k in known)

    def make_node(self, x, *dims):
        x = as_tensor_variable(x)
        dims = [as_tensor_variable(d) for d in dims]
        if x.ndim != len(self.known) or len(dims) != sum(self.known):
            raise ShapeError(f"specify_shape: {x} has {x.ndim} dimensions ({x.type}) but the shape names "
                             f"{len(self.known)}")
        for d in dims:
            if d.ndim != 0 or not dtypes.is_discrete(d.dtype):
                raise ShapeError(f"specify_shape: each size must be an integer scalar or None, got {d} ({d.type})")
        static, given = list(x.type.shape), iter(dims)
        for axis, known in enumerate(self.known):
            d = next(given) if known else None
            if isinstance(d, Constant):
                size = int(d.data)
                if static[axis] not in (None, size):
                    raise ShapeError(f"specify_shape: {x} has size {static[axis]} on axis {axis} ({x.type}), "
                                     f"not {size}")
                static[axis] = size
        return Apply(self, [x] + dims, [TensorVariable(TensorType(x.dtype, static))])

    def perform(self, node, inputs):
        x, *dims = inputs
        want = iter(dims)
        for axis, known in enumerate(self.known):
            if known and x.shape[axis] != int(next(want)):
                expected = self._expected(dims)
                raise ShapeError(f"specify_shape: {node.inputs[0]} has shape {x.shape}, but its shape was "
                                 f"specified as {expected}")
        return [x]

    def _expected(self, dims):
        given = iter(dims)
        return tuple(int(next(given)) if known else None for known in self.known)

    def infer_shape(self, node, input_shapes):
        given = iter(node.inputs[1:])
        return [tuple(next(given) if known else size for known, size in zip(self.known, input_shapes[0]))]

    def pullback(self, inputs, outputs, output_grads):
        return [output_grads[0]] + [None] * (len(inputs) - 1)

    def pushforward(self, inputs, outputs, tangents):
        t = tangents[0]
        return [None if t is None else self(t, *inputs[1:])]

    def batch(self, inputs, batched):
        require_unbatched(self, batched[1:], "the specified shape would differ between examples")
        x, *dims = inputs
        return [SpecifyShape((False,) + self.known)(x, *dims)]


def specify_shape(x, shape):
    """``x``, promised to have ``shape`` (a tuple or list of ints, int scalars or None; or a
    symbolic int vector such as ``y.shape``)."""
    x = as_tensor_variable(x)
    if isinstance(shape, Variable):
        shape = _entries(shape, x.ndim)
    elif isinstance(shape, (int, np.integer)):
        shape = (shape,)
    shape = list(shape)
    if len(shape) != x.ndim:
        raise ShapeError(f"specify_shape: {x} has {x.ndim} dimensions ({x.type}) but the shape "
                         f"{tuple(shape)} has {len(shape)}")
    known = [s is not None for s in shape]
    return SpecifyShape(known)(x, *[s for s in shape if s is not None])


__all__ = ["specify_shape"]
