"""``function`` with shared variables, updates, givens and default updates: the cases of
PyTensor's tests/compile/function/test_pfunc.py (TestPfunc, TestAliasingRules) that use
only the public API, ported to gpugrad. Not ported, by design (README, "Differences from
Theano"): ``In(strict=)``, ``allow_downcast`` and ``allow_input_downcast`` (gpugrad's
argument conversion is one rule), inputs marked ``mutable`` being overwritten and updates
written into the old buffer of a shared variable (gpugrad never does either)."""
import numpy as np
import pytest

import gpugrad.tensor as T
from gpugrad import In, function, shared
from gpugrad.errors import DuplicateUpdateError, InputError, MissingInputError

pfunc = function


def test_errors():
    a, b = T.lscalar(), shared(1)
    with pytest.raises(TypeError):
        pfunc({a}, a + b)
    with pytest.raises(TypeError):
        pfunc([a], a + b, no_default_updates=1)
    with pytest.raises(TypeError):
        pfunc([a], a + b, updates=[{b, a}])
    with pytest.raises(TypeError):
        pfunc([a], a + b, updates=[(1, b)])


def test_doc_examples():
    a, b = T.lscalar(), shared(1)
    f1 = pfunc([a], a + b)
    f2 = pfunc([In(a, value=44)], a + b, updates={b: b + 1})
    assert b.get_value() == 1 and f1(3) == 4 and f2(3) == 4 and b.get_value() == 2 and f1(3) == 5
    b.set_value(0)
    assert f1(3) == 3
    a, b = T.lscalar(), shared(7)
    f1, f2 = pfunc([a], a + b), pfunc([a], a * b)
    assert f1(5) == 12
    b.set_value(8)
    assert f1(5) == 13 and f2(4) == 32


def test_functions_share_a_variable():
    w = shared(np.random.default_rng(0).random((2, 2)), "w")
    wval = w.get_value(borrow=False)
    x = T.dmatrix()
    f1, f2 = pfunc([x], [w + x]), pfunc([x], [w * x])
    xval = np.random.default_rng(1).random((2, 2))
    assert np.all(f1(xval) == xval + wval) and np.all(f2(xval) == xval * wval)
    f3 = pfunc([x], w + x, updates=[(w, w - 1)])
    assert np.all(f3(xval) == xval + wval)
    assert np.all(f1(xval) == xval + (wval - 1))
    w.set_value(w.get_value(borrow=True) * 10, borrow=True)
    assert np.all(f1(xval) == xval + w.get_value(borrow=True))


def test_no_shared_as_input():
    w = shared(np.random.default_rng(0).random((2, 2)), "w")
    with pytest.raises(TypeError, match="shared variable w"):
        pfunc([w], T.sum(w * w))


def test_default_containers():
    w_init = np.random.default_rng(1827).random(5)
    w = shared(w_init.copy(), "w")
    f = pfunc([], T.sum(w * w))
    assert f() == np.sum(w_init * w_init)
    w.set_value(w.get_value(borrow=True) + 1.0, borrow=True)
    assert f() == np.sum((w_init + 1) ** 2)
    x = shared(0.0, "x")
    f = pfunc([], x)
    assert f() == 0
    x.set_value(x.get_value(borrow=True) + 1, borrow=True)
    assert f() == 1


def test_update():
    x = shared(0)
    pfunc([], [], updates={x: 3})()
    assert x.get_value() == 3
    x.set_value(0)
    pfunc([], [], updates={x: x + 1})()
    assert x.get_value() == 1
    x.set_value(-1)
    y = shared(2)
    pfunc([], [], updates={x: x + y})()
    assert x.get_value() == 1


def test_update_err_broadcast_and_duplicates():
    output_var = shared(name="output", value=np.random.default_rng(0).random((10, 10)).astype("float32"))
    with pytest.raises(TypeError):
        function(inputs=[], outputs=[], updates={output_var: output_var.sum().dimshuffle("x", "x")})
    x, y = T.dmatrices("x", "y")
    z = shared(np.ones((2, 3)))
    with pytest.raises(ValueError):
        function([x, y], [z], updates=[(z, z + x + y), (z, z - x)])
    assert issubclass(DuplicateUpdateError, ValueError)


def test_givens():
    x = shared(0)
    assert pfunc([], x, givens={x: 3})() == 3 and x.get_value(borrow=True) == 0
    y = T.ivector()
    f = pfunc([y], y * x, givens={x: 6})
    assert np.all(f([1, 1, 1]) == [6, 6, 6]) and x.get_value() == 0
    z = T.ivector()
    f = pfunc([y], z * y + 7, givens={z: np.asarray([4, 4, 4], dtype="int32")})
    assert np.all(f([1, 1, 1]) == [11, 11, 11])


