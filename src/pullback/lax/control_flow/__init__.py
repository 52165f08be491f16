"""Structured control flow: ``cond``, ``switch``, ``while_loop``, ``fori_loop``, ``scan``,
``map``, ``associative_scan``, ``custom_root`` and ``custom_linear_solve``.

Each construct traces its Python callables once, on abstract values, to jaxprs (constants
they close over, possibly tracers of enclosing transformations, become leading operands),
and binds one primitive holding those jaxprs.  Every transformation then has one rule per
primitive, written by transforming the inner jaxprs:

* ``impl`` evaluates the jaxprs (a Python loop for ``while`` and ``scan``);
* ``jvp`` binds the same primitive on the JVP of the jaxprs (a fixpoint decides which loop
  carries have nonzero tangents);
* ``batch`` binds it on the batched jaxprs; a batched ``cond`` predicate becomes a
  ``select_n`` of both branches, a batched ``while`` predicate a masked loop that runs
  while any member continues;
* ``partial_eval`` (linearize, hence reverse mode) runs the known part now and records only
  the unknown (tangent) part: a ``cond`` with a concrete predicate just evaluates the taken
  branch; ``scan`` stacks the residuals of every iteration as extra outputs of the known
  scan and records a scan over them; ``partial_eval_jaxpr_rule`` is the same split on a
  jaxpr (for ``jit``);
* ``transpose`` runs the loop backwards (``scan``) or picks the transposed branch
  (``cond``).

Reverse mode through ``while_loop`` (beyond JAX): when linearize meets a while loop whose
values are concrete, it runs the loop right away, counting the iterations and keeping each
iteration's residuals, then records the tangent part as a ``scan`` of that length over the
stacked residuals.  Memory is O(iterations x residual size), as for an unrolled loop.  Under
``vmap`` (members stop at different times) the loop becomes a scan, as long as the longest
member, of "step if not done yet".  Under ``jit`` (abstract values) the trip count is
unknown; then, as in JAX, forward mode works and transposition raises an error that points
to ``scan``, ``fori_loop`` and ``custom_vjp``.

    >>> lax.fori_loop(0, 3, lambda i, x: x * 2., 1.)
    Array(8., dtype=float32, weak_type=True)
"""
import builtins
import inspect

import numpy as np

from .. import dtypes
from .._array import Array
from .._core.core import (Primitive, Tracer, Zero, EvalTrace, get_aval, is_array_like,
                          instantiate, set_current_trace, current_trace)
from .._core.errors import ConcretizationTypeError
from .._core.jaxpr import (Jaxpr, ClosedJaxpr, Eqn, Var, Literal, JaxprTrace,
                           trace_to_jaxpr)
from .._core.rules import is_undefined, UndefinedPrimal
from .._transforms.ad import jvp_flat, backward_pass, to_array, JVPTracer
from .._transforms.batching import batch_flat, BatchTracer
from .._transforms.partial_eval import partial_eval_jaxpr, dce_jaxpr
from ..tree_util import (tree_flatten, tree_unflatten, tree_structure, tree_flatten_with_path,
                         keystr, treedef_is_leaf)
from .elementwise import (convert_element_type, select_n, add, neg, ne, max as _lax_max,
                          min as _lax_min)
from .shapes import broadcast_in_dim, reshape, concatenate, slice_in_dim, rev
from .reductions import reduce_or
from ._util import moveaxis_to_front, moveaxis, bdim_at_front, shape_of

__all__ = ['cond', 'switch', 'while_loop', 'fori_loop', 'scan', 'map', 'associative_scan',
           'custom_root', 'custom_linear_solve']

_int32 = np.dtype(np.int32)


# =========================================================================================
# Tracing user functions
# =========================================================================================

def _fun_name(f):
    return getattr(f, '__name__', None) or type(f).__name__


def _fun_desc(f):
    """``<lambda> at file.py:12``, as JAX describes branch functions in its errors."""
    code = getattr(f, '__code__', None)
    if code is None:
        return _fun_name(f)
    return f"{_fun_name(f)} at {code.co_filename}:{code.co_firstlineno}"


def _first_param_name(f, default='carry'):
    try:
        params = list(inspect.signature(f).parameters)
    except (TypeError, ValueError):
        return default
    return params[0] if params else default


def _trace_user(fun, in_tree, in_avals, what):
    """Trace ``fun(*tree_unflatten(in_tree, leaves))`` on abstract ``in_avals``.

    Returns ``(jaxpr, consts, out_tree)``: the constants ``fun`` closes over (arrays or
    tracers of enclosing transformations) are the jaxpr's leading inputs, so ``jaxpr``
    itself holds no tracer."""
    store = []

    def flat(*leaves):
        out = fun(*tree_unflatten(in_tree, list(leaves)))
        out_leaves, out_tree = tree_flatten(out)
        for path, x in tree_flatten_with_path(out)[0]:
            if not is_array_like(x):
                raise TypeError(f"{what} {_fun_desc(fun)} returned a value of type "
                                f"{type(x).__name__} at output component {keystr(path)} "
                                f"({x!r}), which is not an array; outputs must be pytrees "
                                f"of arrays or Python scalars")
        store.append(out_tree)
        return [to_array(x) if isinstance(x, (np.ndarray, np.generic)) else x
                for x in out_leaves]
    closed = trace_to_jaxpr(flat, list(in_avals), debug_info=(what, _fun_name(fun), None))
    j = closed.jaxpr
    hoisted = ClosedJaxpr(Jaxpr([], j.constvars + j.invars, j.outvars, j.eqns), [])
    return hoisted, list(closed.consts), store[0]


def _operand(x):
    """A leaf passed to a control-flow construct: arrays and tracers as they are, Python
    scalars kept (weakly typed), NumPy values as canonical Arrays."""
    if isinstance(x, (np.ndarray, np.generic)):
        return to_array(x)
    if not is_array_like(x):
        raise TypeError(f"Value {x!r} of type {type(x).__name__} is not a valid pullback "
                        f"type: control-flow operands must be pytrees of arrays")
    return x


# =========================================================================================
# Errors for carries and branch outputs
# =========================================================================================

def _type_mismatch(a, b):
    shape, dtype = a.shape != b.shape, a.dtype != b.dtype
    if shape and dtype:
        return "the shapes and dtypes do not match"
    return "the shapes do not match" if shape else "the dtypes do not match"


def _structure_difference(in_tree, out_tree):
    """``(path, in_description, out_description, what)`` of the first difference between
    two pytree structures."""
    from .. import tree_util as tu
    placeholder = out_tree.unflatten([0] * out_tree.num_leaves)
    if treedef_is_leaf(in_tree):
        return (), "a pytree leaf", f"a {type(placeholder)}", "their Python types"
    try:
        tu._up_to(in_tree._spec, placeholder, [])
    except tu._Mismatch as e:
        # the placeholder leaves are ints, so an int where a node was expected is a leaf
        got = "a pytree leaf" if e.got == 'int' else f"a {e.got}"
        what = {'types': 'their Python types', 'lengths': 'the lengths'}.get(e.what,
                                                                            f"the {e.what}")
        return e.path[::-1], f"a {e.expected}", got, what
    return (), str(in_tree), str(out_tree), "the structures"


def _check_carry_structure(api, name, in_tree, out_tree):
    if in_tree == out_tree:
        return
    path, a, b, what = _structure_difference(in_tree, out_tree)
    raise TypeError(
        f"{api} body function carry input and carry output must have the same pytree "
        f"structure, but they differ:\n\nThe input carry {name}{keystr(path)} is {a} but "
        f"the corresponding component of the carry output is {b}, so {what} do not "
        f"match.\n\nRevise the function so that the carry output has the same pytree "
        f"structure as the carry input.")


def _check_carry_types(api, name, init, in_avals, out_avals):
    paths = [keystr(p) for p, _ in tree_flatten_with_path(init)[0]]
    single = len(in_avals) == 1 and paths == ['']
    problems = []
    for path, a, b in zip(paths, in_avals, out_avals):
        if a.shape != b.shape or a.dtype != b.dtype:
            which = f"carry {name}" if single else f"carry component {name}{path}"
            problems.append(f"The input {which} has type {_full_str(a)} but the "
                            f"corresponding output carry component has type "
                            f"{_full_str(b)}, so {_type_mismatch(a, b)}.")
    if problems:
        raise TypeError(f"{api} body function carry input and carry output must have equal "
                        f"types, but they differ:\n\n" + "\n".join(problems) +
                        "\n\nRevise the function so that all output types match the "
                        "corresponding input types.")


def _full_str(aval):
    return f"{aval.dtype.name}[{','.join(str(d) for d in aval.shape)}]"


def _promote_weak_carry(leaves, in_avals, out_avals):
    """JAX's rule for loops: a weakly typed initial carry whose dtype the body changes takes
    the promoted dtype (``while_loop(c < 3, c + 1., 0)`` carries a float32).  Returns the
    new leaves, or None when nothing changed."""
    changed = False
    new = list(leaves)
    for i, (a, b) in enumerate(zip(in_avals, out_avals)):
        if a.weak_type and a.dtype != b.dtype:
            d = dtypes.result_type(a, b)
            if d != a.dtype:
                new[i] = convert_element_type(leaves[i], d, False)
                changed = True
    return new if changed else None


def _check_branch_outputs(api, funs, names, trees, jaxprs):
    first = trees[0]
    for f, n, t in zip(funs[1:], names[1:], trees[1:]):
        if t != first:
            path, a, b, what = _structure_difference(first, t)
            raise TypeError(
                f"{api} branch outputs must have the same pytree structure, but they "
                f"differ:\n\n{names[0]} is {_fun_desc(funs[0])}\n{n} is {_fun_desc(f)}\n\n"
                f"{names[0]} output{keystr(path)} is {a} but {n} output{keystr(path)} is "
                f"{b}, so {what} differ.\n\nRevise {names[0]} and/or {n} so that they have "
                f"the same pytree structure.")
    avals0 = jaxprs[0].out_avals
    for f, n, j in zip(funs[1:], names[1:], jaxprs[1:]):
        for path, a, b in zip([keystr(p) for p in _leaf_paths(first)], avals0, j.out_avals):
            if a.shape != b.shape or a.dtype != b.dtype:
                raise TypeError(
                    f"{api} branches must have equal output types but they differ.\n\n"
                    f"{names[0]} is {_fun_desc(funs[0])}\n{n} is {_fun_desc(f)}\n\n"
                    f"The output of {names[0]}{path} has type {_full_str(a)} but the "
                    f"corresponding output of {n} has type {_full_str(b)}, so "
                    f"{_type_mismatch(a, b)}.\n\nRevise {names[0]} and/or {n} so that all "
                    f"output types match.")


def _leaf_paths(treedef):
    return [p for p, _ in tree_flatten_with_path(treedef.unflatten(
        [0] * treedef.num_leaves))[0]]


# =========================================================================================
# Jaxpr helpers shared by the rules
# =========================================================================================

def _truth(p):
    """A concrete boolean scalar (Array, NumPy or Python value) as a Python bool."""
    return bool(np.asarray(p._value if type(p) is Array else p))


def _run(closed, *args):
    """Evaluate a closed jaxpr under the current trace.  Scalar literals are passed as
    arrays of their recorded dtype and weak type: a bare Python scalar would leave the
    dtype to each implementation (NumPy makes ``1.0`` a float64)."""
    jaxpr = closed.jaxpr
    env = dict(zip(jaxpr.constvars, closed.consts))
    env.update(zip(jaxpr.invars, args))

    def read(a):
        if type(a) is Literal:
            return Array(np.asarray(a.val, a.aval.dtype), a.aval.weak_type)
        return env[a]
    for eqn in jaxpr.eqns:
        outs = eqn.prim.bind(*[read(a) for a in eqn.invars], **eqn.params)
        if eqn.prim.multiple_results:
            env.update(zip(eqn.outvars, outs))
        else:
            env[eqn.outvars[0]] = outs
    return [read(a) for a in jaxpr.outvars]


def _wrap(x, aval):
    """An implementation's NumPy input as an Array with the jaxpr's weak type."""
    if type(x) is Array:
        return x
    return Array(np.asarray(x, aval.dtype), aval.weak_type)


