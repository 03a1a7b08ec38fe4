"""``function(..., device="cuda-sim")`` runs elementwise work as generated CUDA kernels on
the simulator and agrees with ``device="cpu"``: every row of every dtype, broadcasting,
non-contiguous inputs, the tutorial's logistic regression; placement and transfer counts;
``device="cuda"`` on a real GPU (skipped, and counted, without one)."""
import io
import warnings

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.backends import cuda
from gpugrad.errors import ShapeError
from gpugrad.ops.blas import Dot
from gpugrad.ops.reduce import Arg, Reduce
from gpugrad.ops.transfer import Transfer
from gpugrad.ops.elemwise import Composite
from gpugrad.ops.fused import FusedReduction

from cases import DTYPES, every_row, sample
from device_checks import DEVICE

TOLERANCE = {"float32": 2e-6, "complex64": 2e-6}


def _count(f, op_type):
    return sum(isinstance(node.op, op_type) for node in f.graph.toposort())


def _transfers(f):
    return [node.op.to for node in f.graph.toposort() if isinstance(node.op, Transfer)]


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_row_on_the_simulator_matches_numpy(dtype, rng):
    inputs, names, outputs = every_row(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # complex -> real casts warn on the CPU
        sim = gg.function(inputs, outputs, device=DEVICE)
        cpu = gg.function(inputs, outputs, device="cpu")
        args = [sample(dtype, (3, 5), rng), sample(dtype, (3, 5), rng)]
        got, expected = sim(*args), cpu(*args)
    assert _count(sim, Composite) == 1 and _transfers(sim).count("device") == 2
    for name, g, e in zip(names, got, expected):
        assert g.dtype == e.dtype, name
        tol = TOLERANCE.get(str(g.dtype)) or TOLERANCE.get(dtype, 1e-12)  # float32 terms of a complex128 total
        np.testing.assert_allclose(g, e, rtol=tol, atol=tol, equal_nan=True, err_msg=f"{name} on {dtype}")


def test_broadcasting_and_non_contiguous_inputs(rng):
    x = T.tensor("float32", shape=(None, 1, None), name="x")
    y = T.fmatrix("y")
    z = T.fmatrix("z")
    out = T.tanh(x * y) + z.T * 2.0 - T.sqrt(T.abs(y))
    sim = gg.function([x, y, z], out, device=DEVICE)
    cpu = gg.function([x, y, z], out, device="cpu")
    big_x = rng.standard_normal((4, 3, 12)).astype("float32")
    args = [big_x[:, 1:2, ::3], rng.standard_normal((5, 4)).astype("float32")[::-1],
            np.asfortranarray(rng.standard_normal((4, 5)).astype("float32"))]
    assert not args[0].flags.c_contiguous and not args[2].flags.c_contiguous
    np.testing.assert_allclose(sim(*args), cpu(*args), rtol=1e-5, atol=1e-6)
    # z.T is a strided view on the device; the rank-2 parts are kernels of their own (the
    # DimShuffle that pads them to rank 3 sits between them and the rank-3 region)
    assert _count(sim, Composite) == 3 and sorted(_transfers(sim)) == ["device"] * 3 + ["host"]


def test_bad_broadcast_is_a_shape_error(rng):
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = gg.function([x, y], T.exp(x) + y, device=DEVICE)
    with pytest.raises(ShapeError, match="broadcast"):
        f(np.ones((3, 4)), np.ones((3, 1)))
    assert f(np.zeros((0, 4)), np.zeros((0, 4))).shape == (0, 4)


def test_placement_transfers_one_per_input_and_output():
    x, y = T.dmatrix("x"), T.dvector("y")
    f = gg.function([x, y], [T.exp(x) * y, (T.exp(x) * y).sum(), T.argmax(x)], device=DEVICE)
    # x and y go over once each (x is read by the kernel and by argmax); the three results come back
    assert sorted(_transfers(f)) == ["device", "device", "host", "host", "host"]
    # the product and its sum are one row kernel (a full reduction whose prologue also writes the product)
    assert _count(f, FusedReduction) == 1 and _count(f, Composite) == 0 and _count(f, Reduce) == 0
    reductions = {str(node.op): device for node, device in f.placement.items() if isinstance(node.op, Arg)}
    assert reductions == {"Arg{argmax, None, False}": DEVICE}
    assert "on cuda-sim" in gg.printing.debugprint(f, file=io.StringIO())


def test_shape_arithmetic_stays_on_the_host(rng):
    x = T.dvector("x")
    f = gg.function([x], x / x.shape[0], device=DEVICE)
    shape_nodes = [n for n, d in f.placement.items() if type(n.op).__name__ in ("Shape", "ShapeI")]
    assert shape_nodes and all(f.placement[n] == "cpu" for n in shape_nodes)
    # the vector goes over once; the length, computed on the host, is a kernel parameter
    # passed by value (no transfer; it used to go over as a 0-d array every call)
    assert sorted(_transfers(f)) == ["device", "host"]
    value = rng.standard_normal(7)
    np.testing.assert_allclose(f(value), value / 7)


def test_cpu_functions_are_untouched():
    """No placement and no transfers on the CPU; without its generated kernels, no fusion."""
    x = T.dvector("x")
    with gg.config.change_flags(cpu_codegen=False):
        f = gg.function([x], T.exp(x) * 2.0, device="cpu")
    assert _count(f, Composite) == 0 and _transfers(f) == [] and set(f.placement.values()) == {"cpu"}


def _logistic(device, rng, feats=7):
    """The tutorial's logistic regression, one training step (shared w and b updated)."""
    x, y = T.dmatrix("x"), T.dvector("y")
    w = gg.shared(np.linspace(-0.5, 0.5, feats), name="w")
    b = gg.shared(0.1, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = gg.function([x, y], [prediction, xent], updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)],
                        device=device)
    return train, w, b


