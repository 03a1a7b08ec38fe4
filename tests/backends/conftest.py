"""One simulator and one kernel library per session: every kernel compiles once (and is cached on disk)."""
import pytest

from gpugrad.backends.cuda_sim import SimBackend
from gpugrad.backends.load import KernelLibrary


@pytest.fixture(scope="session")
def sim():
    return SimBackend()


@pytest.fixture(scope="session")
def library(sim):
    return KernelLibrary(sim)


@pytest.fixture(scope="session")
def compile_sim(sim):
    """``compile_sim(source)`` -> module, memoised by source text."""
    modules = {}

    def compile_(source, options=()):
        if (source, options) not in modules:
            modules[source, options] = sim.load_module(source, options)
        return modules[source, options]
    return compile_
