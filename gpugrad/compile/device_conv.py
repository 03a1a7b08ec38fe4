"""Device thunks of the convolution and pooling ops, for ``launch._THUNKS``, and their
placement rules, for ``placement.DEVICE_OPS`` and ``SIZE_INPUTS``.

``Im2Col`` and ``Col2Im`` (``ops/patches.py``) run ``kernels/im2col.cu`` and ``col2im.cu``
(the products between them are ``Dot``: cuBLAS through ``cupy.matmul``); ``Pool``,
``PoolGrad`` and ``MaxPoolRop`` (``ops/pool.py``) run ``kernels/pool_window.cu`` and
``pool_backward.cu``, every dtype but float16. Their sizes (channels, kernel and image
sizes) are read on the host; the ops check the geometry there before a launch.
"""
from ..backends import conv_kernels
from ..backends.load import C_TYPES
from ..ops.patches import Col2Im, Im2Col
from ..ops.pool import MaxPoolRop, Pool, PoolGrad
from .device_arrays import library_for

_KERNEL_DTYPES = tuple(str(dt) for dt in C_TYPES)


def _kernel_dtypes(node):
    return all(v.dtype in _KERNEL_DTYPES for v in node.inputs[:2] + node.outputs)


def _sizes(node):
    return set(range(1, len(node.inputs)))


def im2col_thunk(device, node, storage_in, storage_out):
    library, op = library_for(device), node.op
    (x_cell, channels_cell, *kernel_cells), (dst,) = storage_in, storage_out

    def thunk():
        x, kernels = x_cell[0], [int(c[0]) for c in kernel_cells]
        outs, pads = op.geometry(x.shape, int(channels_cell[0]), kernels)
        dst[0] = conv_kernels.im2col(library, x, kernels, outs, [lo for lo, _ in pads], op.strides, op.dilations)
    return thunk


def col2im_thunk(device, node, storage_in, storage_out):
    library, op = library_for(device), node.op
    (cols_cell, *size_cells), (dst,) = storage_in, storage_out

    def thunk():
        cols, sizes = cols_cell[0], [int(c[0]) for c in size_cells]
        _, _, pads = op.geometry(cols.shape, sizes)
        dst[0] = conv_kernels.col2im(library, cols, sizes, [lo for lo, _ in pads], op.strides, op.dilations)
    return thunk


def pool_thunk(device, node, storage_in, storage_out):
    """``Pool`` (x pooled by itself), ``MaxPoolRop`` (the tangent pooled where x is largest)
    and ``PoolGrad`` (the gradient spread back over the windows)."""
    library, op = library_for(device), node.op
    geometry = (op.mode, op.ws, op.stride, op.pad)
    cells, (dst,) = storage_in, storage_out

    def thunk():
        x = cells[0][0]
        if isinstance(op, Pool):
            dst[0] = conv_kernels.pool_window(library, x, x, *geometry, op.checked_out_shape(x.shape))
            return
        other = cells[1][0]
        op.check_shapes(x.shape, other.shape)
        if isinstance(op, MaxPoolRop):
            dst[0] = conv_kernels.pool_window(library, x, other, *geometry, op.out_shape(x.shape))
        else:
            dst[0] = conv_kernels.pool_backward(library, x, other, *geometry)
    return thunk


DEVICE_OPS = {
    Im2Col: (_kernel_dtypes, "kernels/im2col.cu (compile/device_conv.py)"),
    Col2Im: (_kernel_dtypes, "kernels/col2im.cu (compile/device_conv.py)"),
    Pool: (_kernel_dtypes, "kernels/pool_window.cu (compile/device_conv.py)"),
    MaxPoolRop: (_kernel_dtypes, "kernels/pool_window.cu (compile/device_conv.py)"),
    PoolGrad: (_kernel_dtypes, "kernels/pool_backward.cu (compile/device_conv.py)"),
}
SIZE_INPUTS = {Im2Col: _sizes, Col2Im: _sizes}
THUNKS = {Im2Col: im2col_thunk, Col2Im: col2im_thunk, Pool: pool_thunk, MaxPoolRop: pool_thunk, PoolGrad: pool_thunk}
