"""The error classes of API.md: all GpugradErrors, each naming its culprit."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad import errors
from gpugrad.graph.basic import Apply
from gpugrad.graph.op import Op
from gpugrad.types.variable import TensorVariable


@pytest.mark.parametrize("name", ["InputError", "ShapeError", "MissingInputError", "UnusedInputError",
                                  "DisconnectedInputError", "NullTypeGradError", "GradientError", "GraphError"])
def test_every_error_is_a_gpugrad_error(name):
    cls = getattr(errors, name)
    assert issubclass(cls, gg.GpugradError)


def test_errors_keep_python_compatible_bases():
    assert issubclass(gg.InputError, TypeError) and issubclass(gg.ShapeError, ValueError)
    assert issubclass(gg.DisconnectedInputError, ValueError)
    assert issubclass(gg.DeviceFallbackWarning, UserWarning)


def test_wrong_call_messages_name_input_expected_and_given():
    x = T.dmatrix("x")
    f = gg.function([x], x.sum())
    with pytest.raises(gg.InputError) as info:
        f(np.zeros(3))
    message = str(info.value)
    assert "input 0 (x)" in message and "2 dimensions" in message and "(3,)" in message
    with pytest.raises(gg.InputError, match=r"takes 1 arguments \(x\), got 0"):
        f()


def test_grad_errors():
    x = T.dvector("x")
    with pytest.raises(gg.InputError, match="scalar"):
        gg.grad(x, x)
    with pytest.raises(gg.InputError, match="complex"):
        gg.grad(T.zscalar("z") * 2, T.zscalar("w"))
    with pytest.raises(gg.DisconnectedInputError, match="y"):
        gg.grad(x.sum(), T.dvector("y"))


class NoDerivatives(Op):
    """An identity op declaring neither gradient nor R-op."""

    def make_node(self, x):
        return Apply(self, [x], [TensorVariable(x.type)])

    def perform(self, node, inputs):
        return [inputs[0].copy()]


def test_missing_gradient_or_rop_names_the_op():
    x = T.dvector("x")
    y = NoDerivatives()(x)
    with pytest.raises(NotImplementedError, match="NoDerivatives"):
        gg.grad(y.sum(), x)
    with pytest.raises(NotImplementedError, match="NoDerivatives"):
        gg.Rop(y, x, T.dvector("v"))
    assert gg.function([x], y)([1.0]).tolist() == [1.0]


def test_runtime_errors_are_wrapped_with_the_node():
    x, y = T.dvector("x"), T.dvector("y")
    f = gg.function([x, y], x * y)
    with pytest.raises(gg.ShapeError) as info:
        f([1.0, 2.0], [1.0, 2.0, 3.0])
    assert "mul" in str(info.value) and "(2,), (3,)" in str(info.value)
