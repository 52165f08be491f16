"""custom_jvp and custom_vjp: every cell of the seed's custom-derivatives half (with the
lines it prints, in order), the errors, and first-principles checks that the custom rules
are really used under every transformation (finite differences in float64, VJP against
JVP, vmap against a loop, jit against eager, JAX as an oracle where installed).
"""
import pdb
import sys
from collections import namedtuple
from functools import partial

import numpy as np
import pytest

import pullback as jax
import pullback.numpy as jnp
from pullback import grad, jit, vmap, lax, custom_jvp, custom_vjp, jvp, vjp, linearize
from pullback import jacfwd, jacrev, hessian, make_jaxpr
from pullback._transforms.custom_derivatives import (
    SymbolicZero, CustomVJPPrimal, CustomClosureError, CustomNondiffTracerError)
from seedcheck import assert_output_matches


def printed(capsys, expected):
    """What was printed since the last check matches the seed's output cell."""
    assert_output_matches(capsys.readouterr().out, expected)


def lines(capsys):
    return capsys.readouterr().out.splitlines()


# The core turns weak 0-d residuals into jaxpr literals holding bare NumPy values, which
# drops their weak type (``JaxprTrace.to_atom``); reprs that show ``weak_type=True`` for a
# gradient wait for that fix.  Values are checked strictly elsewhere.
_CORE_WEAK = repr(grad(jnp.sin)(3.)).endswith('weak_type=True)')
weak_repr = pytest.mark.xfail(not _CORE_WEAK, strict=False,
                              reason="core: weak 0-d residuals lose their weak type")


@pytest.fixture
def x64():
    jax.config.update('jax_enable_x64', True)
    yield
    jax.config.update('jax_enable_x64', False)


# --- TL;DR ----------------------------------------------------------------------------------

def _sin_times():
    @custom_jvp
    def f(x, y):
        return jnp.sin(x) * y

    @f.defjvp
    def f_jvp(primals, tangents):
        x, y = primals
        x_dot, y_dot = tangents
        primal_out = f(x, y)
        tangent_out = jnp.cos(x) * x_dot * y + jnp.sin(x) * y_dot
        return primal_out, tangent_out
    return f


def _sin_times_defjvps():
    @custom_jvp
    def f(x, y):
        return jnp.sin(x) * y
    f.defjvps(lambda x_dot, primal_out, x, y: jnp.cos(x) * x_dot * y,
              lambda y_dot, primal_out, x, y: jnp.sin(x) * y_dot)
    return f


@pytest.mark.parametrize('make', [_sin_times, _sin_times_defjvps])
def test_tldr_custom_jvp(capsys, make):
    f = make()
    print(f(2., 3.))
    y, y_dot = jvp(f, (2., 3.), (1., 0.))
    print(y)
    print(y_dot)
    print(grad(f)(2., 3.))
    printed(capsys, "2.7278922\n2.7278922\n-1.2484405\n-1.2484405")


def test_tldr_custom_vjp(capsys):
    @custom_vjp
    def f(x, y):
        return jnp.sin(x) * y

    def f_fwd(x, y):
        return f(x, y), (jnp.cos(x), jnp.sin(x), y)

    def f_bwd(res, g):
        cos_x, sin_x, y = res
        return (cos_x * g * y, sin_x * g)
    f.defvjp(f_fwd, f_bwd)
    print(grad(f)(2., 3.))
    printed(capsys, "-1.2484405")


# --- Example: numerical stability -----------------------------------------------------------

def _log1pexp_defjvp():
    @custom_jvp
    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        x, = primals
        x_dot, = tangents
        ans = log1pexp(x)
        ans_dot = (1 - 1 / (1 + jnp.exp(x))) * x_dot
        return ans, ans_dot
    return log1pexp


def _log1pexp_defjvps():
    @custom_jvp
    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))
    log1pexp.defjvps(lambda t, ans, x: (1 - 1 / (1 + jnp.exp(x))) * t)
    return log1pexp


def test_log1pexp_without_rule_is_nan(capsys):
    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))
    with np.errstate(over='ignore', invalid='ignore'):
        print(grad(log1pexp)(100.))
    printed(capsys, "nan")


@pytest.mark.parametrize('make', [_log1pexp_defjvp, _log1pexp_defjvps])
def test_log1pexp(capsys, make):
    log1pexp = make()
    with np.errstate(over='ignore'):
        print(grad(log1pexp)(100.))
    print(jit(log1pexp)(3.))
    print(jit(grad(log1pexp))(3.))
    print(vmap(jit(grad(log1pexp)))(jnp.arange(3.)))
    printed(capsys, "1.0\n3.0485873\n0.95257413\n[0.5 0.7310586 0.8807971]")


def test_log1pexp_rule_used_under_every_composition():
    log1pexp = _log1pexp_defjvp()
    x = jnp.array([100., 200., -50.])
    expect = np.array([1., 1., 0.], np.float32)
    with np.errstate(over='ignore'):
        for g in [vmap(grad(log1pexp)), jit(vmap(grad(log1pexp))),
                  vmap(grad(jit(log1pexp))), grad(lambda x: log1pexp(x).sum()),
                  jacrev(log1pexp), jacfwd(log1pexp)]:
            out = np.asarray(g(x))
            if out.ndim == 2:
                out = np.diag(out)
            np.testing.assert_allclose(out, expect, atol=1e-6)


# --- Example: enforcing a differentiation convention -----------------------------------------

