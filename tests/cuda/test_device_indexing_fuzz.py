"""Differential fuzzing of indexing on ``device="cuda-sim"`` against ``device="cpu"`` and NumPy:
seeded random index expressions (ints, slices with any bounds and steps, new axes, Ellipsis,
integer arrays that broadcast or are empty, boolean masks over one or two axes, adjacent or
not) over inputs of rank 1-4 that are sometimes non-contiguous views computed in the graph,
for ``x[idx]``, ``set_subtensor``, ``inc_subtensor`` and the gradients through them; and
out-of-range indices, which raise the ShapeError NumPy's IndexError names, after which the
function still works. ``check_case(seed)`` is the whole comparison for one seed."""
import re

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.errors import ShapeError

from device_checks import DEVICE

DTYPES = ["bool", "int8", "int64", "float32", "float64", "complex128"]
INDEX_DTYPES = ["int64", "int32", "int8", "uint8"]
BLOCKS = [(), (3,), (2, 3), (2, 1), (1, 4), (4,), (3, 1, 2), (0,), (2, 0)]
BLOCK_WEIGHTS = [0.15, 0.2, 0.15, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05]
AXIS_ERROR = re.compile(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)")


# ---------------------------------------------------------------- generating a case
def _values(rng, dtype, shape):
    """Values of ``x`` or ``v``: small integers, or normal (complex: both parts)."""
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if np.dtype(dtype).kind == "i":
        return rng.integers(-100, 100, shape).astype(dtype)
    value = rng.standard_normal(shape)
    return (value + 1j * rng.standard_normal(shape) if dtype == "complex128" else value).astype(dtype)


def _slice(rng, n, wild=0.5):
    """A slice of an axis of ``n``: with probability ``wild`` any bounds (often empty), else
    one that keeps some of the axis, any step."""
    step = None if rng.random() < 0.4 else int(rng.choice([1, 2, 3, -1, -2]))
    if rng.random() < wild:
        return slice(*(None if rng.random() < 0.3 else int(rng.integers(-n - 2, n + 3)) for _ in "ab"), step)
    start = None if rng.random() < 0.4 or n == 0 else int(rng.integers(-n, n))
    return slice(start, None, step)


def _pre_op(rng, shape):
    """A view computed in the graph first: a permutation of the axes, a slice per axis, a
    new (stride 0) axis, each maybe."""
    perm = tuple(int(a) for a in rng.permutation(len(shape))) if rng.random() < 0.6 else None
    sizes = shape if perm is None else [shape[a] for a in perm]
    slices = tuple(_slice(rng, n, wild=0.05) for n in sizes) if rng.random() < 0.4 else None
    return perm, slices, int(rng.integers(0, len(shape) + 1)) if len(shape) < 4 and rng.random() < 0.2 else None


def _apply_pre(x, pre, transpose):
    perm, slices, new_axis = pre
    if perm is not None:
        x = transpose(x, perm)
    x = x if slices is None else x[slices]
    return x if new_axis is None else x[(slice(None),) * new_axis + (None,)]


def _via(rng, ndim):
    """How a symbolic index array reaches the index: as given, reversed or transposed in the graph."""
    return str(rng.choice(["", "rev", "T"][:1 + (ndim > 0) + (ndim > 1)]))


def _array_shape(rng, block):
    """A shape that broadcasts to ``block`` (or is it)."""
    keep = int(rng.integers(0, len(block) + 1)) if rng.random() < 0.4 else len(block)
    return tuple(1 if rng.random() < 0.25 else d for d in block[len(block) - keep:])


def _mask(rng, shape):
    """A boolean array of ``shape``: often all False, else with a random number of Trues."""
    size = int(np.prod(shape))
    flat = np.zeros(size, bool)
    flat[rng.choice(size, size=0 if rng.random() < 0.15 else int(rng.integers(0, size + 1)), replace=False)] = True
    return flat.reshape(shape)


def _kinds(rng, shape):
    """The kind of item for each run of axes of ``shape``, covering them all: (kind, axis, span);
    at most one mask (its count fixes the broadcast block)."""
    kinds, axis = [], 0
    while axis < len(shape):
        kind = str(rng.choice(["int", "slice", "full", "arr", "mask"], p=[0.2, 0.25, 0.15, 0.25, 0.15]))
        if kind == "int" and shape[axis] == 0 or kind == "mask" and any(k[0] == "mask" for k in kinds):
            kind = "arr"
        span = 2 if kind == "mask" and axis + 1 < len(shape) and rng.random() < 0.35 else 1
        kinds.append((kind, axis, span))
        axis += span
    return kinds


