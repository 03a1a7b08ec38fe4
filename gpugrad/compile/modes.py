"""Compilation modes, as Theano names them: ``function(..., mode=...)``.

A mode chooses the rewrite phases (its ``optimizer``) and may instrument the compiled
function with run-time checks. gpugrad has one linker (nodes in topological order,
intermediates freed after their last reader, ``ifelse`` branches run lazily), so Theano's
``linker`` names (``'vm'``, ``'cvm'``, ``'py'``, ``'c|py'``) are accepted and all mean it.

============== ================================================================
``FAST_RUN``   every rewrite phase
``FAST_COMPILE`` the cheap phases only
``DebugMode``  FAST_RUN, plus per-node checks that each result has its declared dtype and
               shape, and per-call comparison of every result (updates too) with the
               unoptimized graph evaluated by each op's NumPy ``perform`` on the host
``NanGuardMode`` FAST_RUN, raising ``NanGuardError`` on the first node that computes a NaN,
               an infinity or a value above 1e10 in magnitude (each check can be turned
               off), naming the node and its inputs; on every device
``MonitorMode`` calls ``pre_func(i, node, fn)`` and ``post_func(i, node, fn)`` around
               each node; ``fn.inputs`` and ``fn.outputs`` are its storage cells
============== ================================================================
"""
import copy
import functools

import numpy as np

from ..config import config
from ..errors import DebugModeError, NanGuardError
from ..graph.basic import Constant
from ..graph.fgraph import FunctionGraph
from ..ops.transfer import Transfer
from ..rewrites.pipeline import PIPELINE, optimize
from ..runtime.device_arrays import on_host

_OPTIMIZERS = {None: "None", "default": None, "fast_run": "fast_run", "o4": "fast_run", "o3": "fast_run",
               "o2": "fast_run", "unsafe": "fast_run", "merge": "fast_compile", "fast_compile": "fast_compile",
               "o1": "fast_compile", "None": "None"}


# Theano's optimization tags -> the rewrite phases (rewrites/pipeline.py) doing that work
_PHASES_OF_TAG = {"merge": ("merge",), "scan": ("scan",), "canonicalize": ("structure", "canonicalize"),
                  "stabilize": ("stabilize",), "specialize": ("specialize",), "fusion": ("fusion",),
                  "local_elemwise_fusion": ("fusion",), "elemwise_fusion": ("fusion",), "inplace": ("memory",),
                  "blas": ("blas",), "gemm": ("blas",)}


class Mode:
    """An optimizer (None: ``config.optimizer`` when compiling) and Theano's linker name.
    ``excluding``/``including`` take Theano's tags of whole phases (``'fusion'``,
    ``'inplace'``, ``'canonicalize'``, ...; see ``_PHASES_OF_TAG``)."""

    def __init__(self, linker=None, optimizer="default"):
        if optimizer not in _OPTIMIZERS:
            raise ValueError(f"Mode: unknown optimizer {optimizer!r}; use one of "
                             f"{sorted(k for k in _OPTIMIZERS if k)}")
        self.linker, self.optimizer = linker, _OPTIMIZERS[optimizer]
        self.excluded, self.included = frozenset(), frozenset()

    def resolved_optimizer(self):
        return self.optimizer or config.optimizer

    def excluding(self, *tags):
        """This mode without the phases ``tags`` name (a new Mode)."""
        changed = copy.copy(self)
        changed.excluded = self.excluded | _phases(tags)
        return changed

    def including(self, *tags):
        """This mode with the phases ``tags`` name run even if its optimizer skips them."""
        changed = copy.copy(self)
        changed.included = self.included | _phases(tags)
        return changed

    def optimize(self, fgraph, device):
        """Rewrite ``fgraph`` for ``device`` with this mode's phases."""
        optimizer = self.resolved_optimizer()
        if not (self.excluded or self.included):
            return optimize(fgraph, optimizer, device)
        fgraph.device = device
        for phase in PIPELINE.phases:
            if (optimizer in phase.modes or phase.name in self.included) and phase.name not in self.excluded:
                phase.run(fgraph)
        return None

    def instrument(self, fn, reference):
        """Add this mode's run-time checks to the compiled ``fn``; ``reference()`` compiles
        the unoptimized graph for the host. A plain mode adds none."""

    def __repr__(self):
        return f"{type(self).__name__}(optimizer={self.resolved_optimizer()!r})"


