"""gpugrad.function: inputs and outputs in every form, updates, givens, shared
variables, argument errors (and recovery after them), output ownership, devices."""
import warnings

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.errors import InputError, MissingInputError, ShapeError, UnusedInputError


def test_inputs_and_outputs_single_or_list():
    x, y = T.dvector("x"), T.dvector("y")
    s = T.dscalar("s")
    out = gg.function(s, s * 2)(4.0)
    assert type(out) is np.ndarray and out.shape == () and out == 8.0
    assert repr(gg.function([s], 2.0 * s)(4.0)) == "array(8.)"
    both = gg.function([x, y], [x * y, x + y])([1, 2], [3, 4])
    assert isinstance(both, list) and [o.tolist() for o in both] == [[3.0, 8.0], [4.0, 6.0]]
    assert gg.function([x], [x * 2])([1.0]) [0].tolist() == [2.0]
    assert gg.function([], T.constant(3.0))() == 3.0
    assert gg.function([s], None, on_unused_input="ignore")(1.0) == []


def test_keyword_arguments_by_input_name():
    x, y = T.dvector("x"), T.dvector("y")
    f = gg.function([x, y], x - y)
    assert f(y=[1.0], x=[3.0]).tolist() == [2.0]
    assert f([3.0], y=[1.0]).tolist() == [2.0]
    with pytest.raises(InputError, match="no input named 'z'"):
        f([1.0], z=[1.0])
    with pytest.raises(InputError, match="two values for input 'x'"):
        f([1.0], x=[1.0])
    with pytest.raises(InputError, match="missing a value for input x"):
        f(y=[1.0])


def test_shared_variables_and_updates():
    w = gg.shared(np.array([1.0, 2.0]), name="w")
    s = T.dscalar("s")
    step = gg.function([s], w.sum(), updates={w: w + s})
    assert step(1.0) == 3.0 and w.get_value().tolist() == [2.0, 3.0]
    assert step(1.0) == 5.0 and w.get_value().tolist() == [3.0, 4.0]
    scale = gg.function([s], [], updates=[(w, w * s)])
    assert scale(2.0) == [] and w.get_value().tolist() == [6.0, 8.0]
    w.set_value([0.0, 1.0])
    assert step(0.0) == 1.0
    counter = gg.shared(np.int64(0))
    tick = gg.function([], counter, updates={counter: counter + 1})
    assert [int(tick()) for _ in range(3)] == [0, 1, 2]


def test_update_that_cannot_be_stored_is_refused():
    w = gg.shared(np.zeros(2, "int32"), name="w")
    x = T.dvector("x")
    with pytest.raises(InputError, match="w"):
        gg.function([x], [], updates={w: x})
    with pytest.raises(InputError, match="not a shared variable"):
        gg.function([x], [], updates={x: x + 1})


def test_givens():
    x = T.dvector("x")
    s = T.dscalar("s")
    f = gg.function([s], (x * 2).sum(), givens={x: T.ones(3) * s})
    assert f(2.0) == 12.0
    g = gg.function([s], (x * 2).sum(), givens=[(x, T.ones(2) * s)])
    assert g(2.0) == 8.0


def test_on_unused_input():
    x, y = T.dvector("x"), T.dvector("y")
    with pytest.raises(UnusedInputError, match="y"):
        gg.function([x, y], x)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = gg.function([x, y], x * 2, on_unused_input="warn")
    assert any("y" in str(w.message) for w in caught)
    assert f([1.0], [5.0]).tolist() == [2.0]
    assert gg.function([x, y], x * 2, on_unused_input="ignore")([1.0], [5.0]).tolist() == [2.0]
    with pytest.raises(ValueError, match="on_unused_input"):
        gg.function([x, y], x, on_unused_input="sometimes")


def test_missing_input_names_the_variable():
    x, y = T.dvector("x"), T.dvector("hidden")
    with pytest.raises(MissingInputError, match="hidden"):
        gg.function([x], x + y)


def test_inputs_must_be_distinct():
    x = T.dvector("x")
    y = x * 2
    np.testing.assert_array_equal(gg.function([y], y + 1)([1.0]), [2.0])  # the graph is cut there, as in Theano
    with pytest.raises(MissingInputError, match="x"):
        gg.function([x * 2], x)
    with pytest.raises(InputError, match="twice"):
        gg.function([x, x], x)
    with pytest.raises(InputError, match="constant"):
        gg.function([T.constant(1.0)], x)


