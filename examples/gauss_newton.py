"""Gauss-Newton vector products, linearizing once.

For a least-squares loss 0.5 * ||r(theta)||^2 the Gauss-Newton matrix is G = J^T J,
where J is the Jacobian of the residuals r.  G is never formed: G v = J^T (J v) is one
forward-mode product (jvp) followed by one reverse-mode product (vjp).  When many
products are needed at the same theta (e.g. inside conjugate gradient), `linearize` is
called once and its linear map (and that map's transpose) reused: r runs only once.
"""
import sys
from pathlib import Path

try:
    import pullback  # noqa: F401
except ImportError:  # running from a source checkout that is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'src'))

import pullback as jax
import pullback.numpy as jnp


def model(theta, x):
    """A small nonlinear curve: a damped oscillation plus an offset."""
    amplitude, decay, freq, offset = theta
    return amplitude * jnp.exp(-decay * x) * jnp.cos(freq * x) + offset


def make_residuals(x, y):
    return lambda theta: model(theta, x) - y


def gn_vector_product(r, theta, v):
    """G v = J^T (J v), recomputing r on every call (one jvp + one vjp)."""
    _, jv = jax.jvp(r, (theta,), (v,))
    _, r_vjp = jax.vjp(r, theta)
    return r_vjp(jv)[0]


def gn_operator(r, theta):
    """Linearize r once; return (r(theta), u -> J^T u, v -> J^T J v), all reusing it."""
    residuals, r_jvp = jax.linearize(r, theta)            # the only evaluation of r
    # r_jvp is linear, so its vjp (taken at any point, here 0) is its transpose J^T.
    _, r_jvp_transpose = jax.vjp(r_jvp, jnp.zeros_like(theta))
    r_vjp = lambda u: r_jvp_transpose(u)[0]               # noqa: E731
    return residuals, r_vjp, lambda v: r_vjp(r_jvp(v))


def conjugate_gradient(matvec, b, iters, tol=1e-20):
    """Solve matvec(x) = b for a symmetric positive definite operator (eagerly)."""
    x = jnp.zeros_like(b)
    res = b
    p = res
    rs = jnp.vdot(res, res)
    for _ in range(iters):
        if float(rs) <= tol:          # already solved (e.g. at the optimum)
            break
        ap = matvec(p)
        alpha = rs / jnp.vdot(p, ap)
        x = x + alpha * p
        res = res - alpha * ap
        rs_new = jnp.vdot(res, res)
        p = res + (rs_new / rs) * p
        rs = rs_new
    return x


def gauss_newton_step(r, theta, damping=1e-3):
    """One damped Gauss-Newton (Levenberg-Marquardt) step, matrix-free."""
    residuals, r_vjp, gn = gn_operator(r, theta)
    gradient = r_vjp(residuals)                    # J^T r
    step = conjugate_gradient(lambda v: gn(v) + damping * v, -gradient, iters=theta.size)
    return theta + step


def make_problem():
    x = jnp.linspace(0., 4., 40)
    true_theta = jnp.array([2.0, 0.7, 3.0, 0.5])
    return x, model(true_theta, x), true_theta


def main():
    x, y, true_theta = make_problem()
    r = make_residuals(x, y)
    theta = jnp.array([1.5, 0.5, 2.8, 0.0])
    print(f"initial loss {0.5 * float(jnp.sum(r(theta) ** 2)):.3e}")
    for i in range(4):
        theta = gauss_newton_step(r, theta)
        print(f"step {i + 1}: loss {0.5 * float(jnp.sum(r(theta) ** 2)):.3e}")
    print("fitted theta:", theta, " true theta:", true_theta)
    # All Gauss-Newton products at once: vmap the reused operator over basis vectors.
    _, _, gn = gn_operator(r, theta)
    print("G = J^T J via vmap over the identity:\n", jax.vmap(gn)(jnp.eye(4)))


if __name__ == '__main__':
    main()
