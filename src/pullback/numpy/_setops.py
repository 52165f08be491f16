"""Set operations on arrays: isin, in1d, union1d, intersect1d, setdiff1d, setxor1d.

``isin`` is elementwise and works everywhere; the others return sorted unique values
whose number depends on the data, so they need concrete values, or a static ``size=``
(padding with ``fill_value``, default the smallest result).

    >>> import pullback.numpy as jnp
    >>> jnp.isin(jnp.array([1, 2, 3]), jnp.array([2, 5]))
    Array([False,  True, False], dtype=bool)
"""
import numpy as np

from .. import lax
from .._array import Array
from ._promote import asarray, promote_dtypes
from ._util import concrete_value

__all__ = ['isin', 'in1d', 'union1d', 'intersect1d', 'setdiff1d', 'setxor1d']

_HINT = (": the number of results depends on the values; pass a static size= (and "
         "fill_value=)")


def isin(element, test_elements, assume_unique=False, invert=False, *, method='auto'):
    """Where the elements of ``element`` occur in ``test_elements`` (compared with all of
    them, so traced inputs work)."""
    element, test = (asarray(x) for x in promote_dtypes(asarray(element),
                                                          asarray(test_elements)))
    flat = lax.reshape(test, (1,) * element.ndim + (test.size,))
    found = lax.reduce_or(lax.eq(lax.reshape(element, tuple(element.shape) + (1,)), flat),
                          (element.ndim,))
    return lax.bitwise_not(found) if invert else found


def in1d(ar1, ar2, assume_unique=False, invert=False, *, method='auto'):
    """``isin`` of the flattened ``ar1`` (deprecated in NumPy; kept for compatibility)."""
    ar1 = asarray(ar1)
    return isin(lax.reshape(ar1, (ar1.size,)), ar2, invert=invert)


def _finish(fn, values, dtype, size, fill_value):
    values = np.asarray(values, dtype)
    if size is not None:
        if len(values) >= size:
            values = values[:size]
        else:
            fill = fill_value if fill_value is not None else (values.min() if len(values)
                                                              else 0)
            values = np.concatenate([values, np.full(size - len(values), fill, dtype)])
    return Array(values)


def _concrete_pair(fn, ar1, ar2):
    a, b = (asarray(x) for x in promote_dtypes(asarray(ar1), asarray(ar2)))
    hint = _HINT
    return concrete_value(a, fn, hint), concrete_value(b, fn, hint), a.dtype


def union1d(ar1, ar2, *, size=None, fill_value=None):
    """Sorted unique values found in either array."""
    a, b, dtype = _concrete_pair('union1d', ar1, ar2)
    return _finish('union1d', np.union1d(a, b), dtype, size, fill_value)


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None,
                fill_value=None):
    """Sorted unique values found in both arrays (with their first indices in each if
    ``return_indices``)."""
    a, b, dtype = _concrete_pair('intersect1d', ar1, ar2)
    res = np.intersect1d(a, b, assume_unique=assume_unique, return_indices=True)
    values = _finish('intersect1d', res[0], dtype, size, fill_value)
    if not return_indices:
        return values
    idx = [_finish('intersect1d', i, np.int32, size, 0) for i in res[1:]]
    return values, idx[0], idx[1]


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """Sorted unique values of ``ar1`` that are not in ``ar2``."""
    a, b, dtype = _concrete_pair('setdiff1d', ar1, ar2)
    return _finish('setdiff1d', np.setdiff1d(a, b, assume_unique), dtype, size, fill_value)


def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """Sorted unique values in exactly one of the arrays."""
    a, b, dtype = _concrete_pair('setxor1d', ar1, ar2)
    return _finish('setxor1d', np.setxor1d(a, b, assume_unique), dtype, size, fill_value)
