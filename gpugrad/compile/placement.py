"""Device placement: which node of a compiled graph runs where, and the transfers between.

It runs in the rewrite pipeline after gradients, R-ops and L-ops are built and
rewritten, before fusion, and only for a function compiled for a device (``cpu``
graphs are left untouched). The rules:

* shape arithmetic stays on the host: ``Shape``/``ShapeI`` read only the shape of a
  (possibly device) array, and a 0-d elementwise result of host values (shapes,
  constants, scalar inputs) is computed where its inputs are;
* an op with a CUDA implementation (``DEVICE_OPS``: elementwise, every reduction and
  argmax/argmin (complex values in NumPy's lexicographic order), softmax and log_softmax of
  float32/float64, dot of every dtype (integer and bool by kernels/int_matmul.cu), arange of
  integer, float32 and float64, Alloc, every form of indexing and set/inc_subtensor (basic
  indices as views; integer arrays, ints mixed with them and boolean masks by gather and
  scatter kernels) and the categorical crossentropy's PickClass/PlaceClass, of every dtype
  but float16, Join, Fill, Diagonal (a view),
  AllocDiag, Repeat (a gather) and RepeatSum (a scatter-add), the convolution and pooling ops of
  ``device_conv.py``), and the linear algebra
  ops of ``LINALG_OPS`` (expm, expm_frechet, solve, solve_triangular, cholesky, inverse,
  pinv, det, slogdet, logm, eigh and so eigvalsh and the matrix norms built on it;
  float32/float64/complex64/complex128: all their dtypes), and scan loops with device work
  (scan/device.py) run on the device. Sizes, the
  integer scalars of an index, repeat counts, the start, stop and step of an arange (its
  length) and the model of a Fill or MatchShape (only
  their shapes are read) stay on the host (``SIZE_INPUTS``);
* a view (``VIEW_OPS``: DimShuffle, Reshape, Split, basic Subtensor, and MatchShape, which
  returns its value after a shape check) goes where it is read as an array (a reader taking
  it by value, below, reads it on the host); one read only for its shape, or returned,
  stays with the array it looks into;
* every other node runs on the host, its device inputs copied back first: a dtype no kernel
  instantiates (float16), softmax of other dtypes;
* one ``Transfer`` per value that crosses, shared by all of its readers: one per input
  used on the device, one per device result read on the host or returned, and one per
  input read on the host or returned as it is (its argument may be a device array; for a
  host array that transfer passes it through).
  ``fgraph.output_places`` may say otherwise per result: ``"device"`` for the results of
  ``function(..., return_device_arrays=True)`` (a result computed on the host goes
  over, so every result is a device array), ``"either"`` for the new values of shared
  variables, which stay where they are computed (a device update never comes back).
  Scalar constants of elementwise nodes need none (they become kernel literals), nor does
  a one-element host value read by a device elementwise node or filling a device ``Alloc``
  (``_reads_by_value``: shape arithmetic such as ``1 / batch_size``, a learning rate
  passed as a Python float): it stays on the host, its views with it (unless another
  reader needs them as arrays), and the kernel takes it as a parameter by value
  (``node.tag["by_value"]``, the positions; codegen/elementwise.py): no copy per call.
  Graph inputs qualify only where the graph's maker says their arguments come from the
  host (``fgraph.host_arguments``: a function's own inputs); one read so goes through the
  pass-through ``Transfer`` to the host, which copies a device array argument back (one
  synchronous read). Other inputs keep their ``Transfer`` to the device: a shared
  variable is read from its resident copy and a scan body's slots are device arrays
  already, which costs no copy per call, where reading them on the host would;
* a shared variable read on the device goes over through its ``Transfer`` too, but that
  one reads the variable's resident device copy (``SharedVariable.on_device``): it is
  uploaded once, not per call.

The result is a tag on every node, ``node.tag["device"]`` (``"cpu"`` for the host),
which ``f.placement``, ``debugprint`` and the linker read.
"""
import numpy as np

from ..codegen import elementwise as codegen
from ..graph.basic import Constant
from ..ops.elemwise import Elemwise
from ..ops.blas import AllocDiag, Diagonal, Dot
from ..ops.indexing import index_kinds
from ..ops.join import ARange, Join, Repeat, RepeatSum, Split
from ..ops.nnet import LogSoftmax, PickClass, PlaceClass, Softmax
from ..ops.reduce import Arg, Reduce
from ..ops.shape import Alloc, DimShuffle, Fill, MatchShape, Reshape, Shape, ShapeI
from ..ops.specify import SpecifyShape
from ..ops.subtensor import IncSubtensor, Subtensor
from ..ops.transfer import Transfer
from ..scan.device import has_device_work, host_inputs
from ..scan.op import Scan
from ..backends.load import C_TYPES
from ..ifelse import IfElse
from ..printing import Print
from .cupy_linalg import ROUTINES as CUPY_LINALG
from . import device_conv

