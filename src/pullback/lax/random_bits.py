"""Random-bit primitives: the threefry-2x32 block function and the key operations built on it.

Keys travel through every transformation as their *key data*: ``uint32`` arrays whose last
axis (of size 2) holds the two key words, with any leading axes being a batch of keys.  Each
key operation is one primitive over that data, so ``jit`` records one equation and ``vmap``
just moves the batch axis in front (the NumPy kernels hash a whole batch of keys at once):

* ``threefry2x32(k0, k1, x0, x1)``: the 20-round block function on uint32 arrays that
  broadcast together; two outputs.
* ``random_seed(seeds)``: int seeds ``(*S)`` -> key data ``(*S, 2)`` (``random.key``).
* ``random_split(keys, shape)``: ``(*B, 2)`` -> ``(*B, *shape, 2)``.
* ``random_fold_in(keys, msgs)``: new keys from uint32 messages (broadcast against the keys).
* ``random_bits(keys, bit_width, shape)``: ``(*B, 2)`` -> unsigned ``(*B, *shape)``.
* ``bitcast_convert_type(x, new_dtype)``: reinterpret the bits (how ``random.uniform`` turns
  words into floats in [1, 2));
* ``fma(a, b, c)``: ``a * b + c`` with one rounding, the fused multiply-add XLA:CPU uses in
  ``random.uniform``; without it samples on a custom range differ from JAX in the last bit.

Split and bits read ``pullback.config.jax_threefry_partitionable`` when they are called and
record it as the static ``partitionable`` parameter (``False``, JAX's original scheme, is what
reproduces the seed's numbers).  The streams are those of JAX 0.10.2 bit for bit; the
algorithms are described in ``shared/reference/jax-numerics.md`` section 1.

    >>> import numpy as np
    >>> y0, y1 = threefry2x32(np.uint32(0), np.uint32(0), np.uint32(0), np.uint32(0))
    >>> hex(int(y0)), hex(int(y1))
    ('0x6b200159', '0x99ba4efe')

None of these functions is differentiable in a meaningful way: their tangents are zero.
"""
import math
import operator

import numpy as np

from .. import dtypes
from ..config import config
from .._core.avals import ShapedArray
from .._core.core import Primitive, registry
from .._core.rules import defjvp, defjvp_zero, not_mapped
from ._threefry_np import threefry_block
from ._util import bdim_at_front, broadcast_shapes, moveaxis_to_front, shape_of
from ._xla_math import fma32
from .elementwise import FLOAT, elementwise, mul

__all__ = ['threefry2x32', 'random_seed', 'random_split', 'random_fold_in']

_U32 = np.dtype(np.uint32)
_UINT = {8: np.dtype(np.uint8), 16: np.dtype(np.uint16), 32: _U32, 64: np.dtype(np.uint64)}
_MASK32 = 0xFFFFFFFF
_MAX_WORDS = 2 ** 32 - 1  # the non-partitionable counter hash numbers words with uint32


def _random_primitive(name, impl, abstract_eval, batch, multiple_results=False):
    """Declare a key primitive: integer outputs, zero tangents, ``impl`` called by jit."""
    prim = Primitive(name, multiple_results=multiple_results)
    prim.impl = impl
    prim.abstract_eval = abstract_eval
    prim.batch = batch
    prim.codegen = None  # generated code calls the (already vectorised) impl
    defjvp_zero(prim)
    return prim


def _check_key_data(name, aval):
    if aval.dtype != _U32 or aval.ndim < 1 or aval.shape[-1] != 2:
        raise TypeError(f"{name}: key data must be a uint32 array whose last axis has size 2 "
                        f"(one threefry key per row), got {aval.dtype.name}{list(aval.shape)}")


def _words(keys):
    """The two key words of key data ``(*B, 2)`` as ``(*B, 1)`` arrays (broadcast over
    counters along a new last axis)."""
    keys = np.asarray(keys, _U32)
    return keys[..., 0:1], keys[..., 1:2]


# --- threefry2x32: the block function --------------------------------------------------------

