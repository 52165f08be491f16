"""Turning inputs into arrays and promoting them with JAX's rules.

``pullback.numpy`` never looks at traces: it only calls ``pullback.lax`` functions, so every
function here works under every transformation with no extra code.
"""
import numpy as np

from .. import dtypes
from .._array import Array
from .._core.core import Tracer
from .. import lax

_PY_SCALARS = (float, int, complex, bool)


def is_arraylike(x):
    return type(x) is Array or isinstance(x, (Tracer, np.ndarray, np.generic) + _PY_SCALARS)


def check_arraylike(fun_name, *args):
    for i, a in enumerate(args):
        if not is_arraylike(a):
            raise TypeError(f"{fun_name} requires ndarray or scalar arguments, got "
                            f"{type(a).__name__} at position {i}.")


def asarray(x, dtype=None):
    """``x`` as an Array or tracer (no copy); lists and tuples are stacked."""
    if type(x) is Array or isinstance(x, Tracer):
        if dtype is not None:
            return lax.convert_element_type(x, dtype)
        return x
    if dtype is not None:
        dtype = dtypes.canonicalize_dtype(dtype)
    if isinstance(x, _PY_SCALARS):
        d, weak = dtypes.dtype_and_weak(x)
        if dtype is not None:
            return Array(np.asarray(x, dtype), False)
        return Array(np.asarray(x, d), weak)
    if isinstance(x, (np.ndarray, np.generic)):
        d = dtype or dtypes.canonicalize_dtype(x.dtype)
        return Array(np.asarray(x, d))
    if isinstance(x, (list, tuple)):
        return _from_sequence(x, dtype)
    if hasattr(x, '__array__'):
        return asarray(np.asarray(x), dtype)
    raise TypeError(f"pullback.numpy.asarray: cannot convert {type(x).__name__} to an array")


def _from_sequence(seq, dtype):
    flat = []

    def walk(s):
        if isinstance(s, (list, tuple)):
            for e in s:
                walk(e)
        else:
            flat.append(s)
    walk(seq)
    if not any(isinstance(e, Tracer) for e in flat):
        vals = [np.asarray(e._value) if type(e) is Array else e for e in _nested_values(seq)]
        arr = np.array(vals if isinstance(seq, (list, tuple)) else seq)
        if dtype is None:
            if flat:
                d = dtypes.result_type(*flat)
            else:
                d = dtypes.default_float_dtype()
        else:
            d = dtype
        return Array(np.asarray(arr, d))
    # some elements are traced: stack them
    from . import _shape
    return _shape.stack([asarray(e) if not isinstance(e, (list, tuple)) else
                         _from_sequence(e, None) for e in seq]).astype(
        dtype or dtypes.result_type(*flat))


def _nested_values(seq):
    return [(_nested_values(e) if isinstance(e, (list, tuple)) else
             (np.asarray(e._value) if type(e) is Array else e)) for e in seq]


