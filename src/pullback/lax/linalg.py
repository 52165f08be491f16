"""Linear-algebra primitives: cholesky, triangular_solve, lu, lu_pivots_to_permutation, qr,
eigh, svd and eig.

Operands are stacks of matrices, shape ``(..., m, n)``: every primitive maps over the leading
dimensions, so its batching rule only moves the vmapped axis to the front.  The
implementations call LAPACK/BLAS through NumPy and SciPy.  The JVP rules are written with
other primitives (matrix products, constant masks and triangular solves), so reverse mode
comes from transposing them; ``triangular_solve`` is linear in its right-hand side and
has a transpose rule.

Hermitian operands: like LAPACK, ``cholesky`` and ``eigh`` read one triangle of their operand
(the lower one by default) and ignore the imaginary part of its diagonal.  Their JVPs
differentiate exactly that function, so finite differences in any direction agree with them.
The user functions ``cholesky`` and ``eigh`` symmetrize their input first,
``(x + conj(x).T) / 2``, as JAX does, which makes gradients Hermitian.

    >>> L = cholesky(jnp.array([[4., 2.], [2., 3.]]))
    >>> v, w = eigh(jnp.array([[2., 1.], [1., 2.]]))      # eigenvectors, eigenvalues
"""
import numpy as np

from .. import dtypes
from .._array import Array
from .._core.core import Primitive, Zero, get_aval
from .._core.avals import ShapedArray
from .._core.rules import is_undefined, not_mapped
from ._util import shape_of, ndim_of, moveaxis_to_front, unbroadcast
from .elementwise import (add, sub, mul, div, neg, conj, real, imag, complex_, eq,
                          select_n, convert_element_type)
from .shapes import transpose, reshape, broadcast_to
from .dot import dot_general
from .reductions import reduce_sum
from .indexing import take_along_axis
from .._lazy import LazyModule

_blas = LazyModule('scipy.linalg.blas')
_lapack = LazyModule('scipy.linalg.lapack')

__all__ = ['cholesky', 'triangular_solve', 'lu', 'lu_pivots_to_permutation', 'qr', 'eigh',
           'svd', 'eig', 'symmetrize', 'lu_solve']

_LAPACK_DTYPES = ('float32', 'float64', 'complex64', 'complex128')


# --- Matrix algebra on stacks, written with other primitives ------------------------------
# (the JVP rules below are built from these, so they work under every transformation)

def _dtype(x):
    return get_aval(x).dtype


def _is_complex(x):
    return _dtype(x).kind == 'c'


def _const(value, dtype):
    """A constant array: under every transformation it is a constant, never a tracer."""
    return Array(np.asarray(value, dtype))


def _T(x):
    """Swap the last two axes."""
    nd = ndim_of(x)
    return transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _H(x):
    """Conjugate transpose of the last two axes."""
    x = _T(x)
    return conj(x) if _is_complex(x) else x


def _mm(a, b):
    """Stacked matrix product ``a @ b``: ``(..., m, k) @ (..., k, n)``; leading axes
    broadcast."""
    sa, sb = tuple(shape_of(a)), tuple(shape_of(b))
    batch = tuple(np.broadcast_shapes(sa[:-2], sb[:-2]))
    if sa[:-2] != batch:
        a = broadcast_to(a, batch + sa[-2:])
    if sb[:-2] != batch:
        b = broadcast_to(b, batch + sb[-2:])
    nb = len(batch)
    bdims = tuple(range(nb))
    return dot_general(a, b, (((nb + 1,), (nb,)), (bdims, bdims)))


def _select(x, keep):
    """``x`` where the constant boolean ``keep`` (broadcast over the last axes) is True,
    zero elsewhere (a select, so infinities elsewhere do not turn into NaNs)."""
    return select_n(Array(keep), _const(0, _dtype(x)), x)


def _tril(x, k=0):
    m, n = shape_of(x)[-2:]
    return _select(x, np.tri(m, n, k, dtype=bool))


def _triu(x, k=0):
    m, n = shape_of(x)[-2:]
    return _select(x, ~np.tri(m, n, k - 1, dtype=bool))


def _phi(x, lower=True):
    """The lower (or upper) triangle of ``x`` with its diagonal halved."""
    m, n = shape_of(x)[-2:]
    mask = np.tri(m, n, -1) if lower else np.triu(np.ones((m, n)), 1)
    return mul(x, _const(mask + 0.5 * np.eye(m, n), _dtype(x)))


def _diagonal(x):
    """``(..., m, n) -> (..., min(m, n))``."""
    m, n = shape_of(x)[-2:]
    nd = ndim_of(x)
    return reduce_sum(_select(x, np.eye(m, n, dtype=bool)), (nd - 1 if m <= n else nd - 2,))