def _phases(tags):
    unknown = [tag for tag in tags if tag not in _PHASES_OF_TAG]
    if unknown:
        raise ValueError(f"Mode: unknown optimization tag {unknown[0]!r}; gpugrad's phases are tagged "
                         f"{', '.join(sorted(_PHASES_OF_TAG))}")
    return frozenset(phase for tag in tags for phase in _PHASES_OF_TAG[tag])


class _PerNode(Mode):
    """A mode that runs a check after (and maybe before) every node of the program."""

    def instrument(self, fn, reference):
        fn.instrument(functools.partial(self._wrap_thunks, fn.device))

    def _wrap_thunks(self, device, program):
        for thunks, nodes in program.thunk_lists():
            for i, (node, thunk) in enumerate(zip(nodes, thunks)):
                thunks[i] = self._wrap(device, i, node, thunk, program.cells)

    def _wrap(self, device, i, node, thunk, cells):
        cell_io = _Cells([cells[v] for v in node.inputs], [cells[v] for v in node.outputs])

        def run():
            self.before(device, i, node, cell_io)
            thunk()
            self.after(device, i, node, cell_io)
        return run

    def before(self, device, i, node, cells):
        pass

    def after(self, device, i, node, cells):
        pass


class _Cells:
    """What Theano hands a ``MonitorMode`` function as ``fn``: the node's storage cells."""

    def __init__(self, inputs, outputs):
        self.inputs, self.outputs = inputs, outputs


class MonitorMode(_PerNode):
    def __init__(self, pre_func=None, post_func=None, optimizer="default", linker=None):
        super().__init__(linker, optimizer)
        self.pre_func, self.post_func = pre_func, post_func

    def before(self, device, i, node, cells):
        if self.pre_func is not None:
            self.pre_func(i, node, cells)

    def after(self, device, i, node, cells):
        if self.post_func is not None:
            self.post_func(i, node, cells)


class NanGuardMode(_PerNode):
    BIG = 1e10

    def __init__(self, nan_is_error=True, inf_is_error=True, big_is_error=True, optimizer="default",
                 linker=None):
        super().__init__(linker, optimizer)
        self.nan_is_error, self.inf_is_error, self.big_is_error = nan_is_error, inf_is_error, big_is_error

    def before(self, device, i, node, cells):
        cells.shapes = [np.shape(c[0]) for c in cells.inputs]  # the inputs may be freed by the node

    def after(self, device, i, node, cells):
        for k, cell in enumerate(cells.outputs):
            problem = self.problem(_host(device, cell[0]))
            if problem:
                raise NanGuardError(
                    f"NanGuardMode: {problem} in output {k} of node {i} ({node.op}) of inputs "
                    f"({', '.join(_describe(v) for v in node.inputs)}) with shapes "
                    f"({', '.join(map(str, cells.shapes))})")

    def problem(self, value):
        """What is wrong with ``value`` ("" if nothing): NaN, inf, or a big value."""
        if value is None or np.asarray(value).dtype.kind not in "fc" or not np.size(value):
            return ""
        value = np.asarray(value)
        if self.nan_is_error and np.isnan(value).any():
            return "a NaN"
        if self.inf_is_error and np.isinf(value).any():
            return "an infinity"
        finite = np.abs(value[np.isfinite(value)])
        if self.big_is_error and finite.size and finite.max() > self.BIG:
            return f"a big value ({finite.max():.3g})"
        return ""


class DebugMode(_PerNode):
    """Self-checks: every node's results have their declared types, and every call's
    results equal those of the unoptimized graph on the host (to 1e-4 relative in
    float32/complex64, 1e-7 otherwise; integers exactly; NaNs where they are)."""

    def __init__(self, optimizer="fast_run", linker=None, check_results=True):
        super().__init__(linker, optimizer)
        self.check_results = check_results

    def instrument(self, fn, reference):
        super().instrument(fn, reference)
        if self.check_results:
            fn.instrument(functools.partial(_compared, fn, reference()))

    def after(self, device, i, node, cells):
        for k, (var, cell) in enumerate(zip(node.outputs, cells.outputs)):
            value = cell[0]
            if value is None:
                continue
            dtype, shape = np.dtype(getattr(value, "dtype", type(value))), getattr(value, "shape", None)
            wrong = str(dtype) != var.type.dtype or shape is None or len(shape) != var.type.ndim or any(
                s is not None and s != d for s, d in zip(var.type.shape, shape))
            if wrong:
                raise DebugModeError(f"DebugMode: node {i} ({node.op}) computed output {k} as a {dtype} array of "
                                     f"shape {shape}, but its type is {var.type}")


