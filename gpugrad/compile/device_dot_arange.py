"""Device thunks of ``Dot`` and ``ARange``, for ``launch._THUNKS``: every dtype of both on the device.

``Dot`` is one (batched) matmul of (batch, M, K) by (batch, K, N) views, as ``Dot.perform``.
Its operands are first cast on the device to the result's dtype (NumPy's matmul casts to the
common type too). A float or complex product is a library call: cuBLAS through ``cupy.matmul``
(on ``cuda-sim`` the simulated CuPy's, NumPy's matmul underneath). An integer or bool product has no library routine, so it is ``kernels/int_matmul.cu``
(NumPy's wraparound, and or of ands for bool) on both. ``ARange`` reads start, stop and step
on the host (``placement.SIZE_INPUTS``): they fix the length, and ``kernels/arange.cu`` writes
the values.
"""
import math

import numpy as np

from ..backends import kernels
from ..errors import ShapeError
from .device_arrays import backend_for, library_for, on_host


def dot_thunk(device, node, storage_in, storage_out):
    """``Dot`` of any operand dtypes; see the module docstring."""
    be, library, op = backend_for(device), library_for(device), node.op
    dtype = np.dtype(node.outputs[0].dtype)
    if dtype.kind in "biu":
        def matmul(a, b):
            return kernels.int_matmul(library, a, b)
    else:
        matmul = be.xp.matmul
    nb, nk = op.nbatch, op.ncontract
    (a_cell, b_cell), (dst,) = storage_in, storage_out

    def thunk():
        a, b = a_cell[0], b_cell[0]
        if a.shape[a.ndim - nk:] != b.shape[nb:nb + nk]:
            raise ShapeError(f"dot: the contracted axes of shapes {a.shape} and {b.shape} differ")
        op._check_batch(node, a.shape, b.shape)
        rows, cols, k = a.shape[nb:a.ndim - nk], b.shape[nb + nk:], math.prod(b.shape[nb:nb + nk])
        out = matmul(kernels.reshape(library, kernels.astype(library, a, dtype), a.shape[:nb] + (math.prod(rows), k)),
                     kernels.reshape(library, kernels.astype(library, b, dtype), b.shape[:nb] + (k, math.prod(cols))))
        dst[0] = out.reshape(out.shape[:nb] + rows + cols)
    return thunk


def arange_thunk(device, node, storage_in, storage_out):
    """``ARange`` with start, stop and step on the host (a device result among them copied back)."""
    library, dtype = library_for(device), node.outputs[0].dtype
    (dst,) = storage_out

    def thunk():
        start, stop, step = (np.asarray(on_host(device, c[0])).item() for c in storage_in)
        dst[0] = kernels.arange(library, start, stop, step, dtype)
    return thunk
