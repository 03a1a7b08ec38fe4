"""``gemm(c, alpha, a, b) = c + alpha * a @ b`` of matrices: BLAS's gemm with beta 1.

The CPU rewrite of rewrites/blas.py makes it from a product added to a matrix (an SGD
update ``W - lr * dot(X.T, g)``). ``Dot`` and an elementwise kernel write the product out
and read it back; gemm adds each tile of the product into ``c`` while it is in cache.

On the host ``c`` is copied, or written over where the memory plan tags it ``inplace`` (a
fresh intermediate nothing reads afterwards), and the product is added by the BLAS NumPy
calls (runtime/host_blas.py); NumPy's ``c + alpha * (a @ b)`` for layouts BLAS cannot
read. A function may instead apply an update of this form to the shared variable's own
array (compile/in_place.py). On a device: ``Dot``'s product (cuBLAS) and the generated
elementwise kernel of ``c + alpha * p``, the two kernels the graph had before the rewrite.
"""
import numpy as np

from ..errors import ShapeError
from ..graph.basic import Apply
from ..graph.op import CudaFacet, Op
from ..runtime import host_blas
from ..runtime.elementwise import composite_thunk
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable
from . import scalar as S
from .blas import Dot, conj_if_complex, dot_thunk
from .elemwise import Composite
from .reduce import sum as sum_
from .shape import dimshuffle

DTYPES = frozenset(("float32", "float64", "complex64", "complex128"))
_PRODUCT = Dot(0, 1)


def check_shapes(c, a, b):
    """The run-time shapes agree: ``a`` (m, k), ``b`` (k, n), ``c`` (m, n)."""
    if a.shape[1] != b.shape[0] or c.shape != (a.shape[0], b.shape[1]):
        raise ShapeError(f"gemm: c + alpha * a @ b needs a (m, k), b (k, n) and c (m, n); "
                         f"got c {c.shape}, a {a.shape}, b {b.shape}")


def plan_or_sum(gemm, node, c, alpha, a, b):
    """``(plan, None)`` where ``gemm`` (host_blas, or None) can add ``a @ b`` reading the
    operands as they are, the shapes checked; else ``(None, c + alpha * a @ b)`` by NumPy."""
    plan = gemm.plan(a, b) if gemm is not None else None
    if plan is None:
        return None, node.op.perform(node, [c, alpha, a, b])[0]
    check_shapes(c, a, b)
    return plan, None


def _axpy(dtype):
    """The elementwise ``c + alpha * p`` (alpha a one-element host value) as a ``Composite``."""
    c, alpha, p = (TensorVariable(TensorType(dtype, shape)) for shape in ((None, None), (1, 1), (None, None)))
    return Composite([c, alpha, p], [S.add(c, S.mul(alpha, p))], by_value=(1,))


def _device_thunk(device, node, storage_in, storage_out):
    """``Dot``'s product into a cell of its own, then the elementwise kernel adds it to ``c``."""
    (c_cell, alpha_cell, a_cell, b_cell), product = storage_in, [None]
    dot = dot_thunk(device, _PRODUCT.make_node(*node.inputs[2:]), [a_cell, b_cell], [product])
    axpy = _axpy(node.outputs[0].dtype)  # its node's inputs: c, alpha, and the product (the output's type)
    add = composite_thunk(device, axpy.make_node(node.inputs[0], axpy.inputs[1], node.outputs[0]),
                          [c_cell, alpha_cell, product], storage_out)

    def thunk():
        c, a, b = c_cell[0], a_cell[0], b_cell[0]
        check_shapes(c, a, b)
        dot()
        try:
            add()
        finally:
            product[0] = None
    return thunk