HOST = "cpu"
LINALG_OPS = tuple(CUPY_LINALG)  # the linear algebra ops with a CuPy routine
_LAPACK_DTYPES = ("float32", "float64", "complex64", "complex128")
_KERNEL_DTYPES = tuple(str(dt) for dt in C_TYPES)  # the element types kernels instantiate: all but float16
_ARANGE_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64")


def _kernel_input(node):
    """The reduction kernels are instantiated for the input's dtype, not the output's (bool for
    all/any, int64 for argmax): a float16 input stays on the host."""
    return node.inputs[0].dtype in _KERNEL_DTYPES


def _float_rows(node):
    return node.inputs[0].dtype in ("float32", "float64") and node.outputs[0].dtype == node.inputs[0].dtype


def _lapack_dtype(node):
    return all(v.dtype in _LAPACK_DTYPES for v in node.inputs)


def _arange_dtype(node):
    return node.outputs[0].dtype in _ARANGE_DTYPES


def _basic(node):
    """An index of ints, slices and new axes only: a view."""
    return "a" not in node.op.idx_list


def _indexable(node):
    """A basic index (a view, or a write through one), or an advanced one of an array whose
    dtype the gather and scatter kernels instantiate."""
    return _basic(node) or _kernel_dtype(node)


def _kernel_dtype(node):
    return node.outputs[0].dtype in _KERNEL_DTYPES


def _always(node):
    return True


def _sizes_from(first):
    return lambda node: set(range(first, len(node.inputs)))


def _scalar_indices(first):
    """The integer scalars of an index (and slice bounds) are read on the host; its arrays go over."""
    return lambda node: {first + k for k, kind in enumerate(index_kinds(node.op.idx_list)) if kind == "?"}


DEVICE_OPS = {  # op class -> (which of its nodes, how they run on the device)
    Elemwise: (codegen.supports, "a generated kernel (codegen/elementwise.py), fused by rewrites/fusion.py"),
    Reduce: (_kernel_input, "kernels/reduce.cu through backends/kernels.reduce_axes, every kind"),
    Arg: (_kernel_input, "kernels/argreduce.cu through backends/kernels.reduce_axes"),
    Softmax: (_float_rows, "kernels/softmax.cu"),
    LogSoftmax: (_float_rows, "kernels/softmax.cu"),
    Dot: (_always, "cupy.matmul (cuBLAS) on cuda, NumPy matmul on cuda-sim; kernels/int_matmul.cu for integers"),
    ARange: (_arange_dtype, "kernels/arange.cu through backends/kernels.arange, its length from the host scalars"),
    Alloc: (_kernel_dtype, "the generated copy kernel over a broadcast view of the value"),
    Fill: (_always, "an assignment of the value into a fresh array of the model's shape"),
    Diagonal: (_always, "a view of the device array (its diagonal method)"),
    AllocDiag: (_always, "zeros and a strided write of the diagonal (backends/kernels.alloc_diag)"),
    Repeat: (_kernel_dtype, "kernels/gather.cu through backends/kernels.repeat"),
    RepeatSum: (_kernel_dtype, "kernels.scatter_add into zeros through backends/kernels.repeat_sum"),
    Subtensor: (_indexable, "a view, kernels/gather.cu (one integer array on one axis) or kernels/gather_nd.cu "
                            "(compile/device_indexing.py)"),
    IncSubtensor: (_indexable, "a device copy of x, then an assignment through a view, kernels.scatter_add or "
                               "kernels/scatter_nd.cu (compile/device_indexing.py)"),
    PickClass: (_kernel_dtype, "kernels/gather_nd.cu, the rows stepped by position (compile/device_indexing.py)"),
    PlaceClass: (_kernel_dtype, "zeros and kernels/scatter_nd.cu, as PickClass"),
    Join: (_always, "copies into the slices of one fresh device array (backends/kernels.concatenate)"),
    Scan: (has_device_work, "its body compiled for the device, run over device arrays (scan/device.py)"),
    IfElse: (_always, "device copies of the chosen branch's values, its condition read back once (ifelse.py)"),
    **{op: (_lapack_dtype, "CuPy's cuSOLVER/cuBLAS routine on cuda (compile/cupy_linalg.py); the op's "
                           "NumPy/SciPy perform on cuda-sim") for op in LINALG_OPS},
    **device_conv.DEVICE_OPS,
}
# op class -> the positions of its inputs that are sizes or scalar indices: read on the host, never copied
SIZE_INPUTS = {Alloc: _sizes_from(1), Reshape: _sizes_from(1), Split: _sizes_from(1),
               Subtensor: _scalar_indices(1), IncSubtensor: _scalar_indices(2), AllocDiag: _sizes_from(1),
               Fill: lambda node: {0}, MatchShape: lambda node: {1}, Repeat: _sizes_from(1),
               RepeatSum: _sizes_from(1), PlaceClass: lambda node: {2}, ARange: _sizes_from(0), Scan: host_inputs,
               SpecifyShape: _sizes_from(1), IfElse: lambda node: {0}, **device_conv.SIZE_INPUTS}
