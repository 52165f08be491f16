"""Implicit differentiation: ``custom_linear_solve`` and ``custom_root`` (primitives holding
the user's solver jaxprs, differentiated through the system they solve rather than through
the solver's iterations)."""
import builtins

from ..._core.core import Zero, get_aval, instantiate
from ..._core.rules import is_undefined
from ..._transforms.ad import jvp_flat
from ...tree_util import tree_flatten, tree_unflatten, tree_structure
from ..elementwise import add, neg
from .._util import moveaxis_to_front, bdim_at_front
from ._common import (_trace_user, _operand, _run, _wrap, _unwrap, _trace_closed, _split,
                      _batch_jaxpr, _backward, _UP, _check_operand_avals,
                      HigherOrderPrimitive)

linear_solve_p = HigherOrderPrimitive('custom_linear_solve', multiple_results=True)
# operands: the constants of matvec, vecmat, solve and transpose_solve (const_lengths says
# how many each), then b; jaxprs holds those four functions (None for absent ones)


def _solver_rules(name, num_functions, solver):
    """What custom_linear_solve and custom_root share: operands are the constants of each
    of their ``num_functions`` functions, then the vector; the value is function
    ``solver`` (``solve``) applied to its constants and the vector.  Returns the operand
    splitter, the impl and the abstract evaluation."""
    def split(args, const_lengths):
        groups = _split(args, *const_lengths)
        return groups[:num_functions], groups[num_functions]

    def impl(*args, const_lengths, jaxprs):
        consts, vector = split(args, const_lengths)
        solve = jaxprs[solver]
        ins = [_wrap(x, a) for x, a in zip(consts[solver] + vector, solve.in_avals)]
        return [_unwrap(o, a) for o, a in zip(_run(solve, *ins), solve.out_avals)]

    def abstract_eval(*avals, const_lengths, jaxprs):
        consts, vector = split(avals, const_lengths)
        _check_operand_avals(name, consts[solver] + vector, jaxprs[solver].in_avals)
        return list(jaxprs[solver].out_avals)
    return split, impl, abstract_eval


_ls_split, _linear_solve_impl, _linear_solve_abstract_eval = _solver_rules(
    'custom_linear_solve', 4, 2)


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


_root_split, _custom_root_impl, _custom_root_abstract_eval = _solver_rules(
    'custom_root', 3, 1)


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
        from ..._api import linearize
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
