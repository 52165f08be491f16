"""``pullback.numpy.linalg``: NumPy's linear algebra on the ``pullback.lax.linalg``
primitives, so every function here works under every transformation.

Every function accepts stacks of matrices (leading batch dimensions) and promotes integer
inputs to the default float type.  Factorizations are differentiable (real and complex):
``solve``, ``inv``, ``det`` and ``slogdet`` go through ``lu`` and triangular solves, ``pinv``,
``lstsq``, ``norm(ord=2 / 'nuc')`` and ``matrix_rank`` through ``svd``.

    >>> import pullback.numpy as jnp
    >>> jnp.linalg.solve(jnp.array([[3., 1.], [1., 2.]]), jnp.array([9., 8.]))
    Array([2., 3.], dtype=float32)
"""
import operator
from typing import NamedTuple

import numpy as np

from .. import dtypes
from .. import lax
from .. import numpy as jnp  # the package (siblings are looked up when called)
from .._core.core import Tracer
from ..lax import linalg as lax_linalg
from ._promote import asarray, promote_dtypes_inexact, check_arraylike

__all__ = ['cholesky', 'solve', 'inv', 'det', 'slogdet', 'eigh', 'eigvalsh', 'eig',
           'eigvals', 'svd', 'svdvals', 'qr', 'norm', 'vector_norm', 'matrix_norm', 'pinv',
           'matrix_power', 'matrix_rank', 'lstsq', 'multi_dot', 'tensorsolve', 'tensorinv',
           'cond', 'matrix_transpose', 'diagonal', 'trace', 'outer', 'matmul', 'tensordot',
           'vecdot', 'cross', 'EighResult', 'EigResult', 'SVDResult', 'QRResult',
           'SlogdetResult']


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class EigResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


class QRResult(NamedTuple):
    Q: object
    R: object


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


# --- Helpers -------------------------------------------------------------------------------

def _inexact(fn, *args):
    check_arraylike(f"linalg.{fn}", *args)
    return promote_dtypes_inexact(*[asarray(a) for a in args])


def _matrix(fn, a, square=False):
    """``a`` as an inexact array of rank >= 2 (square if asked), or a ValueError naming the
    function and the shape."""
    a, = _inexact(fn, a)
    if a.ndim < 2:
        raise ValueError(f"linalg.{fn}: the input must be a matrix or a stack of matrices "
                         f"(rank >= 2), got an array of shape {tuple(a.shape)}.")
    if square and a.shape[-1] != a.shape[-2]:
        raise ValueError(f"linalg.{fn}: the input must be a square matrix or a stack of "
                         f"square matrices, shape (..., N, N); got shape {tuple(a.shape)}.")
    return a


# stacked-matrix helpers shared with the primitives' rules
_mT = lax_linalg._T            # swap the last two axes
_H = lax_linalg._H             # conjugate transpose
_matmul = lax_linalg._mm       # a @ b over stacks, leading axes broadcast
_diag = lax_linalg._diagonal   # (..., m, n) -> (..., min(m, n))


def _eye(n, dtype):
    return asarray(np.eye(n), dtype)


def _eps(dtype):
    return float(np.finfo(dtypes.real_dtype(dtype)).eps)


def _solve_rhs(fn, a, b):
    """``b`` as a stack of column blocks for ``a``: returns (b with shape (..., N, K),
    whether b was a vector).  A 1-D ``b`` is one vector (as in NumPy 2 and JAX)."""
    n = a.shape[-1]
    if b.ndim == 1:
        if b.shape[0] != n:
            raise ValueError(f"linalg.{fn}: a has shape {tuple(a.shape)}, so a vector b must "
                             f"have shape ({n},); got {tuple(b.shape)}.")
        return lax.reshape(b, (n, 1)), True
    if b.ndim == 0 or b.shape[-2] != n:
        raise ValueError(f"linalg.{fn}: a has shape {tuple(a.shape)}, so b must have shape "
                         f"({n},) or (..., {n}, K); got {tuple(b.shape)}.")
    return b, False


def _unvector(x, was_vector):
    return lax.reshape(x, tuple(x.shape[:-1])) if was_vector else x


# --- Decompositions ------------------------------------------------------------------------

