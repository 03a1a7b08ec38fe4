"""The origin documents (shared/seeds/), cell by cell, after the import change only.

Cells that need scan, map or expm are later work and not here; the Jacobian and Hessian
cells are checked through T.jacobian and T.hessian, which build the same matrices."""
import os
import subprocess
import sys
from pathlib import Path

import numpy
import numpy as np
import pytest

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad import function, pp

ROOT = Path(__file__).resolve().parent.parent


def test_grad_of_square_prints_theanos_raw_gradient():
    x = T.dscalar('x')
    y = x ** 2
    gy = T.grad(y, x)
    assert pp(gy) == '((fill((x ** 2), 1.0) * 2) * (x ** (2 - 1)))'
    f = theano.function([x], gy)
    assert repr(f(4)) == 'array(8.)'
    assert numpy.allclose(f(94.2), 188.4)
    assert f(94.2) == 188.4


def test_grad_of_square_optimizes_to_one_node():
    x = T.dscalar('x')
    f = function([x], T.grad(x ** 2, x))
    assert pp(f.maker.fgraph.outputs[0]) == '(2.0 * x)'
    assert pp(f.maker.env.outputs[0]) == '(2.0 * x)'  # seed 002 uses Theano's older name


def test_logistic_gradient():
    x = T.dmatrix('x')
    s = T.sum(1 / (1 + T.exp(-x)))
    gs = T.grad(s, x)
    dlogistic = theano.function([x], gs)
    expected = np.array([[0.25, 0.19661193], [0.19661193, 0.10499359]])
    np.testing.assert_allclose(dlogistic([[0, 1], [-1, -2]]), expected, atol=1e-8)


def test_jacobian_and_hessian_of_the_tutorial():
    x = T.dvector('x')
    y = x ** 2
    f = theano.function([x], T.jacobian(y, x))
    np.testing.assert_array_equal(f([4, 4]), [[8., 0.], [0., 8.]])
    cost = y.sum()
    f = theano.function([x], T.hessian(cost, x))
    np.testing.assert_array_equal(f([4, 4]), [[2., 0.], [0., 2.]])


def test_seed_004_jacobian_prints_its_values():
    x = T.fvector()
    p = T.as_tensor_variable([(x ** i).sum() for i in range(5)])
    j = T.jacobian(p, x)
    f = theano.function([x], [p, j])
    p_value, j_value = f([1., 2., 3.])
    assert repr(p_value) == 'array([ 3.,  6., 14., 36., 98.], dtype=float32)'
    np.testing.assert_array_equal(j_value, [[0., 0., 0.], [1., 1., 1.], [2., 4., 6.],
                                            [3., 12., 27.], [4., 32., 108.]])
    assert j_value.dtype == np.float32


def test_rop_lop_and_hessian_times_vector_in_sequence():
    """Seed 000 runs these cells in one session: the Hessian cells reuse the ``v``
    of the L-operator cell after rebinding ``y``, so they are kept together."""
    W = T.dmatrix('W')
    V = T.dmatrix('V')
    x = T.dvector('x')
    y = T.dot(x, W)
    JV = T.Rop(y, W, V)
    f = theano.function([W, V, x], JV)
    np.testing.assert_array_equal(f([[1, 1], [1, 1]], [[2, 2], [2, 2]], [0, 1]), [2., 2.])

    W = T.dmatrix('W')
    v = T.dvector('v')
    x = T.dvector('x')
    y = T.dot(x, W)
    VJ = T.Lop(y, W, v)
    f = theano.function([v, x], VJ)
    np.testing.assert_array_equal(f([2, 2], [0, 1]), [[0., 0.], [2., 2.]])

    x = T.dvector('x')
    y = T.dvector('v')
    y = T.sum(x ** 2)
    gy = T.grad(y, x)
    vH = T.grad(T.sum(gy * v), x)
    f = theano.function([x, v], vH)
    np.testing.assert_array_equal(f([4, 4], [2, 2]), [4., 4.])

    Hv = T.Rop(gy, x, v)
    f = theano.function([x, v], Hv)
    np.testing.assert_array_equal(f([4, 4], [2, 2]), [4., 4.])


def test_rop_checks_the_eval_point_shape():
    x, v = T.dvector('x'), T.dvector('v')
    f = theano.function([x, v], T.Rop(T.grad(T.sum(x ** 2), x), x, v))
    with pytest.raises(theano.ShapeError, match="Rop eval point"):
        f([4, 4], [2, 2, 2])


def test_gradient_of_dot_with_a_numpy_vector():
    x = T.dvector('x')
    z = T.dot(x, np.array([5, 7]))
    gz = T.grad(z, x)
    output = theano.function(inputs=[x], outputs=gz)
    result = output([1, 20])
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, [5., 7.])


def test_complex_constants():
    x = T.dscalar('x')
    y_R = T.real(2j) * x
    y_I = T.imag(2j) * x
    gy_R = T.grad(y_R, x)
    gy_I = T.grad(y_I, x)
    gy = gy_R + 1j * gy_I
    f = theano.function([x], gy)
    result = f(1.34)
    assert result.dtype == np.complex128 and result.shape == ()
    assert result == 2j


def test_grad_through_concatenate_stays_float32():
    x = T.fscalar()
    y = T.fvector()
    z = T.concatenate([x.reshape((1,)), y.reshape((-1,))])
    e = (z ** 2).sum()
    g = T.grad(e, wrt=x)
    ff = theano.function([x, y], [e, g])
    e_value, g_value = ff(2.0, [1.0, 2.0])
    assert e_value.dtype == g_value.dtype == np.float32
    assert (e_value, g_value) == (9.0, 4.0)


def test_derivatives_example_runs():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               GPUGRAD_CPU_CODEGEN="1")  # as users run it: the CPU's kernels on
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "derivatives.py"), "--device", "cpu"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "device: cpu" in done.stdout
