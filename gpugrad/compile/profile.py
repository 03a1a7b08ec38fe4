"""Profiles of compiled functions: ``f.profile()`` (and Theano's spellings:
``function(..., profile=True)``, ``config.profile``, ``f.profile.summary()``, ``ProfileStats``).

Every function counts its calls and, on a device, how they ran: replayed as a CUDA graph,
captured, or run plainly, and why a call was not replayed (runtime/graphs.py); and its
memory pool. With profiling on, every node is also timed and counted: the seconds it takes
(a device node waits for its kernels, so the time is the device's; profiling therefore runs
every call plainly, node by node), the kernel launches it makes, the device buffers it
allocates, the bytes it copies to and from the device and the bytes of its results. On
``cuda-sim`` the launches are the simulated device's own count, CuPy's routines included; on
a GPU they are gpugrad's kernel and graph launches (those inside CuPy's routines, such as a
matmul's, are not seen).
"""
import sys
import time
import weakref
from collections import Counter
from dataclasses import dataclass, field

from ..backends.base import Counts
from ..config import config
from ..runtime.device_arrays import backend_for


@dataclass
class NodeStats:
    """One node's totals over the profiled calls: ``seconds``, the bytes of its results, and
    what it asked of its device (``spent``, a ``Counts``: launches, allocations of its
    program's pool, bytes copied each way)."""
    index: int
    op: str
    device: str
    calls: int = 0
    seconds: float = 0.0
    out_bytes: int = 0
    spent: Counts = field(default_factory=Counts)

    def total(self, name):
        """A total of the node's, or of what it spent."""
        return getattr(self, name) if hasattr(self, name) else getattr(self.spent, name)

    def per_call(self, name):
        return self.total(name) / max(self.calls, 1)


