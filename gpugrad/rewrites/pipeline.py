"""The rewrite pipeline, in order; ``print(PIPELINE)`` lists every phase and rewrite.

1. canonicalize  one normal form: constants folded, neutral elements, fills and allocs
                 removed through shape inference, products flattened, negations gathered
2. stabilize     numerically stable forms (log1p, expm1, sigmoid, softplus, log_softmax)
3. specialize    cheaper forms for the CPU (small integer powers as products)
4. merge         common subexpressions
5. memory        elementwise results in place, or in buffers kept across calls
"""
from . import canonicalize, specialize, stabilize
from .engine import Phase, Pipeline
from .memory import MemoryPhase
from .merge import MergePhase

PIPELINE = Pipeline([
    MergePhase(),
    Phase("canonicalize", canonicalize.REWRITES, modes=("fast_run", "fast_compile")),
    Phase("stabilize", stabilize.REWRITES + canonicalize.REWRITES),
    Phase("specialize", specialize.REWRITES + canonicalize.REWRITES),
    MergePhase(),
    MemoryPhase(),
])

_MODES = {"fast_run": "fast_run", "FAST_RUN": "fast_run", "fast_compile": "fast_compile",
          "FAST_COMPILE": "fast_compile", "None": "None", None: "fast_run"}


def optimize(fgraph, optimizer="fast_run"):
    """Rewrite ``fgraph`` in place with the phases ``optimizer`` selects."""
    if optimizer not in _MODES:
        raise ValueError(f"unknown optimizer {optimizer!r}; use 'fast_run', 'fast_compile' or 'None'")
    return PIPELINE.run(fgraph, _MODES[optimizer])
