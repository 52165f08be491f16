"""Benchmark workloads, written once against the JAX-like API.

Every workload is a small ``setup(lib)`` function.  ``lib`` is a namespace
with ``jax``, ``jnp``, ``lax`` and ``random`` attributes bound either to JAX or
to pullback, so the *same* code is measured for both libraries.  What
``setup`` returns depends on the workload's kind:

``"eager"``, ``"jit"``, ``"dispatch"``
    a zero-argument callable; the harness warms it up and times repeated
    calls.  ``dispatch`` workloads also carry a raw-NumPy baseline.
``"compile"``
    a zero-argument *factory*; each call builds a fresh jitted function and
    returns a zero-argument callable whose FIRST call is timed.
``"memory"``
    a zero-argument callable whose peak memory is measured (opt-in).

Input data is generated with NumPy (``np.random.default_rng``) and handed to
each library through ``jnp.asarray``, so both libraries see bit-identical
float32 inputs and the benchmarks do not depend on ``random`` being
bit-compatible.

The code of each workload follows a cell of the seed notebook
(/work/shared/seed-advanced-autodiff.md, JAX's "Advanced automatic
differentiation" tutorial); the docstrings name the cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable, Optional

import numpy as np

__all__ = ["Workload", "WORKLOADS", "by_name"]


@dataclass(frozen=True)
class Workload:
    """One registry entry.

    ``target`` is the goal for the ratio of medians pullback/JAX (``None``: no
    goal); ``np_target`` the goal for pullback/NumPy on dispatch workloads.
    ``numpy_setup`` builds the raw-NumPy baseline callable.  ``xla_memory``
    (memory workloads only) returns a byte count for JAX from XLA's
    compile-time memory analysis.  ``opt_in`` workloads only run when named by
    ``--only`` or enabled by a flag (``--memory``).
    """

    name: str
    setup: Callable
    target: Optional[float]
    kind: str
    np_target: Optional[float] = None
    numpy_setup: Optional[Callable] = None
    xla_memory: Optional[Callable] = None
    opt_in: bool = False
    unit: str = "us"

    @property
    def doc(self) -> str:
        """First line of the setup function's docstring."""
        return (self.setup.__doc__ or "").strip().splitlines()[0]


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _f32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


# ---------------------------------------------------------------------------
# Per-example gradients (seed: "Per-example gradients", TD(0) with stop_gradient)
# ---------------------------------------------------------------------------

_THETA = [0.1, -0.1, 0.0]
_S_TM1 = [1.0, 2.0, -1.0]
_R_T = 1.0
_S_T = [2.0, 1.0, 0.0]


def _td_loss(lib):
    """The seed's TD(0) pseudo-loss with ``lax.stop_gradient`` on the target."""
    jnp, lax = lib.jnp, lib.lax

    def value_fn(theta, state):
        return jnp.dot(theta, state)

    def td_loss(theta, s_tm1, r_t, s_t):
        v_tm1 = value_fn(theta, s_tm1)
        target = r_t + value_fn(theta, s_t)
        return -0.5 * ((lax.stop_gradient(target) - v_tm1) ** 2)

    return td_loss


def _td_batch(batch: int):
    """Batched transitions: the seed's transition stacked (b=2) or random."""
    if batch == 2:
        s_tm1 = _f32([_S_TM1] * 2)
        r_t = _f32([_R_T] * 2)
        s_t = _f32([_S_T] * 2)
    else:
        rng = _rng(1)
        s_tm1 = _f32(rng.standard_normal((batch, 3)))
        r_t = _f32(rng.standard_normal((batch,)))
        s_t = _f32(rng.standard_normal((batch, 3)))
    return _f32(_THETA), s_tm1, r_t, s_t


def _perex(lib, batch: int, jitted: bool):
    jax, jnp = lib.jax, lib.jnp
    fn = jax.vmap(jax.grad(_td_loss(lib)), in_axes=(None, 0, 0, 0))
    if jitted:
        fn = jax.jit(fn)
    args = [jnp.asarray(a) for a in _td_batch(batch)]
    return lambda: fn(*args)


