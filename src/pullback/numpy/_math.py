"""Elementwise math: the NumPy ufuncs, written on ``pullback.lax``.

Operands are promoted with JAX's rules first (``_promote``): Python scalars are weak and
adopt the other operand's dtype, and functions such as ``sin`` turn integers into the
default float type.  Everything else is composition of lax primitives, so every function
here works under every transformation.

    >>> import pullback.numpy as jnp
    >>> jnp.hypot(3., jnp.float32(4.))
    Array(5., dtype=float32)
"""

import numpy as np

from .. import dtypes
from .. import lax
from .._array import Array
from .._core.core import Tracer
from ._promote import promote_dtypes, promote_dtypes_inexact, promote_arrays, asarray

__all__ = [
    # arithmetic
    'add', 'subtract', 'multiply', 'divide', 'true_divide', 'floor_divide', 'remainder',
    'mod', 'fmod', 'divmod', 'power', 'pow', 'float_power', 'negative', 'positive', 'abs',
    'absolute', 'fabs', 'sign', 'reciprocal', 'square', 'sqrt', 'cbrt', 'ldexp',
    # exp and log
    'exp', 'exp2', 'expm1', 'log', 'log2', 'log10', 'log1p', 'logaddexp', 'logaddexp2',
    # trigonometric and hyperbolic
    'sin', 'cos', 'tan', 'arcsin', 'arccos', 'arctan', 'arctan2', 'sinh', 'cosh', 'tanh',
    'arcsinh', 'arccosh', 'arctanh', 'asin', 'acos', 'atan', 'atan2', 'asinh', 'acosh',
    'atanh', 'hypot', 'deg2rad', 'rad2deg', 'degrees', 'radians', 'sinc',
    # rounding
    'floor', 'ceil', 'trunc', 'fix', 'rint', 'round', 'around', 'round_', 'modf', 'spacing',
    # complex
    'real', 'imag', 'conj', 'conjugate', 'angle',
]


def _named(fn, name, doc):
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


# --- Family helpers --------------------------------------------------------------------

# Python scalar types and the array kinds whose dtype they adopt without promotion (an int
# with an integer array takes the general path: JAX wraps values NumPy refuses, 300 in uint8).
_SCALAR_KINDS = {float: 'fc', int: 'fc'}

# The concrete-Array shortcuts below build their results with ``_new_array(Array)`` and the
# slot stores, half the cost of ``Array(value, weak)`` (no ``__init__`` frame); they test
# dtypes by membership in a set made once per function, cheaper than ``dtype.kind`` tests.
_new_array = object.__new__
_NUMERIC_DTYPES = frozenset(dtypes._INT_TYPES + dtypes._UINT_TYPES + dtypes._FLOAT_TYPES +
                            dtypes._COMPLEX_TYPES)


def _dtypes_of_kinds(kinds):
    return frozenset(d for d in _NUMERIC_DTYPES if d.kind in kinds)


