"""The user-facing transformations: jvp, linearize, vjp, grad, value_and_grad, jacfwd,
jacrev, hessian, vmap, make_jaxpr, eval_shape.

Each flattens its pytree arguments, runs a flat interpreter from ``_transforms`` and
rebuilds the outputs.  They check their inputs and say clearly what was wrong.
"""

import numpy as np

from . import dtypes
from ._array import Array
from ._core.core import Tracer, Zero, get_aval, instantiate
from ._core.avals import ShapedArray
from ._core.jaxpr import trace_to_jaxpr
from ._transforms.ad import jvp_flat, linearize_flat, to_array
from ._transforms.batching import batch_flat
from ._transforms.staging import stage, staging_allowed, StagedLinear, batched_call
from .tree_util import (tree_flatten, tree_unflatten, tree_map, tree_structure,
                        tree_transpose, broadcast_prefix, keystr, tree_flatten_with_path)
from .lax import _util


def _fun_name(fun):
    return getattr(fun, '__name__', None) or type(fun).__name__


class _OutStore:
    """Remembers the output tree of a flat function once it has run."""
    __slots__ = ('tree', 'aux')

    def __init__(self):
        self.tree = None
        self.aux = None


def _flat_fun(fun, in_tree, store, has_aux=False, where='function'):
    def flat(*leaves):
        out = fun(*tree_unflatten(in_tree, leaves))
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError(f"expected function with aux output to return a two-element "
                                f"tuple, but got type {type(out).__name__} with value {out!r}")
            out, store.aux = out
        out_leaves, store.tree = tree_flatten(out)
        for x in out_leaves:
            if not _is_array(x):
                raise TypeError(f"{where} of {_fun_name(fun)} returned a value of type "
                                f"{type(x).__name__} ({x!r}), which is not an array; outputs "
                                f"must be pytrees of arrays")
        return out_leaves
    return flat


def _staged(flat, fun, values, has_aux, kind):
    """``flat`` staged (see _transforms/staging.py) where that is allowed."""
    if has_aux or not staging_allowed():
        return flat
    staged = stage(flat, values, [get_aval(x) for x in values], kind, fun)
    return flat if staged is None else staged


def _is_array(x):
    return (type(x) is Array or isinstance(x, Tracer)
            or isinstance(x, (np.ndarray, np.generic, float, int, complex, bool)))


# --- jvp and linearize ---------------------------------------------------------------------

def _check_tangent(p, t, path):
    pa = get_aval(p)
    ta = get_aval(t)
    expected = dtypes.tangent_dtype(pa.dtype)
    if pa.shape != ta.shape:
        raise ValueError(f"jvp called with different primal and tangent shapes at {path}: "
                         f"primal shape {pa.shape}, tangent shape {ta.shape}. Each tangent "
                         f"must have its primal's shape.")
    if ta.dtype != expected and not (ta.weak_type and expected.kind in 'fc'
                                     and ta.dtype.kind in 'fc' and
                                     (expected.kind == 'c' or ta.dtype.kind != 'c')):
        raise TypeError(f"primal and tangent arguments to jax.jvp do not match; dtypes must "
                        f"be equal, or in case of int/bool primal dtype the tangent dtype "
                        f"must be float0. Got primal dtype {pa.dtype.name} and so expected "
                        f"tangent dtype {expected.name}, but got tangent dtype "
                        f"{ta.dtype.name} instead.")


def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode derivative: ``(fun(*primals), J(primals) @ tangents)``.

    >>> y, y_dot = jvp(jnp.sin, (0.5,), (1.0,))   # y_dot == cos(0.5)
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(f"primal and tangent arguments to jax.jvp must be tuples or lists; "
                        f"found {type(primals).__name__} and {type(tangents).__name__}.")
    p_leaves, p_tree = tree_flatten(tuple(primals))
    t_leaves, t_tree = tree_flatten(tuple(tangents))
    if p_tree != t_tree:
        raise TypeError(f"primal and tangent arguments to jax.jvp must have the same tree "
                        f"structure; primals have tree structure {p_tree} whereas tangents "
                        f"have tree structure {t_tree}.")
    p_in, t_in = [], []
    for i, (p, t) in enumerate(zip(p_leaves, t_leaves)):
        p = to_array(p)
        if dtypes.tangent_dtype(get_aval(p).dtype) == dtypes.float0:
            t_in.append(Zero(get_aval(p).to_tangent_aval()))
        else:
            _check_tangent(p, t, f"leaf {i}")
            t = to_array(t)
            ta = get_aval(t)
            if ta.dtype != get_aval(p).dtype:
                from .lax import convert_element_type
                t = convert_element_type(t, get_aval(p).dtype, ta.weak_type)
            t_in.append(t)
        p_in.append(p)
    store = _OutStore()
    flat = _staged(_flat_fun(fun, p_tree, store, has_aux, 'jvp'), fun, p_in, has_aux, 'jvp')
    p_out, t_out = jvp_flat(flat, p_in, t_in)
    t_out = [_instantiate_tangent(t, p) for t, p in zip(t_out, p_out)]
    out = (tree_unflatten(store.tree, p_out), tree_unflatten(store.tree, t_out))
    if has_aux:
        return out + (tree_map(_strip_all, store.aux),)
    return out


