"""Tests for the bit-exact NumPy kernels behind pullback's PRNG.

* ``pullback.lax._threefry_np``: threefry-2x32 keys / split / fold_in / random bits and the
  float32 uniform / normal samplers.
* ``pullback.lax._xla_math``: XLA:CPU float32 ``fma``, ``log``, ``log1p``, ``erf_inv``, ``exp``,
  ``tanh``.

The recorded known-answer values come from the reference notes
(``shared/reference/jax-numerics.md``, sections 1.2-1.9), which were measured on JAX/jaxlib
0.10.2; the Random123 block vectors are the published Threefry-2x32-20 known answers.  Tests that
compare against a live JAX are skipped when ``jax`` is not importable.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import pathlib
from fractions import Fraction

import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

_LAX_DIR = pathlib.Path(__file__).resolve().parents[1] / "src" / "pullback" / "lax"


def _load(name):
    """Import ``pullback.lax.<name>``; fall back to loading the file by path if the package's
    ``__init__`` (someone else's code) fails to import."""
    try:
        return importlib.import_module(f"pullback.lax.{name}")
    except Exception:  # pragma: no cover - temporary fallback
        spec = importlib.util.spec_from_file_location(f"_pullback_test_{name}",
                                                      _LAX_DIR / f"{name}.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod


xm = _load("_xla_math")
tf = _load("_threefry_np")

F32 = np.float32


def f32(values):
    """float32 array from decimal strings/floats (shortest repr round-trips exactly)."""
    return np.array(values, dtype=F32)


def assert_bits_equal(actual, expected):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    a = actual.reshape(-1)
    e = expected.reshape(-1)
    if np.issubdtype(a.dtype, np.floating):
        same = (a.view(np.uint32) == e.view(np.uint32)) | (np.isnan(a) & np.isnan(e))
    else:
        same = a == e
    if not same.all():
        bad = np.flatnonzero(~same)
        raise AssertionError(f"{bad.size}/{a.size} differ; first at {bad[:5]}: "
                             f"actual {a[bad[:5]]!r} expected {e[bad[:5]]!r}")


def key(seed):
    return tf.seed_to_key_data(seed)


# =============================================================================================
# threefry: known answers (jax-numerics.md section 1)
# =============================================================================================

@pytest.mark.parametrize("k, x, y", [
    ((0, 0), (0, 0), (0x6B200159, 0x99BA4EFE)),
    ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
    ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
])
def test_threefry_block_random123(k, x, y):
    y0, y1 = tf.threefry_block(np.uint32(k[0]), np.uint32(k[1]), np.uint32(x[0]), np.uint32(x[1]))
    assert (int(y0), int(y1)) == y
    assert y0.dtype == np.uint32 and y1.dtype == np.uint32


def test_threefry_block_vectorised_and_broadcast():
    ks = [(0, 0), (0xFFFFFFFF, 0xFFFFFFFF), (0x13198A2E, 0x03707344)]
    xs = [(0, 0), (0xFFFFFFFF, 0xFFFFFFFF), (0x243F6A88, 0x85A308D3)]
    k0, k1 = (np.array(v, np.uint32) for v in zip(*ks))
    x0, x1 = (np.array(v, np.uint32) for v in zip(*xs))
    y0, y1 = tf.threefry_block(k0, k1, x0, x1)
    assert y0.tolist() == [0x6B200159, 0x1CB996FC, 0xC4923A9C]
    assert y1.tolist() == [0x99BA4EFE, 0xBB002BE7, 0x483DF7A0]
    # scalar key broadcast against a 2-d counter array == elementwise calls
    c0 = np.arange(6, dtype=np.uint32).reshape(2, 3)
    c1 = c0 * np.uint32(7919)
    z0, z1 = tf.threefry_block(np.uint32(5), np.uint32(9), c0, c1)
    assert z0.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            w0, w1 = tf.threefry_block(5, 9, c0[i, j], c1[i, j])
            assert (int(w0), int(w1)) == (int(z0[i, j]), int(z1[i, j]))


def test_threefry_2x32_pairing_and_padding():
    k = np.array([3, 4], np.uint32)
    for n in (1, 2, 5, 6):
        c = np.arange(10, 10 + n, dtype=np.uint32)
        out = tf.threefry_2x32(k, c)
        cp = np.concatenate([c, np.zeros(n % 2, np.uint32)])
        h = cp.size // 2
        y0, y1 = tf.threefry_block(k[0], k[1], cp[:h], cp[h:])
        assert out.tolist() == np.concatenate([y0, y1])[:n].tolist()
    assert tf.threefry_2x32(k, np.arange(6, dtype=np.uint32).reshape(2, 3)).shape == (2, 3)
    assert tf.threefry_2x32(k, np.zeros((0,), np.uint32)).shape == (0,)


def test_seed_to_key_data():
    assert tf.seed_to_key_data(0).tolist() == [0, 0]
    assert tf.seed_to_key_data(0).dtype == np.uint32
    assert tf.seed_to_key_data(42).tolist() == [0, 42]
    assert tf.seed_to_key_data(-1).tolist() == [0, 4294967295]
    assert tf.seed_to_key_data(2 ** 32 + 5).tolist() == [0, 5]
    assert tf.seed_to_key_data(-1, x64=True).tolist() == [4294967295, 4294967295]
    assert tf.seed_to_key_data(2 ** 32 + 5, x64=True).tolist() == [1, 5]
    assert tf.seed_to_key_data(np.int32(7)).tolist() == [0, 7]
    with pytest.raises(OverflowError):
        tf.seed_to_key_data(2 ** 63)
    with pytest.raises(OverflowError):
        tf.seed_to_key_data(-2 ** 63 - 1)
    with pytest.raises(TypeError):
        tf.seed_to_key_data(1.5)


def test_split_known_answers():
    k = key(0)
    assert tf.split(k, 2).tolist() == [[4146024105, 967050713], [2718843009, 1272950319]]
    assert tf.split(k, 3).tolist() == [[2467461003, 428148500], [3186719485, 3840466878],
                                       [2562233961, 1946702221]]
    assert tf.split(k, 2, partitionable=True).tolist() == [[1797259609, 2579123966],
                                                           [928981903, 3453687069]]
    # partitionable split is prefix-stable, the original one is not
    assert tf.split(k, 3, True)[:2].tolist() == tf.split(k, 2, True).tolist()
    assert tf.split(k, 3)[:2].tolist() != tf.split(k, 2).tolist()
    for part in (False, True):
        s = tf.split(k, (2, 3), part)
        assert s.shape == (2, 3, 2) and s.dtype == np.uint32
        assert s.reshape(6, 2).tolist() == tf.split(k, 6, part).tolist()
        assert tf.split(k, (), part).shape == (2,)


def test_fold_in_known_answer():
    assert tf.fold_in(key(0), 7).tolist() == [2716826189, 292468403]
    assert tf.fold_in(key(0), np.uint32(7)).tolist() == [2716826189, 292468403]
    assert tf.fold_in(key(0), 7).dtype == np.uint32


def test_random_bits_layout():
    k = key(1234)
    for part in (False, True):
        for bw, dt in ((8, np.uint8), (16, np.uint16), (32, np.uint32), (64, np.uint64)):
            b = tf.random_bits(k, bw, (3, 5), part)
            assert b.shape == (3, 5) and b.dtype == dt
            assert tf.random_bits(k, bw, (), part).shape == ()
    # non-partitionable 8/16 bit: little-endian sub-words of the 32-bit words
    w = tf.threefry_2x32(k, np.arange(3, dtype=np.uint32))
    assert tf.random_bits(k, 8, (10,)).tolist() == w.view(np.uint8)[:10].tolist()
    w = tf.threefry_2x32(k, np.arange(5, dtype=np.uint32))
    assert tf.random_bits(k, 16, (9,)).tolist() == w.view(np.uint16)[:9].tolist()
    # non-partitionable 64 bit: high halves first
    w = tf.threefry_2x32(k, np.arange(8, dtype=np.uint32)).astype(np.uint64)
    assert tf.random_bits(k, 64, (4,)).tolist() == ((w[:4] << np.uint64(32)) | w[4:]).tolist()
    # partitionable: per-element counters (hi(i), lo(i))
    b0, b1 = tf.threefry_block(k[0], k[1], np.zeros(6, np.uint32), np.arange(6, dtype=np.uint32))
    assert tf.random_bits(k, 32, (2, 3), True).reshape(-1).tolist() == (b0 ^ b1).tolist()
    assert tf.random_bits(k, 16, (6,), True).tolist() == (b0 ^ b1).astype(np.uint16).tolist()
    assert tf.random_bits(k, 64, (6,), True).tolist() == (
        (b0.astype(np.uint64) << np.uint64(32)) | b1).tolist()
    with pytest.raises(ValueError):
        tf.random_bits(k, 12, (2,))


def test_uniform_known_answers():
    k = key(0)
    assert_bits_equal(tf.uniform_float32(tf.random_bits(k, 32, (4,))),
                      f32(["0.9653214", "0.22515893", "0.63302994", "0.29638183"]))
    assert_bits_equal(tf.uniform_float32(tf.random_bits(k, 32, (4,), True)),
                      f32(["0.947667", "0.9785799", "0.33229148", "0.46866846"]))


def test_uniform_range_and_fma():
    bits = tf.random_bits(key(3), 32, (10000,))
    f = ((bits >> np.uint32(9)) | np.uint32(0x3F800000)).view(F32) - F32(1)
    for lo, hi in ((-2.5, 3.7), (0.1, 0.3)):
        u = tf.uniform_float32(bits, lo, hi)
        span = F32(hi) - F32(lo)
        exact = [float(Fraction(float(a)) * Fraction(float(span)) + Fraction(float(F32(lo))))
                 for a in f[:200]]
        # fma result is the correctly rounded exact value (up to the max with minval)
        assert_bits_equal(u[:200], np.maximum(F32(lo), np.array(exact).astype(F32)))
        assert u.min() >= F32(lo) and u.max() < F32(hi)


def _tutorial_draws(partitionable):
    _, w_key, b_key = tf.split(key(0), 3, partitionable)
    w = tf.normal_float32(tf.random_bits(w_key, 32, (3,), partitionable))
    b = tf.normal_float32(tf.random_bits(b_key, 32, (), partitionable))
    return w, b


# The reference notes print the draws the way NumPy/JAX print arrays (8 decimals), which is not
# always the exact float32: 0.01144757 is really 0.011447566 (bits 0x3C3C8A92).  So each draw is
# checked twice: its printed text against the notes, and its exact bit pattern (recorded from JAX
# 0.10.2 on CPU, and re-checked against a live JAX in test_against_jax_uniform_normal).
_TUTORIAL = {
    False: ("[-0.36838785 -2.275689    0.01144757]", "0.8535516",
            [3200032085, 3222381795, 1010536082], 1062896220),
    True: ("[-2.4424558  -2.0356805   0.20554423]", "1.2956359",
           [3223081266, 3221375127, 1045592624], 1067833190),
}


@pytest.mark.parametrize("partitionable", [False, True])
def test_tutorial_normal_draws(partitionable):
    w_text, b_text, w_bits, b_bits = _TUTORIAL[partitionable]
    w, b = _tutorial_draws(partitionable)
    assert w.dtype == F32 and w.shape == (3,) and b.dtype == F32 and b.shape == ()
    assert np.array2string(w, precision=8, floatmode="maxprec") == w_text
    assert np.array2string(b, precision=8, floatmode="maxprec") == b_text
    assert w.view(np.uint32).tolist() == w_bits
    assert int(b.view(np.uint32)) == b_bits


def test_normal_range_and_accuracy():
    from scipy.special import erfinv
    # u = (2k - 2^23) 2^-23 + 2^-24 takes 2^23 values; sample every 997th plus both ends
    k = np.concatenate([np.arange(0, 2 ** 23, 997), [2 ** 23 - 1]]).astype(np.uint32)
    z = tf.normal_float32(k << np.uint32(9))
    u = (2.0 * k - 2 ** 23) * 2.0 ** -23 + 2.0 ** -24
    ref = np.sqrt(2) * erfinv(u)
    assert np.isfinite(z).all() and np.abs(z).max() < 5.5
    # erf_inv is ill-conditioned near |u| = 1 (w = -log1p(-u*u) cancels): ~6e-6 relative there
    assert (np.abs(z - ref) <= 1e-5 * np.abs(ref)).all()
    assert tf.normal_float32(np.uint32(0)).shape == ()
    assert float(tf.normal_float32(np.uint32(0))) == pytest.approx(np.sqrt(2) * erfinv(u[0]), 1e-6)


def test_normal_performance():
    import time
    bits = tf.random_bits(key(0), 32, (10 ** 6,))
    tf.normal_float32(bits[:1000])
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        tf.normal_float32(bits)
        best = min(best, time.perf_counter() - t0)
    assert best < 0.5, best


# =============================================================================================
# fma32 against exact rational arithmetic
# =============================================================================================

def _round_fraction_to_f32(q: Fraction) -> float:
    """Correctly rounded (ties-to-even) float32 value of a rational, with subnormals/overflow."""
    if q == 0:
        return 0.0
    sign = -1 if q < 0 else 1
    q = abs(q)
    e = q.numerator.bit_length() - q.denominator.bit_length()
    if Fraction(2) ** e > q:
        e -= 1
    # now 2^e <= q < 2^(e+1)
    e = max(e, -126)
    scale = Fraction(2) ** (e - 23)
    m = q / scale
    n = m.numerator // m.denominator
    rem = m - n
    if rem > Fraction(1, 2) or (rem == Fraction(1, 2) and n % 2 == 1):
        n += 1
    val = n * scale
    if val >= Fraction(2) ** 128:
        return sign * math.inf
    return sign * float(val)


def _check_fma_exact(a, b, c):
    a, b, c = (np.asarray(v, F32) for v in (a, b, c))
    got = xm.fma32(a, b, c)
    want = np.array([_round_fraction_to_f32(Fraction(float(x)) * Fraction(float(y))
                                            + Fraction(float(z)))
                     for x, y, z in zip(a, b, c)]).astype(F32)
    # compare values (the sign of an exact zero is checked separately)
    bad = ~((got == want) | (np.isnan(got) & np.isnan(want)))
    assert not bad.any(), (a[bad][:3], b[bad][:3], c[bad][:3], got[bad][:3], want[bad][:3])
    return got


def _random_f32(rng, n, emin, emax):
    mant = rng.integers(2 ** 23, 2 ** 24, n) / 2.0 ** 23
    exp = rng.integers(emin, emax + 1, n)
    sign = rng.choice([-1.0, 1.0], n)
    return (sign * np.ldexp(mant, exp)).astype(F32)


def test_fma32_random_exact():
    rng = np.random.default_rng(12345)
    n = 20000
    a = _random_f32(rng, n, -20, 20)
    b = _random_f32(rng, n, -20, 20)
    # c near a*b in magnitude (cancellation) or far from it
    c = np.where(rng.random(n) < 0.5, (-(a.astype(np.float64) * b)).astype(F32),
                 _random_f32(rng, n, -45, 45))
    c = np.where(rng.random(n) < 0.5, c * F32(1.0000001), c).astype(F32)
    _check_fma_exact(a, b, c)


def test_fma32_near_midpoint_adversarial():
    """a*b + c = float32 midpoint -/+ a tiny amount that float64 rounds away: naive
    ``float32(float64(a*b) + c)`` double-rounds these wrongly about half the time."""
    rng = np.random.default_rng(7)
    n = 4000
    c = _random_f32(rng, n, -30, 30)
    c_abs = np.abs(c)
    half_ulp = (np.spacing(c_abs) / 2).astype(np.float64)          # power of two
    i = rng.integers(1, 64, n).astype(np.float64)
    a = (half_ulp * (1 + i * 2.0 ** -23)).astype(F32)              # exact float32
    b = (1 - i * 2.0 ** -23).astype(F32)                           # exact float32
    # a*b = h - h*i^2*2^-46: just below the half ulp -> exact result just below the midpoint
    up = c_abs + F32(0) + (2 * half_ulp).astype(F32)               # next float32 above |c|
    below = _check_fma_exact(a, b, c_abs)
    assert_bits_equal(below, c_abs)                                  # rounds down to |c|
    above = _check_fma_exact(-a, b, up)                              # up - (h - tiny)
    assert_bits_equal(above, up)                                     # rounds up to `up`
    # mirror image for negative numbers
    _check_fma_exact(-a, b, -c_abs)
    _check_fma_exact(a, b, -up)
    # the naive double rounding really is wrong on a good fraction of these
    naive = (a.astype(np.float64) * b + c_abs).astype(F32)
    assert (naive != c_abs).mean() > 0.2


def test_fma32_subnormal_and_tiny_exact():
    rng = np.random.default_rng(99)
    n = 6000
    a = _random_f32(rng, n, -80, -60)
    b = _random_f32(rng, n, -80, -60)
    c = np.where(rng.random(n) < 0.7,
                 (rng.integers(-2 ** 12, 2 ** 12, n) * 2.0 ** -149).astype(F32),
                 _random_f32(rng, n, -130, -120))
    got = _check_fma_exact(a, b, c)
    assert (np.abs(got[got != 0]) < np.finfo(F32).tiny).any()   # subnormal results kept
    # subnormal-range midpoints: a*b = 2^-150 * (1 - 2^-46); with |c| near 2^-127 float64 rounds
    # c + a*b onto the midpoint c + 2^-150, so the exact answer needs the TwoSum repair
    a = np.full(16, 2.0 ** -75 * (1 + 2.0 ** -23), F32)
    b = np.full(16, 2.0 ** -75 * (1 - 2.0 ** -23), F32)
    c = ((2 ** 22 + np.arange(16)) * 2.0 ** -149).astype(F32)
    up = (c.astype(np.float64) + 2.0 ** -149).astype(F32)
    assert_bits_equal(_check_fma_exact(a, b, c), c)                # just below the midpoint
    assert_bits_equal(_check_fma_exact(-a, b, up), up)             # just above the midpoint
    assert ((a.astype(np.float64) * b + c).astype(F32) != c).any()  # naive double rounding fails
    a = np.full(8, 2.0 ** -75 * (1 + 2.0 ** -23), F32)             # small c: float64 is exact
    c = (np.arange(8) * 2.0 ** -149).astype(F32)
    assert_bits_equal(_check_fma_exact(a, b[:8], c), c)


def test_fma32_special_values_and_shapes():
    inf, nan = np.inf, np.nan
    got = xm.fma32(f32([inf, inf, 0, 1, 1, 3e38, 3e38, -3e38, 2]),
                   f32([1, 0, inf, nan, 1, 10, 1, 10, 3]),
                   f32([1, 1, 1, 1, -inf, 0, 3e38, 1, 1]))
    assert_bits_equal(got, f32([inf, nan, nan, nan, -inf, inf, inf, -inf, 7]))
    # overflow threshold: FLT_MAX + (half ulp - tiny) rounds down, not to inf
    fmax = np.finfo(F32).max
    h = F32(2.0 ** 103)
    assert xm.fma32(h * F32(1 + 2 ** -23), F32(1 - 2 ** -23), fmax) == fmax
    assert xm.fma32(h, F32(1.0), fmax) == F32(inf)
    # shapes, broadcasting, python scalars, 0-d
    r = xm.fma32(np.ones((2, 1), F32), np.arange(3, dtype=F32), 0.5)
    assert r.shape == (2, 3) and r.dtype == F32
    assert_bits_equal(r[1], f32([0.5, 1.5, 2.5]))
    z = xm.fma32(F32(2), F32(3), F32(1))
    assert np.asarray(z).shape == () and z == 7 and np.asarray(z).dtype == F32


# =============================================================================================
# log / log1p / erf_inv / exp / tanh: accuracy and special cases (no JAX needed)
# =============================================================================================

def _ulp_error(got, ref64):
    got64 = got.astype(np.float64)
    return np.abs(got64 - ref64) / np.spacing(np.abs(ref64).astype(F32)).astype(np.float64)


def test_log32_accuracy_and_specials():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(0, 4, 100000), np.exp(rng.uniform(-87, 88, 100000)),
                        1 + rng.uniform(-1e-3, 1e-3, 10000)]).astype(F32)
    x = x[x > 0]
    got = xm.log32(x)
    assert got.dtype == F32
    ref = np.log(x.astype(np.float64))
    ok = ref != 0
    assert _ulp_error(got[ok], ref[ok]).max() <= 2
    tiny = np.finfo(F32).tiny
    assert_bits_equal(xm.log32(f32([0, -0.0, 1e-40, -1e-40, 1, np.inf, -1, -np.inf, np.nan])),
                      f32([-np.inf, -np.inf, -np.inf, -np.inf, 0, np.inf, np.nan, np.nan, np.nan]))
    assert xm.log32(F32(tiny)) == F32(np.log(np.float64(tiny)))
    assert np.asarray(xm.log32(F32(2))).shape == ()


