"""The kernels of kernels/ under the simulator, against NumPy, for every dtype; the loader's checks."""
import numpy as np
import pytest

from gpugrad.backends import base
from gpugrad.backends.load import KernelLibrary, KernelSource

from backend_kernel_cases import INSTANTIATIONS, MUL_ADD
from test_kernels_ops import NVRTC_CASES


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


@pytest.mark.parametrize("dtype", [t["T"] for t, _ in INSTANTIATIONS["sum_rows"]])
@pytest.mark.parametrize("rows,cols,grid,block", [(37, 300, 8, 128), (5, 1, 2, 64), (3, 2000, 4, 256)])
def test_sum_rows(sim, library, rng, dtype, rows, cols, grid, block):
    x = _random(rng, (rows, cols), dtype)
    y = sim.allocate(rows, dtype)
    library.launch("sum_rows", grid, block, (sim.to_device(x), y, rows, cols),
                   shared_mem=block // 32 * x.itemsize)
    np.testing.assert_allclose(y, x.sum(axis=1), rtol=_tol(dtype), atol=_tol(dtype) * cols)


@pytest.mark.parametrize("dtype", [t["T"] for t, _ in INSTANTIATIONS["scatter_add"]])
def test_scatter_add(sim, library, rng, dtype):
    src, idx = _random(rng, (40, 6), dtype), rng.integers(-5, 5, 40)
    dst = sim.to_device(_random(rng, (5, 6), dtype))
    expected = dst.copy()
    np.add.at(expected, idx, src)
    library.launch("scatter_add", 3, 32, (sim.to_device(src), sim.to_device(idx), dst, 40, 6, 5))
    np.testing.assert_allclose(dst, expected, rtol=_tol(dtype), atol=_tol(dtype))


def test_scatter_add_bad_index_is_caught(sim, library):
    dst = sim.allocate((5, 6), np.float64)
    with pytest.raises(base.OutOfBoundsError, match="'dst'"):
        library.launch("scatter_add", 1, 32, (sim.allocate((1, 6), np.float64), sim.to_device(np.array([5])),
                                              dst, 1, 6, 5))


def _geometry(shape, *arrays):
    strides = []
    for a in arrays:
        s = [0] * (len(shape) - a.ndim) + [0 if n == 1 else st // a.itemsize for n, st in zip(a.shape, a.strides)]
        strides += s
    return np.array([*shape, *strides], dtype=np.int64)


@pytest.mark.parametrize("types,defines", INSTANTIATIONS["elementwise2"])
def test_elementwise2_broadcast_strided(sim, library, rng, types, defines):
    a = _random(rng, (4, 1, 6), types["A"])
    b = sim.to_device(_random(rng, (3, 12), types["B"]))[:, ::2]  # a strided device view, broadcast against a
    shape = np.broadcast_shapes(a.shape, b.shape)
    out = sim.allocate(shape, types["C"])
    library.launch("elementwise2", 2, 32, (sim.to_device(a), b, out, sim.to_device(_geometry(shape, a, b)),
                                          len(shape), out.size), defines=defines)
    op = {"((a) + (b))": np.add, "((a) * (b) + C(1))": lambda x, y: x * y + 1,
          "((a) && !(b))": lambda x, y: x & ~y}[defines[0][1]]
    np.testing.assert_allclose(out, op(a, b).astype(types["C"]), rtol=_tol(types["C"]))


def test_elementwise2_strided_view_of_device_array(sim, library, rng):
    """A transposed device view passes its own strides; 64-bit indices throughout."""
    a = sim.to_device(rng.standard_normal((6, 5)))
    at = a.T
    out = sim.allocate(at.shape, np.float64)
    library.launch("elementwise2", 1, 64, (at, at, out, sim.to_device(_geometry(at.shape, at, at)), 2, out.size),
                   defines=MUL_ADD)
    np.testing.assert_allclose(out, at * at + 1)


def test_loader_binds_and_checks_types(sim, library):
    x, y = sim.allocate((2, 3), np.float32), sim.allocate(2, np.float64)
    with pytest.raises(base.KernelArgumentError, match="T is float32 from 'x' but float64 from 'y'"):
        library.launch("sum_rows", 1, 32, (x, y, 2, 3))
    with pytest.raises(base.KernelArgumentError, match="'rows' of kernel 'sum_rows' is a int64 scalar; got 2.5"):
        library.launch("sum_rows", 1, 32, (x, sim.allocate(2, np.float32), 2.5, 3))
    with pytest.raises(base.KernelArgumentError, match="'idx' of kernel 'scatter_add' must be a int64 array"):
        library.launch("scatter_add", 1, 32, (x, sim.allocate(2, np.int32), x, 1, 3, 2))
    with pytest.raises(base.KernelArgumentError, match="takes 4 arguments"):
        library.launch("sum_rows", 1, 32, (x, y))


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
