"""Live kernels launched directly under the simulator, against NumPy: explicit grids smaller
than the work (every grid-stride loop strides), the scatter's error flag, the simulator's
guards, generated elementwise kernels reading strided and broadcast device views; the
loader's checks."""
import numpy as np
import pytest

import gpugrad.tensor as T
from gpugrad.backends import base
from gpugrad.backends.load import KernelLibrary, KernelSource
from gpugrad.codegen import elementwise as codegen
from gpugrad.graph.traversal import toposort

from backend_kernel_cases import FLOATS, INSTANTIATIONS
from test_kernels_ops import NVRTC_CASES

EXPRESSIONS = {"add": lambda a, b: a + b, "mul_add": lambda a, b: a * b + 1, "and_not": lambda a, b: a & ~b}
BINARY = [(dt, dt, "add") for dt in (*FLOATS, np.int32, np.int64)] + [
    (np.float64, np.float32, "mul_add"), (np.complex64, np.float32, "mul_add"), (np.bool_, np.bool_, "and_not")]


def _random(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if dtype.kind in "iub":
        return rng.integers(-50, 50, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _tol(dtype):
    return 1e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-11


def test_every_kernel_file_has_cases(library):
    assert sorted(library.sources) == sorted({*INSTANTIATIONS, *(name for name, _, _ in NVRTC_CASES)})


@pytest.mark.parametrize("dtype", [*FLOATS, np.int32, np.int64])
@pytest.mark.parametrize("rows,cols,chunk,grid,block", [(37, 300, 300, 8, 128), (5, 1, 1, 2, 64),
                                                        (3, 2000, 2000, 4, 256), (3, 2000, 300, 4, 64)])
def test_reduce_rows_sum(sim, library, rng, dtype, rows, cols, chunk, grid, block):
    """Fewer blocks than rows (or pieces of ``chunk`` columns), threads striding over each."""
    x = _random(rng, (rows, cols), dtype)
    acc = np.sum(x[:1, :1]).dtype  # NumPy's accumulator: int32 sums in int64
    pieces = -(-cols // chunk)
    y = sim.allocate(rows * pieces, acc)
    library.launch("reduce_rows", grid, block, (sim.to_device(x), y, rows, cols, chunk),
                   shared_mem=block // 32 * acc.itemsize, defines=(("GG_REDUCE", "gg_sum"),))
    padded = np.zeros((rows, pieces * chunk), x.dtype)
    padded[:, :cols] = x
    expected = padded.reshape(rows, pieces, chunk).sum(axis=2, dtype=acc).ravel()
    np.testing.assert_allclose(y, expected, rtol=_tol(dtype), atol=_tol(dtype) * chunk)


@pytest.mark.parametrize("dtype", FLOATS)
def test_scatter_add_axis(sim, library, rng, dtype):
    """Repeated and negative indices accumulate; an index outside [-n, n) is skipped and flagged."""
    src, idx = _random(rng, (2, 40, 6), dtype), rng.integers(-5, 5, 40)
    idx[17] = 7
    dst = sim.to_device(_random(rng, (2, 5, 6), dtype))
    error = sim.to_device(np.zeros(4, np.int64))  # an error row: flag, index, then where (gpugrad.cuh)
    expected = dst.copy()
    keep = np.arange(40) != 17
    np.add.at(expected, (slice(None), idx[keep]), src[:, keep])
    library.launch("scatter_add_axis", 3, 32, (sim.to_device(src), sim.to_device(idx), dst, error, 2, 5, 40, 6))
    np.testing.assert_allclose(dst, expected, rtol=_tol(dtype), atol=_tol(dtype))
    np.testing.assert_array_equal(error[:2], [1, 7])


def test_out_of_bounds_write_is_caught(sim, library):
    """A geometry claiming more rows than dst has: the index passes the kernel's range check
    and the write lands in the simulator's guard."""
    dst, error = sim.allocate((5, 6), np.float64), sim.to_device(np.zeros(4, np.int64))
    with pytest.raises(base.OutOfBoundsError, match="'dst'"):
        library.launch("scatter_add_axis", 1, 32, (sim.allocate((1, 6), np.float64), sim.to_device(np.array([5])),
                                                   dst, error, 1, 6, 1, 6))


def _geometry(shape, *arrays):
    """What a generated kernel reads (``codegen.geometry``) for each array's strides in
    elements, 0 on the axes it is broadcast along (and on the leading axes it lacks)."""
    return codegen.geometry(shape, [[0] * (len(shape) - a.ndim) + [0 if n == 1 else st // a.itemsize
                                                                    for n, st in zip(a.shape, a.strides)]
                                    for a in arrays])


def _generated(sim, source):
    return sim.load_module(source).get_function(codegen.KERNEL_NAME)


@pytest.mark.parametrize("dtype", [*FLOATS, np.int32, np.int64, np.bool_])
def test_generated_copy_of_a_transposed_broadcast_device_view(sim, rng, dtype):
    """A transposed, column-skipping device view passes its own strides, and 0 on the axis it is
    broadcast along; 64-bit indices and geometry throughout."""
    view = sim.to_device(_random(rng, (3, 12), dtype))[:, ::2].T
    shape = (4, *view.shape)
    out = sim.allocate(shape, dtype)
    sim.launch(_generated(sim, codegen.copy_source(dtype)), 2, 32,
               (view, out, sim.to_device(_geometry(shape, view)), out.size))
    np.testing.assert_array_equal(out, np.broadcast_to(view, shape))


@pytest.mark.parametrize("a_dtype,b_dtype,expression", BINARY)
def test_generated_binary_kernel_broadcasts_a_strided_view(sim, rng, a_dtype, b_dtype, expression):
    """Operands of the same or mixed dtypes broadcast against each other, one a strided device view."""
    fn = EXPRESSIONS[expression]
    x = T.tensor(np.dtype(a_dtype).name, shape=(None, 1, None), name="x")
    y = T.tensor(np.dtype(b_dtype).name, shape=(1, None, None), name="y")
    result = fn(x, y)
    source = codegen.render([x, y], [result], toposort([result], blockers=[x, y]))
    a = _random(rng, (4, 1, 6), a_dtype)
    b = sim.to_device(_random(rng, (3, 12), b_dtype))[:, ::2]
    expected = fn(a, b)
    assert np.dtype(result.dtype) == expected.dtype
    out = sim.allocate(expected.shape, expected.dtype)
    sim.launch(_generated(sim, source), 2, 32, (sim.to_device(a), b, out,
                                                sim.to_device(_geometry(out.shape, a, b)), out.size))
    np.testing.assert_allclose(out, expected, rtol=_tol(expected.dtype))


def test_loader_binds_and_checks_types(sim, library):
    x, y, idx = sim.allocate((2, 3), np.float32), sim.allocate(2, np.float64), sim.allocate(2, np.int64)
    error = sim.allocate(4, np.int64)
    with pytest.raises(base.KernelArgumentError, match="T is float32 from 'x' but float64 from 'y'"):
        library.launch("gather", 1, 32, (x, idx, y, error, 1, 2, 2, 3))
    with pytest.raises(base.KernelArgumentError, match="'rows' of kernel 'reduce_rows' is a int64 scalar; got 2.5"):
        library.launch("reduce_rows", 1, 32, (x, y, 2.5, 3, 3))
    with pytest.raises(base.KernelArgumentError, match="'idx' of kernel 'gather' must be a int64 array"):
        library.launch("gather", 1, 32, (x, sim.allocate(2, np.int32), x, error, 1, 2, 2, 3))
    with pytest.raises(base.KernelArgumentError, match="takes 5 arguments"):
        library.launch("reduce_rows", 1, 32, (x, y))


def test_signature_line_must_match_the_code(sim, tmp_path):
    (tmp_path / "gpugrad.cuh").write_text('#include <cupy/complex.cuh>\ntypedef long long i64;\n')
    (tmp_path / "fill.cu").write_text('// gpugrad-kernel: fill(out T* y, i32 n)\n'
                                      'extern "C" __global__ void fill(T* y, long long n) { y[threadIdx.x] = T(n); }\n')
    library = KernelLibrary(sim, tmp_path)
    with pytest.raises(base.KernelCompileError, match="signature line does not match"):
        library.launch("fill", 1, 4, (sim.allocate(4, np.float32), 4))


@pytest.mark.parametrize("line", ["// gpugrad-kernel: f(T* x)", "// gpugrad-kernel: f(in T x)", "// f(in T* x)"])
def test_malformed_signature_lines(tmp_path, line):
    path = tmp_path / "f.cu"
    path.write_text(line + "\n")
    with pytest.raises(base.KernelCompileError, match="f.cu"):
        KernelSource.parse(path)
