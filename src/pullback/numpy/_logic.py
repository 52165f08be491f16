"""Comparisons, logic, bitwise operations, floating-point classification and selection
(``where``, ``clip``, ``select``), written on ``pullback.lax``.

    >>> import pullback.numpy as jnp
    >>> jnp.where(jnp.isnan(jnp.array([1., jnp.nan])), 0., jnp.array([5., 6.]))
    Array([5., 0.], dtype=float32)
"""
import numpy as np

from .. import dtypes
from .. import lax
from .._array import Array
from ._promote import promote_dtypes, promote_dtypes_inexact, promote_arrays, asarray
from ._math import _binary, _dtype, _named, _weak_scalar, _strong

__all__ = [
    'equal', 'not_equal', 'less', 'less_equal', 'greater', 'greater_equal', 'maximum',
    'minimum', 'fmax', 'fmin', 'logical_and', 'logical_or', 'logical_xor', 'logical_not',
    'bitwise_and', 'bitwise_or', 'bitwise_xor', 'bitwise_not', 'bitwise_invert', 'invert',
    'left_shift', 'right_shift', 'bitwise_left_shift', 'bitwise_right_shift',
    'isnan', 'isinf', 'isfinite', 'isposinf', 'isneginf', 'isreal', 'iscomplex', 'signbit',
    'copysign', 'heaviside', 'nan_to_num', 'nextafter', 'clip', 'where', 'select',
    'piecewise',
]


# --- Comparisons and logic -------------------------------------------------------------

def _comparison(name, lax_name):
    def fn(x1, x2, /):
        x1, x2 = promote_dtypes(x1, x2)
        # comparisons of weak values are weak booleans (lax's rule, as in JAX)
        return getattr(lax, lax_name)(x1, x2)
    return _named(fn, name, f"Elementwise ``{name}`` (a boolean array).")


equal = _comparison('equal', 'eq')
not_equal = _comparison('not_equal', 'ne')
less = _comparison('less', 'lt')
less_equal = _comparison('less_equal', 'le')
greater = _comparison('greater', 'gt')
greater_equal = _comparison('greater_equal', 'ge')
maximum = _binary('maximum', 'max')
minimum = _binary('minimum', 'min')


def fmax(x1, x2, /):
    """Elementwise maximum that ignores NaNs (NaN only where both are NaN)."""
    x1, x2 = promote_arrays(x1, x2)
    if x1.dtype.kind not in 'fc':
        return lax.max(x1, x2)
    return lax.select_n(lax.ne(x2, x2),
                        lax.select_n(lax.ne(x1, x1), lax.max(x1, x2), x2), x1)


def fmin(x1, x2, /):
    """Elementwise minimum that ignores NaNs (NaN only where both are NaN)."""
    x1, x2 = promote_arrays(x1, x2)
    if x1.dtype.kind not in 'fc':
        return lax.min(x1, x2)
    return lax.select_n(lax.ne(x2, x2),
                        lax.select_n(lax.ne(x1, x1), lax.min(x1, x2), x2), x1)


def _to_bool(x):
    x = asarray(x)
    if x.dtype.kind == 'b':
        return x
    return lax.ne(x, _weak_scalar(0, x))


def _logical(name, lax_name):
    def fn(x1, x2, /):
        return getattr(lax, lax_name)(_to_bool(x1), _to_bool(x2))
    return _named(fn, name, f"Elementwise ``{name}`` of the truth values.")


logical_and = _logical('logical_and', 'bitwise_and')
logical_or = _logical('logical_or', 'bitwise_or')
logical_xor = _logical('logical_xor', 'bitwise_xor')


def logical_not(x, /):
    """Elementwise NOT of the truth values."""
    return lax.bitwise_not(_to_bool(x))


def _bitwise(name, lax_name):
    def fn(x1, x2, /):
        x1, x2 = promote_dtypes(x1, x2)
        if _dtype(x1, x2).kind not in 'biu':
            raise TypeError(f"{name} is only defined for integer and boolean arrays, got "
                            f"dtype {_dtype(x1, x2).name}")
        return getattr(lax, lax_name)(x1, x2)
    return _named(fn, name, f"Elementwise ``{name}`` of integer or boolean arrays.")


bitwise_and = _bitwise('bitwise_and', 'bitwise_and')
bitwise_or = _bitwise('bitwise_or', 'bitwise_or')
bitwise_xor = _bitwise('bitwise_xor', 'bitwise_xor')


