"""The call paths of a compiled function: float64 scalar graphs computed on Python floats
(compile/float_call.py), bit for bit as the program computes them, with the same errors;
``trust_input`` skipping the argument checks."""
import copy
import itertools
import pickle
import threading

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.errors import InputError
from gpugrad.graph.traversal import toposort
from gpugrad.ops.elemwise import composite_of

SPECIAL = [0.0, -0.0, 1.5, -2.25, 3, np.inf, -np.inf, np.nan, 1e308, 5e-324, np.array(0.1), np.float64(-7.0)]


def _scalar_graphs():
    x, y = T.dscalar("x"), T.dscalar("y")
    return [([x], gg.grad(x ** 2, x)),
            ([x, y], [x * y + 2, x / y - x, abs(-x) * x * x, x, 3 - y / 7.5]),
            ([x, y], gg.grad(x * x * y - x / y + T.sqr(y), [x, y])),
            ([x], [x, -x, x]),
            ([x, y], _fused([x, y], [x * y + 2.5, (x * y + 2.5) / y - abs(x)]))]


def _fused(inputs, outputs):
    """``outputs`` computed by one ``Composite`` (as a fusion phase makes them)."""
    composite, outer = composite_of(toposort(outputs, blockers=inputs), outputs)
    return composite.make_node(*outer).outputs


def _pair(inputs, outputs):
    """The graph compiled twice: as usual, and profiled (its nodes timed: the program runs)."""
    fast = gg.function(inputs, outputs)
    assert fast._fast is not None, "expected the graph to be computed on floats"
    return fast, gg.function(inputs, outputs, profile=True)


def _same_bits(a, b):
    """Equal to the bit, or both NaN (which NaN comes out where two meet, IEEE leaves open)."""
    assert type(a) is np.ndarray and type(b) is np.ndarray
    assert (a.dtype, a.shape) == (b.dtype, b.shape) == (np.dtype("float64"), ())
    assert a.tobytes() == b.tobytes() or np.isnan(a) and np.isnan(b), (a, b)


@pytest.mark.parametrize("graph", range(len(_scalar_graphs())))
def test_float_calls_agree_with_the_program_to_the_bit(graph):
    inputs, outputs = _scalar_graphs()[graph]
    fast, program = _pair(inputs, outputs)
    for args in itertools.product(SPECIAL, repeat=len(inputs)):  # zero divisors: the program runs
        got, want = fast(*args), program(*args)
        for a, b in zip(*([got, want] if isinstance(got, list) else [[got], [want]])):
            _same_bits(a, b)
    assert program.profile().calls == len(SPECIAL) ** len(inputs)


def test_float_call_results_are_the_callers():
    x = T.dscalar("x")
    f = gg.function([x], [x, x * 1.0, x])
    first = f(2.0)
    assert len({id(r) for r in first}) == 3 and all(r.flags.owndata and r.flags.writeable for r in first)
    first[0][...] = 5.0
    assert [r.item() for r in f(2.0)] == [2.0, 2.0, 2.0]
    argument = np.array(2.0)
    assert f(argument)[0] is not argument


@pytest.mark.parametrize("bad", ["a", [1.0, 2.0], np.zeros(2), None, 2 ** 2000, 1j, np.array(1.0, "complex128")])
def test_float_call_errors_are_the_programs(bad):
    (x,), out = _scalar_graphs()[0]
    fast, program = _pair([x], out)
    errors = []
    for f in (fast, program):
        with pytest.raises(InputError) as caught:
            f(bad)
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert fast(3.0) == 6.0  # and it still works


def test_float_call_with_defaults_and_keywords():
    x, y = T.dscalar("x"), T.dscalar("y")
    f = gg.function([x, gg.In(y, value=4.0)], x / y)
    assert f._fast is not None
    assert f(2.0) == 0.5 and f(y=2.0, x=3.0) == 1.5 and f(1.0, 0.0) == np.inf
    with pytest.raises(InputError, match="takes 2 arguments"):
        f(1.0, 2.0, 3.0)


