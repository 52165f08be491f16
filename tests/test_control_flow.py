"""Control flow: cond, switch, while_loop, fori_loop, scan, map, associative_scan,
custom_root and custom_linear_solve.

Correctness from first principles: forward derivatives against central finite differences
in float64, reverse mode against forward mode through ``<u, J v> == <J^T u, v>``, vmap
against a Python loop, loops against the same computation unrolled in Python, jit against
eager; JAX as an oracle where it is installed.
"""
import numpy as np
import pytest

import pullback
import pullback as jax
import pullback.numpy as jnp
from pullback import lax, grad, vmap
from pullback.tree_util import tree_flatten


@pytest.fixture
def x64():
    old = pullback.config.jax_enable_x64
    pullback.config.update('jax_enable_x64', True)
    yield
    pullback.config.update('jax_enable_x64', old)


def _leaves(tree):
    return [np.asarray(x, np.float64) for x in tree_flatten(tree)[0]]


def check_derivatives(f, *args, eps=1e-6, rtol=1e-6, atol=1e-9, seed=0):
    """In float64: the JVP equals central finite differences, and the VJP agrees with it:
    ``<u, J v> == <J^T u, v>``."""
    rng = np.random.RandomState(seed)
    args = [np.asarray(a, np.float64) for a in args]
    vs = [rng.randn(*a.shape) for a in args]
    prim = tuple(jnp.asarray(a) for a in args)
    _, jv = jax.jvp(f, prim, tuple(jnp.asarray(v) for v in vs))
    plus = f(*[jnp.asarray(a + eps * v) for a, v in zip(args, vs)])
    minus = f(*[jnp.asarray(a - eps * v) for a, v in zip(args, vs)])
    fd = [(p - m) / (2 * eps) for p, m in zip(_leaves(plus), _leaves(minus))]
    jv = _leaves(jv)
    for a, b in zip(jv, fd):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    y, f_vjp = jax.vjp(f, *prim)
    y_leaves, y_tree = tree_flatten(y)
    us = [rng.randn(*np.shape(l)) for l in y_leaves]
    from pullback.tree_util import tree_unflatten
    jtu = _leaves(f_vjp(tree_unflatten(y_tree, [jnp.asarray(u) for u in us])))
    lhs = sum(float(np.sum(u * j)) for u, j in zip(us, jv))
    rhs = sum(float(np.sum(c * v)) for c, v in zip(jtu, vs))
    np.testing.assert_allclose(lhs, rhs, rtol=rtol, atol=atol)


def check_vmap(f, *batched_args, in_axes=0):
    """vmap equals a Python loop over the batch."""
    out = vmap(f, in_axes=in_axes)(*batched_args)
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(batched_args)
    n = next(np.shape(a)[ax] for a, ax in zip(batched_args, axes) if ax is not None)
    for i in range(n):
        args = [a if ax is None else np.take(np.asarray(a), i, axis=ax)
                for a, ax in zip(batched_args, axes)]
        expected = f(*[jnp.asarray(a) for a in args])
        for o, e in zip(_leaves(out), _leaves(expected)):
            np.testing.assert_allclose(o[i], e, rtol=1e-6, atol=1e-6)


# --- The seed: fixed_point without custom_vjp ---------------------------------------------

def fixed_point(f, a, x_guess):
    def cond_fun(carry):
        x_prev, x = carry
        return jnp.abs(x_prev - x) > 1e-6

    def body_fun(carry):
        _, x = carry
        return x, f(a, x)
    _, x_star = lax.while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
    return x_star


def newton_sqrt(a):
    update = lambda a, x: 0.5 * (x + a / x)  # noqa: E731
    return fixed_point(update, a, a)


def test_seed_newton_sqrt(capsys):
    print(newton_sqrt(2.))
    assert capsys.readouterr().out == "1.4142135\n"


def test_seed_jit_vmap_newton_sqrt(capsys):
    if not hasattr(pullback, 'jit'):
        pytest.skip("pullback.jit is not available")
    print(jax.jit(vmap(newton_sqrt))(jnp.array([1., 2., 3., 4.])))
    assert capsys.readouterr().out == "[1.        1.4142135 1.7320509 2.       ]\n"