def test_convention_at_boundary(capsys):
    def f(x):
        return x / (1 + jnp.sqrt(x))
    with np.errstate(divide='ignore', invalid='ignore'):
        print(grad(f)(0.))

    @custom_jvp
    def f(x):
        return x / (1 + jnp.sqrt(x))

    @f.defjvp
    def f_jvp(primals, tangents):
        x, = primals
        x_dot, = tangents
        ans = f(x)
        ans_dot = ((jnp.sqrt(x) + 2) / (2 * (jnp.sqrt(x) + 1) ** 2)) * x_dot
        return ans, ans_dot
    print(grad(f)(0.))

    @custom_jvp
    def f(x):
        return x / (1 + jnp.sqrt(x))
    f.defjvps(lambda t, ans, x: ((jnp.sqrt(x) + 2) / (2 * (jnp.sqrt(x) + 1) ** 2)) * t)
    print(grad(f)(0.))
    printed(capsys, "nan\n1.0\n1.0")


# --- Example: gradient clipping ---------------------------------------------------------------

@custom_vjp
def clip_gradient(lo, hi, x):
    return x  # identity function


def clip_gradient_fwd(lo, hi, x):
    return x, (lo, hi)  # save bounds as residuals


def clip_gradient_bwd(res, g):
    lo, hi = res
    return (None, None, jnp.clip(g, lo, hi))  # None: zero cotangents for lo and hi


clip_gradient.defvjp(clip_gradient_fwd, clip_gradient_bwd)


def clip_sin(x):
    x = clip_gradient(-0.75, 0.75, x)
    return jnp.sin(x)


def test_gradient_clipping_plot_data():
    t = jnp.linspace(0, 10, 1000)
    tn = np.asarray(t)
    np.testing.assert_allclose(np.asarray(jnp.sin(t)), np.sin(tn), atol=1e-6)
    np.testing.assert_allclose(np.asarray(vmap(grad(jnp.sin))(t)), np.cos(tn), atol=1e-6)
    np.testing.assert_allclose(np.asarray(clip_sin(t)), np.sin(tn), atol=1e-6)
    clipped = np.clip(np.cos(tn), -0.75, 0.75)
    for g in [vmap(grad(clip_sin)), jit(vmap(grad(clip_sin))), vmap(jit(grad(clip_sin))),
              grad(lambda t: clip_sin(t).sum()), jit(grad(lambda t: clip_sin(t).sum()))]:
        np.testing.assert_allclose(np.asarray(g(t)), clipped, atol=1e-6)


def test_clip_gradient_forward_mode_error():
    with pytest.raises(TypeError, match=r"can't apply forward-mode autodiff \(jvp\) to a "
                                        r"custom_vjp function\."):
        jvp(clip_sin, (1.,), (1.,))


# --- Example: implicit differentiation of a fixed point ---------------------------------------

def _fixed_point_with(while_loop):
    @partial(custom_vjp, nondiff_argnums=(0,))
    def fixed_point(f, a, x_guess):
        def cond_fun(carry):
            x_prev, x = carry
            return jnp.abs(x_prev - x) > 1e-6

        def body_fun(carry):
            _, x = carry
            return x, f(a, x)
        _, x_star = while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
        return x_star

    def fixed_point_fwd(f, a, x_init):
        x_star = fixed_point(f, a, x_init)
        return x_star, (a, x_star)

    def fixed_point_rev(f, res, x_star_bar):
        a, x_star = res
        _, vjp_a = vjp(lambda a: f(a, x_star), a)
        a_bar, = vjp_a(fixed_point(partial(rev_iter, f),
                                   (a, x_star, x_star_bar),
                                   x_star_bar))
        return a_bar, jnp.zeros_like(x_star)

    def rev_iter(f, packed, u):
        a, x_star, x_star_bar = packed
        _, vjp_x = vjp(lambda x: f(a, x), x_star)
        return x_star_bar + vjp_x(u)[0]
    fixed_point.defvjp(fixed_point_fwd, fixed_point_rev)

    def newton_sqrt(a):
        update = lambda a, x: 0.5 * (x + a / x)
        return fixed_point(update, a, a)
    return newton_sqrt


def _python_while_loop(cond_fun, body_fun, init):
    val = init
    while cond_fun(val):
        val = body_fun(val)
    return val


def test_fixed_point_with_python_loop(capsys):
    """The seed's fixed_point with a Python loop: the custom_vjp alone gives reverse mode
    to any order (the loop itself is never differentiated)."""
    newton_sqrt = _fixed_point_with(_python_while_loop)
    print(newton_sqrt(2.))
    print(grad(newton_sqrt)(2.))
    print(grad(grad(newton_sqrt))(2.))
    print(grad(jnp.sqrt)(2.))
    print(grad(grad(jnp.sqrt))(2.))
    printed(capsys, "1.4142135\n0.35355338\n-0.088388346\n0.35355338\n-0.08838835")


def test_fixed_point_seed(capsys):
    if not hasattr(lax, 'while_loop'):
        pytest.skip("lax.while_loop is not available yet")
    newton_sqrt = _fixed_point_with(lax.while_loop)
    print(newton_sqrt(2.))
    print(jit(vmap(newton_sqrt))(jnp.array([1., 2., 3., 4.])))
    print(grad(newton_sqrt)(2.))
    print(grad(grad(newton_sqrt))(2.))
    printed(capsys, "1.4142135\n[1. 1.4142135 1.7320509 2. ]\n0.35355338\n-0.088388346")
    np.testing.assert_allclose(np.asarray(vmap(grad(newton_sqrt))(jnp.array([1., 4.]))),
                               [0.5, 0.25], rtol=1e-6)
    np.testing.assert_allclose(float(jit(grad(newton_sqrt))(4.)), 0.25, rtol=1e-6)


# --- Basic usage: custom_jvp ----------------------------------------------------------------

def _sin_with_rule():
    @custom_jvp
    def f(x):
        return jnp.sin(x)

    def f_jvp(primals, tangents):
        x, = primals
        t, = tangents
        return f(x), jnp.cos(x) * t
    return f, f_jvp


