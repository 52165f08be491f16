"""The tracing core: primitives, traces and tracers, with the current trace in a context var.

There is no global stack of transformations.  ``prim.bind(*args)`` hands the operation to
the *current trace*.  At rest that is the eval trace, which runs the primitive's NumPy
implementation.  A transformation makes a trace whose ``parent`` is the trace that was
current when it started, wraps its inputs in its own tracers and runs the function with
itself current.  In ``process_primitive`` any argument that is not one of *this* trace's
tracers is a constant for it; the actual work is done by binding again with the parent
current.  A tracer knows its trace by identity, so nested transformations of closures can
never confuse each other's values (no perturbation confusion).
"""
from contextvars import ContextVar

import numpy as np

from .. import dtypes
from .._array import Array, ArrayOps
from .avals import ShapedArray
from .errors import (ConcretizationTypeError, TracerBoolConversionError,
                     TracerIntegerConversionError, TracerArrayConversionError,
                     UnexpectedTracerError)

_X64 = dtypes._TO_32  # 64-bit dtypes that become 32-bit when x64 is off


# --- Primitives ----------------------------------------------------------------------------

registry = {}  # name -> Primitive: the test suite walks this


class Primitive:
    """A primitive operation.  Every rule lives on the object, set where it is declared:

    ``impl`` (NumPy), ``abstract_eval`` (avals -> aval), ``jvp``, ``transpose`` (linear
    primitives only), ``batch`` (vmap), ``codegen`` (jit source) and ``weak_type_rule``.

    >>> sin_p = Primitive('sin')
    >>> sin_p.impl = np.sin
    """

    def __init__(self, name, multiple_results=False, register=True):
        self.name = name
        self.multiple_results = multiple_results
        self.impl = None
        self.abstract_eval = None
        self.jvp = None
        self.transpose = None
        self.batch = None
        self.codegen = None
        # Optional: how a partially evaluating JaxprTrace (linearize) splits an equation
        # with both known and unknown inputs; higher-order primitives set it.
        self.partial_eval = None
        # Elementwise primitives: a Python scalar operand takes the array operands' dtype.
        self.scalars_adopt_dtype = False
        # Collectives (psum, axis_index, ...): the vmap trace of their axis_name handles
        # them even when no operand is batched by it.
        self.collective = False
        # False for primitives that run user Python each time they are transformed
        # (custom derivative calls): staging (_transforms/staging.py) must not cache them.
        self.stageable = True
        self.weak_type_rule = never_weak
        if register:
            if name in registry:
                raise ValueError(f"primitive {name!r} is declared twice")
            registry[name] = self

    def bind(self, *args, **params):
        return _current_trace.get().process_primitive(self, args, params)

    def __repr__(self):
        return self.name


def is_weak(x):
    t = type(x)
    if t is Array:
        return x.weak_type
    if t is float or t is int or t is complex:
        return True
    if isinstance(x, Tracer):
        return x.aval.weak_type
    return False


def never_weak(args, params):
    return False


def all_weak(args, params):
    for x in args:
        t = type(x)
        if t is Array:
            if not x.weak_type:
                return False
        elif not (t is float or t is int or t is complex or is_weak(x)):
            return False
    return True


def first_weak(args, params):
    return is_weak(args[0])


# --- Traces --------------------------------------------------------------------------------

class Trace:
    """Base class of every interpreter.  ``parent`` is the trace that does the real work."""
    __slots__ = ('parent', 'level', 'alive', '__weakref__')
    name = 'trace'

    def __init__(self, parent):
        self.parent = parent
        self.level = parent.level + 1
        self.alive = True

    def process_primitive(self, prim, args, params):
        raise NotImplementedError

    def to_concrete(self, tracer, context):
        """The concrete value behind ``tracer`` for Python control flow, or an error."""
        raise ConcretizationTypeError(tracer, context)

    def describe(self):
        return self.name


