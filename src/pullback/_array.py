"""The ``Array`` type: an immutable NumPy array plus a weak-type flag.

Operators and methods are shared with tracers through ``ArrayOps``; they all call
``pullback.numpy`` functions, so an expression such as ``x @ w + b`` means the same thing on
concrete arrays and inside every transformation.

    >>> import pullback.numpy as jnp
    >>> jnp.array([1., 2.]) * 2
    Array([2., 4.], dtype=float32)
"""
import numpy as np

from ._core.avals import ShapedArray

# ``pullback.numpy`` registers itself here when it is imported; this module sits below it.
_jnp = None


def _set_numpy_module(module):
    """Called by ``pullback.numpy`` once imported; the plain operators then call its
    functions directly (``x + y`` is ``jnp.add(x, y)`` with no lookup in between)."""
    global _jnp
    _jnp = module
    for dunder, name in _DIRECT_OPS.items():
        fn = getattr(module, name)
        setattr(ArrayOps, dunder, fn)
        # a concrete-Array version where the function has one (it skips a type test)
        if hasattr(fn, 'array_method'):
            setattr(Array, dunder, fn.array_method)


def _binop(name, reflected=False):
    if reflected:
        def op(self, other):
            return getattr(_jnp, name)(other, self)
    else:
        def op(self, other):
            return getattr(_jnp, name)(self, other)
    op.__name__ = f"__{'r' if reflected else ''}{name}__"
    return op


def _unop(name):
    def op(self):
        return getattr(_jnp, name)(self)
    return op


def _method(name):
    def method(self, *args, **kwargs):
        return getattr(_jnp, name)(self, *args, **kwargs)
    method.__name__ = name
    method.__doc__ = f"Same as ``pullback.numpy.{name}(self, ...)``."
    return method


# Operators that are exactly ``jnp.<name>(self, other)`` (or ``jnp.<name>(self)``).
_DIRECT_OPS = {'__add__': 'add', '__sub__': 'subtract', '__mul__': 'multiply',
               '__truediv__': 'true_divide', '__matmul__': 'matmul', '__neg__': 'negative',
               '__lt__': 'less', '__le__': 'less_equal', '__gt__': 'greater',
               '__ge__': 'greater_equal'}


class ArrayOps:
    """Operators and methods common to ``Array`` and every ``Tracer``."""
    __slots__ = ()
    __array_priority__ = 100  # so that ndarray + Array defers to Array.__radd__

    __add__, __radd__ = _binop('add'), _binop('add', True)
    __sub__, __rsub__ = _binop('subtract'), _binop('subtract', True)
    __mul__, __rmul__ = _binop('multiply'), _binop('multiply', True)
    __truediv__, __rtruediv__ = _binop('true_divide'), _binop('true_divide', True)
    __floordiv__, __rfloordiv__ = _binop('floor_divide'), _binop('floor_divide', True)
    __mod__, __rmod__ = _binop('remainder'), _binop('remainder', True)
    __pow__, __rpow__ = _binop('power'), _binop('power', True)
    __matmul__, __rmatmul__ = _binop('matmul'), _binop('matmul', True)
    __and__, __rand__ = _binop('bitwise_and'), _binop('bitwise_and', True)
    __or__, __ror__ = _binop('bitwise_or'), _binop('bitwise_or', True)
    __xor__, __rxor__ = _binop('bitwise_xor'), _binop('bitwise_xor', True)
    __lshift__, __rlshift__ = _binop('left_shift'), _binop('left_shift', True)
    __rshift__, __rrshift__ = _binop('right_shift'), _binop('right_shift', True)
    __divmod__ = _binop('divmod')
    __lt__, __le__ = _binop('less'), _binop('less_equal')
    __gt__, __ge__ = _binop('greater'), _binop('greater_equal')
    __eq__, __ne__ = _binop('equal'), _binop('not_equal')
    __neg__, __pos__, __abs__ = _unop('negative'), _unop('positive'), _unop('abs')
    __invert__ = _unop('invert')

    __hash__ = None  # arrays compare elementwise, so they cannot be dict keys

    sum = _method('sum'); mean = _method('mean'); max = _method('max'); min = _method('min')
    prod = _method('prod'); argmax = _method('argmax'); argmin = _method('argmin')
    var = _method('var'); std = _method('std'); any = _method('any'); all = _method('all')
    cumsum = _method('cumsum'); cumprod = _method('cumprod'); clip = _method('clip')
    round = _method('round'); conj = _method('conj'); conjugate = _method('conjugate')
    squeeze = _method('squeeze'); ravel = _method('ravel'); swapaxes = _method('swapaxes')
    dot = _method('dot'); trace = _method('trace'); nonzero = _method('nonzero')
    sort = _method('sort'); argsort = _method('argsort'); repeat = _method('repeat')
    take = _method('take'); diagonal = _method('diagonal')

    def reshape(self, *shape, order='C'):
        """``x.reshape(2, 3)`` or ``x.reshape((2, 3))``."""
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        return _jnp.reshape(self, shape, order=order)

    def transpose(self, *axes):
        """``x.transpose()``, ``x.transpose(1, 0)`` or ``x.transpose((1, 0))``."""
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = axes[0]
        return _jnp.transpose(self, axes or None)

    def flatten(self):
        return _jnp.ravel(self)

    def astype(self, dtype):
        """A copy converted to ``dtype`` (a strong type)."""
        return _jnp.astype(self, dtype)

    @property
    def T(self):
        return _jnp.transpose(self)

    @property
    def mT(self):
        return _jnp.swapaxes(self, -1, -2)

    @property
    def real(self):
        return _jnp.real(self)

    @property
    def imag(self):
        return _jnp.imag(self)

    @property
    def at(self):
        """Functional updates: ``x.at[idx].set(v)``, ``.add``, ``.multiply``, ``.min``, ``.max``,
        ``.get``."""
        return _jnp._IndexUpdateHelper(self)

    def __getitem__(self, idx):
        return _jnp._getitem(self, idx)

    def __len__(self):
        shape = self.shape
        if not shape:
            raise TypeError("len() of unsized object")
        return shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __array_namespace__(self, api_version=None):
        return _jnp