def _binary(name, lax_name, bool_name=None):
    """``lax.<lax_name>`` after JAX promotion; ``lax.<bool_name>`` for boolean operands."""
    op = getattr(lax, lax_name)
    bool_op = getattr(lax, bool_name) if bool_name is not None else None
    prim = getattr(lax, lax_name + '_p', None)
    bind = prim.bind if prim is not None else op
    raw = getattr(prim, 'numpy_impl', None)
    numeric = _dtypes_of_kinds('iufc')

    def fn(x1, x2, /):
        if type(x1) is Array and type(x2) is Array:
            d = x1._dtype
            if d is x2._dtype and d in numeric:  # the eager hot spot
                if raw is not None:  # concrete operands: constants everywhere (see above)
                    try:
                        value = raw(x1._value, x2._value)
                    except ValueError:  # shapes that do not broadcast: say so properly
                        return bind(x1, x2)
                    out = _new_array(Array)
                    out._value = value
                    out._dtype = d  # a ufunc's same-type loop keeps the dtype
                    out.weak_type = x1.weak_type and x2.weak_type
                    return out
                return bind(x1, x2)
        elif raw is not None and type(x1) is Array and type(x2) in _SCALAR_KINDS:
            # array with a Python scalar, which adopts the array's dtype (NEP 50, as JAX)
            if x1._dtype.kind in _SCALAR_KINDS[type(x2)]:
                return Array(raw(x1._value, x2), x1.weak_type)
        elif isinstance(x1, Tracer) or isinstance(x2, Tracer):
            # under a transformation: operands that need no promotion go straight to the
            # primitive (the common recorded case: one dtype, or a float with a scalar)
            t1, t2 = type(x1), type(x2)
            k1, k2 = _SCALAR_KINDS.get(t1), _SCALAR_KINDS.get(t2)
            if k2 is not None:
                if isinstance(x1, Tracer) and x1.dtype.kind in k2:
                    return bind(x1, x2)
            elif k1 is not None:
                if isinstance(x2, Tracer) and x2.dtype.kind in k1:
                    return bind(x1, x2)
            elif (t1 is Array or isinstance(x1, Tracer)) and \
                    (t2 is Array or isinstance(x2, Tracer)):
                d = x1.dtype
                if x2.dtype == d and d in numeric:
                    return bind(x1, x2)
        x1, x2 = promote_dtypes(x1, x2)
        if bool_op is not None and _dtype(x1, x2).kind == 'b':
            return bool_op(x1, x2)
        return op(x1, x2)

    def array_method(self, other):
        # Array's operator method (``x + y``): ``fn``'s hot spot less its test of ``self``
        if type(other) is Array and raw is not None:
            d = self._dtype
            if d is other._dtype and d in numeric:
                try:
                    value = raw(self._value, other._value)
                except ValueError:
                    return bind(self, other)
                out = _new_array(Array)
                out._value = value
                out._dtype = d
                out.weak_type = self.weak_type and other.weak_type
                return out
        return fn(self, other)
    fn.array_method = array_method
    return _named(fn, name, f"Elementwise ``{name}`` with NumPy broadcasting and JAX type "
                            f"promotion.")


def _dtype(*xs):
    """The dtype of the first array among ``xs`` (after promotion they share it)."""
    for x in xs:
        t = type(x)
        if t is not float and t is not int and t is not complex and t is not bool:
            d = x.dtype
            return d if type(d) is _DTYPE_TYPE or isinstance(d, np.dtype) else np.dtype(d)
    return dtypes.result_type(*xs)


_DTYPE_TYPE = type(np.dtype('float32'))


def _unary_inexact(name, lax_name):
    op = getattr(lax, lax_name)
    prim = getattr(lax, lax_name + '_p', None)
    bind = prim.bind if prim is not None else op
    raw = getattr(prim, 'numpy_impl', None)
    # inexact inputs the primitive accepts: the others are promoted or rejected below
    direct = _dtypes_of_kinds(''.join(k for k in getattr(prim, 'kinds', 'fc') if k in 'fc'))

    def fn(x, /):
        if type(x) is Array:
            d = x._dtype
            if d in direct:
                # A concrete array is a constant under every transformation, so the
                # primitive's NumPy function gives the same value as binding it would;
                # this is the eager hot path (under 2x the bare NumPy call).
                if raw is not None:
                    out = _new_array(Array)
                    out._value = raw(x._value)
                    out._dtype = d  # a ufunc's same-type loop keeps the dtype
                    out.weak_type = x.weak_type
                    return out
                return bind(x)
        x, = promote_dtypes_inexact(x)
        return op(x)
    return _named(fn, name, f"Elementwise ``{name}``; integer inputs become the default "
                            f"float type.")


def _binary_inexact(name, lax_name):
    def fn(x1, x2, /):
        x1, x2 = promote_dtypes_inexact(x1, x2)
        return getattr(lax, lax_name)(x1, x2)
    return _named(fn, name, f"Elementwise ``{name}``; integer inputs become the default "
                            f"float type.\n")


def _weak_scalar(value, like):
    """A Python scalar of ``like``'s kind, so it adopts ``like``'s dtype (weakly)."""
    k = _dtype(like).kind
    return complex(value) if k == 'c' else float(value) if k == 'f' else int(value)