class EvalTrace(Trace):
    """The trace at rest: runs each primitive's NumPy implementation right away."""
    __slots__ = ()
    name = 'eval'

    def __init__(self):
        self.parent = None
        self.level = 0
        self.alive = True

    def process_primitive(self, prim, args, params):
        n = len(args)
        if n == 1 and type(args[0]) is Array and not prim.multiple_results:
            # the commonest eager case, kept short: one array operand
            a = args[0]
            try:
                out = prim.impl(a._value, **params) if params else prim.impl(a._value)
            except Exception as e:
                diagnose_failure(prim, args, params, e)
                raise
            rule = prim.weak_type_rule
            return Array(out, a.weak_type if rule is first_weak else rule(args, params))
        if n == 2 and type(args[0]) is Array and type(args[1]) is Array and \
                not prim.multiple_results:
            a, b = args
            try:
                out = prim.impl(a._value, b._value, **params)
            except Exception as e:
                diagnose_failure(prim, args, params, e)
                raise
            rule = prim.weak_type_rule
            return Array(out, (a.weak_type and b.weak_type) if rule is all_weak
                         else rule(args, params))
        vals = []
        for x in args:
            t = type(x)
            if t is Array:
                vals.append(x._value)
            elif t is np.ndarray or isinstance(x, np.generic):
                vals.append(canonicalize_numpy(x))
            elif isinstance(x, Tracer):
                raise UnexpectedTracerError(x)
            else:
                vals.append(x)
        try:
            out = prim.impl(*vals, **params)
        except Exception as e:
            diagnose_failure(prim, args, params, e)
            raise
        if prim.multiple_results:
            weak = prim.weak_type_rule(args, params)
            if weak is True or weak is False:
                return [Array(o, weak) for o in out]
            return [Array(o, w) for o, w in zip(out, weak)]
        return Array(out, prim.weak_type_rule(args, params))


def canonicalize_numpy(x):
    """NumPy inputs with 64-bit dtypes become 32-bit ones when x64 is off."""
    if x.dtype in _X64 and not dtypes.x64_enabled():
        return np.asarray(x, _X64[x.dtype])
    return x


def diagnose_failure(prim, args, params, error):
    """A NumPy error in an implementation: rerun the abstract evaluation, whose checks raise
    a clear, typed error naming the primitive and the operands' types."""
    if prim.abstract_eval is None:
        return
    try:
        avals = [get_aval(x) for x in args]
    except TypeError:
        return
    prim.abstract_eval(*avals, **params)  # raises the readable error if the input is bad


eval_trace = EvalTrace()
_current_trace = ContextVar('pullback_current_trace', default=eval_trace)


def current_trace():
    return _current_trace.get()


class set_current_trace:
    """Context manager that makes ``trace`` current (and restores the previous one)."""
    __slots__ = ('trace', 'token')

    def __init__(self, trace):
        self.trace = trace

    def __enter__(self):
        self.token = _current_trace.set(self.trace)
        return self.trace

    def __exit__(self, *exc):
        _current_trace.reset(self.token)


def bind_with(trace, prim, args, params):
    """Bind ``prim`` with ``trace`` current: how a trace hands work to its parent."""
    token = _current_trace.set(trace)
    try:
        return trace.process_primitive(prim, args, params)
    finally:
        _current_trace.reset(token)


def check_foreign(x):
    """An argument that is not ours: fine if it is a constant or belongs to a live trace."""
    if isinstance(x, Tracer) and not x._trace.alive:
        raise UnexpectedTracerError(x)


# --- Tracers -------------------------------------------------------------------------------

