"""``dot_general``: contraction with batch dimensions, the one matrix-product primitive."""
import numpy as np

from .. import dtypes
from .._core.core import Primitive, Zero, all_weak, get_aval
from .._core.avals import ShapedArray
from .._core.rules import defjvp, is_undefined, not_mapped
from ._util import ndim_of
from . import shapes


def _dims(ndim, contract, batch):
    return [d for d in range(ndim) if d not in contract and d not in batch]


_PLANS = {}
_EINSUM_MAX_WORK = 1 << 13  # below this many multiply-adds einsum's C loop beats BLAS calls
_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'


def _plan(lhs_shape, rhs_shape, dimension_numbers):
    """How to compute one dot_general, worked out once per shapes and dimension numbers:
    small products go through ``np.einsum`` (one C call), large ones through a single
    ``np.matmul`` on transposed, reshaped operands (BLAS)."""
    (lc, rc), (lb, rb) = dimension_numbers
    lf = _dims(len(lhs_shape), lc, lb)
    rf = _dims(len(rhs_shape), rc, rb)
    k = int(np.prod([lhs_shape[c] for c in lc], dtype=np.int64))
    out_shape = (tuple(lhs_shape[d] for d in lb) + tuple(lhs_shape[d] for d in lf)
                 + tuple(rhs_shape[d] for d in rf))
    work = k * int(np.prod(out_shape, dtype=np.int64))
    nl, nr = len(lhs_shape), len(rhs_shape)
    if not lb and len(lc) == 1 and nr <= 2:
        # plain products that np.dot does in one call (BLAS when large)
        if lc == (nl - 1,) and rc == (0,):
            return np.dot
        if nl == 1 and nr == 2 and rc == (1,):
            return lambda x, y: np.dot(y, x)
        if nl == 2 and nr == 2 and lc == (1,) and rc == (1,):
            return lambda x, y: np.dot(x, y.T)
        if nl == 2 and lc == (0,) and rc == (0,):
            return lambda x, y: np.dot(x.T, y)
    if work <= _EINSUM_MAX_WORK and len(lhs_shape) + len(rhs_shape) <= len(_LETTERS):
        lhs_sub = list(_LETTERS[:len(lhs_shape)])
        rhs_sub = [None] * len(rhs_shape)
        for a, b in list(zip(lc, rc)) + list(zip(lb, rb)):
            rhs_sub[b] = lhs_sub[a]
        fresh = iter(_LETTERS[len(lhs_shape):])
        rhs_sub = [c if c is not None else next(fresh) for c in rhs_sub]
        out_sub = ([lhs_sub[d] for d in lb] + [lhs_sub[d] for d in lf]
                   + [rhs_sub[d] for d in rf])
        subscripts = f"{''.join(lhs_sub)},{''.join(rhs_sub)}->{''.join(out_sub)}"
        return lambda x, y: np.einsum(subscripts, x, y)
    lperm = list(lb) + lf + list(lc)
    rperm = list(rb) + list(rc) + rf
    bshape = tuple(lhs_shape[d] for d in lb)
    m = int(np.prod([lhs_shape[d] for d in lf], dtype=np.int64))
    n = int(np.prod([rhs_shape[d] for d in rf], dtype=np.int64))
    lshape, rshape = bshape + (m, k), bshape + (k, n)

    def run(x, y):
        out = np.matmul(np.transpose(x, lperm).reshape(lshape),
                        np.transpose(y, rperm).reshape(rshape))
        return out.reshape(out_shape)
    return run


def _dot_general_impl(lhs, rhs, dimension_numbers, preferred_element_type=None):
    lhs = np.asarray(lhs)
    rhs = np.asarray(rhs)
    key = (lhs.shape, rhs.shape, dimension_numbers)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _plan(lhs.shape, rhs.shape, dimension_numbers)
    out = plan(lhs, rhs)
    dtype = preferred_element_type or np.result_type(lhs, rhs)
    return out if out.dtype == dtype else np.asarray(out, dtype)


_AVALS = {}  # (operand avals, params) -> output aval: recording a jaxpr is a hot path


