"""Device placement: which node of a compiled graph runs where, and the transfers between.

It runs in the rewrite pipeline after gradients, R-ops and L-ops are built and
rewritten, before fusion, and only for a function compiled for a device (``cpu``
graphs are left untouched). The rules:

* shape arithmetic stays on the host: ``Shape``/``ShapeI`` read only the shape of a
  (possibly device) array, and a 0-d elementwise result of host values (shapes,
  constants, scalar inputs) is computed where its inputs are;
* an op with a CUDA implementation (``DEVICE_OPS``: elementwise, every reduction and
  argmax/argmin (max, min and arg of complex excepted), softmax and log_softmax of
  float32/float64, dot of float and complex operands, Alloc, indexing by one integer array
  on one axis (a gather), inc_subtensor at such an index into a float or complex array (a
  scatter-add) and set/inc_subtensor through a basic index, Join, Fill, Diagonal (a view),
  AllocDiag, Repeat (a gather) and RepeatSum of float or complex (a scatter-add)), and the linear algebra
  ops of ``LINALG_OPS`` (expm, expm_frechet, solve, solve_triangular, cholesky, inverse,
  pinv, det, slogdet, eigh and so eigvalsh and the matrix norms built on it;
  float32/float64/complex64/complex128: all their dtypes) runs on the device. Sizes, the
  integer scalars of an index, repeat counts and the model of a Fill or MatchShape (only
  their shapes are read) stay on the host (``SIZE_INPUTS``);
* a view (``VIEW_OPS``: DimShuffle, Reshape, Split, basic Subtensor, and MatchShape, which
  returns its value after a shape check) goes where it is read;
  one read only for its shape, or returned, stays with the array it looks into;
* every other op runs on the host, its device inputs copied back first. That is the
  documented state until every op has a kernel: other advanced indexing (boolean masks,
  several arrays), set_subtensor at integer arrays, integer dot and the rest
  of the core ops run in NumPy for now, and ``Logm`` (CuPy has no matrix logarithm) runs
  in SciPy;
* one ``Transfer`` per value that crosses, shared by all of its readers: one per input
  used on the device, one per device result read on the host or returned.
  ``fgraph.output_places`` may say otherwise per result: ``"device"`` for the results of
  ``function(..., return_device_arrays=True)`` (a result computed on the host goes
  over, so every result is a device array), ``"either"`` for the new values of shared
  variables, which stay where they are computed (a device update never comes back).
  Scalar constants of elementwise nodes need none (they become kernel literals);
* a shared variable read on the device goes over through its ``Transfer`` too, but that
  one reads the variable's resident device copy (``SharedVariable.on_device``): it is
  uploaded once, not per call.

The result is a tag on every node, ``node.tag["device"]`` (``"cpu"`` for the host),
which ``f.placement``, ``debugprint`` and the linker read.
"""
from ..codegen import elementwise as codegen
from ..ops.elemwise import Elemwise
from ..ops.blas import AllocDiag, Diagonal, Dot
from ..ops.indexing import FULL, index_kinds
from ..ops.join import Join, Repeat, RepeatSum, Split
from ..ops.nnet import LogSoftmax, Softmax
from ..ops.reduce import Arg, Reduce
from ..ops.shape import Alloc, DimShuffle, Fill, MatchShape, Reshape, Shape, ShapeI
from ..ops.subtensor import IncSubtensor, Subtensor
from ..ops.transfer import Transfer
from ..types import dtypes
from .cupy_linalg import ROUTINES as CUPY_LINALG

HOST = "cpu"
LINALG_OPS = tuple(CUPY_LINALG)  # the linear algebra ops with a CuPy routine
_LAPACK_DTYPES = ("float32", "float64", "complex64", "complex128")
_ATOMIC_DTYPES = ("float32", "float64", "complex64", "complex128")  # scatter_add's atomicAdd
_ORDERED = ("max", "min", "argmax", "argmin")  # complex values have no order on the device