class Tracer(ArrayOps):
    """A value being transformed; subclasses hold what their trace needs."""
    __slots__ = ('_trace',)

    @property
    def aval(self):
        raise NotImplementedError

    @property
    def shape(self):
        return self.aval.shape

    @property
    def dtype(self):
        return self.aval.dtype

    @property
    def ndim(self):
        return len(self.aval.shape)

    @property
    def size(self):
        return self.aval.size

    @property
    def weak_type(self):
        return self.aval.weak_type

    def _concrete(self, context):
        trace = self._trace
        if not trace.alive:
            raise UnexpectedTracerError(self)
        return trace.to_concrete(self, context)

    def __bool__(self):
        if self.aval.size != 1:
            raise ValueError("The truth value of an array with more than one element is "
                             "ambiguous. Use a.any() or a.all()")
        try:
            return bool(self._concrete('bool'))
        except ConcretizationTypeError as e:
            raise TracerBoolConversionError(self, 'bool', e.origin) from None

    def __int__(self):
        return int(self._concrete('int'))

    def __float__(self):
        return float(self._concrete('float'))

    def __complex__(self):
        return complex(self._concrete('complex'))

    def __index__(self):
        try:
            return int(self._concrete('index').__index__())
        except ConcretizationTypeError as e:
            raise TracerIntegerConversionError(self, e.origin) from None

    def __array__(self, dtype=None, copy=None):
        try:
            return np.asarray(self._concrete('array'), dtype=dtype)
        except ConcretizationTypeError as e:
            raise TracerArrayConversionError(self, e.origin) from None

    def item(self):
        return self._concrete('item').item()

    def tolist(self):
        return np.asarray(self._concrete('tolist')).tolist()

    def block_until_ready(self):
        return self

    def __repr__(self):
        return f"Traced<{self.aval}>with<{self._trace.describe()}>"

    __str__ = __repr__


_PY_SCALAR_AVALS = {}  # (Python type, x64) -> aval (avals are never mutated)


def get_aval(x):
    """The abstract value of any array-like: Array, tracer, NumPy value or Python scalar."""
    t = type(x)
    if t is Array:
        return ShapedArray.of_value(x._value, x.weak_type)
    if isinstance(x, Tracer):
        return x.aval
    if t is float or t is int or t is complex or t is bool:
        key = (t, dtypes.x64_enabled())
        aval = _PY_SCALAR_AVALS.get(key)
        if aval is None:
            d, w = dtypes.dtype_and_weak(x)
            aval = _PY_SCALAR_AVALS[key] = ShapedArray((), d, w)
        return aval
    if isinstance(x, (np.ndarray, np.generic)):
        return ShapedArray(x.shape, dtypes.canonicalize_dtype(x.dtype), False)
    raise TypeError(f"Value {x!r} of type {type(x).__name__} is not a valid pullback type: "
                    f"expected an array, a NumPy value or a Python scalar")


def is_array_like(x):
    t = type(x)
    return (t is Array or isinstance(x, Tracer) or t in (float, int, complex, bool)
            or isinstance(x, (np.ndarray, np.generic)))


def concrete_or_error(x, context):
    """``x`` as a concrete value (for shapes, axes and Python control flow)."""
    if isinstance(x, Tracer):
        return x._concrete(context)
    return x


# --- Symbolic zeros ------------------------------------------------------------------------

class Zero:
    """A tangent or cotangent known to be zero: costs nothing until something needs an array.

    Holds either its aval or the primal value it is the tangent of (aval computed lazily).
    """
    __slots__ = ('_aval', '_primal')

    def __init__(self, aval=None, primal=None):
        self._aval = aval
        self._primal = primal

    @property
    def aval(self):
        if self._aval is None:
            self._aval = get_aval(self._primal).to_tangent_aval()
        return self._aval

    def __repr__(self):
        return f"Zero({self.aval})"


def zeros_like_aval(aval):
    """A concrete array of zeros for ``aval`` (weak types kept)."""
    return Array(np.zeros(aval.shape, aval.dtype), aval.weak_type)


# ``lax`` (above the core) registers how to build a zeros array under any trace.
_zeros_builder = [None]


def register_zeros_builder(fn):
    _zeros_builder[0] = fn


def instantiate(t):
    """Turn a symbolic ``Zero`` into an array of zeros; other values pass through."""
    if type(t) is Zero:
        return _zeros_builder[0](t.aval)
    return t
