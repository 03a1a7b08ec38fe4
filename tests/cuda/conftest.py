"""Fixtures of the device tests."""
import numpy as np
import pytest

from gpugrad.compile import device_arrays

from device_checks import DEVICE


@pytest.fixture
def copies(monkeypatch):
    """Every host<->device copy of the simulator backend, as (direction, shape, dtype)."""
    be, log = device_arrays.backend_for(DEVICE), []
    for name in ("to_device", "to_host"):
        method = getattr(be, name)

        def counted(array, method=method, name=name):
            log.append((name, tuple(array.shape), np.dtype(array.dtype)))
            return method(array)
        monkeypatch.setattr(be, name, counted)
    return log
