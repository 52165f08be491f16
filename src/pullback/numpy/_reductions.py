"""Reductions (sum, mean, max, argmax, var, ...), cumulative sums and their NaN-ignoring
variants, written on ``pullback.lax``.

Every reduction takes ``axis`` (None, an int or a tuple; negative values count from the
end) and ``keepdims``; most take ``dtype`` and ``where``.  Results are strongly typed,
as in JAX.  Sums and products of small integers and booleans accumulate in the default
integer type.

    >>> import pullback.numpy as jnp
    >>> jnp.sum(jnp.arange(6.).reshape(2, 3), axis=-1)
    Array([ 3., 12.], dtype=float32)
"""
import math

import numpy as np

from .. import dtypes
from .. import lax
from .._array import Array
from ._promote import asarray
from ._util import canonicalize_axes, canonicalize_axis, strong

__all__ = [
    'sum', 'prod', 'product', 'max', 'min', 'amax', 'amin', 'argmax', 'argmin', 'all', 'any',
    'alltrue', 'sometrue', 'mean', 'var', 'std', 'average', 'median', 'quantile',
    'percentile', 'nanquantile', 'nanpercentile', 'count_nonzero', 'ptp',
    'cumsum', 'cumprod', 'cumulative_sum', 'cumulative_prod', 'nancumsum', 'nancumprod',
    'nansum', 'nanprod', 'nanmax', 'nanmin', 'nanmean', 'nanvar', 'nanstd', 'nanargmax',
    'nanargmin', 'nanmedian',
]

_builtin_sum, _builtin_any = sum, any


# --- Shared machinery ------------------------------------------------------------------

def _accumulation_dtype(dtype, fn, promote_integers=True):
    """Sums and products of bools and narrow ints accumulate in the default int type."""
    dtype = np.dtype(dtype)
    if dtype.kind == 'b':
        return dtypes.default_int_dtype()
    if promote_integers and dtype.kind in 'iu':
        default = dtypes.default_int_dtype()
        if dtype.itemsize < default.itemsize:
            return default if dtype.kind == 'i' else np.dtype(f'uint{default.itemsize * 8}')
    return dtype


def _cast(a, dtype):
    if a.dtype == dtype:
        return a
    dtype = dtypes.canonicalize_dtype(dtype)
    if a.dtype != dtype:
        return lax.convert_element_type(a, dtype, False)
    return a


def _keepdims(out, shape, axes):
    return lax.reshape(out, tuple(1 if i in axes else s for i, s in enumerate(shape)))


def _apply_where(a, where, fill):
    """``a`` with ``fill`` wherever the mask ``where`` is False (broadcast together)."""
    if where is None:
        return a
    where = asarray(where)
    if where.dtype.kind != 'b':
        where = lax.ne(where, 0)
    shape = np.broadcast_shapes(a.shape, where.shape)
    a = lax.broadcast_to(a, shape)
    fill = Array(np.asarray(fill, a.dtype))
    return lax.select_n(where, fill, a)


def _check_nonempty(name, a, axes):
    if a.size == 0 and _builtin_any(a.shape[i] == 0 for i in axes):
        raise ValueError(f"{name}: zero-size array to reduction operation {name} which has "
                         f"no identity (shape {a.shape}, axis {axes}); pass initial=")


def _out(out):
    if out is not None:
        raise NotImplementedError("the out argument is not supported: pullback arrays are "
                                  "immutable, use the return value")


def _reduction(name, lax_name, a, axis, keepdims, identity):
    """Reduce ``a`` (already cast and masked) over ``axis`` with ``lax.<lax_name>``."""
    axes = canonicalize_axes(axis, a.ndim, name)
    out = getattr(lax, lax_name)(a, axes)
    if keepdims:
        out = _keepdims(out, a.shape, axes)
    return strong(out)


# --- Sums and products -----------------------------------------------------------------

