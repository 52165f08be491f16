"""dtypes: canonicalisation, weak types and JAX's type-promotion lattice.

Without ``jax_enable_x64`` every 64-bit request becomes 32-bit (float32 / int32 /
complex64).  Python scalars are *weakly typed*: ``x + 1.0`` keeps ``x``'s float16 or
float32 instead of widening, because the scalar only says "some float".  Promotion is the
least upper bound in JAX's lattice, not NumPy's value-based rules.

    >>> from pullback import dtypes
    >>> dtypes.result_type(np.int32, 1.0, return_weak_type_flag=True)
    (dtype('float32'), True)
"""
import numpy as np

from .config import config

float0 = np.dtype([('float0', np.void, 0)])  # the tangent dtype of integer and bool values

bool_ = np.dtype(np.bool_)
_INT_TYPES = [np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64)]
_UINT_TYPES = [np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64)]
_FLOAT_TYPES = [np.dtype(t) for t in (np.float16, np.float32, np.float64)]
_COMPLEX_TYPES = [np.dtype(t) for t in (np.complex64, np.complex128)]

_TO_32 = {np.dtype(np.int64): np.dtype(np.int32), np.dtype(np.uint64): np.dtype(np.uint32),
          np.dtype(np.float64): np.dtype(np.float32),
          np.dtype(np.complex128): np.dtype(np.complex64)}


def x64_enabled():
    return config._values['jax_enable_x64']


def canonicalize_dtype(dtype):
    """The dtype pullback actually uses for ``dtype`` (64-bit becomes 32-bit without x64).

    >>> canonicalize_dtype(np.float64)
    dtype('float32')
    """
    dtype = np.dtype(dtype)
    if dtype == float0:
        return dtype
    if not config._values['jax_enable_x64']:
        return _TO_32.get(dtype, dtype)
    return dtype


def default_int_dtype():
    return np.dtype(np.int64) if x64_enabled() else np.dtype(np.int32)


def default_float_dtype():
    return np.dtype(np.float64) if x64_enabled() else np.dtype(np.float32)


def default_complex_dtype():
    return np.dtype(np.complex128) if x64_enabled() else np.dtype(np.complex64)


# --- The lattice -------------------------------------------------------------------------
# Nodes are strong NumPy dtypes plus the three weak kinds 'i*', 'f*', 'c*'.  Edges point to
# the types directly above; the least upper bound of two nodes is the promoted type.

def _lattice_edges(x64):
    i8, i16, i32, i64 = _INT_TYPES
    u8, u16, u32, u64 = _UINT_TYPES
    f16, f32, f64 = _FLOAT_TYPES
    c64, c128 = _COMPLEX_TYPES
    return {
        bool_: ['i*'],
        'i*': [u8, i8],
        u8: [i16, u16], u16: [i32, u32],
        # Without x64 there is no int64 to hold every uint32, so JAX puts int32 above it.
        u32: [i64, u64] if x64 else [i32, u64],
        u64: ['f*'],
        i8: [i16], i16: [i32], i32: [i64], i64: ['f*'],
        'f*': [f16, 'c*'], f16: [f32], f32: [f64, c64], f64: [c128],
        'c*': [c64], c64: [c128], c128: [],
    }


def _upper_sets(edges):
    ups = {}

    def up(node):
        if node not in ups:
            s = {node}
            for parent in edges[node]:
                s |= up(parent)
            ups[node] = s
        return ups[node]
    for n in edges:
        up(n)
    return ups


def _build_table(x64):
    edges = _lattice_edges(x64)
    ups = _upper_sets(edges)
    table = {}
    for a in edges:
        for b in edges:
            common = ups[a] & ups[b]
            # the least element of the common upper bounds is the one below all others
            least = [n for n in common if all(m in ups[n] for m in common)]
            table[a, b] = least[0]
    return table


_TABLES = {True: _build_table(True), False: _build_table(False)}
_WEAK_DEFAULT = {'i*': default_int_dtype, 'f*': default_float_dtype, 'c*': default_complex_dtype}


def _lattice_key(dtype, weak):
    if weak:
        k = dtype.kind
        return 'i*' if k in 'iu' else 'f*' if k == 'f' else 'c*' if k == 'c' else dtype
    return dtype