def _full_like(x, value, dtype=None):
    """A constant array shaped like ``x`` (weak when ``x`` is)."""
    d = np.dtype(dtype or x.dtype)
    weak = dtype is None and dtypes.is_weakly_typed(x)
    return lax.full(x.shape, value, d, weak)


# --- Arithmetic ------------------------------------------------------------------------

add = _binary('add', 'add', 'bitwise_or')
multiply = _binary('multiply', 'mul', 'bitwise_and')


def subtract(x1, x2, /):
    """``x1 - x2`` (booleans cannot be subtracted, as in NumPy)."""
    x1, x2 = promote_dtypes(x1, x2)
    if _dtype(x1, x2).kind == 'b':
        raise TypeError("subtract: boolean subtract is not supported, use the bitwise_xor, "
                        "the ^ operator, or the logical_xor function instead")
    return lax.sub(x1, x2)


def true_divide(x1, x2, /):
    """``x1 / x2`` as floats (integers are promoted first).

    >>> true_divide(3, 2)
    Array(1.5, dtype=float32, weak_type=True)
    """
    x1, x2 = promote_dtypes_inexact(x1, x2)
    return lax.div(x1, x2)


divide = true_divide


def _ints_for_bools(x1, x2):
    """Arithmetic that booleans cannot do (division, powers) runs in the default int."""
    if x1.dtype.kind == 'b':
        d = dtypes.default_int_dtype()
        return lax.convert_element_type(x1, d), lax.convert_element_type(x2, d)
    return x1, x2


def _int_floor_divide(x1, x2):
    # lax.div truncates toward zero; step down where the signs differ and it was inexact
    q = lax.div(x1, x2)
    if _dtype(x1, x2).kind == 'u':
        return q
    r = lax.rem(x1, x2)
    fix = lax.bitwise_and(lax.ne(lax.lt(r, 0), lax.lt(x2, 0)), lax.ne(r, 0))
    return lax.select_n(fix, q, lax.sub(q, 1))


def _float_divmod(x1, x2):
    """(floor(x1 / x2), x1 mod x2) for floats, from the exact C remainder."""
    mod = lax.rem(x1, x2)
    div = lax.div(lax.sub(x1, mod), x2)
    fix = lax.bitwise_and(lax.ne(mod, 0.), lax.ne(lax.lt(x2, 0.), lax.lt(mod, 0.)))
    mod = lax.select_n(fix, mod, lax.add(mod, x2))
    div = lax.select_n(fix, div, lax.sub(div, 1.))
    return lax.round(div, lax.RoundingMethod.TO_NEAREST_EVEN), mod


def floor_divide(x1, x2, /):
    """``x1 // x2``: rounds toward negative infinity, as NumPy.

    >>> floor_divide(jnp.array([7, -7]), 2)
    Array([ 3, -4], dtype=int32)
    """
    x1, x2 = _ints_for_bools(*promote_arrays(x1, x2))
    kind = x1.dtype.kind
    if kind == 'c':
        raise TypeError("floor_divide: complex operands are not supported")
    if kind in 'iu':
        return _int_floor_divide(x1, x2)
    return _float_divmod(x1, x2)[0]


def remainder(x1, x2, /):
    """``x1 % x2`` with the sign of ``x2``, as NumPy (``fmod`` keeps the sign of ``x1``)."""
    x1, x2 = _ints_for_bools(*promote_arrays(x1, x2))
    kind = x1.dtype.kind
    if kind == 'c':
        raise TypeError("remainder: complex operands are not supported")
    r = lax.rem(x1, x2)
    if kind == 'u':
        return r
    zero = _weak_scalar(0, r)
    fix = lax.bitwise_and(lax.ne(lax.lt(r, zero), lax.lt(x2, zero)), lax.ne(r, zero))
    return lax.select_n(fix, r, lax.add(r, x2))


mod = remainder


def fmod(x1, x2, /):
    """C-style remainder: the result has the sign of ``x1``."""
    x1, x2 = _ints_for_bools(*promote_arrays(x1, x2))
    return lax.rem(x1, x2)


