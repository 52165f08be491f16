"""pullback.random against JAX: keys, split/fold_in/bits, every sampler in both threefry modes,
jit and vmap of samplers, errors.

``JAX_VALUES`` below were recorded by running JAX 0.10.2 (CPU) on the same calls (see
``PULLBACK_CASES``), with ``jax_threefry_partitionable`` False (the seed's mode) and True.
Integer, boolean and key results, and float32 ``uniform``/``normal`` (and what is built from
them with exact IEEE arithmetic only), must match bit for bit; samplers that go through
``log``/``erf``/``tan``/``exp``/linear algebra are compared to a few float32 ulps, because
pullback's ``log`` and friends are NumPy's, not XLA's.
"""
import numpy as np
import pytest

import pullback as jax
import pullback.numpy as jnp
from pullback import lax, random

# fmt: off
JAX_VALUES = {
    False: {
        'split3': ('uint32', (3, 2), [2467461003, 428148500, 3186719485, 3840466878, 2562233961, 1946702221]),
        'split22': ('uint32', (2, 2, 2), [869452973, 4133157646, 261504626, 4112007671, 3597360905, 253918841, 98387565, 678776088]),
        'fold_in': ('uint32', (2,), [2716826189, 292468403]),
        'fold_in_big': ('uint32', (2,), [3129736998, 445282630]),
        'bits32': ('uint32', (5,), [3568232559, 713140391, 1958986954, 2761185182, 2442350529]),
        'bits8': ('uint8', (7,), [118, 136, 41, 116, 72, 128, 141]),
        'bits16': ('uint16', (2, 3), [43281, 37260, 56372, 16947, 7275, 58283]),
        'uniform': ('float32', (5,), [0.57450044, 0.09968603, 0.39316022, 0.8941783, 0.59656656]),
        'uniform_range': ('float32', (2, 3), [-2.1008098, -1.255707, 0.2510616, -0.12988925, 1.6875879, -0.4751136]),
        'uniform_bcast': ('float32', (2, 3), [0.83079386, 1.0, 2.0, 3.2144423, 3.2746158, 3.8433337]),
        'uniform_f16': ('float16', (4,), [0.5322265625, 0.453125, 0.5009765625, 0.986328125]),
        'normal': ('float32', (6,), [0.95730704, -0.9699289, 1.0070665, 0.3661903, 0.1729483, 0.29092234]),
        'normal_scalar': ('float32', (), [1.0114812]),
        'normal_complex': ('complex64', (3,), [complex(0.23162950575351715, 0.36144328117370605), complex(0.05800134316086769, 1.6094690561294556), complex(0.8979093432426453, 0.1694135069847107)]),
        'bernoulli': ('bool', (8,), [1, 0, 1, 0, 0, 1, 1, 1]),
        'bernoulli_p': ('bool', (4,), [0, 1, 1, 1]),
        'bernoulli_high': ('bool', (6,), [0, 1, 1, 1, 1, 0]),
        'randint': ('int32', (6,), [0, 0, 2, 8, 9, 8]),
        'randint_wide': ('int32', (5,), [248419, 761084, 345293, 527159, 603608]),
        'randint_u8': ('uint8', (6,), [20, 49, 175, 4, 50, 242]),
        'randint_bcast': ('int32', (2, 3), [68, 641, 895, 308, 238, 210]),
        'permutation': ('int32', (10,), [9, 4, 0, 2, 7, 5, 8, 1, 6, 3]),
        'permutation_2d': ('int32', (4, 3), [0, 1, 2, 9, 10, 11, 3, 4, 5, 6, 7, 8]),
        'permutation_indep': ('int32', (3, 4), [0, 3, 1, 2, 7, 5, 6, 4, 9, 11, 10, 8]),
        'choice': ('int32', (4,), [1, 0, 2, 1]),
        'choice_noreplace': ('int32', (3,), [1, 4, 2]),
        'choice_p': ('float32', (6,), [20.0, 30.0, 20.0, 10.0, 20.0, 20.0]),
        'choice_p_noreplace': ('int32', (2,), [2, 3]),
        'categorical': ('int32', (6,), [2, 2, 3, 3, 1, 2]),
        'categorical_2d': ('int32', (2,), [2, 0]),
        'gumbel': ('float32', (4,), [0.5715286, -0.12379922, 2.1431289, 0.28577638]),
        'exponential': ('float32', (4,), [0.2548723, 0.2618024, 0.6044211, 0.28297612]),
        'truncated_normal': ('float32', (5,), [0.9892867, -0.540067, 0.08036415, 0.4815024, 0.31640464]),
        'multivariate_normal': ('float32', (3, 2), [2.3538365, -1.5688263, 2.4242072, -0.30140853, 1.2445859, -0.6667206]),
        'laplace': ('float32', (4,), [-0.14746232, 0.4386413, -1.5080526, 0.058283392]),
        'logistic': ('float32', (4,), [0.2759478, -0.7425078, 2.0839124, -0.11335623]),
        'cauchy': ('float32', (4,), [0.21875681, -0.62384826, 2.7593613, -0.08916959]),
        'rademacher': ('int32', (6,), [-1, 1, -1, -1, -1, -1]),
        'lognormal': ('float32', (4,), [1.0901824, 0.7941992, 1.8431675, 0.9651135]),
        'orthogonal': ('float32', (3, 3), [0.59892404, -0.6731331, -0.43379948, 0.10497968, 0.6030257, -0.790784, 0.793895, 0.4280794, 0.43183184]),
        'vmap_normal': ('float32', (4, 3), [-0.486901, 1.364273, -1.4662383, -0.650365, -1.5499544, -1.2982213, -0.47994015, 0.42577833, 0.765658, -0.16785043, 1.5203713, -0.6404777]),
        'seed_W_b': ('float32', (4,), [-0.36838785, -2.275689, 0.011447566, 0.8535516]),
        'glorot_normal': ('float32', (2, 3), [0.64657193, -0.65477246, 0.67881006, 0.2508019, 0.11863981, 0.19940309]),
        'he_uniform': ('float32', (2, 3), [1.1459035, -1.1568682, 1.1883551, 0.49498, 0.23782423, 0.39644778]),
        'lecun_normal': ('float32', (3, 2), [-0.9040189, -0.51954216, -0.08865087, -0.18738732, 0.28410098, -0.280635]),
    },
    True: {
        'split3': ('uint32', (3, 2), [1797259609, 2579123966, 928981903, 3453687069, 4146024105, 2718843009]),
        'split22': ('uint32', (2, 2, 2), [507451445, 1853169794, 1948878966, 4237131848, 2441914641, 3819641963, 3568232559, 2761185182]),
        'fold_in': ('uint32', (2,), [2716826189, 292468403]),
        'fold_in_big': ('uint32', (2,), [3129736998, 445282630]),
        'bits32': ('uint32', (5,), [1883912375, 2292451390, 1915204986, 1882898417, 3854144420]),
        'bits8': ('uint8', (7,), [183, 62, 122, 241, 164, 188, 116]),
        'bits16': ('uint16', (2, 3), [14519, 2110, 46458, 49137, 37796, 5820]),
        'uniform': ('float32', (5,), [0.947667, 0.9785799, 0.33229148, 0.46866846, 0.5698887]),
        'uniform_range': ('float32', (2, 3), [1.6793573, 3.5426245, -0.62236995, 0.25254273, 2.0314968, 1.4117633]),
        'uniform_bcast': ('float32', (2, 3), [0.4386325, 1.0, 2.0, 2.1919818, 4.5894513, 3.676838]),
        'uniform_f16': ('float16', (4,), [0.220703125, 0.03125, 0.7080078125, 0.7490234375]),
        'normal': ('float32', (6,), [-0.15443718, 0.084707275, -0.13598049, -0.15503626, 1.2666674, 0.14829758]),
        'normal_scalar': ('float32', (), [0.45123515]),
        'normal_complex': ('complex64', (3,), [complex(0.37613651156425476, -0.17247749865055084), complex(-0.5112502574920654, 0.08688230067491531), complex(0.6415275931358337, -0.5397416949272156)]),
        'bernoulli': ('bool', (8,), [0, 0, 0, 0, 0, 0, 0, 0]),
        'bernoulli_p': ('bool', (4,), [0, 0, 1, 1]),
        'bernoulli_high': ('bool', (6,), [0, 0, 1, 1, 0, 0]),
        'randint': ('int32', (6,), [6, 7, 0, 3, 8, 4]),
        'randint_wide': ('int32', (5,), [662459, 383253, 151915, 432338, 54853]),
        'randint_u8': ('uint8', (6,), [101, 80, 200, 61, 3, 211]),
        'randint_bcast': ('int32', (2, 3), [789, 670, 912, 373, 111, 247]),
        'permutation': ('int32', (10,), [7, 6, 3, 2, 0, 8, 1, 5, 9, 4]),
        'permutation_2d': ('int32', (4, 3), [6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5]),
        'permutation_indep': ('int32', (3, 4), [2, 3, 0, 1, 4, 5, 7, 6, 10, 9, 11, 8]),
        'choice': ('int32', (4,), [1, 2, 0, 3]),
        'choice_noreplace': ('int32', (3,), [4, 2, 3]),
        'choice_p': ('float32', (6,), [10.0, 10.0, 20.0, 20.0, 20.0, 30.0]),
        'choice_p_noreplace': ('int32', (2,), [3, 2]),
        'categorical': ('int32', (6,), [3, 3, 3, 3, 0, 3]),
        'categorical_2d': ('int32', (2,), [1, 0]),
        'gumbel': ('float32', (4,), [0.19347148, 0.46549815, 0.21366431, 0.19281815]),
        'exponential': ('float32', (4,), [1.1211338, 3.673671, 0.36074546, 0.5869124]),
        'truncated_normal': ('float32', (5,), [0.04442562, 0.24192923, 0.05939581, 0.04394058, 1.2438989]),
        'multivariate_normal': ('float32', (3, 2), [0.78159285, -0.9753654, 0.80769455, -1.1930995, 2.791338, -0.41344577]),
        'laplace': ('float32', (4,), [0.13094613, -0.06989245, 0.11447223, 0.13148466]),
        'logistic': ('float32', (4,), [-0.24671388, 0.13521731, -0.21717626, -0.24767303]),
        'cauchy': ('float32', (4,), [-0.1952162, 0.10643734, -0.17155637, -0.19598646]),
        'rademacher': ('int32', (6,), [1, -1, 1, 1, -1, -1]),
        'lognormal': ('float32', (4,), [0.9256875, 1.0432633, 0.9342696, 0.9254103]),
        'orthogonal': ('float32', (3, 3), [-0.07174075, 0.11106675, -0.9912201, -0.07201905, 0.99061006, 0.11621087, 0.9948198, 0.07972381, -0.06306826]),
        'vmap_normal': ('float32', (4, 3), [1.0040143, -0.9063372, -0.7481722, -2.4424558, -2.0356805, 0.20554423, 1.2956359, 1.3550105, -0.40960556, -0.6219436, 0.6248041, 1.6820775]),
        'seed_W_b': ('float32', (4,), [-2.4424558, -2.0356805, 0.20554423, 1.2956359]),
        'glorot_normal': ('float32', (2, 3), [-0.10595117, 0.05812755, -0.0932965, -0.10636187, 0.84224904, 0.10174186]),
        'he_uniform': ('float32', (2, 3), [-0.21258329, 0.11692353, -0.18734443, -0.21340135, 1.3765051, 0.20419498]),
        'lecun_normal': ('float32', (3, 2), [0.28181323, 1.0993264, -0.3220848, -0.08827229, 0.38329676, 0.2090938]),
    },
}
# fmt: on


