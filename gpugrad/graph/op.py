"""The Op contract: everything gpugrad knows about an operation lives on its class.

==================  ===========================================================
``make_node``       check and convert inputs, derive output types (dtype, shape)
``perform``         NumPy implementation; the oracle every backend is tested against
``infer_shape``     output shapes as symbolic int64 scalars, from input shapes
``pullback``        vector-Jacobian product, written with gpugrad ops (reverse mode)
``pushforward``     Jacobian-vector product, native forward mode
``batch``           batching rule: the op applied over a new leading axis
``cuda``            its CUDA facet (``CudaFacet``): what runs on a device and how;
                    None: the op runs on the host only
``fresh_outputs``   True when perform always returns new arrays, never views of
                    its inputs: later nodes may then overwrite them in place
==================  ===========================================================

``__props__`` names the attributes that define an op; two ops with equal props are
interchangeable, which is what merge and printing rely on. Ops users write (Theano's
``perform(node, inputs, output_storage)``, ``grad``, ``R_op``, ``itypes``/``otypes``) are
mapped onto these facets once per class, and checked, by ``graph/user_op.py``.
"""
from ..config import config
from . import user_op
from .basic import Apply
from .debug_values import compute_test_values


def _everything(node):
    return True


def _nothing(node):
    return frozenset()


class CudaFacet:
    """How an op runs on a CUDA device, declared beside its ``perform`` as ``cuda = CudaFacet(...)``.
    The placement pass and the linker ask it; nothing else lists ops.

    ``implementation``  what runs, in words: a kernel of kernels/, a codegen template, a CuPy
                        routine (shown by ``str``)
    ``thunk``           ``thunk(device, node, storage_in, storage_out)`` -> the zero-argument
                        callable that computes the node from device arrays (helpers for it:
                        ``gpugrad.runtime``); None: the op's own ``make_thunk`` works on device
                        arrays (an op that only makes views)
    ``accepts``         ``node -> bool``: whether the device runs this node (the dtypes its
                        kernels take); None: never on its own, only as a ``view``
    ``host_inputs``     ``node -> positions`` of inputs read on the host (sizes, scalar
                        indices): they stay there, never copied
    ``view``            ``node -> bool``: the output is a view of input 0, placed where it is read
    ``by_value``        ``node -> positions`` of inputs its kernel takes as parameters by value
                        when they are one-element host values (no copy per call)
    ``shapes_only``     the op reads only its inputs' shapes: it runs on the host and its
                        inputs stay where they are
    ``kernels``         the files of kernels/ it launches
    """

    def __init__(self, implementation, thunk=None, accepts=_everything, host_inputs=_nothing, view=None,
                 by_value=_nothing, shapes_only=False, kernels=()):
        self.implementation, self.thunk, self.accepts = implementation, thunk, accepts
        self.host_inputs, self.by_value = host_inputs, by_value
        self.view = view or (lambda node: False)
        self.shapes_only, self.kernels = shapes_only, tuple(kernels)

    def __str__(self):
        return self.implementation


class Op:
    __props__ = ()
    cuda = None  # a CudaFacet where the op runs on a device
    fresh_outputs = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        user_op.adapt(cls)

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

    def __repr__(self):
        return str(self)

    def __call__(self, *inputs, **kwargs):
        node = self.make_node(*inputs, **kwargs)
        if config.compute_test_value != "off":
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
