"""Helpers the ``pullback.numpy`` modules share: axis normalisation with clear errors,
static-value checks, and weak-type bookkeeping."""
import operator

import numpy as np

from .. import dtypes
from .. import lax
from .._array import Array
from .._core.core import Tracer, concrete_or_error
from .._core.errors import ConcretizationTypeError
from ._promote import asarray


def canonicalize_axis(axis, ndim, fn):
    """``axis`` as a non-negative int, or an AxisError naming ``fn`` and the rank."""
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{fn}: axis must be an integer, got {axis!r} of type "
                        f"{type(axis).__name__}") from None
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(
            f"{fn}: axis {axis} is out of bounds for an array of rank {ndim}")
    return axis % ndim


def canonicalize_axes(axis, ndim, fn):
    """``axis`` (None, int or sequence) as a sorted tuple of distinct non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = tuple(canonicalize_axis(a, ndim, fn) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f"{fn}: repeated axis in {tuple(axis)}")
        return tuple(sorted(axes))
    return (canonicalize_axis(axis, ndim, fn),)


def static_int(x, fn, name):
    """A Python int from a value that must be known while tracing (sizes, counts)."""
    if isinstance(x, Tracer):
        x = concrete_value(x, fn, f": {name} sets a size, so it must be a concrete (static) "
                                  f"integer")
    try:
        return operator.index(x)
    except TypeError:
        if isinstance(x, (Array, np.ndarray, np.generic)) and np.ndim(x) == 0:
            return int(x)
        raise TypeError(f"{fn}: {name} must be an integer, got {x!r}") from None


def canonical_shape(shape, fn='shape'):
    """A tuple of ints from an int or a sequence of ints (each may be a 0-d array)."""
    if isinstance(shape, (int, np.integer)) or (hasattr(shape, 'ndim') and shape.ndim == 0):
        shape = (shape,)
    try:
        out = tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(f"{fn}: shape must be an int or a sequence of ints, got "
                        f"{shape!r}") from None
    for s in out:
        if s < 0:
            raise ValueError(f"{fn}: negative dimensions are not allowed, got shape {out}")
    return out


def is_weak(x):
    return dtypes.is_weakly_typed(x)


def strong(x):
    """``x`` without its weak type (reductions return strong arrays, as in JAX)."""
    if type(x) is Array:
        if x.weak_type:
            return lax.convert_element_type(x, x.dtype, False)
        return x
    if is_weak(x):
        return lax.convert_element_type(x, x.dtype, False)
    return x


def astype_keep_weak(x, dtype, weak):
    """``x`` converted to ``dtype`` with weak type ``weak`` (a no-op when both match)."""
    return lax.convert_element_type(x, dtype, weak)


def is_concrete(x):
    return not isinstance(x, Tracer)


def concrete_value(x, fn, hint=''):
    """The NumPy value of ``x``.  A tracer without one (under ``jit``, ``vmap``, ...) raises
    a ConcretizationTypeError naming ``fn``, with ``hint`` (what to do instead) up front."""
    if isinstance(x, Tracer):
        try:
            concrete_or_error(x, fn)
        except ConcretizationTypeError as e:
            if hint:
                first, _, rest = e.args[0].partition('\n')
                e.args = (f"{first}\n{fn}{hint}.\n{rest}",)
            raise
        return np.asarray(x)
    if type(x) is Array:
        return x._value
    return np.asarray(x)


def ensure_arrays(*args):
    return [asarray(a) for a in args]


def zeros_for(x, dtype=None):
    """A scalar zero of ``x``'s dtype (weak, so it never changes a result's type)."""
    d = np.dtype(dtype or x.dtype)
    return Array(np.zeros((), d), True) if d.kind != 'b' else Array(np.zeros((), d))


def scalar_of(value, dtype, weak=True):
    """A 0-d Array holding ``value`` in ``dtype`` (weak by default, so it adopts nothing)."""
    return Array(np.asarray(value, dtype), weak and np.dtype(dtype).kind != 'b')
