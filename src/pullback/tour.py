"""A guided tour of pullback: every section of the advanced-autodiff tutorial, run and printed.

    python -m pullback.tour                  # all sections, in order
    python -m pullback.tour --section hvp    # one section (a name or a unique prefix)
    python -m pullback.tour --list

Timed cells report pullback's time, and JAX's beside it when JAX is installed.  Plots are
written as PNG files into ./tour_output when matplotlib is installed.
"""
import argparse
import os
import sys
import time
import traceback
from collections import namedtuple
from functools import partial

SECTIONS = []


def section(name, title):
    def register(fn):
        SECTIONS.append((name, title, fn))
        return fn
    return register


def _imports():
    import pullback as jax
    import pullback.numpy as jnp
    from pullback import grad, jit, vmap, random, lax
    return jax, jnp, grad, jit, vmap, random, lax


def _time(fn, number=10, repeat=3):
    """Best per-call time in microseconds."""
    best = float('inf')
    fn()
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best * 1e6


def _jax():
    if os.environ.get('PULLBACK_TOUR_NO_JAX'):
        return None
    try:
        import jax
        jax.config.update('jax_threefry_partitionable', False)
        return jax
    except Exception:
        return None


def _report_time(label, pb_fn, jax_fn=None, number=10):
    pb = _time(pb_fn, number)
    line = f"{label}: pullback {pb:,.1f} µs per call"
    if jax_fn is not None:
        try:
            jx = _time(jax_fn, number)
            line += f"; JAX {jx:,.1f} µs (ratio {pb / jx:.3f})"
        except Exception as e:  # pragma: no cover - depends on the oracle
            line += f"; JAX n/a ({type(e).__name__})"
    print(line)


def _block(tree):
    import pullback as jax
    for leaf in jax.tree_util.tree_leaves(tree):
        if hasattr(leaf, 'block_until_ready'):
            leaf.block_until_ready()
    return tree


# --- Shared data ---------------------------------------------------------------------------

def _predict_setup():
    jax, jnp, grad, jit, vmap, random, lax = _imports()

    def sigmoid(x):
        return 0.5 * (jnp.tanh(x / 2) + 1)

    def predict(W, b, inputs):
        return sigmoid(jnp.dot(inputs, W) + b)
    inputs = jnp.array([[0.52, 1.12, 0.77],
                        [0.88, -1.08, 0.15],
                        [0.52, 0.06, -1.30],
                        [0.74, -2.49, 1.39]])
    key = random.key(0)
    key, W_key, b_key = random.split(key, 3)
    W = random.normal(W_key, (3,))
    b = random.normal(b_key, ())
    return predict, inputs, key, W, b


def _td_setup():
    jax, jnp, grad, jit, vmap, random, lax = _imports()
    value_fn = lambda theta, state: jnp.dot(theta, state)
    theta = jnp.array([0.1, -0.1, 0.])
    s_tm1 = jnp.array([1., 2., -1.])
    r_t = jnp.array(1.)
    s_t = jnp.array([2., 1., 0.])

    def td_loss(theta, s_tm1, r_t, s_t):
        v_tm1 = value_fn(theta, s_tm1)
        target = r_t + value_fn(theta, s_t)
        return -0.5 * ((jax.lax.stop_gradient(target) - v_tm1) ** 2)
    return value_fn, theta, s_tm1, r_t, s_t, td_loss


# --- Taking gradients ----------------------------------------------------------------------

@section('higher-order', 'Higher-order derivatives: the Hessian of x . x')
def _higher_order():
    jax, jnp, grad, *_ = _imports()

    def hessian(f):
        return jax.jacfwd(jax.grad(f))
    print(repr(hessian(lambda x: jnp.dot(x, x))(jnp.array([1., 2., 3.]))))


@section('maml', 'Higher-order optimisation: a meta-gradient through one SGD step')
def _maml():
    jax, jnp, grad, *_ = _imports()
    lr = 0.1

    def loss_fn(params, data):
        x, y = data
        return jnp.mean((x * params - y) ** 2)

    def meta_loss_fn(params, data):
        grads = jax.grad(loss_fn)(params, data)
        return loss_fn(params - lr * grads, data)
    data = (jnp.array([1., 2., 3.]), jnp.array([2., 4., 6.]))
    print("meta-gradient at params=0.5:", jax.grad(meta_loss_fn)(0.5, data))