def cholesky(a, *, upper=False, symmetrize_input=True):
    """Cholesky factor of a Hermitian positive-definite matrix: lower ``L`` with
    ``a = L @ L^H`` (or upper ``U = L^H`` with ``upper=True``); NaNs if ``a`` is not positive
    definite.  ``a`` is first symmetrized, ``(a + a^H) / 2``.

    >>> jnp.linalg.cholesky(jnp.array([[4., 2.], [2., 3.]]))
    Array([[2.       , 0.       ],
           [1.       , 1.4142135]], dtype=float32)
    """
    a = _matrix('cholesky', a, square=True)
    L = lax_linalg.cholesky(a, symmetrize_input=symmetrize_input)
    return _H(L) if upper else L


def qr(a, mode='reduced'):
    """QR decomposition ``a = Q @ R``.  ``mode``: 'reduced' (K = min(M, N) columns of Q),
    'complete' (square Q) or 'r' (R only).

    >>> Q, R = jnp.linalg.qr(jnp.array([[3., 1.], [4., 2.]]))
    """
    a = _matrix('qr', a)
    if mode not in ('reduced', 'complete', 'r'):
        raise ValueError(f"linalg.qr: unsupported mode {mode!r}; use 'reduced', 'complete' "
                         f"or 'r'.")
    q, r = lax_linalg.qr(a, full_matrices=(mode == 'complete'))
    return r if mode == 'r' else QRResult(q, r)


def eigh(a, UPLO=None, symmetrize_input=True):
    """Eigenvalues (ascending) and eigenvectors (columns) of a Hermitian matrix.  ``UPLO``
    ('L' or 'U') picks the triangle read when ``symmetrize_input=False``.  Eigenvector
    derivatives need distinct eigenvalues; those of complex eigenvectors fix their phases
    by a convention of their own, so differentiate phase-independent functions of them.

    >>> w, v = jnp.linalg.eigh(jnp.array([[2., 1.], [1., 2.]]))
    >>> w
    Array([1., 3.], dtype=float32)
    """
    a = _matrix('eigh', a, square=True)
    if UPLO is None:
        UPLO = 'L'
    if UPLO not in ('L', 'U'):
        raise ValueError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    v, w = lax_linalg.eigh(a, lower=(UPLO == 'L'), symmetrize_input=symmetrize_input)
    return EighResult(w, v)


def eigvalsh(a, UPLO='L', *, symmetrize_input=True):
    """Eigenvalues (ascending) of a Hermitian matrix."""
    return eigh(a, UPLO, symmetrize_input).eigenvalues


def eig(a):
    """Eigenvalues and right eigenvectors (unit-norm columns) of a general square matrix,
    always complex.  Eigenvector derivatives fix the phase convention arbitrarily: use
    phase-independent functions of them under differentiation.

    >>> w, v = jnp.linalg.eig(jnp.array([[0., 1.], [-1., 0.]]))
    """
    a = _matrix('eig', a, square=True)
    w, v = lax_linalg.eig(a)
    return EigResult(w, v)


def eigvals(a):
    """Eigenvalues of a general square matrix (complex)."""
    return eig(a).eigenvalues


def svd(a, full_matrices=True, compute_uv=True, hermitian=False, subset_by_index=None):
    """Singular value decomposition ``a = U @ diag(S) @ Vh`` with ``S`` descending; just
    ``S`` when ``compute_uv=False``.  ``hermitian`` is accepted for compatibility (the
    general algorithm is used).  Derivatives need ``full_matrices=False`` (or square ``a``).

    >>> U, S, Vh = jnp.linalg.svd(jnp.array([[3., 0.], [0., -2.]]))
    >>> S
    Array([3., 2.], dtype=float32)
    """
    a = _matrix('svd', a)
    if subset_by_index is not None:
        raise NotImplementedError("linalg.svd: subset_by_index is not supported")
    if not compute_uv:
        return lax_linalg.svd(a, full_matrices=full_matrices, compute_uv=False)
    u, s, vh = lax_linalg.svd(a, full_matrices=full_matrices, compute_uv=True)
    return SVDResult(u, s, vh)


def svdvals(x, /):
    """Singular values, descending."""
    return svd(x, compute_uv=False)