def test_newton_sqrt_differentiated_through_the_loop():
    # reverse mode through a dynamic while_loop (beyond JAX), and its second derivative
    np.testing.assert_allclose(float(grad(newton_sqrt)(2.)), 0.5 / np.sqrt(2.), rtol=1e-6)
    np.testing.assert_allclose(float(grad(grad(newton_sqrt))(2.)), -0.25 * 2. ** -1.5,
                               rtol=1e-5)


# --- cond and switch ------------------------------------------------------------------------

def test_cond_values_and_types():
    assert float(lax.cond(True, jnp.sin, jnp.cos, 1.)) == pytest.approx(np.sin(1.))
    assert float(lax.cond(False, jnp.sin, jnp.cos, 1.)) == pytest.approx(np.cos(1.))
    # numeric predicates mean "!= 0"; several operands and pytrees
    out = lax.cond(2, lambda a, b: (a['x'] + b, b), lambda a, b: (a['x'] - b, b),
                   {'x': jnp.ones(2)}, 3.)
    np.testing.assert_array_equal(out[0], [4., 4.])
    assert repr(lax.cond(True, lambda x: x, lambda x: 2 * x, 1.)) == \
        "Array(1., dtype=float32, weak_type=True)"
    # the legacy forms
    assert float(lax.cond(True, 1., lambda x: x + 1, 2., lambda x: x - 1)) == 2.
    assert float(lax.cond(False, lambda x: x + 1, lambda x: x - 1, operand=2.)) == 1.


def test_cond_jaxpr():
    text = str(jax.make_jaxpr(lambda x: lax.cond(x > 0, jnp.sin, jnp.cos, x))(1.))
    assert 'convert_element_type[new_dtype=int32 weak_type=False]' in text
    assert 'cond[' in text and 'branches=(' in text
    # index 0 is the false branch
    assert text.index('cos') < text.index('sin')


def test_cond_derivatives(x64):
    f = lambda x, y: lax.cond(jnp.sum(x) > 0, lambda a, b: jnp.sin(a) * b,  # noqa: E731
                              lambda a, b: a * jnp.exp(b), x, y)
    check_derivatives(f, np.array([0.3, 0.5]), np.array([1.5, -0.2]))
    check_derivatives(f, np.array([-0.3, -0.5]), np.array([1.5, -0.2]))


def test_cond_closure_and_abstract_index(x64):
    # derivatives with respect to values the branches close over, with the predicate
    # concrete (inline) and abstract (under jit: the general known/unknown split)
    def f(x, w):
        return lax.cond(x[0] > 0, lambda: jnp.sum(jnp.sin(x * w)),
                        lambda: jnp.sum(x ** 2 * w))
    x, w = np.array([0.4, -1.2]), np.array([0.7, 1.1])
    check_derivatives(f, x, w)
    check_derivatives(f, -x, w)
    if hasattr(pullback, 'jit'):
        for s in (1, -1):
            g = grad(f, argnums=(0, 1))(jnp.asarray(s * x), jnp.asarray(w))
            gj = jax.jit(grad(f, argnums=(0, 1)))(jnp.asarray(s * x), jnp.asarray(w))
            gjj = grad(jax.jit(f), argnums=(0, 1))(jnp.asarray(s * x), jnp.asarray(w))
            for a, b, c in zip(g, gj, gjj):
                np.testing.assert_allclose(a, b, rtol=1e-12)
                np.testing.assert_allclose(a, c, rtol=1e-12)


