"""Staging: un-jitted transformations that interpret one call instead of every primitive.

Interpreting ``grad(f)`` primitive by primitive costs several microseconds of Python per
primitive and per transformation layer, most of it spent re-deriving the same rules on
every call.  Staging removes that cost without changing what a call means:

1. ``f`` still runs in Python on every call, under a ``StagingTrace``: a recording trace
   that computes nothing it does not have to, but hands out concrete values on demand, so
   ``if x < 3:`` and ``float(x)`` work exactly as they do eagerly.
2. The recorded jaxpr gets a *structural key* (primitives, parameters, wiring, the shapes
   and dtypes of inputs and constants, the values of Python-scalar literals).  Array
   values never enter the key: they are passed in as operands.
3. The second time a key is seen, its jaxpr becomes canonical: the staged function is then
   a single ``jit`` call of that jaxpr, and the transformation (JVP, partial evaluation,
   transposition, batching) is applied to that one call, whose rules build, compile and
   cache the transformed jaxpr once per key.  The first time, the recorded jaxpr is
   simply evaluated under the transformation, as if no staging had happened, so a
   function whose structure changes on every call never pays for compiling.
4. The next recording of the same function follows that canonical jaxpr instead of
   building its own (``StagingTrace._follow``): matching equation after equation costs
   less than recording and keying, and a full match needs no key at all.

Staging is skipped where it would change what a user sees: inside ``jit``,
``make_jaxpr`` and other recording traces (their jaxprs keep their primitives), for
functions that reach a custom-derivative call or a ``while_loop`` on traced values (their
rules must run on concrete values at every call), and with
``pullback.config.update('pullback_staged_transforms', False)``.  Jaxprs whose parameters
cannot be keyed are evaluated directly, and a function whose structure keeps changing is
interpreted after a while (``_Facts``).
"""
import math
import os
import weakref

from .. import config
from .._array import Array
from .._core.core import Tracer, Zero, _current_trace, check_foreign, get_aval, instantiate
from .._core.errors import ConcretizationTypeError
from .._core.rules import AxisData
from .._core.jaxpr import (ClosedJaxpr, Eqn, Jaxpr, JaxprTrace, JaxprTracer, Literal, Var,
                           eval_jaxpr)

_cfg = config._values

_canonical = {}      # structural key -> ClosedJaxpr whose transformed forms are cached
_seen = set()        # hashes of keys seen once (a key becomes canonical when seen again)
_MAX_CANONICAL = 512
_MAX_SEEN = 4096
# Tests set PULLBACK_STAGE_FIRST_SIGHTING=1 to run every staged call through the compiled
# path (normally a structure is compiled the second time it is seen).
_COMPILE_FIRST_SIGHTING = os.environ.get('PULLBACK_STAGE_FIRST_SIGHTING') == '1'


class _Unstageable(BaseException):  # not an Exception: user code must not catch it
    """Staging met a primitive that must run user Python under the transformation."""


class _Facts:
    """What staging learnt about one user function: whether to interpret it (it reaches a
    custom-derivative call, or its structure keeps changing: ``_MAX_MISSES`` calls in a
    row that found no compiled structure), the current run of such calls, and the
    structure its next recording for each transformation kind is expected to have."""
    __slots__ = ('ref', 'interpret', 'misses', 'expect')

    def __init__(self, ref):
        self.ref = ref
        self.interpret = False
        self.misses = 0
        self.expect = None  # (kind, wrapper depth) -> _Structure the next recording follows


_facts = {}  # id(user function) -> _Facts (the entry goes when the function does)
_MAX_MISSES = 16


def _facts_of(fun, create):
    facts = _facts.get(id(fun))
    if facts is not None and facts.ref() is fun:
        return facts
    if not create:
        return None
    key = id(fun)
    try:
        ref = weakref.ref(fun, lambda _: _facts.pop(key, None))
    except TypeError:  # not weakly referenceable: nothing is remembered
        return None
    facts = _facts[key] = _Facts(ref)
    return facts


