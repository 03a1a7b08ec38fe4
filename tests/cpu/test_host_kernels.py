"""The CPU's generated kernels (codegen/host.py, runtime/host_elementwise.py) against NumPy:
every row of the table in every dtype, broadcasting, strided, 0-d and empty inputs, the
edges of integer division and of floats, chunks over threads, and concurrent callers.
Each test builds its kernels at the first call (``cpu_compile_after = 0``) and fails if a
Composite falls back to NumPy (``numpy_thunk`` raises here)."""
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.ops.elemwise import Composite, composite_of
from gpugrad.runtime import host_elementwise

sys.path.insert(0, str(Path(__file__).parents[1] / "cuda"))
from cases import DTYPES, every_row, sample  # noqa: E402

TOLERANCE = {"float32": 1e-5, "complex64": 1e-5}


def pair(inputs, outputs, fused=Composite, **kwargs):
    """(the function running generated kernels, built at its first call; the NumPy one); the
    first has ``fused`` nodes, the second none."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with gg.config.change_flags(cpu_codegen=True, cpu_compile_after=0):
            fast = gg.function(inputs, outputs, device="cpu", **kwargs)
        with gg.config.change_flags(cpu_codegen=False):
            numpy = gg.function(inputs, outputs, device="cpu", **kwargs)
    assert any(isinstance(n.op, fused) for n in fast.graph.toposort())
    assert not any(isinstance(n.op, fused) for n in numpy.graph.toposort())
    return fast, numpy


def never_numpy(monkeypatch, runtime, what):
    """The nodes ``runtime`` (a runtime module) runs fail a test where they would run NumPy."""
    def fail():
        raise AssertionError(f"{what} ran NumPy: its kernel did not run")
    monkeypatch.setattr(runtime, "numpy_thunk", lambda *args: fail)


@pytest.fixture
def kernels(monkeypatch):
    """``pair``, for functions whose Composites must never fall back to NumPy."""
    never_numpy(monkeypatch, host_elementwise, "a Composite")
    return pair


def agree(fast, numpy, *args, names=None, tol=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # complex -> real casts warn on NumPy's path
        got, want = fast(*args), numpy(*args)
    got, want = (got, want) if isinstance(got, list) else ([got], [want])
    for k, (g, w) in enumerate(zip(got, want)):
        name = names[k] if names else k
        assert g.dtype == w.dtype and g.shape == w.shape, name
        t = tol or TOLERANCE.get(str(g.dtype)) or TOLERANCE.get(str(args[0].dtype), 1e-12)
        np.testing.assert_allclose(g, w, rtol=t, atol=t, equal_nan=True, err_msg=f"{name}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_row_of_every_dtype_matches_numpy(dtype, kernels, rng):
    inputs, names, outputs = every_row(dtype)
    fast, numpy = kernels(list(inputs), outputs)
    agree(fast, numpy, sample(dtype, (3, 5), rng), sample(dtype, (3, 5), rng), names=names)


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8", "uint64"])
def test_integer_division_at_its_edges_is_the_cpus(dtype, kernels):
    """Division and modulo by zero give 0, MIN // -1 wraps, floor rounds toward -inf: as NumPy's path."""
    x, y = T.vector("x", dtype=dtype), T.vector("y", dtype=dtype)
    fast, numpy = kernels([x, y], [x // y + 0, x % y + 0, (x // y) * (x % y)])
    info = np.iinfo(dtype)
    values = np.array([info.min, info.max, 7, 0, 5, info.min, 3], dtype=dtype)
    divisors = np.array([-1 if info.min else 1, 0, 0, 0, 3, 1, 2], dtype=dtype)
    if info.min:
        values = np.concatenate([values, [-7, 7]]).astype(dtype)
        divisors = np.concatenate([divisors, [2, -2]]).astype(dtype)
    agree(fast, numpy, values, divisors, tol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nans_infinities_and_signed_zeros_as_numpy(dtype, kernels):
    x, y = T.vector("x", dtype=dtype), T.vector("y", dtype=dtype)
    outs = [x // y + 0, x % y * 1, T.maximum(x, y) + 0, T.minimum(x, y) * 1, T.clip(x, -1, 1) * 1,
            T.exp(x) * y, T.log(x) + y, T.sqrt(x) - y, T.cast(x * 2, "int32"), T.sign(x) * y, x / y + 0]
    fast, numpy = kernels([x, y], outs)
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.5, 1e30, -1e30, 3.0], dtype)
    a, b = np.meshgrid(special, special)
    agree(fast, numpy, a.ravel(), b.ravel())


def test_broadcasting_strided_and_negative_strides(kernels, rng):
    x, row, col = T.dmatrix("x"), T.tensor("float64", shape=(1, None), name="row"), T.dcol("col")
    s = T.dscalar("s")
    fast, numpy = kernels([x, row, col, s], [T.tanh(x * row) + col * s - T.exp(x), x * 2 + s])
    big = rng.standard_normal((9, 14))
    for value in (big[:7, :11], big.T[:11, :7], big[::2, ::-3], np.asfortranarray(big[:5, :6])):
        m, n = value.shape
        agree(fast, numpy, value, rng.standard_normal((1, n))[:, ::1], rng.standard_normal((m, 1)), 0.5)
        agree(fast, numpy, value, rng.standard_normal((2, n))[:1], rng.standard_normal((m, 2))[:, 1:], -1.5)


def test_zero_dimensional_and_empty_inputs(kernels, rng, monkeypatch):
    """0-d inputs run the kernel; a region of scalars is not fused (NumPy serves outputs that
    small anyway, and its nodes stay visible); an empty output runs NumPy (nothing to
    compute, and an output that keeps size 1 where the others are empty is NumPy's to fill)."""
    a, b, c = T.dscalar("a"), T.dvector("b"), T.dscalar("c")
    fast, numpy = kernels([a, b], [T.exp(a) * b + 1])
    agree(fast, numpy, np.float64(0.3), rng.standard_normal(5))
    with gg.config.change_flags(cpu_codegen=True, cpu_compile_after=0):
        scalars = gg.function([a, c], T.exp(a) * c + 1, device="cpu")
    assert not any(isinstance(n.op, Composite) for n in scalars.graph.toposort())
    assert scalars(0.0, -2.0) == -1.0
    x, y = T.dmatrix("x"), T.dvector("y")
    fast, numpy = kernels([x, y], [T.exp(x) * y + 1, T.sin(x) - y])
    agree(fast, numpy, rng.standard_normal((3, 4)), rng.standard_normal(4))
    monkeypatch.undo()
    fast, numpy = pair([x, y], [T.exp(x) * y + 1, T.sin(x) - y])
    for shape in [(0, 3), (3, 0), (0, 0)]:
        agree(fast, numpy, np.zeros(shape), np.zeros(shape[1]))
    agree(fast, numpy, rng.standard_normal((3, 4)), rng.standard_normal(4))  # still works after


def test_large_arrays_split_over_threads_and_the_strided_path(kernels, rng):
    x, y = T.dmatrix("x"), T.dmatrix("y")
    fast, numpy = kernels([x, y], [T.exp(x) * y + T.tanh(y), x * y - 1])
    a, b = rng.standard_normal((1100, 1000)), rng.standard_normal((1100, 1000))
    with gg.config.change_flags(cpu_threads=3):  # uneven chunks, more threads than cores
        agree(fast, numpy, a, b)
        agree(fast, numpy, a[::-1], b.T.copy().T)
        agree(fast, numpy, a[:, 1:999], b[:, :998])


def test_a_broadcast_scalar_in_chunks_over_threads(kernels, rng):
    """Every chunk reads the scalar's one value (the fast path offset it by the chunk's start:
    wrong values, or a crash, past the first chunk)."""
    s, y = T.tensor("float32", shape=(1, 1), name="s"), T.fmatrix("y")
    fast, numpy = kernels([s, y], [-(s * y)])
    with gg.config.change_flags(cpu_threads=2):
        agree(fast, numpy, np.float32([[1.5]]), rng.standard_normal((1100, 1000)).astype("float32"))


def test_concurrent_callers_get_their_own_results(kernels, rng):
    x, y = T.dmatrix("x"), T.dscalar("y")
    fast, _ = kernels([x, y], [T.exp(x) * y + 1])
    values = [rng.standard_normal((300, 400)) for _ in range(4)]
    results, errors = {}, []

    def call(k):
        try:
            for _ in range(5):
                results[k] = fast(values[k], float(k))[0]
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=call, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for k in range(4):
        np.testing.assert_allclose(results[k], np.exp(values[k]) * k + 1, rtol=1e-14)


def test_float16_stays_numpy_and_agrees():
    x = T.vector("x", dtype="float16")
    with gg.config.change_flags(cpu_codegen=True, cpu_compile_after=0):
        f = gg.function([x], T.exp(x) * 2 + 1)
    assert not any(isinstance(n.op, Composite) for n in f.graph.toposort())
    value = np.array([0.5, 1.0, -2.0], "float16")
    np.testing.assert_array_equal(f(value), np.exp(value) * np.float16(2) + np.float16(1))


def test_sigmoid_of_unsigned_integers_converts_before_negating():
    """Before: NumPy's path negated the unsigned input (wrapping: -1 is 65535) and gave 0."""
    x = T.vector("x", dtype="uint16")
    with gg.config.change_flags(cpu_codegen=False):
        f = gg.function([x], T.nnet.sigmoid(x))
    np.testing.assert_allclose(f(np.array([0, 1, 3], "uint16")), 1 / (1 + np.exp(-np.array([0.0, 1.0, 3.0]))),
                               rtol=1e-6)


def _fresh_graph():
    """A graph whose kernel no cache holds: a literal drawn at random."""
    x = T.dvector("x")
    c = float(np.random.default_rng().integers(1, 2**40)) + 0.5
    return [x], [T.exp(x) * c + 1], c


def test_the_first_build_prints_one_line_and_quiet_none(capfd):
    inputs, outputs, _ = _fresh_graph()
    fast, _ = pair(inputs, outputs)
    fast(np.ones(3))
    fast(np.ones(3))
    assert capfd.readouterr().err.count("gpugrad: compiling a CPU kernel for composite{exp,mul,add}") == 1
    inputs, outputs, _ = _fresh_graph()
    with gg.config.change_flags(quiet=True):
        fast, _ = pair(inputs, outputs)
        fast(np.ones(3))
    assert "compiling" not in capfd.readouterr().err


def test_numpy_serves_calls_until_the_background_build_is_done():
    inputs, outputs, c = _fresh_graph()
    from gpugrad.backends import host_compiler
    with gg.config.change_flags(cpu_codegen=True, cpu_compile_after=10, quiet=True):
        f = gg.function(inputs, outputs)
    value = np.linspace(0, 1, 4)
    (op,) = [n.op for n in f.graph.toposort() if isinstance(n.op, Composite)]
    kernel = host_elementwise._kernel_of(op)
    np.testing.assert_allclose(f(value)[0], np.exp(value) * c + 1)  # 4 elements: still cold
    assert kernel.future is None
    np.testing.assert_allclose(f(value)[0], np.exp(value) * c + 1)  # 8
    np.testing.assert_allclose(f(value)[0], np.exp(value) * c + 1)  # 12: requested, NumPy meanwhile
    assert kernel.future is not None and kernel.fn is None
    kernel.future.result(timeout=120)
    np.testing.assert_allclose(f(value)[0], np.exp(value) * c + 1)
    assert kernel.fn is not None and host_compiler.request(kernel.source, "", "gg_kernel") is kernel.future


def test_a_kernel_that_fails_to_build_warns_once_and_numpy_runs(monkeypatch):
    from gpugrad.backends import host_compiler
    monkeypatch.setattr(host_compiler, "FLAGS", host_compiler.FLAGS + ("-fno-such-flag-for-gpugrad",))
    inputs, outputs, c = _fresh_graph()
    with pytest.warns(gg.CodegenWarning, match="failed to build"):
        fast, _ = pair(inputs, outputs)
        np.testing.assert_allclose(fast(np.ones(2))[0], np.exp(1) * c + 1)
    np.testing.assert_allclose(fast(np.ones(2))[0], np.exp(1) * c + 1)


@pytest.mark.parametrize("why", ["flag", "compiler"])
def test_without_codegen_numpy_runs_with_one_warning(why, monkeypatch):
    from gpugrad.backends import host_compiler
    monkeypatch.setattr(host_elementwise, "_warned", set())
    if why == "compiler":
        monkeypatch.setattr(host_compiler, "compiler", lambda: None)
    x = T.dvector("x")
    with gg.config.change_flags(cpu_codegen=why == "compiler"):
        with pytest.warns(gg.CodegenWarning, match="cpu_codegen is False" if why == "flag" else "no C\\+\\+ compiler"):
            f = gg.function([x], T.exp(x) * 2 + 1)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            g = gg.function([x], T.sin(x) * 2 + 1)  # one warning per process
    for fn in (f, g):
        assert not any(isinstance(n.op, Composite) for n in fn.graph.toposort())
    np.testing.assert_allclose(f(np.ones(2)), np.exp(1) * 2 + 1)


def test_the_cache_key_holds_the_target_and_flags(monkeypatch):
    from gpugrad.backends import host_compiler
    source = "int x;"
    before = host_compiler.key(source)
    monkeypatch.setattr(host_compiler, "_identity", lambda: "another CPU")
    assert host_compiler.key(source) != before
    monkeypatch.undo()
    monkeypatch.setattr(host_compiler, "FLAGS", host_compiler.FLAGS + ("-O2",))
    assert host_compiler.key(source) != before


def test_kept_buffers_never_reach_a_result(kernels, rng):
    """A kernel whose outputs only feed a product keeps them across calls; one whose output
    is returned (through a view) never does, so an earlier result is never overwritten."""
    x, w, y = T.dmatrix("x"), T.dmatrix("w"), T.dmatrix("y")
    inner = T.tanh(x) * 2 + 1
    fast, numpy = kernels([x, w, y], [T.dot(inner, w), (T.exp(y) * 3 - 1).T])
    kept = [n for n in fast.graph.toposort() if isinstance(n.op, Composite) and n.tag.get("reuse")]
    assert [str(n.op) for n in kept] == ["composite{tanh,mul,add}"]
    a, b, v = rng.standard_normal((5, 4)), rng.standard_normal((5, 4)), rng.standard_normal((4, 3))
    first = [r.copy() for r in fast(a, v, a)]
    held = fast(a, v, a)
    agree(fast, numpy, b, v, b)
    for r, f in zip(held, first):
        np.testing.assert_array_equal(r, f)


def test_results_are_recycled_only_once_nobody_holds_them(kernels, rng):
    """A result the caller keeps is never written again; dropped ones and a shared variable's
    previous values are (two buffers serve any number of updates), with the right values."""
    x = T.dmatrix("x")
    fast, _ = kernels([x], [T.exp(x) * 2 + 1])
    values = [rng.standard_normal((4, 5)) for _ in range(6)]
    held = [fast(v)[0] for v in values]
    for v, r in zip(values, held):
        np.testing.assert_allclose(r, np.exp(v) * 2 + 1, rtol=1e-14)
    addresses = {fast(v)[0].ctypes.data for v in values}
    assert len(addresses) <= 2
    w = gg.shared(np.ones((30, 20)), name="w")
    with gg.config.change_flags(cpu_codegen=True, cpu_compile_after=0):
        step = gg.function([], [], updates=[(w, w * 2 + 1)])
    seen = set()
    for _ in range(6):
        step()
        seen.add(w.get_value(borrow=True).ctypes.data)
    assert len(seen) == 2 and (w.get_value() == 127).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_serves_a_cold_region_exactly_as_unfused_nodes(dtype, rng, monkeypatch):
    """Before its kernel is built a region runs its inner nodes' own NumPy thunks: the very
    results of the unfused graph."""
    monkeypatch.setattr(host_elementwise, "_KERNELS", {})  # not the kernels other tests built
    inputs, names, outputs = every_row(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with gg.config.change_flags(cpu_codegen=True, cpu_compile_after=1 << 60):
            cold = gg.function(list(inputs), outputs)
        with gg.config.change_flags(cpu_codegen=False):
            unfused = gg.function(list(inputs), outputs)
        values = [sample(dtype, (3, 4), rng) for _ in inputs]
        for name, a, b in zip(names, cold(*values), unfused(*values)):
            assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True), name


def test_the_tutorials_training_step_fuses_without_a_cycle(rng):
    """The tutorial's logistic regression step (mean cross-entropy plus an L2 penalty, both
    parameters updated). Before: a GraphError at compile time ("the graph has a cycle"): the
    sibling merge of ``w * w`` with the gradient's ``0.02 * w + ...`` and the region holding
    ``1 / n`` with the cost each looked acyclic alone, but the two fused nodes waited for
    each other. Sibling merges now ask the regions' own dependencies (``Regions.merge``)."""
    x, y = T.dmatrix("x"), T.dvector("y")
    w, b = gg.shared(rng.normal(size=5), name="w"), gg.shared(0.5, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = gg.grad(cost, [w, b])
    data = rng.normal(size=(8, 5)), (rng.random(8) > 0.5).astype(float)
    fast, numpy = pair([x, y], [cost, gw, gb])
    agree(fast, numpy, *data)
    with gg.config.change_flags(cpu_codegen=True):
        step = gg.function([x, y], cost, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)], device="cpu")
    (cost0, gw0, gb0), w0, b0 = fast(*data), w.get_value(), b.get_value()
    assert step(*data) == pytest.approx(float(cost0), rel=1e-12)
    np.testing.assert_allclose(w.get_value(), w0 - 0.1 * gw0, rtol=1e-12)
    assert b.get_value() == pytest.approx(b0 - 0.1 * float(gb0), rel=1e-12)


