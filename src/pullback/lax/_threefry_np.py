"""Pure-NumPy threefry-2x32 PRNG, bit-identical to JAX 0.10.2's default ``threefry2x32`` impl.

Everything works on raw *key data*: a ``uint32`` array of shape ``(2,)`` (what
``jax.random.key_data(key)`` / ``jax.random.PRNGKey(seed)`` hold).  The algorithms follow
``shared/reference/jax-numerics.md`` section 1:

* :func:`threefry_block`    -- the 20-round Threefry-2x32 block function (section 1.2).
* :func:`threefry_2x32`     -- hash a counter array with one key, halves paired (section 1.3).
* :func:`seed_to_key_data`  -- ``random.key(seed)`` / ``random.PRNGKey(seed)`` (section 1.1).
* :func:`split`, :func:`fold_in`, :func:`random_bits` -- both ``jax_threefry_partitionable``
  modes (sections 1.4-1.6).  JAX 0.10.2 defaults to ``partitionable=True``; the tutorial's
  numbers come from ``partitionable=False``.  The mode is an explicit argument here.
* :func:`uniform_float32`, :func:`normal_float32` -- turn 32-bit words into
  ``random.uniform`` / ``random.normal`` float32 samples (sections 1.7-1.8), using the XLA:CPU
  float32 kernels in :mod:`._xla_math` so the samples match JAX bit for bit.

uint32 arithmetic wraps modulo 2^32 (array ops do so silently; the kernels also run under
``np.errstate(over="ignore")`` so 0-d / scalar operands never warn).
"""

from __future__ import annotations

import math
import operator

import numpy as np

try:  # normal package import
    from ._xla_math import erf_inv32, fma32
except ImportError:  # loaded by file path (tests' fallback): import the sibling by path too
    import importlib.util as _ilu
    import os as _os

    _spec = _ilu.spec_from_file_location(
        "_pullback_xla_math_fallback",
        _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "_xla_math.py"))
    _xm = _ilu.module_from_spec(_spec)
    _spec.loader.exec_module(_xm)
    erf_inv32, fma32 = _xm.erf_inv32, _xm.fma32

__all__ = [
    "threefry_block", "threefry_2x32", "seed_to_key_data", "split", "fold_in", "random_bits",
    "uniform_float32", "normal_float32",
]

_U32 = np.uint32
_MASK32 = 0xFFFFFFFF
_PARITY = _U32(0x1BD11BDA)
_ROT = ((13, 15, 26, 6), (17, 29, 16, 24))
_UINT_DTYPES = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}
_MAX_WORDS = 2 ** 32 - 1


def _u32(x):
    return np.asarray(x, dtype=_U32)


def _key(key_data):
    kd = np.asarray(key_data)
    if kd.shape != (2,):
        raise ValueError(f"threefry key data must have shape (2,), got {kd.shape}")
    if kd.dtype != np.uint32:
        kd = kd.astype(np.uint32)
    return kd


def _shape_tuple(shape):
    if isinstance(shape, (int, np.integer)):
        return (operator.index(shape),)
    return tuple(operator.index(d) for d in shape)


# ---------------------------------------------------------------------------------------------
# the block function and the counter hash
# ---------------------------------------------------------------------------------------------

def threefry_block(k0, k1, x0, x1):
    """Threefry-2x32 with 20 rounds on uint32 arrays (broadcast together).

    Key schedule ``(k0, k1, k0 ^ k1 ^ 0x1BD11BDA)``, rotations ``(13, 15, 26, 6)`` /
    ``(17, 29, 16, 24)`` alternating per group of 4 rounds, key injection after every group.
    Returns ``(y0, y1)`` as uint32 arrays of the broadcast shape.
    """
    k0, k1, x0, x1 = _u32(k0), _u32(k1), _u32(x0), _u32(x1)
    shape = np.broadcast_shapes(k0.shape, k1.shape, x0.shape, x1.shape)
    if int(np.prod(shape, dtype=np.int64)) <= _SMALL:
        return _threefry_block_small(k0, k1, x0, x1, shape)
    ks = (k0, k1, k0 ^ k1 ^ _PARITY)
    with np.errstate(over="ignore"):
        y0 = np.add(x0, ks[0], out=np.empty(shape, dtype=_U32))   # fresh full-shape arrays,
        y1 = np.add(x1, ks[1], out=np.empty(shape, dtype=_U32))   # updated in place below
        tmp = np.empty(shape, dtype=_U32)
        for g in range(5):
            for r in _ROT[g % 2]:
                y0 += y1
                np.left_shift(y1, _U32(r), out=tmp)
                y1 >>= _U32(32 - r)
                y1 |= tmp
                y1 ^= y0
            y0 += ks[(g + 1) % 3]
            y1 += ks[(g + 2) % 3]
            y1 += _U32(g + 1)
    return y0, y1


# A few blocks (one key split, a handful of random bits) are faster with Python ints than
# with a hundred NumPy calls on tiny arrays.
_SMALL = 4
_MASK = 0xFFFFFFFF


