"""Sorting and searching: sort, argsort, lexsort, searchsorted, and the functions whose
result size depends on the data (nonzero, argwhere, flatnonzero, unique, delete, insert).

Data-dependent sizes need concrete values, or a static ``size=`` (with ``fill_value``)
under ``jit`` and ``vmap``, as in JAX.

    >>> import pullback.numpy as jnp
    >>> jnp.nonzero(jnp.array([0, 3, 0, 5]))
    (Array([1, 3], dtype=int32),)
"""
import numpy as np

from .. import dtypes
from .. import lax
from .._array import Array
from .._core.core import Tracer
from ._promote import asarray
from ._util import canonicalize_axis, concrete_value, static_int

__all__ = ['sort', 'argsort', 'lexsort', 'searchsorted', 'nonzero', 'argwhere',
           'flatnonzero', 'unique', 'unique_values', 'unique_counts', 'unique_inverse',
           'unique_all', 'delete', 'insert', 'extract', 'compress']


def _flat_or_axis(a, axis, fn):
    a = asarray(a)
    if axis is None:
        return lax.reshape(a, (a.size,)), 0
    return a, canonicalize_axis(axis, a.ndim, fn)


def sort(a, axis=-1, kind=None, order=None, *, stable=True, descending=False):
    """``a`` sorted along ``axis`` (flattened first if None); NaNs go last.

    >>> sort(jnp.array([3., 1., 2.]))
    Array([1., 2., 3.], dtype=float32)
    """
    if order is not None:
        raise NotImplementedError("sort: the order argument is not supported")
    a, ax = _flat_or_axis(a, axis, 'sort')
    if a.ndim == 0:
        return a
    out = lax.sort(a, dimension=ax, is_stable=stable)
    return lax.rev(out, (ax,)) if descending else out


def argsort(a, axis=-1, kind=None, order=None, *, stable=True, descending=False):
    """Indices that sort ``a`` along ``axis``; ties keep their order.

    >>> argsort(jnp.array([3., 1., 2.]))
    Array([1, 2, 0], dtype=int32)
    """
    if order is not None:
        raise NotImplementedError("argsort: the order argument is not supported")
    a, ax = _flat_or_axis(a, axis, 'argsort')
    if a.ndim == 0:
        return Array(np.zeros((), np.int32))
    return lax.argsort(a, ax, True, descending)


def lexsort(keys, axis=-1):
    """Indices that sort by the last key first, then the one before it, and so on."""
    keys = [asarray(k) for k in keys]
    if not keys:
        raise TypeError("lexsort: need a sequence of keys with length at least one")
    shapes = {tuple(k.shape) for k in keys}
    if len(shapes) != 1:
        raise ValueError(f"lexsort: all keys must have the same shape, got "
                         f"{[tuple(k.shape) for k in keys]}")
    shape = keys[0].shape
    ax = canonicalize_axis(axis, len(shape), 'lexsort')
    iota = lax.broadcasted_iota(np.int32, tuple(shape), ax)
    return lax.sort(tuple(keys[::-1]) + (iota,), dimension=ax, is_stable=True,
                    num_keys=len(keys))[-1]


def searchsorted(a, v, side='left', sorter=None, *, method='compare_all'):
    """Where ``v``'s elements would be inserted into the sorted 1-D ``a`` to keep it sorted
    (before equal elements for ``side='left'``, after them for 'right').

    >>> searchsorted(jnp.array([1., 2., 3.]), jnp.array([0., 2., 5.]))
    Array([0, 1, 3], dtype=int32)
    """
    from ._promote import promote_dtypes
    from ._reductions import sum as _sum
    if side not in ('left', 'right'):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    a, v = (asarray(x) for x in promote_dtypes(asarray(a), asarray(v)))
    if a.ndim != 1:
        raise ValueError(f"searchsorted: a must be 1-D, got shape {tuple(a.shape)}")
    if sorter is not None:
        from ._indexing import take
        a = take(a, sorter, mode='clip')
    aa = lax.reshape(a, (1,) * v.ndim + (a.size,))
    vv = lax.reshape(v, tuple(v.shape) + (1,))
    # NaN sorts last: it is greater than every number
    before = lax.lt(aa, vv) if side == 'left' else lax.le(aa, vv)
    if a.dtype.kind in 'fc':
        a_nan, v_nan = lax.ne(aa, aa), lax.ne(vv, vv)
        extra = lax.bitwise_not(a_nan) if side == 'left' else lax.bitwise_or(
            lax.bitwise_not(a_nan), v_nan)
        before = lax.bitwise_or(before, lax.bitwise_and(v_nan, extra))
    return _sum(before, axis=-1, dtype=dtypes.default_int_dtype())


