"""The scripts in examples/, each checked from first principles: dense Jacobians and
Hessians, central finite differences in float64, exact formulas, call counters and
tracemalloc.  Every example is also run end to end (its ``main``)."""
import contextlib
import importlib.util
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pullback
import pullback as jax
import pullback.numpy as jnp
from pullback.tree_util import tree_flatten, tree_leaves, tree_unflatten

EXAMPLES = Path(__file__).resolve().parents[1] / 'examples'
NAMES = ['gauss_newton', 'linearize_reuse', 'hutchinson_trace', 'forward_from_reverse',
         'custom_pytree_derivatives', 'binomial_checkpointing', 'jacobian_preaccumulation',
         'maml']
_modules = {}


def load(name):
    """Import examples/NAME.py as a module (examples/ is not a package)."""
    if name not in _modules:
        spec = importlib.util.spec_from_file_location(f'examples_{name}', EXAMPLES / f'{name}.py')
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _modules[name] = module
    return _modules[name]


@pytest.fixture
def x64():
    old = pullback.config.jax_enable_x64
    pullback.config.update('jax_enable_x64', True)
    yield
    pullback.config.update('jax_enable_x64', old)


def f64(x):
    return np.asarray(x, dtype=np.float64)


def fd_jacobian(f, x, eps=1e-6):
    """Dense Jacobian of f: R^n -> R^m by central differences, in float64 NumPy."""
    x = f64(x)
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        cols.append((f64(f(jnp.asarray(x + e))) - f64(f(jnp.asarray(x - e)))).ravel() / (2 * eps))
    return np.stack(cols, axis=-1)


def fd_directional(f, x, v, eps=1e-6):
    return (f64(f(jnp.asarray(f64(x) + eps * f64(v)))) -
            f64(f(jnp.asarray(f64(x) - eps * f64(v))))) / (2 * eps)


def fd_grad_tree(f, tree, eps=1e-6):
    """Central-difference gradient of a scalar f with respect to every element of every
    leaf of a pytree; returned as a list of float64 arrays in tree_leaves order."""
    leaves, treedef = tree_flatten(tree)
    leaves = [f64(l) for l in leaves]
    out = []
    for k, leaf in enumerate(leaves):
        g = np.zeros_like(leaf)
        for i in range(leaf.size):
            def at(delta):
                moved = [l.copy() for l in leaves]
                moved[k].flat[i] += delta
                return float(f(tree_unflatten(treedef, [jnp.asarray(m) for m in moved])))
            g.flat[i] = (at(eps) - at(-eps)) / (2 * eps)
        out.append(g)
    return out


class Counted:
    def __init__(self, fun):
        self.fun, self.calls = fun, 0

    def __call__(self, *args):
        self.calls += 1
        return self.fun(*args)


# --- every example runs ------------------------------------------------------------------

SMOKE_ARGS = {'binomial_checkpointing': dict(steps=8), 'maml': dict(meta_steps=20)}


@pytest.mark.parametrize('name', NAMES)
def test_main_runs_and_prints(name):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        load(name).main(**SMOKE_ARGS.get(name, {}))
    text = out.getvalue()
    assert text.strip() and 'nan' not in text.lower()


def test_each_example_has_a_docstring_and_a_readme_line():
    readme = (EXAMPLES / 'README.md').read_text()
    for name in NAMES:
        title, body = load(name).__doc__.strip().split('\n\n', 1)
        assert title and 3 <= len(body.splitlines()) <= 6, name
        assert f'{name}.py' in readme, name


def test_runs_as_a_script_without_pythonpath():
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    done = subprocess.run([sys.executable, str(EXAMPLES / 'forward_from_reverse.py')],
                          capture_output=True, text=True, env=env, cwd=EXAMPLES, timeout=60)
    assert done.returncode == 0, done.stderr
    assert 'matches jacfwd: True' in done.stdout


# --- 1. Gauss-Newton ---------------------------------------------------------------------

