"""The kernels of examples/kernels, which examples/custom_op.py's ops launch from a folder of their
own through a KernelLibrary: NVRTC compiles them for sm_80 and sm_90 with the options the CUDA
backend passes, and the simulator runs them against NumPy."""
import pathlib

import numpy as np
import pytest

from gpugrad.backends import cuda
from gpugrad.backends.load import KernelLibrary

FOLDER = pathlib.Path(__file__).resolve().parents[2] / "examples" / "kernels"
DTYPES = ("float32", "float64")


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _numpy(name, x, g):
    s = _sigmoid(x)
    return x * s if name == "swish" else g * s * (1 + x * (1 - s))


@pytest.fixture(scope="module")
def examples(sim):
    return KernelLibrary(sim, FOLDER)


def test_the_folder_holds_the_kernels(examples):
    assert sorted(examples.sources) == ["swish", "swish_grad"]


@pytest.mark.parametrize("arch", [80, 90])
@pytest.mark.parametrize("name", ["swish", "swish_grad"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_example_kernels_compile_with_nvrtc(nvrtc_ptx, examples, name, dtype, arch):
    ptx = nvrtc_ptx(examples.sources[name].instantiate({"T": dtype}), f"{name}.cu",
                    cuda.nvrtc_options(examples.options, arch))
    assert f".entry {name}(" in ptx


@pytest.mark.parametrize("name", ["swish", "swish_grad"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_example_kernels_on_the_simulator(sim, examples, rng, name, dtype):
    x, g = (rng.standard_normal(1000).astype(dtype) for _ in range(2))
    out = sim.allocate(x.shape, dtype)
    inputs = [sim.to_device(x)] + ([sim.to_device(g)] if name == "swish_grad" else [])
    examples.launch(name, 2, 64, (*inputs, out, x.size))
    tol = 1e-6 if dtype == "float32" else 1e-13  # absolute too: swish's slope crosses zero
    np.testing.assert_allclose(sim.to_host(out), _numpy(name, x, g), rtol=tol, atol=tol)
