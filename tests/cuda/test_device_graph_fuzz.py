"""Whole random graphs on ``device="cuda-sim"`` against ``device="cpu"`` (and the CPU against
NumPy): a deterministic sample of graph_fuzz.py's graphs, then each bug its fuzzing found,
as the smallest graph that showed it."""
import warnings

import numpy as np
import pytest
import scipy.special

import gpugrad as gg
import gpugrad.tensor as T

from graph_fuzz import DEVICE, compare, run_graph

from device_checks import DEVICE

SEEDS = list(range(60))  # about 40 s with a cold kernel cache (g++ compiles each fused kernel), 2 s warm


@pytest.mark.parametrize("seed", SEEDS)
def test_random_graph(seed):
    run_graph(seed)


def _on_both(inputs, outputs, args):
    """The results of ``outputs`` on the CPU and the simulator, checked equal; the CPU's."""
    cpu, sim = (gg.function(inputs, outputs, device=d) for d in ("cpu", DEVICE))
    expected = cpu(*args)
    for k, (got, e) in enumerate(zip(sim(*args), expected)):
        compare(got, e, 1e-6, f"output {k}")
    return expected


def test_alloc_of_float16_runs_on_the_host():
    """Before: Alloc was placed on the device for every dtype, and the copy kernel has no
    float16 type (KeyError in codegen)."""
    x = T.bvector("x")
    out = T.alloc(T.exp(x), 2, x.shape[0])
    (value,) = _on_both([x], [out], [np.array([0, 1, 2], "int8")])
    compare(value, np.broadcast_to(np.exp(np.array([0, 1, 2], "int8")), (2, 3)), 1e-3, "alloc")


def test_fusion_never_merges_regions_one_reaches_through_an_outside_node():
    """Before: a node joined two regions where a member of one, added after the other's
    nodes were seen, depended on the other through LogSoftmax: the Composite fed itself
    (GraphError: the graph has a cycle)."""
    a, b = T.fmatrix("a"), T.fmatrix("b")
    c, e = T.conj(a), T.conj(b)
    outputs = [e - T.sum(T.exp(T.nnet.log_softmax(c, axis=1)) * e, axis=1, keepdims=True), e * T.sigmoid(c)]
    rng = np.random.default_rng(0)
    _on_both([a, b], outputs, [rng.standard_normal((3, 4)).astype("float32") for _ in range(2)])


def test_argmax_of_an_empty_array_over_a_full_axis():
    """Before: the CPU raised for any empty array; NumPy (and the device) reduce a nonempty axis."""
    x = T.ltensor3("x")
    value = np.zeros((1, 3, 0), "int64")
    got = _on_both([x], [T.argmax(x, axis=1), T.argmin(x, axis=0, keepdims=True)], [value])
    compare(got[0], np.argmax(value, 1), 0, "argmax")
    compare(got[1], np.argmin(value, 0, keepdims=True), 0, "argmin")


def test_switch_on_a_complex_condition_of_real_branches():
    """Before: the kernel converted the branches to the condition's complex type, then
    assigned complex to the float output (g++ and NVRTC reject it)."""
    z = T.zvector("z")
    value = np.array([0.5j, 0, 2 - 1j])
    (got,) = _on_both([z], [T.switch(z, 0.5, 1)], [value])
    compare(got, np.where(value, 0.5, 1), 0, "switch")


def test_a_fused_output_of_size_one_beside_an_empty_one():
    """Before: the kernel ran over the broadcast shape (3, 0), so the fused ``exp(s)`` of shape
    (3, 1) computed nothing and came back (3, 0)."""
    x = T.dmatrix("x")
    a = T.exp(T.sum(x, axis=1, keepdims=True))
    value = np.arange(6.0).reshape(3, 2)
    got = _on_both([x], [a, x[:, :0] + a, a * 2], [value])
    expected = np.exp(value.sum(1, keepdims=True))
    for g, e in zip(got, [expected, np.zeros((3, 0)), expected * 2]):
        compare(g, e, 1e-12, "fused")


def test_integers_compare_exactly_with_python_ints_beyond_their_range():
    """Before: the kernel converted -1 to uint8 (255), so ``x <= -1`` was True where NumPy's is False."""
    x, y, u = T.tensor("uint8", shape=(None,), name="x"), T.bvector("y"), T.tensor("uint64", shape=(None,), name="u")
    args = [np.array([0, 1, 255], "uint8"), np.array([-128, 0, 127], "int8"), np.array([0, 2**63, 2**64 - 1], "uint64")]
    got = _on_both([x, y, u], [x <= -1, T.eq(x, 300), T.lt(-1, x), y < 1000, T.neq(y, -200), u >= -1], args)
    a, b, c = args
    for g, e in zip(got, [a <= -1, a == 300, -1 < a, b < 1000, b != -200, c >= -1]):
        compare(g, e, 0, "comparison")


