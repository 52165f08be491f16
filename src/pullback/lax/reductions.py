"""Reductions over axes and cumulative (prefix) reductions along one axis.

reduce_sum, reduce_max, reduce_min, reduce_prod, reduce_and, reduce_or, reduce_xor,
argmax, argmin; cumsum, cumprod, cummax, cummin, cumlogsumexp (each with ``axis`` and
``reverse``).  Results are strongly typed (as ``jnp.sum`` is).

Derivatives: ``reduce_sum`` and ``cumsum`` are linear.  ``reduce_max``/``reduce_min`` share
the tangent equally among the elements that attain the extremum (as JAX does).
``reduce_prod`` multiplies each tangent by the product of the *other* elements, computed
from exclusive cumulative products, so zeros in the input are handled exactly.  The other
cumulative reductions push (value, tangent) pairs through a log-depth prefix scan
(``_prefix_scan``) made of ``pad`` and elementwise primitives: exact with zeros and ties,
linear in the tangents (so reverse mode works) and differentiable again.
"""
import builtins

import numpy as np

from .. import dtypes
from .._array import Array
from .._core.core import Primitive, Zero, never_weak
from .._core.avals import ShapedArray
from .._core.rules import deflinear, defjvp_zero
from ._util import shape_of, ndim_of, canonical_axis, check_dtype_kind

__all__ = ['reduce_sum', 'reduce_max', 'reduce_min', 'reduce_prod', 'reduce_and',
           'reduce_or', 'reduce_xor', 'argmax', 'argmin', 'cumsum', 'cumprod', 'cummax',
           'cummin', 'cumlogsumexp']

NUMERIC = 'iufc'
ORDERED = 'biuf'
INTLIKE = 'biu'


def _kind_checked(impl, kinds):
    """``impl`` refusing dtypes NumPy would accept (bool sums, complex maxima, ...): the
    error makes eager mode run the abstract evaluation, which explains it."""
    def checked(x, **params):
        if np.asarray(x).dtype.kind not in kinds:
            raise TypeError("unsupported dtype")
        return impl(x, **params)
    return checked


def _reduction(name, impl, kinds, codegen=None):
    """A reduction over the static ``axes``: impl, abstract eval and batching; the caller
    adds the JVP (or transpose)."""
    prim = Primitive(name)
    # NumPy reductions (even over no axes) and these impls allocate their result, which
    # jit may therefore write into
    prim.fresh_result = True
    prim.impl = _kind_checked(impl, kinds)
    prim.abstract_eval = _reduce_abstract_eval(name, kinds)
    prim.weak_type_rule = never_weak
    prim.batch = _reduce_batch(prim)
    prim.codegen = codegen
    return prim


def _reduce_abstract_eval(name, kinds):
    def abstract_eval(x, axes, **params):
        check_dtype_kind(name, x, kinds)
        for a in axes:
            if not 0 <= a < x.ndim:
                raise ValueError(f"{name}: axis {a} is out of bounds for an array of shape "
                                 f"{x.shape}")
        if len(set(axes)) != len(axes):
            raise ValueError(f"{name}: repeated axis in axes={axes}")
        shape = tuple(s for i, s in enumerate(x.shape) if i not in axes)
        return ShapedArray(shape, x.dtype, False)
    return abstract_eval


def _reduce_batch(prim):
    def batch(axis, vals, dims, axes, **params):
        x, = vals
        d = dims[0]
        # axis a of a batch member is axis a (before the batch axis) or a + 1 (after) in x
        new_axes = tuple(a if a < d else a + 1 for a in axes)
        out_d = d - builtins.sum(1 for a in axes if a < d)
        return prim.bind(x, axes=new_axes, **params), out_d
    return batch


def _canonical_axes(name, x, axes):
    nd = ndim_of(x)
    return tuple(sorted(canonical_axis(a, nd, 'axes', name) for a in axes))


def _kept_dims(ndim, axes):
    return tuple(i for i in range(ndim) if i not in axes)


def _is_inexact(x):
    return np.dtype(_dtype(x)).kind in 'fc'


def _dtype(x):
    from .._core.core import get_aval
    return get_aval(x).dtype