# --- Solving -------------------------------------------------------------------------------

def solve(a, b):
    """Solve ``a @ x = b``.  ``a``: (..., N, N); ``b``: (N,) for one vector, or
    (..., N, K); leading dimensions broadcast.  A singular ``a`` gives infs or NaNs.

    >>> jnp.linalg.solve(jnp.array([[3., 1.], [1., 2.]]), jnp.array([9., 8.]))
    Array([2., 3.], dtype=float32)
    """
    a, b = _inexact('solve', a, b)
    a = _matrix('solve', a, square=True)
    b, was_vector = _solve_rhs('solve', a, b)
    lu_, _, perm = lax_linalg.lu(a)
    return _unvector(lax_linalg.lu_solve(lu_, perm, b), was_vector)


def inv(a):
    """The inverse of a square matrix (or of each matrix in a stack).

    >>> jnp.linalg.inv(jnp.array([[2., 0.], [0., 4.]]))
    Array([[0.5 , 0.  ],
           [0.  , 0.25]], dtype=float32)
    """
    a = _matrix('inv', a, square=True)
    lu_, _, perm = lax_linalg.lu(a)
    return lax_linalg.lu_solve(lu_, perm, _eye(a.shape[-1], a.dtype))


def _lu_parity_sign(pivots, dtype):
    """+1 or -1: the sign of the row permutation that LU's pivots describe (each pivot
    that is not its own row is one swap)."""
    swaps = lax.ne(pivots, asarray(np.arange(pivots.shape[-1], dtype=np.int32)))
    return jnp.prod(lax.select_n(swaps, asarray(1, dtype), asarray(-1, dtype)), axis=-1)


def det(a):
    """Determinant of a square matrix (or of each matrix in a stack): the cofactor formula
    for 2x2 and 3x3 matrices (exact derivatives even where ``a`` is singular), else the
    product of the LU factorization's pivots.

    >>> jnp.linalg.det(jnp.array([[1., 2.], [3., 4.]]))
    Array(-2., dtype=float32)
    """
    a = _matrix('det', a, square=True)
    if a.shape[-1] in (2, 3):
        return _det_small(a)
    lu_, pivots, _ = lax_linalg.lu(a)
    return lax.mul(_lu_parity_sign(pivots, a.dtype), jnp.prod(_diag(lu_), axis=-1))


def _det_small(a):
    lead = tuple(a.shape[:-2])
    nb = len(lead)

    def e(i, j):
        return lax.reshape(lax.slice(a, (0,) * nb + (i, j), lead + (i + 1, j + 1)), lead)

    def minor(r0, r1, c0, c1):
        return lax.sub(lax.mul(e(r0, c0), e(r1, c1)), lax.mul(e(r0, c1), e(r1, c0)))

    if a.shape[-1] == 2:
        return minor(0, 1, 0, 1)
    # expansion along the first row
    return lax.add(lax.sub(lax.mul(e(0, 0), minor(1, 2, 1, 2)),
                           lax.mul(e(0, 1), minor(1, 2, 0, 2))),
                   lax.mul(e(0, 2), minor(1, 2, 0, 1)))