@pytest.fixture(params=[False, True], ids=['original', 'partitionable'])
def mode(request):
    """Run a test in each threefry mode (and restore the default afterwards)."""
    old = jax.config.jax_threefry_partitionable
    jax.config.update('jax_threefry_partitionable', request.param)
    yield request.param
    jax.config.update('jax_threefry_partitionable', old)


@pytest.fixture
def x64():
    jax.config.update('jax_enable_x64', True)
    yield
    jax.config.update('jax_enable_x64', False)


K0, K1, K7 = random.key(0), random.key(1), random.key(7)
kd = random.key_data


def _seed_W_b():
    _, w_key, b_key = random.split(K0, 3)
    return jnp.concatenate([random.normal(w_key, (3,)), jnp.reshape(random.normal(b_key, ()), (1,))])


PULLBACK_CASES = {
    'split3': lambda: kd(random.split(K0, 3)),
    'split22': lambda: kd(random.split(K1, (2, 2))),
    'fold_in': lambda: kd(random.fold_in(K0, 7)),
    'fold_in_big': lambda: kd(random.fold_in(K7, 2 ** 31 + 5)),
    'bits32': lambda: random.bits(K1, (5,)),
    'bits8': lambda: random.bits(K1, (7,), jnp.uint8),
    'bits16': lambda: random.bits(K1, (2, 3), np.uint16),
    'uniform': lambda: random.uniform(K0, (5,)),
    'uniform_range': lambda: random.uniform(K7, (2, 3), minval=-2.5, maxval=3.7),
    'uniform_bcast': lambda: random.uniform(K1, (2, 3), minval=jnp.array([0., 1., 2.]),
                                            maxval=jnp.array([[1.], [5.]])),
    'uniform_f16': lambda: random.uniform(K1, (4,), dtype=jnp.float16),
    'normal': lambda: random.normal(K1, (6,)),
    'normal_scalar': lambda: random.normal(K7),
    'normal_complex': lambda: random.normal(K1, (3,), jnp.complex64),
    'bernoulli': lambda: random.bernoulli(K1, 0.3, (8,)),
    'bernoulli_p': lambda: random.bernoulli(K7, jnp.array([0.1, 0.5, 0.9, 0.99])),
    'bernoulli_high': lambda: random.bernoulli(K7, 0.5, (6,), mode='high'),
    'randint': lambda: random.randint(K1, (6,), 0, 10),
    'randint_wide': lambda: random.randint(K7, (5,), -5, 1000000),
    'randint_u8': lambda: random.randint(K0, (6,), 0, 256, jnp.uint8),
    'randint_bcast': lambda: random.randint(K0, (2, 3), jnp.array([0, 10, 100]), 1000),
    'permutation': lambda: random.permutation(K1, 10),
    'permutation_2d': lambda: random.permutation(K7, jnp.arange(12).reshape(4, 3)),
    'permutation_indep': lambda: random.permutation(K7, jnp.arange(12).reshape(3, 4), axis=1,
                                                    independent=True),
    'choice': lambda: random.choice(K1, 5, (4,)),
    'choice_noreplace': lambda: random.choice(K7, 5, (3,), replace=False),
    'choice_p': lambda: random.choice(K0, jnp.array([10., 20., 30.]), (6,),
                                      p=jnp.array([0.2, 0.5, 0.3])),
    'choice_p_noreplace': lambda: random.choice(K1, 4, (2,), replace=False,
                                                p=jnp.array([0.1, 0.2, 0.3, 0.4])),
    'categorical': lambda: random.categorical(K1, jnp.array([0.1, 1.0, -0.5, 2.0]), shape=(6,)),
    'categorical_2d': lambda: random.categorical(K7, jnp.array([[0., 1., 2.], [2., 1., 0.]])),
    'gumbel': lambda: random.gumbel(K1, (4,)),
    'exponential': lambda: random.exponential(K7, (4,)),
    'truncated_normal': lambda: random.truncated_normal(K1, -1., 2., (5,)),
    'multivariate_normal': lambda: random.multivariate_normal(
        K1, jnp.array([1., -1.]), jnp.array([[2., 0.5], [0.5, 1.]]), (3,)),
    'laplace': lambda: random.laplace(K1, (4,)),
    'logistic': lambda: random.logistic(K1, (4,)),
    'cauchy': lambda: random.cauchy(K1, (4,)),
    'rademacher': lambda: random.rademacher(K1, (6,)),
    'lognormal': lambda: random.lognormal(K1, 0.5, (4,)),
    'orthogonal': lambda: random.orthogonal(K1, 3),
    'vmap_normal': lambda: jax.vmap(lambda k: random.normal(k, (3,)))(random.split(K0, 4)),
    'seed_W_b': _seed_W_b,
    'glorot_normal': lambda: jax.nn.initializers.glorot_normal()(K1, (2, 3)),
    'he_uniform': lambda: jax.nn.initializers.he_uniform()(K1, (2, 3)),
    'lecun_normal': lambda: jax.nn.initializers.lecun_normal()(K7, (3, 2)),
}