def _sum_like(name, lax_name, identity):
    def fn(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None,
           promote_integers=True):
        _out(out)
        a = asarray(a)
        if dtype is not None:
            acc = dtypes.canonicalize_dtype(dtype)
        elif a.dtype.kind in 'fc':
            acc = a.dtype
        else:
            acc = _accumulation_dtype(a.dtype, name, promote_integers)
        if acc.kind == 'b':
            acc = dtypes.default_int_dtype()
            target = np.dtype(bool)
        else:
            target = acc
        a = _apply_where(_cast(a, acc), where, identity)
        result = _reduction(name, lax_name, a, axis, keepdims, identity)
        if initial is not None:
            combine = lax.add if lax_name == 'reduce_sum' else lax.mul
            result = combine(result, Array(np.asarray(initial, result.dtype)))
        return _cast(result, target)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"{name.capitalize()} of the elements over ``axis`` (all of them by "
                  f"default); bools and narrow ints accumulate in the default int type.")
    return fn


sum = _sum_like('sum', 'reduce_sum', 0)
prod = _sum_like('prod', 'reduce_prod', 1)
product = prod


# --- max, min, all, any ------------------------------------------------------------------

def _lowest(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == 'f':
        return -np.inf
    if dtype.kind == 'b':
        return False
    return np.iinfo(dtype).min


def _highest(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == 'f':
        return np.inf
    if dtype.kind == 'b':
        return True
    return np.iinfo(dtype).max


def _extremum(name, lax_name, bool_lax_name, identity_of, combine):
    def fn(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        _out(out)
        a = asarray(a)
        if where is not None and initial is None:
            raise ValueError(f"{name}: reduction operation {name} does not have an identity, "
                             f"so to use a where mask one has to specify 'initial'")
        axes = canonicalize_axes(axis, a.ndim, name)
        if initial is None:
            _check_nonempty(name, a, axes)
        if where is not None:
            a = _apply_where(a, where, identity_of(a.dtype))
        result = _reduction(name, bool_lax_name if a.dtype.kind == 'b' else lax_name, a,
                            axes, keepdims, None)
        if initial is not None:
            result = combine(result, Array(np.asarray(initial, result.dtype)))
        return result
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"The {name}imum over ``axis``; ``initial`` bounds the result and is "
                  f"required with a ``where`` mask.")
    return fn


max = _extremum('max', 'reduce_max', 'reduce_or', _lowest, lax.max)
min = _extremum('min', 'reduce_min', 'reduce_and', _highest, lax.min)
amax, amin = max, min


def _boolean(name, lax_name, identity):
    def fn(a, axis=None, out=None, keepdims=False, *, where=None):
        _out(out)
        a = asarray(a)
        if a.dtype.kind != 'b':
            a = lax.ne(a, Array(np.zeros((), a.dtype)))
        a = _apply_where(a, where, identity)
        return _reduction(name, lax_name, a, axis, keepdims, identity)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"Whether {'all' if name == 'all' else 'any'} of the elements over "
                  f"``axis`` are true.")
    return fn


all = _boolean('all', 'reduce_and', True)
any = _boolean('any', 'reduce_or', False)
alltrue, sometrue = all, any


def _arg_extremum(name, lax_name):
    def fn(a, axis=None, out=None, keepdims=None):
        _out(out)
        a = asarray(a)
        if axis is None:
            shape = a.shape
            a = lax.reshape(a, (a.size,))
            ax = 0
        else:
            ax = canonicalize_axis(axis, a.ndim, name)
        if a.shape[ax] == 0:
            raise ValueError(f"{name}: attempt to get {name} of an empty sequence")
        result = getattr(lax, lax_name)(a, ax, dtypes.default_int_dtype())
        if keepdims:
            if axis is None:
                result = lax.reshape(result, (1,) * len(shape))
            else:
                result = _keepdims(result, a.shape, (ax,))
        return result
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"Index of the first {name[3:]}imum along ``axis`` (of the flattened "
                  f"array if None); NaN counts as the extreme value.")
    return fn


argmax = _arg_extremum('argmax', 'argmax')
argmin = _arg_extremum('argmin', 'argmin')


