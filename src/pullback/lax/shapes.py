"""Shape primitives: moving, cutting and joining array elements without arithmetic.

broadcast_in_dim, reshape, transpose, squeeze, rev, concatenate, pad, slice, dynamic_slice,
dynamic_update_slice and iota.  All but iota are linear in their array operands, so each
has a transpose rule; the start indices of the dynamic ones are integer scalar operands
(they may be traced), clamped as in JAX so that the window always fits:

    >>> dynamic_slice(jnp.arange(5.), (4,), (2,))     # start 4 is clamped to 3
    Array([3., 4.], dtype=float32)

``expand_dims``, ``collapse``, ``slice_in_dim``, ``index_in_dim`` and the ``*_in_dim``
forms of the dynamic ones are functions over these primitives.
"""
import builtins
import operator

import numpy as np

from .. import dtypes
from .._array import Array
from .._core.core import Primitive, Zero, first_weak, all_weak, is_weak, get_aval
from .._core.avals import ShapedArray
from .._core.rules import (deflinear, defjvp_zero, is_undefined, not_mapped,
                           instantiate_zeros)
from ._util import shape_of, ndim_of, moveaxis_to_front, bdim_at_front, canonical_axis

__all__ = ['broadcast_in_dim', 'broadcast_to', 'broadcast', 'reshape', 'transpose',
           'squeeze', 'expand_dims', 'rev', 'concatenate', 'pad', 'slice', 'slice_in_dim',
           'index_in_dim', 'dynamic_slice', 'dynamic_update_slice', 'dynamic_slice_in_dim',
           'dynamic_index_in_dim', 'dynamic_update_slice_in_dim',
           'dynamic_update_index_in_dim', 'iota', 'broadcasted_iota', 'collapse']

_pyslice = builtins.slice


def _shape_prim(name, impl, abstract_eval, transpose, batch, codegen=None, weak=first_weak):
    """A primitive linear in all of its operands: the JVP applies it to the tangents."""
    prim = Primitive(name)
    prim.impl = impl
    prim.abstract_eval = abstract_eval
    prim.weak_type_rule = weak
    deflinear(prim, transpose)
    prim.batch = batch
    prim.codegen = codegen
    return prim


def _zeros(aval):
    return instantiate_zeros(Zero(aval))


def _scalar_zero(dtype):
    return Array(np.zeros((), dtype))


def _shift_dims(dims, bdim):
    """Operand axes ``dims`` of a batch member, as axes of the batched value."""
    return tuple(d + (d >= bdim) for d in dims)


# --- broadcast_in_dim ----------------------------------------------------------------------

def _bid_impl(x, shape, broadcast_dimensions):
    x = np.asarray(x)
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(x.reshape(expanded), shape)


def _bid_abstract_eval(x, shape, broadcast_dimensions):
    if len(broadcast_dimensions) != x.ndim:
        raise TypeError(f"broadcast_in_dim: broadcast_dimensions {broadcast_dimensions} must "
                        f"have one entry per operand dimension (operand shape {x.shape})")
    for i, d in enumerate(broadcast_dimensions):
        if not 0 <= d < len(shape) or x.shape[i] not in (1, shape[d]):
            raise TypeError(f"broadcast_in_dim: operand shape {x.shape} cannot be broadcast "
                            f"to {shape} with broadcast_dimensions={broadcast_dimensions}")
    return ShapedArray(shape, x.dtype, x.weak_type)


def _bid_transpose(ct, x, shape, broadcast_dimensions):
    from .reductions import reduce_sum
    if type(ct) is Zero:
        return [None]
    in_shape = x.aval.shape
    summed = tuple(d for d in range(len(shape)) if d not in broadcast_dimensions)
    kept_ones = tuple(d for i, d in enumerate(broadcast_dimensions)
                      if in_shape[i] == 1 and shape[d] != 1)
    ct = reduce_sum(ct, tuple(sorted(summed + kept_ones))) if summed or kept_ones else ct
    return [reshape(ct, in_shape)]


def _bid_batch(axis, vals, dims, shape, broadcast_dimensions):
    x, = vals
    x = moveaxis_to_front(x, dims[0])
    size = shape_of(x)[0]
    out = broadcast_in_dim(x, (size,) + tuple(shape),
                           (0,) + tuple(d + 1 for d in broadcast_dimensions))
    return out, 0


broadcast_in_dim_p = _shape_prim('broadcast_in_dim', _bid_impl, _bid_abstract_eval,
                                 _bid_transpose, _bid_batch)


def broadcast_in_dim(x, shape, broadcast_dimensions):
    """Broadcast ``x`` to ``shape``; operand axis i becomes output axis
    ``broadcast_dimensions[i]``.

    >>> broadcast_in_dim(jnp.ones(3), (2, 3), (1,)).shape
    (2, 3)
    """
    shape = tuple(int(s) for s in shape)
    broadcast_dimensions = tuple(int(d) for d in broadcast_dimensions)
    if tuple(shape_of(x)) == shape and broadcast_dimensions == tuple(range(len(shape))):
        return x
    return broadcast_in_dim_p.bind(x, shape=shape, broadcast_dimensions=broadcast_dimensions)


