"""Reductions: one ``Reduce`` op over a table of kinds (sum, prod, max, min, all, any),
``Arg`` for argmax/argmin, and the compositions mean, var, std and logsumexp."""
import builtins

import numpy as np

from ..backends import kernels
from ..errors import ShapeError
from ..graph.basic import Apply
from ..graph.op import CudaFacet, Op
from ..runtime.device_arrays import library_for
from ..runtime.facets import input_in_kernels
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable
from . import scalar as S
from .gradient_ops import disconnected_grad
from .shape import alloc, dimshuffle, reshape, shape_i, shape_tuple

_NUMPY = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "all": np.all, "any": np.any}


def normalize_axis(axis, ndim, what):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ShapeError(f"{what}: axis {a} is out of range for a tensor with {ndim} dimensions")
    axes = tuple(sorted({int(a) % builtins.max(ndim, 1) for a in axes}))
    return axes if ndim else ()


def _reduced_shape(shape, axes, keepdims):
    if keepdims:
        return tuple(1 if a in axes else s for a, s in enumerate(shape))
    return tuple(s for a, s in enumerate(shape) if a not in axes)


def _expand(g, x, axes, keepdims):
    """A reduced value given back its reduced axes as size-1 axes."""
    if keepdims or not axes:
        return g
    source = iter(range(g.ndim))
    return dimshuffle(g, ["x" if a in axes else next(source) for a in range(x.ndim)])


def _reduce_thunk(device, node, storage_in, storage_out):
    """Every ``Reduce`` kind and ``Arg`` through ``kernels.reduce_axes``: the reduced axes moved
    last (a view, copied only when not contiguous), then one block per row of ``kernels/``."""
    library, op = library_for(device), node.op
    (src,), (dst,) = storage_in, storage_out

    def thunk():
        dst[0] = kernels.reduce_axes(library, op.kind, src[0], op.axis, op.keepdims)
    return thunk


