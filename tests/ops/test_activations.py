"""``T.nnet.elu``, ``selu``, ``softsign`` and ``hard_sigmoid``: values against NumPy (Theano's
definitions), derivatives, dtypes, and no inf or NaN from elu at large inputs."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.gradient import verify_grad

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
ACTIVATIONS = {
    "elu": (T.nnet.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    "elu_alpha": (lambda x: T.nnet.elu(x, 0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(np.minimum(x, 0)))),
    "selu": (T.nnet.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))),
    "softsign": (T.nnet.softsign, lambda x: x / (1 + np.abs(x))),
    "hard_sigmoid": (T.nnet.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1)),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_dtypes_and_gradients(name, dtype, rng):
    fn, expected = ACTIVATIONS[name]
    X = np.concatenate([rng.uniform(-4, 4, 20), [-800.0, 800.0]]).astype(dtype)
    x = T.tensor(dtype, shape=(None,), name="x")
    y = fn(x)
    got, g = gg.function([x], [y, T.grad(T.sum(y), x)])(X)
    assert got.dtype == y.dtype == dtype
    np.testing.assert_allclose(got, expected(X.astype("float64")), rtol=1e-6 if dtype == "float32" else 1e-14)
    assert np.all(np.isfinite(got)) and np.all(np.isfinite(g))
    smooth = X[:-2][np.abs(np.abs(X[:-2]) - 2.5) > 0.05][:10]  # off hard_sigmoid's kinks at +-2.5
    verify_grad(fn, [smooth], rng=rng)


def test_elu_derivative_at_zero_is_alpha():
    x = T.dvector("x")
    g = gg.function([x], T.grad(T.sum(T.nnet.elu(x, 0.3)), x))(np.array([0.0, 1.0, -1.0]))
    np.testing.assert_allclose(g, [0.3, 1.0, 0.3 * np.exp(-1.0)])