def broadcast_to(x, shape):
    """NumPy-style broadcast of ``x`` to ``shape`` (trailing axes aligned)."""
    shape = tuple(shape)
    nd = len(shape_of(x))
    return broadcast_in_dim(x, shape, tuple(range(len(shape) - nd, len(shape))))


def broadcast(x, sizes):
    """``lax.broadcast``: add leading axes of ``sizes``."""
    s = tuple(shape_of(x))
    return broadcast_in_dim(x, tuple(sizes) + s, tuple(range(len(sizes), len(sizes) + len(s))))


# --- reshape -------------------------------------------------------------------------------

def _reshape_abstract_eval(x, new_sizes, dimensions):
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size:
        raise TypeError(f"reshape: cannot reshape an array of shape {x.shape} "
                        f"({x.size} elements) into shape {new_sizes}")
    return ShapedArray(new_sizes, x.dtype, x.weak_type)


def _reshape_batch(axis, vals, dims, new_sizes, dimensions):
    x = moveaxis_to_front(vals[0], dims[0])
    return reshape(x, (shape_of(x)[0],) + tuple(new_sizes)), 0


reshape_p = _shape_prim(
    'reshape', lambda x, new_sizes, dimensions: np.reshape(x, new_sizes),
    _reshape_abstract_eval,
    lambda ct, x, new_sizes, dimensions: [None if type(ct) is Zero else reshape(ct, x.aval.shape)],
    _reshape_batch)
reshape_p.codegen = lambda x, new_sizes, dimensions: f"xp.reshape({x}, {tuple(new_sizes)!r})"


def reshape(x, new_sizes, dimensions=None):
    """``x`` with shape ``new_sizes`` (row-major order); ``dimensions`` permutes ``x``'s
    axes first.

    >>> reshape(jnp.arange(6.), (2, 3)).shape
    (2, 3)
    """
    new_sizes = tuple(int(s) for s in new_sizes)
    if dimensions is not None and tuple(dimensions) != tuple(range(len(shape_of(x)))):
        x = transpose(x, tuple(dimensions))
    if tuple(shape_of(x)) == new_sizes and not isinstance(x, (float, int, complex)):
        return x
    return reshape_p.bind(x, new_sizes=new_sizes, dimensions=None)


# --- transpose -----------------------------------------------------------------------------

def _transpose_abstract_eval(x, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise TypeError(f"transpose: permutation {permutation} is not a permutation of the "
                        f"axes of an array of rank {x.ndim}")
    return ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype, x.weak_type)


def _transpose_transpose(ct, x, permutation):
    if type(ct) is Zero:
        return [None]
    inverse = tuple(int(i) for i in np.argsort(permutation))
    return [transpose(ct, inverse)]


def _transpose_batch(axis, vals, dims, permutation):
    x, = vals
    d = dims[0]
    # keep the batch axis where it is; permute the others around it
    perm = [p if p < d else p + 1 for p in permutation]
    perm.insert(d, d)
    return transpose(x, tuple(perm)), d


transpose_p = _shape_prim('transpose', lambda x, permutation: np.transpose(x, permutation),
                          _transpose_abstract_eval, _transpose_transpose, _transpose_batch)
transpose_p.codegen = lambda x, permutation: f"xp.transpose({x}, {tuple(permutation)!r})"


def transpose(x, permutation):
    """Permute the axes of ``x``: output axis i is input axis ``permutation[i]``."""
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(len(permutation))):
        return x
    return transpose_p.bind(x, permutation=permutation)


# --- squeeze and expand_dims ---------------------------------------------------------------

def _squeeze_abstract_eval(x, dimensions):
    for d in dimensions:
        if not 0 <= d < x.ndim or x.shape[d] != 1:
            raise ValueError(f"squeeze: cannot remove dimension {d} of an array of shape "
                             f"{x.shape}: only axes of size 1 can be squeezed")
    shape = tuple(s for i, s in enumerate(x.shape) if i not in dimensions)
    return ShapedArray(shape, x.dtype, x.weak_type)


def _squeeze_batch(axis, vals, dims, dimensions):
    x, = vals
    d = dims[0]
    return (squeeze_p.bind(x, dimensions=_shift_dims(dimensions, d)),
            d - builtins.sum(1 for a in dimensions if a < d))


squeeze_p = _shape_prim(
    'squeeze', lambda x, dimensions: np.squeeze(x, axis=dimensions), _squeeze_abstract_eval,
    lambda ct, x, dimensions: [None if type(ct) is Zero else reshape(ct, x.aval.shape)],
    _squeeze_batch, lambda x, dimensions: f"xp.squeeze({x}, axis={tuple(dimensions)!r})")


