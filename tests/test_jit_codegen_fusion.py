"""jit's layout and memory optimisations agree with eager execution: transposed products
computed directly in the transposed layout, and elementwise results written into dying
temporaries (which must never touch an input, an output or a value still needed)."""
import re

import numpy as np
import pytest

import pullback as jax
import pullback.numpy as jnp
from pullback import jit, lax
from pullback._core.core import Primitive
from pullback._core.avals import ShapedArray
from pullback._core.jaxpr import Jaxpr, Var, Eqn
from pullback._transforms.codegen import compile_jaxpr
from pullback.lax.elementwise import sin_p, exp_p, add_p

F32 = np.float32


def _rand(*shape, seed=0):
    return jnp.asarray(np.random.default_rng(seed).standard_normal(shape).astype(F32))


def _check(f, *args):
    want = f(*args)
    got = jit(f)(*args)
    for w, g in zip(jax.tree_util.tree_leaves(want), jax.tree_util.tree_leaves(got)):
        assert w.dtype == g.dtype and w.shape == g.shape
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-5)
    return jit(f).lower(*args)


# --- transpose(dot_general(x, y)) -> dot_general(y, x) -------------------------------------

@pytest.mark.parametrize('f, shapes', [
    (lambda x, y: lax.dot_general(x, y, (((0,), (0,)), ((), ()))).T,
     [(6, 4), (6, 5)]),                                                # weight gradient form
    (lambda x, y: (x @ y).T, [(3, 4), (4, 5)]),
    (lambda x, y: jnp.transpose(jnp.einsum('bij,bjk->bik', x, y), (0, 2, 1)),
     [(2, 3, 4), (2, 4, 5)]),                                          # batch axes stay first
    (lambda x, y: jnp.transpose(jnp.tensordot(x, y, 1), (2, 3, 0, 1)),
     [(2, 3, 4), (4, 5, 6)]),                                          # free blocks of two axes
])
def test_transposed_product_is_computed_swapped(f, shapes):
    args = [_rand(*s, seed=i) for i, s in enumerate(shapes)]
    lowered = _check(f, *args)
    names = [e.prim.name for e in lowered.jaxpr.eqns]
    assert names == ['dot_general'], lowered.as_text()


def test_transposed_product_folds_in_the_gradient_of_a_layer():
    def loss(w, x):
        return jnp.sum(jnp.tanh(x @ w))
    w, x = _rand(5, 3), _rand(4, 5, seed=1)
    lowered = _check(jax.grad(loss), w, x)
    assert 'transpose' not in [e.prim.name for e in lowered.jaxpr.eqns], lowered.as_text()


@pytest.mark.parametrize('f, shapes', [
    # the transpose interleaves the free axes: not the swapped product's layout
    (lambda x, y: jnp.transpose(jnp.tensordot(x, y, 1), (0, 2, 1, 3)),
     [(2, 3, 4), (4, 5, 6)]),
    # the product itself is also needed: folding would compute it twice
    (lambda x, y: ((x @ y).T, x @ y), [(3, 4), (4, 5)]),
    # a batch axis moves
    (lambda x, y: jnp.transpose(jnp.einsum('bij,bjk->bik', x, y), (1, 0, 2)),
     [(2, 3, 4), (2, 4, 5)]),
])
def test_transposed_product_kept_when_not_a_block_swap(f, shapes):
    args = [_rand(*s, seed=i) for i, s in enumerate(shapes)]
    lowered = _check(f, *args)
    assert 'transpose' in [e.prim.name for e in lowered.jaxpr.eqns], lowered.as_text()


def test_transposed_product_keeps_preferred_element_type():
    f = lambda x, y: lax.dot_general(x, y, (((0,), (0,)), ((), ())),
                                     preferred_element_type=jnp.float32).T
    x = jnp.asarray(np.arange(6, dtype=np.int32).reshape(3, 2))
    y = jnp.asarray(np.arange(12, dtype=np.int32).reshape(3, 4))
    lowered = _check(f, x, y)
    assert [e.prim.name for e in lowered.jaxpr.eqns] == ['dot_general']
    assert jit(f)(x, y).dtype == np.float32


# --- results written into dying temporaries ------------------------------------------------

