"""One linked copy of a compiled function: its ``Program`` and the cells a call fills and
reads, grouped the way ``Function.__call__`` walks them.

A program's storage cells (and the buffers its thunks keep between calls) belong to one
call at a time, so a ``Function`` keeps a pool of these: a call takes one (linking a new
copy only when every copy is busy in another thread) and puts it back when it returns.
Threads then never see each other's values, and a single thread reuses one copy forever.
"""
from ..graph.basic import Constant
from .in_place import Step
from .linker import Program


class Linked:
    """``filters``: (cell, filter, what) per argument; ``shared``: (cell, variable) per shared
    variable the graph reads on the host, filled at the start of a call (one value per call);
    ``sources``: every input cell; ``outputs``: (cell, always copy) per result; ``updates``:
    (variable, cell, always copy) per update but those applied in place, ``in_place``
    (compile/in_place.py); ``lone``: the cell of a single result that
    needs no checks (the common case ``__call__`` inlines), else None; ``run()`` reads the
    shared values and runs the program."""

    __slots__ = ("program", "filters", "shared", "sources", "constants", "outputs", "updates", "in_place", "lone",
                 "run")

    def __init__(self, plan):
        program = self.program = Program(plan.fgraph, deferred=frozenset(plan.in_place.values()))
        for change in plan.instruments:  # a mode's checks (Function.instrument)
            change(program)
        cells = program.input_cells
        n_in = len(plan.filters)
        self.filters = tuple((cell, filt, what) for cell, (filt, what) in zip(cells, plan.filters))
        self.shared = tuple((cells[n_in + k], var) for k, var in enumerate(plan.shared_vars)
                            if var in plan.host_shared)
        self.sources = tuple(cells)
        self.constants = tuple(cell[0] for var, cell in program.cells.items() if isinstance(var, Constant))
        outs = program.output_cells
        self.outputs = tuple((outs[k], always) for k, always in enumerate(plan.copy_outputs))
        self.updates = tuple((var, outs[len(self.outputs) + k], always)
                             for k, (var, always) in enumerate(plan.copy_updates) if k not in plan.in_place)
        self.in_place = tuple(Step(var, plan.in_place[k], program)
                              for k, (var, _) in enumerate(plan.copy_updates) if k in plan.in_place)
        self.lone = self.outputs[0][0] if plan.lone else None
        self.run = self._read_shared_and_run if self.shared else program.run

    def _read_shared_and_run(self):
        """Fill the shared cells (bringing a value a device function changed back first), then run."""
        for cell, var in self.shared:
            cell[0] = var.read()
        self.program.run()
