"""Array creation and conversion: array/asarray/astype, constant arrays, ranges, grids and
the matrix builders (eye, diag, tri, tril, triu).

Constant arrays are plain Arrays (constants under every transformation).  Python scalars
give weakly typed results (``jnp.array(3.0)``); lists, NumPy arrays and explicit dtypes
give strong ones, as in JAX.

    >>> import pullback.numpy as jnp
    >>> jnp.linspace(0., 1., 3)
    Array([0. , 0.5, 1. ], dtype=float32)
"""
import numpy as np

from .. import dtypes
from .. import lax
from .._array import Array
from ._promote import asarray as _asarray
from ._util import canonical_shape, static_int, concrete_value

__all__ = [
    'array', 'asarray', 'astype', 'copy', 'zeros', 'ones', 'full', 'empty', 'zeros_like',
    'ones_like', 'full_like', 'empty_like', 'eye', 'identity', 'arange', 'linspace',
    'logspace', 'geomspace', 'meshgrid', 'indices', 'fromfunction', 'diag', 'diagflat',
    'tri', 'tril', 'triu',
]


# --- Conversion ------------------------------------------------------------------------

def asarray(a, dtype=None, order=None, *, copy=None, device=None):
    """``a`` as an array, without copying arrays.  Python scalars give weak arrays.

    >>> asarray(3.0)
    Array(3., dtype=float32, weak_type=True)
    """
    return _asarray(a, _dtype_arg(dtype))


def array(object, dtype=None, copy=True, order='K', ndmin=0, *, device=None):
    """A new array from ``object`` (nested lists and tuples, NumPy arrays, scalars, arrays).

    >>> array([[1, 2], [3, 4]]).dtype
    dtype('int32')
    """
    out = _asarray(object, _dtype_arg(dtype))
    if ndmin and out.ndim < ndmin:
        out = lax.reshape(out, (1,) * (ndmin - out.ndim) + tuple(out.shape))
    return out


def _dtype_arg(dtype):
    # scalar types such as jnp.float32 carry their dtype in an attribute
    return None if dtype is None else np.dtype(dtype)


def astype(x, dtype, /, *, copy=False, device=None):
    """``x`` converted to ``dtype`` (strongly typed).  Conversion to bool tests for
    non-zero, as NumPy does.

    >>> astype(jnp.array([0., 0.5]), bool)
    Array([False,  True], dtype=bool)
    """
    x = _asarray(x)
    dtype = dtypes.canonicalize_dtype(np.dtype(dtype))
    if dtype.kind == 'b' and x.dtype.kind != 'b':
        return lax.ne(x, Array(np.zeros((), x.dtype)))
    return lax.convert_element_type(x, dtype, False)


def copy(a, order=None):
    """A copy of ``a`` (arrays are immutable, so this is ``a`` itself as an array)."""
    return _asarray(a)


# --- Constant arrays -------------------------------------------------------------------

def _default_float():
    return dtypes.default_float_dtype()


def zeros(shape, dtype=None, *, device=None):
    """An array of zeros (float32 by default).

    >>> zeros((2,))
    Array([0., 0.], dtype=float32)
    """
    return lax.full(canonical_shape(shape, 'zeros'), 0, _dtype_arg(dtype) or _default_float())


def ones(shape, dtype=None, *, device=None):
    """An array of ones (float32 by default)."""
    return lax.full(canonical_shape(shape, 'ones'), 1, _dtype_arg(dtype) or _default_float())


def empty(shape, dtype=None, *, device=None):
    """An array of zeros (there is no uninitialised memory to hand out)."""
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None, *, device=None):
    """An array of ``shape`` filled with ``fill_value`` (weak for a Python scalar and no
    ``dtype``); an array ``fill_value`` is broadcast.

    >>> full(2, 3.)
    Array([3., 3.], dtype=float32, weak_type=True)
    """
    shape = canonical_shape(shape, 'full')
    if np.ndim(fill_value):
        from ._shape import broadcast_to
        return broadcast_to(_asarray(fill_value, _dtype_arg(dtype)), shape)
    if dtype is None:
        d, weak = dtypes.result_type(fill_value, return_weak_type_flag=True)
        return lax.full(shape, _scalar_value(fill_value), d, weak)
    return lax.full(shape, _scalar_value(fill_value), np.dtype(dtype))


def _scalar_value(v):
    return v._value if type(v) is Array else v


