"""``pullback.scipy.linalg``: SciPy's linear algebra on the ``pullback.lax.linalg``
primitives, differentiable and usable under every transformation.

Differences from ``pullback.numpy.linalg`` follow SciPy: ``cholesky`` returns the *upper*
factor by default and, like ``eigh``, reads one triangle of its input without symmetrizing
it; ``lu`` returns a permutation matrix.  A 1-D right-hand side ``b`` is one vector; any
other ``b`` is a (stack of) matrices, ``(..., N, K)``.

    >>> import pullback.scipy.linalg as jsl
    >>> jsl.expm(jnp.zeros((2, 2)))
    Array([[1., 0.],
           [0., 1.]], dtype=float32)
"""
import math

import numpy as np

from .. import dtypes
from .. import lax
from .. import numpy as jnp
from .._core.errors import ConcretizationTypeError, TracerArrayConversionError
from ..lax import linalg as lax_linalg
from ..numpy import linalg as np_linalg
from ..numpy.linalg import _matrix, _inexact, _solve_rhs, _unvector, _H, _mT, _matmul

__all__ = ['cholesky', 'cho_factor', 'cho_solve', 'solve_triangular', 'lu', 'lu_factor',
           'lu_solve', 'solve', 'inv', 'det', 'qr', 'svd', 'eigh', 'expm', 'block_diag']


def _tri(x, lower):
    return lax_linalg._tril(x) if lower else lax_linalg._triu(x)


# --- Cholesky ------------------------------------------------------------------------------

def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """Cholesky factor of a Hermitian positive-definite matrix: upper ``U`` with
    ``a = U^H @ U`` (default), or lower ``L`` with ``a = L @ L^H``.  Only the ``lower`` (or
    upper) triangle of ``a`` is read.

    >>> cholesky(jnp.array([[4., 2.], [2., 3.]]))
    Array([[2.       , 1.       ],
           [0.       , 1.4142135]], dtype=float32)
    """
    a = _matrix('cholesky', a, square=True)
    if lower:
        return lax_linalg.cholesky(a, symmetrize_input=False)
    # the upper triangle of a, conjugate-transposed, is the lower triangle of a^H
    return _H(lax_linalg.cholesky(_H(a), symmetrize_input=False))


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``(c, lower)`` for ``cho_solve``: ``c`` is the Cholesky factor (the other triangle is
    zero)."""
    return cholesky(a, lower=lower), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve ``a @ x = b`` from ``cho_factor(a)``.

    >>> cho_solve(cho_factor(a), b)
    """
    c, lower = c_and_lower
    c, b = _inexact('cho_solve', c, b)
    c = _matrix('cho_solve', c, square=True)
    b, was_vector = _solve_rhs('cho_solve', c, b)
    if lower:   # a = L L^H
        y = lax_linalg.triangular_solve(c, b, left_side=True, lower=True)
        x = lax_linalg.triangular_solve(c, y, left_side=True, lower=True, transpose_a=True,
                                        conjugate_a=True)
    else:       # a = U^H U
        y = lax_linalg.triangular_solve(c, b, left_side=True, lower=False, transpose_a=True,
                                        conjugate_a=True)
        x = lax_linalg.triangular_solve(c, y, left_side=True, lower=False)
    return _unvector(x, was_vector)


# --- Triangular and general solves ---------------------------------------------------------

_TRANS = {0: 0, 'N': 0, 1: 1, 'T': 1, 2: 2, 'C': 2}


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     debug=None, check_finite=True):
    """Solve ``op(a) @ x = b`` for triangular ``a`` (only the ``lower`` or upper triangle is
    read): ``trans`` 0/'N' (a), 1/'T' (a.T) or 2/'C' (a^H).

    >>> solve_triangular(jnp.array([[2., 0.], [1., 1.]]), jnp.array([2., 3.]), lower=True)
    Array([1., 2.], dtype=float32)
    """
    if trans not in _TRANS:
        raise ValueError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C'; got "
                         f"{trans!r}")
    trans = _TRANS[trans]
    a, b = _inexact('solve_triangular', a, b)
    a = _matrix('solve_triangular', a, square=True)
    b, was_vector = _solve_rhs('solve_triangular', a, b)
    x = lax_linalg.triangular_solve(a, b, left_side=True, lower=lower,
                                    transpose_a=trans > 0, conjugate_a=trans == 2,
                                    unit_diagonal=unit_diagonal)
    return _unvector(x, was_vector)


