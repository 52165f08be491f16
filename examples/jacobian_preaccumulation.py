"""Optimizing VJPs with Jacobian pre-accumulation.

A function with few inputs and outputs but many operations inside (here 25 steps of
an ODE integrator acting on a 3-vector) normally makes reverse mode save every
intermediate value and replay all of them backwards.  A `custom_vjp` can instead
pre-accumulate the small dense Jacobian in its forward pass (`jax.linearize` gives
the output and the linear map once; pushing the 3 basis vectors through it, as jacfwd
does, gives J), save only J, and make the backward pass one matrix-vector product.
"""
import sys
from pathlib import Path

try:
    import pullback  # noqa: F401
except ImportError:  # running from a source checkout that is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'src'))

import pullback as jax
import pullback.numpy as jnp


def lorenz(state, sigma=10., rho=28., beta=8. / 3.):
    x, y, z = state[0], state[1], state[2]
    return jnp.stack([sigma * (y - x), x * (rho - z) - y, x * y - beta * z])


def flow(state, dt=0.004, steps=25):
    """Fourth-order Runge-Kutta integration: R^3 -> R^3 through hundreds of operations."""
    for _ in range(steps):
        k1 = lorenz(state)
        k2 = lorenz(state + 0.5 * dt * k1)
        k3 = lorenz(state + 0.5 * dt * k2)
        k4 = lorenz(state + dt * k3)
        state = state + dt / 6. * (k1 + 2 * k2 + 2 * k3 + k4)
    return state


def dense_jacobian(f, x):
    """(f(x), J): one linearization, then the basis tangents pushed through it (jacfwd)."""
    y, f_jvp = jax.linearize(f, x)
    jac = jax.vmap(f_jvp, out_axes=1)(jnp.eye(x.shape[0], dtype=x.dtype))
    return y, jac


@jax.custom_vjp
def flow_preaccumulated(state):
    return flow(state)


def _fwd(state):
    y, jac = dense_jacobian(flow, state)
    return y, jac                      # the only residual: a 3 x 3 matrix


def _bwd(jac, g):
    return (g @ jac,)                  # J^T g as one (vector x matrix) product


flow_preaccumulated.defvjp(_fwd, _bwd)


def trajectory_loss(f, state, segments=3):
    """Chains the flow a few times and scores the final state."""
    for _ in range(segments):
        state = f(state)
    return jnp.sum(state ** 2)


def main():
    x0 = jnp.array([1.0, 1.0, 1.0])
    g_plain = jax.grad(lambda s: trajectory_loss(flow, s))(x0)
    g_pre = jax.grad(lambda s: trajectory_loss(flow_preaccumulated, s))(x0)
    print("gradient, plain reverse mode:  ", g_plain)
    print("gradient, pre-accumulated VJP: ", g_pre)
    print("the same up to float32 rounding:", bool(jnp.allclose(g_plain, g_pre, rtol=1e-4)))
    n_plain = len(jax.make_jaxpr(jax.vjp(flow, x0)[1])(x0).eqns)
    n_pre = len(jax.make_jaxpr(jax.vjp(flow_preaccumulated, x0)[1])(x0).eqns)
    print(f"equations in the backward pass: plain {n_plain}, pre-accumulated {n_pre}")


if __name__ == '__main__':
    main()