def test_basic_custom_jvp(capsys):
    f, f_jvp = _sin_with_rule()
    assert f.defjvp(f_jvp) is f_jvp  # works as a decorator (the seed shows the function)
    print(f(3.))
    y, y_dot = jvp(f, (3.,), (1.,))
    print(y)
    print(y_dot)
    print(grad(f)(3.))
    print(grad(grad(f))(3.))
    printed(capsys, "0.14112\n0.14112\n-0.9899925\n-0.9899925\n-0.14112")


def test_multiple_arguments(capsys):
    @custom_jvp
    def f(x, y):
        return x ** 2 * y

    @f.defjvp
    def f_jvp(primals, tangents):
        x, y = primals
        x_dot, y_dot = tangents
        primal_out = f(x, y)
        tangent_out = 2 * x * y * x_dot + x ** 2 * y_dot
        return primal_out, tangent_out
    print(grad(f)(2., 3.))
    printed(capsys, "12.0")


def test_defjvps(capsys):
    @custom_jvp
    def f(x):
        return jnp.sin(x)
    f.defjvps(lambda t, ans, x: jnp.cos(x) * t)
    print(grad(f)(3.))

    @custom_jvp
    def f(x, y):
        return x ** 2 * y
    f.defjvps(lambda x_dot, primal_out, x, y: 2 * x * y * x_dot,
              lambda y_dot, primal_out, x, y: x ** 2 * y_dot)
    print(grad(f)(2., 3.))
    print(grad(f, 0)(2., 3.))  # same as above
    print(grad(f, 1)(2., 3.))

    @custom_jvp
    def f(x, y):
        return x ** 2 * y
    f.defjvps(lambda x_dot, primal_out, x, y: 2 * x * y * x_dot,
              None)
    print(grad(f)(2., 3.))
    print(grad(f, 0)(2., 3.))  # same as above
    print(grad(f, 1)(2., 3.))
    printed(capsys, "-0.9899925\n12.0\n12.0\n4.0\n12.0\n12.0\n0.0")


def test_keyword_arguments_and_defaults():
    @custom_jvp
    def f(x, y=2.):
        return x * y

    @f.defjvp
    def f_jvp(primals, tangents):
        (x, y), (xd, yd) = primals, tangents
        return f(x, y), xd * y * 10. + x * yd * 100.  # a rule that differs from autodiff
    assert float(grad(f)(3.)) == 20.
    assert float(grad(lambda x: f(x, y=5.))(3.)) == 50.
    assert float(grad(lambda y: f(y=y, x=3.))(5.)) == 300.
    assert float(f(x=3., y=4.)) == 12.

    @custom_vjp
    def g(x, y=2.):
        return x * y
    g.defvjp(lambda x, y: (g(x, y), (x, y)), lambda r, ct: (ct * r[1] * 10., ct * r[0]))
    assert float(grad(g)(3.)) == 20.
    assert float(grad(lambda y: g(y=y, x=3.))(5.)) == 3.
    with pytest.raises(TypeError, match="custom_vjp function g"):
        grad(lambda x: g(x, z=1.))(1.)


# --- The seed's printing examples ----------------------------------------------------------

def _printing_custom_jvp():
    @custom_jvp
    def f(x):
        print('called f!')  # a harmless side-effect
        return jnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        print('called f_jvp!')  # a harmless side-effect
        x, = primals
        t, = tangents
        return f(x), jnp.cos(x) * t
    return f


def test_only_f_runs_without_differentiation(capsys):
    f = _printing_custom_jvp()
    print(f(3.))
    printed(capsys, "called f!\n0.14112")
    print(vmap(f)(jnp.arange(3.)))
    print(jit(f)(3.))
    printed(capsys, "called f!\n[0. 0.84147096 0.9092974 ]\ncalled f!\n0.14112")


def test_rule_runs_once_per_differentiation(capsys):
    f = _printing_custom_jvp()
    y, y_dot = jvp(f, (3.,), (1.,))
    print(y_dot)
    printed(capsys, "called f_jvp!\ncalled f!\n-0.9899925")
    print(grad(f)(3.))
    printed(capsys, "called f_jvp!\ncalled f!\n-0.9899925")
    out = grad(grad(f))(3.)
    assert lines(capsys) == ['called f_jvp!', 'called f_jvp!', 'called f!']
    np.testing.assert_allclose(float(out), -0.14112, rtol=1e-6)


@weak_repr
def test_grad_grad_repr(capsys):
    f = _printing_custom_jvp()
    out = grad(grad(f))(3.)
    capsys.readouterr()
    assert repr(out) == "Array(-0.14112, dtype=float32, weak_type=True)"


def test_counts_under_compositions(capsys):
    f = _printing_custom_jvp()
    g = jit(f)
    g(3.)
    g(4.)
    assert lines(capsys) == ['called f!']  # traced once, then compiled
    jit(grad(f))(3.)
    assert lines(capsys) == ['called f_jvp!', 'called f!']
    vmap(grad(f))(jnp.arange(3.))
    assert lines(capsys) == ['called f_jvp!', 'called f!']
    grad(lambda x: vmap(f)(x).sum())(jnp.arange(3.))
    assert lines(capsys) == ['called f_jvp!', 'called f!']
    make_jaxpr(f)(3.)
    assert lines(capsys) == ['called f!']
    _, f_lin = linearize(f, 3.)
    assert lines(capsys) == ['called f_jvp!', 'called f!']
    np.testing.assert_allclose(float(f_lin(2.)), 2 * np.cos(3.), rtol=1e-6)
    assert lines(capsys) == []


