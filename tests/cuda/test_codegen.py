"""Codegen without a device: the generated source of a small fused graph against a
checked-in golden file, and every generated kernel (all table rows, every dtype)
compiled by NVRTC for sm_80 and sm_90 with the options the CuPy backend passes."""
import functools
from pathlib import Path

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.backends import cuda
from gpugrad.codegen import elementwise as codegen
from gpugrad.ops import scalar

from cases import DTYPES, composite_sources, every_row

GOLDEN = Path(__file__).with_name("golden")


def test_golden_switch_float32():
    """Broadcast row, weak literal converted to float32, a comparison, a helper: one kernel."""
    x, y = T.fmatrix("x"), T.tensor("float32", shape=(1, None), name="y")
    (source,) = composite_sources([x, y], [T.switch(x > 0, x * 0.5, T.exp(y))])
    assert source == (GOLDEN / "switch_f32.cu").read_text()


def test_golden_host_scalar_parameter_float32():
    """A scalar computed on the host (the batch size as float32) is a by-value parameter
    ``const f32 a1``: no pointer, no offset, no geometry row, no upload."""
    x = T.fmatrix("x")
    n = T.cast(x.shape[0], "float32")
    (source,) = composite_sources([x], [T.exp(x) / n - n])
    kernel = source[source.index('extern "C"'):]  # the prelude and gg_unravel: as in switch_f32.cu
    assert source == codegen.PRELUDE + codegen.HELPERS["gg_unravel"] + "\n" + kernel
    assert kernel == (GOLDEN / "host_scalar_f32.cu").read_text()


def test_a_kernel_of_host_scalars_only_indexes_nothing():
    x = T.dmatrix("x")
    (source,) = composite_sources([x], [T.exp(T.cast(x.shape[1], "float64").dimshuffle("x", "x"))])
    assert "void composite(const f64 a0, f64* __restrict__ out0," in source
    assert "i64 rest" not in source and "in0" not in source


def test_cpu_compilation_fuses_only_with_cpu_codegen():
    """Without the CPU's generated kernels a CPU graph has no Composite; with them one (its
    CUDA source is the same as a device's: one table)."""
    x = T.dmatrix("x")
    with gg.config.change_flags(cpu_codegen=False):
        assert composite_sources([x], [T.exp(x) * 2.0], device="cpu") == []
    with gg.config.change_flags(cpu_codegen=True):
        assert composite_sources([x], [T.exp(x) * 2.0], device="cpu") == composite_sources([x], [T.exp(x) * 2.0])


@pytest.mark.parametrize("value,dtype,text", [
    (True, "bool", "true"), (-3, "int8", "-3LL"), (-2**63, "int64", "(-9223372036854775807LL - 1)"),
    (7, "uint64", "7ULL"), (0.1, "float64", "0x1.999999999999ap-4"), (0.5, "float32", "0x1.0000000000000p-1"),
    (1 - 2j, "complex64", "c64(0x1.0000000000000p+0, -0x1.0000000000000p+1)")])
def test_literals_are_exact(value, dtype, text):
    assert codegen.literal(np.asarray(value, dtype), dtype) == text


def test_nonfinite_constants_are_not_literals():
    from gpugrad.types.variable import constant
    assert codegen.is_literal(constant(2.5)) and not codegen.is_literal(constant(np.inf))
    assert not codegen.is_literal(constant(np.ones(3)))


def _host_scalar_sources(dtype):
    """Kernels taking a host scalar of ``dtype`` by value: the Alloc fill, and a fused
    graph reading one next to an array (a host value: a size cast to ``dtype``)."""
    x = T.tensor(dtype, shape=(None, None), name="x")
    s = scalar.cast(x.shape[0], dtype)
    return [codegen.copy_source(dtype, by_value=True), *composite_sources([x], [scalar.add(x, s)])]


@functools.cache
def _one_program():
    """The every-row kernel of each dtype and the kernels with by-value parameters in one
    translation unit (NVRTC spends most of its time parsing complex.cuh, once per
    program): the shared prelude and helpers, then each kernel renamed
    ``composite_<dtype>_<k>``."""
    kernels = []
    for dtype in DTYPES:
        inputs, _, outputs = every_row(dtype)
        for k, source in enumerate(composite_sources(inputs, outputs) + _host_scalar_sources(dtype)):
            assert source.startswith(codegen.PRELUDE)
            kernel = source[source.index('extern "C"'):]
            name = f"{codegen.KERNEL_NAME}_{dtype}_{k}"
            kernels.append(kernel.replace(f"void {codegen.KERNEL_NAME}(", f"void {name}(", 1))
    return codegen.PRELUDE + "".join(h + "\n" for h in codegen.HELPERS.values()) + "".join(kernels)


