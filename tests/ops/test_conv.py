"""``T.nnet.conv2d``/``conv3d`` and their gradient functions on the CPU: values against a
NumPy loop (conv_reference.py), static shapes and shape inference, gradients, R-ops and
L-ops, the old spellings, and the errors bad arguments raise."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.errors import InputError, ShapeError
from gpugrad.gradient import verify_grad
from gpugrad.tensor.nnet import abstract_conv, conv
from gpugrad.testing import check_infer_shape, numeric_jacobian

import conv_reference as ref

# name, input shape, filter shape, keyword arguments
CASES = [
    ("valid", (2, 3, 7, 6), (4, 3, 3, 2), {}),
    ("full", (2, 2, 5, 5), (3, 2, 3, 3), dict(border_mode="full")),
    ("half_odd", (1, 2, 6, 5), (2, 2, 3, 3), dict(border_mode="half")),
    ("half_even", (1, 2, 6, 5), (2, 2, 2, 4), dict(border_mode="half")),
    ("int_pad_stride", (2, 2, 7, 8), (3, 2, 3, 2), dict(border_mode=1, subsample=(2, 3))),
    ("pairs", (1, 3, 6, 7), (2, 3, 2, 3), dict(border_mode=((1, 0), (2, 3)))),
    ("dilation", (2, 2, 9, 8), (3, 2, 3, 2), dict(filter_dilation=(2, 3), border_mode=(1, 2))),
    ("correlation", (2, 3, 5, 6), (2, 3, 2, 3), dict(filter_flip=False, subsample=(1, 2))),
    ("groups", (2, 6, 5, 5), (6, 2, 3, 2), dict(num_groups=3, border_mode="half")),
    ("depthwise", (1, 4, 5, 5), (4, 1, 3, 3), dict(num_groups=4, subsample=2)),
    ("conv3d", (1, 2, 4, 5, 4), (3, 2, 2, 3, 2), dict(border_mode=(1, 0, 1), subsample=(1, 2, 1))),
    ("conv3d_groups_full", (1, 4, 3, 3, 4), (2, 2, 2, 2, 2), dict(num_groups=2, border_mode="full",
                                                                  filter_flip=False)),
]
IDS = [c[0] for c in CASES]


def _conv(x_shape, kwargs):
    return T.nnet.conv3d if len(x_shape) == 5 else T.nnet.conv2d


def _values(rng, x_shape, w_shape, dtype="float64"):
    return rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype)


@pytest.mark.parametrize("name,x_shape,w_shape,kwargs", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_matches_the_definition(name, x_shape, w_shape, kwargs, dtype, rng):
    X, W = _values(rng, x_shape, w_shape, dtype)
    x, w = T.tensor(dtype, shape=x_shape, name="x"), T.tensor(dtype, shape=(None,) * len(w_shape), name="w")
    y = _conv(x_shape, kwargs)(x, w, **kwargs)
    got = gg.function([x, w], y)(X, W)
    expected = ref.conv(X.astype("float64"), W.astype("float64"), **kwargs)
    assert got.dtype == y.dtype == dtype and got.shape == expected.shape
    tol = 1e-4 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)
    check_infer_shape(y, [x, w], [X, W])


@pytest.mark.parametrize("name,x_shape,w_shape,kwargs", CASES, ids=IDS)
def test_static_output_shape(name, x_shape, w_shape, kwargs, rng):
    x, w = T.tensor("float64", shape=x_shape), T.tensor("float64", shape=w_shape)
    expected = ref.conv(*_values(rng, x_shape, w_shape), **kwargs).shape
    assert _conv(x_shape, kwargs)(x, w, **kwargs).type.shape == expected
    unknown = _conv(x_shape, kwargs)(T.tensor("float64", shape=(None,) * len(x_shape)), w, **kwargs)
    assert unknown.type.shape == (None, w_shape[0]) + (None,) * (len(x_shape) - 2)


@pytest.mark.parametrize("name,x_shape,w_shape,kwargs", CASES, ids=IDS)
def test_gradients(name, x_shape, w_shape, kwargs, rng):
    fn = _conv(x_shape, kwargs)
    verify_grad(lambda x, w: fn(x, w, **kwargs), list(_values(rng, x_shape, w_shape)), rng=rng)


@pytest.mark.parametrize("name,x_shape,w_shape,kwargs", CASES[::3], ids=IDS[::3])
def test_gradients_float32(name, x_shape, w_shape, kwargs, rng):
    fn = _conv(x_shape, kwargs)
    verify_grad(lambda x, w: fn(x, w, **kwargs), list(_values(rng, x_shape, w_shape, "float32")), rng=rng)


def test_second_order_gradient(rng):
    """The gradient's own gradient (Col2Im and Im2Col are each other's pullback)."""
    X, W = _values(rng, (1, 2, 5, 4), (2, 2, 2, 2))
    verify_grad(lambda x, w: T.grad(T.sum(T.tanh(T.nnet.conv2d(x, w, subsample=(2, 1))) ** 2), x), [X, W],
                n_tests=1, rng=rng)


@pytest.mark.parametrize("name,x_shape,w_shape,kwargs", [CASES[4], CASES[8]], ids=[IDS[4], IDS[8]])
def test_rop_and_lop_against_the_jacobian(name, x_shape, w_shape, kwargs, rng):
    X, W = _values(rng, x_shape, w_shape)
    x, w = T.dtensor4("x"), T.dtensor4("w")
    y = T.nnet.conv2d(x, w, **kwargs)
    jac_x = numeric_jacobian(lambda v: ref.conv(v, W, **kwargs), X)
    jac_w = numeric_jacobian(lambda v: ref.conv(X, v, **kwargs), W)
    vx, vw = rng.standard_normal(X.shape), rng.standard_normal(W.shape)
    u = rng.standard_normal(jac_x.shape[:4])
    tx, tw = T.dtensor4("tx"), T.dtensor4("tw")
    uu = T.dtensor4("u")
    rop = T.Rop(y, [x, w], [tx, tw])
    lop = T.Lop(y, [x, w], uu)
    got_rop, got_lx, got_lw = gg.function([x, w, tx, tw, uu], [rop, *lop])(X, W, vx, vw, u)
    ax = tuple(range(4, 8))
    np.testing.assert_allclose(got_rop, np.tensordot(jac_x, vx, (ax, range(4))) + np.tensordot(jac_w, vw, (ax, range(4))),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got_lx, np.tensordot(u, jac_x, 4), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got_lw, np.tensordot(u, jac_w, 4), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name,x_shape,w_shape,kwargs", CASES, ids=IDS)
def test_gradient_functions_equal_the_gradients(name, x_shape, w_shape, kwargs, rng):
    """conv2d_grad_wrt_inputs/weights (conv3d_...) are the pullbacks of the convolution."""
    nd = len(x_shape) - 2
    X, W = _values(rng, x_shape, w_shape)
    x, w = T.tensor("float64", shape=(None,) * (nd + 2)), T.tensor("float64", shape=(None,) * (nd + 2))
    y = _conv(x_shape, kwargs)(x, w, **kwargs)
    g = T.tensor("float64", shape=(None,) * (nd + 2), name="g")
    gx_auto, gw_auto = T.Lop(y, [x, w], g)
    grad_inputs = abstract_conv.conv2d_grad_wrt_inputs if nd == 2 else abstract_conv.conv3d_grad_wrt_inputs
    grad_weights = abstract_conv.conv2d_grad_wrt_weights if nd == 2 else abstract_conv.conv3d_grad_wrt_weights
    gx = grad_inputs(g, w, input_shape=(None, None) + x_shape[2:], **kwargs)
    gw = grad_weights(x, g, filter_shape=(None, None) + w_shape[2:], **kwargs)
    G = rng.standard_normal(ref.conv(X, W, **kwargs).shape)
    got = gg.function([x, w, g], [gx, gw, gx_auto, gw_auto])(X, W, G)
    np.testing.assert_allclose(got[0], got[2], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[1], got[3], rtol=1e-12, atol=1e-12)
    assert got[0].shape == x_shape and got[1].shape == w_shape


def test_gradient_functions_take_symbolic_sizes_and_give_static_shapes(rng):
    g, w, x = T.dtensor4("g"), T.dtensor4("w"), T.dtensor4("x")
    rows = T.lscalar("rows")
    gx = abstract_conv.conv2d_grad_wrt_inputs(g, w, (None, None, rows, 7), subsample=(2, 2))
    X, W = _values(rng, (1, 2, 7, 7), (3, 2, 3, 3))
    G = rng.standard_normal((1, 3, 3, 3))
    got = gg.function([g, w, rows], gx)(G, W, 7)
    (expected,) = T.Lop(T.nnet.conv2d(x, w, subsample=(2, 2)), [x], g)
    np.testing.assert_allclose(got, gg.function([x, w, g], expected)(X, W, G), atol=1e-12)
    assert abstract_conv.conv2d_grad_wrt_weights(x, g, (3, 2, 3, 3)).type.shape == (3, 2, 3, 3)
    assert abstract_conv.conv2d_grad_wrt_weights(x, g, (None, None, 3, 3)).type.shape == (None, None, 3, 3)


def test_conv2d_transpose_is_the_gradient_of_a_strided_convolution(rng):
    """Theano's deconvolution: (1, 3, 3, 3) -> (1, 2, 8, 8) with stride 2."""
    x, w = T.dtensor4("x"), T.dtensor4("w")
    y = T.nnet.conv2d_transpose(x, w, output_shape=(1, 2, 8, 8), input_dilation=(2, 2), border_mode="half")
    X, W = rng.standard_normal((1, 3, 4, 4)), rng.standard_normal((3, 2, 3, 3))
    got = gg.function([x, w], y)(X, W)
    u = T.dtensor4("u")
    (expected,) = T.Lop(T.nnet.conv2d(u, w, subsample=(2, 2), border_mode="half"), [u], x)
    np.testing.assert_allclose(got, gg.function([u, w, x], expected)(np.zeros((1, 2, 8, 8)), W, X), atol=1e-12)