def squeeze(array, dimensions):
    """Remove the size-1 axes ``dimensions`` (negative axes count from the end).

    >>> squeeze(jnp.ones((1, 3, 1)), (0, 2)).shape
    (3,)
    """
    nd = ndim_of(array)
    dims = tuple(sorted({canonical_axis(d, nd, 'dimensions', 'squeeze') for d in dimensions}))
    if not dims:
        return array
    return squeeze_p.bind(array, dimensions=dims)


def expand_dims(array, dimensions):
    """Insert size-1 axes at positions ``dimensions`` of the result (as in JAX, a
    ``broadcast_in_dim``).

    >>> expand_dims(jnp.ones(3), (0, -1)).shape
    (1, 3, 1)
    """
    shape = tuple(shape_of(array))
    nd = len(shape) + len(dimensions)
    dims = sorted({canonical_axis(d, nd, 'dimensions', 'expand_dims') for d in dimensions})
    if len(dims) != len(dimensions):
        raise ValueError(f"expand_dims: repeated axis in dimensions={tuple(dimensions)}")
    out_shape = list(shape)
    for d in dims:
        out_shape.insert(d, 1)
    kept = tuple(i for i in range(nd) if i not in dims)
    return broadcast_in_dim(array, tuple(out_shape), kept)


def collapse(operand, start_dimension, stop_dimension=None):
    """Merge axes ``start_dimension:stop_dimension`` into one (row-major).

    >>> collapse(jnp.ones((2, 3, 4)), 0, 2).shape
    (6, 4)
    """
    shape = tuple(shape_of(operand))
    lo, hi, _ = _pyslice(start_dimension, stop_dimension).indices(len(shape))
    size = int(np.prod(shape[lo:hi], dtype=np.int64))
    return reshape(operand, shape[:lo] + (size,) + shape[hi:])


# --- rev -----------------------------------------------------------------------------------

def _rev_abstract_eval(x, dimensions):
    for d in dimensions:
        if not 0 <= d < x.ndim:
            raise ValueError(f"rev: dimension {d} is out of bounds for an array of shape "
                             f"{x.shape}")
    return x


rev_p = _shape_prim(
    'rev', lambda x, dimensions: np.flip(x, axis=dimensions), _rev_abstract_eval,
    lambda ct, x, dimensions: [None if type(ct) is Zero else rev(ct, dimensions)],
    lambda axis, vals, dims, dimensions: (
        rev_p.bind(vals[0], dimensions=_shift_dims(dimensions, dims[0])), dims[0]),
    lambda x, dimensions: f"xp.flip({x}, axis={tuple(dimensions)!r})")


def rev(operand, dimensions):
    """Reverse the order of elements along the axes ``dimensions``.

    >>> rev(jnp.arange(3.), (0,))
    Array([2., 1., 0.], dtype=float32)
    """
    nd = ndim_of(operand)
    dims = tuple(sorted({canonical_axis(d, nd, 'dimensions', 'rev') for d in dimensions}))
    if not dims:
        return operand
    return rev_p.bind(operand, dimensions=dims)


# --- concatenate ---------------------------------------------------------------------------

def _concatenate_abstract_eval(*xs, dimension):
    if not xs:
        raise TypeError("concatenate: needs at least one operand")
    first = xs[0]
    desc = ', '.join(x.str_short() for x in xs)
    if not 0 <= dimension < first.ndim:
        raise ValueError(f"concatenate: dimension={dimension} is out of bounds for operands "
                         f"{desc}")
    for x in xs:
        if x.dtype != first.dtype:
            raise TypeError(f"concatenate: operands must have the same dtype, got {desc}")
        if x.ndim != first.ndim or any(a != b for i, (a, b) in
                                       enumerate(zip(x.shape, first.shape)) if i != dimension):
            raise TypeError(f"concatenate: operand shapes must agree except along dimension "
                            f"{dimension}, got {desc}")
    shape = list(first.shape)
    shape[dimension] = builtins.sum(x.shape[dimension] for x in xs)
    return ShapedArray(shape, first.dtype, all(x.weak_type for x in xs))


def _concatenate_transpose(ct, *xs, dimension):
    if type(ct) is Zero:
        return [None] * len(xs)
    out, start = [], 0
    for x in xs:
        size = x.aval.shape[dimension] if is_undefined(x) else shape_of(x)[dimension]
        out.append(slice_in_dim(ct, start, start + size, axis=dimension)
                   if is_undefined(x) else None)
        start += size
    return out


def _concatenate_batch(axis, vals, dims, dimension):
    xs = [bdim_at_front(x, d, axis.size) for x, d in zip(vals, dims)]
    return concatenate_p.bind(*xs, dimension=dimension + 1), 0


def _concatenate_impl(*xs, dimension):
    xs = [np.asarray(x) for x in xs]
    if any(x.dtype != xs[0].dtype for x in xs):  # NumPy would promote
        raise TypeError("concatenate: mixed dtypes")
    return np.concatenate(xs, axis=dimension)