@pytest.mark.parametrize("arch", [80, 90])
def test_every_row_kernel_of_every_dtype_compiles_with_nvrtc(nvrtc_ptx, arch):
    ptx = nvrtc_ptx(_one_program(), "composites.cu", cuda.nvrtc_options((), arch))
    assert f".target sm_{arch}" in ptx
    for dtype in DTYPES:
        assert f".entry {codegen.KERNEL_NAME}_{dtype}_0(" in ptx
        assert f".entry {codegen.KERNEL_NAME}_{dtype}_2(" in ptx  # a host scalar by value


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64"])
def test_nvrtc_never_contracts_multiply_add_into_fma(nvrtc_ptx, dtype):
    """``--fmad=false`` is among the options every kernel compiles with, so ``x * y + z`` (and a
    complex product) rounds twice on the GPU, as NumPy's and the simulator's (-ffp-contract=off)."""
    x, y, z = (T.tensor(dtype, shape=(None,), name=n) for n in "xyz")
    (source,) = composite_sources([x, y, z], [x * y + z])
    options = cuda.nvrtc_options((), 90)
    assert "--fmad=false" in options
    assert "fma.rn" not in nvrtc_ptx(source, "fmad.cu", options)
    contracting = [o for o in options if o != "--fmad=false"]
    assert "fma.rn" in nvrtc_ptx(source, "fmad.cu", contracting)  # the default would fuse


def test_float_to_integer_conversions_saturate_in_the_source():
    x = T.dvector("x")
    source = "".join(composite_sources([x], [T.cast(x, "int32"), T.cast(x, "uint8")]))
    assert "gg_float_to_int<i32>(a0, -2147483648LL, 2147483647LL)" in source
    assert "gg_float_to_int<u8>(a0, 0ULL, 255ULL)" in source


@pytest.mark.parametrize("shape,strides,merged", [
    ((2, 3, 4, 5), [(60, 20, 5, 1), (60, 20, 5, 1)], ((120,), [(1,), (1,)])),      # contiguous: 1-D
    ((2, 3, 4, 5), [(60, 20, 5, 1), (0, 0, 0, 1)], ((24, 5), [(5, 1), (0, 1)])),    # plus a bias row
    ((2, 3, 4), [(0, 0, 0)], ((24,), [(0,)])),                                       # a broadcast scalar
    ((3, 4), [(8, 2)], ((12,), [(2,)])),                                             # x[:, ::2] of a (3, 8)
    ((4, 6), [(1, 4)], ((4, 6), [(1, 4)])),                                          # a transpose stays 2-D
    ((1, 7, 1), [(5, 1, 9)], ((7,), [(1,)])),                                        # size-1 axes drop
    ((), [()], ((1,), [(0,)])),                                                      # 0-d: one element
])
def test_merge_axes(shape, strides, merged):
    assert codegen.merge_axes(shape, strides) == merged


def test_geometry_layout_and_32_bit_indices_where_they_fit():
    np.testing.assert_array_equal(codegen.geometry((2, 3, 4, 5), [(60, 20, 5, 1), (0, 0, 0, 1)]),
                                  [2, 1, 24, 5, 5, 1, 0, 1])
    assert codegen.geometry((2**31 - 1,), [(1,)])[1] == 1
    assert codegen.geometry((2**31,), [(1,)])[1] == 0                # the element index needs 64 bits
    assert codegen.geometry((2, 3), [(2**30, 1)])[1] == 1
    assert codegen.geometry((3, 3), [(2**30, 1)])[1] == 0            # an offset does
    assert codegen.geometry((3, 3), [(-2**30, 1)])[1] == 0           # negative strides count by size


def test_index_math_divides_once_per_merged_axis_but_the_first():
    x = T.tensor("float32", shape=(None,) * 4, name="x")
    (source,) = composite_sources([x], [T.exp(x) + x])
    index_math = codegen.HELPERS["gg_unravel"]
    assert index_math.count("/") == 1 and "%" not in index_math and index_math in source
    assert "if (narrow) gg_unravel<int>(i, geometry, o); else gg_unravel<i64>(i, geometry, o);" in source


def test_a_contiguous_4d_kernel_launches_1d_with_32_bit_indices(monkeypatch, rng):
    """On the simulator: the geometry a call uploads for C-contiguous 4-D operands is one axis,
    32-bit (no division per element), and a bias broadcast along the last axis two."""
    import gpugrad as gg
    from gpugrad.runtime import device_arrays
    be, uploads = device_arrays.backend_for("cuda-sim"), []
    to_device = be.to_device
    monkeypatch.setattr(be, "to_device", lambda a: uploads.append(np.array(a)) or to_device(a))
    x, y, b = T.tensor("float64", shape=(None,) * 4, name="x"), T.tensor("float64", shape=(None,) * 4), T.dvector("b")
    f = gg.function([x, y, b], [T.tanh(x) * 2.0, y + b], device="cuda-sim")  # two kernels: they share no input
    value, other, bias = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 3, 4, 5)), rng.standard_normal(5)
    got = f(value, other, bias)
    np.testing.assert_allclose(got[0], np.tanh(value) * 2.0, rtol=1e-12)
    np.testing.assert_allclose(got[1], other + bias, rtol=1e-12)
    geometries = [list(u) for u in uploads if u.dtype == np.int64 and u.ndim == 1]
    assert [1, 1, 120, 1] in geometries and [2, 1, 24, 5, 5, 1, 0, 1] in geometries