def _threefry_abstract_eval(k0, k1, x0, x1):
    for what, a in (('k0', k0), ('k1', k1), ('x0', x0), ('x1', x1)):
        if a.dtype != _U32:
            raise TypeError(f"threefry2x32: every operand must be uint32, got {a.dtype.name} "
                            f"for {what} (operands: {k0.dtype.name}{list(k0.shape)}, "
                            f"{k1.dtype.name}{list(k1.shape)}, {x0.dtype.name}{list(x0.shape)}, "
                            f"{x1.dtype.name}{list(x1.shape)})")
    shape = broadcast_shapes('threefry2x32', k0.shape, k1.shape, x0.shape, x1.shape)
    return [ShapedArray(shape, _U32), ShapedArray(shape, _U32)]


def _threefry_impl(k0, k1, x0, x1):
    return list(threefry_block(k0, k1, x0, x1))


def _threefry_batch(axis, vals, dims):
    # elementwise with NumPy broadcasting: put every batch axis in front and give unbatched
    # operands a leading axis of size 1 only where their rank would misalign
    ranks = [len(shape_of(v)) - (d is not not_mapped) for v, d in zip(vals, dims)]
    rank = max(ranks)
    out = []
    from .shapes import reshape
    for v, d, r in zip(vals, dims, ranks):
        if d is not_mapped:
            out.append(v)
            continue
        v = moveaxis_to_front(v, d)
        if r < rank:
            s = tuple(shape_of(v))
            v = reshape(v, s[:1] + (1,) * (rank - r) + s[1:])
        out.append(v)
    return threefry2x32_p.bind(*out), [0, 0]


threefry2x32_p = _random_primitive('threefry2x32', _threefry_impl, _threefry_abstract_eval,
                                   _threefry_batch, multiple_results=True)


def threefry2x32(k0, k1, x0, x1):
    """The threefry-2x32 block function (20 rounds) on uint32 arrays that broadcast together.

    Returns the two output words ``[y0, y1]``.

    >>> import pullback.numpy as jnp
    >>> threefry2x32(jnp.uint32(0), jnp.uint32(0), jnp.uint32(0), jnp.uint32(0))[0]
    Array(1797259609, dtype=uint32)
    """
    return threefry2x32_p.bind(k0, k1, x0, x1)


# --- the counter layouts of the two threefry modes ---------------------------------------------

def _hash_iota(keys, count):
    """JAX's original counter hash of ``iota(count)`` under a batch of keys: ``(*B, count)``.

    The counters (padded with one 0 to an even number) are cut in two halves ``A, B``; pair
    ``(A[i], B[i])`` gives the words ``i`` and ``i + half`` of the result.
    """
    k0, k1 = _words(keys)
    half = (count + 1) // 2
    c = np.arange(2 * half, dtype=_U32)
    c[count:] = 0  # the padding counter is 0, not ``count``
    y0, y1 = threefry_block(k0, k1, c[:half], c[half:])
    return np.concatenate([y0, y1], axis=-1)[..., :count]


def _index_words(keys, n):
    """The partitionable scheme: the block under each key for counters ``(hi(i), lo(i))``,
    ``i`` the row-major index ``0..n-1``; two ``(*B, n)`` arrays."""
    k0, k1 = _words(keys)
    if n <= _MASK32 + 1:
        hi, lo = np.zeros(n, _U32), np.arange(n, dtype=_U32)
    else:  # more than 2^32 elements: the high word counts too
        i = np.arange(n, dtype=np.uint64)
        hi, lo = (i >> np.uint64(32)).astype(_U32), (i & np.uint64(_MASK32)).astype(_U32)
    return threefry_block(k0, k1, hi, lo)


def _keys_batch(prim, **extra):
    """Batching for primitives whose first operand is key data ``(*B, 2)``: the batch axis
    becomes a leading key axis (key data never has the batch axis last: it is the key word
    axis)."""
    def batch(axis, vals, dims, **params):
        if len(vals) == 1:
            return prim.bind(moveaxis_to_front(vals[0], dims[0]), **params), 0
        vals = [bdim_at_front(v, d, axis.size) for v, d in zip(vals, dims)]
        return prim.bind(*vals, **params), 0
    return batch


# --- random_seed -------------------------------------------------------------------------------