def test_python_control_flow(capsys):
    @custom_jvp
    def f(x):
        if x > 0:
            return jnp.sin(x)
        else:
            return jnp.cos(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        x, = primals
        x_dot, = tangents
        ans = f(x)
        if x > 0:
            return ans, 2 * x_dot
        else:
            return ans, 3 * x_dot
    print(grad(f)(1.))
    print(grad(f)(-1.))
    printed(capsys, "2.0\n3.0")


# --- Basic usage: custom_vjp ----------------------------------------------------------------

def test_basic_custom_vjp(capsys):
    @custom_vjp
    def f(x):
        return jnp.sin(x)

    def f_fwd(x):
        return f(x), jnp.cos(x)

    def f_bwd(cos_x, y_bar):
        return (cos_x * y_bar,)
    f.defvjp(f_fwd, f_bwd)
    print(f(3.))
    print(grad(f)(3.))

    @custom_vjp
    def f(x, y):
        return jnp.sin(x) * y

    def f_fwd(x, y):
        return f(x, y), (jnp.cos(x), jnp.sin(x), y)

    def f_bwd(res, g):
        cos_x, sin_x, y = res
        return (cos_x * g * y, sin_x * g)
    f.defvjp(f_fwd, f_bwd)
    print(grad(f)(2., 3.))
    printed(capsys, "0.14112\n-0.9899925\n-1.2484405")


def _printing_custom_vjp():
    @custom_vjp
    def f(x):
        print("called f!")
        return jnp.sin(x)

    def f_fwd(x):
        print("called f_fwd!")
        return f(x), jnp.cos(x)

    def f_bwd(cos_x, y_bar):
        print("called f_bwd!")
        return (cos_x * y_bar,)
    f.defvjp(f_fwd, f_bwd)
    return f


def test_custom_vjp_printing(capsys):
    f = _printing_custom_vjp()
    print(f(3.))
    printed(capsys, "called f!\n0.14112")
    print(grad(f)(3.))
    printed(capsys, "called f_fwd!\ncalled f!\ncalled f_bwd!\n-0.9899925")
    y, f_vjp = vjp(f, 3.)
    print(y)
    printed(capsys, "called f_fwd!\ncalled f!\n0.14112")
    print(f_vjp(1.))
    printed(capsys, "called f_bwd!\n(Array(-0.9899925, dtype=float32, weak_type=True),)")


def test_custom_vjp_jvp_error(capsys):
    f = _printing_custom_vjp()
    try:
        jvp(f, (3.,), (1.,))
    except TypeError as e:
        print('ERROR! {}'.format(e))
    printed(capsys, "called f_fwd!\ncalled f!\n"
                    "ERROR! can't apply forward-mode autodiff (jvp) to a custom_vjp function.")


def test_custom_vjp_counts_under_compositions(capsys):
    f = _printing_custom_vjp()
    f(3.)
    vmap(f)(jnp.arange(3.))
    jit(f)(3.)
    assert lines(capsys) == ['called f!'] * 3
    out = grad(grad(f))(3.)
    # the outer level differentiates the inner bwd as ordinary code
    assert lines(capsys) == ['called f_fwd!', 'called f_fwd!', 'called f!', 'called f_bwd!']
    np.testing.assert_allclose(float(out), -np.sin(3.), rtol=1e-6)
    vmap(grad(f))(jnp.arange(3.))
    assert lines(capsys) == ['called f_fwd!', 'called f!', 'called f_bwd!']
    g = jit(grad(f))
    g(3.)
    g(2.)
    assert lines(capsys) == ['called f_fwd!', 'called f!', 'called f_bwd!']
    grad(jit(f))(3.)
    assert lines(capsys) == ['called f!', 'called f_fwd!', 'called f!', 'called f_bwd!']


def test_debugging_with_pdb_in_bwd(monkeypatch):
    """The seed's pdb example: bwd is plain Python at backward time, with the residual
    and the cotangent as concrete values."""
    seen = {}

    def fake_set_trace(*args, **kwargs):
        frame = sys._getframe(1)
        seen.update(x=frame.f_locals['x'], g=frame.f_locals['g'])
    monkeypatch.setattr(pdb, 'set_trace', fake_set_trace)

    @custom_vjp
    def debug(x):
        return x  # acts like identity

    def debug_fwd(x):
        return x, x

    def debug_bwd(x, g):
        import pdb; pdb.set_trace()
        return g
    debug.defvjp(debug_fwd, debug_bwd)

    def foo(x):
        y = x ** 2
        y = debug(y)  # insert pdb in corresponding backward pass step
        return jnp.sin(y)
    out = jax.grad(foo)(3.)
    assert isinstance(seen['x'], jax.Array) and isinstance(seen['g'], jax.Array)
    np.testing.assert_allclose(float(seen['x']), 9.)
    np.testing.assert_allclose(float(seen['g']), -0.91113025, rtol=1e-6)
    np.testing.assert_allclose(float(out), 6 * np.cos(9.), rtol=1e-6)


# --- Pytrees ----------------------------------------------------------------------------------

Point = namedtuple("Point", ["x", "y"])


def _pytree_custom_jvp():
    @custom_jvp
    def f(pt):
        x, y = pt.x, pt.y
        return {'a': x ** 2,
                'b': (jnp.sin(x), jnp.cos(y))}

    @f.defjvp
    def f_jvp(primals, tangents):
        pt, = primals
        pt_dot, = tangents
        ans = f(pt)
        ans_dot = {'a': 2 * pt.x * pt_dot.x,
                   'b': (jnp.cos(pt.x) * pt_dot.x, -jnp.sin(pt.y) * pt_dot.y)}
        return ans, ans_dot
    return f


def _pytree_custom_vjp():
    @custom_vjp
    def f(pt):
        x, y = pt.x, pt.y
        return {'a': x ** 2,
                'b': (jnp.sin(x), jnp.cos(y))}

    def f_fwd(pt):
        return f(pt), pt

    def f_bwd(pt, g):
        a_bar, (b0_bar, b1_bar) = g['a'], g['b']
        x_bar = 2 * pt.x * a_bar + jnp.cos(pt.x) * b0_bar
        y_bar = -jnp.sin(pt.y) * b1_bar
        return (Point(x_bar, y_bar),)
    f.defvjp(f_fwd, f_bwd)
    return f


PT_OUT = ("{'a': 1.0, 'b': (Array(0.84147096, dtype=float32, weak_type=True), "
          "Array(-0.41614684, dtype=float32, weak_type=True))}")


@pytest.mark.parametrize('make, y', [(_pytree_custom_jvp, '0.'), (_pytree_custom_vjp, '-0.')])
def test_pytrees_values(capsys, make, y):
    f = make()

    def fun(pt):
        dct = f(pt)
        return dct['a'] + dct['b'][0]
    pt = Point(1., 2.)
    print(f(pt))
    printed(capsys, PT_OUT)  # eager: only f runs, so 'a' stays a Python float
    g = grad(fun)(pt)
    assert type(g) is Point
    np.testing.assert_allclose(float(g.x), 2.5403023, rtol=1e-6)
    assert str(float(g.y)) == y + '0'  # the seed shows 0. (custom_jvp) and -0. (custom_vjp)
    out = f(Point(jnp.float32(1.), 2.))
    jitted = jit(f)(Point(1., 2.))
    for a, b in zip(jax.tree_util.tree_leaves(out), jax.tree_util.tree_leaves(jitted)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)


@weak_repr
@pytest.mark.parametrize('make, y', [(_pytree_custom_jvp, '0.'), (_pytree_custom_vjp, '-0.')])
def test_pytrees_repr(capsys, make, y):
    f = make()

    def fun(pt):
        dct = f(pt)
        return dct['a'] + dct['b'][0]
    print(grad(fun)(Point(1., 2.)))
    printed(capsys, f"Point(x=Array(2.5403023, dtype=float32, weak_type=True), "
                    f"y=Array({y}, dtype=float32, weak_type=True))")


# --- nondiff_argnums --------------------------------------------------------------------------

def test_nondiff_argnums_custom_jvp(capsys):
    @partial(custom_jvp, nondiff_argnums=(0,))
    def app(f, x):
        return f(x)

    @app.defjvp
    def app_jvp(f, primals, tangents):
        x, = primals
        x_dot, = tangents
        return f(x), 2. * x_dot
    print(app(lambda x: x ** 3, 3.))
    print(grad(app, 1)(lambda x: x ** 3, 3.))

    @partial(custom_jvp, nondiff_argnums=(0, 2))
    def app2(f, x, g):
        return f(g((x)))

    @app2.defjvp
    def app2_jvp(f, g, primals, tangents):
        x, = primals
        x_dot, = tangents
        return f(g(x)), 3. * x_dot
    print(app2(lambda x: x ** 3, 3., lambda y: 5 * y))
    print(grad(app2, 1)(lambda x: x ** 3, 3., lambda y: 5 * y))
    printed(capsys, "27.0\n2.0\n3375.0\n3.0")
    # under vmap and jit only f runs; under their differentiation the rule
    np.testing.assert_allclose(np.asarray(vmap(lambda x: app2(jnp.sin, x, jnp.cos))(
        jnp.arange(3.))), np.sin(np.cos(np.arange(3.))), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(jit(vmap(grad(lambda x: app2(jnp.sin, x, jnp.cos))))(
        jnp.arange(3.))), [3., 3., 3.])


def test_nondiff_argnums_custom_vjp(capsys):
    @partial(custom_vjp, nondiff_argnums=(0,))
    def app(f, x):
        return f(x)

    def app_fwd(f, x):
        return f(x), x

    def app_bwd(f, x, g):
        return (5 * g,)
    app.defvjp(app_fwd, app_bwd)
    print(app(lambda x: x ** 2, 4.))
    print(grad(app, 1)(lambda x: x ** 2, 4.))
    printed(capsys, "16.0\n5.0")
    np.testing.assert_allclose(np.asarray(vmap(grad(app, 1), (None, 0))(jnp.sin, jnp.arange(3.))),
                               [5., 5., 5.])


@pytest.mark.parametrize('kind', [custom_jvp, custom_vjp])
def test_tracer_in_nondiff_arg_is_an_error(kind):
    f = kind(lambda a, x: a * x, nondiff_argnums=(0,))
    if kind is custom_jvp:
        f.defjvp(lambda a, p, t: (f(a, p[0]), a * t[0]))
    else:
        f.defvjp(lambda a, x: (f(a, x), None), lambda a, r, g: (a * g,))
    assert float(f(3., 2.)) == 6.  # concrete values are fine
    for transform in [grad, jit, vmap]:
        with pytest.raises(CustomNondiffTracerError, match="nondiff_argnums"):
            transform(lambda a: f(a, 2.))(jnp.array(3.) if transform is not vmap
                                          else jnp.arange(2.))
    assert issubclass(CustomNondiffTracerError, jax.UnexpectedTracerError)


# --- Errors -----------------------------------------------------------------------------------

def test_nonlinear_custom_jvp_rule_under_grad():
    @custom_jvp
    def f(x):
        return jnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        return f(primals[0]), jnp.sin(tangents[0])
    # forward mode never checks linearity; reverse mode names the rule and the function
    np.testing.assert_allclose(float(jvp(f, (1.,), (0.5,))[1]), np.sin(0.5), rtol=1e-6)
    with pytest.raises(TypeError, match=r"custom_jvp rule f_jvp of f is not linear.*'sin'"):
        grad(f)(1.)

    @f.defjvp
    def f_jvp_square(primals, tangents):
        return f(primals[0]), tangents[0] * tangents[0]
    with pytest.raises(TypeError, match="custom_jvp rule f_jvp_square of f is not linear"):
        grad(f)(1.)
    with pytest.raises(TypeError, match="not linear"):
        jit(grad(f))(1.)

    @f.defjvp
    def f_jvp_branch(primals, tangents):
        return f(primals[0]), tangents[0] if tangents[0] > 0 else -tangents[0]
    with pytest.raises(jax.ConcretizationTypeError):
        grad(f)(1.)
    assert float(jvp(f, (1.,), (-2.,))[1]) == 2.


def test_bad_rule_outputs():
    @custom_jvp
    def f(x):
        return jnp.sin(x)
    with pytest.raises(AttributeError, match="No JVP defined for custom_jvp function f"):
        f(1.)
    f.defjvp(lambda p, t: f(p[0]))
    with pytest.raises(TypeError, match="must produce a pair"):
        jvp(f, (1.,), (1.,))
    f.defjvp(lambda p, t: (f(p[0]), (t[0],)))
    with pytest.raises(TypeError, match="equal container"):
        jvp(f, (1.,), (1.,))
    f.defjvp(lambda p, t: (f(p[0]), jnp.ones(3)))
    with pytest.raises(TypeError, match=r"Expected f32\[\] \(tangent type of f32\[\]\) but "
                                        r"got f32\[3\]"):
        grad(f)(1.)
    with pytest.raises(TypeError, match="Can't use ``defjvps`` with ``nondiff_argnums``"):
        custom_jvp(lambda a, x: x, nondiff_argnums=(0,)).defjvps(None)
    g = custom_jvp(lambda s, x: x)
    g.defjvps(None, lambda t, ans, s, x: t)
    with pytest.raises(TypeError, match="'abc'.*not an array.*nondiff_argnums"):
        grad(lambda x: g('abc', x))(1.)


def test_bad_custom_vjp_rules():
    @custom_vjp
    def f(x, y):
        return x * y
    with pytest.raises(AttributeError, match="No VJP defined for custom_vjp function f"):
        f(1., 2.)
    fwd = lambda x, y: (x * y, (x, y))
    f.defvjp(fwd, lambda r, g: (r[1] * g,))
    with pytest.raises(TypeError, match=r"bwd output structure PyTreeDef\(\(\*,\)\) for "
                                        r"primal input structure PyTreeDef\(\(\*, \*\)\)"):
        grad(f)(2., 3.)
    f.defvjp(fwd, lambda r, g: r[1] * g)
    with pytest.raises(TypeError, match="must produce a tuple of length equal to the number"):
        grad(f)(2., 3.)
    f.defvjp(fwd, lambda r, g: ((g, g), None))
    with pytest.raises(TypeError, match="same container"):
        grad(f)(2., 3.)
    f.defvjp(fwd, lambda r, g: (jnp.ones(2), None))
    with pytest.raises(ValueError, match=r"at output\[0\] .* f32\[2\] corresponding to an "
                                         r"input of type f32\[\], so the shapes do not match"):
        grad(f)(2., 3.)
    f.defvjp(lambda x, y: x * y, lambda r, g: (g, g))
    with pytest.raises(TypeError, match="fwd rule <lambda> for function f must produce a pair"):
        grad(f)(2., 3.)
    f.defvjp(fwd, lambda r, g: [r[1] * g, None])  # a list is fine, None means zero
    gx, gy = grad(f, (0, 1))(2., 3.)
    assert (float(gx), float(gy)) == (3., 0.)


def test_bwd_none_for_subtrees():
    @custom_vjp
    def f(p):
        return p['a'] * p['b'][0] + p['b'][1]
    f.defvjp(lambda p: (f(p), p), lambda p, g: ({'a': g * p['b'][0], 'b': None},))
    out = grad(f)({'a': 2., 'b': (3., 4.)})
    assert float(out['a']) == 3. and float(out['b'][0]) == 0. and float(out['b'][1]) == 0.


def test_closure_over_differentiated_value_is_an_error():
    def outer(y, x):
        @custom_jvp
        def f(x):
            return x * y

        f.defjvp(lambda p, t: (f(p[0]), t[0] * y))
        return f(x)
    assert float(outer(3., 2.)) == 6.
    assert float(grad(outer, 1)(3., 2.)) == 3.  # y is a constant here: fine
    assert float(jit(outer)(3., 2.)) == 6.
    with pytest.raises(CustomClosureError, match="custom_jvp function f closes over a value "
                                                 "being transformed.*explicit argument"):
        grad(outer, 0)(3., 2.)
    with pytest.raises(CustomClosureError, match="explicit argument"):
        jit(grad(outer, 0))(3., 2.)
    with pytest.raises(CustomClosureError, match="explicit argument"):
        grad(jit(outer), 1)(3., 2.)

    def outer_vjp(y, x):
        @custom_vjp
        def f(x):
            return x * y
        f.defvjp(lambda x: (f(x), None), lambda r, g: (g * y,))
        return f(x)
    assert float(grad(outer_vjp, 1)(3., 2.)) == 3.
    with pytest.raises(CustomClosureError, match="custom_vjp function f"):
        grad(outer_vjp, 0)(3., 2.)
    assert issubclass(CustomClosureError, jax.UnexpectedTracerError)


# --- Symbolic zeros ---------------------------------------------------------------------------

def test_symbolic_zeros_custom_jvp():
    seen = []

    @custom_jvp
    def f(x, y):
        return x * y

    def f_jvp(primals, tangents):
        (x, y), (xd, yd) = primals, tangents
        seen.append((type(xd), type(yd)))
        parts = []
        if not isinstance(xd, SymbolicZero):
            parts.append(xd * y)
        if not isinstance(yd, SymbolicZero):
            parts.append(x * yd)
        return f(x, y), sum(parts[1:], parts[0])
    f.defjvp(f_jvp, symbolic_zeros=True)
    assert float(grad(f, 1)(2., 3.)) == 2.
    assert seen[-1][0] is SymbolicZero and seen[-1][1] is not SymbolicZero
    assert float(jvp(f, (2., 3.), (1., 1.))[1]) == 5.
    assert SymbolicZero not in seen[-1]

    @custom_jvp
    def g(x):
        return jnp.floor(x)
    g.defjvp(lambda p, t: (g(p[0]), SymbolicZero(t[0].aval)), symbolic_zeros=True)
    assert float(grad(g)(2.5)) == 0.
    assert float(jvp(g, (2.5,), (1.,))[1]) == 0.


def test_symbolic_zeros_custom_vjp():
    seen = []

    @custom_vjp
    def f(x, y):
        return x * y, x + y

    def fwd(x, y):
        seen.append((type(x), x.perturbed, y.perturbed))
        return f(x.value, y.value), (x.value, y.value)

    def bwd(res, cts):
        x, y = res
        g0, g1 = cts
        seen.append((type(g0), type(g1)))
        return (None if isinstance(g0, SymbolicZero) else g0 * y,
                None if isinstance(g0, SymbolicZero) else g0 * x)
    f.defvjp(fwd, bwd, symbolic_zeros=True)
    assert float(grad(lambda x, y: f(x, y)[0])(2., 3.)) == 3.
    assert seen[0] == (CustomVJPPrimal, True, False)
    assert seen[1][0] is not SymbolicZero and seen[1][1] is SymbolicZero
    assert float(f(2., 3.)[1]) == 5.


# --- First principles: the rules are what gets used, everywhere --------------------------------

def _fancy_jvp():
    """f(x, y) = sin(x) * y + x**2 with a hand-written (correct) rule over arrays."""
    @custom_jvp
    def f(x, y):
        return jnp.sin(x) * y + x ** 2

    @f.defjvp
    def f_jvp(primals, tangents):
        (x, y), (xd, yd) = primals, tangents
        return f(x, y), (jnp.cos(x) * y + 2 * x) * xd + jnp.sin(x) * yd
    return f


def _fancy_vjp():
    @custom_vjp
    def f(x, y):
        return jnp.sin(x) * y + x ** 2

    def fwd(x, y):
        return f(x, y), (x, y)

    def bwd(res, g):
        x, y = res
        return (jnp.cos(x) * y + 2 * x) * g, jnp.sin(x) * g
    f.defvjp(fwd, bwd)
    return f


def _reference(x, y):
    return np.sin(x) * y + x ** 2


def test_jvp_matches_finite_differences(x64):
    rng = np.random.default_rng(0)
    x, y, tx, ty = (rng.normal(size=4) for _ in range(4))
    f = _fancy_jvp()
    eps = 1e-6
    fd = (_reference(x + eps * tx, y + eps * ty)
          - _reference(x - eps * tx, y - eps * ty)) / (2 * eps)
    out, t_out = jvp(f, (jnp.array(x), jnp.array(y)), (jnp.array(tx), jnp.array(ty)))
    assert out.dtype == np.float64
    np.testing.assert_allclose(np.asarray(t_out), fd, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize('make', [_fancy_jvp, _fancy_vjp])
def test_vjp_matches_jvp_and_finite_differences(x64, make):
    rng = np.random.default_rng(1)
    x, y, tx, ty, u = (rng.normal(size=5) for _ in range(5))
    f = make()
    _, f_vjp = vjp(f, jnp.array(x), jnp.array(y))
    cx, cy = f_vjp(jnp.array(u))
    eps = 1e-6
    fd = (_reference(x + eps * tx, y + eps * ty)
          - _reference(x - eps * tx, y - eps * ty)) / (2 * eps)
    # <u, J v> == <J^T u, v>
    pulled = np.dot(np.asarray(cx), tx) + np.dot(np.asarray(cy), ty)
    np.testing.assert_allclose(np.dot(u, fd), pulled, rtol=1e-7)
    if make is _fancy_jvp:
        _, t_out = jvp(f, (jnp.array(x), jnp.array(y)), (jnp.array(tx), jnp.array(ty)))
        np.testing.assert_allclose(np.dot(u, np.asarray(t_out)),
                                   np.dot(np.asarray(cx), tx) + np.dot(np.asarray(cy), ty),
                                   rtol=1e-12)


@pytest.mark.parametrize('make', [_fancy_jvp, _fancy_vjp])
def test_vmap_matches_loop_and_jit_matches_eager(make):
    f = make()
    xs = jnp.array(np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2))
    ys = jnp.array(np.linspace(0.5, 2, 6, dtype=np.float32).reshape(3, 2))
    g = grad(lambda x, y: f(x, y).sum(), (0, 1))
    batched = vmap(g)(xs, ys)
    for i in range(3):
        one = g(xs[i], ys[i])
        for b, o in zip(batched, one):
            np.testing.assert_allclose(np.asarray(b[i]), np.asarray(o), rtol=1e-6)
    for b, o in zip(jit(vmap(g))(xs, ys), batched):
        np.testing.assert_allclose(np.asarray(b), np.asarray(o), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(vmap(f)(xs, ys)),
                               _reference(np.asarray(xs), np.asarray(ys)), rtol=1e-6)
    # an unbatched argument: its cotangent sums over the batch
    gy = grad(lambda xs, y: vmap(f, (0, None))(xs, y).sum(), 1)(xs, ys[0])
    np.testing.assert_allclose(np.asarray(gy), np.sin(np.asarray(xs)).sum(0), rtol=1e-6)


def test_higher_order_jacobians():
    f = _fancy_jvp()
    x, y = jnp.array([0.3, -1.2]), jnp.array([2., 0.5])
    xn, yn = np.asarray(x), np.asarray(y)
    h = hessian(lambda x: f(x, y).sum())(x)
    np.testing.assert_allclose(np.asarray(h), np.diag(-np.sin(xn) * yn + 2), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(jacfwd(f)(x, y)), np.diag(np.cos(xn) * yn + 2 * xn),
                               rtol=1e-6)
    np.testing.assert_allclose(np.asarray(jacrev(f)(x, y)), np.diag(np.cos(xn) * yn + 2 * xn),
                               rtol=1e-6)
    g = _fancy_vjp()
    np.testing.assert_allclose(np.asarray(jacrev(jacrev(lambda x: g(x, y).sum()))(x)),
                               np.diag(-np.sin(xn) * yn + 2), rtol=1e-6)
    with pytest.raises(TypeError, match="forward-mode"):
        hessian(lambda x: g(x, y).sum())(x)
    # a custom_vjp function whose inputs are not perturbed works under jvp
    out = jvp(lambda t: g(x, y).sum() * t, (2.,), (1.,))[1]
    np.testing.assert_allclose(float(out), _reference(xn, yn).sum(), rtol=1e-6)


def test_linearize_and_jit_of_vjp_function():
    f = _fancy_jvp()
    x, y = jnp.array([0.3, -1.2]), jnp.array([2., 0.5])
    _, f_lin = linearize(f, x, y)
    np.testing.assert_allclose(np.asarray(f_lin(jnp.ones(2), jnp.zeros(2))),
                               np.cos(np.asarray(x)) * np.asarray(y) + 2 * np.asarray(x),
                               rtol=1e-6)
    np.testing.assert_allclose(np.asarray(jit(f_lin)(jnp.ones(2), jnp.zeros(2))),
                               np.asarray(f_lin(jnp.ones(2), jnp.zeros(2))), rtol=1e-6)
    for make in [_fancy_jvp, _fancy_vjp]:
        _, f_vjp = vjp(make(), x, y)
        eager = f_vjp(jnp.ones(2))
        for a, b in zip(jit(f_vjp)(jnp.ones(2)), eager):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)