concatenate_p = _shape_prim(
    'concatenate', _concatenate_impl, _concatenate_abstract_eval, _concatenate_transpose,
    _concatenate_batch,
    lambda *xs, dimension: f"xp.concatenate(({', '.join(xs)},), axis={dimension})",
    weak=all_weak)


def concatenate(operands, dimension):
    """Join ``operands`` (arrays of one dtype) along the axis ``dimension``.

    >>> concatenate([jnp.zeros(2), jnp.ones(1)], 0)
    Array([0., 0., 1.], dtype=float32)
    """
    operands = list(operands)
    if len(operands) == 1:
        return operands[0]
    nd = ndim_of(operands[0]) if operands else 0
    return concatenate_p.bind(*operands, dimension=canonical_axis(dimension, nd, 'dimension',
                                                                  'concatenate'))


# --- pad -----------------------------------------------------------------------------------

def _pad_shape(shape, padding_config):
    return tuple(lo + hi + n + builtins.max(n - 1, 0) * interior
                 for n, (lo, hi, interior) in zip(shape, padding_config))


def _pad_abstract_eval(x, padding_value, padding_config):
    if padding_value.ndim != 0:
        raise TypeError(f"pad: padding_value must be a scalar, got shape {padding_value.shape}")
    if padding_value.dtype != x.dtype and not padding_value.weak_type:
        raise TypeError(f"pad: padding_value dtype {padding_value.dtype.name} differs from the "
                        f"operand's dtype {x.dtype.name}")
    if len(padding_config) != x.ndim:
        raise ValueError(f"pad: padding_config needs one (lo, hi, interior) triple per "
                         f"dimension of the operand (shape {x.shape}), got {padding_config}")
    if any(interior < 0 for _, _, interior in padding_config):
        raise ValueError(f"pad: interior padding must be non-negative, got {padding_config}")
    shape = _pad_shape(x.shape, padding_config)
    if any(s < 0 for s in shape):
        raise ValueError(f"pad: padding_config {padding_config} removes more elements than an "
                         f"operand of shape {x.shape} has (result shape would be {shape})")
    return ShapedArray(shape, x.dtype, x.weak_type and padding_value.weak_type)


def _pad_impl(x, padding_value, padding_config):
    x = np.asarray(x)
    # pad with the non-negative parts of lo/hi, then crop the negative parts
    grown = tuple(builtins.max(lo, 0) + builtins.max(hi, 0) + n + builtins.max(n - 1, 0) * it
                  for n, (lo, hi, it) in zip(x.shape, padding_config))
    out = np.full(grown, padding_value, dtype=x.dtype)
    out[tuple(_pyslice(builtins.max(lo, 0), builtins.max(lo, 0) + (n - 1) * (it + 1) + 1, it + 1)
              for n, (lo, _, it) in zip(x.shape, padding_config))] = x
    crop = tuple(_pyslice(builtins.max(-lo, 0), g - builtins.max(-hi, 0))
                 for g, (lo, hi, _) in zip(grown, padding_config))
    if any(c.start > c.stop for c in crop):
        raise ValueError("pad: negative padding larger than the padded operand")
    return out[crop]


def _pad_transpose(ct, x, padding_value, padding_config):
    from .reductions import reduce_sum
    if type(ct) is Zero:
        return [None, None]
    ct_aval = get_aval(ct)
    # undo the edge padding (negative lo/hi become padding), then skip the interior
    unpadded = pad(ct, _scalar_zero(ct_aval.dtype), [(-lo, -hi, 0)
                                                     for lo, hi, _ in padding_config])
    t_x = slice(unpadded, (0,) * len(padding_config), shape_of(unpadded),
                tuple(it + 1 for _, _, it in padding_config))
    t_pad = None
    if is_undefined(padding_value):
        everything = tuple(range(ct_aval.ndim))
        t_pad = reduce_sum(ct, everything)
        if int(np.prod(shape_of(t_x), dtype=np.int64)) > 0:
            from .elementwise import sub
            t_pad = sub(t_pad, reduce_sum(t_x, everything))
    return [t_x if is_undefined(x) else None, t_pad]


def _pad_batch(axis, vals, dims, padding_config):
    from .elementwise import select_n
    x, pv = vals
    xd, pd = dims
    x = bdim_at_front(x, xd, axis.size)
    config = ((0, 0, 0),) + tuple(padding_config)
    if pd is not_mapped:
        return pad_p.bind(x, pv, padding_config=config), 0
    # a padding value per batch member: pad with zeros, then select it where the mask is off
    aval = get_aval(x)
    out = pad_p.bind(x, _scalar_zero(aval.dtype), padding_config=config)
    mask = pad_p.bind(Array(np.ones(aval.shape, bool)), Array(np.zeros((), bool)),
                      padding_config=config)
    return select_n(mask, broadcast_in_dim(pv, shape_of(out), (0,)), out), 0


pad_p = _shape_prim('pad', _pad_impl, _pad_abstract_eval, _pad_transpose, _pad_batch,
                    weak=all_weak)


