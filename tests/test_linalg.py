"""Linear algebra: ``pullback.lax.linalg``, ``pullback.numpy.linalg``, ``pullback.scipy.linalg``.

The primitives' generic checks (JVP vs finite differences, VJP vs JVP, vmap vs a loop, jit)
run from tests/cases_linalg.py in the shared harness.  Here: values against NumPy/SciPy,
derivatives of the public functions (float64 and complex128), phase-independent checks of
complex eigen- and singular vectors, batching, errors, and JAX as an oracle.
"""
import numpy as np
import pytest
import scipy.linalg as sla

import pullback as jax
import pullback.numpy as jnp
import pullback.scipy.linalg as jsl
from pullback import grad, jvp, vjp, vmap, lax
from pullback.lax import linalg as lax_linalg
from pullback.test_util import check_grads


@pytest.fixture
def x64():
    jax.config.update('jax_enable_x64', True)
    yield
    jax.config.update('jax_enable_x64', False)


def _rng(seed=0):
    return np.random.default_rng(seed)


def _normal(rng, shape, cplx=False):
    x = rng.standard_normal(shape)
    return x + 1j * rng.standard_normal(shape) if cplx else x


def _pos_def(rng, shape, cplx=False):
    m = _normal(rng, shape, cplx)
    return m @ np.conj(np.swapaxes(m, -1, -2)) / shape[-1] + np.eye(shape[-1])


def _close(got, want, rtol=2e-5, atol=2e-5):
    got = np.asarray(got)
    assert got.shape == np.shape(want), (got.shape, np.shape(want))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def _fd(f, x, t, eps=1e-6):
    return (np.asarray(f(x + eps * t)) - np.asarray(f(x - eps * t))) / (2 * eps)


# --- The seed's cell -----------------------------------------------------------------------

def test_seed_complex_cholesky_gradient():
    A = jnp.array([[5., 2.+3j, 5j],
                   [2.-3j, 7., 1.+7j],
                   [-5j, 1.-7j, 12.]])

    def f(X):
        L = jnp.linalg.cholesky(X)
        return jnp.sum((L - jnp.sin(L))**2)

    g = grad(f, holomorphic=True)(A)
    want = np.array([[-0.7534186 + 0.j, -3.0509028 - 10.940544j, 5.9896846 + 3.5423026j],
                     [-3.0509028 + 10.940544j, -8.904491 + 0.j, -5.1351523 - 6.559373j],
                     [5.9896846 - 3.5423026j, -5.1351523 + 6.559373j, 0.01320427 + 0.j]])
    assert g.dtype == np.complex64
    np.testing.assert_allclose(np.asarray(g), want, rtol=1e-5, atol=5e-6)


# --- numpy.linalg values -------------------------------------------------------------------

@pytest.mark.parametrize('cplx', [False, True])
def test_numpy_values_match_numpy(cplx):
    rng = _rng(1)
    dt = np.complex64 if cplx else np.float32
    a = _normal(rng, (3, 4, 4), cplx).astype(dt)
    b = _normal(rng, (3, 4, 2), cplx).astype(dt)
    spd = _pos_def(rng, (3, 4, 4), cplx).astype(dt)
    _close(jnp.linalg.solve(a, b), np.linalg.solve(a, b), 1e-4, 1e-4)
    _close(jnp.linalg.solve(a, b[0, :, 0]), np.linalg.solve(a, b[0, :, 0]), 1e-4, 1e-4)
    _close(jnp.linalg.inv(a), np.linalg.inv(a), 1e-4, 1e-4)
    _close(jnp.linalg.det(a), np.linalg.det(a), 1e-4, 1e-4)
    for method in ['lu', 'qr']:
        sign, logdet = jnp.linalg.slogdet(a, method=method)
        want = np.linalg.slogdet(a)
        _close(sign, want.sign, 1e-5, 1e-5)
        _close(logdet, want.logabsdet, 1e-5, 1e-5)
    _close(jnp.linalg.cholesky(spd), np.linalg.cholesky(spd))
    _close(jnp.linalg.cholesky(spd, upper=True), np.linalg.cholesky(spd, upper=True))
    _close(jnp.linalg.eigvalsh(spd), np.linalg.eigvalsh(spd))
    _close(jnp.linalg.svd(a, compute_uv=False), np.linalg.svd(a, compute_uv=False))
    _close(jnp.linalg.svdvals(a[0]), np.linalg.svd(a[0], compute_uv=False))
    _close(jnp.linalg.pinv(a[:, :, :3]), np.linalg.pinv(a[:, :, :3]), 1e-4, 1e-4)
    _close(jnp.linalg.matrix_power(a, 5), np.linalg.matrix_power(a, 5), 1e-4, 1e-3)
    _close(jnp.linalg.matrix_power(a, -2), np.linalg.matrix_power(a, -2), 1e-3, 1e-3)
    _close(jnp.linalg.matrix_power(a, 0), np.linalg.matrix_power(a, 0))
    _close(jnp.linalg.cond(a), np.linalg.cond(a), 1e-4)
    _close(jnp.linalg.cond(a, 'fro'), np.linalg.cond(a, 'fro'), 1e-4)
    _close(jnp.sort(jnp.linalg.eigvals(a[0])), np.sort_complex(np.linalg.eigvals(a[0])),
           1e-4, 1e-4)
    assert jnp.linalg.solve(a, b).dtype == dt
    assert jnp.linalg.eigvalsh(spd).dtype == np.float32