def _diag_matrix(v):
    """``(..., n) -> (..., n, n)`` with ``v`` on the diagonal."""
    n = shape_of(v)[-1]
    v = reshape(v, tuple(shape_of(v)[:-1]) + (1, n))
    return _select(broadcast_to(v, tuple(shape_of(v)[:-2]) + (n, n)), np.eye(n, dtype=bool))


def _eye_like(x, m, n=None):
    return _const(np.eye(m, m if n is None else n), _dtype(x))


def _as_dtype(x, dtype):
    return convert_element_type(x, dtype) if _dtype(x) != dtype else x


def _hermitian_part(t, lower):
    """The Hermitian matrix that LAPACK sees when it reads the ``lower`` (or upper) triangle
    of ``t``: the triangle mirrored, with the real part of the diagonal."""
    x = _phi(t, lower)
    return add(x, _H(x))


def _perm_matrix(perm, dtype):
    """The permutation matrix ``P`` with ``(P @ b)[i] = b[perm[i]]``, from integer ``perm``."""
    n = shape_of(perm)[-1]
    cols = reshape(perm, tuple(shape_of(perm)) + (1,))
    return convert_element_type(eq(cols, Array(np.arange(n, dtype=np.int32))), dtype)


def _permute_rows(perm, x):
    """``x[..., perm, :]``: row ``i`` of the result is row ``perm[i]`` of ``x`` (leading
    dimensions broadcast).  A gather, so its transpose is a scatter-add."""
    sp, sx = tuple(shape_of(perm)), tuple(shape_of(x))
    batch = tuple(np.broadcast_shapes(sp[:-1], sx[:-2]))
    if sx[:-2] != batch:
        x = broadcast_to(x, batch + sx[-2:])
    if sp[:-1] != batch:
        perm = broadcast_to(perm, batch + sp[-1:])
    return take_along_axis(x, reshape(perm, batch + sp[-1:] + (1,)), len(batch))


def _inv_safe(x):
    """``1 / x`` where ``x`` is nonzero, 0 where it is zero."""
    zero = eq(x, _const(0, _dtype(x)))
    return select_n(zero, div(_const(1, _dtype(x)), select_n(zero, x, _const(1, _dtype(x)))),
                    _const(0, _dtype(x)))


def _reciprocal_gaps(e):
    """``F[..., i, j] = 1 / (e_j - e_i)`` off the diagonal and 0 on it (the factor that
    turns a perturbation in an eigenbasis into the rotation of that basis)."""
    n = shape_of(e)[-1]
    lead = tuple(shape_of(e)[:-1])
    row = reshape(e, lead + (1, n))
    col = reshape(e, lead + (n, 1))
    return _inv_safe(sub(row, col))


# --- Shared checks and rules ---------------------------------------------------------------

def _check_operand(name, aval, square=False, what='operand'):
    if aval.dtype.name not in _LAPACK_DTYPES:
        raise TypeError(f"{name} does not accept dtype {aval.dtype.name} for its {what}: it "
                        f"needs float32, float64, complex64 or complex128 "
                        f"(pullback.numpy.linalg functions promote integers for you).")
    if aval.ndim < 2:
        raise ValueError(f"{name}: the {what} must be a matrix or a stack of matrices "
                         f"(rank >= 2), got shape {aval.shape} ({aval.str_short()}).")
    if square and aval.shape[-1] != aval.shape[-2]:
        raise ValueError(f"{name}: the {what} must be a square matrix or a stack of square "
                         f"matrices, shape (..., n, n); got shape {aval.shape} "
                         f"({aval.str_short()}).")


def _require_lapack(a, square=False):
    """Cheap guard at the top of an impl: an operand LAPACK cannot take raises here, and the
    eager path then reports the abstract evaluation's readable error."""
    if a.dtype.char not in 'fdFD' or a.ndim < 2 or (square and a.shape[-1] != a.shape[-2]):
        raise TypeError('unsupported operand')


_ROUTINES = {}


def _routine(module, name, dtype):
    """The BLAS/LAPACK routine ``name`` for ``dtype`` (looked up once per dtype)."""
    key = (name, dtype.char)
    fn = _ROUTINES.get(key)
    if fn is None:
        get = _blas.get_blas_funcs if module == 'blas' else _lapack.get_lapack_funcs
        fn = _ROUTINES[key] = get(name, dtype=dtype)
    return fn


def _real_dtype(dtype):
    return dtypes.real_dtype(dtype)


def _complex_dtype(dtype):
    return dtypes.complex_dtype(dtype)


