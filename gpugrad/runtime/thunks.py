"""The device thunk of a node: what its op's CUDA facet makes (``Op.cuda``, graph/op.py),
with the errors a device raises named by the node.

A failed device allocation (CuPy's ``OutOfMemoryError``, the simulator's ``MemoryError``)
becomes a ``DeviceMemoryError`` naming the node and the bytes asked for. With
``config.sync_launches`` (``GPUGRAD_SYNC_LAUNCHES=1``) every device node waits for its
kernels, so a kernel that faults is reported at its own node, not at a later read-back.
"""
from ..config import config
from ..errors import DeviceMemoryError
from .device_arrays import backend_for, requested_bytes


def device_thunk(node, storage_in, storage_out):
    """The thunk of ``node`` on ``node.tag["device"]``: its op's facet's, or the op's own
    ``make_thunk`` where the facet has none (a view works on device arrays as on NumPy's)."""
    device, facet = node.tag["device"], node.op.cuda
    if facet is None or facet.thunk is None:
        return node.op.make_thunk(node, storage_in, storage_out)
    thunk = _reporting_memory(node, facet.thunk(device, node, storage_in, storage_out))
    return _synchronized(backend_for(device), thunk) if config.sync_launches else thunk


def _reporting_memory(node, thunk):
    """``thunk``, a failed device allocation in it raised as a ``DeviceMemoryError`` naming the
    node and the bytes asked for. Nothing is left half-written that a later call reads: every
    call refills the cells."""
    def run():
        try:
            thunk()
        except MemoryError as exc:
            nbytes = requested_bytes(exc)
            asked = "an allocation" if nbytes is None else f"an allocation of {nbytes:,} bytes"
            raise DeviceMemoryError(
                f"out of {node.tag['device']} memory: {asked} failed while computing {node.op} of inputs "
                f"({', '.join(map(str, node.inputs))}) ({exc})") from exc
    return run


def _synchronized(be, thunk):
    """``thunk``, then a wait for its kernels: a fault is raised here, naming this node."""
    def run():
        thunk()
        be.synchronize()
    return run