@section('stop-gradient', 'Stopping gradients: the TD(0) update')
def _stop_gradient():
    jax, jnp, grad, *_ = _imports()
    value_fn, theta, s_tm1, r_t, s_t, td_loss = _td_setup()

    def naive_td_loss(theta, s_tm1, r_t, s_t):
        v_tm1 = value_fn(theta, s_tm1)
        target = r_t + value_fn(theta, s_t)
        return -0.5 * ((target - v_tm1) ** 2)
    print("without stop_gradient:", repr(jax.grad(naive_td_loss)(theta, s_tm1, r_t, s_t)))
    print("with stop_gradient:   ", repr(jax.grad(td_loss)(theta, s_tm1, r_t, s_t)))
    s_grad = jax.grad(value_fn)(theta, s_tm1)
    by_hand = (r_t + value_fn(theta, s_t) - value_fn(theta, s_tm1)) * s_grad
    print("by hand:              ", repr(by_hand))


@section('straight-through', 'The straight-through estimator')
def _straight_through():
    jax, jnp, grad, *_ = _imports()

    def f(x):
        return jnp.round(x)

    def straight_through_f(x):
        zero = x - jax.lax.stop_gradient(x)
        return zero + jax.lax.stop_gradient(f(x))
    print("f(x): ", f(3.2))
    print("straight_through_f(x):", straight_through_f(3.2))
    print("grad(f)(x):", jax.grad(f)(3.2))
    print("grad(straight_through_f)(x):", jax.grad(straight_through_f)(3.2))


@section('per-example', 'Per-example gradients: jit(vmap(grad))')
def _per_example():
    jax, jnp, grad, jit, vmap, *_ = _imports()
    value_fn, theta, s_tm1, r_t, s_t, td_loss = _td_setup()
    batched = [jnp.stack([a, a]) for a in (s_tm1, r_t, s_t)]
    inefficient = vmap(grad(td_loss), in_axes=(None, 0, 0, 0))
    perex_grads = jit(inefficient)
    print(repr(grad(td_loss)(theta, s_tm1, r_t, s_t)))
    print(repr(vmap(grad(td_loss))(jnp.stack([theta, theta]), *batched)))
    print(repr(inefficient(theta, *batched)))
    print(repr(perex_grads(theta, *batched)))
    jx = _jax()
    jax_fns = (None, None)
    if jx is not None:
        import jax.numpy as xnp
        import numpy as np
        jtheta, *jb = [xnp.asarray(np.asarray(a)) for a in [theta] + batched]

        def jtd(theta, s_tm1, r_t, s_t):
            v_tm1 = xnp.dot(theta, s_tm1)
            target = r_t + xnp.dot(theta, s_t)
            return -0.5 * ((jx.lax.stop_gradient(target) - v_tm1) ** 2)
        j_ineff = jx.vmap(jx.grad(jtd), in_axes=(None, 0, 0, 0))
        j_jit = jx.jit(j_ineff)
        jax_fns = (lambda: j_ineff(jtheta, *jb).block_until_ready(),
                   lambda: j_jit(jtheta, *jb).block_until_ready())
    _report_time("un-jitted vmap(grad)", lambda: _block(inefficient(theta, *batched)),
                 jax_fns[0], number=20)
    _report_time("jit(vmap(grad))", lambda: _block(perex_grads(theta, *batched)),
                 jax_fns[1], number=200)


@section('jacobians', 'Jacobians and Hessians with jacfwd and jacrev')
def _jacobians():
    jax, jnp, grad, jit, vmap, random, lax = _imports()
    predict, inputs, key, W, b = _predict_setup()
    f = lambda W: predict(W, b, inputs)
    J = jax.jacfwd(f)(W)
    print("jacfwd result, with shape", J.shape)
    print(J)
    J = jax.jacrev(f)(W)
    print("jacrev result, with shape", J.shape)
    print(J)

    def predict_dict(params, inputs):
        return predict(params['W'], params['b'], inputs)
    J_dict = jax.jacrev(predict_dict)({'W': W, 'b': b}, inputs)
    for k, v in J_dict.items():
        print("Jacobian from {} to logits is".format(k))
        print(v)
    H = jax.jacfwd(jax.jacrev(f))(W)
    print("hessian, with shape", H.shape)
    print(H)