def test_only_float64_scalar_graphs_of_exact_ops_are_computed_on_floats():
    x, v = T.dscalar("x"), T.dvector("v")
    f32 = T.fscalar("f")
    w = gg.shared(1.0, name="w")
    for inputs, outputs, kwargs in [([x], T.exp(x), {}), ([v], v * 2, {}), ([f32], f32 * 2, {}),
                                    ([x], x * w, {}), ([x], x * 2, {"updates": [(w, w + x)]}),
                                    ([x], x ** 2.5, {}), ([x], T.maximum(x, 1.0), {})]:
        f = gg.function(inputs, outputs, **kwargs)
        assert f._fast is None, outputs
    many = T.dscalars(40)
    f = gg.function(many, T.add(*many))  # one node of 40 operands: left to the program
    assert f._fast is None and f(*range(40)) == 780.0


def test_trust_input_skips_the_checks_and_computes_right_input_right():
    v = T.dvector("v")
    f = gg.function([v], v * 2)
    with pytest.raises(InputError):
        f(np.ones((2, 2)))
    f.trust_input = True
    assert f.trust_input is True
    assert f(np.array([1.0, 2.5])).tolist() == [2.0, 5.0]
    assert f(np.ones((2, 2))).shape == (2, 2)  # not checked: the caller's responsibility
    f.trust_input = False
    with pytest.raises(InputError):
        f(np.ones((2, 2)))


def test_trust_input_on_floats():
    (x,), out = _scalar_graphs()[0]
    f = gg.function([x], out)
    f.trust_input = True
    assert f(3.0) == 6.0 and f(np.array(-1.5)) == -3.0
    result = f(3.0)
    assert type(result) is np.ndarray and result.dtype == np.float64 and result.shape == ()


@pytest.mark.parametrize("junk", ["a", [1.0, 2.0], None, object(), np.zeros((3, 0)), np.arange(4, dtype=np.int8)])
def test_trusted_wrong_input_raises_or_computes_but_never_crashes(junk):
    x, y, m = T.dscalar("x"), T.dscalar("y"), T.dmatrix("m")
    for inputs, out, good in [([x], x * 2, [1.0]), ([x, y], T.exp(x) * y, [0.0, 2.0]),
                              ([m], (m * 2).sum(), [np.ones((1, 1))])]:
        f = gg.function(inputs, out)
        f.trust_input = True
        try:
            f(*[junk] * len(inputs))
        except Exception:  # noqa: BLE001 (any error will do: the test is that the process survives)
            pass
        assert f(*good) == 2.0  # and the function still works


def test_instrumented_functions_run_their_program():
    (x,), out = _scalar_graphs()[0]
    f = gg.function([x], out, mode="DebugMode")
    assert f._fast is None and f(3.0) == 6.0
    f.trust_input = True
    assert f._fast is None and f(np.array(3.0)) == 6.0


def test_trust_input_on_a_device_still_checks_the_arguments():
    v = T.dvector("v")
    f = gg.function([v], v * 2, device="cuda-sim")
    f.trust_input = True
    assert f.trust_input is True
    with pytest.raises(InputError, match="expected 1 dimensions"):
        f(np.ones((2, 2)))
    assert f(np.ones(2)).tolist() == [2.0, 2.0]


def test_copies_and_pickles_keep_trust_input():
    v = T.dvector("v")
    f = gg.function([v], v * 2)
    f.trust_input = True
    for other in (f.copy(), pickle.loads(pickle.dumps(f)), copy.deepcopy(f)):
        assert other.trust_input is True
        assert other(np.ones((2, 2))).shape == (2, 2)  # not checked
    assert pickle.loads(pickle.dumps(gg.function([v], v * 2))).trust_input is False


def test_float_calls_from_many_threads_each_get_their_own_results():
    """Float calls share nothing; the ones dividing by zero run the program's linked copies."""
    x, y = T.dscalar("x"), T.dscalar("y")
    f = gg.function([x, y], [x / y, x * y])
    wrong = []

    def work(k):
        for i in range(300):
            divisor = float(i % 3)  # every third call divides by zero: the program runs it
            quotient, product = f(k + 1.0, divisor)
            if quotient.item() != ((k + 1) / divisor if divisor else np.inf) or product.item() != (k + 1) * divisor:
                wrong.append((k, i))
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong
