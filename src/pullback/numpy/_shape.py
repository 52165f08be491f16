"""Shape manipulation: reshape, transpose, joining, splitting, tiling, flipping, rolling,
broadcasting and padding, written on ``pullback.lax``.

Sizes, axes and counts are static (Python ints, or concrete values outside ``jit``).

    >>> import pullback.numpy as jnp
    >>> jnp.stack([jnp.ones(2), jnp.zeros(2)], axis=1).shape
    (2, 2)
"""
import math
import operator
import warnings

import numpy as np

from .. import lax
from .._array import Array
from .._core.core import Tracer
from ._promote import asarray, promote_dtypes
from ._util import canonicalize_axis, canonicalize_axes, canonical_shape, static_int

__all__ = [
    'reshape', 'ravel', 'transpose', 'permute_dims', 'matrix_transpose', 'moveaxis',
    'swapaxes', 'rollaxis', 'squeeze', 'expand_dims', 'concatenate', 'concat', 'stack',
    'vstack', 'hstack', 'dstack', 'column_stack', 'row_stack', 'split', 'array_split',
    'hsplit', 'vsplit', 'dsplit', 'unstack', 'tile', 'repeat', 'flip', 'fliplr', 'flipud',
    'rot90', 'roll', 'broadcast_to', 'broadcast_arrays', 'broadcast_shapes', 'atleast_1d',
    'atleast_2d', 'atleast_3d', 'append', 'resize',
]


# --- Reshaping and permuting -----------------------------------------------------------