def _batch_leading(prim):
    """Batching rule of a one-operand primitive that maps over leading axes."""
    def batch(axis, vals, dims, **params):
        x = moveaxis_to_front(vals[0], dims[0])
        out = prim.bind(x, **params)
        return out, ([0] * len(out) if prim.multiple_results else 0)
    return batch


def _declare(name, impl, abstract_eval, jvp, multiple_results=False):
    prim = Primitive(name, multiple_results=multiple_results)
    prim.impl = impl
    prim.abstract_eval = abstract_eval
    prim.jvp = jvp
    prim.batch = _batch_leading(prim)
    prim.codegen = None  # jit calls impl with the params bound
    return prim


def _zeros_out(outs):
    return [Zero(primal=o) for o in outs]


# --- cholesky ------------------------------------------------------------------------------

def _cholesky_impl(a):
    _require_lapack(a, square=True)
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        # as in JAX, a matrix that is not positive definite gives a matrix of NaNs
        out = np.empty_like(a)
        for idx in np.ndindex(a.shape[:-2]):
            try:
                out[idx] = np.linalg.cholesky(a[idx])
            except np.linalg.LinAlgError:
                out[idx] = np.nan
        return out


def _cholesky_abstract_eval(a):
    _check_operand('cholesky', a, square=True)
    return ShapedArray(a.shape, a.dtype)


def _cholesky_jvp(primals, tangents):
    # L' = L Phi(L^-1 S' L^-H), Phi = lower triangle with halved diagonal (Murray 2016);
    # S' is the Hermitian matrix the lower triangle of the tangent stands for.
    a, = primals
    t, = tangents
    L = cholesky_p.bind(a)
    if type(t) is Zero:
        return L, Zero(primal=L)
    s_dot = _hermitian_part(t, lower=True)
    tmp = triangular_solve(L, s_dot, left_side=False, lower=True, transpose_a=True,
                           conjugate_a=True)
    tmp = triangular_solve(L, tmp, left_side=True, lower=True)
    return L, _mm(L, _phi(tmp))


cholesky_p = _declare('cholesky', _cholesky_impl, _cholesky_abstract_eval, _cholesky_jvp)


def symmetrize(x):
    """``(x + conj(x).T) / 2`` over the last two axes: the Hermitian part of ``x``."""
    return div(add(x, _H(x)), _const(2, _dtype(x)))


def cholesky(x, *, symmetrize_input=True):
    """The lower Cholesky factor ``L`` of a Hermitian positive-definite ``x = L @ L^H``
    (stacks of matrices too).  A matrix that is not positive definite gives NaNs.

    >>> cholesky(jnp.array([[4., 2.], [2., 3.]]))
    Array([[2.       , 0.       ],
           [1.       , 1.4142135]], dtype=float32)
    """
    if symmetrize_input:
        x = symmetrize(x)
    return cholesky_p.bind(x)


# --- triangular_solve ----------------------------------------------------------------------

def _trsm_flags(left_side, transpose_a, conjugate_a):
    """BLAS trsm's (side, trans_a) and whether to conjugate ``a`` ourselves (trsm has no
    'conjugate without transposing')."""
    if transpose_a:
        return (0 if left_side else 1), (2 if conjugate_a else 1), False
    return (0 if left_side else 1), 0, conjugate_a


