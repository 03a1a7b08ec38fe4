"""The rewrite engine: local rewrites (node -> replacement outputs or None) grouped in
phases, each run to a fixed point over the graph in topological order."""
import time


class Phase:
    def __init__(self, name, rewrites, modes=("fast_run",)):
        self.name, self.rewrites, self.modes = name, list(rewrites), tuple(modes)

    def run(self, fgraph, max_passes=50):
        for _ in range(max_passes):
            changed = False
            for node in list(fgraph.toposort()):
                if node not in fgraph.nodes or not _live(fgraph, node):
                    continue
                for rewrite in self.rewrites:
                    new = rewrite(fgraph, node)
                    if new is None:
                        continue
                    for old, repl in zip(node.outputs, new):
                        if repl is not None and repl is not old:
                            fgraph.replace(old, repl, reason=rewrite.__name__)
                    changed = True
                    break
            fgraph.prune()
            if not changed:
                return

    def __str__(self):
        return f"{self.name}: {', '.join(r.__name__ for r in self.rewrites)}"


def _live(fgraph, node):
    return any(o in fgraph.clients or o in fgraph.outputs for o in node.outputs)


class Pipeline:
    def __init__(self, phases):
        self.phases = list(phases)

    def run(self, fgraph, optimizer="fast_run"):
        timings = []
        for phase in self.phases:
            if optimizer in phase.modes:
                start = time.perf_counter()
                phase.run(fgraph)
                timings.append((phase.name, time.perf_counter() - start))
        return timings

    def phase(self, name):
        return next(phase for phase in self.phases if phase.name == name)

    def __str__(self):
        return "\n".join(f"{i + 1}. {phase}" for i, phase in enumerate(self.phases))
