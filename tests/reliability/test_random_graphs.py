"""A seeded sample of random_graphs.py: dot, reductions, indexing, scan and linear algebra
nodes, values and gradients on cpu and cuda-sim against the unoptimized graph and finite
differences, in float32 and float64. ``python tests/reliability/random_graphs.py 0 1000``
runs more."""
import numpy as np
import pytest

import gpugrad
import gpugrad.tensor as T
from random_graphs import check


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("seed", range(10))
def test_random_graph_on_both_devices(seed, dtype):
    check(seed, dtype, sim=True)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_random_graphs_on_the_cpu(dtype):
    for seed in range(10, 70):
        check(seed, dtype, sim=False)


# ---- each bug the fuzzing found, as the smallest graph that showed it

def test_two_weak_scalars_of_a_product_keep_float32():
    """Before: ``x * 2 * y * 2 * c`` (float32 vectors, a float32 constant array) did not compile:
    folding the constants of the flattened product multiplied the two 2s into an int64 NumPy
    scalar, which promoted the float32 constant to float64 (GpugradError in combine_constants)."""
    x, y = T.fvector("x"), T.fvector("y")
    c = np.float32([1.5, 0.5, 2.0])
    f = gpugrad.function([x, y], x * 2 * y * 2 * c)
    result = f(np.ones(3, "float32"), np.full(3, 2, "float32"))
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result, 8 * c)


def test_a_second_derivative_through_erf_compiles_in_float32():
    """Before: GpugradError in neg_out_of_products. The gradient's seed, a fill replaced by a
    cast of the Python number 1.0 (weak), sat under a negation; taking the negation out of the
    product made the product float64."""
    x = T.fscalar("x")
    h = T.log(1 + x * x)
    g = gpugrad.grad(h - T.erf(h), x)
    second = gpugrad.grad(T.cos(g) * np.float32(0.75), x)
    f = gpugrad.function([x], second)
    value = f(np.float32(0.7))
    assert value.dtype == np.float32
    wide = T.dscalar("x")
    h64 = T.log(1 + wide * wide)
    expected = gpugrad.function([wide], gpugrad.grad(T.cos(gpugrad.grad(h64 - T.erf(h64), wide)) * 0.75, wide))(0.7)
    assert value == pytest.approx(expected, rel=1e-4)
