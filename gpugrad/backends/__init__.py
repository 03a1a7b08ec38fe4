"""Kernel backends behind one small interface (base.py): ``cuda`` over CuPy, ``cuda-sim`` on the CPU.

Nothing here imports CuPy; ``backend("cuda")`` does, when it is asked for.
"""


def backend(name):
    """A new backend: ``"cuda"``, ``"cuda:N"`` or ``"cuda-sim"``."""
    if name == "cuda-sim":
        from .cuda_sim import SimBackend
        return SimBackend()
    if name == "cuda" or name.startswith("cuda:"):
        from .cuda import CudaBackend
        return CudaBackend(int(name.partition(":")[2] or 0))
    raise ValueError(f"unknown kernel backend {name!r} (expected 'cuda', 'cuda:N' or 'cuda-sim')")
