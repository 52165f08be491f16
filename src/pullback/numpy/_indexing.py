"""Indexing: ``x[idx]``, the functional updates ``x.at[idx].set(...)`` & co, ``take`` and
``take_along_axis``, on the gather and scatter primitives of ``pullback.lax.indexing``.

Basic indices (ints, slices, ``None``, ``...``), integer arrays and concrete boolean masks
follow NumPy's rules.  Out-of-bounds indices are clamped when reading with ``x[idx]``
and dropped when updating, as in JAX; ``take`` fills them (NaN for floats) by default.

    >>> import pullback.numpy as jnp
    >>> x = jnp.arange(4.)
    >>> x.at[1:3].add(10.)
    Array([ 0., 11., 12.,  3.], dtype=float32)
"""
import numpy as np

from .. import lax
from .._array import Array
from ._promote import asarray
from ._util import canonicalize_axis

__all__ = ['take', 'take_along_axis']


def _getitem(x, idx):
    """``x[idx]`` (what ``Array.__getitem__`` calls)."""
    if type(x) is Array and _basic_in_bounds(idx, x._value.shape):
        # concrete array, ints and slices only: NumPy's basic indexing means the same as the
        # gather (a view is safe: arrays are never written to)
        return Array(x._value[idx], x.weak_type)
    return lax.getitem(x, idx)


def _concrete_basic_update(x, idx, values, how):
    """``x.at[idx].set/add(values)`` done by NumPy on a copy, when everything is concrete and
    the index is basic and in bounds (the scatter's meaning, without its overhead); None when
    the general path is needed (tracers, advanced indices, complex into real, bad shapes)."""
    if type(x) is not Array or not _basic_in_bounds(idx, x._value.shape):
        return None
    t = type(values)
    if t is Array:
        v = values._value
    elif t is float or t is int or t is bool or t is np.ndarray or isinstance(values, np.generic):
        v = values
    else:
        return None
    if np.result_type(v).kind == 'c' and x._value.dtype.kind != 'c':
        return None
    out = np.array(x._value)
    try:
        if how == 'set':
            out[idx] = v
        else:
            out[idx] += np.asarray(v, out.dtype)
    except (ValueError, TypeError):  # shapes that do not broadcast: the general path says why
        return None
    return Array(out, x.weak_type)


def _basic_in_bounds(idx, shape):
    """True for an int, a slice, or a tuple of them with every int inside its axis (out of
    bounds ints are clamped by the gather, which NumPy would refuse)."""
    items = idx if type(idx) is tuple else (idx,)
    if len(items) > len(shape):
        return False
    for item, size in zip(items, shape):
        t = type(item)
        if t is int:
            if not -size <= item < size:
                return False
        elif t is not slice:
            return False
    return True


_GET_MODES = {None: 'clip', 'clip': 'clip', 'promise_in_bounds': 'clip', 'fill': 'fill'}
_SET_MODES = {None: 'drop', 'drop': 'drop', 'fill': 'drop', 'promise_in_bounds': 'drop',
              'clip': 'clip'}


def _mode(table, mode, what):
    if isinstance(mode, str):
        mode = mode.lower()
    if mode not in table:
        raise ValueError(f"{what}: mode must be one of {sorted(m for m in table if m)}, got "
                         f"{mode!r}")
    return table[mode]


class _IndexUpdateHelper:
    """``x.at``: indexing it with ``[idx]`` gives the object whose methods update or read
    ``x`` at ``idx`` without mutating it."""
    __slots__ = ('array',)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return _IndexUpdateRef(self.array, index)

    def __repr__(self):
        return f"_IndexUpdateHelper({self.array!r})"