def _items(rng, shape):
    """Index items over ``shape``: dicts of kind, value and whether it is a symbolic input."""
    kinds = _kinds(rng, shape)
    block = BLOCKS[int(rng.choice(len(BLOCKS), p=BLOCK_WEIGHTS))]
    mask = [dict(kind="mask", value=_mask(rng, shape[axis:axis + span]), sym=bool(rng.random() < 0.7),
                 via=_via(rng, span), static=bool(rng.random() < 0.25)) for kind, axis, span in kinds if kind == "mask"]
    if mask:
        count = int(mask[0]["value"].sum())
        block = (*block[:-1], count) if block else (count,)
    items = []
    for kind, axis, span in kinds:
        n, sym = shape[axis], bool(rng.random() < 0.7)
        if kind == "int":
            dtype = str(rng.choice(["int64", "int32"]))
            items.append(dict(kind="int", value=int(rng.integers(-n, n)), sym=sym, dtype=dtype, n=n))
        elif kind in ("slice", "full"):
            items.append(dict(kind="slice", value=slice(None) if kind == "full" else _slice(rng, n, 0.25), sym=sym))
        elif kind == "arr":
            dtype = str(rng.choice(INDEX_DTYPES))
            value = _index_array(rng, n, _array_shape(rng, block), dtype)
            items.append(dict(kind="arr", value=value, sym=sym, n=n, via=_via(rng, value.ndim),
                              static=bool(rng.random() < 0.25)))
        else:
            items.append(mask[0])
    return _sprinkle(rng, items)


def _index_array(rng, n, shape, dtype):
    """Indices into an axis of ``n`` (an empty array where ``n`` is 0: it may not broadcast)."""
    if n == 0 and 0 not in shape:
        shape = (0, *shape[1:])
    low = 0 if dtype == "uint8" else -n
    return rng.integers(low, max(n, 1), shape).astype(dtype)


def _sprinkle(rng, items):
    """New axes between items; an Ellipsis for a run of full slices (maybe none), or the
    trailing full slices left out."""
    full = [it["kind"] == "slice" and it["value"] == slice(None) for it in items]
    if rng.random() < 0.35:
        start = int(rng.integers(0, len(items) + 1))
        stop = start
        while stop < len(items) and full[stop]:
            stop += 1
        items = items[:start] + [dict(kind="ell")] + items[stop:]
    elif rng.random() < 0.5:
        while items and full[len(items) - 1]:
            items, full = items[:-1], full[:-1]
    out = []
    for item in items + [None]:
        while rng.random() < 0.12:
            out.append(dict(kind="new"))
        if item is not None:
            out.append(item)
    return out


def make_case(seed):
    """The random case of ``seed``: x's dtype and value, the view taken first, the index items."""
    rng = np.random.default_rng(seed)
    ndim = int(rng.integers(1, 5))
    shape = tuple(0 if rng.random() < 0.03 else int(rng.integers(1, 6)) for _ in range(ndim))
    dtype = DTYPES[int(rng.integers(len(DTYPES)))]
    pre = _pre_op(rng, shape)
    x = _values(rng, dtype, shape)
    return dict(seed=seed, dtype=dtype, x=x, pre=pre, items=_items(rng, _apply_pre(x, pre, np.transpose).shape),
                static=bool(rng.random() < 0.25), rng=rng)


# ---------------------------------------------------------------- building and checking
def build_index(items):
    """The symbolic index, the NumPy index, and its inputs as (variable, value, item): item None
    for a slice bound."""
    sym, ref, inputs = [], [], []

    def scalar(value, dtype="int64"):
        var = T.tensor(dtype, shape=(), name=f"s{len(inputs)}")
        inputs.append((var, value, None))
        return var
    for it in items:
        kind, value = it["kind"], it.get("value")
        if kind in ("new", "ell"):
            sym.append(None if kind == "new" else Ellipsis)
            ref.append(sym[-1])
        elif kind == "slice":
            parts = (value.start, value.stop, value.step)
            sym.append(slice(*(scalar(p) if it["sym"] and p is not None else p for p in parts)))
            ref.append(value)
        elif kind == "int":
            sym.append(scalar(value, it["dtype"]) if it["sym"] else value)
            if it["sym"]:
                inputs[-1] = (*inputs[-1][:2], it)
            ref.append(value)
        else:
            given = value[::-1] if it["via"] == "rev" else value.T if it["via"] == "T" else value
            static = given.shape if it["static"] else (None,) * value.ndim
            var = T.tensor(value.dtype, shape=static, name=f"a{len(inputs)}")
            if it["sym"]:
                inputs.append((var, given.copy(), it))
                var = var[::-1] if it["via"] == "rev" else var.T if it["via"] == "T" else var
            sym.append(var if it["sym"] else value)
            ref.append(value)
    return tuple(sym), tuple(ref), inputs


