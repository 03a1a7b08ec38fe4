"""Every kernel of kernels/ compiles with NVRTC for sm_80 and sm_90, with the options the CuPy
backend passes; no GPU needed (``cupy.cuda.nvrtc`` directly: RawKernel.compile asks the device)."""
import numpy as np
import pytest

from gpugrad.backends import cuda
from gpugrad.backends.load import KERNELS_DIR, KernelSource

from backend_kernel_cases import INSTANTIATIONS
from test_kernels_ops import NVRTC_CASES


CASES = [(name, types, defines) for name, cases in INSTANTIATIONS.items() for types, defines in cases] + NVRTC_CASES


@pytest.mark.parametrize("arch", [80, 90])
@pytest.mark.parametrize("name,types,defines", CASES,
                         ids=[f"{n}-{'-'.join(np.dtype(t).name for t in ty.values())}-{'-'.join(v for _, v in d)}"
                              for n, ty, d in CASES])
def test_kernel_compiles_with_nvrtc(nvrtc_ptx, name, types, defines, arch):
    source = {s.name: s for s in map(KernelSource.parse, KERNELS_DIR.glob("*.cu"))}[name]
    ptx = nvrtc_ptx(source.instantiate(types, defines), f"{name}.cu", cuda.nvrtc_options((f"-I{KERNELS_DIR}",), arch))
    assert f".entry {name}(" in ptx and f".target sm_{arch}" in ptx