def _seed_impl(seeds):
    seeds = np.asarray(seeds)
    shape = seeds.shape + (2,)
    out = np.empty(shape, _U32)
    if seeds.dtype.itemsize == 8:  # x64: the high word is the upper half of the 64-bit seed
        s = seeds.astype(np.uint64)  # two's complement reinterpretation for negative seeds
        out[..., 0] = (s >> np.uint64(32)).astype(_U32)
        out[..., 1] = (s & np.uint64(_MASK32)).astype(_U32)
    else:  # 32-bit seeds: negative ones wrap to their two's complement bits
        out[..., 0] = 0
        out[..., 1] = seeds.astype(_U32)
    return out


def _seed_abstract_eval(seeds):
    if seeds.dtype.kind not in 'iu':
        raise TypeError(f"random_seed: seeds must be integers, got {seeds.dtype.name}"
                        f"{list(seeds.shape)}")
    return ShapedArray(seeds.shape + (2,), _U32)


random_seed_p = _random_primitive('random_seed', _seed_impl, _seed_abstract_eval, None)
random_seed_p.batch = lambda axis, vals, dims: (random_seed_p.bind(vals[0]), dims[0])


def random_seed(seeds):
    """Key data ``[seed >> 32, seed & 0xFFFFFFFF]`` (uint32, new last axis of size 2) for
    integer seeds; with x64 off seeds are 32-bit, so the high word is 0.

    >>> random_seed(jnp.int32(7))
    Array([0, 7], dtype=uint32)
    """
    return random_seed_p.bind(seeds)


# --- random_split ------------------------------------------------------------------------------

def _split_impl(keys, shape, partitionable):
    batch = keys.shape[:-1]
    n = math.prod(shape)
    if partitionable:
        y0, y1 = _index_words(keys, n)
        out = np.stack([y0, y1], axis=-1)
    else:
        if 2 * n > _MASK32 + 1:
            raise ValueError(f"random_split: {n} keys are too many for the original threefry "
                             f"split (at most 2^31)")
        out = _hash_iota(keys, 2 * n)
    return out.reshape(batch + tuple(shape) + (2,))


def _split_abstract_eval(keys, shape, partitionable):
    _check_key_data('random_split', keys)
    return ShapedArray(keys.shape[:-1] + tuple(shape) + (2,), _U32)


random_split_p = _random_primitive('random_split', _split_impl, _split_abstract_eval, None)
random_split_p.batch = _keys_batch(random_split_p)


def _shape_tuple(name, shape):
    try:
        shape = (operator.index(shape),) if not isinstance(shape, (tuple, list)) else \
            tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(f"{name}: shape must be an int or a tuple of ints, got {shape!r}") \
            from None
    if any(s < 0 for s in shape):
        raise ValueError(f"{name}: shape {shape} has a negative dimension")
    return shape


def random_split(keys, shape=(2,)):
    """Split key data ``(*B, 2)`` into ``(*B, *shape, 2)`` new keys (both threefry modes)."""
    return random_split_p.bind(keys, shape=_shape_tuple('random_split', shape),
                               partitionable=bool(config.jax_threefry_partitionable))


# --- random_fold_in ----------------------------------------------------------------------------

def _fold_in_impl(keys, msgs):
    # the counter pair (0, msg) under each key: the same in both threefry modes
    keys = np.asarray(keys, _U32)
    msgs = np.asarray(msgs, _U32)
    y0, y1 = threefry_block(keys[..., 0], keys[..., 1], np.zeros((), _U32), msgs)
    return np.stack([y0, y1], axis=-1)


def _fold_in_abstract_eval(keys, msgs):
    _check_key_data('random_fold_in', keys)
    if msgs.dtype != _U32:
        raise TypeError(f"random_fold_in: the data must be uint32, got {msgs.dtype.name}")
    shape = broadcast_shapes('random_fold_in', keys.shape[:-1], msgs.shape)
    return ShapedArray(shape + (2,), _U32)


random_fold_in_p = _random_primitive('random_fold_in', _fold_in_impl, _fold_in_abstract_eval,
                                     None)


def _fold_in_batch(axis, vals, dims):
    keys, msgs = vals
    kd, md = dims
    keys = bdim_at_front(keys, kd, axis.size)
    if md is not_mapped:
        # the unbatched messages broadcast against the key axes after the batch axis
        return random_fold_in_p.bind(keys, msgs), 0
    msgs = moveaxis_to_front(msgs, md)
    # align the messages' batch axis with the keys' leading axis
    from .shapes import reshape
    extra = len(shape_of(keys)) - 1 - len(shape_of(msgs))
    if extra > 0:
        s = tuple(shape_of(msgs))
        msgs = reshape(msgs, s[:1] + (1,) * extra + s[1:])
    elif extra < 0:
        s = tuple(shape_of(keys))
        keys = reshape(keys, s[:1] + (1,) * (-extra) + s[1:])
    return random_fold_in_p.bind(keys, msgs), 0