def test_log1p32_accuracy_and_specials():
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.uniform(-1, 1, 100000), rng.uniform(-0.45, 0.45, 100000),
                        np.exp(rng.uniform(-40, 40, 100000)) * rng.choice([-1, 1], 100000)])
    x = x[x > -1].astype(F32)
    x = x[x > F32(-1)]
    got = xm.log1p32(x)
    assert got.dtype == F32
    ref = np.log1p(x.astype(np.float64))
    ok = ref != 0
    err = _ulp_error(got[ok], ref[ok])
    near0 = np.abs(x[ok]) < F32(0.41421357)
    assert err[near0].max() <= 1.5                      # rational branch
    # log(1 + x) branch: rounding 1 + x costs up to ~2 ulp just above sqrt(2) - 1 (as in XLA)
    assert err[~near0].max() <= 2.5
    assert_bits_equal(xm.log1p32(f32([0, -0.0, 1e-40, -1e-40, -1, -2, np.inf, -np.inf, np.nan])),
                      f32([0, -0.0, 0, -0.0, -np.inf, np.nan, np.inf, np.nan, np.nan]))
    small = f32([1e-10, -1e-10, 1e-30, 3e-8])
    assert_bits_equal(xm.log1p32(small), small)


def test_erf_inv32_accuracy_and_specials():
    from scipy.special import erfinv
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-1, 1, 100000),
                        1 - np.exp(rng.uniform(-16, 0, 20000))]).astype(F32)
    x = x[np.abs(x) < 1]
    got = xm.erf_inv32(x)
    ref = erfinv(x.astype(np.float64))
    ok = ref != 0
    rel = np.abs(got[ok] - ref[ok]) / np.abs(ref[ok])
    inner = np.abs(x[ok]) < F32(0.99)
    assert rel[inner].max() < 5e-7
    # near |x| = 1, -log1p(-x*x) cancels: Giles' float32 formula is good to ~6e-6 there
    assert rel[~inner].max() < 1e-5
    assert_bits_equal(xm.erf_inv32(f32([0, -0.0, 1, -1, 1.5, -2, np.inf, np.nan, 1e-40])),
                      f32([0, -0.0, np.inf, -np.inf, np.nan, np.nan, np.nan, np.nan, 0]))


