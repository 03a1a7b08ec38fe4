"""Faults a compiled function must survive: negative sizes, impossible allocations, Ctrl-C."""
import numpy as np
import pytest

import gpugrad
import gpugrad.tensor as T
from gpugrad.backends.cuda_sim import memory
from gpugrad.errors import ShapeError

DEVICES = ["cpu", "cuda-sim"]


def test_the_simulator_allocator_rejects_negative_sizes():
    """Before: ``memory.empty((-1,))`` handed out an array inside the guard page."""
    for shape in [(-1,), (3, -2), -5]:
        with pytest.raises(ShapeError, match="negative"):
            memory.empty(shape, np.float64)


def _negative_size_graphs():
    n, x = T.lscalar("n"), T.dvector("x")
    return {"zeros": ([n], T.zeros((n,))), "ones of a matrix": ([n], T.ones((3, n)) * 2),
            "fill": ([n], T.zeros((n,)).sum()), "alloc": ([x, n], T.alloc(x, n, x.shape[0])),
            "reshape": ([x, n], x.reshape((n, 2))), "reshape with -1": ([x, n], x.reshape((n, -1))),
            "tile": ([x, n], T.tile(x, (n,))), "repeat": ([x, n], T.repeat(x, n)),
            "gradient of an alloc": ([x, n], T.grad((T.alloc(x.sum(), n) ** 2).sum(), x))}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", sorted(_negative_size_graphs()))
def test_a_negative_size_in_a_graph_is_a_shape_error(device, name):
    """Before: the simulator allocated inside a guard page ("grid ... got 0" at the launch), and
    a reshape to (-3, 2) took the -3 for a -1 on both devices."""
    inputs, output = _negative_size_graphs()[name]
    f = gpugrad.function(inputs, output, device=device)
    args = [np.arange(4.0) if v.ndim else -3 for v in inputs]
    with pytest.raises(ShapeError):
        f(*args)
    good = [np.arange(4.0) if v.ndim else 2 for v in inputs]
    expected = gpugrad.function(inputs, output, device="cpu")(*good)
    np.testing.assert_allclose(f(*good), expected)  # the function still works