def promote_dtypes(*args):
    """Convert ``args`` to their common dtype (Python scalars stay scalars: they are weak and
    adopt the other operands' dtype)."""
    if len(args) == 2:
        # fast paths for the eager hot spots: equal dtypes, and a float array with a
        # Python float or int (which adopts the array's dtype)
        x, y = args
        tx, ty = type(x), type(y)
        if tx is Array and ty is Array:
            if x._value.dtype == y._value.dtype:
                return args
        elif tx is Array and (ty is float or ty is int):
            if x._value.dtype.kind in 'fc':
                return args
        elif ty is Array and (tx is float or tx is int):
            if y._value.dtype.kind in 'fc':
                return args
        elif isinstance(x, Tracer) or isinstance(y, Tracer):
            # under a transformation: the same check on avals
            ax = x.aval if (tx is Array or isinstance(x, Tracer)) else None
            ay = y.aval if (ty is Array or isinstance(y, Tracer)) else None
            if ax is not None and ay is not None:
                if ax.dtype == ay.dtype:
                    return args
            elif ax is not None and (ty is float or ty is int) and ax.dtype.kind in 'fc':
                return args
            elif ay is not None and (tx is float or tx is int) and ay.dtype.kind in 'fc':
                return args
    elif args and type(args[0]) is Array:
        # many arrays of one dtype (concatenating rows, say): nothing to convert
        d = args[0]._dtype
        for a in args:
            if type(a) is not Array or a._dtype is not d:
                break
        else:
            return args
    dtype, weak = dtypes.result_type(*args, return_weak_type_flag=True)
    out = []
    all_scalars = all(isinstance(a, _PY_SCALARS) for a in args)
    for i, a in enumerate(args):
        if isinstance(a, _PY_SCALARS) and not (all_scalars and i == 0) and type(a) is not bool:
            if dtype.kind == 'b' or (type(a) is complex and dtype.kind != 'c'):
                out.append(Array(np.asarray(a, dtype), weak))
            elif type(a) is int and dtype.kind in 'iu':
                out.append(_int_scalar(a, dtype))
            else:
                out.append(a)
            continue
        if not (type(a) is Array or isinstance(a, Tracer)):
            a = asarray(a)
        if a.dtype != dtype:
            a = lax.convert_element_type(a, dtype, weak)
        out.append(a)
    return out


def _int_scalar(a, dtype):
    """A Python int for an integer operation in ``dtype``: it must fit the default int type
    (as in JAX), and wraps around like a conversion if it does not fit ``dtype``."""
    info = np.iinfo(dtype)
    if info.min <= a <= info.max:
        return a
    default = dtypes.default_int_dtype()
    dinfo = np.iinfo(default)
    if not dinfo.min <= a <= dinfo.max:
        raise OverflowError(f"Python int {a} too large to convert to {default.name}")
    return Array(np.asarray(a, default).astype(dtype), True)


def promote_dtypes_inexact(*args):
    """Promote, then turn integer and bool results into the default float type."""
    if len(args) == 1:
        x = args[0]
        if type(x) is Array:
            if x._value.dtype.kind in 'fc':
                return args  # the eager hot spot: sin(x) of a float array
        elif isinstance(x, Tracer) and x.aval.dtype.kind in 'fc':
            return args  # the same under a transformation
    elif len(args) == 2:
        # an inexact array or tracer with a Python float or int, which adopts its dtype
        # (``x / 2``)
        x, y = args
        if type(y) is float or type(y) is int:
            if (type(x) is Array or isinstance(x, Tracer)) and x.dtype.kind in 'fc':
                return args
        elif (type(x) is float or type(x) is int) and \
                (type(y) is Array or isinstance(y, Tracer)) and y.dtype.kind in 'fc':
            return args
    dtype, weak = dtypes.result_type(*args, return_weak_type_flag=True)
    target = dtypes.to_inexact(dtype)
    out = []
    for a in args:
        if isinstance(a, _PY_SCALARS) and type(a) is not bool and not (
                type(a) is complex and target.kind != 'c') and len(args) > 1:
            out.append(a)
            continue
        a = asarray(a)
        if a.dtype != target:
            a = lax.convert_element_type(a, target, weak)
        out.append(a)
    if len(args) > 1 and all(isinstance(o, _PY_SCALARS) for o in out):
        out[0] = Array(np.asarray(out[0], target), weak)  # lax needs one array operand
    return out


def promote_arrays(*args, inexact=False):
    """Like ``promote_dtypes`` (``promote_dtypes_inexact``), but Python scalars become 0-d
    weak Arrays of the common dtype: for functions that use an operand on its own in
    several lax operations (a lone Python scalar has no dtype to keep)."""
    out = (promote_dtypes_inexact if inexact else promote_dtypes)(*args)
    if not any(isinstance(o, _PY_SCALARS) for o in out):
        return out
    dtype = next(o.dtype for o in out if not isinstance(o, _PY_SCALARS))
    weak = dtypes.result_type(*args, return_weak_type_flag=True)[1]
    return [Array(np.asarray(o, dtype), weak) if isinstance(o, _PY_SCALARS) else o
            for o in out]


def promote_dtypes_numeric(*args):
    return promote_dtypes(*args)