def _like(name, a, dtype, shape):
    """(shape, dtype, weak) of an array made like ``a``: weak only if ``a`` is and no
    ``dtype`` is given."""
    if dtype is not None:
        d, weak = dtypes.canonicalize_dtype(np.dtype(dtype)), False
    elif isinstance(a, (list, tuple)):
        d, weak = _asarray(a).dtype, False
    else:
        d, weak = dtypes.dtype_and_weak(a)
    # np.shape reads the shape of arrays and tracers without converting them
    s = canonical_shape(shape, name) if shape is not None else tuple(np.shape(a))
    return s, d, weak


def zeros_like(a, dtype=None, shape=None, *, device=None):
    """Zeros with the shape and dtype (and weak type) of ``a``."""
    s, d, weak = _like('zeros_like', a, dtype, shape)
    return lax.full(s, 0, d, weak)


def ones_like(a, dtype=None, shape=None, *, device=None):
    """Ones with the shape and dtype (and weak type) of ``a``."""
    s, d, weak = _like('ones_like', a, dtype, shape)
    return lax.full(s, 1, d, weak)


def empty_like(prototype, dtype=None, shape=None, *, device=None):
    """Zeros like ``prototype``."""
    return zeros_like(prototype, dtype, shape)


def full_like(a, fill_value, dtype=None, shape=None, *, device=None):
    """``fill_value`` with the shape and dtype (and weak type) of ``a``."""
    s, d, weak = _like('full_like', a, dtype, shape)
    if np.ndim(fill_value):
        from ._shape import broadcast_to
        return broadcast_to(lax.convert_element_type(_asarray(fill_value), d, weak), s)
    return lax.full(s, _scalar_value(fill_value), d, weak)


def eye(N, M=None, k=0, dtype=None, *, device=None):
    """A 2-D array with ones on the ``k``-th diagonal.

    >>> eye(2)
    Array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    N = static_int(N, 'eye', 'N')
    M = N if M is None else static_int(M, 'eye', 'M')
    if N < 0 or M < 0:
        raise ValueError(f"eye: negative dimensions are not allowed, got N={N}, M={M}")
    k = static_int(k, 'eye', 'k')
    d = dtypes.canonicalize_dtype(_dtype_arg(dtype) or _default_float())
    return Array(np.eye(N, M, k, dtype=d))


def identity(n, dtype=None):
    """The ``n`` by ``n`` identity matrix."""
    return eye(n, dtype=dtype)


# --- Ranges ----------------------------------------------------------------------------

def arange(start, stop=None, step=None, dtype=None, *, device=None):
    """Evenly spaced values in ``[start, stop)``; the bounds must be concrete.

    >>> arange(3)
    Array([0, 1, 2], dtype=int32)
    >>> arange(0., 1., 0.25)
    Array([0.  , 0.25, 0.5 , 0.75], dtype=float32)
    """
    hint = (": its length depends on the values of start, stop and step, which must be "
            "concrete (use a static argument, or lax.iota for traced offsets)")
    args = [a for a in (start, stop, step) if a is not None]
    vals = [concrete_value(a, 'arange', hint) if not isinstance(a, (int, float)) else a
            for a in args]
    for a, v in zip(args, vals):
        if np.ndim(v) != 0:
            raise TypeError(f"arange: start, stop and step must be scalars, got shape "
                            f"{np.shape(v)}")
        if np.iscomplexobj(v):
            raise TypeError("arange: complex arguments are not supported")
    if dtype is None:
        d = dtypes.result_type(*args)
    else:
        d = dtypes.canonicalize_dtype(np.dtype(dtype))
    vals = [v.item() if hasattr(v, 'item') else v for v in vals]
    if stop is None and step is None:
        return Array(np.arange(vals[0], dtype=d))
    if step is None:
        return Array(np.arange(vals[0], vals[1], dtype=d))
    if stop is None:  # arange(stop, step=s)
        vals = [0] + vals
    if vals[2] == 0:
        raise ValueError("arange: step must not be zero")
    return Array(np.arange(vals[0], vals[1], vals[2], dtype=d))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    """``num`` evenly spaced values from ``start`` to ``stop`` (array bounds give one range
    per element, laid out along ``axis``).  The bounds may be traced.

    >>> linspace(0., 1., 5)
    Array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    num = static_int(num, 'linspace', 'num')
    if num < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative")
    start, stop = _asarray(start), _asarray(stop)
    out_dtype = dtypes.canonicalize_dtype(np.dtype(dtype)) if dtype is not None else \
        dtypes.to_inexact(dtypes.result_type(start, stop))
    comp = out_dtype if out_dtype.kind in 'fc' else _default_float()
    bounds = np.broadcast_shapes(start.shape, stop.shape)
    start = lax.broadcast_to(lax.convert_element_type(start, comp), bounds)
    stop = lax.broadcast_to(lax.convert_element_type(stop, comp), bounds)
    ax = _linspace_axis(axis, len(bounds))
    div = num - 1 if endpoint else num
    real = dtypes.real_dtype(comp)

    def along_axis(x, n):
        # x (bounds-shaped) with a new axis of length n at ``ax``
        shape = bounds[:ax] + (n,) + bounds[ax:]
        return lax.broadcast_in_dim(x, shape, tuple(i for i in range(len(shape)) if i != ax))

    if num == 0:
        out = lax.full(bounds[:ax] + (0,) + bounds[ax:], 0, comp)
    elif div > 0:
        # start * (1 - t) + stop * t recovers both end points exactly in float arithmetic
        t = np.arange(div, dtype=real) / np.asarray(div, real)
        t_shape = [1] * (len(bounds) + 1)
        t_shape[ax] = div
        t = Array(t.reshape(t_shape).astype(comp))
        one_minus_t = Array((1 - np.asarray(t._value)).astype(comp))
        out = lax.add(lax.mul(along_axis(start, div), one_minus_t),
                      lax.mul(along_axis(stop, div), t))
        if endpoint:
            out = lax.concatenate([out, along_axis(stop, 1)], ax)
    else:
        out = along_axis(start, 1)
    if out_dtype.kind in 'iu':
        out = lax.floor(out)
    out = lax.convert_element_type(out, out_dtype)
    if retstep:
        step = lax.div(lax.sub(stop, start), float(div)) if div > 0 else \
            lax.full(bounds, np.nan, comp)
        return out, step
    return out