def test_exp32_and_tanh32_accuracy_and_specials():
    rng = np.random.default_rng(4)
    x = rng.uniform(-87, 88, 200000).astype(F32)
    got = xm.exp32(x)
    ref = np.exp(x.astype(np.float64))
    normal = ref > np.finfo(F32).tiny
    assert _ulp_error(got[normal], ref[normal]).max() <= 2
    assert (got[~normal] == 0).all()                              # flushed, never subnormal
    assert_bits_equal(xm.exp32(f32([0, np.inf, -np.inf, np.nan, -87.5, 89, 1e-40])),
                      f32([1, np.inf, 0, np.nan, 0, np.inf, 1]))
    x = np.concatenate([rng.uniform(-10, 10, 200000), rng.uniform(-0.01, 0.01, 10000)]).astype(F32)
    got = xm.tanh32(x)
    ref = np.tanh(x.astype(np.float64))
    ok = ref != 0
    assert _ulp_error(got[ok], ref[ok]).max() <= 5            # Eigen's rational tanh: ~4.3 ulp
    assert_bits_equal(xm.tanh32(f32([0, -0.0, 1e-40, 3e-4, 25, -25, np.inf, -np.inf, np.nan])),
                      f32([0, -0.0, 1e-40, 3e-4, 1, -1, 1, -1, np.nan]))


