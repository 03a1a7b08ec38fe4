"""The elementwise table: one row per scalar op, lifted to arrays by ``Elemwise``.

A row gives the NumPy function (which also decides the output dtype, NEP 50 rules
included) and the derivative as one linear map per input, ``d[i](seed, *inputs, out)``:
the derivative of ``out`` along input ``i`` applied to ``seed``. Both modes use it:

    pullback_i    = conj(d[i](conj(g)))     (g: gradient of out; conj only for complex)
    pushforward   = sum_i d[i](t_i)         (t_i: tangent of input i)

which is exact for real functions and holomorphic complex ones. Rows that are not
holomorphic (abs, real, imag, conj, angle, complex) give ``pullback`` and
``pushforward`` themselves. ``discrete`` rows (comparisons, rounding, integer
division) have zero derivatives.

``cuda`` is the row's CUDA C expression, one template or a dict from dtype kinds
("b" bool, "i"/"u" integers, "f" floats, "c" complex) to templates, for the compute
type ``{T}`` the operands are converted to: ``{0}``, ``{1}`` are the converted
operands, ``{raw0}`` operand 0 as it is, ``{out}`` the output's C type; variadic rows
fold their binary template left to right. ``codegen/elementwise.py`` renders it; a
dtype kind without a template runs on the host.
"""
import functools
import math
import operator
from dataclasses import dataclass, field

import numpy as np
import scipy.special

from ..types import dtypes
from ..types.variable import as_tensor_variable
from .elemwise import Elemwise
from .shape import zeros_like


@dataclass(frozen=True, eq=False)
class ScalarOp:
    name: str
    nin: int
    numpy: object
    d: tuple = ()
    discrete: bool = False
    infix: str = None
    identity: object = None
    custom_pullback: object = None
    custom_pushforward: object = None
    params: tuple = field(default=())
    cuda: object = None

    def __eq__(self, other):
        return isinstance(other, ScalarOp) and (self.name, self.params) == (other.name, other.params)

    def __hash__(self):
        return hash((self.name, self.params))

    def pullback(self, inputs, out, g):
        if self.discrete or dtypes.is_discrete(out.dtype):
            return [_zeros_grad(x) for x in inputs]
        if self.custom_pullback is not None:
            return self.custom_pullback(g, *inputs, out)
        args = _numeric(inputs, out)
        if dtypes.is_complex(g.dtype) or dtypes.is_complex(out.dtype):
            return [conj(self._d(i, inputs)(conj(g), *args, out)) for i in range(len(inputs))]
        return [self._d(i, inputs)(g, *args, out) for i in range(len(inputs))]

    def pushforward(self, inputs, out, tangents):
        if self.discrete or dtypes.is_discrete(out.dtype):
            return _zeros_grad(out)
        if self.custom_pushforward is not None:
            return self.custom_pushforward(tangents, *inputs, out)
        args = _numeric(inputs, out)
        terms = [self._d(i, inputs)(t, *args, out) for i, t in enumerate(tangents) if t is not None]
        total = functools.reduce(operator.add, terms) if terms else _zeros_grad(out)
        return total if total.dtype == out.dtype or dtypes.is_complex(total.dtype) else cast(total, out.dtype)

    def _d(self, i, inputs):
        """The map for input ``i``; variadic rows hold one factory of maps instead."""
        return self.d[0](i) if self.nin == -1 else self.d[i]


def _numeric(inputs, out):
    """The inputs as the derivative maps read them: a bool one (``erfc`` of a mask) cast to
    the output's dtype, as NumPy has no arithmetic such as negation of bools."""
    return [cast(x, out.dtype) if x.dtype == "bool" else x for x in inputs]


def _zeros_grad(x):
    return zeros_like(x, dtype=dtypes.grad_dtype(x.dtype))


def _no_derivative(s, *args):
    """The map of an input the output does not vary with (the condition of a switch)."""
    return _zeros_grad(s)