def lu_factor(a, overwrite_a=False, check_finite=True):
    """``(lu, piv)``: the packed LU factors and LAPACK's 0-based row swaps (int32).

    >>> lu_, piv = lu_factor(jnp.array([[1., 2.], [3., 4.]]))
    """
    a = _matrix('lu_factor', a)
    lu_, piv, _ = lax_linalg.lu(a)
    return lu_, piv


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """Solve ``op(a) @ x = b`` from ``lu_factor(a)``; ``trans`` 0 (a), 1 (a.T) or 2 (a^H)."""
    lu_, piv = lu_and_piv
    if trans not in _TRANS:
        raise ValueError(f"lu_solve: trans must be 0, 1 or 2; got {trans!r}")
    lu_, b = _inexact('lu_solve', lu_, b)
    lu_ = _matrix('lu_solve', lu_, square=True)
    b, was_vector = _solve_rhs('lu_solve', lu_, b)
    perm = lax_linalg.lu_pivots_to_permutation(jnp.asarray(piv), lu_.shape[-1])
    return _unvector(lax_linalg.lu_solve(lu_, perm, b, _TRANS[trans]), was_vector)


def lu(a, permute_l=False, overwrite_a=False, check_finite=True):
    """``(p, l, u)`` with ``a = p @ l @ u``: ``p`` a permutation matrix, ``l`` unit lower
    ``(M, K)``, ``u`` upper ``(K, N)``, ``K = min(M, N)``; ``(p @ l, u)`` if ``permute_l``.

    >>> p, l, u = lu(jnp.array([[1., 2.], [3., 4.]]))
    """
    a = _matrix('lu', a)
    lu_, _, perm = lax_linalg.lu(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = tuple(a.shape[:-2])
    nb = len(batch)
    eye = jnp.asarray(np.eye(m, k), a.dtype)
    l = lax.add(lax_linalg._tril(lax.slice(lu_, (0,) * nb + (0, 0), batch + (m, k)), -1), eye)
    u = lax_linalg._triu(lax.slice(lu_, (0,) * nb + (0, 0), batch + (k, n)))
    p = _mT(lax_linalg._perm_matrix(perm, a.dtype))
    if permute_l:
        return _matmul(p, l), u
    return p, l, u


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, debug=False,
          check_finite=True, assume_a='gen'):
    """Solve ``a @ x = b``.  ``assume_a``: 'gen' (LU), 'pos' (Cholesky of the ``lower`` or
    upper triangle), 'sym'/'her' (the ``lower`` or upper triangle mirrored, then LU),
    'lower triangular' / 'upper triangular', 'diagonal'.

    >>> solve(jnp.array([[3., 1.], [1., 2.]]), jnp.array([9., 8.]))
    Array([2., 3.], dtype=float32)
    """
    a, b = _inexact('solve', a, b)
    a = _matrix('solve', a, square=True)
    if assume_a in ('gen', 'general', None):
        b, was_vector = _solve_rhs('solve', a, b)
        lu_, _, perm = lax_linalg.lu(a)
        return _unvector(lax_linalg.lu_solve(lu_, perm, b), was_vector)
    if assume_a in ('pos', 'positive definite'):
        return cho_solve(cho_factor(a, lower=lower), b)
    if assume_a in ('sym', 'symmetric', 'her', 'hermitian'):
        tri = _tri(a, lower)
        strict = lax_linalg._tril(a, -1) if lower else lax_linalg._triu(a, 1)
        other = _mT(strict) if assume_a in ('sym', 'symmetric') else _H(strict)
        return solve(lax.add(tri, other), b)
    if assume_a in ('lower triangular', 'upper triangular'):
        return solve_triangular(a, b, lower=assume_a.startswith('lower'))
    if assume_a == 'diagonal':
        b2, was_vector = _solve_rhs('solve', a, b)
        d = lax_linalg._diagonal(a)
        x = lax.div(b2, lax.reshape(d, tuple(d.shape) + (1,)))
        return _unvector(x, was_vector)
    raise ValueError(f"solve: unsupported assume_a={assume_a!r}; use 'gen', 'sym', 'her', "
                     f"'pos', 'lower triangular', 'upper triangular' or 'diagonal'.")


def inv(a, overwrite_a=False, check_finite=True):
    """The inverse of a square matrix."""
    return np_linalg.inv(a)