class Gemm(Op):
    """``c + alpha * a @ b``; see the module docstring."""
    fresh_outputs = True
    cuda = CudaFacet("Dot's cupy.matmul (cuBLAS), then the generated elementwise kernel of c + alpha * p",
                     thunk=_device_thunk, host_inputs=lambda node: {1})

    def make_node(self, c, alpha, a, b):
        c, alpha, a, b = (as_tensor_variable(v) for v in (c, alpha, a, b))
        if (c.ndim, alpha.ndim, a.ndim, b.ndim) != (2, 0, 2, 2):
            raise ShapeError(f"gemm: c, a and b must be matrices and alpha a scalar; got c {c.type}, "
                             f"alpha {alpha.type}, a {a.type}, b {b.type}")
        if len({c.dtype, alpha.dtype, a.dtype, b.dtype}) > 1 or c.dtype not in DTYPES:
            raise TypeError(f"gemm: c, alpha, a and b must share one float or complex dtype; got "
                            f"{c.dtype}, {alpha.dtype}, {a.dtype}, {b.dtype}")
        (cm, cn), (am, ak), (bk, bn) = c.type.shape, a.type.shape, b.type.shape
        for what, x, y in (("a's columns and b's rows", ak, bk), ("c's rows and a's rows", cm, am),
                           ("c's columns and b's columns", cn, bn)):
            if None not in (x, y) and x != y:
                raise ShapeError(f"gemm: {what} differ ({x} and {y}): c {c.type}, a {a.type}, b {b.type}")
        shape = (cm if cm is not None else am, cn if cn is not None else bn)
        return Apply(self, [c, alpha, a, b], [TensorVariable(TensorType(c.dtype, shape))])

    def perform(self, node, inputs):
        c, alpha, a, b = inputs
        check_shapes(c, a, b)
        return [np.asarray(c + alpha * (a @ b), dtype=c.dtype)]

    def make_thunk(self, node, storage_in, storage_out):
        """BLAS into a copy of ``c`` (or into ``c`` itself where the memory plan says so)."""
        gemm, in_place = host_blas.gemm_for(node.outputs[0].dtype), node.tag.get("inplace") == 0
        (c_cell, alpha_cell, a_cell, b_cell), (out,) = storage_in, storage_out

        def thunk():
            c, alpha, a, b = c_cell[0], alpha_cell[0], a_cell[0], b_cell[0]
            plan, out[0] = plan_or_sum(gemm, node, c, alpha, a, b)
            if plan is None:
                return
            target = c if in_place and c.flags.c_contiguous and c.flags.writeable else np.array(c, order="C")
            out[0] = gemm(target, alpha, a, b, plan)
        return thunk

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def pp(self, node, args):
        """The sum it computes (``debugprint`` shows the gemm node, as it shows fusion)."""
        c, alpha, a, b = args
        return f"({c} + ({alpha} * {_PRODUCT}({a}, {b})))"

    def pullback(self, inputs, outputs, output_grads):
        c, alpha, a, b = inputs
        (g,) = output_grads
        g_a, g_b = _PRODUCT.pullback([a, b], None, [S.mul(g, conj_if_complex(alpha))])
        return [g, sum_(S.mul(g, conj_if_complex(_PRODUCT(a, b)))), g_a, g_b]

    def pushforward(self, inputs, outputs, tangents):
        c, alpha, a, b = inputs
        t_c, t_alpha, t_a, t_b = tangents
        (t_product,) = _PRODUCT.pushforward([a, b], None, [t_a, t_b])
        terms = [t for t in (t_c, None if t_alpha is None else S.mul(t_alpha, _PRODUCT(a, b)),
                             None if t_product is None else S.mul(alpha, t_product)) if t is not None]
        return [S.add(*terms) if len(terms) > 1 else terms[0] if terms else None]

    def batch(self, inputs, batched):
        """As ``c + alpha * dot(a, b)`` with each op's own rule (a batched product is one
        batched GEMM; the rewrite makes a gemm again only of unbatched matrices)."""
        c, alpha, a, b = inputs
        product = _PRODUCT.batch([a, b], batched[2:])[0] if any(batched[2:]) else _PRODUCT(a, b)
        if batched[1]:
            alpha = dimshuffle(alpha, [0, "x", "x"])
        return [S.add(c, S.mul(alpha, product))]


gemm = Gemm()