def test_decompositions_reconstruct():
    rng = _rng(2)
    a = _normal(rng, (2, 5, 3)).astype(np.float32)
    u, s, vh = jnp.linalg.svd(a, full_matrices=False)
    _close(np.asarray(u) * np.asarray(s)[..., None, :] @ np.asarray(vh), a, 1e-5, 1e-5)
    assert jnp.linalg.svd(a).U.shape == (2, 5, 5)
    q, r = jnp.linalg.qr(a)
    assert q.shape == (2, 5, 3) and r.shape == (2, 3, 3)
    _close(np.asarray(q) @ np.asarray(r), a, 1e-5, 1e-5)
    assert jnp.linalg.qr(a, mode='complete').Q.shape == (2, 5, 5)
    assert jnp.linalg.qr(a, mode='r').shape == (2, 3, 3)
    h = _pos_def(rng, (4, 4), True).astype(np.complex64)
    w, v = jnp.linalg.eigh(h)
    _close(h @ np.asarray(v), np.asarray(v) * np.asarray(w), 1e-4, 1e-4)
    g = _normal(rng, (4, 4)).astype(np.float32)
    w, v = jnp.linalg.eig(g)
    assert w.dtype == v.dtype == np.complex64
    _close(g @ np.asarray(v), np.asarray(v) * np.asarray(w), 1e-4, 1e-4)
    lu_, piv, perm = lax_linalg.lu(a)
    l = np.tril(np.asarray(lu_), -1)[..., :3] + np.eye(5, 3)
    _close(np.take_along_axis(a, np.asarray(perm)[..., None], -2), l @ np.triu(lu_)[..., :3, :])
    assert piv.dtype == perm.dtype == np.int32
    _close(lax_linalg.lu_pivots_to_permutation(piv, 5), np.asarray(perm))


@pytest.mark.parametrize('ord', [None, 'fro', 'nuc', 1, -1, 2, -2, np.inf, -np.inf])
def test_matrix_norms(ord):
    x = _normal(_rng(3), (3, 4, 5)).astype(np.float32)
    _close(jnp.linalg.norm(x[0], ord), np.linalg.norm(x[0], ord), 1e-5)
    _close(jnp.linalg.norm(x, ord, axis=(2, 0)), np.linalg.norm(x, ord, axis=(2, 0)), 1e-5)
    _close(jnp.linalg.norm(x, ord, axis=(0, 1), keepdims=True),
           np.linalg.norm(x, ord, axis=(0, 1), keepdims=True), 1e-5)


@pytest.mark.parametrize('ord', [None, 1, 2, 3, 0.5, 0, np.inf, -np.inf])
def test_vector_norms(ord):
    x = _normal(_rng(4), (3, 4), cplx=True).astype(np.complex64)
    _close(jnp.linalg.norm(x, ord, axis=1), np.linalg.norm(x, ord, axis=1), 1e-5)
    _close(jnp.linalg.norm(x[0], ord), np.linalg.norm(x[0], ord), 1e-5)
    _close(jnp.linalg.vector_norm(x, ord=ord if ord is not None else 2),
           np.linalg.vector_norm(x, ord=ord if ord is not None else 2), 1e-5)