# --- Data-dependent sizes --------------------------------------------------------------

_SIZE_HINT = (": the number of results depends on the values, so the result has no "
              "static shape; pass a static size= (and fill_value=) to get a fixed number "
              "of results")


def nonzero(a, *, size=None, fill_value=None):
    """Indices of the non-zero elements, one index array per axis.  Concrete input, or a
    static ``size`` (truncating, or padding with ``fill_value``, default 0).

    >>> nonzero(jnp.array([[0, 1], [1, 1]]))
    (Array([0, 1, 1], dtype=int32), Array([1, 0, 1], dtype=int32))
    """
    a = asarray(a)
    if a.ndim == 0:
        raise ValueError("nonzero: calling nonzero on 0-d arrays is not allowed; use "
                         "atleast_1d(a).nonzero() instead")
    idx_dtype = dtypes.default_int_dtype()
    if size is None:
        value = concrete_value(a, 'nonzero', _SIZE_HINT)
        return tuple(Array(i.astype(idx_dtype)) for i in np.nonzero(value))
    size = static_int(size, 'nonzero', 'size')
    fills = _fill_values(fill_value, a.ndim)
    if not isinstance(a, Tracer):
        found = np.nonzero(a._value)
        out = []
        for i, f in zip(found, fills):
            i = i[:size]
            out.append(Array(np.concatenate([i, np.full(size - len(i), f)]).astype(idx_dtype)))
        return tuple(out)
    return _nonzero_traced(a, size, fills, idx_dtype)


def _fill_values(fill_value, ndim):
    if fill_value is None:
        return (0,) * ndim
    if np.ndim(fill_value) == 0:
        return (fill_value,) * ndim
    fills = tuple(fill_value)
    if len(fills) != ndim:
        raise ValueError(f"nonzero: fill_value must be a scalar or have one entry per "
                         f"dimension ({ndim}), got {fill_value!r}")
    return fills


def _nonzero_traced(a, size, fills, idx_dtype):
    if a.size == 0:
        return tuple(Array(np.full(size, f, idx_dtype)) for f in fills)
    flat = lax.reshape(a, (a.size,))
    mask = lax.ne(flat, Array(np.zeros((), a.dtype))) if a.dtype.kind != 'b' else flat
    # a stable sort of "is zero" puts the non-zero positions first, in order
    key = lax.convert_element_type(lax.bitwise_not(mask), np.int32)
    order = lax.argsort(key, 0, True, False)
    count = lax.reduce_sum(lax.convert_element_type(mask, idx_dtype), (0,))
    take_n = min(size, a.size)
    first = lax.slice_in_dim(order, 0, take_n, 1, 0)
    if size > take_n:
        first = lax.pad(first, Array(np.zeros((), np.int32)), [(0, size - take_n, 0)])
    valid = lax.lt(Array(np.arange(size, dtype=idx_dtype)), count)
    out = []
    stride = a.size
    for dim, fill in zip(a.shape, fills):
        stride //= dim
        coord = lax.rem(lax.div(first, np.int32(stride)), np.int32(dim))
        coord = lax.convert_element_type(coord, idx_dtype)
        out.append(lax.select_n(valid, Array(np.full(size, fill, idx_dtype)), coord))
    return tuple(out)


def flatnonzero(a, *, size=None, fill_value=None):
    """Indices of the non-zero elements of the flattened array."""
    a = asarray(a)
    return nonzero(lax.reshape(a, (a.size,)), size=size, fill_value=fill_value)[0]


def argwhere(a, *, size=None, fill_value=None):
    """Indices of the non-zero elements as an ``(N, a.ndim)`` array."""
    from ._shape import stack
    a = asarray(a)
    if a.ndim == 0:
        n = int(concrete_value(a, 'argwhere', _SIZE_HINT) != 0) if size is None else size
        return Array(np.zeros((n, 0), dtypes.default_int_dtype()))
    idx = nonzero(a, size=size, fill_value=fill_value)
    return stack(idx, axis=1)


