"""The rules CUDA facets share (graph/op.py's ``CudaFacet``): which nodes a device takes, by
the dtypes its kernels are instantiated for, and which inputs are read on the host."""
from ..backends.load import C_TYPES

KERNEL_DTYPES = frozenset(str(dt) for dt in C_TYPES)  # the element types kernels instantiate: all but float16


def always(node):
    return True


def input_in_kernels(node):
    """A kernel instantiated for the input's dtype (bool for all/any, int64 for argmax):
    a float16 input stays on the host."""
    return node.inputs[0].dtype in KERNEL_DTYPES


def output_in_kernels(node):
    return node.outputs[0].dtype in KERNEL_DTYPES


def sizes_from(first):
    """``host_inputs`` of an op whose inputs from ``first`` on are sizes."""
    return lambda node: set(range(first, len(node.inputs)))


def inputs_at(*positions):
    """``host_inputs`` of fixed positions (a model read only for its shape, a condition)."""
    chosen = frozenset(positions)
    return lambda node: chosen