def det(a, overwrite_a=False, check_finite=True):
    """The determinant of a square matrix."""
    return np_linalg.det(a)


# --- Decompositions ------------------------------------------------------------------------

def qr(a, overwrite_a=False, lwork=None, mode='full', pivoting=False, check_finite=True):
    """QR decomposition: ``mode`` 'full' gives ``(q, r)`` with square ``q``, 'economic' the
    reduced factors, 'r' the 1-tuple ``(r,)`` of the full ``r``.

    >>> q, r = qr(jnp.array([[3., 1.], [4., 2.]]))
    """
    if pivoting:
        raise NotImplementedError("qr: pivoting=True is not supported")
    if mode not in ('full', 'economic', 'r'):
        raise ValueError(f"qr: unsupported mode {mode!r}; use 'full', 'economic' or 'r'.")
    a = _matrix('qr', a)
    q, r = lax_linalg.qr(a, full_matrices=(mode != 'economic'))
    return (r,) if mode == 'r' else (q, r)


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True,
        lapack_driver='gesdd'):
    """Singular value decomposition: ``(u, s, vh)`` or ``s``."""
    out = np_linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(out) if compute_uv else out


def eigh(a, b=None, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False,
         turbo=True, eigvals=None, type=1, check_finite=True):
    """Eigenvalues (ascending) and eigenvectors of a Hermitian matrix, reading its ``lower``
    (or upper) triangle.  With ``b`` (Hermitian positive definite), the generalized
    problem ``a v = w b v``, whose eigenvectors are ``b``-orthonormal.

    >>> w, v = eigh(jnp.array([[2., 1.], [1., 2.]]))
    """
    if eigvals is not None:
        raise NotImplementedError("eigh: the eigvals (subset) argument is not supported")
    if type != 1:
        raise NotImplementedError(f"eigh: only type=1 (a v = w b v) is supported, got {type}")
    a = _matrix('eigh', a, square=True)
    if b is None:
        v, w = lax_linalg.eigh(a, lower=lower, symmetrize_input=False)
    else:
        a, b = _inexact('eigh', a, b)
        b = _matrix('eigh', b, square=True)
        # b = L L^H turns it into the standard problem for C = L^-1 a L^-H, v = L^-H y
        L = cholesky(b, lower=lower) if lower else _H(cholesky(b, lower=False))
        a_full = lax.add(_tri(a, lower), _H(lax_linalg._tril(a, -1) if lower
                                           else lax_linalg._triu(a, 1)))
        c = lax_linalg.triangular_solve(L, a_full, left_side=True, lower=True)
        c = lax_linalg.triangular_solve(L, c, left_side=False, lower=True, transpose_a=True,
                                        conjugate_a=True)
        y, w = lax_linalg.eigh(c, symmetrize_input=True)
        v = lax_linalg.triangular_solve(L, y, left_side=True, lower=True, transpose_a=True,
                                        conjugate_a=True)
    return w if eigvals_only else (w, v)


# --- Matrix exponential --------------------------------------------------------------------

def _pade_coefficients(m):
    """Coefficients b_j of the [m/m] Pade approximant of exp: p(x) = sum b_j x^j and
    q(x) = p(-x)."""
    f = math.factorial
    return [f(2 * m - j) * f(m) / (f(2 * m) * f(j) * f(m - j)) for j in range(m + 1)]


# degree and the largest 1-norm it handles within unit roundoff (Higham 2005, 2009)
_PADE = {'single': (7, 3.925724783138660), 'double': (13, 5.371920351148152)}


def _pade(a, m):
    """``(U, V)``: the odd and even parts of the Pade numerator, evaluated with the powers
    A^2, A^4, A^6 (Higham's scheme: 6 products for degree 13, 3 for degree 7)."""
    b = _pade_coefficients(m)
    n = a.shape[-1]
    eye = lax.broadcast_to(jnp.asarray(np.eye(n), a.dtype), tuple(a.shape))
    a2 = _matmul(a, a)
    a4 = _matmul(a2, a2)
    a6 = _matmul(a4, a2)

    def comb(*terms):
        out = None
        for c, x in terms:
            t = lax.mul(x, jnp.asarray(c, a.dtype))
            out = t if out is None else lax.add(out, t)
        return out

    if m == 7:
        u = _matmul(a, comb((b[7], a6), (b[5], a4), (b[3], a2), (b[1], eye)))
        v = comb((b[6], a6), (b[4], a4), (b[2], a2), (b[0], eye))
        return u, v
    u_hi = _matmul(a6, comb((b[13], a6), (b[11], a4), (b[9], a2)))
    u = _matmul(a, lax.add(u_hi, comb((b[7], a6), (b[5], a4), (b[3], a2), (b[1], eye))))
    v_hi = _matmul(a6, comb((b[12], a6), (b[10], a4), (b[8], a2)))
    v = lax.add(v_hi, comb((b[6], a6), (b[4], a4), (b[2], a2), (b[0], eye)))
    return u, v


