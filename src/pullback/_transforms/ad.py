"""Forward mode (a JVP trace), linearize (JVP + partial evaluation) and transposition.

Reverse mode is *linearize then transpose*, as in JAX: ``linearize`` runs the JVP with the
primals known and the tangents unknown, under a partially evaluating ``JaxprTrace``; the
primal work is done right away by the parent trace, and only the tangent computation is
recorded, as a linear jaxpr whose constants are the residuals.  ``backward_pass`` runs that
jaxpr backwards with each linear primitive's transpose rule.  Nothing here is a tape, so a
custom JVP rule is transposed automatically and the VJP function is itself traceable.
"""
import numpy as np

from .._array import Array
from .._core.core import (Trace, Tracer, Zero, get_aval, _current_trace, check_foreign,
                          instantiate)
from .._core.jaxpr import JaxprTrace, Var, Literal
from .._core.rules import UndefinedPrimal, add_tangents


class JVPTracer(Tracer):
    """A primal value with its (never symbolically zero) tangent."""
    __slots__ = ('primal', 'tangent', '_aval')

    def __init__(self, trace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent
        self._aval = None

    @property
    def aval(self):
        aval = self._aval
        if aval is None:
            aval = self._aval = get_aval(self.primal)
        return aval


class JVPTrace(Trace):
    __slots__ = ('tag',)
    name = 'jvp'

    def __init__(self, parent, tag='jvp'):
        super().__init__(parent)
        self.tag = tag

    def describe(self):
        return self.tag

    def process_primitive(self, prim, args, params):
        primals, tangents, ours = [], [], False
        for x in args:
            if type(x) is JVPTracer and x._trace is self:
                primals.append(x.primal)
                tangents.append(x.tangent)
                ours = True
            else:
                check_foreign(x)
                primals.append(x)
                tangents.append(Zero(primal=x))
        token = _current_trace.set(self.parent)
        try:
            if not ours:
                return prim.bind(*primals, **params)
            if prim.jvp is None:
                raise NotImplementedError(
                    f"Differentiation rule for '{prim.name}' not implemented")
            primal_out, tangent_out = prim.jvp(primals, tangents, **params)
        finally:
            _current_trace.reset(token)
        if prim.multiple_results:
            return [self.lift(p, t) for p, t in zip(primal_out, tangent_out)]
        return self.lift(primal_out, tangent_out)

    def lift(self, primal, tangent):
        if type(tangent) is Zero:
            return primal
        return JVPTracer(self, primal, tangent)

    def to_concrete(self, tracer, context):
        p = tracer.primal
        if isinstance(p, Tracer):
            return p._concrete(context)
        return p


def to_array(x):
    """Python scalars and NumPy values as Arrays (weak for Python scalars)."""
    if type(x) is Array or isinstance(x, Tracer):
        return x
    aval = get_aval(x)
    return Array(np.asarray(x, aval.dtype), aval.weak_type)


def split_jvp_output(trace, out):
    if type(out) is JVPTracer and out._trace is trace:
        return out.primal, out.tangent
    return out, Zero(primal=out)


def jvp_flat(fun, primals, tangents, tag='jvp'):
    """Push ``tangents`` forward through ``fun`` (flat lists in and out)."""
    trace = JVPTrace(_current_trace.get(), tag)
    ins = [p if type(t) is Zero else JVPTracer(trace, p, t) for p, t in zip(primals, tangents)]
    token = _current_trace.set(trace)
    try:
        outs = fun(*ins)
    finally:
        _current_trace.reset(token)
        trace.alive = False
    pairs = [split_jvp_output(trace, o) for o in outs]
    return [p for p, _ in pairs], [t for _, t in pairs]


class LinearFunction:
    """The linear map that ``linearize`` recorded: a jaxpr plus its residual constants.
    ``staged``: the function was staged (_transforms/staging.py), so the jaxpr holds
    ``jit`` calls that user-visible traces see inlined."""
    __slots__ = ('jaxpr', 'consts', 'in_avals', 'out_avals', 'staged')

    def __init__(self, jaxpr, consts, in_avals, out_avals):
        self.jaxpr = jaxpr
        self.consts = consts
        self.in_avals = in_avals
        self.out_avals = out_avals
        self.staged = False

    def _jaxpr(self):
        if self.staged:
            from .staging import staging_allowed, inline_calls
            if not staging_allowed():
                return inline_calls(self.jaxpr)
        return self.jaxpr

    def forward(self, tangents):
        from .._core.jaxpr import eval_jaxpr
        return eval_jaxpr(self._jaxpr(), self.consts, *tangents)

    def transpose(self, cts):
        return backward_pass(self._jaxpr(), self.consts, cts)


def linearize_flat(fun, primals, tag='linearize'):
    """Run ``fun``'s JVP with known primals and unknown tangents.

    Returns ``(primals_out, LinearFunction)``.  Primal operations are computed by the
    parent trace now (Python control flow on them keeps working); tangent operations are
    recorded into the linear jaxpr."""
    parent = _current_trace.get()
    pe = JaxprTrace(parent, forward_known=True, debug_info=None)
    pe.allow_staging = True
    trace = JVPTrace(pe, tag)
    in_avals = [get_aval(p).to_tangent_aval() for p in primals]
    ins = []
    for p, aval in zip(primals, in_avals):
        t = pe.new_arg(aval)
        # integer and boolean inputs have no tangent space: their tangent is a symbolic zero
        ins.append(JVPTracer(trace, p, t) if aval.dtype.kind in 'fc' else p)
    token = _current_trace.set(trace)
    try:
        outs = fun(*ins)
    finally:
        _current_trace.reset(token)
        trace.alive = False
    primals_out, tangents_out = [], []
    token = _current_trace.set(parent)
    try:
        for o in outs:
            p, t = split_jvp_output(trace, o)
            primals_out.append(p)
            tangents_out.append(instantiate(t) if type(t) is Zero else t)
    finally:
        _current_trace.reset(token)
    jaxpr, consts = pe.finish(tangents_out)
    out_avals = [get_aval(p).to_tangent_aval() for p in primals_out]
    return primals_out, LinearFunction(jaxpr, consts, in_avals, out_avals)


class NonLinearError(TypeError):
    pass


def backward_pass(jaxpr, consts, cts_out):
    """Transpose a linear jaxpr: cotangents of its outputs -> cotangents of its inputs.

    Equations run in reverse with each primitive's transpose rule; cotangents of a variable
    used several times are summed; symbolic zeros are skipped."""
    const_env = {}
    for v, c in zip(jaxpr.constvars, consts):
        const_env[v] = c
    ct_env = {}

    def add_ct(v, ct):
        if type(v) is not Var or v in const_env or ct is None or type(ct) is Zero:
            return
        prev = ct_env.get(v)
        ct_env[v] = ct if prev is None else add_tangents(prev, ct)

    for v, ct in zip(jaxpr.outvars, cts_out):
        add_ct(v, ct)
    for eqn in reversed(jaxpr.eqns):
        prim = eqn.prim
        if prim.multiple_results:
            cts = [ct_env.pop(v, None) for v in eqn.outvars]
            if all(c is None for c in cts):
                continue
            ct = [Zero(v.aval) if c is None else c for v, c in zip(eqn.outvars, cts)]
        else:
            ct = ct_env.pop(eqn.outvars[0], None)
            if ct is None:
                continue
        args = []
        for a in eqn.invars:
            if type(a) is Literal:
                args.append(a.value())
            elif a in const_env:
                args.append(const_env[a])
            else:
                args.append(UndefinedPrimal(a.aval))
        if prim.transpose is None:
            raise NonLinearError(
                f"Transpose rule (for reverse-mode differentiation) for '{prim.name}' not "
                f"implemented: the tangent computation applies '{prim.name}' to a tangent, "
                f"so it is not linear in the tangents. If this comes from a custom_jvp rule, "
                f"make the rule's output tangents linear in its input tangents.")
        cts_in = prim.transpose(ct, *args, **eqn.params)
        for a, c in zip(eqn.invars, cts_in):
            add_ct(a, c)
    return [ct_env.get(v, Zero(v.aval)) if type(v) is Var else Zero(v.aval)
            for v in jaxpr.invars]
