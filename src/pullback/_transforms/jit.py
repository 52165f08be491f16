"""``jit``: trace once per input signature, optimise, compile to straight-line NumPy, cache.

Calling a jitted function at rest (the eval trace current) flattens the arguments, builds a
key (pytree structure, every leaf's shape, dtype and weak type, the static arguments' values
and the x64 flag), looks it up, and runs the compiled Python function.  On a miss the
function is traced to a jaxpr with abstract inputs, optimised and compiled
(``codegen.compile_jaxpr``).  Only a change of key retraces; a failed trace caches nothing.

Under any other transformation a jitted function is one ``jit`` equation (the call
primitive ``jit_p``), whose rules transform the traced jaxpr and bind ``jit`` again, so
``grad(jit(f))``, ``vmap(jit(f))`` and ``jit(grad(jit(f)))`` stay compiled:

* ``impl``: compile the jaxpr (cached by the jaxpr's identity) and run it;
* ``jvp`` / ``batch`` / ``transpose``: trace ``jvp_flat`` / ``batch_flat`` /
  ``backward_pass`` over the body into a new jaxpr (cached), then bind ``jit`` with it;
* ``partial_eval`` (linearize): split the body with ``partial_eval_jaxpr``, run the known
  part now on the parent trace, record the unknown part as a new ``jit`` equation;
* ``inline_body``: the compiler inlines a nested ``jit`` into the enclosing straight-line
  code (``codegen_callable``, a call of the compiled body, serves unoptimised code).

Constants of a traced function (closed-over arrays or outer tracers) are hoisted to leading
operands of the ``jit`` equation, so its ``jaxpr`` param never has constants.

``donate_argnums`` / ``donate_argnames`` are validated and otherwise ignored: NumPy arrays
are immutable here and there is no device buffer to reuse.  ``keep_unused`` is accepted for
compatibility (every argument is always passed).

    >>> f = jit(lambda x, y: x * y + 1)
    >>> f(jnp.arange(3.), 2.)
    Array([1., 3., 5.], dtype=float32)
    >>> print(f.lower(jnp.arange(3.), 2.).source)
    def jitted(x0, x1):
        t0 = (x0 * x1)
        t1 = (t0 + k0)
        return (t1, )
"""
import functools
import inspect
import weakref

import numpy as np

from ..config import config
from .._array import Array
from .._core.core import (Primitive, Tracer, Zero, get_aval, is_array_like, eval_trace,
                          _current_trace, set_current_trace)
from .._core.avals import ShapedArray
from .._core.jaxpr import Jaxpr, ClosedJaxpr, Eqn, Var, trace_to_jaxpr, eval_jaxpr
from .._core.rules import is_undefined
from ..tree_util import tree_flatten, tree_unflatten, tree_flatten_with_path, keystr, \
    treedef_is_leaf
from .ad import jvp_flat, backward_pass
from .batching import batch_flat
from .codegen import compile_jaxpr, as_dtype, forget_sources
from .partial_eval import partial_eval_jaxpr, dce_jaxpr

__all__ = ['jit', 'clear_caches', 'jit_p']

_cfg = config._values  # read directly on the fast path
_new_array = object.__new__
_ndarray = np.ndarray  # a global: cheaper than the attribute of numpy's large module
_PYTHON_SCALARS = frozenset([float, int, complex, bool])


def _trace_context():
    """Configuration that changes what tracing produces: part of every cache key."""
    return (_cfg['jax_enable_x64'], _cfg['jax_threefry_partitionable'])


# --- Caches of derived jaxprs, keyed by the identity of the jaxpr they come from ---------

# Each ClosedJaxpr's ``memo`` dict holds its executable and the jaxprs the rules derive from
# it (so they live and die with it); these are the jaxprs that have one.
_with_memo = weakref.WeakSet()
_EXECUTABLE = 'executable'


def _memo(closed):
    memo = closed.memo
    if memo is None:
        memo = closed.memo = {}
        _with_memo.add(closed)
    return memo


def _cached(closed, key, build):
    memo = closed.memo
    out = memo.get(key) if memo is not None else None
    if out is None:
        out = _memo(closed)[key] = build()
    return out


