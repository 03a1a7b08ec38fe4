"""Fixtures shared by every test tier, and the simulator's schedule seed: each test starts its
own stream of launch seeds (so a failed test replays alone), and a failure of a test that
launched simulator kernels names the seed (gpugrad/backends/cuda_sim/schedule.py).

The CPU's generated kernels are off for the suite (``GPUGRAD_CPU_CODEGEN=0`` unless set):
most tests check CPU graphs node by node and NumPy's results, the oracle the kernels are
held to. tests/cpu turns them on for its functions, tests/test_examples.py for the examples,
and ``GPUGRAD_CPU_CODEGEN=1 python -m pytest`` runs everything with them."""
import os
import warnings

os.environ.setdefault("GPUGRAD_CPU_CODEGEN", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gpugrad.backends.cuda_sim import schedule  # noqa: E402
from gpugrad.runtime import host_elementwise  # noqa: E402

with warnings.catch_warnings():  # the one CodegenWarning saying so, spent here, not in a test that forbids warnings
    warnings.simplefilter("ignore")
    host_elementwise.enabled()


def pytest_report_header(config):
    return schedule.reproduce()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    schedule.restart(item.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.failed and schedule.launches():
        seed = schedule.process_seed()
        report.sections.append(("cuda-sim schedule", f"seed {seed}; replay: {schedule.ENV}={seed} "
                                f"python -m pytest '{item.nodeid}'"))


@pytest.fixture
def rng():
    """A fresh, seeded generator per test, so tests are reproducible and independent."""
    return np.random.default_rng(20240601)


@pytest.fixture
def nvrtc_ptx():
    """``nvrtc_ptx(source, filename, options)``: the PTX NVRTC makes of ``source`` (called
    through ``cupy.cuda.nvrtc`` directly: no GPU needed); an error or any warning in the
    compile log fails the test, with the log; the test skips where CuPy or libnvrtc (the
    nvidia-cuda-nvrtc wheel) is missing."""
    try:
        from cupy.cuda import nvrtc
        nvrtc.getVersion()
    except Exception as exc:
        pytest.skip(f"NVRTC unavailable: {type(exc).__name__}: {exc}")

    def compile_(source, filename, options):
        program = nvrtc.createProgram(source, filename, [], [])
        try:
            nvrtc.compileProgram(program, options)
        except nvrtc.NVRTCError as exc:
            pytest.fail(f"{filename}: {exc}\n{nvrtc.getProgramLog(program)}")
        log = nvrtc.getProgramLog(program)
        if log.strip():
            pytest.fail(f"{filename}: NVRTC warns with {options}:\n{log}")
        ptx = nvrtc.getPTX(program)
        return ptx.decode() if isinstance(ptx, bytes) else ptx
    return compile_
