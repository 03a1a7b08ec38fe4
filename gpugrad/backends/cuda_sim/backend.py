"""The ``cuda-sim`` backend: CUDA C kernels run on the CPU over guarded NumPy arrays.

A launch checks every argument against the parameter types the compiled kernel
reports (``gg_params_<name>``), converting Python scalars the way CuPy does (int ->
int64, float -> float64, complex -> complex128), so a kernel launched with a
mismatched argument fails here exactly where it would misbehave on a GPU. The grid then
runs inside the shim's runtime, which turns faults into a status: an address in a
guard of ``memory`` is reported as an out-of-bounds access naming the argument and the
element. As on a GPU, a pointer not aligned to its element type (16 bytes for complex128)
is refused before the launch, and the order of blocks and threads is left to chance: a
seed drawn per launch (``schedule.py``), named in every launch error so it can be replayed.
"""
import ctypes

import numpy as np

from .. import base
from . import compiler, memory, schedule

_STATUS_ERRORS = {1: base.OutOfBoundsError, 2: base.BarrierDeadlockError, 3: base.KernelLaunchError,
                  4: base.KernelLaunchError, 5: base.KernelLaunchError}
_PYTHON_SCALARS = ((bool, np.dtype(np.bool_)), (int, np.dtype(np.int64)), (float, np.dtype(np.float64)),
                   (complex, np.dtype(np.complex128)))


class Launch(ctypes.Structure):
    """Mirror of ``gg::Launch`` in shim.h."""
    _fields_ = [("grid", ctypes.c_uint * 3), ("block", ctypes.c_uint * 3), ("args", ctypes.POINTER(ctypes.c_void_p)),
                ("nargs", ctypes.c_int), ("fibers", ctypes.c_int), ("status", ctypes.c_int),
                ("seed", ctypes.c_ulonglong), ("dynamic_shared", ctypes.c_void_p),
                ("dynamic_shared_bytes", ctypes.c_ulonglong), ("stacks", ctypes.c_void_p),
                ("fault_addr", ctypes.c_void_p),
                ("fault_write", ctypes.c_int), ("fault_signal", ctypes.c_int), ("thread", ctypes.c_uint * 3),
                ("block_at", ctypes.c_uint * 3), ("message", ctypes.c_char * 512)]


class SimKernel:
    """One kernel of a loaded module: its entry point and its parameter dtypes."""

    def __init__(self, module, name):
        self.name, self.module, self.fibers = name, module, module.fibers
        self.entry = module.lib[f"gg_launch_{name}"]
        self.entry.argtypes, self.entry.restype = (ctypes.POINTER(Launch),), ctypes.c_int
        params = module.lib[f"gg_params_{name}"]
        params.restype = ctypes.c_char_p
        codes = params().decode()
        self.params = [(c.startswith("*"), c.lstrip("*")) for c in codes.split(",")] if codes else []
        self.param_names = None

    def describe(self, i):
        named = f" {self.param_names[i]!r}" if self.param_names else ""
        return f"argument {i}{named} of kernel {self.name!r}"


class SimModule(base.Module):
    def __init__(self, path, names, fibers):
        self.lib, self.fibers, self.path = ctypes.CDLL(str(path)), fibers, path
        self.kernels = {n: SimKernel(self, n) for n in names}

    def get_function(self, name):
        if name not in self.kernels:
            raise KeyError(f'no extern "C" __global__ kernel {name!r} in {self.path} (has {sorted(self.kernels)})')
        return self.kernels[name]


def _scalar_dtype(value):
    if isinstance(value, np.generic):
        return value.dtype
    return next((dt for kind, dt in _PYTHON_SCALARS if isinstance(value, kind)), None)


