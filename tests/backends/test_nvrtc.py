"""Every kernel of kernels/ compiles with NVRTC for sm_80 and sm_90, with the options the CuPy
backend passes; no GPU needed (``cupy.cuda.nvrtc`` directly: RawKernel.compile asks the device)."""
import pytest

from gpugrad.backends import cuda
from gpugrad.backends.load import KERNELS_DIR, KernelSource

from backend_kernel_cases import INSTANTIATIONS


def _nvrtc():
    try:
        from cupy.cuda import nvrtc
        nvrtc.getVersion()
    except Exception as exc:  # no cupy, or no libnvrtc (the nvidia-cuda-nvrtc wheel)
        pytest.skip(f"NVRTC unavailable: {type(exc).__name__}: {exc}")
    return nvrtc


CASES = [(name, types, defines) for name, cases in INSTANTIATIONS.items() for types, defines in cases]


@pytest.mark.parametrize("arch", [80, 90])
@pytest.mark.parametrize("name,types,defines", CASES,
                         ids=[f"{n}-{'-'.join(str(t.__name__) for t in ty.values())}" for n, ty, _ in CASES])
def test_kernel_compiles_with_nvrtc(name, types, defines, arch):
    nvrtc = _nvrtc()
    source = {s.name: s for s in map(KernelSource.parse, KERNELS_DIR.glob("*.cu"))}[name]
    options = cuda.nvrtc_options((f"-I{KERNELS_DIR}",), arch)
    program = nvrtc.createProgram(source.instantiate(types, defines), f"{name}.cu", [], [])
    try:
        nvrtc.compileProgram(program, options)
    except nvrtc.NVRTCError as exc:
        pytest.fail(f"{name} {types}: {exc}\n{nvrtc.getProgramLog(program)}")
    ptx = nvrtc.getPTX(program)
    ptx = ptx.decode() if isinstance(ptx, bytes) else ptx
    assert f".entry {name}(" in ptx and f".target sm_{arch}" in ptx
