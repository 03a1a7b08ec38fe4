"""``ifelse``: the cases of PyTensor's tests/test_ifelse.py that use only the public API
and tensors, ported to gpugrad (generic and sparse values, user-defined lazy Ops and
linker choices have no counterpart here)."""
import numpy as np
import pytest

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad import function
from gpugrad.ifelse import IfElse, ifelse


def _ifelse_nodes(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, IfElse)]


def _vectors(rng, *lengths, dtype="float64"):
    return [np.asarray(rng.uniform(size=(n,)), dtype) for n in lengths]


def test_wrong_n_outs():
    with pytest.raises(ValueError):
        IfElse(0)(T.iscalar("c"), T.vector("x"), T.vector("x"))


def test_const_false_branch():
    x, c = T.vector("x"), T.iscalar("c")
    y = np.array([2.0, 3.0])
    f = function([c, x], IfElse(1)(c, x, y))
    assert np.array_equal(f(0, np.r_[1.0, 2.0]), y)


def test_lazy_if_with_branches_of_different_lengths(rng):
    x, y, c = T.vector("x"), T.vector("y"), T.iscalar("c")
    f = function([c, x, y], ifelse(c, x, y))
    assert len(_ifelse_nodes(f)) == 1
    vx, vy = _vectors(rng, 57, 120)
    assert np.allclose(vx, f(1, vx, vy)) and np.allclose(vy, f(0, vx, vy))


def test_mixed_dtypes_and_several_outputs(rng):
    x1, y1 = T.vector("x1", dtype="int32"), T.vector("y1", dtype="int32")
    x2, y2, c = T.vector("x2"), T.vector("y2"), T.iscalar("c")
    f = function([c, x1, x2, y1, y2], ifelse(c, (x1, x2), (y1, y2)))
    (node,) = _ifelse_nodes(f)
    assert len(node.outputs) == 2
    vx1, vy1 = (np.asarray(v * 3, "int32") for v in _vectors(rng, 30, 40))
    vx2, vy2 = _vectors(rng, 30, 40)
    for cond, want in ((1, (vx1, vx2)), (0, (vy1, vy2))):
        got = f(cond, vx1, vx2, vy1, vy2)
        assert all(np.allclose(g, w) for g, w in zip(got, want))


def test_grad_lazy_if(rng):
    x, y, c = T.vector("x"), T.vector("y"), T.iscalar("c")
    gx, gy = theano.grad(ifelse(c, x, y).sum(), [x, y])
    f = function([c, x, y], [gx, gy])
    assert 2 <= len(_ifelse_nodes(f)) <= 3
    vx, vy = _vectors(rng, 30, 45)
    for cond, (want_x, want_y) in ((1, (1.0, 0.0)), (0, (0.0, 1.0))):
        gx0, gy0 = f(cond, vx, vy)
        assert gx0.shape == vx.shape and gy0.shape == vy.shape
        assert np.all(gx0 == want_x) and np.all(gy0 == want_y)
    gx, gy = theano.grad(ifelse(c, T.as_tensor_variable(x), T.as_tensor_variable(y)).sum(), [x, y])
    function([c, x, y], [gx, gy])


def test_multiple_out_grad(rng):
    x1, x2, y1, y2, c = T.vector("x1"), T.vector("x2"), T.vector("y1"), T.vector("y2"), T.iscalar("c")
    z = ifelse(c, (x1, x2), (y1, y2))
    f = function([c, x1, x2, y1, y2], theano.grad(z[0].sum() + z[1].sum(), [x1, x2, y1, y2]))
    lens = [11, 12, 13, 14]
    values = _vectors(rng, *lens)
    for cond, want in ((1, [1, 1, 0, 0]), (0, [0, 0, 1, 1])):
        outs = f(cond, *values)
        assert [o.shape[0] for o in outs] == lens
        assert all(np.all(o == w) for o, w in zip(outs, want))


def test_multiple_out_crash():
    rng = np.random.default_rng(0)
    p = [theano.shared(rng.random(s)) for s in ((4, 8), (8,), (8, 3), (3,))]
    ften0, fmat1, ften2, fmat3 = T.tensor3("ft0"), T.matrix("fm1"), T.tensor3("ft2"), T.matrix("fm3")
    fsub = [ften0[-1], fmat1[-1], ften2[-1], fmat3[-1]]
    new_positions = ifelse(T.constant(1, "int8") >= 0, fsub, p)
    f = function([ften0, fmat1, ften2, fmat3], [], updates=[(p[0], new_positions[0])])
    values = [rng.random(s) for s in ((19, 4, 8), (19, 8), (19, 8, 3), (19, 3))]
    f(*values)
    np.testing.assert_array_equal(p[0].get_value(), values[0][-1])


@pytest.mark.parametrize("other", [lambda x: T.cast(x * 10, "int8"), lambda x: T.col("y"), lambda x: T.row("y")],
                         ids=["dtype", "ndim", "broadcast"])
def test_mismatched_branches(other):
    x = theano.shared(np.random.default_rng(0).random(5))
    y, cond = other(x), T.iscalar("cond")
    with pytest.raises(TypeError):
        ifelse(cond, x, y)
    with pytest.raises(TypeError):
        ifelse(cond, y, x)


def test_grad_with_test_values_and_of_integer_values():
    with theano.config.change_flags(compute_test_value="raise"):
        x = T.scalar("x")
        x.tag.test_value = 1
        theano.grad(ifelse(0, x, x), x)
    w, b = theano.shared(np.random.default_rng(0).random(10)), theano.shared(0.5)
    x, y = T.vector(), T.scalar()
    loss = ifelse((w.dot(x) + b) * y > 0, 0, 1)
    gw, gb = (theano.grad(cost=loss, wrt=param) for param in (w, b))
    got = function([x, y], [gw, gb])(np.ones(10), 1.0)
    assert not got[0].any() and got[1] == 0


def test_str():
    res = ifelse(T.iscalar("c"), T.vector("x"), T.vector("y"))
    assert str(res.owner).startswith("if{}")
    assert str(ifelse(T.iscalar("c"), T.vector("x"), T.vector("y"), name="name").owner).startswith("if{name}")


@pytest.mark.parametrize("x_shape, y_shape, x_val, y_val, exp_shape", [
    ((2,), (3,), np.r_[1.0, 2.0], np.r_[1.0, 2.0, 3.0], (None,)),
    ((None,), (3,), np.r_[1.0, 2.0], np.r_[1.0, 2.0, 3.0], (None,)),
    ((3,), (None,), np.r_[1.0, 2.0, 3.0], np.r_[1.0, 2.0], (None,)),
    ((2, 1), (None, 1), np.c_[[1.0, 2.0]], np.c_[[1.0, 2.0, 3.0]], (None, 1)),
    ((3,), (3,), np.r_[1.0, 2.0, 3.0], np.r_[1.0, 2.0, 3.0], (3,)),
    ((1,), (3,), np.r_[1.0], np.r_[1.0, 2.0, 3.0], (None,)),
])
def test_static_branch_shapes(x_shape, y_shape, x_val, y_val, exp_shape):
    x, y, c = T.tensor("float64", shape=x_shape, name="x"), T.tensor("float64", shape=y_shape, name="y"), T.iscalar("c")
    z = IfElse(1)(c, x, y)
    assert z.type.shape == exp_shape
    assert np.array_equal(function([c, x, y], z)(0, x_val, y_val), y_val)


def test_nonscalar_condition():
    with pytest.raises(TypeError, match="condition"):
        IfElse(1)(T.ivector("c"), T.vector("x"), T.vector("y"))
