"""Fused ops beyond one elementwise region: ``FusedReduction`` (elementwise work, reductions
over one set of axes and the elementwise work on their results, as one row program,
codegen/reduction.py) and ``ElementwiseGroup`` (independent elementwise kernels of different
shapes as one launch, codegen/grouped.py).

The fusion phase (rewrites/fusion.py, rewrites/row_fusion.py) builds them; ``perform`` runs
the inner graphs node by node with each op's NumPy ``perform`` (the oracle), the device runs
the generated kernel (runtime/reduction.py, runtime/elementwise.py), the CPU a
``FusedReduction``'s generated C++ (runtime/host_reduction.py)."""
from ..codegen import grouped, reduction as codegen
from ..graph.basic import Apply
from ..graph.op import CudaFacet, Op
from ..graph.traversal import toposort
from ..runtime.elementwise import group_thunk
from ..runtime.reduction import reduction_thunk
from .elemwise import Elemwise, InnerGraph
from .reduce import Reduce


def _step(node):
    if isinstance(node.op, Elemwise):
        return codegen.Step(node, "map")
    if isinstance(node.op, Reduce):
        return codegen.Step(node, "reduce", node.op.kind)
    return codegen.Step(node, "view")


class FusedReduction(InnerGraph):
    """The row program ``inputs`` -> ``outputs`` over full values of rank ``rank`` reduced
    over ``axes``; inputs at the positions ``by_value`` are one-element host values."""
    cuda = CudaFacet("its generated row kernel (codegen/reduction.py, runtime/reduction.py)", thunk=reduction_thunk)

    def __init__(self, inputs, outputs, rank, axes, by_value=()):
        self.inputs, self.outputs = list(inputs), list(outputs)
        self.by_value = frozenset(by_value)
        self.nodes = toposort(self.outputs, blockers=self.inputs)
        self.plan = codegen.RowPlan(self.inputs, self.outputs, [_step(n) for n in self.nodes], rank, axes, by_value)
        self.source = codegen.render(self.plan)

    def __str__(self):
        return "fused_reduce{" + ",".join(str(n.op) for n in self.nodes) + "}"

    def make_node(self, *inputs):
        return Apply(self, list(inputs), self.new_outputs(out.type.shape for out in self.outputs))

    def make_thunk(self, node, storage_in, storage_out):
        """On the CPU: the generated C++ rows once they are built, NumPy until then
        (runtime/host_reduction.py)."""
        from ..runtime.host_reduction import reduction_host_thunk
        return reduction_host_thunk(self, node, storage_in, storage_out)

    def infer_shape(self, node, input_shapes):
        shapes = dict(zip(self.inputs, input_shapes))
        for inner in self.nodes:
            given = [shapes[v] if v in shapes else v.data.shape for v in inner.inputs]
            shapes.update(zip(inner.outputs, inner.op.infer_shape(inner, given)))
        return [shapes[o] for o in self.outputs]


class ElementwiseGroup(Op):
    """Independent ``Composite`` ops (``parts``) run by one launch: the node's inputs and
    outputs are the parts' in order."""
    __props__ = ("source",)
    fresh_outputs = True
    cuda = CudaFacet("its generated kernel of several parts (codegen/grouped.py, runtime/elementwise.py)",
                     thunk=group_thunk)

    def __init__(self, parts):
        self.parts = list(parts)
        self.source = grouped.render(self.parts)
        self.inputs_of, self.outputs_of, i, o = [], [], 0, 0
        for part in self.parts:
            self.inputs_of.append(slice(i, i + len(part.inputs)))
            self.outputs_of.append(slice(o, o + len(part.outputs)))
            i, o = i + len(part.inputs), o + len(part.outputs)

    def __str__(self):
        return "grouped{" + ";".join(str(part) for part in self.parts) + "}"

    def part_nodes(self, inputs):
        """Each part's node over its share of ``inputs``."""
        return [part.make_node(*inputs[span]) for part, span in zip(self.parts, self.inputs_of)]

    def make_node(self, *inputs):
        return Apply(self, list(inputs), [o.clone() for node in self.part_nodes(list(inputs)) for o in node.outputs])

    def perform(self, node, inputs):
        return [out for part, span in zip(self.parts, self.inputs_of) for out in part.perform(None, inputs[span])]

    def infer_shape(self, node, input_shapes):
        return [shape for part, span, inner in zip(self.parts, self.inputs_of, self.part_nodes(node.inputs))
                for shape in part.infer_shape(inner, input_shapes[span])]

    def pp(self, node, args):
        return [text for part, span, inner in zip(self.parts, self.inputs_of, self.part_nodes(node.inputs))
                for text in part.pp(inner, args[span])]