# --- Statistics ------------------------------------------------------------------------

def _count(a, axis, where, dtype, keepdims=False):
    """Number of elements each reduction over ``axis`` sees: a Python float without a mask
    (weak, so it adopts the sum's dtype), else the sum of the broadcast mask."""
    axes = canonicalize_axes(axis, a.ndim, 'mean')
    if where is None:
        return float(math.prod(a.shape[i] for i in axes))
    mask = lax.broadcast_to(asarray(where), np.broadcast_shapes(a.shape, np.shape(where)))
    return sum(mask, axis=axis, dtype=dtype, keepdims=keepdims)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """Arithmetic mean over ``axis``; integers average in the default float type.

    >>> mean(jnp.array([1, 2]))
    Array(1.5, dtype=float32)
    """
    _out(out)
    a = asarray(a)
    canonicalize_axes(axis, a.ndim, 'mean')
    comp = dtypes.to_inexact(dtypes.canonicalize_dtype(dtype) if dtype is not None
                             else a.dtype)
    total = sum(a, axis=axis, dtype=comp, keepdims=keepdims, where=where)
    result = lax.div(total, _count(a, axis, where, comp, keepdims))
    return _cast(result, dtype) if dtype is not None else result


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        correction=None):
    """Variance over ``axis`` with ``ddof`` (or ``correction``) degrees of freedom removed;
    the result is real for complex input.

    >>> var(jnp.array([1., 2., 3., 4.]), ddof=1)
    Array(1.6666666, dtype=float32)
    """
    _out(out)
    if correction is not None:
        ddof = correction
    a = asarray(a)
    canonicalize_axes(axis, a.ndim, 'var')
    comp = dtypes.to_inexact(dtypes.canonicalize_dtype(dtype) if dtype is not None
                             else a.dtype)
    a = _cast(a, comp)
    centered = lax.sub(a, mean(a, axis=axis, keepdims=True, where=where))
    if comp.kind == 'c':
        sq = lax.add(lax.square(lax.real(centered)), lax.square(lax.imag(centered)))
    else:
        sq = lax.square(centered)
    real = dtypes.real_dtype(comp)
    total = sum(sq, axis=axis, keepdims=keepdims, where=where)
    n = _count(a, axis, where, real, keepdims)
    n = n - ddof if type(n) is float else lax.sub(n, Array(np.asarray(ddof, real)))
    result = lax.div(total, n)
    return _cast(result, dtypes.real_dtype(dtype)) if dtype is not None else result


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        correction=None):
    """Standard deviation: ``sqrt(var(...))``."""
    return lax.sqrt(var(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                        where=where, correction=correction))


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    """Weighted mean over ``axis`` (``weights`` 1-D along ``axis``, or ``a``'s shape);
    with ``returned`` also the sum of the weights."""
    a = asarray(a)
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        if not returned:
            return avg
        axes = canonicalize_axes(axis, a.ndim, 'average')
        count = int(np.prod([a.shape[i] for i in axes], dtype=np.int64))
        return avg, lax.full(avg.shape, count, avg.dtype)
    from ._promote import promote_dtypes_inexact
    a, weights = promote_dtypes_inexact(a, asarray(weights))
    if weights.shape != a.shape:
        if axis is None:
            raise ValueError(f"average: axis must be given when the shapes of a "
                             f"{a.shape} and weights {weights.shape} differ")
        if weights.ndim != 1:
            raise ValueError(f"average: 1-D weights expected when the shapes differ, got "
                             f"weights of shape {weights.shape} for a of shape {a.shape}")
        ax = canonicalize_axis(axis, a.ndim, 'average')
        if weights.shape[0] != a.shape[ax]:
            raise ValueError(f"average: length of weights {weights.shape[0]} differs from "
                             f"a.shape[{ax}] = {a.shape[ax]}")
        weights = lax.broadcast_in_dim(weights, a.shape, (ax,))
    scale = sum(weights, axis=axis, keepdims=keepdims)
    avg = lax.div(sum(lax.mul(a, weights), axis=axis, keepdims=keepdims), scale)
    if returned:
        return avg, lax.broadcast_to(scale, avg.shape)
    return avg


