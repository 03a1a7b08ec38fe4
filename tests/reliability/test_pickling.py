"""Pickle and ``copy.deepcopy`` of compiled functions, shared variables and graphs."""
import copy
import pickle
import warnings

import numpy as np
import pytest

import gpugrad
import gpugrad.tensor as T
from gpugrad.compile import devices
from gpugrad.errors import DeviceFallbackWarning, PicklingError
from gpugrad.graph.basic import Apply
from gpugrad.graph.op import Op
from gpugrad.graph.traversal import ancestors
from gpugrad.types.tensor_type import TensorType
from gpugrad.types.variable import TensorVariable
from devices import DEVICE, DEVICES

ROUND_TRIPS = {"pickle": lambda obj: pickle.loads(pickle.dumps(obj)), "deepcopy": copy.deepcopy}


def _model():
    """A logistic-regression step: a gradient, a shared weight updated in place of SGD."""
    x, y = T.dmatrix("x"), T.dvector("y")
    w = gpugrad.shared(np.linspace(-1, 1, 3), name="w")
    h = T.dot(x, w)
    cost = T.nnet.binary_crossentropy(T.nnet.sigmoid(h), y).mean()
    return x, y, w, h, cost


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(5, 3)), (rng.uniform(size=5) > 0.5).astype(float)


def test_a_deep_copy_computes_its_own_results():
    """Before: the copy's thunks wrote into the original's cells (a stale or failing result)."""
    x = T.dvector("x")
    f = gpugrad.function([x], T.exp(x).sum())
    g = copy.deepcopy(f)
    assert f(np.zeros(3)) == 3.0
    assert g(np.ones(2)) == pytest.approx(2 * np.e)
    assert f(np.zeros(1)) == 1.0


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("how", sorted(ROUND_TRIPS))
def test_a_training_function_round_trips_with_its_shared_variable(device, how):
    x, y, w, _, cost = _model()
    train = gpugrad.function([x, y], cost, updates=[(w, w - 0.5 * T.grad(cost, w))], device=device, name="train")
    data = _data()
    train(*data)
    train2, w2 = ROUND_TRIPS[how]([train, w])
    assert w2 is not w and train2.device == device and train2.name == "train"
    np.testing.assert_array_equal(w2.get_value(), w.get_value())
    expected = train(*data)
    assert train2(*data) == pytest.approx(expected)
    np.testing.assert_allclose(w2.get_value(), w.get_value())  # the copy updated its own w
    train(*data)
    assert not np.allclose(w2.get_value(), w.get_value())


def test_shared_variables_pickle_their_newest_value_without_device_copies():
    w = gpugrad.shared(np.arange(3.0), name="w")
    bump = gpugrad.function([], [], updates=[(w, w * 2)], device=DEVICE)
    bump()
    assert w.newer_on == DEVICE
    for how, trip in ROUND_TRIPS.items():
        w2 = trip(w)
        assert w2.newer_on is None and w2._copies == {}, how
        np.testing.assert_array_equal(w2.get_value(), [0.0, 2.0, 4.0])
        w2.set_value(np.ones(3))
        np.testing.assert_array_equal(w.get_value(), [0.0, 2.0, 4.0])


def test_a_cuda_function_loads_on_the_cpu_with_the_usual_warning(monkeypatch):
    x = T.dvector("x")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeviceFallbackWarning)
        f = gpugrad.function([x], x * 2, device="cuda")
    blob = pickle.dumps(f)
    monkeypatch.setattr(devices, "_warned", set())
    if devices._gpus()[0]:
        pytest.skip("a usable GPU: the function loads for it")
    with pytest.warns(DeviceFallbackWarning, match="runs on the CPU"):
        g = pickle.loads(blob)
    assert g.device == "cpu"
    np.testing.assert_array_equal(g(np.arange(3.0)), [0, 2, 4])


@pytest.mark.parametrize("how", sorted(ROUND_TRIPS))
def test_graphs_keep_identity_within_one_copy(how):
    x, y, w, h, cost = _model()
    x2, y2, h2, cost2, w2 = ROUND_TRIPS[how]([x, y, h, cost, w])
    assert x2 is not x and w2 is not w
    inner = ancestors([cost2])
    assert all(v in inner for v in (x2, y2, h2, w2))
    assert len({v.id for v in inner} | {v.id for v in ancestors([cost])}) == 2 * len(inner)  # ids of their own
    data = _data()
    f = gpugrad.function([x2, y2], [cost2, T.grad(cost2, h2)])
    g = gpugrad.function([x, y], [cost, T.grad(cost, h)])
    for a, b in zip(f(*data), g(*data)):
        np.testing.assert_allclose(a, b)


