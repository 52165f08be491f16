"""checkpoint / remat: same values and derivatives, less memory, policies and names."""
import tracemalloc

import numpy as np
import pytest

import pullback
import pullback as jax
import pullback.numpy as jnp
from pullback import lax, grad, vmap
from pullback._transforms.checkpoint import (checkpoint, remat, checkpoint_policies,
                                             checkpoint_name)
from test_control_flow import check_derivatives, x64  # noqa: F401  (x64 is a fixture)


def _f(x):
    return jnp.sin(jnp.sin(x))


def test_exported_lazily():
    assert pullback.checkpoint is checkpoint and pullback.remat is checkpoint
    assert pullback.checkpoint_policies is checkpoint_policies
    assert remat is checkpoint


def test_values_and_derivatives_unchanged(x64):
    g = checkpoint(_f)
    assert float(g(1.)) == float(_f(1.))
    assert float(grad(g)(1.)) == float(grad(_f)(1.))
    assert float(grad(grad(g))(1.)) == pytest.approx(float(grad(grad(_f))(1.)), rel=1e-14)
    check_derivatives(checkpoint(lambda x, y: jnp.sum(jnp.tanh(x * y) * x)),
                      np.array([0.3, -1.2]), np.array([2., 0.5]))
    np.testing.assert_array_equal(vmap(grad(g))(jnp.array([1., 2.])),
                                  vmap(grad(_f))(jnp.array([1., 2.])))
    np.testing.assert_array_equal(grad(lambda x: jnp.sum(vmap(g)(x)))(jnp.array([1., 2.])),
                                  grad(lambda x: jnp.sum(vmap(_f)(x)))(jnp.array([1., 2.])))
    assert jax.jvp(g, (1.,), (1.,))[1] == jax.jvp(_f, (1.,), (1.,))[1]


def test_jaxprs():
    text = str(jax.make_jaxpr(checkpoint(_f))(1.))
    assert 'checkpoint[' in text and 'differentiated=False' in text
    text = str(jax.make_jaxpr(grad(checkpoint(_f)))(1.))
    # the backward part is one checkpoint equation that recomputes sin from the input
    assert 'differentiated=True' in text
    staged = text[text.index('differentiated=True'):]
    assert 'sin' in staged and 'cos' in staged


def test_jit_compositions():
    if not hasattr(pullback, 'jit'):
        pytest.skip("pullback.jit is not available")
    g = checkpoint(_f)
    expected = float(grad(_f)(1.))
    assert float(jax.jit(grad(g))(1.)) == pytest.approx(expected, rel=1e-6)
    assert float(grad(jax.jit(g))(1.)) == pytest.approx(expected, rel=1e-6)
    assert float(jax.jit(g)(1.)) == pytest.approx(float(_f(1.)), rel=1e-6)


def _block(x):
    for _ in range(5):
        x = jnp.tanh(x)
    return x


def _deep(x, block):
    for _ in range(10):
        x = block(x)
    return jnp.sum(x)