@section('jvp-vjp', 'JVPs and VJPs, and vector-valued gradients')
def _jvp_vjp():
    jax, jnp, grad, jit, vmap, random, lax = _imports()
    predict, inputs, key, W, b = _predict_setup()
    f = lambda W: predict(W, b, inputs)
    key, subkey = random.split(key)
    v = random.normal(subkey, W.shape)
    y, u = jax.jvp(f, (W,), (v,))
    print("jvp: f(W) =", y, "\n     J v  =", u)
    y, vjp_fun = jax.vjp(f, W)
    key, subkey = random.split(key)
    u = random.normal(subkey, y.shape)
    print("vjp: u J =", vjp_fun(u)[0])

    def vgrad(f, x):
        y, vjp_fn = jax.vjp(f, x)
        return vjp_fn(jnp.ones(y.shape))[0]
    print(vgrad(lambda x: 3 * x ** 2, jnp.ones((2, 2))))


@section('hvp', 'Hessian-vector products: three compositions and the full Hessian')
def _hvp():
    jax, jnp, grad, jit, vmap, random, lax = _imports()

    def hvp(f, primals, tangents):
        return jax.jvp(grad(f), primals, tangents)[1]

    def hvp_revfwd(f, primals, tangents):
        g = lambda primals: jax.jvp(f, primals, tangents)[1]
        return grad(g)(primals)

    def hvp_revrev(f, primals, tangents):
        x, = primals
        v, = tangents
        return grad(lambda x: jnp.vdot(grad(f)(x), v))(x)

    def f(X):
        return jnp.sum(jnp.tanh(X) ** 2)
    key = random.key(0)
    key, subkey1, subkey2 = random.split(key, 3)
    X = random.normal(subkey1, (30, 40))
    V = random.normal(subkey2, (30, 40))
    ans1 = hvp(f, (X,), (V,))
    ans2 = jnp.tensordot(jax.hessian(f)(X), V, 2)
    print(jnp.allclose(ans1, ans2, 1e-4, 1e-4))
    print("reverse-over-forward agrees:", jnp.allclose(hvp_revfwd(f, (X,), (V,))[0], ans2,
                                                        1e-4, 1e-4))
    print("reverse-over-reverse agrees:", jnp.allclose(hvp_revrev(f, (X,), (V,)), ans2,
                                                        1e-4, 1e-4))
    jx = _jax()
    jfns = [None] * 4
    if jx is not None:
        import numpy as np
        import jax.numpy as xnp
        jX, jV = xnp.asarray(np.asarray(X)), xnp.asarray(np.asarray(V))
        jf = lambda X: xnp.sum(xnp.tanh(X) ** 2)
        jfns = [
            lambda: jx.jvp(jx.grad(jf), (jX,), (jV,))[1].block_until_ready(),
            lambda: jx.grad(lambda p: jx.jvp(jf, p, (jV,))[1])((jX,))[0].block_until_ready(),
            lambda: jx.grad(lambda x: xnp.vdot(jx.grad(jf)(x), jV))(jX).block_until_ready(),
            lambda: xnp.tensordot(jx.hessian(jf)(jX), jV, 2).block_until_ready(),
        ]
    _report_time("Forward over reverse", lambda: _block(hvp(f, (X,), (V,))), jfns[0])
    _report_time("Reverse over forward", lambda: _block(hvp_revfwd(f, (X,), (V,))), jfns[1])
    _report_time("Reverse over reverse", lambda: _block(hvp_revrev(f, (X,), (V,))), jfns[2])
    _report_time("Naive full Hessian materialization",
                 lambda: _block(jnp.tensordot(jax.hessian(f)(X), V, 2)), jfns[3], number=2)