def divmod(x1, x2, /):
    """``(x1 // x2, x1 % x2)``."""
    x1, x2 = _ints_for_bools(*promote_arrays(x1, x2))
    if _dtype(x1, x2).kind == 'f':
        return _float_divmod(x1, x2)
    return floor_divide(x1, x2), remainder(x1, x2)


def power(x1, x2, /):
    """``x1 ** x2``.  A static Python int exponent multiplies (exact, and differentiable at
    0); integer arrays use square-and-multiply.

    >>> power(jnp.array([1., 2.]), 3)
    Array([1., 8.], dtype=float32)
    """
    if type(x2) is int:
        x1 = asarray(x1)
        if x1.dtype.kind == 'b':
            x1 = lax.convert_element_type(x1, dtypes.default_int_dtype())
        if x1.dtype.kind in 'iu' and x2 < 0:
            raise ValueError("power: integers to negative integer powers are not allowed")
        return lax.integer_pow(x1, x2)
    a, b = promote_dtypes(x1, x2)
    if _dtype(a, b).kind in 'iub':
        out = _integer_power(*_ints_for_bools(*promote_arrays(a, b)))
    else:
        out = lax.pow(a, b)
    # JAX raises to an integer array exponent without promoting it, so a strong one makes
    # the result strong
    int_kinds = 'iu' if out.dtype.kind in 'fc' else 'biu'
    if not isinstance(x2, (int, float, complex)) and _dtype(x2).kind in int_kinds and \
            not dtypes.is_weakly_typed(x2):
        out = _strong(out)
    return out


pow = power


def _integer_power(x1, x2):
    """Square-and-multiply over the bits of an integer exponent array (negative exponents
    give 0 except for bases 1 and -1, as ``1 // x**-n`` would)."""
    bits = x1.dtype.itemsize * 8
    acc = _full_like(lax.add(x1, x2), 1)
    base, exp = x1, x2
    for _ in range(bits):
        acc = lax.select_n(lax.ne(lax.bitwise_and(exp, 1), 0), acc, lax.mul(acc, base))
        base = lax.mul(base, base)
        exp = lax.shift_right_logical(exp, 1)
    if x2.dtype.kind == 'i':
        neg = lax.lt(x2, 0)
        one = lax.eq(x1, 1)
        minus_one = lax.eq(x1, -1)
        odd = lax.ne(lax.bitwise_and(x2, 1), 0)
        neg_val = lax.select_n(one, lax.select_n(minus_one, _full_like(acc, 0),
                                                 lax.select_n(odd, _full_like(acc, 1),
                                                              _full_like(acc, -1))),
                               _full_like(acc, 1))
        acc = lax.select_n(neg, acc, neg_val)
    return acc


def float_power(x1, x2, /):
    """``x1 ** x2`` computed in the widest float type available."""
    x1, x2 = promote_dtypes_inexact(x1, x2)
    return lax.pow(x1, x2)


def negative(x, /):
    """``-x``."""
    x = asarray(x)
    if x.dtype.kind == 'b':
        raise TypeError("negative: the numpy boolean negative, the `-` operator, is not "
                        "supported, use the `~` operator or the logical_not function instead")
    return lax.neg(x)


def positive(x, /):
    """``+x`` (the array itself)."""
    return asarray(x)


def abs(x, /):
    """Absolute value (the modulus, as a real array, for complex numbers).

    >>> abs(jnp.array([-1., 2.]))
    Array([1., 2.], dtype=float32)
    """
    x = asarray(x)
    if x.dtype.kind in 'ub':
        return x
    return lax.abs(x)


absolute = abs


def fabs(x, /):
    """Absolute value as a float (integers are promoted; complex inputs are rejected)."""
    x, = promote_dtypes_inexact(x)
    if x.dtype.kind == 'c':
        raise TypeError("fabs does not support complex-valued inputs")
    return lax.abs(x)


def sign(x, /):
    """-1, 0 or 1 (``x / |x|`` for complex numbers)."""
    x = asarray(x)
    if x.dtype.kind == 'b':
        raise TypeError("sign is not defined for boolean inputs")
    if x.dtype.kind == 'u':
        return lax.convert_element_type(lax.ne(x, 0), x.dtype, dtypes.is_weakly_typed(x))
    return lax.sign(x)