def _real_or_unordered(node):
    return node.op.kind not in _ORDERED or not dtypes.is_complex(node.inputs[0].dtype)


def _float_rows(node):
    return node.inputs[0].dtype in ("float32", "float64") and node.outputs[0].dtype == node.inputs[0].dtype


def _lapack_dtype(node):
    return all(v.dtype in _LAPACK_DTYPES for v in node.inputs)


def _inexact_operands(node):
    return all(dtypes.is_inexact(v.dtype) for v in node.inputs)


def _atomic_dtype(node):
    return node.outputs[0].dtype in _ATOMIC_DTYPES


def gather_axis(idx_list):
    """The axis of an index that is full slices then one integer array (``x[:, idx]``,
    ``take``): the form ``kernels.gather``/``scatter_add`` run; None for any other."""
    if idx_list.count("a") != 1 or any(e not in (FULL, "a") for e in idx_list):
        return None
    return idx_list.index("a")


def _basic(node):
    """An index of ints, slices and new axes only: a view."""
    return "a" not in node.op.idx_list


def _gather(node):
    return gather_axis(node.op.idx_list) is not None and node.inputs[-1].dtype != "bool"


def _indexed_write(node):
    """A set or add through a basic index (a view of the copy), or an add at one integer array
    on one axis into a float or complex array (scatter_add's atomics)."""
    return _basic(node) or (not node.op.set_instead_of_inc and _gather(node)
                            and node.outputs[0].dtype in _ATOMIC_DTYPES)


def _always(node):
    return True


def _sizes_from(first):
    return lambda node: set(range(first, len(node.inputs)))


def _scalar_indices(first):
    """The integer scalars of an index (and slice bounds) are read on the host; its arrays go over."""
    return lambda node: {first + k for k, kind in enumerate(index_kinds(node.op.idx_list)) if kind == "?"}


DEVICE_OPS = {  # op class -> (which of its nodes, how they run on the device)
    Elemwise: (codegen.supports, "a generated kernel (codegen/elementwise.py), fused by rewrites/fusion.py"),
    Reduce: (_real_or_unordered, "kernels/reduce.cu through backends/kernels.reduce_axes, every kind"),
    Arg: (_real_or_unordered, "kernels/argreduce.cu through backends/kernels.reduce_axes"),
    Softmax: (_float_rows, "kernels/softmax.cu"),
    LogSoftmax: (_float_rows, "kernels/softmax.cu"),
    Dot: (_inexact_operands, "cupy.matmul (cuBLAS) on cuda; NumPy matmul on cuda-sim"),
    Alloc: (_always, "the generated copy kernel over a broadcast view of the value"),
    Fill: (_always, "an assignment of the value into a fresh array of the model's shape"),
    Diagonal: (_always, "a view of the device array (its diagonal method)"),
    AllocDiag: (_always, "zeros and a strided write of the diagonal (backends/kernels.alloc_diag)"),
    Repeat: (_always, "kernels/gather.cu through backends/kernels.repeat"),
    RepeatSum: (_atomic_dtype, "kernels.scatter_add into zeros through backends/kernels.repeat_sum"),
    Subtensor: (_gather, "kernels/gather.cu through backends/kernels.gather (one integer array on one axis)"),
    IncSubtensor: (_indexed_write, "a device copy of x, then kernels.scatter_add or an assignment through a view"),
    Join: (_always, "copies into the slices of one fresh device array (backends/kernels.concatenate)"),
    **{op: (_lapack_dtype, "CuPy's cuSOLVER/cuBLAS routine on cuda (compile/cupy_linalg.py); the op's "
                           "NumPy/SciPy perform on cuda-sim") for op in LINALG_OPS},
}
# op class -> the positions of its inputs that are sizes or scalar indices: read on the host, never copied
SIZE_INPUTS = {Alloc: _sizes_from(1), Reshape: _sizes_from(1), Split: _sizes_from(1),
               Subtensor: _scalar_indices(1), IncSubtensor: _scalar_indices(2), AllocDiag: _sizes_from(1),
               Fill: lambda node: {0}, MatchShape: lambda node: {1}, Repeat: _sizes_from(1),
               RepeatSum: _sizes_from(1)}
