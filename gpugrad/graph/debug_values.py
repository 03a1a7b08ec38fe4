"""``config.compute_test_value``: every node computed on test values as it is built, as in
Theano, so a bad shape raises at the line of user code that made the node.

Values come from constants, shared variables and ``x.tag.test_value`` (converted to the
variable's type); each new node's outputs get theirs from the op's NumPy ``perform``. A
missing value is an error (``'raise'``), a warning (``'warn'``) or skipped (``'ignore'``).
Graphs gpugrad builds on placeholders (a loop's body, a batched Jacobian) are built with
the setting off."""
import contextlib
import functools
import warnings

import numpy as np

from ..config import config
from ..errors import ComputeTestValueError
from .basic import Constant

_MISSING = object()


def value_of(var):
    """The test value of ``var``, or ``_MISSING``."""
    if isinstance(var, Constant):
        return var.data
    if hasattr(var, "get_value"):
        return var.get_value(borrow=True)
    if "test_value" not in var.tag:
        return _MISSING
    return var.type.filter(var.tag.test_value, f"the test value of {var.name or var.type}")


def compute_test_values(node):
    """Set the test values of ``node``'s outputs from its inputs', or act on a missing one."""
    values = []
    for var in node.inputs:
        value = value_of(var)
        if value is _MISSING:
            _missing(var, node, config.compute_test_value)
            return
        values.append(value)
    try:
        with np.errstate(all="ignore"):
            results = node.op.perform(node, values)
    except Exception as exc:
        shapes = ", ".join(str(np.shape(v)) for v in values)
        raise ComputeTestValueError(f"{node.op} fails on the test values of its inputs "
                                    f"({', '.join(map(str, node.inputs))}) of shapes ({shapes}): {exc}") from exc
    for out, result in zip(node.outputs, results):
        out.tag.test_value = result


def _missing(var, node, mode):
    message = (f"{var} has no test value (needed by {node.op}): set {var}.tag.test_value, "
               "or set config.compute_test_value to 'ignore' or 'off'")
    if mode == "raise":
        raise ComputeTestValueError(message)
    if mode == "warn":
        warnings.warn(message, stacklevel=4)


def suspended():
    """Build a graph on placeholders (which have no test values) without computing any."""
    if config.compute_test_value == "off":
        return contextlib.nullcontext()
    return config.change_flags(compute_test_value="off")


def on_placeholders(build):
    """Decorate a function that builds graphs on placeholders: no test values while it runs."""
    @functools.wraps(build)
    def building(*args, **kwargs):
        with suspended():
            return build(*args, **kwargs)
    return building
