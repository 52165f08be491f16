"""Index helpers: unravel_index, ravel_multi_index, the triangle and diagonal index
generators, fill_diagonal and ix_.

    >>> import pullback.numpy as jnp
    >>> jnp.unravel_index(jnp.array([5, 7]), (3, 4))
    (Array([1, 1], dtype=int32), Array([1, 3], dtype=int32))
"""
import numpy as np

from .. import dtypes
from .. import lax
from .._array import Array
from ._promote import asarray
from ._util import canonical_shape, static_int

__all__ = ['unravel_index', 'ravel_multi_index', 'triu_indices', 'tril_indices',
           'triu_indices_from', 'tril_indices_from', 'diag_indices', 'diag_indices_from',
           'fill_diagonal', 'ix_']


def _int_array(fn, x):
    x = asarray(x)
    if x.dtype.kind not in 'iu':
        raise TypeError(f"{fn}: indices must be integers, got dtype {x.dtype.name}")
    return x


def unravel_index(indices, shape):
    """The coordinates in an array of ``shape`` of the flat (row-major) ``indices``;
    negative indices count from the end, out-of-range ones are clamped."""
    indices = _int_array('unravel_index', indices)
    shape = canonical_shape(shape, 'unravel_index')
    size = int(np.prod(shape, dtype=np.int64))
    i = lax.select_n(lax.lt(indices, 0), indices, lax.add(indices, np.asarray(
        size, indices.dtype)))
    i = lax.min(lax.max(i, np.asarray(0, indices.dtype)), np.asarray(max(size - 1, 0),
                                                                     indices.dtype))
    out = []
    stride = size
    for dim in shape:
        stride //= max(dim, 1)
        coord = lax.div(i, np.asarray(max(stride, 1), i.dtype))
        out.append(lax.rem(coord, np.asarray(max(dim, 1), i.dtype)))
    return tuple(out)


def ravel_multi_index(multi_index, dims, mode='raise', order='C'):
    """Flat indices of the coordinate arrays ``multi_index`` in an array of shape ``dims``
    (``mode``: 'raise' checks concrete inputs, 'clip' clamps, 'wrap' wraps)."""
    dims = canonical_shape(dims, 'ravel_multi_index')
    if len(multi_index) != len(dims):
        raise ValueError(f"ravel_multi_index: {len(multi_index)} index arrays for "
                         f"{len(dims)} dimensions")
    coords = [_int_array('ravel_multi_index', c) for c in multi_index]
    if order not in ('C', 'F'):
        raise ValueError(f"ravel_multi_index: order must be 'C' or 'F', got {order!r}")
    fixed = []
    for c, d in zip(coords, dims):
        if mode == 'clip':
            c = lax.min(lax.max(c, np.asarray(0, c.dtype)), np.asarray(d - 1, c.dtype))
        elif mode == 'wrap':
            r = lax.rem(c, np.asarray(d, c.dtype))
            c = lax.select_n(lax.lt(r, 0), r, lax.add(r, np.asarray(d, c.dtype)))
        elif mode == 'raise':
            if not isinstance(c, Array):
                raise ValueError("ravel_multi_index: mode='raise' needs concrete indices; "
                                 "use mode='clip' or 'wrap' under jit/vmap")
            v = c._value
            if v.size and (v.min() < 0 or v.max() >= d):
                raise ValueError(f"ravel_multi_index: invalid entry in coordinates array "
                                 f"for a dimension of size {d}")
        else:
            raise ValueError(f"ravel_multi_index: mode must be 'raise', 'clip' or 'wrap', "
                             f"got {mode!r}")
        fixed.append(c)
    order_dims = range(len(dims)) if order == 'C' else range(len(dims) - 1, -1, -1)
    out = None
    for k in order_dims:
        c = fixed[k]
        out = c if out is None else lax.add(lax.mul(out, np.asarray(dims[k], c.dtype)), c)
    return out


def _index_pair(rows, cols):
    d = dtypes.default_int_dtype()
    return Array(rows.astype(d)), Array(cols.astype(d))