def test_clone0():
    x, y, z = shared(np.asarray([4, 4, 4])), shared(np.asarray([4, 4, 4])), shared(np.asarray([2, 2, 2]))
    pfunc([], [], updates={x: x * 5, y: x * 5 + y, z: (x * 5 + y) ** z})()
    assert np.all(x.get_value() == 20) and np.all(y.get_value() == 24) and np.all(z.get_value() == 24 ** 2)


def test_default_updates():
    x = shared(0)
    x.default_update = x + 1
    f = pfunc([], [x])
    f()
    assert x.get_value() == 1
    x.default_update = None
    f()
    assert x.get_value() == 2
    pfunc([], [x])()
    assert x.get_value() == 2


def test_no_default_updates():
    x, y = shared(0), shared(1)
    x.default_update = x + 2
    for skip, step in ((True, 0), ([x], 0), ([x, y], 0), ([y], 2), ([], 2), (False, 2)):
        before = x.get_value()
        pfunc([], [x], no_default_updates=skip)()
        assert x.get_value() == before + step
    for bad in (x, "canard"):
        with pytest.raises(TypeError):
            pfunc([], [x], no_default_updates=bad)
    for skip in (True, [x], [x, y], [y], [], False):
        before = x.get_value()
        pfunc([], [x], updates=[(x, x - 1)], no_default_updates=skip)()
        assert x.get_value() == before - 1


def test_default_updates_expressions_and_several():
    x, y, a = shared(0), shared(1), T.lscalar("a")
    z = a * x
    x.default_update = x + y
    pfunc([a], z)(12)
    assert x.get_value() == 1
    assert pfunc([a], z, no_default_updates=True)(7) == 7 and x.get_value() == 1
    assert pfunc([a], z, no_default_updates=[x])(9) == 9 and x.get_value() == 1
    x, y = shared(0), shared(1)
    x.default_update, y.default_update = x - 1, y + 1
    pfunc([], [x, y])()
    assert (x.get_value(), y.get_value()) == (-1, 2)
    pfunc([], [x, y], updates=[(x, x - 2)], no_default_updates=[y])()
    assert (x.get_value(), y.get_value()) == (-3, 2)
    pfunc([], [x, y], updates=[(x, x - 2)], no_default_updates=True)()
    assert (x.get_value(), y.get_value()) == (-5, 2)
    pfunc([], [x, y], updates=[(y, y - 2)])()
    assert (x.get_value(), y.get_value()) == (-6, 0)


def test_default_updates_chained():
    x, y, z = shared(2), shared(1), shared(-1)
    x.default_update, y.default_update, z.default_update = x - y, z, z - 1
    expected = [((x,), None, (1, -1, -2)), ((x, y), None, (2, -2, -3)), ((y,), None, (2, -3, -4)),
                ((x, y), [x], (2, -4, -5)), ((x, y, z), [z], (6, -5, -5))]
    for outputs, skip, values in expected:
        pfunc([], list(outputs), no_default_updates=skip or False)()
        assert (x.get_value(), y.get_value(), z.get_value()) == values


def test_default_updates_input():
    x, y, a = shared(0), shared(1), T.lscalar("a")
    x.default_update, y.default_update = y, y + a
    pfunc([], x, no_default_updates=True)()
    assert (x.get_value(), y.get_value()) == (0, 1)
    pfunc([], x, no_default_updates=[x])()
    assert (x.get_value(), y.get_value()) == (0, 1)
    pfunc([], x, no_default_updates=[y])()
    assert (x.get_value(), y.get_value()) == (1, 1)
    pfunc([a], x)(2)
    assert (x.get_value(), y.get_value()) == (1, 3)
    pfunc([], x, updates={y: y - 1})()
    assert (x.get_value(), y.get_value()) == (3, 2)
    with pytest.raises(MissingInputError):
        pfunc([], x)


def test_default_updates_of_a_partial_graph_and_givens():
    a = shared(0)
    a.default_update = a + 1
    b = 2 * a
    pfunc([b], b)(21)
    assert a.get_value() == 0
    a = shared(1.0, "a")
    a.default_update = a + 3.0
    b = T.dscalar("b")
    f = pfunc([b], a + 10, givens={a: b})
    assert len(f.maker.fgraph.inputs) == 1 and len(f.maker.fgraph.outputs) == 1
    a = shared(1.0, "a")
    a.default_update = a + 3
    f = pfunc([], a + 10, givens={a: a + 10})
    assert f() == 21 and f() == 34


