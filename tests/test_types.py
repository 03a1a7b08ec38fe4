"""Types: constructors, constants, NumPy 2 promotion with weak Python scalars, and the
conversion of call arguments (TensorType.filter)."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.errors import InputError
from gpugrad.types import dtypes
from gpugrad.types.tensor_type import TensorType

RANKS = {"scalar": 0, "vector": 1, "matrix": 2, "tensor3": 3, "tensor4": 4}
LETTERS = {"b": "int8", "w": "int16", "i": "int32", "l": "int64",
           "f": "float32", "d": "float64", "c": "complex64", "z": "complex128"}


@pytest.mark.parametrize("kind", RANKS)
def test_typed_shorthands(kind):
    for letter, dtype in LETTERS.items():
        var = getattr(T, letter + kind)("v")
        assert (var.dtype, var.ndim, var.name) == (dtype, RANKS[kind], "v")
        assert var.type.shape == (None,) * RANKS[kind]


@pytest.mark.parametrize("kind", RANKS)
def test_generic_constructors_default_to_floatx_and_take_dtype(kind):
    make = getattr(T, kind)
    assert make().dtype == "float64"
    assert make("a", dtype="int32").dtype == "int32"
    with gg.config.change_flags(floatX="float32"):
        assert make().dtype == "float32"
    assert make().dtype == "float64"


def test_shorthand_refuses_a_conflicting_dtype():
    with pytest.raises(TypeError, match="float64"):
        T.dmatrix("m", dtype="float32")


def test_tensor_with_static_shape():
    t = T.tensor("float32", shape=(None, 3), name="t")
    assert (t.dtype, t.type.shape, t.name, t.broadcastable) == ("float32", (None, 3), "t", (False, False))
    row = T.tensor(dtype="float64", shape=(1, None))
    assert row.broadcastable == (True, False)
    assert T.tensor("int64", shape=()).ndim == 0
    assert str(t.type) == "TensorType(float32, shape=(None, 3))"


@pytest.mark.parametrize("shape", [(-1,), (2.5,), ("a",), (True,)])
def test_tensor_rejects_bad_static_shapes(shape):
    with pytest.raises(TypeError, match="non-negative int"):
        T.tensor("float64", shape=shape)


@pytest.mark.parametrize("dtype", ["object", "str", "datetime64", "not a dtype"])
def test_unsupported_dtypes_are_rejected(dtype):
    with pytest.raises(TypeError):
        T.tensor(dtype, shape=(None,))


def test_constants():
    c = T.constant(2.0)
    assert (c.dtype, c.ndim, c.weak) == ("float64", 0, True)
    assert T.constant(2).dtype == "int64" and T.constant(2).weak
    assert not T.constant(np.float32(2)).weak and T.constant(np.float32(2)).dtype == "float32"
    assert T.constant(2, dtype="float32").dtype == "float32" and not T.constant(2, dtype="float32").weak
    assert T.constant([[1, 2]]).type == TensorType("int64", (1, 2))
    assert T.constant(True).dtype == "bool"
    with pytest.raises(TypeError, match="str"):
        T.constant("abc")
    with pytest.raises(TypeError):
        T.constant(None)
    with pytest.raises(TypeError, match="symbolic"):
        T.constant(T.dscalar())


def test_as_tensor_variable():
    x = T.dvector("x")
    assert T.as_tensor_variable(x) is x
    assert T.as_tensor_variable(np.zeros((2, 3), "float32")).type == TensorType("float32", (2, 3))
    assert T.as_tensor_variable([[1.0, 2.0]]).type == TensorType("float64", (1, 2))
    with pytest.raises(TypeError, match="2 dimensions"):
        T.as_tensor_variable([1.0], ndim=2)


def _numpy_dtype(a, b, op):
    return str(op(a, b).dtype)


WEAK = {"int": 2, "float": 2.0, "complex": 2.0j, "bool": True}


@pytest.mark.parametrize("dtype", ["bool", "int8", "int32", "int64", "uint8", "float32", "float64", "complex64"])
@pytest.mark.parametrize("weak", list(WEAK))
def test_weak_python_scalars_promote_as_in_numpy2(dtype, weak):
    var = T.tensor(dtype, shape=(None,))
    value = WEAK[weak]
    for op in (np.add, np.multiply, np.true_divide):
        expected = str(op(np.zeros(1, dtype), value).dtype)
        assert op(var, value).dtype == expected, (dtype, weak, op)
        assert op(value, var).dtype == str(op(value, np.ones(1, dtype)).dtype)


@pytest.mark.parametrize("a", ["bool", "int8", "int16", "uint8", "int32", "int64", "float32", "float64", "complex64"])
@pytest.mark.parametrize("b", ["int8", "uint16", "int64", "float32", "complex128"])
def test_array_promotion_matches_numpy(a, b):
    x, y = T.tensor(a, shape=(None,)), T.tensor(b, shape=(None,))
    assert (x + y).dtype == str((np.zeros(1, a) + np.zeros(1, b)).dtype)
    assert (x * np.ones(1, b)).dtype == str((np.zeros(1, a) * np.ones(1, b)).dtype)


def test_float32_stays_float32_with_python_floats_and_numpy_scalars_are_strong():
    v = T.fvector("v")
    assert (v * 2.0).dtype == (2.0 * v).dtype == (v + 1).dtype == (v ** 2).dtype == "float32"
    assert (v * np.float64(2.0)).dtype == "float64"
    assert (v * 1j).dtype == "complex64"
    out = gg.function(v, v * 2.0 + 1)(np.ones(2, "float32"))
    assert out.dtype == np.float32


def test_weak_scalars_combine_weakly():
    assert ((T.constant(2) + 3.0) * T.fvector()).dtype == "float32"


def test_dtype_helpers():
    assert dtypes.grad_dtype("int32") == "float64" and dtypes.grad_dtype("float32") == "float32"
    assert dtypes.real_dtype("complex64") == "float32" and dtypes.real_dtype("int8") == "int8"
    assert dtypes.is_complex("complex128") and dtypes.is_discrete("bool") and not dtypes.is_discrete("float16")
    assert dtypes.as_dtype("floatX") == "float64" and dtypes.as_dtype(np.float32) == "float32"


def test_filter_converts_what_it_may():
    vec = TensorType("float64", (None,))
    assert vec.filter([1, 2]).dtype == np.float64
    assert vec.filter(np.arange(3, dtype="float32")).dtype == np.float64
    a = np.zeros(3)
    assert vec.filter(a) is a
    ints = TensorType("int32", (None,))
    assert ints.filter(np.array([1, 2], dtype="int64")).dtype == np.int32
    assert ints.filter([True, False]).tolist() == [1, 0]
    scalar = TensorType("float32", ())
    assert scalar.filter(3).dtype == np.float32 and scalar.filter(2.5).shape == ()


@pytest.mark.parametrize("typ, value, match", [
    (TensorType("float64", (None,)), [1j, 2], "complex128 to float64"),
    (TensorType("float64", (None,)), ["a", "b"], "dtype <U1"),
    (TensorType("float64", (None,)), [[1], [1, 2]], "cannot convert"),
    (TensorType("float64", (None,)), None, "dtype object"),
    (TensorType("int32", (None,)), [1.5, 2.0], "float64 to int32"),
    (TensorType("int32", (None,)), np.array([2 ** 40]), "int64 to int32"),
    (TensorType("int32", ()), 2 ** 40, "does not fit"),
    (TensorType("uint8", ()), -1, "does not fit"),
    (TensorType("float64", (None,)), [[1.0]], "expected 1 dimensions"),
    (TensorType("float64", (None, 3)), np.zeros((2, 2)), "expected size 3 on axis 1"),
])
def test_filter_rejects_what_it_may_not(typ, value, match):
    with pytest.raises(InputError, match=match):
        typ.filter(value, "input 0 (x)")


def test_shared_variables():
    w = gg.shared(np.zeros(3, "float32"), name="w")
    assert (w.dtype, w.ndim, w.name) == ("float32", 1, "w")
    assert gg.shared(1.5).dtype == "float64" and gg.shared(3).dtype == "int64"
    with gg.config.change_flags(floatX="float32"):
        assert gg.shared(1.5).dtype == "float32"
    assert gg.shared(np.zeros((1, 3)), shape=(1, None)).broadcastable == (True, False)
    value = w.get_value()
    value[0] = 7
    assert w.get_value()[0] == 0
    w.set_value([1, 2, 3])
    assert w.get_value().dtype == np.float32 and w.get_value().tolist() == [1, 2, 3]
    with pytest.raises(InputError, match="w"):
        w.set_value(np.zeros((2, 2)))
    with pytest.raises(TypeError):
        gg.shared("abc")


def test_symbolic_tensors_refuse_python_truth_and_iteration():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="truth"):
        bool(x)
    with pytest.raises(TypeError, match="iterated"):
        iter(x)
    with pytest.raises(TypeError, match="len"):
        len(x)
