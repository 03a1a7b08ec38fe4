"""What the layer borrows from the real CuPy when it is installed (it never needs a GPU for
these): the ``RawModule``/``RawKernel`` classes to subclass and NVRTC. Without CuPy, stand-in
classes with the same attributes and the same refusal of new ones take their place, and
kernels are not compiled by NVRTC (only by the simulator's host compiler)."""
import functools


@functools.cache
def real_cupy():
    """The ``cupy`` module, or None where it is not installed (or does not import)."""
    try:
        import cupy
    except Exception:  # ImportError, or a broken install: the simulator works without it
        return None
    return cupy


class StandInRawKernel:
    """``cupy.RawKernel``'s attributes, where CuPy is not installed."""
    __slots__ = ("code", "name", "options", "backend", "file_path", "name_expressions", "__name__")

    def __init__(self, code, name, options=(), backend="nvrtc", **flags):
        self.code, self.name, self.options, self.backend = code, name, tuple(options), backend
        self.file_path = self.name_expressions = None
        self.__name__ = name


class StandInRawModule:
    """``cupy.RawModule``'s attributes, where CuPy is not installed."""
    __slots__ = ("code", "file_path", "options", "backend", "name_expressions")

    def __init__(self, *, code=None, path=None, options=(), backend="nvrtc", name_expressions=None, **flags):
        if code is None:
            raise TypeError("the simulator compiles CUDA source only: give code=")
        self.code, self.file_path, self.options, self.backend = code, path, tuple(options), backend
        self.name_expressions = name_expressions


def raw_classes():
    """``(RawModule, RawKernel)`` to subclass: CuPy's own, else the stand-ins."""
    cupy = real_cupy()
    if cupy is None:
        return StandInRawModule, StandInRawKernel
    from cupy._core.raw import RawKernel, RawModule
    return RawModule, RawKernel


@functools.cache
def nvrtc():
    """``cupy.cuda.nvrtc`` where CuPy and libnvrtc load (no GPU needed), else None."""
    cupy = real_cupy()
    if cupy is None:
        return None
    try:
        from cupy.cuda import nvrtc as module
        module.getVersion()
    except Exception:  # libnvrtc missing: the simulator still runs the kernels
        return None
    return module