class StagingTrace(JaxprTrace):
    """Records a function's primitives, computing only what does not depend on its inputs
    (``forward_known``).  ``in_values`` are the inputs' actual values (or ``None`` when the
    inputs are abstract, as per-example values under ``vmap``): a traced value needed by
    Python is computed from them on demand.

    With ``expect`` (a ``_Structure``: the canonical jaxpr this function's last recording
    had) it *follows* that jaxpr: while each primitive matches the next expected equation
    (its operands, parameters, Python-scalar values and constants' types), nothing new is
    built: the expected equation is appended and its output variables are handed out.  A
    recording that matches to the end is that structure, with no key to compute.  At the
    first difference it records as usual from there on (sharing the followed prefix's
    variables, which ``stage`` renames before keeping the jaxpr)."""
    __slots__ = ('in_values', 'env', 'n_done', 'expect', 'followed', 'raw')
    split_mixed = False  # a jit call is recorded whole: its values are computed on demand

    def __init__(self, parent, in_values, kind, fname, expect=None):
        super().__init__(parent, forward_known=True, debug_info=(kind, fname, None))
        self.allow_staging = True
        self.in_values = in_values
        self.env = None
        self.n_done = 0
        self.expect = expect
        self.followed = expect is not None
        self.raw = {}  # equation position -> its operands' _raw_key (see _Structure)

    def to_atom(self, x):
        t = type(x)
        if t is JaxprTracer and x._trace is self:
            return x.var
        if t is float or t is int or t is bool or t is complex:
            return Literal(x, get_aval(x))  # code constants: their values are in the key
        if t is not Array:
            check_foreign(x)
        return self.const_var(x)  # arrays (even 0-d): operands, so data never enters keys

    def process_primitive(self, prim, args, params):
        for x in args:
            if type(x) is JaxprTracer and x._trace is self:
                break
        else:
            return self.bind_known(prim, args, params)
        if self.expect is not None:
            out = self._follow(prim, args, params)
            if out is not None:
                return out
            self.expect = None  # it differs: record as usual from here on
        if not prim.stageable:
            raise _Unstageable(prim)
        out = self.record_primitive(prim, args, params)
        for x in args:
            t = type(x)
            if t is float or t is int or t is complex or t is bool:
                self.raw[len(self.eqns) - 1] = tuple([_raw_key(a) for a in args])
                break
        return out

    def _follow(self, prim, args, params):
        """The expected next equation's outputs if ``prim`` on ``args`` is that equation,
        else None."""
        expect = self.expect
        k = len(self.eqns)
        if k == len(expect.eqns):
            return None
        eqn = expect.eqns[k]
        invars = eqn.invars
        if eqn.prim is not prim or len(invars) != len(args) or not _same_params(params,
                                                                                  eqn.params):
            return None
        raw = None
        for i, x in enumerate(args):
            t = type(x)
            if t is JaxprTracer and x._trace is self:
                if x.var is not invars[i]:
                    break
            elif t is float or t is int or t is complex or t is bool:
                if raw is None:
                    raw = expect.raw.get(k)
                    if raw is None:
                        break
                if _raw_key(x) != raw[i]:
                    break
            else:
                var = self.const_ids.get(id(x))
                if var is None:  # a new constant: the expected one, of the expected type
                    n = len(self.constvars)
                    if n == expect.n_consts or expect.constvars[n] is not invars[i]:
                        break
                    if t is not Array:
                        check_foreign(x)
                    if get_aval(x) != invars[i].aval:
                        break
                    self.const_ids[id(x)] = invars[i]
                    self.constvars.append(invars[i])
                    self.const_vals.append(x)
                elif var is not invars[i]:
                    break
        else:
            self.eqns.append(eqn)
            if raw is not None:
                self.raw[k] = raw
            if prim.multiple_results:
                return [JaxprTracer(self, v.aval, v) for v in eqn.outvars]
            v = eqn.outvars[0]
            return JaxprTracer(self, v.aval, v)
        return None

    def add_eqn(self, prim, args, out_avals, params):
        self.expect = None
        if not prim.stageable:
            raise _Unstageable(prim)
        return JaxprTrace.add_eqn(self, prim, args, out_avals, params)

    def matched(self, outs):
        """Whether the recording followed its expected structure to the end, ``outs``
        being that structure's outputs."""
        expect = self.expect
        if expect is None or len(self.eqns) != len(expect.eqns) or \
                len(self.constvars) != expect.n_consts or len(outs) != len(expect.outvars):
            return False
        for x, v in zip(outs, expect.outvars):
            if type(x) is not JaxprTracer or x._trace is not self or x.var is not v:
                return False
        return True

    def to_concrete(self, tracer, context):
        if self.in_values is None:
            raise ConcretizationTypeError(tracer, context)
        value = self._evaluate(tracer.var)
        if isinstance(value, Tracer):
            return value._concrete(context)
        return value

    def _evaluate(self, var):
        """The value of ``var``: the equations recorded so far, run on the parent trace
        (each at most once however often Python asks)."""
        env = self.env
        if env is None:
            env = self.env = dict(zip(self.invars, self.in_values))
        env.update(zip(self.constvars, self.const_vals))
        eqns = self.eqns
        token = _current_trace.set(self.parent)
        try:
            while self.n_done < len(eqns):
                eqn = eqns[self.n_done]
                args = [env[a] if type(a) is Var else a.value() for a in eqn.invars]
                outs = eqn.prim.bind(*args, **eqn.params)
                env.update(zip(eqn.outvars, outs if eqn.prim.multiple_results else [outs]))
                self.n_done += 1
        finally:
            _current_trace.reset(token)
        return env[var]

    def origin_message(self, tracer):
        if self.in_values is None and self.debug_info[0] == 'vmap':
            return ("The value is batched by vmap: each batch member may take a different "
                    "branch, so Python control flow cannot depend on it. Use jnp.where, "
                    "lax.select or lax.cond instead.")
        return super().origin_message(tracer)


