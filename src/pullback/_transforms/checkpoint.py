"""``checkpoint`` (alias ``remat``): trade computation for memory in reverse mode.

Reverse mode normally keeps every intermediate value the backward pass needs (the
residuals) from the forward pass to the backward pass.  A checkpointed function keeps only
its *inputs*; its backward pass runs the function's forward computation again and
differentiates it there.  Checkpointing each of k blocks of a deep network thus keeps k
block inputs plus one block's intermediates instead of every layer's intermediates.

How: ``checkpoint(f)`` traces ``f`` to a jaxpr and binds the ``checkpoint`` primitive.
Its JVP is ``checkpoint`` of the JVP jaxpr.  When linearize (partial evaluation) meets that,
the known (primal) part runs now and the unknown (tangent) part is recorded as *one*
``checkpoint`` equation (``differentiated=True``) whose jaxpr is the whole JVP restricted
to the tangent outputs: it reads the function's inputs (and whatever ``policy`` saves) and
recomputes the rest when it is transposed.

``policy(prim, *avals, **params) -> bool`` says which intermediate values may be saved
instead of recomputed: see ``checkpoint_policies``; ``checkpoint_name(x, name)`` tags a
value for ``save_only_these_names``.

    >>> @checkpoint
    ... def block(x):
    ...     return jnp.tanh(jnp.tanh(x))
"""
import functools

from .._core.core import Primitive, Zero, get_aval, first_weak, instantiate
from .._core.jaxpr import Jaxpr, ClosedJaxpr, Eqn, Var
from .._core.rules import is_undefined
from ..tree_util import tree_flatten, tree_unflatten, tree_structure, tree_map
from ..lax.control_flow import (HigherOrderPrimitive, _trace_user, _operand, _run, _wrap,
                                _unwrap, _jvp_jaxpr, _batch_jaxpr, _backward, _trace_closed,
                                _merge)
from .partial_eval import partial_eval_jaxpr, dce_jaxpr

__all__ = ['checkpoint', 'remat', 'checkpoint_policies', 'checkpoint_name']


# --- checkpoint_name: an identity that tags a value for a policy ---------------------------

name_p = Primitive('name')
name_p.impl = lambda x, name: x
name_p.abstract_eval = lambda x, name: x
name_p.weak_type_rule = first_weak
name_p.codegen = lambda x, name: x
# the tangent passes through untagged: only the primal value is a candidate for saving
name_p.jvp = lambda primals, tangents, name: (name_p.bind(primals[0], name=name), tangents[0])
name_p.batch = lambda axis, vals, dims, name: (name_p.bind(vals[0], name=name), dims[0])
# linear (the identity), for a name put on a tangent, e.g. inside a custom_jvp rule
name_p.transpose = lambda ct, x, name: [ct]


def checkpoint_name(x, name):
    """``x`` unchanged, tagged ``name`` so that ``save_only_these_names(name)`` (and the
    other name policies) can save it across a checkpoint.

    >>> y = checkpoint_name(jnp.sin(x), 'sin_x')
    """
    return tree_map(lambda v: name_p.bind(v, name=name), x)


# --- Policies ------------------------------------------------------------------------------

def _dot_prim():
    from ..lax.dot import dot_general_p
    return dot_general_p


def nothing_saveable(prim, *avals, **params):
    """Save nothing: recompute every intermediate (the default)."""
    return False


def everything_saveable(prim, *avals, **params):
    """Save everything: the same as no checkpoint."""
    return True


def dots_saveable(prim, *avals, **params):
    """Save the results of matrix products (``dot_general``); recompute the rest."""
    return prim is _dot_prim()


def dots_with_no_batch_dims_saveable(prim, *avals, **params):
    """Save ``dot_general`` results that have no batch dimensions."""
    if prim is not _dot_prim():
        return False
    (_, _), (lb, rb) = params['dimension_numbers']
    return not lb and not rb


def save_only_these_names(*names):
    """Save only values tagged with one of ``names`` by ``checkpoint_name``."""
    names = frozenset(names)

    def policy(prim, *avals, **params):
        return prim is name_p and params['name'] in names
    policy.__name__ = f"save_only_these_names{tuple(sorted(names))}"
    return policy


