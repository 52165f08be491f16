"""jit's compiler: optimise a jaxpr, then lower it to one straight-line Python function.

The optimiser is a chain of pure ``Jaxpr -> Jaxpr`` passes:

* ``simplify``: one forward pass that inlines nested calls (``prim.inline_body(**params)``
  gives the body of a ``jit`` equation), folds constants (an equation whose inputs are all
  literals or constants is evaluated now), drops no-op equations (a convert to the same
  dtype, a reshape/broadcast to the same shape, an identity transpose, stop_gradient) and
  eliminates common subexpressions (same primitive, same inputs, equal hashable params);
* ``dce_jaxpr`` (from ``partial_eval``): drops what no output needs.

The code generator emits one statement per equation: ``prim.codegen(*input_names,
**params)`` when the primitive gives a NumPy expression, otherwise a call of its ``impl``
with the params bound (``functools.partial``).  Primitives that run a compiled body of their
own (``jit``) set ``prim.codegen_callable(**params) -> fn``.  Constants, literals and
callables live in the function's namespace under generated names; nothing from the user
(function names, constant values, strings) is ever pasted into the source, and a lexical
check of every primitive's expression (``safe_expression``) enforces that.

    >>> closed = make_jaxpr(jnp.sin)(1.)
    >>> exe = compile_jaxpr(closed.jaxpr, closed.consts)
    >>> print(exe.source)
    def jitted(x0):
        t0 = xp.sin(x0)
        return (t0, )
    >>> exe(np.float32(1.0))
    (np.float32(0.841471),)
"""
import functools
import itertools
import math
import linecache
import re

import numpy as np

from .._array import Array
from .._core import core
from .._core.avals import ShapedArray
from .._core.jaxpr import Jaxpr, Var, Literal, Eqn
from .partial_eval import dce_jaxpr

__all__ = ['optimize_jaxpr', 'simplify', 'compile_jaxpr', 'Executable']

# The one namespace through which generated code reaches NumPy (a backend seam: CuPy later).
xp = np


def raw_value(x):
    """The NumPy value behind a constant: Arrays are unwrapped, NumPy values canonicalised."""
    if type(x) is Array:
        return x._value
    if isinstance(x, (np.ndarray, np.generic)):
        return core.canonicalize_numpy(x)
    return x


def as_dtype(x, dtype):
    """``x`` as a NumPy value of ``dtype`` (impls may hand back Python or NumPy scalars)."""
    if (type(x) is np.ndarray or isinstance(x, np.generic)) and x.dtype == dtype:
        return x
    return np.asarray(x, dtype)


# --- Optimiser ----------------------------------------------------------------------------

def _identity_if(pred):
    return lambda eqn: type(eqn.invars[0]) is Var and pred(eqn.invars[0].aval, eqn.params,
                                                          eqn.outvars[0].aval)


def _same_shape_and_dtype(a, params, out):
    return a.shape == out.shape and a.dtype == out.dtype


# name -> predicate(eqn): the equation returns its (only) input unchanged at run time.
# Weak types only matter for the jit wrapper's outputs, which use the original avals.
NOOPS = {
    'convert_element_type': _identity_if(_same_shape_and_dtype),
    'reshape': _identity_if(_same_shape_and_dtype),
    'squeeze': _identity_if(_same_shape_and_dtype),
    'expand_dims': _identity_if(_same_shape_and_dtype),
    'broadcast_in_dim': _identity_if(lambda a, p, out: _same_shape_and_dtype(a, p, out) and
                                     tuple(p['broadcast_dimensions']) == tuple(range(a.ndim))),
    'transpose': _identity_if(lambda a, p, out: tuple(p['permutation']) ==
                              tuple(range(a.ndim))),
    'stop_gradient': _identity_if(lambda a, p, out: True),
    'copy': _identity_if(_same_shape_and_dtype),
}


def _literal_key(lit):
    # repr tells 0.0 from -0.0 and 1 from 1.0 from True; the aval tells weak from strong
    return ('literal', repr(lit.val), lit.aval)