def _threefry_block_small(k0, k1, x0, x1, shape):
    ks_all = [np.broadcast_to(a, shape).ravel().tolist() for a in (k0, k1, x0, x1)]
    outs0, outs1 = [], []
    for a, b, v0, v1 in zip(*ks_all):
        ks = (a, b, a ^ b ^ 0x1BD11BDA)
        y0 = (v0 + ks[0]) & _MASK
        y1 = (v1 + ks[1]) & _MASK
        for g in range(5):
            for r in _ROT[g % 2]:
                r = int(r)
                y0 = (y0 + y1) & _MASK
                y1 = ((y1 << r) | (y1 >> (32 - r))) & _MASK
                y1 ^= y0
            y0 = (y0 + ks[(g + 1) % 3]) & _MASK
            y1 = (y1 + ks[(g + 2) % 3] + g + 1) & _MASK
        outs0.append(y0)
        outs1.append(y1)
    return (np.array(outs0, dtype=_U32).reshape(shape),
            np.array(outs1, dtype=_U32).reshape(shape))


def threefry_2x32(key_data, counts):
    """Hash a uint32 counter array with one key (JAX's ``threefry_2x32(key, count)``).

    The flattened counters (padded with one 0 when their number is odd) are split into halves
    ``A, B``; pair ``(A[i], B[i])`` goes through :func:`threefry_block`, and the output is
    ``concat(y0, y1)`` without the padding, reshaped to ``counts.shape``.
    """
    k = _key(key_data)
    counts = _u32(counts)
    shape = counts.shape
    c = counts.reshape(-1)
    n = c.size
    if n == 0:
        return np.zeros(shape, dtype=_U32)
    odd = n % 2
    if odd:
        c = np.concatenate([c, np.zeros(1, dtype=_U32)])
    h = c.size // 2
    y0, y1 = threefry_block(k[0], k[1], c[:h], c[h:])
    out = np.concatenate([y0, y1])
    if odd:
        out = out[:-1]
    return out.reshape(shape)


# ---------------------------------------------------------------------------------------------
# keys
# ---------------------------------------------------------------------------------------------

def seed_to_key_data(seed, x64=False):
    """Key data of ``jax.random.key(seed)`` / ``PRNGKey(seed)``: ``[seed >> 32, seed & 0xFFFFFFFF]``.

    A Python int must fit in int64 (else ``OverflowError``, as in JAX).  With x64 disabled (JAX's
    default) the seed is first canonicalized to 32 bits, so it wraps mod 2^32 and the high word
    is 0 (``key(-1)`` -> ``[0, 4294967295]``); with ``x64=True`` the full 64-bit value is used
    (``key(-1)`` -> ``[4294967295, 4294967295]``).
    """
    if isinstance(seed, (bool, np.bool_)) or (
            isinstance(seed, np.ndarray) and seed.dtype == np.bool_):
        raise TypeError(f"PRNG seed must be an integer, got {type(seed).__name__}")
    if isinstance(seed, np.ndarray):
        if seed.shape != ():
            raise TypeError(f"PRNG seed must be a scalar, got shape {seed.shape}")
        if not np.issubdtype(seed.dtype, np.integer):
            raise TypeError(f"PRNG seed must be an integer, got dtype {seed.dtype}")
        seed = seed[()]
    unsigned = isinstance(seed, np.unsignedinteger)
    try:
        value = operator.index(seed)
    except TypeError:
        raise TypeError(f"PRNG seed must be an integer, got {type(seed).__name__}") from None
    if not unsigned and not (-2 ** 63 <= value < 2 ** 63):
        raise OverflowError(f"Python int {value} too large to convert to int64")
    if not x64:
        return np.array([0, value & _MASK32], dtype=_U32)
    return np.array([(value >> 32) & _MASK32, value & _MASK32], dtype=_U32)


def _index_counters(n):
    """(hi, lo) 32-bit halves of the row-major indices 0..n-1 (``prng.iota_2x32_shape``)."""
    if n <= _MASK32 + 1:
        return np.zeros(n, dtype=_U32), np.arange(n, dtype=_U32)
    i = np.arange(n, dtype=np.uint64)
    return (i >> np.uint64(32)).astype(_U32), (i & np.uint64(_MASK32)).astype(_U32)


def split(key_data, shape=2, partitionable=False):
    """``jax.random.split(key, shape)`` on key data; returns uint32 of shape ``(*shape, 2)``.

    ``partitionable=False`` (``_threefry_split_original``): hash ``iota(2n)`` with
    :func:`threefry_2x32` and reshape.  ``partitionable=True`` (``_threefry_split_foldlike``):
    new key ``i`` is the block output for counter ``(hi(i), lo(i))``.
    """
    k = _key(key_data)
    shape = _shape_tuple(shape)
    n = math.prod(shape)
    if not partitionable:
        if 2 * n > _MASK32 + 1:
            raise ValueError(f"split into {n} keys is too large")
        return threefry_2x32(k, np.arange(2 * n, dtype=_U32)).reshape(*shape, 2)
    hi, lo = _index_counters(n)
    y0, y1 = threefry_block(k[0], k[1], hi, lo)
    return np.stack([y0, y1], axis=-1).reshape(*shape, 2)


