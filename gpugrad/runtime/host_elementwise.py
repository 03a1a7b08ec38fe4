"""Fused elementwise regions on the CPU: a ``Composite``'s generated C++ loop (codegen/host.py),
compiled in the background once the region has done enough work, NumPy until then.

A thunk starts on NumPy: the Composite's inner nodes' own thunks, NumPy's results exactly. Once the node has computed ``config.cpu_compile_after`` elements its kernel
is requested from the background compiler (backends/host_compiler.py), and the first call
after the kernel is ready switches to it: small functions called a few times (most of a
test suite) never compile anything, a workload's hot regions compile within its first
calls, and no call waits for the compiler (``cpu_compile_after = 0``: the first call builds
and waits, for tests and for reproducible timings). Switching is one attribute assignment,
so threads calling one function at once each see NumPy or the kernel, never half of one.

A call fills fresh C-contiguous outputs of the broadcast shape, split into chunks over
``config.cpu_threads`` threads when large (ctypes releases the GIL during each chunk; one
shared pool, so concurrent calls never run more kernel threads than cores). Empty outputs,
misaligned strides, small outputs (under ``SMALL`` elements, where NumPy's calls cost less)
and a compile that failed (one warning) run NumPy.
"""
import concurrent.futures
import ctypes
import math
import os
import sys
import threading
import warnings

import numpy as np

from ..codegen import elementwise as codegen, host
from ..config import config
from ..errors import CodegenWarning
from ..graph.basic import Constant
from .elementwise import _broadcast, _narrow

CHUNK = 1 << 16  # elements below which splitting over threads costs more than it saves
SMALL = 1 << 12  # outputs below which NumPy's calls (a few µs a node) beat the kernel's ~10 µs call
_warned = set()
_pool_lock = threading.Lock()
_pools = {}
_KERNELS = {}  # host source -> _Kernel


def enabled():
    """Whether CPU regions get generated kernels; the first time it cannot, one warning says why."""
    from ..backends import host_compiler
    why = "config.cpu_codegen is False (GPUGRAD_CPU_CODEGEN=0)" if not config.cpu_codegen else \
        "no C++ compiler was found (g++, c++ or $CXX)" if host_compiler.compiler() is None else ""
    if why:
        warn_once(f"gpugrad: fused CPU regions run NumPy node by node: {why}")
    return not why


def warn_once(message):
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, CodegenWarning, stacklevel=3)


def threads():
    return config.cpu_threads or len(os.sched_getaffinity(0))  # 0.3 µs: only for large outputs


def _pool(count):
    with _pool_lock:
        if count not in _pools:
            _pools[count] = concurrent.futures.ThreadPoolExecutor(count - 1, thread_name_prefix="gpugrad-cpu")
        return _pools[count]


class _Kernel:
    """The state of one node's kernel: work done, the compile requested, the kernel once ready."""

    def __init__(self, op, source):
        self.op, self.source, self.work, self.future, self.fn = op, source, 0, None, None
        self.failed = bool(op.by_value)
        self.after = config.cpu_compile_after  # as when the function was compiled

    def ready(self, values):
        """The kernel if it may run now (requesting it once the node is hot), else None."""
        if self.failed:
            return None
        if self.future is None:
            self.work += max((np.size(v) for v in values), default=1)
            if self.work < self.after:
                return None
            from ..backends import host_compiler
            self.future = host_compiler.request(self.source, _named(self.op), host.KERNEL_NAME)
        if not self.future.done():
            if self.after:
                return None
            concurrent.futures.wait([self.future])
        try:
            self.fn = self.future.result()
        except Exception as exc:  # noqa: BLE001 - any failure leaves NumPy running this node
            self.failed = True
            warn_once(f"gpugrad: {self.op} runs with NumPy: its CPU kernel failed to build: {exc}")
        return self.fn


def _named(op, most=6):
    """``composite{exp,mul,add}``; a long region by its first few ops and their count."""
    ops = [str(n.op) for n in op.nodes]
    shown = ",".join(ops[:most]) + (f",... ({len(ops)} ops)" if len(ops) > most else "")
    return f"composite{{{shown}}}"


def _kernel_of(op):
    """The state shared by every thunk of the same host source (the linked copies of a
    function that threads call at once, functions of the same region): they warm up and
    switch together. The smallest ``cpu_compile_after`` of their compilations holds. (Not
    by op: equal Composites, by their CUDA source, may differ in which inputs broadcast.)"""
    source = host.render(op)
    with _pool_lock:
        kernel = _KERNELS.get(source)
        if kernel is None:
            kernel = _KERNELS[source] = _Kernel(op, source)
        kernel.after = min(kernel.after, config.cpu_compile_after)
        return kernel