def staging_allowed():
    """True unless some enclosing trace records a jaxpr a user may read (jit, make_jaxpr,
    a control-flow body, a custom rule): those keep their primitives."""
    if not _cfg['pullback_staged_transforms'] or _cfg['jax_disable_jit']:
        return False
    trace = _current_trace.get()
    while trace is not None:
        if isinstance(trace, JaxprTrace) and not trace.allow_staging:
            return False
        trace = trace.parent
    return True


def _inside_staging(trace):
    while trace is not None:
        if type(trace) is StagingTrace:
            return True
        trace = trace.parent
    return False


class StructureKey:
    """Everything that decides what evaluating a jaxpr computes, except the values of its
    inputs and constants; hashed once (a dict lookup would otherwise rehash the tuple)."""
    __slots__ = ('parts', 'hash')

    def __init__(self, parts):
        self.parts = parts
        self.hash = hash(parts)  # TypeError for an unhashable parameter

    def __hash__(self):
        return self.hash

    def __eq__(self, other):
        return type(other) is StructureKey and self.hash == other.hash and \
            self.parts == other.parts


def _aval_key(a):
    return (a.shape, a.dtype, a.weak_type)


def _literal_key(lit):
    v = lit.val
    if type(v) is float:  # 0.0 == -0.0, but x + 0.0 and x + -0.0 differ at x = -0.0
        return (float, v, math.copysign(1., v), _aval_key(lit.aval))
    if type(v) is complex:
        return (complex, repr(v), _aval_key(lit.aval))
    return (type(v), v, _aval_key(lit.aval))


def _raw_key(x):
    """What a recording must see again of an operand to follow an equation: a Python
    scalar's type and value (a float's sign too: x + 0.0 and x + -0.0 differ at x = -0.0);
    None for anything else."""
    t = type(x)
    if t is float:
        return (float, x, math.copysign(1., x))
    if t is complex:
        return (complex, repr(x))
    if t is int or t is bool:
        return (t, x)
    return None


def _same_params(a, b):
    """Whether two equations' parameter dicts are equal (as a structure key compares them)."""
    if not a:
        return not b
    try:
        return bool(a == b)
    except Exception:  # parameters that do not compare (arrays): not the same
        return False


class _Structure:
    """A canonical jaxpr as a later recording of the same function follows it
    (``StagingTrace``): its constants' and inputs' variables, equations and outputs, the
    input avals and x64 flag it was recorded for, and the ``_raw_key`` of the operands of
    each equation that has Python-scalar ones (literals only keep their converted values)."""
    __slots__ = ('closed', 'n_consts', 'constvars', 'invars', 'eqns', 'outvars', 'in_avals',
                 'x64', 'raw')

    def __init__(self, closed, n_consts, in_avals, raw):
        jaxpr = closed.jaxpr
        self.closed = closed
        self.n_consts = n_consts
        self.constvars = jaxpr.invars[:n_consts]
        self.invars = jaxpr.invars[n_consts:]
        self.eqns = jaxpr.eqns
        self.outvars = jaxpr.outvars
        self.in_avals = in_avals
        self.x64 = _cfg['jax_enable_x64']
        self.raw = raw

    def fits(self, avals):
        """Whether a recording on inputs of ``avals`` may follow this structure."""
        if self.x64 != _cfg['jax_enable_x64'] or len(avals) != len(self.in_avals):
            return False
        for a, b in zip(avals, self.in_avals):
            if a != b:
                return False
        return True