def simplify(jaxpr, consts):
    """Inlining of nested calls, constant folding, no-op removal and common-subexpression
    elimination in one forward pass.  Returns ``(jaxpr, consts)``; constants no longer used
    are left for DCE to remove."""
    subst = {}                 # Var -> the atom that replaces it
    known = {v: raw_value(c) for v, c in zip(jaxpr.constvars, consts)}
    constvars, const_vals = list(jaxpr.constvars), [known[v] for v in jaxpr.constvars]
    seen = {}                  # CSE key -> outvars of the first equation with that key
    eqns = []

    def read(a):
        while type(a) is Var and a in subst:
            a = subst[a]
        return a

    def add_const(v, value):
        known[v] = value
        constvars.append(v)
        const_vals.append(value)

    def run(body_eqns, fresh):
        for eqn in body_eqns:
            invars = [read(a) for a in eqn.invars]
            outvars = eqn.outvars
            if fresh:  # an inlined body may be inlined again: its variables get new names
                outvars = [Var(v.aval) for v in outvars]
                subst.update(zip(eqn.outvars, outvars))
            inline = getattr(eqn.prim, 'inline_body', None)
            if inline is not None:
                body = inline(**eqn.params)
                for v, c in zip(body.jaxpr.constvars, body.consts):
                    add_const(v, raw_value(c))
                subst.update(zip(body.jaxpr.invars, invars))
                run(body.jaxpr.eqns, True)
                subst.update(zip(outvars, [read(a) for a in body.jaxpr.outvars]))
                continue
            eqn = Eqn(eqn.prim, invars, outvars, eqn.params)
            if not (_fold(eqn, known, subst, add_const) or _drop_noop(eqn, subst)
                    or _merge_common(eqn, seen, subst)):
                eqns.append(eqn)

    run(jaxpr.eqns, False)
    outvars = [read(a) for a in jaxpr.outvars]
    return Jaxpr(constvars, jaxpr.invars, outvars, eqns), const_vals


def _fold(eqn, known, subst, add_const):
    """Constant folding: evaluate an equation whose inputs are all known now."""
    if not all(type(a) is Literal or a in known for a in eqn.invars):
        return False
    try:
        with np.errstate(all='ignore'):
            out = eqn.prim.impl(*[a.val if type(a) is Literal else known[a]
                                  for a in eqn.invars], **eqn.params)
    except Exception:  # leave it to run time, where the error (if any) is reported
        return False
    for v, o in zip(eqn.outvars, out if eqn.prim.multiple_results else [out]):
        o = as_dtype(o, v.aval.dtype)
        if o.ndim == 0:
            # weak scalars stay Python scalars so that NumPy keeps treating them as weak
            subst[v] = Literal(o.item() if v.aval.weak_type else o, v.aval)
        else:
            add_const(v, o)
    return True


def _drop_noop(eqn, subst):
    noop = NOOPS.get(eqn.prim.name)
    if noop is not None and noop(eqn):
        subst[eqn.outvars[0]] = eqn.invars[0]
        return True
    return False


def _merge_common(eqn, seen, subst):
    """Common-subexpression elimination: the same primitive on the same inputs with equal
    (hashable) params computes the same values."""
    if getattr(eqn.prim, 'effectful', False):
        return False
    try:
        key = (eqn.prim, tuple(_literal_key(a) if type(a) is Literal else a
                               for a in eqn.invars), tuple(sorted(eqn.params.items())))
        hash(key)
    except TypeError:  # unhashable params: never merged
        return False
    prev = seen.get(key)
    if prev is None:
        seen[key] = eqn.outvars
        return False
    subst.update(zip(eqn.outvars, prev))
    return True


def _scalar_literal(a):
    """The value of a real scalar literal, or None."""
    if type(a) is not Literal or a.aval.shape != () or a.aval.dtype.kind != 'f':
        return None
    return float(a.val)


def _power_of_two(c):
    m, _ = math.frexp(c)
    return c != 0 and abs(m) == 0.5


