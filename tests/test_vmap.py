"""vmap: in_axes/out_axes specifications, axis_size, keyword arguments, errors, nesting with
autodiff, and the axis_name collectives — each checked against a Python loop."""
import numpy as np
import pytest

import pullback as jax
import pullback.numpy as jnp
from pullback import lax, vmap


def loop(f, *args, in_axes):
    n = next(np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None)
    outs = [f(*[a if ax is None else np.take(np.asarray(a), i, axis=ax)
                for a, ax in zip(args, in_axes)]) for i in range(n)]
    return np.stack([np.asarray(o) for o in outs])


@pytest.mark.parametrize('in_axes', [(0, 0), (1, None), (None, -1), (-1, 1)])
def test_in_axes_against_loop(in_axes):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    y = rng.standard_normal((3, 4)).astype(np.float32)
    f = lambda a, b: jnp.sin(a) * jnp.sum(b)
    np.testing.assert_allclose(vmap(f, in_axes=in_axes)(x, y), loop(f, x, y, in_axes=in_axes),
                               rtol=1e-6)


def test_pytree_in_axes_and_out_axes():
    params = {'w': jnp.ones((5, 3)), 'b': jnp.arange(3.)}
    f = lambda p, x: (p['w'] @ x + jnp.sum(p['b']), x * 2)
    xs = jnp.arange(12.).reshape(4, 3)
    out, dbl = vmap(f, in_axes=({'w': None, 'b': None}, 0), out_axes=(1, 0))(params, xs)
    assert out.shape == (5, 4) and dbl.shape == (4, 3)
    np.testing.assert_allclose(out, np.ones((5, 3)) @ np.asarray(xs).T + 3.0)


def test_axis_size_and_unbatched_outputs():
    out = vmap(lambda: jnp.ones(2), axis_size=3, in_axes=())()
    assert out.shape == (3, 2)
    const = vmap(lambda x: (x, jnp.float32(1.)), out_axes=(0, None))(jnp.arange(3.))
    assert const[1].shape == ()


def test_keyword_arguments_are_mapped_over_axis_0():
    f = lambda x, *, y: x + y
    out = vmap(f)(jnp.arange(3.), y=jnp.arange(3.) * 10)
    np.testing.assert_allclose(out, [0., 11., 22.])


def test_inconsistent_sizes_error_lists_arguments():
    with pytest.raises(ValueError, match=r"inconsistent sizes(.|\n)*argument a of shape \(2,\)"
                                         r"(.|\n)*argument b\['w'\] of shape \(3,\)"):
        vmap(lambda a, b: a + b['w'])(jnp.ones(2), {'w': jnp.ones(3)})


def test_in_axes_errors():
    with pytest.raises(ValueError, match='axis 2'):
        vmap(jnp.sin, in_axes=2)(jnp.ones(3))
    with pytest.raises(ValueError, match='tree prefix'):
        vmap(lambda a: a[0], in_axes=({'x': 0},))([jnp.ones(2)])
    with pytest.raises(ValueError, match='out_axes is None'):
        vmap(jnp.sin, out_axes=None)(jnp.ones(3))


def test_control_flow_on_batched_value_is_an_error():
    def f(x):
        return x if x > 0 else -x
    with pytest.raises(jax.TracerBoolConversionError):
        vmap(f)(jnp.ones(3))


def test_nesting_with_autodiff_against_loops():
    f = lambda w, x: jnp.tanh(jnp.dot(w, x))
    w = jnp.array([0.3, -0.2, 0.5])
    xs = jnp.arange(12.).reshape(4, 3) / 10
    per_example = vmap(jax.grad(f), in_axes=(None, 0))(w, xs)
    expected = np.stack([np.asarray(jax.grad(f)(w, x)) for x in xs])
    np.testing.assert_allclose(per_example, expected, rtol=1e-6)
    g = jax.grad(lambda w: jnp.sum(vmap(f, in_axes=(None, 0))(w, xs)))(w)
    np.testing.assert_allclose(g, expected.sum(0), rtol=1e-5)
    jv = vmap(lambda t: jax.jvp(lambda w: f(w, xs[1]), (w,), (t,))[1])(jnp.eye(3))
    np.testing.assert_allclose(jv, expected[1], rtol=1e-6)
    vv = vmap(vmap(lambda a, b: a * b, in_axes=(0, None)), in_axes=(None, 0))(
        jnp.arange(2.), jnp.arange(3.))
    np.testing.assert_allclose(vv, np.outer(np.arange(3.), np.arange(2.)))


def test_batch_size_zero_and_one():
    assert vmap(jnp.sin)(jnp.ones((0, 2))).shape == (0, 2)
    np.testing.assert_allclose(vmap(jnp.sin)(jnp.ones((1, 2))), np.sin(np.ones((1, 2))),
                               rtol=1e-6)


def test_collectives():
    x = jnp.arange(1., 4.)
    np.testing.assert_allclose(vmap(lambda v: v / lax.psum(v, 'i'), axis_name='i')(x),
                               np.arange(1., 4.) / 6, rtol=1e-6)
    np.testing.assert_allclose(vmap(lambda v: v - lax.pmean(v, 'i'), axis_name='i')(x),
                               [-1., 0., 1.])
    np.testing.assert_allclose(vmap(lambda v: lax.pmax(v, 'i'), axis_name='i')(x), [3.] * 3)
    np.testing.assert_allclose(vmap(lambda v: lax.pmin(v, 'i'), axis_name='i')(x), [1.] * 3)
    np.testing.assert_allclose(vmap(lambda v: lax.all_gather(v, 'i'), axis_name='i')(x),
                               np.tile(np.arange(1., 4.), (3, 1)))
    np.testing.assert_allclose(vmap(lambda v: v * lax.axis_index('i'), axis_name='i')(x),
                               [0., 2., 6.])
    xs = jnp.arange(6.).reshape(2, 3)
    inner = vmap(vmap(lambda v: lax.psum(v, 'j'), axis_name='j'), axis_name='i')(xs)
    outer = vmap(vmap(lambda v: lax.psum(v, 'i'), axis_name='j'), axis_name='i')(xs)
    np.testing.assert_allclose(inner, np.repeat(np.asarray(xs).sum(1, keepdims=True), 3, 1))
    np.testing.assert_allclose(outer, np.tile(np.asarray(xs).sum(0), (2, 1)))


def test_gradient_through_psum_matches_finite_differences():
    x = np.array([1., 2., 3.])

    def f(x):
        return jnp.sum(vmap(lambda v: v / lax.psum(v, 'i'), axis_name='i')(x) ** 2)
    g = jax.grad(f)(jnp.asarray(x, np.float32))
    eps = 1e-3
    fd = [(f(jnp.asarray(x + eps * e, np.float32)) - f(jnp.asarray(x - eps * e, np.float32)))
          / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(g, fd, rtol=1e-2, atol=1e-4)


def test_unbound_axis_name():
    with pytest.raises(NameError, match="unbound axis name: 'i'"):
        lax.psum(jnp.ones(2), 'i')