def test_duplicate_inputs():
    x = T.lscalar("x")
    with pytest.raises(InputError, match="twice"):  # PyTensor raises UnusedInputError
        function([x, x, x], x)


@pytest.mark.parametrize("f_updates, g_updates", [
    (lambda a, b: [(a, a), (b, 2 * b)], lambda a, b: [(a, a * 2), (b, b)]),
    (lambda a, b: [(a, a), (b, 2 * b - b)], lambda a, b: [(a, a * 2 - a), (b, b)])], ids=["same", "equiv"])
def test_update_same(f_updates, g_updates):
    a, b = shared(1.0, "a"), shared(np.ones((2, 3)), "b")
    for updates in (f_updates, g_updates):
        function([], [], updates=updates(a, b))()
        assert a.get_value(borrow=True).shape == () and b.get_value(borrow=True).shape == (2, 3)


def test_shared_constructor_copies():
    orig_a = np.zeros((2, 2))
    A = shared(orig_a)
    assert not np.may_share_memory(orig_a, A.get_value(borrow=True))
    assert not np.may_share_memory(A.get_value(borrow=False), A.get_value(borrow=True))


def test_input_aliasing_does_not_change_results():
    x, y, m1, m2 = T.dvector(), T.dvector(), T.dmatrix(), T.dmatrix()
    f = function([In(v, mutable=True) for v in (x, y, m1, m2)], T.dot(x * 2, m1) + T.dot(y * 3, m2))
    v, m = np.arange(1., 6.), np.eye(5)
    np.testing.assert_allclose(f(v, v, m, m), f(v, v.copy(), m, m.copy()))
    x, y, z, m1, m2, m3 = T.dvector(), T.dvector(), T.dvector(), T.dmatrix(), T.dmatrix(), T.dmatrix()
    f = function([In(v, mutable=True) for v in (x, y, z, m1, m2, m3)],
                 T.dot(x * 2, m1) + T.dot(y * 3, m2) + T.dot(z * 4, m3))
    v, m = np.arange(1., 6.), np.eye(2)
    bogus = f(v[:2], v[1:3], v[2:4], m, m, m)
    np.testing.assert_allclose(f(v[:2], v.copy()[1:3], v.copy()[2:4], m, m.copy(), m.copy()), bogus)


def test_no_output_aliasing_induced_by_updates():
    A, B = shared(np.zeros((2, 2))), shared(np.zeros((2, 2)))
    C, D = np.zeros((2, 2)), T.dmatrix()
    DD = D + 5
    for outputs, updates in (([], [(A, D), (B, D)]), ([], [(A, D[:]), (B, D)]), ([], [(A, D + 5), (B, D[:])]),
                             ([], [(A, D + 5), (B, D)]), (DD, [(A, DD[:1]), (B, DD)]),
                             (DD, [(A, DD[:1]), (B, DD[:1] * 2)]), (DD * 4, [(A, DD[:1] * 3), (B, DD[:1] * 2)]),
                             (DD * 4, [(A, DD[:1] * 3), (B, DD[:1] * 3)])):
        R = pfunc([D], outputs, updates=updates)(C)
        a, b = A.get_value(borrow=True), B.get_value(borrow=True)
        assert not np.may_share_memory(a, b)
        if outputs != []:
            assert not np.may_share_memory(R, a) and not np.may_share_memory(R, b)
        assert not np.may_share_memory(a, C) and not np.may_share_memory(b, C)


def test_no_aliasing_between_shared_variables():
    A, B = shared(np.zeros((2, 2)) + 0.5), shared(np.zeros((2, 2)) - 0.5)
    pfunc([], [], updates=[(A, B)])()
    assert not np.may_share_memory(A.get_value(borrow=True), B.get_value(borrow=True))
    z = np.zeros((2, 2))
    pfunc([C := T.dmatrix()], [], updates=[(A, B), (B, C)])(z)
    assert not np.may_share_memory(A.get_value(borrow=True), B.get_value(borrow=True))
    assert not np.may_share_memory(z, B.get_value(borrow=True)) and np.all(B.get_value() == z)
    B.set_value(np.zeros((2, 2)) - 0.5)
    pfunc([], [], updates=[(A, B), (B, A)])()
    assert not np.may_share_memory(A.get_value(borrow=True), B.get_value(borrow=True))
    np.testing.assert_array_equal(A.get_value(), np.full((2, 2), -0.5))
    np.testing.assert_array_equal(B.get_value(), np.full((2, 2), -0.5))