# Built from uniform/normal bits with transcendental functions (NumPy's, not XLA's) or BLAS.
APPROXIMATE = {'gumbel', 'exponential', 'truncated_normal', 'multivariate_normal', 'laplace',
               'logistic', 'cauchy', 'lognormal', 'orthogonal', 'normal_complex',
               'glorot_normal', 'lecun_normal'}


def _expected(name, partitionable):
    dtype, shape, flat = JAX_VALUES[partitionable][name]
    return np.array(flat, dtype=dtype).reshape(shape)


@pytest.mark.parametrize('name', sorted(PULLBACK_CASES))
def test_matches_jax_recording(name, mode):
    got = PULLBACK_CASES[name]()
    expected = _expected(name, mode)
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    assert tuple(got.shape) == expected.shape
    got = np.asarray(got)
    if name in APPROXIMATE:
        np.testing.assert_allclose(got, expected, rtol=2e-6, atol=2e-6)
    else:
        np.testing.assert_array_equal(got, expected)


def test_seed_draws_are_bit_exact():
    # the seed's W and b (jax_threefry_partitionable=False, the default)
    key = random.key(0)
    key, W_key, b_key = random.split(key, 3)
    W = random.normal(W_key, (3,))
    b = random.normal(b_key, ())
    # (array printing rounds to 8 decimals: the last float32 is 0.011447566)
    np.testing.assert_array_equal(np.asarray(W), np.array([-0.36838785, -2.275689, 0.011447566],
                                                          np.float32))
    assert repr(W) == 'Array([-0.36838785, -2.275689  ,  0.01144757], dtype=float32)'
    assert np.asarray(b) == np.float32(0.8535516)
    assert repr(b) == 'Array(0.8535516, dtype=float32)'