def test_logistic_regression_step_matches_the_cpu(rng):
    data = rng.standard_normal((20, 7)), (rng.random(20) > 0.5).astype("float64")
    sim, w_sim, b_sim = _logistic(DEVICE, rng)
    cpu, w_cpu, b_cpu = _logistic("cpu", rng)
    for _ in range(2):
        got, expected = sim(*data), cpu(*data)
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_allclose(got[1], expected[1], rtol=1e-12)
    np.testing.assert_allclose(w_sim.get_value(), w_cpu.get_value(), rtol=1e-12)
    np.testing.assert_allclose(b_sim.get_value(), b_cpu.get_value(), rtol=1e-12)
    # The elementwise forward and gradient (sigmoid, cross-entropy, the prediction and the
    # cost's derivative), b's gradient (its sum) and b's update are one row kernel; both dots
    # run on the device; w's update is one kernel.
    kernels = [str(node.op) for node in sim.graph.toposort() if isinstance(node.op, (Composite, Reduce,
                                                                                     FusedReduction))]
    assert len(kernels) == 2 and "sigmoid" in kernels[0] and "softplus" in kernels[0]
    assert "sum{axis=[0]}" in kernels[0] and kernels[1].startswith("composite")
    assert [d for n, d in sim.placement.items() if isinstance(n.op, Dot)] == [DEVICE, DEVICE]
    # x, y, w and b go over once (w and b stay on the device between calls); the
    # host-computed 1/len(y) is a kernel parameter passed by value (no transfer);
    # prediction and xent come back, the new w and b stay on the device
    assert sorted(_transfers(sim)) == ["device"] * 4 + ["host"] * 2


available, reason = cuda.gpu_available()


@pytest.mark.skipif(not available, reason=f"no usable GPU: {reason}")
def test_on_a_real_gpu(rng):
    inputs, names, outputs = every_row("float32")
    gpu = gg.function(inputs, outputs, device="cuda")
    cpu = gg.function(inputs, outputs, device="cpu")
    args = [sample("float32", (300, 500), rng), sample("float32", (300, 500), rng)]
    for name, g, e in zip(names, gpu(*args), cpu(*args)):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5, equal_nan=True, err_msg=name)
    assert _count(gpu, Composite) == 1