# --- reduce_sum ----------------------------------------------------------------------------

def _reduce_sum_impl(x, axes):
    return np.asarray(np.sum(x, axis=axes, dtype=np.asarray(x).dtype))


def _reduce_sum_transpose(ct, x, axes):
    from .shapes import broadcast_in_dim
    if type(ct) is Zero:
        return [None]
    shape = x.aval.shape
    return [broadcast_in_dim(ct, shape, _kept_dims(len(shape), axes))]


reduce_sum_p = _reduction('reduce_sum', _reduce_sum_impl, NUMERIC,
                          lambda x, axes: f"xp.sum({x}, axis={tuple(axes)!r}, dtype={x}.dtype)")
deflinear(reduce_sum_p, _reduce_sum_transpose)


def reduce_sum(operand, axes):
    """Sum of ``operand`` over ``axes``.

    >>> reduce_sum(jnp.ones((2, 3)), (1,))
    Array([3., 3.], dtype=float32)
    """
    return reduce_sum_p.bind(operand, axes=_canonical_axes('reduce_sum', operand, axes))


# --- reduce_max and reduce_min -------------------------------------------------------------

def _identity(dtype, largest):
    """The identity of min (``largest``) or max: +-inf, the integer limits, True/False."""
    dtype = np.dtype(dtype)
    if dtype.kind == 'f':
        return np.inf if largest else -np.inf
    if dtype.kind in 'iu':
        info = np.iinfo(dtype)
        return info.max if largest else info.min
    return bool(largest)


def _chooser_impl(reducer, largest):
    def impl(x, axes):
        x = np.asarray(x)
        if x.size == 0:  # the reduction of nothing is the identity, as in JAX
            return np.asarray(reducer(x, axis=axes, initial=_identity(x.dtype, largest)))
        return np.asarray(reducer(x, axis=axes))
    return impl


def _chooser_jvp(prim):
    """The tangent of max/min: the mean of the tangents at the places that attain it."""
    def jvp(primals, tangents, axes):
        from .elementwise import eq, mul, div, convert_element_type
        from .shapes import broadcast_in_dim
        x, = primals
        t, = tangents
        ans = prim.bind(x, axes=axes)
        if type(t) is Zero or not _is_inexact(x):
            return ans, Zero(primal=ans)
        shape = shape_of(x)
        hit = convert_element_type(eq(x, broadcast_in_dim(ans, shape, _kept_dims(len(shape),
                                                                                   axes))),
                                   _dtype(t))
        return ans, div(reduce_sum(mul(t, hit), axes), reduce_sum(hit, axes))
    prim.jvp = jvp


reduce_max_p = _reduction('reduce_max', _chooser_impl(np.max, False), ORDERED)
_chooser_jvp(reduce_max_p)
reduce_min_p = _reduction('reduce_min', _chooser_impl(np.min, True), ORDERED)
_chooser_jvp(reduce_min_p)


def reduce_max(operand, axes):
    """Maximum of ``operand`` over ``axes`` (NaN propagates; empty gives -inf)."""
    return reduce_max_p.bind(operand, axes=_canonical_axes('reduce_max', operand, axes))


def reduce_min(operand, axes):
    """Minimum of ``operand`` over ``axes`` (NaN propagates; empty gives +inf)."""
    return reduce_min_p.bind(operand, axes=_canonical_axes('reduce_min', operand, axes))


# --- reduce_prod ---------------------------------------------------------------------------

def _reduce_prod_impl(x, axes):
    return np.asarray(np.prod(x, axis=axes, dtype=np.asarray(x).dtype))


def _exclusive(cumulative, axis, reverse, one):
    """Shift a cumulative product by one place so entry i excludes element i itself."""
    from .shapes import pad
    config = [(0, 0, 0)] * ndim_of(cumulative)
    config[axis] = (-1, 1, 0) if reverse else (1, -1, 0)
    return pad(cumulative, one, config)