_PYTHON_SCALARS = frozenset((bool, int, float, complex))


def _nary(fn):
    """A NumPy binary ufunc folded over any number of arguments (flattened add and mul);
    partial results are updated in place where their shape and dtype allow. Two Python
    scalars (weak constants) first make a Python scalar again, as in NumPy 2: ``2 * 2 * x``
    of a float32 ``x`` is float32, whichever order the operands come in."""
    def apply(*args, out=None):
        result = fn(args[0], args[1], out=out)
        if not isinstance(result, np.ndarray) and type(args[0]) in _PYTHON_SCALARS and type(args[1]) in _PYTHON_SCALARS:
            result = result.item()
        for arg in args[2:]:
            fits = (isinstance(result, np.ndarray) and np.result_type(result, arg) == result.dtype
                    and np.broadcast_shapes(result.shape, np.shape(arg)) == result.shape)
            result = fn(result, arg, out=result if fits else None)
        return result
    apply.__name__ = fn.__name__
    apply.accepts_out = True
    return apply


def _multiply(a, b, out=None):
    """``np.multiply``, except complex times complex is (ac - bd) + i(ad + bc) with every
    product and sum rounded: NumPy's SIMD loops fuse them into FMAs where the CPU has them
    (so imag(z * conj(z)) is not 0), and the kernels (CuPy's complex, compiled without FMA
    contraction) do not. Both parts are computed before ``out`` (which may alias an input)
    is written."""
    if not (np.iscomplexobj(a) and np.iscomplexobj(b)):
        return np.multiply(a, b, out=out)
    dtype = np.result_type(a, b)
    a, b = np.asarray(a, dtype), np.asarray(b, dtype)
    real = a.real * b.real - a.imag * b.imag
    imag = a.real * b.imag + a.imag * b.real
    if out is None:
        out = np.empty(np.broadcast_shapes(a.shape, b.shape), dtype)
    out.real, out.imag = real, imag
    return out


def _power(x, y, out=None):
    """``np.power``, except an integer to a negative integer power, which NumPy refuses: the
    exact power truncated toward zero (1 and -1 keep theirs, any other base gives 0), as in
    JAX and PyTorch and in the kernels (``gg_spow``), so every device gives one answer."""
    dtype = np.result_type(x, y)
    if dtype.kind != "i" or not np.any(np.less(y, 0)):
        return np.power(x, y, out=out)
    x, y = np.asarray(x, dtype), np.asarray(y, dtype)
    negative = np.less(y, 0)
    truncated = np.where(x == 1, 1, np.where(x == -1, 1 - 2 * (y & 1), 0)).astype(dtype)
    result = np.where(negative, truncated, np.power(x, np.where(negative, 0, y)))
    if out is None:
        return result
    np.copyto(out, result, casting="unsafe")
    return out


_power.accepts_out = True


def _square(x, out=None):
    """``np.square``, complex values as ``_multiply(x, x)`` (NumPy's loop fuses FMAs too)."""
    return _multiply(x, x, out=out) if np.iscomplexobj(x) else np.square(x, out=out)


_square.accepts_out = True


def _others_product(i):
    """d/dx_i of x_0 * x_1 * ... applied to s: s times every other factor."""
    def d(s, *args):
        factors = [a for k, a in enumerate(args[:-1]) if k != i]
        return functools.reduce(operator.mul, [s] + factors)
    return d


def _softplus(x):
    return np.logaddexp(0, x)


def _sigmoid(x, out=None):
    """1 / (1 + exp(-x)) in one buffer with NumPy's vectorized exp (scipy's expit is a
    scalar loop, several times slower). Where exp(-x) overflows the result is exactly 0,
    the right limit, and relative accuracy holds elsewhere."""
    x = np.asarray(x)
    if out is None:
        out = np.empty(x.shape, np.result_type(np.exp(np.zeros(0, x.dtype))))
    if x.dtype.kind in "bu":  # NumPy has no negative of bools, and one of unsigned integers wraps
        x = x.astype(out.dtype)
    np.negative(x, out=out)
    np.exp(out, out=out)
    np.add(out, 1, out=out)
    return np.reciprocal(out, out=out)


