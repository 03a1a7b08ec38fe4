"""The small interface every kernel backend implements, and the errors a launch can raise.

A backend owns device memory and runs CUDA C: ``allocate`` / ``to_device`` /
``to_host`` move arrays, ``load_module`` compiles a source string with options and
``Module.get_function`` names one ``extern "C" __global__`` kernel of it, ``launch``
runs it over a grid, ``synchronize`` waits for the device. ``cuda`` does this over
CuPy on a GPU; ``cuda-sim`` runs the same sources on the CPU over NumPy arrays.
"""
import abc
import contextlib
import dataclasses

from ..errors import GpugradError


class KernelCompileError(GpugradError):
    """A kernel source did not compile; the message carries the compiler log and the source's path."""


class KernelLaunchError(GpugradError, RuntimeError):
    """A launch failed: a bad configuration, a device-side assert, a fault."""


class OutOfBoundsError(KernelLaunchError, IndexError):
    """A kernel read or wrote memory outside the buffers it was given."""


class BarrierDeadlockError(KernelLaunchError):
    """Threads of a block wait at a barrier that others will never reach."""


class KernelArgumentError(GpugradError, TypeError):
    """A kernel was launched with the wrong number or types of arguments."""


@dataclasses.dataclass
class Counts:
    """What the host asked of a device: ``launches`` (each kernel launch or graph launch the
    host makes), ``kernels`` (the kernels the device ran: a graph runs several), device
    memory ``allocations`` and their bytes, copies ``to_device`` and ``to_host`` and theirs."""
    launches: int = 0
    kernels: int = 0
    allocations: int = 0
    allocated_bytes: int = 0
    to_device: int = 0
    to_device_bytes: int = 0
    to_host: int = 0
    to_host_bytes: int = 0

    def since(self, earlier):
        """The counts between ``earlier`` (a copy taken then) and now."""
        return Counts(*(getattr(self, f.name) - getattr(earlier, f.name) for f in dataclasses.fields(self)))

    def copy(self):
        return dataclasses.replace(self)

    def add(self, other):
        """Add ``other``'s counts to these."""
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


MAX_THREADS_PER_BLOCK = 1024
MAX_DYNAMIC_SHARED = 48 * 1024


def dim3(value, what):
    """``value`` (an int or a tuple of up to three ints) as a checked (x, y, z) triple."""
    dims = (value,) if isinstance(value, int) else tuple(value)
    if not 1 <= len(dims) <= 3 or not all(isinstance(d, int) and d >= 1 for d in dims):
        raise KernelLaunchError(f"{what} must be 1 to 3 positive ints, got {value!r}")
    return dims + (1,) * (3 - len(dims))


def check_launch(kernel_name, grid, block, shared_mem):
    """The launch limits every CUDA device of compute capability 8.0+ enforces."""
    grid, block = dim3(grid, "grid"), dim3(block, "block")
    if block[0] * block[1] * block[2] > MAX_THREADS_PER_BLOCK or block[2] > 64:
        raise KernelLaunchError(f"kernel {kernel_name!r}: block {block} has more than "
                                f"{MAX_THREADS_PER_BLOCK} threads or z > 64")
    if grid[0] >= 2**31 or grid[1] > 65535 or grid[2] > 65535:
        raise KernelLaunchError(f"kernel {kernel_name!r}: grid {grid} exceeds (2**31-1, 65535, 65535)")
    if not 0 <= shared_mem <= MAX_DYNAMIC_SHARED:
        raise KernelLaunchError(f"kernel {kernel_name!r}: {shared_mem} bytes of dynamic shared memory "
                                f"(at most {MAX_DYNAMIC_SHARED})")
    return grid, block


class Module(abc.ABC):
    """A compiled source; ``get_function(name)`` returns a launchable kernel of it."""

    @abc.abstractmethod
    def get_function(self, name):
        """The ``extern "C" __global__`` kernel ``name``."""


class Backend(abc.ABC):
    """Device memory plus CUDA C modules; see the module docstring."""

    name = None

    @abc.abstractmethod
    def allocate(self, shape, dtype):
        """An uninitialised device array."""

    @abc.abstractmethod
    def to_device(self, array):
        """A device copy of a host array."""

    @abc.abstractmethod
    def to_host(self, array):
        """A NumPy copy of a device array."""

    @abc.abstractmethod
    def load_module(self, source, options=(), name="module"):
        """Compile ``source`` with compiler ``options`` (``-D``, ``-I``, ...) into a ``Module``."""

    @abc.abstractmethod
    def launch(self, kernel, grid, block, args, shared_mem=0):
        """Run ``kernel`` on ``grid`` x ``block`` threads; args are device arrays and scalars."""

    @abc.abstractmethod
    def synchronize(self):
        """Wait until every launched kernel has finished."""

    def context(self):
        """``with backend.context():`` runs device calls on this backend's device (a backend of
        one device has nothing to switch)."""
        return contextlib.nullcontext()

    def name_parameters(self, kernel, names):
        """Let launch errors of ``kernel`` name its parameters ``names``; nothing by default
        (CuPy's kernels take no new attributes; the simulated CuPy reads them from the source)."""
