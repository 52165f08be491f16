"""``pullback.test_util``: numerical gradient checking, compatible with ``jax.test_util``.

    >>> from pullback.test_util import check_grads
    >>> check_grads(lambda x: jnp.sin(x) * x, (1.5,), order=2)     # passes silently
    >>> check_grads(bad_sin, (1.5,), order=1)                      # wrong JVP rule
    AssertionError: check_grads: JVP tangent of output [0] does not match ...

Every check looks along one random direction (NumPy ``RandomState(0)``), so it stays cheap for
any number of inputs and outputs:

* ``'fwd'``: the JVP against central finite differences
  ``(f(x + eps v) - f(x - eps v)) / (2 eps)``;
* ``'rev'``: the VJP against those same differences through the dot-product identity
  ``<u, J v> == <J^T u, v>`` with a random cotangent ``u``;
* ``'lin'``: the JVP obtained from ``linearize``.

With ``order > 1`` the derivative functions themselves are checked the same way (the JVP as a
function of primals and tangents, the VJP as a function of the primals), down to ``order``.
Tolerances default to those of JAX (float32: 2e-3, float64: 1e-5) and, as in JAX, are scaled
by the number of elements compared; ``atol``/``rtol`` may be numbers or ``{dtype: tol}``.
"""
import functools

import numpy as np

from . import dtypes
from .tree_util import tree_flatten, tree_leaves, tree_map

__all__ = ['check_grads', 'check_jvp', 'check_vjp', 'numerical_jvp']

EPS = 1e-4

_GRAD_TOL = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 2e-3,
             np.dtype(np.float64): 1e-5, np.dtype(np.complex64): 1e-3,
             np.dtype(np.complex128): 1e-5}


# --- values -------------------------------------------------------------------------------

def _dtype(x):
    if hasattr(x, 'dtype'):
        return np.dtype(x.dtype)
    return dtypes.dtype_and_weak(x)[0]


def _is_py_scalar(x):
    return type(x) in (float, int, complex, bool)


def _like(x, value):
    """``value`` with the type of ``x``: a Python scalar stays one, arrays become ndarrays of
    ``x``'s dtype."""
    out = np.asarray(value, dtype=_dtype(x))
    return out.item() if _is_py_scalar(x) else out


def _scale(tree, a):
    return tree_map(lambda x: _like(x, np.multiply(np.asarray(x), np.asarray(a, _dtype(x)))),
                    tree)


def _add(xs, ys):
    return tree_map(lambda x, y: _like(x, np.add(np.asarray(x), np.asarray(y, _dtype(x)))),
                    xs, ys)


def _sub(xs, ys):
    return tree_map(lambda x, y: _like(x, np.subtract(np.asarray(x), np.asarray(y, _dtype(x)))),
                    xs, ys)


def _safe_sub(xs, ys):
    """``x - y`` with ``inf - inf == 0`` (a function that is infinite on both sides)."""
    def sub(x, y):
        x, y = np.asarray(x), np.asarray(y)
        with np.errstate(invalid='ignore'):
            return np.where(x == y, np.zeros((), x.dtype), np.subtract(x, y, dtype=x.dtype))
    return tree_map(sub, xs, ys)


def _rand_like(rng, x):
    dtype = _dtype(x)
    shape = np.shape(x)
    if dtype.kind == 'c':
        v = rng.randn(*shape) + 1j * rng.randn(*shape)
    elif dtype.kind == 'f':
        v = rng.randn(*shape)
    else:
        raise TypeError(f"check_grads: arguments must be float or complex arrays, got one of "
                        f"dtype {dtype} and shape {shape}")
    return _like(x, v)


def _conj(tree):
    return tree_map(lambda x: _like(x, np.conj(np.asarray(x))), tree)


def _inner(xs, ys):
    """Real part of ``sum(conj(x) * y)`` over all leaves, in float64."""
    total = 0.
    for x, y in zip(tree_leaves(xs), tree_leaves(ys)):
        x = np.asarray(x, np.complex128 if _dtype(x).kind == 'c' else np.float64)
        y = np.asarray(y, np.complex128 if _dtype(y).kind == 'c' else np.float64)
        total += float(np.real(np.vdot(x.reshape(-1), y.reshape(-1))))
    return np.float64(total)


def numerical_jvp(f, primals, tangents, eps=EPS):
    """Central finite difference of ``f`` at ``primals`` along ``tangents``."""
    f_pos = f(*_add(primals, _scale(tangents, eps)))
    f_neg = f(*_sub(primals, _scale(tangents, eps)))
    return _scale(_safe_sub(f_pos, f_neg), 0.5 / eps)


# --- comparison ---------------------------------------------------------------------------

def _tol(tol, dtype):
    if tol is None or isinstance(tol, dict):
        table = dict(_GRAD_TOL)
        table.update({np.dtype(k): v for k, v in (tol or {}).items()})
        return table.get(dtypes.canonicalize_dtype(dtype), 0)
    return tol