def test_gauss_newton_products_match_dense_jacobian(x64):
    gn_mod = load('gauss_newton')
    x, y, _ = gn_mod.make_problem()
    r = gn_mod.make_residuals(x, y + 0.1 * jnp.sin(7 * x))    # nonzero residuals
    theta = jnp.array([1.5, 0.5, 2.8, 0.1])
    jac = fd_jacobian(r, theta)
    np.testing.assert_allclose(f64(jax.jacfwd(r)(theta)), jac, rtol=1e-7, atol=1e-8)
    dense_g = jac.T @ jac
    residuals, r_vjp, gn = gn_mod.gn_operator(r, theta)
    np.testing.assert_allclose(f64(residuals), f64(r(theta)), rtol=1e-15)
    rng = np.random.default_rng(0)
    for v in rng.normal(size=(3, 4)):
        expected = dense_g @ v
        np.testing.assert_allclose(f64(gn_mod.gn_vector_product(r, theta, jnp.asarray(v))),
                                   expected, rtol=1e-7, atol=1e-7)
        np.testing.assert_allclose(f64(gn(jnp.asarray(v))), expected, rtol=1e-7, atol=1e-7)
    u = rng.normal(size=x.shape)
    np.testing.assert_allclose(f64(r_vjp(jnp.asarray(u))), jac.T @ u, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(f64(jax.vmap(gn)(jnp.eye(4))), dense_g, rtol=1e-7, atol=1e-7)


def test_gauss_newton_operator_evaluates_residuals_once(x64):
    gn_mod = load('gauss_newton')
    x, y, _ = gn_mod.make_problem()
    r = Counted(gn_mod.make_residuals(x, y))
    _, _, gn = gn_mod.gn_operator(r, jnp.array([1.5, 0.5, 2.8, 0.0]))
    for v in jnp.eye(4):
        gn(v)
    jax.vmap(gn)(jnp.eye(4))
    assert r.calls == 1


def test_gauss_newton_fit_converges(x64):
    gn_mod = load('gauss_newton')
    x, y, true_theta = gn_mod.make_problem()
    r = gn_mod.make_residuals(x, y)
    theta = jnp.array([1.5, 0.5, 2.8, 0.0])
    for _ in range(6):
        theta = gn_mod.gauss_newton_step(r, theta, damping=1e-9)
    np.testing.assert_allclose(f64(theta), f64(true_theta), rtol=1e-6)


# --- 2. linearize once, reuse ------------------------------------------------------------

def _linearize_setup():
    lr = load('linearize_reuse')
    x = jnp.linspace(-1., 1., 5)
    tangents = jnp.asarray(np.random.default_rng(1).normal(size=(6, 5)))
    return lr, x, tangents


def test_linearize_reuse_matches_jvp_and_counts_primal_calls(x64):
    lr, x, tangents = _linearize_setup()
    f = lr.CountedFunction(lr.layer)
    reference = [jax.jvp(f, (x,), (v,)) for v in tangents]
    assert f.calls == len(tangents)

    f = lr.CountedFunction(lr.layer)
    y, f_jvp = jax.linearize(f, x)
    assert f.calls == 1
    np.testing.assert_array_equal(f64(y), f64(lr.layer(x)))
    looped = [f_jvp(v) for v in tangents]
    batched = jax.vmap(f_jvp)(tangents)
    assert f.calls == 1                      # no primal recomputation for any tangent
    jac = fd_jacobian(lr.layer, x)
    for v, (_, ref), one, many in zip(tangents, reference, looped, batched):
        np.testing.assert_allclose(f64(one), f64(ref), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(f64(many), f64(ref), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(f64(one), jac @ f64(v), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize('how', ['transpose_via_linear_transpose', 'transpose_via_vjp'])
def test_linearize_reuse_transpose(x64, how):
    lr, x, _ = _linearize_setup()
    f = lr.CountedFunction(lr.layer)
    _, f_jvp = jax.linearize(f, x)
    f_t = getattr(lr, how)(f_jvp, x)
    jac = fd_jacobian(lr.layer, x)
    _, f_vjp = jax.vjp(lr.layer, x)
    for u in np.random.default_rng(2).normal(size=(3, 5)):
        np.testing.assert_allclose(f64(f_t(jnp.asarray(u))), f64(f_vjp(jnp.asarray(u))[0]),
                                   rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(f64(f_t(jnp.asarray(u))), jac.T @ u, rtol=1e-7, atol=1e-9)
    assert f.calls == 1


# --- 3. Hutchinson's trace estimator -----------------------------------------------------

def test_hutchinson_hvp_and_samples_are_exact(x64):
    ht = load('hutchinson_trace')
    x = jnp.linspace(-1., 1., 6)
    hess = f64(jax.hessian(ht.loss)(x))
    np.testing.assert_allclose(hess, fd_jacobian(jax.grad(ht.loss), x), rtol=1e-6, atol=1e-8)
    vs = ht.probes(jax.random.PRNGKey(3), 5, 6, 'rademacher', x.dtype)
    assert set(np.unique(f64(vs))) == {-1.0, 1.0}
    samples = ht.hutchinson_samples(ht.loss, x, jax.random.PRNGKey(3), 5)
    for v, s in zip(f64(vs), f64(samples)):
        np.testing.assert_allclose(f64(ht.hvp(ht.loss, x, jnp.asarray(v))), hess @ v,
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(s, v @ hess @ v, rtol=1e-12)


@pytest.mark.parametrize('kind', ['rademacher', 'normal'])
def test_hutchinson_estimate_within_statistical_tolerance(x64, kind):
    ht = load('hutchinson_trace')
    x = jnp.linspace(-1., 1., 12)
    hess = f64(jax.hessian(ht.loss)(x))
    exact = np.trace(hess)
    num = 4000
    # Var[v^T H v] for symmetric H: 2 * sum_{i != j} H_ij^2 (Rademacher), 2 ||H||_F^2 (normal)
    off = np.sum(hess ** 2) - np.sum(np.diag(hess) ** 2)
    var = 2 * off if kind == 'rademacher' else 2 * np.sum(hess ** 2)
    samples = f64(ht.hutchinson_samples(ht.loss, x, jax.random.PRNGKey(0), num, kind))
    assert abs(samples.mean() - exact) < 4 * np.sqrt(var / num)
    assert 0.7 < samples.var() / var < 1.3       # the probes have the intended distribution


# --- 4. forward mode from reverse mode -----------------------------------------------------

def test_forward_from_reverse_matches_jvp_and_finite_differences(x64):
    fr = load('forward_from_reverse')
    x = jnp.array([0.3, -1.2, 0.8])
    for v in np.random.default_rng(4).normal(size=(3, 3)):
        y, jv = fr.jvp_via_vjp(fr.f, x, jnp.asarray(v))
        y_ref, jv_ref = jax.jvp(fr.f, (x,), (jnp.asarray(v),))
        np.testing.assert_array_equal(f64(y), f64(y_ref))
        np.testing.assert_allclose(f64(jv), f64(jv_ref), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(f64(jv), fd_directional(fr.f, x, v), rtol=1e-7, atol=1e-9)
    # a differently shaped map: R^(2x3) -> R
    g = lambda m: jnp.sum(jnp.sin(m) * m[::-1])            # noqa: E731
    m = jnp.asarray(np.random.default_rng(5).normal(size=(2, 3)))
    t = jnp.asarray(np.random.default_rng(6).normal(size=(2, 3)))
    np.testing.assert_allclose(f64(fr.jvp_via_vjp(g, m, t)[1]), f64(jax.jvp(g, (m,), (t,))[1]),
                               rtol=1e-13)


# --- 5. derivatives with respect to custom data types -------------------------------------

def test_custom_pytree_grad_has_same_type_and_matches_fd(x64):
    cp = load('custom_pytree_derivatives')
    data = cp.make_data(jax.random.PRNGKey(0), n=50)
    mix = cp.initial_mixture()
    grads = jax.grad(cp.negative_log_likelihood)(mix, data)
    assert type(grads) is cp.Mixture and grads.label == 'mixture'
    assert type(grads.first) is cp.Gaussian and grads.first.name == 'left'
    assert grads.second.name == 'right'
    expected = fd_grad_tree(lambda m: cp.negative_log_likelihood(m, data), mix)
    for got, want in zip(tree_leaves(grads), expected):
        np.testing.assert_allclose(f64(got), want, rtol=1e-7, atol=1e-9)
    # the mixture density itself, against an explicit NumPy formula
    def gauss(x, mu, log_std):
        std = np.exp(log_std)
        return np.exp(-0.5 * ((x - mu) / std) ** 2) / (std * np.sqrt(2 * np.pi))
    d = f64(data)
    p = 0.5 * gauss(d, -1., 0.) + 0.5 * gauss(d, 1., 0.)
    np.testing.assert_allclose(f64(cp.negative_log_likelihood(mix, data)), -np.mean(np.log(p)),
                               rtol=1e-13)


def test_custom_pytree_jitted_sgd_step(x64):
    cp = load('custom_pytree_derivatives')
    data = cp.make_data(jax.random.PRNGKey(0), n=50)
    mix = cp.initial_mixture()
    step = jax.jit(lambda m: cp.sgd(m, jax.grad(cp.negative_log_likelihood)(m, data), 0.1))
    new = step(mix)
    assert type(new) is cp.Mixture and new.first.name == 'left'
    nll = lambda m: float(cp.negative_log_likelihood(m, data))     # noqa: E731
    assert nll(new) < nll(mix)
    eager = cp.sgd(mix, jax.grad(cp.negative_log_likelihood)(mix, data), 0.1)
    for a, b in zip(tree_leaves(new), tree_leaves(eager)):
        np.testing.assert_allclose(f64(a), f64(b), rtol=1e-12)


# --- 6. binomial checkpointing ------------------------------------------------------------

@pytest.mark.parametrize('steps, leaf_size', [(64, 1), (37, 3)])
def test_recursive_checkpointing_same_values_and_gradients(x64, steps, leaf_size):
    bc = load('binomial_checkpointing')
    w, h0, xs = bc.make_problem(steps=steps, batch=3, hidden=5)
    run = lambda w, h, xs: bc.run_recursive(w, h, xs, leaf_size=leaf_size)   # noqa: E731
    np.testing.assert_allclose(f64(run(w, h0, xs)), f64(bc.run_plain(w, h0, xs)), rtol=1e-15)
    g_plain = jax.grad(lambda w, h: bc.loss(bc.run_plain, w, h, xs), argnums=(0, 1))(w, h0)
    g_ckpt = jax.grad(lambda w, h: bc.loss(run, w, h, xs), argnums=(0, 1))(w, h0)
    for a, b in zip(g_plain, g_ckpt):
        np.testing.assert_allclose(f64(b), f64(a), rtol=1e-12, atol=1e-14)
    # and plain reverse mode itself against a finite difference in one direction
    dw = np.random.default_rng(7).normal(size=w.shape)
    fd = fd_directional(lambda w_: bc.loss(bc.run_plain, w_, h0, xs), w, dw)
    np.testing.assert_allclose(np.sum(f64(g_plain[0]) * dw), fd, rtol=1e-6)


def test_recursive_checkpointing_lowers_peak_memory():
    bc = load('binomial_checkpointing')
    w, h0, xs = bc.make_problem(steps=64, batch=256, hidden=128)
    run = lambda w, h, xs: bc.run_recursive(w, h, xs, leaf_size=4)   # noqa: E731
    g_plain, mem_plain = bc.grad_and_peak_memory(bc.run_plain, w, h0, xs)
    g_ckpt, mem_ckpt = bc.grad_and_peak_memory(run, w, h0, xs)
    state_bytes = h0.size * h0.dtype.itemsize
    assert mem_plain > 64 * state_bytes           # plain mode keeps every step's state
    assert mem_ckpt < 0.5 * mem_plain, (mem_ckpt, mem_plain)
    for a, b in zip(g_plain, g_ckpt):
        np.testing.assert_allclose(f64(b), f64(a), rtol=1e-4, atol=1e-5 * np.abs(f64(a)).max())


# --- 7. Jacobian pre-accumulation -----------------------------------------------------------

def test_preaccumulated_vjp_matches_plain_grad(x64):
    jp = load('jacobian_preaccumulation')
    x0 = jnp.array([1.0, 1.0, 1.0])
    y, jac = jp.dense_jacobian(jp.flow, x0)
    np.testing.assert_array_equal(f64(y), f64(jp.flow(x0)))
    np.testing.assert_allclose(f64(jac), fd_jacobian(jp.flow, x0), rtol=1e-7, atol=1e-8)
    loss_pre = lambda s: jp.trajectory_loss(jp.flow_preaccumulated, s, segments=1)  # noqa: E731
    loss_plain = lambda s: jp.trajectory_loss(jp.flow, s, segments=1)               # noqa: E731
    g_pre = f64(jax.grad(loss_pre)(x0))
    np.testing.assert_allclose(g_pre, f64(jax.grad(loss_plain)(x0)), rtol=1e-12)
    fd = fd_jacobian(lambda s: jnp.reshape(loss_plain(s), (1,)), x0)[0]
    np.testing.assert_allclose(g_pre, fd, rtol=1e-6)
    np.testing.assert_allclose(f64(jax.jit(jax.grad(loss_pre))(x0)), g_pre, rtol=1e-12)


def test_preaccumulated_backward_is_one_product():
    jp = load('jacobian_preaccumulation')
    x0 = jnp.array([1.0, 1.0, 1.0])
    backward = jax.make_jaxpr(jax.vjp(jp.flow_preaccumulated, x0)[1])(x0)
    assert len(backward.eqns) == 1
    assert len(jax.make_jaxpr(jax.vjp(jp.flow, x0)[1])(x0).eqns) > 100


# --- 8. MAML ------------------------------------------------------------------------------

def _maml_setup():
    mm = load('maml')
    params = mm.init_params(jax.random.PRNGKey(0), hidden=4)
    tasks = mm.sample_tasks(jax.random.PRNGKey(1), 3, num_points=6)
    return mm, params, tasks


def _ravel(tree):
    leaves, treedef = tree_flatten(tree)
    shapes = [np.shape(l) for l in leaves]
    flat = jnp.concatenate([jnp.ravel(l) for l in leaves])

    def unravel(v):
        out, i = [], 0
        for s in shapes:
            n = int(np.prod(s))
            out.append(jnp.reshape(v[i:i + n], s))
            i += n
        return tree_unflatten(treedef, out)
    return flat, unravel


def test_maml_meta_gradient_matches_fd_and_explicit_formula(x64):
    mm, params, tasks = _maml_setup()
    alpha = 0.3
    task = tuple(t[0] for t in tasks)
    meta_grad = jax.grad(mm.meta_loss)(params, task, alpha)
    expected = fd_grad_tree(lambda p: mm.meta_loss(p, task, alpha), params)
    for got, want in zip(tree_leaves(meta_grad), expected):
        np.testing.assert_allclose(f64(got), want, rtol=1e-6, atol=1e-9)

    # explicit second-order formula on the flattened parameters
    x_tr, y_tr, x_te, y_te = task
    theta, unravel = _ravel(params)
    train = lambda th: mm.mse(unravel(th), x_tr, y_tr)   # noqa: E731
    test = lambda th: mm.mse(unravel(th), x_te, y_te)    # noqa: E731
    theta_adapted = theta - alpha * jax.grad(train)(theta)
    np.testing.assert_allclose(f64(_ravel(mm.adapt(params, x_tr, y_tr, alpha))[0]),
                               f64(theta_adapted), rtol=1e-14)
    g_test = f64(jax.grad(test)(theta_adapted))
    h_train = f64(jax.hessian(train)(theta))
    explicit = g_test - alpha * h_train @ g_test
    np.testing.assert_allclose(f64(_ravel(meta_grad)[0]), explicit, rtol=1e-10, atol=1e-13)
    # the second-order term matters: first-order MAML would be noticeably off
    assert np.max(np.abs(explicit - g_test)) > 1e-3 * np.max(np.abs(g_test))


def test_maml_batched_meta_loss_is_mean_over_tasks(x64):
    mm, params, tasks = _maml_setup()
    each = [mm.meta_loss(params, tuple(t[i] for t in tasks), 0.1) for i in range(3)]
    np.testing.assert_allclose(f64(mm.batch_meta_loss(params, tasks, 0.1)), np.mean(f64(each)),
                               rtol=1e-13)
    g = jax.grad(mm.batch_meta_loss)(params, tasks, 0.1)
    g_each = [jax.grad(mm.meta_loss)(params, tuple(t[i] for t in tasks), 0.1) for i in range(3)]
    for k, leaf in enumerate(tree_leaves(g)):
        np.testing.assert_allclose(f64(leaf), np.mean([f64(tree_leaves(ge)[k]) for ge in g_each],
                                                      axis=0), rtol=1e-12, atol=1e-15)