random_fold_in_p.batch = _fold_in_batch


def random_fold_in(keys, msgs):
    """New keys from key data ``(*B, 2)`` and uint32 messages (broadcast against ``B``)."""
    return random_fold_in_p.bind(keys, msgs)


# --- random_bits -------------------------------------------------------------------------------

def _bits_impl(keys, bit_width, shape, partitionable):
    keys = np.asarray(keys, _U32)
    batch = keys.shape[:-1]
    n = math.prod(shape)
    dtype = _UINT[bit_width]
    if partitionable:
        b0, b1 = _index_words(keys, n)
        if bit_width == 64:
            out = (b0.astype(np.uint64) << np.uint64(32)) | b1.astype(np.uint64)
        else:
            out = (b0 ^ b1).astype(dtype)  # 8/16 bits: the low bits
        return out.reshape(batch + shape)
    count = -(-bit_width * n // 32)
    if count >= _MAX_WORDS:
        raise NotImplementedError(f"random_bits: {count} words of 32 bits from one key are more "
                                  f"than the original threefry scheme supports; set "
                                  f"jax_threefry_partitionable=True")
    words = _hash_iota(keys, count)
    if bit_width == 32:
        out = words
    elif bit_width == 64:  # high halves from the first half of the words, low from the second
        w = words.astype(np.uint64)
        out = (w[..., :n] << np.uint64(32)) | w[..., n:]
    else:  # each word holds 32 / bit_width values, least significant first
        shifts = np.arange(0, 32, bit_width, dtype=_U32)
        out = (words[..., :, None] >> shifts).astype(dtype)
        out = out.reshape(batch + (count * (32 // bit_width),))[..., :n]
    return out.reshape(batch + shape)


def _bits_abstract_eval(keys, bit_width, shape, partitionable):
    _check_key_data('random_bits', keys)
    if bit_width not in _UINT:
        raise ValueError(f"random_bits: bit_width must be 8, 16, 32 or 64, got {bit_width}")
    return ShapedArray(keys.shape[:-1] + tuple(shape), _UINT[bit_width])


random_bits_p = _random_primitive('random_bits', _bits_impl, _bits_abstract_eval, None)
random_bits_p.batch = _keys_batch(random_bits_p)


def random_bits(keys, bit_width, shape):
    """Uniform unsigned ``bit_width``-bit words ``(*B, *shape)`` from key data ``(*B, 2)``.

    (Not in ``__all__``: ``pullback.lax.random_bits`` is this module.)
    """
    bit_width = int(bit_width)
    if bit_width == 64 and not dtypes.x64_enabled():
        raise ValueError("random_bits: 64-bit words need jax_enable_x64")
    return random_bits_p.bind(keys, bit_width=bit_width,
                              shape=_shape_tuple('random_bits', shape),
                              partitionable=bool(config.jax_threefry_partitionable))


# --- fma: the fused multiply-add of random.uniform ---------------------------------------------

def _fma_impl(a, b, c):
    dtype = np.result_type(a, b, c)
    if dtype == np.float32:
        return fma32(a, b, c)
    if dtype == np.float16:  # the float16 product is exact in float64: one rounding there
        return np.asarray(np.asarray(a, np.float64) * b + c, np.float16)
    return _fma64(np.asarray(a, dtype), np.asarray(b, dtype), np.asarray(c, dtype))


def _fma64(a, b, c):
    """float64 ``a*b + c`` from error-free transformations: Dekker's exact product
    ``p + pe`` and Knuth's exact sum ``p + c = s + se``, then ``s + (se + pe)``.  Rounded
    correctly except in rare double-rounding cases (none in millions of uniform samples);
    where the splitting overflows (|values| near 1e300) it falls back to ``a*b + c``."""
    with np.errstate(all='ignore'):
        p = a * b
        splitter = 134217729.0  # 2^27 + 1: cuts a double into two 26-bit halves

        def halves(x):
            t = splitter * x
            hi = t - (t - x)
            return hi, x - hi
        ah, al = halves(a)
        bh, bl = halves(b)
        pe = ((ah * bh - p) + ah * bl + al * bh) + al * bl
        s = p + c
        bb = s - p
        se = (p - (s - bb)) + (c - bb)
        out = s + (se + pe)
        return np.asarray(np.where(np.isfinite(out), out, p + c), np.float64)


def _declare_fma():
    prim = elementwise('fma', _fma_impl, 3, FLOAT)
    prim.codegen = None  # generated code calls the impl (NumPy has no fma ufunc)

    def bcast(t, ans):
        return t if tuple(shape_of(t)) == tuple(shape_of(ans)) else \
            _ew_broadcast_to(t, shape_of(ans))
    defjvp(prim, lambda g, ans, a, b, c: bcast(mul(g, b), ans),
           lambda g, ans, a, b, c: bcast(mul(a, g), ans),
           lambda g, ans, a, b, c: bcast(g, ans))
    return prim


def _ew_broadcast_to(x, shape):
    from .shapes import broadcast_to
    return broadcast_to(x, tuple(shape))


# The elementwise family may one day declare its own ``fma``; then that one is used.
fma_p = registry['fma'] if 'fma' in registry else _declare_fma()


def fma(a, b, c):
    """``a * b + c`` rounded once (float operands of one dtype, NumPy broadcasting).

    >>> fma(jnp.float32(0.1), jnp.float32(10.), jnp.float32(-1.))   # not 0
    Array(1.4901161e-08, dtype=float32)
    """
    return fma_p.bind(a, b, c)


# --- bitcast_convert_type: the same bits as another dtype -------------------------------------

def _bitcast_impl(x, new_dtype):
    x = np.asarray(x)
    old = x.dtype.itemsize
    if new_dtype.itemsize > old:  # the last axis holds the pieces of one wider element
        return np.ascontiguousarray(x).view(new_dtype).reshape(x.shape[:-1])
    out = np.ascontiguousarray(x).view(new_dtype)
    if new_dtype.itemsize < old:
        return out.reshape(x.shape + (old // new_dtype.itemsize,))
    return out.reshape(x.shape)


def _bitcast_abstract_eval(x, new_dtype):
    if x.dtype.kind == 'b' or new_dtype.kind == 'b':
        raise TypeError(f"bitcast_convert_type does not convert to or from bool, got "
                        f"{x.dtype.name} to {new_dtype.name}")
    old, new = x.dtype.itemsize, new_dtype.itemsize
    if new == old:
        return ShapedArray(x.shape, new_dtype)
    if new < old:
        return ShapedArray(x.shape + (old // new,), new_dtype)
    if not x.shape or x.shape[-1] != new // old:
        raise TypeError(f"bitcast_convert_type: converting {x.dtype.name}{list(x.shape)} to "
                        f"the wider {new_dtype.name} needs a last axis of size {new // old}")
    return ShapedArray(x.shape[:-1], new_dtype)


def _bitcast_batch(axis, vals, dims, new_dtype):
    x, d = vals[0], dims[0]
    if d == len(shape_of(x)) - 1:  # keep the batch axis away from the axis that changes
        x, d = moveaxis_to_front(x, d), 0
    return bitcast_convert_type_p.bind(x, new_dtype=new_dtype), d


def _declare_bitcast():
    prim = _random_primitive('bitcast_convert_type', _bitcast_impl, _bitcast_abstract_eval,
                             _bitcast_batch)
    return prim


# Another family module may declare it one day (it is imported before this one); then that
# one is used and this module does not export its own.
if 'bitcast_convert_type' in registry:
    bitcast_convert_type_p = registry['bitcast_convert_type']
else:
    bitcast_convert_type_p = _declare_bitcast()
    __all__.append('bitcast_convert_type')


def bitcast_convert_type(x, new_dtype):
    """The bits of ``x`` read as ``new_dtype`` (a narrower type adds a last axis, a wider one
    consumes it).

    >>> bitcast_convert_type(jnp.float32(1.0), jnp.uint32)
    Array(1065353216, dtype=uint32)
    """
    new_dtype = dtypes.canonicalize_dtype(new_dtype)
    return bitcast_convert_type_p.bind(x, new_dtype=new_dtype)