def test_old_spellings(rng):
    """conv.conv2d(..., image_shape=) and T.nnet.conv2d(..., image_shape=) (Theano's first names)."""
    X, W = _values(rng, (2, 3, 6, 6), (4, 3, 3, 3))
    x, w = T.dtensor4("x"), T.dtensor4("w")
    old = conv.conv2d(x, w, image_shape=(2, 3, 6, 6), filter_shape=(4, 3, 3, 3), border_mode="full")
    new = T.nnet.conv2d(x, w, image_shape=(2, 3, 6, 6), filter_shape=(4, 3, 3, 3), border_mode="full")
    got_old, got_new = gg.function([x, w], [old, new])(X, W)
    expected = ref.conv(X, W, border_mode="full")
    np.testing.assert_allclose(got_old, expected, atol=1e-12)
    np.testing.assert_allclose(got_new, expected, atol=1e-12)
    assert conv.conv2d(x, w, unroll_batch=4, unroll_kern=2).ndim == 4
    with pytest.raises(InputError, match="border_mode"):
        conv.conv2d(x, w, border_mode="half")
    with pytest.raises(InputError, match="unexpected"):
        conv.conv2d(x, w, bogus=1)


def test_integer_and_mixed_dtypes(rng):
    x, w = T.itensor4("x"), T.itensor4("w")
    X, W = rng.integers(-3, 4, (1, 2, 4, 4)).astype("int32"), rng.integers(-3, 4, (2, 2, 2, 2)).astype("int32")
    got = gg.function([x, w], T.nnet.conv2d(x, w))(X, W)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, ref.conv(X, W))
    assert T.nnet.conv2d(T.ftensor4(), T.dtensor4()).dtype == "float64"