def reciprocal(x, /):
    """``1 / x``; integers become the default float type first (as JAX)."""
    x, = promote_dtypes_inexact(x)
    return lax.integer_pow(x, -1)


def square(x, /):
    """``x * x`` (booleans are squared as ints)."""
    x = asarray(x)
    if x.dtype.kind == 'b':
        x = lax.convert_element_type(x, dtypes.default_int_dtype())
    return lax.square(x)


sqrt = _unary_inexact('sqrt', 'sqrt')
cbrt = _unary_inexact('cbrt', 'cbrt')


# --- Exponentials and logarithms -------------------------------------------------------

exp = _unary_inexact('exp', 'exp')
exp2 = _unary_inexact('exp2', 'exp2')
expm1 = _unary_inexact('expm1', 'expm1')
log = _unary_inexact('log', 'log')
log1p = _unary_inexact('log1p', 'log1p')


def _log_base(name, base):
    def fn(x, /):
        x, = promote_dtypes_inexact(x)
        # a strong constant, so the result is strong, as in JAX
        return lax.div(lax.log(x), Array(np.asarray(np.log(base), x.dtype)))
    return _named(fn, name, f"Base-{base} logarithm: ``log(x) / log({base})``.")


log2 = _log_base('log2', 2)
log10 = _log_base('log10', 10)


def logaddexp(x1, x2, /):
    """``log(exp(x1) + exp(x2))`` without overflow.

    >>> logaddexp(0., 0.)
    Array(0.6931472, dtype=float32, weak_type=True)
    """
    a, b = promote_arrays(x1, x2, inexact=True)
    out = _logaddexp(a, b, lax.exp, lax.log1p, 1.)
    return _weak_only_if_all(out, x1, x2) if out.dtype.kind == 'c' else out


def logaddexp2(x1, x2, /):
    """``log2(2**x1 + 2**x2)`` without overflow."""
    a, b = promote_arrays(x1, x2, inexact=True)
    out = _logaddexp(a, b, lax.exp2, lax.log1p, 1. / np.log(2))
    return _weak_only_if_all(out, x1, x2) if out.dtype.kind == 'c' else out


def _logaddexp(x1, x2, exp_fn, log1p_fn, scale):
    if x1.dtype.kind == 'c':
        # the term with the larger real part comes out; the rest cannot overflow
        first = lax.ge(lax.real(x1), lax.real(x2))
        big, small = lax.select_n(first, x2, x1), lax.select_n(first, x1, x2)
        tail = log1p_fn(exp_fn(lax.sub(small, big)))
        if scale != 1.:
            tail = lax.mul(tail, _weak_scalar(scale, tail))
        return lax.add(big, tail)
    # max + log1p(exp(min - max)): the max takes the large part exactly; equal infinities
    # make the difference NaN, and then x1 + x2 is the right answer (inf or -inf). Written
    # with max and min (which split derivatives at ties) rather than -|x1 - x2|, so the
    # gradient at x1 == x2 is (1/2, 1/2), as it must be at this smooth point.
    amax = lax.max(x1, x2)
    delta = lax.sub(x1, x2)
    tail = log1p_fn(exp_fn(lax.sub(lax.min(x1, x2), amax)))
    if scale != 1.:
        tail = lax.mul(tail, _weak_scalar(scale, tail))
    return lax.select_n(lax.ne(delta, delta), lax.add(amax, tail), lax.add(x1, x2))


# --- Trigonometric and hyperbolic ------------------------------------------------------

sin = _unary_inexact('sin', 'sin')
cos = _unary_inexact('cos', 'cos')
tan = _unary_inexact('tan', 'tan')
arcsin = asin = _unary_inexact('arcsin', 'asin')
arccos = acos = _unary_inexact('arccos', 'acos')
arctan = atan = _unary_inexact('arctan', 'atan')
sinh = _unary_inexact('sinh', 'sinh')
cosh = _unary_inexact('cosh', 'cosh')
tanh = _unary_inexact('tanh', 'tanh')
arcsinh = asinh = _unary_inexact('arcsinh', 'asinh')
arccosh = acosh = _unary_inexact('arccosh', 'acosh')
arctanh = atanh = _unary_inexact('arctanh', 'atanh')
arctan2 = atan2 = _binary_inexact('arctan2', 'atan2')


