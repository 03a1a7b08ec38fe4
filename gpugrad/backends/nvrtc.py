"""NVRTC as CuPy drives it: the exact options ``cupy.RawModule(code, options=...)`` hands
NVRTC on a device of a given compute capability (CuPy 14: its include paths and
``-std``, ``-ftz=true``, ``-arch=sm_XX`` for the device's architecture or the newest this NVRTC
knows, and ``--device-as-default-execution-space``), so the tests and the simulated
CuPy compile every kernel the way a GPU run will. CuPy is imported only when asked.
"""
import functools


@functools.cache
def version():
    """NVRTC's ``(major, minor)``."""
    from cupy.cuda import nvrtc
    return nvrtc.getVersion()


def max_arch():
    """The newest architecture this NVRTC compiles for directly (CuPy's table)."""
    major, minor = version()
    return 90 if (major, minor) < (12, 8) else 120 if (major, minor) == (12, 8) else 121


def cupy_options(options, arch):
    """What NVRTC sees for ``cupy.RawModule(code, options=options)`` on compute capability ``arch``."""
    from cupy._core.core import assemble_cupy_compiler_options
    return [*assemble_cupy_compiler_options(tuple(options)), "-ftz=true", f"-arch=sm_{min(int(arch), max_arch())}",
            "--device-as-default-execution-space"]