def _unwrap(x, aval):
    if type(x) is Array:
        v = x._value
        return v if v.dtype == aval.dtype else v.astype(aval.dtype)
    return np.asarray(x, aval.dtype)


def _trace_closed(fun, avals):
    """Trace a flat function (of our own making) to a ClosedJaxpr; its constants are
    concrete, because it only reads its inputs and concrete values."""
    return trace_to_jaxpr(fun, list(avals))


def _permute_invars(closed, order):
    j = closed.jaxpr
    return ClosedJaxpr(Jaxpr(j.constvars, [j.invars[i] for i in order], j.outvars, j.eqns),
                       closed.consts)


def _permute_outvars(closed, order):
    j = closed.jaxpr
    return ClosedJaxpr(Jaxpr(j.constvars, j.invars, [j.outvars[i] for i in order], j.eqns),
                       closed.consts)


def _insert_invars(closed, pos, avals):
    """``closed`` with fresh, unused inputs of ``avals`` inserted before input ``pos``."""
    j = closed.jaxpr
    new = [Var(a) for a in avals]
    return ClosedJaxpr(Jaxpr(j.constvars, j.invars[:pos] + new + j.invars[pos:], j.outvars,
                             j.eqns), closed.consts)


def _keep_outputs(closed, keep):
    """``closed`` computing only the outputs marked in ``keep`` (dead code removed)."""
    j, _ = dce_jaxpr(closed.jaxpr, list(keep))
    consts = [c for v, c in zip(closed.jaxpr.constvars, closed.consts) if v in j.constvars]
    return ClosedJaxpr(j, consts)


def _split(seq, *sizes):
    out, i = [], 0
    for n in sizes:
        out.append(list(seq[i:i + n]))
        i += n
    out.append(list(seq[i:]))
    return out


def _has_tangent_space(aval):
    return aval.dtype.kind in 'fc'


def _jvp_jaxpr(closed, nonzeros, instantiate_out):
    """The JVP of ``closed``: inputs are the primals then the tangents marked in
    ``nonzeros``; outputs the primals then the nonzero output tangents (those marked in
    ``instantiate_out`` are made nonzero).  Returns ``(jaxpr, out_nonzeros)``."""
    avals = closed.in_avals
    n = len(avals)
    out_nz = []

    def fun(*xs):
        it = iter(xs[n:])
        tangents = [next(it) if nz else Zero(a.to_tangent_aval())
                    for a, nz in zip(avals, nonzeros)]
        p_out, t_out = jvp_flat(lambda *ys: _run(closed, *ys), list(xs[:n]), tangents)
        kept = []
        for t, inst, a in zip(t_out, instantiate_out, closed.out_avals):
            if type(t) is Zero and inst and _has_tangent_space(a):
                t = instantiate(Zero(a.to_tangent_aval()))
            out_nz.append(type(t) is not Zero)
            if type(t) is not Zero:
                kept.append(t)
        return list(p_out) + kept
    t_avals = [a.to_tangent_aval() for a, nz in zip(avals, nonzeros) if nz]
    return _trace_closed(fun, list(avals) + t_avals), out_nz


def _batch_jaxpr(closed, axis, batched, instantiate_out):
    """``closed`` on inputs with a leading batch axis where ``batched``; outputs come out
    batched at axis 0 (always for those marked in ``instantiate_out``).  Returns
    ``(jaxpr, out_batched)``."""
    size = axis.size
    avals = [a.update(shape=(size,) + a.shape) if b else a
             for a, b in zip(closed.in_avals, batched)]
    out_b = []

    def fun(*xs):
        outs, dims = batch_flat(lambda *ys: _run(closed, *ys), list(xs),
                                [0 if b else None for b in batched], size, axis.name)
        res = []
        for o, d, inst in zip(outs, dims, instantiate_out):
            if d is not None:
                o = moveaxis_to_front(o, d)
            elif inst:
                o = bdim_at_front(o, None, size)
            out_b.append(d is not None or inst)
            res.append(o)
        return res
    return _trace_closed(fun, avals), out_b


def _partial_eval(closed, unknowns, instantiate_out=None):
    """Split ``closed`` for inputs of which ``unknowns`` are not known yet.

    Returns ``(known, unknown, out_unknowns, residuals)``: ``known`` maps the known inputs
    to the known outputs then the residuals; ``unknown`` maps the residuals then the unknown
    inputs to the unknown outputs; ``residuals`` are the variables of ``closed`` they stand
    for (so callers can tell inputs and constants from computed values).  Outputs marked in
    ``instantiate_out`` are unknown even when they could be computed now."""
    known, unknown, out_uk, n_res = partial_eval_jaxpr(closed, list(unknowns))
    kj, uj = known.jaxpr, unknown.jaxpr
    nk = len(kj.outvars) - n_res
    k_outs, res = list(kj.outvars[:nk]), list(kj.outvars[nk:])
    u_res, u_rest = list(uj.invars[:n_res]), list(uj.invars[n_res:])
    u_outs = list(uj.outvars)
    if instantiate_out is not None and any(i and not u for i, u in zip(instantiate_out, out_uk)):
        seen = set(res)
        k_iter, u_iter = iter(k_outs), iter(u_outs)
        new_k, new_u, final = [], [], []
        for u, inst in zip(out_uk, instantiate_out):
            if u:
                new_u.append(next(u_iter))
            else:
                v = next(k_iter)
                if not inst:
                    new_k.append(v)
                    final.append(False)
                    continue
                if type(v) is Var and v not in seen:
                    seen.add(v)
                    res.append(v)
                    u_res.append(v)
                new_u.append(v)
            final.append(True)
        k_outs, u_outs, out_uk = new_k, new_u, final
    known = ClosedJaxpr(Jaxpr(kj.constvars, kj.invars, k_outs + res, kj.eqns), known.consts)
    unknown = ClosedJaxpr(Jaxpr([], u_res + u_rest, u_outs, uj.eqns), [])
    return known, unknown, list(out_uk), res


def _backward(closed, args, cts):
    """Cotangents of the undefined (``UndefinedPrimal``) ``args`` of ``closed`` given the
    output cotangents ``cts``.  Whatever does not depend on the undefined inputs (e.g. a
    recomputed forward pass) is evaluated first, under the current trace; the rest is
    linear and is transposed with ``backward_pass``."""
    pe = JaxprTrace(current_trace(), forward_known=True)
    ins = [pe.new_arg(a.aval) if is_undefined(a) else a for a in args]
    with set_current_trace(pe):
        outs = _run(closed, *ins)
    lin, res = pe.finish(outs)
    return backward_pass(lin, res, list(cts))


def _transpose_mixed(prim, cts, args, params):
    """Transpose an equation that is linear in its undefined inputs but also computes
    values that do not depend on them: split it with its partial-evaluation rule (the
    known part runs now), then transpose the purely linear remainder."""
    pe = JaxprTrace(current_trace(), forward_known=True)
    ins = [pe.new_arg(a.aval) if is_undefined(a) else a for a in args]
    with set_current_trace(pe):
        outs = prim.bind(*ins, **params)
    lin, res = pe.finish(outs)
    cts_in = iter(backward_pass(lin, res, list(cts)))
    return [next(cts_in) if is_undefined(a) else None for a in args]


def _record(trace, prim, args, params):
    """Record ``prim`` as one unknown equation of the partial evaluator ``trace``."""
    out_avals = prim.abstract_eval(*[get_aval(a) for a in args], **params)
    return trace.add_eqn(prim, list(args), out_avals, params)


def _merge(out_unknowns, known, unknown):
    k, u = iter(known), iter(unknown)
    return [next(u) if uk else next(k) for uk in out_unknowns]


def _zeros_like(aval):
    """Zeros of ``aval`` as one broadcast of a scalar (cheap to record in a jaxpr)."""
    zero = Array(np.zeros((), aval.dtype), aval.weak_type)
    return broadcast_in_dim(zero, aval.shape, ()) if aval.shape else zero


def _check_operand_avals(name, avals, expected, first=0):
    for i, (a, e) in enumerate(zip(avals, expected)):
        if a.shape != e.shape or a.dtype != e.dtype:
            raise TypeError(f"{name}: operand {first + i} has type {a.str_short()}, but "
                            f"the traced function expects {e.str_short()}")


def _out_weak_types(key):
    return lambda args, params: [a.weak_type for a in params[key].out_avals]


class HigherOrderPrimitive(Primitive):
    """A primitive whose operands feed jaxprs: their dtypes are unrelated to each other,
    and the weak types that matter are those of the jaxprs' inputs.  Concrete weakly typed
    scalars are therefore bound as strong 0-d arrays, so that no rule meant for elementwise
    operands (such as a jaxpr recorder giving a Python scalar literal the dtype of the other
    operands) can change their dtype."""

    def bind(self, *args, **params):
        return super().bind(*[_strong_scalar(a) for a in args], **params)


def _strong_scalar(x):
    t = type(x)
    if t is float or t is int or t is complex or t is bool:
        return Array(np.asarray(x, get_aval(x).dtype), False)
    if t is Array and x.weak_type and x._value.ndim == 0:
        return Array(x._value, False)
    return x


# =========================================================================================
# cond and switch
# =========================================================================================

cond_p = HigherOrderPrimitive('cond', multiple_results=True)


def _cond_impl(index, *ops, branches):
    i = builtins.min(builtins.max(int(index), 0), len(branches) - 1)
    br = branches[i]
    outs = _run(br, *[_wrap(x, a) for x, a in zip(ops, br.in_avals)])
    return [_unwrap(o, a) for o, a in zip(outs, branches[0].out_avals)]


def _cond_abstract_eval(index, *ops, branches):
    if index.shape != () or index.dtype.kind not in 'iu':
        raise TypeError(f"cond: the branch index must be an integer scalar, got "
                        f"{index.str_short()}")
    for b in branches:
        if len(b.in_avals) != len(ops):
            raise TypeError(f"cond: the branches take {len(b.in_avals)} operands, got "
                            f"{len(ops)}")
        _check_operand_avals('cond', ops, b.in_avals, first=1)
    return list(branches[0].out_avals)


def _cond_jvp(primals, tangents, branches):
    index, *ops = primals
    nonzeros = [type(t) is not Zero for t in tangents[1:]]
    n_out = len(branches[0].out_avals)
    out_nz = [False] * n_out
    for b in branches:
        _, nz = _jvp_jaxpr(b, nonzeros, [False] * n_out)
        out_nz = [x or y for x, y in zip(out_nz, nz)]
    jvps = [_jvp_jaxpr(b, nonzeros, out_nz)[0] for b in branches]
    ts = [t for t in tangents[1:] if type(t) is not Zero]
    outs = cond_p.bind(index, *ops, *ts, branches=tuple(jvps))
    primal_out, it = outs[:n_out], iter(outs[n_out:])
    tangent_out = [next(it) if nz else Zero(a.to_tangent_aval())
                   for nz, a in zip(out_nz, branches[0].out_avals)]
    return primal_out, tangent_out


def _concrete_index(x):
    """The branch index as a Python int if it is concrete (also through jvp tracers)."""
    if not isinstance(x, Tracer):
        return int(np.asarray(x._value if type(x) is Array else x))
    try:
        return int(np.asarray(x._concrete('cond')))
    except ConcretizationTypeError:
        return None


def _cond_partial_eval(trace, args, params):
    index, *ops = args
    branches = params['branches']
    if not trace.is_known(index):
        return _record(trace, cond_p, args, params)
    i = _concrete_index(index)
    if i is not None:
        # The taken branch is known: evaluate it inline.  Its known operations run now on
        # the parent trace and only those touching unknown values are recorded.
        br = branches[builtins.min(builtins.max(i, 0), len(branches) - 1)]
        return _run(br, *ops)
    plan = _cond_plan(branches, [not trace.is_known(x) for x in ops])
    known_ops = [x for x, u in zip(ops, plan.op_unknowns) if not u]
    k_outs = cond_p.bind(index, *known_ops, branches=plan.known_branches)
    n_known = len(k_outs) - plan.n_res
    unknown_ops = [x for x, u in zip(ops, plan.op_unknowns) if u]
    u_outs = trace.add_eqn(cond_p, [index] + list(k_outs[n_known:]) + unknown_ops,
                           plan.unknown_branches[0].out_avals,
                           dict(branches=plan.unknown_branches))
    return _merge(plan.out_unknowns, k_outs[:n_known], u_outs)