# --- keys -------------------------------------------------------------------------------------

def test_key_prints_like_jax():
    assert repr(random.key(0)) == 'Array((), dtype=key<fry>) overlaying:\n[0 0]'
    assert str(random.key(0)) == repr(random.key(0))
    assert repr(random.split(random.key(0), 2)) == (
        'Array((2,), dtype=key<fry>) overlaying:\n'
        '[[4146024105  967050713]\n [2718843009 1272950319]]')
    assert repr(random.PRNGKey(0)) == 'Array([0, 0], dtype=uint32)'
    k = random.key(3)
    assert k.shape == () and k.ndim == 0 and str(k.dtype) == 'key<fry>'


def test_typed_and_raw_keys_agree():
    raw = random.PRNGKey(42)
    typed = random.key(42)
    np.testing.assert_array_equal(random.key_data(typed), raw)
    assert isinstance(random.split(raw), jax.Array)
    assert isinstance(random.split(typed), random.KeyArray)
    np.testing.assert_array_equal(random.split(raw, 3), random.key_data(random.split(typed, 3)))
    np.testing.assert_array_equal(random.normal(raw, (4,)), random.normal(typed, (4,)))
    np.testing.assert_array_equal(random.fold_in(raw, 3), random.key_data(random.fold_in(typed, 3)))
    wrapped = random.wrap_key_data(random.key_data(typed))
    assert bool(wrapped == typed)
    assert random.key_impl(typed) == 'threefry2x32'


