"""Helpers shared by the control-flow constructs: tracing user functions to jaxprs, the
errors for carries and branch outputs, evaluating and transforming jaxprs inside the
rules, and ``HigherOrderPrimitive``."""
import inspect

import numpy as np

from ... import dtypes
from ..._array import Array
from ..._core.core import (Primitive, Zero, get_aval, is_array_like, instantiate,
                           set_current_trace, current_trace)
from ..._core.jaxpr import Jaxpr, ClosedJaxpr, Var, Literal, JaxprTrace, trace_to_jaxpr
from ..._core.rules import is_undefined, UndefinedPrimal
from ..._transforms.ad import jvp_flat, backward_pass, to_array
from ..._transforms.batching import batch_flat
from ..._transforms.partial_eval import partial_eval_jaxpr, dce_jaxpr
from ...tree_util import tree_flatten, tree_unflatten, tree_flatten_with_path, keystr, \
    treedef_is_leaf
from ..elementwise import convert_element_type
from ..shapes import broadcast_in_dim
from .._util import moveaxis_to_front, bdim_at_front

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
    from ... import tree_util as tu
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


_UP = UndefinedPrimal


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
