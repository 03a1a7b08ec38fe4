"""The rewrite pipeline, in order. ``print(PIPELINE)`` lists it."""
from .engine import Pipeline

PIPELINE = Pipeline([])


def optimize(fgraph, optimizer="fast_run"):
    """Rewrite ``fgraph`` in place with the phases ``optimizer`` selects."""
    return PIPELINE.run(fgraph, optimizer)
