"""A CuPy-shaped module over the CUDA simulator: ``device="cuda-sim"`` runs the very code
``device="cuda"`` runs (``backends/cuda.py``'s ``CudaBackend`` and the device thunks of
``compile/``) with this module in place of ``cupy``.

Its objects refuse what CuPy's refuse: kernels and modules are CuPy's own ``RawKernel`` and
``RawModule`` classes (raw.py), compiled by NVRTC with CuPy's options before the simulator
builds them; arrays (arrays.py) live on one of several simulated devices (cuda.py), refuse
implicit conversion to NumPy and arrays of other devices; launches are asynchronous. Only
what gpugrad calls is here (routines.py, lapack.py); ``cupyx`` is its ``errstate`` and
``scipy.linalg`` parts. ``pointer_owner`` answers for the simulated driver what
``cuPointerGetAttribute`` answers on a GPU.
"""
import types

from . import _cupy, cuda, routines
from .arrays import ndarray
from .memory import pointer_owner
from .lapack import LINALG, cupyx
from .raw import RawKernel, RawModule

linalg = types.SimpleNamespace(**LINALG)
globals().update(routines.PUBLIC)


def compiles_with_nvrtc():
    """Whether kernels are compiled by NVRTC before the simulator builds them (CuPy and
    libnvrtc installed); without, only the simulator's host compiler sees them."""
    return _cupy.nvrtc() is not None

__all__ = ["compiles_with_nvrtc", "cuda", "cupyx", "linalg", "ndarray", "pointer_owner", "RawKernel", "RawModule",
           *routines.PUBLIC]
