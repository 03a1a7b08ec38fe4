"""Loops with gpugrad.scan: the tutorial's manual Jacobian and Hessian beside
T.jacobian and T.hessian, and a small RNN trained by gradient descent through scan.

    python examples/scan_recipes.py
"""
import numpy as np

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad.scan.op import Scan


def loops_left(f):
    return sum(isinstance(node.op, Scan) for node in f.maker.fgraph.toposort())


def jacobian_and_hessian():
    x = T.dvector('x')
    y = x ** 2
    J, updates = theano.scan(lambda i, y, x: T.grad(y[i], x), sequences=T.arange(y.shape[0]), non_sequences=[y, x])
    f = theano.function([x], J, updates=updates)
    print("scan Jacobian of x**2 at [4, 4]:\n", f([4, 4]), f"\n  (loops left after compiling: {loops_left(f)})")
    print("T.jacobian:\n", theano.function([x], T.jacobian(y, x))([4, 4]))

    cost = y.sum()
    gy = T.grad(cost, x)
    H, updates = theano.scan(lambda i, gy, x: T.grad(gy[i], x), sequences=T.arange(gy.shape[0]),
                             non_sequences=[gy, x])
    f = theano.function([x], H, updates=updates)
    print("scan Hessian of sum(x**2) at [4, 4]:\n", f([4, 4]))
    print("T.hessian:\n", theano.function([x], T.hessian(cost, x))([4, 4]))


def train_rnn(steps=200, learning_rate=0.1):
    """Learn to output the running mean of a noisy sequence: h_t = tanh(x_t W + h_{t-1} U + b),
    prediction h_t v, squared error; the parameters are shared variables updated in place."""
    rng = np.random.default_rng(0)
    hidden = 8
    W = theano.shared(rng.standard_normal((1, hidden)) * 0.5, name="W")
    U = theano.shared(rng.standard_normal((hidden, hidden)) * 0.3, name="U")
    b = theano.shared(np.zeros(hidden), name="b")
    v = theano.shared(rng.standard_normal(hidden) * 0.5, name="v")
    X, targets = T.dtensor3("X"), T.dmatrix("targets")
    h0 = T.zeros((X.shape[1], hidden))
    hs, _ = theano.scan(lambda x_t, h: T.tanh(T.dot(x_t, W) + T.dot(h, U) + b), sequences=X, outputs_info=h0)
    predictions = T.dot(hs, v)
    cost = ((predictions - targets) ** 2).mean()
    params = [W, U, b, v]
    updates = [(p, p - learning_rate * g) for p, g in zip(params, T.grad(cost, params))]
    step = theano.function([X, targets], cost, updates=updates)
    for i in range(steps):
        xs = rng.standard_normal((10, 16, 1))
        running_mean = np.cumsum(xs[..., 0], axis=0) / np.arange(1, 11)[:, None]
        loss = step(xs, running_mean)
        if i % 50 == 0 or i == steps - 1:
            print(f"RNN step {i:3d}: mean squared error {float(loss):.4f}")


def main():
    jacobian_and_hessian()
    train_rnn()


if __name__ == "__main__":
    main()
