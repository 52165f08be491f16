"""jit's layout and memory optimisations agree with eager execution: transposed products
computed directly in the transposed layout."""
import numpy as np
import pytest

import pullback as jax
import pullback.numpy as jnp
from pullback import jit, lax

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