def test_get_conv_output_shape():
    shape = abstract_conv.get_conv_output_shape((8, 3, 32, 31), (16, 3, 5, 4), "half", (2, 1), (1, 2))
    assert shape == (8, 16, 16, 31)
    assert abstract_conv.get_conv_output_shape((None, 3, 10, None), (4, 3, 3, 3), "valid", (1, 1)) == \
        (None, 4, 8, None)
    assert abstract_conv.get_conv_shape_1axis(10, 3, (2, 1), 2) == 6


ERRORS = [
    # what, build, error, message
    ("rank", lambda: T.nnet.conv2d(T.dtensor3(), T.dtensor4()), ShapeError, "input must be a 4-d"),
    ("filter rank", lambda: T.nnet.conv2d(T.dtensor4(), T.dmatrix()), ShapeError, "filters must be a 4-d"),
    ("conv3d rank", lambda: T.nnet.conv3d(T.dtensor4(), T.dtensor4()), ShapeError, "5-d"),
    ("channels", lambda: T.nnet.conv2d(T.tensor("float64", shape=(None, 3, 5, 5)),
                                       T.tensor("float64", shape=(2, 4, 3, 3))), ShapeError, "3 channels"),
    ("channels hint", lambda: T.nnet.conv2d(T.dtensor4(), T.dtensor4(), input_shape=(1, 3, 5, 5),
                                            filter_shape=(2, 2, 3, 3)), ShapeError, "3 channels"),
    ("too large", lambda: T.nnet.conv2d(T.tensor("float64", shape=(1, 1, 3, 3)),
                                        T.tensor("float64", shape=(1, 1, 4, 2))), ShapeError, "larger"),
    ("too large dilated", lambda: T.nnet.conv2d(T.dtensor4(), T.dtensor4(), input_shape=(1, 1, 5, 5),
                                                filter_shape=(1, 1, 3, 3), filter_dilation=3), ShapeError, "larger"),
    ("stride", lambda: T.nnet.conv2d(T.dtensor4(), T.dtensor4(), subsample=(0, 1)), ShapeError, "subsample"),
    ("negative stride", lambda: T.nnet.conv2d(T.dtensor4(), T.dtensor4(), subsample=-1), ShapeError, "subsample"),
    ("dilation", lambda: T.nnet.conv2d(T.dtensor4(), T.dtensor4(), filter_dilation=(1, 0)), ShapeError,
     "filter_dilation"),
    ("border", lambda: T.nnet.conv2d(T.dtensor4(), T.dtensor4(), border_mode="same"), InputError, "border_mode"),
    ("negative pad", lambda: T.nnet.conv2d(T.dtensor4(), T.dtensor4(), border_mode=(1, -1)), InputError,
     "border_mode"),
    ("groups", lambda: T.nnet.conv2d(T.tensor("float64", shape=(None, 6, 5, 5)),
                                     T.tensor("float64", shape=(4, 3, 3, 3)), num_groups=3), ShapeError, "groups"),
    ("hint length", lambda: T.nnet.conv2d(T.dtensor4(), T.dtensor4(), input_shape=(1, 2, 3)), ShapeError,
     "input_shape"),
    ("hint contradiction", lambda: T.nnet.conv2d(T.tensor("float64", shape=(2, 1, 5, 5)), T.dtensor4(),
                                                 input_shape=(3, 1, 5, 5)), ShapeError, "contradicts"),
    ("bool", lambda: T.nnet.conv2d(T.tensor("bool", shape=(None,) * 4), T.dtensor4()), InputError, "boolean"),
    ("unshared", lambda: T.nnet.conv2d(T.dtensor4(), T.dtensor4(), unshared=True), NotImplementedError, "unshared"),
    ("grad sizes", lambda: abstract_conv.conv2d_grad_wrt_inputs(T.dtensor4(), T.dtensor4(), (1, 2, None, 4)),
     ShapeError, "spatial size"),
    ("grad shape length", lambda: abstract_conv.conv2d_grad_wrt_weights(T.dtensor4(), T.dtensor4(), (3, 3)),
     ShapeError, "filter_shape"),
]


