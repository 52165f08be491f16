"""Conformance: every code cell of the seed tutorial (shared/seed-advanced-autodiff.md), run
with ``import pullback as jax``, printing what the seed prints (to float32 rounding).

Timed cells (``%timeit``) are run once without timing; plotting cells compute their data.
"""
from collections import namedtuple
from functools import partial

import numpy as np
import pytest

import pullback as jax
import pullback.numpy as jnp
from pullback import grad, jit, vmap, random
from seedcheck import assert_output_matches


def show(x):
    """What a notebook displays for the last expression of a cell."""
    print(repr(x))


# --- shared definitions from the seed ------------------------------------------------------

value_fn = lambda theta, state: jnp.dot(theta, state)
theta = jnp.array([0.1, -0.1, 0.])
s_tm1 = jnp.array([1., 2., -1.])
r_t = jnp.array(1.)
s_t = jnp.array([2., 1., 0.])


def td_loss(theta, s_tm1, r_t, s_t):
    v_tm1 = value_fn(theta, s_tm1)
    target = r_t + value_fn(theta, s_t)
    return -0.5 * ((jax.lax.stop_gradient(target) - v_tm1) ** 2)


def sigmoid(x):
    return 0.5 * (jnp.tanh(x / 2) + 1)


def predict(W, b, inputs):
    return sigmoid(jnp.dot(inputs, W) + b)


inputs = jnp.array([[0.52, 1.12, 0.77],
                    [0.88, -1.08, 0.15],
                    [0.52, 0.06, -1.30],
                    [0.74, -2.49, 1.39]])


def _model():
    key = random.key(0)
    key, W_key, b_key = random.split(key, 3)
    return key, random.normal(W_key, (3,)), random.normal(b_key, ())


JAC = """[[ 0.05981758 0.12883787 0.08857603]
[ 0.04015916 -0.04928625 0.00684531]
[ 0.12188288 0.01406341 -0.3047072 ]
[ 0.00140431 -0.00472531 0.00263782]]"""


# --- Taking gradients ----------------------------------------------------------------------

def test_hessian_of_dot(capsys):
    def hessian(f):
        return jax.jacfwd(jax.grad(f))

    def f(x):
        return jnp.dot(x, x)
    show(hessian(f)(jnp.array([1., 2., 3.])))
    assert_output_matches(capsys.readouterr().out, """Array([[2., 0., 0.],
[0., 2., 0.],
[0., 0., 2.]], dtype=float32)""")


def test_td_update_without_and_with_stop_gradient(capsys):
    def naive(theta, s_tm1, r_t, s_t):
        v_tm1 = value_fn(theta, s_tm1)
        target = r_t + value_fn(theta, s_t)
        return -0.5 * ((target - v_tm1) ** 2)
    show(jax.grad(naive)(theta, s_tm1, r_t, s_t))
    show(jax.grad(td_loss)(theta, s_tm1, r_t, s_t))
    s_grad = jax.grad(value_fn)(theta, s_tm1)
    show((r_t + value_fn(theta, s_t) - value_fn(theta, s_tm1)) * s_grad)
    assert_output_matches(capsys.readouterr().out, """
Array([-1.2, 1.2, -1.2], dtype=float32)
Array([ 1.2, 2.4, -1.2], dtype=float32)
Array([ 1.2, 2.4, -1.2], dtype=float32)""")


def test_straight_through_estimator(capsys):
    def f(x):
        return jnp.round(x)

    def straight_through_f(x):
        zero = x - jax.lax.stop_gradient(x)
        return zero + jax.lax.stop_gradient(f(x))
    print("f(x): ", f(3.2))
    print("straight_through_f(x):", straight_through_f(3.2))
    print("grad(f)(x):", jax.grad(f)(3.2))
    print("grad(straight_through_f)(x):", jax.grad(straight_through_f)(3.2))
    assert_output_matches(capsys.readouterr().out, """f(x): 3.0
straight_through_f(x): 3.0
grad(f)(x): 0.0
grad(straight_through_f)(x): 1.0""")