def pad(operand, padding_value, padding_config):
    """Pad ``operand`` with the scalar ``padding_value``: ``padding_config`` has one
    ``(lo, hi, interior)`` triple per axis; negative ``lo``/``hi`` crop instead.

    >>> pad(jnp.array([1., 2.]), 0., [(1, 2, 1)])
    Array([0., 1., 0., 2., 0., 0.], dtype=float32)
    """
    config = tuple((int(lo), int(hi), int(it)) for lo, hi, it in padding_config)
    return pad_p.bind(operand, padding_value, padding_config=config)


# --- slice ---------------------------------------------------------------------------------

def _slice_out_shape(start_indices, limit_indices, strides):
    strides = strides or (1,) * len(start_indices)
    return tuple(builtins.max(0, -(-(hi - lo) // st))
                 for lo, hi, st in zip(start_indices, limit_indices, strides))


def _slice_abstract_eval(x, start_indices, limit_indices, strides):
    if len(start_indices) != x.ndim or len(limit_indices) != x.ndim or (
            strides is not None and len(strides) != x.ndim):
        raise TypeError(f"slice: start_indices {start_indices}, limit_indices {limit_indices} "
                        f"and strides {strides} need one entry per dimension of the operand "
                        f"(shape {x.shape})")
    for lo, hi, n in zip(start_indices, limit_indices, x.shape):
        if not 0 <= lo <= hi <= n:
            raise TypeError(f"slice: start_indices {start_indices} and limit_indices "
                            f"{limit_indices} must satisfy 0 <= start <= limit <= size for an "
                            f"operand of shape {x.shape}")
    if strides is not None and any(s < 1 for s in strides):
        raise TypeError(f"slice: strides must be positive, got {strides}")
    return ShapedArray(_slice_out_shape(start_indices, limit_indices, strides), x.dtype,
                       x.weak_type)


def _slice_impl(x, start_indices, limit_indices, strides):
    strides = strides or (1,) * len(start_indices)
    for lo, hi, n in zip(start_indices, limit_indices, np.shape(x)):
        if not 0 <= lo <= hi <= n:  # NumPy would silently clip
            raise IndexError("slice out of bounds")
    return np.asarray(x)[tuple(_pyslice(lo, hi, st) for lo, hi, st in
                               zip(start_indices, limit_indices, strides))]


def _slice_transpose(ct, x, start_indices, limit_indices, strides):
    if type(ct) is Zero:
        return [None]
    shape = x.aval.shape
    strides = strides or (1,) * len(shape)
    out_shape = _slice_out_shape(start_indices, limit_indices, strides)
    # the slice's last element sits at start + (n - 1) * stride; pad from there to the end
    real_limits = [lo + (n - 1) * st + 1 if n else lo
                   for lo, n, st in zip(start_indices, out_shape, strides)]
    config = [(lo, size - lim, st - 1) if n else (lo, size - lo, 0)
              for lo, lim, size, st, n in zip(start_indices, real_limits, shape, strides,
                                               out_shape)]
    return [pad(ct, _scalar_zero(get_aval(ct).dtype), config)]


def _slice_batch(axis, vals, dims, start_indices, limit_indices, strides):
    x = moveaxis_to_front(vals[0], dims[0])
    size = shape_of(x)[0]
    return slice_p.bind(x, start_indices=(0,) + tuple(start_indices),
                        limit_indices=(size,) + tuple(limit_indices),
                        strides=None if strides is None else (1,) + tuple(strides)), 0


def _slice_codegen(x, start_indices, limit_indices, strides):
    strides = strides or (1,) * len(start_indices)
    parts = ''.join(f"{lo}:{hi}:{st}," for lo, hi, st in
                    zip(start_indices, limit_indices, strides))
    return f"{x}[{parts}]"


slice_p = _shape_prim('slice', _slice_impl, _slice_abstract_eval, _slice_transpose,
                      _slice_batch, _slice_codegen)


def slice(operand, start_indices, limit_indices, strides=None):
    """The window ``operand[start:limit:stride, ...]`` (static bounds, checked).

    >>> slice(jnp.arange(6.), (1,), (6,), (2,))
    Array([1., 3., 5.], dtype=float32)
    """
    start = tuple(operator.index(i) for i in start_indices)
    limit = tuple(operator.index(i) for i in limit_indices)
    strides = None if strides is None else tuple(operator.index(s) for s in strides)
    if strides is not None and all(s == 1 for s in strides):
        strides = None
    if not any(start) and limit == tuple(shape_of(operand)) and strides is None:
        return operand
    return slice_p.bind(operand, start_indices=start, limit_indices=limit, strides=strides)


def slice_in_dim(operand, start_index, limit_index, stride=1, axis=0):
    """``slice`` along one axis; ``None`` and negative bounds count as in Python.

    >>> slice_in_dim(jnp.ones((4, 3)), 1, -1).shape
    (2, 3)
    """
    shape = tuple(shape_of(operand))
    axis = canonical_axis(axis, len(shape), 'axis', 'slice_in_dim')
    n = shape[axis]
    lo = 0 if start_index is None else operator.index(start_index)
    hi = n if limit_index is None else operator.index(limit_index)
    lo = lo + n if lo < 0 else lo
    hi = hi + n if hi < 0 else hi
    start = [0] * len(shape)
    limit = list(shape)
    strides = [1] * len(shape)
    start[axis], limit[axis], strides[axis] = lo, hi, int(stride)
    return slice(operand, start, limit, strides)


def index_in_dim(operand, index, axis=0, keepdims=True):
    """The entry ``index`` (static, may be negative) along ``axis``; ``keepdims`` keeps
    that axis with size 1."""
    shape = tuple(shape_of(operand))
    axis = canonical_axis(axis, len(shape), 'axis', 'index_in_dim')
    n = shape[axis]
    index = operator.index(index)
    if not -n <= index < n:
        raise IndexError(f"index_in_dim: index {index} is out of bounds for axis {axis} with "
                         f"size {n}")
    index %= n
    out = slice_in_dim(operand, index, index + 1, 1, axis)
    return out if keepdims else squeeze(out, (axis,))


# --- dynamic_slice and dynamic_update_slice ------------------------------------------------

def _clamped_starts(shape, starts, sizes):
    """Start indices as JAX uses them: negative ones wrap once, then every start is clamped
    so that the window of ``sizes`` fits inside ``shape``."""
    out = []
    for n, s, z in zip(shape, starts, sizes):
        s = int(s)
        if s < 0:
            s += n
        out.append(builtins.min(builtins.max(s, 0), n - z))
    return out


def _check_starts(name, operand, starts):
    if len(starts) != operand.ndim:
        raise TypeError(f"{name}: needs one start index per dimension of the operand (shape "
                        f"{operand.shape}), got {len(starts)}")
    for s in starts:
        if s.ndim != 0 or s.dtype.kind not in 'iu':
            raise TypeError(f"{name}: start indices must be integer scalars, got "
                            f"{s.str_short()}")


def _dynamic_slice_abstract_eval(x, *starts, slice_sizes):
    _check_starts('dynamic_slice', x, starts)
    if len(slice_sizes) != x.ndim or any(not 0 <= z <= n for z, n in zip(slice_sizes, x.shape)):
        raise TypeError(f"dynamic_slice: slice_sizes {slice_sizes} must have one entry per "
                        f"dimension, each between 0 and the operand's size (shape {x.shape})")
    return ShapedArray(slice_sizes, x.dtype, x.weak_type)


def _dynamic_slice_impl(x, *starts, slice_sizes):
    x = np.asarray(x)
    if len(starts) != x.ndim or any(z > n for z, n in zip(slice_sizes, x.shape)):
        raise IndexError("dynamic_slice: bad start indices or slice sizes")
    lo = _clamped_starts(x.shape, starts, slice_sizes)
    return x[tuple(_pyslice(s, s + z) for s, z in zip(lo, slice_sizes))]


def _dynamic_slice_jvp(primals, tangents, slice_sizes):
    x, *starts = primals
    ans = dynamic_slice_p.bind(x, *starts, slice_sizes=slice_sizes)
    if type(tangents[0]) is Zero:
        return ans, Zero(primal=ans)
    return ans, dynamic_slice_p.bind(tangents[0], *starts, slice_sizes=slice_sizes)


def _dynamic_slice_transpose(ct, x, *starts, slice_sizes):
    if type(ct) is Zero or not is_undefined(x):
        return [None] * (1 + len(starts))
    return [dynamic_update_slice_p.bind(_zeros(x.aval), ct, *starts)] + [None] * len(starts)


def _window_indices(axis, shape, starts, start_dims, sizes):
    """Index arrays that pick, for every batch member b, the window of ``sizes`` at that
    member's (wrapped and clamped) ``starts`` from a value with a leading batch axis: the
    outer product ``x[b, s0 + i0, s1 + i1, ...]`` as broadcasting integer arrays."""
    from .elementwise import add, select_n, lt, max as lmax, min as lmin, convert_element_type
    B, n = axis.size, len(shape)
    batch_idx = Array(np.arange(B, dtype=np.int32).reshape((B,) + (1,) * n))
    out = [batch_idx]
    for i, (size, s, sd, z) in enumerate(zip(shape, starts, start_dims, sizes)):
        s = convert_element_type(s, np.int32)
        s = select_n(lt(s, 0), s, add(s, size))
        s = lmin(lmax(s, 0), size - z)
        window = np.arange(z, dtype=np.int32)
        if sd is not_mapped:
            idx = add(s, Array(window.reshape((1,) * (1 + i) + (z,) + (1,) * (n - 1 - i))))
        else:
            s = reshape(moveaxis_to_front(s, sd), (B,) + (1,) * n)
            idx = add(s, Array(window.reshape((1,) * (1 + i) + (z,) + (1,) * (n - 1 - i))))
        out.append(idx)
    return out


def _all_arrays_spec(count):
    return tuple(('array', k) for k in range(count))


def _dynamic_slice_batch(axis, vals, dims, slice_sizes):
    from .indexing import gather_p
    x, *starts = vals
    xd, *sds = dims
    x = bdim_at_front(x, xd, axis.size)
    if all(d is not_mapped for d in sds):
        return dynamic_slice_p.bind(x, 0, *starts,
                                    slice_sizes=(axis.size,) + tuple(slice_sizes)), 0
    idx = _window_indices(axis, shape_of(x)[1:], starts, sds, slice_sizes)
    return gather_p.bind(x, *idx, indexer=_all_arrays_spec(len(idx)), oob='clip',
                         fill_value=None), 0


dynamic_slice_p = Primitive('dynamic_slice')
dynamic_slice_p.impl = _dynamic_slice_impl
dynamic_slice_p.abstract_eval = _dynamic_slice_abstract_eval
dynamic_slice_p.weak_type_rule = first_weak
dynamic_slice_p.jvp = _dynamic_slice_jvp
dynamic_slice_p.transpose = _dynamic_slice_transpose
dynamic_slice_p.batch = _dynamic_slice_batch


def _dus_abstract_eval(x, update, *starts):
    _check_starts('dynamic_update_slice', x, starts)
    if update.ndim != x.ndim or any(u > n for u, n in zip(update.shape, x.shape)):
        raise TypeError(f"dynamic_update_slice: update shape {update.shape} must have the "
                        f"operand's rank and fit inside the operand (shape {x.shape})")
    if update.dtype != x.dtype and not update.weak_type:
        raise TypeError(f"dynamic_update_slice: update dtype {update.dtype.name} differs from "
                        f"the operand's dtype {x.dtype.name}")
    return ShapedArray(x.shape, x.dtype, x.weak_type and update.weak_type)


def _dus_impl(x, update, *starts):
    x = np.asarray(x)
    update = np.asarray(update)
    if update.ndim != x.ndim or len(starts) != x.ndim or any(
            u > n for u, n in zip(update.shape, x.shape)):
        raise IndexError("dynamic_update_slice: bad update shape or start indices")
    lo = _clamped_starts(x.shape, starts, update.shape)
    out = np.array(x, copy=True)
    out[tuple(_pyslice(s, s + z) for s, z in zip(lo, update.shape))] = update
    return out


def _dus_jvp(primals, tangents):
    x, update, *starts = primals
    tx, tu = tangents[:2]
    ans = dynamic_update_slice_p.bind(x, update, *starts)
    if type(tx) is Zero and type(tu) is Zero:
        return ans, Zero(primal=ans)
    tx = instantiate_zeros(Zero(get_aval(ans).to_tangent_aval())) if type(tx) is Zero else tx
    tu = instantiate_zeros(tu)
    return ans, dynamic_update_slice_p.bind(tx, tu, *starts)


def _dus_transpose(ct, x, update, *starts):
    nones = [None] * len(starts)
    if type(ct) is Zero:
        return [None, None] + nones
    u_aval = update.aval if is_undefined(update) else get_aval(update)
    blank = _zeros(ShapedArray(u_aval.shape, get_aval(ct).dtype))
    t_x = dynamic_update_slice_p.bind(ct, blank, *starts) if is_undefined(x) else None
    t_u = (dynamic_slice_p.bind(ct, *starts, slice_sizes=u_aval.shape)
           if is_undefined(update) else None)
    return [t_x, t_u] + nones


def _dus_batch(axis, vals, dims):
    from .indexing import scatter_p
    x, update, *starts = vals
    xd, ud, *sds = dims
    x = bdim_at_front(x, xd, axis.size)
    update = bdim_at_front(update, ud, axis.size)
    if all(d is not_mapped for d in sds):
        return dynamic_update_slice_p.bind(x, update, 0, *starts), 0
    idx = _window_indices(axis, shape_of(x)[1:], starts, sds, shape_of(update)[1:])
    return scatter_p.bind(x, update, *idx, indexer=_all_arrays_spec(len(idx)), mode='set',
                          oob='clip'), 0


dynamic_update_slice_p = Primitive('dynamic_update_slice')
dynamic_update_slice_p.impl = _dus_impl
dynamic_update_slice_p.abstract_eval = _dus_abstract_eval
dynamic_update_slice_p.weak_type_rule = lambda args, params: is_weak(args[0]) and is_weak(args[1])
dynamic_update_slice_p.jvp = _dus_jvp
dynamic_update_slice_p.transpose = _dus_transpose
dynamic_update_slice_p.batch = _dus_batch


def _start_list(start_indices, n):
    """Start indices as a list of scalars: a sequence, or an integer array of shape (n,)."""
    if isinstance(start_indices, (list, tuple)):
        return list(start_indices)
    if ndim_of(start_indices) != 1:
        raise TypeError(f"start_indices must be a sequence of scalars or a 1-d array, got "
                        f"shape {tuple(shape_of(start_indices))}")
    return [reshape(slice(start_indices, (i,), (i + 1,)), ()) for i in range(n)]


def dynamic_slice(operand, start_indices, slice_sizes):
    """The window of ``slice_sizes`` starting at ``start_indices`` (scalars that may be
    traced).  Negative starts wrap once; starts are then clamped so the window fits.

    >>> dynamic_slice(jnp.arange(5.), (jnp.array(1),), (2,))
    Array([1., 2.], dtype=float32)
    """
    n = ndim_of(operand)
    starts = _start_list(start_indices, n)
    sizes = tuple(operator.index(z) for z in slice_sizes)
    return dynamic_slice_p.bind(operand, *starts, slice_sizes=sizes)


def dynamic_update_slice(operand, update, start_indices):
    """``operand`` with the window at ``start_indices`` replaced by ``update`` (starts
    wrap once and are clamped as in ``dynamic_slice``).

    >>> dynamic_update_slice(jnp.zeros(4), jnp.ones(2), (1,))
    Array([0., 1., 1., 0.], dtype=float32)
    """
    starts = _start_list(start_indices, ndim_of(operand))
    return dynamic_update_slice_p.bind(operand, update, *starts)


def _in_dim_starts(operand, index, axis, name):
    nd = ndim_of(operand)
    axis = canonical_axis(axis, nd, 'axis', name)
    starts = [0] * nd
    starts[axis] = index
    return starts, axis


def dynamic_slice_in_dim(operand, start_index, slice_size, axis=0):
    """``dynamic_slice`` along one axis (the others are kept whole)."""
    starts, axis = _in_dim_starts(operand, start_index, axis, 'dynamic_slice_in_dim')
    sizes = list(shape_of(operand))
    sizes[axis] = slice_size
    return dynamic_slice(operand, starts, sizes)


def dynamic_index_in_dim(operand, index, axis=0, keepdims=True):
    """The entry at the (possibly traced) ``index`` along ``axis``."""
    out = dynamic_slice_in_dim(operand, index, 1, axis)
    if keepdims:
        return out
    return squeeze(out, (canonical_axis(axis, ndim_of(operand), 'axis',
                                        'dynamic_index_in_dim'),))


def dynamic_update_slice_in_dim(operand, update, start_index, axis):
    """``dynamic_update_slice`` at ``start_index`` along ``axis`` (0 along the others)."""
    starts, _ = _in_dim_starts(operand, start_index, axis, 'dynamic_update_slice_in_dim')
    return dynamic_update_slice(operand, update, starts)


def dynamic_update_index_in_dim(operand, update, index, axis):
    """Write ``update`` (with or without the size-1 axis) at ``index`` along ``axis``."""
    axis = canonical_axis(axis, ndim_of(operand), 'axis', 'dynamic_update_index_in_dim')
    if ndim_of(update) != ndim_of(operand):
        update = expand_dims(update, (axis,))
    return dynamic_update_slice_in_dim(operand, update, index, axis)


# --- iota ----------------------------------------------------------------------------------

def _iota_impl(dtype, shape, dimension):
    ramp = np.arange(shape[dimension], dtype=dtype)
    return np.broadcast_to(ramp.reshape([-1 if i == dimension else 1
                                         for i in range(len(shape))]), shape)


def _iota_abstract_eval(dtype, shape, dimension):
    if not 0 <= dimension < len(shape) or any(s < 0 for s in shape):
        raise ValueError(f"iota: dimension {dimension} must be an axis of the shape {shape}")
    if np.dtype(dtype).kind not in 'iuf':
        raise TypeError(f"iota: dtype must be an integer or floating dtype, got {dtype}")
    return ShapedArray(shape, dtype, False)


iota_p = Primitive('iota')
iota_p.impl = _iota_impl
iota_p.abstract_eval = _iota_abstract_eval
defjvp_zero(iota_p)
# iota has no operands, so vmap never sees it batched; the rule exists for completeness
iota_p.batch = lambda axis, vals, dims, **params: (iota_p.bind(**params), not_mapped)


def broadcasted_iota(dtype, shape, dimension):
    """An array of ``shape`` counting 0, 1, ... along ``dimension``.

    >>> broadcasted_iota(jnp.int32, (2, 3), 1)
    Array([[0, 1, 2],
           [0, 1, 2]], dtype=int32)
    """
    shape = tuple(operator.index(s) for s in shape)
    dimension = canonical_axis(dimension, len(shape), 'dimension', 'broadcasted_iota')
    return iota_p.bind(dtype=dtypes.canonicalize_dtype(dtype), shape=shape,
                       dimension=dimension)


def iota(dtype, size):
    """``[0, 1, ..., size - 1]`` as ``dtype`` (``lax.iota``)."""
    return broadcasted_iota(dtype, (operator.index(size),), 0)