def slogdet(a, *, method=None):
    """Sign (a unit complex number for complex input; 0 if singular) and natural log of the
    absolute value of the determinant: ``det = sign * exp(logabsdet)``.  ``method``: 'lu'
    (default) or 'qr'.

    >>> jnp.linalg.slogdet(jnp.array([[1., 2.], [3., 4.]]))
    SlogdetResult(sign=Array(-1., dtype=float32), logabsdet=Array(0.6931471, dtype=float32))
    """
    a = _matrix('slogdet', a, square=True)
    if method in (None, 'lu'):
        lu_, pivots, _ = lax_linalg.lu(a)
        diag = _diag(lu_)
        parity = _lu_parity_sign(pivots, a.dtype)
    elif method == 'qr':
        q, r = lax_linalg.qr(a, full_matrices=False)
        diag = _diag(r)
        # det(Q) has modulus 1; its sign (phase, for complex input) comes from Q's own LU
        lu_q, piv_q, _ = lax_linalg.lu(q)
        dq = jnp.prod(_diag(lu_q), axis=-1)
        parity = lax.mul(_lu_parity_sign(piv_q, a.dtype), lax.div(dq, lax.convert_element_type(
            lax.abs(dq), a.dtype)))
    else:
        raise ValueError(f"linalg.slogdet: unknown method {method!r}; use 'lu' or 'qr'.")
    absdiag = lax.abs(diag)
    is_zero = lax.eq(absdiag, asarray(0, absdiag.dtype))
    safe = lax.select_n(is_zero, absdiag, asarray(1, absdiag.dtype))  # log(0) is -inf below
    singular = jnp.any(is_zero, axis=-1)
    logabsdet = lax.select_n(singular, jnp.sum(lax.log(safe), axis=-1),
                             asarray(-np.inf, absdiag.dtype))
    if a.dtype.kind != 'c':  # a real sign is locally constant: no derivative work for it
        diag, safe = lax.stop_gradient(diag), lax.stop_gradient(safe)
    unit = lax.div(diag, lax.convert_element_type(safe, a.dtype))
    sign = lax.mul(parity, jnp.prod(unit, axis=-1))
    sign = lax.select_n(singular, sign, asarray(0, a.dtype))
    return SlogdetResult(sign, logabsdet)


def _svd_cutoff(s, rtol, dtype, shape):
    """``rtol * max(s)`` over the last axis, kept as a trailing axis of size 1; NumPy's
    default ``rtol`` is ``max(M, N) * eps``."""
    if rtol is None:
        rtol = max(shape[-2:]) * _eps(dtype)
    rtol = asarray(rtol, s.dtype)
    if rtol.ndim:
        rtol = lax.reshape(rtol, tuple(rtol.shape) + (1,))
    lead = tuple(s.shape[:-1])
    if s.shape[-1] == 0:
        return lax.mul(rtol, asarray(np.zeros(lead + (1,)), s.dtype))
    return lax.mul(rtol, lax.reshape(jnp.max(s, axis=-1), lead + (1,)))


def _reciprocal_above(s, cutoff, keep_equal=False):
    """``1 / s`` where ``s > cutoff`` (or >=), zero elsewhere; the mask."""
    keep = (lax.ge if keep_equal else lax.gt)(s, cutoff)
    one, zero = asarray(1, s.dtype), asarray(0, s.dtype)
    return lax.select_n(keep, zero, lax.div(one, lax.select_n(keep, one, s))), keep


def pinv(a, rtol=None, hermitian=False, *, rcond=None):
    """Moore-Penrose pseudo-inverse via the SVD: singular values at most
    ``rtol * max(S)`` (default ``rtol = max(M, N) * eps``) are treated as zero.  Its
    derivative is the closed form for a matrix of locally constant rank, so it is right
    even where singular values repeat (where the SVD's own derivative is not defined).

    >>> jnp.linalg.pinv(jnp.array([[1., 0.], [0., 0.]]))
    Array([[1., 0.],
           [0., 0.]], dtype=float32)
    """
    a = _matrix('pinv', a)
    return _pinv_fn()(a, rcond if rcond is not None else rtol, False)


def _pinv_impl(a, rtol, keep_equal):
    u, s, vh = lax_linalg.svd(a, full_matrices=False)
    s_inv, _ = _reciprocal_above(s, _svd_cutoff(s, rtol, a.dtype, a.shape), keep_equal)
    s_inv = lax.convert_element_type(s_inv, a.dtype)
    scaled = lax.mul(_H(vh), lax.reshape(s_inv, tuple(s.shape[:-1]) + (1, s.shape[-1])))
    return _matmul(scaled, _H(u))


def _pinv_jvp(rtol, keep_equal, primals, tangents):
    # d(A+) = -A+ dA A+ + (I - A+ A) dA^H A+^H A+ + A+ A+^H dA^H (I - A A+)
    # (Golub & Pereyra 1973), valid wherever the rank does not change
    a, = primals
    t, = tangents
    p = _pinv_fn()(a, rtol, keep_equal)
    m, n = a.shape[-2:]
    th, ph = _H(t), _H(p)
    left = lax.sub(_eye(n, a.dtype), _matmul(p, a))
    right = lax.sub(_eye(m, a.dtype), _matmul(a, p))
    dp = lax.neg(_matmul(_matmul(p, t), p))
    dp = lax.add(dp, _matmul(left, _matmul(th, _matmul(ph, p))))
    dp = lax.add(dp, _matmul(_matmul(p, ph), _matmul(th, right)))
    return p, dp


