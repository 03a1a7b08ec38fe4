"""Elemwise: one op class that lifts every scalar op of the table in ``scalar.py`` to
arrays with NumPy broadcasting; Composite: a region of them as one op, one CUDA kernel.

Broadcasting follows the static shape, as in PyTensor: an axis broadcasts only where
its static size is 1. A size-1 axis that is not declared broadcastable meets a larger
one at run time with a clear ShapeError instead of a silently wrong gradient.
The gradient of every input is summed over its broadcast axes here, in one place.

On a device every elementwise node runs as a generated kernel (codegen/elementwise.py):
the fusion phase (rewrites/fusion.py) turns each connected region into one ``Composite``,
whose kernel reads its scalar constants as literals and its one-element host values by
value; an ``Elemwise`` the fusion phase left alone (a mode excluding it) runs as a
one-node Composite.
"""
import numpy as np

from ..codegen import elementwise as codegen
from ..errors import ShapeError
from ..graph.basic import Apply, Constant
from ..graph.op import CudaFacet, Op
from ..graph.traversal import ancestors, toposort
from ..runtime.elementwise import composite_thunk
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable
from .shape import dimshuffle


def _literals(node):
    """The inputs its kernel writes in as literals (scalar constants): nothing to copy."""
    return {k for k, v in enumerate(node.inputs) if codegen.is_literal(v)}


def _kernel_inputs(node):
    return {k for k, v in enumerate(node.inputs) if not codegen.is_literal(v)}


def _lone_thunk(device, node, storage_in, storage_out):
    """An elementwise node the fusion phase did not fuse: the kernel of a one-node
    ``Composite``, reading the node's inputs that are not literals of it."""
    composite, outer = composite_of([node], node.outputs)
    inner = composite.make_node(*outer)
    inner.tag.update(node.tag)
    return composite_thunk(device, inner, [storage_in[node.inputs.index(v)] for v in outer], storage_out)


class Elemwise(Op):
    __props__ = ("scalar_op",)
    cuda = CudaFacet("a generated kernel (codegen/elementwise.py), fused with its neighbours into a Composite",
                     thunk=_lone_thunk, accepts=codegen.supports, host_inputs=_literals, by_value=_kernel_inputs)

    def __init__(self, scalar_op):
        self.scalar_op = scalar_op

    def __str__(self):
        return self.scalar_op.name

    def make_node(self, *inputs):
        scalar_op = self.scalar_op
        if scalar_op.nin != -1 and len(inputs) != scalar_op.nin:
            raise TypeError(f"{scalar_op.name} takes {scalar_op.nin} inputs, got {len(inputs)}")
        inputs = [as_tensor_variable(v) for v in inputs]
        ndim = max(v.ndim for v in inputs)
        inputs = [pad_left(v, ndim) for v in inputs]
        out_dtypes = dtypes.apply_dtype(scalar_op.numpy, tuple((v.dtype, v.weak) for v in inputs))
        shape = broadcast_shapes([v.type.shape for v in inputs], scalar_op.name)
        outputs = [TensorVariable(TensorType(d, shape)) for d in out_dtypes]
        weak = all(v.weak for v in inputs)
        for out in outputs:
            out.weak = weak
        return Apply(self, inputs, outputs)

    def perform(self, node, inputs):
        with np.errstate(all="ignore"):
            result = self.scalar_op.numpy(*inputs)
        results = result if isinstance(result, tuple) else (result,)
        return [_as_array(r, out.type.dtype) for r, out in zip(results, node.outputs)]

    def make_thunk(self, node, storage_in, storage_out):
        """Weak constants enter NumPy as Python scalars so NumPy's own promotion applies;
        the run-time broadcast check is compiled in only where static shapes leave doubt;
        the memory plan (rewrites/memory.py) may name the buffer to write. Float warnings
        are already off: the linker turns them off once per call."""
        if len(node.outputs) > 1:
            return super().make_thunk(node, storage_in, storage_out)
        fn, dtype, out_cell = self.scalar_op.numpy, node.outputs[0].type.dtype, storage_out[0]
        args = [(lambda v=v.data.item(): v) if isinstance(v, Constant) and v.weak else (lambda c=c: c[0])
                for v, c in zip(node.inputs, storage_in)]
        check = _broadcast_check(node)
        target = _output_buffer(node, dtype)
        if target is None and check is None and len(args) <= 2:
            return _plain_thunk(fn, dtype, out_cell, args)

        def thunk():
            values = [a() for a in args]
            out = _as_array(fn(*values) if target is None else fn(*values, out=target(values)), dtype)
            if check is not None:
                check(values, out)
            out_cell[0] = out
        return thunk

    @property
    def fresh_outputs(self):
        """Ufunc results are new arrays; some NumPy functions (np.real) return views."""
        return self.supports_out()

    def supports_out(self):
        """Whether the NumPy function takes ``out=`` (ufuncs and the n-ary folds do)."""
        fn = self.scalar_op.numpy
        return isinstance(fn, np.ufunc) or getattr(fn, "accepts_out", False)

    def max_inplace_position(self):
        """The last input an output buffer may alias: n-ary folds write their first
        partial result before reading inputs past the second."""
        return 1 if self.scalar_op.nin == -1 else self.scalar_op.nin - 1

    def infer_shape(self, node, input_shapes):
        out = node.outputs[0].type.shape
        dims = []
        for axis, size in enumerate(out):
            if size is not None:
                dims.append(size)
            else:
                dims.append(next(shp[axis] for v, shp in zip(node.inputs, input_shapes)
                                 if v.type.shape[axis] != 1))
        return [tuple(dims)] * len(node.outputs)

    def pullback(self, inputs, outputs, output_grads):
        (gz,) = output_grads
        return [None if g is None else sum_to_input(g, x)
                for g, x in zip(self.scalar_op.pullback(inputs, outputs[0], gz), inputs)]

    def pushforward(self, inputs, outputs, tangents):
        return [self.scalar_op.pushforward(inputs, outputs[0], tangents)]

    def batch(self, inputs, batched):
        """The same op: ``make_node`` gives each unbatched input a broadcastable leading
        axis (constants stay constants, so weak Python scalars stay weak)."""
        return self.make_node(*inputs).outputs

    def pp(self, node, args):
        """Infix ops print fully parenthesized, as Theano's pp: ``(x ** 2)``, ``(-x)``."""
        scalar_op = self.scalar_op
        if scalar_op.infix:
            return "(" + f" {scalar_op.infix} ".join(args) + ")"
        if scalar_op.name == "neg":
            return f"(-{args[0]})"
        return f"{scalar_op.name}({', '.join(args)})"


