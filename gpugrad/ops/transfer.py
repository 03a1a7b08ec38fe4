"""Transfer: the explicit copy of a value between the host and a compiled function's device.

The placement pass (rewrites/placement.py) inserts one where a host value feeds a
device node or a device value feeds a host node or an output; which device is a tag
of the compiled node (``node.tag["device"]``), not a property of the op. On the device
a value already there (a device array argument) passes through uncopied. Evaluated on
the host (``perform``) it is the identity. Its derivative is the transfer back:
a cotangent flows device -> host where the value flowed host -> device.
"""
import numpy as np

from ..graph.basic import Apply, Constant
from ..graph.op import CudaFacet, Op
from ..runtime.device_arrays import backend_for
from ..types.variable import TensorVariable, as_tensor_variable

DIRECTIONS = ("device", "host")


def _transfer_thunk(device, node, storage_in, storage_out):
    """A copy, except for what already is on the device: a device array argument passes
    through, and a shared variable (``node.tag["shared"]``) gives its resident copy."""
    be = backend_for(device)
    (src,), (dst,) = storage_in, storage_out
    if node.op.to == "host":
        def thunk():
            value = src[0]
            dst[0] = be.to_host(value) if be.resident(value) else value
    elif "shared" in node.tag:
        shared = node.tag["shared"]

        def thunk():
            dst[0] = shared.on_device(device)
    elif isinstance(node.inputs[0], Constant):
        uploaded = be.to_device(np.asarray(node.inputs[0].data))

        def thunk():
            dst[0] = uploaded
    else:
        def thunk():
            value = src[0]
            dst[0] = value if be.resident(value) else be.to_device(value)
    return thunk


class Transfer(Op):
    """``of_argument``: the value is a graph input, whose argument may already be where it
    goes (a host array read on the host passes through), so the output is not fresh."""
    __props__ = ("to", "of_argument")
    cuda = CudaFacet("a copy between the host and the device (a value already there passes through)",
                     thunk=_transfer_thunk)

    def __init__(self, to, of_argument=False):
        if to not in DIRECTIONS:
            raise ValueError(f"Transfer: 'to' must be one of {DIRECTIONS}, got {to!r}")
        self.to, self.of_argument = to, bool(of_argument)

    def __str__(self):
        return f"transfer_to_{self.to}"

    @property
    def fresh_outputs(self):
        """A copy to the host is new; a value already where it goes passes through."""
        return self.to == "host" and not self.of_argument

    def make_node(self, x):
        x = as_tensor_variable(x)
        out = TensorVariable(x.type)
        out.weak = getattr(x, "weak", False)
        return Apply(self, [x], [out])

    def perform(self, node, inputs):
        return [np.array(inputs[0], copy=True)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def pp(self, node, args):
        """Where a value lives is placement detail: ``pp`` shows the value (``debugprint``
        and ``pydotprint`` show the transfers)."""
        return args[0]

    def back(self):
        return Transfer("host" if self.to == "device" else "device")

    def pullback(self, inputs, outputs, output_grads):
        (g,) = output_grads
        return [None if g is None else self.back()(g)]

    def pushforward(self, inputs, outputs, tangents):
        (t,) = tangents
        return [None if t is None else self(t)]

    def batch(self, inputs, batched):
        return [self(inputs[0])]