class SimBackend(base.Backend):
    """See the module docstring."""

    name = "cuda-sim"

    def __init__(self):
        self._modules = {}
        self._shared = memory.empty(0, np.uint8)

    def allocate(self, shape, dtype):
        return memory.empty(shape, dtype)

    def to_device(self, array):
        array = np.asarray(array)
        out = memory.empty(array.shape, array.dtype)
        out[...] = array
        return out

    def to_host(self, array):
        return np.array(array, copy=True)

    def load_module(self, source, options=(), name="module"):
        path, names, fibers = compiler.build(source, tuple(options))
        if path not in self._modules:
            self._modules[path] = SimModule(path, names, fibers)
        return self._modules[path]

    def name_parameters(self, kernel, names):
        kernel.param_names = list(names)

    def synchronize(self):
        """Launches run to completion before they return."""

    def launch(self, kernel, grid, block, args, shared_mem=0):
        grid, block = base.check_launch(kernel.name, grid, block, shared_mem)
        args = list(args)
        if len(args) != len(kernel.params):
            raise base.KernelArgumentError(f"kernel {kernel.name!r} takes {len(kernel.params)} arguments, "
                                           f"got {len(args)}")
        cells, staged = [], []
        for i, param in enumerate(kernel.params):
            args[i], cell = self._pack(kernel, i, args[i], param, staged)
            cells.append(cell)
        if self._shared.size < shared_mem:
            self._shared = memory.empty(-(-shared_mem // 16) * 16, np.uint8)
        pointers = (ctypes.c_void_p * max(1, len(cells)))(*(c.ctypes.data for c in cells))
        launch = Launch(grid=(ctypes.c_uint * 3)(*grid), block=(ctypes.c_uint * 3)(*block), args=pointers,
                        nargs=len(cells), fibers=int(kernel.fibers), seed=schedule.next_launch_seed(),
                        dynamic_shared=self._shared.ctypes.data + self._shared.size - shared_mem,
                        dynamic_shared_bytes=shared_mem, stacks=memory.fiber_stacks() if kernel.fibers else None)
        status = kernel.entry(ctypes.byref(launch))
        for original, copy in staged:
            original[...] = copy
        if status:
            raise self._error(kernel, launch, args)

    def _pack(self, kernel, i, arg, param, staged):
        """The argument as the kernel sees it and a 0-d array holding its bytes (pointer or value)."""
        is_pointer, code = param
        if code == "?":
            raise base.KernelArgumentError(f"{kernel.describe(i)} has a parameter type the simulator cannot pass")
        if is_pointer:
            if not isinstance(arg, np.ndarray):
                raise base.KernelArgumentError(f"{kernel.describe(i)} is a pointer; got {type(arg).__name__}")
            if code != "V" and arg.dtype != np.dtype(code):
                raise base.KernelArgumentError(f"{kernel.describe(i)} points to {np.dtype(code)}; "
                                               f"got a {arg.dtype} array")
            if memory.region_of(arg) is None:
                arg = self._stage(kernel, i, arg, staged)
            address = arg.__array_interface__["data"][0]
            if code != "V" and address % arg.dtype.itemsize:
                raise base.KernelLaunchError(
                    f"{kernel.describe(i)}: misaligned address {address:#x} for {arg.dtype}, which a GPU reads "
                    f"in {arg.dtype.itemsize}-byte words (it faults with 'misaligned address'); copy the view")
            return arg, np.array(address, dtype=np.uintp)
        dtype = _scalar_dtype(arg)
        if dtype != np.dtype(code):
            given = f"a {dtype} scalar" if dtype is not None else type(arg).__name__
            raise base.KernelArgumentError(f"{kernel.describe(i)} is {np.dtype(code)}; got {given} "
                                           f"(Python int/float/complex pass as int64/float64/complex128)")
        return arg, np.array(arg, dtype=dtype)

    def _stage(self, kernel, i, arg, staged):
        """A guarded copy of a host array not made by ``allocate``, copied back after the launch."""
        if not arg.flags.c_contiguous:
            raise base.KernelArgumentError(f"{kernel.describe(i)}: a non-contiguous array not allocated by "
                                           f"this backend (use to_device)")
        copy = self.to_device(arg)
        if arg.flags.writeable:
            staged.append((arg, copy))
        return copy

    def _error(self, kernel, launch, args):
        what = launch.message.decode(errors="replace")
        if launch.status == 1 and launch.fault_signal == 11 and what == "invalid memory access":
            what = self._describe_fault(kernel, launch, args)
        where = f"kernel {kernel.name!r}, block {tuple(launch.block_at)}, thread {tuple(launch.thread)}: "
        return _STATUS_ERRORS.get(launch.status, base.KernelLaunchError)(f"{where}{what} [{schedule.reproduce()}]")

    def _describe_fault(self, kernel, launch, args):
        addr = launch.fault_addr or 0
        access = {1: "write", 0: "read"}.get(launch.fault_write, "access")
        region = memory.locate(addr)
        if region is None:
            return f"invalid memory {access} at {addr:#x}, not near any buffer of this launch"
        side = (f"{addr - region.end} bytes past the end" if addr >= region.end
                else f"{region.start - addr} bytes before the start")
        if region is memory.region_of(self._shared):
            return f"out-of-bounds {access}, {side} of dynamic shared memory"
        for i, arg in enumerate(args):
            if isinstance(arg, np.ndarray) and memory.region_of(arg) is region:
                element = (addr - arg.__array_interface__["data"][0]) // arg.itemsize
                return (f"out-of-bounds {access} of {kernel.describe(i)} at element {element} ({side} of a "
                        f"{arg.dtype} buffer of {(region.end - region.start) // arg.itemsize} elements)")
        return f"out-of-bounds {access}, {side} of a buffer that is not an argument of this launch"
