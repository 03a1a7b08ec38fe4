"""Updates written into the shared variable's own array.

An update ``W - lr * dot(X.T, g)`` is a gemm of ``W``'s own value (rewrites/blas.py). Applied
as other updates are, it adds the product into a copy of ``W``; applied here, into ``W``'s
array itself, as NumPy's ``W -= lr * g`` and Theano's in-place gemm do. For the 784x512
float32 weights of an MLP step that is a 1.6 MB copy less a call, about 4% of the step.

It changes nothing anyone can see:

* it is applied with the other updates, after the call has computed and checked every
  new value and taken the variables' value locks, so a call that raises leaves the variable
  as it was;
* only where nothing but the variable and this call holds the array, and the product does
  not read it (``W + dot(W, W)``): not a caller's reference (``get_value(borrow=True)``,
  the array given to ``shared(x, borrow=True)``), not a view of it, not another call that
  read it (a call holds the values it read until it returns). That is counted by the
  array's references under its ``value_lock``, which every read of the value takes, so no
  read starts while the product is added. Elsewhere the product goes into a copy, as before;
* only in ``cpu`` functions whose memory phase ran (``Mode().excluding("inplace")`` turns it
  off, as in Theano) and that no mode or timing profile instruments (they look at every
  node's result), for a gemm no node reads, outside lazy branches.
"""
import sys

import numpy as np

from ..ops.gemm import Gemm, plan_or_sum
from ..runtime import host_blas
from ..runtime.lazy import schedule
from .shared import acquire_in_order


def in_place_updates(fgraph, n_outputs, update_vars, shared_inputs):
    """``{k: node}``: the updates (``k`` counts them) that are a gemm of the variable's own value
    ``shared_inputs[var]``, which nothing else in the graph reads."""
    paths = schedule(fgraph)[1] or {}
    found = {}
    for k, var in enumerate(update_vars):
        out = fgraph.outputs[n_outputs + k]
        node = out.owner
        if (node is not None and isinstance(node.op, Gemm) and node.tag.get("update_in_place")
                and node.tag.get("device", "cpu") == "cpu"
                and node.inputs[0] is shared_inputs.get(var) and not fgraph.clients.get(out)
                and fgraph.outputs.count(out) == 1 and not paths.get(node)):
            found[k] = node
    return found


class Step:
    """One in-place update of a linked program ``program``: the variable and its gemm ``node``,
    whose inputs' cells it reads (``c``'s is the cell the call read the variable's value into)."""

    def __init__(self, var, node, program):
        fgraph = program.fgraph
        self.var, self.node, self.gemm = var, node, host_blas.gemm_for(node.outputs[0].dtype)
        self.cells = [program.cells[v] for v in node.inputs]
        self.made = [program.cells[v] for v in node.inputs if v.owner is not None and v not in fgraph.outputs]
        self.plan = self.result = self.target = None

    def check(self):
        """The run-time shapes agree and BLAS can read the operands (else NumPy computes the
        new value now, into a new array)."""
        self.plan, self.result = plan_or_sum(self.gemm, self.node, *(cell[0] for cell in self.cells))

    def prepare(self):
        """With the value lock held: add into the variable's array if nothing else holds it,
        else into a copy of the value the call read, allocated now (before any store)."""
        if self.result is not None:
            return
        value, read = self.var.container[0], self.cells[0]
        alone = (value is read[0] and sys.getrefcount(value) == 4  # container, cell, value, the argument
                 and value.base is None and value.flags.c_contiguous and value.flags.writeable
                 and not any(np.may_share_memory(value, cell[0]) for cell in self.cells[2:]))  # W + dot(W, W)
        self.target = value if alone else np.array(read[0], order="C")

    def apply(self):
        """Add the product (BLAS, nothing to fail) and store; the gemm's inputs are let go."""
        _, alpha, a, b = (cell[0] for cell in self.cells)
        new = self.result if self.result is not None else self.gemm(self.target, alpha, a, b, self.plan)
        self.var.store_held(new)
        self.plan = self.result = self.target = None
        for cell in self.made:  # intermediates the program kept for this step
            cell[0] = None


def apply(steps, store_others):
    """Check ``steps``, take their variables' value locks (in one order), prepare them, run
    ``store_others()`` (the other updates), then apply them: a failure before the last
    ``apply`` stores nothing of these."""
    for step in steps:
        step.check()
    locks = [lock for _, lock in sorted({step.var.id: step.var.value_lock for step in steps}.items())]
    acquire_in_order(locks)
    try:
        for step in steps:
            step.prepare()
        store_others()
        for step in steps:
            step.apply()
    finally:
        for lock in reversed(locks):
            lock.release()
