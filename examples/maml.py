"""MAML: differentiating through an inner SGD step.

Model-agnostic meta-learning looks for parameters theta that do well on a task after
one gradient step on that task's training data: theta' = theta - alpha * grad L_train(theta).
The meta-loss is L_test(theta'), and its gradient with respect to theta flows through
the inner gradient, so it contains second derivatives:
grad_theta L_test(theta') = (I - alpha * H_train(theta)) grad L_test(theta').
"""
import sys
from pathlib import Path

try:
    import pullback  # noqa: F401
except ImportError:  # running from a source checkout that is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'src'))

import pullback as jax
import pullback.numpy as jnp
from pullback.tree_util import tree_map


def init_params(key, hidden=20, dtype=None):
    k1, k2 = jax.random.split(key)
    return {'w1': jax.random.normal(k1, (1, hidden), dtype), 'b1': jnp.zeros(hidden, dtype),
            'w2': jax.random.normal(k2, (hidden, 1), dtype) / jnp.sqrt(hidden),
            'b2': jnp.zeros(1, dtype)}


def predict(params, x):
    h = jnp.tanh(x[:, None] @ params['w1'] + params['b1'])
    return (h @ params['w2'] + params['b2'])[:, 0]


def mse(params, x, y):
    return jnp.mean((predict(params, x) - y) ** 2)


def adapt(params, x_train, y_train, alpha):
    """The inner loop: one SGD step on the task's training data."""
    grads = jax.grad(mse)(params, x_train, y_train)
    return tree_map(lambda p, g: p - alpha * g, params, grads)


def meta_loss(params, task, alpha):
    x_train, y_train, x_test, y_test = task
    return mse(adapt(params, x_train, y_train, alpha), x_test, y_test)


def batch_meta_loss(params, tasks, alpha):
    return jnp.mean(jax.vmap(meta_loss, in_axes=(None, 0, None))(params, tasks, alpha))


def sample_tasks(key, num_tasks, num_points=10, dtype=None):
    """Sine waves with random amplitude and phase; train and test points per task."""
    ka, kp, kx = jax.random.split(key, 3)
    amp = jax.random.uniform(ka, (num_tasks, 1), dtype, 0.5, 2.0)
    phase = jax.random.uniform(kp, (num_tasks, 1), dtype, 0.0, jnp.pi)
    x = jax.random.uniform(kx, (num_tasks, 2 * num_points), dtype, -3.0, 3.0)
    y = amp * jnp.sin(x + phase)
    n = num_points
    return x[:, :n], y[:, :n], x[:, n:], y[:, n:]


def main(meta_steps=1000, alpha=0.1, meta_lr=0.03):
    params = init_params(jax.random.PRNGKey(0))
    test_tasks = sample_tasks(jax.random.PRNGKey(1), 100)

    @jax.jit
    def meta_step(params, tasks):
        loss, grads = jax.value_and_grad(batch_meta_loss)(params, tasks, alpha)
        return tree_map(lambda p, g: p - meta_lr * g, params, grads), loss

    print(f"meta-loss on new tasks before meta-training: "
          f"{float(batch_meta_loss(params, test_tasks, alpha)):.3f}")
    key = jax.random.PRNGKey(2)
    for _ in range(meta_steps):
        key, sub = jax.random.split(key)
        params, _ = meta_step(params, sample_tasks(sub, 16))
    print(f"meta-loss on new tasks after {meta_steps} meta-steps: "
          f"{float(batch_meta_loss(params, test_tasks, alpha)):.3f}")
    x_tr, y_tr, x_te, y_te = (t[0] for t in test_tasks)
    print(f"one new task: loss {float(mse(params, x_te, y_te)):.3f} before adapting, "
          f"{float(meta_loss(params, (x_tr, y_tr, x_te, y_te), alpha)):.3f} after one step")


if __name__ == '__main__':
    main()