def test_per_example_gradients(capsys):
    perex_grads = jax.jit(jax.vmap(jax.grad(td_loss), in_axes=(None, 0, 0, 0)))
    batched_s_tm1 = jnp.stack([s_tm1, s_tm1])
    batched_r_t = jnp.stack([r_t, r_t])
    batched_s_t = jnp.stack([s_t, s_t])
    show(perex_grads(theta, batched_s_tm1, batched_r_t, batched_s_t))
    dtdloss_dtheta = jax.grad(td_loss)
    show(dtdloss_dtheta(theta, s_tm1, r_t, s_t))
    almost_perex_grads = jax.vmap(dtdloss_dtheta)
    batched_theta = jnp.stack([theta, theta])
    show(almost_perex_grads(batched_theta, batched_s_tm1, batched_r_t, batched_s_t))
    inefficient_perex_grads = jax.vmap(dtdloss_dtheta, in_axes=(None, 0, 0, 0))
    show(inefficient_perex_grads(theta, batched_s_tm1, batched_r_t, batched_s_t))
    perex_grads = jax.jit(inefficient_perex_grads)
    show(perex_grads(theta, batched_s_tm1, batched_r_t, batched_s_t))
    two = "Array([[ 1.2, 2.4, -1.2],\n[ 1.2, 2.4, -1.2]], dtype=float32)\n"
    assert_output_matches(capsys.readouterr().out,
                          two + "Array([ 1.2, 2.4, -1.2], dtype=float32)\n" + two * 3)


def test_jacfwd_jacrev_and_hessian(capsys):
    key, W, b = _model()
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
    jac_out = capsys.readouterr().out

    def hessian(f):
        return jax.jacfwd(jax.jacrev(f))
    H = hessian(f)(W)
    print("hessian, with shape", H.shape)
    print(H)
    hess_out = capsys.readouterr().out
    # The last row (inputs [0.74, -2.49, 1.39]) comes from 1 - tanh(h)**2 with tanh(h) close
    # to -1: a cancellation that turns XLA's tanh approximation (a few ulp, not correctly
    # rounded) into a ~3e-5 relative difference from NumPy's tanh. Hence the absolute
    # tolerances; below, pullback's values are checked against the exact (float64) ones.
    assert_output_matches(jac_out, f"""jacfwd result, with shape (4, 3)
{JAC}
jacrev result, with shape (4, 3)
{JAC}
Jacobian from W to logits is
{JAC}
Jacobian from b to logits is
[0.11503381 0.04563541 0.23439017 0.00189771]""", rtol=2e-6, atol=2e-7)
    assert_output_matches(hess_out, """hessian, with shape (4, 3, 3)
[[[ 0.02285465 0.04922541 0.03384247]
[ 0.04922541 0.10602397 0.07289147]
[ 0.03384247 0.07289147 0.05011288]]
[[-0.03195215 0.03921401 -0.00544639]
[ 0.03921401 -0.04812629 0.00668421]
[-0.00544639 0.00668421 -0.00092836]]
[[-0.01583708 -0.00182736 0.03959271]
[-0.00182736 -0.00021085 0.00456839]
[ 0.03959271 0.00456839 -0.09898177]]
[[-0.00103524 0.00348343 -0.00194457]
[ 0.00348343 -0.01172127 0.0065432 ]
[-0.00194457 0.0065432 -0.00365263]]]""", rtol=2e-6, atol=5e-7)
    jax.config.update('jax_enable_x64', True)
    try:
        W64, b64 = jnp.asarray(np.asarray(W), np.float64), jnp.asarray(float(b), np.float64)
        f64 = lambda W: predict(W, b64, inputs.astype(np.float64))
        exact_J = np.asarray(jax.jacfwd(f64)(W64))
        exact_H = np.asarray(jax.jacfwd(jax.jacrev(f64))(W64))
    finally:
        jax.config.update('jax_enable_x64', False)
    np.testing.assert_allclose(np.asarray(J), exact_J, rtol=0, atol=6e-8)
    np.testing.assert_allclose(np.asarray(H), exact_H, rtol=0, atol=2e-7)