def triu_indices(n, k=0, m=None):
    """Row and column indices of the upper triangle (from diagonal ``k``) of an n-by-m
    array."""
    n = static_int(n, 'triu_indices', 'n')
    m = n if m is None else static_int(m, 'triu_indices', 'm')
    return _index_pair(*np.triu_indices(n, static_int(k, 'triu_indices', 'k'), m))


def tril_indices(n, k=0, m=None):
    """Row and column indices of the lower triangle (up to diagonal ``k``)."""
    n = static_int(n, 'tril_indices', 'n')
    m = n if m is None else static_int(m, 'tril_indices', 'm')
    return _index_pair(*np.tril_indices(n, static_int(k, 'tril_indices', 'k'), m))


def triu_indices_from(arr, k=0):
    """``triu_indices`` for the shape of the 2-D ``arr``."""
    shape = asarray(arr).shape
    if len(shape) != 2:
        raise ValueError(f"triu_indices_from: arr must be 2-D, got shape {tuple(shape)}")
    return triu_indices(shape[0], k, shape[1])


def tril_indices_from(arr, k=0):
    """``tril_indices`` for the shape of the 2-D ``arr``."""
    shape = asarray(arr).shape
    if len(shape) != 2:
        raise ValueError(f"tril_indices_from: arr must be 2-D, got shape {tuple(shape)}")
    return tril_indices(shape[0], k, shape[1])


def diag_indices(n, ndim=2):
    """Indices of the main diagonal of an n-by-...-by-n array of rank ``ndim``."""
    n = static_int(n, 'diag_indices', 'n')
    idx = Array(np.arange(n, dtype=dtypes.default_int_dtype()))
    return (idx,) * static_int(ndim, 'diag_indices', 'ndim')


def diag_indices_from(arr):
    """``diag_indices`` for ``arr``, whose axes must all have the same length."""
    shape = asarray(arr).shape
    if len(shape) < 2 or len(set(shape)) != 1:
        raise ValueError(f"diag_indices_from: all dimensions of arr must be equal and at "
                         f"least 2, got shape {tuple(shape)}")
    return diag_indices(shape[0], len(shape))


def fill_diagonal(a, val, wrap=False, *, inplace=True):
    """``a`` with its main diagonal set to ``val`` (cycled).  Arrays are immutable, so
    ``inplace=False`` is required and the new array is returned."""
    if inplace:
        raise NotImplementedError("fill_diagonal: pullback arrays are immutable; pass "
                                  "inplace=False and use the returned array")
    a = asarray(a)
    if a.ndim < 2:
        raise ValueError(f"fill_diagonal: array must be at least 2-D, got shape "
                         f"{tuple(a.shape)}")
    if a.ndim > 2 and len(set(a.shape)) != 1:
        raise ValueError(f"fill_diagonal: all dimensions of an array of rank > 2 must be "
                         f"equal, got shape {tuple(a.shape)}")
    if a.ndim == 2 and wrap and a.shape[0] > a.shape[1]:
        # NumPy's wrap: the diagonal restarts every n + 1 rows of a tall matrix
        rows = np.arange(0, a.shape[0])
        keep = (rows % (a.shape[1] + 1)) < a.shape[1]
        rows = rows[keep]
        cols = (rows % (a.shape[1] + 1))
    else:
        count = min(a.shape)
        rows = cols = np.arange(count)
    n = len(rows)
    val = lax.convert_element_type(asarray(val), a.dtype)
    from ._shape import ravel, resize
    values = resize(ravel(val), (n,)) if val.ndim else val
    idx = (Array(rows.astype(np.int32)),) + (Array(cols.astype(np.int32)),) * (a.ndim - 1)
    return lax.index_update(a, idx, values)


def ix_(*args):
    """Open mesh from 1-D sequences: ``a[ix_(rows, cols)]`` selects a sub-matrix."""
    n = len(args)
    out = []
    for k, x in enumerate(args):
        x = asarray(x)
        if x.ndim != 1:
            raise ValueError(f"ix_: arguments must be 1-D, got shape {tuple(x.shape)} for "
                             f"argument {k}")
        if x.dtype.kind == 'b':
            x = Array(np.nonzero(np.asarray(x))[0].astype(dtypes.default_int_dtype()))
        out.append(lax.reshape(x, (1,) * k + (x.shape[0],) + (1,) * (n - k - 1)))
    return tuple(out)