def test_cond_vmap_batched_and_unbatched_predicate():
    f = lambda p, x: lax.cond(p, jnp.sin, jnp.cos, x)  # noqa: E731
    ps = np.array([True, False, True])
    xs = np.array([0.1, 0.2, 0.3], np.float32)
    check_vmap(f, ps, xs)                               # batched predicate: a select
    check_vmap(f, True, xs, in_axes=(None, 0))          # unbatched predicate: a cond
    text = str(jax.make_jaxpr(vmap(f))(ps, xs))
    assert 'select_n' in text and 'cond[' not in text
    # derivative of the select form
    g = vmap(grad(lambda x, p: lax.cond(p, jnp.sin, jnp.cos, x)))(xs, ps)
    np.testing.assert_allclose(g, np.where(ps, np.cos(xs), -np.sin(xs)), rtol=1e-6)


def test_switch_clamps_and_differentiates(x64):
    branches = [lambda x: x, lambda x: jnp.sin(x), lambda x: x ** 3]
    for i, expected in [(-3, 0.5), (0, 0.5), (1, np.sin(0.5)), (2, 0.125), (7, 0.125)]:
        assert float(lax.switch(i, branches, 0.5)) == pytest.approx(expected)
    check_derivatives(lambda x: lax.switch(1, branches, x), np.array(0.5))
    idx = np.array([0, 1, 2, 5])
    out = vmap(lambda i, x: lax.switch(i, branches, x))(idx, jnp.full((4,), 0.5))
    np.testing.assert_allclose(out, [0.5, np.sin(0.5), 0.125, 0.125])


def test_cond_errors():
    with pytest.raises(TypeError, match=r"Pred must be a scalar, got \[ True\] of shape \(1,\)"):
        lax.cond(jnp.array([True]), lambda x: x, lambda x: x, 1.)
    with pytest.raises(TypeError, match="cond predicate is None"):
        lax.cond(None, lambda x: x, lambda x: x, 1.)
    with pytest.raises(TypeError, match="should be callable"):
        lax.cond(True, lambda x: x, 3, 1.)
    with pytest.raises(TypeError, match="same pytree structure"):
        lax.cond(True, lambda x: x, lambda x: (x, x), 1.)
    with pytest.raises(TypeError, match=r"true_fun has type float32\[\] but the "
                                        r"corresponding output of false_fun has type "
                                        r"float32\[2\], so the shapes do not match"):
        lax.cond(True, lambda x: x, lambda x: jnp.ones(2), 1.)
    with pytest.raises(TypeError, match="so the dtypes do not match"):
        lax.cond(True, lambda x: 1., lambda x: 2, 1.)
    with pytest.raises(ValueError, match="Empty branch sequence"):
        lax.switch(0, [], 1.)
    with pytest.raises(TypeError, match="Index type must be an integer, got 1.0 as float32"):
        lax.switch(1., [lambda x: x, lambda x: x], 1.)


# --- while_loop -----------------------------------------------------------------------------

def _body(c):
    return c * 1.5 + jnp.sin(c)


def _while(x):
    return lax.while_loop(lambda c: c < 10., _body, x)


def _while_unrolled(x):
    c = x
    while c < 10.:
        c = _body(c)
    return c


def test_while_values_jaxpr_and_weak_promotion():
    assert float(_while(1.)) == pytest.approx(float(_while_unrolled(1.)))
    text = str(jax.make_jaxpr(lambda x: lax.while_loop(lambda c: c < 10., lambda c: c * 2.,
                                                       x))(1.))
    for part in ('while[', 'body_jaxpr=', 'cond_jaxpr=', 'body_nconsts=0', 'cond_nconsts=0'):
        assert part in text
    # a weak int carry that the body turns into a float is promoted (as in JAX)
    assert repr(lax.while_loop(lambda c: c < 3, lambda c: c + 1., 0)) == \
        "Array(3., dtype=float32)"
    assert repr(lax.while_loop(lambda c: c < 3, lambda c: c + 1, 0)) == \
        "Array(3, dtype=int32, weak_type=True)"


def test_while_reverse_mode_equals_unrolled(x64):
    for x0 in (0.3, 1.0, 2.5):
        g = float(grad(_while)(x0))
        g_unrolled = float(grad(_while_unrolled)(x0))
        assert g == pytest.approx(g_unrolled, rel=1e-12)
    check_derivatives(_while, np.array(1.0))


