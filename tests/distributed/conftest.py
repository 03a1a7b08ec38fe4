"""Fixtures of the Dask tests: the model, its data, and that data chunked along axis 0."""
import pytest

from dask_model import CHUNK, ROWS, FEATURES, Model

pytest.importorskip("dask.array")


@pytest.fixture
def model(rng):
    return Model(rng)


@pytest.fixture
def data(rng):
    return rng.normal(size=(ROWS, FEATURES)), (rng.uniform(size=ROWS) > 0.5).astype(float)


@pytest.fixture
def chunked(data):
    import dask.array as da
    X, y = data
    return da.from_array(X, chunks=(CHUNK, -1)), da.from_array(y, chunks=CHUNK)
