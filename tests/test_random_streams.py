"""Random streams (gpugrad/tensor/shared_randomstreams.py, sandbox/rng_mrg.py) on the CPU:
Theano's interface (default updates, seeding, states), every distribution's values and
statistics with fixed seeds, sizes and dtypes, the reparameterised gradients and R-ops,
Jacobians through draws, draws inside scan, pickling, and the errors."""
import pickle

import numpy as np
import pytest
import scipy.stats

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad import function
from gpugrad.errors import DistributionError, InputError, ShapeError
from gpugrad.ops import philox
from gpugrad.sandbox.rng_mrg import MRG_RandomStreams
from gpugrad.tensor.shared_randomstreams import PhiloxState, RandomStateSharedVariable, RandomStreams

N = 20000  # draws for the statistics; each test's seed is fixed, so none of them is flaky


def test_every_spelling_is_one_class():
    assert theano.RandomStreams is T.shared_randomstreams.RandomStreams is RandomStreams
    assert issubclass(theano.sandbox.rng_mrg.MRG_RandomStreams, RandomStreams)


def test_each_call_draws_anew_unless_no_default_updates():
    srng = RandomStreams(seed=234)
    rv_u, rv_n = srng.uniform((2, 2)), srng.normal((2, 2))
    f, g = function([], rv_u), function([], rv_n, no_default_updates=True)
    assert not np.array_equal(f(), f())
    np.testing.assert_array_equal(g(), g())
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u)
    np.testing.assert_allclose(nearly_zeros(), 0, atol=1e-15)  # one draw per call, however often it is read
    assert rv_u.rng.get_value()[2] == 3  # three calls of functions that computed rv_u


def test_the_values_are_philox_of_the_streams_state():
    srng = RandomStreams(seed=7)
    u = srng.uniform((3, 5), dtype="float32")
    z = srng.normal((4,))
    f = function([], [u, z])
    got_u, got_z = f()
    np.testing.assert_array_equal(got_u, philox.uniform(philox.stream_state(7, 0), 15, "float32").reshape(3, 5))
    np.testing.assert_array_equal(got_z, philox.normal(philox.stream_state(7, 1), 4, "float64"))
    next_u, _ = f()
    np.testing.assert_array_equal(next_u, philox.uniform(philox.advance(philox.stream_state(7, 0)), 15,
                                                         "float32").reshape(3, 5))


def test_seeding_streams_and_single_variables():
    srng = RandomStreams(seed=1)
    rv_u, rv_n = srng.uniform((3,)), srng.normal((3,))
    f = function([], [rv_u, rv_n])
    srng.seed(902340)
    first = f()
    srng.seed(902340)
    np.testing.assert_array_equal(f()[0], first[0])
    assert not np.allclose(rv_u.rng.get_value(), rv_n.rng.get_value())  # each variable its own stream
    state = rv_u.rng.get_value(borrow=True)
    assert isinstance(state, PhiloxState)
    state.seed(89234)
    rv_u.rng.set_value(state, borrow=True)
    a = f()[0]
    state.seed(89234)
    rv_u.rng.set_value(state)
    np.testing.assert_array_equal(f()[0], a)


def test_get_state_and_set_state_restore_a_variable():
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    f, nearly_zeros = function([], rv_u), function([], rv_u + rv_u - 2 * rv_u)
    f()
    state_after_v0 = rv_u.rng.get_value().get_state()
    nearly_zeros()
    v1 = f()
    rng = rv_u.rng.get_value(borrow=True)
    rng.set_state(state_after_v0)
    rv_u.rng.set_value(rng, borrow=True)
    v2, v3 = f(), f()
    assert not np.array_equal(v1, v2)
    np.testing.assert_array_equal(v1, v3)


