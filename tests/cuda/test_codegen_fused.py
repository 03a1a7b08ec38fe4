"""The generated row kernels (codegen/reduction.py) and grouped kernels (codegen/grouped.py)
without a device: every reduction kind of every dtype, a multi-pass program and a group of
parts of several dtypes compiled by NVRTC for sm_80 and sm_90 with the options the CuPy
backend passes; how a program is planned into passes."""
import functools

import pytest

import gpugrad.tensor as T
from gpugrad.backends import cuda
from gpugrad.backends.load import KERNELS_DIR
from gpugrad.codegen import grouped, reduction as codegen
from gpugrad.graph.fgraph import FunctionGraph
from gpugrad.ops.elemwise import Composite
from gpugrad.ops.fused import ElementwiseGroup, FusedReduction
from gpugrad.rewrites.pipeline import optimize

from cases import DTYPES

KINDS = ("sum", "prod", "max", "min", "all", "any")


def _fused(inputs, outputs, op_type=FusedReduction):
    """The ``op_type`` ops the pipeline makes of ``outputs`` for the simulator."""
    fgraph = FunctionGraph(list(inputs), list(outputs))
    optimize(fgraph, "fast_run", "cuda-sim")
    return [node.op for node in fgraph.toposort() if isinstance(node.op, op_type)]


def _every_kind(dtype):
    x = T.tensor(dtype, shape=(None, None), name="x")
    reduced = [getattr(T, kind)(x * x, axis=1, keepdims=True) for kind in KINDS]
    return _fused([x], reduced + [T.switch(r, 1, 0) for r in reduced])


def _softmax_cross_entropy():
    z, y = T.fmatrix("z"), T.fmatrix("y")
    rows = T.sum(y * (z - T.logsumexp(z, axis=1, keepdims=True)), axis=1)
    return _fused([z, y], [rows, T.grad(T.sum(rows), z)])


@functools.cache
def _one_program():
    """Every kind of every dtype and the softmax rows, one translation unit (NVRTC parses
    complex.cuh once): the shared prelude, then each kernel renamed ``fused_<k>``."""
    ops = [op for dtype in DTYPES for op in _every_kind(dtype)] + _softmax_cross_entropy()
    first = ops[0].source
    prelude = first[:first.index(codegen.GROUP_REDUCE)]
    helpers = "".join(h + "\n" for h in codegen.HELPERS.values() if h not in prelude)
    kernels = [op.source[op.source.index('extern "C"'):].replace(f"void {codegen.KERNEL_NAME}(", f"void fused_{k}(", 1)
               for k, op in enumerate(ops)]
    return prelude + helpers + codegen.GROUP_REDUCE + "".join(kernels), len(ops)


@pytest.mark.parametrize("arch", [80, 90])
def test_every_kind_of_every_dtype_compiles_with_nvrtc(nvrtc_ptx, arch):
    source, count = _one_program()
    ptx = nvrtc_ptx(source, "fused.cu", cuda.nvrtc_options((f"-I{KERNELS_DIR}",), arch))
    assert f".target sm_{arch}" in ptx and all(f".entry fused_{k}(" in ptx for k in range(count))


def test_each_dtype_is_one_program_of_six_accumulators():
    for dtype in DTYPES:
        (op,) = _every_kind(dtype)
        assert len(op.plan.reductions()) == 6 and op.plan.passes == [0] and op.plan.single_pass


def test_softmax_rows_take_three_passes():
    """max(z); the sum of exp(z - max); the loss and the gradient, which read both."""
    (op,) = _softmax_cross_entropy()
    assert op.plan.passes == [0, 1, 2] and not op.plan.single_pass
    assert [s.kind for s in op.plan.reductions()] == ["max", "sum", "sum", "sum"]
    assert "gg_group_reduce" in op.source and op.source.count("for (i64 c = first + lane;") == 3


def test_a_group_of_every_dtype_compiles_with_nvrtc(nvrtc_ptx):
    """A part of each dtype (a square plus itself) and one with a host scalar by value: one kernel."""
    parts = []
    for dtype in DTYPES:
        x = T.tensor(dtype, shape=(None, None), name="x")
        parts += _fused([x], [x + x * x], Composite)
    x = T.dmatrix("x")
    parts += _fused([x], [x * T.cast(x.shape[0], "float64")], Composite)
    source = ElementwiseGroup(parts).source
    assert source.count(f"void {grouped.KERNEL_NAME}(") == 1 and f"const f64 p{len(parts) - 1}a1" in source
    for arch in (80, 90):
        assert f".entry {grouped.KERNEL_NAME}(" in nvrtc_ptx(source, "grouped.cu", cuda.nvrtc_options((), arch))

