"""Kernel backends: ``CudaBackend`` (cuda.py) over CuPy's API, on a GPU through ``cupy`` or on
the CPU through the simulated CuPy of ``simcupy/``; ``SimBackend`` (cuda_sim/) is the
simulator's own launcher underneath, which the kernel tests also drive directly.

Nothing here imports CuPy; ``backend("cuda")`` does, when it is asked for.
"""


def backend(name):
    """The backend of a device name: ``"cuda"``/``"cuda:N"`` (CuPy on a GPU) or
    ``"cuda-sim"``/``"cuda-sim:N"`` (the simulated CuPy)."""
    kind, _, ordinal = name.partition(":")
    if kind not in ("cuda", "cuda-sim") or ordinal and not ordinal.isdigit():
        raise ValueError(f"unknown kernel backend {name!r} (expected 'cuda', 'cuda:N', 'cuda-sim' or 'cuda-sim:N')")
    from .cuda import CudaBackend
    if kind == "cuda-sim":
        from . import simcupy
        return CudaBackend(int(ordinal or 0), simcupy, simcupy.cupyx, simcupy.pointer_owner, name)
    import cupy
    import cupyx.scipy.linalg
    from .cuda import pointer_owner
    return CudaBackend(int(ordinal or 0), cupy, cupyx, pointer_owner, name)