def _value_for(rng, dtype, region):
    """A value that broadcasts into ``region``: a suffix of it, some axes of static size 1."""
    shape = tuple(1 if rng.random() < 0.3 else d for d in region[int(rng.integers(0, len(region) + 1)):])
    return T.tensor(dtype, shape=tuple(1 if d == 1 else None for d in shape), name="v"), _values(rng, dtype, shape)


def _graph(case, sym_idx, v):
    """The outputs: x[idx], set and inc at it, and for floats the gradients of sum(abs(.)**2)
    of each (x, and v), named by what they are."""
    x = T.tensor(case["dtype"], shape=case["x"].shape if case["static"] else (None,) * case["x"].ndim, name="x")
    y = _apply_pre(x, case["pre"], T.transpose)[sym_idx]
    outputs = dict(get=y, set=T.set_subtensor(y, v), inc=T.inc_subtensor(y, v))
    if case["dtype"] in ("float32", "float64", "complex128"):
        outputs["g_get"] = T.grad(T.sum(abs(y) ** 2), x)
        for name in ("set", "inc"):
            outputs[f"gx_{name}"], outputs[f"gv_{name}"] = T.grad(T.sum(abs(outputs[name]) ** 2), [x, v])
    return x, outputs


def _unbroadcast(g, shape):
    """The gradient ``g`` of a region summed back to the shape of the value broadcast into it."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(a for a, d in enumerate(shape) if d == 1 and g.shape[a] != 1), keepdims=True)


def expected(case, idx, v):
    """What NumPy gives for each output (for a set at repeated positions see ``_check``)."""
    x, pre = case["x"], case["pre"]
    xp = _apply_pre(x, pre, np.transpose)
    out = dict(get=xp[idx], set=xp.copy(), inc=xp.copy())
    out["set"][idx] = v
    np.add.at(out["inc"], idx, np.broadcast_to(v, out["get"].shape))  # NumPy 2.4 misreads a lower-rank v
    if case["dtype"] not in ("float32", "float64", "complex128"):
        return out
    grads = {name: np.zeros_like(x) for name in ("g_get", "gx_set", "gx_inc")}
    np.add.at(_apply_pre(grads["g_get"], pre, np.transpose), idx, 2 * out["get"])
    for name in ("set", "inc"):
        view = _apply_pre(grads[f"gx_{name}"], pre, np.transpose)
        view[...] = 2 * out[name]
        grads[f"gv_{name}"] = _unbroadcast(2 * out[name][idx], v.shape)
    _apply_pre(grads["gx_set"], pre, np.transpose)[idx] = 0
    return {**out, **grads}


def _repeated(xp, idx):
    """The flat position in ``xp`` of each element of ``xp[idx]``, and whether one repeats."""
    positions = np.arange(xp.size).reshape(xp.shape)[idx]
    return positions, np.unique(positions).size < positions.size


def _check_set(got, xp, idx, v, what):
    """Every element written holds one of the values written there, the others x's."""
    positions, _ = _repeated(xp, idx)
    values = np.broadcast_to(v, positions.shape).ravel()
    candidates = {}
    for p, value in zip(positions.ravel(), values):
        candidates.setdefault(int(p), []).append(value)
    flat, untouched = got.ravel(), np.ones(xp.size, bool)
    for p, allowed in candidates.items():
        untouched[p] = False
        assert any(flat[p] == a for a in allowed), f"{what}: element {p} is {flat[p]}, not one of {allowed}"
    np.testing.assert_array_equal(flat[untouched], xp.ravel()[untouched], err_msg=what)


def _compare(got, ref, what):
    assert (got.dtype, got.shape) == (ref.dtype, ref.shape), f"{what}: {got.dtype}{got.shape} != {ref.dtype}{ref.shape}"
    if got.dtype.kind in "fc":
        tol = 1e-4 if got.dtype == np.float32 else 1e-10
        np.testing.assert_allclose(got, ref, rtol=tol, atol=tol, err_msg=what)
    else:
        np.testing.assert_array_equal(got, ref, err_msg=what)


