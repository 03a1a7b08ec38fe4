"""One-element host values (shape arithmetic, a learning rate, constants that are no literal)
read by device kernels are kernel parameters passed by value: no Transfer, no upload per
call. ``device="cuda-sim"`` against ``device="cpu"``, copies counted at the backend."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.codegen import elementwise as codegen
from gpugrad.runtime import device_arrays
from gpugrad.compile.linker import Program
from gpugrad.graph.fgraph import FunctionGraph
from gpugrad.ops.shape import Alloc
from gpugrad.ops.transfer import Transfer
from gpugrad.ops.elemwise import Composite
from gpugrad.ops.fused import FusedReduction
from gpugrad.rewrites.pipeline import optimize

from test_device_io import _mlp_step

from device_checks import DEVICE


def _uploads(log):
    return [shape for direction, shape, _ in log if direction == "to_device"]


def _kernels(f, op_type):
    return [node.op for node in f.graph.toposort() if isinstance(node.op, op_type)]


def _scalar_transfers(f):
    return [node.op.to for node in f.graph.toposort() if isinstance(node.op, Transfer) and node.outputs[0].ndim == 0]


def test_mlp_step_uploads_no_scalars(rng, copies):
    """Before: the mean's count and -1/batch (the value its gradient allocates) went over as
    two float32 0-d arrays every call; now only the batch itself does, and -1/batch is a
    kernel parameter."""
    sizes = [(20, 16), (16,), (16, 4), (4,)]
    params = [(rng.standard_normal(s) / 4).astype("float32") for s in sizes]
    sim, on_sim = _mlp_step(params, DEVICE)
    cpu, on_cpu = _mlp_step(params, "cpu")
    for i in range(3):
        batch = rng.standard_normal((8, 20)).astype("float32"), np.eye(4, dtype="float32")[rng.integers(0, 4, 8)]
        copies.clear()
        np.testing.assert_allclose(sim(*batch), cpu(*batch), rtol=1e-5)
        assert () not in _uploads(copies)
        if i:
            assert _uploads(copies) == [(8, 20), (8, 4)]
    for s, c in zip(on_sim, on_cpu):
        np.testing.assert_allclose(s.get_value(), c.get_value(), rtol=1e-5, atol=1e-6)
    assert any(op.plan.by_value for op in _kernels(sim, FusedReduction))
    assert not _kernels(sim, Alloc)  # -1/batch broadcast by the kernel that reads it, not allocated
    assert _scalar_transfers(sim) == ["host"]  # the cost


def _host_scalar(x, dtype):
    """A 0-d value of ``dtype`` computed on the host from the shape of ``x`` (5 rows)."""
    if dtype == "bool":
        return x.shape[0] > 4
    if dtype == "int64":
        return x.shape[0] * 7 - 40
    if dtype == "complex128":
        return T.cast(x.shape[0], dtype) * (0.5 + 2j)
    return T.cast(x.shape[0], dtype) / 3.0


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "complex128", "bool"])
def test_host_scalars_of_every_kind_pass_by_value(dtype, rng, copies):
    x = T.matrix("x", dtype=dtype)
    s = _host_scalar(x, dtype)
    outputs = [x & s, x | (x.shape[1] > 4), T.switch(s, x * 2.0, 1.0)] if dtype == "bool" else \
        [x * s + s, T.switch(T.real(s) > 0, T.exp(T.real(s)) * x, x)]
    sim, cpu = (gg.function([x], outputs, device=d) for d in (DEVICE, "cpu"))
    value = rng.random((5, 4)) > 0.5 if dtype == "bool" else (rng.standard_normal((5, 4)) * 3).astype(dtype)
    for call in range(2):
        copies.clear()
        for got, expected in zip(sim(value), cpu(value)):
            assert got.dtype == expected.dtype
            np.testing.assert_allclose(got, expected, rtol=1e-6 if dtype == "float32" else 1e-13)
    assert _uploads(copies) == [(5, 4)]  # the argument only, once the kernels' geometry is there
    assert not _scalar_transfers(sim)
    sources = [op.source for op in _kernels(sim, Composite) if op.by_value]
    assert sources and all(f"const {codegen.ctype(dtype)} a" in src for src in sources)


def test_a_kernel_of_host_scalars_only(rng):
    x = T.dmatrix("x")
    outputs = [T.exp(T.cast(x.shape[1], "float64").dimshuffle("x", "x")), T.alloc(x.shape[0] * 0.5, 2, 3)]
    sim, cpu = (gg.function([x], outputs, device=d) for d in (DEVICE, "cpu"))
    value = rng.standard_normal((5, 4))
    for got, expected in zip(sim(value), cpu(value)):
        np.testing.assert_allclose(got, expected, rtol=1e-13)
    assert [op.by_value for op in _kernels(sim, Composite)] == [{0}]


def test_constants_that_are_no_literal_pass_by_value(rng):
    x = T.fvector("x")
    out = T.maximum(x, np.float32(-np.inf)) + T.switch(x > 0, np.float32(np.nan), x)
    sim, cpu = (gg.function([x], out, device=d) for d in (DEVICE, "cpu"))
    value = rng.standard_normal(6).astype("float32")
    np.testing.assert_array_equal(sim(value), cpu(value))
    assert [node.op.to for node in sim.graph.toposort() if isinstance(node.op, Transfer)] == ["device", "host"]


def test_a_view_another_reader_needs_on_the_device_is_read_there(rng, copies):
    """A host scalar's view goes over once for the join; the elementwise kernel then reads it
    there too, through a device view of it, by pointer: nothing comes back per call."""
    x = T.dmatrix("x")
    row = T.cast(x.shape[0], "float64").dimshuffle("x")
    outputs = [T.concatenate([row, x[0]]), x * T.reshape(row, (1, 1))]
    sim, cpu = (gg.function([x], outputs, device=d) for d in (DEVICE, "cpu"))
    value = rng.standard_normal((3, 4))
    copies.clear()
    for got, expected in zip(sim(value), cpu(value)):
        np.testing.assert_allclose(got, expected, rtol=1e-13)
    assert [c[1] for c in copies if c[0] == "to_host"] == [(5,), (3, 4)]  # the two results
    assert not any(op.by_value for op in _kernels(sim, Composite))


def _program(inputs, outputs):
    """The graph optimized for cuda-sim with its inputs declared host arguments (as a
    function's own inputs are: ``fgraph.host_arguments``), and its linked program."""
    fgraph = FunctionGraph(inputs, outputs)
    fgraph.host_arguments = frozenset(fgraph.inputs)
    optimize(fgraph, "fast_run", DEVICE)
    return fgraph, Program(fgraph)


def _run(program, values):
    for cell, value in zip(program.input_cells, values):
        cell[0] = value
    program.run()
    return [cell[0] for cell in program.output_cells]


def test_a_learning_rate_argument_passes_by_value(rng, copies):
    w, g, lr = T.fmatrix("w"), T.fmatrix("g"), T.fscalar("lr")
    fgraph, program = _program([w, g, lr], [w - lr * g])
    (op,) = [node.op for node in fgraph.toposort() if isinstance(node.op, Composite)]
    assert op.by_value == {0} and op.inputs[0].type.shape == (1, 1)  # lr * g: the rate comes first
    assert "void composite(const f32 a0, const f32* __restrict__ in1," in op.source
    lr_in = fgraph.inputs[2]
    assert [node.op.to for node, _ in fgraph.clients[lr_in]] == ["host"]  # the pass-through
    args = [rng.standard_normal((3, 4)).astype("float32") for _ in range(2)]
    for step in range(3):
        copies.clear()
        rate = np.asarray(0.1 / (step + 1), dtype="float32")
        (got,) = _run(program, args + [rate])
        np.testing.assert_allclose(got, args[0] - rate * args[1], rtol=1e-6)
        assert () not in _uploads(copies)
    sim_rate = device_arrays.backend_for(DEVICE).to_device(np.asarray(0.5, dtype="float32"))
    copies.clear()
    (got,) = _run(program, args + [sim_rate])  # a device argument is read back: one copy
    np.testing.assert_allclose(got, args[0] - 0.5 * args[1], rtol=1e-6)
    assert [c[1] for c in copies if c[0] == "to_host"] == [(), (3, 4)]


def test_a_learning_rate_argument_of_a_function_goes_by_value(rng, copies):
    """A 0-d argument (a Python float) is a kernel parameter: after the first call (which
    uploads the kernel's geometry once) only the arrays go over."""
    w, g, lr = T.fmatrix("w"), T.fmatrix("g"), T.fscalar("lr")
    sim, cpu = (gg.function([w, g, lr], w - lr * T.tanh(g), device=d) for d in (DEVICE, "cpu"))
    args = [rng.standard_normal((3, 4)).astype("float32") for _ in range(2)]
    sim(*args, 1.0)
    for rate in (0.1, 0.05, 2.0):
        copies.clear()
        np.testing.assert_allclose(sim(*args, rate), cpu(*args, rate), rtol=1e-6)
        assert _uploads(copies) == [(3, 4), (3, 4)]