def _triangular_solve_impl(a, b, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    _require_lapack(a, square=True)
    _require_lapack(b)
    if a.dtype != b.dtype or a.shape[-1] != b.shape[-2 if left_side else -1]:
        raise TypeError('mismatched operands')
    side, trans, conj_first = _trsm_flags(left_side, transpose_a, conjugate_a)
    if conj_first:
        a = np.conj(a)
    trsm = _routine('blas', 'trsm', a.dtype)
    kw = dict(side=side, lower=int(lower), trans_a=trans, diag=int(unit_diagonal))
    # trsm, like JAX's lowering, does not check for singularity: zeros on the diagonal
    # give infinities and NaNs.
    if a.ndim == 2 and b.size:
        if b.ndim == 2:
            return trsm(1.0, a, b, **kw)
        # one matrix, many right-hand sides: a single call on the stacked columns
        m, n = b.shape[-2:]
        if left_side:
            flat = np.moveaxis(b, -2, 0).reshape(m, -1)
            x = trsm(1.0, a, flat, **kw)
            return np.moveaxis(x.reshape((m,) + b.shape[:-2] + (n,)), 0, -2)
        return trsm(1.0, a, b.reshape(-1, n), **kw).reshape(b.shape)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    out = np.empty(b.shape, a.dtype)
    if out.size:
        for idx in np.ndindex(batch):
            out[idx] = trsm(1.0, a[idx], b[idx], **kw)
    return out


def _triangular_solve_abstract_eval(a, b, left_side, lower, transpose_a, conjugate_a,
                                    unit_diagonal):
    name = 'triangular_solve'
    _check_operand(name, a, square=True, what='matrix a')
    _check_operand(name, b, what='right-hand side b')
    if a.dtype != b.dtype:
        raise TypeError(f"{name}: a and b must have the same dtype, got {a.str_short()} and "
                        f"{b.str_short()}.")
    m = a.shape[-1]
    side = b.shape[-2] if left_side else b.shape[-1]
    if side != m:
        which = 'rows' if left_side else 'columns'
        raise ValueError(f"{name}: with left_side={left_side}, b must have as many {which} "
                         f"as a has; got a {a.str_short()} and b {b.str_short()}.")
    try:
        batch = tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    except ValueError:
        raise ValueError(f"{name}: the batch dimensions of a {a.str_short()} and b "
                         f"{b.str_short()} do not broadcast.") from None
    return ShapedArray(batch + b.shape[-2:], a.dtype)


def _triangular_solve_jvp(primals, tangents, **params):
    a, b = primals
    ta, tb = tangents
    x = triangular_solve_p.bind(a, b, **params)
    out = Zero(primal=x)
    if type(tb) is not Zero:
        out = triangular_solve_p.bind(a, tb, **params)
    if type(ta) is not Zero:
        # op(a) x = b  =>  op(a) dx = -op(da) x, where da keeps only what the solve reads
        lower, unit = params['lower'], params['unit_diagonal']
        if lower:
            da = _tril(ta, -1 if unit else 0)
        else:
            da = _triu(ta, 1 if unit else 0)
        if params['conjugate_a'] and _is_complex(da):
            da = conj(da)
        if params['transpose_a']:
            da = _T(da)
        rhs = _mm(da, x) if params['left_side'] else _mm(x, da)
        dx = triangular_solve_p.bind(a, neg(rhs), **params)
        out = dx if type(out) is Zero else add(out, dx)
    return x, out


def _triangular_solve_transpose(ct, a, b, left_side, lower, transpose_a, conjugate_a,
                                unit_diagonal):
    if is_undefined(a):
        raise TypeError("triangular_solve is linear in b only, not in the matrix a")
    if type(ct) is Zero:
        return [None, None]
    # x = op(a)^-1 b is linear in b; its transpose solves with op(a)^T instead
    ct_b = triangular_solve_p.bind(a, ct, left_side=left_side, lower=lower,
                                   transpose_a=not transpose_a, conjugate_a=conjugate_a,
                                   unit_diagonal=unit_diagonal)
    return [None, unbroadcast(ct_b, b.aval)]


def _triangular_solve_batch(axis, vals, dims, **params):
    # Leading dimensions broadcast, so an unbatched operand needs nothing; a batched one
    # gets its batch axis at the front, padded with size-1 axes so that its own leading
    # dimensions line up with the other operand's.
    ranks = [ndim_of(v) - (d is not not_mapped) for v, d in zip(vals, dims)]
    lead = max(r - 2 for r in ranks)
    new = []
    for v, d, r in zip(vals, dims, ranks):
        if d is not not_mapped:
            v = moveaxis_to_front(v, d)
            if r - 2 < lead:
                s = tuple(shape_of(v))
                v = reshape(v, s[:1] + (1,) * (lead - r + 2) + s[1:])
        new.append(v)
    return triangular_solve_p.bind(*new, **params), 0


triangular_solve_p = Primitive('triangular_solve')
triangular_solve_p.impl = _triangular_solve_impl
triangular_solve_p.abstract_eval = _triangular_solve_abstract_eval
triangular_solve_p.jvp = _triangular_solve_jvp
triangular_solve_p.transpose = _triangular_solve_transpose
triangular_solve_p.batch = _triangular_solve_batch
triangular_solve_p.codegen = None


def triangular_solve(a, b, *, left_side=False, lower=False, transpose_a=False,
                     conjugate_a=False, unit_diagonal=False):
    """Solve ``op(a) @ x = b`` (``left_side=True``) or ``x @ op(a) = b`` for ``x``, where
    ``a`` is triangular (only its ``lower`` or upper triangle is read) and ``op`` transposes
    and/or conjugates it.  Leading (batch) dimensions of ``a`` and ``b`` broadcast.

    >>> triangular_solve(jnp.array([[2., 0.], [1., 1.]]), jnp.array([[2.], [3.]]),
    ...                  left_side=True, lower=True)
    Array([[1.],
           [2.]], dtype=float32)
    """
    return triangular_solve_p.bind(a, b, left_side=bool(left_side), lower=bool(lower),
                                   transpose_a=bool(transpose_a),
                                   conjugate_a=bool(conjugate_a),
                                   unit_diagonal=bool(unit_diagonal))


# --- lu and lu_pivots_to_permutation -------------------------------------------------------

def _pivots_to_permutation(pivots, m):
    """Apply LAPACK's row swaps ``i <-> pivots[i]`` to ``arange(m)``."""
    if pivots.ndim == 1:
        perm = list(range(m))
        for i, p in enumerate(pivots.tolist()):
            perm[i], perm[p] = perm[p], perm[i]
        return np.array(perm, np.int32)
    # a stack: one swap at a time, for all matrices at once
    batch = pivots.shape[:-1]
    if pivots.size == 0 or m == 0:
        return np.broadcast_to(np.arange(m, dtype=np.int32), batch + (m,)).copy()
    flat = np.broadcast_to(np.arange(m, dtype=np.int32), batch + (m,)).reshape(-1, m).copy()
    piv = pivots.reshape(-1, pivots.shape[-1])
    rows = np.arange(flat.shape[0])
    for i in range(piv.shape[-1]):
        j = piv[:, i]
        pi, pj = flat[rows, i].copy(), flat[rows, j].copy()
        flat[rows, i], flat[rows, j] = pj, pi
    return flat.reshape(batch + (m,))


def _lu_impl(a):
    _require_lapack(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    getrf = _routine('lapack', 'getrf', a.dtype)
    # getrf's info > 0 only says that U is singular: JAX returns the factors as they are
    if a.ndim == 2 and a.size:
        lu_, piv, _ = getrf(a)
        piv = np.asarray(piv, np.int32)
        return [lu_, piv, _pivots_to_permutation(piv, m)]
    lu_ = np.array(a)
    piv = np.zeros(batch + (k,), np.int32)
    if a.size:
        for idx in np.ndindex(batch):
            lu_[idx], piv[idx], _ = getrf(a[idx])
    return [lu_, piv, _pivots_to_permutation(piv, m)]


def _lu_abstract_eval(a):
    _check_operand('lu', a)
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    return [ShapedArray(a.shape, a.dtype), ShapedArray(batch + (min(m, n),), np.int32),
            ShapedArray(batch + (m,), np.int32)]


def _lu_square_factors(lu_):
    """The unit lower ``m x m`` and upper ``n x n`` factors of a packed (possibly
    rectangular) LU, completed with identity blocks so that both are invertible."""
    m, n = shape_of(lu_)[-2:]
    if m == n:
        return add(_tril(lu_, -1), _eye_like(lu_, m)), _triu(lu_)
    k = min(m, n)
    embed = _eye_like(lu_, n, m)  # zero-padding / truncating matmuls; exact
    low = add(_mm(_tril(lu_, -1), embed), _eye_like(lu_, m))
    corner = np.diag((np.arange(n) >= k).astype(np.float64))
    up = add(_mm(embed, _triu(lu_)), _const(corner, _dtype(lu_)))
    return low, up


def _lu_jvp(primals, tangents):
    # a[perm] = L U.  With W = L^-1 a'[perm] U^-1 (L, U completed to square matrices):
    # L' = L tril(W, -1) and U' = triu(W) U, packed together like lu itself.
    a, = primals
    t, = tangents
    outs = lu_p.bind(a)
    lu_, _, perm = outs
    zeros = _zeros_out(outs)
    if type(t) is Zero:
        return outs, zeros
    low, up = _lu_square_factors(lu_)
    x = _permute_rows(perm, t)
    w = triangular_solve(low, x, left_side=True, lower=True, unit_diagonal=True)
    w = triangular_solve(up, w, left_side=False, lower=False)
    lu_dot = add(_mm(low, _tril(w, -1)), _mm(_triu(w), up))
    return outs, [lu_dot, zeros[1], zeros[2]]


lu_p = _declare('lu', _lu_impl, _lu_abstract_eval, _lu_jvp, multiple_results=True)


def lu(x):
    """LU decomposition with partial pivoting: returns ``(lu, pivots, permutation)`` where
    ``lu`` packs the unit lower factor ``L`` (below the diagonal) and the upper factor ``U``,
    ``pivots`` are LAPACK's row swaps and ``x[..., permutation, :] == L @ U``.

    >>> lu_, piv, perm = lu(jnp.array([[1., 2.], [3., 4.]]))
    >>> perm
    Array([1, 0], dtype=int32)
    """
    return lu_p.bind(x)


def _l2p_impl(pivots, permutation_size):
    return _pivots_to_permutation(np.asarray(pivots), permutation_size)


def _l2p_abstract_eval(pivots, permutation_size):
    if pivots.dtype.kind not in 'iu' or pivots.ndim < 1:
        raise TypeError(f"lu_pivots_to_permutation: pivots must be an integer array of rank "
                        f">= 1, got {pivots.str_short()}.")
    if pivots.shape[-1] > permutation_size:
        raise ValueError(f"lu_pivots_to_permutation: permutation_size={permutation_size} is "
                         f"smaller than the number of pivots {pivots.shape[-1]}.")
    return ShapedArray(pivots.shape[:-1] + (permutation_size,), np.int32)


def _l2p_jvp(primals, tangents, permutation_size):
    out = lu_pivots_to_permutation_p.bind(*primals, permutation_size=permutation_size)
    return out, Zero(primal=out)


lu_pivots_to_permutation_p = _declare('lu_pivots_to_permutation', _l2p_impl,
                                      _l2p_abstract_eval, _l2p_jvp)


def lu_pivots_to_permutation(pivots, permutation_size):
    """The permutation that LAPACK-style row swaps ``pivots`` (swap row ``i`` with row
    ``pivots[i]``, in order) apply to ``arange(permutation_size)``.

    >>> lu_pivots_to_permutation(jnp.array([2, 2, 2], jnp.int32), 3)
    Array([2, 0, 1], dtype=int32)
    """
    return lu_pivots_to_permutation_p.bind(pivots, permutation_size=int(permutation_size))


def lu_solve(lu_, permutation, b, trans=0):
    """Solve ``a @ x = b`` (``trans=0``), ``a.T @ x = b`` (1) or ``a^H @ x = b`` (2) from
    the factors of ``lu(a)``; ``b`` has shape ``(..., n, k)``.

    >>> lu_, _, perm = lu(a); x = lu_solve(lu_, perm, b)
    """
    if trans == 0:
        x = _permute_rows(permutation, b)
        x = triangular_solve(lu_, x, left_side=True, lower=True, unit_diagonal=True)
        return triangular_solve(lu_, x, left_side=True, lower=False)
    if trans not in (1, 2):
        raise ValueError(f"lu_solve: trans must be 0, 1 or 2, got {trans!r}")
    # a = P^T L U, so op(a) = op(U) op(L) P
    conj_a = trans == 2
    x = triangular_solve(lu_, b, left_side=True, lower=False, transpose_a=True,
                         conjugate_a=conj_a)
    x = triangular_solve(lu_, x, left_side=True, lower=True, transpose_a=True,
                         conjugate_a=conj_a, unit_diagonal=True)
    return _mm(_T(_perm_matrix(permutation, _dtype(b))), x)


# --- qr ------------------------------------------------------------------------------------

def _qr_impl(a, full_matrices):
    _require_lapack(a)
    q, r = np.linalg.qr(a, mode='complete' if full_matrices else 'reduced')
    return [np.asarray(q, a.dtype), np.asarray(r, a.dtype)]


def _qr_abstract_eval(a, full_matrices):
    _check_operand('qr', a)
    m, n = a.shape[-2:]
    k = m if full_matrices else min(m, n)
    batch = a.shape[:-2]
    return [ShapedArray(batch + (m, k), a.dtype), ShapedArray(batch + (k, n), a.dtype)]


def _skew_part(c):
    """The skew-Hermitian ``Omega = Q^H dQ`` that goes with ``C = Q^H dA R^-1``: the strict
    lower triangle of C, minus its conjugate transpose, plus i*Im(diag C) (R's diagonal is
    real, so ``dR R^-1`` has a real diagonal)."""
    low = _tril(c, -1)
    omega = sub(low, _H(low))
    if _is_complex(c):
        omega = add(omega, _diag_matrix(complex_(_const(0, _real_dtype(_dtype(c))),
                                                 imag(_diagonal(c)))))
    return omega


def _qr_jvp(primals, tangents, full_matrices):
    a, = primals
    t, = tangents
    q, r = outs = qr_p.bind(a, full_matrices=full_matrices)
    if type(t) is Zero:
        return outs, _zeros_out(outs)
    m, n = shape_of(a)[-2:]
    if full_matrices and m > n:
        raise NotImplementedError(
            "qr: the derivative of the complete factorization (full_matrices=True, "
            "mode='complete') of a tall matrix is not unique (the extra columns of Q can "
            "rotate freely); use full_matrices=False / mode='reduced'.")
    k = min(m, n)
    r1, t1 = r, t
    if n > k:  # wide: the first k columns determine Q
        cols = _eye_like(t, n, k)
        r1, t1 = _mm(r, cols), _mm(t, cols)
    b = triangular_solve(r1, t1, left_side=False, lower=False)  # dA_1 R_1^-1
    c = _mm(_H(q), b)
    omega = _skew_part(c)
    dq = sub(b, _mm(q, sub(c, omega)))
    dr = sub(_mm(_H(q), t), _mm(omega, r))
    return outs, [dq, dr]


qr_p = _declare('qr', _qr_impl, _qr_abstract_eval, _qr_jvp, multiple_results=True)


def qr(x, *, full_matrices=True):
    """QR decomposition ``x = q @ r``: ``q`` has orthonormal columns, ``r`` is upper
    triangular.  ``full_matrices=False`` gives the reduced factors (``k = min(m, n)``).

    >>> q, r = qr(jnp.array([[3., 1.], [4., 2.]]))
    """
    return qr_p.bind(x, full_matrices=bool(full_matrices))


# --- eigh ----------------------------------------------------------------------------------

def _eigh_impl(a, lower):
    _require_lapack(a, square=True)
    w, v = np.linalg.eigh(a, UPLO='L' if lower else 'U')
    return [np.asarray(v, a.dtype), np.asarray(w, _real_dtype(a.dtype))]


def _eigh_abstract_eval(a, lower):
    _check_operand('eigh', a, square=True)
    return [ShapedArray(a.shape, a.dtype),
            ShapedArray(a.shape[:-1], _real_dtype(a.dtype))]


def _eigh_jvp(primals, tangents, lower):
    # With C = V^H S' V: w' = Re diag(C), V' = V (F o C), F_ij = 1/(w_j - w_i) (0 on the
    # diagonal, so V^H V' has a zero diagonal: the phase convention of the derivative).
    a, = primals
    t, = tangents
    v, w = outs = eigh_p.bind(a, lower=lower)
    if type(t) is Zero:
        return outs, _zeros_out(outs)
    c = _mm(_mm(_H(v), _hermitian_part(t, lower)), v)
    dw = _diagonal(c)
    if _is_complex(dw):
        dw = real(dw)
    f = _as_dtype(_reciprocal_gaps(w), _dtype(v))
    return outs, [_mm(v, mul(f, c)), dw]


eigh_p = _declare('eigh', _eigh_impl, _eigh_abstract_eval, _eigh_jvp, multiple_results=True)


def eigh(x, *, lower=True, symmetrize_input=True, sort_eigenvalues=True):
    """Eigendecomposition of a Hermitian matrix: returns ``(v, w)``, eigenvectors in the
    columns of ``v`` and real eigenvalues ``w`` in ascending order, ``x @ v = v * w``
    (LAPACK always sorts them; ``sort_eigenvalues`` is accepted for compatibility).

    >>> v, w = eigh(jnp.array([[2., 1.], [1., 2.]]))
    >>> w
    Array([1., 3.], dtype=float32)
    """
    if symmetrize_input:
        x = symmetrize(x)
    v, w = eigh_p.bind(x, lower=bool(lower))
    return v, w


# --- svd -----------------------------------------------------------------------------------

def _svd_impl(a, full_matrices, compute_uv):
    _require_lapack(a)
    rdt = _real_dtype(a.dtype)
    if not compute_uv:
        return [np.asarray(np.linalg.svd(a, compute_uv=False), rdt)]
    u, s, vt = np.linalg.svd(a, full_matrices=full_matrices)
    return [np.asarray(s, rdt), np.asarray(u, a.dtype), np.asarray(vt, a.dtype)]


def _svd_abstract_eval(a, full_matrices, compute_uv):
    _check_operand('svd', a)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    s = ShapedArray(batch + (k,), _real_dtype(a.dtype))
    if not compute_uv:
        return [s]
    ku, kv = (m, n) if full_matrices else (k, k)
    return [s, ShapedArray(batch + (m, ku), a.dtype), ShapedArray(batch + (kv, n), a.dtype)]


def _svd_jvp(primals, tangents, full_matrices, compute_uv):
    # A = U S V^H with dP = U^H A' V:  s' = Re diag(dP);
    # U' = U (F o (dP S + S dP^H)) + (I - U U^H) A' V S^-1,
    # V' = V (F o (S dP + dP^H S)) + (I - V V^H) A'^H U S^-1,  F_ij = 1/(s_j^2 - s_i^2);
    # complex: U' also gets U i Im(diag dP)/s, so that V^H V' has a zero diagonal.
    a, = primals
    t, = tangents
    m, n = shape_of(a)[-2:]
    if full_matrices and compute_uv and m != n:
        raise NotImplementedError(
            "svd: the derivative of the full factorization (full_matrices=True) of a "
            "non-square matrix is not unique; use full_matrices=False.")
    s, u, vt = svd_p.bind(a, full_matrices=False, compute_uv=True)
    outs = [s, u, vt] if compute_uv else [s]
    if type(t) is Zero:
        return outs, _zeros_out(outs)
    dtype = _dtype(a)
    v = _H(vt)
    dp = _mm(_mm(_H(u), t), v)
    ds = _diagonal(dp)
    if _is_complex(ds):
        ds = real(ds)
    if not compute_uv:
        return outs, [ds]
    k = shape_of(s)[-1]
    lead = tuple(shape_of(s)[:-1])
    s_row = _as_dtype(reshape(s, lead + (1, k)), dtype)   # multiplies column j by s_j
    s_col = _as_dtype(reshape(s, lead + (k, 1)), dtype)   # multiplies row i by s_i
    f = _as_dtype(_reciprocal_gaps(mul(s, s)), dtype)
    dp_s, s_dp = mul(dp, s_row), mul(s_col, dp)
    du = _mm(u, mul(f, add(dp_s, _H(dp_s))))
    dv = _mm(v, mul(f, add(s_dp, _H(s_dp))))
    s_inv = _as_dtype(_inv_safe(s), dtype)
    if _is_complex(dp):
        phase = complex_(_const(0, _real_dtype(dtype)), imag(_diagonal(dp)))
        du = add(du, mul(u, reshape(mul(phase, s_inv), lead + (1, k))))
    s_inv_row = reshape(s_inv, lead + (1, k))
    if m > k:
        tv = _mm(t, v)
        du = add(du, mul(sub(tv, _mm(u, _mm(_H(u), tv))), s_inv_row))
    if n > k:
        tu = _mm(_H(t), u)
        dv = add(dv, mul(sub(tu, _mm(v, _mm(vt, tu))), s_inv_row))
    return outs, [ds, du, _H(dv)]


svd_p = _declare('svd', _svd_impl, _svd_abstract_eval, _svd_jvp, multiple_results=True)


def svd(x, *, full_matrices=True, compute_uv=True):
    """Singular value decomposition ``x = u @ diag(s) @ vh``: returns ``(u, s, vh)``, or just
    ``s`` (descending) when ``compute_uv=False``.

    >>> u, s, vh = svd(jnp.array([[3., 0.], [0., -2.]]))
    >>> s
    Array([3., 2.], dtype=float32)
    """
    outs = svd_p.bind(x, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))
    if not compute_uv:
        return outs[0]
    s, u, vt = outs
    return u, s, vt


# --- eig -----------------------------------------------------------------------------------

def _eig_impl(a):
    _require_lapack(a, square=True)
    w, v = np.linalg.eig(a)
    cdt = _complex_dtype(a.dtype)
    return [np.asarray(w, cdt), np.asarray(v, cdt)]


def _eig_abstract_eval(a):
    _check_operand('eig', a, square=True)
    cdt = _complex_dtype(a.dtype)
    return [ShapedArray(a.shape[:-1], cdt), ShapedArray(a.shape, cdt)]


def _eig_jvp(primals, tangents):
    # With C = V^-1 A' V: w' = diag(C), V' = V (F o C) with F_ij = 1/(w_j - w_i), then
    # each column made orthogonal (in the real inner product) to its column of V, so that
    # the eigenvectors keep unit norm, as LAPACK returns them.
    a, = primals
    t, = tangents
    w, v = outs = eig_p.bind(a)
    if type(t) is Zero:
        return outs, _zeros_out(outs)
    cdt = _dtype(v)
    lu_, _, perm = lu_p.bind(v)
    c = lu_solve(lu_, perm, _mm(_as_dtype(t, cdt), v))
    dw = _diagonal(c)
    dv = _mm(v, mul(_reciprocal_gaps(w), c))
    n = shape_of(v)[-1]
    norm_change = real(reduce_sum(mul(conj(v), dv), (ndim_of(v) - 2,)))
    lead = tuple(shape_of(v)[:-2])
    dv = sub(dv, mul(v, _as_dtype(reshape(norm_change, lead + (1, n)), cdt)))
    return outs, [dw, dv]


eig_p = _declare('eig', _eig_impl, _eig_abstract_eval, _eig_jvp, multiple_results=True)


def eig(x):
    """Eigendecomposition of a general square matrix: returns complex ``(w, v)`` with
    ``x @ v = v * w``; each eigenvector (column of ``v``) has unit norm.

    >>> w, v = eig(jnp.array([[0., 1.], [-1., 0.]]))
    >>> w
    Array([0.+1.j, 0.-1.j], dtype=complex64)
    """
    w, v = eig_p.bind(x)
    return w, v