def promote_types(a, b):
    """The type of an operation between values of dtypes ``a`` and ``b`` (JAX's lattice).

    >>> promote_types(np.int8, np.float16)
    dtype('float16')
    """
    a, b = np.dtype(a), np.dtype(b)
    return _TABLES[x64_enabled()][a, b]


def dtype_and_weak(x):
    """(dtype, weak_type) of a value: Array, tracer, NumPy value, Python scalar or dtype."""
    t = type(x)
    if t is float:
        return default_float_dtype(), True
    if t is int:
        return default_int_dtype(), True
    if t is bool:
        return bool_, False
    if t is complex:
        return default_complex_dtype(), True
    if isinstance(x, (np.dtype, type, str)):
        return canonicalize_dtype(np.dtype(x)), False
    aval = getattr(x, 'aval', None)
    if aval is not None and hasattr(aval, 'weak_type'):
        return aval.dtype, aval.weak_type
    if isinstance(x, (np.ndarray, np.generic)):
        return canonicalize_dtype(x.dtype), False
    if hasattr(x, 'dtype') and hasattr(x, 'weak_type'):
        return x.dtype, x.weak_type
    if hasattr(x, 'dtype'):
        return canonicalize_dtype(x.dtype), False
    try:
        return canonicalize_dtype(np.dtype(x)), False
    except TypeError:
        pass
    if isinstance(x, (list, tuple)):
        return canonicalize_dtype(np.asarray(x).dtype), False
    raise TypeError(f"result_type: cannot interpret {x!r} of type {type(x).__name__} "
                    f"as a dtype or array")


def result_type(*args, return_weak_type_flag=False):
    """The canonical promoted dtype of ``args`` (values or dtypes), as ``jnp.result_type``.

    >>> result_type(np.float32, 2.0)
    dtype('float32')
    """
    if not args:
        raise ValueError("result_type: at least one array or dtype is required")
    table = _TABLES[x64_enabled()]
    key = None
    for x in args:
        d, w = dtype_and_weak(x)
        k = _lattice_key(d, w)
        key = k if key is None else table[key, k]
    weak = isinstance(key, str)
    dtype = _WEAK_DEFAULT[key]() if weak else canonicalize_dtype(key)
    return (dtype, weak) if return_weak_type_flag else dtype


def is_weakly_typed(x):
    return dtype_and_weak(x)[1]


def issubdtype(a, b):
    if a is float0 or b is float0:
        return np.dtype(a) == np.dtype(b)
    return np.issubdtype(a, b)


def is_float(dtype):
    return np.dtype(dtype).kind == 'f'


def is_inexact(dtype):
    return np.dtype(dtype).kind in 'fc'


def is_complex(dtype):
    return np.dtype(dtype).kind == 'c'


def to_inexact(dtype):
    """The float (or complex) dtype an integer ``dtype`` becomes in ``jnp.sin`` and friends."""
    dtype = np.dtype(dtype)
    if dtype.kind in 'fc':
        return dtype
    return default_float_dtype()


def real_dtype(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == 'c':
        return np.dtype(np.float32) if dtype == np.complex64 else np.dtype(np.float64)
    return dtype


def complex_dtype(dtype):
    dtype = np.dtype(dtype)
    if dtype == np.float64 or dtype == np.complex128:
        return np.dtype(np.complex128)
    return np.dtype(np.complex64)


def tangent_dtype(dtype):
    """Tangents of int/bool values are float0; inexact values keep their dtype."""
    dtype = np.dtype(dtype)
    return dtype if dtype.kind in 'fc' else float0


def short_name(dtype):
    """``f32``, ``i32``, ``u8``, ``bool``, ``c64``, ``float0``: the jaxpr printer's names."""
    dtype = np.dtype(dtype)
    if dtype == float0:
        return 'float0'
    if dtype == bool_:
        return 'bool'
    return {'f': 'f', 'i': 'i', 'u': 'u', 'c': 'c'}[dtype.kind] + str(dtype.itemsize * 8)


finfo = np.finfo
iinfo = np.iinfo