def fold_scalings(jaxpr):
    """``c2 * (c1 * t)`` becomes ``(c2 c1) * t`` when ``c1`` or ``c2`` is a power of two
    (scaling by one is exact, so no rounding changes), and ``-(c * t)`` becomes
    ``(-c) * t`` (negation is exact).  Chains like these come from transposed JVP rules
    (``-0.5 * 2 * ...``); each saves one NumPy call.  The replaced equation is left for DCE."""
    scaled = {}   # Var -> (c, t, literal aval): the var is c * t
    eqns = []
    for eqn in jaxpr.eqns:
        name = eqn.prim.name
        out = eqn.outvars[0] if len(eqn.outvars) == 1 else None
        if name == 'mul' and len(eqn.invars) == 2:
            a, b = eqn.invars
            ca, cb = _scalar_literal(a), _scalar_literal(b)
            c, t, lit = (ca, b, a) if ca is not None else (cb, a, b) if cb is not None else \
                (None, None, None)
            if c is not None and type(t) is Var:
                inner = scaled.get(t)
                if inner is not None and inner[1].aval.dtype == out.aval.dtype and (
                        _power_of_two(c) or _power_of_two(inner[0])):
                    c, t = c * inner[0], inner[1]
                    lit = Literal(out.aval.dtype.type(c).item() if lit.aval.weak_type
                                  else out.aval.dtype.type(c), lit.aval)
                    eqn = Eqn(eqn.prim, [lit, t], eqn.outvars, eqn.params)
                scaled[out] = (c, t)
        elif name == 'neg' and type(eqn.invars[0]) is Var and eqn.invars[0] in scaled:
            c, t = scaled[eqn.invars[0]]
            if t.aval.dtype == out.aval.dtype and t.aval.shape == out.aval.shape:
                from ..lax.elementwise import mul_p
                lit = Literal(-c, ShapedArray((), out.aval.dtype, True))
                eqn = Eqn(mul_p, [lit, t], eqn.outvars, {})
                scaled[out] = (-c, t)
        eqns.append(eqn)
    return Jaxpr(jaxpr.constvars, jaxpr.invars, jaxpr.outvars, eqns)


def _use_counts(jaxpr):
    uses = {}
    for eqn in jaxpr.eqns:
        for a in eqn.invars:
            if type(a) is Var:
                uses[a] = uses.get(a, 0) + 1
    for a in jaxpr.outvars:
        if type(a) is Var:
            uses[a] = uses.get(a, 0) + 1
    return uses


def fold_transposed_products(jaxpr):
    """``transpose(dot_general(x, y))`` becomes ``dot_general(y, x)`` when the permutation
    only swaps the two free-axis blocks (batch axes stay first): the product's output axes
    are (batch, x free, y free), the swapped product's (batch, y free, x free).  Reverse
    mode writes weight gradients this way; NumPy would then run every later elementwise
    operation on a transposed (Fortran-order) operand, several times slower than on a
    C-order one.  Only products used by nothing but the transpose are folded; the replaced
    product is left for DCE."""
    from ..lax.dot import dot_general_p
    uses = _use_counts(jaxpr)
    products = {e.outvars[0]: e for e in jaxpr.eqns if e.prim is dot_general_p}
    eqns = []
    for eqn in jaxpr.eqns:
        src = eqn.invars[0] if eqn.prim.name == 'transpose' else None
        product = products.get(src) if type(src) is Var and uses[src] == 1 else None
        if product is not None:
            (lc, rc), (lb, rb) = product.params['dimension_numbers']
            x, y = product.invars
            nb = len(lb)
            nx = x.aval.ndim - len(lc) - nb
            ny = y.aval.ndim - len(rc) - nb
            swapped = (tuple(range(nb)) + tuple(range(nb + nx, nb + nx + ny))
                       + tuple(range(nb, nb + nx)))
            if tuple(eqn.params['permutation']) == swapped:
                params = dict(product.params, dimension_numbers=((rc, lc), (rb, lb)))
                eqn = Eqn(dot_general_p, [y, x], eqn.outvars, params)
        eqns.append(eqn)
    return Jaxpr(jaxpr.constvars, jaxpr.invars, jaxpr.outvars, eqns)


def optimize_jaxpr(jaxpr, consts):
    """All passes: ``simplify``, ``fold_scalings``, ``fold_transposed_products``, then
    dead-code elimination.  Returns ``(jaxpr, consts)``."""
    jaxpr, consts = simplify(jaxpr, consts)
    jaxpr = fold_scalings(jaxpr)
    jaxpr = fold_transposed_products(jaxpr)
    values = dict(zip(jaxpr.constvars, consts))
    jaxpr, _ = dce_jaxpr(jaxpr)
    return jaxpr, [values[v] for v in jaxpr.constvars]


# --- Code generation ----------------------------------------------------------------------

_counter = itertools.count()


