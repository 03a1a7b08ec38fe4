"""The workloads in JAX, as its users write them: pure functions transformed by ``grad``,
``jvp``, ``vjp``, ``jacfwd``, ``hessian`` and ``vmap`` under ``jax.jit``, float64 enabled,
a training step that returns new parameters (their buffers donated)."""
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import expm

from . import Idiom, Unavailable
from .. import reference as ref


def prepare(device, threads):
    """float64 on, and arrays (and Python numbers) placed on ``device`` by default; the
    threads XLA uses follow the process's CPU affinity, which the benchmark pins."""
    jax.config.update("jax_enable_x64", True)
    platform = "gpu" if device == "cuda" else "cpu"
    try:
        jax.config.update("jax_default_device", jax.devices(platform)[0])
    except RuntimeError as exc:
        raise Unavailable(f"JAX has no {platform} backend (on a GPU: pip install \"jax[cuda12]\")") from exc


def version():
    device = jax.config.jax_default_device or jax.devices()[0]
    return f"JAX {jax.__version__} ({device.platform})"


def to_numpy(result):
    return np.asarray(result)


def sync(result):
    jax.block_until_ready(result)


def _arrays(data, keys):
    return [jnp.array(data[key]) if isinstance(data[key], np.ndarray) else data[key] for key in keys]


def _jitted(fn, *keys):
    """A builder: ``jax.jit(fn)`` with the workload's ``keys`` as its arguments."""
    def build(data, device):
        return partial(jax.jit(fn), *_arrays(data, keys))
    return build


square, logistic_cost, elementwise, hessian_cost = (
    partial(f, jnp) for f in (ref.square, ref.logistic_cost, ref.elementwise, ref.hessian_cost))


def hvp_reverse_over_reverse(x, v):
    return jax.grad(lambda x: jnp.vdot(jax.grad(hessian_cost)(x), v))(x)


def hvp_forward_over_reverse(x, v):
    return jax.jvp(jax.grad(hessian_cost), (x,), (v,))[1]


def dot_rop(W, V, x):
    return jax.jvp(lambda W: x @ W, (W,), (V,))[1]


def dot_lop(W, x, u):
    return jax.vjp(lambda W: x @ W, W)[1](u)[0]


def expm_jacobian(x, H):
    return jax.jacfwd(lambda x: expm(1j * x * H))(x)


def scan_jacobian(x):
    """The tutorial's scan, as JAX writes a loop: ``lax.map`` over the rows."""
    return jax.lax.map(lambda i: jax.grad(lambda x: square(x)[i])(x), jnp.arange(x.shape[0]))


def scalar_gradient_eagerly(data, device):
    return partial(jax.grad(square), data["x"])


def fresh_logistic_gradient(data, device):
    """Each call traces and compiles a new function (a new lambda: no cache hit)."""
    x, = _arrays(data, ["x"])
    return lambda: jax.jit(jax.grad(lambda x: logistic_cost(x)))(x)


def mlp_cost(params, X, Y):
    W1, b1, W2, b2 = params
    z = jnp.tanh(X @ W1 + b1) @ W2 + b2
    return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(z), axis=1))


@partial(jax.jit, donate_argnums=0)
def sgd_step(params, X, Y):
    cost, grads = jax.value_and_grad(mlp_cost)(params, X, Y)
    return cost, [p - ref.LEARNING_RATE * g for p, g in zip(params, grads)]


def mlp_step(data, device):
    state = [_arrays(data, ref.MLP_PARAMETERS)]
    X, Y = _arrays(data, ["X", "Y"])

    def step():
        cost, state[0] = sgd_step(state[0], X, Y)
        return cost
    return step


_EXPM = [Idiom("jit(jacfwd)", _jitted(expm_jacobian, "x", "H"))]
BUILDERS = {
    "scalar-grad": [Idiom("jit(grad)", _jitted(jax.grad(square), "x")),
                    Idiom("grad, no jit", scalar_gradient_eagerly, default=True)],
    "logistic": [Idiom("jit(grad)", _jitted(jax.grad(logistic_cost), "x"))],
    "jacobian": [Idiom("jit(jacfwd)", _jitted(jax.jacfwd(elementwise), "x"))],
    "jacobian-diag": [Idiom("jit(vmap(grad))", _jitted(jax.vmap(jax.grad(elementwise)), "x"))],
    "hessian": [Idiom("jit(hessian)", _jitted(jax.hessian(hessian_cost), "x"))],
    "hvp-rev": [Idiom("jit(grad(vdot(grad, v)))", _jitted(hvp_reverse_over_reverse, "x", "v"))],
    "hvp-fwd": [Idiom("jit(jvp(grad))", _jitted(hvp_forward_over_reverse, "x", "v"))],
    "rop": [Idiom("jit(jvp)", _jitted(dot_rop, "W", "V", "x"))],
    "lop": [Idiom("jit(vjp)", _jitted(dot_lop, "W", "x", "u"))],
    "mlp-step": [Idiom("jit(value_and_grad), donated", mlp_step)],
    "expm-3": _EXPM,
    "expm-64": _EXPM,
    "scan-jacobian": [Idiom("jit(jacrev)", _jitted(jax.jacrev(square), "x")),
                      Idiom("jit(lax.map(grad)), as the tutorial", _jitted(scan_jacobian, "x"), default=True)],
    "compile": [Idiom("jit(grad)", fresh_logistic_gradient)],
}