def _check_close(what, got, expected, atol, rtol):
    """Leaf by leaf ``allclose`` with tolerances scaled by the leaf size, or an
    AssertionError that says which check and which output leaf failed, and by how much."""
    got_leaves, got_tree = tree_flatten(got)
    exp_leaves, exp_tree = tree_flatten(expected)
    if got_tree != exp_tree:
        raise AssertionError(f"check_grads: {what}: the structures differ: {got_tree} vs "
                             f"{exp_tree}")
    for i, (g, e) in enumerate(zip(got_leaves, exp_leaves)):
        g, e = np.asarray(g), np.asarray(e)
        where = f"output [{i}]" if len(got_leaves) > 1 else "the output"
        if g.shape != e.shape:
            raise AssertionError(f"check_grads: {what} of {where} has shape {g.shape}, "
                                 f"expected {e.shape}")
        a = max(_tol(atol, g.dtype), _tol(atol, e.dtype)) * max(g.size, 1)
        r = max(_tol(rtol, g.dtype), _tol(rtol, e.dtype)) * max(e.size, 1)
        with np.errstate(invalid='ignore'):
            ok = np.isclose(g, e, rtol=r, atol=a, equal_nan=True)
        if not np.all(ok):
            bad = np.argwhere(~ok.reshape(g.shape) if g.ndim else ~ok[None])
            first = tuple(int(j) for j in bad[0]) if g.ndim else ()
            err = np.abs(g.astype(np.complex128) - e.astype(np.complex128))
            raise AssertionError(
                f"check_grads: {what} of {where} does not match (atol={a:g}, rtol={r:g}):\n"
                f"  {int((~ok).sum())} of {g.size} elements differ, max abs difference "
                f"{float(np.nanmax(err)):g}; first at index {first}: got "
                f"{g[first] if g.ndim else g}, expected {e[first] if e.ndim else e}\n"
                f"  got:      {np.array2string(g, threshold=20)}\n"
                f"  expected: {np.array2string(e, threshold=20)}")


# --- the checks ---------------------------------------------------------------------------

def check_jvp(f, f_jvp, args, atol=None, rtol=None, eps=EPS, err_msg=''):
    """Check ``f_jvp(primals, tangents) -> (out, tangent_out)`` against finite differences of
    ``f`` along one random direction."""
    what = err_msg or 'JVP'
    rng = np.random.RandomState(0)
    tangents = tree_map(functools.partial(_rand_like, rng), args)
    out, t_out = f_jvp(args, tangents)
    _check_close(f"{what} primal", out, f(*args), atol, rtol)
    _check_close(f"{what} tangent", t_out, numerical_jvp(f, args, tangents, eps), atol, rtol)


def check_vjp(f, f_vjp, args, atol=None, rtol=None, eps=EPS, err_msg=''):
    """Check ``f_vjp(*primals) -> (out, vjp_fun)`` through ``<u, J v> == <J^T u, v>`` with
    ``J v`` from finite differences."""
    what = err_msg or 'VJP'
    rng = np.random.RandomState(0)
    out, vjp_fun = f_vjp(*args)
    _check_close(f"{what} primal", out, f(*args), atol, rtol)
    tangents = tree_map(functools.partial(_rand_like, rng), args)
    t_out = numerical_jvp(f, args, tangents, eps)
    cotangents = tree_map(functools.partial(_rand_like, rng), out)
    ct_in = _conj(vjp_fun(_conj(cotangents)))
    _check_close(f"{what} cotangent projection <J^T u, v>", _inner(tangents, ct_in),
                 _inner(t_out, cotangents), atol, rtol)


def check_grads(f, args, order, modes=('fwd', 'rev'), atol=None, rtol=None, eps=None):
    """Check ``f``'s derivatives up to ``order`` at ``args`` against finite differences.

    ``modes`` is any of ``'fwd'`` (JVP), ``'rev'`` (VJP) and ``'lin'`` (linearize).  Raises
    AssertionError naming the failing check (for example ``VJP of JVP tangent``).

    >>> check_grads(jnp.tanh, (0.3,), order=2, modes=['fwd', 'rev'])
    """
    from . import _api
    args = tuple(args)
    eps = eps or EPS
    if isinstance(modes, str):
        modes = (modes,)
    unknown = set(modes) - {'fwd', 'rev', 'lin'}
    if unknown:
        raise ValueError(f"check_grads: unknown modes {sorted(unknown)}; use 'fwd', 'rev' "
                         f"or 'lin'")

    def jvp_of(fun):
        return functools.partial(_api.jvp, fun)

    def jvp_from_lin(fun, primals, tangents):
        out, f_lin = _api.linearize(fun, *primals)
        return out, f_lin(*tangents)

    def check(fun, fargs, order, prefix):
        name = (lambda m: f"{m} of {prefix}" if prefix else m)
        if 'fwd' in modes:
            check_jvp(fun, jvp_of(fun), fargs, atol, rtol, eps, name('JVP'))
            if order > 1:
                check(jvp_of(fun), (fargs, fargs), order - 1, name('JVP'))
        if 'rev' in modes:
            check_vjp(fun, functools.partial(_api.vjp, fun), fargs, atol, rtol, eps,
                      name('VJP'))
            if order > 1:
                def vjp_applied(*xs):
                    out, pullback = _api.vjp(fun, *xs)
                    return pullback(out)
                check(vjp_applied, fargs, order - 1, name('VJP'))
        if 'lin' in modes:
            lin = functools.partial(jvp_from_lin, fun)
            check_jvp(fun, lin, fargs, atol, rtol, eps, name('LIN'))
            if order > 1:
                check(lin, (fargs, fargs), order - 1, name('LIN'))

    check(f, args, order, '')
