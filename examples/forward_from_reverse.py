"""Forward-mode autodiff using only reverse mode (the double-vjp trick).

`vjp(f, x)` returns the pullback u -> J^T u, which is *linear* in u.  The transpose of
a linear map is its vjp, and the transpose of u -> J^T u is v -> J v: so a second vjp,
taken of the pullback at any point u (zeros will do), turns reverse mode into forward
mode.  This matters when a system has only reverse-mode rules; here the result is
checked against `jax.jvp`.
"""
import sys
from pathlib import Path

try:
    import pullback  # noqa: F401
except ImportError:  # running from a source checkout that is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'src'))

import pullback as jax
import pullback.numpy as jnp


def jvp_via_vjp(f, x, v):
    """(f(x), J(x) v) computed with two reverse-mode passes and no forward mode."""
    y, f_vjp = jax.vjp(f, x)                         # u -> J^T u
    pullback_fn = lambda u: f_vjp(u)[0]              # noqa: E731
    _, pullback_vjp = jax.vjp(pullback_fn, jnp.zeros_like(y))   # v -> (J^T)^T v = J v
    return y, pullback_vjp(v)[0]


def f(x):
    """R^3 -> R^2, nonlinear in every input."""
    return jnp.stack([jnp.sin(x[0]) * x[1] ** 2, jnp.exp(x[2] * x[0]) - jnp.tanh(x[1])])


def main():
    x = jnp.array([0.3, -1.2, 0.8])
    v = jnp.array([1.0, 0.5, -2.0])
    y, jv = jvp_via_vjp(f, x, v)
    y_ref, jv_ref = jax.jvp(f, (x,), (v,))
    print("f(x)          :", y)
    print("J v (2 x vjp) :", jv)
    print("J v (jax.jvp) :", jv_ref)
    # The same trick builds the whole Jacobian column by column, vmapped over tangents.
    jac = jax.vmap(lambda t: jvp_via_vjp(f, x, t)[1], out_axes=1)(jnp.eye(3))
    print("Jacobian via double vjp matches jacfwd:",
          bool(jnp.allclose(jac, jax.jacfwd(f)(x))))


if __name__ == '__main__':
    main()