def _reduce_prod_jvp(primals, tangents, axes):
    from .elementwise import mul
    from .shapes import transpose, reshape
    x, = primals
    t, = tangents
    ans = reduce_prod_p.bind(x, axes=axes)
    if type(t) is Zero or not _is_inexact(x):
        return ans, Zero(primal=ans)
    shape = shape_of(x)
    kept = _kept_dims(len(shape), axes)
    # reduced axes first, flattened: d(prod) = sum_i t_i * prod_{j != i} x_j
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    rest = tuple(shape[k] for k in kept)
    xr = reshape(transpose(x, tuple(axes) + kept), (n,) + rest)
    tr = reshape(transpose(t, tuple(axes) + kept), (n,) + rest)
    one = Array(np.ones((), _dtype(x)))
    others = mul(_exclusive(cumprod(xr, 0), 0, False, one),
                 _exclusive(cumprod(xr, 0, reverse=True), 0, True, one))
    return ans, reduce_sum(mul(tr, others), (0,))


reduce_prod_p = _reduction(
    'reduce_prod', _reduce_prod_impl, NUMERIC,
    lambda x, axes: f"xp.prod({x}, axis={tuple(axes)!r}, dtype={x}.dtype)")
reduce_prod_p.jvp = _reduce_prod_jvp


def reduce_prod(operand, axes):
    """Product of ``operand`` over ``axes``."""
    return reduce_prod_p.bind(operand, axes=_canonical_axes('reduce_prod', operand, axes))


# --- logical reductions --------------------------------------------------------------------

def _logical_impl(bool_reduce, int_ufunc):
    def impl(x, axes):
        x = np.asarray(x)
        if x.dtype == bool:
            return np.asarray(bool_reduce(x, axis=axes))
        return np.asarray(int_ufunc.reduce(x, axis=axes), x.dtype)
    return impl


reduce_and_p = _reduction('reduce_and', _logical_impl(np.all, np.bitwise_and), INTLIKE)
reduce_or_p = _reduction('reduce_or', _logical_impl(np.any, np.bitwise_or), INTLIKE)
reduce_xor_p = _reduction('reduce_xor', _logical_impl(np.logical_xor.reduce, np.bitwise_xor),
                          INTLIKE)
for _p in (reduce_and_p, reduce_or_p, reduce_xor_p):
    defjvp_zero(_p)


def reduce_and(operand, axes):
    """Logical (bool) or bitwise (integer) AND over ``axes``."""
    return reduce_and_p.bind(operand, axes=_canonical_axes('reduce_and', operand, axes))


def reduce_or(operand, axes):
    """Logical (bool) or bitwise (integer) OR over ``axes``."""
    return reduce_or_p.bind(operand, axes=_canonical_axes('reduce_or', operand, axes))


def reduce_xor(operand, axes):
    """Logical (bool) or bitwise (integer) XOR over ``axes``."""
    return reduce_xor_p.bind(operand, axes=_canonical_axes('reduce_xor', operand, axes))


# --- argmax and argmin ---------------------------------------------------------------------

def _arg_impl(np_fn):
    def impl(x, axes, index_dtype):
        return np.asarray(np_fn(x, axis=axes[0]), index_dtype)
    return impl


def _arg_abstract_eval(name):
    def abstract_eval(x, axes, index_dtype):
        check_dtype_kind(name, x, ORDERED)
        axis, = axes
        if not 0 <= axis < x.ndim:
            raise ValueError(f"{name}: axis {axis} is out of bounds for an array of shape "
                             f"{x.shape}")
        if x.shape[axis] == 0:
            raise ValueError(f"{name}: cannot find the extremum along axis {axis} of size 0 "
                             f"(operand shape {x.shape})")
        if np.dtype(index_dtype).kind not in 'iu':
            raise TypeError(f"{name}: index_dtype must be an integer dtype, got "
                            f"{np.dtype(index_dtype).name}")
        return ShapedArray(tuple(s for i, s in enumerate(x.shape) if i != axis), index_dtype,
                           False)
    return abstract_eval


def _arg_prim(name, np_fn):
    prim = Primitive(name)
    prim.impl = _kind_checked(_arg_impl(np_fn), ORDERED)
    prim.abstract_eval = _arg_abstract_eval(name)
    prim.weak_type_rule = never_weak
    prim.batch = _reduce_batch(prim)
    prim.codegen = lambda x, axes, index_dtype: (
        f"xp.asarray(xp.{np_fn.__name__}({x}, axis={axes[0]}), xp.{np.dtype(index_dtype).name})")
    defjvp_zero(prim)
    return prim


