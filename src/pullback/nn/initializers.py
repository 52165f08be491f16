"""Parameter initializers (``pullback.nn.initializers``), with JAX's signatures and numbers.

An initializer is a function ``init(key, shape, dtype=float32) -> Array``; the factories here
configure one.

    >>> from pullback.nn import initializers
    >>> init = initializers.glorot_normal()
    >>> w = init(random.key(0), (3, 4))
    >>> w.shape
    (3, 4)

``variance_scaling(scale, mode, distribution)`` draws with variance ``scale / n`` where ``n``
is the fan-in, fan-out, their mean or their geometric mean; ``glorot_*``, ``lecun_*`` and
``he_*`` are its common settings.  ``'truncated_normal'`` truncates to two standard
deviations and rescales so the variance is still ``scale / n``.
"""
import math

import numpy as np

from .. import dtypes
from .. import numpy as jnp
from .. import random

__all__ = ['zeros', 'ones', 'constant', 'uniform', 'normal', 'truncated_normal',
           'variance_scaling', 'glorot_uniform', 'glorot_normal', 'xavier_uniform',
           'xavier_normal', 'lecun_uniform', 'lecun_normal', 'he_uniform', 'he_normal',
           'kaiming_uniform', 'kaiming_normal']

# the standard deviation of a standard normal truncated to (-2, 2)
_TRUNCATED_STD = .87962566103423978


def _dtype(dtype):
    return dtypes.default_float_dtype() if dtype is None else dtypes.canonicalize_dtype(dtype)


def _shape(shape):
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


def zeros(key, shape, dtype=None):
    """An array of zeros (``key`` is ignored)."""
    return jnp.zeros(_shape(shape), _dtype(dtype))


def ones(key, shape, dtype=None):
    """An array of ones (``key`` is ignored)."""
    return jnp.ones(_shape(shape), _dtype(dtype))


def constant(value, dtype=None):
    """An initializer that fills with ``value``."""
    def init(key, shape, dtype=dtype):
        return jnp.full(_shape(shape), value, dtype=_dtype(dtype))
    return init


def uniform(scale=1e-2, dtype=None):
    """An initializer drawing uniformly from ``[0, scale)``."""
    def init(key, shape, dtype=dtype):
        dtype = _dtype(dtype)
        return random.uniform(key, _shape(shape), dtype) * jnp.array(scale, dtype)
    return init


def normal(stddev=1e-2, dtype=None):
    """An initializer drawing from a normal distribution with standard deviation ``stddev``."""
    def init(key, shape, dtype=dtype):
        dtype = _dtype(dtype)
        return random.normal(key, _shape(shape), dtype) * jnp.array(stddev, dtype)
    return init


def truncated_normal(stddev=1e-2, dtype=None, lower=-2.0, upper=2.0):
    """``stddev`` times a standard normal truncated to ``(lower, upper)``."""
    def init(key, shape, dtype=dtype):
        dtype = _dtype(dtype)
        return random.truncated_normal(key, lower, upper, _shape(shape), dtype) * \
            jnp.array(stddev, dtype)
    return init


def _fans(shape, in_axis, out_axis, batch_axis):
    if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
        raise ValueError(f"variance_scaling: cannot compute the fan-in and fan-out of a "
                         f"{len(shape)}-dimensional weight of shape {shape} with the default "
                         f"in_axis=-2; give in_axis explicitly")

    def size(axes):
        return shape[axes] if isinstance(axes, int) else math.prod(shape[a] for a in axes)
    in_size, out_size, batch_size = size(in_axis), size(out_axis), size(batch_axis)
    receptive = math.prod(shape) / in_size / out_size / batch_size
    return in_size * receptive, out_size * receptive


def variance_scaling(scale, mode, distribution, in_axis=-2, out_axis=-1, batch_axis=(),
                     dtype=None):
    """An initializer with variance ``scale / n``, ``n`` chosen by ``mode``.

    ``mode``: ``'fan_in'``, ``'fan_out'``, ``'fan_avg'`` or ``'fan_geo_avg'``;
    ``distribution``: ``'truncated_normal'``, ``'normal'`` or ``'uniform'``.  The fans are
    products of the sizes of ``in_axis``/``out_axis`` times the remaining (receptive field)
    axes, excluding ``batch_axis``.
    """
    if mode not in ('fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'):
        raise ValueError(f"variance_scaling: invalid mode {mode!r}")
    if distribution not in ('truncated_normal', 'normal', 'uniform'):
        raise ValueError(f"variance_scaling: invalid distribution {distribution!r}")

    def init(key, shape, dtype=dtype):
        shape = _shape(shape)
        dtype = _dtype(dtype)
        if dtype.kind != 'f':
            raise TypeError(f"variance_scaling: only real floating dtypes are supported, "
                            f"got {dtype}")
        fan_in, fan_out = _fans(shape, in_axis, out_axis, batch_axis)
        n = {'fan_in': fan_in, 'fan_out': fan_out, 'fan_avg': (fan_in + fan_out) / 2,
             'fan_geo_avg': (fan_in * fan_out) ** 0.5}[mode]
        variance = jnp.array(scale / n, dtype=dtype)
        if distribution == 'truncated_normal':
            stddev = jnp.sqrt(variance) / jnp.array(_TRUNCATED_STD, dtype)
            return random.truncated_normal(key, -2, 2, shape, dtype) * stddev
        if distribution == 'normal':
            return random.normal(key, shape, dtype) * jnp.sqrt(variance)
        return random.uniform(key, shape, dtype, -1) * jnp.sqrt(3 * variance)
    return init


def _preset(scale, mode, distribution, doc):
    def factory(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
        return variance_scaling(scale, mode, distribution, in_axis=in_axis,
                                out_axis=out_axis, batch_axis=batch_axis, dtype=dtype)
    factory.__doc__ = doc
    return factory


glorot_uniform = _preset(1.0, 'fan_avg', 'uniform', "Glorot/Xavier uniform: variance 2 / (fan_in + fan_out).")
glorot_normal = _preset(1.0, 'fan_avg', 'truncated_normal', "Glorot/Xavier truncated normal: variance 2 / (fan_in + fan_out).")
lecun_uniform = _preset(1.0, 'fan_in', 'uniform', "LeCun uniform: variance 1 / fan_in.")
lecun_normal = _preset(1.0, 'fan_in', 'truncated_normal', "LeCun truncated normal: variance 1 / fan_in.")
he_uniform = _preset(2.0, 'fan_in', 'uniform', "He/Kaiming uniform: variance 2 / fan_in.")
he_normal = _preset(2.0, 'fan_in', 'truncated_normal', "He/Kaiming truncated normal: variance 2 / fan_in.")
for _f, _n in ((glorot_uniform, 'glorot_uniform'), (glorot_normal, 'glorot_normal'),
               (lecun_uniform, 'lecun_uniform'), (lecun_normal, 'lecun_normal'),
               (he_uniform, 'he_uniform'), (he_normal, 'he_normal')):
    _f.__name__ = _f.__qualname__ = _n
xavier_uniform, xavier_normal = glorot_uniform, glorot_normal
kaiming_uniform, kaiming_normal = he_uniform, he_normal