def perex_grads_eager_b2(lib):
    """Seed cell 'Per-example gradients': inefficient_perex_grads (un-jitted vmap(grad)), batch 2."""
    return _perex(lib, 2, jitted=False)


def perex_grads_eager_b128(lib):
    """Seed cell 'Per-example gradients': inefficient_perex_grads (un-jitted vmap(grad)), batch 128."""
    return _perex(lib, 128, jitted=False)


def perex_grads_jit_b2(lib):
    """Seed cell 'Per-example gradients': perex_grads = jit(vmap(grad(td_loss))), batch 2."""
    return _perex(lib, 2, jitted=True)


def perex_grads_jit_b128(lib):
    """Seed cell 'Per-example gradients': perex_grads = jit(vmap(grad(td_loss))), batch 128."""
    return _perex(lib, 128, jitted=True)


# ---------------------------------------------------------------------------
# Hessian-vector products (seed: "Hessian-vector products using both
# forward- and reverse-mode", the %timeit cell over f(X) = sum(tanh(X)**2))
# ---------------------------------------------------------------------------


def _hvp_problem(lib):
    jnp = lib.jnp

    def f(X):
        return jnp.sum(jnp.tanh(X) ** 2)

    rng = _rng(2)
    X = jnp.asarray(_f32(rng.standard_normal((30, 40))))
    V = jnp.asarray(_f32(rng.standard_normal((30, 40))))
    return f, X, V


def hvp_fwd_rev(lib):
    """Seed cell 'Forward over reverse': hvp = jvp(grad(f), primals, tangents)[1]."""
    jax = lib.jax
    f, X, V = _hvp_problem(lib)

    def hvp(f, primals, tangents):
        return jax.jvp(jax.grad(f), primals, tangents)[1]

    return lambda: hvp(f, (X,), (V,))


def hvp_rev_fwd(lib):
    """Seed cell 'Reverse over forward': hvp_revfwd = grad(lambda p: jvp(f, p, t)[1])."""
    jax = lib.jax
    f, X, V = _hvp_problem(lib)

    def hvp_revfwd(f, primals, tangents):
        g = lambda primals: jax.jvp(f, primals, tangents)[1]
        return jax.grad(g)(primals)

    return lambda: hvp_revfwd(f, (X,), (V,))


def hvp_rev_rev(lib):
    """Seed cell 'Reverse over reverse': hvp_revrev = grad(lambda x: vdot(grad(f)(x), v))."""
    jax, jnp = lib.jax, lib.jnp
    f, X, V = _hvp_problem(lib)

    def hvp_revrev(f, primals, tangents):
        x, = primals
        v, = tangents
        return jax.grad(lambda x: jnp.vdot(jax.grad(f)(x), v))(x)

    return lambda: hvp_revrev(f, (X,), (V,))


def hessian_full(lib):
    """Seed cell 'Naive full Hessian materialization': tensordot(hessian(f)(X), V, 2)."""
    jax, jnp = lib.jax, lib.jnp
    f, X, V = _hvp_problem(lib)

    def hessian(f):
        return jax.jacfwd(jax.jacrev(f))

    return lambda: jnp.tensordot(hessian(f)(X), V, 2)


# ---------------------------------------------------------------------------
# Matrix-Jacobian / Jacobian-matrix products (seed: "Jacobian-Matrix and
# Matrix-Jacobian products", with the seed's sigmoid `predict`)
# ---------------------------------------------------------------------------

_INPUTS = [[0.52, 1.12, 0.77],
           [0.88, -1.08, 0.15],
           [0.52, 0.06, -1.30],
           [0.74, -2.49, 1.39]]


def _predict_problem(lib):
    """The seed's logistic `predict`, its data and f = lambda W: predict(W, b, inputs)."""
    jnp = lib.jnp

    def sigmoid(x):
        return 0.5 * (jnp.tanh(x / 2) + 1)

    def predict(W, b, inputs):
        return sigmoid(jnp.dot(inputs, W) + b)

    rng = _rng(3)
    inputs = jnp.asarray(_f32(_INPUTS))
    W = jnp.asarray(_f32(rng.standard_normal((3,))))
    b = jnp.asarray(_f32(rng.standard_normal(())))
    f = lambda W: predict(W, b, inputs)
    return f, W


