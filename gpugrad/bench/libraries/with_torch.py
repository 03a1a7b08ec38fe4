"""The workloads in PyTorch, eager as its users run them: ``torch.autograd`` (the default
API, whose ``autograd.functional`` Jacobians loop over rows) and ``torch.func`` (the
transforms, vectorized) where they differ; the training step an ``nn.Module`` with
``optim.SGD``. ``torch.compile`` is left out: compiling the training step took 20 s on
our 2-core machine and the compiled step was no faster than eager there."""
from functools import partial

import torch
from torch import nn

from . import Idiom, Unavailable
from .. import reference as ref
from .. import environment


def prepare(device, threads):
    if device == "cuda" and not torch.cuda.is_available():
        raise Unavailable("torch.cuda.is_available() is False (a CPU-only build, or no usable GPU)")
    torch.set_num_threads(threads)


def version():
    return f"PyTorch {torch.__version__} ({environment.threads(torch.get_num_threads())})"


def to_numpy(result):
    return result.detach().cpu().resolve_conj().numpy()


def sync(result):
    if result.is_cuda:
        torch.cuda.synchronize()


def _tensors(data, device, keys):
    """The workload's arrays as tensors on ``device``; Python floats become float64 0-d tensors."""
    return [torch.as_tensor(data[key], dtype=torch.float64 if isinstance(data[key], float) else None, device=device)
            for key in keys]


def _calling(fn, *keys):
    """A builder: ``fn`` with the workload's ``keys`` as its arguments."""
    def build(data, device):
        return partial(fn, *_tensors(data, device, keys))
    return build


square, logistic_cost, elementwise, hessian_cost = (
    partial(f, torch) for f in (ref.square, ref.logistic_cost, ref.elementwise, ref.hessian_cost))


def scalar_gradient_by_backward(data, device):
    def call():
        x = torch.tensor(data["x"], dtype=torch.float64, device=device, requires_grad=True)
        square(x).backward()
        return x.grad
    return call


def scalar_gradient_by_func(data, device):
    grad = torch.func.grad(square)
    return lambda: grad(torch.tensor(data["x"], dtype=torch.float64, device=device))


def logistic_gradient(x):
    x = x.detach().requires_grad_()
    return torch.autograd.grad(logistic_cost(x), x)[0]


def fresh_logistic_gradient(data, device):
    """Eager code builds its graph on every call: the first call is all there is."""
    return _calling(logistic_gradient, "x")(data, device)


def diagonal_by_grad_of_ones(x):
    x = x.detach().requires_grad_()
    y = elementwise(x)
    return torch.autograd.grad(y, x, torch.ones_like(y))[0]


def hvp_reverse_over_reverse(x, v):
    x = x.detach().requires_grad_()
    g, = torch.autograd.grad(hessian_cost(x), x, create_graph=True)
    return torch.autograd.grad(g, x, v)[0]


def hvp_forward_over_reverse(x, v):
    return torch.func.jvp(torch.func.grad(hessian_cost), (x,), (v,))[1]


def dot_rop_by_func(W, V, x):
    return torch.func.jvp(lambda W: x @ W, (W,), (V,))[1]


def dot_rop_by_autograd(W, V, x):
    """``autograd.functional.jvp``: the double-backward trick."""
    return torch.autograd.functional.jvp(lambda W: x @ W, W, V)[1]


def dot_lop(W, x, u):
    W = W.detach().requires_grad_()
    return torch.autograd.grad(x @ W, W, u)[0]


def expm_derivative(x, H):
    """Forward mode: ``func.jacfwd`` refuses complex outputs, ``func.jvp`` takes them."""
    return torch.func.jvp(lambda x: torch.linalg.matrix_exp(1j * x * H), (x,), (torch.ones_like(x),))[1]


def scan_jacobian(x):
    """The tutorial's scan as PyTorch users write it: a loop of gradients of the rows."""
    x = x.detach().requires_grad_()
    y = square(x)
    return torch.stack([torch.autograd.grad(y[i], x, retain_graph=True)[0] for i in range(len(y))])


def mlp_step(data, device):
    (n_in, hidden), n_out = data["W1"].shape, data["W2"].shape[1]
    model = nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, n_out)).to(device)
    with torch.no_grad():
        for layer, W, b in [(model[0], "W1", "b1"), (model[2], "W2", "b2")]:
            layer.weight.copy_(torch.as_tensor(data[W].T))
            layer.bias.copy_(torch.as_tensor(data[b]))
    optimizer = torch.optim.SGD(model.parameters(), lr=ref.LEARNING_RATE)
    X, Y = _tensors(data, device, ["X", "Y"])

    def step():
        optimizer.zero_grad()
        cost = nn.functional.cross_entropy(model(X), Y)
        cost.backward()
        optimizer.step()
        return cost.detach()
    return step


_EXPM = [Idiom("func.jvp", _calling(expm_derivative, "x", "H"))]
BUILDERS = {
    "scalar-grad": [Idiom("func.grad", scalar_gradient_by_func),
                    Idiom("backward()", scalar_gradient_by_backward, default=True)],
    "logistic": [Idiom("autograd.grad", _calling(logistic_gradient, "x"))],
    "jacobian": [Idiom("func.jacfwd", _calling(torch.func.jacfwd(elementwise), "x")),
                 Idiom("autograd.functional.jacobian", _calling(partial(torch.autograd.functional.jacobian, elementwise),
                                                                "x"), default=True)],
    "jacobian-diag": [Idiom("func.vmap(func.grad)", _calling(torch.func.vmap(torch.func.grad(elementwise)), "x")),
                      Idiom("autograd.grad(y, x, ones)", _calling(diagonal_by_grad_of_ones, "x"), default=True)],
    "hessian": [Idiom("func.hessian", _calling(torch.func.hessian(hessian_cost), "x")),
                Idiom("autograd.functional.hessian", _calling(partial(torch.autograd.functional.hessian, hessian_cost),
                                                              "x"), default=True)],
    "hvp-rev": [Idiom("autograd.grad(create_graph)", _calling(hvp_reverse_over_reverse, "x", "v"))],
    "hvp-fwd": [Idiom("func.jvp(func.grad)", _calling(hvp_forward_over_reverse, "x", "v"))],
    "rop": [Idiom("func.jvp", _calling(dot_rop_by_func, "W", "V", "x")),
            Idiom("autograd.functional.jvp", _calling(dot_rop_by_autograd, "W", "V", "x"), default=True)],
    "lop": [Idiom("autograd.grad", _calling(dot_lop, "W", "x", "u"))],
    "mlp-step": [Idiom("nn + optim.SGD", mlp_step)],
    "expm-3": _EXPM,
    "expm-64": _EXPM,
    "scan-jacobian": [Idiom("func.jacrev", _calling(torch.func.jacrev(square), "x")),
                      Idiom("loop of autograd.grad", _calling(scan_jacobian, "x"), default=True)],
    "compile": [Idiom("eager: nothing to compile", fresh_logistic_gradient)],
}