def test_other_numpy_functions():
    rng = _rng(5)
    a = _normal(rng, (4, 3)).astype(np.float32)
    b = _normal(rng, (4,)).astype(np.float32)
    x, resid, rank, s = jnp.linalg.lstsq(a, b)
    wx, wres, wrank, ws = np.linalg.lstsq(a, b)
    _close(x, wx, 1e-4, 1e-4)
    _close(resid, wres, 1e-4, 1e-4)
    assert int(rank) == wrank and rank.dtype == np.int32
    _close(s, ws, 1e-5)
    assert jnp.linalg.matrix_rank(np.ones((3, 3))) == 1
    assert jnp.linalg.matrix_rank(np.eye(4)[..., :3]) == 3
    chain = [_normal(rng, s).astype(np.float32) for s in [(3,), (3, 5), (5, 2), (2, 4)]]
    _close(jnp.linalg.multi_dot(chain), np.linalg.multi_dot(chain), 1e-4, 1e-4)
    t = _normal(rng, (2, 3, 6)).astype(np.float32)
    _close(jnp.linalg.tensorinv(t.reshape(6, 2, 3), ind=1),
           np.linalg.tensorinv(t.reshape(6, 2, 3), ind=1), 1e-3, 1e-3)
    _close(jnp.linalg.tensorsolve(t.reshape(2, 3, 6), t[0, 0].reshape(2, 3)),
           np.linalg.tensorsolve(t.reshape(2, 3, 6), t[0, 0].reshape(2, 3)), 1e-3, 1e-3)
    _close(jnp.linalg.matrix_transpose(t), np.swapaxes(t, -1, -2))
    _close(jnp.linalg.matrix_norm(t), np.linalg.matrix_norm(t), 1e-5)


def test_integer_inputs_are_promoted():
    m = np.array([[2, 1], [1, 3]], np.int32)
    assert jnp.linalg.det(m).dtype == np.float32
    _close(jnp.linalg.det(m), 5.)
    _close(jnp.linalg.inv(m), np.linalg.inv(m))
    _close(jnp.linalg.solve(m, np.array([1, 2])), np.linalg.solve(m, [1, 2]))


def test_singular_and_indefinite_inputs():
    assert np.all(np.isnan(np.asarray(jnp.linalg.cholesky(-np.eye(2)))))
    # one bad matrix in a stack does not spoil the others
    stack = jnp.linalg.cholesky(np.stack([np.eye(2), -np.eye(2)]))
    _close(stack[0], np.eye(2))
    assert np.all(np.isnan(np.asarray(stack[1])))
    assert not np.all(np.isfinite(np.asarray(jnp.linalg.inv(np.zeros((2, 2))))))
    sign, logdet = jnp.linalg.slogdet(np.array([[1., 2.], [2., 4.]]))
    assert float(sign) == 0 and float(logdet) == -np.inf


# --- scipy.linalg values -------------------------------------------------------------------

def test_scipy_solvers_match_scipy():
    rng = _rng(6)
    a = _normal(rng, (4, 4)).astype(np.float32)
    b = _normal(rng, (4, 2)).astype(np.float32)
    spd = _pos_def(rng, (4, 4)).astype(np.float32)
    _close(jsl.cholesky(spd), sla.cholesky(spd))
    _close(jsl.cholesky(spd, lower=True), sla.cholesky(spd, lower=True))
    for lower in [True, False]:
        _close(jsl.cho_solve(jsl.cho_factor(spd, lower=lower), b),
               sla.cho_solve(sla.cho_factor(spd, lower=lower), b), 1e-4, 1e-4)
        for trans in [0, 1, 2, 'T']:
            _close(jsl.solve_triangular(a, b, trans=trans, lower=lower),
                   sla.solve_triangular(a, b, trans=trans, lower=lower), 1e-4, 1e-4)
    _close(jsl.solve_triangular(a, b[:, 0], lower=True, unit_diagonal=True),
           sla.solve_triangular(a, b[:, 0], lower=True, unit_diagonal=True), 1e-4, 1e-4)
    for trans in [0, 1, 2]:
        _close(jsl.lu_solve(jsl.lu_factor(a), b, trans=trans),
               sla.lu_solve(sla.lu_factor(a), b, trans=trans), 1e-4, 1e-4)
    for assume_a in ['gen', 'pos', 'sym', 'her', 'lower triangular', 'upper triangular',
                     'diagonal']:
        _close(jsl.solve(spd, b, assume_a=assume_a), sla.solve(spd, b, assume_a=assume_a),
               1e-4, 1e-4)
    _close(jsl.inv(a), sla.inv(a), 1e-4, 1e-4)
    _close(jsl.det(a), sla.det(a), 1e-4, 1e-4)