def test_state_updates_and_updates():
    srng = RandomStreams(seed=3)
    rv = srng.normal((2,))
    assert srng.updates() == srng.state_updates == [rv.update]
    state, new = rv.update
    assert state is rv.rng and isinstance(state, RandomStateSharedVariable) and new is state.default_update
    f = function([], rv, updates=srng.updates(), no_default_updates=True)
    assert not np.array_equal(f(), f())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_and_normal_statistics(dtype):
    srng = RandomStreams(seed=2024)
    u = function([], srng.uniform((N,), low=-1.0, high=3.0, dtype=dtype))()
    z = function([], srng.normal((N,), avg=2.0, std=0.5, dtype=dtype))()
    assert u.dtype == z.dtype == dtype
    assert -1 < u.min() and u.max() < 3
    assert abs(u.mean() - 1) < 0.03 and abs(u.var() - 16 / 12) < 0.04
    assert abs(z.mean() - 2) < 0.015 and abs(z.std() - 0.5) < 0.01
    assert scipy.stats.kstest(u, "uniform", args=(-1, 4)).pvalue > 0.01
    assert scipy.stats.kstest(z, "norm", args=(2, 0.5)).pvalue > 0.01


def test_binomial_random_integers_choice_and_permutation_statistics():
    srng = RandomStreams(seed=99)
    coin, counts = srng.binomial((N,), p=0.3), srng.binomial((N,), n=10, p=0.25, dtype="int32")
    dice = srng.random_integers((N,), low=1, high=6)
    picks = srng.choice((N,), a=3, p=[0.2, 0.5, 0.3])
    coin, counts, dice, picks = function([], [coin, counts, dice, picks])()
    assert coin.dtype == np.int64 and counts.dtype == np.int32 and set(np.unique(coin)) == {0, 1}
    assert abs(coin.mean() - 0.3) < 0.015 and abs(counts.mean() - 2.5) < 0.05 and counts.max() <= 10
    np.testing.assert_array_equal(np.unique(dice), np.arange(1, 7))
    assert scipy.stats.chisquare(np.bincount(dice)[1:]).pvalue > 0.01
    assert scipy.stats.chisquare(np.bincount(picks), np.array([0.2, 0.5, 0.3]) * N).pvalue > 0.01
    perms = function([], srng.permutation((500,), n=6))()
    assert perms.shape == (500, 6)
    np.testing.assert_array_equal(np.sort(perms, axis=1), np.tile(np.arange(6), (500, 1)))
    assert scipy.stats.chisquare(np.bincount(perms[:, 0])).pvalue > 0.01


def test_choice_of_a_vector_without_replacement_and_with_weights():
    srng = RandomStreams(seed=5)
    a = T.dvector("a")
    f = function([a], [srng.choice((2, 2), a=a, replace=False), srng.choice((3,), a=4, replace=False, p=[0, 1, 1, 1])])
    values, weighted = f(np.arange(10.0) * 10)
    assert values.shape == (2, 2) and values.dtype == np.float64 and len(set(values.ravel())) == 4
    assert set(values.ravel()) <= set(np.arange(10.0) * 10)
    assert sorted(weighted) == [1, 2, 3]  # the value of probability 0 comes last
    with pytest.raises(DistributionError, match="cannot take 4 of 3"):
        function([], srng.choice((4,), a=3, replace=False))()
    np.testing.assert_array_equal(np.sort(f(np.arange(4.0))[1]), [1, 2, 3])  # the function still works


def test_sizes_from_shapes_vectors_and_parameters():
    srng = RandomStreams(seed=1)
    x, mu = T.dmatrix("x"), T.dvector("mu")
    n = T.lvector("n")
    f = function([x, mu, n], [srng.normal(x.shape), srng.normal(avg=mu), srng.uniform(n, ndim=2),
                              srng.uniform((x.shape[1], 2)), srng.binomial(p=T.constant([0.5, 0.5]))],
                 on_unused_input="ignore")
    shapes = [r.shape for r in f(np.zeros((3, 4)), np.zeros(5), [2, 7])]
    assert shapes == [(3, 4), (5,), (2, 7), (4, 2), (2,)]
    assert srng.uniform((2, 3)).type.shape == (2, 3)
    assert srng.normal().ndim == 0