# =============================================================================================
# live comparison against JAX (skipped without jax)
# =============================================================================================

@pytest.fixture
def jax_mode():
    """Yield a setter for jax_threefry_partitionable; restore the config afterwards."""
    jax = pytest.importorskip("jax")
    old_part = jax.config.jax_threefry_partitionable
    old_x64 = jax.config.jax_enable_x64

    def set_mode(partitionable, x64=False):
        jax.config.update("jax_threefry_partitionable", partitionable)
        jax.config.update("jax_enable_x64", x64)
        return jax

    yield set_mode
    jax.config.update("jax_threefry_partitionable", old_part)
    jax.config.update("jax_enable_x64", old_x64)


SEEDS = [0, 1, 42, 2 ** 31 - 1, 123456789]
SHAPES = [(), (1,), (3,), (4,), (7,), (2, 3), (5, 4, 3), (1001,)]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("partitionable", [False, True])
def test_against_jax_keys_and_bits(jax_mode, partitionable):
    jax = jax_mode(partitionable)
    jr = jax.random
    for seed in SEEDS + [-1, 2 ** 32 + 5]:
        k = jr.key(seed)
        kd = tf.seed_to_key_data(seed)
        assert np.asarray(jr.key_data(k)).tolist() == kd.tolist()
        for num in (2, 3, (2, 3)):
            assert_bits_equal(tf.split(kd, num, partitionable), np.asarray(jr.key_data(jr.split(k, num))))
        for data in (0, 7, 2 ** 32 - 1):
            assert_bits_equal(tf.fold_in(kd, data), np.asarray(jr.key_data(jr.fold_in(k, data))))
        for shape in SHAPES:
            for dt, bw in (("uint8", 8), ("uint16", 16), ("uint32", 32)):
                assert_bits_equal(tf.random_bits(kd, bw, shape, partitionable),
                                  np.asarray(jr.bits(k, shape, dt)))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("partitionable", [False, True])