def test_seed_wraps_without_x64_and_not_with_it(x64):
    np.testing.assert_array_equal(random.key_data(random.key(-1)), [4294967295, 4294967295])
    np.testing.assert_array_equal(random.key_data(random.key(2 ** 32 + 5)), [1, 5])


def test_seed_wraps_to_32_bits():
    np.testing.assert_array_equal(random.key_data(random.key(-1)), [0, 4294967295])
    np.testing.assert_array_equal(random.key_data(random.key(2 ** 32 + 5)), [0, 5])
    np.testing.assert_array_equal(random.key_data(random.key(jnp.int32(-1))), [0, 4294967295])
    with pytest.raises(OverflowError):
        random.key(2 ** 64)


def test_key_indexing_iteration_and_reshape():
    keys = random.split(random.key(0), (2, 3))
    assert keys.shape == (2, 3) and len(keys) == 2
    np.testing.assert_array_equal(random.key_data(keys[1, 2]), random.key_data(keys)[1, 2])
    np.testing.assert_array_equal(random.key_data(keys[..., 0]), random.key_data(keys)[:, 0])
    rows = list(keys)
    assert len(rows) == 2 and rows[0].shape == (3,)
    assert keys.reshape(6).shape == (6,) and keys.T.shape == (3, 2)
    np.testing.assert_array_equal(random.key_data(keys.T[2, 1]), random.key_data(keys[1, 2]))
    with pytest.raises(TypeError, match='single PRNG key'):
        len(random.key(0))


def test_partitionable_split_is_prefix_stable(mode):
    k = random.key(5)
    three = random.key_data(random.split(k, 3))
    two = random.key_data(random.split(k, 2))
    assert np.array_equal(three[:2], two) == mode  # only the partitionable split nests


def test_threefry2x32_known_answers():
    u = np.uint32
    y0, y1 = lax.threefry2x32(u(0), u(0), u(0), u(0))
    assert (int(y0), int(y1)) == (0x6b200159, 0x99ba4efe)
    y0, y1 = lax.threefry2x32(u(0x13198a2e), u(0x03707344), np.array([0x243f6a88], u),
                              np.array([0x85a308d3], u))
    assert (int(y0[0]), int(y1[0])) == (0xc4923a9c, 0x483df7a0)


