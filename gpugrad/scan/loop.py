"""The loop that runs a Scan's compiled body: a plain Python loop that only moves references
between storage cells and copies each step's results into preallocated stacked arrays."""
import numpy as np

from ..compile.linker import Program
from ..errors import GpugradError, ShapeError


class Loop:
    """One linked body and the plan to drive it: which cell each step fills from which
    array, and where each result goes. On a device (``scan/device.py``) the body is
    compiled for it and ``allocate`` makes device arrays: the arrays are then all device
    arrays, filled by assignment and sliced as views, and the ``until`` condition is the
    one value read back each step."""

    def __init__(self, op, node, device="cpu", allocate=np.empty):
        self.op, self.node, self.allocate = op, node, allocate
        self.program = Program(op.inner_fgraph(device))
        cells, outs = self.program.input_cells, self.program.output_cells
        self.seq_cells = cells[:op.n_seqs]
        self.tap_cells = cells[op.n_seqs:op.n_seqs + op.n_taps]
        self.nonseq_cells = cells[op.n_seqs + op.n_taps:]
        self.state_cells = outs[:op.n_states]
        self.nit_cells = outs[op.n_states:op.n_states + op.n_nit]
        self.cond_cell = outs[-1] if op.until else None

    def run(self, values):
        op = self.op
        n, seqs, inits, nonseqs = op.split_outer(values)
        n = self._check_steps(int(n), seqs)
        for cell, value in zip(self.nonseq_cells, nonseqs):
            cell[0] = value
        stores = [self._store(k, init, n) for k, init in enumerate(inits)]
        taps = [(store, lag + tap) for store, lag, tps in zip(stores, op.lags, op.taps) for tap in tps]
        stacked = [(cell, store, off) for cell, (store, off) in zip(self.tap_cells, taps) if type(store) is not list]
        rolling = [(cell, store, off) for cell, (store, off) in zip(self.tap_cells, taps) if type(store) is list]
        outs = [(k, cell, store, op.lags[k]) for k, (cell, store) in enumerate(zip(self.state_cells, stores))]
        seq_plan = list(zip(self.seq_cells, seqs))
        nits = [None] * op.n_nit
        done = n
        for t in range(n):
            for cell, seq in seq_plan:
                cell[0] = seq[t, ...]
            for cell, buf, off in stacked:
                cell[0] = buf[t + off, ...]
            for cell, recent, off in rolling:
                cell[0] = recent[off]
            self._step(t)
            for k, cell, store, lag in outs:
                value = cell[0]
                if type(store) is list:
                    if value.shape != store[-1].shape:
                        raise self._shape_error(f"recurrent output {k}", value, store[-1].shape, t)
                    store.append(value)
                    del store[0]
                elif value.shape != store.shape[1:]:
                    raise self._shape_error(f"recurrent output {k}", value, store.shape[1:], t)
                else:
                    store[lag + t] = value
            for j, cell in enumerate(self.nit_cells):
                value = cell[0]
                if nits[j] is None:
                    nits[j] = self.allocate((n,) + value.shape, dtype=self.node.outputs[op.n_states + j].dtype)
                elif value.shape != nits[j].shape[1:]:
                    raise self._shape_error(f"output {op.n_states + j}", value, nits[j].shape[1:], t)
                nits[j][t] = value
            if self.cond_cell is not None and self.cond_cell[0].item():
                done = t + 1
                break
        return self._results(stores, nits, n, done)

    def _results(self, stores, nits, n, done):
        nits = [self._empty(j) if a is None else a for j, a in enumerate(nits)]
        if done < n:
            stores = [s if type(s) is list else s[:lag + done] for s, lag in zip(stores, self.op.lags)]
            nits = [a[:done] for a in nits]
        return [s[-1] if type(s) is list else s for s in stores] + nits

    def _check_steps(self, n, seqs):
        op = self.op
        if n < 0:
            raise ShapeError(f"{op}: n_steps is {n}; it must be at least 0")
        for k, seq in enumerate(seqs):
            if len(seq) < n:
                raise ShapeError(f"{op}: sequence {k} (shape {seq.shape}) is shorter than n_steps = {n}")
        return n

    def _store(self, k, init, n):
        """A buffer for every row of state ``k``, or for a ``last_only`` state the list of
        its last ``lag`` values (the loop never writes into them: no copies)."""
        lag = self.op.lags[k]
        if init.shape[0] != lag:
            raise ShapeError(f"{self.op}: the initial value of state {k} has shape {init.shape}; "
                             f"taps {list(self.op.taps[k])} need {lag} rows")
        if k in self.op.last_only:
            return [init[i, ...] for i in range(lag)]
        buf = self.allocate((lag + n,) + init.shape[1:], dtype=self.node.outputs[k].dtype)
        buf[:lag] = init
        return buf

    def _empty(self, j):
        out = self.node.outputs[self.op.n_states + j]
        return self.allocate((0,) + tuple(s or 0 for s in out.type.shape[1:]), out.dtype)

    def _step(self, t):
        try:
            self.program.run()
        except GpugradError as exc:
            try:
                raise type(exc)(f"{exc}\n  in step {t} of {self.op}") from exc
            except TypeError:
                raise GpugradError(f"{exc}\n  in step {t} of {self.op}") from exc

    def _shape_error(self, what, value, want, t):
        return ShapeError(f"{self.op}: at step {t} the body's {what} has shape {value.shape}, but the "
                          f"initial state / earlier steps have shape {want}; the shape of a scan output "
                          "must not change between steps")