def test_seed_model_parameters_are_bit_exact():
    _, W, b = _model()
    assert np.asarray(W).tolist() == np.array([-0.36838785, -2.275689, 0.011447566],
                                              np.float32).tolist()
    assert float(b) == float(np.float32(0.8535516))


def test_jvp_and_vjp_of_predict():
    key, W, b = _model()
    f = lambda W: predict(W, b, inputs)
    key, subkey = random.split(key)
    v = random.normal(subkey, W.shape)
    y, u = jax.jvp(f, (W,), (v,))
    J = jax.jacfwd(f)(W)
    np.testing.assert_allclose(u, np.asarray(J) @ np.asarray(v), rtol=1e-5, atol=1e-7)
    y, vjp_fun = jax.vjp(f, W)
    key, subkey = random.split(key)
    u = random.normal(subkey, y.shape)
    v, = vjp_fun(u)
    np.testing.assert_allclose(v, np.asarray(u) @ np.asarray(J), rtol=1e-5, atol=1e-7)


def test_vector_valued_gradient(capsys):
    def vgrad(f, x):
        y, vjp_fn = jax.vjp(f, x)
        return vjp_fn(jnp.ones(y.shape))[0]
    print(vgrad(lambda x: 3 * x ** 2, jnp.ones((2, 2))))
    assert_output_matches(capsys.readouterr().out, "[[6. 6.]\n[6. 6.]]")


def _hvps():
    def hvp(f, primals, tangents):
        return jax.jvp(grad(f), primals, tangents)[1]

    def hvp_revfwd(f, primals, tangents):
        g = lambda primals: jax.jvp(f, primals, tangents)[1]
        return grad(g)(primals)

    def hvp_revrev(f, primals, tangents):
        x, = primals
        v, = tangents
        return grad(lambda x: jnp.vdot(grad(f)(x), v))(x)
    return hvp, hvp_revfwd, hvp_revrev


def test_hessian_vector_products(capsys):
    hvp, hvp_revfwd, hvp_revrev = _hvps()

    def f(X):
        return jnp.sum(jnp.tanh(X) ** 2)
    key = random.key(0)
    key, subkey1, subkey2 = random.split(key, 3)
    X = random.normal(subkey1, (30, 40))
    V = random.normal(subkey2, (30, 40))
    ans1 = hvp(f, (X,), (V,))
    ans2 = jnp.tensordot(jax.hessian(f)(X), V, 2)
    print(jnp.allclose(ans1, ans2, 1e-4, 1e-4))
    assert_output_matches(capsys.readouterr().out, "True")
    assert jnp.allclose(hvp_revfwd(f, (X,), (V,))[0], ans2, 1e-4, 1e-4)
    assert jnp.allclose(hvp_revrev(f, (X,), (V,)), ans2, 1e-4, 1e-4)


def test_matrix_jacobian_products_loop_vs_vmap():
    key, W, b = _model()
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
    assert jnp.allclose(loop_mjp(f, W, M=U), vmap_mjp(f, W, M=U))

    def loop_jmp(f, W, M):
        return jnp.vstack([jax.jvp(f, (W,), (mi,))[1] for mi in M])

    def vmap_jmp(f, W, M):
        _jvp = lambda s: jax.jvp(f, (W,), (s,))[1]
        return vmap(_jvp)(M)
    S = random.normal(key, (128,) + W.shape)
    assert jnp.allclose(loop_jmp(f, W, M=S), vmap_jmp(f, W, M=S))


