"""The notebook "derivatives of expm" (origin document 003) run on gpugrad with only the
imports changed, every result checked against SciPy and finite differences.

    python examples/expm_derivatives.py [--device auto|cpu|cuda|cuda-sim]

The notebook ends with "aaaaand... big fail for Theano!": the derivative of
expm(1j * x * H) with respect to the real x. Its last cell reuses an ``H`` built from an
earlier vector ``x``, so gpugrad answers it with a MissingInputError naming that vector;
with ``H`` a constant matrix the same cell gives 1j H expm(1j x H), as it should.
"""
import argparse

import numpy as np
import scipy.linalg

import gpugrad as theano
from gpugrad.compile.devices import resolve
import gpugrad.tensor as T
import gpugrad.tensor.slinalg


def check(what, got, want, tol=1e-7):
    err = float(np.max(np.abs(np.asarray(got) - np.asarray(want))))
    print(f"   {what}: max error {err:.2e}")
    if not err <= tol:
        raise AssertionError(f"{what}: error {err:.3g} above {tol:g}")


def finite_difference(fn, x, eps=1e-6):
    """d fn / d x by central differences: shape fn(x).shape + x.shape (complex fn allowed)."""
    x = np.asarray(x, dtype=float)
    columns = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = eps
        columns.append((fn(x + step.reshape(x.shape)) - fn(x - step.reshape(x.shape))) / (2 * eps))
    return np.stack(columns, axis=-1).reshape(np.shape(fn(x)) + x.shape)


def first_steps():
    x = T.dscalar('x')
    y = x ** 2
    gy = T.grad(y, x)
    print(theano.pp(gy))
    f = theano.function([x], gy)
    print(f(4))
    check("d/dx x**2 at 4", f(4), 8.0)

    x = T.dvector('x')
    y = x ** 2
    J, updates = theano.scan(lambda i, y, x: T.grad(y[i], x),
                             sequences=T.arange(y.shape[0]),
                             non_sequences=[y, x])
    f = theano.function([x], J, updates=updates)
    print(f([4, 4]))
    check("scan Jacobian of x**2", f([4, 4]), finite_difference(lambda v: v ** 2, [4, 4]), 1e-6)


def elementwise_map(fn, matrix, non_sequences=None):
    flattened_m = T.flatten(matrix)
    if non_sequences is None:
        non_sequences = flattened_m
    else:
        non_sequences = [flattened_m] + non_sequences

    results, updates = theano.map(fn,
                                  sequences=T.arange(flattened_m.shape[0]),
                                  non_sequences=non_sequences)
    return T.reshape(results, matrix.shape)


def map_and_linear_gradients():
    M = T.dmatrix('M')

    def map_func(i, X):
        return X[i] + .5
    Mplus = elementwise_map(map_func, M)
    f = theano.function([M], Mplus)
    print(f([[1, 2], [3, 4]]))
    check("elementwise map", f([[1, 2], [3, 4]]), np.array([[1, 2], [3, 4]]) + .5)

    x = T.dvector('x')
    z = T.dot(x, np.array([5, 7]))
    gz = T.grad(z, x)
    output = theano.function(inputs=[x], outputs=gz)
    print(output([1, 20]))
    check("gradient of 5 x1 + 7 x2", output([1, 20]), [5, 7])


def gradients_of_a_matrix():
    rm = np.arange(18).reshape(2, 3, 3)
    x = T.dvector('x')
    H = x[0] * T.tensordot(x, rm, axes=1)
    Hflat = T.flatten(H)

    def update_func(i, matrix, x):
        return T.grad(matrix[i], x)
    results, updates = theano.map(update_func,
                                  sequences=T.arange(H.shape[0] * H.shape[1]),
                                  non_sequences=[Hflat, x])
    J1 = results.T[0].reshape(H.shape)
    J2 = results.T[1].reshape(H.shape)
    grad_f = theano.function(inputs=[x], outputs=[J1, J2])
    got = grad_f([1, 3.12])
    print(got)
    want = finite_difference(lambda v: v[0] * np.tensordot(v, rm, axes=1), [1, 3.12])
    check("d/dx1 of x1 (x1 H1 + x2 H2)", got[0], want[..., 0], 1e-6)
    check("d/dx2 of x1 (x1 H1 + x2 H2)", got[1], want[..., 1], 1e-6)


def elementwise_grad_map(fn, matrix, non_sequences=None):
    flattened_m = T.flatten(matrix)
    if non_sequences is None:
        non_sequences = flattened_m
    else:
        non_sequences = [flattened_m] + non_sequences

    results, updates = theano.map(fn,
                                  sequences=T.arange(flattened_m.shape[0]),
                                  non_sequences=non_sequences)
    results2, updates = theano.map(lambda m_i: T.reshape(m_i, matrix.shape),
                                   sequences=results.T)
    return results2