def extract(condition, arr, *, size=None, fill_value=0):
    """The elements of ``arr`` where ``condition`` is non-zero, flattened."""
    from ._indexing import take
    arr = asarray(arr)
    idx = flatnonzero(condition, size=size, fill_value=0)
    out = take(lax.reshape(arr, (arr.size,)), idx, mode='clip')
    if size is not None:
        count = lax.reduce_sum(lax.convert_element_type(
            lax.ne(asarray(condition), 0), np.int32), tuple(range(asarray(condition).ndim)))
        valid = lax.lt(Array(np.arange(size, dtype=np.int32)), count)
        out = lax.select_n(valid, Array(np.full((), fill_value, arr.dtype)), out)
    return out


def compress(condition, a, axis=None, *, size=None, fill_value=0):
    """The slices of ``a`` along ``axis`` where the 1-D ``condition`` is true."""
    from ._indexing import take
    cond = asarray(condition)
    if cond.ndim != 1:
        raise ValueError(f"compress: condition must be 1-D, got shape {tuple(cond.shape)}")
    a, ax = _flat_or_axis(a, axis, 'compress')
    value = concrete_value(cond, 'compress', _SIZE_HINT)
    idx = np.nonzero(value[:a.shape[ax]])[0]
    if size is not None:
        idx = idx[:size]
    out = take(a, Array(idx.astype(np.int32)), axis=ax)
    if size is not None and len(idx) < size:
        pad = [(0, 0, 0)] * a.ndim
        pad[ax] = (0, size - len(idx), 0)
        out = lax.pad(out, Array(np.asarray(fill_value, a.dtype)), pad)
    return out


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None,
           *, equal_nan=True, size=None, fill_value=None, sorted=True):
    """The sorted distinct values of ``ar`` (of its slices along ``axis``), optionally with
    first indices, the inverse mapping and counts.  Needs concrete values, except for the
    flattened values alone with a static ``size`` (padded with ``fill_value``, default the
    smallest value).

    >>> unique(jnp.array([3, 1, 1, 2]))
    Array([1, 2, 3], dtype=int32)
    """
    ar = asarray(ar)
    extras = return_index or return_inverse or return_counts
    if isinstance(ar, Tracer) and size is not None and axis is None and not extras:
        return _unique_traced(ar, size, fill_value)
    value = concrete_value(ar, 'unique', _SIZE_HINT if size is None else
                           ": only the values (no return_* outputs, axis=None) can be "
                           "computed from traced input with size=")
    res = np.unique(value, return_index=True, return_inverse=True, return_counts=True,
                    axis=axis, equal_nan=equal_nan)
    vals, index, inverse, counts = res
    idx_dtype = dtypes.default_int_dtype()
    if axis is None:
        inverse = inverse.reshape(value.shape) if value.ndim else inverse.reshape(())
    if size is not None:
        n = len(vals) if axis is None else vals.shape[axis]
        ax = 0 if axis is None else axis % value.ndim
        if fill_value is None:
            fill = np.take(vals, [0], axis=ax) if n else np.zeros_like(
                np.take(value, [], axis=ax))
        else:
            fill = np.full_like(np.take(vals, [0] if n else [], axis=ax), fill_value)
        extra = size - n
        if extra >= 0:
            reps = [1] * vals.ndim
            reps[ax] = extra
            vals = np.concatenate([vals, np.tile(fill, reps) if n or fill_value is not None
                                   else np.zeros_like(fill)], axis=ax)
            index = np.concatenate([index, np.zeros(extra, index.dtype)])
            counts = np.concatenate([counts, np.zeros(extra, counts.dtype)])
        else:
            vals = np.take(vals, np.arange(size), axis=ax)
            index, counts = index[:size], counts[:size]
    out = [Array(np.asarray(vals, ar.dtype), dtypes.is_weakly_typed(ar))]
    if return_index:
        out.append(Array(index.astype(idx_dtype)))
    if return_inverse:
        out.append(Array(inverse.astype(idx_dtype)))
    if return_counts:
        out.append(Array(counts.astype(idx_dtype)))
    return out[0] if len(out) == 1 else tuple(out)


def _unique_traced(ar, size, fill_value):
    from ._indexing import take
    flat = sort(lax.reshape(ar, (ar.size,)))
    n = ar.size
    if n == 0:
        return lax.full((size,), 0 if fill_value is None else fill_value, ar.dtype)
    head = Array(np.ones((1,), bool))
    changed = lax.ne(lax.slice_in_dim(flat, 1, n, 1, 0), lax.slice_in_dim(flat, 0, n - 1, 1, 0))
    is_new = lax.concatenate([head, changed], 0)
    idx, = nonzero(is_new, size=size, fill_value=0)
    vals = take(flat, idx, mode='clip')
    count = lax.reduce_sum(lax.convert_element_type(is_new, np.int32), (0,))
    valid = lax.lt(Array(np.arange(size, dtype=np.int32)), count)
    fill = lax.slice_in_dim(flat, 0, 1, 1, 0) if fill_value is None else \
        Array(np.asarray(fill_value, ar.dtype))
    return lax.select_n(valid, lax.broadcast_to(fill, (size,)), vals)