class _IndexUpdateRef:
    """``x.at[idx]``: ``.get()``, ``.set(v)``, ``.add(v)``, ``.subtract(v)``,
    ``.multiply(v)`` (``.mul``), ``.divide(v)``, ``.power(v)``, ``.min(v)``, ``.max(v)``,
    ``.apply(f)``.  Repeated indices accumulate for add, multiply, min and max.

    >>> jnp.zeros(3).at[jnp.array([0, 0, 2])].add(1.)
    Array([2., 0., 1.], dtype=float32)
    """
    __slots__ = ('array', 'index')

    def __init__(self, array, index):
        self.array = array
        self.index = index

    def __repr__(self):
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None,
            fill_value=None):
        """``x[idx]``; ``mode='fill'`` gives ``fill_value`` (NaN for floats) out of bounds."""
        oob = _mode(_GET_MODES, mode, 'at[].get')
        if oob == 'fill' and fill_value is None:
            fill_value = _default_fill(asarray(self.array).dtype)
        return lax.getitem(self.array, self.index, oob=oob, fill_value=fill_value)

    def _update(self, values, how, mode, name):
        oob = _mode(_SET_MODES, mode, f'at[].{name}')
        if how in ('set', 'add'):
            out = _concrete_basic_update(self.array, self.index, values, how)
            if out is not None:
                return out
        return lax.index_update(self.array, self.index, values, mode=how, oob=oob)

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """``x`` with ``x[idx] = values``."""
        return self._update(values, 'set', mode, 'set')

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """``x`` with ``x[idx] += values``."""
        return self._update(values, 'add', mode, 'add')

    def subtract(self, values, *, indices_are_sorted=False, unique_indices=False,
                 mode=None):
        """``x`` with ``x[idx] -= values``."""
        from ._math import negative
        return self._update(negative(values), 'add', mode, 'subtract')

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False,
                 mode=None):
        """``x`` with ``x[idx] *= values``."""
        return self._update(values, 'mul', mode, 'multiply')

    mul = multiply

    def divide(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """``x`` with ``x[idx] /= values``."""
        from ._math import true_divide
        return true_divide(self.array, self._factors(values, mode, 'divide'))

    def power(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """``x`` with ``x[idx] **= values``."""
        from ._math import power
        return power(self.array, self._factors(values, mode, 'power'))

    def _factors(self, values, mode, name):
        # ones everywhere except at idx: dividing (raising) by them touches only idx
        from ._creation import ones_like
        ones = ones_like(self.array)
        oob = _mode(_SET_MODES, mode, f'at[].{name}')
        return lax.index_update(ones, self.index, values, mode='mul', oob=oob)

    def min(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """``x`` with ``x[idx] = minimum(x[idx], values)``."""
        return self._update(values, 'min', mode, 'min')

    def max(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """``x`` with ``x[idx] = maximum(x[idx], values)``."""
        return self._update(values, 'max', mode, 'max')

    def apply(self, func, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """``x`` with ``x[idx] = func(x[idx])``."""
        return self._update(func(self.get(mode=None)), 'set', mode, 'apply')


def _default_fill(dtype):
    """What ``take`` returns out of bounds: NaN for inexact types, the most negative value
    for signed integers, the largest for unsigned ones, True for booleans."""
    dtype = np.dtype(dtype)
    if dtype.kind in 'fc':
        return np.nan
    if dtype.kind == 'i':
        return np.iinfo(dtype).min
    if dtype.kind == 'u':
        return np.iinfo(dtype).max
    return True


def _resolve_take_mode(fn, mode, fill_value, dtype):
    if mode is None or mode == 'fill':
        return 'fill', _default_fill(dtype) if fill_value is None else fill_value
    if mode in ('clip', 'promise_in_bounds'):
        return 'clip', None
    if mode == 'wrap':
        return 'wrap', None
    raise ValueError(f"{fn}: mode must be one of 'fill', 'clip', 'wrap' or "
                     f"'promise_in_bounds', got {mode!r}")


def take(a, indices, axis=None, out=None, mode=None, unique_indices=False,
         indices_are_sorted=False, fill_value=None):
    """Elements of ``a`` at ``indices`` along ``axis`` (of the flattened array if None).
    Out-of-bounds indices give ``fill_value`` (default: NaN for floats) unless
    ``mode='clip'`` or ``'wrap'``; negative indices count from the end.

    >>> take(jnp.array([10., 20., 30.]), jnp.array([2, 0]))
    Array([30., 10.], dtype=float32)
    """
    if out is not None:
        raise NotImplementedError("take: the out argument is not supported")
    a = asarray(a)
    if axis is None:
        a = lax.reshape(a, (a.size,))
        axis = 0
    ax = canonicalize_axis(axis, a.ndim, 'take')
    indices = _int_indices('take', indices)
    oob, fill = _resolve_take_mode('take', mode, fill_value, a.dtype)
    indices, oob = _wrap_or_clamp(indices, oob, a.shape[ax])
    idx = (slice(None),) * ax + (indices,)
    return lax.getitem(a, idx, oob=oob, fill_value=fill)


def _wrap_or_clamp(indices, oob, n):
    """'wrap' and 'clip' resolved here: NumPy clamps -1 to 0 in clip mode, while the gather
    itself would first wrap negative indices."""
    if oob == 'wrap':
        from ._math import remainder
        return remainder(indices, max(n, 1)), 'clip'
    if oob == 'clip':
        zero = Array(np.zeros((), indices.dtype))
        return lax.min(lax.max(indices, zero), Array(np.asarray(max(n - 1, 0),
                                                                 indices.dtype))), 'clip'
    return indices, oob


def _int_indices(fn, indices):
    indices = asarray(indices)
    if indices.dtype.kind not in 'iu':
        raise TypeError(f"{fn}: indices must be integers, got dtype {indices.dtype.name}")
    return indices


def take_along_axis(arr, indices, axis, mode=None, fill_value=None):
    """``arr`` picked at ``indices`` along ``axis``, the other axes matched elementwise
    (as ``np.take_along_axis``; the other axes broadcast).  Out-of-bounds indices give
    ``fill_value`` (NaN for floats) unless ``mode='clip'``.

    >>> take_along_axis(jnp.array([[3., 1.], [2., 4.]]), jnp.array([[1], [0]]), axis=1)
    Array([[1.],
           [2.]], dtype=float32)
    """
    arr = asarray(arr)
    indices = _int_indices('take_along_axis', indices)
    if axis is None:
        if indices.ndim != 1:
            raise ValueError(f"take_along_axis: with axis=None the indices must be 1-D, got "
                             f"shape {tuple(indices.shape)}")
        arr = lax.reshape(arr, (arr.size,))
        axis = 0
    if indices.ndim != arr.ndim:
        raise ValueError(f"take_along_axis: indices and arr must have the same number of "
                         f"dimensions, got shapes {tuple(indices.shape)} and "
                         f"{tuple(arr.shape)}")
    ax = canonicalize_axis(axis, arr.ndim, 'take_along_axis')
    oob, fill = _resolve_take_mode('take_along_axis', mode, fill_value, arr.dtype)
    n = arr.shape[ax]
    indices, oob = _wrap_or_clamp(indices, oob, n)
    nd = arr.ndim
    try:
        shape = tuple(np.broadcast_shapes(
            tuple(s for d, s in enumerate(arr.shape) if d != ax),
            tuple(s for d, s in enumerate(indices.shape) if d != ax)))
    except ValueError:
        raise ValueError(f"take_along_axis: the axes other than {ax} of arr "
                         f"{tuple(arr.shape)} and indices {tuple(indices.shape)} do not "
                         f"broadcast") from None
    # one index array per axis: the given indices along ``ax``, aranges elsewhere
    index = []
    other = iter(range(nd - 1))
    for d in range(nd):
        if d == ax:
            index.append(indices)
        else:
            k = next(other)
            size = shape[k]
            index.append(Array(np.arange(size, dtype=np.int32).reshape(
                (1,) * d + (size,) + (1,) * (nd - d - 1))))
    if any(arr.shape[d] != shape[k] for k, d in enumerate(d for d in range(nd) if d != ax)):
        arr = lax.broadcast_to(arr, tuple(shape[:ax]) + (n,) + tuple(shape[ax:]))
    return lax.getitem(arr, tuple(index), oob=oob, fill_value=fill)
