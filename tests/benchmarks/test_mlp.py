"""One SGD step of a 784-512-10 tanh MLP with softmax cross-entropy (batch 256, float32):
gpugrad with shared variables and ``updates=``, beside the same step written by hand in NumPy."""
import numpy as np
import pytest

from gpugrad.bench import reference
from gpugrad.bench.libraries import by_hand, theano_style, with_gpugrad

GROUP = "MLP 784-512-10 SGD step, batch 256, float32"


def test_one_step_agrees_with_numpy(rng):
    data = reference.mlp(rng, 256)
    step, shared = theano_style.mlp_training_step(with_gpugrad.api("cpu"), data)
    by_hand_data = by_hand.on_device(np, data)
    by_hand_step = reference.mlp_step(np, [by_hand_data[key] for key in reference.MLP_PARAMETERS])
    np.testing.assert_allclose(step(data["X"], data["Y"]), by_hand_step(data["X"], data["Y"]), rtol=1e-5)
    for var, key in zip(shared, reference.MLP_PARAMETERS):
        assert var.get_value().dtype == np.float32
        np.testing.assert_allclose(var.get_value(), by_hand_data[key], rtol=1e-4, atol=1e-6)


@pytest.mark.benchmark(group=GROUP)
def test_gpugrad_mlp_step(suite_benchmark):
    suite_benchmark(with_gpugrad, "mlp-step")


@pytest.mark.benchmark(group=GROUP)
def test_numpy_mlp_step(suite_benchmark):
    suite_benchmark(by_hand, "mlp-step")