def _peak_bytes(fn, x):
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        out = fn(x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return out, peak


def test_checkpointing_lowers_peak_memory_and_keeps_results():
    # 50 tanh layers on 50k floats: without checkpoints every layer's output is a residual
    # (200 kB each); with a checkpoint per block of 5 layers only the 10 block inputs are,
    # plus one block recomputed at a time during the backward pass.
    x = jnp.asarray(np.linspace(-1, 1, 50_000, dtype=np.float32))
    plain = grad(lambda x: _deep(x, _block))
    ckpt = grad(lambda x: _deep(x, checkpoint(_block)))
    plain(x), ckpt(x)  # warm up caches so they do not count
    g_plain, peak_plain = _peak_bytes(plain, x)
    g_ckpt, peak_ckpt = _peak_bytes(ckpt, x)
    np.testing.assert_array_equal(np.asarray(g_plain), np.asarray(g_ckpt))
    assert peak_ckpt < 0.6 * peak_plain, (peak_ckpt, peak_plain)
    # saving everything is the same as not checkpointing
    every = grad(lambda x: _deep(x, checkpoint(
        _block, policy=checkpoint_policies.everything_saveable)))
    g_every, peak_every = _peak_bytes(every, x)
    np.testing.assert_array_equal(np.asarray(g_every), np.asarray(g_plain))
    assert peak_every > 0.8 * peak_plain


def _staged_text(fn, *args):
    text = str(jax.make_jaxpr(grad(fn))(*args))
    return text[text.index('differentiated=True'):]


def test_policies():
    w = jnp.ones((3, 3)) * 0.1

    def layer(x):
        return jnp.sum(jnp.sin(jnp.dot(w, jnp.cos(x))))
    x = jnp.array([0.1, 0.2, 0.3])
    expected = grad(layer)(x)
    for policy in (None, checkpoint_policies.nothing_saveable,
                   checkpoint_policies.everything_saveable, checkpoint_policies.dots_saveable,
                   checkpoint_policies.checkpoint_dots,
                   checkpoint_policies.dots_with_no_batch_dims_saveable):
        np.testing.assert_allclose(grad(checkpoint(layer, policy=policy))(x), expected,
                                   rtol=1e-6)
    nothing = _staged_text(checkpoint(layer), x)
    dots = _staged_text(checkpoint(layer, policy=checkpoint_policies.dots_saveable), x)
    everything = _staged_text(checkpoint(
        layer, policy=checkpoint_policies.everything_saveable), x)
    # recomputed: the forward matrix product only without a saving policy
    assert nothing.count('dot_general') > dots.count('dot_general')
    assert 'sin' not in everything and 'sin' in dots


def test_names():
    def g(x):
        y = checkpoint_name(jnp.sin(x), 'y')
        z = checkpoint_name(jnp.exp(y), 'z')
        return jnp.sin(z) * jnp.cos(x)
    expected = float(grad(g)(1.))
    assert float(checkpoint_name(2., 'a')) == 2.
    assert 'name[name=y]' in str(jax.make_jaxpr(g)(1.))
    save_z = checkpoint(g, policy=checkpoint_policies.save_only_these_names('z'))
    assert float(grad(save_z)(1.)) == pytest.approx(expected, rel=1e-6)
    # with `a` saved, the backward pass needs cos(a) and cos(x) but not sin(x) again
    h = lambda x: jnp.sin(checkpoint_name(jnp.sin(x) * 3., 'a'))  # noqa: E731
    save_a = checkpoint(h, policy=checkpoint_policies.save_only_these_names('a'))
    assert float(grad(save_a)(1.)) == pytest.approx(float(grad(h)(1.)), rel=1e-6)
    assert 'sin' not in _staged_text(save_a, 1.)
    assert 'sin' in _staged_text(checkpoint(h), 1.)
    for policy in (checkpoint_policies.save_anything_except_these_names('y'),
                   checkpoint_policies.save_any_names_but_these('y'),
                   checkpoint_policies.save_from_both_policies(
                       checkpoint_policies.dots_saveable,
                       checkpoint_policies.save_only_these_names('y'))):
        assert float(grad(checkpoint(g, policy=policy))(1.)) == pytest.approx(expected,
                                                                              rel=1e-6)


def test_arguments_pytrees_and_static_argnums():
    @checkpoint
    def f(params, x, *, scale):
        return {'out': jnp.tanh(params['w'] * x) * scale, 'aux': params['b']}
    params = {'w': jnp.array([0.5, -0.5]), 'b': 2.}
    out = f(params, jnp.array([1., 2.]), scale=3.)
    np.testing.assert_allclose(out['out'], np.tanh(np.array([0.5, -1.])) * 3., rtol=1e-6)
    g = grad(lambda p: jnp.sum(f(p, jnp.array([1., 2.]), scale=3.)['out']))(params)
    np.testing.assert_allclose(g['w'], 3. * np.array([1., 2.]) *
                               (1 - np.tanh(np.array([0.5, -1.])) ** 2), rtol=1e-6)

    def h(x, n):
        for _ in range(n):
            x = jnp.sin(x)
        return x
    hs = checkpoint(h, static_argnums=(1,))
    assert float(grad(hs)(1., 3)) == pytest.approx(float(grad(lambda x: h(x, 3))(1.)))
    deco = checkpoint(policy=checkpoint_policies.dots_saveable)(_f)
    assert float(grad(deco)(1.)) == float(grad(_f)(1.))


def test_checkpoint_inside_scan_and_with_closures(x64):
    w = jnp.array([0.3, -0.7])

    def f(x, w):
        step = checkpoint(lambda c, a: (jnp.tanh(c * w + a), jnp.sum(c)))
        c, ys = lax.scan(step, x, jnp.ones((4, 2)) * 0.1)
        return jnp.sum(c) + jnp.sum(ys)
    check_derivatives(f, np.array([0.5, 1.5]), np.asarray(w))
