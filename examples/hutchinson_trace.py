"""Estimating the trace of a Hessian with random Hessian-vector products.

Hutchinson's estimator: for random probes v with E[v v^T] = I (Rademacher +-1 entries,
or standard normal), E[v^T H v] = trace(H).  Each v^T H v needs only one
Hessian-vector product, computed forward-over-reverse as jvp(grad(f), (x,), (v,)),
so H is never formed.  Averaging over many probes (vmapped in one batch) shrinks the
error like 1/sqrt(num_probes); Rademacher probes have the lower variance.
"""
import sys
from pathlib import Path

try:
    import pullback  # noqa: F401
except ImportError:  # running from a source checkout that is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'src'))

import pullback as jax
import pullback.numpy as jnp
from pullback import random


def loss(x):
    """A smooth scalar function with a dense, non-diagonal Hessian."""
    n = x.shape[0]
    a = jnp.cos(jnp.arange(n * n, dtype=x.dtype).reshape(n, n))
    return jnp.sum(jnp.log1p(jnp.exp(a @ x))) + 0.25 * jnp.sum(x ** 4)


def hvp(f, x, v):
    """Hessian-vector product H(x) v, forward-over-reverse."""
    return jax.jvp(jax.grad(f), (x,), (v,))[1]


def probes(key, num, n, kind, dtype):
    if kind == 'rademacher':
        return random.rademacher(key, (num, n), dtype)     # +-1 with equal probability
    return random.normal(key, (num, n), dtype)


def hutchinson_samples(f, x, key, num_probes, kind='rademacher'):
    """The per-probe estimates v^T H v (their mean estimates trace(H))."""
    vs = probes(key, num_probes, x.shape[0], kind, x.dtype)
    return jax.vmap(lambda v: jnp.vdot(v, hvp(f, x, v)))(vs)


def hutchinson_trace(f, x, key, num_probes, kind='rademacher'):
    return jnp.mean(hutchinson_samples(f, x, key, num_probes, kind))


def main():
    x = jnp.linspace(-1., 1., 12)
    exact = float(jnp.trace(jax.hessian(loss)(x)))
    print(f"exact trace (jax.hessian): {exact:.4f}")
    for kind in ('rademacher', 'normal'):
        for num in (10, 100, 1000):
            est = float(hutchinson_trace(loss, x, random.PRNGKey(0), num, kind))
            print(f"{kind:>10}, {num:4d} probes: {est:.4f}  (error {abs(est - exact):.4f})")


if __name__ == '__main__':
    main()