def derivative_of_expm():
    """Returns the notebook's ``H``, a function of its vector ``x``, which the last cell reuses."""
    rm = np.arange(18).reshape(2, 3, 3) / 100
    x = T.dvector('x')
    H = T.tensordot(x, rm, axes=1)
    expH = theano.tensor.slinalg.expm(H)

    def update_func(i, matrix, x):
        return T.grad(matrix[i], x)
    results = elementwise_grad_map(update_func, expH, non_sequences=[x])
    grad_f = theano.function(inputs=[x], outputs=results)
    got = grad_f([1., 3.12])
    print(got)
    point = np.array([1., 3.12])
    frechet = [scipy.linalg.expm_frechet(np.tensordot(point, rm, 1), rm[k], compute_expm=False) for k in range(2)]
    check("d expm(x1 H1 + x2 H2) / dx vs SciPy's expm_frechet", got, frechet, 1e-12)
    fd = finite_difference(lambda v: scipy.linalg.expm(np.tensordot(v, rm, 1)), point)
    check("d expm(x1 H1 + x2 H2) / dx vs finite differences", got, np.moveaxis(fd, -1, 0), 1e-8)
    return H


def complex_numbers():
    x = T.dscalar('x')
    y_R = T.real(2j) * x
    y_I = T.imag(2j) * x
    gy_R = T.grad(y_R, x)
    gy_I = T.grad(y_I, x)
    gy = gy_R + 1j * gy_I
    f = theano.function([x], gy)
    print(f(1.34))
    check("d/dx (2j x)", f(1.34), 2j)
    print(scipy.linalg.logm(np.arange(9).reshape(3, 3)))
    # That matrix is singular (it has no logarithm; SciPy's answer is rounding noise), so
    # gpugrad's logm is checked on it plus the identity, whose log is complex.
    A = T.zmatrix('A')
    logm = theano.function([A], T.slinalg.logm(A))
    B = np.arange(9).reshape(3, 3) + np.eye(3)
    check("T.slinalg.logm vs scipy.linalg.logm", logm(B), scipy.linalg.logm(B), 1e-10)
    check("expm(logm(B)) == B", scipy.linalg.expm(logm(B)), B, 1e-10)


def big_fail(H):
    """The notebook's last cell, verbatim, for the given ``H``."""
    x = T.dscalar('x')
    expH = T.slinalg.expm(1j * x * H)
    expH_flat = T.flatten(expH)
    expH_flat_R = T.real(T.flatten(expH))
    expH_flat_I = T.imag(T.flatten(expH))
    def fn(i, mat, x):
        return T.grad(mat[i], x)
    J_R, updates = theano.scan(fn, sequences=T.arange(expH_flat_R.shape[0]), non_sequences=[expH_flat_R, x])
    J_I, updates = theano.scan(fn, sequences=T.arange(expH_flat_I.shape[0]), non_sequences=[expH_flat_I, x])
    expH_J_R = J_R.reshape(expH.shape)
    expH_J_I = J_I.reshape(expH.shape)
    expH_J = expH_J_R + 1j * expH_J_I
    f = theano.function([x], expH_J)
    return f(2)


def the_complex_derivative(H):
    try:
        big_fail(H)
        raise AssertionError("the last cell should need the vector x its H was built from")
    except theano.MissingInputError as exc:
        print(f"   as in the notebook (H built from the vector x): MissingInputError: {exc}")
    H_value = np.tensordot([1., 3.12], np.arange(18).reshape(2, 3, 3) / 100, axes=1)
    got = big_fail(H_value)
    print(got)
    check("d/dx expm(1j x H) vs SciPy 1j H expm(1j x H)", got, 1j * H_value @ scipy.linalg.expm(2j * H_value), 1e-12)
    fd = finite_difference(lambda v: scipy.linalg.expm(1j * v[0] * H_value), [2.0])[..., 0]
    check("d/dx expm(1j x H) vs finite differences", got, fd, 1e-8)


def main(device):
    with theano.config.change_flags(device=device):
        print(f"device: {resolve(device)} (asked for {device})")
        first_steps()
        map_and_linear_gradients()
        gradients_of_a_matrix()
        H = derivative_of_expm()
        complex_numbers()
        the_complex_derivative(H)
    print("\nall cells agree with SciPy and finite differences")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "cuda-sim"])
    main(parser.parse_args().device)