def _check(results, refs, xp, idx, v, device):
    """Each result against NumPy's, but where a set writes a position more than once (NumPy
    does not say in which order either): the set against the candidates, and the value's
    gradient by its sum, each position's last write counted once."""
    positions, repeated = _repeated(xp, idx)
    for name, got in results.items():
        what = f"{name} on {device}"
        if name == "set" and repeated:
            assert (got.dtype, got.shape) == (refs[name].dtype, refs[name].shape), what
            _check_set(got, xp, idx, v, what)
        elif name == "gv_set" and repeated:
            assert (got.dtype, got.shape) == (refs[name].dtype, refs[name].shape), what
            stayed = 2 * results["set"].ravel()[np.unique(positions)].sum()
            np.testing.assert_allclose(got.sum(), stayed, rtol=1e-4, atol=1e-4, err_msg=what)
        else:
            _compare(got, refs[name], what)


def _out_of_range(rng, items):
    """The items with one symbolic index's value moved outside its axis, or None when there is
    no non-empty symbolic integer index."""
    chosen = [it for it in items if it.get("sym") and it["kind"] in ("int", "arr") and np.size(it["value"])]
    if not chosen:
        return None
    item = chosen[int(rng.integers(len(chosen)))]
    value, n = item["value"], item["n"]
    below = rng.random() < 0.5 and np.dtype(getattr(value, "dtype", int)).kind == "i"
    bad = -n - 1 - int(rng.integers(0, 3)) if below else n + int(rng.integers(0, 3))
    if isinstance(value, np.ndarray):
        value = value.copy()
        value.flat[int(rng.integers(value.size))] = bad
    else:
        value = bad
    return [dict(it, value=value) if it is item else it for it in items]


def _raises_like_numpy(functions, args, numpy_error):
    """Each function raises a ShapeError naming the index, axis and size NumPy's IndexError names."""
    named = AXIS_ERROR.search(str(numpy_error))
    for f in functions:
        with pytest.raises(ShapeError) as info:
            f(*args)
        if named:
            assert named.group(0) in str(info.value), f"{info.value!s:.400} does not say {named.group(0)!r}"


def check_case(seed):
    """Compile x[idx], set, inc and their gradients on both devices; compare them with NumPy,
    then an out-of-range index in one input: the error NumPy names, and the functions still work."""
    case = make_case(seed)
    rng, xp = case["rng"], _apply_pre(case["x"], case["pre"], np.transpose)
    sym_idx, idx, inputs = build_index(case["items"])
    try:
        region = np.shape(xp[idx])
    except IndexError:
        return _check_invalid(case, sym_idx, inputs)
    v, v_value = _value_for(rng, case["dtype"], region)
    x, outputs = _graph(case, sym_idx, v)
    variables = [x, v, *(var for var, _, _ in inputs)]
    values = [case["x"], v_value, *(val for _, val, _ in inputs)]
    refs = expected(case, idx, v_value)
    functions = [gg.function(variables, list(outputs.values()), device=d) for d in (DEVICE, "cpu")]
    for f, device in zip(functions, (DEVICE, "cpu")):
        _check(dict(zip(outputs, f(*values))), refs, xp, idx, v_value, device)
    bad = _out_of_range(rng, case["items"])
    if bad is None:
        return
    _, bad_idx, bad_inputs = build_index(bad)
    bad_values = values[:2] + [val for _, val, _ in bad_inputs]
    try:
        xp[bad_idx]
    except IndexError as exc:
        _raises_like_numpy(functions, bad_values, exc)
    else:  # NumPy does not look at an index that broadcasts to nothing
        for f, device in zip(functions, (DEVICE, "cpu")):
            _check(dict(zip(outputs, f(*bad_values))), expected(case, bad_idx, v_value), xp, bad_idx, v_value, device)
    for f, device in zip(functions, (DEVICE, "cpu")):
        _check(dict(zip(outputs, f(*values))), refs, xp, idx, v_value, device)


def _check_invalid(case, sym_idx, inputs):
    """An index NumPy refuses (arrays that do not broadcast): a ShapeError on both devices,
    when building or when called."""
    v = T.tensor(case["dtype"], shape=(), name="v")
    try:
        x, outputs = _graph(case, sym_idx, v)
    except ShapeError:
        return
    variables = [x, v, *(var for var, _, _ in inputs)]
    for device in (DEVICE, "cpu"):
        f = gg.function(variables, [outputs["get"], outputs["set"], outputs["inc"]], device=device)
        with pytest.raises(ShapeError):
            f(case["x"], _values(case["rng"], case["dtype"], ()), *(val for _, val, _ in inputs))


# ---------------------------------------------------------------- the tests
@pytest.mark.parametrize("seed", range(150))
def test_random_indexing_matches_the_cpu_and_numpy(seed):
    check_case(seed)


def _both(inputs, outputs):
    return [gg.function(inputs, outputs, device=d) for d in (DEVICE, "cpu")]


