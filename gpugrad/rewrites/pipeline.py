"""The rewrite pipeline, in order; ``print(PIPELINE)`` lists every phase and rewrite.

1. structure     diagonal matrices stay diagonal (AllocDiag of a vector), so Jacobians
                 of elementwise graphs cost O(n) plus writing their output; first on its
                 own, so no identity seed is folded to an n x n constant before its
                 readers are rewritten, then again with canonicalize
2. canonicalize  one normal form: constants folded, neutral elements, fills and allocs
                 removed through shape inference, products flattened, negations gathered
3. stabilize     numerically stable forms (log1p, expm1, sigmoid, softplus, log_softmax)
4. specialize    cheaper forms for the CPU (small integer powers as products)
5. merge         common subexpressions
6. placement     for a device: each node on the device or the host, explicit transfers
                 (rewrites/placement.py, asking each op's CUDA facet); nothing for the CPU
7. blas          host nodes: a matrix plus a scaled product as one BLAS gemm (rewrites/blas.py)
8. fusion        for a device: connected elementwise regions as one kernel each
9. memory        elementwise results in place, or in buffers kept across calls (host nodes only:
                 device elementwise nodes are Composites by now)
"""
from . import blas, canonicalize, specialize, stabilize, structure
from .engine import Phase, Pipeline
from .fusion import FusionPhase
from .memory import MemoryPhase
from .merge import MergePhase
from .placement import PlacementPhase

PIPELINE = Pipeline([
    MergePhase(),
    # scan's rewrites (pruning loops, turning maps into batched graphs): gpugrad.scan, which
    # sits above the pipeline (it optimizes loop bodies with it), adds them when imported
    Phase("scan", (), modes=("fast_run", "fast_compile")),
    Phase("structure", structure.REWRITES, modes=("fast_run", "fast_compile")),
    Phase("canonicalize", canonicalize.REWRITES + structure.REWRITES, modes=("fast_run", "fast_compile")),
    Phase("stabilize", stabilize.REWRITES + canonicalize.REWRITES),
    Phase("specialize", specialize.REWRITES + canonicalize.REWRITES),
    MergePhase(),
    PlacementPhase(),
    Phase("blas", blas.REWRITES),
    FusionPhase(),
    MemoryPhase(),
])

_MODES = {"fast_run": "fast_run", "FAST_RUN": "fast_run", "fast_compile": "fast_compile",
          "FAST_COMPILE": "fast_compile", "None": "None", None: "fast_run"}


def optimize(fgraph, optimizer="fast_run", device="cpu"):
    """Rewrite ``fgraph`` in place with the phases ``optimizer`` selects, for ``device``
    (a resolved device name, kept as ``fgraph.device`` for placement)."""
    if optimizer not in _MODES:
        raise ValueError(f"unknown optimizer {optimizer!r}; use 'fast_run', 'fast_compile' or 'None'")
    fgraph.device = device
    return PIPELINE.run(fgraph, _MODES[optimizer])
