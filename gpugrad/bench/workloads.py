"""The suite: each workload's data, sizes (full and ``--quick``), hand-written reference
and tolerance. Every library's builders are keyed by these names."""
from dataclasses import dataclass
from functools import partial
from typing import Callable

from . import BenchError, reference as ref


@dataclass(frozen=True)
class Workload:
    name: str
    title: str                  # "{n}" stands for the size
    sizes: tuple                # (full, quick)
    data: Callable              # (rng, size) -> dict of NumPy arrays and Python floats
    reference: Callable         # (xp, data already in xp) -> a call returning the expected result
    rtol: float = 1e-10
    atol: float = 1e-12
    checked_calls: int = 1      # results compared with the reference (a training step: 2)
    untimed_by_hand: str = ""   # why no hand-written code is timed, where none is

    def size(self, quick):
        return self.sizes[1] if quick else self.sizes[0]

    def heading(self, quick):
        return self.title.format(n=self.size(quick))


def calling(fn, *keys):
    """A reference builder: ``fn(xp, data[key], ...)``."""
    def build(xp, data):
        return partial(fn, xp, *(data[key] for key in keys))
    return build


def mlp_reference(xp, data):
    step = ref.mlp_step(xp, [data[key] for key in ref.MLP_PARAMETERS])
    return partial(step, data["X"], data["Y"])


def _expm(n):
    return Workload(f"expm-{n}", "d expm(1j x H)/dx, H {n}x{n} complex128", (n, min(n, 16)), ref.hermitian,
                    calling(ref.expm_derivative, "x", "H"))


WORKLOADS = (
    Workload("scalar-grad", "d(x**2)/dx at a Python float (per-call overhead)", (None, None), ref.scalar,
             calling(ref.scalar_gradient, "x")),
    Workload("logistic", "logistic gradient, {n}x{n} float64", (1000, 100), ref.matrix,
             calling(ref.logistic_gradient, "x"), rtol=1e-12),
    Workload("jacobian", "full Jacobian of x**3 sin(x), n={n}", (10_000, 300), ref.vector,
             calling(ref.elementwise_jacobian, "x"), rtol=1e-12),
    Workload("jacobian-diag", "Jacobian diagonal of x**3 sin(x), n={n}", (10_000, 1000), ref.vector,
             calling(ref.elementwise_derivative, "x"), rtol=1e-12),
    Workload("hessian", "dense Hessian of sum(x**2 exp(-x)) + sum(x)**2, n={n}", (500, 40), ref.vector,
             calling(ref.hessian, "x")),
    Workload("hvp-rev", "Hessian-vector product, reverse over reverse, n={n}", (100_000, 1000),
             ref.vector_and_direction, calling(ref.hessian_vector_product, "x", "v"), rtol=1e-9, atol=1e-9),
    Workload("hvp-fwd", "Hessian-vector product, forward over reverse, n={n}", (100_000, 1000),
             ref.vector_and_direction, calling(ref.hessian_vector_product, "x", "v"), rtol=1e-9, atol=1e-9),
    Workload("rop", "R-op of dot(x, W) wrt W, {n}x{n}", (1000, 100), ref.dot_tangent,
             calling(ref.dot_rop, "x", "V"), atol=1e-9),
    Workload("lop", "L-op of dot(x, W) wrt W, {n}x{n}", (1000, 100), ref.dot_cotangent,
             calling(ref.dot_lop, "x", "u")),
    Workload("mlp-step", "MLP 784-512-10 SGD step, batch {n}, float32", (256, 16), ref.mlp, mlp_reference,
             rtol=1e-4, atol=1e-6, checked_calls=2),
    _expm(3),
    _expm(64),
    Workload("scan-jacobian", "the tutorial's scan Jacobian of x**2, n={n}", (1000, 50), ref.vector,
             calling(ref.square_jacobian, "x"), rtol=1e-12, atol=0),
    Workload("compile", "compile a fresh logistic gradient, first call on {n}x{n}", (10, 10), ref.matrix,
             calling(ref.logistic_gradient, "x"), rtol=1e-12,
             untimed_by_hand="hand-written code has nothing to compile"),
)

BY_NAME = {workload.name: workload for workload in WORKLOADS}


def select(names):
    """The workloads named (all for none), in the suite's order."""
    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        raise BenchError(f"unknown workload {', '.join(unknown)}; the workloads are {', '.join(BY_NAME)}")
    return [w for w in WORKLOADS if not names or w.name in names]