def _plain_thunk(fn, dtype, out_cell, args):
    """The fast path for one or two inputs, no checks and a fresh result."""
    if len(args) == 1:
        (a0,) = args

        def thunk():
            out_cell[0] = _as_array(fn(a0()), dtype)
    else:
        a0, a1 = args

        def thunk():
            out_cell[0] = _as_array(fn(a0(), a1()), dtype)
    return thunk


def _output_buffer(node, dtype):
    """Where the node writes: into input k (``node.tag["inplace"] = k``), into a buffer
    kept from the previous call (``node.tag["reuse"]``), or a fresh array (None)."""
    k = node.tag.get("inplace")
    if k is not None:
        return lambda values: values[k]
    if not node.tag.get("reuse"):
        return None
    held = [None]

    def buffer(values):
        shape = np.broadcast_shapes(*[np.shape(v) for v in values])
        out = held[0]
        if out is None or out.shape != shape:
            out = held[0] = np.empty(shape, dtype)
        return out
    return buffer


def _as_array(value, dtype):
    if type(value) is not np.ndarray or value.dtype != dtype:
        return np.asarray(value, dtype=dtype)
    return value


def pad_left(var, ndim):
    """``var`` with new broadcastable axes in front, so it has ``ndim`` dimensions."""
    if var.ndim == ndim:
        return var
    if isinstance(var, Constant):
        # Stays a constant (weak stays weak, and prints as before), so the thunk can
        # still hand a weak scalar to NumPy as a Python number.
        data = var.data.reshape((1,) * (ndim - var.ndim) + var.data.shape)
        return type(var)(var.type.with_shape(data.shape), data, name=var.name or repr(var), weak=var.weak)
    return dimshuffle(var, ["x"] * (ndim - var.ndim) + list(range(var.ndim)))


def broadcast_shapes(shapes, what):
    out = []
    for axis, sizes in enumerate(zip(*shapes)):
        known = {s for s in sizes if s is not None and s != 1}
        if len(known) > 1:
            raise ShapeError(f"{what}: cannot broadcast shapes {', '.join(map(_fmt, shapes))} "
                             f"(axis {axis} has sizes {sorted(known)})")
        if known:
            out.append(known.pop())
        elif all(s == 1 for s in sizes):
            out.append(1)
        else:
            out.append(None)
    return tuple(out)