def numpy_thunk(op, storage_in, storage_out):
    """The inner graph as NumPy calls: each inner node's own thunk (ops/elemwise.py's fast
    path, a few µs a node) over cells of its own, rather than ``perform``'s walk."""
    cells = {v: [v.data] if isinstance(v, Constant) else [None] for n in op.nodes for v in n.inputs}
    cells.update({o: [None] for n in op.nodes for o in n.outputs})
    thunks = [n.op.make_thunk(n, [cells[v] for v in n.inputs], [cells[o] for o in n.outputs]) for n in op.nodes]
    pairs = [(cells[v], c) for v, c in zip(op.inputs, storage_in) if v in cells]
    results = [(cells[o], c) for o, c in zip(op.outputs, storage_out)]

    def thunk():
        for inner, outer in pairs:
            inner[0] = outer[0]
        for t in thunks:
            t()
        for inner, outer in results:
            outer[0], inner[0] = inner[0], None
    return thunk


def host_thunk(op, node, storage_in, storage_out):
    """The thunk of CPU Composite ``node``: its kernel once built (for outputs of ``SMALL``
    elements or more), NumPy until then."""
    kernel = _kernel_of(op)
    numpy = numpy_thunk(op, storage_in, storage_out)
    scalars = host.scalar_inputs(op)
    dtypes = [np.dtype(v.dtype) for v in node.inputs]
    static = [v.type.shape for v in node.inputs]
    arrays = [k for k in range(len(static)) if k not in scalars]
    plain = all(1 not in static[k] for k in arrays)  # no broadcasting among the arrays: one shape
    outs = [(np.dtype(o.dtype), o.type.shape) for o in node.outputs]
    ndim, n_args, geometries = node.outputs[0].ndim, len(node.inputs) + len(node.outputs), {}
    pointers = ctypes.c_void_p * n_args
    buffers = (_kept_buffers if node.tag.get("reuse") else _recycled_buffers)([d for d, _ in outs])

    def thunk():
        fn = kernel.fn or kernel.ready([c[0] for c in storage_in])
        if fn is None:
            return numpy()
        values = [v if type(v) is np.ndarray and v.dtype == d else np.asarray(v, d)
                  for v, d in zip((c[0] for c in storage_in), dtypes)]
        shapes = {values[k].shape for k in arrays} if plain else ()
        shape = shapes.pop() if len(shapes) == 1 else _broadcast(op, ndim, static, values)
        n = math.prod(shape)
        if n < SMALL or any(s % v.itemsize for v in values for s in v.strides):
            return numpy()
        results = buffers(shape)
        geometry = None
        if not all(v.shape == shape and v.flags.c_contiguous for k, v in enumerate(values) if k not in scalars):
            geometry = _geometry(geometries, shape, static, values)
        args = pointers(*(a.ctypes.data for a in values), *(r.ctypes.data for r in results))
        _run(fn, args, geometry, n)
        for cell, out, (_, out_static) in zip(storage_out, results, outs):
            cell[0] = _narrow(out, out_static, shape)
    return thunk


def _kept_buffers(dtypes):
    """Outputs that never leave the call (``node.tag["reuse"]``, rewrites/memory.py): the
    previous call's arrays while the shape holds, so large ones are not faulted in again."""
    held = [None]

    def buffers(shape):
        if held[0] is None or held[0][0].shape != shape:
            held[0] = [np.empty(shape, d) for d in dtypes]
        return held[0]
    return buffers


def _recycled_buffers(dtypes, keep=2):
    """Outputs that leave the call: fresh arrays, except that the results of the last ``keep``
    calls are written again once nothing but this thunk refers to them (a shared variable's
    previous value after its update, a result the caller dropped): nobody can see it happen,
    and large results are not faulted in again."""
    held = []

    def buffers(shape):
        for k, arrays in enumerate(held):
            if arrays[0].shape == shape and all(sys.getrefcount(arrays[i]) == 2 for i in range(len(arrays))):
                held.append(held.pop(k))
                return arrays
        held.append([np.empty(shape, d) for d in dtypes])
        if len(held) > keep:
            held.pop(0)
        return held[-1]
    return buffers


def _geometry(cache, shape, static, values):
    """The strided path's table (``codegen.geometry``), kept per shape and strides."""
    key = (shape, *(v.strides for v in values))
    table = cache.get(key)
    if table is None:
        if len(cache) > 64:
            cache.clear()
        strides = [[0 if s[d] == 1 else v.strides[d] // v.itemsize for d in range(len(shape))]
                   for v, s in zip(values, static)]
        table = cache[key] = codegen.geometry(shape, strides)
    return table


def _run(fn, args, geometry, n):
    """``fn`` over ``[0, n)``: in this thread, or in chunks over the pool and this thread."""
    table = geometry.ctypes.data if geometry is not None else None
    if n < 2 * CHUNK:
        fn(args, table, 0, n)
        return
    count = threads()
    parts = min(count, n // CHUNK)
    if parts <= 1:
        fn(args, table, 0, n)
        return
    step = ((n + parts - 1) // parts + 63) // 64 * 64  # whole cache lines per chunk
    bounds = [(b, min(b + step, n)) for b in range(0, n, step)]
    pool = _pool(count)
    futures = [pool.submit(fn, args, table, b, e) for b, e in bounds[1:]]
    fn(args, table, *bounds[0])
    for f in futures:
        f.result()
