"""The jaxpr IR: variables, literals, equations; the trace that records them; evaluation.

``JaxprTrace`` records every primitive applied to its tracers.  With ``forward_known`` it
is a *partial evaluator*: an operation none of whose inputs are its tracers is known, so
it is handed to the parent trace and computed now; only operations touching unknown values
are recorded.  ``linearize`` uses that to keep the primal computation concrete and record
just the linear tangent map.
"""
import numpy as np

from .._array import Array
from .avals import ShapedArray
from .core import (Trace, Tracer, get_aval, _current_trace, check_foreign,
                   ConcretizationTypeError)


class Var:
    """A jaxpr variable: identity-hashed, named only when printed."""
    __slots__ = ('aval',)

    def __init__(self, aval):
        self.aval = aval

    def __repr__(self):
        return f"Var({self.aval.str_short()})"


class Literal:
    """An inline scalar constant (a Python scalar or a 0-d value)."""
    __slots__ = ('val', 'aval', '_array')

    def __init__(self, val, aval):
        self.val = val
        self.aval = aval
        self._array = None

    def value(self):
        """The literal as an Array of its recorded dtype and weak type (what evaluating a
        jaxpr binds: a bare Python float would make NumPy pick float64)."""
        if self._array is None:
            self._array = Array(np.asarray(self.val, self.aval.dtype), self.aval.weak_type)
        return self._array

    def __repr__(self):
        return f"Literal({self.val})"


class Eqn:
    __slots__ = ('prim', 'invars', 'outvars', 'params')

    def __init__(self, prim, invars, outvars, params):
        self.prim = prim
        self.invars = invars
        self.outvars = outvars
        self.params = params


class Jaxpr:
    """``{ lambda constvars ; invars . let eqns in outvars }``."""
    __slots__ = ('constvars', 'invars', 'outvars', 'eqns')

    def __init__(self, constvars, invars, outvars, eqns):
        self.constvars = list(constvars)
        self.invars = list(invars)
        self.outvars = list(outvars)
        self.eqns = list(eqns)

    @property
    def in_avals(self):
        return [v.aval for v in self.invars]

    @property
    def out_avals(self):
        return [v.aval for v in self.outvars]

    def __str__(self):
        from .pretty import pp_jaxpr
        return pp_jaxpr(self)

    __repr__ = __str__


class ClosedJaxpr:
    """A jaxpr together with the values of its constvars (what ``make_jaxpr`` returns)."""
    __slots__ = ('jaxpr', 'consts', 'memo', '__weakref__')

    def __init__(self, jaxpr, consts):
        self.jaxpr = jaxpr
        self.consts = list(consts)
        self.memo = None  # what transformations derived from it (jit's caches), or None

    in_avals = property(lambda self: self.jaxpr.in_avals)
    out_avals = property(lambda self: self.jaxpr.out_avals)
    eqns = property(lambda self: self.jaxpr.eqns)

    def __call__(self, *args):
        return eval_jaxpr(self.jaxpr, self.consts, *args)

    def __str__(self):
        from .pretty import pp_jaxpr
        return pp_jaxpr(self.jaxpr)

    __repr__ = __str__

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))


def eval_jaxpr(jaxpr, consts, *args):
    """Run ``jaxpr`` by binding each equation under the current trace (so evaluating a jaxpr
    inside a transformation transforms it)."""
    env = {}
    for v, x in zip(jaxpr.constvars, consts):
        env[v] = x
    for v, x in zip(jaxpr.invars, args):
        env[v] = x

    def read(a):
        return a.value() if type(a) is Literal else env[a]
    for eqn in jaxpr.eqns:
        outs = eqn.prim.bind(*[read(a) for a in eqn.invars], **eqn.params)
        if eqn.prim.multiple_results:
            for v, o in zip(eqn.outvars, outs):
                env[v] = o
        else:
            env[eqn.outvars[0]] = outs
    return [read(a) for a in jaxpr.outvars]


# --- Recording ----------------------------------------------------------------------------

class JaxprTracer(Tracer):
    __slots__ = ('_aval', 'var')

    def __init__(self, trace, aval, var):
        self._trace = trace
        self._aval = aval
        self.var = var

    @property
    def aval(self):
        return self._aval


_PY_SCALAR_TYPES = (int, float, complex)


_WEAK_SCALAR_AVALS = {}  # dtype -> its weak 0-d aval (avals are never mutated)


