"""Region growing (rewrites/regions.py) keeps its cycle checks cheap on deep graphs."""
import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.rewrites import regions



def _chain(x, W, k):
    """Products between elementwise regions, with reductions: every step a region of its own."""
    z = x
    for _ in range(k):
        z = T.tanh(T.dot(z, W) * 0.5) - z.mean(axis=1, keepdims=True)
    return z


def _region_steps(k, monkeypatch):
    """How many region lookups fusing a ``k``-step chain and its gradient takes."""
    steps = [0]
    find = regions.Regions.find

    def counted(self, g):
        steps[0] += 1
        return find(self, g)
    monkeypatch.setattr(regions.Regions, "find", counted)
    x, W = T.dmatrix("x"), T.dmatrix("W")
    cost = _chain(x, W, k).sum()
    with gg.config.change_flags(cpu_codegen=True):
        gg.function([x, W], [cost, T.grad(cost, x)])
    return steps[0]


def test_cycle_checks_grow_at_most_quadratically_with_depth(monkeypatch):
    """Dependencies closed over every region upstream made each check walk them all: a
    1,100-op chain took minutes to compile with the CPU kernels on (8x the work per
    doubling; now 4x)."""
    assert _region_steps(60, monkeypatch) < 5 * _region_steps(30, monkeypatch)
