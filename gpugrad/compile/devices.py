"""Device names and the choice of where a function runs.

``"cpu"`` runs NumPy; ``"cuda-sim"`` runs the CUDA path with every kernel executed on
the CPU by the simulator (always available); ``"cuda"``/``"cuda:N"`` run on a GPU
through CuPy when CuPy imports and sees a device, and otherwise on the CPU, saying why
once with DeviceFallbackWarning; ``"auto"`` is ``"cuda"`` when that works, else the
CPU, silently."""
import functools
import os
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
    if device in ("cpu", "cuda-sim"):
        return device
    reason = _cuda_unavailable_reason()
    if device == "auto":
        return "cpu" if reason else "cuda"
    if not reason:
        return device
    if device not in _warned:
        _warned.add(device)
        warnings.warn(f"device={device!r} runs on the CPU: {reason}", DeviceFallbackWarning, stacklevel=3)
    return "cpu"


@functools.cache
def _cuda_unavailable_reason():
    """Why there is no usable GPU ("" when there is). Without an NVIDIA driver node CuPy
    is not even imported, so ``auto`` costs nothing on a CPU-only machine."""
    if not any(os.path.exists(p) for p in ("/dev/nvidiactl", "/dev/dxg")):
        return "no NVIDIA driver (no /dev/nvidiactl)"
    from ..backends.cuda import gpu_available
    available, reason = gpu_available()
    return "" if available else reason