def _compared(fn, reference, program):
    """``program`` runs, then each result is compared with the reference program's on the same values."""
    run = program.run

    def run_and_compare():
        for var in fn.shared_vars:
            var.sync()
        arguments = [cell[0] for cell in program.input_cells[:len(fn.inputs)]]
        with np.errstate(all="ignore"):
            expected = reference([_host(fn.device, value) for value in arguments]
                                 + [var.read() for var in fn.shared_vars])
        run()
        for k, (cell, want) in enumerate(zip(program.output_cells, expected)):
            _check_same(k, _host(fn.device, cell[0]), want)
    program.run = run_and_compare


def _check_same(k, got, want):
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape or got.dtype != want.dtype:
        raise DebugModeError(f"DebugMode: result {k} is a {got.dtype} array of shape {got.shape}; the "
                             f"unoptimized graph gives a {want.dtype} array of shape {want.shape}")
    tol = 1e-4 if got.dtype in (np.float32, np.complex64) else 1e-7
    exact = got.dtype.kind not in "fc"
    if not (np.array_equal(got, want) if exact else np.allclose(got, want, rtol=tol, atol=tol, equal_nan=True)):
        worst = np.nanmax(np.abs(got.astype(complex) - want.astype(complex))) if got.size else 0
        raise DebugModeError(f"DebugMode: result {k} differs from the unoptimized graph's (largest "
                             f"difference {worst:.3g}); a rewrite or a device kernel computed it wrongly")


def reference_program(variables, exprs):
    """DebugMode's oracle: a callable computing ``exprs`` from values of ``variables``, the
    unoptimized graph evaluated node by node by each op's NumPy ``perform``."""
    fgraph = FunctionGraph(variables, exprs)
    nodes = fgraph.toposort()

    def value(var, values):
        return var.data if isinstance(var, Constant) else values[var]

    def evaluate(arguments):
        values = dict(zip(fgraph.inputs, arguments))
        for node in nodes:
            values.update(zip(node.outputs, node.op.perform(node, [value(v, values) for v in node.inputs])))
        return [value(v, values) for v in fgraph.outputs]
    return evaluate


def _host(device, value):
    if device == "cpu" or value is None:
        return value
    return on_host(device, value)


def _describe(var):
    """A variable by the name it had in the user's graph: transfers between devices are
    looked through."""
    while var.name is None and var.owner is not None and isinstance(var.owner.op, Transfer):
        var = var.owner.inputs[0]
    return repr(var)


FAST_RUN = Mode(optimizer="fast_run")
FAST_COMPILE = Mode(optimizer="fast_compile")
_NAMED = {"FAST_RUN": lambda: FAST_RUN, "FAST_COMPILE": lambda: FAST_COMPILE, "Mode": Mode,
          "DebugMode": DebugMode, "DEBUG_MODE": DebugMode, "NanGuardMode": NanGuardMode}


def get_mode(mode):
    """The ``Mode`` for ``function(mode=...)``: a Mode, one of Theano's names, an optimizer
    name (``'fast_run'``, ``'fast_compile'``, ``'None'``), or None for ``config.mode``."""
    if mode is None:
        mode = config.mode
    if isinstance(mode, Mode):
        return mode
    if mode in _NAMED:
        return _NAMED[mode]()
    if mode in _OPTIMIZERS:
        return Mode(optimizer=mode)
    raise ValueError(f"unknown mode {mode!r}; use 'FAST_RUN', 'FAST_COMPILE', 'DebugMode', 'NanGuardMode', "
                     "an optimizer name or a Mode object")


def get_default_mode():
    return get_mode(None)


__all__ = ["Mode", "DebugMode", "NanGuardMode", "MonitorMode", "FAST_RUN", "FAST_COMPILE", "get_mode",
           "get_default_mode"]