def test_complex_to_bool_is_a_nonzero_test():
    """Before: the CPU cast took the real part first (2j gave False); NumPy and the kernel test both parts."""
    z = T.cvector("z")
    value = np.array([2j, 0, 1 + 0j, np.nan], "complex64")
    (got,) = _on_both([z], [T.cast(z, "bool")], [value])
    compare(got, value.astype(bool), 0, "cast")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_floor_division_and_modulo_are_numpys(dtype):
    """Before: the kernel's ``floor(a / b)`` gave 1 // 0.1 = 10 (NumPy: 9), and a zero modulo
    kept the dividend's sign (2 % -1: NumPy -0.0), so arctan2 of it flipped by 2 pi."""
    a, b = T.vector("a", dtype=dtype), T.vector("b", dtype=dtype)
    x = np.array([1, 2, -2, 1, 0, 5, 3, np.inf, 7, 0, -3], dtype)
    y = np.array([0.1, -1, 1, 0, -3, np.inf, -np.inf, 2, 0.7, 0, 1.5], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = _on_both([a, b], [a // b, a % b, T.arctan2(a % b, b)], [x, y])
        for g, e in zip(got, [x // y, x % y, np.arctan2(x % y, y)]):
            compare(g, e, 0, "divmod")
            assert np.array_equal(np.signbit(g)[~np.isnan(e)], np.signbit(e)[~np.isnan(e)])


def test_complex_powers_are_numpys():
    """Before: the kernel's ``pow`` (exp(y log x)) gave NaN for 0 ** 0, where NumPy gives 1."""
    x, y = T.zvector("x"), T.zvector("y")
    xv = np.array([0, 0, 0, 0, 0, -1, 2 + 1j, 1.5j, 3, 0.5 - 2j])
    yv = np.array([0, 2, 1j, 0.5 + 1j, -0.5 + 1j, -1, 3, -2, 0.5 + 1j, 1.25])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (got,) = _on_both([x, y], [x ** y], [xv, yv])
        compare(got, xv ** yv, 1e-12, "pow")


def test_derivatives_through_bools():
    """Before: building the gradient of ``erfc`` or ``sigmoid`` of a bool negated the bool
    (NumPy has no negative of bools: TypeError), and so did sigmoid's own forward."""
    x = T.dvector("x")
    b = x > 0
    cost = T.sum((T.erfc(b) + T.sigmoid(b) + T.softplus(b)) * x)
    value = np.array([-1.0, 0.5, 2.0])
    got = _on_both([x], [T.grad(cost, x), T.sigmoid(b)], [value])
    expected = scipy.special.erfc(value > 0) + scipy.special.expit(value > 0) + np.logaddexp(0, value > 0)
    compare(got[0], expected, 1e-3, "gradient")  # float16: erfc of a bool computes in float16, as NumPy


def test_polynomial_rewrite_keeps_bool_leaves_out():
    """Before: ``cast(b, float32) - b`` was rebuilt as ``-b`` plus a cast: no negative of bools (TypeError)."""
    b = T.bvector("b")
    mask = T.cast(b, "bool")
    value = np.array([0, 1, 3], "int8")
    (got,) = _on_both([b], [T.cast(mask, "float32") - mask + T.cast(mask, "float32") * 2], [value])
    compare(got, np.array([0, 2, 2], "float32"), 0, "polynomial")


def test_flatten_of_an_empty_leading_axis():
    """Before: flatten's last size was -1, which a size-0 leading axis leaves undetermined
    (gpugrad made it 0 // 0 = 0: shape (0, 0), not the merged axes' (0, 6))."""
    x = T.dtensor3("x")
    for value in (np.zeros((0, 2, 3)), np.ones((2, 2, 3))):
        got = _on_both([x], [T.flatten(x, 2), T.flatten(x, 1), T.flatten(x, 3)], [value])
        assert [g.shape for g in got] == [(value.shape[0], 6), (value.size,), value.shape]


def test_an_add_does_not_overwrite_what_it_still_reads():
    """Before: the memory phase let ``g[::-1] + g + g[::-1]`` write into ``g`` in place, and
    the variadic add read its third operand, a view of ``g``, after the first partial sum
    had overwritten it (the gradient of a double inc_subtensor on the CPU was wrong)."""
    x = T.dvector("x")
    g = T.exp(x)
    value = np.array([0.0, 1.0, 2.0])
    (got,) = _on_both([x], [g[::-1] + g + g[::-1]], [value])
    compare(got, 2 * np.exp(value[::-1]) + np.exp(value), 1e-12, "add")
    z = T.cvector("z")
    cost = T.sum(T.imag(T.inc_subtensor(T.inc_subtensor(z[-1::2], z)[0::2], z)) * 0.5) + T.sum(
        T.real(T.split(z, [0, 0, 1], 3, 0)[0]))
    (grad,) = _on_both([z], [T.grad(cost, z)], [np.array([3 + 1.5j], "complex64")])
    compare(grad, np.array([1.5j], "complex64"), 0, "gradient")