def test_while_reverse_mode_with_closure_and_pytree_carry(x64):
    def f(w, x):
        def body(carry):
            i, v, acc = carry
            v = jnp.tanh(v * w) + 0.5
            return i + 1, v, acc + jnp.sum(v)
        return lax.while_loop(lambda c: c[0] < 4, body, (0, x, 0.))[2]

    def unrolled(w, x):
        v, acc = x, 0.
        for _ in range(4):
            v = jnp.tanh(v * w) + 0.5
            acc = acc + jnp.sum(v)
        return acc
    w, x = jnp.array([0.3, -0.8]), jnp.array([1.0, 2.0])
    for a, b in zip(grad(f, argnums=(0, 1))(w, x), grad(unrolled, argnums=(0, 1))(w, x)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    check_derivatives(f, np.asarray(w), np.asarray(x))
    # the tangent part is one scan over the stacked residuals, not an unrolled tape
    _, f_vjp = jax.vjp(lambda w: f(w, x), w)
    text = str(f_vjp.lin.jaxpr)
    assert 'scan[' in text and 'length=4' in text and 'while[' not in text
    # higher order
    h = jax.hessian(f)(w, x)
    h_unrolled = jax.hessian(unrolled)(w, x)
    np.testing.assert_allclose(h, h_unrolled, rtol=1e-10)


def test_while_zero_iterations_reverse(x64):
    assert float(grad(lambda x: lax.while_loop(lambda c: c < 0., _body, x) * 3.)(1.)) == 3.


def test_while_forward_and_vmap():
    check_vmap(_while, np.array([1., 2., 20., 0.5], np.float32))     # batched predicate
    # unbatched predicate, batched carry part
    f = lambda x, n: lax.while_loop(lambda c: c[0] < n,  # noqa: E731
                                    lambda c: (c[0] + 1, c[1] * 2.), (0, x))[1]
    check_vmap(f, np.array([1., 2., 3.], np.float32), 3, in_axes=(0, None))
    check_vmap(f, np.array([1., 2., 3.], np.float32), np.array([0, 2, 5]))
    y, t = jax.jvp(_while, (1.,), (1.,))
    assert float(t) == pytest.approx(float(grad(_while_unrolled)(1.)), rel=1e-5)


def test_while_reverse_mode_under_vmap():
    # members stop after different numbers of iterations: a masked scan of the longest
    xs = np.array([1., 2., 20., 0.5], np.float32)
    check_vmap(grad(_while), xs)
    np.testing.assert_allclose(vmap(grad(_while))(xs),
                               [float(grad(_while_unrolled)(x)) for x in xs], rtol=1e-6)
    np.testing.assert_allclose(vmap(jax.hessian(_while))(xs),
                               [float(jax.hessian(_while_unrolled)(x)) for x in xs],
                               rtol=1e-5)


def test_while_reverse_under_jit_raises():
    if not hasattr(pullback, 'jit'):
        pytest.skip("pullback.jit is not available")
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work for "
                                         "lax.while_loop"):
        grad(jax.jit(_while))(1.)
    # forward mode under jit works
    y, t = jax.jvp(jax.jit(_while), (1.,), (1.,))
    assert float(t) == pytest.approx(float(grad(_while_unrolled)(1.)), rel=1e-5)


def test_while_errors():
    with pytest.raises(TypeError, match=r"cond_fun must return a boolean scalar, but got "
                                        r"output type\(s\) \[ShapedArray\(float32\[\], "
                                        r"weak_type=True\)\]"):
        lax.while_loop(lambda c: 1., lambda c: c, 0.)
    with pytest.raises(TypeError, match=r"The input carry c has type float32\[\] but the "
                                        r"corresponding output carry component has type "
                                        r"float32\[2\], so the shapes do not match"):
        lax.while_loop(lambda c: c < 3, lambda c: jnp.ones(2), 0.)
    with pytest.raises(TypeError, match=r"The input carry component carry\['b'\] has type "
                                        r"float32\[\] but the corresponding output carry "
                                        r"component has type int32\[\], so the dtypes"):
        def body(carry):
            return {'a': carry['a'], 'b': jnp.int32(1)}
        lax.while_loop(lambda c: c['a'] < 3, body, {'a': 0., 'b': jnp.float32(1.)})
    with pytest.raises(TypeError, match=r"same pytree structure, but they differ:\n\nThe "
                                        r"input carry c is a tuple of length 2 but the "
                                        r"corresponding component of the carry output is a "
                                        r"tuple of length 1, so the lengths do not match"):
        lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0],), (0., 1.))