# --- transformations --------------------------------------------------------------------------

SAMPLERS = {
    'uniform': lambda k: random.uniform(k, (3,), minval=-1., maxval=2.),
    'normal': lambda k: random.normal(k, (2, 2)),
    'bernoulli': lambda k: random.bernoulli(k, 0.4, (5,)),
    'randint': lambda k: random.randint(k, (4,), -3, 9),
    'bits': lambda k: random.bits(k, (3,), jnp.uint8),
    'permutation': lambda k: random.permutation(k, 6),
    'choice': lambda k: random.choice(k, 7, (3,), replace=False),
    'categorical': lambda k: random.categorical(k, jnp.array([0.5, 1.0, 2.0]), shape=(4,)),
    'gumbel': lambda k: random.gumbel(k, (3,)),
    'exponential': lambda k: random.exponential(k, (3,)),
    'truncated_normal': lambda k: random.truncated_normal(k, -0.5, 1.5, (3,)),
    'split': lambda k: random.key_data(random.split(k, 3)),
    'fold_in': lambda k: random.key_data(random.fold_in(k, 11)),
}


@pytest.mark.parametrize('name', sorted(SAMPLERS))
def test_jit_matches_eager(name, mode):
    f = SAMPLERS[name]
    k = random.key(3)
    np.testing.assert_array_equal(jax.jit(f)(k), f(k))
    raw = random.PRNGKey(3)
    np.testing.assert_array_equal(jax.jit(f)(raw), f(k))


@pytest.mark.parametrize('name', sorted(SAMPLERS))
def test_vmap_over_keys_matches_loop(name, mode):
    f = SAMPLERS[name]
    keys = random.split(random.key(9), 4)
    batched = jax.vmap(f)(keys)
    for i in range(4):
        np.testing.assert_array_equal(batched[i], f(keys[i]))
    # raw key data works the same way
    np.testing.assert_array_equal(jax.vmap(f)(random.key_data(keys)), batched)


def test_vmap_of_fold_in_over_data():
    k = random.key(0)
    data = jnp.arange(5)
    out = jax.vmap(lambda d: random.key_data(random.fold_in(k, d)))(data)
    for i in range(5):
        np.testing.assert_array_equal(out[i], random.key_data(random.fold_in(k, i)))


def test_vmap_returns_keys():
    keys = jax.vmap(lambda k: random.split(k, 2))(random.split(random.key(0), 3))
    assert isinstance(keys, random.KeyArray) and keys.shape == (3, 2)


def test_jaxpr_has_one_equation_per_key_operation():
    text = str(jax.make_jaxpr(lambda k: random.bits(random.split(k)[0], (2,)))(random.key(0)))
    assert 'random_split[partitionable=False shape=(2,)]' in text
    assert 'random_bits[bit_width=32 partitionable=False shape=(2,)]' in text


def test_uniform_is_differentiable_in_its_bounds():
    k = random.key(1)
    f = lambda lo, hi: jnp.sum(random.uniform(k, (5,), minval=lo, maxval=hi))
    g_lo, g_hi = jax.grad(f, argnums=(0, 1))(-1., 3.)
    u01 = np.asarray(random.uniform(k, (5,)))
    np.testing.assert_allclose(g_hi, u01.sum(), rtol=1e-6)
    np.testing.assert_allclose(g_lo, (1 - u01).sum(), rtol=1e-6)


# --- distributions are what they claim --------------------------------------------------------

def test_sample_statistics(mode):
    k = random.key(2024)
    n = random.normal(k, (20000,))
    assert abs(float(n.mean())) < 0.03 and abs(float(n.std()) - 1) < 0.03
    u = random.uniform(k, (20000,), minval=2., maxval=3.)
    assert float(u.min()) >= 2. and float(u.max()) < 3. and abs(float(u.mean()) - 2.5) < 0.01
    r = np.asarray(random.randint(k, (20000,), -2, 5))
    assert r.min() == -2 and r.max() == 4
    p = np.asarray(random.permutation(k, 50))
    assert sorted(p.tolist()) == list(range(50))
    t = np.asarray(random.truncated_normal(k, -0.5, 0.7, (5000,)))
    assert t.min() > -0.5 and t.max() < 0.7
    c = np.asarray(random.categorical(k, jnp.log(jnp.array([0.2, 0.3, 0.5])), shape=(20000,)))
    np.testing.assert_allclose(np.bincount(c) / 20000, [0.2, 0.3, 0.5], atol=0.02)