class Reduce(Op):
    fresh_outputs = True
    __props__ = ("kind", "axis", "keepdims")
    cuda = CudaFacet("kernels/reduce.cu through backends/kernels.reduce_axes, every kind", thunk=_reduce_thunk,
                     accepts=input_in_kernels, kernels=("reduce.cu",))

    def __init__(self, kind, axis, keepdims=False):
        self.kind, self.axis, self.keepdims = kind, tuple(axis), bool(keepdims)

    def __str__(self):
        axis = "" if self.axis is None else f"axis={list(self.axis)}"
        return f"{self.kind}{{{axis}{', keepdims' if self.keepdims else ''}}}"

    def make_node(self, x):
        x = as_tensor_variable(x)
        if self.kind in ("max", "min") and builtins.any(x.type.shape[a] == 0 for a in self.axis):
            raise ShapeError(f"{self.kind}: cannot reduce {x} over an empty axis")
        dtype = str(_NUMPY[self.kind](np.zeros((1,) * x.ndim, x.dtype)).dtype)
        shape = _reduced_shape(x.type.shape, self.axis, self.keepdims)
        return Apply(self, [x], [TensorVariable(TensorType(dtype, shape))])

    def perform(self, node, inputs):
        (x,) = inputs
        if self.kind in ("max", "min") and builtins.any(x.shape[a] == 0 for a in self.axis):
            raise ShapeError(f"{self.kind}: cannot reduce an array of shape {x.shape} over an empty axis")
        out = _NUMPY[self.kind](x, axis=self.axis, keepdims=self.keepdims)
        return [np.asarray(out, dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node, input_shapes):
        return [_reduced_shape(input_shapes[0], self.axis, self.keepdims)]

    def pullback(self, inputs, outputs, output_grads):
        (x,), (z,), (g,) = inputs, outputs, output_grads
        if self.kind in ("all", "any"):
            return [S._zeros_grad(x)]
        g = _expand(g, x, self.axis, self.keepdims)
        if self.kind == "sum":
            return [alloc(g, *shape_tuple(x))]
        weights = self._weights(x, z)
        return [g * (S.conj(weights) if dtypes.is_complex(weights.dtype) else weights)]

    def pushforward(self, inputs, outputs, tangents):
        (x,), (z,), (t,) = inputs, outputs, tangents
        if self.kind in ("all", "any") or t is None:
            return [None if t is None else S._zeros_grad(z)]
        if self.kind == "sum":
            return [self(t)]
        return [sum(t * self._weights(x, z), axis=self.axis, keepdims=self.keepdims)]

    def batch(self, inputs, batched):
        return [Reduce(self.kind, tuple(a + 1 for a in self.axis), self.keepdims)(inputs[0])]

    def _weights(self, x, z):
        """dz/dx with z's reduced axes restored: the product of the other factors for
        prod (zeros handled exactly), a tie-splitting indicator for max and min."""
        z = _expand(z, x, self.axis, self.keepdims)
        axis, keep = self.axis, True
        if self.kind == "prod":
            is_zero = S.eq(x, 0)
            nonzero = S.switch(is_zero, 1, x)
            prod_nonzero = prod(nonzero, axis, keep)
            n_zero = sum(is_zero, axis, keep)
            return S.switch(S.eq(n_zero, 0), prod_nonzero / nonzero,
                            S.switch(S.eq(n_zero, 1) & is_zero, prod_nonzero, 0))
        hit = S.cast(S.eq(x, z), dtypes.grad_dtype(x.dtype))
        return hit / sum(hit, axis, keep)


def _reduce(kind):
    def reduce(x, axis=None, keepdims=False):
        x = as_tensor_variable(x)
        return Reduce(kind, normalize_axis(axis, x.ndim, kind), keepdims)(x)
    reduce.__name__ = kind
    reduce.__doc__ = f"NumPy's ``{kind}`` over ``axis`` (None: all axes)."
    return reduce


_sum, prod, max, min, all, any = (_reduce(k) for k in ("sum", "prod", "max", "min", "all", "any"))


def sum(x, axis=None, keepdims=False, dtype=None):
    out = _sum(x, axis, keepdims)
    return out if dtype is None else S.cast(out, dtype)


class Arg(Op):
    """argmax / argmin along one axis (or the flattened array), as int64."""
    fresh_outputs = True
    __props__ = ("kind", "axis", "keepdims")
    cuda = CudaFacet("kernels/argreduce.cu through backends/kernels.reduce_axes (complex values in NumPy's "
                     "lexicographic order)", thunk=_reduce_thunk, accepts=input_in_kernels, kernels=("argreduce.cu",))

    def __init__(self, kind, axis, keepdims=False):
        self.kind, self.axis, self.keepdims = kind, axis, bool(keepdims)

    def make_node(self, x):
        x = as_tensor_variable(x)
        if self.axis is None:
            shape = (1,) * x.ndim if self.keepdims else ()
        else:
            shape = _reduced_shape(x.type.shape, (self.axis,), self.keepdims)
        return Apply(self, [x], [TensorVariable(TensorType("int64", shape))])

    def perform(self, node, inputs):
        fn = np.argmax if self.kind == "argmax" else np.argmin
        if inputs[0].size == 0 if self.axis is None else inputs[0].shape[self.axis] == 0:
            raise ShapeError(f"{self.kind}: cannot take the {self.kind} over an empty axis of an array of shape "
                             f"{inputs[0].shape}")
        return [np.asarray(fn(inputs[0], axis=self.axis, keepdims=self.keepdims), dtype="int64")]

    def infer_shape(self, node, input_shapes):
        if self.axis is None:
            return [(1,) * len(input_shapes[0]) if self.keepdims else ()]
        return [_reduced_shape(input_shapes[0], (self.axis,), self.keepdims)]

    def pullback(self, inputs, outputs, output_grads):
        return [S._zeros_grad(inputs[0])]

    def pushforward(self, inputs, outputs, tangents):
        return [None]

    def batch(self, inputs, batched):
        """Over the flattened example (axis None): each example's flattened axis is axis 1."""
        (x,) = inputs
        if self.axis is not None:
            return [Arg(self.kind, self.axis + 1, self.keepdims)(x)]
        out = Arg(self.kind, 1)(reshape(x, (shape_i(x, 0), -1)))
        return [dimshuffle(out, [0] + ["x"] * (x.ndim - 1)) if self.keepdims else out]


def _arg(kind):
    def arg(x, axis=None, keepdims=False):
        x = as_tensor_variable(x)
        if axis is not None:
            (axis,) = normalize_axis(axis, x.ndim, kind)
        return Arg(kind, axis, keepdims)(x)
    arg.__name__ = kind
    return arg


argmax, argmin = _arg("argmax"), _arg("argmin")


def _count(x, axes):
    """The number of elements reduced over, as a float scalar of x's real precision."""
    n = None
    for a in axes:
        size = shape_i(x, a)
        n = size if n is None else n * size
    dtype = dtypes.real_dtype(x.dtype) if dtypes.is_inexact(x.dtype) else "float64"
    return S.cast(1 if n is None else n, dtype)


def mean(x, axis=None, keepdims=False):
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim, "mean")
    total = sum(x, axes, keepdims)
    if not dtypes.is_inexact(total.dtype):
        total = S.cast(total, "float64")
    return total / _count(x, axes)


def var(x, axis=None, keepdims=False, ddof=0):
    """Mean squared deviation (of the modulus for complex x), NumPy's ``var``."""
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim, "var")
    centered = x - mean(x, axes, keepdims=True)
    if dtypes.is_complex(x.dtype):
        squares = S.real(centered * S.conj(centered))
    else:
        squares = centered * centered
    n = _count(x, axes)
    return sum(squares, axes, keepdims) / (n - ddof if ddof else n)


def std(x, axis=None, keepdims=False, ddof=0):
    return S.sqrt(var(x, axis, keepdims, ddof))


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) computed as m + log(sum(exp(x - m))) with m the stopped max,
    so it neither overflows nor loses the small terms."""
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim, "logsumexp")
    m = disconnected_grad(max(x, axes, keepdims=True))
    m = S.switch(S.isinf(m), 0, m)
    out = S.log(sum(S.exp(x - m), axes, keepdims=True)) + m
    if not keepdims:
        source = [a for a in range(x.ndim) if a not in axes]
        out = dimshuffle(out, source) if axes else out
    return out