class _CondPlan:
    __slots__ = ('op_unknowns', 'known_branches', 'unknown_branches', 'out_unknowns',
                 'n_res')


def _cond_plan(branches, op_unknowns):
    """Split every branch for the given unknown operands.  The known branches return the
    known outputs and one residual slot per residual of *any* branch (zeros in the slots of
    the other branches), so that all branches have one signature; the unknown branches read
    the slots they need."""
    n_out = len(branches[0].out_avals)
    splits = [_partial_eval(b, op_unknowns, [False] * n_out) for b in branches]
    out_uk = [builtins.any(s[2][k] for s in splits) for k in range(n_out)]
    if builtins.any(s[2] != out_uk for s in splits):
        splits = [_partial_eval(b, op_unknowns, out_uk) for b in branches]
    res_avals = [[v.aval for v in s[3]] for s in splits]
    n_known_out = n_out - sum(out_uk)
    known_op_avals = [a for a, u in zip(branches[0].in_avals, op_unknowns) if not u]
    known_branches, unknown_branches = [], []
    for i, (known, unknown, _, res) in enumerate(splits):
        def fun(*ks, known=known, i=i):
            outs = _run(known, *ks)
            slots = []
            for j, avals in enumerate(res_avals):
                slots += outs[n_known_out:] if j == i else [_zeros_like(a) for a in avals]
            return outs[:n_known_out] + slots
        known_branches.append(_trace_closed(fun, known_op_avals))
        before = [a for avals in res_avals[:i] for a in avals]
        after = [a for avals in res_avals[i + 1:] for a in avals]
        u = _insert_invars(unknown, 0, before)
        unknown_branches.append(_insert_invars(u, len(before) + len(res), after))
    plan = _CondPlan()
    plan.op_unknowns = list(op_unknowns)
    plan.known_branches = tuple(known_branches)
    plan.unknown_branches = tuple(unknown_branches)
    plan.out_unknowns = out_uk
    plan.n_res = sum(len(a) for a in res_avals)
    return plan


def _cond_partial_eval_jaxpr_rule(eqn, unknowns):
    if unknowns[0]:
        return None, eqn, [True] * len(eqn.outvars)
    branches = eqn.params['branches']
    plan = _cond_plan(branches, unknowns[1:])
    index, ops = eqn.invars[0], eqn.invars[1:]
    res_vars = [Var(a) for a in plan.known_branches[0].out_avals[
        len(plan.known_branches[0].out_avals) - plan.n_res:]]
    known_eqn = Eqn(cond_p, [index] + [a for a, u in zip(ops, plan.op_unknowns) if not u],
                    [v for v, u in zip(eqn.outvars, plan.out_unknowns) if not u] + res_vars,
                    dict(branches=plan.known_branches))
    unknown_eqn = Eqn(cond_p, [index] + res_vars +
                      [a for a, u in zip(ops, plan.op_unknowns) if u],
                      [v for v, u in zip(eqn.outvars, plan.out_unknowns) if u],
                      dict(branches=plan.unknown_branches))
    return known_eqn, unknown_eqn, plan.out_unknowns


def _cond_transpose(cts, index, *ops, branches):
    if is_undefined(index):
        raise TypeError("cond is not linear in its branch index")
    linear = [is_undefined(x) for x in ops]
    res = [x for x in ops if not is_undefined(x)]
    out_avals = branches[0].out_avals
    cts = [instantiate(Zero(a.to_tangent_aval())) if type(c) is Zero else c
           for c, a in zip(cts, out_avals)]
    lin_avals = [x.aval for x in ops if is_undefined(x)]

    def transposed(branch):
        def fun(*xs):
            it_res, it_ct = iter(xs[:len(res)]), iter(xs[len(res):])
            args = [x if lin else next(it_res) for x, lin in zip(ops, linear)]
            cts_in = _backward(branch, args, [next(it_ct) for _ in out_avals])
            return [instantiate(Zero(a)) if type(c) is Zero else c
                    for c, a in zip(cts_in, lin_avals)]
        return _trace_closed(fun, [get_aval(r) for r in res] + [get_aval(c) for c in cts])
    outs = iter(cond_p.bind(index, *res, *cts,
                            branches=tuple(transposed(b) for b in branches)))
    return [None] + [next(outs) if lin else None for lin in linear]


def _cond_batch(axis, vals, dims, branches):
    index, *ops = vals
    idx_dim, op_dims = dims[0], dims[1:]
    if idx_dim is not None:
        # Each member may take another branch: compute all of them, then select.
        index = moveaxis_to_front(index, idx_dim)
        outs_per_branch = []
        for b in branches:
            outs, out_dims = batch_flat(lambda *ys, b=b: _run(b, *ys), list(ops),
                                        list(op_dims), axis.size, axis.name)
            outs_per_branch.append([bdim_at_front(o, d, axis.size)
                                    for o, d in zip(outs, out_dims)])
        results = []
        for cases in zip(*outs_per_branch):
            shape = shape_of(cases[0])
            which = broadcast_in_dim(index, shape, (0,))
            results.append(select_n(which, *cases))
        return results, [0] * len(results)
    batched = [d is not None for d in op_dims]
    ops = [moveaxis_to_front(x, d) if d is not None else x for x, d in zip(ops, op_dims)]
    n_out = len(branches[0].out_avals)
    out_b = [False] * n_out
    for b in branches:
        _, ob = _batch_jaxpr(b, axis, batched, [False] * n_out)
        out_b = [x or y for x, y in zip(out_b, ob)]
    new = tuple(_batch_jaxpr(b, axis, batched, out_b)[0] for b in branches)
    outs = cond_p.bind(index, *ops, branches=new)
    return outs, [0 if b else None for b in out_b]


cond_p.impl = _cond_impl
cond_p.abstract_eval = _cond_abstract_eval
cond_p.weak_type_rule = lambda args, params: [a.weak_type for a in
                                              params['branches'][0].out_avals]
cond_p.jvp = _cond_jvp
cond_p.partial_eval = _cond_partial_eval
cond_p.partial_eval_jaxpr_rule = _cond_partial_eval_jaxpr_rule
cond_p.transpose = _cond_transpose
cond_p.batch = _cond_batch
cond_p.codegen = None

_NO_OPERAND = object()


def _check_scalar_index(what, x, shape):
    if shape != ():
        raise TypeError(f"{what} must be a scalar, got {x} of shape {tuple(shape)}.")