@dataclass
class Profile:
    """What ``f.profile()`` returns: ``calls``, ``graphs`` (replayed, captured, plain),
    ``reasons`` (why calls were not replayed), ``pool`` (buffers held, bytes, allocations),
    and ``nodes`` (``NodeStats``, slowest first; empty unless profiling was on). ``str()``
    is a table."""
    name: str
    device: str
    calls: int
    graphs: dict = field(default_factory=dict)
    reasons: dict = field(default_factory=dict)
    pool: dict = field(default_factory=dict)
    nodes: list = field(default_factory=list)

    def per_call(self, name):
        """A node column summed over the nodes, per profiled call."""
        calls = max((n.calls for n in self.nodes), default=0)
        return sum(n.total(name) for n in self.nodes) / max(calls, 1)

    def __str__(self):
        lines = [f"Function profile: {self.name} on {self.device}, {self.calls} calls"]
        if self.graphs:
            lines.append("  calls by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(self.graphs.items())))
        lines += [f"  not replayed ({count}x): {reason}" for reason, count in self.reasons.items()]
        if self.pool:
            lines.append("  memory pool: " + ", ".join(f"{k} {v:,}" for k, v in self.pool.items()))
        if not self.nodes:
            lines.append("  (nodes are timed with function(..., profile=True) or config.profile)")
            return "\n".join(lines)
        lines.append(f"  per call: {1e6 * self.per_call('seconds'):.1f} us, {self.per_call('launches'):.3g} launches, "
                     f"{self.per_call('allocations'):.3g} allocations, {self.per_call('to_device_bytes'):,.0f} B to "
                     f"the device, {self.per_call('to_host_bytes'):,.0f} B to the host")
        lines.append(f"  {'us/call':>9} {'share':>6} {'launch':>6} {'alloc':>5} {'B out':>10} {'B copied':>10}  "
                     f"node (device)")
        total = sum(n.seconds for n in self.nodes) or 1.0
        for n in self.nodes:
            copied = n.per_call("to_device_bytes") + n.per_call("to_host_bytes")
            lines.append(f"  {1e6 * n.per_call('seconds'):>9.1f} {n.seconds / total:>6.1%} "
                         f"{n.per_call('launches'):>6.3g} {n.per_call('allocations'):>5.2g} "
                         f"{n.per_call('out_bytes'):>10,.0f} {copied:>10,.0f}  {n.index} {n.op} ({n.device})")
        return "\n".join(lines)


class ProfileStats:
    """Theano's ``ProfileStats``: the profile of the functions it is given to
    (``function(..., profile=stats)``); ``stats()`` or ``summary()`` reports it.

    A function links one copy of its program per thread that calls it at once
    (compile/linked.py); the profile sums them: every copy is instrumented as it is linked."""

    def __init__(self, atexit_print=False, name=None, nodes=True):
        self.name, self.timing, self._functions = name, nodes, []
        self._programs, self._node_stats = weakref.WeakSet(), {}

    def attach(self, fn):
        """Profile ``fn`` (a compiled function) from now on: its calls, and its nodes if timing."""
        self._functions.append(fn)
        fn.instrument(self._watch, relink=self.timing)
        return self

    def _watch(self, program):
        """Keep ``program`` (one linked copy) to sum its calls, and time its nodes if timing."""
        self._programs.add(program)
        if self.timing:
            if program.calls:
                program.calls.hold("profiling times every node")
            for thunks, nodes in program.thunk_lists():
                for i, (node, thunk) in enumerate(zip(nodes, thunks)):
                    thunks[i] = _timed(program, self._row(i, node), node, thunk)

    def _row(self, i, node):
        return self._node_stats.setdefault(node, NodeStats(i, _short(node.op), node.tag.get("device", "cpu")))

    def __call__(self):
        """The ``Profile`` of the last function attached (see ``Profile``)."""
        fn = self._functions[-1]
        name = fn.name or self.name or "function"
        nodes = sorted(self._node_stats.values(), key=lambda n: -n.seconds)
        calls = [p.calls for p in self._programs if p.calls]
        if not calls:  # on the CPU: the calls its nodes saw
            return Profile(name, fn.device, max((n.calls for n in nodes), default=0), nodes=nodes)
        status, reasons, pool = Counter(), Counter(), Counter()
        for c in calls:
            status.update(c.status)
            reasons.update(c.reasons)
            pool.update({"buffers": c.pool.buffers, "bytes held": c.pool.held_bytes, "allocations": c.pool.misses})
        return Profile(name, fn.device, sum(status.values()), dict(status), dict(reasons), dict(pool), nodes)

    def summary(self, file=None):
        print(self(), file=file or sys.stdout)


def profiler(fn, profile):
    """The ``ProfileStats`` of a new function: ``profile`` itself when one is given, else one
    that times its nodes when ``profile`` (None: ``config.profile``) is true."""
    if isinstance(profile, ProfileStats):
        return profile.attach(fn)
    timing = config.profile if profile is None else bool(profile)
    return ProfileStats(name=fn.name, nodes=timing).attach(fn)


def _timed(program, row, node, thunk):
    """``thunk`` recording its time, results and device work in ``row``."""
    device = row.device
    outputs = [program.cells[o] for o in node.outputs]
    if device == "cpu":
        def run():
            start = time.perf_counter()
            thunk()
            row.seconds += time.perf_counter() - start
            row.calls += 1
            row.out_bytes += sum(getattr(c[0], "nbytes", 0) for c in outputs)
        return run
    be, pool = backend_for(device), program.calls.pool

    def run_on_device():
        counts, misses, start = be.counts(), pool.misses, time.perf_counter()
        thunk()
        be.synchronize()
        row.seconds += time.perf_counter() - start
        spent = be.counts().since(counts)
        spent.allocations = pool.misses - misses
        row.spent.add(spent)
        row.calls += 1
        row.out_bytes += sum(getattr(c[0], "nbytes", 0) for c in outputs)
    return run_on_device


def _short(op, width=60):
    text = str(op)
    return text if len(text) <= width else text[:width - 3] + "..."


__all__ = ["NodeStats", "Profile", "ProfileStats", "profiler"]
