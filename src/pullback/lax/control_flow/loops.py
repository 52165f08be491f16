"""``while_loop`` and ``fori_loop``: the ``while`` primitive and its rules, including the
reverse mode of a loop run on concrete values (a ``scan`` over the iterations it took, with
their residuals stacked at run time)."""
import builtins

import numpy as np

from ... import dtypes
from ..._array import Array
from ..._core.core import Tracer, Zero, EvalTrace, get_aval, instantiate, set_current_trace
from ..._core.errors import ConcretizationTypeError
from ..._core.jaxpr import Eqn, Var
from ..._transforms.ad import to_array, JVPTracer
from ..._transforms.batching import BatchTracer
from ...tree_util import tree_flatten, tree_unflatten, tree_structure, treedef_is_leaf
from ..elementwise import convert_element_type, select_n, add
from ..shapes import broadcast_in_dim
from ..reductions import reduce_or
from .._util import moveaxis_to_front, bdim_at_front, shape_of
from ._common import (_int32, _first_param_name, _trace_user, _operand,
                      _check_carry_structure, _check_carry_types, _promote_weak_carry, _truth,
                      _run, _wrap, _unwrap, _trace_closed, _permute_invars, _insert_invars,
                      _keep_outputs, _split, _jvp_jaxpr, _batch_jaxpr, _partial_eval, _record,
                      _merge, _check_operand_avals, _out_weak_types, HigherOrderPrimitive)
from .scans import scan_p, scan, _loop_residuals, _unknown_loop_body

while_p = HigherOrderPrimitive('while', multiple_results=True)
# reverse mode needs the trip count, known only when the loop runs on concrete values
while_p.stageable = False


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
        from ..elementwise import lt
        return lt(i, n)

    def w_body(carry):
        i, n, x = carry
        return add(i, 1), n, body_fun(i, x)
    return while_loop(w_cond, w_body, (lower, upper, init_val))[2]