def _renamed(jaxpr):
    """``jaxpr`` with fresh variables.  A recording that followed a canonical jaxpr and then
    left it shares that jaxpr's variables; two canonical jaxprs must not (a compiled
    function may inline both)."""
    new = {}

    def fresh(v):
        if type(v) is not Var:
            return v
        w = new.get(v)
        if w is None:
            w = new[v] = Var(v.aval)
        return w
    eqns = [Eqn(e.prim, [fresh(a) for a in e.invars], [fresh(v) for v in e.outvars],
                e.params) for e in jaxpr.eqns]
    return Jaxpr([fresh(v) for v in jaxpr.constvars], [fresh(v) for v in jaxpr.invars],
                 [fresh(a) for a in jaxpr.outvars], eqns)


def structure_key(jaxpr):
    """The ``StructureKey`` of ``jaxpr``.  Raises TypeError when a parameter is not
    hashable or a primitive must not be staged."""
    index = {}
    parts = [_cfg['jax_enable_x64'], len(jaxpr.constvars)]
    for v in jaxpr.constvars:
        index[v] = len(index)
        parts.append(_aval_key(v.aval))
    for v in jaxpr.invars:
        index[v] = len(index)
        parts.append(_aval_key(v.aval))
    for eqn in jaxpr.eqns:
        if not eqn.prim.stageable:
            raise TypeError(f"{eqn.prim} is not stageable")
        ins = tuple([index[a] if type(a) is Var else _literal_key(a) for a in eqn.invars])
        for v in eqn.outvars:
            index[v] = len(index)
        parts.append((eqn.prim, ins, tuple(eqn.params.items())))
    parts.append(tuple([index[a] if type(a) is Var else _literal_key(a)
                        for a in jaxpr.outvars]))
    return StructureKey(tuple(parts))


def _canonical_for(jaxpr):
    """The canonical (constants-as-leading-inputs) jaxpr of ``jaxpr``'s structure, or None
    on a first sighting or for a jaxpr that cannot be keyed."""
    try:
        key = structure_key(jaxpr)
    except TypeError:
        return None
    closed = _canonical.get(key)
    if closed is not None:
        return closed
    h = key.hash
    if h not in _seen and not _COMPILE_FIRST_SIGHTING:
        if len(_seen) >= _MAX_SEEN:
            _seen.clear()
        _seen.add(h)
        return None
    if len(_canonical) >= _MAX_CANONICAL:
        del _canonical[next(iter(_canonical))]
    closed = _canonical[key] = ClosedJaxpr(
        Jaxpr([], jaxpr.constvars + jaxpr.invars, jaxpr.outvars, jaxpr.eqns), [])
    return closed