def _strip_all(x):
    while isinstance(x, Tracer) and not x._trace.alive:
        x = getattr(x, 'primal', x)
        if not hasattr(x, '_trace'):
            break
        if isinstance(x, Tracer) and x._trace.alive:
            break
    return x


def _instantiate_tangent(t, p):
    if type(t) is Zero:
        return instantiate(Zero(get_aval(p).to_tangent_aval()))
    return t


def linearize(fun, *primals, has_aux=False):
    """``(fun(*primals), f_jvp)`` where ``f_jvp(*tangents)`` applies the linear map without
    recomputing the primal values.

    >>> y, f_jvp = linearize(jnp.sin, 0.5); f_jvp(1.0)   # cos(0.5)
    """
    leaves, in_tree = tree_flatten(primals)
    leaves = [to_array(x) for x in leaves]
    store = _OutStore()
    plain = _flat_fun(fun, in_tree, store, has_aux, 'linearize')
    flat = _staged(plain, fun, leaves, has_aux, 'linearize')
    p_out, lin = linearize_flat(flat, leaves)
    lin.staged = flat is not plain
    out_tree = store.tree
    in_avals = [get_aval(x) for x in leaves]

    def f_jvp(*tangents):
        t_leaves, t_tree = tree_flatten(tangents)
        if t_tree != in_tree:
            raise TypeError(f"linearized function expected tangents with structure {in_tree}, "
                            f"got {t_tree}")
        for t, a in zip(t_leaves, in_avals):
            if tuple(np.shape(t)) != a.shape:
                raise ValueError(f"linearized function called with tangent of shape "
                                 f"{np.shape(t)} for a primal of shape {a.shape}")
        outs = lin.forward([to_array(t) for t in t_leaves])
        outs = [_match_aval(o, get_aval(p).to_tangent_aval()) for o, p in zip(outs, p_out)]
        return tree_unflatten(out_tree, outs)
    out = tree_unflatten(out_tree, p_out)
    if has_aux:
        return out, f_jvp, tree_map(_strip_all, store.aux)
    return out, f_jvp


def _wraps(fun):
    """``functools.wraps`` at a fraction of its cost (transformations are often built inside
    the loop that calls them): the wrapper takes ``fun``'s name, qualified name, module,
    docstring and attributes, and ``__wrapped__`` points at ``fun``.

    >>> @_wraps(jnp.sin)
    ... def sin_f(x): ...
    >>> sin_f.__name__, sin_f.__wrapped__ is jnp.sin
    ('sin', True)
    """
    def decorate(wrapper):
        for name in ('__module__', '__name__', '__qualname__', '__doc__'):
            value = getattr(fun, name, _MISSING)
            if value is not _MISSING:
                setattr(wrapper, name, value)
        attrs = getattr(fun, '__dict__', None)
        if attrs:
            wrapper.__dict__.update(attrs)
        wrapper.__wrapped__ = fun
        return wrapper
    return decorate


_MISSING = object()


# --- vjp and grad --------------------------------------------------------------------------

def _match_aval(x, aval):
    """Cotangents take their primal's dtype and weak type (``grad(f)(3.)`` is weak)."""
    if aval.dtype == dtypes.float0:
        return Array(np.zeros(aval.shape, aval.dtype), False)
    xa = get_aval(x)
    if xa.dtype == aval.dtype:
        return x
    from .lax import convert_element_type, real
    if xa.dtype.kind == 'c' and aval.dtype.kind != 'c':
        x = real(x)
    return convert_element_type(x, aval.dtype, xa.weak_type)


def vjp(fun, *primals, has_aux=False):
    """Reverse mode: ``(fun(*primals), f_vjp)`` where ``f_vjp(ct)`` returns one cotangent
    per primal (a tuple).  ``f_vjp`` is traceable: ``jit(f_vjp)`` works.

    >>> y, f_vjp = vjp(jnp.sin, 0.5); f_vjp(1.0)   # (cos(0.5),)
    """
    leaves, in_tree = tree_flatten(primals)
    leaves = [to_array(x) for x in leaves]
    store = _OutStore()
    plain = _flat_fun(fun, in_tree, store, has_aux, 'vjp')
    flat = _staged(plain, fun, leaves, has_aux, 'vjp')
    if flat is not plain and _direct_vjp_ok(flat):
        p_out, lin = flat.vjp(leaves)
        # real inputs: their avals are their tangent avals
        f_vjp = _VJPFunction(lin, in_tree, flat.in_avals, store.tree,
                             [get_aval(p) for p in p_out])
        return tree_unflatten(store.tree, p_out), f_vjp
    return _vjp_of_flat(flat, flat is not plain, leaves, in_tree, store, has_aux)