@section('mjp-jmp', 'Matrix-Jacobian and Jacobian-matrix products: loops vs vmap')
def _mjp():
    jax, jnp, grad, jit, vmap, random, lax = _imports()
    predict, inputs, key, W, b = _predict_setup()
    f = lambda W: predict(W, b, inputs)
    y = f(W)

    def loop_mjp(f, x, M):
        y, vjp_fun = jax.vjp(f, x)
        return jnp.vstack([vjp_fun(mi) for mi in M])

    def vmap_mjp(f, x, M):
        y, vjp_fun = jax.vjp(f, x)
        outs, = vmap(vjp_fun)(M)
        return outs
    key = random.key(0)
    U = random.normal(key, (128,) + y.shape)
    loop_vs = loop_mjp(f, W, M=U)
    vmap_vs = vmap_mjp(f, W, M=U)
    print("loop and vmap MJP agree:", bool(jnp.allclose(loop_vs, vmap_vs)))
    _report_time("Non-vmapped Matrix-Jacobian product", lambda: _block(loop_mjp(f, W, U)),
                 number=2)
    _report_time("Vmapped Matrix-Jacobian product", lambda: _block(vmap_mjp(f, W, U)))

    def loop_jmp(f, W, M):
        return jnp.vstack([jax.jvp(f, (W,), (mi,))[1] for mi in M])

    def vmap_jmp(f, W, M):
        _jvp = lambda s: jax.jvp(f, (W,), (s,))[1]
        return vmap(_jvp)(M)
    S = random.normal(key, (128,) + W.shape)
    print("loop and vmap JMP agree:", bool(jnp.allclose(loop_jmp(f, W, S), vmap_jmp(f, W, S))))
    _report_time("Non-vmapped Jacobian-Matrix product", lambda: _block(loop_jmp(f, W, S)),
                 number=2)
    _report_time("Vmapped Jacobian-Matrix product", lambda: _block(vmap_jmp(f, W, S)))


@section('our-jacobians', 'jacfwd and jacrev rebuilt from vmap, jvp and vjp')
def _our_jac():
    jax, jnp, grad, jit, vmap, random, lax = _imports()
    predict, inputs, key, W, b = _predict_setup()
    f = lambda W: predict(W, b, inputs)

    def our_jacrev(f):
        def jacfun(x):
            y, vjp_fun = jax.vjp(f, x)
            J, = vmap(vjp_fun, in_axes=0)(jnp.eye(len(y)))
            return J
        return jacfun

    def our_jacfwd(f):
        def jacfun(x):
            _jvp = lambda s: jax.jvp(f, (x,), (s,))[1]
            Jt = vmap(_jvp, in_axes=1)(jnp.eye(len(x)))
            return jnp.transpose(Jt)
        return jacfun
    print("our_jacrev matches jacrev:", bool(jnp.allclose(jax.jacrev(f)(W), our_jacrev(f)(W))))
    print("our_jacfwd matches jacfwd:", bool(jnp.allclose(jax.jacfwd(f)(W), our_jacfwd(f)(W))))

    def g(x):
        try:
            if x < 3:
                return 2 * x ** 3
            else:
                raise ValueError
        except ValueError:
            return jnp.pi * x
    y, f_vjp = jax.vjp(g, 4.)
    print(jit(f_vjp)(1.))


