"""Scalar types (``jnp.float32`` & co), constants and the dtype helpers of ``jax.numpy``.

``jnp.float32`` is both a dtype and a constructor: ``np.dtype(jnp.float32)`` is float32,
``x.astype(jnp.float32)`` converts, and ``jnp.float32(1.0)`` returns a *strong* 0-d Array.

    >>> import pullback.numpy as jnp
    >>> jnp.float32(1.5)
    Array(1.5, dtype=float32)
    >>> np.dtype(jnp.int32)
    dtype('int32')
"""
import numpy as np

from .. import dtypes
from .._array import Array
from .._core.core import Tracer
from ._promote import asarray

__all__ = [
    'ndarray', 'bool_', 'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
    'float16', 'float32', 'float64', 'complex64', 'complex128', 'int_', 'uint', 'float_',
    'complex_', 'single', 'double', 'csingle', 'cdouble', 'intc', 'half',
    'generic', 'number', 'inexact', 'floating', 'complexfloating', 'integer',
    'signedinteger', 'unsignedinteger', 'character', 'flexible', 'object_',
    'pi', 'e', 'euler_gamma', 'inf', 'nan', 'newaxis',
    'dtype', 'promote_types', 'result_type', 'finfo', 'iinfo', 'issubdtype', 'can_cast',
    'isdtype', 'iscomplexobj', 'isrealobj', 'isscalar', 'ndim', 'shape', 'size',
]


class _ScalarMeta(type):
    """Metaclass of the scalar types: calling one builds a strong Array of that dtype, and
    the class compares and hashes like the NumPy scalar type it stands for."""

    def __call__(cls, x=0):
        # x64 off: float64(1.0) is a float32 Array, as in JAX
        return asarray(x, dtype=cls.dtype)

    def __eq__(cls, other):
        return cls is other or cls.dtype.type == other

    def __ne__(cls, other):
        return not cls.__eq__(other)

    def __hash__(cls):
        return hash(cls.dtype.type)

    def __instancecheck__(cls, instance):
        return isinstance(instance, cls.dtype.type)

    def __repr__(cls):
        return f"<class 'pullback.numpy.{cls.__name__}'>"


class _ArrayMeta(type):
    def __instancecheck__(cls, obj):
        return type(obj) is Array or isinstance(obj, Tracer)


class ndarray(metaclass=_ArrayMeta):
    """The array type for ``isinstance`` checks: true for Arrays and for the traced values
    that stand in for them inside transformations (as ``jax.numpy.ndarray``).

    >>> isinstance(jnp.ones(2), jnp.ndarray)
    True
    """

    def __new__(cls, *args, **kwargs):
        raise TypeError("pullback.numpy.ndarray cannot be instantiated; use "
                        "pullback.numpy.array or asarray")


def _scalar_type(np_type, name=None):
    name = name or np.dtype(np_type).name
    # ``dtype`` as a class attribute is what ``np.dtype(jnp.float32)`` reads
    return _ScalarMeta(name, (object,), {'dtype': np.dtype(np_type),
                                         '__doc__': f"The {name} scalar type: "
                                                    f"``{name}(x)`` is a strong {name} Array."})


bool_ = _scalar_type(np.bool_, 'bool')
bool = bool_  # noqa: A001 (jnp.bool is the NumPy 2 spelling)
int8 = _scalar_type(np.int8)
int16 = _scalar_type(np.int16)
int32 = _scalar_type(np.int32)
int64 = _scalar_type(np.int64)
uint8 = _scalar_type(np.uint8)
uint16 = _scalar_type(np.uint16)
uint32 = _scalar_type(np.uint32)
uint64 = _scalar_type(np.uint64)
float16 = _scalar_type(np.float16)
float32 = _scalar_type(np.float32)
float64 = _scalar_type(np.float64)
complex64 = _scalar_type(np.complex64)
complex128 = _scalar_type(np.complex128)
int_, uint, float_, complex_ = int64, uint64, float64, complex128
single, double, csingle, cdouble = float32, float64, complex64, complex128
intc, half = int32, float16

# The abstract hierarchy is NumPy's own, so issubdtype(x.dtype, jnp.floating) just works.
generic, number, inexact, floating = np.generic, np.number, np.inexact, np.floating
complexfloating, integer = np.complexfloating, np.integer
signedinteger, unsignedinteger = np.signedinteger, np.unsignedinteger
character, flexible, object_ = np.character, np.flexible, np.object_