def _infer_shape(fn, size, in_shape, shape):
    if -1 not in shape and math.prod(shape) == size and min(shape, default=0) >= 0:
        return shape
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise ValueError(f"{fn}: can only specify one unknown dimension (-1), got shape "
                         f"{shape}")
    if any(s < -1 for s in shape):
        raise ValueError(f"{fn}: invalid dimension in shape {shape}")
    if unknown:
        known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
        if known == 0 or size % known:
            raise ValueError(f"{fn}: cannot reshape an array of shape {in_shape} (size "
                             f"{size}) into shape {shape}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    if int(np.prod(shape, dtype=np.int64)) != size:
        raise ValueError(f"{fn}: cannot reshape an array of shape {in_shape} (size {size}) "
                         f"into shape {shape}")
    return shape


def reshape(a, shape=None, order='C', *, newshape=None, copy=None):
    """``a`` with a new ``shape`` (one entry may be -1); ``order='F'`` reads and writes
    column-major.

    >>> reshape(jnp.arange(6), (2, -1))
    Array([[0, 1, 2],
           [3, 4, 5]], dtype=int32)
    """
    if shape is None:
        if newshape is None:
            raise TypeError("reshape: the shape argument is required")
        shape = newshape
    a = asarray(a)
    if type(shape) is int or isinstance(shape, np.integer):
        shape = (operator.index(shape),)
    elif type(shape) is not tuple or not all(type(s) is int for s in shape):
        shape = tuple(operator.index(s) for s in shape)
    shape = _infer_shape('reshape', a.size, a.shape, shape)
    if order == 'F':
        rev = tuple(range(a.ndim))[::-1]
        out = lax.reshape(lax.transpose(a, rev), shape[::-1])
        return lax.transpose(out, tuple(range(len(shape)))[::-1])
    if order not in ('C', 'A'):
        raise ValueError(f"reshape: order must be 'C', 'F' or 'A', got {order!r}")
    return lax.reshape(a, shape)


def ravel(a, order='C'):
    """``a`` flattened to 1-D."""
    a = asarray(a)
    if order == 'F':
        return reshape(a, (a.size,), order='F')
    return lax.reshape(a, (a.size,))


def transpose(a, axes=None):
    """Permute the axes of ``a`` (reverse them by default).

    >>> transpose(jnp.ones((2, 3))).shape
    (3, 2)
    """
    a = asarray(a)
    if axes is None:
        return lax.transpose(a, tuple(range(a.ndim))[::-1])
    axes = tuple(canonicalize_axis(ax, a.ndim, 'transpose') for ax in axes)
    if sorted(axes) != list(range(a.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the axes of an "
                         f"array of shape {a.shape}")
    return lax.transpose(a, axes)


def permute_dims(a, /, axes):
    """Array-API name of ``transpose(a, axes)``."""
    return transpose(a, axes)


def matrix_transpose(x, /):
    """Swap the last two axes (an array of matrices transposed)."""
    x = asarray(x)
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose: x must have at least 2 dimensions, got shape "
                         f"{x.shape}")
    return swapaxes(x, -1, -2)


def moveaxis(a, source, destination):
    """Move axes ``source`` to positions ``destination`` (ints or sequences)."""
    a = asarray(a)
    src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
    dst = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {src} and destination {dst} must have the same "
                         f"number of elements")
    src = [canonicalize_axis(s, a.ndim, 'moveaxis') for s in src]
    dst = [canonicalize_axis(d, a.ndim, 'moveaxis') for d in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"moveaxis: repeated axis in source {src} or destination {dst}")
    perm = [i for i in range(a.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return lax.transpose(a, tuple(perm))


def swapaxes(a, axis1, axis2):
    """``a`` with ``axis1`` and ``axis2`` interchanged."""
    a = asarray(a)
    i = canonicalize_axis(axis1, a.ndim, 'swapaxes')
    j = canonicalize_axis(axis2, a.ndim, 'swapaxes')
    perm = list(range(a.ndim))
    perm[i], perm[j] = perm[j], perm[i]
    return lax.transpose(a, tuple(perm))


def rollaxis(a, axis, start=0):
    """Move ``axis`` so that it lies before position ``start`` (prefer ``moveaxis``)."""
    a = asarray(a)
    axis = canonicalize_axis(axis, a.ndim, 'rollaxis')
    if not -a.ndim <= start <= a.ndim:
        raise np.exceptions.AxisError(f"rollaxis: start={start} must be in "
                                      f"[{-a.ndim}, {a.ndim}]")
    start = start % (a.ndim + 1) if start < 0 else start
    if axis < start:
        start -= 1
    return moveaxis(a, axis, start)


def squeeze(a, axis=None):
    """``a`` without the length-one axes (only those in ``axis`` if given)."""
    a = asarray(a)
    if axis is None:
        axes = tuple(i for i, s in enumerate(a.shape) if s == 1)
    else:
        axes = canonicalize_axes(axis, a.ndim, 'squeeze')
        for i in axes:
            if a.shape[i] != 1:
                raise ValueError(f"squeeze: cannot select an axis to squeeze out which has "
                                 f"size not equal to one, got shape {a.shape} and axis "
                                 f"{axis}")
    if not axes:
        return a
    return lax.squeeze(a, axes)


def expand_dims(a, axis):
    """``a`` with new length-one axes at positions ``axis`` (of the result)."""
    a = asarray(a)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out_ndim = a.ndim + len(axes)
    axes = canonicalize_axes(axes, out_ndim, 'expand_dims')
    shape = list(a.shape)
    for ax in axes:
        shape.insert(ax, 1)
    kept = tuple(i for i in range(out_ndim) if i not in axes)
    return lax.broadcast_in_dim(a, tuple(shape), kept)


# --- Joining ---------------------------------------------------------------------------

def _as_array_list(fn, arrays):
    if isinstance(arrays, (Array, Tracer, np.ndarray)):
        return [arrays[i] for i in range(arrays.shape[0])] if arrays.ndim else [arrays]
    arrays = list(arrays)
    if not arrays:
        raise ValueError(f"{fn}: need at least one array to concatenate")
    return arrays


def concatenate(arrays, axis=0, dtype=None):
    """Join arrays along an existing ``axis`` (flattened first if ``axis`` is None).

    >>> concatenate([jnp.zeros(2), jnp.ones(1)])
    Array([0., 0., 1.], dtype=float32)
    """
    arrays = _as_array_list('concatenate', arrays)
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    arrays = [asarray(a) for a in promote_dtypes(*[asarray(a) for a in arrays])]
    if dtype is not None:
        arrays = [lax.convert_element_type(a, dtype) for a in arrays]
    first = arrays[0]
    if first.ndim == 0:
        raise ValueError("concatenate: zero-dimensional arrays cannot be concatenated")
    ax = canonicalize_axis(axis, first.ndim, 'concatenate')
    for a in arrays[1:]:
        if a.ndim != first.ndim or any(s != t for i, (s, t) in
                                       enumerate(zip(a.shape, first.shape)) if i != ax):
            raise ValueError(
                f"concatenate: all input array dimensions except for the concatenation axis "
                f"{ax} must match exactly, got shapes "
                f"{', '.join(str(tuple(b.shape)) for b in arrays)}")
    if len(arrays) == 1:
        return first
    return lax.concatenate(arrays, ax)


concat = concatenate


def stack(arrays, axis=0, out=None, dtype=None):
    """Join arrays of the same shape along a new ``axis``.

    >>> stack([jnp.ones(3), jnp.zeros(3)]).shape
    (2, 3)
    """
    arrays = [asarray(a) for a in _as_array_list('stack', arrays)]
    shape = tuple(arrays[0].shape)
    for a in arrays[1:]:
        if tuple(a.shape) != shape:
            raise ValueError(f"stack: all input arrays must have the same shape, got shapes "
                             f"{', '.join(str(tuple(a.shape)) for a in arrays)}")
    ax = canonicalize_axis(axis, len(shape) + 1, 'stack')
    if dtype is not None:
        arrays = [lax.convert_element_type(a, dtype) for a in arrays]
    elif len({a.dtype for a in arrays}) > 1:
        arrays = [asarray(a) for a in promote_dtypes(*arrays)]
    new_shape = shape[:ax] + (1,) + shape[ax:]
    parts = [lax.reshape(a, new_shape) for a in arrays]
    return parts[0] if len(parts) == 1 else lax.concatenate(parts, ax)


def _stack_inputs(fn, tup):
    """The arrays to stack; an element that is itself a tuple or list (such as the 1-tuples
    a ``vjp`` function returns) is stacked into one array, with a DeprecationWarning."""
    items = _as_array_list(fn, tup)
    out = []
    for x in items:
        if isinstance(x, (tuple, list)):
            warnings.warn(f"{fn}: an element of the input is a {type(x).__name__}, which is "
                          f"converted to an array with jnp.asarray; pass arrays instead",
                          DeprecationWarning, stacklevel=3)
        out.append(asarray(x))
    return out


def vstack(tup, dtype=None):
    """Stack arrays row-wise (1-D arrays become rows).

    >>> vstack([jnp.ones(2), jnp.zeros(2)]).shape
    (2, 2)
    """
    return concatenate(atleast_2d(*_stack_inputs('vstack', tup), as_list=True), axis=0,
                       dtype=dtype)


row_stack = vstack


def hstack(tup, dtype=None):
    """Stack arrays column-wise (along axis 1; 1-D arrays are joined end to end)."""
    arrays = atleast_1d(*_stack_inputs('hstack', tup), as_list=True)
    return concatenate(arrays, axis=0 if arrays[0].ndim == 1 else 1, dtype=dtype)


def dstack(tup, dtype=None):
    """Stack arrays along a third axis."""
    return concatenate(atleast_3d(*_stack_inputs('dstack', tup), as_list=True), axis=2,
                       dtype=dtype)


def column_stack(tup):
    """Stack 1-D arrays as columns of a 2-D array (higher-rank arrays join on axis 1)."""
    arrays = [lax.reshape(a, (a.size, 1)) if a.ndim < 2 else a
              for a in _stack_inputs('column_stack', tup)]
    return concatenate(arrays, axis=1)


def append(arr, values, axis=None):
    """``arr`` with ``values`` added at the end (both flattened if ``axis`` is None)."""
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


# --- Splitting -------------------------------------------------------------------------

def _slice_axis(a, start, stop, axis):
    return lax.slice_in_dim(a, start, stop, 1, axis)


def _split(fn, ary, indices_or_sections, axis, even):
    ary = asarray(ary)
    ax = canonicalize_axis(axis, ary.ndim, fn)
    n = ary.shape[ax]
    if isinstance(indices_or_sections, (int, np.integer)) or (
            hasattr(indices_or_sections, 'ndim') and indices_or_sections.ndim == 0):
        sections = static_int(indices_or_sections, fn, 'indices_or_sections')
        if sections <= 0:
            raise ValueError(f"{fn}: number of sections must be larger than 0, got "
                             f"{sections}")
        if even and n % sections:
            raise ValueError(f"{fn}: array split does not result in an equal division: an "
                             f"axis of length {n} cannot be split into {sections} sections")
        size, extra = divmod(n, sections)
        bounds = np.cumsum([0] + [size + 1] * extra + [size] * (sections - extra))
    else:
        idx = [static_int(i, fn, 'indices') for i in indices_or_sections]
        bounds = [0] + [int(np.clip(i if i >= 0 else i + n, 0, n)) for i in idx] + [n]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        out.append(_slice_axis(ary, int(lo), int(max(lo, hi)), ax))
    return out


def split(ary, indices_or_sections, axis=0):
    """Split into equal sections (an int) or at the given indices along ``axis``.

    >>> [p.shape for p in split(jnp.arange(6), 3)]
    [(2,), (2,), (2,)]
    """
    return _split('split', ary, indices_or_sections, axis, even=True)


def array_split(ary, indices_or_sections, axis=0):
    """``split`` that allows sections of unequal size (the first ones one longer)."""
    return _split('array_split', ary, indices_or_sections, axis, even=False)


def hsplit(ary, indices_or_sections):
    """Split along axis 1 (axis 0 for 1-D arrays)."""
    ary = asarray(ary)
    return split(ary, indices_or_sections, axis=0 if ary.ndim == 1 else 1)


def vsplit(ary, indices_or_sections):
    """Split along axis 0 (of an array of rank at least 2)."""
    ary = asarray(ary)
    if ary.ndim < 2:
        raise ValueError(f"vsplit only works on arrays of 2 or more dimensions, got shape "
                         f"{ary.shape}")
    return split(ary, indices_or_sections, axis=0)


def dsplit(ary, indices_or_sections):
    """Split along axis 2 (of an array of rank at least 3)."""
    ary = asarray(ary)
    if ary.ndim < 3:
        raise ValueError(f"dsplit only works on arrays of 3 or more dimensions, got shape "
                         f"{ary.shape}")
    return split(ary, indices_or_sections, axis=2)


def unstack(x, /, *, axis=0):
    """The slices of ``x`` along ``axis``, as a tuple."""
    x = asarray(x)
    ax = canonicalize_axis(axis, x.ndim, 'unstack')
    return tuple(lax.index_in_dim(x, i, ax, keepdims=False) for i in range(x.shape[ax]))


# --- Repeating -------------------------------------------------------------------------

def tile(A, reps):
    """``A`` repeated ``reps`` times along each axis.

    >>> tile(jnp.array([1, 2]), 2)
    Array([1, 2, 1, 2], dtype=int32)
    """
    A = asarray(A)
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    reps = tuple(static_int(r, 'tile', 'reps') for r in reps)
    nd = max(len(reps), A.ndim)
    reps = (1,) * (nd - len(reps)) + reps
    shape = (1,) * (nd - A.ndim) + tuple(A.shape)
    # broadcast to interleaved (r0, a0, r1, a1, ...) and merge each pair of axes
    big = tuple(x for r, s in zip(reps, shape) for x in (r, s))
    out = lax.broadcast_in_dim(lax.reshape(A, shape), big, tuple(range(1, 2 * nd, 2)))
    return lax.reshape(out, tuple(r * s for r, s in zip(reps, shape)))


def repeat(a, repeats, axis=None, *, total_repeat_length=None):
    """Repeat each element ``repeats`` times along ``axis`` (of the flattened array if
    None).  ``repeats`` may be a per-element array: concrete, or traced together with a
    static ``total_repeat_length``.

    >>> repeat(jnp.array([1, 2]), 2)
    Array([1, 1, 2, 2], dtype=int32)
    """
    a = asarray(a)
    if axis is None:
        a = ravel(a)
        axis = 0
    ax = canonicalize_axis(axis, a.ndim, 'repeat')
    if isinstance(repeats, (int, np.integer)) or getattr(repeats, 'ndim', 1) == 0 and \
            not isinstance(repeats, Tracer):
        r = int(repeats)
        if r < 0:
            raise ValueError(f"repeat: repeats may not contain negative values, got {r}")
        shape = list(a.shape)
        big = shape[:ax + 1] + [r] + shape[ax + 1:]
        out = lax.broadcast_in_dim(a, tuple(big), tuple(i for i in range(a.ndim + 1)
                                                        if i != ax + 1))
        shape[ax] *= r
        return lax.reshape(out, tuple(shape))
    from ._indexing import take
    if isinstance(repeats, Tracer):
        if total_repeat_length is None:
            from ._util import concrete_value
            repeats = concrete_value(repeats, 'repeat', hint=(
                ": the result's length depends on the values of repeats; pass a static "
                "total_repeat_length="))
        else:
            return _repeat_traced(a, repeats, ax, int(total_repeat_length))
    reps = np.broadcast_to(np.asarray(repeats), (a.shape[ax],))
    if (reps < 0).any():
        raise ValueError("repeat: repeats may not contain negative values")
    idx = np.repeat(np.arange(a.shape[ax]), reps)
    if total_repeat_length is not None:
        idx = np.resize(idx, total_repeat_length) if len(idx) else idx
        idx = np.concatenate([idx[:total_repeat_length],
                              np.full(max(0, total_repeat_length - len(idx)),
                                      a.shape[ax] - 1)])
    return take(a, Array(idx.astype(np.int32)), axis=ax)


def _repeat_traced(a, repeats, ax, total):
    from ._indexing import take
    from ._reductions import cumsum, sum as _sum
    ends = cumsum(lax.broadcast_to(asarray(repeats), (a.shape[ax],)))
    positions = Array(np.arange(total, dtype=np.int32))
    # output j comes from the first element whose cumulative end exceeds j
    idx = _sum(lax.le(lax.reshape(ends, (1, a.shape[ax])),
                      lax.reshape(positions, (total, 1))), axis=1)
    idx = lax.min(idx, a.shape[ax] - 1)
    return take(a, idx, axis=ax)


def resize(a, new_shape):
    """``a`` flattened, repeated as needed and reshaped to ``new_shape``."""
    a = ravel(a)
    new_shape = canonical_shape(new_shape, 'resize')
    size = int(np.prod(new_shape, dtype=np.int64))
    if a.size == 0 or size == 0:
        return lax.full(new_shape, 0, a.dtype)
    reps = -(-size // a.size)
    return reshape(_slice_axis(tile(a, reps), 0, size, 0), new_shape)


# --- Flipping and rolling --------------------------------------------------------------

def flip(m, axis=None):
    """Reverse the order of elements along ``axis`` (all axes by default)."""
    m = asarray(m)
    axes = canonicalize_axes(axis, m.ndim, 'flip')
    if not axes:
        return m
    return lax.rev(m, axes)


def fliplr(m):
    """Reverse along axis 1."""
    m = asarray(m)
    if m.ndim < 2:
        raise ValueError(f"fliplr: the input must be at least 2-D, got shape {m.shape}")
    return flip(m, 1)


def flipud(m):
    """Reverse along axis 0."""
    m = asarray(m)
    if m.ndim < 1:
        raise ValueError("flipud: the input must be at least 1-D")
    return flip(m, 0)


def rot90(m, k=1, axes=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``."""
    m = asarray(m)
    if len(axes) != 2:
        raise ValueError("rot90: axes must have exactly two elements")
    ax0 = canonicalize_axis(axes[0], m.ndim, 'rot90')
    ax1 = canonicalize_axis(axes[1], m.ndim, 'rot90')
    if ax0 == ax1:
        raise ValueError(f"rot90: the two axes must differ, got {axes}")
    k = static_int(k, 'rot90', 'k') % 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, ax0), ax1)
    perm = list(range(m.ndim))
    perm[ax0], perm[ax1] = perm[ax1], perm[ax0]
    if k == 1:
        return lax.transpose(flip(m, ax1), tuple(perm))
    return flip(lax.transpose(m, tuple(perm)), ax1)


def roll(a, shift, axis=None):
    """Shift elements cyclically by ``shift`` along ``axis`` (of the flattened array if
    None); ``shift`` may be traced.

    >>> roll(jnp.arange(4), 1)
    Array([3, 0, 1, 2], dtype=int32)
    """
    a = asarray(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), a.shape)
    shifts = shift if isinstance(shift, (tuple, list)) else None
    axes = axis if isinstance(axis, (tuple, list)) else None
    if shifts is None and axes is None:
        shifts, axes = [shift], [axis]
    elif shifts is None:
        shifts = [shift] * len(axes)
    elif axes is None:
        axes = [axis] * len(shifts)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: shift {tuple(shifts)} and axis {tuple(axes)} must have the "
                         f"same length")
    for s, ax in zip(shifts, axes):
        a = _roll_axis(a, s, canonicalize_axis(ax, a.ndim, 'roll'))
    return a


def _roll_axis(a, shift, ax):
    n = a.shape[ax]
    if n == 0:
        return a
    if isinstance(shift, Tracer) or (hasattr(shift, 'ndim') and shift.ndim != 0):
        # a traced shift: read a window of the array concatenated with itself
        shift = asarray(shift)
        start = lax.rem(lax.sub(n, lax.rem(lax.add(lax.rem(shift, n), n), n)), n)
        doubled = lax.concatenate([a, a], ax)
        return lax.dynamic_slice_in_dim(doubled, start, n, ax)
    s = int(shift) % n
    if s == 0:
        return a
    return lax.concatenate([_slice_axis(a, n - s, n, ax), _slice_axis(a, 0, n - s, ax)], ax)


# --- Broadcasting ----------------------------------------------------------------------

def broadcast_shapes(*shapes):
    """The shape that ``shapes`` broadcast to, or a ValueError naming them."""
    shapes = [canonical_shape(s, 'broadcast_shapes') for s in shapes]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(f"broadcast_shapes: incompatible shapes for broadcasting: "
                         f"{', '.join(map(str, shapes))}") from None


def broadcast_to(array, shape):
    """``array`` broadcast to ``shape`` (NumPy rules: trailing axes aligned).

    >>> broadcast_to(jnp.array([1., 2.]), (2, 2)).shape
    (2, 2)
    """
    array = asarray(array)
    shape = canonical_shape(shape, 'broadcast_to')
    src = tuple(array.shape)
    if len(shape) < len(src) or any(
            s not in (1, t) for s, t in zip(src, shape[len(shape) - len(src):])):
        raise ValueError(f"broadcast_to: cannot broadcast an array of shape {src} to shape "
                         f"{shape}")
    if src == shape:
        return array
    return lax.broadcast_to(array, shape)


def broadcast_arrays(*args):
    """The arrays broadcast against each other, as a list."""
    arrays = [asarray(a) for a in args]
    shape = broadcast_shapes(*[a.shape for a in arrays])
    return [broadcast_to(a, shape) for a in arrays]


def _atleast(fn, nd, arys, as_list):
    out = []
    for a in arys:
        a = asarray(a)
        if a.ndim < nd:
            if nd == 3 and a.ndim == 2:
                shape = tuple(a.shape) + (1,)
            elif nd == 3 and a.ndim == 1:
                shape = (1,) + tuple(a.shape) + (1,)
            else:
                shape = (1,) * (nd - a.ndim) + tuple(a.shape)
            if type(a) is Array:  # a concrete array is a constant: reshape it right away
                a = Array(a._value.reshape(shape), a.weak_type)
            else:
                a = lax.reshape(a, shape)
        out.append(a)
    if as_list or len(out) != 1:
        return out
    return out[0]


def atleast_1d(*arys, as_list=False):
    """Each input as an array of rank at least 1 (a list if several are given)."""
    return _atleast('atleast_1d', 1, arys, as_list)


def atleast_2d(*arys, as_list=False):
    """Each input as an array of rank at least 2 (leading axes added)."""
    return _atleast('atleast_2d', 2, arys, as_list)


def atleast_3d(*arys, as_list=False):
    """Each input as an array of rank at least 3 ((n,) becomes (1, n, 1); (m, n) becomes
    (m, n, 1))."""
    return _atleast('atleast_3d', 3, arys, as_list)
