"""The workloads in Theano's API, written once for the libraries that speak it (gpugrad
and PyTensor, whose code ports by changing the imports). ``api`` is a namespace with
``T`` (the tensor module), ``function``, ``grad``, ``Rop``, ``Lop``, ``jacobian``,
``hessian``, ``hessian_vector_product``, ``scan``, ``shared``, ``expm`` and ``asarray``
(which puts a per-call argument where the compiled function wants it). Each builder
compiles the graph and returns the call, its arguments bound."""
from functools import partial

import numpy as np

from . import Idiom
from ..reference import LEARNING_RATE, MLP_PARAMETERS


def bound(api, f, data, *keys):
    """``f`` with the workload's ``keys`` as its arguments, on the device."""
    return partial(f, *(api.asarray(data[key]) for key in keys))


def scalar_gradient(api, data):
    x = api.T.dscalar("x")
    return partial(api.function([x], api.grad(x ** 2, x)), data["x"])


def logistic_gradient(api, data):
    x = api.T.dmatrix("x")
    s = api.T.sum(1 / (1 + api.T.exp(-x)))
    return bound(api, api.function([x], api.grad(s, x)), data, "x")


def fresh_logistic_gradient(api, data):
    """Each call builds the graph, differentiates, compiles and runs it once."""
    return lambda: logistic_gradient(api, data)()


def elementwise(T):
    x = T.dvector("x")
    return x, x ** 3 * T.sin(x)


def jacobian(api, data):
    x, y = elementwise(api.T)
    return bound(api, api.function([x], api.jacobian(y, x)), data, "x")


def jacobian_diag_by_grad_of_sum(api, data):
    """The Theano users' idiom for an elementwise derivative: the gradient of the sum."""
    x, y = elementwise(api.T)
    return bound(api, api.function([x], api.grad(api.T.sum(y), x)), data, "x")


def hessian_cost(T):
    x = T.dvector("x")
    return x, T.sum(x ** 2 * T.exp(-x)) + T.sum(x) ** 2


def hessian(api, data):
    x, cost = hessian_cost(api.T)
    return bound(api, api.function([x], api.hessian(cost, x)), data, "x")


def hvp_reverse_over_reverse(api, data):
    """H v as the gradient of g . v."""
    x, cost = hessian_cost(api.T)
    v = api.T.dvector("v")
    g = api.grad(cost, x)
    return bound(api, api.function([x, v], api.grad(api.T.sum(g * v), x)), data, "x", "v")


def hvp_forward_over_reverse(api, data):
    """H v as the R-op of the gradient."""
    x, cost = hessian_cost(api.T)
    v = api.T.dvector("v")
    return bound(api, api.function([x, v], api.hessian_vector_product(cost, x, v)), data, "x", "v")


def dot_rop(api, data):
    """The tutorial's ``function([W, V, x], Rop(dot(x, W), W, V))``."""
    W, V, x = api.T.dmatrix("W"), api.T.dmatrix("V"), api.T.dvector("x")
    return bound(api, api.function([W, V, x], api.Rop(api.T.dot(x, W), W, V)), data, "W", "V", "x")


def dot_lop(api, data):
    """The tutorial's ``function([v, x], Lop(dot(x, W), W, v))``."""
    W, u, x = api.T.dmatrix("W"), api.T.dvector("u"), api.T.dvector("x")
    return bound(api, api.function([u, x], api.Lop(api.T.dot(x, W), W, u)), data, "u", "x")


def mlp_training_step(api, data):
    """A compiled SGD step (returning the cost) and the shared variables it updates."""
    T = api.T
    W1, b1, W2, b2 = params = [api.shared(data[key], name=key) for key in MLP_PARAMETERS]
    X, Y = T.fmatrix("X"), T.fmatrix("Y")
    z = T.dot(T.tanh(T.dot(X, W1) + b1), W2) + b2
    cost = -T.mean(T.sum(Y * (z - T.logsumexp(z, axis=1, keepdims=True)), axis=1))
    updates = [(p, p - np.float32(LEARNING_RATE) * g) for p, g in zip(params, api.grad(cost, params))]
    return api.function([X, Y], cost, updates=updates), params


def mlp_step(api, data):
    """The parameters are shared variables, updated by ``updates=``."""
    return bound(api, mlp_training_step(api, data)[0], data, "X", "Y")


def expm_rop(api, data):
    """d/dx expm(1j x H) in forward mode: the R-op along dx = 1."""
    x, H = api.T.dscalar("x"), api.T.zmatrix("H")
    return bound(api, api.function([x, H], api.Rop(api.expm(1j * x * H), x, api.T.constant(1.0))), data, "x", "H")


def expm_jacobian(api, data):
    x, H = api.T.dscalar("x"), api.T.zmatrix("H")
    return bound(api, api.function([x, H], api.jacobian(api.expm(1j * x * H), x)), data, "x", "H")


def tutorial_scan_jacobian(api, data):
    """The tutorial's Jacobian, verbatim: a scan over the rows, each a gradient."""
    x = api.T.dvector("x")
    y = x ** 2
    J, updates = api.scan(lambda i, y, x: api.grad(y[i], x), sequences=api.T.arange(y.shape[0]),
                          non_sequences=[y, x])
    return bound(api, api.function([x], J, updates=updates), data, "x")


_EXPM = [("Rop", expm_rop), ("jacobian", expm_jacobian)]
SHARED = {
    "scalar-grad": [("function(grad)", scalar_gradient)],
    "logistic": [("grad", logistic_gradient)],
    "jacobian": [("jacobian", jacobian)],
    "hessian": [("hessian", hessian)],
    "hvp-rev": [("grad(sum(g * v))", hvp_reverse_over_reverse)],
    "hvp-fwd": [("hessian_vector_product", hvp_forward_over_reverse)],
    "rop": [("Rop", dot_rop)],
    "lop": [("Lop", dot_lop)],
    "mlp-step": [("shared + updates", mlp_step)],
    "expm-3": _EXPM,
    "expm-64": _EXPM,
    "scan-jacobian": [("scan, as the tutorial", tutorial_scan_jacobian)],
    "compile": [("function(grad)", fresh_logistic_gradient)],
}


def idiom(api_on, label, builder, default=False):
    """An ``Idiom`` building ``builder`` with the namespace ``api_on(device)``."""
    return Idiom(label, lambda data, device: builder(api_on(device), data), default)


def builders(api_on, **own):
    """The ``BUILDERS`` of a library speaking Theano's API: the idioms above, each
    workload of ``own`` (keyword: the workload name with ``_`` for ``-``) in their place."""
    table = {name: [idiom(api_on, label, builder) for label, builder in idioms] for name, idioms in SHARED.items()}
    table.update({name.replace("_", "-"): idioms for name, idioms in own.items()})
    return table