def _flat_value_and_grad(f, xs):
    """``[f(*xs), *gradients]`` of a flat function with one real scalar output."""
    outs, lin = linearize_flat(f, xs)
    a = get_aval(outs[0])
    cts = lin.transpose([Array(np.ones((), a.dtype), a.weak_type)])
    return [outs[0]] + [instantiate(c) if type(c) is Zero else c for c in cts]


def _direct_vjp_ok(staged):
    """Whether ``vjp`` may take its two-call path: a canonical staged function with
    real inputs and outputs."""
    if staged.closed is None or staged.scalar_outs:
        return False
    for a in staged.in_avals:
        if a.dtype.kind != 'f':
            return False
    for v in staged.closed.jaxpr.outvars:
        if v.aval.dtype.kind != 'f':
            return False
    return True


def _direct_grad_ok(staged):
    """Whether ``grad`` may take its single-call path: a canonical staged function of
    real inputs with one real scalar output (anything else gets vjp's checks)."""
    out = staged.closed.jaxpr.outvars if staged.closed is not None else ()
    return len(out) == 1 and out[0].aval.shape == () and _direct_vjp_ok(staged)


def _vjp_of_flat(flat, staged, leaves, in_tree, store, has_aux):
    p_out, lin = linearize_flat(flat, leaves, 'vjp')
    lin.staged = staged
    out_tree = store.tree
    in_avals = [get_aval(x).to_tangent_aval() for x in leaves]
    out_avals = [get_aval(p) for p in p_out]
    f_vjp = _VJPFunction(lin, in_tree, in_avals, out_tree, out_avals)
    out = tree_unflatten(out_tree, p_out)
    if has_aux:
        return out, f_vjp, tree_map(_strip_all, store.aux)
    return out, f_vjp


class _VJPFunction:
    """The pullback returned by ``vjp``: maps an output cotangent to input cotangents."""

    def __init__(self, lin, in_tree, in_avals, out_tree, out_avals):
        self.lin = lin
        self.in_tree = in_tree
        self.in_avals = in_avals
        self.out_tree = out_tree
        self.out_avals = out_avals
        self.__name__ = 'vjp_fun'

    @property
    def _single_cached_call(self):
        """A staged pullback is one cached call already: vmap need not stage it."""
        return type(self.lin) is StagedLinear

    def _batched(self, vals, dims, size):
        """``((outputs, their batch dims), output tree)`` of ``vmap`` of this staged
        pullback over one array cotangent of the output's type: the cached backward
        jaxpr batched directly, with no batch trace.  None for anything else."""
        if len(vals) != 1 or len(self.out_avals) != 1 or self.out_tree != _LEAF:
            return None
        ct, d, a = vals[0], dims[0], self.out_avals[0]
        if type(ct) is not Array or d is None or ct._value.dtype != a.dtype or \
                ct._value.shape[:d] + ct._value.shape[d + 1:] != a.shape or \
                any(x.dtype.kind != 'f' for x in self.in_avals):
            return None
        lin = self.lin
        known = [*lin.consts, *lin.residuals]
        return batched_call(lin.jaxpr, known + [ct], [None] * len(known) + [d], size,
                            lin.name), self.in_tree

    def __call__(self, *cts):
        ct = cts[0] if len(cts) == 1 else cts
        if type(ct) is Array and len(self.out_avals) == 1:
            # the common call, kept cheap: one array output, a cotangent of its type
            a = self.out_avals[0]
            v = ct._value
            if v.shape == a.shape and v.dtype == a.dtype and self.out_tree == _LEAF:
                return self._pull([ct])
        ct_leaves, ct_tree = tree_flatten(ct)
        if ct_tree != self.out_tree:
            raise ValueError(f"unexpected tree structure of argument to vjp function: got "
                             f"{ct_tree}, but expected to match {self.out_tree}")
        cts_in = []
        for c, a in zip(ct_leaves, self.out_avals):
            ca = get_aval(c)
            if ca.shape != a.shape:
                raise ValueError(f"Shape of cotangent input to vjp pullback function "
                                 f"{ca.shape} must be the same as the shape of corresponding "
                                 f"primal input {a.shape}.")
            c = to_array(c)
            if ca.dtype != a.dtype and a.dtype.kind in 'fc':
                from .lax import convert_element_type
                c = convert_element_type(c, a.dtype, ca.weak_type)
            cts_in.append(c)
        return self._pull(cts_in)

    def _pull(self, cts_in):
        outs = self.lin.transpose(cts_in)
        outs = [_match_aval(instantiate(o) if type(o) is Zero else o, a)
                for o, a in zip(outs, self.in_avals)]
        return tree_unflatten(self.in_tree, outs)


_LEAF = tree_structure(0.)