def cond(pred, true_fun, false_fun, *operands, operand=_NO_OPERAND):
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``, as one primitive
    that every transformation understands (both branches are traced; they must return the
    same types).  Under ``vmap`` with a batched predicate both branches run and the results
    are selected.

    >>> lax.cond(x > 0, jnp.sin, jnp.cos, x)

    The legacy forms ``cond(pred, true_operand, true_fun, false_operand, false_fun)`` and
    ``cond(pred, true_fun, false_fun, operand=x)`` are accepted.
    """
    if operand is not _NO_OPERAND:
        if operands:
            raise TypeError("cond: pass the operands either positionally or as operand=, "
                            "not both")
        operands = (operand,)
    if (len(operands) == 2 and not callable(true_fun) and callable(false_fun)
            and callable(operands[1])):
        true_op, t_fun, false_op, f_fun = true_fun, false_fun, operands[0], operands[1]
        return cond(pred, lambda ops: t_fun(ops[0]), lambda ops: f_fun(ops[1]),
                    (true_op, false_op))
    if pred is None:
        raise TypeError("cond predicate is None")
    if not (callable(true_fun) and callable(false_fun)):
        raise TypeError("lax.cond: true_fun and false_fun arguments should be callable.")
    shape = tuple(shape_of(pred))
    _check_scalar_index("Pred", pred, shape)
    pred = _operand(pred)
    kind = get_aval(pred).dtype.kind
    if kind != 'b':
        if kind not in 'iufc':
            raise TypeError(f"Pred type must be either boolean or number, got "
                            f"{get_aval(pred).dtype.name}.")
        pred = ne(pred, 0)
    index = convert_element_type(pred, _int32)
    return _branch(index, (false_fun, true_fun), ('false_fun', 'true_fun'), operands, 'cond')


def switch(index, branches, *operands, operand=_NO_OPERAND):
    """``branches[index](*operands)`` with ``index`` clamped into ``[0, len(branches) - 1]``.

    >>> lax.switch(2, [jnp.sin, jnp.cos, jnp.tan], 1.)   # tan(1.)
    """
    if operand is not _NO_OPERAND:
        operands = (operand,)
    branches = tuple(branches)
    if not branches:
        raise ValueError("Empty branch sequence")
    for b in branches:
        if not callable(b):
            raise TypeError(f"lax.switch: branches must be callable, got {b!r}")
    shape = tuple(shape_of(index))
    _check_scalar_index("Branch index", index, shape)
    index = _operand(index)
    d = get_aval(index).dtype
    if d.kind not in 'iu':
        raise TypeError(f"Index type must be an integer, got {index} as {d.name}")
    if len(branches) == 1:
        return branches[0](*operands)
    index = convert_element_type(index, _int32)
    index = _lax_min(_lax_max(index, 0), len(branches) - 1)
    names = tuple(f"branch {i}" for i in range(len(branches)))
    return _branch(index, branches, names, operands, 'switch')


def _branch(index, funs, names, operands, api):
    leaves, _ = tree_flatten(operands)
    leaves = [_operand(x) for x in leaves]
    in_tree = tree_structure(tuple(operands))
    avals = [get_aval(x) for x in leaves]
    traced = [_trace_user(f, in_tree, avals, api) for f in funs]
    jaxprs = [t[0] for t in traced]
    trees = [t[2] for t in traced]
    # cond's index 0 is false_fun, but errors speak of true_fun first, as JAX does
    shown = slice(None, None, -1) if api == 'cond' else slice(None)
    _check_branch_outputs(api, funs[shown], names[shown], trees[shown], jaxprs[shown])
    all_consts = [t[1] for t in traced]
    const_avals = [[get_aval(c) for c in cs] for cs in all_consts]
    padded = []
    for i, j in enumerate(jaxprs):
        before = [a for avals in const_avals[:i] for a in avals]
        after = [a for avals in const_avals[i + 1:] for a in avals]
        j = _insert_invars(j, 0, before)
        padded.append(_insert_invars(j, len(before) + len(const_avals[i]), after))
    consts = [c for cs in all_consts for c in cs]
    outs = cond_p.bind(index, *consts, *leaves, branches=tuple(padded))
    return tree_unflatten(traced[0][2], outs)


# =========================================================================================
# scan
# =========================================================================================

scan_p = HigherOrderPrimitive('scan', multiple_results=True)


def _scan_impl(*args, jaxpr, length, reverse, unroll, num_consts, num_carry):
    in_avals = jaxpr.in_avals
    n_in = num_consts + num_carry
    vals = [_wrap(x, a) for x, a in zip(args[:n_in], in_avals)]
    consts, carry = vals[:num_consts], vals[num_consts:]
    xs = [np.asarray(x) for x in args[n_in:]]
    x_avals = in_avals[n_in:]
    carry_avals = jaxpr.out_avals[:num_carry]
    y_avals = jaxpr.out_avals[num_carry:]
    ys = [np.empty((length,) + a.shape, a.dtype) for a in y_avals]
    for i in range(length):
        k = length - 1 - i if reverse else i
        outs = _run(jaxpr, *consts, *carry,
                    *[Array(x[k, ...], a.weak_type) for x, a in zip(xs, x_avals)])
        carry = outs[:num_carry]
        for buf, y, a in zip(ys, outs[num_carry:], y_avals):
            buf[k] = _unwrap(y, a)
    return [_unwrap(c, a) for c, a in zip(carry, carry_avals)] + ys


def _scan_abstract_eval(*avals, jaxpr, length, reverse, unroll, num_consts, num_carry):
    expected = jaxpr.in_avals
    if len(avals) != len(expected):
        raise TypeError(f"scan: the body takes {len(expected)} operands, got {len(avals)}")
    n_in = num_consts + num_carry
    _check_operand_avals('scan', avals[:n_in], expected[:n_in])
    for i, (a, e) in enumerate(zip(avals[n_in:], expected[n_in:])):
        if a.shape[:1] != (length,) or a.shape[1:] != e.shape or a.dtype != e.dtype:
            raise TypeError(f"scan: scanned operand {n_in + i} has type {a.str_short()}, "
                            f"but a length-{length} scan over {e.str_short()} slices needs "
                            f"{e.update(shape=(length,) + e.shape).str_short()}")
    outs = jaxpr.out_avals
    return list(outs[:num_carry]) + [a.update(shape=(length,) + a.shape)
                                     for a in outs[num_carry:]]


def _scan_jvp(primals, tangents, jaxpr, length, reverse, unroll, num_consts, num_carry):
    nc, ncar = num_consts, num_carry
    ny = len(jaxpr.out_avals) - ncar
    nz = [type(t) is not Zero for t in tangents]
    const_nz, init_nz, xs_nz = _split(nz, nc, ncar)
    carry_nz = init_nz
    while True:
        jvp, out_nz = _jvp_jaxpr(jaxpr, const_nz + carry_nz + xs_nz, carry_nz + [False] * ny)
        new = [a or b for a, b in zip(carry_nz, out_nz[:ncar])]
        if new == carry_nz:
            break
        carry_nz = new
    n = len(primals)
    nct, ncart, nxt = sum(const_nz), sum(carry_nz), sum(xs_nz)
    # inputs: primals then tangents -> consts (p, t), carries (p, t), xs (p, t)
    p = list(range(n))
    t = list(range(n, n + nct + ncart + nxt))
    order = (p[:nc] + t[:nct] + p[nc:nc + ncar] + t[nct:nct + ncart] + p[nc + ncar:]
             + t[nct + ncart:])
    jvp = _permute_invars(jvp, order)
    nyt = sum(out_nz[ncar:])
    n_out = ncar + ny
    jvp = _permute_outvars(jvp, list(range(ncar)) + list(range(n_out, n_out + ncart))
                           + list(range(ncar, n_out))
                           + list(range(n_out + ncart, n_out + ncart + nyt)))
    c_p, car_p, x_p = _split(primals, nc, ncar)
    c_t, car_t, x_t = _split(tangents, nc, ncar)
    c_t = [x for x, z in zip(c_t, const_nz) if z]
    car_t = [instantiate(x) for x, z in zip(car_t, carry_nz) if z]
    x_t = [x for x, z in zip(x_t, xs_nz) if z]
    outs = scan_p.bind(*c_p, *c_t, *car_p, *car_t, *x_p, *x_t, jaxpr=jvp, length=length,
                       reverse=reverse, unroll=unroll, num_consts=nc + nct,
                       num_carry=ncar + ncart)
    carry_out, carry_t_out, ys, ys_t = _split(outs, ncar, ncart, ny)
    out_avals = _scan_abstract_eval(*[get_aval(x) for x in primals], jaxpr=jaxpr,
                                    length=length, reverse=reverse, unroll=unroll,
                                    num_consts=nc, num_carry=ncar)
    it_c, it_y = iter(carry_t_out), iter(ys_t)
    tangent_out = ([next(it_c) if z else Zero(a.to_tangent_aval())
                    for z, a in zip(carry_nz, out_avals[:ncar])] +
                   [next(it_y) if z else Zero(a.to_tangent_aval())
                    for z, a in zip(out_nz[ncar:], out_avals[ncar:])])
    return carry_out + ys, tangent_out


class _ScanPlan:
    """How a scan with partly unknown operands splits: operands of the known scan (indices
    into the original operands), its params, and for the unknown scan a list of sources
    ``('arg', i)`` (original operand i) or ``('res', k)`` (output k of the known scan)."""
    __slots__ = ('known_in', 'known_params', 'unknown_in', 'unknown_params', 'out_unknowns',
                 'n_known_out')


def _loop_residuals(res, invariant_vars, scanned_vars, constvars):
    """Sort the residuals ``res`` of a split loop body by how the unknown loop gets them:
    ``hoisted`` ones are loop-invariant inputs of the body (passed once, as constants),
    ``const_res`` constants of the body's jaxpr, ``forwarded`` ones slices of a scanned
    input (the scanned operand is passed again); the ``stacked`` rest differ per iteration
    and are stacked by the known loop.  Returns the four lists of positions in ``res``."""
    hoisted, const_res, forwarded, stacked = [], [], [], []
    for k, v in enumerate(res):
        if v in invariant_vars:
            hoisted.append(k)
        elif v in constvars:
            const_res.append(k)
        elif v in scanned_vars:
            forwarded.append(k)
        else:
            stacked.append(k)
    return hoisted, const_res, forwarded, stacked


def _unknown_loop_body(unknown, res, body, before, after, n_leading, const_res):
    """The unknown part of a split loop body with its inputs in loop order: residuals
    ``before``, the first ``n_leading`` of its own inputs, residuals ``after``, the rest of
    its own inputs; residuals that are constants of ``body`` become constants again."""
    uj = unknown.jaxpr
    own = uj.invars[len(res):]
    constvals = dict(zip(body.jaxpr.constvars, body.consts))
    invars = ([uj.invars[k] for k in before] + own[:n_leading] + [uj.invars[k] for k in after]
              + own[n_leading:])
    return ClosedJaxpr(Jaxpr([uj.invars[k] for k in const_res], invars, uj.outvars, uj.eqns),
                       [constvals[res[k]] for k in const_res])


def _scan_plan(params, unknowns):
    jaxpr, nc, ncar = params['jaxpr'], params['num_consts'], params['num_carry']
    ny = len(jaxpr.out_avals) - ncar
    const_uk, init_uk, xs_uk = _split(unknowns, nc, ncar)
    carry_uk = init_uk
    while True:
        known, unknown, out_uk, res = _partial_eval(
            jaxpr, const_uk + carry_uk + xs_uk, carry_uk + [False] * ny)
        new = [a or b for a, b in zip(carry_uk, out_uk[:ncar])]
        if new == carry_uk:
            break
        carry_uk = new
    body = jaxpr.jaxpr
    nx = len(xs_uk)
    known_const_vars = {v for v, u in zip(body.invars[:nc], const_uk) if not u}
    known_xs_vars = {v: i for v, u, i in zip(body.invars[nc + ncar:], xs_uk, range(nx))
                     if not u}
    const_pos = {v: i for i, v in enumerate(body.invars[:nc])}
    hoisted, const_res, forwarded, stacked = _loop_residuals(
        res, known_const_vars, known_xs_vars, set(body.constvars))
    # The known scan: outputs the known carries and ys, then the stacked residuals.
    n_known_out = len(known.jaxpr.outvars) - len(res)
    keep = [True] * n_known_out + [k in stacked for k in range(len(res))]
    plan = _ScanPlan()
    plan.known_in = [i for i, u in enumerate(const_uk + carry_uk + xs_uk) if not u]
    plan.known_params = dict(params, jaxpr=_keep_outputs(known, keep),
                             num_consts=nc - sum(const_uk), num_carry=ncar - sum(carry_uk))
    plan.n_known_out = n_known_out
    # The unknown scan: consts = hoisted residuals + unknown consts; carries = unknown
    # carries; xs = stacked residuals + forwarded scanned operands + unknown xs.
    n_uc, n_ucar = sum(const_uk), sum(carry_uk)
    u_body = _unknown_loop_body(unknown, res, jaxpr, hoisted, stacked + forwarded,
                                n_uc + n_ucar, const_res)
    uk_consts = [i for i, u in enumerate(const_uk) if u]
    uk_carry = [nc + i for i, u in enumerate(carry_uk) if u]
    uk_xs = [nc + ncar + i for i, u in enumerate(xs_uk) if u]
    plan.unknown_in = ([('arg', const_pos[res[k]]) for k in hoisted]
                       + [('arg', i) for i in uk_consts] + [('arg', i) for i in uk_carry]
                       + [('res', n_known_out + stacked.index(k)) for k in stacked]
                       + [('arg', nc + ncar + known_xs_vars[res[k]]) for k in forwarded]
                       + [('arg', i) for i in uk_xs])
    plan.unknown_params = dict(params, jaxpr=u_body, num_consts=len(hoisted) + n_uc,
                               num_carry=n_ucar)
    plan.out_unknowns = carry_uk + out_uk[ncar:]
    return plan


def _scan_partial_eval(trace, args, params):
    plan = _scan_plan(params, [not trace.is_known(a) for a in args])
    k_outs = []
    if plan.known_params['jaxpr'].out_avals:
        k_outs = scan_p.bind(*[args[i] for i in plan.known_in], **plan.known_params)
    u_args = [k_outs[j] if src == 'res' else args[j] for src, j in plan.unknown_in]
    u_outs = _record(trace, scan_p, u_args, plan.unknown_params)
    return _merge(plan.out_unknowns, k_outs[:plan.n_known_out], u_outs)


def _scan_partial_eval_jaxpr_rule(eqn, unknowns):
    plan = _scan_plan(eqn.params, unknowns)
    known_out_avals = _scan_abstract_eval(
        *[eqn.invars[i].aval for i in plan.known_in], **plan.known_params)
    k_outvars = ([v for v, u in zip(eqn.outvars, plan.out_unknowns) if not u]
                 + [Var(a) for a in known_out_avals[plan.n_known_out:]])
    known_eqn = Eqn(scan_p, [eqn.invars[i] for i in plan.known_in], k_outvars,
                    plan.known_params)
    u_in = [k_outvars[j] if src == 'res' else eqn.invars[j] for src, j in plan.unknown_in]
    unknown_eqn = Eqn(scan_p, u_in, [v for v, u in zip(eqn.outvars, plan.out_unknowns) if u],
                      plan.unknown_params)
    return known_eqn, unknown_eqn, plan.out_unknowns


def _scan_transpose(cts, *args, jaxpr, length, reverse, unroll, num_consts, num_carry):
    params = dict(jaxpr=jaxpr, length=length, reverse=reverse, unroll=unroll,
                  num_consts=num_consts, num_carry=num_carry)
    nc, ncar = num_consts, num_carry
    ny = len(jaxpr.out_avals) - ncar
    undefined = [is_undefined(a) for a in args]
    const_lin, init_lin, xs_lin = _split(undefined, nc, ncar)
    carry_lin = init_lin
    while True:
        _, _, out_uk, _ = _partial_eval(jaxpr, const_lin + carry_lin + xs_lin,
                                        carry_lin + [False] * ny)
        new = [a or b for a, b in zip(carry_lin, out_uk[:ncar])]
        if new == carry_lin:
            break
        carry_lin = new
    if not all(carry_lin):
        # Some carries do not depend on the linear inputs: compute them forwards first.
        return _transpose_mixed(scan_p, cts, args, params)
    consts, init, xs = _split(args, nc, ncar)
    res_c = [c for c, lin in zip(consts, const_lin) if not lin]
    res_x = [x for x, lin in zip(xs, xs_lin) if not lin]
    in_avals = jaxpr.in_avals
    lin_c_avals = [a for a, lin in zip(in_avals[:nc], const_lin) if lin]
    carry_avals = in_avals[nc:nc + ncar]
    out_avals = jaxpr.out_avals
    ct_carry, ct_ys = cts[:ncar], cts[ncar:]
    ct_carry = [instantiate(Zero(a.to_tangent_aval())) if type(c) is Zero else c
                for c, a in zip(ct_carry, out_avals[:ncar])]
    ys_nz = [type(c) is not Zero for c in ct_ys]
    n_rc, n_lc, n_rx = len(res_c), len(lin_c_avals), len(res_x)

    def body_t(*xs_):
        rc, acc, cc, rx, cy = _split(xs_, n_rc, n_lc, ncar, n_rx)
        it_rc, it_rx, it_cy = iter(rc), iter(rx), iter(cy)
        b_args = ([_UP(a) if lin else next(it_rc) for a, lin in zip(in_avals[:nc], const_lin)]
                  + [_UP(a) for a in carry_avals]
                  + [_UP(a) if lin else next(it_rx)
                     for a, lin in zip(in_avals[nc + ncar:], xs_lin)])
        b_cts = list(cc) + [next(it_cy) if nz else Zero(a.to_tangent_aval())
                            for nz, a in zip(ys_nz, out_avals[ncar:])]
        cts_in = _backward(jaxpr, b_args, b_cts)
        lin_avals = lin_c_avals + list(carry_avals) + [
            a for a, lin in zip(in_avals[nc + ncar:], xs_lin) if lin]
        cts_in = [instantiate(Zero(a.to_tangent_aval())) if type(c) is Zero else c
                  for c, a in zip(cts_in, lin_avals)]
        ct_c, ct_car, ct_x = _split(cts_in, n_lc, ncar)
        return [add(a, c) for a, c in zip(acc, ct_c)] + ct_car + ct_x
    slice_avals = [get_aval(x).update(shape=get_aval(x).shape[1:]) for x in res_x]
    ct_y_avals = [a.to_tangent_aval() for a, nz in zip(out_avals[ncar:], ys_nz) if nz]
    t_avals = ([get_aval(c) for c in res_c] + [a.to_tangent_aval() for a in lin_c_avals]
               + [get_aval(c) for c in ct_carry] + slice_avals + ct_y_avals)
    t_jaxpr = _trace_closed(body_t, t_avals)
    acc0 = [instantiate(Zero(a.to_tangent_aval())) for a in lin_c_avals]
    outs = scan_p.bind(*res_c, *acc0, *ct_carry, *res_x,
                       *[c for c, nz in zip(ct_ys, ys_nz) if nz],
                       jaxpr=t_jaxpr, length=length, reverse=not reverse, unroll=unroll,
                       num_consts=n_rc, num_carry=n_lc + ncar)
    ct_consts, ct_init, ct_xs = _split(outs, n_lc, ncar)
    it_c, it_x = iter(ct_consts), iter(ct_xs)
    return ([next(it_c) if lin else None for lin in const_lin]
            + [c if lin else None for c, lin in zip(ct_init, init_lin)]
            + [next(it_x) if lin else None for lin in xs_lin])


_UP = UndefinedPrimal


def _scan_batch(axis, vals, dims, jaxpr, length, reverse, unroll, num_consts, num_carry):
    nc, ncar = num_consts, num_carry
    ny = len(jaxpr.out_avals) - ncar
    b = [d is not None for d in dims]
    const_b, init_b, xs_b = _split(b, nc, ncar)
    carry_b = init_b
    while True:
        batched, out_b = _batch_jaxpr(jaxpr, axis, const_b + carry_b + xs_b,
                                      carry_b + [False] * ny)
        new = [x or y for x, y in zip(carry_b, out_b[:ncar])]
        if new == carry_b:
            break
        carry_b = new
    c_v, car_v, x_v = _split(vals, nc, ncar)
    c_d, car_d, x_d = _split(dims, nc, ncar)
    c_v = [moveaxis_to_front(v, d) if d is not None else v for v, d in zip(c_v, c_d)]
    car_v = [bdim_at_front(v, d, axis.size) if cb else v
             for v, d, cb in zip(car_v, car_d, carry_b)]
    # a scanned operand keeps the scanned axis first; its batch axis goes second
    x_v = [moveaxis(v, d, 1) if d is not None else v for v, d in zip(x_v, x_d)]
    outs = scan_p.bind(*c_v, *car_v, *x_v, jaxpr=batched, length=length, reverse=reverse,
                       unroll=unroll, num_consts=nc, num_carry=ncar)
    return outs, [0 if x else None for x in carry_b] + [1 if x else None
                                                         for x in out_b[ncar:]]


scan_p.impl = _scan_impl
scan_p.abstract_eval = _scan_abstract_eval
scan_p.weak_type_rule = _out_weak_types('jaxpr')
scan_p.jvp = _scan_jvp
scan_p.partial_eval = _scan_partial_eval
scan_p.partial_eval_jaxpr_rule = _scan_partial_eval_jaxpr_rule
scan_p.transpose = _scan_transpose
scan_p.batch = _scan_batch
scan_p.codegen = None


def scan(f, init, xs=None, length=None, reverse=False, unroll=1, _split_transpose=False):
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns the final
    carry and the stacked ``y``s.  Fully differentiable (reverse mode stacks each
    iteration's residuals) and batchable.

    >>> lax.scan(lambda c, x: (c + x, c), 0., jnp.arange(4.))
    (Array(6., dtype=float32), Array([0., 0., 1., 3.], dtype=float32))

    ``reverse=True`` runs from the end and writes ``y``s at the same indices; ``unroll`` is
    accepted for compatibility (the loop is a Python loop over NumPy either way).
    """
    if not callable(f):
        raise TypeError(f"scan: f argument should be callable, got {f!r}")
    x_leaves, x_tree = tree_flatten(xs)
    x_leaves = [_operand(x) for x in x_leaves]
    lengths = []
    for x in x_leaves:
        s = tuple(shape_of(x))
        if not s:
            raise ValueError(f"scan got value with no leading axis to scan over: "
                             f"{get_aval(x).str_short()}.")
        lengths.append(s[0])
    if length is not None:
        length = int(length)
        if builtins.any(n != length for n in lengths):
            raise ValueError(f"scan got `length` argument of {length} which disagrees with "
                             f"leading axis sizes {sorted(set(lengths))}.")
    elif not lengths:
        raise ValueError("scan got no values to scan over and `length` not provided.")
    elif len(set(lengths)) > 1:
        raise ValueError(f"scan got values with different leading axis sizes: "
                         f"{', '.join(str(n) for n in lengths)}.")
    else:
        length = lengths[0]
    if isinstance(unroll, bool):
        unroll = length if unroll else 1
    init_leaves, init_tree = tree_flatten(init)
    init_leaves = [_operand(x) for x in init_leaves]
    x_avals = [get_aval(x).update(shape=get_aval(x).shape[1:]) for x in x_leaves]
    in_tree = tree_structure((init, xs))
    name = _first_param_name(f)
    n_carry = len(init_leaves)
    store = []

    def body(carry, x):
        out = f(carry, x)
        if not (isinstance(out, tuple) and len(out) == 2):
            leaves = tree_flatten(out)[0]
            desc = (str(get_aval(leaves[0])) if len(leaves) == 1
                    and is_array_like(leaves[0]) else repr(out))
            raise TypeError(f"scan body output must be a pair, got {desc}.")
        c, y = out
        c_leaves, c_tree = tree_flatten(c)
        store[:] = [c_tree, tree_structure(y)]
        return out
    for _ in range(3):
        avals = [get_aval(x) for x in init_leaves] + x_avals
        closed, consts, _ = _trace_user(body, in_tree, avals, 'scan')
        carry_tree, y_tree = store
        _check_carry_structure('scan', name, init_tree, carry_tree)
        out_avals = closed.out_avals[:n_carry]
        promoted = _promote_weak_carry(init_leaves, avals[:n_carry], out_avals)
        if promoted is None:
            break
        init_leaves = promoted
    _check_carry_types('scan', name, init, avals[:n_carry], out_avals)
    outs = scan_p.bind(*consts, *init_leaves, *x_leaves, jaxpr=closed, length=length,
                       reverse=bool(reverse), unroll=int(unroll), num_consts=len(consts),
                       num_carry=n_carry)
    return (tree_unflatten(carry_tree, outs[:n_carry]),
            tree_unflatten(y_tree, outs[n_carry:]))


