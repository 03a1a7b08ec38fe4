"""The hand-written references as a library of the comparison: NumPy on the CPU, CuPy
(the same code, ``xp``) on a GPU."""
import sys

import numpy as np

from . import Idiom, Unavailable
from ..workloads import WORKLOADS


def prepare(device, threads):
    array_module(device)


def array_module(device):
    if device != "cuda":
        return np
    try:
        import cupy
    except ImportError as exc:
        raise Unavailable(f"CuPy is not installed ({exc})") from exc
    return cupy


def version():
    cupy = sys.modules.get("cupy")
    return f"NumPy {np.__version__}" + (f", CuPy {cupy.__version__}" if cupy else "")


def to_numpy(result):
    return result.get() if hasattr(result, "__cuda_array_interface__") else np.asarray(result)


def sync(result):
    if hasattr(result, "__cuda_array_interface__"):
        sys.modules["cupy"].cuda.get_current_stream().synchronize()


def on_device(xp, data):
    """The workload's data as ``xp`` arrays, copied (a training step updates its own)."""
    return {key: xp.array(value) if isinstance(value, np.ndarray) else value for key, value in data.items()}


def _builder(workload):
    def build(data, device):
        xp = array_module(device)
        return workload.reference(xp, on_device(xp, data))
    return build


BUILDERS = {w.name: [Idiom("by hand", _builder(w))] for w in WORKLOADS if not w.untimed_by_hand}