@section('complex', 'Complex numbers and differentiation')
def _complex():
    jax, jnp, grad, jit, vmap, random, lax = _imports()

    def check(seed, mode):
        key = random.key(seed)
        key, subkey = random.split(key)
        a, b, c, d = random.uniform(subkey, (4,))

        def fun(z):
            x, y = jnp.real(z), jnp.imag(z)
            return u(x, y) + v(x, y) * 1j

        def u(x, y):
            return a * x + b * y

        def v(x, y):
            return c * x + d * y
        key, subkey = random.split(key)
        x, y = random.uniform(subkey, (2,))
        z = x + y * 1j
        key, subkey = random.split(key)
        c, d = random.uniform(subkey, (2,))
        if mode == 'jvp':
            _, ans = jax.jvp(fun, (z,), (c + d * 1j,))
            expected = (grad(u, 0)(x, y) * c + grad(u, 1)(x, y) * d +
                        grad(v, 0)(x, y) * c * 1j + grad(v, 1)(x, y) * d * 1j)
            return jnp.allclose(ans, expected)
        _, fun_vjp = jax.vjp(fun, z)
        ans, = fun_vjp(jnp.array(c + d * 1j))
        expected = (grad(u, 0)(x, y) * c + grad(v, 0)(x, y) * (-d) +
                    grad(u, 1)(x, y) * c * (-1j) + grad(v, 1)(x, y) * (-d) * (-1j))
        return jnp.allclose(ans, expected, atol=1e-5, rtol=1e-5)
    for seed in range(3):
        print(check(seed, 'jvp'))
    print("VJP checks pass:", all(bool(check(s, 'vjp')) for s in range(3)))
    print(repr(grad(lambda z: jnp.real(z) ** 2 + jnp.imag(z) ** 2)(3. + 4j)))
    print(repr(grad(jnp.sin, holomorphic=True)(3. + 4j)))
    print(repr(grad(jnp.conjugate, holomorphic=True)(3. + 4j)))
    A = jnp.array([[5., 2. + 3j, 5j],
                   [2. - 3j, 7., 1. + 7j],
                   [-5j, 1. - 7j, 12.]])

    def f(X):
        L = jnp.linalg.cholesky(X)
        return jnp.sum((L - jnp.sin(L)) ** 2)
    print(repr(grad(f, holomorphic=True)(A)))


# --- Custom derivative rules ---------------------------------------------------------------

@section('custom-tldr', 'custom_jvp and custom_vjp in brief')
def _custom_tldr():
    jax, jnp, grad, jit, vmap, random, lax = _imports()
    custom_jvp, custom_vjp = jax.custom_jvp, jax.custom_vjp

    @custom_jvp
    def f(x, y):
        return jnp.sin(x) * y

    @f.defjvp
    def f_jvp(primals, tangents):
        x, y = primals
        x_dot, y_dot = tangents
        return f(x, y), jnp.cos(x) * x_dot * y + jnp.sin(x) * y_dot
    print(f(2., 3.))
    y, y_dot = jax.jvp(f, (2., 3.), (1., 0.))
    print(y)
    print(y_dot)
    print(grad(f)(2., 3.))

    @custom_vjp
    def g(x, y):
        return jnp.sin(x) * y

    def g_fwd(x, y):
        return g(x, y), (jnp.cos(x), jnp.sin(x), y)

    def g_bwd(res, ct):
        cos_x, sin_x, y = res
        return (cos_x * ct * y, sin_x * ct)
    g.defvjp(g_fwd, g_bwd)
    print(grad(g)(2., 3.))


@section('stability', 'Numerical stability: log1pexp')
def _stability():
    jax, jnp, grad, jit, vmap, random, lax = _imports()

    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))
    print(repr(log1pexp(3.)))
    print(jit(log1pexp)(3.))
    print(jit(grad(log1pexp))(3.))
    print(vmap(jit(grad(log1pexp)))(jnp.arange(3.)))
    print(grad(log1pexp)(100.))
    print(jax.make_jaxpr(grad(log1pexp))(100.))

    @jax.custom_jvp
    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        x, = primals
        x_dot, = tangents
        return log1pexp(x), (1 - 1 / (1 + jnp.exp(x))) * x_dot
    print(grad(log1pexp)(100.))
    print(jit(log1pexp)(3.))
    print(jit(grad(log1pexp))(3.))
    print(vmap(jit(grad(log1pexp)))(jnp.arange(3.)))


@section('convention', 'Enforcing a differentiation convention at a boundary')
def _convention():
    jax, jnp, grad, *_ = _imports()

    def f(x):
        return x / (1 + jnp.sqrt(x))
    print(grad(f)(0.))

    @jax.custom_jvp
    def f(x):
        return x / (1 + jnp.sqrt(x))
    f.defjvps(lambda t, ans, x: ((jnp.sqrt(x) + 2) / (2 * (jnp.sqrt(x) + 1) ** 2)) * t)
    print(grad(f)(0.))


