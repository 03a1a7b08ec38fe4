"""Pickling and deep copies of compiled functions, and of the ops that hold code.

A compiled ``Function`` is closures over storage cells, kernels and device memory: none
of that can be saved, and a deep copy of it would keep writing into the original's cells.
So a function remembers what it was compiled from (``remembered``: the arguments of
``gpugrad.function``: inputs, outputs, updates, givens, device, options), pickles as that
and compiles itself again when it is loaded or deep-copied. A ``cuda`` function loaded
where there is no GPU then runs on the CPU, with the usual DeviceFallbackWarning. Its
shared variables travel by value inside the same pickle, so pickle's memo keeps one object
per variable: ``pickle.dumps([f, w])`` loads as a function that updates the loaded ``w``.

Elementwise rows (``ScalarOp``) hold their NumPy function and derivative maps: they
pickle by name and are looked up in the table when loaded. A ``TensorType`` pickles as its
dtype and shape (it derives the rest). (A ``Scan`` drops its compiled bodies itself.)
"""
import copyreg
import functools
import inspect

from ..config import config
from ..errors import PicklingError
from ..ops import scalar
from ..types.tensor_type import TensorType


def remembered(compile_function):
    """``compile_function`` (``gpugrad.function``), its results remembering their arguments;
    a ``device`` left to the configuration is recorded as the configuration says now."""
    signature = inspect.signature(compile_function)

    @functools.wraps(compile_function)
    def compile_and_remember(*args, **kwargs):
        f = compile_function(*args, **kwargs)
        arguments = signature.bind(*args, **kwargs).arguments
        if arguments.get("device") is None:
            arguments["device"] = config.device
        f._recipe = {k: list(v) if isinstance(v, (list, tuple)) else dict(v) if isinstance(v, dict) else v
                     for k, v in arguments.items()}
        return f
    return compile_and_remember


def reduce_function(f):
    """``Function.__reduce__``: compile again from the remembered arguments, or, for a
    ``Function.copy``, pickle the original (``_copied_from``: it and the copy's options) and
    copy it again; ``trust_input`` is kept, as Theano's pickles do."""
    recipe, copied = getattr(f, "_recipe", None), getattr(f, "_copied_from", None)
    if recipe is not None:
        return _compiled, (recipe, f.trust_input)
    if copied is not None:
        return _copy_of, (*copied, f.trust_input)
    raise PicklingError(f"cannot pickle {f._label()}: it was not made by gpugrad.function, so what it was "
                        "compiled from is unknown")


def _compiled(recipe, trust_input=False):
    from .function import function
    f = function(**recipe)
    f.trust_input = trust_input
    return f


def _copy_of(original, options, trust_input=False):
    f = original.copy(**options)
    f.trust_input = trust_input
    return f


def _reduce_scalar_op(op):
    return _scalar_op, (op.name, op.params)


def _scalar_op(name, params):
    """The row of the table named ``name`` (a cast is made for its dtype, ``params``)."""
    return scalar.ROWS[name] if name in scalar.ROWS else scalar._cast_op(*params).scalar_op


def _reduce_tensor_type(t):
    return TensorType, (t.dtype, t.shape)


copyreg.pickle(scalar.ScalarOp, _reduce_scalar_op)
copyreg.pickle(TensorType, _reduce_tensor_type)
