"""Theano's debugging surface: ``printing.Print`` (prints when its node runs, on every
device), ``printing.pprint``, ``config.compute_test_value`` with ``tag.test_value`` (the
error raised at the line that built the bad node), ``print_test_value`` and the
``config.warn`` flags."""
import numpy as np
import pytest

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad.errors import ComputeTestValueError
from gpugrad.gradient import verify_grad
from gpugrad.printing import Print

DEVICES = ["cpu", "cuda-sim"]


@pytest.mark.parametrize("device", DEVICES)
def test_print_prints_when_its_node_runs(device, capsys, rng):
    x = T.dvector('x')
    x_printed = Print('this is a very important value')(x)
    f = theano.function([x], x * 5, device=device)
    f_with_print = theano.function([x], x_printed * 5, device=device)
    assert capsys.readouterr().out == ""
    np.testing.assert_array_equal(f([1, 2, 3]), [5, 10, 15])
    assert capsys.readouterr().out == ""
    np.testing.assert_array_equal(f_with_print([1, 2, 3]), [5, 10, 15])
    assert capsys.readouterr().out == "this is a very important value __str__ = [1. 2. 3.]\n"
    shown = theano.function([x], Print('shape', attrs=('shape', '__len__'))(x * 2).sum(), device=device)
    shown([1., 2.])
    assert capsys.readouterr().out == "shape shape = (2,)\nshape __len__ = 2\n"
    g = theano.function([x], T.grad((x_printed ** 2).sum(), x), device=device)
    np.testing.assert_array_equal(g([1., 2.]), [2., 4.])
    assert "[1. 2.]" in capsys.readouterr().out
    with theano.config.change_flags(device=device):
        verify_grad(lambda a: Print('v', global_fn=lambda op, value: None)(a) ** 2, [rng.standard_normal(3)],
                    rng=rng)


def test_print_of_a_constant_prints_at_run_time_not_when_compiling(capsys):
    c = Print('constant')(T.constant([1., 2.]))
    f = theano.function([], c * 2)
    assert capsys.readouterr().out == ""
    f()
    assert capsys.readouterr().out == "constant __str__ = [1. 2.]\n"


def test_pprint():
    x, y = T.dscalars('x', 'y')
    assert theano.printing.pprint(x + y) == "(x + y)"
    assert theano.printing.pprint(T.grad(x ** 2, x)) == '((fill((x ** 2), 1.0) * 2) * (x ** (2 - 1)))'


@pytest.fixture
def test_values():
    with theano.config.change_flags(compute_test_value='raise'):
        yield


def test_test_values_catch_a_bad_shape_where_the_node_is_built(test_values):
    w1 = theano.shared(np.random.default_rng(0).random((2, 10, 10)), 'W1')
    x = T.matrix('x')
    x.tag.test_value = np.ones((5, 10))
    func_of_w1 = w1.dimshuffle(2, 0, 1).flatten(2).T
    assert func_of_w1.tag.test_value.shape == (20, 10)
    with pytest.raises(ComputeTestValueError, match=r"Dot.*shapes \(\(5, 10\), \(20, 10\)\)") as caught:
        T.dot(x, func_of_w1)
    assert "dot" in [entry.name for entry in caught.traceback]  # raised while building, from T.dot
    assert T.dot(x, func_of_w1.T).tag.test_value.shape == (5, 20)


def test_test_values_flow_through_gradients_and_loops(test_values):
    x, y = T.dmatrix('x'), T.dvector('y')
    x.tag.test_value, y.tag.test_value = np.ones((4, 3)), np.zeros(4)
    w = theano.shared(np.ones(3), name='w')
    p = T.nnet.sigmoid(T.dot(x, w))
    cost = (-y * T.log(p) - (1 - y) * T.log(1 - p)).mean()
    gw = T.grad(cost, w)
    assert gw.tag.test_value.shape == (3,)
    rows, _ = theano.scan(lambda r, acc: acc + r, sequences=x, outputs_info=T.zeros_like(w))
    np.testing.assert_array_equal(rows.tag.test_value[-1], [4., 4., 4.])
    assert T.jacobian(p, w).ndim == 2 and T.hessian(cost, w).ndim == 2
    f = theano.function([x, y], [cost, gw])
    assert f(np.ones((4, 3)), np.zeros(4))[1].shape == (3,)


def test_missing_test_values(recwarn):
    z = T.dscalar('z')
    with theano.config.change_flags(compute_test_value='raise'):
        with pytest.raises(ComputeTestValueError, match="z has no test value"):
            z * 2
    with theano.config.change_flags(compute_test_value='warn'):
        with pytest.warns(UserWarning, match="z has no test value"):
            z * 2
    with theano.config.change_flags(compute_test_value='ignore'):
        assert "test_value" not in (z * 2).tag
    with pytest.raises(ValueError, match="compute_test_value"):
        theano.config.compute_test_value = 'always'


def test_print_test_value():
    x = T.scalar('x')
    x.tag.test_value = 42
    with theano.config.change_flags(print_test_value=True):
        assert repr(x) == "x\narray(42.)"
    assert repr(x) == "x"


def test_config_flags_ported_programs_set():
    theano.config.warn.subtensor_merge_bug = False
    assert theano.config.warn.subtensor_merge_bug is False
    assert theano.config.warn__subtensor_merge_bug is False
    with theano.config.change_flags(warn__round=True):
        assert theano.config.warn.round is True
    assert "floatX = 'float64'" in str(theano.config)
    with pytest.raises(AttributeError, match="no setting"):
        theano.config.not_a_flag = 1