def _adopt_dtype_for_python_scalars(atoms, target=None):
    """A Python scalar operand is weakly typed: it takes the dtype of the array operands
    (``target``, when the caller knows it), so ``x + 1`` on floats records the literal
    ``1.0`` (as NumPy computes it)."""
    if target is None:
        for a in atoms:
            if type(a) is not Literal or type(a.val) not in _PY_SCALAR_TYPES:
                target = a.aval.dtype
                break
    if target is None or target.kind not in 'iufc':
        return
    for i, a in enumerate(atoms):
        if type(a) is Literal and type(a.val) in _PY_SCALAR_TYPES and a.aval.dtype != target:
            if type(a.val) is complex and target.kind != 'c':
                continue
            if type(a.val) is float and target.kind in 'iu':
                continue
            if type(a.val) is int and target.kind == 'f' and -2048 <= a.val <= 2048:
                val = float(a.val)  # exact in every float type (the common 1, 2, -1)
            else:
                val = target.type(a.val).item()
            aval = _WEAK_SCALAR_AVALS.get(target)
            if aval is None:
                aval = _WEAK_SCALAR_AVALS[target] = ShapedArray((), target, True)
            atoms[i] = Literal(val, aval)


def _is_literal_value(x):
    t = type(x)
    if t is float or t is int or t is complex or t is bool:
        return True
    if t is Array:
        return x._value.ndim == 0
    return isinstance(x, np.generic) or (isinstance(x, np.ndarray) and x.ndim == 0)