def _mjp_problem(lib):
    f, W = _predict_problem(lib)
    U = lib.jnp.asarray(_f32(_rng(4).standard_normal((128, 4))))
    return f, W, U


def _jmp_problem(lib):
    f, W = _predict_problem(lib)
    S = lib.jnp.asarray(_f32(_rng(5).standard_normal((128, 3))))
    return f, W, S


def mjp_loop(lib):
    """Seed cell 'Non-vmapped Matrix-Jacobian product': loop_mjp over 128 covectors."""
    jax, jnp = lib.jax, lib.jnp
    f, W, U = _mjp_problem(lib)

    def loop_mjp(f, x, M):
        y, vjp_fun = jax.vjp(f, x)
        # The seed passes the 1-tuple itself to vstack (deprecated in JAX);
        # take its only element instead.
        return jnp.vstack([vjp_fun(mi)[0] for mi in M])

    return lambda: loop_mjp(f, W, M=U)


def mjp_vmap(lib):
    """Seed cell 'Vmapped Matrix-Jacobian product': vmap_mjp over 128 covectors."""
    jax = lib.jax
    f, W, U = _mjp_problem(lib)

    def vmap_mjp(f, x, M):
        y, vjp_fun = jax.vjp(f, x)
        outs, = jax.vmap(vjp_fun)(M)
        return outs

    return lambda: vmap_mjp(f, W, M=U)


def jmp_loop(lib):
    """Seed cell 'Non-vmapped Jacobian-Matrix product': loop_jmp over 128 vectors."""
    jax, jnp = lib.jax, lib.jnp
    f, W, S = _jmp_problem(lib)

    def loop_jmp(f, W, M):
        return jnp.vstack([jax.jvp(f, (W,), (mi,))[1] for mi in M])

    return lambda: loop_jmp(f, W, M=S)


def jmp_vmap(lib):
    """Seed cell 'Vmapped Jacobian-Matrix product': vmap_jmp over 128 vectors."""
    jax = lib.jax
    f, W, S = _jmp_problem(lib)

    def vmap_jmp(f, W, M):
        _jvp = lambda s: jax.jvp(f, (W,), (s,))[1]
        return jax.vmap(_jvp)(M)

    return lambda: vmap_jmp(f, W, M=S)


# ---------------------------------------------------------------------------
# Jacobians of `predict` (seed: "Jacobians and Hessians using jax.jacfwd and
# jax.jacrev")
# ---------------------------------------------------------------------------


def jacrev_predict(lib):
    """Seed cell 'Jacobians and Hessians using jacfwd and jacrev': jacrev(f)(W), un-jitted."""
    f, W = _predict_problem(lib)
    jac = lib.jax.jacrev(f)
    return lambda: jac(W)


def jacfwd_predict(lib):
    """Seed cell 'Jacobians and Hessians using jacfwd and jacrev': jacfwd(f)(W), un-jitted."""
    f, W = _predict_problem(lib)
    jac = lib.jax.jacfwd(f)
    return lambda: jac(W)


def jacrev_predict_jit(lib):
    """Seed cell 'Jacobians and Hessians using jacfwd and jacrev': jit(jacrev(f))(W)."""
    f, W = _predict_problem(lib)
    jac = lib.jax.jit(lib.jax.jacrev(f))
    return lambda: jac(W)


def jacfwd_predict_jit(lib):
    """Seed cell 'Jacobians and Hessians using jacfwd and jacrev': jit(jacfwd(f))(W)."""
    f, W = _predict_problem(lib)
    jac = lib.jax.jit(lib.jax.jacfwd(f))
    return lambda: jac(W)


# ---------------------------------------------------------------------------
# Implicit differentiation through a while_loop (seed: "Example: Implicit
# function differentiation of iterative implementations", fixed_point)
# ---------------------------------------------------------------------------