def save_anything_except_these_names(*names):
    """Save every value except those tagged with one of ``names``."""
    names = frozenset(names)

    def policy(prim, *avals, **params):
        return not (prim is name_p and params['name'] in names)
    policy.__name__ = f"save_anything_except_these_names{tuple(sorted(names))}"
    return policy


def save_any_names_but_these(*names):
    """Save values tagged by ``checkpoint_name`` except those tagged with ``names``."""
    names = frozenset(names)

    def policy(prim, *avals, **params):
        return prim is name_p and params['name'] not in names
    policy.__name__ = f"save_any_names_but_these{tuple(sorted(names))}"
    return policy


def save_from_both_policies(policy_1, policy_2):
    """Save what either policy saves."""
    def policy(prim, *avals, **params):
        return policy_1(prim, *avals, **params) or policy_2(prim, *avals, **params)
    return policy


class _Policies:
    """The built-in policies, as ``jax.checkpoint_policies``."""
    nothing_saveable = staticmethod(nothing_saveable)
    everything_saveable = staticmethod(everything_saveable)
    dots_saveable = staticmethod(dots_saveable)
    checkpoint_dots = staticmethod(dots_saveable)
    dots_with_no_batch_dims_saveable = staticmethod(dots_with_no_batch_dims_saveable)
    checkpoint_dots_with_no_batch_dims = staticmethod(dots_with_no_batch_dims_saveable)
    save_only_these_names = staticmethod(save_only_these_names)
    save_anything_except_these_names = staticmethod(save_anything_except_these_names)
    save_any_names_but_these = staticmethod(save_any_names_but_these)
    save_from_both_policies = staticmethod(save_from_both_policies)


checkpoint_policies = _Policies()


# --- The primitive -------------------------------------------------------------------------

checkpoint_p = HigherOrderPrimitive('checkpoint', multiple_results=True)


def _checkpoint_impl(*args, jaxpr, prevent_cse, differentiated, policy):
    outs = _run(jaxpr, *[_wrap(x, a) for x, a in zip(args, jaxpr.in_avals)])
    return [_unwrap(o, a) for o, a in zip(outs, jaxpr.out_avals)]


def _checkpoint_abstract_eval(*avals, jaxpr, prevent_cse, differentiated, policy):
    expected = jaxpr.in_avals
    if len(avals) != len(expected):
        raise TypeError(f"checkpoint: the function takes {len(expected)} operands, got "
                        f"{len(avals)}")
    for i, (a, e) in enumerate(zip(avals, expected)):
        if a.shape != e.shape or a.dtype != e.dtype:
            raise TypeError(f"checkpoint: operand {i} has type {a.str_short()}, but the "
                            f"function was traced for {e.str_short()}")
    return list(jaxpr.out_avals)


def _checkpoint_jvp(primals, tangents, jaxpr, **params):
    nonzeros = [type(t) is not Zero for t in tangents]
    n_out = len(jaxpr.out_avals)
    jvp, out_nz = _jvp_jaxpr(jaxpr, nonzeros, [False] * n_out)
    outs = checkpoint_p.bind(*primals, *[t for t in tangents if type(t) is not Zero],
                             jaxpr=jvp, **params)
    it = iter(outs[n_out:])
    return outs[:n_out], [next(it) if nz else Zero(a.to_tangent_aval())
                          for nz, a in zip(out_nz, jaxpr.out_avals)]


def _checkpoint_batch(axis, vals, dims, jaxpr, **params):
    from ..lax._util import moveaxis_to_front
    batched = [d is not None for d in dims]
    vals = [moveaxis_to_front(v, d) if d is not None else v for v, d in zip(vals, dims)]
    new, out_b = _batch_jaxpr(jaxpr, axis, batched, [False] * len(jaxpr.out_avals))
    outs = checkpoint_p.bind(*vals, jaxpr=new, **params)
    return outs, [0 if b else None for b in out_b]