@pytest.mark.parametrize("dtype", ["float32", "complex128"])
@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (2, True), ((0, 2), False)])
def test_sum_on_the_device(dtype, axis, keepdims, rng):
    x = T.tensor(dtype, shape=(None, None, None), name="x")
    out = T.sum(T.exp(x) * 0.5, axis=axis, keepdims=keepdims)
    sim = gg.function([x], out, device=DEVICE)
    cpu = gg.function([x], out, device="cpu")
    # the elementwise prologue and the sum are one row kernel
    assert _count(sim, FusedReduction) == 1 and sim.placement[sim.graph.outputs[0].owner.inputs[0].owner] == DEVICE
    value = sample(dtype, (40, 3, 50), rng).transpose(0, 2, 1)[:, ::2]  # a strided input
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(sim(value), cpu(value), rtol=tol, atol=tol)
    assert sim(np.zeros((0, 2, 3), dtype)).shape == cpu(np.zeros((0, 2, 3), dtype)).shape


def test_an_output_narrower_than_its_kernel(rng):
    """exp(row) is computed in the (m, n) kernel of exp(row) * y but returned as (1, n)."""
    row, y = T.tensor("float64", shape=(1, None), name="row"), T.dmatrix("y")
    e = T.exp(row)
    sim = gg.function([row, y], [e, e * y], device=DEVICE)
    assert _count(sim, Composite) == 1
    args = rng.standard_normal((1, 5)), rng.standard_normal((4, 5))
    got = sim(*args)
    assert got[0].shape == (1, 5)
    np.testing.assert_allclose(got[0], np.exp(args[0]), rtol=1e-12)
    np.testing.assert_allclose(got[1], np.exp(args[0]) * args[1], rtol=1e-12)


def test_composite_perform_is_the_numpy_oracle(rng):
    from gpugrad.graph.fgraph import FunctionGraph
    from gpugrad.rewrites.pipeline import optimize
    x, y = T.fmatrix("x"), T.tensor("float32", shape=(1, None), name="y")
    fgraph = FunctionGraph([x, y], [T.switch(x > 0, x * 0.5, T.exp(y))])
    optimize(fgraph, "fast_run", DEVICE)
    (node,) = [n for n in fgraph.toposort() if isinstance(n.op, Composite)]
    args = rng.standard_normal((3, 4)).astype("float32"), rng.standard_normal((1, 4)).astype("float32")
    (out,) = node.op.perform(node, list(args))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.where(args[0] > 0, args[0] * np.float32(0.5), np.exp(args[1])), rtol=1e-6)
    assert node.op.infer_shape(node, [(3, 4), (1, 4)]) == [(3, 4)]


def test_transfer_derivatives_transfer_back():
    x = T.dvector("x")
    y = Transfer("device")(x)
    g = T.grad(T.sum(y ** 2), x)
    assert any(isinstance(n.op, Transfer) and n.op.to == "host" for n in gg.graph.traversal.toposort([g]))
    np.testing.assert_allclose(gg.function([x], g, device="cpu")([1.0, -2.0]), [2.0, -4.0])
    r = T.Rop(y * 3.0, x, T.dvector("v"))
    assert any(isinstance(n.op, Transfer) for n in gg.graph.traversal.toposort([r]))


def test_cuda_without_a_gpu_falls_back_once_and_says_why():
    from gpugrad.compile import devices
    if available:
        pytest.skip("a GPU is present")
    devices._warned.discard("cuda")
    s = T.dscalar("s")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = gg.function([s], s * 2, device="cuda")
        g = gg.function([s], s * 3, device="cuda")
    fallbacks = [w for w in caught if issubclass(w.category, gg.DeviceFallbackWarning)]
    assert len(fallbacks) == 1 and "runs on the CPU: " in str(fallbacks[0].message)
    assert f(1.0) == 2.0 and g(1.0) == 3.0 and set(f.placement.values()) == {"cpu"}
    assert set(gg.function([s], s * 2, device="auto").placement.values()) == {"cpu"}


def test_pp_shows_the_same_graph_on_every_device():
    """Transfers and fusion are placement detail: ``pp`` prints the computation (``debugprint``
    shows the transfers and the fused kernels)."""
    x, v = T.dscalar("x"), T.dvector("v")
    for device in ("cpu", DEVICE):
        f = gg.function([x, v], [T.grad(x ** 2, x), T.exp(v) + 1], device=device)
        assert [gg.pp(o) for o in f.maker.fgraph.outputs] == ["(2.0 * x)", "(exp(v) + 1)"]
    assert "transfer_to_host" in gg.printing.debugprint(f, file=io.StringIO())
