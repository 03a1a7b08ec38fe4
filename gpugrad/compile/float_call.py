"""The fast call of a compiled function whose every value is a float64 scalar: the
tutorial's ``function([x], grad(x ** 2, x))`` and its kin.

Such a graph costs almost nothing to compute, and running it as a program costs several
microseconds: each node is a NumPy ufunc call on 0-d arrays (0.5-1 µs each), every
argument becomes a 0-d array, every result passes the program's copy checks. Where the
graph holds only ``+ - * /``, negation, ``sqr`` and ``abs``, the same results come from
Python floats: CPython's floats are C doubles and those operations are single IEEE
operations, exactly what NumPy's loops do, so the results agree to the bit (signed zeros
and infinities included; a NaN is a NaN, though which one comes out where two meet, IEEE
leaves open, and NumPy's loops and CPython's may differ). ``float_call`` generates one
Python function computing every output that way and returning each as a new 0-d float64
array (the caller owns it, as a program's result).

Python raises on a division by zero where IEEE gives an infinity or a NaN: such a call
runs the program instead (``fallback``). Any other op, dtype, shape, a shared variable or
an update leaves the function to its program (``float_call`` returns None).
"""
import numpy as np

from ..graph.basic import Constant
from ..ops.elemwise import Composite, Elemwise

_FLOAT64 = "float64"
_EXACT_INT = 2 ** 53  # integers up to here are exactly floats
_MOST_VALUES, _MOST_OPERANDS = 256, 32  # inputs or nodes; operands of a node. Beyond, a call's
# overhead hardly matters, and Python's compiler would nest too deeply

_EXPRESSIONS = {  # scalar op name -> the Python expression of its operands
    "add": lambda args: "(" + " + ".join(args) + ")",  # folded left to right, as _nary
    "mul": lambda args: "(" + " * ".join(args) + ")",
    "sub": lambda args: f"({args[0]} - {args[1]})",
    "true_divide": lambda args: f"({args[0]} / {args[1]})",
    "neg": lambda args: f"(-{args[0]})",
    "sqr": lambda args: f"({args[0]} * {args[0]})",
    "abs": lambda args: f"abs({args[0]})",
}


class FloatCall:
    """``checked(*args)``: a call with the arguments filtered as a program's are (a Python
    float is taken as it is, anything else through the input's filter, which raises the
    usual errors); ``trusted(*args)``: each argument only made a float with ``float()``
    (``Function.trust_input``)."""

    def __init__(self, checked, trusted):
        self.checked, self.trusted = checked, trusted


def float_call(fgraph, filters, single, fallback):
    """The ``FloatCall`` of ``fgraph`` (no shared variables among its inputs, ``filters``:
    (filter, what) per input), or None where the graph is not all float64 scalars and ops
    of ``_EXPRESSIONS``. ``single``: return the one result, not a list; ``fallback(args)``
    computes a call whose arguments divide by zero."""
    if len(fgraph.inputs) > _MOST_VALUES:
        return None
    names = {}
    for k, var in enumerate(fgraph.inputs):
        if not _is_float_scalar(var):
            return None
        names[var] = f"a{k}"
    constants, lines = {}, []
    for node in fgraph.toposort():
        if not _translate(node.op, node.inputs, node.outputs, names, constants, lines):
            return None
    results = []
    for var in fgraph.outputs:
        if var not in names and not _name_constant(var, names, constants):
            return None
        results.append(f"_array({names[var]})")
    returned = results[0] if single else "[" + ", ".join(results) + "]"
    namespace = dict(constants, _array=np.array, _float=float, _fallback=fallback)
    arguments = [names[var] for var in fgraph.inputs]
    namespace.update({f"_filter{k}": filt for k, (filt, _) in enumerate(filters)})
    namespace.update({f"_what{k}": what for k, (_, what) in enumerate(filters)})
    checked = [f"    if type({a}) is not float: {a} = _float(_filter{k}({a}, _what{k}))"
               for k, a in enumerate(arguments)]
    trusted = [f"    {a} = _float({a})" for a in arguments]
    return FloatCall(_define("checked", arguments, checked, lines, returned, namespace),
                     _define("trusted", arguments, trusted, lines, returned, namespace))


def _define(name, arguments, conversions, lines, returned, namespace):
    """A function ``name(*arguments)``: the conversions, then the computation (a division by
    zero: the fallback, given the arguments as they came)."""
    signature = ", ".join(arguments)
    body = "\n".join(f"        {line}" for line in lines + [f"return {returned}"])
    source = (f"def {name}({signature}):\n    given = ({signature}{',' if len(arguments) == 1 else ''})\n"
              + "".join(line + "\n" for line in conversions)
              + f"    try:\n{body}\n    except ZeroDivisionError:\n        return _fallback(given)\n")
    exec(compile(source, f"<float call {name}>", "exec"), namespace)  # noqa: S102 (generated from the table)
    return namespace.pop(name)


def _translate(op, inputs, outputs, names, constants, lines):
    """Add the lines computing ``outputs`` of ``op`` from ``inputs``; False where it cannot."""
    if isinstance(op, Composite):  # fused on the CPU: its inner nodes, over the outer names
        if not all(v in names or _name_constant(v, names, constants) for v in inputs):
            return False
        inner = {iv: names[v] for iv, v in zip(op.inputs, inputs)}
        if not all(_translate(n.op, n.inputs, n.outputs, inner, constants, lines) for n in op.nodes):
            return False
        if not all(iv in inner for iv in op.outputs):
            return False
        names.update((outer, inner[iv]) for outer, iv in zip(outputs, op.outputs))
        return True
    expression = _EXPRESSIONS.get(op.scalar_op.name) if isinstance(op, Elemwise) else None
    if expression is None or len(outputs) != 1 or not _is_float_scalar(outputs[0]):
        return False
    if len(inputs) > _MOST_OPERANDS or len(lines) >= _MOST_VALUES:
        return False
    if not all(v in names or _name_constant(v, names, constants) for v in inputs):
        return False
    name = names[outputs[0]] = f"v{len(lines)}"
    lines.append(f"{name} = {expression([names[v] for v in inputs])}")
    return True


def _is_float_scalar(var):
    return var.type.dtype == _FLOAT64 and var.type.ndim == 0


def _name_constant(var, names, constants):
    """Name a 0-d real constant whose value is exactly a float; False for any other variable."""
    if not isinstance(var, Constant) or var.data.ndim != 0 or var.data.dtype.kind not in "biuf":
        return False
    value = var.data.item()
    if isinstance(value, int) and abs(value) > _EXACT_INT:
        return False
    name = names[var] = f"_c{len(constants)}"
    constants[name] = float(value)
    return True