@pytest.mark.parametrize('shape', [(4, 4), (5, 3), (3, 5)])
def test_scipy_lu_and_qr(shape):
    a = _normal(_rng(7), shape).astype(np.float32)
    for got, want in zip(jsl.lu(a), sla.lu(a)):
        _close(got, want, 1e-5, 1e-5)
    for got, want in zip(jsl.lu(a, permute_l=True), sla.lu(a, permute_l=True)):
        _close(got, want, 1e-5, 1e-5)
    for mode in ['full', 'economic', 'r']:
        got, want = jsl.qr(a, mode=mode), sla.qr(a, mode=mode)
        assert len(got) == len(want)
        for g, w in zip(got, want):   # Householder signs agree (same LAPACK routine)
            _close(g, w, 1e-5, 1e-5)


def test_scipy_eigh_standard_and_generalized():
    rng = _rng(8)
    a = _normal(rng, (4, 4)).astype(np.float32)
    sym = a + a.T
    spd = _pos_def(rng, (4, 4)).astype(np.float32)
    _close(jsl.eigh(sym, eigvals_only=True), sla.eigh(sym, eigvals_only=True), 1e-5, 1e-5)
    # scipy reads one triangle only
    _close(jsl.eigh(np.tril(sym), eigvals_only=True), sla.eigh(sym, eigvals_only=True),
           1e-5, 1e-5)
    for lower in [True, False]:
        w, v = jsl.eigh(sym, spd, lower=lower)
        ww, wv = sla.eigh(sym, spd, lower=lower)
        _close(w, ww, 1e-4, 1e-4)
        _close(np.abs(v), np.abs(wv), 1e-4, 1e-4)


@pytest.mark.parametrize('scale', [0., 1e-3, 0.5, 3., 40.])
def test_expm_matches_scipy(scale):
    a = _normal(_rng(9), (2, 4, 4))
    got = jsl.expm((scale * a).astype(np.float32))
    want = np.stack([sla.expm(scale * m) for m in a])
    _close(got, want, 1e-4, 1e-5 * max(1, np.max(np.abs(want))))


def test_expm_x64_and_complex(x64):
    a = _normal(_rng(10), (4, 4), cplx=True) * 2
    _close(jsl.expm(a), sla.expm(a), 1e-12, 1e-12)
    assert jsl.expm(a).dtype == np.complex128


def test_expm_too_many_squarings_gives_nan():
    assert np.all(np.isnan(np.asarray(jsl.expm(1e6 * np.eye(2, dtype=np.float32),
                                               max_squarings=4))))


def test_block_diag():
    parts = [np.ones((1, 1)), 2 * np.ones((2, 3)), np.array([1., 2.]), 5.]
    _close(jsl.block_diag(*parts), sla.block_diag(*parts))


# --- derivatives of the public functions (float64, complex128) -----------------------------

def _check(f, *args, order=1, modes=('fwd', 'rev')):
    check_grads(f, args, order=order, modes=modes, atol=1e-7, rtol=1e-6, eps=1e-6)