_PINV = []


def _pinv_fn():
    """``_pinv_impl`` with its custom JVP (built on first use: the custom-derivative
    machinery sits above ``pullback.numpy`` in the import order)."""
    if not _PINV:
        from .._transforms.custom_derivatives import custom_jvp
        fn = custom_jvp(_pinv_impl, nondiff_argnums=(1, 2))
        fn.defjvp(_pinv_jvp)
        _PINV.append(fn)
    return _PINV[0]


def lstsq(a, b, rcond=None, *, numpy_resid=False):
    """Least-squares solution of ``a @ x = b`` for 2-D ``a``: returns
    ``(x, residuals, rank, s)``.  Singular values below ``rcond * max(s)`` (default
    ``max(M, N) * eps``) are dropped.  ``residuals`` are the squared residual norms; with
    ``numpy_resid=True`` they are empty unless ``a`` has full column rank and M > N.

    >>> x, resid, rank, s = jnp.linalg.lstsq(jnp.array([[1., 0.], [1., 1.], [1., 2.]]),
    ...                                      jnp.array([1., 2., 2.]))
    """
    a, b = _inexact('lstsq', a, b)
    if a.ndim != 2:
        raise ValueError(f"linalg.lstsq: a must be a 2-D matrix, got shape {tuple(a.shape)}.")
    if b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ValueError(f"linalg.lstsq: a has shape {tuple(a.shape)}, so b must have shape "
                         f"({a.shape[0]},) or ({a.shape[0]}, K); got {tuple(b.shape)}.")
    m, n = a.shape
    b2 = lax.reshape(b, (m, 1)) if b.ndim == 1 else b
    if rcond is None:
        rcond = _eps(a.dtype) * max(m, n)
    s = lax_linalg.svd(a, compute_uv=False)
    keep = lax.ge(s, _svd_cutoff(s, rcond, a.dtype, a.shape))
    rank = jnp.sum(keep).astype(np.int32)
    # x = pinv(a) b, with pinv's derivative (right where singular values repeat)
    x = _matmul(_pinv_fn()(a, rcond, True), b2)
    r = lax.sub(b2, _matmul(a, x))
    resid = jnp.sum(lax.real(lax.mul(r, lax.conj(r))) if r.dtype.kind == 'c'
                    else lax.mul(r, r), axis=0)
    if numpy_resid:
        full = not isinstance(rank, Tracer) and int(rank) == n and m > n
        if not full:
            resid = asarray(np.zeros((0,), resid.dtype))
    if b.ndim == 1:
        x = lax.reshape(x, (n,))
    return x, resid, rank, s


def matrix_power(a, n):
    """``a`` raised to the integer power ``n`` by repeated squaring (``n < 0`` inverts).

    >>> jnp.linalg.matrix_power(jnp.array([[1., 1.], [0., 1.]]), 3)
    Array([[1., 3.],
           [0., 1.]], dtype=float32)
    """
    a = asarray(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"linalg.matrix_power: the input must be a square matrix or a stack "
                         f"of square matrices, got shape {tuple(a.shape)}.")
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"linalg.matrix_power: the exponent must be an integer, got "
                        f"{type(n).__name__}") from None
    if n == 0:
        return lax.broadcast_to(asarray(np.eye(a.shape[-1]), a.dtype), tuple(a.shape))
    if n < 0:
        a = inv(a)
        n = -n
    result = None
    square = a
    while True:
        if n & 1:
            result = square if result is None else _matmul(result, square)
        n >>= 1
        if not n:
            return result
        square = _matmul(square, square)