def _argnums_tuple(argnums, nargs, fname):
    seq = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for a in seq:
        if not isinstance(a, int):
            raise TypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}")
        if a >= nargs or a < -nargs:
            raise TypeError(f"differentiating with respect to argnums={argnums} requires at "
                            f"least {max(seq) + 1} positional arguments to be passed by the "
                            f"caller, but got only {nargs} positional arguments.")
    return tuple(a % nargs for a in seq)


def _partial_over(fun, args, argnums, kwargs):
    """``fun`` as a function of ``args[argnums]`` only, the rest closed over."""
    def f(*dyn):
        full = list(args)
        for i, v in zip(argnums, dyn):
            full[i] = v
        return fun(*full, **kwargs)
    f.__wrapped__ = fun  # staging remembers facts about the user's function
    return f, tuple(args[i] for i in argnums)


def _check_input_dtypes(name, dyn_args, holomorphic, allow_int):
    for leaf in tree_flatten(dyn_args)[0]:
        d = get_aval(leaf).dtype
        if holomorphic:
            if d.kind != 'c':
                raise TypeError(f"{name} with holomorphic=True requires inputs with complex "
                                f"dtype, but got {d.name}.")
        elif d.kind not in 'fc' and not allow_int:
            raise TypeError(f"{name} requires real- or complex-valued inputs (input dtype "
                            f"that is a sub-dtype of np.inexact), but got {d.name}. If you "
                            f"want to use Boolean- or integer-valued inputs, use vjp or set "
                            f"allow_int to True.")


def _check_output(name, ans, holomorphic):
    aval = get_aval(ans) if _is_array(ans) else None
    if aval is None:
        raise TypeError(f"Gradient only defined for scalar-output functions. Output was "
                        f"{ans!r}.")
    if aval.shape != ():
        raise TypeError(f"Gradient only defined for scalar-output functions. Output had "
                        f"shape: {aval.shape}.")
    d = aval.dtype
    if holomorphic:
        if d.kind != 'c':
            raise TypeError(f"{name} with holomorphic=True requires outputs with complex "
                            f"dtype, but got {d.name}.")
    elif d.kind == 'c':
        raise TypeError(f"{name} requires real-valued outputs (output dtype that is a "
                        f"sub-dtype of np.floating), but got {d.name}. For holomorphic "
                        f"differentiation, pass holomorphic=True. For differentiation of "
                        f"non-holomorphic functions involving complex outputs, use jax.vjp "
                        f"directly.")
    elif d.kind != 'f':
        raise TypeError(f"{name} requires real-valued outputs (output dtype that is a "
                        f"sub-dtype of np.floating), but got {d.name}. For differentiation "
                        f"of functions with integer outputs, use jax.vjp directly.")


def value_and_grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """A function returning ``(fun(*args), gradient)``; see ``grad``.

    >>> value_and_grad(lambda x: x ** 2)(3.)   # (9.0, 6.0)
    """
    @_wraps(fun)
    def value_and_grad_f(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), 'grad')
        f, dyn = _partial_over(fun, args, nums, kwargs)
        _check_input_dtypes('grad', dyn, holomorphic, allow_int)
        if has_aux:
            ans, f_vjp, aux = vjp(f, *dyn, has_aux=True)
        else:
            leaves, in_tree = tree_flatten(dyn)
            leaves = [to_array(x) for x in leaves]
            store = _OutStore()
            plain = _flat_fun(f, in_tree, store, False, 'vjp')
            flat = _staged(plain, f, leaves, False, 'vjp')
            if flat is not plain and not holomorphic and _direct_grad_ok(flat):
                ans, *g = flat.transformed('value_and_grad', _flat_value_and_grad, leaves)
                g = tree_unflatten(in_tree, g)
                return ans, (g[0] if isinstance(argnums, int) else g)
            ans, f_vjp = _vjp_of_flat(flat, flat is not plain, leaves, in_tree, store, False)
        _check_output('grad', ans, holomorphic)
        a = get_aval(ans)
        one = Array(np.ones((), a.dtype), a.weak_type)
        g = f_vjp(one)
        g = g[0] if isinstance(argnums, int) else g
        return ((ans, aux), g) if has_aux else (ans, g)
    return value_and_grad_f


def grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """The gradient of a scalar function with respect to argument(s) ``argnums``.

    >>> grad(jnp.sin)(0.5)   # cos(0.5)
    >>> grad(lambda x, y: x * y, argnums=(0, 1))(2., 3.)   # (3.0, 2.0)
    """
    vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int)
    if has_aux:
        @_wraps(fun)
        def grad_f(*args, **kwargs):
            (_, aux), g = vg(*args, **kwargs)
            return g, aux
    else:
        @_wraps(fun)
        def grad_f(*args, **kwargs):
            return vg(*args, **kwargs)[1]
    return grad_f


# --- Jacobians -----------------------------------------------------------------------------

