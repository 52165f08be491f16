"""Whole-array comparisons: isclose, allclose, array_equal, array_equiv.

    >>> import pullback.numpy as jnp
    >>> jnp.allclose(jnp.array([1., 2.]), jnp.array([1., 2.000001]))
    Array(True, dtype=bool)
"""
import numpy as np

from .. import dtypes
from .. import lax
from .._array import Array
from ._promote import asarray, promote_dtypes

__all__ = ['isclose', 'allclose', 'array_equal', 'array_equiv']


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Where ``|a - b| <= atol + rtol * |b|``; equal infinities are close, NaNs are close
    only with ``equal_nan``.  Integers and booleans are compared as floats.

    >>> isclose(jnp.array([1., jnp.inf]), jnp.array([1.000001, jnp.inf]))
    Array([ True,  True], dtype=bool)
    """
    a, b = (asarray(x) for x in promote_dtypes(a, b))
    if a.dtype.kind not in 'fc':
        target = dtypes.default_float_dtype()
        a = lax.convert_element_type(a, target, dtypes.is_weakly_typed(a))
        b = lax.convert_element_type(b, target, dtypes.is_weakly_typed(b))
    real = dtypes.real_dtype(a.dtype)
    rtol = Array(np.asarray(rtol, real))
    atol = Array(np.asarray(atol, real))
    diff = lax.abs(lax.sub(a, b))
    close = lax.le(diff, lax.add(atol, lax.mul(rtol, lax.abs(b))))
    # infinities: close only to themselves (their difference is NaN or inf)
    inf_a, inf_b = _isinf(a), _isinf(b)
    either_inf = lax.bitwise_or(inf_a, inf_b)
    close = lax.select_n(either_inf, close, lax.eq(a, b))
    if equal_nan:
        both_nan = lax.bitwise_and(lax.ne(a, a), lax.ne(b, b))
        close = lax.bitwise_or(close, both_nan)
    return close


def _isinf(x):
    if x.dtype.kind == 'c':
        return lax.bitwise_or(_isinf(lax.real(x)), _isinf(lax.imag(x)))
    return lax.eq(lax.abs(x), np.inf)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether every element of ``a`` is close to ``b`` (see ``isclose``); a boolean Array.

    >>> allclose(1., 1. + 1e-9)
    Array(True, dtype=bool)
    """
    close = isclose(a, b, rtol, atol, equal_nan)
    return lax.reduce_and(close, tuple(range(close.ndim)))


def array_equal(a1, a2, equal_nan=False):
    """True if the arrays have the same shape and elements (NaN == NaN with
    ``equal_nan``)."""
    a1, a2 = asarray(a1), asarray(a2)
    if tuple(a1.shape) != tuple(a2.shape):
        return Array(np.asarray(False))
    a1, a2 = (asarray(x) for x in promote_dtypes(a1, a2))
    eq = lax.eq(a1, a2)
    if equal_nan:
        eq = lax.bitwise_or(eq, lax.bitwise_and(lax.ne(a1, a1), lax.ne(a2, a2)))
    return _strong_all(eq)


def array_equiv(a1, a2):
    """True if the arrays broadcast together and are equal elementwise."""
    a1, a2 = asarray(a1), asarray(a2)
    try:
        np.broadcast_shapes(a1.shape, a2.shape)
    except ValueError:
        return Array(np.asarray(False))
    a1, a2 = (asarray(x) for x in promote_dtypes(a1, a2))
    return _strong_all(lax.eq(a1, a2))


def _strong_all(x):
    out = lax.reduce_and(x, tuple(range(x.ndim)))
    if dtypes.is_weakly_typed(out):
        out = lax.convert_element_type(out, np.bool_, False)
    return out