class JaxprTrace(Trace):
    """Records primitives into a jaxpr.  ``forward_known=True`` makes it a partial
    evaluator that computes operations on known values with its parent instead."""
    __slots__ = ('eqns', 'invars', 'const_ids', 'constvars', 'const_vals', 'forward_known',
                 'debug_info', 'arg_names', 'allow_staging')
    name = 'jaxpr'
    # forward_known: an equation with known and unknown inputs (a jit call) runs its known
    # part now when its primitive can split itself (linearize needs its residuals)
    split_mixed = True

    def __init__(self, parent, forward_known=False, debug_info=None):
        super().__init__(parent)
        self.eqns = []
        self.invars = []
        self.const_ids = {}
        self.constvars = []
        self.const_vals = []
        self.forward_known = forward_known
        self.debug_info = debug_info  # (transformation name, function name, arg names)
        self.arg_names = {}
        # whether transformations inside may stage (_transforms/staging.py): only traces
        # whose jaxpr no user reads (linearize's) allow it
        self.allow_staging = False

    def describe(self):
        if self.debug_info:
            kind, fname, _ = self.debug_info
            return f"{kind} of {fname}"
        return 'a jaxpr trace'

    def new_arg(self, aval, name=None):
        var = Var(aval)
        self.invars.append(var)
        tracer = JaxprTracer(self, aval, var)
        if name is not None:
            self.arg_names[var] = name
        return tracer

    def to_atom(self, x):
        t = type(x)
        if t is JaxprTracer and x._trace is self:
            return x.var
        if t is float or t is int or t is complex or t is bool:
            return Literal(x, get_aval(x))
        if t is Array:
            if x._value.ndim == 0:
                # a weak 0-d array stays weak as a Python scalar (NumPy values are strong)
                val = x._value.item() if x.weak_type else x._value
                return Literal(val, get_aval(x))
        else:
            check_foreign(x)
            if _is_literal_value(x) and not isinstance(x, Tracer):
                return Literal(x, get_aval(x))
        return self.const_var(x)

    def const_var(self, x):
        """The constvar that stands for the value ``x`` (one per object)."""
        key = id(x)
        var = self.const_ids.get(key)
        if var is None:
            var = Var(get_aval(x))
            self.const_ids[key] = var
            self.constvars.append(var)
            self.const_vals.append(x)
        return var

    def process_primitive(self, prim, args, params):
        if self.forward_known:
            for x in args:
                if type(x) is JaxprTracer and x._trace is self:
                    break
            else:
                return self.bind_known(prim, args, params)
            if prim.partial_eval is not None and self.split_mixed:
                # e.g. a jit call: run its known part now, record only the unknown part
                return prim.partial_eval(self, args, params)
        return self.record_primitive(prim, args, params)

    def bind_known(self, prim, args, params):
        """``prim`` on operands none of which is this trace's: with ``forward_known`` the
        parent computes it now (through bind, which some higher-order primitives
        override)."""
        token = _current_trace.set(self.parent)
        try:
            return prim.bind(*args, **params)
        finally:
            _current_trace.reset(token)

    def record_primitive(self, prim, args, params):
        """Record one equation of ``prim`` on ``args``; returns its output tracer(s)."""
        atoms, literal, target = [], False, None
        for x in args:
            t = type(x)
            if t is JaxprTracer and x._trace is self:
                atoms.append(x.var)
                if target is None:
                    target = x._aval.dtype
            elif t is float or t is int or t is complex:
                atoms.append(Literal(x, get_aval(x)))
                literal = True
            else:
                a = self.to_atom(x)
                if type(a) is Literal and type(a.val) in _PY_SCALAR_TYPES:
                    literal = True
                elif target is None:
                    target = a.aval.dtype
                atoms.append(a)
        if literal and prim.scalars_adopt_dtype:
            _adopt_dtype_for_python_scalars(atoms, target)
        out_aval = prim.abstract_eval(*[a.aval for a in atoms], **params)
        if prim.multiple_results:
            outvars = [Var(a) for a in out_aval]
            self.eqns.append(Eqn(prim, atoms, outvars, params))
            return [JaxprTracer(self, v.aval, v) for v in outvars]
        var = Var(out_aval)
        self.eqns.append(Eqn(prim, atoms, [var], params))
        return JaxprTracer(self, out_aval, var)

    def add_eqn(self, prim, args, out_avals, params):
        """Record an equation whose output avals the caller already knows (call primitives)."""
        atoms = [self.to_atom(x) for x in args]
        outvars = [Var(a) for a in out_avals]
        self.eqns.append(Eqn(prim, atoms, outvars, params))
        return [JaxprTracer(self, v.aval, v) for v in outvars]

    def is_known(self, x):
        return not (type(x) is JaxprTracer and x._trace is self)

    def to_concrete(self, tracer, context):
        raise ConcretizationTypeError(tracer, context)

    def origin_message(self, tracer):
        if not self.debug_info:
            return ("This value is only known when the transformed function runs, not while "
                    "it is being traced.")
        kind, fname, _ = self.debug_info
        names = self._argument_names_behind(tracer.var)
        if not names:
            depends = "it is computed by traced operations"
        elif len(names) == 1:
            depends = f"it depends on the value of the argument {names[0]}"
        else:
            depends = (f"it depends on the values of the arguments "
                       f"{', '.join(names[:-1])} and {names[-1]}")
        return (f"The error occurred while tracing the function {fname} for {kind}. This "
                f"concrete value was not available in Python because {depends}.")

    def _argument_names_behind(self, var):
        """Names of the traced arguments that ``var`` depends on (only computed for errors,
        by walking the recorded equations backwards)."""
        needed = {var}
        for eqn in reversed(self.eqns):
            if any(v in needed for v in eqn.outvars):
                needed.update(a for a in eqn.invars if type(a) is Var)
        return [self.arg_names[v] for v in self.invars if v in needed and v in self.arg_names]

    def finish(self, outs, keep_consts_as_invars=False):
        """Close the recording: returns (jaxpr, const_vals)."""
        outvars = [self.to_atom(x) for x in outs]
        self.alive = False
        jaxpr = Jaxpr(self.constvars, self.invars, outvars, self.eqns)
        return jaxpr, self.const_vals


def trace_to_jaxpr(fun, in_avals, debug_info=None, arg_names=None, forward_known=False):
    """Trace ``fun`` (flat list in, flat list out) with abstract inputs; returns a
    ``ClosedJaxpr``.  The parent is the current trace, so values of enclosing
    transformations captured by closure become constants.  With ``forward_known``, work
    that does not depend on the inputs is done now instead of recorded."""
    parent = _current_trace.get()
    trace = JaxprTrace(parent, forward_known=forward_known, debug_info=debug_info)
    names = arg_names or [None] * len(in_avals)
    in_tracers = [trace.new_arg(a, n) for a, n in zip(in_avals, names)]
    token = _current_trace.set(trace)
    try:
        outs = fun(*in_tracers)
    except BaseException:
        trace.alive = False
        raise
    finally:
        _current_trace.reset(token)
    jaxpr, consts = trace.finish(outs)
    return ClosedJaxpr(jaxpr, consts)
