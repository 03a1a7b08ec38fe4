"""The devices the reliability tests run on: the CPU and ``cuda-sim``, or only the device
that ``GPUGRAD_TEST_DEVICE`` names (tests/gpu/run.sh runs them on ``cuda``; CI has run the
CPU's already)."""
import os

DEVICE = os.environ.get("GPUGRAD_TEST_DEVICE", "cuda-sim")
CPU_TOO = "GPUGRAD_TEST_DEVICE" not in os.environ
DEVICES = ["cpu", DEVICE] if CPU_TOO else [DEVICE]


def with_sizes(on_cpu, on_device):
    """``(device, size)`` cases: a test's size for the CPU and for the device."""
    return ([("cpu", on_cpu)] if CPU_TOO else []) + [(DEVICE, on_device)]