def _newton_sqrt(lib):
    """The seed's custom_vjp `fixed_point` (lax.while_loop) and `newton_sqrt`."""
    jax, jnp, lax = lib.jax, lib.jnp, lib.lax

    @partial(jax.custom_vjp, nondiff_argnums=(0,))
    def fixed_point(f, a, x_guess):
        def cond_fun(carry):
            x_prev, x = carry
            return jnp.abs(x_prev - x) > 1e-6

        def body_fun(carry):
            _, x = carry
            return x, f(a, x)

        _, x_star = lax.while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
        return x_star

    def fixed_point_fwd(f, a, x_init):
        x_star = fixed_point(f, a, x_init)
        return x_star, (a, x_star)

    def fixed_point_rev(f, res, x_star_bar):
        a, x_star = res
        _, vjp_a = jax.vjp(lambda a: f(a, x_star), a)
        a_bar, = vjp_a(fixed_point(partial(rev_iter, f),
                                   (a, x_star, x_star_bar),
                                   x_star_bar))
        return a_bar, jnp.zeros_like(x_star)

    def rev_iter(f, packed, u):
        a, x_star, x_star_bar = packed
        _, vjp_x = jax.vjp(lambda x: f(a, x), x_star)
        return x_star_bar + vjp_x(u)[0]

    fixed_point.defvjp(fixed_point_fwd, fixed_point_rev)

    def newton_sqrt(a):
        update = lambda a, x: 0.5 * (x + a / x)
        return fixed_point(update, a, a)

    return newton_sqrt


def newton_sqrt_grad(lib):
    """Seed cell 'fixed_point with custom_vjp': grad(newton_sqrt)(2.), un-jitted."""
    g = lib.jax.grad(_newton_sqrt(lib))
    return lambda: g(2.0)


def newton_sqrt_grad_grad(lib):
    """Seed cell 'fixed_point with custom_vjp': grad(grad(newton_sqrt))(2.), un-jitted."""
    gg = lib.jax.grad(lib.jax.grad(_newton_sqrt(lib)))
    return lambda: gg(2.0)


# ---------------------------------------------------------------------------
# Eager dispatch overhead (raw NumPy baseline beside them)
# ---------------------------------------------------------------------------


def _dispatch_data(n: int):
    rng = _rng(6)
    return _f32(rng.standard_normal(n)), _f32(rng.standard_normal(n))


def sin_3(lib):
    """Not a seed cell (eager op-dispatch overhead behind every seed cell): jnp.sin on a 3-element float32 array."""
    x = lib.jnp.asarray(_dispatch_data(3)[0])
    sin = lib.jnp.sin
    return lambda: sin(x)


def add_3(lib):
    """Not a seed cell (eager op-dispatch overhead behind every seed cell): x + y on 3-element float32 arrays."""
    x, y = (lib.jnp.asarray(a) for a in _dispatch_data(3))
    return lambda: x + y


def sin_1e6(lib):
    """Not a seed cell (eager dispatch, large operand): jnp.sin on a 1e6-element float32 array."""
    x = lib.jnp.asarray(_dispatch_data(10**6)[0])
    sin = lib.jnp.sin
    return lambda: sin(x)


def _np_sin(n: int):
    x = _dispatch_data(n)[0]
    return lambda: np.sin(x)


def _np_add_3():
    x, y = _dispatch_data(3)
    return lambda: np.add(x, y)


# ---------------------------------------------------------------------------
# Compile latency: first call of a freshly created jitted function
# ---------------------------------------------------------------------------


def compile_log1pexp_grad(lib):
    """Seed cell 'Numerical stability' (log1pexp): first call of a fresh jit(grad(log1pexp))(3.)."""
    jax, jnp = lib.jax, lib.jnp

    def make():
        def log1pexp(x):
            return jnp.log(1. + jnp.exp(x))

        fn = jax.jit(jax.grad(log1pexp))
        return lambda: fn(3.)

    return make


