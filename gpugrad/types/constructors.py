"""Symbolic input constructors: ``T.dmatrix('x')``, ``T.tensor('float32', shape=(None, 3))``.

As in Theano, a typed shorthand (``T.dmatrix``, ``T.frow``) *is* a ``TensorType``: calling
it makes a variable (``T.dscalar('x')``) and ``x.type is T.dscalar``. The generic ones
(``T.matrix``, ``T.row``) are functions whose dtype defaults to ``config.floatX``. Every
kind has a plural (``T.dscalars('a', 'b')``, ``T.matrices(3)``)."""
from . import dtypes
from .tensor_type import TensorType
from .variable import TensorVariable

# kind -> static shape: None is a size known at run time, 1 a broadcastable axis
KINDS = {"scalar": (), "vector": (None,), "matrix": (None, None), "row": (1, None), "col": (None, 1),
         **{f"tensor{n}": (None,) * n for n in range(3, 8)}}


def tensor(dtype=None, shape=None, name=None, ndim=None):
    """A symbolic input; ``shape`` gives static sizes (None: unknown, 1: broadcastable)."""
    if isinstance(dtype, (tuple, list)) and shape is None:
        dtype, shape = None, dtype
    if shape is None:
        shape = (None,) * (ndim or 0)
    return TensorVariable(TensorType(dtypes.as_dtype(dtype), shape), name=name)


def _generic(shape):
    def make(name=None, dtype=None, shape=shape):
        return tensor(dtype, shape, name=name)
    return make


def _plural(make):
    """Theano's plural constructors: ``dscalars('a', 'b')`` gives one variable per name,
    ``dscalars(3)`` three unnamed ones; as in Theano, one string is a sequence of names
    (``scalars('xs')`` gives x and s) and a one-letter string gives one variable."""
    def make_many(*names, **kwargs):
        if len(names) == 1 and isinstance(names[0], int):
            return [make(**kwargs) for _ in range(names[0])]
        if len(names) == 1:
            names = names[0]
            if len(names) == 1:
                return make(names, **kwargs)
        return [make(name, **kwargs) for name in names]
    return make_many


def _plural_name(kind):
    return "matrices" if kind == "matrix" else kind + "s"


def _table():
    made = {}
    for kind, shape in KINDS.items():
        made[kind] = _generic(shape)
        made[_plural_name(kind)] = _plural(made[kind])
        for letter, dtype in dtypes.LETTERS.items():
            made[letter + kind] = TensorType(dtype, shape)
            made[letter + _plural_name(kind)] = _plural(made[letter + kind])
    return made


CONSTRUCTORS = _table()
