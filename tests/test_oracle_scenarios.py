"""End-to-end programs run with pullback and with JAX (the oracle), compared leaf by leaf:
a jitted training loop, scan, random numbers under vmap/jit, control flow, indexing
updates, linear algebra, custom rules, nn, checkpointing and while loops."""
import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp

jax = pytest.importorskip('jax')
jnp = pytest.importorskip('jax.numpy')

rng = np.random.default_rng(0)
X = rng.standard_normal((5, 3)).astype(np.float32)
y = rng.standard_normal(5).astype(np.float32)
SCENARIOS = []


def scenario(*args, rtol=1e-5, atol=1e-6):
    def register(builder):
        SCENARIOS.append(pytest.param(builder, args, rtol, atol, id=builder.__name__))
        return builder
    return register


@pytest.fixture(autouse=True)
def seed_mode_threefry():
    jax.config.update('jax_threefry_partitionable', False)
    yield


@pytest.mark.parametrize('builder, args, rtol, atol', SCENARIOS)
def test_matches_jax(builder, args, rtol, atol):
    a = builder(pb, pnp)(*[pnp.asarray(x) if isinstance(x, np.ndarray) else x for x in args])
    b = builder(jax, jnp)(*[jnp.asarray(x) if isinstance(x, np.ndarray) else x for x in args])
    la, lb = pb.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    assert len(la) == len(lb)
    for u, v in zip(la, lb):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=rtol, atol=atol)


@scenario(X, y)
def mlp(J, N):
    def loss(p, x, y):
        h = N.tanh(x @ p['w1'] + p['b1'])
        return N.mean((h @ p['w2'] - y) ** 2)
    def run(x, y):
        p = {'w1': N.ones((3, 4)) * 0.1, 'b1': N.zeros(4), 'w2': N.ones(4) * 0.2}
        step = J.jit(lambda p, x, y: J.tree_util.tree_map(lambda a, g: a - 0.1 * g, p, J.grad(loss)(p, x, y)))
        for _ in range(5):
            p = step(p, x, y)
        return p
    return run


@scenario(X)
def rnn(J, N):
    def run(xs):
        def cell(h, x):
            h = N.tanh(h * 0.5 + x)
            return h, h ** 2
        def f(h0):
            h, ys = J.lax.scan(cell, h0, xs)
            return N.sum(ys) + N.sum(h)
        return J.grad(f)(N.ones(3)), J.jit(J.grad(f))(N.ones(3))
    return run


@scenario()
def rand(J, N):
    def run():
        k = J.random.PRNGKey(42)
        ks = J.random.split(k, 4)
        a = J.vmap(lambda k: J.random.normal(k, (3,)))(ks)
        b = J.jit(lambda k: J.random.uniform(k, (2, 2), minval=-1., maxval=2.))(k)
        c = J.random.randint(k, (5,), 0, 10)
        d = J.random.permutation(k, 6)
        e = J.random.bernoulli(k, 0.3, (4,))
        return a, b, c, d, e
    return run


@scenario(X[0])
def ctrl(J, N):
    def run(x):
        f = lambda x: J.lax.cond(x.sum() > 0, lambda v: N.sin(v), lambda v: N.cos(v) * 2, x)
        g = lambda x: J.lax.fori_loop(0, 5, lambda i, v: v * 1.1 + i, x)
        return J.grad(lambda x: N.sum(f(x)))(x), J.vmap(f)(X), J.jacrev(g)(x), J.jit(J.vmap(J.grad(lambda x: N.sum(g(x)))))(X)
    return run


@scenario(X)
def idx(J, N):
    def run(x):
        f = lambda x: N.sum(x[1:, ::2] ** 2) + x[0, 1] * x[-1, -1] + N.sum(x[N.array([0, 2])])
        g = lambda x: x.at[0, :].set(0.).at[:, 1].add(x[:, 0])
        return J.grad(f)(x), J.jit(J.grad(lambda x: N.sum(g(x) ** 2)))(x), J.vmap(lambda r: r[::-1])(x)
    return run


@scenario(X, rtol=1e-4, atol=1e-5)
def linalg(J, N):
    def run(x):
        A = x.T @ x + N.eye(3)
        f = lambda A: N.linalg.slogdet(A)[1] + N.sum(N.linalg.solve(A, N.ones(3))) + N.trace(N.linalg.inv(A))
        return J.grad(f)(A), J.vmap(N.linalg.cholesky)(N.stack([A, 2 * A])), J.jacfwd(lambda A: N.linalg.eigh(A)[0])(A)
    return run


@scenario(X[0])
def customs(J, N):
    def run(x):
        @J.custom_jvp
        def f(x): return N.exp(x) - 1
        f.defjvp(lambda p, t: (f(p[0]), N.exp(p[0]) * t[0]))
        @J.custom_vjp
        def g(x): return x * 2
        g.defvjp(lambda x: (g(x), x), lambda r, ct: (ct * r,))
        h = lambda x: N.sum(f(x) * g(x))
        return J.grad(h)(x), J.jit(J.grad(h))(x), J.vmap(J.grad(h))(X), J.hessian(lambda x: N.sum(f(x)))(x)
    return run


@scenario(X[0])
def nnstuff(J, N):
    def run(x):
        nn = J.nn
        return nn.softmax(x), J.grad(lambda x: nn.logsumexp(x))(x), nn.relu(x), J.grad(lambda x: N.sum(nn.gelu(x)))(x), nn.one_hot(N.array([0, 2]), 3)
    return run


@scenario(X[0])
def remat(J, N):
    def run(x):
        f = J.checkpoint(lambda x: N.sin(N.sin(x)))
        return J.grad(lambda x: N.sum(f(f(x))))(x), J.jit(J.grad(lambda x: N.sum(f(x))))(x)
    return run


@scenario(X[0])
def whiles(J, N):
    def run(x):
        return J.vmap(lambda v: J.lax.while_loop(lambda c: c[0] < 10, lambda c: (c[0] + 1, c[1] * 1.5), (0, v))[1])(x)
    return run