def _fmt(shape):
    return "(" + ", ".join("?" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _broadcast_check(node):
    """A check that no input of unknown size turned out to be 1 where the output is not."""
    ambiguous = [(k, [a for a, s in enumerate(v.type.shape) if s is None and node.outputs[0].type.shape[a] != 1])
                 for k, v in enumerate(node.inputs) if v.ndim and not isinstance(v, Constant)]
    ambiguous = [(k, axes) for k, axes in ambiguous if axes]
    if not ambiguous or sum(1 for v in node.inputs if v.ndim) < 2:
        return None
    name = node.op.scalar_op.name

    def check(values, out):
        for k, axes in ambiguous:
            shape = np.shape(values[k])
            for a in axes:
                if shape[a] == 1 and out.shape[a] != 1:
                    raise ShapeError(
                        f"{name}: input {k} has size 1 on axis {a} (shape {shape}) and broadcasts to "
                        f"{out.shape[a]}, but its type {node.inputs[k].type} does not declare that axis "
                        f"broadcastable; give it static size 1 (T.tensor(shape=...)) or use dimshuffle")
    return check


def sum_to_input(grad, var):
    """``grad`` summed over the axes where ``var`` was broadcast (reductions are built on
    elementwise ops: the one import of this module that waits for its first call)."""
    from .reduce import sum as sum_
    axes = tuple(a for a, (s, g) in enumerate(zip(var.type.shape, grad.type.shape)) if s == 1 and g != 1)
    return sum_(grad, axis=axes, keepdims=True) if axes else grad


class InnerGraph(Op):
    """An op defined by an inner graph (``inputs``, ``nodes`` in topological order,
    ``outputs``), as fusion makes them: ``perform`` runs the inner graph node by node with
    NumPy (the oracle of its kernel), ``pp`` prints its expressions (fusion, like placement,
    is detail ``pp`` does not show; ``debugprint`` does)."""
    __props__ = ("source",)
    fresh_outputs = True

    def perform(self, node, inputs):
        values = dict(zip(self.inputs, inputs))
        for inner in self.nodes:
            args = [values[v] if v in values else v.data.item() if v.weak else v.data for v in inner.inputs]
            values.update(zip(inner.outputs, inner.op.perform(inner, args)))
        return [values[o] for o in self.outputs]

    def pp(self, node, args):
        """Each output's inner expression over ``args``, the texts of the node's inputs."""
        text = dict(zip(self.inputs, args))
        for inner in self.nodes:
            given = [text.get(v, repr(v)) for v in inner.inputs]
            printer = getattr(inner.op, "pp", None)
            text[inner.outputs[0]] = printer(inner, given) if printer else f"{inner.op}({', '.join(given)})"
        return [text[o] for o in self.outputs]

    def new_outputs(self, shapes):
        """Fresh variables of the inner outputs' dtypes (and weakness) and ``shapes``."""
        outputs = []
        for out, shape in zip(self.outputs, shapes):
            var = TensorVariable(TensorType(out.dtype, shape))
            var.weak = getattr(out, "weak", False)
            outputs.append(var)
        return outputs


class Composite(InnerGraph):
    """An elementwise op defined by an inner graph of Elemwise nodes; ``source`` is its CUDA
    kernel, which takes the inputs at the positions ``by_value`` (one-element host values)
    as scalar parameters."""
    cuda = CudaFacet("its generated kernel (codegen/elementwise.py, runtime/elementwise.py)", thunk=composite_thunk)

    def __init__(self, inputs, outputs, by_value=()):
        self.inputs, self.outputs = list(inputs), list(outputs)
        self.by_value = frozenset(by_value)
        self.nodes = toposort(self.outputs, blockers=self.inputs)
        self.source = codegen.render(self.inputs, self.outputs, self.nodes, self.by_value)
        self._deps = [[k for k, v in enumerate(self.inputs) if v in set(ancestors([o], blockers=self.inputs))]
                      for o in self.outputs]

    def __str__(self):
        return "composite{" + ",".join(str(n.op) for n in self.nodes) + "}"

    def make_node(self, *inputs):
        return Apply(self, list(inputs), self.new_outputs(
            broadcast_shapes([inputs[k].type.shape for k in deps], str(self)) if deps else out.type.shape
            for out, deps in zip(self.outputs, self._deps)))

    def make_thunk(self, node, storage_in, storage_out):
        """On the CPU: the generated C++ loop once it is built, NumPy until then
        (runtime/host_elementwise.py)."""
        from ..runtime.host_elementwise import host_thunk
        return host_thunk(self, node, storage_in, storage_out)

    def infer_shape(self, node, input_shapes):
        shapes = []
        for out, deps in zip(node.outputs, self._deps):
            dims = []
            for axis, size in enumerate(out.type.shape):
                dims.append(size if size is not None else
                            next(input_shapes[k][axis] for k in deps if node.inputs[k].type.shape[axis] != 1))
            shapes.append(tuple(dims))
        return shapes


def composite_of(nodes, used_outside):
    """The ``Composite`` computing ``used_outside`` (outputs of ``nodes``, a connected region of
    elementwise nodes in topological order) and the outer variables it reads, in order
    (scalar constants become literals of its kernel, not inputs)."""
    produced = {o for n in nodes for o in n.outputs}
    outer = list(dict.fromkeys(v for n in nodes for v in n.inputs
                               if v not in produced and not codegen.is_literal(v)))
    by_value = {k for k, v in enumerate(outer) for n in nodes
                for pos in n.tag.get("by_value", ()) if n.inputs[pos] is v}
    memo = {v: v.clone() for v in outer}
    for n in nodes:
        inner = Apply(n.op, [memo.get(v, v) for v in n.inputs], [o.clone() for o in n.outputs])
        memo.update(zip(n.outputs, inner.outputs))
    return Composite([memo[v] for v in outer], [memo[o] for o in used_outside], by_value), outer