def unique_values(x, /, *, size=None, fill_value=None):
    """Array-API: the distinct values of ``x``."""
    return unique(x, size=size, fill_value=fill_value)


def unique_counts(x, /, *, size=None, fill_value=None):
    """Array-API: ``(values, counts)``."""
    return unique(x, return_counts=True, size=size, fill_value=fill_value)


def unique_inverse(x, /, *, size=None, fill_value=None):
    """Array-API: ``(values, inverse_indices)``."""
    return unique(x, return_inverse=True, size=size, fill_value=fill_value)


def unique_all(x, /, *, size=None, fill_value=None):
    """Array-API: ``(values, indices, inverse_indices, counts)``."""
    return unique(x, return_index=True, return_inverse=True, return_counts=True,
                  size=size, fill_value=fill_value)


def _static_positions(fn, obj, n):
    """A concrete index specification (int, slice, sequence, array) as a NumPy array."""
    if isinstance(obj, slice):
        return np.arange(n)[obj]
    value = concrete_value(obj, fn, ": the positions must be concrete") if isinstance(
        obj, (Tracer, Array)) else np.asarray(obj)
    if value.dtype.kind == 'b':
        if value.shape != (n,):
            raise ValueError(f"{fn}: a boolean mask must have shape ({n},), got "
                             f"{value.shape}")
        return np.nonzero(value)[0]
    if value.dtype.kind not in 'iu' and value.size:
        raise IndexError(f"{fn}: positions must be integers, got dtype {value.dtype}")
    return value.astype(np.int64)


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    """``arr`` without the entries ``obj`` (int, slice, sequence or mask) along ``axis``
    (of the flattened array if None); the positions must be concrete."""
    from ._indexing import take
    arr, ax = _flat_or_axis(arr, axis, 'delete')
    n = arr.shape[ax]
    pos = _static_positions('delete', obj, n)
    if pos.size and (pos.max() >= n or pos.min() < -n):
        raise IndexError(f"delete: index {pos.max() if pos.max() >= n else pos.min()} is out "
                         f"of bounds for axis {ax} with size {n}")
    keep = np.delete(np.arange(n), pos % n if n else pos)
    return take(arr, Array(keep.astype(np.int32)), axis=ax)


def insert(arr, obj, values, axis=None):
    """``arr`` with ``values`` inserted before the positions ``obj`` along ``axis`` (of the
    flattened array if None); the positions must be concrete.

    >>> insert(jnp.array([1, 2, 3]), 1, 9)
    Array([1, 9, 2, 3], dtype=int32)
    """
    from ._indexing import take
    from ._shape import broadcast_to, moveaxis
    arr, ax = _flat_or_axis(arr, axis, 'insert')
    n = arr.shape[ax]
    scalar_obj = not isinstance(obj, slice) and np.ndim(obj) == 0
    pos = _static_positions('insert', obj, n + 1).reshape(-1)
    pos = np.where(pos < 0, pos + n, pos)
    if pos.size and (pos.max() > n or pos.min() < 0):
        raise IndexError(f"insert: index {obj!r} is out of bounds for axis {ax} with size "
                         f"{n}")
    values = lax.convert_element_type(asarray(values), arr.dtype)
    if scalar_obj:
        # NumPy: a block goes in at one position; its leading axis runs along ``ax``
        if values.ndim < arr.ndim:
            values = lax.reshape(values, (1,) * (arr.ndim - values.ndim) + tuple(values.shape))
        values = moveaxis(values, 0, ax)
        k = values.shape[ax]
        pos = np.full(k, pos[0])
    else:
        k = pos.size
    target = tuple(k if d == ax else s for d, s in enumerate(arr.shape))
    joined = lax.concatenate([arr, broadcast_to(values, target)], ax)
    # each new slice sorts just before the original slice at its position
    order = np.argsort(np.concatenate([np.arange(n), pos - 0.5]), kind='stable')
    return take(joined, Array(order.astype(np.int32)), axis=ax)