BAD_CALLS = [
    (lambda f: f([1.0, 2.0]), InputError, "takes 2 arguments"),
    (lambda f: f([1.0], [2.0], [3.0]), InputError, "takes 2 arguments"),
    (lambda f: f([[1.0]], [2.0]), InputError, r"input 0 \(x\).*1 dimensions"),
    (lambda f: f([1j], [2.0]), InputError, r"input 0 \(x\).*complex128 to float64"),
    (lambda f: f(["a"], [2.0]), InputError, r"input 0 \(x\)"),
    (lambda f: f([1.0], [1.5]), InputError, r"input 1 \(i\).*float64 to int32"),
    (lambda f: f([1.0, 2.0], [1, 2, 3]), ShapeError, r"add.*\(2,\), \(3,\)"),
]


@pytest.mark.parametrize("call, error, match", BAD_CALLS)
def test_bad_calls_raise_and_the_function_still_works(call, error, match):
    x, i = T.dvector("x"), T.ivector("i")
    w = gg.shared(np.zeros(1), name="w")
    f = gg.function([x, i], x + i, updates={w: w + 1})
    with pytest.raises(error, match=match):
        call(f)
    assert w.get_value().tolist() == [0.0]  # a failed call changes no state
    np.testing.assert_allclose(f([1.0, 2.0], [3, 4]), [4.0, 6.0])
    assert w.get_value().tolist() == [1.0]


def test_shape_error_inside_a_call_names_the_node():
    M = T.dmatrix("M")
    v = T.dvector("v")
    f = gg.function([M, v], M + v)
    with pytest.raises(ShapeError, match="broadcast"):
        f(np.ones((2, 3)), [1.0])
    np.testing.assert_allclose(f(np.ones((2, 3)), [1.0, 2.0, 3.0]), np.ones((2, 3)) + [1, 2, 3])


def test_outputs_never_alias_inputs_shared_values_or_each_other():
    x = T.dvector("x")
    a = np.array([1.0, 2.0])
    for out in (x, x.T, T.zero_grad(x), x.dimshuffle("x", 0)):
        result = gg.function([x], out, mode="None")(a)
        result[...] = 99
        assert a.tolist() == [1.0, 2.0]
    w = gg.shared(np.array([1.0, 2.0]), name="w")
    for f in (gg.function([], w), gg.function([], w.T, mode="None")):
        f()[...] = 99
        assert w.get_value().tolist() == [1.0, 2.0]
    y = x * 2
    first, second = gg.function([x], [y, y])(a)
    first[0] = 99
    assert second[0] == 2.0
    bump = gg.function([], w + 1, updates={w: w + 1})
    result = bump()
    result[0] = 99
    assert w.get_value().tolist() == [2.0, 3.0]
    const = gg.function([], T.constant(np.array([1.0, 2.0])))
    const()[0] = 99
    assert const().tolist() == [1.0, 2.0]


def test_shared_value_is_private():
    data = np.array([1.0, 2.0])
    w = gg.shared(data, name="w")
    data[0] = 99
    assert w.get_value()[0] == 1.0
    w.get_value()[0] = 99
    assert w.get_value()[0] == 1.0
    x = T.dvector("x")
    store = gg.function([x], [], updates={w: x})
    fresh = np.array([5.0, 6.0])
    store(fresh)
    fresh[0] = 99
    assert w.get_value().tolist() == [5.0, 6.0]


def test_device_argument():
    s = T.dscalar("s")
    assert gg.function([s], s * 2, device="cpu")(1.0) == 2.0
    assert gg.function([s], s * 2, device="auto")(1.0) == 2.0
    with pytest.raises(ValueError, match="unknown device"):
        gg.function([s], s, device="tpu")


def test_cuda_without_gpu_falls_back_with_one_warning():
    from gpugrad.compile import devices
    try:
        import cupy  # noqa: F401
        pytest.skip("CuPy is importable here; the fallback is for machines without it")
    except ImportError:
        pass
    devices._warned.discard("cuda")
    s = T.dscalar("s")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = gg.function([s], s * 2, device="cuda")
        g = gg.function([s], s * 3, device="cuda")
    fallbacks = [w for w in caught if issubclass(w.category, gg.DeviceFallbackWarning)]
    assert len(fallbacks) == 1
    assert f(1.0) == 2.0 and g(1.0) == 3.0


def test_function_exposes_its_graph():
    x = T.dvector("x")
    f = gg.function([x], T.exp(x) + 1, name="f")
    assert f.maker.fgraph is f.graph and len(f.maker.fgraph.outputs) == 1
    assert set(f.placement) == set(f.graph.toposort()) and set(f.placement.values()) == {"cpu"}
    with pytest.raises(InputError, match="function 'f'"):
        f()
