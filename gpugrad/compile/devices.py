"""Device names and the choice of where a function runs.

The CUDA backends are not part of this build yet; ``"cuda"`` therefore runs on the
CPU and says why once with DeviceFallbackWarning, as on any machine without a GPU."""
import re
import warnings

from ..config import config
from ..errors import DeviceFallbackWarning

_DEVICE = re.compile(r"^(cpu|auto|cuda(:\d+)?|cuda-sim)$")
_warned = set()


def resolve(device):
    """The device a function compiled for ``device`` (None: config.device) runs on."""
    device = config.device if device is None else device
    if not isinstance(device, str) or not _DEVICE.match(device):
        raise ValueError(f"unknown device {device!r}; use 'cpu', 'cuda', 'cuda:N', 'cuda-sim' or 'auto'")
    if device in ("cpu", "auto"):
        return "cpu"
    reason = _cuda_unavailable_reason()
    if device not in _warned:
        _warned.add(device)
        warnings.warn(f"device={device!r} runs on the CPU: {reason}", DeviceFallbackWarning, stacklevel=3)
    return "cpu"


def _cuda_unavailable_reason():
    try:
        import cupy  # noqa: F401
    except Exception as exc:  # CuPy missing or broken: both mean no CUDA here
        return f"CuPy is not importable ({type(exc).__name__}: {exc})"
    return "this build of gpugrad has no CUDA kernels yet (the CUDA backend is a separate work item)"