def _dot_general_abstract_eval(lhs, rhs, dimension_numbers, preferred_element_type=None):
    key = (lhs.shape, lhs.dtype, lhs.weak_type, rhs.shape, rhs.dtype, rhs.weak_type,
           dimension_numbers, preferred_element_type)
    out = _AVALS.get(key)
    if out is None:
        out = _dot_general_out_aval(lhs, rhs, dimension_numbers, preferred_element_type)
        if len(_AVALS) < 4096:
            _AVALS[key] = out
    return out


def _dot_general_out_aval(lhs, rhs, dimension_numbers, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise TypeError(f"dot_general: contracting and batch dimension lists must pair up, "
                        f"got {dimension_numbers}")
    for a, b in list(zip(lc, rc)) + list(zip(lb, rb)):
        if not (0 <= a < lhs.ndim and 0 <= b < rhs.ndim) or lhs.shape[a] != rhs.shape[b]:
            raise TypeError(
                f"dot_general: incompatible shapes {lhs.str_short()} and {rhs.str_short()} "
                f"for dimension_numbers {dimension_numbers} (sizes along paired dimensions "
                f"must be equal)")
    if lhs.dtype != rhs.dtype and not (lhs.weak_type or rhs.weak_type):
        raise TypeError(f"dot_general requires operands of the same dtype, got "
                        f"{lhs.dtype.name} and {rhs.dtype.name}")
    dtype = preferred_element_type or (rhs.dtype if lhs.weak_type else lhs.dtype)
    shape = (tuple(lhs.shape[d] for d in lb) + tuple(lhs.shape[d] for d in _dims(lhs.ndim, lc, lb))
             + tuple(rhs.shape[d] for d in _dims(rhs.ndim, rc, rb)))
    return ShapedArray(shape, dtype, lhs.weak_type and rhs.weak_type)


dot_general_p = Primitive('dot_general')
dot_general_p.impl = _dot_general_impl
dot_general_p.abstract_eval = _dot_general_abstract_eval
dot_general_p.weak_type_rule = all_weak


def _jvp_lhs(g, ans, lhs, rhs, dimension_numbers, preferred_element_type=None):
    return dot_general(g, rhs, dimension_numbers, preferred_element_type)


def _jvp_rhs(g, ans, lhs, rhs, dimension_numbers, preferred_element_type=None):
    return dot_general(lhs, g, dimension_numbers, preferred_element_type)


defjvp(dot_general_p, _jvp_lhs, _jvp_rhs)


def _transpose_lhs(ct, lhs_aval, rhs, dimension_numbers, swap=False):
    """Cotangent of the lhs: contract ct's rhs-free axes with rhs's free axes, then put
    the axes back in the lhs's order."""
    (lc, rc), (lb, rb) = dimension_numbers
    x_ndim = lhs_aval.ndim
    y_ndim = ndim_of(rhs)
    x_free = _dims(x_ndim, lc, lb)
    y_free = _dims(y_ndim, rc, rb)
    nb = len(lb)
    # ct's axes are batch, lhs free, rhs free; when transposing for the rhs (swap) "x" is
    # the rhs, so y's free axes come first.  The other free axes stay in order.
    if swap:
        ct_y_free = list(range(nb, nb + len(y_free)))
    else:
        ct_y_free = list(range(nb + len(x_free), nb + len(x_free) + len(y_free)))
    dims = ((tuple(ct_y_free), tuple(y_free)), (tuple(range(nb)), tuple(rb)))
    out = dot_general(ct, rhs, dims)  # axes: batch, x free, rhs's contracting axes ascending
    # rhs contracting axis rc[i] pairs with lhs axis lc[i]
    src = list(lb) + x_free + [lc[i] for i in np.argsort(rc)]
    perm = tuple(np.argsort(src))
    return shapes.transpose(out, perm)


def _dot_general_transpose(ct, lhs, rhs, dimension_numbers, preferred_element_type=None):
    if type(ct) is Zero:
        return [None, None]
    (lc, rc), (lb, rb) = dimension_numbers
    if is_undefined(lhs) and is_undefined(rhs):
        raise TypeError("dot_general: both operands are linear, so the product is not linear")
    if is_undefined(lhs):
        out = _transpose_lhs(ct, lhs.aval, rhs, dimension_numbers)
        return [_cast(out, lhs.aval), None]
    swapped = ((rc, lc), (rb, lb))
    out = _transpose_lhs(ct, rhs.aval, lhs, swapped, swap=True)
    return [None, _cast(out, rhs.aval)]


def _cast(x, aval):
    from .elementwise import convert_element_type
    return convert_element_type(x, aval.dtype, aval.weak_type) if x.dtype != aval.dtype else x


dot_general_p.transpose = _dot_general_transpose


def _dot_general_specialize(in_avals, dimension_numbers, preferred_element_type=None):
    """For jit: the product for these shapes, planned once at compile time."""
    lhs, rhs = in_avals
    plan = _plan(lhs.shape, rhs.shape, dimension_numbers)
    dtype = preferred_element_type or np.result_type(lhs.dtype, rhs.dtype)
    if lhs.dtype != rhs.dtype or dtype != lhs.dtype:
        return None
    return plan


dot_general_p.specialize = _dot_general_specialize
# every plan allocates its result (np.dot, np.einsum, np.matmul): jit may write into it
dot_general_p.fresh_result = True


def _dot_general_batch(axis, vals, dims, dimension_numbers, preferred_element_type=None):
    lhs, rhs = vals
    ld, rd = dims
    (lc, rc), (lb, rb) = dimension_numbers
    shift = lambda ds, d: tuple(x + (x >= d) for x in ds)
    if ld is not not_mapped and rd is not not_mapped:
        lc2, lb2 = shift(lc, ld), shift(lb, ld)
        rc2, rb2 = shift(rc, rd), shift(rb, rd)
        dn = ((lc2, rc2), ((ld,) + lb2, (rd,) + rb2))
        return dot_general(lhs, rhs, dn, preferred_element_type), 0
    if ld is not not_mapped:
        lc2, lb2 = shift(lc, ld), shift(lb, ld)
        dn = ((lc2, rc), (lb2, rb))
        free = _dims(ndim_of(lhs), lc2, lb2)
        return dot_general(lhs, rhs, dn, preferred_element_type), len(lb) + free.index(ld)
    rc2, rb2 = shift(rc, rd), shift(rb, rd)
    dn = ((lc, rc2), (lb, rb2))
    lfree = _dims(ndim_of(lhs), lc, lb)
    rfree = _dims(ndim_of(rhs), rc2, rb2)
    return (dot_general(lhs, rhs, dn, preferred_element_type),
            len(lb) + len(lfree) + rfree.index(rd))


dot_general_p.batch = _dot_general_batch


_NORMALIZED_DN = {}  # dimension_numbers as written -> as tuples of ints


def dot_general(lhs, rhs, dimension_numbers, preferred_element_type=None):
    """Tensor contraction: ``dimension_numbers = ((lhs_contract, rhs_contract),
    (lhs_batch, rhs_batch))``; output axes are batch, lhs free, rhs free.

    >>> dot_general(a, b, (((1,), (0,)), ((), ())))   # a @ b for matrices
    """
    try:
        dn = _NORMALIZED_DN.get(dimension_numbers)
    except TypeError:  # lists: unhashable
        dn = None
    if dn is None:
        (lc, rc), (lb, rb) = dimension_numbers
        dn = ((tuple(int(d) for d in lc), tuple(int(d) for d in rc)),
              (tuple(int(d) for d in lb), tuple(int(d) for d in rb)))
        if len(_NORMALIZED_DN) < 4096:
            try:
                _NORMALIZED_DN[dimension_numbers] = dn
            except TypeError:
                pass
    if preferred_element_type is not None:
        preferred_element_type = dtypes.canonicalize_dtype(preferred_element_type)
    else:
        # as jnp.dot does in JAX: the result dtype, stated (jaxprs show it)
        lhs_dtype, rhs_dtype = get_aval(lhs).dtype, get_aval(rhs).dtype
        if lhs_dtype == rhs_dtype:
            preferred_element_type = lhs_dtype
    return dot_general_p.bind(lhs, rhs, dimension_numbers=dn,
                              preferred_element_type=preferred_element_type)


def dot(lhs, rhs, preferred_element_type=None):
    """Vector/matrix product of rank-1 or rank-2 arrays (``lax.dot``)."""
    return dot_general(lhs, rhs, (((ndim_of(lhs) - 1,), (0,)), ((), ())),
                       preferred_element_type)
