"""The exceptions of gpugrad; every one names its culprit in the message."""
import pickle

import numpy as np


class GpugradError(Exception):
    """Base class of every error gpugrad raises on purpose."""


class GraphError(GpugradError):
    """A graph that breaks an invariant: a cycle, an output whose owner is wrong, a bad type."""


class InputError(GpugradError, TypeError):
    """A compiled function was called with the wrong number, rank, dtype or shape of arguments."""


class OpContractError(GpugradError, TypeError):
    """A user-defined op broke the Op contract: its make_node, perform, grad or R_op gave the
    wrong number, dtype or shape of results; the message names the op."""


class ShapeError(GpugradError, ValueError):
    """Shapes that cannot work together, found while building or while running a graph."""


class MissingInputError(GpugradError):
    """The outputs of a function need a variable that is not among its inputs."""


class DuplicateUpdateError(GpugradError, ValueError):
    """``function`` was given two updates for one shared variable."""


class UnusedInputError(GpugradError):
    """An input of a function is not needed by any output (on_unused_input='raise')."""


class DistributionError(GpugradError, ValueError):
    """Parameters a distribution cannot take: negative probabilities, more samples without
    replacement than there are values."""


class DisconnectedInputError(GpugradError, ValueError):
    """``wrt`` is not part of the graph of the cost."""


class NullTypeGradError(GpugradError, TypeError):
    """A gradient that is undefined (``undefined_grad`` or an op without one) was used."""


class GradientError(GpugradError, AssertionError):
    """verify_grad found the analytic gradient far from finite differences."""

    def __init__(self, message, abs_err, rel_err, where):
        super().__init__(message)
        self.abs_err, self.rel_err, self.where = abs_err, rel_err, where


class PicklingError(GpugradError, pickle.PicklingError):
    """A gpugrad object holds something pickle cannot save; the message names the object and what."""


class DeviceMemoryError(GpugradError, MemoryError):
    """A device allocation failed; the message names the node and the bytes it asked for."""


class HostMemoryError(GpugradError, MemoryError):
    """A host allocation failed (NumPy's MemoryError); the message names the node that asked."""


class CacheWarning(UserWarning):
    """gpugrad's cache of compiled code is not used as configured (a folder another user could
    write, a read-only one, no HOME), or one of its artifacts was damaged and is built again."""


class CodegenWarning(UserWarning):
    """The CPU's generated kernels are not used (no C++ compiler, ``config.cpu_codegen`` off, a
    kernel that failed to compile): NumPy runs those regions node by node, as before."""


class DeviceError(GpugradError, ValueError):
    """A device the machine does not have: ``cuda:7`` where there are fewer GPUs."""


class DeviceFallbackWarning(UserWarning):
    """A CUDA device was requested but none is usable, so the function runs on the CPU."""


class LinAlgError(GpugradError, np.linalg.LinAlgError):
    """A matrix the op cannot handle: singular (solve, inverse), not positive definite
    (cholesky), without a real logarithm (logm). Also a ``numpy.linalg.LinAlgError``, so
    code written for NumPy catches it."""


class NanGuardError(GpugradError, AssertionError):
    """NanGuardMode found a NaN, an infinity or a huge value; the message names the node."""


class DebugModeError(GpugradError, AssertionError):
    """A DebugMode self-check failed: a node's result has the wrong type, or a result differs
    from the unoptimized graph's."""


class ComputeTestValueError(GpugradError, ValueError):
    """``config.compute_test_value``: a variable has no test value, or an op fails on them."""
