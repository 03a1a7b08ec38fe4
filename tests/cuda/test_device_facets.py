"""Ops carry their device side (``cuda = CudaFacet(...)`` beside ``perform``): an op defined
outside gpugrad runs on the device with nothing registered anywhere else, and every kernel a
facet names is a file of kernels/."""
import numpy as np

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.backends.load import KERNELS_DIR
from gpugrad.graph.basic import Apply
from gpugrad.graph.op import CudaFacet, Op
from gpugrad.runtime.device_arrays import backend_for
from gpugrad.runtime.facets import always

from device_checks import DEVICE, host

TWICE = r"""
extern "C" __global__ void twice(const double* x, double* y, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        y[i] = 2 * x[i];
}
"""


def _twice_thunk(device, node, storage_in, storage_out):
    be = backend_for(device)
    kernel = be.load_module(TWICE, name="twice").get_function("twice")
    (src,), (dst,) = storage_in, storage_out

    def thunk():
        x = be.xp.ascontiguousarray(src[0])
        out = be.allocate(x.shape, x.dtype)
        be.launch(kernel, 4, 64, [x, out, np.int64(x.size)])
        dst[0] = out
    return thunk


class Twice(Op):
    """2 x, for float64 arrays: a user's op with its own CUDA kernel."""
    cuda = CudaFacet("the twice kernel above", thunk=_twice_thunk, accepts=always)

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs):
        return [2 * inputs[0]]


def test_a_users_op_with_its_own_kernel_runs_on_the_device(rng):
    x = T.dvector("x")
    f = gg.function([x], Twice()(T.exp(x)) + 1, device=DEVICE, return_device_arrays=True)
    assert {d for node, d in f.placement.items() if isinstance(node.op, Twice)} == {DEVICE}
    value = rng.standard_normal(1000)
    np.testing.assert_allclose(host(f(value)), 2 * np.exp(value) + 1, rtol=1e-12)


def _ops(cls=Op):
    for sub in cls.__subclasses__():
        yield sub
        yield from _ops(sub)


def test_every_kernel_a_facet_names_is_in_kernels():
    named = {k for op in _ops() if isinstance(op.cuda, CudaFacet) for k in op.cuda.kernels}
    assert named and named <= {p.name for p in KERNELS_DIR.glob("*.cu")}