def _inplace_statements(source):
    """``t0 += t1`` and ``xp.tanh(t0, out=t0)`` statements."""
    return [line.strip() for line in source.splitlines()
            if 'out=' in line or re.match(r"\s*\w+ [-+*&|^]= ", line)]


def _check_unmutated(f, *args):
    """jit(f) agrees with f exactly, leaves its inputs alone, and a second call neither
    changes the first call's outputs nor computes anything else."""
    copies = [np.array(a) for a in args]
    want = [np.asarray(w) for w in jax.tree_util.tree_leaves(f(*args))]
    g = jit(f)
    first = [np.asarray(o) for o in jax.tree_util.tree_leaves(g(*args))]
    kept = [np.array(o) for o in first]
    second = [np.asarray(o) for o in jax.tree_util.tree_leaves(g(*args))]
    for a, c in zip(args, copies):
        np.testing.assert_array_equal(np.asarray(a), c)
    for w, o, k, o2 in zip(want, first, kept, second):
        np.testing.assert_array_equal(o, w)
        np.testing.assert_array_equal(o, k)
        np.testing.assert_array_equal(o2, w)
    return g.lower(*args).source


def test_elementwise_chain_reuses_its_temporaries():
    x = _rand(8, 16)
    source = _check_unmutated(lambda x: jnp.exp(jnp.tanh(x * 2.0 + 1.0)) - x, x)
    # x * 2 allocates; + 1, tanh, exp and the subtraction reuse that array
    assert len(_inplace_statements(source)) == 4, source


def test_inputs_and_outputs_are_never_written():
    x, y = _rand(8, 16), _rand(8, 16, seed=1)
    source = _check_unmutated(lambda x, y: (jnp.sin(x), jnp.exp(jnp.sin(x)) + y, -y), x, y)
    assert 'out=x' not in source
    # sin(x) is an output: exp must allocate instead of overwriting it
    assert len(_inplace_statements(source)) == 1, source


def test_value_used_later_is_not_overwritten():
    x = _rand(8, 16)
    source = _check_unmutated(lambda x: (lambda a: a * 3.0 + jnp.cos(a))(jnp.sin(x)), x)
    # a * 3 may not go into a (cos needs it); cos, a's last use, and + may
    assert len(_inplace_statements(source)) == 2, source
    assert not any('*' in line for line in _inplace_statements(source)), source


@pytest.mark.parametrize('f', [
    lambda x: (lambda a: jnp.exp(a) + a.T.T.reshape(16, 8).reshape(8, 16))(jnp.sin(x)),
    lambda x: (lambda a: (jnp.exp(a), a.reshape(4, 32)))(jnp.sin(x)),
    lambda x: (lambda a: jnp.exp(a) * jnp.sum(a.T, axis=1))(jnp.sin(x)),
    lambda x: (lambda a: jnp.exp(a) + a[::2].sum())(jnp.sin(x)),
])
def test_views_of_a_temporary_keep_it_alive(f):
    _check_unmutated(f, _rand(8, 16))


def test_broadcast_views_are_never_written():
    x = _rand(8, 1)
    source = _check_unmutated(lambda x: jnp.exp(jnp.broadcast_to(jnp.sin(x), (8, 16))) + 1.0,
                              x)
    assert 'out=' in source or '+=' in source   # exp's result is ours; the broadcast is not


def test_result_of_an_unknown_primitive_is_taken_as_a_view():
    # a primitive jit knows nothing about may return (a view of) its operand
    view_p = Primitive('test_inplace_view', register=False)
    view_p.impl = lambda x: x[::-1]
    view_p.abstract_eval = lambda a: a
    a = ShapedArray((5,), np.dtype(np.float32))
    x, s, v, e, out = (Var(a) for _ in range(5))
    eqns = [Eqn(sin_p, [x], [s], {}), Eqn(view_p, [s], [v], {}), Eqn(exp_p, [s], [e], {}),
            Eqn(add_p, [v, e], [out], {})]
    exe = compile_jaxpr(Jaxpr([], [x], [out], eqns), [], optimize=False)
    xv = np.linspace(-1, 1, 5, dtype=np.float32)
    np.testing.assert_array_equal(exe(xv)[0], np.sin(xv)[::-1] + np.exp(np.sin(xv)))
    assert 'out=' not in exe.source.split('exp')[1].split('\n')[0], exe.source