def test_against_jax_x64(jax_mode, partitionable):
    jax = jax_mode(partitionable, x64=True)
    jr = jax.random
    for seed in (0, -1, 2 ** 32 + 5, 2 ** 62 + 12345):
        k = jr.key(seed)
        kd = tf.seed_to_key_data(seed, x64=True)
        assert np.asarray(jr.key_data(k)).tolist() == kd.tolist()
        for shape in ((), (3,), (2, 5)):
            assert_bits_equal(tf.random_bits(kd, 64, shape, partitionable),
                              np.asarray(jr.bits(k, shape, "uint64")))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("partitionable", [False, True])
def test_against_jax_uniform_normal(jax_mode, partitionable):
    jax = jax_mode(partitionable)
    jr = jax.random
    for seed in SEEDS:
        k = jr.key(seed)
        kd = tf.seed_to_key_data(seed)
        for shape in SHAPES:
            bits = tf.random_bits(kd, 32, shape, partitionable)
            assert_bits_equal(tf.uniform_float32(bits), np.asarray(jr.uniform(k, shape)))
            assert_bits_equal(tf.normal_float32(bits), np.asarray(jr.normal(k, shape)))
            for lo, hi in ((-2.5, 3.7), (0.1, 0.3), (-1e-3, 5.0)):
                assert_bits_equal(tf.uniform_float32(bits, lo, hi),
                                  np.asarray(jr.uniform(k, shape, minval=lo, maxval=hi)))
    # a large draw, and the tutorial draws through live JAX
    k = jr.key(2024)
    bits = tf.random_bits(tf.seed_to_key_data(2024), 32, (200000,), partitionable)
    assert_bits_equal(tf.normal_float32(bits), np.asarray(jr.normal(k, (200000,))))
    _, wk, bk = jr.split(jr.key(0), 3)
    w, b = _tutorial_draws(partitionable)
    assert_bits_equal(w, np.asarray(jr.normal(wk, (3,))))
    assert_bits_equal(b, np.asarray(jr.normal(bk, ())))


