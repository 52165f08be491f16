"""Taking derivatives with respect to custom data types.

Any class registered as a pytree node can be an argument of grad/jvp/vmap: the
transformations flatten it to its array leaves, differentiate, and rebuild the same
class, so `grad` returns a gradient of the same type as the parameters.  Below, a
`Gaussian` is registered with `register_pytree_node_class` (its `name` is static
metadata, not differentiated), and a `Mixture` holding two Gaussians with
`register_dataclass`; gradient descent is then just `tree_map` over them.
"""
import dataclasses
import sys
from pathlib import Path

try:
    import pullback  # noqa: F401
except ImportError:  # running from a source checkout that is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'src'))

import pullback as jax
import pullback.numpy as jnp
from pullback.tree_util import register_dataclass, register_pytree_node_class, tree_map


@register_pytree_node_class
class Gaussian:
    def __init__(self, mean, log_std, name='gaussian'):
        self.mean, self.log_std, self.name = mean, log_std, name

    def tree_flatten(self):
        return (self.mean, self.log_std), self.name      # children, static aux data

    @classmethod
    def tree_unflatten(cls, name, children):
        return cls(*children, name=name)

    def log_prob(self, x):
        z = (x - self.mean) * jnp.exp(-self.log_std)
        return -0.5 * z ** 2 - self.log_std - 0.5 * jnp.log(2 * jnp.pi)

    def __repr__(self):
        return f"Gaussian({self.name!r}, mean={self.mean!s}, log_std={self.log_std!s})"


@register_dataclass
@dataclasses.dataclass
class Mixture:
    first: Gaussian
    second: Gaussian
    logit: jax.Array          # log-odds of the first component
    label: str = dataclasses.field(default='mixture', metadata=dict(static=True))

    def log_prob(self, x):
        log_weights = jax.nn.log_sigmoid(jnp.stack([self.logit, -self.logit]))
        log_probs = jnp.stack([self.first.log_prob(x), self.second.log_prob(x)])
        return jax.nn.logsumexp(log_weights[:, None] + log_probs, axis=0)


def negative_log_likelihood(dist, data):
    return -jnp.mean(dist.log_prob(data))


def sgd(params, grads, lr):
    return tree_map(lambda p, g: p - lr * g, params, grads)


def make_data(key, n=400):
    k1, k2, k3 = jax.random.split(key, 3)
    pick = jax.random.bernoulli(k1, 0.3, (n,))
    return jnp.where(pick, -2.0 + 0.5 * jax.random.normal(k2, (n,)),
                     1.5 + 0.8 * jax.random.normal(k3, (n,)))


def initial_mixture():
    return Mixture(Gaussian(jnp.array(-1.0), jnp.array(0.0), 'left'),
                   Gaussian(jnp.array(1.0), jnp.array(0.0), 'right'), jnp.array(0.0))


def main():
    data = make_data(jax.random.PRNGKey(0))
    mix = initial_mixture()
    grads = jax.grad(negative_log_likelihood)(mix, data)
    print("grad type:", type(grads).__name__, "| first component:", grads.first)
    step = jax.jit(lambda m: sgd(m, jax.grad(negative_log_likelihood)(m, data), 0.1))
    print(f"NLL before: {float(negative_log_likelihood(mix, data)):.4f}")
    for _ in range(300):
        mix = step(mix)
    print(f"NLL after:  {float(negative_log_likelihood(mix, data)):.4f}")
    print(f"weight of first component {float(jax.nn.sigmoid(mix.logit)):.3f} (true 0.3)")
    print(mix.first, mix.second, sep="\n")


if __name__ == '__main__':
    main()
