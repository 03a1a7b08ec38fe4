"""``function(mode=...)``: Theano's mode names and objects. DebugMode's self-checks,
NanGuardMode naming the first node that computes a NaN, an inf or a huge value (on the
CPU and on the CUDA simulator), MonitorMode's hooks, and ``config.mode``."""
import numpy as np
import pytest

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad import function
from gpugrad.compile.modes import FAST_COMPILE, FAST_RUN, get_mode
from gpugrad.errors import DebugModeError, NanGuardError
from gpugrad.graph.basic import Apply
from gpugrad.graph.op import Op
from gpugrad.types.variable import as_tensor_variable

DEVICES = ["cpu", "cuda-sim"]


def test_mode_names_and_objects():
    x = T.dvector('x')
    for mode in ['FAST_RUN', 'FAST_COMPILE', 'fast_run', 'None', FAST_RUN, theano.Mode(linker='vm'),
                 theano.Mode(linker='cvm', optimizer='fast_compile'), 'DebugMode', 'NanGuardMode']:
        f = function([x], T.exp(x) * 2, mode=mode)
        np.testing.assert_allclose(f([0.]), [2.])
    assert get_mode('FAST_COMPILE') is FAST_COMPILE and get_mode(None).optimizer is None
    assert theano.compile.get_default_mode().resolved_optimizer() == 'fast_run'
    with pytest.raises(ValueError, match="unknown mode"):
        function([x], x, mode='FASTEST')
    with pytest.raises(ValueError, match="unknown optimizer"):
        theano.Mode(optimizer='o9')


def test_config_mode_and_optimizer():
    x = T.dscalar('x')
    with theano.config.change_flags(mode='FAST_COMPILE'):
        f = function([x], T.grad(x ** 2, x))
    with theano.config.change_flags(optimizer='None'):
        raw = function([x], T.grad(x ** 2, x))
    assert len(raw.maker.fgraph.toposort()) > len(function([x], T.grad(x ** 2, x)).maker.fgraph.toposort())
    assert f(3.0) == raw(3.0) == 6.0


class Twice(Op):
    """Doubles its input; its fast thunk is deliberately wrong (or of the wrong dtype)."""
    __props__ = ("bug",)

    def __init__(self, bug):
        self.bug = bug

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs):
        return [inputs[0] * 2]

    def make_thunk(self, node, storage_in, storage_out):
        def thunk():
            x = storage_in[0][0]
            storage_out[0][0] = x * 3 if self.bug == "value" else (x * 2).astype("float32")
        return thunk


def test_debug_mode_checks_every_result_against_the_unoptimized_graph():
    x = T.dvector('x')
    f = function([x], 10 * x, mode='DebugMode')
    assert f([5]).tolist() == [50.] and f([0]).tolist() == [0.]
    wrong = function([x], Twice("value")(x) + 1, mode='DebugMode')
    with pytest.raises(DebugModeError, match="result 0 differs"):
        wrong([1., 2.])
    mistyped = function([x], Twice("dtype")(x), mode=theano.DebugMode())
    with pytest.raises(DebugModeError, match="Twice.*float32.*TensorType\\(float64, vector\\)"):
        mistyped([1.])
    assert function([x], Twice("value")(x))([1.]).tolist() == [3.]  # unchecked, the bug goes through


@pytest.mark.parametrize("device", DEVICES)
def test_debug_mode_on_each_device_with_updates(device):
    w = theano.shared(np.ones(3), name='w')
    x = T.dvector('x')
    f = function([x], (w * x).sum(), updates={w: w * x}, mode='DebugMode', device=device)
    assert f([1., 2., 3.]) == 6.0
    np.testing.assert_array_equal(w.get_value(), [1., 2., 3.])
    assert f([2., 2., 2.]) == 12.0


@pytest.mark.parametrize("device", DEVICES)
def test_nan_guard_names_the_first_bad_node(device):
    x, y = T.dvectors('x', 'y')
    guarded = theano.NanGuardMode(nan_is_error=True, inf_is_error=True, big_is_error=True)
    f = function([x, y], T.exp(T.log(x) * y), mode=guarded, device=device)
    np.testing.assert_allclose(f([1., 2.], [1., 1.]), [1., 2.])
    with pytest.raises(NanGuardError, match=r"a NaN in output 0 of node \d+ \(.*log.*\) of inputs \(x"):
        f([-1., 2.], [1., 1.])
    with pytest.raises(NanGuardError, match="an infinity"):
        f([0., 2.], [-1., 1.])
    with pytest.raises(NanGuardError, match="a big value"):
        f([10., 2.], [11., 1.])
    np.testing.assert_allclose(f([4.], [0.5]), [2.])  # the function keeps working
    lenient = function([x], T.log(x), mode=theano.NanGuardMode(nan_is_error=False, inf_is_error=False),
                       device=device)
    assert np.isnan(lenient([-1.])[0])


def test_monitor_mode_sees_every_node(capsys):
    seen = []
    x = T.dscalar('x')
    f = function([x], [5 * x], mode=theano.compile.MonitorMode(
        pre_func=lambda i, node, fn: seen.append((i, [c[0] for c in fn.inputs])),
        post_func=lambda i, node, fn: seen.append((i, [c[0] for c in fn.outputs]))))
    assert f(3) == [15.]
    assert seen == [(0, [5, 3.]), (0, [15.])]


def test_excluding_and_including_phases():
    from gpugrad.rewrites.fusion import Composite
    x = T.dvector('x')
    fused = function([x], T.exp(x) * 2 + 1, device='cuda-sim')
    assert any(isinstance(n.op, Composite) for n in fused.maker.fgraph.toposort())
    plain = function([x], T.exp(x) * 2 + 1, device='cuda-sim',
                     mode=theano.Mode().excluding('local_elemwise_fusion', 'inplace'))
    assert not any(isinstance(n.op, Composite) for n in plain.maker.fgraph.toposort())
    np.testing.assert_allclose(plain([0., 1.]), fused([0., 1.]))
    monitored = theano.compile.MonitorMode(post_func=lambda i, node, fn: None).excluding('fusion')
    assert isinstance(monitored, theano.compile.MonitorMode) and monitored.excluded == {'fusion'}
    stable = function([x], T.log(1 + x), mode=theano.Mode(optimizer='fast_compile').including('stabilize'))
    assert 'log1p' in str(stable.maker.fgraph.outputs[0].owner.op)
    with pytest.raises(ValueError, match="unknown optimization tag 'local_shape_to_shape_i'"):
        theano.Mode().excluding('local_shape_to_shape_i')
