"""Fused elementwise regions on the CPU: a ``Composite``'s generated C++ loop (codegen/host.py),
compiled in the background once the region has done enough work, NumPy until then.

A thunk starts on NumPy: the Composite's inner nodes' own thunks, NumPy's results exactly.
Once the node has computed ``config.cpu_compile_after`` elements its kernel is requested from the background compiler (backends/host_compiler.py), and the first call
after the kernel is ready switches to it: small functions called a few times (most of a
test suite) never compile anything, a workload's hot regions compile within its first
calls, and no call waits for the compiler (``cpu_compile_after = 0``: the first call builds
and waits, for tests and for reproducible timings). Switching is one attribute assignment,
so threads calling one function at once each see NumPy or the kernel, never half of one.

A call fills C-contiguous outputs of the broadcast shape (buffers kept or recycled across
calls), split into chunks over ``config.cpu_threads`` threads when large
(runtime/host_threads.py); its layout is worked out once per layout (``_Layouts``), so a
kernel call costs about what one NumPy call does and kernels serve every size. Empty
outputs, misaligned strides and a compile that failed (one warning) run NumPy.
"""
import concurrent.futures
import ctypes
import math
import sys
import threading
import warnings

import numpy as np

from ..codegen import host
from ..config import config
from ..errors import CodegenWarning
from ..graph.basic import Constant
from .elementwise import _broadcast, _geometry
from .host_threads import GRAIN, split

_warned = set()
_kernels_lock = threading.Lock()
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


class _Kernel:
    """The state of one node's kernel: work done, the compile requested, the kernel once ready."""

    def __init__(self, op, source, entry=host.KERNEL_NAME):
        self.op, self.source, self.entry, self.work, self.future, self.fn = op, source, entry, 0, None, None
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
            self.future = host_compiler.request(self.source, _named(self.op), self.entry)
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
    return f"{str(op).split('{', 1)[0]}{{{shown}}}"


def _kernel_of(op):
    """The state shared by every thunk of the same host source (the linked copies of a
    function that threads call at once, functions of the same region): they warm up and
    switch together. The smallest ``cpu_compile_after`` of their compilations holds. (Not
    by op: equal Composites, by their CUDA source, may differ in which inputs broadcast.)"""
    return shared_kernel(op, host.render(op), host.KERNEL_NAME)


def shared_kernel(op, source, entry):
    """The ``_Kernel`` of host ``source`` (function ``entry``) shared by every thunk of it."""
    with _kernels_lock:
        kernel = _KERNELS.get(source)
        if kernel is None:
            kernel = _KERNELS[source] = _Kernel(op, source, entry)
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
    """The thunk of CPU Composite ``node``: its kernel once built, NumPy until then. A call
    of the kernel costs about what one NumPy call does (~2.5 µs more than its loop), so the
    kernel serves every size: a region has two nodes or more."""
    kernel = _kernel_of(op)
    numpy = numpy_thunk(op, storage_in, storage_out)
    layouts = _Layouts(op, node)
    n_in = len(node.inputs)
    args = (ctypes.c_void_p * (n_in + len(node.outputs)))()  # this thunk's own: one thread calls it at a time
    buffers = (_kept_buffers if node.tag.get("reuse") else _recycled_buffers)([d for d, _ in layouts.outs])

    def thunk():
        call = kernel_call(kernel, layouts, storage_in)
        if call is None:
            return numpy()
        fn, values, (shape, n, table, narrowed) = call
        results = buffers(shape)
        bind(args, values, results)
        if n < 2 * GRAIN:
            fn(args, table, 0, n)
        else:
            split(lambda begin, end: fn(args, table, begin, end), n)
        for cell, out, want in zip(storage_out, results, narrowed):
            cell[0] = out if want is None else out[want]
    return thunk


def kernel_call(kernel, layouts, storage_in):
    """``(fn, values, plan)`` where the kernel serves this call (built, and the layout one it
    takes: ``layouts.plan``), else None: NumPy serves it."""
    fn = kernel.fn or kernel.ready([c[0] for c in storage_in])
    if fn is None:
        return None
    values = [c[0] for c in storage_in]
    plan = layouts.plan(values)
    return None if plan is None else (fn, values, plan)


def bind(args, values, results):
    """The data pointers of ``values`` then ``results`` into the kernel's ``args``."""
    for k, a in enumerate(values):
        args[k] = address(a)
    n_in = len(values)
    for k, r in enumerate(results):
        args[n_in + k] = address(r)


class _Layouts:
    """What a call needs to know of its arguments' layout (the output shape and size, the
    strided path's table, the outputs narrowed to their static shapes), worked out once per
    layout: a call whose arguments repeat their dtypes, shapes and strides only looks it up."""

    def __init__(self, op, node):
        self.op, self.scalars = op, host.scalar_inputs(op)
        self.dtypes = [np.dtype(v.dtype) for v in node.inputs]
        self.static = [v.type.shape for v in node.inputs]
        self.outs = [(np.dtype(o.dtype), o.type.shape) for o in node.outputs]
        self.ndim, self.known = node.outputs[0].ndim, {}

    def plan(self, values):
        """``(shape, size, table, narrowed)`` for ``values`` (converted in place where one is
        not an array of its dtype), or None where NumPy serves them better."""
        try:  # the type too: a NumPy scalar has an array's dtype, shape and strides, not its memory
            key = tuple([(type(v), v.dtype, v.shape, v.strides) for v in values])
            found = self.known.get(key)
        except AttributeError:  # a Python scalar
            found = key = None
        if found is not None:
            return found or None
        for k, (v, d) in enumerate(zip(values, self.dtypes)):
            if type(v) is not np.ndarray or v.dtype != d:
                values[k], key = np.asarray(v, d), None  # converted: not a layout to remember
        plan = self._work_out(values)
        if key is not None:
            if len(self.known) > 64:
                self.known.clear()
            self.known[key] = plan or ()
        return plan

    def _work_out(self, values):
        shape = _broadcast(self.op, self.ndim, self.static, values)
        n = math.prod(shape)
        if n == 0 or any(s % v.itemsize for v in values for s in v.strides):
            return None
        table = None
        if not all(v.shape == shape and v.flags.c_contiguous for k, v in enumerate(values) if k not in self.scalars):
            table = _geometry(shape, self.static, values)
        narrowed = []
        for _, out_static in self.outs:
            want = tuple(1 if s == 1 else m for s, m in zip(out_static, shape))
            narrowed.append(None if want == shape else tuple(slice(0, m) for m in want))
        return shape, n, None if table is None else _Table(table), narrowed


class _Table:
    """A strided path's table, kept alive beside the pointer the kernel reads."""
    __slots__ = ("array", "_as_parameter_")

    def __init__(self, array):
        self.array, self._as_parameter_ = array, array.ctypes.data


def _data_address():
    """The fastest reader of an array's data pointer (``a.ctypes.data`` costs ~0.9 µs): the
    pointer field of NumPy's array struct, found by probing two arrays (its place is part
    of NumPy's stable ABI, after the object header), else ``a.ctypes.data``."""
    probes = [np.arange(3.0), np.arange(5, dtype=np.int8)]
    for offset in range(8, 72, 8):
        if all(ctypes.c_void_p.from_address(id(p) + offset).value == p.ctypes.data for p in probes):
            return lambda a: ctypes.c_void_p.from_address(id(a) + offset).value
    return lambda a: a.ctypes.data


address = _data_address()


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