MLP_SIZES = (784, 512, 512, 10)
MLP_BATCH = 128
MLP_LR = 0.01


def _mlp_data(lib):
    """Float32 params for a 784-512-512-10 MLP, a batch of 128 inputs and one-hot labels."""
    jnp = lib.jnp
    rng = _rng(7)
    params = []
    for fan_in, fan_out in zip(MLP_SIZES[:-1], MLP_SIZES[1:]):
        W = _f32(rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in))
        b = _f32(np.zeros(fan_out))
        params.append((jnp.asarray(W), jnp.asarray(b)))
    x = jnp.asarray(_f32(rng.standard_normal((MLP_BATCH, MLP_SIZES[0]))))
    labels = rng.integers(0, MLP_SIZES[-1], MLP_BATCH)
    y = jnp.asarray(_f32(np.eye(MLP_SIZES[-1])[labels]))
    return params, x, y


def _mlp_loss(lib):
    """A fresh tanh-MLP softmax cross-entropy loss function (new object per call)."""
    jnp = lib.jnp

    def loss(params, x, y):
        h = x
        for W, b in params[:-1]:
            h = jnp.tanh(jnp.dot(h, W) + b)
        W, b = params[-1]
        logits = jnp.dot(h, W) + b
        shifted = logits - jnp.max(logits, axis=1, keepdims=True)
        logp = shifted - jnp.log(jnp.sum(jnp.exp(shifted), axis=1, keepdims=True))
        return -jnp.mean(jnp.sum(y * logp, axis=1))

    return loss


def _mlp_step(lib):
    jax = lib.jax
    loss = _mlp_loss(lib)

    def sgd_step(params, x, y):
        grads = jax.grad(loss)(params, x, y)
        return jax.tree_util.tree_map(lambda p, g: p - MLP_LR * g, params, grads)

    return sgd_step


def compile_mlp_value_and_grad(lib):
    """Not a seed cell (scaled-up 'Per-example gradients' jit): first call of a fresh jit(value_and_grad(mlp_loss))."""
    jax = lib.jax
    params, x, y = _mlp_data(lib)

    def make():
        fn = jax.jit(jax.value_and_grad(_mlp_loss(lib)))
        return lambda: fn(params, x, y)

    return make


def mlp_sgd_step_jit(lib):
    """Not a seed cell (scaled-up 'Per-example gradients' jit): jitted SGD step of the 784-512-512-10 MLP."""
    step = lib.jax.jit(_mlp_step(lib))
    params, x, y = _mlp_data(lib)
    return lambda: step(params, x, y)


def mlp_sgd_step_eager(lib):
    """Not a seed cell (scaled-up 'Per-example gradients' eager): un-jitted SGD step of the 784-512-512-10 MLP."""
    step = _mlp_step(lib)
    params, x, y = _mlp_data(lib)
    return lambda: step(params, x, y)


# ---------------------------------------------------------------------------
# Memory: gradient checkpointing (seed "Next steps": checkpointing)
# ---------------------------------------------------------------------------

REMAT_LAYERS = 200
REMAT_BLOCK = 20          # checkpoint blocks of 20 layers: ~sqrt(200) residuals kept
REMAT_SIZE = 10**6