def test_an_integer_is_checked_even_where_the_index_arrays_broadcast_to_nothing():
    """Regression: ``x[i, k]`` with ``i`` empty skipped the check of ``k`` on the device (no
    launch), where NumPy raises."""
    x, i, k = T.dmatrix("x"), T.lvector("i"), T.lscalar("k")
    sim, cpu = _both([x, i, k], [x[i, k], T.set_subtensor(x[i, k], 1.0), T.inc_subtensor(x[k, None, i], 1.0)])
    value, empty = np.ones((3, 4)), np.zeros(0, np.int64)
    for f in (sim, cpu):
        with pytest.raises(ShapeError, match="index 7 is out of bounds for axis 1 with size 4"):
            f(value, empty, 7)
        with pytest.raises(ShapeError, match="index -4 is out of bounds for axis 0 with size 3"):
            f(value, empty, -4)
        got = f(value, empty, 2)
        assert got[0].shape == (0,) and got[2].shape == (3, 4)


def test_an_ellipsis_covering_no_axis_separates_index_arrays():
    """Regression: NumPy puts the axes of the index arrays in front for ``x[:, i, ..., j]``
    even when the Ellipsis covers no axis (and a trailing ``:`` then is not dropped); both
    devices put them where ``i`` stands."""
    x, i, j, m, k = T.dtensor3("x"), T.lvector("i"), T.lvector("j"), T.vector("m", dtype="bool"), T.lscalar("k")
    v, w = T.dvector("v"), T.dvector("w")
    gets = [x[:, i, ..., j], x[k, ..., i, :], x[None, 1, ..., i, m], x[1, ..., i]]
    outputs = gets + [T.set_subtensor(gets[0], v), T.inc_subtensor(gets[1], w), gets[2].shape,
                      T.grad(T.sum(gets[2] ** 2), x)]
    value, iv, jv, mv, kv = np.arange(24.).reshape(2, 3, 4), np.array([0, -2, 2]), np.array([1, 3, 3]), \
        np.array([True, False, True, True]), 1
    vv, wv = np.array([-1., -2.]), np.arange(4.)
    expected = [value[:, iv, ..., jv], value[kv, ..., iv, :], value[None, 1, ..., iv, mv], value[1, ..., iv]]
    assert [e.shape for e in expected] == [(3, 2), (3, 4), (3, 1), (3, 3)]
    s, a, g = value.copy(), value.copy(), np.zeros_like(value)
    s[:, iv, ..., jv] = vv
    a[kv, ..., iv, :] += wv
    g[None, 1, ..., iv, mv] = 2 * expected[2]
    for f in _both([x, i, j, m, k, v, w], outputs):
        got = f(value, iv, jv, mv, kv, vv, wv)
        for e, r in zip(got, expected + [s, a, np.array([3, 1]), g]):
            np.testing.assert_array_equal(e, r)


def test_inc_at_one_multidimensional_index_array_by_a_lower_rank_value():
    """Regression: the CPU's ``np.add.at(x, i, v)`` for a matrix ``i`` and a vector ``v`` adds
    garbage in NumPy 2.4; the value is given the region's rank first."""
    x, i, v = T.dvector("x"), T.lmatrix("i"), T.dvector("v")
    outputs = [T.inc_subtensor(x[1::2][i], v), T.inc_subtensor(x[i], v)]
    value, iv, vv = np.array([1., 2., 3.]), np.array([[0, 0, -1], [-1, -1, -1]]), np.array([1., 10., 100.])
    for f in _both([x, i, v], outputs):
        got = f(value, iv, vv)
        np.testing.assert_array_equal(got[0], [224.])
        np.testing.assert_array_equal(got[1], [12., 2., 214.])


def test_an_index_array_that_broadcasts_to_nothing_is_not_checked():
    """Regression: with an all-False mask beside it, NumPy reads none of ``i``, so a bad ``i``
    is no error; the CPU's set/inc checked it while finding the region."""
    x, m, i, v = T.dtensor3("x"), T.vector("m", dtype="bool"), T.lvector("i"), T.dmatrix("v")
    outputs = [x[:, m, i], T.set_subtensor(x[:, m, i], v), T.inc_subtensor(x[:, m, i], v)]
    value, none = np.arange(6.).reshape(1, 2, 3), np.zeros(2, bool)
    for f in _both([x, m, i, v], outputs):
        got = f(value, none, np.array([7]), np.zeros((1, 0)))
        assert got[0].shape == (1, 0)
        np.testing.assert_array_equal(got[1], value)
        np.testing.assert_array_equal(got[2], value)
