"""Fixtures shared by every test tier."""
import numpy as np
import pytest


@pytest.fixture
def rng():
    """A fresh, seeded generator per test, so tests are reproducible and independent."""
    return np.random.default_rng(20240601)