def invert(x, /):
    """Bitwise NOT (logical NOT for booleans)."""
    x = asarray(x)
    if x.dtype.kind not in 'biu':
        raise TypeError(f"invert is only defined for integer and boolean arrays, got dtype "
                        f"{x.dtype.name}")
    return lax.bitwise_not(x)


bitwise_not = bitwise_invert = invert


def left_shift(x1, x2, /):
    """``x1 << x2``."""
    x1, x2 = promote_dtypes(x1, x2)
    return lax.shift_left(x1, x2)


def right_shift(x1, x2, /):
    """``x1 >> x2`` (arithmetic for signed integers, logical for unsigned)."""
    x1, x2 = promote_dtypes(x1, x2)
    if _dtype(x1, x2).kind == 'u':
        return lax.shift_right_logical(x1, x2)
    return lax.shift_right_arithmetic(x1, x2)


bitwise_left_shift = left_shift
bitwise_right_shift = right_shift


# --- Floating-point classification ------------------------------------------------------

def _bool_like(x, value, weak=None):
    weak = dtypes.is_weakly_typed(x) if weak is None else weak
    return lax.full(x.shape, value, np.bool_, weak)


def isnan(x, /):
    """Where ``x`` is NaN."""
    x = asarray(x)
    if x.dtype.kind not in 'fc':
        return _bool_like(x, False)
    return lax.ne(x, x)


def _strong_scalar(value, dtype):
    # a strong constant makes a comparison's result strong, as JAX's constants do
    return Array(np.asarray(value, dtype))


def isinf(x, /):
    """Where ``x`` is +inf or -inf (either part for complex numbers)."""
    x = asarray(x)
    kind = x.dtype.kind
    if kind == 'c':
        return lax.bitwise_or(isinf(lax.real(x)), isinf(lax.imag(x)))
    if kind != 'f':
        return _bool_like(x, False, weak=False)
    return lax.eq(lax.abs(x), _strong_scalar(np.inf, x.dtype))


def isfinite(x, /):
    """Where ``x`` is neither infinite nor NaN."""
    x = asarray(x)
    kind = x.dtype.kind
    if kind == 'c':
        return lax.bitwise_and(isfinite(lax.real(x)), isfinite(lax.imag(x)))
    if kind != 'f':
        return _bool_like(x, True, weak=False)
    return lax.is_finite(x)


def isposinf(x, /):
    """Where ``x`` is +inf."""
    return _is_signed_inf('isposinf', x, np.inf)


def isneginf(x, /):
    """Where ``x`` is -inf."""
    return _is_signed_inf('isneginf', x, -np.inf)


def _is_signed_inf(name, x, inf):
    x = asarray(x)
    if x.dtype.kind == 'c':
        raise TypeError(f"{name} is not defined for complex inputs")
    if x.dtype.kind != 'f':
        return _bool_like(x, False, weak=False)
    return lax.eq(x, _strong_scalar(inf, x.dtype))


def isreal(x):
    """Where the imaginary part is zero."""
    x = asarray(x)
    if x.dtype.kind != 'c':
        return _bool_like(x, True)
    return lax.eq(lax.imag(x), 0.)


def iscomplex(x):
    """Where the imaginary part is not zero."""
    x = asarray(x)
    if x.dtype.kind != 'c':
        return _bool_like(x, False)
    return lax.ne(lax.imag(x), 0.)


def signbit(x, /):
    """Where the sign bit is set (true for -0.0 and negative NaNs as well)."""
    x = asarray(x)
    kind = x.dtype.kind
    if kind == 'c':
        raise TypeError("signbit is not defined for complex-valued inputs")
    if kind in 'ub':
        return _bool_like(x, False, weak=False)
    if kind == 'i':
        return lax.lt(x, _strong_scalar(0, x.dtype))
    itype = {2: np.int16, 4: np.int32, 8: np.int64}[x.dtype.itemsize]
    return lax.lt(lax.bitcast_convert_type(_strong(x), itype), 0)


def copysign(x1, x2, /):
    """``|x1|`` with the sign of ``x2``."""
    a, b = promote_arrays(x1, x2, inexact=True)
    if a.dtype.kind == 'c':
        raise TypeError("copysign does not support complex-valued inputs")
    mag = lax.abs(a)
    return lax.select_n(signbit(b), mag, lax.neg(mag))


