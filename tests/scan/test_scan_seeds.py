"""The origin documents' scan and map cells (shared/seeds/), verbatim after the import
change, with their printed values; and that the maps among them run without a loop."""
import numpy as np

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad.scan.op import Scan


def scans_in(f):
    return [node for node in f.maker.fgraph.toposort() if isinstance(node.op, Scan)]


def test_tutorial_jacobian_is_vectorized():
    x = T.dvector('x')
    y = x ** 2
    J, updates = theano.scan(lambda i, y, x: T.grad(y[i], x), sequences=T.arange(y.shape[0]), non_sequences=[y, x])
    f = theano.function([x], J, updates=updates)
    np.testing.assert_array_equal(f([4, 4]), [[8., 0.], [0., 8.]])
    assert not scans_in(f)
    assert not updates


def test_tutorial_hessian():
    x = T.dvector('x')
    y = x ** 2
    cost = y.sum()
    gy = T.grad(cost, x)
    H, updates = theano.scan(lambda i, gy, x: T.grad(gy[i], x), sequences=T.arange(gy.shape[0]),
                             non_sequences=[gy, x])
    f = theano.function([x], H, updates=updates)
    np.testing.assert_array_equal(f([4, 4]), [[2., 0.], [0., 2.]])
    assert not scans_in(f)


def test_seed_003_elementwise_map():
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
    M = T.dmatrix('M')

    def map_func(i, X):
        return X[i] + .5
    Mplus = elementwise_map(map_func, M)
    f = theano.function([M], Mplus)
    np.testing.assert_array_equal(f([[1, 2], [3, 4]]), [[1.5, 2.5], [3.5, 4.5]])
    assert not scans_in(f)


def test_seed_003_gradient_map():
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
    j1, j2 = grad_f([1, 3.12])
    np.testing.assert_allclose(j1, [[28.08, 33.2, 38.32], [43.44, 48.56, 53.68], [58.8, 63.92, 69.04]])
    np.testing.assert_allclose(j2, [[9., 10., 11.], [12., 13., 14.], [15., 16., 17.]])


def test_seed_003_map_over_rows_of_a_map():
    """The second map of ``elementwise_grad_map`` (reshaping each row), on H instead of
    expm(H), which is another helper's."""
    rm = np.arange(18).reshape(2, 3, 3) / 100
    x = T.dvector('x')
    H = T.tensordot(x, rm, axes=1)
    flat = T.flatten(H)
    results, _ = theano.map(lambda i, m, x: T.grad(m[i], x), sequences=T.arange(flat.shape[0]),
                            non_sequences=[flat, x])
    results2, _ = theano.map(lambda m_i: T.reshape(m_i, H.shape), sequences=results.T)
    f = theano.function([x], results2)
    np.testing.assert_allclose(f([1., 3.12]), rm)


def test_seed_004_scan_jacobian_float32():
    X = T.fvector('X')
    f = X*3
    [rfrx, []] = theano.scan(lambda j, f, X: T.grad(f[j], X), sequences=T.arange(X.shape[0]), non_sequences=[f, X])
    fcn_rfrx = theano.function([X], rfrx)
    out = fcn_rfrx(np.ones(5,).astype(np.float32))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, 3 * np.eye(5, dtype=np.float32))
