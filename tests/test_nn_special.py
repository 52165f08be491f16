"""pullback.nn, pullback.scipy.special and pullback.test_util.check_grads.

Values are compared with SciPy/NumPy in float64 (x64 enabled) and in float32, derivatives
with central finite differences in float64 (through ``check_grads``, which is itself tested
on a function with a wrong derivative), and with JAX where it is importable.
"""
import numpy as np
import pytest
import scipy.special as sps

import pullback as jax
import pullback.numpy as jnp
from pullback import nn, random
from pullback.scipy import special
from pullback.test_util import check_grads


@pytest.fixture
def x64():
    jax.config.update('jax_enable_x64', True)
    yield
    jax.config.update('jax_enable_x64', False)


X = np.array([-7.5, -2.0, -0.3, 0.0, 0.4, 1.7, 6.0, 9.0])
X_SMOOTH = np.array([-3.1, -1.2, -0.3, 0.2, 0.7, 2.5])   # away from kinks


def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


NN_REFERENCE = {
    'relu': (nn.relu, lambda x: np.maximum(x, 0)),
    'relu6': (nn.relu6, lambda x: np.minimum(np.maximum(x, 0), 6)),
    'sigmoid': (nn.sigmoid, _np_sigmoid),
    'silu': (nn.silu, lambda x: x * _np_sigmoid(x)),
    'softplus': (nn.softplus, lambda x: np.logaddexp(x, 0)),
    'log_sigmoid': (nn.log_sigmoid, lambda x: -np.logaddexp(-x, 0)),
    'elu': (nn.elu, lambda x: np.where(x > 0, x, np.expm1(x))),
    'leaky_relu': (nn.leaky_relu, lambda x: np.where(x >= 0, x, 0.01 * x)),
    'celu': (nn.celu, lambda x: np.maximum(x, 0) + np.expm1(np.minimum(x, 0))),
    'selu': (nn.selu, lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    'gelu_tanh': (nn.gelu, lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    'gelu_exact': (lambda x: nn.gelu(x, approximate=False), lambda x: x * sps.ndtr(x)),
    'hard_tanh': (nn.hard_tanh, lambda x: np.clip(x, -1, 1)),
    'soft_sign': (nn.soft_sign, lambda x: x / (np.abs(x) + 1)),
    'mish': (nn.mish, lambda x: x * np.tanh(np.logaddexp(x, 0))),
    'squareplus': (nn.squareplus, lambda x: (x + np.sqrt(x * x + 4)) / 2),
    'hard_sigmoid': (nn.hard_sigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
}


@pytest.mark.parametrize('name', sorted(NN_REFERENCE))
def test_activation_values(name, x64):
    f, ref = NN_REFERENCE[name]
    np.testing.assert_allclose(f(jnp.asarray(X)), ref(X), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize('name', sorted(NN_REFERENCE))
def test_activation_values_float32(name):
    f, ref = NN_REFERENCE[name]
    out = f(jnp.asarray(X, jnp.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref(X), rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize('name', sorted(set(NN_REFERENCE) - {'hard_tanh'}))
def test_activation_gradients(name, x64):
    f, _ = NN_REFERENCE[name]
    order = 1 if name in ('relu', 'relu6', 'leaky_relu', 'hard_sigmoid') else 2
    check_grads(f, (jnp.asarray(X_SMOOTH),), order=order)


def test_gradients_at_kinks_follow_jax():
    assert float(jax.grad(nn.relu)(0.)) == 0.
    assert float(jax.grad(nn.relu)(2.)) == 1.
    assert float(jax.grad(nn.relu6)(0.)) == 0. and float(jax.grad(nn.relu6)(6.)) == 0.
    assert float(jax.grad(nn.leaky_relu)(0.)) == 1.
    assert float(jax.grad(nn.elu)(0.)) == 1.
    assert float(jax.grad(nn.relu)(-1e30)) == 0.


def test_elementwise_keeps_weak_types_and_nans():
    assert repr(nn.relu(3.0)) == 'Array(3., dtype=float32, weak_type=True)'
    assert np.isnan(float(nn.relu(jnp.nan)))
    assert nn.relu(jnp.array([-2, 3])).dtype == jnp.int32


def test_softmax_family(x64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5)) * 4
    np.testing.assert_allclose(nn.softmax(x), sps.softmax(x, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(nn.softmax(x, axis=0), sps.softmax(x, axis=0), rtol=1e-12)
    np.testing.assert_allclose(nn.softmax(x, axis=(0, 1)), sps.softmax(x, axis=(0, 1)),
                               rtol=1e-12)
    np.testing.assert_allclose(nn.log_softmax(x), sps.log_softmax(x, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(special.softmax(x, 0), sps.softmax(x, axis=0), rtol=1e-12)
    big = jnp.array([1000., 1000., -1000.])
    np.testing.assert_allclose(nn.softmax(big), [0.5, 0.5, 0.], atol=1e-300)
    np.testing.assert_allclose(nn.log_softmax(big), [-np.log(2), -np.log(2), -2000 - np.log(2)])
    check_grads(nn.softmax, (jnp.asarray(x),), order=2)
    check_grads(nn.log_softmax, (jnp.asarray(x),), order=2)


def test_softmax_where_mask(x64):
    x = jnp.array([1., 2., 3., 4.])
    mask = jnp.array([True, False, True, True])
    out = nn.softmax(x, where=mask)
    np.testing.assert_allclose(out, np.array([*sps.softmax([1., 3., 4.])[:1], 0.,
                                              *sps.softmax([1., 3., 4.])[1:]]), rtol=1e-12)
    lout = nn.log_softmax(x, where=mask)
    assert float(lout[1]) == -np.inf
    np.testing.assert_allclose(np.asarray(lout)[[0, 2, 3]], sps.log_softmax([1., 3., 4.]))


def test_logsumexp(x64):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2, 3, 4)) * 3
    b = rng.normal(size=(2, 3, 4))
    for axis in (None, 0, -1, (0, 2)):
        for keepdims in (False, True):
            np.testing.assert_allclose(special.logsumexp(a, axis=axis, keepdims=keepdims),
                                       sps.logsumexp(a, axis=axis, keepdims=keepdims),
                                       rtol=1e-12)
            out, sign = special.logsumexp(a, axis=axis, b=b, keepdims=keepdims,
                                          return_sign=True)
            ref, ref_sign = sps.logsumexp(a, axis=axis, b=b, keepdims=keepdims,
                                          return_sign=True)
            np.testing.assert_allclose(out, ref, rtol=1e-10)
            np.testing.assert_array_equal(sign, ref_sign)
    # a negative sum without return_sign is NaN; all -inf terms give -inf (no NaN)
    assert np.isnan(float(special.logsumexp(jnp.array([0., 0.]), b=jnp.array([1., -2.]))))
    assert float(special.logsumexp(jnp.array([-np.inf, -np.inf]))) == -np.inf
    assert float(special.logsumexp(jnp.array([np.inf, 1.]))) == np.inf
    assert float(special.logsumexp(jnp.array([1000., 1000.]))) == pytest.approx(1000 + np.log(2))
    assert nn.logsumexp is special.logsumexp
    # the gradient is the softmax, also for huge inputs
    g = jax.grad(special.logsumexp)(jnp.array([1000., 1001., 999.]))
    np.testing.assert_allclose(g, sps.softmax([1000., 1001., 999.]), rtol=1e-12)
    check_grads(lambda x: special.logsumexp(x, axis=1), (jnp.asarray(a),), order=2)
    check_grads(lambda x, w: special.logsumexp(x, b=w), (jnp.asarray(a), jnp.abs(jnp.asarray(b))),
                order=1)


def test_one_hot():
    out = nn.one_hot(jnp.array([0, 2, -1, 3]), 3)
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]])
    assert out.dtype == jnp.float32
    out = nn.one_hot(jnp.array([[1, 0]]), 2, axis=0, dtype=jnp.int32)
    assert out.shape == (2, 1, 2) and out.dtype == jnp.int32
    np.testing.assert_array_equal(out[:, 0, :], [[0, 1], [1, 0]])
    with pytest.raises(ValueError, match='out of bounds'):
        nn.one_hot(jnp.array([1]), 3, axis=3)


def test_standardize(x64):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 6)) * 3 + 1
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(nn.standardize(x), ref, rtol=1e-8)
    np.testing.assert_allclose(nn.standardize(x, algorithm='stable'), ref, rtol=1e-10)
    ref0 = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)
    np.testing.assert_allclose(nn.standardize(x, axis=0), ref0, rtol=1e-8)
    check_grads(lambda v: nn.standardize(v, algorithm='stable'), (jnp.asarray(x),), order=1)
    with pytest.raises(ValueError, match='unknown algorithm'):
        nn.standardize(x, algorithm='nope')


def test_glu():
    x = jnp.array([[1., 2., 3., 4.]])
    np.testing.assert_allclose(nn.glu(x), [[1 * _np_sigmoid(3.), 2 * _np_sigmoid(4.)]],
                               rtol=1e-6)
    with pytest.raises(ValueError, match='must be even'):
        nn.glu(jnp.ones(3))


# --- initializers -----------------------------------------------------------------------------

def test_initializers():
    init = nn.initializers
    k = random.key(0)
    np.testing.assert_array_equal(init.zeros(k, (2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(init.ones(k, (2,), jnp.int32), [1, 1])
    np.testing.assert_array_equal(init.constant(2.5)(k, (2,)), [2.5, 2.5])
    big = (200, 300)
    for name, var in (('glorot_normal', 2 / 500), ('glorot_uniform', 2 / 500),
                      ('lecun_normal', 1 / 200), ('he_normal', 2 / 200),
                      ('he_uniform', 2 / 200), ('lecun_uniform', 1 / 200)):
        w = getattr(init, name)()(k, big)
        assert w.shape == big and w.dtype == jnp.float32
        assert abs(float(jnp.var(w)) / var - 1) < 0.05, name
    w = init.variance_scaling(1.0, 'fan_out', 'normal')(k, big)
    assert abs(float(jnp.var(w)) * 300 - 1) < 0.05
    w = init.normal(0.5)(k, (1000,))
    assert abs(float(jnp.std(w)) - 0.5) < 0.05
    w = init.uniform(2.0)(k, (1000,))
    assert 0 <= float(w.min()) and float(w.max()) < 2
    with pytest.raises(ValueError, match='in_axis'):
        init.glorot_normal()(k, (5,))
    with pytest.raises(ValueError, match='invalid mode'):
        init.variance_scaling(1.0, 'fan_bad', 'normal')


# --- scipy.special ----------------------------------------------------------------------------

P = np.array([1e-300, 1e-20, 1e-5, 0.01, 0.2, 0.5, 0.77, 0.99, 1 - 1e-9])
XS = np.array([-30., -12., -4., -1.1, -0.2, 0., 0.3, 1.5, 4.5, 9.])
SPECIAL = {
    'erf': (special.erf, sps.erf, XS),
    'erfc': (special.erfc, sps.erfc, XS),
    'erfinv': (special.erfinv, sps.erfinv, np.array([-0.999, -0.5, 0., 0.3, 0.9, 0.99999])),
    'gammaln': (special.gammaln, sps.gammaln, np.array([0.01, 0.5, 1., 2.5, 10., 150.])),
    'digamma': (special.digamma, sps.digamma, np.array([0.01, 0.5, 1., 2.5, 10., 150.])),
    'expit': (special.expit, sps.expit, XS),
    'logit': (special.logit, sps.logit, P),
    'ndtr': (special.ndtr, sps.ndtr, XS),
    'ndtri': (special.ndtri, sps.ndtri, P),
    'log_ndtr': (special.log_ndtr, sps.log_ndtr, XS),
    'entr': (special.entr, sps.entr, np.array([-1., 0., 1e-10, 0.5, 3.])),
}


@pytest.mark.parametrize('name', sorted(SPECIAL))
def test_special_values(name, x64):
    f, ref, x = SPECIAL[name]
    np.testing.assert_allclose(f(jnp.asarray(x)), ref(x), rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize('name', sorted(SPECIAL))
def test_special_values_float32(name):
    f, ref, x = SPECIAL[name]
    x32 = x.astype(np.float32)
    out = f(jnp.asarray(x32))
    assert out.dtype == np.float32
    expected = ref(x32.astype(np.float64))
    # log(ndtr(x)) just below the switch to log1p(-ndtr(-x)) (x = 4.5 < 5) loses digits in
    # float32, in JAX exactly as here
    rtol = 1e-4 if name == 'log_ndtr' else 5e-6
    np.testing.assert_allclose(out, expected.astype(np.float32), rtol=rtol, atol=1e-30)


SMOOTH_POINTS = {
    'erf': np.array([-1.1, 0.3, 1.5]), 'erfc': np.array([-1.1, 0.3, 1.5]),
    'erfinv': np.array([-0.5, 0.3, 0.9]), 'gammaln': np.array([0.5, 2.5, 10.]),
    'digamma': np.array([0.5, 2.5, 10.]), 'expit': np.array([-1.1, 0.3, 4.5]),
    'logit': np.array([0.2, 0.5, 0.77]), 'ndtr': np.array([-4., 0.3, 4.5]),
    'ndtri': np.array([0.01, 0.5, 0.77]), 'log_ndtr': np.array([-12., -1.1, 0.3, 6.5]),
    'entr': np.array([0.1, 0.5, 3.]),
}


@pytest.mark.parametrize('name', sorted(SMOOTH_POINTS))
def test_special_gradients(name, x64):
    f = SPECIAL[name][0]
    check_grads(f, (jnp.asarray(SMOOTH_POINTS[name]),), order=1, eps=1e-6)


def test_xlogy_and_xlog1py(x64):
    x = np.array([0., 0., 0., 1.5, -2., 3.])
    y = np.array([0., 2., np.inf, 0.5, 4., 0.])
    np.testing.assert_array_equal(special.xlogy(x, y), sps.xlogy(x, y))
    y1 = np.array([-1., 1., np.inf, 0.5, 4., -0.5])
    np.testing.assert_array_equal(special.xlog1py(x, y1), sps.xlog1py(x, y1))
    assert repr(special.xlogy(0., 0.)) == 'Array(0., dtype=float64, weak_type=True)'
    # derivatives: d/dx x log y = log y (also at x == 0, as JAX), d/dy = x / y
    gx, gy = jax.grad(special.xlogy, argnums=(0, 1))(0., 2.)
    assert float(gx) == pytest.approx(np.log(2.)) and float(gy) == 0.
    assert not np.isnan(float(jax.grad(special.xlogy)(0., 0.)))
    check_grads(special.xlogy, (jnp.array([0.5, 2.]), jnp.array([0.3, 4.])), order=2)
    check_grads(special.xlog1py, (jnp.array([0.5, 2.]), jnp.array([0.3, 4.])), order=2)


def test_special_integer_inputs_promote():
    assert special.erf(1).dtype == jnp.float32
    assert special.gammaln(jnp.arange(1, 4)).dtype == jnp.float32
    with pytest.raises(TypeError, match='not supported'):
        special.ndtr(jnp.array([1, 2]))


# --- check_grads itself -----------------------------------------------------------------------

def test_check_grads_passes_on_correct_derivatives(x64):
    check_grads(lambda x: jnp.sin(x) * jnp.exp(x), (jnp.array([0.3, 1.2]),), order=3)
    check_grads(lambda x, y: (x * y, jnp.tanh(x)), (jnp.array([0.3, 1.2]), 2.0), order=2,
                modes=['fwd', 'rev', 'lin'])
    check_grads(lambda d: d['a'] ** 2 + d['b'], ({'a': 1.5, 'b': jnp.ones(2)},), order=1)


def _sin_with_wrong_jvp():
    """``sin`` whose derivative is hidden by stop_gradient and replaced by ``2 cos``."""
    def f(x):
        return jnp.sin(x) + (jnp.sin(x) - jax.lax.stop_gradient(jnp.sin(x)))
    return f


@pytest.mark.parametrize('modes, check', [(['fwd'], 'JVP tangent'), (['rev'], 'VJP cotangent'),
                                          (['lin'], 'LIN tangent')])
def test_check_grads_reports_a_wrong_derivative(x64, modes, check):
    with pytest.raises(AssertionError, match=check + r'.*does not match'):
        check_grads(_sin_with_wrong_jvp(), (jnp.array([0.3, 1.2]),), order=1, modes=modes)


def test_check_grads_reports_a_wrong_second_derivative(x64):
    # right first derivative, wrong second: the JVP of the JVP fails
    def f(x):
        t = x - jax.lax.stop_gradient(x)            # zero value, derivative 1
        return x ** 3 / 3 + t * t * t                # d/dx right, d2 wrong only at order 3
    check_grads(f, (jnp.array([0.5]),), order=2)
    g = lambda x: x ** 2 + (x - jax.lax.stop_gradient(x)) ** 2
    check_grads(g, (jnp.array([0.5]),), order=1)
    with pytest.raises(AssertionError, match='JVP of JVP'):
        check_grads(g, (jnp.array([0.5]),), order=2, modes=['fwd'])


def test_check_grads_validates_arguments():
    with pytest.raises(ValueError, match='unknown modes'):
        check_grads(jnp.sin, (1.,), order=1, modes=['sideways'])
    with pytest.raises(TypeError, match='float or complex'):
        check_grads(lambda i: i * 2, (jnp.array([1, 2]),), order=1)


# --- JAX as an oracle -------------------------------------------------------------------------

@pytest.mark.slow  # JAX compiles every call (seconds); the recorded values run always
def test_against_jax():
    real = pytest.importorskip('jax')
    jnn, jsp = real.nn, real.scipy.special
    x = np.linspace(-5, 5, 23).astype(np.float32)
    pairs = [(nn.gelu, jnn.gelu), (lambda v: nn.gelu(v, approximate=False),
                                   lambda v: jnn.gelu(v, approximate=False)),
             (nn.softplus, jnn.softplus), (nn.silu, jnn.silu), (nn.elu, jnn.elu),
             (nn.log_sigmoid, jnn.log_sigmoid), (nn.softmax, jnn.softmax),
             (nn.log_softmax, jnn.log_softmax), (special.logsumexp, jsp.logsumexp),
             (special.ndtr, jsp.ndtr), (special.log_ndtr, jsp.log_ndtr),
             (special.erf, jsp.erf), (special.expit, jsp.expit)]
    # (pullback's tanh/exp are NumPy's, XLA's saturate differently: gelu(-5) is 3e-7 vs -0.)
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours(x), np.asarray(theirs(x)), rtol=3e-6, atol=1e-6)
        np.testing.assert_allclose(jax.grad(lambda v: jnp.sum(ours(v)))(x),
                                   np.asarray(real.grad(lambda v: theirs(v).sum())(x)),
                                   rtol=2e-5, atol=5e-6)
    np.testing.assert_allclose(special.log_ndtr(SPECIAL['log_ndtr'][2].astype(np.float32)),
                               np.asarray(jsp.log_ndtr(SPECIAL['log_ndtr'][2].astype(np.float32))),
                               rtol=1e-6)
    p = np.linspace(0.01, 0.99, 9).astype(np.float32)
    np.testing.assert_allclose(special.ndtri(p), np.asarray(jsp.ndtri(p)), rtol=3e-6)


def test_check_grads_on_complex_functions(x64):
    check_grads(jnp.sin, (jnp.array([1 + 2j, 0.5 - 1j]),), order=2)
    check_grads(lambda z: jnp.abs(z) ** 2, (jnp.array([1 + 2j, 0.5 - 1j]),), order=1)
    check_grads(lambda x: jnp.sum(x * jnp.array([1j, 2.])), (jnp.array([1., 2.]),), order=1)