# --- errors -----------------------------------------------------------------------------------

def test_errors():
    k = random.key(0)
    with pytest.raises(TypeError, match='last axis has size 2'):
        random.normal(jnp.zeros(3, jnp.uint32))
    with pytest.raises(TypeError, match='uint32'):
        random.normal(jnp.zeros(2, jnp.int32))
    with pytest.raises(TypeError, match='expected a PRNG key'):
        random.normal(1.0)
    with pytest.raises(ValueError, match=r'single key.*shape \(3,\)'):
        random.normal(random.split(k, 3), (2,))
    with pytest.raises(ValueError, match='must be a float dtype, got int32'):
        random.uniform(k, (2,), dtype=jnp.int32)
    with pytest.raises(ValueError, match='float or complex dtype'):
        random.normal(k, (2,), dtype=jnp.int32)
    with pytest.raises(ValueError, match='unsigned int dtype'):
        random.bits(k, (2,), dtype=jnp.float32)
    with pytest.raises(TypeError, match='integer dtypes'):
        random.randint(k, (2,), 0, 3, dtype=jnp.float32)
    with pytest.raises(ValueError, match=r'minval of shape \(3,\).*requested shape \(2,\)'):
        random.uniform(k, (2,), minval=jnp.zeros(3))
    with pytest.raises(ValueError, match=r'maxval of shape \(2, 2\)'):
        random.uniform(k, (2,), maxval=jnp.zeros((2, 2)))
    with pytest.raises(TypeError, match='floating dtype'):
        random.bernoulli(k, 1)
    with pytest.raises(TypeError, match='fold_in accepts a scalar'):
        random.fold_in(k, jnp.arange(3))
    with pytest.raises(ValueError, match=r'larger sample \(size 4\)'):
        random.choice(k, 3, (4,), replace=False)
    with pytest.raises(ValueError, match='p must be None or a 1D vector'):
        random.choice(k, 3, (4,), p=jnp.ones(2))
    with pytest.raises(ValueError, match='negative'):
        random.normal(k, (-1,))
    with pytest.raises(TypeError, match='concrete integers'):
        random.normal(k, (2.0,))
    with pytest.raises(TypeError, match='seed must be an integer'):
        random.key(1.5)
    with pytest.raises(TypeError, match='scalar seed'):
        random.key(jnp.arange(3))
    with pytest.raises(ValueError, match=r'cov.shape == \(..., n, n\) for n=3'):
        random.multivariate_normal(k, jnp.zeros(3), jnp.eye(2))


# --- a live oracle --------------------------------------------------------------------------

@pytest.mark.slow  # JAX compiles every call (seconds); the recorded values run always
def test_against_live_jax(mode):
    jr = pytest.importorskip('jax.random')
    real_jax = pytest.importorskip('jax')
    old = real_jax.config.jax_threefry_partitionable
    real_jax.config.update('jax_threefry_partitionable', mode)
    try:
        for seed in (123, 2 ** 31 - 1):
            for shape in ((), (3, 5)):
                np.testing.assert_array_equal(random.normal(random.key(seed), shape),
                                              jr.normal(jr.key(seed), shape))
                np.testing.assert_array_equal(random.uniform(random.key(seed), shape, minval=-3.,
                                                             maxval=0.1),
                                              jr.uniform(jr.key(seed), shape, minval=-3.,
                                                         maxval=0.1))
                np.testing.assert_array_equal(random.randint(random.key(seed), shape, -7, 1234),
                                              jr.randint(jr.key(seed), shape, -7, 1234))
    finally:
        real_jax.config.update('jax_threefry_partitionable', old)


def test_categorical_shapes_match_jax():
    # recorded from JAX 0.10.2, jax_threefry_partitionable=False
    k = random.key(3)
    assert random.categorical(k, jnp.array([[0., 1., 2.]]), shape=(4, 2)).tolist() == \
        [[1, 2], [2, 1], [2, 2], [2, 1]]
    assert random.categorical(k, jnp.array([[0., 1.], [1., 0.], [2., 2.]]), axis=0,
                              shape=(2, 2)).tolist() == [[1, 2], [0, 2]]
    assert random.categorical(k, jnp.array([[0., 1., 2.], [2., 1., 0.]]), shape=(2, 2),
                              replace=False).tolist() == [[2, 0], [1, 1]]
    with pytest.raises(ValueError, match='categorical'):
        random.categorical(k, jnp.zeros((3, 4)), shape=(2,))