def test_a_graph_of_every_family_round_trips():
    """Elementwise rows and casts, dot, reductions, indexing, a scan, linear algebra."""
    A, v, i = T.dmatrix("A"), T.dvector("v"), T.lvector("i")
    steps, _ = gpugrad.scan(lambda a, h: T.tanh(a * h + 1), sequences=v, outputs_info=T.constant(0.5))
    spd = T.dot(A, A.T) + 3 * T.eye(A.shape[0])
    out = (T.slinalg.cholesky(spd).sum() + T.nlinalg.det(spd) + T.cast(v[i], "float32").sum()
           + T.max(A, axis=0).sum() + steps[-1] + T.nnet.softmax(A)[0, 1] + T.set_subtensor(v[1:], 0).sum())
    cost = out + T.grad(out, v).sum()
    args = np.array([[1.0, 0.5], [0.2, 2.0]]), np.array([0.3, -0.2]), np.array([1, 0, 1])
    expected = gpugrad.function([A, v, i], cost)(*args)
    for how, trip in ROUND_TRIPS.items():
        A2, v2, i2, cost2 = trip([A, v, i, cost])
        assert gpugrad.function([A2, v2, i2], cost2)(*args) == pytest.approx(expected), how


class _CallsAFunction(Op):
    """A user op holding a function, as ``as_op`` ops do."""
    __props__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def make_node(self, x):
        return Apply(self, [x], [TensorVariable(TensorType("float64", (None,)))])

    def perform(self, node, inputs):
        return [np.asarray(self.fn(inputs[0]), dtype="float64")]


def test_an_unpicklable_op_is_named():
    x = T.dvector("x")
    y = _CallsAFunction(lambda a: a + 1)(x) * 2
    f = gpugrad.function([x], y)
    for obj in (y, f):
        with pytest.raises(PicklingError, match=r"op .*_CallsAFunction.*attribute 'fn' = <function"):
            pickle.dumps(obj)
    g = copy.deepcopy(f)  # a deep copy shares the op: nothing to pickle
    np.testing.assert_array_equal(g(np.zeros(2)), [2.0, 2.0])


def test_a_user_op_of_a_module_function_pickles():
    x = T.dvector("x")
    f = gpugrad.function([x], _CallsAFunction(np.cos)(x))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(f))(np.zeros(2)), [1.0, 1.0])


def test_loaded_constants_stay_read_only():
    c = T.constant(np.arange(3.0)) * T.dvector("x")
    (c2,) = pickle.loads(pickle.dumps([c]))
    assert not c2.owner.inputs[0].data.flags.writeable


def test_defaults_and_modes_survive_a_round_trip():
    x, y = T.dscalar("x"), T.dscalar("y")
    f = gpugrad.function([gpugrad.In(x, value=2.0), y], x * 3 + y, mode="DebugMode")
    for how, trip in ROUND_TRIPS.items():
        g = trip(f)
        assert g(y=1.0) == 7.0 and type(g.maker.mode).__name__ == "DebugMode", how


def test_a_function_copy_pickles_as_its_original_and_its_options():
    """A ``Function.copy`` reuses the compiled graph: it pickles as the original (compiled again
    when loaded) and the copy's options, so swapped variables and dropped updates survive.
    Before: a PicklingError."""
    w, v = gpugrad.shared(np.ones(3), name="w"), gpugrad.shared(np.zeros(3), name="v")
    x = T.dvector("x")
    f = gpugrad.function([x], (x * w).sum(), updates=[(w, w + 1)], name="f")
    swapped, frozen = f.copy(swap={w: v}, name="swapped"), f.copy(delete_updates=True)
    for how, trip in ROUND_TRIPS.items():
        g, v2 = trip([swapped, v])
        assert g.name == "swapped" and g(np.ones(3)) == 0.0 and g(np.ones(3)) == 3.0, how
        np.testing.assert_array_equal(v2.get_value(), [2, 2, 2])
        h = trip(frozen)
        assert h(np.ones(3)) == h(np.ones(3)) == 3.0, how
    assert v.get_value().sum() == 0 and w.get_value().sum() == 3  # the originals' variables untouched