@section('clipping', 'Gradient clipping with custom_vjp (plots to PNG)')
def _clipping():
    jax, jnp, grad, jit, vmap, random, lax = _imports()

    @jax.custom_vjp
    def clip_gradient(lo, hi, x):
        return x

    def clip_gradient_fwd(lo, hi, x):
        return x, (lo, hi)

    def clip_gradient_bwd(res, g):
        lo, hi = res
        return (None, None, jnp.clip(g, lo, hi))
    clip_gradient.defvjp(clip_gradient_fwd, clip_gradient_bwd)

    def clip_sin(x):
        return jnp.sin(clip_gradient(-0.75, 0.75, x))
    t = jnp.linspace(0, 10, 1000)
    grads = vmap(grad(clip_sin))(t)
    print("clipped gradient range:", float(jnp.min(grads)), float(jnp.max(grads)))
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: skipping the plots")
        return
    os.makedirs('tour_output', exist_ok=True)
    for name, fn in (('sin', jnp.sin), ('clip_sin', clip_sin)):
        plt.figure()
        plt.plot(fn(t))
        plt.plot(vmap(grad(fn))(t))
        path = os.path.join('tour_output', f'{name}.png')
        plt.savefig(path)
        plt.close()
        print("wrote", path)


@section('fixed-point', 'Implicit differentiation of a fixed point (while_loop + custom_vjp)')
def _fixed_point():
    jax, jnp, grad, jit, vmap, random, lax = _imports()
    from pullback.lax import while_loop

    def newton_sqrt_with(fixed_point):
        def newton_sqrt(a):
            update = lambda a, x: 0.5 * (x + a / x)
            return fixed_point(update, a, a)
        return newton_sqrt

    def plain_fixed_point(f, a, x_guess):
        def cond_fun(carry):
            x_prev, x = carry
            return jnp.abs(x_prev - x) > 1e-6

        def body_fun(carry):
            _, x = carry
            return x, f(a, x)
        _, x_star = while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
        return x_star
    newton_sqrt = newton_sqrt_with(plain_fixed_point)
    print(newton_sqrt(2.))
    print(jit(vmap(newton_sqrt))(jnp.array([1., 2., 3., 4.])))

    fixed_point = partial(jax.custom_vjp, nondiff_argnums=(0,))(plain_fixed_point)

    def fixed_point_fwd(f, a, x_init):
        x_star = fixed_point(f, a, x_init)
        return x_star, (a, x_star)

    def rev_iter(f, packed, u):
        a, x_star, x_star_bar = packed
        _, vjp_x = jax.vjp(lambda x: f(a, x), x_star)
        return x_star_bar + vjp_x(u)[0]

    def fixed_point_rev(f, res, x_star_bar):
        a, x_star = res
        _, vjp_a = jax.vjp(lambda a: f(a, x_star), a)
        a_bar, = vjp_a(fixed_point(partial(rev_iter, f), (a, x_star, x_star_bar), x_star_bar))
        return a_bar, jnp.zeros_like(x_star)
    fixed_point.defvjp(fixed_point_fwd, fixed_point_rev)
    newton_sqrt = newton_sqrt_with(fixed_point)
    print(newton_sqrt(2.))
    print(grad(newton_sqrt)(2.))
    print(grad(grad(newton_sqrt))(2.))
    print(grad(jnp.sqrt)(2.))
    print(grad(grad(jnp.sqrt))(2.))