def _executable(closed):
    memo = closed.memo
    exe = memo.get(_EXECUTABLE) if memo is not None else None
    if exe is None:
        exe = _memo(closed)[_EXECUTABLE] = compile_jaxpr(closed.jaxpr, closed.consts)
    return exe


def _hoist(closed):
    """``(closed', consts)``: the constants as leading inputs, so ``closed'`` has none."""
    j = closed.jaxpr
    if not j.constvars:
        return closed, []
    return (ClosedJaxpr(Jaxpr([], j.constvars + j.invars, j.outvars, j.eqns), []),
            list(closed.consts))


def _trace_flat(fun, in_avals):
    """Trace a flat function of abstract inputs; constants hoisted (they are concrete:
    ``fun`` only reads its inputs and concrete constants)."""
    return _hoist(trace_to_jaxpr(fun, list(in_avals)))


# --- The call primitive -------------------------------------------------------------------

class _CallPrimitive(Primitive):
    """``jit_p``: at rest, with array operands of the expected dtypes, binding calls the
    compiled function straight away (what the eval trace would do, less the dispatch)."""

    def bind(self, *args, jaxpr, name):
        if _current_trace.get() is eval_trace:
            exe = _executable(jaxpr)
            vals = []
            for x, a in zip(args, exe.in_avals):
                if type(x) is not Array or x._dtype != a.dtype:
                    break
                vals.append(x._value)
            else:
                return [Array(o if type(o) is _ndarray and o.dtype == a.dtype
                              else np.asarray(o, a.dtype), a.weak_type)
                        for o, a in zip(exe.fn(*vals), exe.out_avals)]
        return _current_trace.get().process_primitive(self, args,
                                                       dict(jaxpr=jaxpr, name=name))


jit_p = _CallPrimitive('jit', multiple_results=True)


def _jit_impl(*args, jaxpr, name):
    exe = _executable(jaxpr)
    outs = exe.fn(*[as_dtype(x, a.dtype) for x, a in zip(args, exe.in_avals)])
    return [as_dtype(o, a.dtype) for o, a in zip(outs, exe.out_avals)]


def _jit_abstract_eval(*avals, jaxpr, name):
    expected = jaxpr.in_avals
    if len(avals) != len(expected):
        raise TypeError(f"jit of {name}: the traced function takes {len(expected)} operands, "
                        f"got {len(avals)}")
    for i, (a, e) in enumerate(zip(avals, expected)):
        if a.shape != e.shape or a.dtype != e.dtype:
            raise TypeError(f"jit of {name}: operand {i} has type {a.str_short()}, but the "
                            f"function was traced for {e.str_short()}")
    return list(jaxpr.out_avals)


def _has_tangent_space(aval):
    return aval.dtype.kind in 'fc'


def _jit_jvp(primals, tangents, jaxpr, name):
    # integer and boolean inputs have no tangent space: their tangents are zero
    nonzero = tuple(type(t) is not Zero and _has_tangent_space(a)
                    for t, a in zip(tangents, jaxpr.in_avals))
    jvp_jaxpr, consts, out_nonzero = _cached(jaxpr, ('jvp', nonzero),
                                             lambda: _make_jvp(jaxpr, nonzero))
    outs = jit_p.bind(*consts, *primals, *[t for t, nz in zip(tangents, nonzero) if nz],
                      jaxpr=jvp_jaxpr, name=f"jvp({name})")
    n = len(jaxpr.out_avals)
    it = iter(outs[n:])
    return outs[:n], [next(it) if nz else Zero(a.to_tangent_aval())
                      for nz, a in zip(out_nonzero, jaxpr.out_avals)]


def _make_jvp(closed, nonzero):
    in_avals = closed.in_avals
    n = len(in_avals)
    out_nonzero = []

    def fun(*xs):
        it = iter(xs[n:])
        tangents = [next(it) if nz else Zero(a.to_tangent_aval())
                    for nz, a in zip(nonzero, in_avals)]
        p_out, t_out = jvp_flat(lambda *ys: eval_jaxpr(closed.jaxpr, closed.consts, *ys),
                                xs[:n], tangents)
        out_nonzero.extend(type(t) is not Zero for t in t_out)
        return list(p_out) + [t for t in t_out if type(t) is not Zero]
    t_avals = [a.to_tangent_aval() for a, nz in zip(in_avals, nonzero) if nz]
    jvp_jaxpr, consts = _trace_flat(fun, in_avals + t_avals)
    return jvp_jaxpr, consts, tuple(out_nonzero)


