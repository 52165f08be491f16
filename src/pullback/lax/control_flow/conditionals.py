"""``cond`` and ``switch``: the ``cond`` primitive (one jaxpr per branch, selected by an
integer index) with its rules, and the functions users call."""
import builtins

import numpy as np

from ..._array import Array
from ..._core.core import Tracer, Zero, get_aval, instantiate
from ..._core.errors import ConcretizationTypeError
from ..._core.jaxpr import Eqn, Var
from ..._core.rules import is_undefined
from ..._transforms.batching import batch_flat
from ...tree_util import tree_flatten, tree_unflatten, tree_structure
from ..elementwise import convert_element_type, select_n, ne, max as _lax_max, \
    min as _lax_min
from ..shapes import broadcast_in_dim
from .._util import moveaxis_to_front, bdim_at_front, shape_of
from ._common import (_int32, _trace_user, _operand, _check_branch_outputs, _run, _wrap,
                      _unwrap, _trace_closed, _insert_invars, _jvp_jaxpr, _batch_jaxpr,
                      _partial_eval, _backward, _record, _merge, _zeros_like,
                      _check_operand_avals, HigherOrderPrimitive)

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