pi = np.pi
e = np.e
euler_gamma = np.euler_gamma
inf = np.inf
nan = np.nan
newaxis = None


def dtype(obj, align=False, copy=False):
    """``np.dtype`` of ``obj`` (a dtype, a scalar type such as ``jnp.float32``, or a name).

    >>> dtype('float32')
    dtype('float32')
    """
    return np.dtype(obj, align=align, copy=copy)


def promote_types(a, b):
    """The dtype JAX's promotion lattice gives ``a`` and ``b`` (no canonicalisation).

    >>> promote_types(jnp.int8, jnp.float16)
    dtype('float16')
    """
    return dtypes.promote_types(np.dtype(a), np.dtype(b))


def result_type(*args):
    """The canonical dtype of an operation on ``args`` (arrays, scalars or dtypes).

    >>> result_type(jnp.int32, 1.0)
    dtype('float32')
    """
    return dtypes.result_type(*[_as_dtype_if_type(a) for a in args])


def _as_dtype_if_type(a):
    return a.dtype if isinstance(a, _ScalarMeta) else a


def finfo(dtype_like):
    """Machine limits of a floating dtype (``finfo(jnp.float32).eps``)."""
    return np.finfo(_dtype_of(dtype_like))


def iinfo(dtype_like):
    """Machine limits of an integer dtype (``iinfo(jnp.int32).max``)."""
    return np.iinfo(_dtype_of(dtype_like))


def _dtype_of(x):
    if hasattr(x, 'dtype') and not isinstance(x, (np.dtype, type)):
        return np.dtype(x.dtype)
    return np.dtype(x)


def issubdtype(arg1, arg2):
    """``np.issubdtype`` that also accepts pullback scalar types.

    >>> issubdtype(jnp.float32, jnp.floating)
    True
    """
    return dtypes.issubdtype(_as_dtype_if_type(arg1), _as_dtype_if_type(arg2))


def can_cast(from_, to, casting='safe'):
    """Whether ``from_`` can be cast to ``to`` under NumPy's ``casting`` rule."""
    if hasattr(from_, 'dtype') and not isinstance(from_, type):
        from_ = from_.dtype
    return np.can_cast(np.dtype(_as_dtype_if_type(from_)), np.dtype(_as_dtype_if_type(to)),
                       casting)


_KIND_NAMES = {
    'bool': 'b', 'signed integer': 'i', 'unsigned integer': 'u', 'integral': 'iu',
    'real floating': 'f', 'complex floating': 'c', 'numeric': 'iufc',
}


def isdtype(dtype_, kind):
    """Array-API ``isdtype``: ``kind`` is a dtype, a kind name ('real floating', 'integral',
    'numeric', ...) or a tuple of them."""
    d = np.dtype(_as_dtype_if_type(dtype_))
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if isinstance(k, str):
            if k not in _KIND_NAMES:
                raise ValueError(f"isdtype: unknown kind {k!r}; expected one of "
                                 f"{sorted(_KIND_NAMES)}")
            if d.kind in _KIND_NAMES[k]:
                return True
        elif d == np.dtype(_as_dtype_if_type(k)):
            return True
    return False


def iscomplexobj(x):
    """Whether ``x`` has a complex dtype (no conversion of its values)."""
    if x is None:
        return False
    d = getattr(x, 'dtype', None)
    if d is None:
        d = dtypes.dtype_and_weak(x)[0] if not isinstance(x, (list, tuple)) else \
            asarray(x).dtype
    return np.dtype(d).kind == 'c'


def isrealobj(x):
    """True unless ``x`` has a complex dtype: ``jnp.isrealobj(1.)`` is ``True``."""
    return not iscomplexobj(x)


def isscalar(element):
    """True for Python and NumPy scalars and for 0-d arrays (as in JAX)."""
    if isinstance(element, (np.generic, int, float, complex, type(True))):
        return True
    return getattr(element, 'ndim', None) == 0 and hasattr(element, 'aval')


def ndim(a):
    """Number of dimensions of ``a`` (arrays, tracers, scalars, nested lists)."""
    return len(shape(a))


def shape(a):
    """Shape of ``a`` (arrays, tracers, scalars, nested lists)."""
    s = getattr(a, 'shape', None)
    return tuple(s) if s is not None else np.shape(a)


def size(a, axis=None):
    """Number of elements of ``a`` (along ``axis`` if given)."""
    s = shape(a)
    if axis is None:
        return int(np.prod(s, dtype=np.int64))
    return s[axis]