def map(f, xs, *, batch_size=None):
    """``f`` applied to each slice of ``xs`` along the leading axis, stacked: a ``scan``
    without carry.  With ``batch_size``, ``vmap(f)`` runs on chunks of that many slices.

    >>> lax.map(lambda x: x * 2, jnp.arange(3.))
    Array([0., 2., 4.], dtype=float32)
    """
    if batch_size is None:
        return scan(lambda _, x: ((), f(x)), (), xs)[1]
    from .._api import vmap
    leaves, tree = tree_flatten(xs)
    n = shape_of(leaves[0])[0]
    batch_size = int(batch_size)
    n_full = n // batch_size * batch_size
    parts = []
    if n_full:
        main = [reshape(slice_in_dim(x, 0, n_full), (n // batch_size, batch_size)
                        + tuple(shape_of(x)[1:])) for x in leaves]
        ys = scan(lambda _, x: ((), vmap(f)(tree_unflatten(tree, x))), (), main)[1]
        parts.append(_tree_map_leaves(
            lambda y: reshape(y, (n_full,) + tuple(shape_of(y)[2:])), ys))
    if n_full < n:
        rest = [slice_in_dim(x, n_full, n) for x in leaves]
        parts.append(vmap(f)(tree_unflatten(tree, rest)))
    if len(parts) == 1:
        return parts[0]
    a, at = tree_flatten(parts[0])
    b, _ = tree_flatten(parts[1])
    return tree_unflatten(at, [concatenate([x, y], 0) for x, y in zip(a, b)])


def _tree_map_leaves(fn, tree):
    leaves, t = tree_flatten(tree)
    return tree_unflatten(t, [fn(x) for x in leaves])


# =========================================================================================
# while_loop and fori_loop
# =========================================================================================

while_p = HigherOrderPrimitive('while', multiple_results=True)


def _while_impl(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cc_a, bc_a, car_a = _split(args, cond_nconsts, body_nconsts)
    cc = [_wrap(x, a) for x, a in zip(cc_a, cond_jaxpr.in_avals)]
    b_avals = body_jaxpr.in_avals
    bc = [_wrap(x, a) for x, a in zip(bc_a, b_avals)]
    carry = [_wrap(x, a) for x, a in zip(car_a, b_avals[body_nconsts:])]
    while _truth(_run(cond_jaxpr, *cc, *carry)[0]):
        carry = _run(body_jaxpr, *bc, *carry)
    return [_unwrap(c, a) for c, a in zip(carry, body_jaxpr.out_avals)]


def _while_abstract_eval(*avals, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cc, bc, carry = _split(avals, cond_nconsts, body_nconsts)
    _check_operand_avals('while', cc + carry, cond_jaxpr.in_avals)
    _check_operand_avals('while', bc + carry, body_jaxpr.in_avals, first=cond_nconsts)
    return list(body_jaxpr.out_avals)


def _while_jvp(primals, tangents, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cn, bn = cond_nconsts, body_nconsts
    cc, bc, init = _split(primals, cn, bn)
    _, bc_t, init_t = _split(tangents, cn, bn)
    bc_nz = [type(t) is not Zero for t in bc_t]
    carry_nz = [type(t) is not Zero for t in init_t]
    while True:
        jvp, out_nz = _jvp_jaxpr(body_jaxpr, bc_nz + carry_nz, carry_nz)
        new = [a or b for a, b in zip(carry_nz, out_nz)]
        if new == carry_nz:
            break
        carry_nz = new
    ncar, nbt, ncart = len(init), sum(bc_nz), sum(carry_nz)
    p = list(range(bn + ncar))
    t = list(range(bn + ncar, bn + ncar + nbt + ncart))
    jvp = _permute_invars(jvp, p[:bn] + t[:nbt] + p[bn:] + t[nbt:])
    t_avals = [a.to_tangent_aval() for a, z in zip(body_jaxpr.out_avals, carry_nz) if z]
    cond_aug = _insert_invars(cond_jaxpr, len(cond_jaxpr.in_avals), t_avals)
    bc_t = [x for x, z in zip(bc_t, bc_nz) if z]
    init_t = [instantiate(x) for x, z in zip(init_t, carry_nz) if z]
    outs = while_p.bind(*cc, *bc, *bc_t, *init, *init_t, cond_jaxpr=cond_aug,
                        body_jaxpr=jvp, cond_nconsts=cn, body_nconsts=bn + nbt)
    it = iter(outs[ncar:])
    return outs[:ncar], [next(it) if z else Zero(a.to_tangent_aval())
                         for z, a in zip(carry_nz, body_jaxpr.out_avals)]


def _any(pred):
    return reduce_or(pred, (0,))


def _while_batch(axis, vals, dims, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cn, bn = cond_nconsts, body_nconsts
    size = axis.size
    cc_v, bc_v, car_v = _split(vals, cn, bn)
    cc_d, bc_d, car_d = _split(dims, cn, bn)
    cc_b = [d is not None for d in cc_d]
    bc_b = [d is not None for d in bc_d]
    carry_b = [d is not None for d in car_d]
    ncar = len(car_v)
    while True:
        body_b, out_b = _batch_jaxpr(body_jaxpr, axis, bc_b + carry_b, carry_b)
        new = [x or y for x, y in zip(carry_b, out_b)]
        if new == carry_b:
            break
        carry_b = new
    cond_b, pred_b = _batch_jaxpr(cond_jaxpr, axis, cc_b + carry_b, [False])
    cc_v = [moveaxis_to_front(v, d) if d is not None else v for v, d in zip(cc_v, cc_d)]
    bc_v = [moveaxis_to_front(v, d) if d is not None else v for v, d in zip(bc_v, bc_d)]
    if not pred_b[0]:
        car_v = [bdim_at_front(v, d, size) if b else v
                 for v, d, b in zip(car_v, car_d, carry_b)]
        outs = while_p.bind(*cc_v, *bc_v, *car_v, cond_jaxpr=cond_b, body_jaxpr=body_b,
                            cond_nconsts=cn, body_nconsts=bn)
        return outs, [0 if b else None for b in carry_b]
    # Batched predicate: every member runs until all are done; finished members keep their
    # carry (a select), so every carry is batched.
    all_b = [True] * ncar
    body_b, _ = _batch_jaxpr(body_jaxpr, axis, bc_b + all_b, all_b)
    cond_b, _ = _batch_jaxpr(cond_jaxpr, axis, cc_b + all_b, [True])
    c_avals = cond_b.in_avals

    def new_cond(*xs):
        return [_any(_run(cond_b, *xs)[0])]

    def new_body(*xs):
        cc, bc, carry = _split(xs, cn, bn)
        pred = _run(cond_b, *cc, *carry)[0]
        new = _run(body_b, *bc, *carry)
        return [select_n(broadcast_in_dim(pred, shape_of(n), (0,)), c, n)
                for n, c in zip(new, carry)]
    body_avals = c_avals[:cn] + body_b.in_avals
    car_v = [bdim_at_front(v, d, size) for v, d in zip(car_v, car_d)]
    outs = while_p.bind(*cc_v, *cc_v, *bc_v, *car_v,
                        cond_jaxpr=_trace_closed(new_cond, c_avals),
                        body_jaxpr=_trace_closed(new_body, body_avals),
                        cond_nconsts=cn, body_nconsts=cn + bn)
    return outs, [0] * ncar


_WHILE_REVERSE_ERROR = (
    "Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop with "
    "dynamic start/stop values when the trip count is not a concrete number while "
    "differentiating (here the loop was linearized on abstract values, e.g. inside jit). "
    "Take the gradient outside jit (the loop then runs on concrete values), use lax.scan "
    "or lax.fori_loop with static start/stop, or define the derivative with custom_vjp.")


def _while_transpose(cts, *args, **params):
    raise ValueError(_WHILE_REVERSE_ERROR)


def _while_split(params, unknowns):
    """Which carries are unknown (a fixpoint) and the known/unknown parts of body and
    cond; None when the predicate itself depends on unknown values."""
    cn, bn = params['cond_nconsts'], params['body_nconsts']
    body, cond_j = params['body_jaxpr'], params['cond_jaxpr']
    cc_uk, bc_uk, carry_uk = _split(unknowns, cn, bn)
    if builtins.any(cc_uk):
        return None
    while True:
        b_split = _partial_eval(body, bc_uk + carry_uk, carry_uk)
        new = [a or b for a, b in zip(carry_uk, b_split[2])]
        if new == carry_uk:
            break
        carry_uk = new
    c_split = _partial_eval(cond_j, cc_uk + carry_uk, [False])
    if c_split[2][0]:
        return None
    return bc_uk, carry_uk, b_split, c_split


def _while_operand_unknowns(params, split):
    """Which operands the known loop does not take (carries unknown by the fixpoint
    included, even if their initial value is known)."""
    bc_uk, carry_uk = split[0], split[1]
    return [False] * params['cond_nconsts'] + list(bc_uk) + list(carry_uk)


def _known_while(params, split):
    """Params of a while loop over the known carries only."""
    bc_uk, carry_uk, (bk, _, _, _), (ck, _, _, _) = split
    n_known = len(carry_uk) - sum(carry_uk)
    return dict(cond_jaxpr=_keep_outputs(ck, [True] + [False] * (len(ck.out_avals) - 1)),
                body_jaxpr=_keep_outputs(bk, [True] * n_known
                                         + [False] * (len(bk.out_avals) - n_known)),
                cond_nconsts=params['cond_nconsts'],
                body_nconsts=params['body_nconsts'] - sum(bc_uk))


def _while_partial_eval(trace, args, params):
    unknowns = [not trace.is_known(a) for a in args]
    split = _while_split(params, unknowns)
    if split is None:
        return _record(trace, while_p, args, params)
    if isinstance(trace.parent, EvalTrace):
        return _while_run_now(trace, args, params, split)
    try:
        return _while_inline(trace, args, params)
    except ConcretizationTypeError:
        pass
    known_args = [a for a, u in zip(args, _while_operand_unknowns(params, split)) if not u]
    n = _max_trip_count(known_args, _known_while(params, split))
    if n is not None:
        # e.g. under vmap, where members stop after different numbers of iterations
        return _masked_scan(args, params, n)
    # Abstract values (e.g. under jit): the known carries come from a loop over the known
    # parts; the unknown ones from the whole loop, recorded (forward mode only).
    k_outs = while_p.bind(*known_args, **_known_while(params, split))
    u_outs = _record(trace, while_p, args, params)
    carry_uk = split[1]
    k = iter(k_outs)
    return [u if uk else next(k) for u, uk in zip(u_outs, carry_uk)]


def _max_trip_count(known_args, known_params):
    """How many iterations the loop takes (the most over a vmapped batch), counted by
    running its known part with a counter; None if that number is not concrete (jit).
    Values under vmap and jvp are concrete arrays underneath their tracers: the count
    is read there, only to size a loop that masks the members that are done."""
    cn, bn = known_params['cond_nconsts'], known_params['body_nconsts']
    cond_j, body_j = known_params['cond_jaxpr'], known_params['body_jaxpr']
    c_avals, b_avals = cond_j.in_avals, body_j.in_avals
    count_aval = get_aval(Array(np.zeros((), _int32)))

    def cond(*xs):
        cc, carry = xs[:cn], xs[cn:-1]
        return _run(cond_j, *cc, *carry)

    def body(*xs):
        bc, carry, i = xs[:bn], xs[bn:-1], xs[-1]
        return list(_run(body_j, *bc, *carry)) + [add(i, 1)]
    counting = dict(cond_jaxpr=_trace_closed(cond, list(c_avals) + [count_aval]),
                    body_jaxpr=_trace_closed(body, list(b_avals) + [count_aval]),
                    cond_nconsts=cn, body_nconsts=bn)
    outs = while_p.bind(*known_args, Array(np.zeros((), _int32)), **counting)
    x = outs[-1]
    while isinstance(x, Tracer):
        if isinstance(x, BatchTracer):
            x = x.val
        elif isinstance(x, JVPTracer):
            x = x.primal
        else:
            return None
    return int(np.max(np.asarray(x._value if type(x) is Array else x), initial=0))


def _masked_scan(args, params, n):
    """The loop as ``n`` iterations of ``carry = body(carry) if cond(carry) else carry``
    (a scan, so reverse-differentiable); exact for any ``n`` at least the trip count."""
    cn, bn = params['cond_nconsts'], params['body_nconsts']
    cond_j, body_j = params['cond_jaxpr'], params['body_jaxpr']

    def step(*xs):
        cc, bc, carry = _split(xs, cn, bn)
        pred = _run(cond_j, *cc, *carry)[0]
        new = _run(body_j, *bc, *carry)
        return [select_n(pred, c, b) for c, b in zip(carry, new)]
    avals = list(cond_j.in_avals[:cn]) + list(body_j.in_avals)
    return scan_p.bind(*args, jaxpr=_trace_closed(step, avals), length=n, reverse=False,
                       unroll=1, num_consts=cn + bn, num_carry=len(avals) - cn - bn)


def _while_inline(trace, args, params):
    """Run the loop now, each iteration evaluated inline by the partial evaluator (the known
    parts on the parent trace, the unknown parts recorded): for parents whose values are
    concrete but not plain arrays (e.g. an outer jvp, for higher derivatives)."""
    cn, bn = params['cond_nconsts'], params['body_nconsts']
    cc, bc, carry = _split(args, cn, bn)
    cond_j, body = params['cond_jaxpr'], params['body_jaxpr']

    def pred(carry):
        p = _run(cond_j, *cc, *carry)[0]
        return _truth(p._concrete('while_loop') if isinstance(p, Tracer) else p)
    while pred(carry):
        carry = _run(body, *bc, *carry)
    return carry


def _while_run_now(trace, args, params, split):
    """linearize of a while loop on concrete values: run the known part now, keeping each
    iteration's residuals, and record the unknown part as a scan over them."""
    cn, bn = params['cond_nconsts'], params['body_nconsts']
    bc_uk, carry_uk, (bk, bu, _, res), (ck, _, _, _) = split
    body = params['body_jaxpr']
    cc, bc, init = _split(args, cn, bn)
    known_bc_vars = {v for v, u in zip(body.jaxpr.invars[:bn], bc_uk) if not u}
    hoisted, const_res, _, stacked = _loop_residuals(res, known_bc_vars, (),
                                                     set(body.jaxpr.constvars))
    n_known = len(carry_uk) - sum(carry_uk)
    keep = [True] * n_known + [k in stacked for k in range(len(res))]
    known_body = _keep_outputs(bk, keep)
    known_cond = _keep_outputs(ck, [True] + [False] * (len(ck.out_avals) - 1))
    k_bc = [to_array(x) for x, u in zip(bc, bc_uk) if not u]
    k_carry = [to_array(x) for x, u in zip(init, carry_uk) if not u]
    k_cc = [to_array(x) for x in cc]
    per_iter = [[] for _ in stacked]
    n = 0
    with set_current_trace(trace.parent):
        while _truth(_run(known_cond, *k_cc, *k_carry)[0]):
            outs = _run(known_body, *k_bc, *k_carry)
            k_carry = outs[:n_known]
            for lst, r in zip(per_iter, outs[n_known:]):
                lst.append(r)
            n += 1
    stacked_vals = []
    for k, lst in zip(stacked, per_iter):
        aval = res[k].aval
        vals = [_unwrap(r, aval) for r in lst]
        stacked_vals.append(Array(np.stack(vals) if vals else
                                  np.zeros((0,) + aval.shape, aval.dtype), aval.weak_type))
    n_ub, n_ucar = sum(bc_uk), sum(carry_uk)
    u_body = _unknown_loop_body(bu, res, body, hoisted, stacked, n_ub + n_ucar, const_res)
    bc_pos = {v: i for i, v in enumerate(body.jaxpr.invars[:bn])}
    u_args = ([bc[bc_pos[res[k]]] for k in hoisted] + [x for x, u in zip(bc, bc_uk) if u]
              + [x for x, u in zip(init, carry_uk) if u] + stacked_vals)
    u_outs = _record(trace, scan_p, u_args,
                     dict(jaxpr=u_body, length=n, reverse=False, unroll=1,
                          num_consts=len(hoisted) + n_ub, num_carry=n_ucar))
    return _merge(carry_uk, k_carry, u_outs)


def _while_partial_eval_jaxpr_rule(eqn, unknowns):
    """On a jaxpr the trip count is unknown: the known carries come from a loop over the
    known parts and the unknown ones from the whole loop (forward mode only)."""
    split = _while_split(eqn.params, unknowns)
    if split is None:
        return None, eqn, [True] * len(eqn.outvars)
    carry_uk = split[1]
    known_eqn = Eqn(while_p, [a for a, u in zip(eqn.invars,
                                                 _while_operand_unknowns(eqn.params, split))
                              if not u],
                    [v for v, u in zip(eqn.outvars, carry_uk) if not u],
                    _known_while(eqn.params, split))
    unknown_eqn = Eqn(while_p, list(eqn.invars),
                      [v if u else Var(v.aval) for v, u in zip(eqn.outvars, carry_uk)],
                      eqn.params)
    return known_eqn, unknown_eqn, carry_uk


while_p.impl = _while_impl
while_p.abstract_eval = _while_abstract_eval
while_p.weak_type_rule = _out_weak_types('body_jaxpr')
while_p.jvp = _while_jvp
while_p.batch = _while_batch
while_p.partial_eval = _while_partial_eval
while_p.partial_eval_jaxpr_rule = _while_partial_eval_jaxpr_rule
while_p.transpose = _while_transpose
while_p.codegen = None


def while_loop(cond_fun, body_fun, init_val):
    """``while cond_fun(val): val = body_fun(val)``; returns the final ``val``.

    Forward mode and ``vmap`` work everywhere.  Reverse mode works when the loop runs on
    concrete values (outside ``jit``): the loop runs right away and its tangent part is
    recorded as a ``scan`` over the iterations it took.

    >>> lax.while_loop(lambda x: x < 10., lambda x: x * 2., 1.)
    Array(16., dtype=float32, weak_type=True)
    """
    if not callable(cond_fun) or not callable(body_fun):
        raise TypeError("while_loop: cond_fun and body_fun arguments should be callable.")
    leaves, tree = tree_flatten(init_val)
    leaves = [_operand(x) for x in leaves]
    in_tree = tree_structure((init_val,))
    name = _first_param_name(body_fun)
    for _ in range(3):
        avals = [get_aval(x) for x in leaves]
        cond_j, cond_consts, cond_tree = _trace_user(cond_fun, in_tree, avals,
                                                     'while_loop cond_fun')
        c_out = cond_j.out_avals
        if not treedef_is_leaf(cond_tree) or c_out[0].shape != () or \
                c_out[0].dtype != np.dtype(bool):
            if not treedef_is_leaf(cond_tree):
                raise TypeError(f"cond_fun must return a boolean scalar, but got pytree "
                                f"{cond_tree}.")
            raise TypeError(f"cond_fun must return a boolean scalar, but got output type(s) "
                            f"[{', '.join(repr(a) for a in c_out)}].")
        body_j, body_consts, body_tree = _trace_user(body_fun, in_tree, avals,
                                                     'while_loop body_fun')
        _check_carry_structure('while_loop', name, tree, body_tree)
        promoted = _promote_weak_carry(leaves, avals, body_j.out_avals)
        if promoted is None:
            break
        leaves = promoted
    _check_carry_types('while_loop', name, init_val, avals, body_j.out_avals)
    outs = while_p.bind(*cond_consts, *body_consts, *leaves, cond_jaxpr=cond_j,
                        body_jaxpr=body_j, cond_nconsts=len(cond_consts),
                        body_nconsts=len(body_consts))
    return tree_unflatten(tree, outs)


def _concrete_int(x):
    if not isinstance(x, Tracer):
        return int(np.asarray(x._value if type(x) is Array else x))
    try:
        return int(np.asarray(x._concrete('fori_loop')))
    except ConcretizationTypeError:
        return None


def fori_loop(lower, upper, body_fun, init_val, *, unroll=None):
    """``for i in range(lower, upper): val = body_fun(i, val)``.

    With concrete bounds (Python ints, or values known outside ``jit``) this is a ``scan``
    and so reverse-differentiable; with traced bounds it is a ``while_loop``.

    >>> lax.fori_loop(0, 4, lambda i, s: s + i, 0)
    Array(6, dtype=int32, weak_type=True)
    """
    if not callable(body_fun):
        raise TypeError("fori_loop: body_fun argument should be callable.")
    lo_d, lo_w = dtypes.dtype_and_weak(lower)
    hi_d, hi_w = dtypes.dtype_and_weak(upper)
    if lo_d != hi_d and not (lo_w or hi_w):
        raise TypeError(f"lower and upper arguments to fori_loop must have equal types, got "
                        f"{lo_d.name} and {hi_d.name}")
    d, weak = dtypes.result_type(lower, upper, return_weak_type_flag=True)
    if d.kind not in 'iu' or lo_d.kind not in 'iu' or hi_d.kind not in 'iu':
        raise TypeError(f"lower and upper arguments to fori_loop must have equal types, got "
                        f"{lo_d.name} and {hi_d.name}")
    lo, hi = _concrete_int(lower), _concrete_int(upper)
    if lo is not None and hi is not None:
        start = Array(np.asarray(lo, d), weak)

        def step(carry, _):
            i, x = carry
            return (add(i, 1), body_fun(i, x)), None
        (_, out), _ = scan(step, (start, init_val), None, length=builtins.max(hi - lo, 0),
                           unroll=1 if unroll is None else unroll)
        return out
    if unroll is not None and unroll is not False and unroll != 1:
        raise ValueError("Can only use `unroll` in `fori_loop` if the loop bounds are "
                         "statically known.")
    lower = convert_element_type(_operand(lower), d, weak)
    upper = convert_element_type(_operand(upper), d, weak)

    def w_cond(carry):
        i, n, _ = carry
        from .elementwise import lt
        return lt(i, n)

    def w_body(carry):
        i, n, x = carry
        return add(i, 1), n, body_fun(i, x)
    return while_loop(w_cond, w_body, (lower, upper, init_val))[2]


# =========================================================================================
# associative_scan
# =========================================================================================

def associative_scan(fn, elems, reverse=False, axis=0):
    """All prefix combinations ``fn(...fn(fn(e0, e1), e2)..., ek)`` of ``elems`` along
    ``axis``, for an associative ``fn``, in O(log n) rounds of whole-array operations
    (a parallel prefix built from slices and concatenations, so it is differentiable and
    batchable with no rules of its own).

    >>> lax.associative_scan(jnp.add, jnp.arange(5.))
    Array([ 0.,  1.,  3.,  6., 10.], dtype=float32)
    """
    if not callable(fn):
        raise TypeError(f"associative_scan: fn argument should be callable, got {fn!r}")
    leaves, tree = tree_flatten(elems)
    if not leaves:
        return elems
    leaves = [_operand(x) for x in leaves]
    ranks = {len(shape_of(x)) for x in leaves}
    rank = ranks.pop()
    if ranks or rank == 0:
        raise ValueError(f"associative_scan: all inputs need the same rank of at least 1, "
                         f"got shapes {[tuple(shape_of(x)) for x in leaves]}")
    ax = axis + rank if axis < 0 else axis
    if not 0 <= ax < rank:
        raise ValueError(f"associative_scan: axis={axis} is out of bounds for arrays of rank "
                         f"{rank}")
    sizes = [shape_of(x)[ax] for x in leaves]
    if len(set(sizes)) > 1:
        raise ValueError(f"Array inputs to associative_scan must have the same first "
                         f"dimension. (saw: {[tuple(shape_of(x)) for x in leaves]})")
    if reverse:
        leaves = [rev(x, (ax,)) for x in leaves]

    def combine(a, b):
        out_leaves, out_tree = tree_flatten(fn(tree_unflatten(tree, a),
                                               tree_unflatten(tree, b)))
        if out_tree != tree:
            raise TypeError(f"associative_scan: fn must return a pytree with the structure "
                            f"of elems, {tree}; got {out_tree}")
        return out_leaves

    def sl(xs, start, stop=None, stride=1):
        return [slice_in_dim(x, start, stop, stride, ax) for x in xs]

    def prefix(xs):
        n = shape_of(xs[0])[ax]
        if n < 2:
            return xs
        # combine neighbouring pairs, scan the pairs, then fill in the even positions
        pairs = combine(sl(xs, 0, n - 1, 2), sl(xs, 1, None, 2))
        odd = prefix(pairs)
        if n > 2:
            evens = combine(sl(odd, 0, (n + 1) // 2 - 1), sl(xs, 2, None, 2))
            evens = [concatenate([x0, e], ax) for x0, e in zip(sl(xs, 0, 1), evens)]
        else:
            evens = sl(xs, 0, 1)
        return [_interleave(e, o, ax) for e, o in zip(evens, odd)]
    out = prefix(leaves)
    if reverse:
        out = [rev(x, (ax,)) for x in out]
    return tree_unflatten(tree, out)


def _interleave(even, odd, ax):
    """``[e0, o0, e1, o1, ...]`` along ``ax``; ``even`` may be one longer than ``odd``."""
    ne, no = shape_of(even)[ax], shape_of(odd)[ax]
    head = slice_in_dim(even, 0, no, 1, ax) if ne > no else even
    shape = tuple(shape_of(odd))
    pair_shape = shape[:ax + 1] + (1,) + shape[ax + 1:]
    both = concatenate([reshape(head, pair_shape), reshape(odd, pair_shape)], ax + 1)
    out = reshape(both, shape[:ax] + (2 * no,) + shape[ax + 1:])
    if ne > no:
        out = concatenate([out, slice_in_dim(even, no, ne, 1, ax)], ax)
    return out


# =========================================================================================
# Implicit differentiation: custom_linear_solve and custom_root
# =========================================================================================

linear_solve_p = HigherOrderPrimitive('custom_linear_solve', multiple_results=True)
# operands: the constants of matvec, vecmat, solve and transpose_solve (const_lengths says
# how many each), then b; jaxprs holds those four functions (None for absent ones)


def _ls_split(args, const_lengths):
    groups = _split(args, *const_lengths)
    return groups[:4], groups[4]


def _linear_solve_impl(*args, const_lengths, jaxprs):
    consts, b = _ls_split(args, const_lengths)
    solve = jaxprs[2]
    ins = [_wrap(x, a) for x, a in zip(consts[2] + b, solve.in_avals)]
    return [_unwrap(o, a) for o, a in zip(_run(solve, *ins), solve.out_avals)]


def _linear_solve_abstract_eval(*avals, const_lengths, jaxprs):
    consts, b = _ls_split(avals, const_lengths)
    _check_operand_avals('custom_linear_solve', consts[2] + b, jaxprs[2].in_avals)
    return list(jaxprs[2].out_avals)


def _linear_solve_jvp(primals, tangents, const_lengths, jaxprs):
    # A x = b  =>  dA x + A dx = db  =>  dx = A^-1 (db - dA x)
    x = linear_solve_p.bind(*primals, const_lengths=const_lengths, jaxprs=jaxprs)
    consts, b = _ls_split(primals, const_lengths)
    consts_t, b_t = _ls_split(tangents, const_lengths)
    nb = len(b)
    out_avals = jaxprs[2].out_avals
    rhs = list(b_t)
    if builtins.any(type(t) is not Zero for t in consts_t[0]):
        matvec = jaxprs[0]
        _, dA_x = jvp_flat(lambda *cs: _run(matvec, *cs, *x[:nb]), consts[0], consts_t[0])
        rhs = [t if type(d) is Zero else (neg(d) if type(t) is Zero else add(t, neg(d)))
               for t, d in zip(rhs, dA_x)]
    if builtins.all(type(t) is Zero for t in rhs):
        return x, [Zero(a.to_tangent_aval()) for a in out_avals]
    rhs = [instantiate(t) for t in rhs]
    flat_consts = [c for cs in consts for c in cs]
    x_dot = linear_solve_p.bind(*flat_consts, *rhs, const_lengths=const_lengths,
                                jaxprs=jaxprs)
    # auxiliary outputs of solve carry no derivative
    return x, x_dot[:nb] + [Zero(a.to_tangent_aval()) for a in out_avals[nb:]]


def _linear_solve_transpose(cts, *args, const_lengths, jaxprs):
    if jaxprs[3] is None:
        raise TypeError("transpose_solve required for backwards mode automatic "
                        "differentiation of custom_linear_solve")
    consts, b = _ls_split(args, const_lengths)
    if builtins.any(is_undefined(c) for cs in consts for c in cs):
        raise TypeError("custom_linear_solve is linear only in b: its operator cannot "
                        "depend on the values being transposed")
    nb = len(b)
    cts_x = [instantiate(Zero(a.aval)) if type(c) is Zero else c
             for c, a in zip(cts[:nb], b)]
    # the transpose of x = A^-1 b is b = A^-T x: swap the roles of the jaxprs
    swapped = (jaxprs[1], jaxprs[0], jaxprs[3], jaxprs[2])
    lengths = (const_lengths[1], const_lengths[0], const_lengths[3], const_lengths[2])
    flat = consts[1] + consts[0] + consts[3] + consts[2]
    ct_b = linear_solve_p.bind(*flat, *cts_x, const_lengths=lengths, jaxprs=swapped)
    return [None] * sum(const_lengths) + list(ct_b[:nb])


def _linear_solve_batch(axis, vals, dims, const_lengths, jaxprs):
    consts, b = _ls_split(vals, const_lengths)
    c_dims, b_dims = _ls_split(dims, const_lengths)
    nb = len(b)
    # b, x (and any aux output) are batched: simple, and always consistent
    new_jaxprs = []
    for j, cd in zip(jaxprs, c_dims):
        if j is None:
            new_jaxprs.append(None)
            continue
        cb = [d is not None for d in cd]
        new_jaxprs.append(_batch_jaxpr(j, axis, cb + [True] * nb,
                                       [True] * len(j.out_avals))[0])
    flat = [moveaxis_to_front(v, d) if d is not None else v
            for cs, ds in zip(consts, c_dims) for v, d in zip(cs, ds)]
    b = [bdim_at_front(v, d, axis.size) for v, d in zip(b, b_dims)]
    outs = linear_solve_p.bind(*flat, *b, const_lengths=const_lengths,
                               jaxprs=tuple(new_jaxprs))
    return outs, [0] * len(outs)


linear_solve_p.impl = _linear_solve_impl
linear_solve_p.abstract_eval = _linear_solve_abstract_eval
linear_solve_p.weak_type_rule = lambda args, params: [
    a.weak_type for a in params['jaxprs'][2].out_avals]
linear_solve_p.jvp = _linear_solve_jvp
linear_solve_p.transpose = _linear_solve_transpose
linear_solve_p.batch = _linear_solve_batch
linear_solve_p.codegen = None


def _check_same_tree(api, what, tree, expected):
    if tree != expected:
        raise TypeError(f"{api}: {what} output must have the same pytree structure as "
                        f"the input, {expected}, but got {tree}.")


def _check_same_avals(api, what, avals, expected):
    for a, e in zip(avals, expected):
        if a.shape != e.shape or a.dtype != e.dtype:
            raise ValueError(f"{api}: {what} output has type {a.str_short()} where "
                             f"{e.str_short()} was expected (the type of the input)")


def _transpose_linear_fn(matvec_jaxpr, consts, b_avals):
    """``vecmat``: the transpose of the linear map ``matvec`` (closing over ``consts``)."""
    def vecmat(*cts):
        args = list(consts) + [_UP(a) for a in b_avals]
        outs = _backward(matvec_jaxpr, args, list(cts))
        return [instantiate(Zero(a)) if type(o) is Zero else o for o, a in zip(outs, b_avals)]
    return vecmat


def custom_linear_solve(matvec, b, solve, transpose_solve=None, symmetric=False,
                        has_aux=False):
    """``solve(matvec, b)``, differentiated implicitly as the solution ``x`` of the linear
    system ``matvec(x) == b`` (not through the iterations of ``solve``).

    ``transpose_solve(vecmat, b)`` solves with the transposed operator (``vecmat`` is
    derived automatically); it is needed for reverse mode unless ``symmetric=True``, in
    which case ``solve`` serves.  Derivatives flow to ``b`` and to values ``matvec`` closes
    over.

    >>> x = lax.custom_linear_solve(lambda v: a * v, b, lambda mv, r: r / a, symmetric=True)
    """
    if transpose_solve is None and symmetric:
        transpose_solve = solve
    b_leaves, tree = tree_flatten(b)
    b_leaves = [_operand(x) for x in b_leaves]
    b_avals = [get_aval(x) for x in b_leaves]
    in_tree = tree_structure((b,))
    api = 'custom_linear_solve'

    def as_fn(jaxpr, consts):
        return lambda x: tree_unflatten(tree, _run(jaxpr, *consts, *tree_flatten(x)[0]))
    mv_j, mv_c, mv_tree = _trace_user(matvec, in_tree, b_avals, api + ' matvec')
    _check_same_tree(api, 'matvec', mv_tree, tree)
    _check_same_avals(api, 'matvec', mv_j.out_avals, b_avals)
    mv_fn = as_fn(mv_j, mv_c)

    def traced_solver(fn, op, what):
        j, c, t = _trace_user(lambda x: fn(op, x), in_tree, b_avals, f"{api} {what}")
        if has_aux:
            if not (t.num_leaves >= len(b_avals)):
                raise TypeError(f"{api}: {what} with has_aux=True must return a pair "
                                f"(solution, aux)")
            sol_tree = t.children()[0]
        else:
            sol_tree = t
        _check_same_tree(api, what, sol_tree, tree)
        _check_same_avals(api, what, j.out_avals[:len(b_avals)], b_avals)
        return j, c, t
    solve_j, solve_c, out_tree = traced_solver(solve, mv_fn, 'solve')
    if transpose_solve is None:
        vm_j, vm_c, tr_j, tr_c = None, [], None, []
    else:
        if symmetric:
            vm_j, vm_c = mv_j, mv_c
        else:
            n_c = len(mv_c)

            def vecmat_flat(*xs):
                return _transpose_linear_fn(mv_j, xs[:n_c], b_avals)(*xs[n_c:])
            vm_j = _trace_closed(vecmat_flat, [get_aval(c) for c in mv_c] + b_avals)
            vm_c = list(mv_c)
        tr_j, tr_c, _ = traced_solver(transpose_solve, as_fn(vm_j, vm_c), 'transpose_solve')
    all_consts = [mv_c, vm_c, solve_c, tr_c]
    flat = [c for cs in all_consts for c in cs]
    outs = linear_solve_p.bind(*flat, *b_leaves,
                               const_lengths=tuple(len(c) for c in all_consts),
                               jaxprs=(mv_j, vm_j, solve_j, tr_j))
    return tree_unflatten(out_tree, outs)


custom_root_p = HigherOrderPrimitive('custom_root', multiple_results=True)


def _root_split(args, const_lengths):
    groups = _split(args, *const_lengths)
    return groups[:3], groups[3]


def _custom_root_impl(*args, const_lengths, jaxprs):
    consts, guess = _root_split(args, const_lengths)
    solve = jaxprs[1]
    ins = [_wrap(x, a) for x, a in zip(consts[1] + guess, solve.in_avals)]
    return [_unwrap(o, a) for o, a in zip(_run(solve, *ins), solve.out_avals)]


def _custom_root_abstract_eval(*avals, const_lengths, jaxprs):
    consts, guess = _root_split(avals, const_lengths)
    _check_operand_avals('custom_root', consts[1] + guess, jaxprs[1].in_avals)
    return list(jaxprs[1].out_avals)


def _custom_root_jvp(primals, tangents, const_lengths, jaxprs):
    # f(p, x*(p)) = 0  =>  d_p f dp + d_x f dx* = 0  =>  dx* = -(d_x f)^-1 (d_p f dp)
    sol = custom_root_p.bind(*primals, const_lengths=const_lengths, jaxprs=jaxprs)
    consts, guess = _root_split(primals, const_lengths)
    consts_t, _ = _root_split(tangents, const_lengths)
    nx = len(guess)
    out_avals = jaxprs[1].out_avals
    x = sol[:nx]
    if builtins.all(type(t) is Zero for t in consts_t[0]):
        return sol, [Zero(a.to_tangent_aval()) for a in out_avals]
    f = jaxprs[0]
    _, rhs = jvp_flat(lambda *cs: _run(f, *cs, *x), consts[0], consts_t[0])
    rhs = [instantiate(t) if type(t) is Zero else t for t in rhs]
    solved = _run(jaxprs[2], *consts[2], *x, *rhs)
    return sol, [neg(t) for t in solved] + [Zero(a.to_tangent_aval()) for a in out_avals[nx:]]


def _custom_root_batch(axis, vals, dims, const_lengths, jaxprs):
    consts, guess = _root_split(vals, const_lengths)
    c_dims, g_dims = _root_split(dims, const_lengths)
    nx = len(guess)
    # the solution (and the tangent right-hand side) is batched: simple and consistent
    vector_args = (nx, nx, 2 * nx)
    new = tuple(_batch_jaxpr(j, axis, [d is not None for d in cd] + [True] * nv,
                             [True] * len(j.out_avals))[0]
                for j, cd, nv in zip(jaxprs, c_dims, vector_args))
    flat = [moveaxis_to_front(v, d) if d is not None else v
            for cs, ds in zip(consts, c_dims) for v, d in zip(cs, ds)]
    guess = [bdim_at_front(v, d, axis.size) for v, d in zip(guess, g_dims)]
    outs = custom_root_p.bind(*flat, *guess, const_lengths=const_lengths, jaxprs=new)
    return outs, [0] * len(outs)


custom_root_p.impl = _custom_root_impl
custom_root_p.abstract_eval = _custom_root_abstract_eval
custom_root_p.weak_type_rule = lambda args, params: [
    a.weak_type for a in params['jaxprs'][1].out_avals]
custom_root_p.jvp = _custom_root_jvp
custom_root_p.batch = _custom_root_batch
custom_root_p.codegen = None


def custom_root(f, initial_guess, solve, tangent_solve, has_aux=False):
    """A root ``x`` of ``f`` found by ``solve(f, initial_guess)``, differentiated with the
    implicit function theorem rather than through the iterations of ``solve``.

    ``tangent_solve(g, y)`` solves the linear system ``g(x) = y`` for the linearization
    ``g`` of ``f`` at the root (e.g. ``lambda g, y: y / g(1.0)`` for scalars).  ``f`` may
    close over values being differentiated: the derivative with respect to them is
    ``-tangent_solve(df/dx, df/dparams . dparams)``.

    >>> sqrt_a = lax.custom_root(lambda x: x ** 2 - a, 1., newton, lambda g, y: y / g(1.))
    """
    g_leaves, tree = tree_flatten(initial_guess)
    g_leaves = [_operand(x) for x in g_leaves]
    avals = [get_aval(x) for x in g_leaves]
    in_tree = tree_structure((initial_guess,))
    api = 'custom_root'
    f_j, f_c, f_tree = _trace_user(f, in_tree, avals, api + ' f')
    _check_same_tree(api, 'f', f_tree, tree)
    f_fn = lambda x: tree_unflatten(tree, _run(f_j, *f_c, *tree_flatten(x)[0]))  # noqa: E731
    s_j, s_c, s_tree = _trace_user(lambda x: solve(f_fn, x), in_tree, avals, api + ' solve')
    sol_tree = s_tree.children()[0] if has_aux else s_tree
    _check_same_tree(api, 'solve', sol_tree, tree)
    _check_same_avals(api, 'solve', s_j.out_avals[:len(avals)], avals)

    def linearize_and_solve(x, b):
        from .._api import linearize
        _, f_jvp = linearize(f_fn, x)
        return tangent_solve(f_jvp, b)
    pair_tree = tree_structure((initial_guess, initial_guess))
    l_j, l_c, l_tree = _trace_user(linearize_and_solve, pair_tree, avals + avals,
                                   api + ' tangent_solve')
    _check_same_tree(api, 'tangent_solve', l_tree, tree)
    all_consts = [f_c, s_c, l_c]
    outs = custom_root_p.bind(*[c for cs in all_consts for c in cs], *g_leaves,
                              const_lengths=tuple(len(c) for c in all_consts),
                              jaxprs=(f_j, s_j, l_j))
    return tree_unflatten(s_tree, outs)
