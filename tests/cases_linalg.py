"""Primitive cases for the linear-algebra family (run by tests/test_primitives.py).

``CASES[prim_name]`` is a list of ``case(rng) -> (args, params, opts)``: NumPy arguments
(float64 / complex128 for inexact ones), the primitive's static params, and options (see
tests/_primitive_harness.py; here only ``no_grad``).  Shapes depend only on the case, not
on ``rng``, so draws can be stacked for vmap checks; every draw is well conditioned (positive definite,
well-separated eigenvalues and singular values, diagonally dominant triangles), so finite
differences are accurate and small perturbations keep the factorizations smooth.

Eigenvectors and singular vectors of complex matrices are only defined up to a phase that
LAPACK and the derivative rules fix differently, so those cases live in test_linalg.py
(checked through phase-independent functions); here complex inputs appear where the
outputs are unique (cholesky, triangular_solve, lu, qr, singular values).
"""
import numpy as np


def _normal(rng, shape, cplx=False):
    x = rng.standard_normal(shape)
    return x + 1j * rng.standard_normal(shape) if cplx else x


def _orthogonal(rng, batch, n, cplx=False):
    q, _ = np.linalg.qr(_normal(rng, batch + (n, n), cplx))
    return q


def _pos_def(rng, batch, n, cplx=False):
    m = _normal(rng, batch + (n, n), cplx)
    return m @ np.conj(np.swapaxes(m, -1, -2)) / n + np.eye(n)


def _hermitian_spread(rng, batch, n):
    """A symmetric matrix with eigenvalues 1, 2, ..., n (gaps of 1), plus a small
    non-symmetric perturbation in the upper triangle, which eigh does not read."""
    q = _orthogonal(rng, batch, n)
    a = (q * np.arange(1., n + 1)[..., None, :]) @ np.swapaxes(q, -1, -2)
    return a + 0.1 * np.triu(_normal(rng, batch + (n, n)), 1)


def _spread_singular(rng, batch, m, n, cplx=False):
    k = min(m, n)
    u = _orthogonal(rng, batch, m, cplx)[..., :k]
    v = _orthogonal(rng, batch, n, cplx)[..., :k]
    s = np.arange(k, 0, -1) + 1.
    return (u * s[..., None, :]) @ np.conj(np.swapaxes(v, -1, -2))


def _triangular(rng, batch, n, lower, cplx=False):
    t = _normal(rng, batch + (n, n), cplx)
    t = np.tril(t) if lower else np.triu(t)
    t = t + 3 * np.eye(n)
    # the other triangle is garbage that the solve must not read
    return t + 0.5 * (np.triu(_normal(rng, batch + (n, n)), 1) if lower
                      else np.tril(_normal(rng, batch + (n, n)), -1))


def _real_spectrum(rng, n):
    """A non-symmetric matrix with eigenvalues 1, 2, ..., n."""
    s = _normal(rng, (n, n)) + 2 * np.eye(n)
    return s @ np.diag(np.arange(1., n + 1)) @ np.linalg.inv(s)


def _case(make_args, opts=None, **params):
    def case(rng):
        return make_args(rng), params, dict(opts or {})
    return case


def _trsm(a_batch, b_shape, left_side, lower, transpose_a=False, conjugate_a=False,
          unit_diagonal=False, cplx=False):
    n = 3
    return _case(lambda r: [_triangular(r, a_batch, n, lower, cplx),
                            _normal(r, b_shape, cplx)],
                 left_side=left_side, lower=lower,
                 transpose_a=transpose_a, conjugate_a=conjugate_a,
                 unit_diagonal=unit_diagonal)


def _pivots(rng, batch, m, k):
    return np.stack([rng.integers(i, m, size=batch) for i in range(k)], -1).astype(np.int32)


CASES = {
    'cholesky': [
        _case(lambda r: [_pos_def(r, (), 4)]),
        _case(lambda r: [_pos_def(r, (), 3, cplx=True)]),
        _case(lambda r: [_pos_def(r, (2,), 3)]),
    ],
    'triangular_solve': [
        _trsm((), (3, 2), left_side=True, lower=True),
        _trsm((), (2, 3), left_side=False, lower=False, transpose_a=True),
        _trsm((), (3, 2), left_side=True, lower=False, unit_diagonal=True),
        _trsm((), (3, 2), left_side=True, lower=True, transpose_a=True, conjugate_a=True,
              cplx=True),
        _trsm((), (2, 3), left_side=False, lower=True, conjugate_a=True, cplx=True),
        _trsm((2,), (3, 1), left_side=True, lower=True),   # a's batch broadcasts over b
        _trsm((), (2, 3, 2), left_side=True, lower=False, transpose_a=True),
    ],
    'lu': [
        _case(lambda r: [_normal(r, (4, 4))]),
        _case(lambda r: [_normal(r, (5, 3))]),
        _case(lambda r: [_normal(r, (3, 5), cplx=True)]),
        _case(lambda r: [_normal(r, (2, 3, 3))]),
    ],
    'lu_pivots_to_permutation': [
        _case(lambda r: [_pivots(r, (), 4, 4)], {'no_grad': True}, permutation_size=4),
        _case(lambda r: [_pivots(r, (2,), 5, 3)], {'no_grad': True}, permutation_size=5),
    ],
    'qr': [
        _case(lambda r: [_normal(r, (4, 3))], full_matrices=False),
        _case(lambda r: [_normal(r, (3, 3))], full_matrices=True),
        _case(lambda r: [_normal(r, (3, 5))], full_matrices=True),
        _case(lambda r: [_normal(r, (4, 3), cplx=True)], full_matrices=False),
        _case(lambda r: [_normal(r, (2, 3, 2))], full_matrices=False),
    ],
    'eigh': [
        _case(lambda r: [_hermitian_spread(r, (), 4)], lower=True),
        _case(lambda r: [np.swapaxes(_hermitian_spread(r, (), 3), -1, -2)], lower=False),
        _case(lambda r: [_hermitian_spread(r, (2,), 3)], lower=True),
    ],
    'svd': [
        _case(lambda r: [_spread_singular(r, (), 4, 3)], full_matrices=False,
              compute_uv=True),
        _case(lambda r: [_spread_singular(r, (), 2, 4)], full_matrices=False,
              compute_uv=True),
        _case(lambda r: [_spread_singular(r, (), 3, 3)], full_matrices=True,
              compute_uv=True),
        _case(lambda r: [_spread_singular(r, (), 4, 3, cplx=True)], full_matrices=False,
              compute_uv=False),
        _case(lambda r: [_spread_singular(r, (2,), 3, 2)], full_matrices=False,
              compute_uv=True),
    ],
    'eig': [
        _case(lambda r: [_real_spectrum(r, 3)]),
    ],
}