def _jit_batch(axis, vals, dims, jaxpr, name):
    key = ('batch', tuple(dims), axis.size, axis.name)
    batched, consts, out_dims = _cached(jaxpr, key, lambda: _make_batch(jaxpr, dims, axis))
    return jit_p.bind(*consts, *vals, jaxpr=batched, name=name), list(out_dims)


def _make_batch(closed, dims, axis):
    out_dims = []

    def fun(*xs):
        outs, od = batch_flat(lambda *ys: eval_jaxpr(closed.jaxpr, closed.consts, *ys),
                              xs, list(dims), axis.size, axis.name)
        out_dims.extend(od)
        return outs
    in_avals = [a if d is None else a.update(shape=a.shape[:d] + (axis.size,) + a.shape[d:])
                for a, d in zip(closed.in_avals, dims)]
    batched, consts = _trace_flat(fun, in_avals)
    return batched, consts, tuple(out_dims)


def _jit_transpose(cts, *args, jaxpr, name):
    undefined = tuple(is_undefined(x) for x in args)
    # cotangents of integer outputs carry nothing (they have no tangent space)
    ct_nonzero = tuple(type(c) is not Zero and _has_tangent_space(a)
                       for c, a in zip(cts, jaxpr.out_avals))
    if not any(ct_nonzero):
        return [None] * len(args)
    t_jaxpr, consts, in_nonzero = _cached(
        jaxpr, ('transpose', undefined, ct_nonzero),
        lambda: _make_transpose(jaxpr, undefined, ct_nonzero))
    outs = jit_p.bind(*consts, *[x for x, u in zip(args, undefined) if not u],
                      *[c for c, nz in zip(cts, ct_nonzero) if nz],
                      jaxpr=t_jaxpr, name=f"transpose({name})")
    it = iter(outs)
    nz = iter(in_nonzero)
    return [(next(it) if next(nz) else None) if u else None for u in undefined]


def _make_transpose(closed, undefined, ct_nonzero):
    """A jaxpr from (defined inputs, nonzero output cotangents) to the nonzero cotangents
    of the undefined (linear) inputs.  The body is first split so that whatever does not
    depend on the linear inputs is computed forwards; the rest is transposed."""
    known, linear, out_linear, n_res = partial_eval_jaxpr(closed, list(undefined))
    body = closed.jaxpr
    n_def = sum(not u for u in undefined)
    in_nonzero = []

    def fun(*xs):
        res = eval_jaxpr(known.jaxpr, known.consts, *xs[:n_def])
        res = res[len(res) - n_res:] if n_res else []
        it = iter(xs[n_def:])
        cts = [next(it) if nz else Zero(v.aval) for v, nz in zip(body.outvars, ct_nonzero)]
        lin = linear.jaxpr
        lin = Jaxpr(lin.invars[:n_res], lin.invars[n_res:], lin.outvars, lin.eqns)
        cts_in = backward_pass(lin, res, [c for c, u in zip(cts, out_linear) if u])
        in_nonzero.extend(type(c) is not Zero for c in cts_in)
        return [c for c in cts_in if type(c) is not Zero]
    in_avals = [a for a, u in zip(closed.in_avals, undefined) if not u] + \
               [a.to_tangent_aval() for a, nz in zip(closed.out_avals, ct_nonzero) if nz]
    t_jaxpr, consts = _trace_flat(fun, in_avals)
    return t_jaxpr, consts, tuple(in_nonzero)


def _split_cached(closed, unknowns):
    """``partial_eval_jaxpr`` of a ``jit`` body, the known part's constants hoisted."""
    def build():
        known, unknown, out_unknowns, n_res = partial_eval_jaxpr(closed, list(unknowns))
        known, consts = _hoist(known)
        return known, consts, unknown, tuple(out_unknowns), n_res
    return _cached(closed, ('partial_eval', unknowns), build)


