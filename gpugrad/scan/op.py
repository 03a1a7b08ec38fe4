"""The Scan op: a loop whose body is a graph, optimized and compiled once (per device),
then run step after step by a plain Python loop that only moves references between
storage cells and copies each step's results into preallocated stacked arrays (on a
device, device arrays: scan/device.py).

Outer inputs   ``n_steps``, the sequences, each recurrent state's initial buffer (its
               ``lag = -min(taps)`` values before step 0), the non-sequences.
Outer outputs  each state's whole buffer, ``lag + n_steps`` rows (the initial rows, then
               one per step: what backpropagation through time reads back), then each
               per-step output stacked along a new leading axis.
Inner inputs   one slot per sequence, per state tap, per non-sequence.
Inner outputs  each state's next value, the per-step outputs, and with ``until`` the
               condition that stops the loop after the step computing it.
"""
import numpy as np

from ..config import config
from ..errors import InputError
from ..graph.basic import Apply, Constant
from ..graph.debug_values import suspended
from ..graph.fgraph import FunctionGraph
from ..graph.op import CudaFacet, Op
from ..graph.traversal import toposort
from ..rewrites.pipeline import optimize
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable
from .device import device_body, has_device_work, host_inputs, scan_thunk
from .loop import Loop


class Scan(Op):
    """``taps`` holds, per state, the (negative) offsets of the previous values a step
    reads. Sequences need at least n_steps entries; ``exact`` records that each has
    exactly that many (so gradients need no padding). ``truncate`` limits backpropagation
    through time to the last ``truncate`` steps (-1: all)."""
    cuda = CudaFacet("its body compiled for the device, run over device arrays (scan/device.py)", thunk=scan_thunk,
                     accepts=has_device_work, host_inputs=host_inputs)

    def __init__(self, inputs, outputs, n_seqs, taps, until=False, exact=True, truncate=-1, name=None,
                 last_only=(), optimizer=None):
        self.inputs, self.outputs = list(inputs), list(outputs)
        self.n_seqs, self.taps = n_seqs, tuple(tuple(t) for t in taps)
        self.until, self.exact, self.truncate, self.name = until, exact, truncate, name
        self.last_only = frozenset(last_only)
        self.optimizer = optimizer  # the body's, from scan(mode=...); None: config.optimizer
        self.n_states = len(self.taps)
        self.lags = tuple(-min(t) for t in self.taps)
        self.n_taps = sum(len(t) for t in self.taps)
        self.n_nit = len(self.outputs) - self.n_states - int(until)
        self._fgraphs = {}  # device -> the optimized body
        self._key = None

    # Two loops are interchangeable when they are the same loop: equal settings and bodies
    # that compute the same thing (``body_signature``), so merge finds repeated loops.
    def __eq__(self, other):
        return self is other or (type(other) is Scan and self.key() == other.key())

    def __hash__(self):
        return hash(self.key())

    def key(self):
        if self._key is None:
            self._key = (self.n_seqs, self.taps, self.until, self.exact, self.truncate, self.name, self.last_only,
                         self.optimizer, body_signature(self.inputs, self.outputs))
        return self._key

    def __str__(self):
        return f"Scan{{{self.name}}}" if self.name else "Scan"

    def __getstate__(self):
        """Pickled without what it makes again on demand: its compiled bodies and merge key."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_fgraphs", "_key")}

    def __setstate__(self, state):
        self.__dict__.update(state, _fgraphs={}, _key=None)

    @property
    def seq_slots(self):
        return self.inputs[:self.n_seqs]

    @property
    def tap_slots(self):
        return self.inputs[self.n_seqs:self.n_seqs + self.n_taps]

    @property
    def tap_groups(self):
        """The tap slots of each state."""
        groups, pos = [], self.n_seqs
        for taps in self.taps:
            groups.append(self.inputs[pos:pos + len(taps)])
            pos += len(taps)
        return groups

    @property
    def nonseq_slots(self):
        return self.inputs[self.n_seqs + self.n_taps:]

    def split_outer(self, inputs):
        """``(n_steps, sequences, initial buffers, non-sequences)`` of a node's inputs."""
        a, b = 1 + self.n_seqs, 1 + self.n_seqs + self.n_states
        return inputs[0], list(inputs[1:a]), list(inputs[a:b]), list(inputs[b:])

    def make_node(self, n_steps, *outer):
        n_steps = as_tensor_variable(n_steps)
        if n_steps.ndim != 0 or not dtypes.is_discrete(n_steps.dtype):
            raise InputError(f"{self}: n_steps must be an integer scalar, got {n_steps} ({n_steps.type})")
        if isinstance(n_steps, Constant) and int(n_steps.data) < 0:
            raise InputError(f"{self}: n_steps is {int(n_steps.data)}; it must be at least 0")
        outer = [as_tensor_variable(v) for v in outer]
        want = self.n_seqs + self.n_states + len(self.nonseq_slots)
        if len(outer) != want:
            raise InputError(f"{self}: expected {want} inputs after n_steps, got {len(outer)}")
        _, seqs, inits, nonseqs = self.split_outer([n_steps] + outer)
        for k, (slot, seq) in enumerate(zip(self.seq_slots, seqs)):
            _check_type(seq, slot, 1, f"sequence {k}")
        for k, init in enumerate(inits):
            _check_type(init, self.outputs[k], 1, f"initial state {k} (outputs_info)")
        for k, (slot, var) in enumerate(zip(self.nonseq_slots, nonseqs)):
            _check_type(var, slot, 0, f"non-sequence {k}")
        n = int(n_steps.data) if isinstance(n_steps, Constant) and not self.until else None
        outs = [TensorVariable(TensorType(init.dtype, init.type.shape[1:])) if k in self.last_only else
                _stacked(init.dtype, None if n is None else lag + n, init.type.shape[1:])
                for k, (init, lag) in enumerate(zip(inits, self.lags))]
        outs += [_stacked(o.dtype, n, o.type.shape) for o in self.nit_outputs]
        return Apply(self, [n_steps] + outer, outs)

    @property
    def nit_outputs(self):
        return self.outputs[self.n_states:self.n_states + self.n_nit]

    def infer_shape(self, node, input_shapes):
        n = None if self.until else node.inputs[0]
        _, _, init_shapes, _ = self.split_outer(input_shapes)
        shapes = [tuple(shp[1:]) if k in self.last_only else (None if n is None else lag + n,) + tuple(shp[1:])
                  for k, (lag, shp) in enumerate(zip(self.lags, init_shapes))]
        return shapes + [(n,) + o.type.shape for o in self.nit_outputs]

    def inner_fgraph(self, device="cpu"):
        """The body, optimized once per device (the same pipeline as a function, scan phase
        included; for a device, placed as ``scan.device.device_body`` says)."""
        if device not in self._fgraphs:
            with config.change_flags(optimizer=self.optimizer or config.optimizer), suspended():
                if device == "cpu":
                    fgraph = FunctionGraph(self.inputs, self.outputs)
                    optimize(fgraph, config.optimizer)
                else:
                    fgraph = device_body(self, device)
            self._fgraphs[device] = fgraph
        return self._fgraphs[device]

    def perform(self, node, inputs):
        return Loop(self, node).run(inputs)

    def make_thunk(self, node, storage_in, storage_out):
        run = Loop(self, node).run

        def thunk():
            results = run([cell[0] for cell in storage_in])
            for cell, value in zip(storage_out, results):
                cell[0] = value
        return thunk

    # The derivatives are loops built by scan/gradient.py, which builds Scan ops (through
    # api.py): a mutual recursion inside this package, resolved when first differentiated.
    def pullback(self, inputs, outputs, output_grads):
        from .gradient import pullback
        return pullback(self, inputs, outputs, output_grads)

    def pushforward(self, inputs, outputs, tangents):
        from .gradient import pushforward
        return pushforward(self, inputs, outputs, tangents)


def body_signature(inputs, outputs):
    """A loop body as a hashable value, equal for bodies that compute the same thing: each
    node is numbered by (its op, the numbers of its inputs), an input by its position and
    type, a constant by its value; then the node numbers in order and the outputs'."""
    ids = {var: ("input", k, var.type) for k, var in enumerate(inputs)}
    keys = []

    def name(var):
        return ids[var] if var in ids else ("constant",) + var.signature() if isinstance(var, Constant) \
            else ("free", var.id)
    for node in toposort(outputs, blockers=inputs):
        keys.append((node.op, tuple(name(v) for v in node.inputs)))
        for k, out in enumerate(node.outputs):
            ids[out] = (len(keys) - 1, k)
    return tuple(keys), tuple(name(o) for o in outputs)


def _check_type(var, like, extra, what):
    """``var`` must hold ``like``'s dtype with ``extra`` more (leading) axes."""
    if var.dtype != like.dtype or var.ndim != like.ndim + extra:
        raise InputError(f"scan: {what} is {var} ({var.type}) but the loop body expects "
                         f"{'one more axis than ' if extra else ''}{like.type}")


def _stacked(dtype, n, row_shape):
    return TensorVariable(TensorType(dtype, (n,) + tuple(row_shape)))
