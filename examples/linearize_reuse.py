"""Linearize once, apply the linear map many times.

`jax.jvp(f, (x,), (v,))` re-runs f for every tangent v.  `jax.linearize(f, x)` runs f
once and returns the linear map v -> J v, which can then be applied to any number of
tangents (one by one or with vmap) without touching f again.  Its transpose
u -> J^T u (`jax.linear_transpose`, or equally the vjp of the linear map) comes from
the same linearization.  A Python call counter on f (eager, no jit) shows f runs once.
"""
import sys
from pathlib import Path

try:
    import pullback  # noqa: F401
except ImportError:  # running from a source checkout that is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'src'))

import pullback as jax
import pullback.numpy as jnp


class CountedFunction:
    """Wraps a function and counts how many times its Python body runs."""

    def __init__(self, fun):
        self.fun = fun
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        return self.fun(*args)


def layer(x):
    """A map R^n -> R^n with some nonlinear work in it."""
    for _ in range(3):
        x = jnp.tanh(x + 0.5 * jnp.sin(jnp.roll(x, 1)))
    return x


def transpose_via_linear_transpose(f_jvp, x):
    """u -> J^T u by transposing the linear map; f itself is not evaluated again."""
    f_t = jax.linear_transpose(f_jvp, x)     # x only gives the input shape and dtype
    return lambda u: f_t(u)[0]


def transpose_via_vjp(f_jvp, x):
    """The same map another way: f_jvp is linear, so its vjp (at any point) is J^T."""
    _, f_t = jax.vjp(f_jvp, jnp.zeros_like(x))
    return lambda u: f_t(u)[0]


def main():
    n, k = 6, 8
    x = jnp.linspace(-1., 1., n)
    tangents = jax.random.normal(jax.random.PRNGKey(0), (k, n))

    f = CountedFunction(layer)
    repeated = [jax.jvp(f, (x,), (v,))[1] for v in tangents]
    print(f"jvp per tangent:   {f.calls} primal evaluations for {k} tangents")

    f = CountedFunction(layer)
    y, f_jvp = jax.linearize(f, x)
    once = jnp.stack([f_jvp(v) for v in tangents])
    batched = jax.vmap(f_jvp)(tangents)
    print(f"linearize + reuse: {f.calls} primal evaluation for {2 * k} tangent products")
    print("max |difference| from jvp:",
          float(jnp.max(jnp.abs(once - jnp.stack(repeated)))),
          "(looped),", float(jnp.max(jnp.abs(batched - jnp.stack(repeated)))), "(vmapped)")

    u = jnp.ones(n)
    print("J^T 1 via linear_transpose:", transpose_via_linear_transpose(f_jvp, x)(u))
    print("J^T 1 via vjp of f_jvp:    ", transpose_via_vjp(f_jvp, x)(u))
    print(f"total primal evaluations after both transposes: {f.calls}")


if __name__ == '__main__':
    main()