@section('custom-jvp-usage', 'custom_jvp in detail: when the rule and the function run')
def _custom_jvp_usage():
    jax, jnp, grad, jit, vmap, random, lax = _imports()

    @jax.custom_jvp
    def f(x):
        print('called f!')
        return jnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        print('called f_jvp!')
        x, = primals
        t, = tangents
        return f(x), jnp.cos(x) * t
    print(f(3.))
    print(vmap(f)(jnp.arange(3.)))
    print(jit(f)(3.))
    y, y_dot = jax.jvp(f, (3.,), (1.,))
    print(y_dot)
    print(grad(f)(3.))
    print(repr(grad(grad(f))(3.)))

    @jax.custom_jvp
    def h(x, y):
        return x ** 2 * y
    h.defjvps(lambda x_dot, primal_out, x, y: 2 * x * y * x_dot, None)
    print(grad(h)(2., 3.), grad(h, 0)(2., 3.), grad(h, 1)(2., 3.))

    @jax.custom_jvp
    def k(x):
        if x > 0:
            return jnp.sin(x)
        return jnp.cos(x)

    @k.defjvp
    def k_jvp(primals, tangents):
        x, = primals
        x_dot, = tangents
        return k(x), (2 * x_dot if x > 0 else 3 * x_dot)
    print(grad(k)(1.))
    print(grad(k)(-1.))


@section('custom-vjp-usage', 'custom_vjp in detail: fwd, bwd and forward mode')
def _custom_vjp_usage():
    jax, jnp, grad, *_ = _imports()

    @jax.custom_vjp
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
    print(f(3.))
    print(grad(f)(3.))
    y, f_vjp = jax.vjp(f, 3.)
    print(y)
    print(f_vjp(1.))
    try:
        jax.jvp(f, (3.,), (1.,))
    except TypeError as e:
        print('ERROR! {}'.format(e))


@section('pytrees', 'Custom rules over containers (namedtuples and dicts)')
def _pytrees():
    jax, jnp, grad, *_ = _imports()
    Point = namedtuple("Point", ["x", "y"])

    @jax.custom_jvp
    def f(pt):
        return {'a': pt.x ** 2, 'b': (jnp.sin(pt.x), jnp.cos(pt.y))}

    @f.defjvp
    def f_jvp(primals, tangents):
        pt, = primals
        pt_dot, = tangents
        ans_dot = {'a': 2 * pt.x * pt_dot.x,
                   'b': (jnp.cos(pt.x) * pt_dot.x, -jnp.sin(pt.y) * pt_dot.y)}
        return f(pt), ans_dot

    def fun(pt):
        dct = f(pt)
        return dct['a'] + dct['b'][0]
    pt = Point(1., 2.)
    print(f(pt))
    print(grad(fun)(pt))


@section('nondiff', 'Non-differentiable arguments (nondiff_argnums)')
def _nondiff():
    jax, jnp, grad, *_ = _imports()

    @partial(jax.custom_jvp, nondiff_argnums=(0,))
    def app(f, x):
        return f(x)

    @app.defjvp
    def app_jvp(f, primals, tangents):
        x, = primals
        x_dot, = tangents
        return f(x), 2. * x_dot
    print(app(lambda x: x ** 3, 3.))
    print(grad(app, 1)(lambda x: x ** 3, 3.))

    @partial(jax.custom_vjp, nondiff_argnums=(0,))
    def app2(f, x):
        return f(x)
    app2.defvjp(lambda f, x: (f(x), x), lambda f, x, g: (5 * g,))
    print(app2(lambda x: x ** 2, 4.))
    print(grad(app2, 1)(lambda x: x ** 2, 4.))


def run(names=None, out=sys.stdout):
    """Run the named sections (all by default); returns the names of those that failed."""
    failed = []
    for name, title, fn in SECTIONS:
        if names and not any(name.startswith(n) for n in names):
            continue
        print(f"\n=== {title} [{name}] ===", file=out)
        try:
            fn()
        except Exception:
            failed.append(name)
            print(f"!! section {name} failed:", file=out)
            traceback.print_exc(file=out)
    return failed


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m pullback.tour', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--section', action='append', help='run only this section')
    parser.add_argument('--list', action='store_true', help='list the sections')
    args = parser.parse_args(argv)
    if args.list:
        for name, title, _ in SECTIONS:
            print(f"{name:18s} {title}")
        return 0
    if args.section:
        unknown = [s for s in args.section if not any(n.startswith(s) for n, _, _ in SECTIONS)]
        if unknown:
            parser.error(f"unknown section(s) {unknown}; --list shows them")
    failed = run(args.section)
    print(f"\n{len(failed)} section(s) failed" + (f": {', '.join(failed)}" if failed else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
