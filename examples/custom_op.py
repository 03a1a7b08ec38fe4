"""A user-defined op with its own CUDA kernel, its gradient, and both checked by verify_grad on
the CPU and on the CUDA simulator (on a real GPU too, where there is one).

swish(x) = x sigmoid(x) is written as two ops in Theano's interface (make_node, perform,
infer_shape, grad, R_op), each with a CUDA facet beside its perform, declared as gpugrad's own
ops declare theirs: a kernel file with its signature line (examples/kernels/swish.cu and
swish_grad.cu), launched through a KernelLibrary over that folder. The placement pass then runs
the ops on the function's device, next to gpugrad's own kernels; ``perform`` is the NumPy
oracle and runs everywhere else.

    python examples/custom_op.py
"""
import functools
import pathlib

import numpy as np

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad.backends.load import KernelLibrary
from gpugrad.graph.op import CudaFacet
from gpugrad.gradient import verify_grad
from gpugrad.runtime.device_arrays import backend_for

KERNELS = pathlib.Path(__file__).resolve().with_name("kernels")
BLOCK = 256


@functools.cache
def kernels_on(device):
    """This folder's kernels on ``device``'s backend: each compiled once per dtype (and, on the
    simulator, cached on disk), checked against its signature line at every launch."""
    return KernelLibrary(backend_for(device), KERNELS)


def floats(node):
    """The kernels are instantiated for float32 and float64; other dtypes run ``perform``."""
    return node.outputs[0].dtype in ("float32", "float64")


def elementwise_thunk(kernel):
    """A facet's thunk: ``kernel`` over the inputs made contiguous, into a fresh output of their shape."""
    def make(device, node, storage_in, storage_out):
        library = kernels_on(device)
        (out,) = storage_out

        def thunk():
            arrays = [library.backend.xp.ascontiguousarray(cell[0]) for cell in storage_in]
            result = library.backend.allocate(arrays[0].shape, arrays[0].dtype)
            if result.size:
                grid = min(-(-result.size // BLOCK), 4096)
                library.launch(kernel, grid, BLOCK, (*arrays, result, result.size))
            out[0] = result
        return thunk
    return make


class Swish(theano.Op):
    """x sigmoid(x), elementwise."""
    __props__ = ()
    cuda = CudaFacet("examples/kernels/swish.cu", thunk=elementwise_thunk("swish"), accepts=floats)

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        output_storage[0][0] = x / (1 + np.exp(-x))

    def infer_shape(self, node, input_shapes):
        return input_shapes

    def grad(self, inputs, output_grads):
        return [SwishGrad()(inputs[0], output_grads[0])]

    def R_op(self, inputs, eval_points):
        # The Jacobian is diagonal: J t is the same map as J^T g.
        return [None if eval_points[0] is None else SwishGrad()(inputs[0], eval_points[0])]


class SwishGrad(theano.Op):
    """g s (1 + x (1 - s)) with s = sigmoid(x): swish's derivative at x applied to g."""
    __props__ = ()
    cuda = CudaFacet("examples/kernels/swish_grad.cu", thunk=elementwise_thunk("swish_grad"), accepts=floats)

    def make_node(self, x, g):
        x, g = T.as_tensor_variable(x), T.as_tensor_variable(g)
        if x.type != g.type:
            raise TypeError(f"SwishGrad: x ({x.type}) and g ({g.type}) must have one type")
        return theano.Apply(self, [x, g], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, g = inputs
        s = 1 / (1 + np.exp(-x))
        output_storage[0][0] = g * s * (1 + x * (1 - s))

    def infer_shape(self, node, input_shapes):
        return input_shapes[:1]


swish = Swish()


def main():
    rng = np.random.default_rng(0)
    x, v = T.dmatrix("x"), T.dmatrix("v")
    cost = T.sum(swish(x) ** 2)
    value, direction = rng.standard_normal((50, 40)), rng.standard_normal((50, 40))
    results = {}
    for device in ("cpu", "cuda-sim"):
        with theano.config.change_flags(device=device):
            verify_grad(lambda a: swish(a) * a, [value[:5, :4]], rng=rng)  # raises if the gradient were wrong
        f = theano.function([x, v], [swish(x), T.grad(cost, x), T.Rop(swish(x), x, v)], device=device)
        results[device] = f(value, direction)
        where = {str(node.op): place for node, place in f.placement.items() if isinstance(node.op, (Swish, SwishGrad))}
        print(f"{device}: verify_grad passed; Swish and SwishGrad ran on {where}")
    s = 1 / (1 + np.exp(-value))
    expected = [value * s, 2 * value * s * s * (1 + value * (1 - s)), direction * s * (1 + value * (1 - s))]
    for name, got_cpu, got_sim, want in zip(("swish", "grad", "Rop"), results["cpu"], results["cuda-sim"], expected):
        np.testing.assert_allclose(got_cpu, want, rtol=1e-12)
        np.testing.assert_allclose(got_sim, got_cpu, rtol=1e-12)  # the kernel's exp may differ in the last bit
        print(f"{name}: cpu and cuda-sim agree with NumPy")


if __name__ == "__main__":
    main()
