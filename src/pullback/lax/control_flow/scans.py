"""``scan`` (the ``scan`` primitive and its rules), ``map`` built on it, and
``associative_scan`` (built from slices and concatenations, with no primitive of its own).
The residual bookkeeping of a split loop body is shared with ``while_loop``'s reverse
mode."""
import builtins

import numpy as np

from ..._array import Array
from ..._core.core import Zero, get_aval, is_array_like, instantiate
from ..._core.jaxpr import Jaxpr, ClosedJaxpr, Eqn, Var
from ..._core.rules import is_undefined
from ...tree_util import tree_flatten, tree_unflatten, tree_structure
from ..elementwise import add
from ..shapes import reshape, concatenate, slice_in_dim, rev
from .._util import moveaxis_to_front, moveaxis, bdim_at_front, shape_of
from ._common import (_first_param_name, _trace_user, _operand, _check_carry_structure,
                      _check_carry_types, _promote_weak_carry, _run, _wrap, _unwrap,
                      _trace_closed, _permute_invars, _permute_outvars, _keep_outputs,
                      _split, _jvp_jaxpr, _batch_jaxpr, _partial_eval, _backward, _UP,
                      _transpose_mixed, _record, _merge, _check_operand_avals,
                      _out_weak_types, HigherOrderPrimitive)

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
    from ..._api import vmap
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