def _jax_float_inputs(n=100000, seed=0):
    rng = np.random.default_rng(seed)
    m = n // 4
    return np.concatenate([
        rng.uniform(-1, 1, m).astype(F32),
        rng.uniform(-0.5, 0.5, m).astype(F32),
        (np.exp(rng.uniform(-30, 30, m)) * rng.choice([-1, 1], m)).astype(F32),
        rng.integers(0, 2 ** 32, n - 3 * m, dtype=np.uint64).astype(np.uint32).view(F32),
    ])


@pytest.mark.parametrize("name", ["log1p", "erf_inv", "log", "exp", "tanh"])
def test_against_jax_lax_functions(jax_mode, name):
    jax = jax_mode(False)
    x = _jax_float_inputs()
    if name == "erf_inv":
        x = np.concatenate([x, (1 - np.exp(np.random.default_rng(5).uniform(-17, 0, 20000))
                                ).astype(F32)])
    if name == "exp":
        x = np.concatenate([x, np.random.default_rng(6).uniform(-90, 90, 20000).astype(F32)])
    ours = {"log1p": xm.log1p32, "erf_inv": xm.erf_inv32, "log": xm.log32,
            "exp": xm.exp32, "tanh": xm.tanh32}[name]
    theirs = getattr(jax.lax, name)
    assert_bits_equal(ours(x), np.asarray(theirs(x)))


@pytest.mark.slow
def test_against_jax_all_normal_values(jax_mode):
    """All 2^23 possible float32 normals (u takes only 2^23 values) vs JAX's erf_inv."""
    jax = jax_mode(False)
    import jax.numpy as jnp
    k = np.arange(2 ** 23, dtype=np.uint32)
    ours = tf.normal_float32(k << np.uint32(9))
    u = tf.uniform_float32(k << np.uint32(9), np.nextafter(F32(-1), F32(0)), F32(1))
    theirs = jax.jit(lambda v: jnp.float32(np.sqrt(2)) * jax.lax.erf_inv(v))(u)
    assert_bits_equal(ours, np.asarray(theirs))