def _std_basis(leaves, dtype):
    """Identity rows for the concatenated flattened ``leaves``: shape (N, N)."""
    n = sum(int(np.prod(np.shape(x), dtype=np.int64)) for x in leaves)
    return Array(np.eye(n, dtype=dtype)), n


def _split_basis(basis_rows, leaves):
    """Column blocks of the basis, one per leaf, reshaped to (N,) + leaf shape."""
    out, start = [], 0
    n = basis_rows.shape[0]
    for x in leaves:
        s = tuple(np.shape(x))
        size = int(np.prod(s, dtype=np.int64))
        block = Array(basis_rows._value[:, start:start + size].reshape((n,) + s))
        out.append(block)
        start += size
    return out


def _common_dtype(leaves, holomorphic):
    ds = [get_aval(x).dtype for x in leaves]
    d = dtypes.result_type(*ds) if ds else dtypes.default_float_dtype()
    return d


def jacfwd(fun, argnums=0, has_aux=False, holomorphic=False):
    """Jacobian by forward mode: pushes the whole standard basis through ``jvp`` at once
    with ``vmap``.  Output: ``out tree`` of ``in tree`` of arrays shaped out + in.

    >>> jacfwd(lambda x: x ** 2)(jnp.arange(3.))   # diag(2x)
    """
    def jacfun(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), 'jacfwd')
        f, dyn = _partial_over(fun, args, nums, kwargs)
        dyn_target = dyn[0] if isinstance(argnums, int) else dyn
        leaves, in_tree = tree_flatten(dyn_target)
        leaves = [to_array(x) for x in leaves]
        for x in leaves:
            d = get_aval(x).dtype
            if holomorphic and d.kind != 'c':
                raise TypeError(f"jacfwd with holomorphic=True requires inputs with complex "
                                f"dtype, but got {d.name}.")
            if not holomorphic and d.kind != 'f':
                raise TypeError(f"jacfwd requires real-valued inputs (input dtype that is a "
                                f"sub-dtype of np.floating), but got {d.name}. For "
                                f"holomorphic differentiation, pass holomorphic=True. For "
                                f"differentiation of non-holomorphic functions involving "
                                f"complex inputs or integer inputs, use jax.jvp directly.")
        if not has_aux and not holomorphic:
            jac, f = _staged_jacobian(f, dyn, argnums, 'jacfwd', _flat_jacfwd)
            if jac is not None:
                return jac
        basis, n = _std_basis(leaves, _common_dtype(leaves, holomorphic))
        blocks = [_cast_basis(b, x) for b, x in zip(_split_basis(basis, leaves), leaves)]
        target = (lambda *ls: f(tree_unflatten(in_tree, ls))) if isinstance(argnums, int) \
            else (lambda *ls: f(*tree_unflatten(in_tree, ls)))

        def push(*ts):
            if has_aux:
                y, t, aux = jvp(target, tuple(leaves), ts, has_aux=True)
                return y, t, aux
            y, t = jvp(target, tuple(leaves), ts)
            return y, t
        out = vmap(push, in_axes=0, out_axes=(None, -1, None) if has_aux else (None, -1))(*blocks)
        y, jac = out[0], out[1]
        y_leaves, y_tree = tree_flatten(y)
        jac_leaves = tree_flatten(jac)[0]
        per_out = []
        for yl, jl in zip(y_leaves, jac_leaves):
            parts = _split_last(jl, leaves)
            per_out.append(tree_unflatten(in_tree, parts))
        result = tree_unflatten(y_tree, per_out)
        return (result, out[2]) if has_aux else result
    return jacfun


def _cast_basis(b, x):
    d = get_aval(x).dtype
    if b.dtype != d:
        return Array(b._value.astype(d))
    return b


def _split_last(jl, in_leaves):
    """Split the trailing basis axis of a Jacobian block into one piece per input leaf."""
    from . import numpy as jnp
    if len(in_leaves) == 1:
        return [jnp.reshape(jl, tuple(np.shape(jl))[:-1] + tuple(np.shape(in_leaves[0])))]
    out, start = [], 0
    for x in in_leaves:
        s = tuple(np.shape(x))
        size = int(np.prod(s, dtype=np.int64))
        piece = jnp.reshape(jl[..., start:start + size], tuple(np.shape(jl))[:-1] + s)
        out.append(piece)
        start += size
    return out