def stage(flat, values, avals, kind, fun):
    """Run ``flat`` once under a ``StagingTrace``; returns a flat function that computes
    the same outputs from the same inputs, to be transformed in ``flat``'s place, or
    ``None`` when ``fun`` (the user's function) cannot be staged.  The flat function is a
    ``Staged``.

    ``values`` are the inputs (or ``None`` if only ``avals`` are known).  The returned
    function ignores Python side effects: they happened while staging.  A function that
    calls a custom-derivative function on its inputs is interpreted instead: its rules must
    run on every call, as JAX runs them.  The first call finds that out by staging up to
    that point (so its Python before the custom call runs twice, once); later calls of the
    same function are not staged.  Nor are those of a function whose structure keeps
    changing."""
    user_fun = fun
    for depth in range(100):  # grad(grad(f)) and jit(f) are about f
        inner = getattr(user_fun, '__wrapped__', None)
        if inner is None:
            break
        user_fun = inner
    # what a recording follows depends on the transformation and on how deep in f's
    # wrappers it is (grad(grad(f)) stages f twice: once per grad)
    slot = (kind, depth)
    facts = _facts_of(user_fun, False)
    if facts is not None and facts.interpret:
        return None
    fname = getattr(fun, '__name__', None) or type(fun).__name__
    expect = facts.expect.get(slot) if facts is not None and facts.expect else None
    if expect is not None and expect.fits(avals):
        trace = StagingTrace(_current_trace.get(), values, kind, fname, expect)
        trace.invars = list(expect.invars)
        tracers = [JaxprTracer(trace, v.aval, v) for v in expect.invars]
    else:
        trace = StagingTrace(_current_trace.get(), values, kind, fname)
        tracers = [trace.new_arg(a) for a in avals]
    token = _current_trace.set(trace)
    try:
        outs = flat(*tracers)
    except _Unstageable:
        trace.alive = False
        facts = _facts_of(user_fun, True)
        if facts is not None:
            facts.interpret = True
        if _inside_staging(trace.parent):
            raise  # the outermost staging reruns everything without staging
        return None
    except BaseException:
        trace.alive = False
        raise
    finally:
        _current_trace.reset(token)
    trace.env = None  # values computed for Python's sake are not kept
    if trace.matched(outs):  # the structure of the last call, followed to the end
        trace.alive = False
        facts.misses = 0
        return Staged(None, trace.const_vals, trace.expect.closed, fname, (), avals)
    jaxpr, consts = trace.finish(outs)
    if trace.followed:
        jaxpr = _renamed(jaxpr)
    closed = _canonical_for(jaxpr)
    facts = facts or _facts_of(user_fun, True)
    if closed is None:
        if facts is not None:
            facts.misses += 1
            # a structure that changes on every call (a Python float that changes, say)
            # never reaches the compiled path: stop paying for staging it
            facts.interpret = facts.misses >= _MAX_MISSES
    elif facts is not None:
        facts.misses = 0
        # the next call of the function follows this structure instead of keying its own
        if facts.expect is None:
            facts.expect = {}
        facts.expect[slot] = _Structure(closed, len(jaxpr.constvars), avals, trace.raw)
    # outputs that were plain Python numbers stay Python numbers, as without staging
    scalar_outs = [(i, o) for i, o in enumerate(outs) if type(o) in _PY_NUMBERS]
    return Staged(jaxpr, consts, closed, fname, scalar_outs, avals)


_PY_NUMBERS = (float, int, complex, bool)


class Staged:
    """A staged function: evaluates the recorded jaxpr (first sighting) or binds one
    ``jit`` call of the canonical jaxpr of its structure (``closed``).  ``jaxpr`` is None
    for a recording that followed its structure to the end (it is ``closed``);
    ``scalar_outs``: (position, value) of outputs that were Python numbers; ``in_avals``:
    the staged inputs' avals."""
    __slots__ = ('jaxpr', 'consts', 'closed', 'name', 'scalar_outs', 'in_avals')

    def __init__(self, jaxpr, consts, closed, name, scalar_outs, in_avals):
        self.jaxpr = jaxpr
        self.consts = consts
        self.closed = closed
        self.name = name
        self.scalar_outs = scalar_outs
        self.in_avals = in_avals

    def __call__(self, *xs):
        if self.closed is None:
            outs = eval_jaxpr(self.jaxpr, self.consts, *xs)
        else:
            outs = _call(self.closed, [*self.consts, *xs], self.name)
        for i, value in self.scalar_outs:
            outs[i] = value
        return outs

    def transformed(self, name, transform, xs):
        """The outputs of ``transform(f, xs)`` (a flat list), where ``f`` is this canonical
        staged function of its non-constant inputs: one ``jit`` call of a jaxpr that
        applies the transformation, built once per structure and ``transform`` (a
        module-level function, so that it can be part of the cache key)."""
        closed, n = self.closed, len(self.consts)
        t, t_consts = _jit()._cached(closed, (name, transform, n),
                              lambda: _transformed_jaxpr(closed, n, transform))
        return _call(t, [*t_consts, *self.consts, *xs], f"{name}({self.name})")

    def vjp(self, xs):
        """``(outputs, linear)`` for a canonical staged function of real inputs with real
        outputs: the outputs and the residuals come from one ``jit`` call, and ``linear``
        (a ``StagedLinear``) maps output cotangents to input cotangents with another."""
        closed, n = self.closed, len(self.consts)
        fwd, fwd_consts, bwd, bwd_consts = _jit()._cached(closed, ('vjp', n),
                                                   lambda: _vjp_jaxprs(closed, n))
        outs = _call(fwd, [*fwd_consts, *self.consts, *xs], f"vjp_fwd({self.name})")
        n_out = len(closed.out_avals)
        return outs[:n_out], StagedLinear(bwd, bwd_consts, outs[n_out:],
                                          f"vjp_bwd({self.name})")