# Recorded from JAX 0.10.2 with jax_enable_x64=True, key(2**40 + 3).
JAX_X64_VALUES = {
    False: {
        'key': [256, 3],
        'bits': [3739036583016669278, 14222064730654557297, 9885470563295929651],
        'uniform': [0.2026935793154725, 0.770979673910257, 0.5358924330383474],
        'uniform_range': [-1.2432998082440705, 2.2800739782435935, 0.8225330848377542],
        'normal': [-0.8320385972604083, 0.7420770527961837, 0.09009070700831168],
        'randint': [1007865356830, 958763309313, 64821550787, 45063705322],
        'uniform32': [0.9516006708145142, 0.05680084228515625, 0.5133687257766724],
    },
    True: {
        'key': [256, 3],
        'bits': [8175041411427140867, 8152055432657374039, 17553935170961941357],
        'uniform': [0.44316988292141346, 0.44192381051546903, 0.951600732401332],
        'uniform_range': [0.24765327411276353, 0.23992762519590805, 3.3999245408882586],
        'normal': [-0.1429372164767684, -0.14609344499971036, 1.6605764837596495],
        'randint': [58253125821, 1048272758186, 1036512367018, 152981026044],
        'uniform32': [0.7862939834594727, 0.05456352233886719, 0.4411654472351074],
    },
}


def test_x64_streams_match_jax(mode, x64):
    want = JAX_X64_VALUES[mode]
    k = random.key(2 ** 40 + 3)
    assert random.key_data(k).tolist() == want['key']
    bits = random.bits(k, (3,))
    assert bits.dtype == np.uint64 and bits.tolist() == want['bits']
    u = random.uniform(k, (3,))
    assert u.dtype == np.float64 and u.tolist() == want['uniform']
    assert random.uniform(k, (3,), minval=-2.5, maxval=3.7).tolist() == want['uniform_range']
    r = random.randint(k, (4,), -10, 2 ** 40)
    assert r.dtype == np.int64 and r.tolist() == want['randint']
    assert random.uniform(k, (3,), dtype=jnp.float32).tolist() == want['uniform32']
    # float64 erf_inv is not XLA's polynomial: a few ulps
    np.testing.assert_allclose(random.normal(k, (3,)), want['normal'], rtol=1e-14)


def test_choice_and_permutation_along_axes_match_jax():
    # recorded from JAX 0.10.2, jax_threefry_partitionable=False
    k = random.key(11)
    a = jnp.arange(20.).reshape(4, 5)
    assert random.choice(k, a, (3,), replace=False, axis=1).tolist() == \
        [[2., 3., 4.], [7., 8., 9.], [12., 13., 14.], [17., 18., 19.]]
    assert random.choice(k, a, (2, 2), axis=0).tolist() == \
        [[[10., 11., 12., 13., 14.], [5., 6., 7., 8., 9.]],
         [[5., 6., 7., 8., 9.], [10., 11., 12., 13., 14.]]]
    assert random.choice(k, a, (2,), p=jnp.array([0.1, 0.2, 0.3, 0.4]), axis=0).tolist() == \
        [[0., 1., 2., 3., 4.], [0., 1., 2., 3., 4.]]
    assert random.choice(k, a, (2,), replace=False, p=jnp.array([0.1, 0.2, 0.3, 0.2, 0.2]),
                         axis=1).tolist() == [[1., 3.], [6., 8.], [11., 13.], [16., 18.]]
    assert random.permutation(k, a, axis=1).tolist() == \
        [[2., 3., 4., 1., 0.], [7., 8., 9., 6., 5.], [12., 13., 14., 11., 10.],
         [17., 18., 19., 16., 15.]]
    assert random.permutation(k, a, axis=1, independent=True).tolist() == \
        [[2., 3., 0., 1., 4.], [7., 9., 6., 5., 8.], [14., 11., 13., 10., 12.],
         [17., 15., 18., 19., 16.]]
    assert random.choice(k, 5, ()).tolist() == 2
    assert random.randint(k, (3,), 5, 2).tolist() == [5, 5, 5]          # empty range: minval
    assert random.randint(k, (3,), jnp.int32(-2 ** 31), 2 ** 31 - 1).tolist() == \
        [-298503390, -536294601, -1262617603]
    assert random.bernoulli(k, jnp.array([[0.5], [0.9]]), (2, 3)).tolist() == \
        [[False, False, True], [True, True, True]]