@pytest.mark.parametrize('cplx', [False, True])
def test_solve_inv_det_grads(x64, cplx):
    rng = _rng(11)
    a = _normal(rng, (4, 4), cplx) + 3 * np.eye(4)
    b = _normal(rng, (4, 2), cplx)
    _check(jnp.linalg.solve, a, b)
    _check(jnp.linalg.solve, a, b[:, 0])
    _check(jnp.linalg.inv, a)
    _check(jnp.linalg.det, a)
    _check(jnp.linalg.det, a[:2, :2])
    _check(jnp.linalg.det, a[:3, :3])
    _check(lambda x: jnp.linalg.slogdet(x).logabsdet, a)
    _check(lambda x: jnp.linalg.slogdet(x, method='qr').logabsdet, a)
    if cplx:  # the phase of the determinant moves with a
        _check(lambda x: jnp.linalg.slogdet(x).sign, a)


def test_det_grad_is_the_cofactor_matrix(x64):
    a = _normal(_rng(12), (4, 4))
    _close(grad(jnp.linalg.det)(a), np.linalg.det(a) * np.linalg.inv(a).T, 1e-10, 1e-10)
    # second derivatives through LU, and logdet's hessian -inv(a)^T (x) inv(a)
    _check(jnp.linalg.det, a, order=2)
    h = jax.hessian(lambda x: jnp.linalg.slogdet(x).logabsdet)(a)
    ainv = np.linalg.inv(a)
    _close(h, -np.einsum('li,jk->ijkl', ainv, ainv), 1e-9, 1e-9)


@pytest.mark.parametrize('cplx', [False, True])
def test_factorization_grads(x64, cplx):
    rng = _rng(13)
    spd = _pos_def(rng, (3, 3), cplx)
    _check(jnp.linalg.cholesky, spd, order=2)
    _check(lambda x: jnp.linalg.cholesky(x, upper=True), spd)
    _check(jnp.linalg.eigvalsh, spd)
    _check(lambda x: jsl.cholesky(x), spd)
    _check(lambda x, b: jsl.cho_solve(jsl.cho_factor(x, lower=True), b), spd,
           _normal(rng, (3, 2), cplx))
    tall = _normal(rng, (4, 3), cplx)
    _check(lambda x: jnp.linalg.qr(x), tall)
    _check(lambda x: jnp.linalg.qr(x.T), tall)
    _check(lambda x: jnp.linalg.svd(x, compute_uv=False), tall)
    _check(jnp.linalg.pinv, tall)
    _check(lambda x: jnp.linalg.norm(x, 'nuc'), tall)
    _check(lambda x: jnp.linalg.norm(x, 2), tall)
    _check(lambda x: jnp.linalg.norm(x), tall)
    _check(lambda x: jsl.lu(x), tall)
    _check(lambda x, b: jsl.lu_solve(jsl.lu_factor(x), b, trans=2), tall[:3],
           _normal(rng, (3,), cplx))


def test_lstsq_and_expm_grads(x64):
    rng = _rng(14)
    a = _normal(rng, (5, 3))
    b = _normal(rng, (5, 2))
    _check(lambda a, b: jnp.linalg.lstsq(a, b)[0], a, b)
    _check(lambda a, b: jnp.linalg.lstsq(a, b)[1], a, b)
    m = _normal(rng, (3, 3))
    _check(jsl.expm, m)
    _check(jsl.expm, 4 * m)   # several squarings
    _check(jsl.expm, m + 1j * _normal(rng, (3, 3)))
    _check(lambda x: jnp.linalg.matrix_power(x, 3), m, order=2)
    _check(lambda x: jnp.linalg.matrix_power(x, -2), m + 3 * np.eye(3))


@pytest.mark.parametrize('a', [np.eye(3), 2 * np.eye(3)[:, :2], np.diag([1., 1., 2.]),
                               np.diag([3., 1., 0.])])
def test_pinv_derivative_where_singular_values_repeat(x64, a):
    # the closed form (Golub & Pereyra) for locally constant rank; the SVD's own derivative
    # is undefined at repeated singular values
    t = _normal(_rng(25), a.shape)
    if np.linalg.matrix_rank(a) < min(a.shape):
        t[:, -1] = 0   # a direction that keeps the rank (the zero column stays zero)
    _, got = jvp(jnp.linalg.pinv, (a,), (t,))
    p = np.linalg.pinv(a)
    m, n = a.shape
    want = (-p @ t @ p + (np.eye(n) - p @ a) @ t.T @ p.T @ p
            + p @ p.T @ t.T @ (np.eye(m) - a @ p))
    _close(got, want, 1e-10, 1e-10)
    _check(jnp.linalg.pinv, a + 0.1 * _normal(_rng(26), a.shape))