def _concrete_max(x):
    """``max(x)`` as a Python int if ``x``'s value is known now (eagerly, or under grad),
    else None (under jit or vmap)."""
    try:
        return int(np.max(np.asarray(x)))
    except (ConcretizationTypeError, TracerArrayConversionError):
        return None


def expm(A, *, upper_triangular=False, max_squarings=16):
    """Matrix exponential by scaling and squaring with a Pade approximant (degree 13 in
    double precision, 7 in single), built from matrix products and a solve, so it is
    differentiable.  Matrices whose norm needs more than ``max_squarings`` squarings give
    NaNs.  ``upper_triangular`` is accepted for compatibility.

    >>> expm(jnp.array([[0., 1.], [0., 0.]]))
    Array([[1., 1.],
           [0., 1.]], dtype=float32)
    """
    a = _matrix('expm', A, square=True)
    double = dtypes.real_dtype(a.dtype) == np.float64
    m, theta = _PADE['double' if double else 'single']
    # s = max(0, ceil(log2(|A|_1 / theta))) squarings, per matrix; piecewise constant,
    # so no derivative flows through it
    norm1 = jnp.max(jnp.sum(lax.abs(lax.stop_gradient(a)), axis=-2), axis=-1)
    tiny = float(np.finfo(norm1.dtype).tiny)
    ratio = lax.div(lax.max(norm1, jnp.asarray(tiny, norm1.dtype)),
                    jnp.asarray(theta, norm1.dtype))
    s = lax.max(lax.ceil(lax.div(lax.log(ratio), jnp.asarray(math.log(2.), norm1.dtype))),
                jnp.asarray(0, norm1.dtype))
    lead = tuple(s.shape)
    scale = lax.pow(jnp.asarray(2, s.dtype), lax.neg(s))
    a = lax.mul(a, lax.convert_element_type(lax.reshape(scale, lead + (1, 1)), a.dtype))
    u, v = _pade(a, m)
    r = np_linalg.solve(lax.sub(v, u), lax.add(v, u))
    # square s times: a Python loop over the known count, or a masked loop up to
    # max_squarings when the count is traced (jit, vmap)
    known = _concrete_max(s)
    count = max_squarings if known is None else min(known, max_squarings)
    s_mat = lax.reshape(s, lead + (1, 1))
    for i in range(count):
        r = lax.select_n(lax.gt(s_mat, jnp.asarray(i, s.dtype)), r, _matmul(r, r))
    too_big = lax.gt(s_mat, jnp.asarray(max_squarings, s.dtype))
    return lax.select_n(too_big, r, jnp.asarray(np.nan, a.dtype))


# --- Constructors --------------------------------------------------------------------------

def block_diag(*arrs):
    """The block-diagonal matrix of the given 2-D (or lower-rank) arrays.

    >>> block_diag(jnp.ones((1, 1)), 2 * jnp.ones((2, 2)))
    """
    if not arrs:
        return jnp.zeros((1, 0))
    arrs = [jnp.atleast_2d(jnp.asarray(a)) for a in arrs]
    for i, x in enumerate(arrs):
        if x.ndim != 2:
            raise ValueError(f"block_diag: argument {i} has shape {tuple(x.shape)}; arguments "
                             f"must have rank <= 2.")
    dtype = dtypes.result_type(*arrs)
    arrs = [lax.convert_element_type(x, dtype) for x in arrs]
    total = sum(x.shape[1] for x in arrs)
    rows, left = [], 0
    for x in arrs:
        right = total - left - x.shape[1]
        zero = jnp.asarray(0, dtype)
        rows.append(lax.pad(x, zero, ((0, 0, 0), (left, right, 0))))
        left += x.shape[1]
    return lax.concatenate(rows, 0)