def test_make_jaxpr_shows_the_call():
    f, f_jvp = _sin_with_rule()
    f.defjvp(f_jvp)
    text = str(make_jaxpr(f)(3.))
    assert 'custom_jvp_call[' in text and 'jvp=f_jvp' in text and 'sin' in text
    text = str(make_jaxpr(clip_sin)(3.))
    assert 'custom_vjp_call[' in text and 'bwd=clip_gradient_bwd' in text
    assert jax.eval_shape(f, jnp.ones(3)).shape == (3,)


def test_methods():
    class Model:
        scale = 3.

        @partial(custom_jvp, nondiff_argnums=(0,))
        def apply(self, x):
            return self.scale * x

    Model.apply.defjvp(lambda self, p, t: (Model.apply(self, *p), 10. * t[0]))
    m = Model()
    assert float(m.apply(2.)) == 6.
    assert float(grad(lambda x: Model.apply(m, x))(2.)) == 10.  # the rule's


def test_against_jax_oracle():
    jax_ = pytest.importorskip('jax')
    jjnp = jax_.numpy

    def build(cj, np_):
        @cj
        def f(x, y):
            return np_.sin(x) * y

        @f.defjvp
        def f_jvp(primals, tangents):
            (x, y), (xd, yd) = primals, tangents
            return f(x, y), np_.cos(x) * xd * y * 2. + np_.sin(x) * yd
        return f
    ours, theirs = build(custom_jvp, jnp), build(jax_.custom_jvp, jjnp)
    x, y = np.float32(0.7), np.float32(1.3)
    np.testing.assert_allclose(float(grad(ours)(x, y)), float(jax_.grad(theirs)(x, y)),
                               rtol=1e-6)
    np.testing.assert_allclose(float(grad(grad(ours))(x, y)),
                               float(jax_.grad(jax_.grad(theirs))(x, y)), rtol=1e-6)
    xs = np.linspace(0, 1, 4, dtype=np.float32)
    np.testing.assert_allclose(np.asarray(vmap(grad(ours, 1))(xs, xs)),
                               np.asarray(jax_.vmap(jax_.grad(theirs, 1))(xs, xs)), rtol=1e-6)