def jacrev(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """Jacobian by reverse mode: pulls the whole standard basis of the output back through
    ``vjp`` at once with ``vmap``.

    >>> jacrev(lambda x: x ** 2)(jnp.arange(3.))   # diag(2x)
    """
    def jacfun(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), 'jacrev')
        f, dyn = _partial_over(fun, args, nums, kwargs)
        _check_input_dtypes('jacrev', dyn, holomorphic, allow_int)
        if not has_aux and not holomorphic:
            jac, f = _staged_jacobian(f, dyn, argnums, 'jacrev', _flat_jacrev)
            if jac is not None:
                return jac
        if has_aux:
            y, pullback, aux = vjp(f, *dyn, has_aux=True)
        else:
            y, pullback = vjp(f, *dyn)
        y_leaves, y_tree = tree_flatten(y)
        for yl in y_leaves:
            d = get_aval(yl).dtype
            if holomorphic and d.kind != 'c':
                raise TypeError(f"jacrev with holomorphic=True requires outputs with complex "
                                f"dtype, but got {d.name}.")
            if not holomorphic and d.kind == 'c':
                raise TypeError(f"jacrev requires real-valued outputs (output dtype that is a "
                                f"sub-dtype of np.floating), but got {d.name}. For "
                                f"holomorphic differentiation, pass holomorphic=True. For "
                                f"differentiation of non-holomorphic functions involving "
                                f"complex outputs, use jax.vjp directly.")
        basis, m = _std_basis(y_leaves, _common_dtype(y_leaves, holomorphic))
        blocks = [_cast_basis(b, x) for b, x in zip(_split_basis(basis, y_leaves), y_leaves)]
        cts = vmap(lambda *bs: pullback(tree_unflatten(y_tree, bs)))(*blocks)
        # cts: tuple over dyn args of (m,) + arg shape; split m into output leaves
        arg_tree = tree_structure(cts)
        cts_leaves = tree_flatten(cts)[0]
        per_in = []
        for c in cts_leaves:
            per_in.append(tree_unflatten(y_tree, _split_first(c, y_leaves)))
        jac = tree_unflatten(arg_tree, per_in)  # in tree of out tree
        jac = tree_transpose(arg_tree, y_tree, jac)  # out tree of in tree
        if isinstance(argnums, int):
            jac = tree_map(lambda t: t[0], jac, is_leaf=lambda t: isinstance(t, tuple))
        return (jac, aux) if has_aux else jac
    return jacfun


def _staged_jacobian(f, dyn, argnums, name, transform):
    """``(jacobian, None)`` computed by one cached jit call when ``f`` stages to a known
    structure with real inputs and outputs; otherwise ``(None, g)``, where ``g`` is
    the function to differentiate the general way: ``f`` itself, or a replay of what
    staging recorded (so that ``f``'s Python does not run twice)."""
    leaves, in_tree = tree_flatten(dyn)
    leaves = [to_array(x) for x in leaves]
    if not staging_allowed() or any(get_aval(x).dtype.kind != 'f' for x in leaves):
        return None, f
    store = _OutStore()
    staged = stage(_flat_fun(f, in_tree, store, False, name), leaves,
                   [get_aval(x) for x in leaves], name, f)
    if staged is None:
        return None, f
    out_tree = store.tree
    if staged.closed is None or any(a.dtype.kind != 'f' for a in staged.closed.out_avals):
        return None, lambda *d: tree_unflatten(out_tree, staged(*tree_flatten(d)[0]))
    blocks = iter(staged.transformed(name, transform, leaves))
    per_out = []
    for _ in range(out_tree.num_leaves):
        per_in = tree_unflatten(in_tree, [next(blocks) for _ in leaves])
        per_out.append(per_in[0] if isinstance(argnums, int) else per_in)
    return tree_unflatten(out_tree, per_out), None


def _flat_jacrev(f, xs):
    """The blocks d out_i / d x_j of a flat function, i-major."""
    return tree_flatten(jacrev(f, argnums=tuple(range(len(xs))))(*xs))[0]


def _flat_jacfwd(f, xs):
    return tree_flatten(jacfwd(f, argnums=tuple(range(len(xs))))(*xs))[0]


def _split_first(c, out_leaves):
    from . import numpy as jnp
    pieces, start = [], 0
    rest = tuple(np.shape(c))[1:]
    if len(out_leaves) == 1:
        return [jnp.reshape(c, tuple(np.shape(out_leaves[0])) + rest)]
    for y in out_leaves:
        s = tuple(np.shape(y))
        size = int(np.prod(s, dtype=np.int64))
        pieces.append(jnp.reshape(c[start:start + size], s + rest))
        start += size
    return pieces