def _checkpoint_transpose(cts, *args, jaxpr, **params):
    """Recompute the forward values (the part of the jaxpr that does not depend on the
    linear inputs) and transpose the rest, all inside one new checkpoint equation."""
    linear = [is_undefined(a) for a in args]
    res = [a for a in args if not is_undefined(a)]
    lin_avals = [a.aval for a in args if is_undefined(a)]
    cts = [instantiate(Zero(a.to_tangent_aval())) if type(c) is Zero else c
           for c, a in zip(cts, jaxpr.out_avals)]

    def fun(*xs):
        it = iter(xs[:len(res)])
        full = [a if lin else next(it) for a, lin in zip(args, linear)]
        cts_in = _backward(jaxpr, full, list(xs[len(res):]))
        return [instantiate(Zero(a)) if type(c) is Zero else c
                for c, a in zip(cts_in, lin_avals)]
    t_jaxpr = _trace_closed(fun, [get_aval(r) for r in res] + [get_aval(c) for c in cts])
    outs = iter(checkpoint_p.bind(*res, *cts, jaxpr=t_jaxpr,
                                  **dict(params, differentiated=True)))
    return [next(outs) if lin else None for lin in linear]


class _RematPlan:
    """How a checkpoint equation with partly unknown inputs splits: the known part
    (computed now) returns the known outputs and the values ``policy`` saves; the staged
    part reads the known inputs it needs, the saved values and the unknown inputs, and
    recomputes everything else."""
    __slots__ = ('known', 'staged', 'out_unknowns', 'known_in_used', 'n_known_out',
                 'n_saved')


def _remat_plan(closed, unknowns, policy):
    body = closed.jaxpr
    known, _, out_uk, _ = partial_eval_jaxpr(closed, list(unknowns))
    # which variables are known (mixed equations of higher-order primitives count as
    # unknown here: they are recomputed whole)
    unknown_vars = {v for v, u in zip(body.invars, unknowns) if u}
    known_eqn = []
    for eqn in body.eqns:
        k = not any(type(a) is Var and a in unknown_vars for a in eqn.invars)
        known_eqn.append(k)
        if not k:
            unknown_vars.update(eqn.outvars)
    # what the staged part needs, walking back from the unknown outputs; saveable known
    # values cut the walk (they become inputs)
    live = {v for v, u in zip(body.outvars, out_uk) if u and type(v) is Var}
    staged_eqns, saved = [], []
    for eqn, k in zip(reversed(body.eqns), reversed(known_eqn)):
        outs_live = [v in live for v in eqn.outvars]
        if not any(outs_live):
            continue
        if k and policy is not None and policy(eqn.prim, *[a.aval for a in eqn.invars],
                                               **eqn.params):
            saved.extend(v for v, l in zip(eqn.outvars, outs_live) if l)
            continue
        staged_eqns.append(eqn)
        live.update(a for a in eqn.invars if type(a) is Var)
    staged_eqns.reverse()
    saved.reverse()
    known_in_used = [not u and v in live for v, u in zip(body.invars, unknowns)]
    staged_consts = [(v, c) for v, c in zip(body.constvars, closed.consts) if v in live]
    staged = Jaxpr([v for v, _ in staged_consts],
                   [v for v, used in zip(body.invars, known_in_used) if used] + saved +
                   [v for v, u in zip(body.invars, unknowns) if u],
                   [v for v, u in zip(body.outvars, out_uk) if u], staged_eqns)
    # the known part: known outputs and saved values
    kj = known.jaxpr
    n_known_out = len(out_uk) - sum(out_uk)
    kj, _ = dce_jaxpr(Jaxpr(kj.constvars, kj.invars, kj.outvars[:n_known_out] + saved,
                            kj.eqns))
    plan = _RematPlan()
    plan.known = ClosedJaxpr(kj, [c for v, c in zip(known.jaxpr.constvars, known.consts)
                                  if v in kj.constvars])
    plan.staged = ClosedJaxpr(staged, [c for _, c in staged_consts])
    plan.out_unknowns = list(out_uk)
    plan.known_in_used = known_in_used
    plan.n_known_out = n_known_out
    plan.n_saved = len(saved)
    return plan


