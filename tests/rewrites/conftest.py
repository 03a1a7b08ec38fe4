"""The rewrite tests read what the rewrites make of a graph, node by node: on the CPU they
compile without the generated kernels (``cpu_codegen``), whose fusion would wrap those nodes
in Composites, also when the suite runs with them on (``GPUGRAD_CPU_CODEGEN=1``). A test
about fusion on the CPU turns them back on itself."""
import warnings

import pytest

import gpugrad as gg
from gpugrad.errors import CodegenWarning


@pytest.fixture(autouse=True)
def numpy_nodes():
    with gg.config.change_flags(cpu_codegen=False), warnings.catch_warnings():
        warnings.simplefilter("ignore", CodegenWarning)  # the one saying the kernels are off
        yield
