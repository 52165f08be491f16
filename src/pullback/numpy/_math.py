"""Elementwise math (NumPy ufunc counterparts), written on ``pullback.lax``."""
import numpy as np

from .. import dtypes
from .. import lax
from ._promote import promote_dtypes, promote_dtypes_inexact, asarray, check_arraylike


def _binary(name, lax_fn, promote=promote_dtypes):
    def fn(x1, x2, /):
        x1, x2 = promote(x1, x2)
        return lax_fn(x1, x2)
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` with NumPy broadcasting and JAX type promotion."
    return fn


def _unary_inexact(name, lax_fn):
    def fn(x, /):
        x, = promote_dtypes_inexact(x)
        return lax_fn(x)
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}``; integer inputs are promoted to float."
    return fn


add = _binary('add', lax.add)
subtract = _binary('subtract', lax.sub)
multiply = _binary('multiply', lax.mul)
maximum = _binary('maximum', lax.max)
minimum = _binary('minimum', lax.min)
equal = _binary('equal', lax.eq)
not_equal = _binary('not_equal', lax.ne)
less = _binary('less', lax.lt)
less_equal = _binary('less_equal', lax.le)
greater = _binary('greater', lax.gt)
greater_equal = _binary('greater_equal', lax.ge)


def true_divide(x1, x2, /):
    """``x1 / x2`` as floats (integers are promoted first)."""
    x1, x2 = promote_dtypes_inexact(x1, x2)
    return lax.div(x1, x2)


divide = true_divide

sin = _unary_inexact('sin', lax.sin)
cos = _unary_inexact('cos', lax.cos)
tan = _unary_inexact('tan', lax.tan)
exp = _unary_inexact('exp', lax.exp)
log = _unary_inexact('log', lax.log)
log1p = _unary_inexact('log1p', lax.log1p)
expm1 = _unary_inexact('expm1', lax.expm1)
tanh = _unary_inexact('tanh', lax.tanh)
sqrt = _unary_inexact('sqrt', lax.sqrt)


def negative(x, /):
    """``-x``."""
    return lax.neg(asarray(x))


def positive(x, /):
    return asarray(x)


def abs(x, /):
    """Absolute value (the modulus for complex numbers)."""
    x = asarray(x)
    if x.dtype.kind in 'ub':
        return x
    return lax.abs(x)


absolute = abs


def sign(x, /):
    return lax.sign(asarray(x))


def floor(x, /):
    x = asarray(x)
    return x if x.dtype.kind in 'iub' else lax.floor(x)


def ceil(x, /):
    x = asarray(x)
    return x if x.dtype.kind in 'iub' else lax.ceil(x)


def real(x, /):
    """Real part (the array itself for real inputs)."""
    x = asarray(x)
    return lax.real(x) if x.dtype.kind == 'c' else x


def imag(x, /):
    """Imaginary part (zeros for real inputs)."""
    x = asarray(x)
    return lax.imag(x) if x.dtype.kind == 'c' else lax.mul(x, 0)


def conjugate(x, /):
    """Complex conjugate (the array itself for real inputs)."""
    x = asarray(x)
    return lax.conj(x) if x.dtype.kind == 'c' else x


conj = conjugate


def square(x, /):
    return lax.integer_pow(asarray(x), 2)


def power(x1, x2, /):
    """``x1 ** x2``; a static integer exponent uses repeated multiplication (exact, and
    differentiable at 0)."""
    if isinstance(x2, int) and not isinstance(x2, bool):
        x1 = asarray(x1)
        if x1.dtype.kind in 'iu' and x2 < 0:
            raise ValueError("Integers to negative integer powers are not allowed.")
        return lax.integer_pow(x1, x2)
    x1, x2 = promote_dtypes(x1, x2)
    d = asarray(x1).dtype if not isinstance(x1, (int, float, complex)) else asarray(x2).dtype
    if d.kind in 'iu':
        return _integer_power(x1, x2)
    return lax.pow(x1, x2)


def _integer_power(x1, x2):
    import numpy as _np
    from .._core.core import Tracer
    if isinstance(x2, Tracer) or isinstance(x1, Tracer):
        raise TypeError("power: integer powers with traced integer exponents are not "
                        "supported; use a float base or a static Python int exponent")
    return asarray(_np.power(_np.asarray(x1), _np.asarray(x2)))


def floor_divide(x1, x2, /):
    """``x1 // x2`` (rounds toward negative infinity, as NumPy)."""
    x1, x2 = promote_dtypes(x1, x2)
    d = asarray(x1).dtype if not isinstance(x1, (int, float)) else asarray(x2).dtype
    if d.kind in 'iu':
        q = lax.div(x1, x2)
        r = lax.sub(x1, lax.mul(q, x2))
        neg = lax.ne(lax.lt(r, 0), lax.lt(x2, 0))
        return lax.select_n(lax.and_(neg, lax.ne(r, 0)), q, lax.sub(q, 1))
    return lax.floor(lax.div(x1, x2))


def remainder(x1, x2, /):
    """``x1 % x2`` with the sign of ``x2`` (as NumPy)."""
    x1, x2 = promote_dtypes(x1, x2)
    return lax.sub(x1, lax.mul(floor_divide(x1, x2), x2))


mod = remainder


def divmod(x1, x2, /):
    return floor_divide(x1, x2), remainder(x1, x2)