def _tanh_chain(lib, checkpoint: bool):
    """sum(tanh^200(x)); with checkpoint, each block of REMAT_BLOCK layers is jax.checkpoint-ed.

    (Checkpointing every single tanh would save nothing: each layer's input
    is exactly as large as the output residual it replaces.)
    """
    jax, jnp = lib.jax, lib.jnp

    def block(x):
        for _ in range(REMAT_BLOCK):
            x = jnp.tanh(x)
        return x

    if checkpoint:
        block = jax.checkpoint(block)

    def loss(x):
        for _ in range(REMAT_LAYERS // REMAT_BLOCK):
            x = block(x)
        return jnp.sum(x)

    return loss


def _chain_input(lib):
    return lib.jnp.asarray(_f32(_rng(8).uniform(-1.0, 1.0, REMAT_SIZE)))


def _remat(lib, checkpoint: bool):
    g = lib.jax.grad(_tanh_chain(lib, checkpoint))
    x = _chain_input(lib)
    return lambda: g(x)


def _remat_xla(lib, checkpoint: bool) -> int:
    """Bytes XLA plans for jit(grad(chain)): temporaries plus output (cheap, compile-only)."""
    g = lib.jax.jit(lib.jax.grad(_tanh_chain(lib, checkpoint)))
    analysis = g.lower(_chain_input(lib)).compile().memory_analysis()
    return int(analysis.temp_size_in_bytes + analysis.output_size_in_bytes)


def remat_chain_memory_plain(lib):
    """Seed 'Next steps' (checkpointing): peak memory of grad of a 200-layer tanh chain, no checkpoint."""
    return _remat(lib, checkpoint=False)


def remat_chain_memory_ckpt(lib):
    """Seed 'Next steps' (checkpointing): peak memory of grad of a 200-layer tanh chain, jax.checkpoint per 20-layer block."""
    return _remat(lib, checkpoint=True)


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------

WORKLOADS: list[Workload] = [
    Workload("perex_grads_eager_b2", perex_grads_eager_b2, 0.05, "eager"),
    Workload("perex_grads_eager_b128", perex_grads_eager_b128, 0.05, "eager"),
    Workload("perex_grads_jit_b2", perex_grads_jit_b2, 1.0, "jit"),
    Workload("perex_grads_jit_b128", perex_grads_jit_b128, 1.0, "jit"),
    Workload("hvp_fwd_rev", hvp_fwd_rev, 0.05, "eager"),
    Workload("hvp_rev_fwd", hvp_rev_fwd, 0.05, "eager"),
    Workload("hvp_rev_rev", hvp_rev_rev, 0.05, "eager"),
    Workload("hessian_full", hessian_full, 0.2, "eager"),
    Workload("mjp_loop", mjp_loop, 0.05, "eager"),
    Workload("mjp_vmap", mjp_vmap, 0.05, "eager"),
    Workload("jmp_loop", jmp_loop, 0.2, "eager"),
    Workload("jmp_vmap", jmp_vmap, 0.2, "eager"),
    Workload("sin_3", sin_3, None, "dispatch", np_target=2.0,
             numpy_setup=lambda: _np_sin(3)),
    Workload("add_3", add_3, None, "dispatch", np_target=2.0,
             numpy_setup=_np_add_3),
    Workload("sin_1e6", sin_1e6, None, "dispatch",
             numpy_setup=lambda: _np_sin(10**6)),
    Workload("compile_log1pexp_grad", compile_log1pexp_grad, 0.05, "compile"),
    Workload("compile_mlp_value_and_grad", compile_mlp_value_and_grad, 0.05, "compile"),
    Workload("mlp_sgd_step_jit", mlp_sgd_step_jit, 1.2, "jit"),
    Workload("mlp_sgd_step_eager", mlp_sgd_step_eager, None, "eager"),
    Workload("jacrev_predict", jacrev_predict, 0.05, "eager"),
    Workload("jacfwd_predict", jacfwd_predict, 0.05, "eager"),
    Workload("jacrev_predict_jit", jacrev_predict_jit, 1.0, "jit"),
    Workload("jacfwd_predict_jit", jacfwd_predict_jit, 1.0, "jit"),
    Workload("newton_sqrt_grad", newton_sqrt_grad, 0.05, "eager"),
    Workload("newton_sqrt_grad_grad", newton_sqrt_grad_grad, 0.05, "eager"),
    Workload("remat_chain_memory_plain", remat_chain_memory_plain, None, "memory",
             xla_memory=partial(_remat_xla, checkpoint=False), opt_in=True, unit="MB"),
    Workload("remat_chain_memory_ckpt", remat_chain_memory_ckpt, None, "memory",
             xla_memory=partial(_remat_xla, checkpoint=True), opt_in=True, unit="MB"),
]


def by_name() -> dict[str, Workload]:
    """The registry as a name -> Workload mapping."""
    return {w.name: w for w in WORKLOADS}