class Executable:
    """A compiled jaxpr: ``exe(*raw_inputs) -> tuple of raw outputs``.

    ``source`` is the generated Python, ``jaxpr``/``consts`` the optimised program,
    ``out_avals`` the original output avals (the jit wrapper makes Arrays from them)."""
    __slots__ = ('fn', 'source', 'jaxpr', 'consts', 'in_avals', 'out_avals', '__weakref__')

    def __init__(self, fn, source, jaxpr, consts, in_avals, out_avals):
        self.fn = fn
        self.source = source
        self.jaxpr = jaxpr
        self.consts = consts
        self.in_avals = in_avals
        self.out_avals = out_avals

    def __call__(self, *args):
        return self.fn(*args)


class _Emitter:
    """Builds the source text and its namespace; every name in the source is generated."""

    def __init__(self):
        self.names = {}
        self.namespace = {'xp': xp}
        self.n_tmp = 0
        self.n_const = 0
        self.n_fn = 0

    def bind_const(self, value):
        name = f"k{self.n_const}"
        self.n_const += 1
        self.namespace[name] = value
        return name

    def bind_fn(self, fn):
        name = f"f{self.n_fn}"
        self.n_fn += 1
        self.namespace[name] = fn
        return name

    def new_var(self, v):
        name = self.names[v] = f"t{self.n_tmp}"
        self.n_tmp += 1
        return name

    def atom(self, a, for_call=False, eqn=None):
        if type(a) is Literal:
            # a compiled body expects NumPy values of its input dtypes, not Python scalars;
            # so does an elementwise operation all of whose operands and result have the
            # literal's dtype, for which NumPy's handling of a Python scalar costs more
            typed = for_call or (eqn is not None and _literal_of_one_dtype(eqn, a))
            return self.bind_const(as_dtype(a.val, a.aval.dtype) if typed else a.val)
        return self.names[a]


# Temporaries smaller than this are left to the function's return to free: a ``del`` costs
# more than the memory it gives back early.
_FREE_FROM_BYTES = 1 << 14


def _worth_freeing(v):
    aval = v.aval
    n = aval.dtype.itemsize
    for d in aval.shape:
        n *= d
    return n >= _FREE_FROM_BYTES


def _literal_of_one_dtype(eqn, literal):
    dtype = literal.aval.dtype
    return (eqn.prim.scalars_adopt_dtype and eqn.outvars[0].aval.dtype == dtype
            and all(a.aval.dtype == dtype for a in eqn.invars))


def _eqn_line(em, eqn):
    prim, params = eqn.prim, eqn.params
    make = getattr(prim, 'codegen_callable', None)
    specialize = getattr(prim, 'specialize', None)
    if specialize is not None and make is None:
        # a function chosen for these input shapes and dtypes when compiling
        fn = specialize([a.aval for a in eqn.invars], **params)
        if fn is not None:
            make = lambda **_: fn
    expr = None
    if make is not None:
        args = ', '.join(em.atom(a, for_call=True) for a in eqn.invars)
        expr = f"{em.bind_fn(make(**params))}({args})"
    else:
        ins = [em.atom(a, eqn=eqn) for a in eqn.invars]
        typed = getattr(prim, 'codegen_typed', None)
        if typed is not None:
            # an expression that depends on the operands' dtypes (e.g. float vs int division)
            expr = typed([a.aval for a in eqn.invars], *ins, **params)
            if expr is not None and not safe_expression(expr, ins):
                expr = None
        if expr is None and prim.codegen is not None:
            expr = prim.codegen(*ins, **params)
            if expr is not None and not safe_expression(expr, ins):
                expr = None
        if expr is None:
            fn = functools.partial(prim.impl, **params) if params else prim.impl
            expr = f"{em.bind_fn(fn)}({', '.join(ins)})"
    outs = [em.new_var(v) for v in eqn.outvars]
    if prim.multiple_results:
        return f"{''.join(o + ', ' for o in outs)}= {expr}" if outs else expr
    return f"{outs[0]} = {expr}"


def _ufunc(eqn):
    """The NumPy ufunc an elementwise equation applies to operands of one dtype (what eager
    mode runs: ``numpy_impl``, or ``typed_ufunc`` of the operand avals for a primitive
    whose function depends on them, as division does), or None."""
    typed = getattr(eqn.prim, 'typed_ufunc', None)
    fn = (typed([a.aval for a in eqn.invars]) if typed is not None
          else getattr(eqn.prim, 'numpy_impl', None))
    return fn if isinstance(fn, np.ufunc) and getattr(xp, fn.__name__, None) is fn else None