# op class -> which of its nodes are a view of the device array where they are read there: no copy
VIEW_OPS = {DimShuffle: _always, Reshape: _always, Subtensor: _basic, Split: _always, MatchShape: _always}
METADATA_OPS = (Shape, ShapeI)


def _host_scalar(node, on_device):
    """A 0-d result of 0-d host values only (shape arithmetic, a scalar parameter's update):
    copying its inputs over would cost more than computing it."""
    return all(v.ndim == 0 for v in node.outputs + node.inputs) and not any(
        v.owner is not None and on_device.get(v.owner, False) for v in node.inputs)


def _sides(fgraph):
    """``node -> True`` where the node runs on the device."""
    on_device = {}
    order = fgraph.toposort()
    for node in order:
        rule = DEVICE_OPS.get(type(node.op))
        on_device[node] = rule is not None and rule[0](node) and not _host_scalar(node, on_device)
    for node in reversed(order):  # a view goes where it is read, or (returned) stays with its array
        if _is_view(node):
            readers = [client for out in node.outputs for client, _ in fgraph.clients.get(out, ())
                       if not isinstance(client.op, METADATA_OPS)]
            on_device[node] = any(on_device.get(client, False) for client in readers) if readers else \
                _source(node) is not None and on_device.get(_source(node), False)
    return on_device


def _is_view(node):
    return VIEW_OPS.get(type(node.op), lambda node: False)(node)


def _source(node):
    """The node computing the array that ``node``, a view (of views), looks into."""
    while node is not None and _is_view(node):
        node = node.inputs[0].owner
    return node


def _rewire(fgraph, node, pos, new):
    old = node.inputs[pos]
    node.inputs[pos] = new
    fgraph.clients[old] = [(n, p) for n, p in fgraph.clients.get(old, ()) if (n, p) != (node, pos)]
    fgraph._import(new)
    fgraph.clients.setdefault(new, []).append((node, pos))


def place(fgraph, device):
    """Tag every node of ``fgraph`` with where it runs and insert the transfers."""
    on_device = _sides(fgraph)
    copies = {}

    def moved(var, to):
        if (var, to) not in copies:
            copies[var, to] = Transfer(to)(var)
            copies[var, to].owner.tag["device"] = device
        return copies[var, to]

    def resident(var):
        return var.owner is not None and on_device.get(var.owner, False)

    for node, device_side in list(on_device.items()):
        node.tag["device"] = device if device_side else HOST
        if isinstance(node.op, METADATA_OPS):
            continue
        on_host = SIZE_INPUTS.get(type(node.op), lambda node: ())(node) if device_side else ()
        for pos, var in enumerate(list(node.inputs)):
            if pos in on_host:
                continue
            if device_side and not resident(var) and not (isinstance(node.op, Elemwise) and codegen.is_literal(var)):
                _rewire(fgraph, node, pos, moved(var, "device"))
            elif not device_side and resident(var):
                _rewire(fgraph, node, pos, moved(var, "host"))
    places = getattr(fgraph, "output_places", ())
    for k, var in enumerate(fgraph.outputs):
        where = places[k] if k < len(places) else "host"
        if where != "either" and resident(var) != (where == "device"):
            fgraph.outputs[k] = moved(var, where)
            fgraph._import(fgraph.outputs[k])
    fgraph._order = None


class PlacementPhase:
    """The pipeline phase: ``place`` for ``fgraph.device``; nothing for the CPU."""
    name = "placement"

    def __init__(self, modes=("fast_run", "fast_compile", "None")):
        self.modes = modes

    def run(self, fgraph):
        device = getattr(fgraph, "device", HOST)
        if device != HOST:
            place(fgraph, device)

    def __str__(self):
        return "placement: nodes on the function's device or the host, explicit transfers between"