_sigmoid.accepts_out = True


def _round_half_even(x):
    return np.round(x)


def _complex(re, im):
    return np.add(re, np.multiply(1j, im))


ROWS = {}


def row(name, nin, fn, *d, **kwargs):
    ROWS[name] = ScalarOp(name, nin, fn, tuple(d), **kwargs)
    return Elemwise(ROWS[name])


# Derivative maps: s is the seed, then the inputs, then the output z.
add = row("add", -1, _nary(np.add), lambda i: lambda s, *a: s, infix="+", identity=0, cuda="{0} + {1}")
mul = row("mul", -1, _nary(_multiply), _others_product, infix="*", identity=1, cuda="{0} * {1}")
sub = row("sub", 2, np.subtract, lambda s, x, y, z: s, lambda s, x, y, z: -s, infix="-", cuda={"iufc": "{0} - {1}"})
true_divide = row("true_divide", 2, np.true_divide,
                  lambda s, x, y, z: s / y, lambda s, x, y, z: -(s * z) / y, infix="/", cuda={"fc": "{0} / {1}"})
floor_divide = row("floor_divide", 2, np.floor_divide, discrete=True, infix="//",
                   cuda={"i": "gg_floordiv({0}, {1})", "u": "{1} == 0 ? {T}(0) : {T}({0} / {1})",
                         "f": "gg_ffloordiv({0}, {1})"})
mod = row("mod", 2, np.mod, lambda s, x, y, z: s, lambda s, x, y, z: -s * floor_divide(x, y), infix="%",
          cuda={"i": "gg_imod({0}, {1})", "u": "{1} == 0 ? {T}(0) : {T}({0} % {1})", "f": "gg_fmod({0}, {1})"})
pow = row("pow", 2, _power, lambda s, x, y, z: s * y * x ** (y - 1),
          lambda s, x, y, z: s * log(x) * z, infix="**",
          cuda={"i": "gg_spow({0}, {1})", "u": "gg_ipow({0}, {1})", "f": "pow({0}, {1})", "c": "gg_cpow({0}, {1})"})
maximum = row("maximum", 2, np.maximum, lambda s, x, y, z: _tie_share(s, x, y),
              lambda s, x, y, z: _tie_share(s, y, x), cuda={"biuf": "{0} > {1} || {0} != {0} ? {0} : {1}"})
minimum = row("minimum", 2, np.minimum, lambda s, x, y, z: _tie_share(s, y, x),
              lambda s, x, y, z: _tie_share(s, x, y), cuda={"biuf": "{0} < {1} || {0} != {0} ? {0} : {1}"})
arctan2 = row("arctan2", 2, np.arctan2, lambda s, y, x, z: s * x / (x * x + y * y),
              lambda s, y, x, z: -s * y / (x * x + y * y), cuda={"f": "atan2({0}, {1})"})

lt = row("lt", 2, np.less, discrete=True, infix="<", cuda={"biuf": "{0} < {1}"})
gt = row("gt", 2, np.greater, discrete=True, infix=">", cuda={"biuf": "{0} > {1}"})
le = row("le", 2, np.less_equal, discrete=True, infix="<=", cuda={"biuf": "{0} <= {1}"})
ge = row("ge", 2, np.greater_equal, discrete=True, infix=">=", cuda={"biuf": "{0} >= {1}"})
eq = row("eq", 2, np.equal, discrete=True, cuda="{0} == {1}")
neq = row("neq", 2, np.not_equal, discrete=True, cuda="{0} != {1}")
bitwise_and = row("and", 2, np.bitwise_and, discrete=True, infix="&", cuda={"biu": "{0} & {1}"})
bitwise_or = row("or", 2, np.bitwise_or, discrete=True, infix="|", cuda={"biu": "{0} | {1}"})
bitwise_xor = row("xor", 2, np.bitwise_xor, discrete=True, infix="^", cuda={"biu": "{0} ^ {1}"})
invert = row("invert", 1, np.invert, discrete=True, cuda={"b": "!{0}", "iu": "~{0}"})
isnan = row("isnan", 1, np.isnan, discrete=True,
            cuda={"biu": "false", "f": "isnan({0})", "c": "isnan({0}.real()) || isnan({0}.imag())"})
