"""Test helpers shared by gpugrad's own tests and by authors of new ops."""
import numpy as np

from .compile.function import function
from .graph.basic import Variable
from .ops.shape import shape_tuple
from .types.variable import as_tensor_variable

DOMAINS = {
    "real": lambda rng, shape: rng.standard_normal(shape),
    "positive": lambda rng, shape: rng.uniform(0.5, 2.0, shape),
    "unit": lambda rng, shape: rng.uniform(-0.9, 0.9, shape),
    "above_one": lambda rng, shape: rng.uniform(1.2, 3.0, shape),
    "small": lambda rng, shape: rng.uniform(-1.0, 1.0, shape),
}


def random_array(rng, shape, dtype="float64", domain="real"):
    """Random values of ``dtype`` in a domain where the op is smooth (``DOMAINS``)."""
    values = DOMAINS[domain](rng, shape)
    if np.dtype(dtype).kind == "c":
        values = values + 1j * DOMAINS[domain](rng, shape) * 0.5
    elif np.dtype(dtype).kind in "iu":
        values = np.round(values * 3)
    elif np.dtype(dtype).kind == "b":
        values = values > 0
    return np.asarray(values).astype(dtype)


def inferred_shapes(outputs, inputs, values):
    """The shapes of ``outputs`` as computed by shape inference alone (each op's
    ``infer_shape``), evaluated at ``values``: what rewrites rely on."""
    outputs = [as_tensor_variable(o) for o in outputs]
    dims = []
    for out in outputs:
        node = out.owner
        in_shapes = [shape_tuple(v) for v in node.inputs]
        shape = node.op.infer_shape(node, in_shapes)[out.index]
        dims.append([d if isinstance(d, Variable) else as_tensor_variable(np.int64(d)) for d in shape])
    flat = [d for shape in dims for d in shape]
    f = function(inputs, flat, on_unused_input="ignore", mode="None") if flat else None
    got = iter(f(*values) if f else [])
    return [tuple(int(next(got)) for _ in shape) for shape in dims]


def check_infer_shape(outputs, inputs, values):
    """Assert that shape inference agrees with the computed outputs."""
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    actual = function(inputs, list(outputs), on_unused_input="ignore")(*values)
    inferred = inferred_shapes(outputs, inputs, values)
    for out, a, s in zip(outputs, actual, inferred):
        assert np.shape(a) == s, f"{out.owner.op}: infer_shape gave {s}, the output has shape {np.shape(a)}"
        static = out.type.shape
        assert all(t is None or t == d for t, d in zip(static, np.shape(a))), \
            f"{out.owner.op}: static shape {static} contradicts the output shape {np.shape(a)}"


def numeric_jacobian(fn, x, eps=1e-6):
    """Central-difference Jacobian of a NumPy function at ``x`` (float64): shape out + in."""
    x = np.asarray(x, dtype="float64")
    out = np.asarray(fn(x))
    jac = np.zeros(out.shape + x.shape, dtype=np.result_type(out, np.float64))
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        jac[(Ellipsis,) + idx] = (np.asarray(fn(x + step)) - np.asarray(fn(x - step))) / (2 * eps)
    return jac


__all__ = ["random_array", "inferred_shapes", "check_infer_shape", "numeric_jacobian", "DOMAINS"]