def test_expm_grad_matches_scipy_frechet(x64):
    a, e = _normal(_rng(15), (2, 4, 4))
    _, tangent = jvp(jsl.expm, (a,), (e,))
    _close(tangent, sla.expm_frechet(a, e, compute_expm=False), 1e-10, 1e-10)


def _phase_free_eigh(x):
    """A function of eigh's outputs that does not depend on the eigenvectors' phases."""
    w, v = jnp.linalg.eigh(x)
    return (v * jnp.sin(w)) @ jnp.conj(v).T, w


def _phase_free_svd(x):
    u, s, vh = jnp.linalg.svd(x, full_matrices=False)
    return (u * jnp.cos(s)) @ vh, u @ jnp.conj(u).T, s


@pytest.mark.parametrize('shape', [(4, 4), (5, 3), (3, 5)])
def test_complex_singular_vectors_through_phase_free_functions(x64, shape):
    x = _normal(_rng(16), shape, cplx=True)
    _check(_phase_free_svd, x)


def test_complex_eigenvectors_through_phase_free_functions(x64):
    h = _normal(_rng(17), (4, 4), cplx=True)
    _check(_phase_free_eigh, h + np.conj(h.T))


def _eigen_equation_residual(a, a_dot, w, v, w_dot, v_dot):
    """d(A V - V diag(w)) = A' V + A V' - V' diag(w) - V diag(w'): zero for a correct JVP."""
    return a_dot @ v + a @ v_dot - v_dot * w - v * w_dot


@pytest.mark.parametrize('cplx', [False, True])
def test_eigenvector_derivatives_satisfy_the_eigen_equation(x64, cplx):
    rng = _rng(18)
    a = _normal(rng, (4, 4), cplx)
    t = _normal(rng, (4, 4), cplx)
    (w, v), (w_dot, v_dot) = jvp(jnp.linalg.eig, (a,), (t,))
    w, v, w_dot, v_dot = map(np.asarray, (w, v, w_dot, v_dot))
    _close(_eigen_equation_residual(a, t, w, v, w_dot, v_dot), np.zeros((4, 4)), 0, 1e-10)
    # unit-norm columns stay unit norm
    _close(np.real(np.sum(np.conj(v) * v_dot, axis=0)), np.zeros(4), 0, 1e-12)
    h, th = a + np.conj(a.T), t + np.conj(t.T)
    (w, v), (w_dot, v_dot) = jvp(jnp.linalg.eigh, (h,), (th,))
    w, v, w_dot, v_dot = map(np.asarray, (w, v, w_dot, v_dot))
    _close(_eigen_equation_residual(h, th, w, v, w_dot, v_dot), np.zeros((4, 4)), 0, 1e-10)
    _check(lambda x: jnp.linalg.eig(x).eigenvalues, a)


def test_eigh_reads_one_triangle_and_grad_is_hermitian(x64):
    h = _pos_def(_rng(19), (3, 3), cplx=True)
    f = lambda x: jnp.sum(jnp.linalg.eigvalsh(x) ** 2)
    g = np.asarray(grad(f)(h))
    _close(g, np.conj(g.T), 1e-12, 1e-12)
    # without symmetrization only the lower triangle matters
    lower_only = lambda x: jnp.sum(jnp.linalg.eigh(x, symmetrize_input=False)[0] ** 2)
    g = np.asarray(grad(lower_only)(h))
    _close(np.triu(g, 1), np.zeros((3, 3)), 0, 0)


# --- batching -------------------------------------------------------------------------------

