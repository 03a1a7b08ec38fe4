"""``verify_grad``: the analytic gradient against central finite differences, along
random directions, for real and complex inputs."""
import numpy as np

from ..errors import GradientError
from ..graph.debug_values import on_placeholders
from ..types import dtypes
from ..types.variable import TensorVariable
from ..types.tensor_type import TensorType

_EPS = {"float32": 1e-2, "float64": 1e-6, "complex64": 1e-2, "complex128": 1e-6}
_TOL = {"float32": 5e-2, "float64": 1e-4, "complex64": 5e-2, "complex128": 1e-4}


@on_placeholders
def verify_grad(fun, pt, n_tests=2, rng=None, eps=None, abs_tol=None, rel_tol=None, mode=None):
    """Check ``grad`` of ``fun`` (symbolic inputs -> one symbolic output) at the point ``pt``
    (a list of arrays). The output is projected on a random tensor to make a real scalar
    cost; its gradient is compared with a central difference along a random direction
    (real and imaginary parts for complex inputs). Raises GradientError naming the
    worst absolute and relative error and the input it was found in."""
    from ..autodiff.grad import grad
    from ..compile.function import function
    from ..ops import reduce as R, scalar as S
    rng = rng if rng is not None else np.random.default_rng(42)
    pt = [np.array(p) for p in pt]
    inputs = [TensorVariable(TensorType(p.dtype, (None,) * p.ndim), name=f"input{i}") for i, p in enumerate(pt)]
    out = fun(*inputs)
    dtype = str(np.result_type(*[p.dtype for p in pt if p.dtype.kind in "fc"] or [np.float64]))
    real = dtypes.real_dtype(dtype)
    eps = eps if eps is not None else _EPS.get(dtype, 1e-6)
    abs_tol = abs_tol if abs_tol is not None else _TOL.get(dtype, 1e-4)
    rel_tol = rel_tol if rel_tol is not None else _TOL.get(dtype, 1e-4)
    cost_f = function(inputs, out, on_unused_input="ignore", mode=mode)
    out_value = np.asarray(cost_f(*pt))
    for _ in range(n_tests):
        projection = rng.standard_normal(out_value.shape).astype(real)
        if np.iscomplexobj(out_value):
            projection = projection + 1j * rng.standard_normal(out_value.shape).astype(real)
        proj = TensorVariable(TensorType(projection.dtype, (None,) * projection.ndim), name="projection")
        cost = R.sum(S.real(S.conj(proj) * out)) if np.iscomplexobj(out_value) else R.sum(proj * out)
        grads = grad(cost, inputs, disconnected_inputs="ignore")
        f = function(inputs + [proj], [cost] + grads, on_unused_input="ignore", mode=mode)
        analytic = f(*pt, projection)[1:]
        for i, (p, g) in enumerate(zip(pt, analytic)):
            if p.dtype.kind not in "fc":
                continue
            _check_input(f, pt, projection, i, np.asarray(g), rng, eps, abs_tol, rel_tol)


def _check_input(f, pt, projection, i, g, rng, eps, abs_tol, rel_tol):
    parts = [1.0] + ([1j] if pt[i].dtype.kind == "c" else [])
    for unit in parts:
        direction = rng.standard_normal(pt[i].shape) * unit
        plus, minus = list(pt), list(pt)
        plus[i] = (pt[i] + eps * direction).astype(pt[i].dtype)
        minus[i] = (pt[i] - eps * direction).astype(pt[i].dtype)
        numeric = (np.float64(f(*plus, projection)[0]) - np.float64(f(*minus, projection)[0])) / (2 * eps)
        analytic = float(np.sum(np.real(np.conj(g) * direction)))
        abs_err = abs(numeric - analytic)
        rel_err = abs_err / max(abs(numeric) + abs(analytic), 1e-12)
        if abs_err > abs_tol and rel_err > rel_tol:
            where = f"input {i}" + (" (imaginary direction)" if unit == 1j else "")
            raise GradientError(
                f"verify_grad: gradient mismatch in {where}: analytic {analytic:.8g}, finite difference "
                f"{numeric:.8g} (abs error {abs_err:.3g} > {abs_tol:g}, rel error {rel_err:.3g} > {rel_tol:g})",
                abs_err, rel_err, where)
