"""The CuPy routines of the linear algebra ops (compile/cupy_linalg.py) on the test device
(the simulated CuPy, or CuPy on a GPU), against each op's own perform: their logic (triangles
mirrored, vector right-hand sides, stacks, logm's inverse scaling and squaring and its
fallback) runs the very lines a GPU runs."""
import numpy as np
import pytest
import scipy.linalg

import gpugrad.tensor as T
from gpugrad.compile import cupy_linalg
from gpugrad.compile.device_arrays import backend_for
from gpugrad.errors import LinAlgError
from gpugrad.graph.traversal import toposort
from gpugrad.linalg.logm import Logm

from device_checks import DEVICE
from test_device_linalg import CASES, _close, _hpd


def _run(op, values):
    """``cupy_linalg.run`` on the test device, the results read back."""
    be = backend_for(DEVICE)
    return [be.to_host(r) for r in cupy_linalg.run(be, op, [be.to_device(v) for v in values])]


def _nodes(name, dtype, ndim):
    """The nodes with a CuPy routine in the graph of ``CASES[name]``."""
    a, b = T.tensor(dtype, shape=(None,) * ndim, name="a"), T.tensor(dtype, shape=(None,) * ndim, name="b")
    out = CASES[name](a, b)
    return {node for node in toposort(out if isinstance(out, list) else [out])
            if type(node.op) in cupy_linalg.ROUTINES}


@pytest.mark.parametrize("batch", [(), (2,)], ids=["matrix", "stack"])
@pytest.mark.parametrize("dtype", ["float64", "complex128"])
@pytest.mark.parametrize("name", list(CASES))
def test_routine_matches_the_op(name, dtype, batch, rng):
    shape = batch + (4, 4)
    nodes = _nodes(name, dtype, len(shape))
    assert nodes, f"no op with a CuPy routine in the graph of {name}"
    for node in nodes:
        values = [_hpd(v.dtype, rng, shape) if v.ndim == len(shape) else _hpd(v.dtype, rng, shape)[..., 0]
                  for v in node.inputs]
        got = _run(node.op, values)
        for g, expected, out in zip(got, node.op.perform(node, values), node.outputs):
            _close(g.astype(out.dtype, copy=False), expected, out.dtype)


@pytest.mark.parametrize("scale", [0.1, 1.0, 40.0])
@pytest.mark.parametrize("dtype", ["float64", "complex128"])
def test_logm_by_inverse_scaling_and_squaring(dtype, scale, rng):
    n = 12
    a = rng.standard_normal((n, n)) / np.sqrt(n) + 2 * np.eye(n)
    if dtype == "complex128":
        a = a + 1j * rng.standard_normal((n, n)) / np.sqrt(n)
    a = (scale * a).astype(dtype)
    (got,) = _run(Logm(), [a])
    np.testing.assert_allclose(got, scipy.linalg.logm(a), rtol=1e-11, atol=1e-11 * scale)


def test_logm_falls_back_to_the_host_where_square_roots_fail():
    """A negative eigenvalue: no real logarithm (the host's error), the principal complex one."""
    a = np.diag([-1.0, 2.0])
    with pytest.raises(LinAlgError, match="no real principal logarithm"):
        _run(Logm(), [a])
    (got,) = _run(Logm(), [a.astype("complex128")])
    np.testing.assert_allclose(got, np.diag([np.pi * 1j, np.log(2.0)]), atol=1e-14)


def test_logm_of_a_rotation_stays_real():
    """Eigenvalues +-i: a real logarithm exists and the real iteration finds it."""
    (got,) = _run(Logm(), [np.array([[0.0, -1.0], [1.0, 0.0]])])
    np.testing.assert_allclose(got, [[0, -np.pi / 2], [np.pi / 2, 0]], atol=1e-13)