# ufuncs written as augmented assignments (``t0 += t1`` is ``add(t0, t1, out=t0)``)
_AUGMENTED = {np.add: '+', np.subtract: '-', np.multiply: '*', np.true_divide: '/',
              np.bitwise_and: '&', np.bitwise_or: '|', np.bitwise_xor: '^'}
_COMMUTATIVE = frozenset([np.add, np.multiply, np.bitwise_and, np.bitwise_or, np.bitwise_xor])


def _inplace_line(em, eqn, target):
    """The statement writing an elementwise equation's result into operand ``target``."""
    ufunc, ins, name = _ufunc(eqn), eqn.invars, em.names[target]
    op = _AUGMENTED.get(ufunc)
    if op is not None and len(ins) == 2:
        other = ins[1] if ins[0] is target else ins[0] if ufunc in _COMMUTATIVE else None
        if other is not None:
            return f"{name} {op}= {em.atom(other, eqn=eqn)}"
    return f"xp.{ufunc.__name__}({', '.join(em.atom(a, eqn=eqn) for a in ins)}, out={name})"


def _writes_fresh_array(eqn):
    """Whether the generated code always returns a newly allocated array (when the result has
    at least one axis; 0-d ufunc results are NumPy scalars)."""
    return _ufunc(eqn) is not None or getattr(eqn.prim, 'fresh_result', False)


def _reusable_operands(jaxpr, last_use, keep):
    """For each equation, an operand whose buffer its result may overwrite, or None.

    An elementwise ufunc may write its result into an operand of the result's shape and
    dtype (``out=``) when nothing can observe the old contents: the operand dies at this
    equation, it is an array the compiled function allocated itself (never an input, a
    constant, an output, or a view, which may be read-only or broadcast), and no other value
    still live may share its memory (the results of reshapes, transposes and other
    primitives not known to allocate are taken to alias their inputs).  Saves an
    allocation, and its page faults for large arrays, per fused statement."""
    buffers = {}     # Var -> the buffers it may share memory with
    holders = {}     # buffer -> the Vars that may share it
    owned = set()    # Vars that are exactly an array allocated here (not a view of one)
    outside = object()  # the buffer of every input and constant

    def hold(v, bufs):
        buffers[v] = bufs
        for b in bufs:
            holders.setdefault(b, []).append(v)

    def dead_after(v, i):
        return v not in keep and last_use.get(v, -1) <= i

    def reusable(a, i, out):
        if a not in owned or a in keep or last_use[a] != i:
            return False
        if a.aval.shape != out.aval.shape or a.aval.dtype != out.aval.dtype:
            return False
        return all(w is a or dead_after(w, i) for w in holders[buffers[a][0]])

    into = []
    for i, eqn in enumerate(jaxpr.eqns):
        if getattr(eqn.prim, 'effectful', False):
            # an effect (a callback, say) may keep its operands: they are never written
            owned.difference_update(w for a in eqn.invars if type(a) is Var
                                    for b in buffers.get(a, ()) for w in holders[b])
        target = None
        if _ufunc(eqn) is not None and len(eqn.outvars) == 1:
            out = eqn.outvars[0]
            dtype = out.aval.dtype
            # the ufunc must run the loop of the result's dtype, as it does without ``out=``
            same_loop = all(a.aval.dtype == dtype or (type(a) is Literal and a.aval.weak_type)
                            for a in eqn.invars)
            if out.aval.ndim and same_loop:
                target = next((a for a in eqn.invars if reusable(a, i, out)), None)
        into.append(target)
        if target is not None:
            holders[buffers[target][0]] = []   # all dead: the result is the one holder
            hold(eqn.outvars[0], buffers[target])
            owned.add(eqn.outvars[0])
        elif _writes_fresh_array(eqn) and len(eqn.outvars) == 1 \
                and eqn.outvars[0].aval.ndim:
            hold(eqn.outvars[0], (i,))
            owned.add(eqn.outvars[0])
        else:
            shared = tuple({b: None for a in eqn.invars if type(a) is Var
                            for b in buffers.get(a, (outside,))})
            for v in eqn.outvars:
                hold(v, shared)
    return into