# --- fori_loop ------------------------------------------------------------------------------

def test_fori_loop_static_is_scan_dynamic_is_while(x64):
    f = lambda x: lax.fori_loop(0, 3, lambda i, c: c * 2. + i, x)  # noqa: E731
    assert 'scan[' in str(jax.make_jaxpr(f)(1.))
    assert float(f(1.)) == ((1. * 2 + 0) * 2 + 1) * 2 + 2
    g = lambda n, x: lax.fori_loop(0, n, lambda i, c: c * 2., x)  # noqa: E731
    assert 'while[' in str(jax.make_jaxpr(g)(3, 1.))
    assert float(grad(f)(1.)) == 8.
    # concrete bounds under grad, with a closure
    w = 0.7
    h = lambda x: lax.fori_loop(1, 4, lambda i, c: jnp.sin(c * w * i), x)  # noqa: E731
    check_derivatives(h, np.array(0.4))


def test_fori_loop_counter_is_weak_for_python_bounds():
    assert repr(lax.fori_loop(0, 4, lambda i, s: s + i, 0)) == \
        "Array(6, dtype=int32, weak_type=True)"
    assert repr(lax.fori_loop(0, 3, lambda i, c: c + i, 0.)) == \
        "Array(3., dtype=float32, weak_type=True)"


def test_fori_loop_errors():
    with pytest.raises(TypeError, match="lower and upper arguments to fori_loop must have "
                                        "equal types, got int32 and int16"):
        lax.fori_loop(jnp.int32(0), jnp.int16(3), lambda i, c: c, 1.)
    if hasattr(pullback, 'jit'):
        with pytest.raises(ValueError, match="Can only use `unroll` in `fori_loop` if the "
                                             "loop bounds are statically known"):
            jax.jit(lambda n: lax.fori_loop(0, n, lambda i, c: c, 1., unroll=2))(3)


# --- scan -----------------------------------------------------------------------------------

def _scan_f(x, xs):
    def body(c, a):
        return jnp.sin(c) * a + c, (c * a, jnp.cos(a))
    c, (ys, zs) = lax.scan(body, x, xs)
    return c + jnp.sum(ys) * jnp.sum(zs)


def _scan_f_unrolled(x, xs):
    c, ys, zs = x, [], []
    for k in range(xs.shape[0]):
        a = xs[k]
        ys.append(c * a)
        zs.append(jnp.cos(a))
        c = jnp.sin(c) * a + c
    return c + sum(ys) * sum(zs)


def test_scan_values_and_jaxpr():
    c, ys = lax.scan(lambda c, x: (c + x, c), 0., jnp.arange(4.))
    assert float(c) == 6.
    np.testing.assert_array_equal(ys, [0., 0., 1., 3.])
    c, ys = lax.scan(lambda c, x: (c + x, c), 0., jnp.arange(4.), reverse=True)
    np.testing.assert_array_equal(ys, [6., 5., 3., 0.])
    xs = jnp.array([0.5, -1., 2.])
    assert float(_scan_f(0.3, xs)) == pytest.approx(float(_scan_f_unrolled(0.3, xs)))
    text = str(jax.make_jaxpr(lambda x: lax.scan(lambda c, a: (c * a, c), x,
                                                 jnp.arange(1., 4.)))(1.))
    for part in ('scan[', 'length=3', 'num_carry=1', 'num_consts=0', 'reverse=False',
                 'unroll=1'):
        assert part in text
    # no xs: length
    c, ys = lax.scan(lambda c, _: (c * 2., None), 1., None, length=3)
    assert float(c) == 8. and ys is None


