"""Concrete arrays with basic in-bounds indices take a NumPy shortcut; the results must be
those of the gather/scatter primitives the general path (and every transformation) uses."""
import numpy as np
import pytest

import pullback as jax
import pullback.numpy as jnp
from pullback import lax

X = jnp.arange(24.).reshape(2, 3, 4)


@pytest.mark.parametrize('idx', [0, -1, (1, 2), (0, slice(None), 3), slice(1, None),
                                 (slice(None, None, -1), 1), ()])
def test_getitem_shortcut_matches_the_gather(idx):
    fast = X[idx]
    slow = lax.getitem(X, idx)
    np.testing.assert_array_equal(fast, slow)
    assert fast.dtype == slow.dtype and fast.weak_type == slow.weak_type
    np.testing.assert_array_equal(fast, np.asarray(X)[idx])


def test_out_of_bounds_still_clamps_like_jax():
    np.testing.assert_array_equal(X[5], X[1])


@pytest.mark.parametrize('idx, value', [(0, 1.), ((1, 2), jnp.arange(4.)), ((0, 1, 2), 7)])
@pytest.mark.parametrize('how', ['set', 'add'])
def test_update_shortcut_matches_the_scatter(idx, value, how):
    fast = getattr(X.at[idx], how)(value)
    slow = lax.index_update(X, idx, value, mode=how)
    np.testing.assert_array_equal(fast, slow)
    assert fast.dtype == slow.dtype


def test_shortcuts_leave_the_original_alone_and_differentiate():
    y = X.at[0].set(0.)
    assert float(X[0, 0, 1]) == 1.0 and float(y[0, 0, 1]) == 0.0
    g = jax.grad(lambda x: jnp.sum(x.at[0].set(0.) * x[1, 2]))(X)
    assert g.shape == X.shape and float(g[0, 0, 0]) == 0.0
