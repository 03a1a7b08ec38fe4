"""Fixtures shared by every test tier."""
import numpy as np
import pytest


@pytest.fixture
def rng():
    """A fresh, seeded generator per test, so tests are reproducible and independent."""
    return np.random.default_rng(20240601)


@pytest.fixture
def nvrtc_ptx():
    """``nvrtc_ptx(source, filename, options)``: the PTX NVRTC makes of ``source`` (called
    through ``cupy.cuda.nvrtc`` directly: no GPU needed), the compile log in the failure;
    the test skips where CuPy or libnvrtc (the nvidia-cuda-nvrtc wheel) is missing."""
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
        ptx = nvrtc.getPTX(program)
        return ptx.decode() if isinstance(ptx, bytes) else ptx
    return compile_