@pytest.mark.parametrize("build,error,match", [
    (lambda s: s.uniform((2,), ndim=2), ShapeError, "ndim=2"),
    (lambda s: s.uniform(T.lvector()), ShapeError, "pass ndim="),
    (lambda s: s.normal((3,), avg=T.dmatrix()), ShapeError, "more dimensions"),
    (lambda s: s.uniform((2,), dtype="int32"), InputError, "draws floats"),
    (lambda s: s.binomial((2,), n=T.dvector()), InputError, "n must be an integer scalar"),
    (lambda s: s.choice((2,), a=T.dmatrix()), InputError, "a must be an integer or a vector"),
    (lambda s: RandomStreams(seed=-1), InputError, "seed"),
    (lambda s: s.uniform((2,)).rng.set_value([1, 2, 3]), InputError, "4 uint32 words"),
    (lambda s: MRG_RandomStreams().normal((2,), truncate=True), NotImplementedError, "truncate"),
])
def test_bad_arguments_are_clear_errors(build, error, match):
    with pytest.raises(error, match=match):
        build(RandomStreams(seed=1))


def test_negative_probabilities_are_an_error_and_the_function_keeps_working():
    srng = RandomStreams(seed=1)
    p = T.dvector("p")
    f = function([p], srng.choice((5,), a=3, p=p))
    with pytest.raises(DistributionError, match="non-negative"):
        f([0.5, -0.1, 0.6])
    assert set(f([0.0, 1.0, 0.0])) == {1}


def test_reparameterised_gradients_and_r_ops():
    srng = RandomStreams(seed=11)
    mu, s, lo, hi = T.dvector("mu"), T.dvector("s"), T.dscalar("lo"), T.dscalar("hi")
    z, u = srng.normal(avg=mu, std=s), srng.uniform((4,), low=lo, high=hi)
    grads = T.grad(T.sum(z), [mu, s]) + T.grad(T.sum(u), [lo, hi])
    v1, v2 = T.dvector("v1"), T.dvector("v2")
    rop = T.Rop(z, [mu, s], [v1, v2])
    f = function([mu, s, lo, hi, v1, v2], [z, u, rop] + grads, no_default_updates=True)
    args = np.array([1.0, -2.0, 0.5, 3.0]), np.array([0.5, 2.0, 1.0, 0.1]), -1.0, 2.0
    vs = np.array([1.0, 2.0, 3.0, 4.0]), np.array([-1.0, 0.5, 2.0, 1.0])
    zv, uv, rv, g_mu, g_s, g_lo, g_hi = f(*args, *vs)
    standard = (zv - args[0]) / args[1]
    np.testing.assert_allclose(g_mu, np.ones(4))  # grad(sum(normal(avg=mu, std=s)), mu)
    np.testing.assert_allclose(g_s, standard)
    unit = (uv - args[2]) / (args[3] - args[2])
    np.testing.assert_allclose([g_lo, g_hi], [np.sum(1 - unit), np.sum(unit)])
    np.testing.assert_allclose(rv, vs[0] + vs[1] * standard)


def test_a_draw_is_a_constant_of_its_other_parameters():
    srng = RandomStreams(seed=11)
    p, x = T.dscalar("p"), T.dvector("x")
    g_p = T.grad(T.sum(srng.binomial((3,), p=p) * x), p)
    assert function([p, x], g_p, on_unused_input="ignore")(0.5, np.ones(3)) == 0


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_through_a_draw(mode):
    srng = RandomStreams(seed=4)
    x = T.dvector("x")
    noisy = srng.normal(avg=x, std=T.exp(x)) * x
    jac = T.jacobian(noisy, x, mode=mode)
    f = function([x], [noisy, jac], no_default_updates=True)
    xv = np.array([0.1, -0.3, 0.7])
    y, j = f(xv)
    z = (y / xv - xv) / np.exp(xv)  # the standard draw
    np.testing.assert_allclose(j, np.diag(xv * (1 + np.exp(xv) * z) + (xv + np.exp(xv) * z)), rtol=1e-12)


def test_vectorizing_over_a_value_shares_the_draw_between_examples():
    """As with an unbatched key in JAX: one draw, of one example's shape, for every example."""
    srng = RandomStreams(seed=4)
    x, xs = T.dvector("x"), T.dmatrix("xs")
    (ys,) = theano.vectorize([x + srng.normal(x.shape)], {x: xs})
    out = function([xs], ys)(np.zeros((3, 5)))
    assert out.shape == (3, 5) and (out == out[0]).all()


