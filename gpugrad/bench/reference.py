"""The workloads' data and their derivatives worked out by hand, written once for NumPy and
CuPy (``xp``). Run in NumPy on the host they are the oracle every library is checked
against; run on the benchmark's device they are the baseline of the ratio column."""
import numpy as np

LEARNING_RATE = 0.1
EXPM_AT = 2.0


# The functions differentiated, for any module with NumPy's names (jax.numpy, torch too).
def square(xp, x):
    return x ** 2


def logistic_cost(xp, x):
    return xp.sum(1 / (1 + xp.exp(-x)))


def elementwise(xp, x):
    return x ** 3 * xp.sin(x)


def hessian_cost(xp, x):
    return xp.sum(x ** 2 * xp.exp(-x)) + xp.sum(x) ** 2


# Their derivatives, by hand.
def scalar_gradient(xp, x):
    """d(x**2)/dx, as plain Python arithmetic on a Python float."""
    return 2.0 * x


def elementwise_derivative(xp, x):
    """d/dx of x**3 sin(x), the elementwise function whose Jacobian is diagonal."""
    return 3 * x ** 2 * xp.sin(x) + x ** 3 * xp.cos(x)


def elementwise_jacobian(xp, x):
    return xp.diag(elementwise_derivative(xp, x))


def square_jacobian(xp, x):
    """The Jacobian of x**2 (the tutorial's scan example)."""
    return xp.diag(2 * x)


def logistic_gradient(xp, x):
    """d/dx sum(1 / (1 + exp(-x))), the tutorial's logistic gradient."""
    s = 1 / (1 + xp.exp(-x))
    return s * (1 - s)


def hessian(xp, x):
    """Hessian of sum(x**2 exp(-x)) + sum(x)**2: a diagonal plus the constant 2."""
    return xp.diag((2 - 4 * x + x ** 2) * xp.exp(-x)) + 2


def hessian_vector_product(xp, x, v):
    """The Hessian above times ``v``, in O(n)."""
    return (2 - 4 * x + x * x) * xp.exp(-x) * v + 2 * v.sum()


def dot_rop(xp, x, V):
    """R-op of dot(x, W) with respect to W in the direction V."""
    return x @ V


def dot_lop(xp, x, u):
    """L-op of dot(x, W) with respect to W, pulled back from u."""
    return xp.outer(x, u)


def expm_derivative(xp, x, H):
    """d/dx expm(1j x H) = 1j H expm(1j x H) (H commutes with its exponential)."""
    return 1j * H @ _linalg(xp).expm(1j * x * H)


def _linalg(xp):
    if xp is np:
        import scipy.linalg
        return scipy.linalg
    import cupyx.scipy.linalg
    return cupyx.scipy.linalg


def mlp_step(xp, params):
    """One SGD step of a tanh MLP with softmax cross-entropy, backpropagated by hand;
    ``params`` (W1, b1, W2, b2) are updated in place, the step returns the cost."""
    def step(X, Y):
        W1, b1, W2, b2 = params
        h = xp.tanh(X @ W1 + b1)
        z = h @ W2 + b2
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - xp.log(xp.exp(z).sum(axis=1, keepdims=True))
        cost = -xp.mean(xp.sum(Y * log_p, axis=1))
        dz = (xp.exp(log_p) - Y) / X.dtype.type(len(X))
        dh = (dz @ W2.T) * (1 - h * h)
        for p, g in zip(params, [X.T @ dh, dh.sum(axis=0), h.T @ dz, dz.sum(axis=0)]):
            p -= X.dtype.type(LEARNING_RATE) * g
        return cost
    return step


# ----------------------------------------------------------------------------- data
def scalar(rng, size):
    return {"x": 94.2}


def matrix(rng, n):
    return {"x": rng.standard_normal((n, n))}


def vector(rng, n):
    return {"x": rng.uniform(-2, 2, n)}


def vector_and_direction(rng, n):
    return {"x": rng.uniform(-2, 2, n), "v": rng.standard_normal(n)}


def dot_tangent(rng, n):
    """``dot(x, W)`` at W in the direction V."""
    return {"x": rng.standard_normal(n), "W": rng.standard_normal((n, n)), "V": rng.standard_normal((n, n))}


def dot_cotangent(rng, n):
    """``dot(x, W)`` at W, pulled back from u."""
    return {"x": rng.standard_normal(n), "W": rng.standard_normal((n, n)), "u": rng.standard_normal(n)}


def hermitian(rng, n):
    """A Hermitian H of norm about 1, for d/dx expm(1j x H) at x = 2."""
    h = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    return {"x": EXPM_AT, "H": (h + h.conj().T) / (2 * np.sqrt(n))}


MLP_LAYERS = (784, 512, 10)


def mlp_parameters(rng):
    def weights(n_in, n_out):
        return (rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32)
    n_in, hidden, n_out = MLP_LAYERS
    return {"W1": weights(n_in, hidden), "b1": np.zeros(hidden, np.float32),
            "W2": weights(hidden, n_out), "b2": np.zeros(n_out, np.float32)}


def mlp_batch(rng, batch):
    X = rng.standard_normal((batch, MLP_LAYERS[0])).astype(np.float32)
    Y = np.eye(MLP_LAYERS[-1], dtype=np.float32)[rng.integers(0, MLP_LAYERS[-1], batch)]
    return {"X": X, "Y": Y}


def mlp(rng, batch):
    return {**mlp_parameters(rng), **mlp_batch(rng, batch)}


MLP_PARAMETERS = ("W1", "b1", "W2", "b2")
