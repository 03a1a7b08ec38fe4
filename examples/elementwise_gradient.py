"""The elementwise gradient of seed 004: df(x[i])/dx[i] for y[i] = f(x[i]), n = 100000.

    python examples/elementwise_gradient.py [--device auto|cpu|cuda|cuda-sim] [--n 100000]

Theano users looped ``scan`` over ``T.grad(f[j], X)``: n backward passes and an n x n
result. ``T.jacobian_diag`` proves the Jacobian diagonal (every path from x to y is
elementwise) and computes its diagonal in one forward pass with a ones tangent: O(n)
time and memory. For a graph that is not elementwise it is still exact, by chunks.
"""
import argparse
import time
import warnings

import numpy as np

import gpugrad as theano
import gpugrad.tensor as T


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N or cuda-sim")
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    warnings.simplefilter("always", theano.DeviceFallbackWarning)

    X = T.fvector('X')
    f = X ** 3 * T.sin(X)
    dfdx = theano.function([X], T.jacobian_diag(f, X), device=args.device)
    x = np.random.default_rng(0).uniform(-2, 2, args.n).astype(np.float32)
    dfdx(x)
    start = time.perf_counter()
    d = dfdx(x)
    elapsed = time.perf_counter() - start
    want = 3 * x ** 2 * np.sin(x) + x ** 3 * np.cos(x)
    print(f"n = {args.n}: df/dx of x**3 * sin(x), shape {d.shape}, dtype {d.dtype}")
    print(f"first values {d[:3]}, max error vs the closed form {np.max(np.abs(d - want)):.2e}")
    print(f"time {elapsed * 1e3:.3f} ms    (device: {dfdx.device})")

    Y = T.dvector('Y')
    exact = theano.function([Y], T.jacobian_diag(Y * Y.sum(), Y), device=args.device)
    print("a Jacobian that is not diagonal, y = x * sum(x) at [1, 2, 3]:", exact([1., 2., 3.]),
          "(the true diagonal sum(x) + x)")


if __name__ == "__main__":
    main()