argmax_p = _arg_prim('argmax', np.argmax)
argmin_p = _arg_prim('argmin', np.argmin)


def _arg(prim, operand, axis, index_dtype):
    axis = canonical_axis(axis, ndim_of(operand), 'axis', prim.name)
    index_dtype = dtypes.canonicalize_dtype(index_dtype)
    return prim.bind(operand, axes=(axis,), index_dtype=index_dtype)


def argmax(operand, axis, index_dtype):
    """Index of the first maximum along ``axis`` (a NaN counts as the maximum).

    >>> argmax(jnp.array([1., 3., 3.]), 0, jnp.int32)
    Array(1, dtype=int32)
    """
    return _arg(argmax_p, operand, axis, index_dtype)


def argmin(operand, axis, index_dtype):
    """Index of the first minimum along ``axis`` (a NaN counts as the minimum)."""
    return _arg(argmin_p, operand, axis, index_dtype)


# --- cumulative reductions -----------------------------------------------------------------

def _cumulative_impl(accumulate):
    def impl(x, axis, reverse):
        x = np.asarray(x)
        if reverse:
            return np.flip(accumulate(np.flip(x, axis), axis), axis)
        return accumulate(x, axis)
    return impl


def _cumulative_abstract_eval(name, kinds):
    def abstract_eval(x, axis, reverse):
        check_dtype_kind(name, x, kinds)
        if not 0 <= axis < x.ndim:
            raise ValueError(f"{name}: axis {axis} is out of bounds for an array of shape "
                             f"{x.shape}")
        return ShapedArray(x.shape, x.dtype, False)
    return abstract_eval


def _cumulative_batch(prim):
    def batch(axis_data, vals, dims, axis, reverse):
        d = dims[0]
        return prim.bind(vals[0], axis=axis + (axis >= d), reverse=reverse), d
    return batch


def _cumulative(name, accumulate, kinds, np_expr=None):
    prim = Primitive(name)
    prim.impl = _kind_checked(_cumulative_impl(accumulate), kinds)
    prim.abstract_eval = _cumulative_abstract_eval(name, kinds)
    prim.weak_type_rule = never_weak
    prim.batch = _cumulative_batch(prim)
    if np_expr is not None:  # forward only; jit calls the impl for reverse=True
        prim.codegen = lambda x, axis, reverse: None if reverse else np_expr.format(x=x,
                                                                                     axis=axis)
    return prim


def _prefix_scan(combine, elems, fills, axis, reverse):
    """Inclusive scan of the tuple of arrays ``elems`` along ``axis`` in log2(n) steps
    (Hillis-Steele): at step d every place combines with the one d places before it, the
    first d places with ``fills`` (the identity).  ``combine(earlier, later)`` works on
    tuples of arrays with primitives, so the scan transforms like any other code."""
    from .shapes import pad
    n = shape_of(elems[0])[axis]
    nd = ndim_of(elems[0])
    d = 1
    while d < n:
        config = [(0, 0, 0)] * nd
        config[axis] = (-d, d, 0) if reverse else (d, -d, 0)
        earlier = tuple(pad(e, f, config) for e, f in zip(elems, fills))
        elems = combine(earlier, elems)
        d *= 2
    return elems


def _scan_jvp(prim, combine, fill):
    """JVP of a cumulative reduction by scanning (value, tangent) pairs with ``combine``;
    ``fill(dtype)`` is the identity of the value part (the tangent's is 0)."""
    def jvp(primals, tangents, axis, reverse):
        x, = primals
        t, = tangents
        ans = prim.bind(x, axis=axis, reverse=reverse)
        if type(t) is Zero or not _is_inexact(x):
            return ans, Zero(primal=ans)
        fills = (Array(np.asarray(fill(_dtype(x)), _dtype(x))),
                 Array(np.zeros((), _dtype(t))))
        _, t_out = _prefix_scan(combine, (x, t), fills, axis, reverse)
        return ans, t_out
    prim.jvp = jvp