def test_scan_derivatives(x64):
    xs = np.array([0.5, -1., 2., 0.25])
    check_derivatives(_scan_f, np.array(0.3), xs)
    g = grad(_scan_f, argnums=(0, 1))(0.3, jnp.asarray(xs))
    gu = grad(_scan_f_unrolled, argnums=(0, 1))(0.3, jnp.asarray(xs))
    for a, b in zip(g, gu):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # reverse, closures (a loop-invariant weight), pytree carries
    w = jnp.array([[0.5, -0.3], [0.2, 0.9]])

    def rnn(h, xs, w):
        def cell(carry, x):
            h, n = carry
            h = jnp.tanh(jnp.dot(w, h) + x)
            return (h, n + 1), jnp.sum(h)
        (h, _), ys = lax.scan(cell, (h, 0), xs, reverse=True)
        return jnp.sum(h) + jnp.sum(ys ** 2)
    check_derivatives(rnn, np.array([0.1, -0.2]), np.ones((3, 2)) * 0.3, np.asarray(w))
    check_derivatives(lambda w: jax.hessian(lambda h: rnn(h, jnp.ones((3, 2)), w))(
        jnp.array([0.1, 0.2])), np.asarray(w))


def test_scan_grad_jaxpr_stacks_residuals():
    text = str(jax.make_jaxpr(grad(lambda x: lax.scan(
        lambda c, a: (c * a, c), x, jnp.arange(1., 4.))[0]))(2.))
    assert text.count('scan[') == 2 and 'reverse=True' in text


def test_scan_vmap():
    xs = np.random.RandomState(0).randn(4, 3).astype(np.float32)
    inits = np.random.RandomState(1).randn(4).astype(np.float32)
    check_vmap(_scan_f, inits, xs)                       # everything batched
    check_vmap(_scan_f, 0.3, xs, in_axes=(None, 0))      # only xs
    check_vmap(_scan_f, inits, xs[0], in_axes=(0, None))  # only the carry
    check_vmap(_scan_f, inits, xs.T, in_axes=(0, 1))     # batch axis not first
    check_vmap(grad(_scan_f), inits, xs)
    check_vmap(grad(_scan_f, argnums=1), inits, xs)


def test_scan_jit_and_grad_of_jit():
    if not hasattr(pullback, 'jit'):
        pytest.skip("pullback.jit is not available")
    xs = jnp.array([0.5, -1., 2.])
    g = grad(_scan_f, argnums=(0, 1))(0.3, xs)
    for other in (jax.jit(grad(_scan_f, argnums=(0, 1)))(0.3, xs),
                  grad(jax.jit(_scan_f), argnums=(0, 1))(0.3, xs)):
        for a, b in zip(g, other):
            np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(jax.jit(_scan_f)(0.3, xs), _scan_f(0.3, xs), rtol=1e-6)


def test_scan_errors():
    with pytest.raises(ValueError, match="scan got no values to scan over and `length` not "
                                         "provided"):
        lax.scan(lambda c, x: (c, x), 0., None)
    with pytest.raises(ValueError, match="scan got values with different leading axis sizes"):
        lax.scan(lambda c, x: (c, x), 0., (jnp.ones(3), jnp.ones(4)))
    with pytest.raises(ValueError, match="scan got `length` argument of 4 which disagrees"):
        lax.scan(lambda c, x: (c, x), 0., jnp.ones(3), length=4)
    with pytest.raises(TypeError, match=r"scan body output must be a pair, got ~float32\[\]"):
        lax.scan(lambda c, x: c, 0., jnp.arange(3.))
    with pytest.raises(TypeError, match=r"(?s)scan body function carry input and carry output "
                                        r"must have equal types.*The input carry c has type "
                                        r"float32\[\] but the corresponding output carry "
                                        r"component has type float32\[2\]"):
        lax.scan(lambda c, x: (jnp.ones(2), x), 0., jnp.arange(3.))


