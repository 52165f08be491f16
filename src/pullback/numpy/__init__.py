"""``pullback.numpy``: the NumPy API on pullback arrays, written only on ``pullback.lax``.

    >>> import pullback.numpy as jnp
    >>> jnp.sum(jnp.sin(jnp.arange(3.)) ** 2)
"""
import numpy as _np

from .. import dtypes as _dtypes
from .. import lax as _lax
from .._array import Array as ndarray, _set_numpy_module
from ._promote import asarray as _asarray_impl, promote_dtypes as _promote
from ._math import *  # noqa: F401,F403
from ._creation import *  # noqa: F401,F403
from ._reductions import *  # noqa: F401,F403
from ._shape import *  # noqa: F401,F403
from ._indexing import *  # noqa: F401,F403
from ._linalg_basic import *  # noqa: F401,F403
from . import linalg  # noqa: F401
from ._math import (add, subtract, multiply, true_divide, divide, negative, conjugate,
                    real, imag, power, remainder, floor_divide, divmod, abs, sin, cos, exp)

pi = _np.pi
e = _np.e
inf = _np.inf
nan = _np.nan
newaxis = None

float32 = _np.float32
float64 = _np.float64
int32 = _np.int32
int64 = _np.int64
complex64 = _np.complex64
complex128 = _np.complex128
bool_ = _np.bool_
uint32 = _np.uint32
float16 = _np.float16
dtype = _np.dtype
promote_types = _dtypes.promote_types
result_type = _dtypes.result_type


def asarray(a, dtype=None, order=None, *, copy=None):
    """``a`` as an array (no copy for arrays).  Python scalars give weakly typed arrays."""
    return _asarray_impl(a, dtype)


def array(object, dtype=None, copy=True, order='K', ndmin=0):
    """A new array from ``object`` (nested lists, NumPy arrays, scalars, arrays)."""
    out = _asarray_impl(object, dtype)
    if ndmin and out.ndim < ndmin:
        out = reshape(out, (1,) * (ndmin - out.ndim) + tuple(out.shape))
    return out


def astype(x, dtype):
    return _lax.convert_element_type(_asarray_impl(x), dtype, False)


def reshape(a, shape, order='C'):
    """``a`` with a new shape (one entry may be -1)."""
    a = _asarray_impl(a)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if -1 in shape:
        known = int(_np.prod([s for s in shape if s != -1], dtype=_np.int64))
        shape = tuple(a.size // known if s == -1 else s for s in shape)
    return _lax.reshape(a, shape)


def transpose(a, axes=None):
    a = _asarray_impl(a)
    axes = tuple(reversed(range(a.ndim))) if axes is None else tuple(ax % a.ndim for ax in axes)
    return _lax.transpose(a, axes)


def sum(a, axis=None, dtype=None, keepdims=False):
    a = _asarray_impl(a)
    if a.dtype == _np.bool_:
        a = _lax.convert_element_type(a, _dtypes.default_int_dtype())
    axes = tuple(range(a.ndim)) if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
    axes = tuple(ax % a.ndim for ax in axes) if a.ndim else ()
    out = _lax.reduce_sum(a, axes)
    if keepdims:
        out = reshape(out, tuple(1 if i in axes else s for i, s in enumerate(a.shape)))
    return out


def dot(a, b):
    a, b = _promote(_asarray_impl(a), _asarray_impl(b))
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    contract_b = 0 if b.ndim == 1 else b.ndim - 2
    return _lax.dot_general(a, b, (((a.ndim - 1,), (contract_b,)), ((), ())))


def vdot(a, b):
    a, b = _promote(_asarray_impl(a), _asarray_impl(b))
    return dot(ravel(conjugate(a)), ravel(b))


def ravel(a):
    a = _asarray_impl(a)
    return _lax.reshape(a, (a.size,))


def matmul(a, b):
    return dot(a, b)


_set_numpy_module(__import__(__name__, fromlist=['_']))