isinf = row("isinf", 1, np.isinf, discrete=True,
            cuda={"biu": "false", "f": "isinf({0})", "c": "isinf({0}.real()) || isinf({0}.imag())"})
sign = row("sign", 1, np.sign, discrete=True,
           cuda={"if": "{0} > 0 ? {T}(1) : {0} < 0 ? {T}(-1) : {0}", "u": "{T}({0} != 0)",
                 "c": "{0} == {T}(0) ? {0} : {0} / abs({0})"})
floor = row("floor", 1, np.floor, discrete=True, cuda={"biu": "{0}", "f": "floor({0})"})
ceil = row("ceil", 1, np.ceil, discrete=True, cuda={"biu": "{0}", "f": "ceil({0})"})
round = row("round", 1, _round_half_even, discrete=True, cuda={"biu": "{0}", "f": "rint({0})"})

neg = row("neg", 1, np.negative, lambda s, x, z: -s, cuda={"iufc": "-{0}"})
exp = row("exp", 1, np.exp, lambda s, x, z: s * z, cuda={"fc": "exp({0})"})
exp2 = row("exp2", 1, np.exp2, lambda s, x, z: s * z * math.log(2.0),
           cuda={"f": "exp2({0})", "c": "exp({0} * {T}(0.6931471805599453))"})
expm1 = row("expm1", 1, np.expm1, lambda s, x, z: s * (z + 1), cuda={"f": "expm1({0})", "c": "exp({0}) - {T}(1)"})
log = row("log", 1, np.log, lambda s, x, z: s / x, cuda={"fc": "log({0})"})
log2 = row("log2", 1, np.log2, lambda s, x, z: s / (x * math.log(2.0)),
           cuda={"f": "log2({0})", "c": "log({0}) / {T}(0.6931471805599453)"})
log10 = row("log10", 1, np.log10, lambda s, x, z: s / (x * math.log(10.0)), cuda={"fc": "log10({0})"})
log1p = row("log1p", 1, np.log1p, lambda s, x, z: s / (x + 1), cuda={"f": "log1p({0})", "c": "log({0} + {T}(1))"})
sqrt = row("sqrt", 1, np.sqrt, lambda s, x, z: s * 0.5 / z, cuda={"fc": "sqrt({0})"})
sqr = row("sqr", 1, _square, lambda s, x, z: s * 2 * x, cuda="{0} * {0}")
reciprocal = row("reciprocal", 1, np.reciprocal, lambda s, x, z: -s * z * z, cuda={"fc": "{T}(1) / {0}"})
sin = row("sin", 1, np.sin, lambda s, x, z: s * cos(x), cuda={"fc": "sin({0})"})
cos = row("cos", 1, np.cos, lambda s, x, z: -s * sin(x), cuda={"fc": "cos({0})"})
tan = row("tan", 1, np.tan, lambda s, x, z: s * (1 + z * z), cuda={"fc": "tan({0})"})
arcsin = row("arcsin", 1, np.arcsin, lambda s, x, z: s / sqrt(1 - x * x), cuda={"fc": "asin({0})"})
arccos = row("arccos", 1, np.arccos, lambda s, x, z: -s / sqrt(1 - x * x), cuda={"fc": "acos({0})"})
arctan = row("arctan", 1, np.arctan, lambda s, x, z: s / (1 + x * x), cuda={"fc": "atan({0})"})
sinh = row("sinh", 1, np.sinh, lambda s, x, z: s * cosh(x), cuda={"fc": "sinh({0})"})
cosh = row("cosh", 1, np.cosh, lambda s, x, z: s * sinh(x), cuda={"fc": "cosh({0})"})
tanh = row("tanh", 1, np.tanh, lambda s, x, z: s * (1 - z * z), cuda={"fc": "tanh({0})"})
arcsinh = row("arcsinh", 1, np.arcsinh, lambda s, x, z: s / sqrt(x * x + 1), cuda={"fc": "asinh({0})"})
arccosh = row("arccosh", 1, np.arccosh, lambda s, x, z: s / sqrt(x * x - 1), cuda={"fc": "acosh({0})"})
arctanh = row("arctanh", 1, np.arctanh, lambda s, x, z: s / (1 - x * x), cuda={"fc": "atanh({0})"})
sigmoid = row("sigmoid", 1, _sigmoid, lambda s, x, z: s * z * (1 - z), cuda={"fc": "{T}(1) / ({T}(1) + exp(-{0}))"})
softplus = row("softplus", 1, _softplus, lambda s, x, z: s * sigmoid(x),
               cuda={"f": "{0} > 0 ? {0} + log1p(exp(-{0})) : log1p(exp({0}))"})