def _linspace_axis(axis, ndim):
    axis = int(axis)
    if not -(ndim + 1) <= axis <= ndim:
        raise np.exceptions.AxisError(f"linspace: axis {axis} is out of bounds for a result "
                                      f"of rank {ndim + 1}")
    return axis % (ndim + 1)


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """``base ** linspace(start, stop, ...)``."""
    out_dtype = dtypes.canonicalize_dtype(np.dtype(dtype)) if dtype is not None else \
        dtypes.to_inexact(dtypes.result_type(start, stop))
    comp = out_dtype if out_dtype.kind in 'fc' else _default_float()
    lin = linspace(start, stop, num, endpoint=endpoint, dtype=comp, axis=axis)
    base = lax.convert_element_type(_asarray(base), comp)
    if base.ndim:
        from ._shape import expand_dims
        base = expand_dims(base, _linspace_axis(axis, base.ndim))
    out = lax.pow(base, lin)
    if out_dtype.kind in 'iu':
        out = lax.floor(out)
    return lax.convert_element_type(out, out_dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` values spaced evenly on a log scale from ``start`` to ``stop`` (same sign)."""
    from ._math import log10
    out_dtype = dtypes.canonicalize_dtype(np.dtype(dtype)) if dtype is not None else \
        dtypes.to_inexact(dtypes.result_type(start, stop))
    comp = out_dtype if out_dtype.kind in 'fc' else _default_float()
    start = lax.convert_element_type(_asarray(start), comp)
    stop = lax.convert_element_type(_asarray(stop), comp)
    sign = lax.sign(start)
    out = logspace(log10(lax.div(start, sign)), log10(lax.div(stop, sign)), num,
                   endpoint=endpoint, base=10.0, dtype=comp, axis=axis)
    from ._shape import expand_dims
    if sign.ndim:
        sign = expand_dims(sign, _linspace_axis(axis, sign.ndim))
    out = lax.mul(sign, out)
    if out_dtype.kind in 'iu':
        out = lax.floor(out)
    return lax.convert_element_type(out, out_dtype)


def meshgrid(*xi, copy=True, sparse=False, indexing='xy'):
    """Coordinate arrays from 1-D coordinate vectors ('xy': Cartesian, 'ij': matrix
    indexing); ``sparse`` leaves them broadcastable instead of full.

    >>> [g.shape for g in meshgrid(jnp.arange(2), jnp.arange(3))]
    [(3, 2), (3, 2)]
    """
    if indexing not in ('xy', 'ij'):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    args = [_asarray(x) for x in xi]
    for i, x in enumerate(args):
        if x.ndim != 1:
            raise ValueError(f"meshgrid: arguments must be 1-D, got shape {x.shape} for "
                             f"argument {i}")
    n = len(args)
    shape = [x.size for x in args]
    if indexing == 'xy' and n >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, x in enumerate(args):
        dim = i
        if indexing == 'xy' and n >= 2 and i < 2:
            dim = 1 - i
        if sparse:
            s = [1] * n
            s[dim] = x.size
            out.append(lax.reshape(x, tuple(s)))
        else:
            out.append(lax.broadcast_in_dim(x, tuple(shape), (dim,)))
    return out


def indices(dimensions, dtype=None, sparse=False):
    """Index grids: ``out[k][i0, i1, ...] = ik`` for an array of shape ``dimensions``."""
    dims = canonical_shape(dimensions, 'indices')
    d = dtypes.canonicalize_dtype(np.dtype(dtype)) if dtype is not None else \
        dtypes.default_int_dtype()
    grids = np.indices(dims, dtype=d, sparse=sparse)
    if sparse:
        return tuple(Array(g) for g in grids)
    return Array(grids)


def fromfunction(function, shape, *, dtype=float, **kwargs):
    """``function(*indices(shape))``: the function is called once, on index arrays."""
    d = dtypes.canonicalize_dtype(np.dtype(dtype))
    grids = [Array(g.astype(d)) for g in np.indices(canonical_shape(shape, 'fromfunction'))]
    return function(*grids, **kwargs)


# --- Matrices --------------------------------------------------------------------------

def diag(v, k=0):
    """The ``k``-th diagonal of a 2-D array, or a 2-D array with 1-D ``v`` on it.

    >>> diag(jnp.array([1, 2]))
    Array([[1, 0],
           [0, 2]], dtype=int32)
    """
    v = _asarray(v)
    k = static_int(k, 'diag', 'k')
    if v.ndim == 2:
        from ._linalg_basic import diagonal
        return diagonal(v, offset=k)
    if v.ndim != 1:
        raise ValueError(f"diag: the input must be 1-D or 2-D, got shape {v.shape}")
    n = v.shape[0] + abs(k)
    # the diagonal's values, lined up with the rows they land in
    rows = lax.pad(v, Array(np.zeros((), v.dtype)), [(max(-k, 0), max(k, 0), 0)])
    mask = Array(np.eye(n, k=k, dtype=bool))
    return lax.select_n(mask, _zero(v), lax.broadcast_in_dim(rows, (n, n), (0,)))


def _zero(x):
    return Array(np.zeros((), x.dtype), dtypes.is_weakly_typed(x))


def diagflat(v, k=0):
    """A 2-D array with the flattened ``v`` on the ``k``-th diagonal."""
    v = _asarray(v)
    return diag(lax.reshape(v, (v.size,)), k)


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the ``k``-th diagonal, zeros elsewhere."""
    N = static_int(N, 'tri', 'N')
    M = N if M is None else static_int(M, 'tri', 'M')
    d = dtypes.canonicalize_dtype(_dtype_arg(dtype) or _default_float())
    return Array(np.tri(N, M, static_int(k, 'tri', 'k'), dtype=d))


def _triangle(name, m, k, lower):
    m = _asarray(m)
    k = static_int(k, name, 'k')
    if m.ndim < 1:
        raise ValueError(f"{name}: the input must be at least 1-D, got a scalar")
    if m.ndim == 1:
        m = lax.broadcast_in_dim(m, (m.shape[0], m.shape[0]), (1,))
    N, M = m.shape[-2:]
    keep = np.tri(N, M, k, dtype=bool) if lower else ~np.tri(N, M, k - 1, dtype=bool)
    return lax.select_n(Array(keep), _zero(m), m)


def tril(m, k=0):
    """``m`` with the elements above the ``k``-th diagonal zeroed (last two axes)."""
    return _triangle('tril', m, k, lower=True)


def triu(m, k=0):
    """``m`` with the elements below the ``k``-th diagonal zeroed (last two axes)."""
    return _triangle('triu', m, k, lower=False)