def _prod_combine(earlier, later):
    from .elementwise import add, mul
    (p1, t1), (p2, t2) = earlier, later
    return mul(p1, p2), add(mul(t1, p2), mul(p1, t2))


def _chooser_combine(strict):
    """(value, tangent) pairs under max (``strict`` = gt) or min (lt): the tangent of the
    winner, or the mean of both tangents on a tie (as the elementwise max/min JVP)."""
    def combine(earlier, later):
        from .elementwise import add, mul, eq, select_n, max as lmax, min as lmin, gt
        (m1, t1), (m2, t2) = earlier, later
        first_wins = strict(m1, m2)
        tie = eq(m1, m2)
        t = select_n(first_wins, select_n(tie, t2, mul(add(t1, t2), 0.5)), t1)
        return (lmax(m1, m2) if strict is gt else lmin(m1, m2)), t
    return combine


def _logaddexp_combine(earlier, later):
    from .elementwise import add, sub, mul, exp, log1p, abs, max as lmax, neg
    (a, ta), (b, tb) = earlier, later
    r = add(lmax(a, b), log1p(exp(neg(abs(sub(a, b))))))
    return r, add(mul(ta, exp(sub(a, r))), mul(tb, exp(sub(b, r))))


def _cumsum_transpose(ct, x, axis, reverse):
    if type(ct) is Zero:
        return [None]
    return [cumsum(ct, axis, not reverse)]


def _logaddexp_accumulate(x, axis):
    return np.logaddexp.accumulate(x, axis=axis)


cumsum_p = _cumulative('cumsum', lambda x, axis: np.cumsum(x, axis, dtype=x.dtype), NUMERIC,
                       "xp.cumsum({x}, {axis}, dtype={x}.dtype)")
deflinear(cumsum_p, _cumsum_transpose)
cumprod_p = _cumulative('cumprod', lambda x, axis: np.cumprod(x, axis, dtype=x.dtype), NUMERIC,
                        "xp.cumprod({x}, {axis}, dtype={x}.dtype)")
_scan_jvp(cumprod_p, _prod_combine, lambda dtype: 1)
cummax_p = _cumulative('cummax', np.maximum.accumulate, ORDERED,
                       "xp.maximum.accumulate({x}, {axis})")
cummin_p = _cumulative('cummin', np.minimum.accumulate, ORDERED,
                       "xp.minimum.accumulate({x}, {axis})")
cumlogsumexp_p = _cumulative('cumlogsumexp', _logaddexp_accumulate, 'f')
_scan_jvp(cumlogsumexp_p, _logaddexp_combine, lambda dtype: -np.inf)


def _setup_chooser_jvps():
    from .elementwise import gt, lt
    _scan_jvp(cummax_p, _chooser_combine(gt), lambda dtype: _identity(dtype, False))
    _scan_jvp(cummin_p, _chooser_combine(lt), lambda dtype: _identity(dtype, True))


_setup_chooser_jvps()


def _cum(prim, operand, axis, reverse):
    axis = canonical_axis(axis, ndim_of(operand), 'axis', prim.name)
    return prim.bind(operand, axis=axis, reverse=bool(reverse))


def cumsum(operand, axis=0, reverse=False):
    """Running sum along ``axis`` (from the end if ``reverse``).

    >>> cumsum(jnp.array([1., 2., 3.]))
    Array([1., 3., 6.], dtype=float32)
    """
    return _cum(cumsum_p, operand, axis, reverse)


def cumprod(operand, axis=0, reverse=False):
    """Running product along ``axis`` (from the end if ``reverse``)."""
    return _cum(cumprod_p, operand, axis, reverse)


def cummax(operand, axis=0, reverse=False):
    """Running maximum along ``axis`` (from the end if ``reverse``)."""
    return _cum(cummax_p, operand, axis, reverse)


def cummin(operand, axis=0, reverse=False):
    """Running minimum along ``axis`` (from the end if ``reverse``)."""
    return _cum(cummin_p, operand, axis, reverse)


def cumlogsumexp(operand, axis=0, reverse=False):
    """Running ``log(sum(exp(x)))`` along ``axis``, computed stably."""
    return _cum(cumlogsumexp_p, operand, axis, reverse)