erf = row("erf", 1, scipy.special.erf, lambda s, x, z: s * (2 / math.sqrt(math.pi)) * exp(-x * x),
          cuda={"f": "erf({0})"})
erfc = row("erfc", 1, scipy.special.erfc, lambda s, x, z: -s * (2 / math.sqrt(math.pi)) * exp(-x * x),
           cuda={"f": "erfc({0})"})
switch = row("switch", 3, np.where, _no_derivative,
             lambda s, c, x, y, z: switch(c, s, 0), lambda s, c, x, y, z: switch(c, 0, s),
             cuda="gg_truth({raw0}) ? {1} : {2}")
clip = row("clip", 3, np.clip, lambda s, x, lo, hi, z: switch(eq(z, x), s, 0),
           lambda s, x, lo, hi, z: switch(eq(z, lo) & neq(z, x), s, 0),
           lambda s, x, lo, hi, z: switch(eq(z, hi) & neq(z, x) & neq(z, lo), s, 0),
           cuda={"biuf": "gg_clip({0}, {1}, {2})"})


def _tie_share(s, x, y):
    """``s`` where x wins, ``s / 2`` on a tie, 0 where y wins: ties split the gradient
    evenly. Selecting ``s`` itself (not multiplying by a 0/0.5/1 mask) keeps its dtype."""
    return switch(gt(x, y), s, switch(eq(x, y), s * 0.5, 0))


# Rows that are not holomorphic in complex arguments give both modes explicitly.
def _abs_pullback(g, x, z):
    if dtypes.is_complex(x.dtype):
        return [g * x / switch(eq(z, 0), 1, z)]
    return [g * sign(x)]


def _abs_pushforward(tangents, x, z):
    (t,) = tangents
    if dtypes.is_complex(x.dtype):
        return real(conj(x) * t) / switch(eq(z, 0), 1, z)
    return t * sign(x)


abs = row("abs", 1, np.abs, custom_pullback=_abs_pullback, custom_pushforward=_abs_pushforward,
          cuda={"bu": "{0}", "i": "{0} < 0 ? {T}(-{0}) : {0}", "f": "fabs({0})", "c": "abs({0})"})
real = row("real", 1, np.real, custom_pullback=lambda g, x, z: [g],
           custom_pushforward=lambda ts, x, z: real(ts[0]), cuda={"biuf": "{0}", "c": "{0}.real()"})
imag = row("imag", 1, np.imag, custom_pullback=lambda g, x, z: [_times_i(g, x)],
           custom_pushforward=lambda ts, x, z: imag(ts[0]), cuda={"biuf": "{T}(0)", "c": "{0}.imag()"})