def _jit_partial_eval(trace, args, params):
    """linearize reached a ``jit`` with known and unknown inputs: run the known part now
    (on the parent trace), record only the unknown part."""
    closed, name = params['jaxpr'], params['name']
    unknowns = tuple(not trace.is_known(x) for x in args)
    known, consts, unknown, out_unknowns, n_res = _split_cached(closed, unknowns)
    known_args = [x for x, u in zip(args, unknowns) if not u]
    known_outs = []
    if known.jaxpr.outvars:
        with set_current_trace(trace.parent):
            known_outs = jit_p.bind(*consts, *known_args, jaxpr=known, name=name)
    residuals = known_outs[len(known_outs) - n_res:] if n_res else []
    unknown_args = [x for x, u in zip(args, unknowns) if u]
    unknown_outs = trace.add_eqn(jit_p, list(residuals) + unknown_args, unknown.out_avals,
                                 dict(jaxpr=unknown, name=name))
    k, u = iter(known_outs), iter(unknown_outs)
    return [next(u) if unk else next(k) for unk in out_unknowns]


def _jit_partial_eval_jaxpr_rule(eqn, unknowns):
    """The same split for a ``jit`` equation inside a jaxpr being split."""
    closed, name = eqn.params['jaxpr'], eqn.params['name']
    known, consts, unknown, out_unknowns, n_res = _split_cached(closed, tuple(unknowns))
    if consts:  # cannot happen: jit bodies have their constants hoisted already
        return None, eqn, [True] * len(eqn.outvars)
    residuals = [Var(a) for a in unknown.in_avals[:n_res]]
    known_eqn = Eqn(jit_p, [a for a, u in zip(eqn.invars, unknowns) if not u],
                    [v for v, u in zip(eqn.outvars, out_unknowns) if not u] + residuals,
                    dict(jaxpr=known, name=name))
    unknown_eqn = Eqn(jit_p, residuals + [a for a, u in zip(eqn.invars, unknowns) if u],
                      [v for v, u in zip(eqn.outvars, out_unknowns) if u],
                      dict(jaxpr=unknown, name=name))
    return known_eqn, unknown_eqn, list(out_unknowns)


def _jit_dce_rule(used_outputs, eqn):
    closed = eqn.params['jaxpr']

    def build():
        new, used_inputs = dce_jaxpr(closed.jaxpr, list(used_outputs), prune_invars=True)
        return ClosedJaxpr(new, closed.consts), tuple(used_inputs)
    pruned, used_inputs = _cached(closed, ('dce', tuple(used_outputs)), build)
    return Eqn(jit_p, [a for a, u in zip(eqn.invars, used_inputs) if u],
               [v for v, u in zip(eqn.outvars, used_outputs) if u],
               dict(eqn.params, jaxpr=pruned))


jit_p.impl = _jit_impl
jit_p.abstract_eval = _jit_abstract_eval
jit_p.weak_type_rule = lambda args, params: [a.weak_type for a in params['jaxpr'].out_avals]
jit_p.jvp = _jit_jvp
jit_p.batch = _jit_batch
jit_p.transpose = _jit_transpose
jit_p.partial_eval = _jit_partial_eval
jit_p.partial_eval_jaxpr_rule = _jit_partial_eval_jaxpr_rule
jit_p.dce_rule = _jit_dce_rule
jit_p.param_order = ("name", "jaxpr")  # printed as jit[name=f jaxpr={...}], as JAX does
jit_p.codegen = None
jit_p.codegen_callable = lambda jaxpr, name: _executable(jaxpr).fn
jit_p.inline_body = lambda jaxpr, name: jaxpr


# --- Argument handling --------------------------------------------------------------------

def _signature(fun):
    try:
        return inspect.signature(fun)
    except (TypeError, ValueError):
        return None


def _as_tuple(x, kind):
    if x is None:
        return ()
    if isinstance(x, (int, str)):
        return (x,)
    try:
        return tuple(x)
    except TypeError:
        raise TypeError(f"jit: {kind} must be an int/str or a sequence of them, got "
                        f"{x!r}") from None


