"""The CUDA facet the linear algebra ops share: each op's CuPy routine (cuSOLVER and cuBLAS
through CuPy; the simulated CuPy's on ``cuda-sim``), declared beside the op by
``cupy_routine``, run on the node's device with the host's errors: where cuSOLVER reports a
singular or indefinite matrix only through its info, ``cupyx.errstate(linalg="raise")``
makes CuPy check it, and a non-finite result from finite input is that failure too.

A routine is ``routine(cp, cupyx, op, *values)`` -> the list of results, with ``cp`` and
``cupyx`` the backend's array modules.
"""
import numpy as np

from ..errors import LinAlgError
from ..graph.op import CudaFacet
from ..runtime.device_arrays import backend_for
from .base import check_square

LAPACK_DTYPES = ("float32", "float64", "complex64", "complex128")


def _lapack_dtypes(node):
    return all(v.dtype in LAPACK_DTYPES for v in node.inputs)


def run(be, op, routine, failure, values):
    """``routine`` on ``be``'s device, a reported failure (``failure``: what it means, or None
    where the routine has none) raised as the host's ``LinAlgError``."""
    cp, cupyx = be.xp, be.cupyx
    with be.context():
        if failure is None:
            return routine(cp, cupyx, op, *values)
        try:
            with cupyx.errstate(linalg="raise"):
                results = routine(cp, cupyx, op, *values)
        except np.linalg.LinAlgError:
            raise LinAlgError(f"{op}: {failure}") from None
        if not all(bool(cp.isfinite(r).all()) for r in results) and all(bool(cp.isfinite(v).all()) for v in values):
            raise LinAlgError(f"{op}: {failure}")
    return results


def cupy_routine(routine, what, failure=None):
    """The CUDA facet of an op computed by ``routine`` (``what`` names the CuPy call)."""
    def make(device, node, storage_in, storage_out):
        be, dtypes_out = backend_for(device), [o.dtype for o in node.outputs]

        def thunk():
            results = run(be, node.op, routine, failure, [c[0] for c in storage_in])
            for cell, result, dtype in zip(storage_out, results, dtypes_out):
                cell[0] = result.astype(dtype, copy=False)
        return thunk
    return CudaFacet(f"{what} (linalg/device.py)", thunk=make, accepts=_lapack_dtypes)


def square(routine):
    """The routine ``routine(cp, op, a)`` of one square stack, checked as the op's ``perform``
    checks it, its result (one array or a tuple) as a list."""
    def call(cp, cupyx, op, a):
        check_square(op, a)
        result = routine(cp, op, a)
        return list(result) if isinstance(result, tuple) else [result]
    return call


def mirrored(cp, a, lower, hermitian):
    """The matrix that LAPACK reads from one triangle of ``a`` (``base.hermitian_from``)."""
    strict = cp.tril(a, -1) if lower else cp.triu(a, 1)
    mirror = strict.swapaxes(-1, -2)
    diagonal = a * cp.eye(a.shape[-1], dtype=a.dtype)
    if hermitian and a.dtype.kind == "c":
        mirror, diagonal = mirror.conj(), diagonal.real.astype(a.dtype)
    return strict + mirror + diagonal