def fold_in(key_data, data):
    """``jax.random.fold_in(key, data)`` (same in both modes): block output for ``(0, data)``.

    ``data`` must be a scalar that fits uint32 (``np.asarray(data, 'uint32')`` rules, as JAX).
    """
    k = _key(key_data)
    d = np.asarray(data, dtype=_U32)
    if d.shape != ():
        raise TypeError(f"fold_in data must be a scalar, got shape {d.shape}")
    return threefry_2x32(k, np.array([0, d], dtype=_U32))


def random_bits(key_data, bit_width=32, shape=(), partitionable=False):
    """``jax.random.bits``-style raw words: unsigned ints of ``bit_width`` in (8, 16, 32, 64).

    Non-partitionable (``_threefry_random_bits_original``): ``ceil(bit_width*n/32)`` words from
    ``threefry_2x32(key, iota)``; 8/16-bit values are the sub-words of each word, least
    significant first; 64-bit values take their high halves from the first half of the words
    and low halves from the second half.  Partitionable: block ``(b0, b1)`` for the counter
    ``(hi(i), lo(i))`` of each element index ``i``; 32-bit is ``b0 ^ b1``, 8/16-bit its low bits,
    64-bit ``(b0 << 32) | b1``.
    """
    if bit_width not in _UINT_DTYPES:
        raise ValueError(f"bit_width must be 8, 16, 32 or 64, got {bit_width}")
    k = _key(key_data)
    shape = _shape_tuple(shape)
    dtype = _UINT_DTYPES[bit_width]
    n = math.prod(shape)
    if partitionable:
        hi, lo = _index_counters(n)
        b0, b1 = threefry_block(k[0], k[1], hi, lo)
        if bit_width == 64:
            out = (b0.astype(np.uint64) << np.uint64(32)) | b1.astype(np.uint64)
        else:
            out = (b0 ^ b1).astype(dtype)       # low bits for 8/16
        return out.reshape(shape)
    max_count = -(-bit_width * n // 32)
    if max_count >= _MAX_WORDS:
        raise NotImplementedError(
            "non-partitionable draws of 2^32-1 or more 32-bit words are not supported")
    words = threefry_2x32(k, np.arange(max_count, dtype=_U32))
    if bit_width == 32:
        return words.reshape(shape)
    if bit_width == 64:
        hi, lo = words[:n].astype(np.uint64), words[n:].astype(np.uint64)
        return ((hi << np.uint64(32)) | lo).reshape(shape)
    per = 32 // bit_width
    shifts = (np.arange(per, dtype=_U32) * _U32(bit_width))
    sub = (words[:, None] >> shifts[None, :]).astype(dtype)   # astype keeps the low bits
    return sub.reshape(-1)[:n].reshape(shape)


# ---------------------------------------------------------------------------------------------
# float32 samplers (reference implementations, used by tests and by pullback.random)
# ---------------------------------------------------------------------------------------------

_LO_NORMAL = np.nextafter(np.float32(-1.0), np.float32(0.0))  # -0.99999994
_SQRT2 = np.float32(np.sqrt(2.0))                             # 1.4142135


def uniform_float32(bits, minval=0.0, maxval=1.0):
    """``jax.random.uniform`` float32 samples from 32-bit words ``bits``.

    Mantissa trick ``f = bitcast((bits >> 9) | 0x3F800000) - 1`` (exact, ``f = k * 2^-23``), then
    ``max(minval, fma(f, maxval - minval, minval))`` with ``maxval - minval`` rounded to float32
    first: XLA:CPU contracts the multiply-add into one FMA, which is required for bit-exactness
    with a custom range.  ``minval``/``maxval`` broadcast against ``bits``.
    """
    bits = _u32(bits)
    minval = np.asarray(minval, dtype=np.float32)
    maxval = np.asarray(maxval, dtype=np.float32)
    f = ((bits >> _U32(9)) | _U32(0x3F800000)).view(np.float32) - np.float32(1.0)
    with np.errstate(all="ignore"):
        out = fma32(f, maxval - minval, minval)
        out = np.maximum(minval, out)
    return np.asarray(out, dtype=np.float32).reshape(np.broadcast_shapes(
        bits.shape, minval.shape, maxval.shape))


def normal_float32(bits):
    """``jax.random.normal`` float32 samples from 32-bit words ``bits``.

    ``u = uniform(bits, nextafter(-1, 0), 1)`` (exactly ``max(lo, fma(f, 2, lo))`` since
    ``1 - lo`` rounds to 2), then ``float32(sqrt 2) * erf_inv32(u)`` with XLA:CPU's ``erf_inv``.
    """
    u = uniform_float32(bits, _LO_NORMAL, np.float32(1.0))
    return np.asarray(_SQRT2 * erf_inv32(u), dtype=np.float32)