conj = row("conj", 1, np.conj, custom_pullback=lambda g, x, z: [conj(g)],
           custom_pushforward=lambda ts, x, z: conj(ts[0]), cuda={"biuf": "{0}", "c": "conj({0})"})
angle = row("angle", 1, np.angle,
            custom_pullback=lambda g, x, z: [_angle_pullback(g, x)],
            custom_pushforward=lambda ts, x, z: imag(conj(x) * ts[0]) / _abs2(x) if dtypes.is_complex(x.dtype)
            else _zeros_grad(z), cuda={"biuf": "atan2({T}(0), {0})", "c": "arg({0})"})
complex = row("complex", 2, _complex,
              custom_pullback=lambda g, re, im, z: [real(g), imag(g)],
              custom_pushforward=lambda ts, re, im, z: _complex_tangent(ts, z),
              cuda={"biuf": "{out}({raw0}, {raw1})"})


def _times_i(g, x):
    """Pullback of imag: the gradient of Im(x) with respect to x is i times the seed
    (zero for a real x, whose imaginary part is constant)."""
    if not dtypes.is_complex(x.dtype):
        return g * 0
    return mul(g, 1j)


def _abs2(x):
    return real(x) * real(x) + imag(x) * imag(x)


def _angle_pullback(g, x):
    if not dtypes.is_complex(x.dtype):
        return g * 0
    return mul(g, 1j) * x / _abs2(x)


def _complex_tangent(tangents, z):
    re_t, im_t = (t if t is not None else 0 for t in tangents)
    return cast(complex(re_t, im_t), z.dtype)


def _saturating_cast(x, dtype):
    """Float ``x`` as integer ``dtype``, saturated at its limits, NaN as 0: what a GPU's
    conversion gives (and gpugrad's kernels, codegen/elementwise.py), where NumPy's is
    undefined (INT_MIN or garbage, with a warning)."""
    info = np.iinfo(dtype)
    with np.errstate(invalid="ignore"):
        low, high = x <= info.min, x >= info.max
        out = np.asarray(np.where(np.isnan(x) | low | high, 0, x)).astype(dtype)
    out[low], out[high] = info.min, info.max
    return out


@functools.lru_cache(maxsize=None)
def _cast_op(dtype):
    def convert(x):
        x = np.asarray(x)
        if x.dtype.kind == "c" and not dtypes.is_complex(dtype) and dtype != "bool":  # to bool: nonzero
            x = np.real(x)
        if x.dtype.kind == "f" and np.dtype(dtype).kind in "iu":
            return _saturating_cast(x, dtype)
        return x.astype(dtype, copy=False)
    convert.__name__ = f"cast_{dtype}"
    pullback = lambda g, x, z: [g]  # noqa: E731  (sum_to_input casts back to x's gradient dtype)
    return Elemwise(ScalarOp(f"cast{{{dtype}}}", 1, convert, custom_pullback=pullback,
                             custom_pushforward=lambda ts, x, z: cast(ts[0], dtypes.grad_dtype(dtype)),
                             discrete=dtypes.is_discrete(dtype), params=(dtype,), cuda=_cast_cuda(dtype)))


def _cast_cuda(dtype):
    """Real to anything converts in the store; complex to real keeps the real part,
    complex to bool tests for nonzero."""
    from_complex = "{0}" if dtypes.is_complex(dtype) else "{0} != {T}(0)" if dtype == "bool" else "{0}.real()"
    return {"biuf": "{0}", "c": from_complex}


def cast(x, dtype):
    """``x`` converted to ``dtype`` (complex to real keeps the real part, as NumPy warns; float
    to integer saturates and takes NaN to 0, on every device)."""
    dtype = dtypes.as_dtype(dtype)
    x = as_tensor_variable(x)
    return x if x.dtype == dtype else _cast_op(dtype)(x)


__all__ = [name for name, value in list(globals().items()) if isinstance(value, Elemwise)] + ["cast"]