def test_operands_of_an_effect_are_never_written():
    # an effectful primitive (a callback, say) may keep a reference to its operand
    saved = []
    keep_p = Primitive('test_inplace_keep', multiple_results=True, register=False)
    keep_p.effectful = True
    keep_p.impl = lambda x: (saved.append(x), [])[1]
    keep_p.abstract_eval = lambda a: []
    a = ShapedArray((5,), np.dtype(np.float32))
    x, s, y = Var(a), Var(a), Var(a)
    eqns = [Eqn(sin_p, [x], [s], {}), Eqn(keep_p, [s], [], {}), Eqn(exp_p, [s], [y], {})]
    exe = compile_jaxpr(Jaxpr([], [x], [y], eqns), [], optimize=False)
    xv = np.linspace(-1, 1, 5, dtype=np.float32)
    np.testing.assert_array_equal(exe(xv)[0], np.exp(np.sin(xv)))
    np.testing.assert_array_equal(saved[0], np.sin(xv))


def test_integer_and_boolean_chains():
    i = jnp.asarray(np.arange(24, dtype=np.int32).reshape(4, 6))
    _check_unmutated(lambda i: (i * 3 + 1) ^ (i & 5), i)
    _check_unmutated(lambda i: ((i > 3) | (i < 1)) & (i != 4), i)


def test_weak_scalars_keep_the_arrays_dtype():
    x = jnp.asarray(np.linspace(0, 1, 12, dtype=np.float16).reshape(3, 4))
    _check_unmutated(lambda x: jnp.sin(x) * 0.1 + 3.0 - x, x)


def test_mlp_gradient_step_fuses_and_matches_eager():
    rng = np.random.default_rng(0)
    params = [(jnp.asarray(rng.standard_normal((a, b)).astype(F32) / np.sqrt(a)),
               jnp.asarray(np.zeros(b, F32))) for a, b in [(12, 16), (16, 16), (16, 3)]]
    x = jnp.asarray(rng.standard_normal((5, 12)).astype(F32))
    y = jnp.asarray(np.eye(3, dtype=F32)[rng.integers(0, 3, 5)])

    def loss(params, x, y):
        h = x
        for W, b in params[:-1]:
            h = jnp.tanh(h @ W + b)
        logits = h @ params[-1][0] + params[-1][1]
        return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(logits), axis=1))

    def step(params, x, y):
        grads = jax.grad(loss)(params, x, y)
        return jax.tree_util.tree_map(lambda p, g: p - 0.01 * g, params, grads)

    flat_before = [np.array(p) for p in jax.tree_util.tree_leaves(params)]
    got, want = jit(step)(params, x, y), step(params, x, y)
    for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-6)
    for p, b in zip(jax.tree_util.tree_leaves(params), flat_before):
        np.testing.assert_array_equal(np.asarray(p), b)
    source = jit(step).lower(params, x, y).source
    assert len(_inplace_statements(source)) >= 10, source


def _random_program(rng, n_ops):
    """A random straight-line program of elementwise operations, views and reductions over
    one (4, 6) input, returning a random selection of its values."""
    unary = [jnp.sin, jnp.exp, jnp.tanh, lambda a: -a, lambda a: a * 0.5]
    binary = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, jnp.maximum]
    views = [lambda a: a.T.T, lambda a: a.reshape(6, 4).reshape(4, 6),
             lambda a: jnp.broadcast_to(a.sum(0), (4, 6)), lambda a: a[::-1]]
    plan = []
    for i in range(n_ops):
        kind = rng.integers(3)
        args = tuple(int(j) for j in rng.integers(0, i + 1, 2))
        fns = (unary, binary, views)[kind]
        plan.append((fns[rng.integers(len(fns))], kind, args))
    outs = sorted({int(j) for j in rng.integers(0, n_ops + 1, 3)})

    def program(x):
        values = [x]
        for fn, kind, (a, b) in plan:
            values.append(fn(values[a], values[b]) if kind == 1 else fn(values[a]))
        return tuple(values[j] for j in outs)
    return program


@pytest.mark.parametrize('seed', range(40))
def test_random_programs_agree_with_eager(seed):
    rng = np.random.default_rng(seed)
    _check_unmutated(_random_program(rng, 12), _rand(4, 6, seed=seed))
