"""Binomial (divide-and-conquer) checkpointing for long chains.

Plain reverse mode stores the intermediate values of every step of a long chain, so
memory grows linearly with its length T.  Applying `jax.checkpoint` recursively, to
each half of the chain, then to each half of each half, ..., stores only the states at
segment boundaries: O(log T) states live at once, at the price of recomputing each
step O(log T) times.  The gradient is the same; here the chain is T steps of a tanh
RNN update h <- tanh(h W + x_t), and tracemalloc measures the peak memory.
"""
import sys
import tracemalloc
from pathlib import Path

try:
    import pullback  # noqa: F401
except ImportError:  # running from a source checkout that is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'src'))

import pullback as jax
import pullback.numpy as jnp


def step(w, h, x):
    return jnp.tanh(h @ w + x)


def run_plain(w, h, xs):
    for t in range(xs.shape[0]):
        h = step(w, h, xs[t])
    return h


def run_recursive(w, h, xs, start=0, stop=None, leaf_size=1):
    """Same result as run_plain.  Steps start..stop-1 are split in two halves, each run
    as a checkpointed segment, recursively.  The segments index into the whole xs
    (bounds are static) rather than slicing it, so no copies of xs are saved."""
    stop = xs.shape[0] if stop is None else stop
    if stop - start <= leaf_size:
        for t in range(start, stop):
            h = step(w, h, xs[t])
        return h
    mid = (start + stop) // 2
    segment = jax.checkpoint(run_recursive, static_argnums=(3, 4, 5))
    h = segment(w, h, xs, start, mid, leaf_size)
    return segment(w, h, xs, mid, stop, leaf_size)


def loss(run, w, h0, xs):
    return jnp.sum(run(w, h0, xs) ** 2)


def make_problem(steps=64, batch=128, hidden=256, dtype=None):
    kw, kh, kx = jax.random.split(jax.random.PRNGKey(0), 3)
    w = jax.random.normal(kw, (hidden, hidden), dtype) / jnp.sqrt(hidden)
    h0 = jax.random.normal(kh, (batch, hidden), dtype)
    xs = 0.1 * jax.random.normal(kx, (steps, hidden), dtype)   # inputs, shared by the batch
    return w, h0, xs


def grad_and_peak_memory(run, w, h0, xs):
    """Gradients w.r.t. (w, h0) and the peak traced memory while computing them."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        grads = jax.grad(lambda w, h0: loss(run, w, h0, xs), argnums=(0, 1))(w, h0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return grads, peak


def main(steps=64):
    w, h0, xs = make_problem(steps)
    g_plain, mem_plain = grad_and_peak_memory(run_plain, w, h0, xs)
    g_ckpt, mem_ckpt = grad_and_peak_memory(run_recursive, w, h0, xs)
    diff = max(float(jnp.max(jnp.abs(a - b)) / jnp.max(jnp.abs(a)))
               for a, b in zip(g_plain, g_ckpt))
    print(f"{xs.shape[0]} steps, state {h0.shape}")
    print(f"plain reverse mode:      peak {mem_plain / 2**20:6.2f} MiB")
    print(f"recursive checkpointing: peak {mem_ckpt / 2**20:6.2f} MiB")
    print(f"largest gradient difference (relative, float32): {diff:.1e}")


if __name__ == '__main__':
    main()