# op class -> which of its nodes are a view of the device array where they are read there: no copy
VIEW_OPS = {DimShuffle: _always, Reshape: _always, Subtensor: _basic, Split: _always, MatchShape: _always,
            SpecifyShape: _always, Print: _always}
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
    host_arguments = getattr(fgraph, "host_arguments", ())
    for node in order:
        rule = DEVICE_OPS.get(type(node.op))
        on_device[node] = rule is not None and rule[0](node) and not _host_scalar(node, on_device)
    for node in reversed(order):  # a view goes where it is read as an array, or (returned) stays with it
        if _is_view(node):
            readers = [(client, pos) for out in node.outputs for client, pos in fgraph.clients.get(out, ())
                       if not isinstance(client.op, METADATA_OPS)]
            on_device[node] = any(on_device.get(client, False) and not _reads_by_value(
                client, pos, on_device, host_arguments) for client, pos in readers) if readers else \
                _source(node) is not None and on_device.get(_source(node), False)
    for node in order:  # a view of one that went over for another reader follows it there
        if _is_view(node) and not on_device[node] and on_device.get(node.inputs[0].owner, False):
            on_device[node] = any(on_device.get(client, False) for out in node.outputs
                                  for client, _ in fgraph.clients.get(out, ()))
    return on_device


def _reads_by_value(node, pos, on_device, host_arguments):
    """Whether the device node ``node`` takes its input ``pos`` as a kernel parameter by value:
    a one-element host value (``_host_value``) read by an elementwise kernel (a literal needs
    no parameter) or filling an ``Alloc``, of a dtype kernels take."""
    var = node.inputs[pos]
    if not (isinstance(node.op, Elemwise) and not codegen.is_literal(var) or isinstance(node.op, Alloc) and pos == 0):
        return False
    return all(size == 1 for size in var.type.shape) and np.dtype(var.dtype) in codegen.C_TYPES and \
        _host_value(var, on_device, host_arguments)


def _host_value(var, on_device, host_arguments):
    """A value the host holds: computed there (a view of it too), a constant, or one of
    ``host_arguments``."""
    while var.owner is not None and _is_view(var.owner):
        var = var.owner.inputs[0]
    if var.owner is not None:
        return not on_device.get(var.owner, False)
    return isinstance(var, Constant) or var in host_arguments


def _is_view(node):
    return VIEW_OPS.get(type(node.op), lambda node: False)(node)


def _source(node):
    """The node computing the array that ``node``, a view (of views), looks into."""
    while node is not None and _is_view(node):
        node = node.inputs[0].owner
    return node


def rewire(fgraph, node, pos, new):
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
            copies[var, to] = Transfer(to, of_argument=var in arguments)(var)
            copies[var, to].owner.tag["device"] = device
        return copies[var, to]

    def resident(var):
        return var.owner is not None and on_device.get(var.owner, False)

    arguments = set(fgraph.inputs)  # their values may be device arrays: a host reader needs a Transfer

    def needs_host_copy(var):
        return resident(var) or var in arguments

    host_arguments = getattr(fgraph, "host_arguments", ())
    for node, device_side in list(on_device.items()):
        node.tag["device"] = device if device_side else HOST
        if isinstance(node.op, METADATA_OPS):
            continue
        on_host = SIZE_INPUTS.get(type(node.op), lambda node: ())(node) if device_side else ()
        by_value = {pos for pos, var in enumerate(node.inputs) if device_side and pos not in on_host
                    and not resident(var) and _reads_by_value(node, pos, on_device, host_arguments)}
        if by_value:
            node.tag["by_value"] = by_value
        for pos, var in enumerate(list(node.inputs)):
            if pos in on_host:
                continue
            read_on_host = not device_side or pos in by_value
            literal = isinstance(node.op, Elemwise) and codegen.is_literal(var)
            if not read_on_host and not resident(var) and not literal:
                rewire(fgraph, node, pos, moved(var, "device"))
            elif read_on_host and needs_host_copy(var):
                rewire(fgraph, node, pos, moved(var, "host"))
    places = getattr(fgraph, "output_places", ())
    for k, var in enumerate(fgraph.outputs):
        where = places[k] if k < len(places) else "host"
        if where == "host" and needs_host_copy(var) or where == "device" and not resident(var):
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