def test_our_jacrev_and_jacfwd_match_builtins():
    key, W, b = _model()
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
    assert jnp.allclose(jax.jacrev(f)(W), our_jacrev(f)(W))
    assert jnp.allclose(jax.jacfwd(f)(W), our_jacfwd(f)(W))


def test_jit_of_vjp_with_python_control_flow(capsys):
    def f(x):
        try:
            if x < 3:
                return 2 * x ** 3
            else:
                raise ValueError
        except ValueError:
            return jnp.pi * x
    y, f_vjp = jax.vjp(f, 4.)
    print(jit(f_vjp)(1.))
    assert_output_matches(capsys.readouterr().out,
                          "(Array(3.1415927, dtype=float32, weak_type=True),)")


# --- Complex numbers -----------------------------------------------------------------------

def _complex_fun(seed):
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
    key, subkey = random.split(key)
    c2, d2 = random.uniform(subkey, (2,))
    return fun, u, v, x, y, c2, d2


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_complex_jvp_and_vjp_checks(seed, capsys):
    fun, u, v, x, y, c, d = _complex_fun(seed)
    z = x + y * 1j
    _, ans = jax.jvp(fun, (z,), (c + d * 1j,))
    expected = (grad(u, 0)(x, y) * c + grad(u, 1)(x, y) * d +
                grad(v, 0)(x, y) * c * 1j + grad(v, 1)(x, y) * d * 1j)
    print(jnp.allclose(ans, expected))
    assert capsys.readouterr().out.strip() == "True"
    _, fun_vjp = jax.vjp(fun, z)
    ans, = fun_vjp(jnp.array(c + d * 1j))
    expected = (grad(u, 0)(x, y) * c + grad(v, 0)(x, y) * (-d) +
                grad(u, 1)(x, y) * c * (-1j) + grad(v, 1)(x, y) * (-d) * (-1j))
    assert jnp.allclose(ans, expected, atol=1e-5, rtol=1e-5)


def test_complex_grads(capsys):
    def f(z):
        x, y = jnp.real(z), jnp.imag(z)
        return x ** 2 + y ** 2
    show(grad(f)(3. + 4j))
    show(grad(jnp.sin, holomorphic=True)(3. + 4j))
    show(grad(jnp.conjugate, holomorphic=True)(3. + 4j))
    assert_output_matches(capsys.readouterr().out, """Array(6.-8.j, dtype=complex64)
Array(-27.034946-3.8511534j, dtype=complex64, weak_type=True)
Array(1.-0.j, dtype=complex64, weak_type=True)""")


def test_complex_cholesky_gradient(capsys):
    A = jnp.array([[5., 2. + 3j, 5j],
                   [2. - 3j, 7., 1. + 7j],
                   [-5j, 1. - 7j, 12.]])

    def f(X):
        L = jnp.linalg.cholesky(X)
        return jnp.sum((L - jnp.sin(L)) ** 2)
    show(grad(f, holomorphic=True)(A))
    assert_output_matches(capsys.readouterr().out, """Array([[-0.7534186 +0.j , -3.0509028 -10.940544j ,
5.9896846 +3.5423026j],
[-3.0509028 +10.940544j , -8.904491 +0.j ,
-5.1351523 -6.559373j ],
[ 5.9896846 -3.5423026j, -5.1351523 +6.559373j ,
0.01320427 +0.j ]], dtype=complex64)""", rtol=1e-5, atol=5e-6)


def test_grad_errors_match_jax():
    with pytest.raises(TypeError, match=r"Gradient only defined for scalar-output functions. "
                                        r"Output had shape: \(3,\)."):
        grad(lambda x: x * 2)(jnp.ones(3))
    with pytest.raises(TypeError, match='holomorphic=True'):
        grad(lambda z: z * 2)(1. + 1j)
    with pytest.raises(TypeError, match='allow_int'):
        grad(lambda x: x * 2.)(1)
