"""``pad``: constant, edge, reflect, symmetric, wrap, statistic and linear-ramp padding,
written on ``pullback.lax`` (``lax.pad`` for constants; index maps computed by NumPy for
the modes that copy elements, so every mode differentiates and batches).

    >>> import pullback.numpy as jnp
    >>> jnp.pad(jnp.array([1, 2, 3]), 2, mode='reflect')
    Array([3, 2, 1, 2, 3, 2, 1], dtype=int32)
"""
import numpy as np

from .. import lax
from .._array import Array
from .._core.core import Tracer
from ._promote import asarray

__all__ = ['pad']


def _slice_axis(a, start, stop, axis):
    return lax.slice_in_dim(a, start, stop, 1, axis)


def _pad_widths(pad_width, ndim):
    pw = np.asarray(pad_width if not isinstance(pad_width, (Array, Tracer)) else
                    np.asarray(pad_width))
    if pw.dtype.kind not in 'iu':
        if pw.dtype.kind == 'f' and np.all(pw == np.round(pw)):
            pw = pw.astype(np.int64)
        else:
            raise TypeError(f"pad: pad_width must be integers, got {pad_width!r}")
    try:
        pw = np.broadcast_to(pw, (ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} cannot be broadcast to ({ndim}, 2) "
                         f"for an array of rank {ndim}") from None
    if (pw < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative, got {pad_width!r}")
    return [(int(lo), int(hi)) for lo, hi in pw]


_PAD_MODES = ('constant', 'edge', 'reflect', 'symmetric', 'wrap', 'empty', 'maximum',
              'minimum', 'mean', 'linear_ramp')


def pad(array, pad_width, mode='constant', **kwargs):
    """Pad ``array`` by ``pad_width`` ((before, after) per axis, or one pair, or an int).

    Modes: 'constant' (``constant_values``), 'edge', 'reflect', 'symmetric', 'wrap',
    'empty', 'maximum', 'minimum', 'mean', 'linear_ramp' (``end_values``).

    >>> pad(jnp.array([1, 2]), (1, 2), mode='edge')
    Array([1, 1, 2, 2, 2], dtype=int32)
    """
    array = asarray(array)
    widths = _pad_widths(pad_width, array.ndim)
    if callable(mode):
        raise NotImplementedError("pad: a callable mode is not supported")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}, got {mode!r}")
    if mode in ('constant', 'empty'):
        return _pad_constant(array, widths, kwargs.get('constant_values', 0))
    if kwargs.get('reflect_type', 'even') != 'even':
        raise NotImplementedError("pad: only reflect_type='even' is supported")
    if mode == 'linear_ramp':
        return _pad_linear_ramp(array, widths, kwargs.get('end_values', 0))
    for ax, (lo, hi) in enumerate(widths):
        if lo == 0 and hi == 0:
            continue
        n = array.shape[ax]
        if n == 0:
            raise ValueError(f"pad: cannot pad an empty axis {ax} (shape {array.shape}) in "
                             f"mode {mode!r}")
        if mode in ('maximum', 'minimum', 'mean'):
            array = _pad_stat(array, ax, lo, hi, mode, kwargs.get('stat_length'))
        else:
            array = _pad_by_index(array, ax, lo, hi, mode)
    return array


def _pad_constant(array, widths, constant_values):
    cv = np.asarray(constant_values) if not isinstance(constant_values, (Array, Tracer)) \
        else constant_values
    if np.ndim(cv) == 0:
        value = lax.convert_element_type(asarray(cv), array.dtype)
        return lax.pad(array, value, [(lo, hi, 0) for lo, hi in widths])
    cv = np.broadcast_to(np.asarray(cv), (array.ndim, 2))
    for ax, ((lo, hi), (vlo, vhi)) in enumerate(zip(widths, cv)):
        for width, value, before in ((lo, vlo, True), (hi, vhi, False)):
            if width:
                config = [(0, 0, 0)] * array.ndim
                config[ax] = (width, 0, 0) if before else (0, width, 0)
                array = lax.pad(array, Array(np.asarray(value, array.dtype)), config)
    return array


def _pad_by_index(array, ax, lo, hi, mode):
    # NumPy's own pad of 0..n-1 says which source element each output position copies
    from ._indexing import take
    n = array.shape[ax]
    np_mode = {'edge': 'edge', 'reflect': 'reflect', 'symmetric': 'symmetric',
               'wrap': 'wrap'}[mode]
    if np_mode == 'reflect' and n == 1:
        np_mode = 'edge'
    idx = np.pad(np.arange(n), (lo, hi), mode=np_mode)
    return take(array, Array(idx.astype(np.int32)), axis=ax)


def _pad_stat(array, ax, lo, hi, mode, stat_length):
    from . import _reductions
    n = array.shape[ax]
    if stat_length is None:
        lengths = (n, n)
    else:
        lengths = np.broadcast_to(np.asarray(stat_length), (array.ndim, 2))[ax]
    fn = {'maximum': _reductions.max, 'minimum': _reductions.min,
          'mean': _reductions.mean}[mode]
    parts = []
    if lo:
        k = max(1, min(int(lengths[0]), n))
        stat = fn(_slice_axis(array, 0, k, ax), axis=ax, keepdims=True)
        parts.append(_repeat_edge(_cast_like(stat, array), lo, ax))
    parts.append(array)
    if hi:
        k = max(1, min(int(lengths[1]), n))
        stat = fn(_slice_axis(array, n - k, n, ax), axis=ax, keepdims=True)
        parts.append(_repeat_edge(_cast_like(stat, array), hi, ax))
    return lax.concatenate(parts, ax)


def _cast_like(x, like):
    if x.dtype != like.dtype:
        if like.dtype.kind in 'iu' and x.dtype.kind == 'f':
            x = lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN)
        x = lax.convert_element_type(x, like.dtype)
    return x


def _repeat_edge(x, count, ax):
    shape = list(x.shape)
    shape[ax] = count
    return lax.broadcast_in_dim(lax.squeeze(x, (ax,)), tuple(shape),
                                tuple(i for i in range(len(shape)) if i != ax))


def _pad_linear_ramp(array, widths, end_values):
    ev = np.broadcast_to(np.asarray(end_values), (array.ndim, 2))
    for ax, (lo, hi) in enumerate(widths):
        n = array.shape[ax]
        parts = []
        for width, end, before in ((lo, ev[ax][0], True), (hi, ev[ax][1], False)):
            if not width:
                continue
            edge = _slice_axis(array, 0, 1, ax) if before else _slice_axis(array, n - 1, n, ax)
            # weights go from the end value (t = 0) to the edge value (t = 1), edge excluded
            t = np.arange(width, dtype=np.float64) / width
            if not before:
                t = t[::-1]
            shape = [1] * array.ndim
            shape[ax] = width
            t = Array(t.reshape(shape).astype(np.float32 if array.dtype.kind != 'f'
                                              else array.dtype))
            edge_f = lax.convert_element_type(edge, t.dtype)
            ramp = lax.add(lax.mul(edge_f, t), lax.mul(float(end), lax.sub(1., t)))
            parts.append((before, _cast_like(ramp, array)))
        pieces = [p for b, p in parts if b] + [array] + [p for b, p in parts if not b]
        if len(pieces) > 1:
            array = lax.concatenate(pieces, ax)
    return array