def _format_repr(value, dtype, weak_type):
    dtype_str = f"dtype={dtype.name}" + (", weak_type=True" if weak_type else "")
    if value.size == 0 and value.ndim > 0:
        return f"Array([], shape={value.shape}, {dtype_str})"
    line_width = np.get_printoptions()['linewidth']
    s = np.array2string(np.asarray(value), prefix='Array(', suffix=',', separator=', ',
                        max_line_width=line_width)
    last_line_len = len(s) - s.rfind('\n') + 1
    sep = ' '
    if last_line_len + len(dtype_str) + 2 > line_width:
        sep = ' ' * len('Array(')
    return f"Array({s},{sep}{dtype_str})"


class Array(ArrayOps):
    """An immutable array: the concrete value every pullback function returns.

    >>> x = Array(np.arange(3, dtype=np.float32))
    >>> x.shape, x.dtype
    ((3,), dtype('float32'))
    """
    # ``_dtype`` is ``_value.dtype``, kept because every dispatch and jit cache key reads it
    # (a slot is faster than ndarray's attribute); None when a primitive's impl handed back
    # a Python scalar.  Hot paths that know the dtype build Arrays with
    # ``object.__new__(Array)`` and set the three slots themselves.
    __slots__ = ('_value', '_dtype', 'weak_type')

    def __init__(self, value, weak_type=False):
        self._value = value
        self._dtype = getattr(value, 'dtype', None)
        self.weak_type = weak_type

    @property
    def shape(self):
        return self._value.shape

    @property
    def dtype(self):
        d = self._dtype
        return self._value.dtype if d is None else d

    @property
    def ndim(self):
        return self._value.ndim

    @property
    def size(self):
        return self._value.size

    @property
    def aval(self):
        return ShapedArray.of_value(self._value, self.weak_type)

    def block_until_ready(self):
        """Arrays are computed eagerly; returns ``self`` (for JAX compatibility)."""
        return self

    def copy(self):
        return Array(np.array(self._value), self.weak_type)

    def item(self, *args):
        return self._value.item(*args)

    def tolist(self):
        return np.asarray(self._value).tolist()

    def __array__(self, dtype=None, copy=None):
        v = np.asarray(self._value)
        if dtype is not None and v.dtype != dtype:
            return v.astype(dtype)
        if copy:
            return v.copy()
        return v

    def __bool__(self):
        return bool(self._value)

    def __int__(self):
        return int(self._value)

    def __float__(self):
        return float(self._value)

    def __complex__(self):
        return complex(self._value)

    def __index__(self):
        return int(self._value.__index__())

    def __repr__(self):
        return _format_repr(self._value, self.dtype, self.weak_type)

    def __str__(self):
        return str(self._value)

    def __format__(self, spec):
        if self._value.ndim == 0:
            return format(self._value.item(), spec)
        return format(str(self), spec)

    def __reduce__(self):
        return (Array, (np.asarray(self._value), self.weak_type))

    # Arrays are immutable: NumPy may read them but never write into them.
    def __setitem__(self, idx, value):
        raise TypeError("pullback arrays are immutable: instead of `x[idx] = y` use "
                        "`x = x.at[idx].set(y)`")
