"""Device names and the choice of where a function runs.

``"cpu"`` runs NumPy; ``"cuda-sim"``/``"cuda-sim:N"`` run the CUDA path on a simulated device
(always available; ``GPUGRAD_SIM_DEVICES`` of them, default 2); ``"cuda"``/``"cuda:N"`` run on
a GPU through CuPy when CuPy imports and sees a device, and otherwise on the CPU, saying why
once with DeviceFallbackWarning; ``"auto"`` is ``"cuda"`` when that works, else the CPU,
silently. A device number the machine does not have (``cuda:7`` beside one GPU) is a
``DeviceError``, not a fallback: the GPUs are there, the name is wrong."""
import functools
import os
import re
import warnings

from ..config import config
from ..errors import DeviceError, DeviceFallbackWarning

_DEVICE = re.compile(r"^(cpu|auto|cuda(:\d+)?|cuda-sim(:\d+)?)$")
_warned = set()


def resolve(device):
    """The device a function compiled for ``device`` (None: config.device) runs on."""
    device = config.device if device is None else device
    if not isinstance(device, str) or not _DEVICE.match(device):
        raise ValueError(f"unknown device {device!r}; use 'cpu', 'cuda', 'cuda:N', 'cuda-sim' or 'auto'")
    if device == "cpu":
        return device
    if device.startswith("cuda-sim"):
        from ..backends.simcupy import cuda as simulated
        return _numbered(device, simulated.runtime.getDeviceCount(), "simulated devices (GPUGRAD_SIM_DEVICES)")
    count, reason = _gpus()
    if device == "auto":
        return "cuda" if count else "cpu"
    if count:
        return _numbered(device, count, "GPUs")
    if device not in _warned:
        _warned.add(device)
        warnings.warn(f"device={device!r} runs on the CPU: {reason}", DeviceFallbackWarning, stacklevel=3)
    return "cpu"


def _numbered(device, count, what):
    ordinal = int(device.partition(":")[2] or 0)
    if ordinal >= count:
        raise DeviceError(f"device {device!r}: this machine has {count} {what}, numbered 0 to {count - 1}")
    return device


@functools.cache
def _gpus():
    """How many GPUs there are and, when none, why. Without an NVIDIA driver node CuPy is not
    even imported, so ``auto`` costs nothing on a CPU-only machine."""
    if not any(os.path.exists(p) for p in ("/dev/nvidiactl", "/dev/dxg")):
        return 0, "no NVIDIA driver (no /dev/nvidiactl)"
    from ..backends.cuda import gpu_count
    return gpu_count()