@pytest.mark.parametrize("what,build,error,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_at_graph_building(what, build, error, message):
    with pytest.raises(error, match=message) as info:
        build()
    assert "conv" in str(info.value)


def test_errors_at_run_time_name_the_convolution(rng):
    x, w = T.dtensor4("x"), T.dtensor4("w")
    f = gg.function([x, w], T.nnet.conv2d(x, w, border_mode=(1, 0)))
    with pytest.raises(ShapeError, match="conv2d: the input .* has 3 channels but the filters expect 2"):
        f(np.zeros((1, 3, 5, 5)), np.zeros((4, 2, 3, 3)))
    with pytest.raises(ShapeError, match=r"conv2d: filters of size \(3, 6\)"):
        f(np.zeros((1, 2, 5, 5)), np.zeros((4, 2, 3, 6)))
    assert f(np.ones((1, 2, 5, 5)), np.ones((4, 2, 3, 3))).shape == (1, 4, 5, 3)  # still works after errors
    g = T.dtensor4("g")
    gx = gg.function([g, w], abstract_conv.conv2d_grad_wrt_inputs(g, w, (None, None, 6, 6)))
    with pytest.raises(ShapeError, match="gradient has spatial size"):
        gx(np.zeros((1, 4, 3, 3)), np.zeros((4, 2, 3, 3)))


def test_jacobian_and_hessian_of_a_small_convnet_are_vectorized(rng):
    """conv -> tanh -> max pool -> conv -> sum of squares: the Jacobian of its features and
    the Hessian of the cost with respect to the first filters, each one batched graph (no
    scan), against finite differences of the compiled function."""
    from gpugrad.scan.op import Scan
    from gpugrad.tensor.signal.pool import pool_2d
    x, w1, w2 = T.dtensor4("x"), T.dtensor4("w1"), T.dtensor4("w2")
    h = pool_2d(T.tanh(T.nnet.conv2d(x, w1, border_mode="half")), ws=(2, 2), ignore_border=True)
    features = T.nnet.conv2d(h, w2, num_groups=1).flatten()
    cost = T.sum(features ** 2)
    X, W1, W2 = rng.standard_normal((2, 1, 4, 5)), rng.standard_normal((2, 1, 3, 3)), rng.standard_normal((3, 2, 2, 1))
    f = gg.function([x, w1, w2], [features, T.jacobian(features, w1), T.hessian(cost, w1)])
    assert not any(isinstance(node.op, Scan) for node in f.maker.fgraph.toposort())
    got_f, got_j, got_h = f(X, W1, W2)
    feat = gg.function([x, w1, w2], features)
    grad = gg.function([x, w1, w2], T.grad(cost, w1))
    np.testing.assert_allclose(got_j, numeric_jacobian(lambda v: feat(X, v, W2), W1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_h, numeric_jacobian(lambda v: grad(X, v, W2), W1), rtol=1e-5, atol=1e-5)
    assert got_j.shape == got_f.shape + W1.shape and got_h.shape == W1.shape * 2