def test_a_numpy_scalar_after_a_0d_array_is_converted():
    """A call's layout is remembered by its arguments' types too: a NumPy scalar has a 0-d
    array's dtype, shape and strides but no data pointer of its own, so a kernel handed one
    after a 0-d array would read the scalar's value as an address."""
    x, y = T.dscalar("x"), T.dscalar("y")
    product = T.exp(x) * y
    op, outer = composite_of([product.owner.inputs[0].owner, product.owner], [product])
    layouts = host_elementwise._Layouts(op, op.make_node(*outer))
    assert layouts.plan([np.array(2.0), np.array(3.0)]) is not None
    scalars = [np.float64(2.0), np.float64(3.0)]
    assert layouts.plan(scalars) is not None
    assert all(type(v) is np.ndarray for v in scalars)  # converted, not taken for arrays


def _composites(f):
    return [n.op for n in f.graph.toposort() if isinstance(n.op, Composite)]


def test_cheap_arithmetic_on_a_written_value_is_recomputed_by_its_reader(kernels, rng):
    """``dot(h, M) * (1 - h * h)`` with ``h = tanh(x + y)`` (an MLP's hidden gradient): the tanh
    region writes ``h`` for the product anyway, so ``1 - h * h`` moves to the region reading
    it instead of being written out and read back (one pass over memory less each way)."""
    x, y, m = T.dmatrix("x"), T.dmatrix("y"), T.dmatrix("m")
    h = T.tanh(x + y)
    fast, numpy = kernels([x, y, m], T.dot(h, m) * (1 - h * h))
    tanh_region, reader = sorted(_composites(fast), key=lambda op: "tanh" not in str(op))
    assert len(tanh_region.outputs) == 1 and "sub" in str(reader) and "sub" not in str(tanh_region)
    agree(fast, numpy, *(rng.standard_normal((20, 20)) for _ in range(3)))


def test_arithmetic_on_a_value_the_region_keeps_to_itself_stays(kernels, rng):
    """Moving ``1 - h * h`` out would make the region write ``h``, which it does not now."""
    x, y, m = T.dmatrix("x"), T.dmatrix("y"), T.dmatrix("m")
    q = 1 - T.tanh(x + y) ** 2
    fast, numpy = kernels([x, y, m], T.dot(q, m) * q)
    assert any("tanh" in str(op) and "sub" in str(op) for op in _composites(fast))
    agree(fast, numpy, *(rng.standard_normal((20, 20)) for _ in range(3)))
