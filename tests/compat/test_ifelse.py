"""``ifelse``: a lazy conditional. Only the branch taken runs (its nodes, its transfers),
on the CPU and on the CUDA simulator, where the condition is read back once per call;
gradients, R-ops and batching rules through it; ``T.switch`` stays elementwise."""
import numpy as np
import pytest

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad.compile import device_arrays
from gpugrad.errors import InputError, ShapeError
from gpugrad.gradient import verify_grad
from gpugrad.ifelse import IfElse, ifelse
from gpugrad.testing import numeric_jacobian

DEVICES = ["cpu", "cuda-sim"]


@pytest.mark.parametrize("device", DEVICES)
def test_values_of_both_branches(device):
    a, b = T.scalars('a', 'b')
    x, y = T.matrices('x', 'y')
    f = theano.function([a, b, x, y], ifelse(T.lt(a, b), T.mean(x), T.mean(y)), device=device)
    ones, zeros = np.ones((4, 3)), np.zeros((4, 3))
    assert f(0., 1., ones, zeros) == 1.0 and f(1., 0., ones, zeros) == 0.0
    pair = theano.function([a, x, y], ifelse(a, [x * 2, x.sum()], [y, y.sum() + 1]), device=device)
    m, s = pair(0, ones, zeros)
    np.testing.assert_array_equal(m, zeros)
    assert s == 1.0
    m, s = pair(3, ones, zeros)
    np.testing.assert_array_equal(m, 2 * ones)
    assert s == 12.0


@pytest.mark.parametrize("device", DEVICES)
def test_only_the_branch_taken_runs(device):
    c, x = T.lscalar('c'), T.dvector('x')
    out_of_range = ifelse(c, T.exp(x[5]) * 2, x[0] + 1)
    f = theano.function([c, x], out_of_range, device=device)
    assert f(0, [1., 2.]) == 2.0
    with pytest.raises(ShapeError, match="index 5"):
        f(1, [1., 2.])
    assert f(0, [3., 2.]) == 4.0
    seen = []
    g = theano.function([c, x], ifelse(c, T.exp(x).sum() * 2, T.log(x).prod()), device=device,
                        mode=theano.MonitorMode(post_func=lambda i, node, fn: seen.append(str(node.op))))
    g(1, [1., 2.])
    assert any("exp" in op for op in seen) and not any("log" in op for op in seen)
    seen.clear()
    g(0, [1., 2.])
    assert any("log" in op for op in seen) and not any("exp" in op for op in seen)


def test_nested_and_shared_values():
    c, d, x = T.lscalar('c'), T.lscalar('d'), T.dvector('x')
    both = T.exp(x)  # needed by both branches: computed once, before the choice
    inner = ifelse(d, both.sum(), x[7])
    f = theano.function([c, d, x], ifelse(c, inner, both.max() + x[9]))
    assert f(1, 1, [0., 0.]) == 2.0
    with pytest.raises(ShapeError):
        f(1, 0, [0., 0.])
    with pytest.raises(ShapeError):
        f(0, 1, [0., 0.])


def test_the_condition_is_read_back_once_on_the_device(monkeypatch):
    x = T.dvector('x')
    f = theano.function([x], ifelse(T.gt(x.sum(), 0), x * 2, x * 3), device='cuda-sim')
    be = device_arrays.backend_for('cuda-sim')
    reads = []
    original = be.to_host

    def counted(array):
        reads.append(np.shape(array))
        return original(array)
    monkeypatch.setattr(be, 'to_host', counted)
    np.testing.assert_array_equal(f(np.ones(3)), 2 * np.ones(3))
    np.testing.assert_array_equal(f(-np.ones(3)), -3 * np.ones(3))
    assert reads == [(), (3,), (), (3,)]  # the condition, then the result


@pytest.mark.parametrize("device", DEVICES)
def test_gradients_through_either_branch(device, rng):
    a, b = rng.standard_normal(3), rng.standard_normal(3)
    with theano.config.change_flags(device=device):
        for sign in (1.0, -1.0):
            verify_grad(lambda x, y: ifelse(T.gt(sign * x.sum(), -10 * sign), T.tanh(x) * y, y ** 2 - x),
                        [a, b], rng=rng)
    x, y = T.dvectors('x', 'y')
    gx, gy = T.grad(ifelse(T.gt(x.sum(), 0), (x * y).sum(), y.sum()), [x, y])
    f = theano.function([x, y], [gx, gy], device=device)
    got = f([1., 1.], [2., 3.])
    np.testing.assert_allclose(got, [[2., 3.], [1., 1.]])
    got = f([-1., -1.], [2., 3.])
    np.testing.assert_allclose(got, [[0., 0.], [1., 1.]])


@pytest.mark.parametrize("device", DEVICES)
def test_rop_and_jacobian(device, rng):
    x, v, c = T.dvector('x'), T.dvector('v'), T.lscalar('c')
    out = ifelse(c, T.sin(x) * x.sum(), x ** 3)
    f = theano.function([c, x, v], [T.Rop(out, x, v), T.jacobian(out, x)], device=device)
    xv, vv = rng.standard_normal(3), rng.standard_normal(3)
    for cv, numpy_fn in ((1, lambda a: np.sin(a) * a.sum()), (0, lambda a: a ** 3)):
        jv, jac = f(cv, xv, vv)
        want = numeric_jacobian(numpy_fn, xv)
        np.testing.assert_allclose(jac, want, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(jv, want @ vv, rtol=1e-6, atol=1e-8)


def test_batched_conditions_choose_per_example():
    c, x = T.lscalar('c'), T.dvector('x')
    cs, xs = T.lvector('cs'), T.dmatrix('xs')
    (out,) = theano.vectorize([ifelse(c, x * 2, x - 1)], {c: cs, x: xs})
    got = theano.function([cs, xs], out)([1, 0], np.ones((2, 3)))
    np.testing.assert_array_equal(got, [[2.] * 3, [0.] * 3])
    assert not any(isinstance(n.op, IfElse) for n in theano.function([cs, xs], out).maker.fgraph.toposort())


def test_ifelse_in_a_loop_and_under_debug_mode():
    x = T.dvector('x')
    out, _ = theano.scan(lambda v, acc: ifelse(T.gt(v, 0), acc + v, acc * 0.5), sequences=x,
                         outputs_info=T.constant(1.0))
    for device in DEVICES:
        f = theano.function([x], out, device=device, mode='DebugMode')
        np.testing.assert_allclose(f([1., -1., 2.]), [2., 1., 3.])


def test_bad_branches_and_switch_stays_elementwise():
    x, m = T.dvector('x'), T.dmatrix('m')
    with pytest.raises(InputError, match="scalar"):
        ifelse(x, x, x)
    with pytest.raises(InputError, match="differ"):
        ifelse(1, x, m)
    with pytest.raises(InputError, match="differ"):
        ifelse(1, x, T.ivector())
    with pytest.raises(InputError, match="2 values"):
        ifelse(1, [x, x], [x])
    assert ifelse(1, T.fscalar(), 0).dtype == 'float32'  # a Python number takes the other's dtype
    f = theano.function([x], T.switch(T.gt(x, 0), x, -x))
    np.testing.assert_array_equal(f([-1., 2.]), [1., 2.])