def test_vmap_of_public_functions_matches_loops():
    rng = _rng(20)
    a = (_normal(rng, (3, 4, 4)) + 3 * np.eye(4)).astype(np.float32)
    b = _normal(rng, (3, 4)).astype(np.float32)
    spd = _pos_def(rng, (3, 4, 4)).astype(np.float32)
    loop = lambda f, *xs: np.stack([np.asarray(f(*x)) for x in zip(*xs)])
    _close(vmap(jnp.linalg.solve)(a, b), loop(jnp.linalg.solve, a, b), 1e-6, 1e-6)
    _close(vmap(jnp.linalg.solve, (None, 0))(a[0], b),
           loop(lambda x: jnp.linalg.solve(a[0], x), b), 1e-6, 1e-6)
    _close(vmap(jnp.linalg.solve, (0, None))(a, b[0]),
           loop(lambda x: jnp.linalg.solve(x, b[0]), a), 1e-6, 1e-6)
    _close(vmap(jnp.linalg.det, 2)(np.moveaxis(a, 0, 2)), loop(jnp.linalg.det, a), 1e-6)
    _close(vmap(jnp.linalg.cholesky, 1)(np.moveaxis(spd, 0, 1)),
           loop(jnp.linalg.cholesky, spd), 1e-6, 1e-6)
    _close(vmap(jsl.expm)(a / 4), loop(jsl.expm, a / 4), 1e-6, 1e-6)
    _close(vmap(jnp.linalg.eigvalsh)(spd), loop(jnp.linalg.eigvalsh, spd), 1e-6, 1e-6)
    _close(vmap(jnp.linalg.pinv)(a), loop(jnp.linalg.pinv, a), 1e-5, 1e-5)
    grads = vmap(grad(lambda x: jnp.linalg.slogdet(x).logabsdet))(a)
    _close(grads, np.linalg.inv(a).transpose(0, 2, 1), 1e-4, 1e-4)


def test_jacobians_through_linalg(x64):
    rng = _rng(21)
    a = _normal(rng, (3, 3)) + 3 * np.eye(3)
    jf = jax.jacfwd(jnp.linalg.inv)(a)
    jr = jax.jacrev(jnp.linalg.inv)(a)
    ainv = np.linalg.inv(a)
    want = -np.einsum('ik,lj->ijkl', ainv, ainv)
    _close(jf, want, 1e-10, 1e-10)
    _close(jr, want, 1e-10, 1e-10)
    # sum(eigvalsh(x)^2) = |sym(x)|_F^2: a constant hessian, through eigh's JVP twice
    h = jax.hessian(lambda x: jnp.sum(jnp.linalg.eigvalsh(x) ** 2))(a + a.T)
    eye = np.eye(3)
    _close(h, np.einsum('km,ln->klmn', eye, eye) + np.einsum('kn,lm->klmn', eye, eye),
           1e-10, 1e-10)


def test_triangular_solve_broadcasts_leading_dims():
    rng = _rng(22)
    a = np.tril(_normal(rng, (2, 1, 3, 3))) + 3 * np.eye(3)
    b = _normal(rng, (4, 3, 2))
    got = lax_linalg.triangular_solve(a.astype(np.float32), b.astype(np.float32),
                                      left_side=True, lower=True)
    want = np.linalg.solve(np.broadcast_to(a, (2, 4, 3, 3)), np.broadcast_to(b, (2, 4, 3, 2)))
    _close(got, want, 1e-5, 1e-5)


# --- jit -----------------------------------------------------------------------------------

def test_jit_matches_eager():
    jit = jax.jit
    rng = _rng(23)
    a = (_normal(rng, (4, 4)) + 2 * np.eye(4)).astype(np.float32)
    for f in [jnp.linalg.inv, jnp.linalg.det, jsl.expm, lambda x: jnp.linalg.svd(x)[1],
              lambda x: jnp.linalg.norm(x, 2), grad(lambda x: jnp.linalg.slogdet(x)[1])]:
        _close(jit(f)(a), f(a), 1e-5, 1e-5)
    # under jit the squaring count is traced: the masked loop gives the same result
    _close(jit(jsl.expm)(3 * a), jsl.expm(3 * a), 1e-5, 1e-4)


# --- errors -----------------------------------------------------------------------------------

