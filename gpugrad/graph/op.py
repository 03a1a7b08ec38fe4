"""The Op contract: everything gpugrad knows about an operation lives on its class.

==================  ===========================================================
``make_node``       check and convert inputs, derive output types (dtype, shape)
``perform``         NumPy implementation; the oracle every backend is tested against
``infer_shape``     output shapes as symbolic int64 scalars, from input shapes
``pullback``        vector-Jacobian product, written with gpugrad ops (reverse mode)
``pushforward``     Jacobian-vector product, native forward mode
``batch``           batching rule: the op applied over a new leading axis
``cuda``            the CUDA implementation slot (kernel, template or CuPy call)
``fresh_outputs``   True when perform always returns new arrays, never views of
                    its inputs: later nodes may then overwrite them in place
==================  ===========================================================

``__props__`` names the attributes that define an op; two ops with equal props are
interchangeable, which is what merge and printing rely on.
"""
from ..config import config
from .basic import Apply


class Op:
    __props__ = ()
    cuda = None
    fresh_outputs = False

    def _props(self):
        return tuple(getattr(self, p) for p in self.__props__)

    def __eq__(self, other):
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self):
        return hash((type(self), self._props()))

    def __str__(self):
        props = self._props()
        name = type(self).__name__
        return f"{name}{{{', '.join(map(str, props))}}}" if props else name

    __repr__ = __str__

    def __call__(self, *inputs, **kwargs):
        node = self.make_node(*inputs, **kwargs)
        if config.compute_test_value != "off":
            from .debug_values import compute_test_values
            compute_test_values(node)
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    def make_node(self, *inputs) -> Apply:
        raise NotImplementedError(f"{self} has no make_node")

    def perform(self, node, inputs):
        """Return the list of output arrays for the NumPy ``inputs``."""
        raise NotImplementedError(f"{self} has no NumPy implementation")

    def infer_shape(self, node, input_shapes):
        raise NotImplementedError(f"{self} cannot infer its output shape")

    def pullback(self, inputs, outputs, output_grads):
        """Gradients with respect to ``inputs`` given those of ``outputs``; ``None``
        for an input the outputs do not depend on (disconnected)."""
        raise NotImplementedError(f"{self} has no gradient (pullback)")

    def pushforward(self, inputs, outputs, tangents):
        """Tangents of ``outputs`` given those of ``inputs`` (``None`` means zero)."""
        raise NotImplementedError(f"{self} has no R-op (pushforward)")

    def batch(self, inputs, batched):
        """Apply this op over a leading batch axis carried by the inputs flagged in ``batched``."""
        raise NotImplementedError(f"{self} has no batching rule")

    def make_thunk(self, node, storage_in, storage_out):
        """A zero-argument callable computing the node from and into storage cells.
        Ops override it for a faster path; the default goes through ``perform``."""
        perform, n_out = self.perform, len(storage_out)

        def thunk():
            results = perform(node, [cell[0] for cell in storage_in])
            for k in range(n_out):
                storage_out[k][0] = results[k]
        return thunk