class StagedLinear:
    """The pullback of a staged ``vjp``: a cached transposed jaxpr and its residuals.
    Traced by ``make_jaxpr`` or ``jit``, it shows the transposed operations themselves."""
    __slots__ = ('jaxpr', 'consts', 'residuals', 'name')

    def __init__(self, jaxpr, consts, residuals, name):
        self.jaxpr = jaxpr
        self.consts = consts
        self.residuals = residuals
        self.name = name

    def transpose(self, cts):
        if staging_allowed():
            return _call(self.jaxpr, [*self.consts, *self.residuals, *cts], self.name)
        return eval_jaxpr(self.jaxpr.jaxpr, [], *self.consts, *self.residuals, *cts)


_jit_module = None


def _jit():
    """The jit module, imported when first needed (it imports this module's users)."""
    global _jit_module
    if _jit_module is None:
        from . import jit
        _jit_module = jit
    return _jit_module


def _call(closed, args, name):
    return _jit().jit_p.bind(*args, jaxpr=closed, name=name)


def batched_call(closed, vals, dims, size, name):
    """``(outputs, their batch dims)`` of ``vmap`` of one call of ``closed``: its cached
    batched jaxpr, called once (no batch trace)."""
    return _jit()._jit_batch(AxisData(size, None), vals, dims, jaxpr=closed, name=name)


def _vjp_jaxprs(closed, n_consts):
    """Linearize the staged jaxpr once, abstractly: a forward jaxpr (inputs -> outputs
    and residuals) and a backward one (residuals and output cotangents -> input
    cotangents), constants hoisted."""
    from .ad import linearize_flat, backward_pass
    _trace_flat = _jit()._trace_flat
    linear = []

    def forward(*args):
        consts = args[:n_consts]
        outs, lin = linearize_flat(
            lambda *xs: eval_jaxpr(closed.jaxpr, [], *consts, *xs), list(args[n_consts:]))
        linear.append(lin)
        return list(outs) + list(lin.consts)
    fwd, fwd_consts = _trace_flat(forward, closed.in_avals)
    lin = linear[0]
    n_res = len(lin.consts)

    def backward(*args):
        cts = backward_pass(lin.jaxpr, list(args[:n_res]), list(args[n_res:]))
        return [instantiate(c) if type(c) is Zero else c for c in cts]
    res_avals = [get_aval(c) for c in lin.consts]
    bwd, bwd_consts = _trace_flat(backward, res_avals + list(lin.out_avals))
    return fwd, fwd_consts, bwd, bwd_consts


def _transformed_jaxpr(closed, n_consts, transform):
    _trace_flat = _jit()._trace_flat

    def fun(*args):
        consts = args[:n_consts]
        return transform(lambda *xs: eval_jaxpr(closed.jaxpr, [], *consts, *xs),
                         list(args[n_consts:]))
    return _trace_flat(fun, closed.in_avals)


def inline_calls(jaxpr):
    """``jaxpr`` with its ``jit`` equations replaced by their bodies, so that a linear
    function made by a staged ``vjp`` or ``linearize`` shows its operations one by one
    when ``make_jaxpr`` or ``jit`` traces it, as an unstaged one does."""
    jit_p = _jit().jit_p
    rename = {}
    eqns = []

    def read(a):
        return rename.get(a, a) if type(a) is Var else a
    for eqn in jaxpr.eqns:
        body = eqn.params.get('jaxpr') if eqn.prim is jit_p else None
        if body is None or body.consts:
            eqns.append(Eqn(eqn.prim, [read(a) for a in eqn.invars], eqn.outvars, eqn.params))
            continue
        inner = dict(zip(body.jaxpr.invars, [read(a) for a in eqn.invars]))
        for e in body.jaxpr.eqns:
            outs = [Var(v.aval) for v in e.outvars]  # fresh: a body may be inlined twice
            inner.update(zip(e.outvars, outs))
            eqns.append(Eqn(e.prim, [inner.get(a, a) if type(a) is Var else a
                                     for a in e.invars], outs, e.params))
        for v, out in zip(eqn.outvars, body.jaxpr.outvars):
            rename[v] = inner.get(out, out) if type(out) is Var else out
    return Jaxpr(jaxpr.constvars, jaxpr.invars, [read(a) for a in jaxpr.outvars], eqns)


def clear():
    """Forget every canonical jaxpr and what was learnt about functions
    (``pullback.clear_caches``)."""
    _canonical.clear()
    _seen.clear()
    _facts.clear()