def test_map():
    np.testing.assert_array_equal(lax.map(lambda x: x * 2, jnp.arange(3.)), [0., 2., 4.])
    for bs in (1, 2, 5, 7):
        out = lax.map(lambda x: {'a': x * 2, 'b': jnp.sin(x)}, jnp.arange(5.), batch_size=bs)
        np.testing.assert_allclose(out['a'], np.arange(5.) * 2)
        np.testing.assert_allclose(out['b'], np.sin(np.arange(5.)), rtol=1e-6)


# --- associative_scan -----------------------------------------------------------------------

def test_associative_scan_matches_cumulative_ops():
    for n in (1, 2, 3, 4, 5, 8, 13):
        x = np.arange(1., n + 1, dtype=np.float32)
        np.testing.assert_allclose(lax.associative_scan(jnp.add, x), np.cumsum(x))
        np.testing.assert_allclose(lax.associative_scan(jnp.add, x, reverse=True),
                                   np.cumsum(x[::-1])[::-1])
    x = np.arange(12., dtype=np.float32).reshape(3, 4)
    np.testing.assert_allclose(lax.associative_scan(jnp.add, x, axis=1), np.cumsum(x, 1))
    # a pytree and a non-commutative operator: composition of affine maps a*x + b
    a = np.array([0.5, 2., -1., 3., 0.25], np.float32)
    b = np.array([1., -1., 2., 0.5, 4.], np.float32)

    def compose(f, g):
        return g[0] * f[0], g[0] * f[1] + g[1]
    A, B = lax.associative_scan(compose, (a, b))
    ea, eb = [a[0]], [b[0]]
    for k in range(1, 5):
        ea.append(a[k] * ea[-1])
        eb.append(a[k] * eb[-1] + b[k])
    np.testing.assert_allclose(A, ea, rtol=1e-6)
    np.testing.assert_allclose(B, eb, rtol=1e-6)


def test_associative_scan_derivatives(x64):
    check_derivatives(lambda x: lax.associative_scan(jnp.multiply, x),
                      np.array([0.5, 1.5, -2., 0.7, 1.1]))
    check_vmap(lambda x: lax.associative_scan(jnp.add, x),
               np.arange(12., dtype=np.float32).reshape(3, 4))


def test_associative_scan_errors():
    with pytest.raises(ValueError, match="must have the same first dimension"):
        lax.associative_scan(jnp.add, [jnp.arange(6.), jnp.ones(5)])


# --- custom_root and custom_linear_solve ----------------------------------------------------

def _newton(f, x0):
    def body(x):
        return x - f(x) / grad(f)(x)
    return lax.fori_loop(0, 30, lambda i, x: body(x), x0)


def _sqrt_root(a):
    return lax.custom_root(lambda x: x ** 2 - a, 1., _newton, lambda g, y: y / g(1.))


def test_custom_root_implicit_derivatives(x64):
    for a in (2., 9.):
        assert float(_sqrt_root(a)) == pytest.approx(np.sqrt(a))
        assert float(grad(_sqrt_root)(a)) == pytest.approx(0.5 / np.sqrt(a), rel=1e-10)
        assert float(grad(grad(_sqrt_root))(a)) == pytest.approx(-0.25 * a ** -1.5, rel=1e-8)
    check_derivatives(_sqrt_root, np.array(3.))
    check_vmap(_sqrt_root, np.array([1., 4., 9.]))
    check_vmap(grad(_sqrt_root), np.array([1., 4., 9.]))


def test_custom_root_vector(x64):
    # x^3 + p x - q = 0 elementwise, tangent_solve with a dense Jacobian
    def solve_cubic(p, q):
        f = lambda x: x ** 3 + p * x - q  # noqa: E731

        def tangent_solve(g, y):
            jac = jax.jacfwd(g)(y)
            return jnp.linalg.solve(jac, y)
        return lax.custom_root(f, jnp.ones_like(q), _newton_vec, tangent_solve)
    p, q = np.array([1., 2.]), np.array([3., 1.])
    x = solve_cubic(jnp.asarray(p), jnp.asarray(q))
    np.testing.assert_allclose(np.asarray(x) ** 3 + p * np.asarray(x) - q, 0., atol=1e-10)
    check_derivatives(solve_cubic, p, q)