def _printing_pair(lib, np_, log):
    @lib.custom_jvp
    def f(x):
        log.append('f')
        return np_.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        log.append('f_jvp')
        return f(primals[0]), np_.cos(primals[0]) * tangents[0]

    @lib.custom_vjp
    def g(x):
        log.append('g')
        return np_.sin(x)

    def g_fwd(x):
        log.append('g_fwd')
        return g(x), np_.cos(x)

    def g_bwd(c, ct):
        log.append('g_bwd')
        return (c * ct,)
    g.defvjp(g_fwd, g_bwd)
    return f, g


@pytest.mark.slow
def test_call_sequences_match_jax():
    """Which of f / the rules run, how often and in which order, against JAX itself."""
    jax_ = pytest.importorskip('jax')
    xs = np.linspace(0.5, 1.5, 3, dtype=np.float32)
    compositions = {
        'eager': lambda t, h: h(1.),
        'vmap': lambda t, h: t.vmap(h)(xs),
        'jit': lambda t, h: t.jit(h)(1.),
        'grad': lambda t, h: t.grad(h)(1.),
        'grad(grad)': lambda t, h: t.grad(t.grad(h))(1.),
        'vmap(grad)': lambda t, h: t.vmap(t.grad(h))(xs),
        'jit(grad)': lambda t, h: t.jit(t.grad(h))(1.),
        'grad(vmap)': lambda t, h: t.grad(lambda x: t.vmap(h)(x).sum())(xs),
        'jvp': lambda t, h: t.jvp(h, (1.,), (1.,)),
    }
    for which in (0, 1):
        for name, run in compositions.items():
            logs, results = [], []
            for lib, np_ in [(jax, jnp), (jax_, jax_.numpy)]:
                log = []
                h = _printing_pair(lib, np_, log)[which]
                try:
                    results.append(np.asarray(lib.tree_util.tree_leaves(run(lib, h))[-1]))
                except TypeError as e:
                    results.append(type(e))
                logs.append(log)
            assert logs[0] == logs[1], (which, name, logs)
            if isinstance(results[1], type):
                assert results[0] is results[1], (which, name)
            else:
                np.testing.assert_allclose(results[0], results[1], rtol=1e-6)