def _emit(jaxpr, consts):
    em = _Emitter()
    for v, c in zip(jaxpr.constvars, consts):
        em.names[v] = em.bind_const(c)
    params = []
    for i, v in enumerate(jaxpr.invars):
        em.names[v] = f"x{i}"
        params.append(f"x{i}")
    # Free each intermediate after its last use: without this every temporary stays alive
    # until the function returns, and NumPy cannot reuse memory that is hot in cache
    # (a jitted MLP step ran at half speed).
    last_use = {}
    for i, e in enumerate(jaxpr.eqns):
        for a in e.invars:
            if type(a) is not Literal:
                last_use[a] = i
    keep = set(a for a in jaxpr.outvars if type(a) is not Literal)
    dying = [[] for _ in jaxpr.eqns]
    for v, i in last_use.items():
        if v not in keep and v not in em.names:  # not an input or a constant
            dying[i].append(v)
    into = _reusable_operands(jaxpr, last_use, keep)
    lines = []
    for i, e in enumerate(jaxpr.eqns):
        if into[i] is None:
            lines.append(_eqn_line(em, e))
        else:  # the result takes over the dying operand's array and name
            lines.append(_inplace_line(em, e, into[i]))
            em.names[e.outvars[0]] = em.names[into[i]]
        dead = [em.names[v] for v in dying[i]
                if v in em.names and v is not into[i] and _worth_freeing(v)]
        if dead:
            lines.append(f"del {', '.join(dead)}")
    outs = []
    for a in jaxpr.outvars:
        if type(a) is Literal:
            outs.append(em.bind_const(as_dtype(a.val, a.aval.dtype)))
        else:
            outs.append(em.names[a])
    ret = f"return ({''.join(o + ', ' for o in outs)})"
    src = f"def jitted({', '.join(params)}):\n" + ''.join(
        f"    {line}\n" for line in lines + [ret])
    return src, em.namespace


# A primitive's NumPy expression may only use: its input names, ``xp``, attribute names,
# numbers, operators and brackets.  No quotes (so no strings from anywhere), no comments,
# statements or lambdas.  Anything else is emitted as a call of the impl instead.
_EXPR_CHARS = re.compile(r"[\w .,()\[\]+\-*/%@<>=!&|^~:]*")
_EXPR_NAMES = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?!\w)(?!\s*=(?!=))")  # not kwarg names
_EXPR_KEYWORDS = frozenset({'xp', 'None', 'True', 'False', 'and', 'or', 'not', 'if', 'else',
                            'is', 'in'})


def safe_expression(expr, names):
    """Whether generated expression ``expr`` only reads ``names`` (and ``xp``)."""
    if type(expr) is not str or not _EXPR_CHARS.fullmatch(expr):
        return False
    return all(n in _EXPR_KEYWORDS or n in names for n in _EXPR_NAMES.findall(expr))


def compile_jaxpr(jaxpr, consts=(), optimize=True, out_avals=None):
    """Optimise ``jaxpr`` (with constvar values ``consts``) and compile it.

    Returns an ``Executable`` taking raw NumPy inputs (one per invar) and returning a tuple
    of raw outputs.  An expression from a primitive's codegen that reads anything but its
    inputs, ``xp``, attributes and numbers is replaced by a call of the impl."""
    out_avals = list(jaxpr.out_avals) if out_avals is None else out_avals
    in_avals = list(jaxpr.in_avals)
    consts = [raw_value(c) for c in consts]
    if optimize:
        jaxpr, consts = optimize_jaxpr(jaxpr, consts)
    src, namespace = _emit(jaxpr, consts)
    filename = f"<pullback-jit-{next(_counter)}>"
    code = compile(src, filename, 'exec')
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    # NumPy's floating-point warnings are attributed to this module name, which pullback
    # silences as JAX does (see pullback/__init__.py)
    namespace['__name__'] = 'pullback._jit_generated'
    exec(code, namespace)
    return Executable(namespace['jitted'], src, jaxpr, consts, in_avals, out_avals)


def forget_sources():
    """Drop generated sources from ``linecache`` (``clear_caches`` calls this)."""
    for name in [n for n in linecache.cache if n.startswith('<pullback-jit-')]:
        del linecache.cache[name]
