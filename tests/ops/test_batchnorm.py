"""``T.nnet.bn``: batch normalization for training and inference against NumPy (Theano's
documented formulas), both parameter layouts, the running averages, gradients and errors."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.errors import InputError, ShapeError
from gpugrad.gradient import verify_grad
from gpugrad.tensor.nnet import bn

EPS = 1e-4
# axes argument, the axes it means for a 4-d input
AXES = [("per-activation", (0,)), ("spatial", (0, 2, 3)), ((0, 1), (0, 1))]


def _numpy_train(X, G, B, axes, RM, RV, factor=0.1):
    mean = X.mean(axes, keepdims=True)
    var = X.var(axes, keepdims=True)
    invstd = 1 / np.sqrt(var + EPS)
    m = np.prod([X.shape[a] for a in axes])
    return ((X - mean) * G * invstd + B, mean, invstd, RM * (1 - factor) + mean * factor,
            RV * (1 - factor) + m / (m - 1) * var * factor)


def _reduced(value, axes):
    return value.reshape([n for a, n in enumerate(value.shape) if a not in axes])


@pytest.mark.parametrize("axes,meaning", AXES, ids=["per-activation", "spatial", "tuple"])
@pytest.mark.parametrize("full", [False, True], ids=["reduced", "keepdims"])
def test_train_and_test(axes, meaning, full, rng):
    X = rng.standard_normal((5, 3, 4, 2)) * 2 + 1
    kept = [n if a not in meaning else 1 for a, n in enumerate(X.shape)]
    G, B, RM, RV = (rng.uniform(0.5, 1.5, kept) for _ in range(4))
    x = T.dtensor4("x")
    ndim = 4 if full else 4 - len(meaning)
    g, b, rm, rv = (T.tensor("float64", shape=(None,) * ndim, name=n) for n in ["g", "b", "rm", "rv"])
    params = [v if full else _reduced(v, meaning) for v in (G, B, RM, RV)]
    outs = bn.batch_normalization_train(x, g, b, axes, EPS, 0.1, rm, rv)
    test = bn.batch_normalization_test(x, g, b, rm, rv, axes, EPS)
    got = gg.function([x, g, b, rm, rv], [*outs, test])(X, *params)
    expected = _numpy_train(X, G, B, meaning, RM, RV)
    for k, (a, e) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(a, e if k == 0 or full else _reduced(e, meaning), rtol=1e-12)
    np.testing.assert_allclose(got[-1], (X - RM) * G / np.sqrt(RV + EPS) + B, rtol=1e-12)
    assert len(bn.batch_normalization_train(x, g, b, axes)) == 3


def test_float32_stays_float32_and_gradients(rng):
    x, g, b = T.ftensor4("x"), T.fvector("g"), T.fvector("b")
    out, mean, invstd = bn.batch_normalization_train(x, g, b, "spatial")
    assert out.dtype == mean.dtype == invstd.dtype == "float32"
    X = rng.standard_normal((4, 3, 2, 2))
    G, B = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    verify_grad(lambda x, g, b: bn.batch_normalization_train(x, g, b, "spatial")[0], [X, G, B], rng=rng)
    verify_grad(lambda x, g, b: bn.batch_normalization_train(x, g, b)[0] * 2, [X.astype("float32"),
                np.ones((3, 2, 2), "float32"), np.zeros((3, 2, 2), "float32")], rng=rng)
    full = [np.broadcast_to(v[:, None, None], (4, 3, 2, 2)) for v in (G, B)]
    verify_grad(lambda x, g, b, m, s: bn.batch_normalization(x, g, b, m, s),
                [X, *full, np.broadcast_to(X.mean(0), X.shape), np.broadcast_to(X.std(0) + 1, X.shape)], rng=rng)


def test_batch_normalization_modes_agree(rng):
    x = T.dmatrix("x")
    X = rng.standard_normal((4, 3))
    args = (x, np.full(3, 2.0), np.ones(3), X.mean(0), X.std(0))
    low, high = gg.function([x], [bn.batch_normalization(*args), bn.batch_normalization(*args, mode="high_mem")])(X)
    np.testing.assert_allclose(low, (X - X.mean(0)) * (2.0 / X.std(0)) + 1)
    np.testing.assert_allclose(high, low)
    assert T.nnet.batch_normalization is bn.batch_normalization


def test_errors():
    x, v = T.dtensor4("x"), T.dvector("v")
    with pytest.raises(ShapeError, match="parameters need 3"):
        bn.batch_normalization_train(x, v, v)
    with pytest.raises(InputError, match="both"):
        bn.batch_normalization_train(x, T.dtensor3(), T.dtensor3(), running_mean=T.dtensor3())
    with pytest.raises(InputError, match="axes"):
        bn.batch_normalization_test(x, v, v, v, v, axes="channels")
    with pytest.raises(ShapeError, match="at least one axis"):
        bn.batch_normalization_train(x, v, v, axes=(4,))
    with pytest.raises(ShapeError, match="beta"):
        bn.batch_normalization_train(x, T.dtensor3(), v)
    with pytest.raises(InputError, match="mode"):
        bn.batch_normalization(x, v, v, v, v, mode="fast")
    g = T.dtensor4("g")
    f = gg.function([x, g], bn.batch_normalization_train(x, g, g)[0])
    with pytest.raises(ShapeError, match="reshape"):  # a keepdims parameter with a size above 1 on a normalized axis
        f(np.ones((2, 3, 1, 1)), np.ones((2, 3, 1, 1)))