def count_nonzero(a, axis=None, keepdims=False):
    """Number of non-zero elements over ``axis`` (an int32 count)."""
    a = asarray(a)
    nz = lax.ne(a, Array(np.zeros((), a.dtype))) if a.dtype.kind != 'b' else a
    return sum(nz, axis=axis, keepdims=keepdims, dtype=dtypes.default_int_dtype())


def ptp(a, axis=None, out=None, keepdims=False):
    """Peak to peak: ``max - min`` over ``axis``."""
    return lax.sub(max(a, axis=axis, out=out, keepdims=keepdims),
                   min(a, axis=axis, keepdims=keepdims))


# --- Quantiles -------------------------------------------------------------------------

def quantile(a, q, axis=None, out=None, overwrite_input=False, method='linear',
             keepdims=False, *, interpolation=None):
    """The ``q``-th quantiles (``0 <= q <= 1``) over ``axis``, by sorting; ``method`` is one
    of 'linear', 'lower', 'higher', 'nearest', 'midpoint'.  NaN in the data gives NaN."""
    return _quantile('quantile', a, q, axis, method if interpolation is None
                     else interpolation, keepdims, ignore_nan=False)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method='linear',
               keepdims=False, *, interpolation=None):
    """``quantile(a, q / 100, ...)``."""
    q = lax.div(asarray(q, dtypes.to_inexact(asarray(q).dtype)), 100.)
    return quantile(a, q, axis=axis, method=method, keepdims=keepdims,
                    interpolation=interpolation)


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method='linear',
                keepdims=False, *, interpolation=None):
    """``quantile`` that ignores NaNs."""
    return _quantile('nanquantile', a, q, axis, method if interpolation is None
                     else interpolation, keepdims, ignore_nan=True)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method='linear',
                  keepdims=False, *, interpolation=None):
    """``nanquantile(a, q / 100, ...)``."""
    q = lax.div(asarray(q, dtypes.to_inexact(asarray(q).dtype)), 100.)
    return nanquantile(a, q, axis=axis, method=method, keepdims=keepdims,
                       interpolation=interpolation)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median over ``axis`` (the mean of the two middle values for even counts).

    >>> median(jnp.array([3., 1., 4., 2.]))
    Array(2.5, dtype=float32)
    """
    return quantile(a, 0.5, axis=axis, method='midpoint', keepdims=keepdims)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """``median`` that ignores NaNs."""
    return nanquantile(a, 0.5, axis=axis, method='midpoint', keepdims=keepdims)


_METHODS = ('linear', 'lower', 'higher', 'nearest', 'midpoint')


def _quantile(name, a, q, axis, method, keepdims, ignore_nan):
    from ._promote import promote_dtypes_inexact
    from ._sorting import sort
    from ._indexing import take_along_axis
    if method not in _METHODS:
        raise ValueError(f"{name}: method must be one of {_METHODS}, got {method!r}")
    a, = promote_dtypes_inexact(asarray(a))
    a = strong(a)
    if a.dtype.kind == 'c':
        raise TypeError(f"{name}: complex input is not supported")
    q = asarray(q, a.dtype)
    # move the reduced axes to the end and merge them: x has shape kept_shape + (n,)
    if axis is None:
        axes = tuple(range(a.ndim))
    else:
        axes = canonicalize_axes(axis, a.ndim, name)
    kept = [i for i in range(a.ndim) if i not in axes]
    kept_shape = tuple(a.shape[i] for i in kept)
    n = int(np.prod([a.shape[i] for i in axes], dtype=np.int64))
    x = lax.transpose(a, tuple(kept) + axes)
    x = lax.reshape(x, kept_shape + (n,))
    if n == 0:
        raise ValueError(f"{name}: cannot take a quantile of an empty axis (shape {a.shape})")
    nan_mask = lax.ne(x, x)
    if ignore_nan:
        count = sum(lax.bitwise_not(nan_mask), axis=-1, keepdims=True, dtype=a.dtype)
        x = lax.select_n(nan_mask, x, Array(np.asarray(np.inf, a.dtype)))
    else:
        count = Array(np.asarray(n, a.dtype))
    x = sort(x, axis=-1)
    # q broadcasts in front of the kept axes, as NumPy puts q's axes first
    qb = lax.reshape(q, q.shape + (1,) * (len(kept_shape) + 1))
    pos = lax.mul(qb, lax.sub(count, 1.))
    lo = lax.floor(pos)
    hi = lax.ceil(pos)
    if method == 'lower':
        pos = lo
    elif method == 'higher':
        pos = hi
    elif method == 'nearest':
        pos = lax.round(pos, lax.RoundingMethod.TO_NEAREST_EVEN)
    idx_shape = np.broadcast_shapes(qb.shape, kept_shape + (1,))

    def gather(p):
        i = lax.convert_element_type(lax.min(lax.max(p, 0.), float(n - 1)), np.int32)
        i = lax.broadcast_to(i, idx_shape)
        xs = lax.broadcast_to(x, idx_shape[:-1] + (n,))
        return take_along_axis(xs, i, axis=-1)
    if method in ('lower', 'higher', 'nearest'):
        result = gather(pos)
    elif method == 'midpoint':
        result = lax.mul(lax.add(gather(lo), gather(hi)), 0.5)
    else:
        frac = lax.sub(pos, lo)
        below, above = gather(lo), gather(hi)
        result = lax.add(below, lax.mul(lax.sub(above, below), frac))
    result = lax.reshape(result, idx_shape[:-1])
    if ignore_nan:
        undefined = lax.reshape(lax.eq(count, 0.), kept_shape)  # nothing but NaNs
    else:
        undefined = any(nan_mask, axis=-1)  # NaN in, NaN out
    result = lax.select_n(undefined, result, Array(np.asarray(np.nan, a.dtype)))
    if keepdims:
        result = lax.reshape(result, q.shape + tuple(1 if i in axes else s
                                                     for i, s in enumerate(a.shape)))
    return result


# --- Cumulative ------------------------------------------------------------------------

def _cumulative(name, lax_name, identity):
    def fn(a, axis=None, dtype=None, out=None):
        _out(out)
        a = asarray(a)
        if axis is None:
            a = lax.reshape(a, (a.size,))
            axis = 0
        ax = canonicalize_axis(axis, a.ndim, name)
        # unlike sums, running sums keep narrow integer types (bools count in int32)
        acc = dtypes.canonicalize_dtype(dtype) if dtype is not None else \
            dtypes.default_int_dtype() if a.dtype.kind == 'b' else a.dtype
        target = acc
        if acc.kind == 'b':
            acc = dtypes.default_int_dtype()
        result = getattr(lax, lax_name)(strong(_cast(a, acc)), axis=ax, reverse=False)
        return _cast(result, target)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"Cumulative {name[3:]} along ``axis`` (of the flattened array if None).")
    return fn


cumsum = _cumulative('cumsum', 'cumsum', 0)
cumprod = _cumulative('cumprod', 'cumprod', 1)


def _cumulative_api(name, base, identity):
    def fn(x, /, *, axis=None, dtype=None, include_initial=False):
        x = asarray(x)
        if axis is None:
            if x.ndim > 1:
                raise ValueError(f"{name}: the axis must be given for arrays of more than one "
                                 f"dimension (got shape {x.shape})")
            axis = 0
        if x.ndim == 0:
            raise ValueError(f"{name}: the input must have at least one dimension")
        ax = canonicalize_axis(axis, x.ndim, name)
        if dtype is None:  # unlike cumsum, these accumulate narrow ints in the default int
            dtype = _accumulation_dtype(x.dtype, name)
        out = base(x, axis=ax, dtype=dtype)
        if include_initial:
            pad_shape = tuple(1 if i == ax else s for i, s in enumerate(out.shape))
            out = lax.concatenate([lax.full(pad_shape, identity, out.dtype), out], ax)
        return out
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Array-API ``{name}``: ``{base.__name__}`` with ``include_initial``."
    return fn


cumulative_sum = _cumulative_api('cumulative_sum', cumsum, 0)
cumulative_prod = _cumulative_api('cumulative_prod', cumprod, 1)


# --- NaN-ignoring variants -------------------------------------------------------------

def _replace_nan(a, value):
    a = asarray(a)
    if a.dtype.kind not in 'fc':
        return a
    return lax.select_n(lax.ne(a, a), a, Array(np.asarray(value, a.dtype)))


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """``sum`` treating NaNs as zero."""
    return sum(_replace_nan(a, 0), axis=axis, dtype=dtype, out=out, keepdims=keepdims,
               initial=initial, where=where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """``prod`` treating NaNs as one."""
    return prod(_replace_nan(a, 1), axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                initial=initial, where=where)


def nancumsum(a, axis=None, dtype=None, out=None):
    """``cumsum`` treating NaNs as zero."""
    return cumsum(_replace_nan(a, 0), axis=axis, dtype=dtype, out=out)


def nancumprod(a, axis=None, dtype=None, out=None):
    """``cumprod`` treating NaNs as one."""
    return cumprod(_replace_nan(a, 1), axis=axis, dtype=dtype, out=out)


def _nan_extremum(name, base, fill):
    def fn(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        a = asarray(a)
        if a.dtype.kind not in 'fc':
            return base(a, axis=axis, out=out, keepdims=keepdims, initial=initial,
                        where=where)
        result = base(_replace_nan(a, fill), axis=axis, out=out, keepdims=keepdims,
                      initial=initial, where=where)
        all_nan = all(lax.ne(a, a), axis=axis, keepdims=keepdims)
        return lax.select_n(all_nan, result, Array(np.asarray(np.nan, result.dtype)))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{base.__name__}`` ignoring NaNs (NaN where all values are NaN)."
    return fn


nanmax = _nan_extremum('nanmax', max, -np.inf)
nanmin = _nan_extremum('nanmin', min, np.inf)


def _nan_arg(name, base, fill):
    def fn(a, axis=None, out=None, keepdims=None):
        a = asarray(a)
        if a.dtype.kind not in 'fc':
            return base(a, axis=axis, out=out, keepdims=keepdims)
        nan = lax.ne(a, a)
        result = base(_replace_nan(a, fill), axis=axis, out=out, keepdims=keepdims)
        all_nan = all(nan, axis=axis, keepdims=bool(keepdims))
        return lax.select_n(all_nan, result, Array(np.asarray(-1, result.dtype)))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{base.__name__}`` ignoring NaNs (-1 where all values are NaN)."
    return fn


nanargmax = _nan_arg('nanargmax', argmax, -np.inf)
nanargmin = _nan_arg('nanargmin', argmin, np.inf)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """``mean`` of the non-NaN values (NaN where there are none)."""
    _out(out)
    a = asarray(a)
    if a.dtype.kind not in 'fc':
        return mean(a, axis=axis, dtype=dtype, keepdims=keepdims, where=where)
    valid = lax.bitwise_not(lax.ne(a, a))
    if where is not None:
        valid = lax.bitwise_and(valid, asarray(where))
    return mean(a, axis=axis, dtype=dtype, keepdims=keepdims, where=valid)


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           correction=None):
    """``var`` of the non-NaN values."""
    _out(out)
    a = asarray(a)
    if a.dtype.kind not in 'fc':
        return var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where,
                   correction=correction)
    valid = lax.bitwise_not(lax.ne(a, a))
    if where is not None:
        valid = lax.bitwise_and(valid, asarray(where))
    return var(_replace_nan(a, 0), axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims,
               where=valid, correction=correction)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           correction=None):
    """``std`` of the non-NaN values."""
    return lax.sqrt(nanvar(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                           where=where, correction=correction))