def _resolve_args(sig, nums, names, kind):
    """Positions and names of the arguments listed by number or by name (both ways)."""
    for n in nums:
        if not isinstance(n, int):
            raise TypeError(f"jit: {kind}_argnums must contain ints, got {n!r}")
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"jit: {kind}_argnames must contain strings, got {n!r}")
    if sig is None:
        return tuple(nums), tuple(names)
    params = list(sig.parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    var_pos = any(p.kind is p.VAR_POSITIONAL for p in params)
    var_kw = any(p.kind is p.VAR_KEYWORD for p in params)
    if not var_pos:
        for n in nums:
            if not -len(positional) <= n < len(positional):
                raise ValueError(f"Jitted function has {kind}_argnums={tuple(nums)}, but only "
                                 f"accepts {len(positional)} positional arguments.")
    known = {p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD,
                                                      p.POSITIONAL_ONLY)}
    bad = set(names) - known
    if bad and not var_kw:
        raise ValueError(f"Jitted function has invalid argnames {bad} in {kind}_argnames. "
                         f"Function does not take these args.")
    nums = set(n % len(positional) if n < 0 and positional and not var_pos else n
               for n in nums)
    names = set(names)
    for i, p in enumerate(positional):
        if i in nums and p.kind is p.POSITIONAL_OR_KEYWORD:
            names.add(p.name)
        if p.name in names:
            nums.add(i)
    return tuple(sorted(nums)), tuple(sorted(names))