def heaviside(x1, x2, /):
    """Step function: 0 below zero, 1 above, ``x2`` at zero."""
    a, b = promote_arrays(x1, x2, inexact=True)
    # the step's constants follow x1, as JAX's do
    weak = dtypes.is_weakly_typed(x1) and dtypes.is_weakly_typed(a)
    zero = Array(np.zeros((), a.dtype), weak)
    one = Array(np.ones((), a.dtype), weak)
    return lax.select_n(lax.lt(a, zero), lax.select_n(lax.gt(a, zero), b, one), zero)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """Replace NaN by ``nan`` and infinities by ``posinf``/``neginf`` (default: the largest
    finite values of the dtype)."""
    x = asarray(x)
    kind = x.dtype.kind
    if kind not in 'fc':
        return x
    if kind == 'c':
        return lax.complex(nan_to_num(lax.real(x), nan=nan, posinf=posinf, neginf=neginf),
                           nan_to_num(lax.imag(x), nan=nan, posinf=posinf, neginf=neginf))
    x = _strong(x)
    info = np.finfo(x.dtype)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    out = lax.select_n(lax.ne(x, x), x, _scalar(nan, x.dtype))
    out = lax.select_n(lax.eq(out, np.inf), out, _scalar(posinf, x.dtype))
    return lax.select_n(lax.eq(out, -np.inf), out, _scalar(neginf, x.dtype))


def _scalar(value, dtype):
    return Array(np.asarray(value, dtype))


def nextafter(x1, x2, /):
    """The next representable float after ``x1`` in the direction of ``x2``."""
    x1, x2 = promote_dtypes_inexact(x1, x2)
    return lax.nextafter(x1, x2)


# --- Selection -------------------------------------------------------------------------

def clip(arr=None, /, min=None, max=None, *, a=None, a_min=None, a_max=None):
    """Limit values to ``[min, max]``: ``minimum(max, maximum(min, arr))`` (either bound may
    be None; ``a_min``/``a_max`` are the old names).

    >>> clip(jnp.array([-1., 0.5, 2.]), 0., 1.)
    Array([0. , 0.5, 1. ], dtype=float32)
    """
    if arr is None:
        arr = a
    if a_min is not None:
        min = a_min
    if a_max is not None:
        max = a_max
    arr = asarray(arr)
    if arr.dtype.kind == 'c':
        raise ValueError("clip: complex values have no ordering and cannot be clipped")
    if min is not None:
        arr = maximum(min, arr)
    if max is not None:
        arr = minimum(max, arr)
    return arr


def where(condition, x=None, y=None, /, *, size=None, fill_value=None):
    """``x`` where ``condition`` holds, else ``y`` (broadcast together).  With only
    ``condition`` it is ``nonzero(condition)`` (concrete values, or a static ``size``).

    >>> where(jnp.array([True, False]), 1., jnp.array([5., 6.]))
    Array([1., 6.], dtype=float32)
    """
    if x is None and y is None:
        from ._sorting import nonzero
        return nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise ValueError("where: either both or neither of x and y must be given")
    x, y = promote_dtypes(x, y)
    return lax.select_n(_to_bool(condition), y, x)


def select(condlist, choicelist, default=0):
    """The first choice whose condition holds, elementwise; ``default`` where none do."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: condlist and choicelist must have the same length, got "
                         f"{len(condlist)} and {len(choicelist)}")
    if not condlist:
        raise ValueError("select: condlist must not be empty")
    out = default
    # later choices first, so that the earliest matching condition wins
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        out = where(cond, choice, out)
    return out


def piecewise(x, condlist, funclist, *args, **kw):
    """Evaluate ``funclist[i](x)`` where ``condlist[i]`` holds (an extra trailing function
    or constant is the default).  Every function is evaluated on all of ``x``."""
    x = asarray(x)
    if isinstance(condlist, (bool, np.bool_)) or getattr(condlist, 'ndim', 1) == 0 or \
            (hasattr(condlist, 'shape') and condlist.shape == x.shape
             and not isinstance(condlist, list)):
        condlist = [condlist]
    n = len(condlist)
    if len(funclist) not in (n, n + 1):
        raise ValueError(f"piecewise: with {n} condition(s) funclist must have {n} or "
                         f"{n + 1} entries, got {len(funclist)}")
    if len(funclist) == n + 1:
        default = funclist[-1]
        funclist = funclist[:-1]
    else:
        default = 0

    def value(f):
        out = f(x, *args, **kw) if callable(f) else f
        return lax.convert_element_type(asarray(out), x.dtype) if not isinstance(
            out, (int, float, complex)) else out
    out = lax.full(x.shape, 0, x.dtype) if not callable(default) and default == 0 else \
        asarray(value(default))
    out = lax.broadcast_to(lax.convert_element_type(asarray(out), x.dtype), x.shape)
    for cond, f in zip(condlist, funclist):
        out = where(cond, value(f), out)
    return out