def matrix_rank(M, rtol=None, *, hermitian=False, tol=None):
    """Number of singular values above ``tol`` (default ``rtol * max(S)``, with
    ``rtol = max(M, N) * eps``), as int32.

    >>> jnp.linalg.matrix_rank(jnp.array([[1., 2.], [2., 4.]]))
    Array(1, dtype=int32)
    """
    M, = _inexact('matrix_rank', M)
    if M.ndim < 2:
        return jnp.any(lax.ne(M, asarray(0, M.dtype))).astype(np.int32)
    s = svd(M, compute_uv=False)
    if tol is None:
        cutoff = _svd_cutoff(s, rtol, M.dtype, M.shape)
    else:
        tol = asarray(tol, s.dtype)
        cutoff = lax.reshape(tol, tuple(tol.shape) + (1,)) if tol.ndim else tol
    return jnp.sum(lax.gt(s, cutoff), axis=-1).astype(np.int32)


# --- Norms ---------------------------------------------------------------------------------

def _abs2(x):
    return lax.real(lax.mul(x, lax.conj(x))) if x.dtype.kind == 'c' else lax.mul(x, x)


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return lax.sqrt(jnp.sum(_abs2(x), axis=axis, keepdims=keepdims))
    if isinstance(ord, str):
        raise ValueError(f"linalg.norm: invalid order {ord!r} for a vector norm.")
    absx = lax.abs(x)
    if ord == np.inf:
        return jnp.max(absx, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return jnp.min(absx, axis=axis, keepdims=keepdims)
    if ord == 0:
        return jnp.sum(lax.ne(x, asarray(0, x.dtype)), axis=axis,
                       keepdims=keepdims).astype(absx.dtype)
    if ord == 1:
        return jnp.sum(absx, axis=axis, keepdims=keepdims)
    p = asarray(ord, absx.dtype)
    return lax.pow(jnp.sum(lax.pow(absx, p), axis=axis, keepdims=keepdims),
                   lax.div(asarray(1, absx.dtype), p))


def _matrix_norm(x, ord, axis, keepdims):
    row, col = axis
    if ord is None or ord == 'fro':
        return lax.sqrt(jnp.sum(_abs2(x), axis=axis, keepdims=keepdims))
    if ord in (1, -1):
        red = jnp.max if ord == 1 else jnp.min
        col_sums = jnp.sum(lax.abs(x), axis=row, keepdims=True)
        return _squeeze_kept(red(col_sums, axis=col, keepdims=True), axis, keepdims)
    if ord in (np.inf, -np.inf):
        red = jnp.max if ord == np.inf else jnp.min
        row_sums = jnp.sum(lax.abs(x), axis=col, keepdims=True)
        return _squeeze_kept(red(row_sums, axis=row, keepdims=True), axis, keepdims)
    if ord in (2, -2, 'nuc'):
        rest = tuple(i for i in range(x.ndim) if i not in axis)
        moved = lax.transpose(x, rest + (row, col))
        s = svd(moved, compute_uv=False)
        out = {2: lambda: jnp.max(s, axis=-1), -2: lambda: jnp.min(s, axis=-1),
               'nuc': lambda: jnp.sum(s, axis=-1)}[ord]()
        if keepdims:
            shape = [1 if i in (row, col) else d for i, d in enumerate(x.shape)]
            out = lax.reshape(out, tuple(shape))
        return out
    raise ValueError(f"linalg.norm: invalid order {ord!r} for a matrix norm; use None, "
                     f"'fro', 'nuc', 1, -1, 2, -2, inf or -inf.")


def _squeeze_kept(x, axis, keepdims):
    if keepdims:
        return x
    shape = tuple(d for i, d in enumerate(x.shape) if i not in axis)
    return lax.reshape(x, shape)


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm.  With ``axis=None``, a 1-D input gets a vector norm, a 2-D
    one a matrix norm, and ``ord=None`` gives the 2-norm of the flattened input.  Vector
    orders: None/2, 1, inf, -inf, 0, any p.  Matrix orders: None/'fro', 'nuc', 1, -1, 2, -2,
    inf, -inf.

    >>> jnp.linalg.norm(jnp.array([3., 4.]))
    Array(5., dtype=float32)
    """
    x, = _inexact('norm', x)
    if axis is None:
        if ord is None:
            return _vector_norm(jnp.ravel(x), None, 0, False) if not keepdims else \
                lax.reshape(_vector_norm(jnp.ravel(x), None, 0, False), (1,) * x.ndim)
        if x.ndim not in (1, 2):
            raise ValueError(f"linalg.norm: with ord={ord!r} and axis=None the input must be "
                             f"1-D or 2-D, got shape {tuple(x.shape)}; pass axis.")
        axis = tuple(range(x.ndim))
    elif isinstance(axis, int) or np.ndim(axis) == 0:
        axis = (operator.index(axis),)
    axis = tuple(_canonical_axis(a, x.ndim) for a in axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis[0], keepdims)
    if len(axis) == 2:
        if axis[0] == axis[1]:
            raise ValueError(f"linalg.norm: duplicate axes {axis}")
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError(f"linalg.norm: axis must name one or two axes, got {axis}")


def _canonical_axis(a, ndim):
    a = operator.index(a)
    if not -ndim <= a < ndim:
        raise ValueError(f"linalg.norm: axis {a} is out of bounds for an array of rank {ndim}")
    return a % ndim


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """Array-API vector norm: over all axes by default (the input flattened)."""
    x, = _inexact('vector_norm', x)
    if axis is None:
        out = _vector_norm(jnp.ravel(x), ord, 0, False)
        return lax.reshape(out, (1,) * x.ndim) if keepdims else out
    if isinstance(axis, tuple) and len(axis) > 1:
        axis = tuple(_canonical_axis(a, x.ndim) for a in axis)
        rest = tuple(i for i in range(x.ndim) if i not in axis)
        moved = lax.transpose(x, rest + axis)
        flat = lax.reshape(moved, tuple(x.shape[i] for i in rest) +
                           (int(np.prod([x.shape[i] for i in axis], dtype=np.int64)),))
        out = _vector_norm(flat, ord, len(rest), False)
        if keepdims:
            out = lax.reshape(out, tuple(1 if i in axis else d for i, d in enumerate(x.shape)))
        return out
    return norm(x, ord, axis, keepdims)


def matrix_norm(x, /, *, keepdims=False, ord='fro'):
    """Array-API matrix norm over the last two axes."""
    return norm(x, ord, (-2, -1), keepdims)


def cond(x, p=None):
    """Condition number: ``max(S) / min(S)`` for ``p=None`` (or 2), else
    ``norm(x, p) * norm(inv(x), p)``."""
    x = _matrix('cond', x)
    if p is None or p == 2:
        s = svd(x, compute_uv=False)
        return lax.div(jnp.max(s, axis=-1), jnp.min(s, axis=-1))
    if p == -2:
        s = svd(x, compute_uv=False)
        return lax.div(jnp.min(s, axis=-1), jnp.max(s, axis=-1))
    return lax.mul(norm(x, p, (-2, -1)), norm(inv(x), p, (-2, -1)))


# --- Products and tensor helpers -----------------------------------------------------------

def multi_dot(arrays, *, precision=None):
    """Product of a chain of matrices in the cheapest association order; the first and
    last may be 1-D (row and column vector).

    >>> jnp.linalg.multi_dot([a, b, c])   # == a @ b @ c
    """
    arrays = [asarray(a) for a in arrays]
    if len(arrays) < 2:
        raise ValueError("linalg.multi_dot: expecting at least two arrays")
    arrays = list(promote_dtypes_inexact(*arrays)) if any(
        a.dtype.kind in 'fc' for a in arrays) else arrays
    first_vec, last_vec = arrays[0].ndim == 1, arrays[-1].ndim == 1
    if first_vec:
        arrays[0] = lax.reshape(arrays[0], (1,) + tuple(arrays[0].shape))
    if last_vec:
        arrays[-1] = lax.reshape(arrays[-1], tuple(arrays[-1].shape) + (1,))
    for i, a in enumerate(arrays):
        if a.ndim != 2:
            raise ValueError(f"linalg.multi_dot: array {i} has shape {tuple(a.shape)}; all "
                             f"but the first and last must be 2-D.")
    for i in range(len(arrays) - 1):
        if arrays[i].shape[1] != arrays[i + 1].shape[0]:
            raise ValueError(f"linalg.multi_dot: shapes {tuple(arrays[i].shape)} and "
                             f"{tuple(arrays[i + 1].shape)} (arrays {i} and {i + 1}) are not "
                             f"aligned.")
    dims = [arrays[0].shape[0]] + [a.shape[1] for a in arrays]
    split = _chain_order(dims)

    def product(i, j):
        if i == j:
            return arrays[i]
        k = split[i][j]
        return _matmul(product(i, k), product(k + 1, j))

    out = product(0, len(arrays) - 1)
    if first_vec and last_vec:
        return lax.reshape(out, ())
    if first_vec:
        return lax.reshape(out, (out.shape[1],))
    if last_vec:
        return lax.reshape(out, (out.shape[0],))
    return out


def _chain_order(dims):
    """Matrix-chain dynamic programme: split[i][j] is where to split the product i..j."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def tensorsolve(a, b, axes=None):
    """Solve ``tensordot(a, x, x.ndim) = b`` for ``x`` (``a`` reshaped to a square
    matrix)."""
    a, b = _inexact('tensorsolve', a, b)
    if axes is not None:
        axes = [_canonical_axis(ax, a.ndim) for ax in np.atleast_1d(axes)]
        rest = [i for i in range(a.ndim) if i not in axes]
        a = lax.transpose(a, tuple(rest + axes))
    x_shape = tuple(a.shape[b.ndim:])
    n = int(np.prod(b.shape, dtype=np.int64))
    if int(np.prod(x_shape, dtype=np.int64)) != n or tuple(a.shape[:b.ndim]) != tuple(b.shape):
        raise ValueError(f"linalg.tensorsolve: a of shape {tuple(a.shape)} does not reshape to "
                         f"a square matrix for b of shape {tuple(b.shape)}.")
    x = solve(lax.reshape(a, (n, n)), lax.reshape(b, (n,)))
    return lax.reshape(x, x_shape)


def tensorinv(a, ind=2):
    """The inverse of ``a`` for ``tensordot`` over its first ``ind`` axes."""
    a, = _inexact('tensorinv', a)
    ind = operator.index(ind)
    if ind <= 0:
        raise ValueError(f"linalg.tensorinv: ind must be a positive integer, got {ind}")
    out_shape = tuple(a.shape[ind:]) + tuple(a.shape[:ind])
    n = int(np.prod(a.shape[:ind], dtype=np.int64))
    if int(np.prod(a.shape[ind:], dtype=np.int64)) != n:
        raise ValueError(f"linalg.tensorinv: a of shape {tuple(a.shape)} with ind={ind} does "
                         f"not reshape to a square matrix.")
    return lax.reshape(inv(lax.reshape(a, (n, n))), out_shape)


def matrix_transpose(x, /):
    """Swap the last two axes (no conjugation)."""
    x = asarray(x)
    if x.ndim < 2:
        raise ValueError(f"linalg.matrix_transpose: the input must have rank >= 2, got shape "
                         f"{tuple(x.shape)}")
    return _mT(x)


def diagonal(x, /, *, offset=0):
    """The diagonals of the matrices in the last two axes."""
    return jnp.diagonal(x, offset, axis1=-2, axis2=-1)


def trace(x, /, *, offset=0, dtype=None):
    """The traces of the matrices in the last two axes."""
    return jnp.trace(x, offset, axis1=-2, axis2=-1, dtype=dtype)


def outer(x1, x2, /):
    """Outer product of two vectors."""
    x1, x2 = asarray(x1), asarray(x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(f"linalg.outer: both inputs must be 1-D, got shapes "
                         f"{tuple(x1.shape)} and {tuple(x2.shape)}")
    return jnp.outer(x1, x2)


def matmul(x1, x2, /):
    """The array-API ``linalg.matmul``: ``x1 @ x2`` (``jnp.matmul``)."""
    return jnp.matmul(x1, x2)


def tensordot(x1, x2, /, *, axes=2):
    """The array-API ``linalg.tensordot`` (``jnp.tensordot`` with keyword ``axes``)."""
    return jnp.tensordot(x1, x2, axes=axes)


def vecdot(x1, x2, /, *, axis=-1):
    """``sum(conj(x1) * x2, axis)``."""
    return jnp.vecdot(x1, x2, axis=axis)


def cross(x1, x2, /, *, axis=-1):
    """The array-API ``linalg.cross`` of 3-vectors along ``axis`` (``jnp.cross``)."""
    return jnp.cross(x1, x2, axis=axis)