def _checkpoint_partial_eval(trace, args, params):
    unknowns = [not trace.is_known(a) for a in args]
    plan = _remat_plan(params['jaxpr'], unknowns, params['policy'])
    known_args = [a for a, u in zip(args, unknowns) if not u]
    k_outs = []
    if plan.known.jaxpr.outvars:
        # all inputs known: this runs on the parent trace (as a checkpoint, so an outer
        # differentiation still recomputes rather than stores)
        k_outs = checkpoint_p.bind(*known_args, **dict(params, jaxpr=plan.known))
    staged_args = ([a for a, used in zip(args, plan.known_in_used) if used]
                   + list(k_outs[plan.n_known_out:])
                   + [a for a, u in zip(args, unknowns) if u])
    u_outs = trace.add_eqn(checkpoint_p, staged_args, plan.staged.out_avals,
                           dict(params, jaxpr=plan.staged, differentiated=True))
    return _merge(plan.out_unknowns, k_outs[:plan.n_known_out], u_outs)


def _checkpoint_partial_eval_jaxpr_rule(eqn, unknowns):
    plan = _remat_plan(eqn.params['jaxpr'], unknowns, eqn.params['policy'])
    saved = [Var(a) for a in plan.known.out_avals[plan.n_known_out:]]
    known_eqn = Eqn(checkpoint_p, [a for a, u in zip(eqn.invars, unknowns) if not u],
                    [v for v, u in zip(eqn.outvars, plan.out_unknowns) if not u] + saved,
                    dict(eqn.params, jaxpr=plan.known))
    unknown_eqn = Eqn(checkpoint_p,
                      [a for a, used in zip(eqn.invars, plan.known_in_used) if used] + saved
                      + [a for a, u in zip(eqn.invars, unknowns) if u],
                      [v for v, u in zip(eqn.outvars, plan.out_unknowns) if u],
                      dict(eqn.params, jaxpr=plan.staged, differentiated=True))
    return known_eqn, unknown_eqn, plan.out_unknowns


checkpoint_p.impl = _checkpoint_impl
checkpoint_p.abstract_eval = _checkpoint_abstract_eval
checkpoint_p.weak_type_rule = lambda args, params: [a.weak_type
                                                    for a in params['jaxpr'].out_avals]
checkpoint_p.jvp = _checkpoint_jvp
checkpoint_p.batch = _checkpoint_batch
checkpoint_p.transpose = _checkpoint_transpose
checkpoint_p.partial_eval = _checkpoint_partial_eval
checkpoint_p.partial_eval_jaxpr_rule = _checkpoint_partial_eval_jaxpr_rule
checkpoint_p.codegen = None


# --- The API -------------------------------------------------------------------------------

def checkpoint(fun=None, *, prevent_cse=True, policy=None, static_argnums=()):
    """``fun`` whose reverse-mode derivative recomputes its intermediate values instead of
    storing them from the forward pass (only its inputs, and what ``policy`` allows, are
    kept).  Values and derivatives are unchanged.

    >>> layer = checkpoint(lambda x: jnp.tanh(x @ w))
    >>> grad(lambda x: jnp.sum(layer(layer(x))))(x)

    ``static_argnums`` marks arguments that are Python values (not traced);
    ``prevent_cse`` is kept for compatibility (pullback's jit never merges a recomputation
    with the forward pass it is meant to replace).
    """
    if fun is None:
        return functools.partial(checkpoint, prevent_cse=prevent_cse, policy=policy,
                                 static_argnums=static_argnums)
    if not callable(fun):
        raise TypeError(f"checkpoint: expected a function, got {fun!r}")
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(fun)
    def fun_remat(*args, **kwargs):
        nums = {i % len(args) if args else i for i in static}
        dyn_pos = [i for i in range(len(args)) if i not in nums]
        dyn = tuple(args[i] for i in dyn_pos)

        def call(dyn_args, kw):
            full = list(args)
            for i, v in zip(dyn_pos, dyn_args):
                full[i] = v
            return fun(*full, **kw)
        leaves, _ = tree_flatten((dyn, kwargs))
        leaves = [_operand(x) for x in leaves]
        in_tree = tree_structure(((dyn, kwargs),))
        closed, consts, out_tree = _trace_user(lambda pair: call(*pair), in_tree,
                                               [get_aval(x) for x in leaves], 'checkpoint')
        outs = checkpoint_p.bind(*consts, *leaves, jaxpr=closed, prevent_cse=bool(prevent_cse),
                                 differentiated=False, policy=policy)
        return tree_unflatten(out_tree, outs)
    return fun_remat


remat = checkpoint