def test_errors_name_the_function_and_shapes():
    with pytest.raises(ValueError, match=r"linalg.cholesky.*square.*\(3, 4\)"):
        jnp.linalg.cholesky(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"linalg.inv.*rank >= 2.*\(3,\)"):
        jnp.linalg.inv(np.ones(3))
    with pytest.raises(ValueError, match=r"linalg.solve.*\(3, 3\).*\(4,\)"):
        jnp.linalg.solve(np.eye(3), np.ones(4))
    with pytest.raises(ValueError, match=r"linalg.solve.*\(\.\.\., 3, K\)"):
        jnp.linalg.solve(np.eye(3), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"invalid order 'fro' for a vector"):
        jnp.linalg.norm(np.ones(3), 'fro')
    with pytest.raises(ValueError, match=r"unsupported mode 'raw'"):
        jnp.linalg.qr(np.eye(2), mode='raw')
    with pytest.raises(TypeError, match=r"cholesky does not accept dtype int32"):
        lax_linalg.cholesky(jnp.asarray(np.eye(2, dtype=np.int32)))
    with pytest.raises(TypeError, match=r"triangular_solve: a and b must have the same dtype"):
        lax_linalg.triangular_solve(np.eye(2, dtype=np.float32),
                                    np.ones((2, 2), np.complex64), left_side=True)
    with pytest.raises(ValueError, match=r"left_side=True, b must have as many rows"):
        lax_linalg.triangular_solve(np.eye(2, dtype=np.float32), np.ones((3, 2), np.float32),
                                    left_side=True)
    with pytest.raises(ValueError, match=r"solve_triangular: trans must be"):
        jsl.solve_triangular(np.eye(2), np.ones(2), trans=5)


def test_underdetermined_derivatives_raise():
    with pytest.raises(NotImplementedError, match=r"full_matrices=True.*tall"):
        jvp(lambda x: jnp.linalg.qr(x, mode='complete'), (np.ones((3, 2), np.float32),),
            (np.ones((3, 2), np.float32),))
    with pytest.raises(NotImplementedError, match=r"svd.*full_matrices=False"):
        jvp(jnp.linalg.svd, (np.ones((3, 2), np.float32),), (np.ones((3, 2), np.float32),))


def test_triangular_solve_is_linear_only_in_b():
    a = np.tril(np.ones((2, 2), np.float32)) + np.eye(2, dtype=np.float32)
    b = np.ones((2, 1), np.float32)
    f = lambda b: lax_linalg.triangular_solve(a, b, left_side=True, lower=True)
    y, f_t = vjp(f, b)
    # the transpose of x = a^-1 b is ct -> a^-T ct
    _close(f_t(np.ones((2, 1), np.float32))[0], np.linalg.solve(a.T, np.ones((2, 1))))


# --- JAX as an oracle ------------------------------------------------------------------------

@pytest.mark.slow
def test_against_jax():
    jax_ref = pytest.importorskip('jax')
    jjnp = jax_ref.numpy
    rng = _rng(24)
    a = (_normal(rng, (4, 4)) + 2 * np.eye(4)).astype(np.float32)
    spd = _pos_def(rng, (4, 4)).astype(np.float32)
    for name, f, x in [
            ('det grad', lambda m: m.linalg.det, a),
            ('slogdet grad', lambda m: (lambda x: m.linalg.slogdet(x)[1]), a),
            ('eigvalsh grad', lambda m: (lambda x: m.sum(m.linalg.eigvalsh(x) ** 3)), spd),
            ('svd grad', lambda m: (lambda x: m.sum(m.linalg.svd(x, compute_uv=False))), a),
            ('cholesky grad', lambda m: (lambda x: m.sum(m.linalg.cholesky(x) ** 3)), spd),
            ('solve grad', lambda m: (lambda x: m.sum(m.linalg.solve(x, x[0]))), a),
            ('pinv grad', lambda m: (lambda x: m.sum(m.linalg.pinv(x) ** 2)), a[:, :3])]:
        got = grad(f(jnp))(x)
        want = jax_ref.grad(f(jjnp))(x)
        _close(got, np.asarray(want), 1e-4, 1e-4)
    _close(jsl.expm(a), np.asarray(jax_ref.scipy.linalg.expm(a)), 1e-5, 1e-5)
    want = jax_ref.jacfwd(jax_ref.scipy.linalg.expm)(a / 2)
    _close(jax.jacfwd(jsl.expm)(a / 2), np.asarray(want), 1e-4, 1e-4)
    # the LU factorization itself is bit-for-bit LAPACK's
    for got, want in zip(lax_linalg.lu(a), jax_ref.lax.linalg.lu(a)):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
