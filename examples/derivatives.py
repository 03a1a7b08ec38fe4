"""The Theano tutorial "Derivatives in Theano", run on gpugrad with only the imports changed.

    python examples/derivatives.py [--device auto|cpu|cuda|cuda-sim]

Each section prints what the tutorial prints, the device its function ran on, and
where each node of the compiled graph ran (host shape arithmetic, device kernels, transfers).
"""
import argparse
import warnings

import numpy

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad import pp

def section(title):
    print(f"\n== {title}")


def report(f, value):
    """The value, then where each node of the compiled graph ran (``f.placement``)."""
    print(f"{value!r}    (device: {f.device})")
    ran = {}
    for node, device in f.placement.items():
        ran.setdefault(device, []).append(str(node.op))
    for device, ops in ran.items():
        print(f"    on {device}: {', '.join(ops)}")


def gradients(device):
    section("Computing gradients")
    x = T.dscalar('x')
    y = x ** 2
    gy = T.grad(y, x)
    print("pp(gy) before optimization:", pp(gy))
    f = theano.function([x], gy, device=device)
    report(f, f(4))
    print("numpy.allclose(f(94.2), 188.4):", numpy.allclose(f(94.2), 188.4))
    print("pp(f.maker.fgraph.outputs[0]) after optimization:", pp(f.maker.fgraph.outputs[0]))

    x = T.dmatrix('x')
    s = T.sum(1 / (1 + T.exp(-x)))
    gs = T.grad(s, x)
    dlogistic = theano.function([x], gs, device=device)
    report(dlogistic, dlogistic([[0, 1], [-1, -2]]))


def jacobian_and_hessian(device):
    section("Computing the Jacobian")
    x = T.dvector('x')
    y = x ** 2
    J, updates = theano.scan(lambda i, y, x: T.grad(y[i], x), sequences=T.arange(y.shape[0]), non_sequences=[y, x])
    f = theano.function([x], J, updates=updates, device=device)
    report(f, f([4, 4]))
    print("with T.jacobian (one batched graph, no loop over rows):")
    x = T.dvector('x')
    y = x ** 2
    J = T.jacobian(y, x)
    f = theano.function([x], J, device=device)
    report(f, f([4, 4]))

    section("Computing the Hessian")
    x = T.dvector('x')
    y = x ** 2
    cost = y.sum()
    gy = T.grad(cost, x)
    H, updates = theano.scan(lambda i, gy, x: T.grad(gy[i], x), sequences=T.arange(gy.shape[0]), non_sequences=[gy, x])
    f = theano.function([x], H, updates=updates, device=device)
    report(f, f([4, 4]))
    print("with T.hessian (forward over reverse):")
    x = T.dvector('x')
    y = x ** 2
    cost = y.sum()
    H = T.hessian(cost, x)
    f = theano.function([x], H, device=device)
    report(f, f([4, 4]))


def operators(device):
    section("R-operator")
    W = T.dmatrix('W')
    V = T.dmatrix('V')
    x = T.dvector('x')
    y = T.dot(x, W)
    JV = T.Rop(y, W, V)
    f = theano.function([W, V, x], JV, device=device)
    report(f, f([[1, 1], [1, 1]], [[2, 2], [2, 2]], [0, 1]))

    section("L-operator")
    W = T.dmatrix('W')
    v = T.dvector('v')
    x = T.dvector('x')
    y = T.dot(x, W)
    VJ = T.Lop(y, W, v)
    f = theano.function([v, x], VJ, device=device)
    report(f, f([2, 2], [0, 1]))


def hessian_times_vector(device):
    section("Hessian times a vector")
    x = T.dvector('x')
    v = T.dvector('v')
    y = T.sum(x ** 2)
    gy = T.grad(y, x)
    vH = T.grad(T.sum(gy * v), x)
    f = theano.function([x, v], vH, device=device)
    report(f, f([4, 4], [2, 2]))

    print("or, making use of the R-operator:")
    Hv = T.Rop(gy, x, v)
    f = theano.function([x, v], Hv, device=device)
    report(f, f([4, 4], [2, 2]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N or cuda-sim")
    device = parser.parse_args().device
    warnings.simplefilter("always", theano.DeviceFallbackWarning)
    gradients(device)
    jacobian_and_hessian(device)
    operators(device)
    hessian_times_vector(device)


if __name__ == "__main__":
    main()