def hypot(x1, x2, /):
    """``sqrt(x1**2 + x2**2)`` without intermediate overflow.

    >>> hypot(3., 4.)
    Array(5., dtype=float32, weak_type=True)
    """
    a, b = promote_arrays(x1, x2, inexact=True)
    if a.dtype.kind == 'c':
        raise TypeError("hypot is not defined for complex-valued inputs")
    return _weak_only_if_all(_hypot(lax.abs(a), lax.abs(b)), x1, x2)


def _hypot(a, b):
    big, small = lax.max(a, b), lax.min(a, b)
    is_zero = lax.eq(big, 0.)
    safe_big = lax.select_n(is_zero, big, _full_like(big, 1.))
    ratio = lax.div(small, safe_big)
    out = lax.mul(big, lax.sqrt(lax.add(1., lax.mul(ratio, ratio))))
    out = lax.select_n(is_zero, out, big)
    # inf beats nan, as in C's hypot
    return lax.select_n(lax.eq(big, np.inf), out, big)


def deg2rad(x, /):
    """Degrees to radians."""
    x, = promote_dtypes_inexact(x)
    return lax.mul(x, _weak_scalar(np.pi / 180, x))


def rad2deg(x, /):
    """Radians to degrees."""
    x, = promote_dtypes_inexact(x)
    return lax.mul(x, _weak_scalar(180 / np.pi, x))


radians = deg2rad
degrees = rad2deg


def sinc(x, /):
    """``sin(pi x) / (pi x)``, with ``sinc(0) = 1`` (and a zero derivative there)."""
    x, = promote_dtypes_inexact(x)
    is_zero = lax.eq(x, 0.)
    safe = lax.select_n(is_zero, x, _full_like(x, 1.))
    pix = lax.mul(safe, _weak_scalar(np.pi, x))
    return lax.select_n(is_zero, lax.div(lax.sin(pix), pix), _full_like(x, 1.))


# --- Rounding --------------------------------------------------------------------------

def _float_unary_or_identity(name, lax_fn=None, lax_name=None):
    def fn(x, /):
        x = asarray(x)
        if x.dtype.kind in 'iub':
            return x
        if x.dtype.kind == 'c':
            raise TypeError(f"{name} is not supported for complex inputs")
        return lax_fn(x) if lax_fn is not None else getattr(lax, lax_name)(x)
    return _named(fn, name, f"Elementwise ``{name}``; integer inputs are returned "
                            f"unchanged.")


floor = _float_unary_or_identity('floor', lax_name='floor')
ceil = _float_unary_or_identity('ceil', lax_name='ceil')


def _trunc(x):
    return lax.select_n(lax.lt(x, 0.), lax.floor(x), lax.ceil(x))


trunc = _float_unary_or_identity('trunc', _trunc)


def fix(x, out=None):
    """Round toward zero (``trunc``)."""
    return trunc(x)


def rint(x, /):
    """Round to the nearest integer, halves to even; integers become (strong) floats."""
    x = asarray(x)
    if x.dtype.kind in 'biu':
        return lax.convert_element_type(x, dtypes.default_float_dtype(), False)
    if x.dtype.kind == 'c':
        return lax.complex(rint(lax.real(x)), rint(lax.imag(x)))
    return lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN)