def test_draws_in_a_scan_body_differ_at_every_step_and_follow_on():
    srng = RandomStreams(seed=8)
    x = T.dmatrix("x")
    noise = srng.normal((3,))
    outputs, updates = theano.scan(lambda row: row + noise, sequences=x)
    assert list(updates) == [noise.rng]
    f = function([x], outputs, updates=updates)
    first = f(np.zeros((4, 3)))
    assert len({tuple(row) for row in first}) == 4
    np.testing.assert_array_equal(first[2], philox.normal(philox.stream_state(8, 0) + [0, 0, 2, 0], 3, "float64"))
    assert noise.rng.get_value()[2] == 4
    assert not np.array_equal(f(np.zeros((4, 3)))[0], first[0])


def test_a_draw_given_as_a_non_sequence_is_drawn_once():
    srng = RandomStreams(seed=8)
    x = T.dmatrix("x")
    d = srng.binomial((3,))
    outputs, updates = theano.scan(lambda row, d: row * d, sequences=x, non_sequences=d)
    assert not updates
    rows = function([x], outputs)(np.ones((5, 3)))
    assert (rows == rows[0]).all()


def test_gradient_through_a_scan_that_draws():
    srng = RandomStreams(seed=8)
    x, w = T.dmatrix("x"), T.dvector("w")
    outputs, updates = theano.scan(lambda row: T.sum(row * w * srng.uniform((3,))), sequences=x)
    f = function([x, w], [T.grad(T.sum(outputs), w), outputs], no_default_updates=True)
    g, out = f(np.ones((4, 3)), np.ones(3))
    state = philox.stream_state(8, 0)
    draws = np.array([philox.uniform(state + [0, 0, t, 0], 3, "float64") for t in range(4)])
    np.testing.assert_allclose(g, draws.sum(axis=0))
    np.testing.assert_allclose(out, draws.sum(axis=1))


def test_mrg_spelling():
    srng = MRG_RandomStreams()
    assert srng.default_instance_seed == 12345
    b = srng.binomial((N,), 0.8)  # MRG's order: size, p, n
    pvals = T.constant([[0.2, 0.8, 0.0], [0.0, 0.0, 1.0]])
    m = srng.multinomial(pvals=pvals, n=3)
    c = srng.choice(size=2, p=pvals + 0.1, replace=False)
    r = srng.choice(size=4, p=pvals)
    bv, mv, cv, rv = function([], [b, m, c, r])()
    assert abs(bv.mean() - 0.8) < 0.015
    assert mv.shape == (2, 3) and mv.sum(axis=1).tolist() == [3, 3] and mv[1].tolist() == [0, 0, 3]
    assert cv.shape == (2, 2) and all(len(set(row)) == 2 for row in cv)
    assert r.ndim == 2 and set(rv[1]) == {2} and set(rv[0]) <= {0, 1}


def test_copying_random_state_between_graphs():
    """Theano's tutorial: copying state_updates (and MRG's rstate) puts two graphs in step."""
    g1, g2 = MRG_RandomStreams(123), MRG_RandomStreams(987)
    y1, y2 = g1.uniform(size=(1,)), g2.uniform(size=(1,))
    f1, f2 = function([], y1), function([], y2)
    assert f1() != f2()
    g2.rstate = g1.rstate
    for su1, su2 in zip(g1.state_updates, g2.state_updates):
        su2[0].set_value(su1[0].get_value())
    assert f1() == f2()


def test_random_graphs_and_streams_pickle():
    srng = RandomStreams(seed=6)
    y = srng.normal((3,))
    srng2, y2 = pickle.loads(pickle.dumps((srng, y)))
    a = function([], y, no_default_updates=True)()
    np.testing.assert_array_equal(function([], y2)(), a)
    assert srng2.state_updates[0][0] is y2.rng and y2.rng.get_value()[2] == 1


def test_debug_mode_checks_draws_against_perform():
    srng = RandomStreams(seed=6)
    x = T.dvector("x")
    f = function([x], T.exp(srng.normal((3,), avg=x)), mode="DebugMode")
    assert not np.array_equal(f(np.zeros(3)), f(np.zeros(3)))