def hessian(fun, argnums=0, has_aux=False, holomorphic=False):
    """``jacfwd(jacrev(fun))``: forward-over-reverse, usually the fastest composition."""
    return jacfwd(jacrev(fun, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)


# --- vmap ----------------------------------------------------------------------------------

def _check_axes_spec(spec, what):
    if spec is None or type(spec) is int:
        return
    leaves = tree_flatten(spec, is_leaf=lambda x: x is None)[0]
    for a in leaves:
        if a is not None and not isinstance(a, int):
            raise TypeError(f"vmap {what} must be an int, None, or a (nested) tuple/list/dict "
                            f"of those, got {a!r} of type {type(a).__name__}")


def vmap(fun, in_axes=0, out_axes=0, axis_name=None, axis_size=None, spmd_axis_name=None):
    """Vectorise ``fun`` over a batch axis of its inputs (``in_axes``) and outputs
    (``out_axes``); ``None`` marks an unbatched input.

    >>> vmap(jnp.dot, in_axes=(0, None))(matrix, vector)   # one dot per row
    """
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    _check_axes_spec(in_axes, 'in_axes')
    _check_axes_spec(out_axes, 'out_axes')

    @_wraps(fun)
    def vmap_f(*args, **kwargs):
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(f"vmap in_axes must be an int, None, or a tuple of entries "
                             f"corresponding to the positional arguments passed to the "
                             f"function, but got len(in_axes)={len(in_axes)}, "
                             f"len(args)={len(args)}")
        full_axes = (in_axes, {k: 0 for k in kwargs}) if kwargs else (in_axes,)
        full_args = (args, kwargs) if kwargs else (args,)
        leaves, in_tree = tree_flatten(full_args)
        if not kwargs and (in_axes is None or type(in_axes) is int):
            axes = [in_axes] * len(leaves)  # one axis for every leaf: no tree to match
        else:
            try:
                axes = broadcast_prefix(full_axes, full_args, is_leaf=lambda x: x is None)
            except ValueError as e:
                raise ValueError(f"vmap in_axes specification must be a tree prefix of the "
                                 f"corresponding value: {e}") from None
        dims, size = _mapped_dims(fun, leaves, axes, in_tree, axis_size)
        store = _OutStore()

        def flat(*ls):
            out = fun(*tree_unflatten(in_tree, ls)[0], **(kwargs and tree_unflatten(in_tree, ls)[1]))
            outs, store.tree = tree_flatten(out)
            return outs
        vals = [to_array(x) if d is not None else x for x, d in zip(leaves, dims)]
        direct = None
        if axis_name is None and staging_allowed():
            if getattr(fun, '_single_cached_call', False):
                direct = fun._batched(vals, dims, size) if not kwargs else None
                if direct is not None:
                    (outs, out_dims), store.tree = direct
            else:
                flat, direct = _staged_vmap(flat, fun, vals, dims, size)
                if direct is not None:
                    outs, out_dims = direct
        if direct is None:
            outs, out_dims = batch_flat(flat, vals, dims, size, axis_name)
        out_tree = store.tree
        if out_axes is None or type(out_axes) is int:
            o_axes = [out_axes] * len(outs)
        else:
            try:
                o_axes = broadcast_prefix(out_axes, tree_unflatten(out_tree, outs),
                                          is_leaf=lambda x: x is None)
            except ValueError as e:
                raise ValueError(f"vmap out_axes specification must be a tree prefix of the "
                                 f"corresponding value: {e}") from None
        results = [_move_out(o, d, a, size, fun) for o, d, a in zip(outs, out_dims, o_axes)]
        return tree_unflatten(out_tree, results)
    return vmap_f


def _staged_vmap(flat, fun, vals, dims, size):
    """``flat`` staged on per-example inputs: the mapped ones are abstract (their values
    differ per example), the unmapped ones are constants whose values Python may read.
    Returns ``(flat', None)``, ``flat'`` to be batched, or, for a structure seen before,
    ``(None, (outputs, their batch dims))`` from one call of its cached batched jaxpr."""
    mapped = [i for i, d in enumerate(dims) if d is not None]
    avals = []
    for i in mapped:
        a, d = get_aval(vals[i]), dims[i]
        avals.append(a.update(shape=a.shape[:d] + a.shape[d + 1:]))

    def per_example(*xs):
        full = list(vals)
        for i, x in zip(mapped, xs):
            full[i] = x
        return flat(*full)
    staged = stage(per_example, None, avals, 'vmap', fun)
    if staged is None:
        return flat, None
    if staged.closed is not None:
        consts = staged.consts
        outs, out_dims = batched_call(staged.closed, [*consts, *[vals[i] for i in mapped]],
                                      [None] * len(consts) + [dims[i] for i in mapped], size,
                                      staged.name)
        for i, value in staged.scalar_outs:  # Python numbers stay Python numbers
            outs[i], out_dims[i] = value, None
        return None, (outs, out_dims)
    return (lambda *xs: staged(*[xs[i] for i in mapped])), None


def _mapped_dims(fun, leaves, axes, in_tree, axis_size):
    dims, sizes = [], []
    for x, a in zip(leaves, axes):
        if a is None:
            dims.append(None)
            continue
        shape = np.shape(x) if not hasattr(x, 'shape') else x.shape
        nd = len(shape)
        if not -nd <= a < nd:
            raise ValueError(f"vmap was requested to map its argument along axis {a}, which "
                             f"implies that its rank should be at least {max(a + 1, -a)}, but "
                             f"is only {nd} (its shape is {tuple(shape)})")
        a = a % nd
        dims.append(a)
        sizes.append(shape[a])
    if not sizes:
        if axis_size is None:
            raise ValueError("vmap must have at least one non-None value in in_axes, or be "
                             "given axis_size")
        return dims, axis_size
    size = sizes[0]
    if any(s != size for s in sizes) or (axis_size is not None and axis_size != size):
        paths = [_argument_path(fun, p) for p, _ in tree_flatten_with_path(
            tree_unflatten(in_tree, leaves))[0]]
        lines = []
        for p, x, d in zip(paths, leaves, dims):
            if d is not None:
                shape = tuple(np.shape(x) if not hasattr(x, 'shape') else x.shape)
                lines.append(f"  * argument {p} of shape {shape}: axis {d} has size {shape[d]}")
        raise ValueError("vmap got inconsistent sizes for array axes to be mapped:\n"
                         + "\n".join(lines))
    return dims, size


def _argument_path(fun, path):
    """``x['w']`` for a leaf of positional argument ``x`` (its name from the signature when
    it has one), ``y`` for keyword argument ``y``: only computed for error messages."""
    import inspect
    group, rest = path[0].idx, path[1:]
    if group == 1:  # keyword arguments
        return f"{rest[0].key}{keystr(rest[1:])}"
    index = rest[0].idx
    try:
        params = [p for p in inspect.signature(fun).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        name = params[index].name
    except (TypeError, ValueError, IndexError):
        name = f"{index}"
    return f"{name}{keystr(rest[1:])}"


def _move_out(o, d, a, size, fun):
    if d == a and type(o) is Array:  # already where it is wanted (d is never negative)
        return o
    from .lax import shapes
    if a is None:
        if d is not None:
            raise ValueError(f"vmap has mapped output but out_axes is None (function "
                             f"{_fun_name(fun)}): an output that depends on the batched "
                             f"inputs needs an integer out_axes")
        return o
    o = to_array(o) if not isinstance(o, Tracer) else o
    if d is None:
        shape = tuple(get_aval(o).shape)
        o = shapes.broadcast_in_dim(o, (size,) + shape, tuple(range(1, len(shape) + 1)))
        d = 0
    nd = len(get_aval(o).shape)
    a = a % nd
    return _util.moveaxis(o, d, a)


# --- Tracing to jaxprs ---------------------------------------------------------------------

def make_jaxpr(fun, static_argnums=(), return_shape=False):
    """A function returning the jaxpr of ``fun`` at the given arguments' shapes and dtypes.

    >>> make_jaxpr(lambda x: jnp.sin(x) * 2.)(3.)
    { lambda ; a:f32[]. let b:f32[] = sin a; c:f32[] = mul b 2.0 in (c,) }
    """
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @_wraps(fun)
    def make_jaxpr_f(*args, **kwargs):
        dyn_nums = [i for i in range(len(args)) if i not in static]
        dyn = [args[i] for i in dyn_nums]
        leaves, in_tree = tree_flatten((dyn, kwargs))
        avals = [get_aval(x) for x in leaves]
        store = _OutStore()

        def flat(*ls):
            d, kw = tree_unflatten(in_tree, ls)
            full = list(args)
            for i, v in zip(dyn_nums, d):
                full[i] = v
            out = fun(*full, **kw)
            outs, store.tree = tree_flatten(out)
            return outs
        closed = trace_to_jaxpr(flat, avals, ('make_jaxpr', _fun_name(fun), None))
        if return_shape:
            shapes = [ShapeDtypeStruct(a.shape, a.dtype) for a in closed.out_avals]
            return closed, tree_unflatten(store.tree, shapes)
        return closed
    return make_jaxpr_f


class ShapeDtypeStruct:
    """A shape and dtype standing for an array (``eval_shape``'s output)."""
    __slots__ = ('shape', 'dtype', 'weak_type')

    def __init__(self, shape, dtype, weak_type=False):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = weak_type

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def __repr__(self):
        weak = ', weak_type=True' if self.weak_type else ''
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name}{weak})"

    def __eq__(self, other):
        return (isinstance(other, ShapeDtypeStruct) and self.shape == other.shape
                and self.dtype == other.dtype)

    def __hash__(self):
        return hash((self.shape, self.dtype))


def eval_shape(fun, *args, **kwargs):
    """Shapes and dtypes of ``fun``'s outputs, found by tracing without computing.

    >>> eval_shape(jnp.dot, jnp.ones((2, 3)), jnp.ones(3))
    ShapeDtypeStruct(shape=(2,), dtype=float32)
    """
    leaves, in_tree = tree_flatten((args, kwargs))
    avals = [ShapedArray(np.shape(x), dtypes.canonicalize_dtype(x.dtype))
             if isinstance(x, ShapeDtypeStruct) else get_aval(x) for x in leaves]
    store = _OutStore()

    def flat(*ls):
        a, kw = tree_unflatten(in_tree, ls)
        out = fun(*a, **kw)
        outs, store.tree = tree_flatten(out)
        return outs
    closed = trace_to_jaxpr(flat, avals, ('eval_shape', _fun_name(fun), None))
    return tree_unflatten(store.tree, [ShapeDtypeStruct(a.shape, a.dtype, a.weak_type)
                                       for a in closed.out_avals])