def _newton_vec(f, x0):
    return lax.fori_loop(0, 30, lambda i, x: x - jnp.linalg.solve(jax.jacfwd(f)(x), f(x)), x0)


def test_custom_linear_solve(x64):
    rng = np.random.RandomState(0)
    m = rng.randn(3, 3) + 3 * np.eye(3)

    def lin_solve(a, b):
        matvec = lambda x: jnp.dot(a, x)  # noqa: E731
        solve = lambda mv, r: jnp.linalg.solve(a, r)  # noqa: E731
        tsolve = lambda vm, r: jnp.linalg.solve(a.T, r)  # noqa: E731
        return lax.custom_linear_solve(matvec, b, solve, tsolve)
    b = rng.randn(3)
    np.testing.assert_allclose(lin_solve(jnp.asarray(m), jnp.asarray(b)),
                               np.linalg.solve(m, b), rtol=1e-10)
    check_derivatives(lin_solve, m, b)
    check_vmap(lambda b: lin_solve(jnp.asarray(m), b), rng.randn(4, 3))
    # symmetric: solve serves as transpose_solve
    s = m + m.T + 6 * np.eye(3)
    sym = lambda a, b: lax.custom_linear_solve(  # noqa: E731
        lambda x: jnp.dot(a, x), b, lambda mv, r: jnp.linalg.solve(a, r), symmetric=True)
    check_derivatives(sym, s, b)
    # without transpose_solve, reverse mode is an error (forward mode works)
    nots = lambda b: lax.custom_linear_solve(  # noqa: E731
        lambda x: jnp.dot(m, x), b, lambda mv, r: jnp.linalg.solve(jnp.asarray(m), r))
    jax.jvp(nots, (jnp.asarray(b),), (jnp.asarray(b),))
    with pytest.raises(TypeError, match="transpose_solve required"):
        grad(lambda b: jnp.sum(nots(b)))(jnp.asarray(b))


# --- JAX as an oracle -----------------------------------------------------------------------

@pytest.mark.slow
def test_against_jax():
    jax_ = pytest.importorskip('jax')
    jnp_ = jax_.numpy
    xs = np.array([0.5, -1., 2.], np.float32)

    def make(lax_, np_):
        def f(x, xs):
            c, ys = lax_.scan(lambda c, a: (np_.sin(c) * a + c, c * a), x, xs)
            w = lax_.while_loop(lambda v: v < 5., lambda v: v * 1.7 + 0.1, c * c + 1.)
            s = lax_.cond(c > 0, lambda: np_.sum(ys), lambda: -np_.sum(ys))
            return lax_.fori_loop(0, 3, lambda i, v: v * 0.9 + i, w + s)
        return f
    ours = make(lax, jnp)
    theirs = make(jax_.lax, jnp_)
    np.testing.assert_allclose(ours(0.3, xs), theirs(0.3, xs), rtol=1e-6)
    # forward mode (JAX cannot reverse-differentiate the while_loop)
    v = np.array([0.3, 1., -2.], np.float32)
    np.testing.assert_allclose(jax.jvp(ours, (0.3, xs), (1., v))[1],
                               jax_.jvp(theirs, (0.3, xs), (1., v))[1], rtol=1e-5)
    # and reverse mode on the parts JAX can do
    g = lambda lax_, np_: lambda x, xs: lax_.scan(  # noqa: E731
        lambda c, a: (np_.sin(c) * a + c, c * a), x, xs)[1].sum()
    np.testing.assert_allclose(grad(g(lax, jnp), argnums=(0, 1))(0.3, xs)[1],
                               jax_.grad(g(jax_.lax, jnp_), argnums=(0, 1))(0.3, xs)[1],
                               rtol=1e-5)