def round(a, decimals=0, out=None):
    """Round to ``decimals`` digits, halves to even (``2.5 -> 2``, ``3.5 -> 4``).  Integer
    inputs are returned unchanged; complex inputs are rounded per component.

    >>> round(jnp.array([2.5, 3.5, 1.2345]), 2)
    Array([2.5 , 3.5 , 1.23], dtype=float32)
    """
    if out is not None:
        raise NotImplementedError("round: the out argument is not supported (arrays are "
                                  "immutable)")
    a = asarray(a)
    decimals = int(decimals)
    kind = a.dtype.kind
    if kind in 'iub':
        if decimals >= 0:
            return a
        factor = 10 ** (-decimals)
        return lax.mul(_int_round_div(a, factor), factor)
    if kind == 'c':
        return lax.complex(round(lax.real(a), decimals), round(lax.imag(a), decimals))
    work = a
    if a.dtype == np.float16:  # too little precision for the scaling: use float32
        work = lax.convert_element_type(a, np.float32, dtypes.is_weakly_typed(a))
    if decimals == 0:
        out = lax.round(work, lax.RoundingMethod.TO_NEAREST_EVEN)
    else:
        factor = _weak_scalar(10. ** decimals, work)
        out = lax.div(lax.round(lax.mul(work, factor), lax.RoundingMethod.TO_NEAREST_EVEN),
                      factor)
    return lax.convert_element_type(out, a.dtype, dtypes.is_weakly_typed(a))


def _int_round_div(a, factor):
    # integer rounding to a multiple of 10**n, halves to even
    q = _int_floor_divide(a, _full_like(a, factor))
    r = lax.sub(a, lax.mul(q, factor))
    up = lax.bitwise_or(lax.gt(lax.mul(r, 2), factor),
                        lax.bitwise_and(lax.eq(lax.mul(r, 2), factor),
                                        lax.ne(lax.bitwise_and(q, 1), 0)))
    return lax.select_n(up, q, lax.add(q, 1))


around = round
round_ = round


def modf(x, /, out=None):
    """Fractional and integral parts, both with the sign of ``x``."""
    x, = promote_dtypes_inexact(x)
    whole = _trunc(x)
    return lax.sub(x, whole), whole


def spacing(x, /):
    """Distance from ``x`` to the next representable number away from zero."""
    x, = promote_dtypes_inexact(x)
    if x.dtype.kind == 'c':
        raise TypeError("spacing is not defined for complex inputs")
    inf = Array(np.asarray(np.inf, x.dtype))  # strong, so the result is (as JAX's)
    away = lax.select_n(lax.lt(x, 0.), inf, lax.neg(inf))
    return lax.sub(lax.nextafter(x, away), x)


# --- Complex parts ---------------------------------------------------------------------

def real(x, /):
    """Real part (the array itself for real inputs)."""
    x = asarray(x)
    return lax.real(x) if x.dtype.kind == 'c' else x


def imag(x, /):
    """Imaginary part (zeros for real inputs)."""
    x = asarray(x)
    return lax.imag(x) if x.dtype.kind == 'c' else _full_like(x, 0)


def conjugate(x, /):
    """Complex conjugate (the array itself for real inputs)."""
    x = asarray(x)
    return lax.conj(x) if x.dtype.kind == 'c' else x


conj = conjugate


def angle(z, deg=False):
    """The argument of complex ``z`` (``atan2(imag, real)``), in degrees if ``deg``."""
    z = asarray(z)
    if z.dtype.kind == 'c':
        re, im = lax.real(z), lax.imag(z)
    else:
        re, = promote_dtypes_inexact(z)
        re = _strong(re)
        im = _full_like(re, 0)
    out = lax.atan2(im, re)
    return rad2deg(out) if deg else out


def _weak_only_if_all(out, *inputs):
    """A strong result as soon as one input is strong, even where the promoted type of the
    inputs is weak (what JAX's ``hypot`` and complex ``logaddexp`` do)."""
    if dtypes.is_weakly_typed(out) and not all(dtypes.is_weakly_typed(x) for x in inputs):
        return lax.convert_element_type(out, out.dtype, False)
    return out


def _strong(x):
    if dtypes.is_weakly_typed(x):
        return lax.convert_element_type(x, x.dtype, False)
    return x


def ldexp(x1, x2, /):
    """``x1 * 2**x2`` for integer ``x2``."""
    x2 = asarray(x2)
    if x2.dtype.kind not in 'iub':
        raise TypeError(f"ldexp: the exponent must be an integer array, got dtype "
                        f"{x2.dtype.name}")
    x1, = promote_dtypes_inexact(x1)
    x1 = _strong(asarray(x1))
    return lax.mul(x1, lax.exp2(lax.convert_element_type(x2, x1.dtype)))