def _leaf_names(sig, dyn_positions, dyn_args, dyn_kwargs):
    """A readable path per flat leaf: ``x``, ``params['w']``, ``args[2][0]``."""
    params = [] if sig is None else [
        p.name for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names = []
    for path, _ in tree_flatten_with_path((dyn_args, dyn_kwargs))[0]:
        if path[0].idx == 0:
            pos = dyn_positions[path[1].idx]
            head = params[pos] if pos < len(params) else f"args[{pos}]"
        else:
            head = str(path[1].key)
        names.append(head + keystr(path[2:]))
    return names


def _static_hash_check(value, where):
    try:
        hash(value)
    except TypeError as e:
        raise ValueError(f"Non-hashable static arguments are not supported. An error occurred "
                         f"while trying to hash an object of type {type(value)}, {value!r} "
                         f"(static argument {where}). The error was:\nTypeError: {e}\n"
                         f"Pass it as a hashable value (a tuple instead of a list), or make it "
                         f"a dynamic argument.") from None


class _Traced:
    """One trace of the wrapped function: its jaxpr, output structure and, once run at
    rest, its compiled form."""
    __slots__ = ('closed', 'out_tree', 'arg_names', '_hoisted', '_entry')

    def __init__(self, closed, out_tree, arg_names):
        self.closed = closed
        self.out_tree = out_tree
        self.arg_names = arg_names
        self._hoisted = None
        self._entry = None

    @property
    def hoisted(self):
        if self._hoisted is None:
            self._hoisted = _hoist(self.closed)
        return self._hoisted

    @property
    def entry(self):
        if self._entry is None:
            self._entry = _Entry(self)
        return self._entry


class _Entry:
    """What a call at rest needs: the compiled function and how to convert its inputs and
    wrap its outputs."""
    __slots__ = ('exe', 'fn', 'in_dtypes', 'out_specs', 'out_tree', 'single')

    def __init__(self, traced):
        closed = traced.closed
        self.exe = compile_jaxpr(closed.jaxpr, closed.consts)
        self.fn = self.exe.fn
        self.in_dtypes = [a.dtype for a in closed.in_avals]
        self.out_specs = [(a.dtype, a.weak_type) for a in closed.out_avals]
        self.out_tree = traced.out_tree
        self.single = treedef_is_leaf(traced.out_tree)

    def run(self, leaves):
        """Inputs: Arrays, NumPy values or Python scalars matching the traced avals."""
        vals = []
        for x, dt in zip(leaves, self.in_dtypes):
            if type(x) is Array:
                x = x._value
            vals.append(x if type(x) is np.ndarray and x.dtype == dt else as_dtype(x, dt))
        return self.wrap(self.fn(*vals))

    def wrap(self, outs):
        if self.single:  # the commonest case, kept short
            o = outs[0]
            dt, weak = self.out_specs[0]
            if type(o) is not _ndarray or o.dtype is not dt:
                o = as_dtype(o, dt)
            # an Array without the __init__ frame (both slots set here)
            out = _new_array(Array)
            out._value = o
            out._dtype = dt
            out.weak_type = weak
            return out
        res = []
        for o, (dt, weak) in zip(outs, self.out_specs):
            if (type(o) is not np.ndarray and not isinstance(o, np.generic)) or o.dtype != dt:
                o = np.asarray(o, dt)
            res.append(Array(o, weak))
        return tree_unflatten(self.out_tree, res)


def _abstractify(x):
    if is_array_like(x):
        return get_aval(x)
    shape, dtype = getattr(x, 'shape', None), getattr(x, 'dtype', None)
    if shape is not None and dtype is not None:  # ShapeDtypeStruct and friends
        return ShapedArray(shape, dtype, getattr(x, 'weak_type', False))
    return None


# --- The wrapper --------------------------------------------------------------------------

_all_wrapped = weakref.WeakSet()


def _forget_fast_paths(name, value):
    """A configuration change (x64, threefry mode) invalidates the positional fast paths,
    whose keys leave the configuration out to stay cheap; the full caches key on it."""
    for w in list(_all_wrapped):
        w._fast.clear()


config._add_listener(_forget_fast_paths)


class JitWrapped:
    """A jit-compiled function (what ``jit(f)`` returns).

    Call it like ``f``.  ``lower(*args)`` shows what is compiled for those arguments
    (``.as_text()``: the optimised jaxpr; ``.source``: the generated Python), ``trace(*args)``
    gives the traced jaxpr (``.jaxpr``), ``eval_shape(*args)`` the output shapes, and
    ``clear_cache()`` forgets this function's traces.
    """

    def __init__(self, fun, static_argnums=(), static_argnames=(), donate_argnums=(),
                 donate_argnames=(), inline=False, keep_unused=False):
        if not callable(fun):
            raise TypeError(f"jit: expected a function, got {fun!r} of type "
                            f"{type(fun).__name__}")
        functools.update_wrapper(self, fun)
        self._fun = fun
        self._name = getattr(fun, '__name__', None) or type(fun).__name__
        sig = self._sig = _signature(fun)
        self._static_nums, self._static_names = _resolve_args(
            sig, _as_tuple(static_argnums, 'static_argnums'),
            _as_tuple(static_argnames, 'static_argnames'), 'static')
        donate_nums, donate_names = _resolve_args(
            sig, _as_tuple(donate_argnums, 'donate_argnums'),
            _as_tuple(donate_argnames, 'donate_argnames'), 'donate')
        both = set(self._static_names) & set(donate_names)
        if both:
            raise ValueError(f"static_argnames and donate_argnames cannot intersect. Argument "
                             f"names {both} appear in both static_argnames and "
                             f"donate_argnames")
        both = set(self._static_nums) & set(donate_nums)
        if both:
            raise ValueError(f"static_argnums and donate_argnums cannot intersect. Argument "
                             f"numbers {both} appear in both static_argnums and "
                             f"donate_argnums")
        self._has_static = bool(self._static_nums or self._static_names)
        self._inline = inline
        self._keep_unused = keep_unused
        self._cache = {}   # full key -> _Traced
        self._fast = {}    # positional-leaves key -> (_Entry, Python scalar positions)
        _all_wrapped.add(self)

    def __repr__(self):
        return f"<jit-compiled {self._fun!r}>"

    def __get__(self, obj, objtype=None):
        # a jitted function defined in a class body is a method
        return self if obj is None else functools.partial(self, obj)

    # The eager fast path: positional Arrays and Python scalars, nothing static.
    def __call__(self, *args, **kwargs):
        if kwargs or self._has_static or _current_trace.get() is not eval_trace:
            return self._call(args, kwargs)
        # The key, flat (cheaper to build than a tuple per argument): shape, dtype and weak
        # type per Array, the type of each Python scalar (a type never equals a shape).
        # The configuration is not in it: changing that clears every _fast dict.
        key = ()
        vals = []
        for x in args:
            t = type(x)
            if t is Array:
                v = x._value
                key += (v.shape, x._dtype, x.weak_type)
                vals.append(v)
            elif t in _PYTHON_SCALARS:
                key += (t,)
                vals.append(x)
            else:
                return self._call(args, kwargs)
        fast = self._fast.get(key)
        if fast is None:
            if _cfg['jax_disable_jit']:
                return self._fun(*args)
            entry = self._lookup(args, {})[0].entry
            scalars = [(i, dt) for i, (x, dt) in enumerate(zip(args, entry.in_dtypes))
                       if type(x) is not Array]
            fast = self._fast[key] = (entry, scalars)
        entry, scalars = fast
        # the key fixes every Array's dtype, so only Python scalars need converting
        if scalars:
            for i, dt in scalars:
                vals[i] = np.asarray(vals[i], dt)
        return entry.wrap(entry.fn(*vals))

    def _call(self, args, kwargs):
        if _cfg['jax_disable_jit']:
            return self._fun(*args, **kwargs)
        traced, leaves = self._lookup(args, kwargs)
        if _current_trace.get() is eval_trace:
            return traced.entry.run(leaves)
        if self._inline:
            outs = eval_jaxpr(traced.closed.jaxpr, traced.closed.consts, *leaves)
        else:
            closed, consts = traced.hoisted
            outs = jit_p.bind(*consts, *leaves, jaxpr=closed, name=self._name)
        return tree_unflatten(traced.out_tree, outs)

    def _split(self, args, kwargs):
        """(dynamic positions, dynamic args, dynamic kwargs, static key)."""
        if not self._has_static:
            return range(len(args)), args, kwargs, ()
        n = len(args)
        static_pos = {i % n if i < 0 else i for i in self._static_nums if -n <= i < n}
        dyn_pos = [i for i in range(n) if i not in static_pos]
        static = []
        for i in sorted(static_pos):
            _static_hash_check(args[i], f"at position {i}")
            static.append((i, args[i]))
        dyn_kwargs = {}
        for k, v in kwargs.items():
            if k in self._static_names:
                _static_hash_check(v, repr(k))
                static.append((k, v))
            else:
                dyn_kwargs[k] = v
        return dyn_pos, tuple(args[i] for i in dyn_pos), dyn_kwargs, tuple(static)

    def _lookup(self, args, kwargs, abstract=False):
        """The trace for these arguments (tracing on a miss) and the flat dynamic leaves."""
        dyn_pos, dyn_args, dyn_kwargs, static = self._split(args, kwargs)
        leaves, in_tree = tree_flatten((tuple(dyn_args), dyn_kwargs))
        avals = []
        for i, x in enumerate(leaves):
            a = get_aval(x) if is_array_like(x) else (_abstractify(x) if abstract else None)
            if a is None:
                self._bad_leaf(i, x, dyn_pos, dyn_args, dyn_kwargs)
            avals.append(a)
        key = (in_tree, tuple(avals), static, _trace_context())
        traced = self._cache.get(key)
        if traced is None:
            traced = self._trace(args, kwargs, dyn_pos, dyn_args, dyn_kwargs, in_tree, avals)
            if not any(isinstance(c, Tracer) for c in traced.closed.consts):
                self._cache[key] = traced  # closing over an outer tracer: never reused
        return traced, leaves

    def _bad_leaf(self, i, x, dyn_pos, dyn_args, dyn_kwargs):
        path = _leaf_names(self._sig, list(dyn_pos), dyn_args, dyn_kwargs)[i]
        raise TypeError(
            f"Error interpreting argument to {self._fun!r} as an abstract array. The "
            f"problematic value is of type {type(x)} and was passed to the function at path "
            f"{path}.\nThis typically means that a jit-wrapped function was called with a "
            f"non-array argument, and this argument was not marked as static using the "
            f"static_argnums or static_argnames parameters of jax.jit.")

    def _trace(self, args, kwargs, dyn_pos, dyn_args, dyn_kwargs, in_tree, avals):
        names = _leaf_names(self._sig, list(dyn_pos), dyn_args, dyn_kwargs)
        dyn_pos = list(dyn_pos)
        fun, fname = self._fun, self._name
        out_store = []

        def flat(*ls):
            d_args, d_kwargs = tree_unflatten(in_tree, ls)
            full = list(args)
            for i, v in zip(dyn_pos, d_args):
                full[i] = v
            kw = dict(kwargs)
            kw.update(d_kwargs)
            trace = _current_trace.get()
            try:
                out = fun(*full, **kw)
            except BaseException:
                trace.alive = False  # tracers saved by a failed trace are dead too
                raise
            out_leaves, out_tree = tree_flatten(out)
            for leaf in out_leaves:
                if not is_array_like(leaf):
                    raise TypeError(f"function {fname} traced for jit returned a value of "
                                    f"type {type(leaf)}, which is not a valid JAX type: "
                                    f"outputs must be pytrees of arrays")
            out_store.append(out_tree)
            return out_leaves
        closed = trace_to_jaxpr(flat, avals, ('jit', fname, names), names)
        return _Traced(closed, out_store[0], names)

    # --- Introspection -------------------------------------------------------------------

    def trace(self, *args, **kwargs):
        """The traced program for these arguments (arrays or ``ShapeDtypeStruct``s)."""
        return Traced(self, self._lookup(args, kwargs, abstract=True)[0])

    def lower(self, *args, **kwargs):
        """The compiled program for these arguments: ``.as_text()``, ``.source``."""
        return self.trace(*args, **kwargs).lower()

    def eval_shape(self, *args, **kwargs):
        """Output shapes and dtypes (``ShapeDtypeStruct``s), from the shared trace cache."""
        return self.trace(*args, **kwargs).out_info

    def clear_cache(self):
        self._cache.clear()
        self._fast.clear()


class Traced:
    """``jit(f).trace(*args)``: ``.jaxpr`` (a ClosedJaxpr), ``.out_info``, ``.lower()``."""

    def __init__(self, wrapped, traced):
        self._wrapped = wrapped
        self._traced = traced
        self.jaxpr = traced.closed
        self.arg_names = tuple(traced.arg_names)

    @property
    def out_info(self):
        from .._api import ShapeDtypeStruct
        return tree_unflatten(self._traced.out_tree,
                              [ShapeDtypeStruct(a.shape, a.dtype, a.weak_type)
                               for a in self.jaxpr.out_avals])

    def lower(self):
        return Lowered(self._wrapped, self._traced)


class Lowered:
    """``jit(f).lower(*args)``: the optimised jaxpr (``as_text()``, ``.jaxpr``), the
    generated Python (``.source``) and ``compile()``."""

    def __init__(self, wrapped, traced):
        self._wrapped = wrapped
        exe = traced.entry.exe
        self.jaxpr = exe.jaxpr
        self.consts = exe.consts
        self.source = exe.source

    def as_text(self):
        return str(self.jaxpr)

    def compile(self):
        """A callable running the compiled program (the jitted function itself)."""
        return self._wrapped


# --- Public API ---------------------------------------------------------------------------

def jit(fun=None, *, static_argnums=(), static_argnames=(), donate_argnums=(),
        donate_argnames=(), inline=False, keep_unused=False, **unsupported):
    """Compile ``fun``: trace it once per input signature to a jaxpr, optimise it, and run
    it as generated straight-line NumPy code.

    ``static_argnums`` / ``static_argnames`` name arguments passed as Python values (they
    must be hashable; each new value retraces).  ``donate_*`` are validated and ignored;
    ``inline=True`` inlines the function into an enclosing trace; ``keep_unused`` is
    accepted for compatibility.  Usable as ``@jit``, ``@jit(static_argnums=0)`` and
    ``functools.partial(jit, static_argnums=0)``.

    >>> @jit
    ... def f(x):
    ...     return jnp.sin(x) * 2.
    >>> f(1.)
    Array(1.682942, dtype=float32, weak_type=True)
    """
    for k in unsupported:
        if k not in ('in_shardings', 'out_shardings', 'device', 'backend', 'abstracted_axes',
                     'compiler_options'):
            raise TypeError(f"jit() got an unexpected keyword argument {k!r}")
    options = dict(static_argnums=static_argnums, static_argnames=static_argnames,
                   donate_argnums=donate_argnums, donate_argnames=donate_argnames,
                   inline=inline, keep_unused=keep_unused)
    if fun is None:
        return lambda f: JitWrapped(f, **options)
    return JitWrapped(fun, **options)


def clear_caches():
    """Forget every trace and compiled function (all jitted functions, ``jit`` rules and
    the structures that un-jitted transformations staged)."""
    from . import staging
    for w in list(_all_wrapped):
        w.clear_cache()
    for closed in list(_with_memo):
        closed.memo = None
    _with_memo.clear()
    staging.clear()
    forget_sources()
