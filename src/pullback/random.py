"""``pullback.random``: JAX's counter-based threefry PRNG, with the same numbers as JAX.

    >>> from pullback import random
    >>> key = random.key(0)
    >>> key, subkey = random.split(key)
    >>> random.normal(subkey, (2,))
    Array([ 0.19307722, -0.52678293], dtype=float32)

Keys
----
``random.key(seed)`` returns a *typed key array* (dtype ``key<fry>``, shape ``()``), which
prints like JAX's; ``random.PRNGKey(seed)`` returns the raw ``uint32[2]`` key data.  Every
function accepts both, and ``split``/``fold_in`` return the kind they were given.

How keys pass through transformations (a deliberate choice): a :class:`KeyArray` is a small
wrapper around its ``uint32[..., 2]`` key data, registered as a **pytree node** whose single
child is that data.  ``jit``, ``vmap``, ``grad`` and the tree utilities therefore see an
ordinary uint32 array, and no transformation needs to know about keys:
``vmap(lambda k: random.normal(k, (3,)))(random.split(key, 4))`` maps over the keys' leading
axis.  Two consequences differ from JAX: ``tree_leaves(key)`` is ``[key_data(key)]`` rather
than ``[key]``, and a negative ``in_axes``/``out_axes`` for a key array counts from the key
word axis (use non-negative axes for keys).

Streams
-------
The key operations are the primitives of :mod:`pullback.lax.random_bits`.  With
``pullback.config.jax_threefry_partitionable`` False (the default, JAX's original scheme, which
the seed's numbers come from) or True (JAX 0.10.2's default) split, fold_in and the bits are
JAX's bit for bit.  The samplers are written with ``lax``/``pullback.numpy`` over those bits,
so they trace under ``jit`` and ``vmap``; float32 ``uniform`` and ``normal`` reproduce XLA:CPU's
results exactly (an explicit fused multiply-add and the XLA ``erf_inv``).
"""
import math
import operator

import numpy as np

from . import dtypes
from . import lax
from . import numpy as jnp
from ._array import Array
from ._core.core import Tracer, concrete_or_error, get_aval
from .lax import random_bits as _rb
from .tree_util import register_pytree_node

__all__ = [
    'key', 'PRNGKey', 'key_data', 'wrap_key_data', 'key_impl', 'split', 'fold_in', 'clone',
    'bits', 'uniform', 'normal', 'bernoulli', 'randint', 'choice', 'permutation', 'shuffle',
    'categorical', 'gumbel', 'truncated_normal', 'exponential', 'multivariate_normal',
    'laplace', 'logistic', 'cauchy', 'rademacher', 'lognormal', 'orthogonal', 'KeyArray',
]

_U32 = np.dtype(np.uint32)


# =============================================================================================
# Key arrays
# =============================================================================================

class PRNGKeyDtype:
    """The dtype of typed threefry keys; prints as ``key<fry>``."""
    name = 'key<fry>'
    impl = 'threefry2x32'

    def __repr__(self):
        return self.name

    __str__ = __repr__

    def __eq__(self, other):
        return isinstance(other, PRNGKeyDtype) or other == self.name

    def __hash__(self):
        return hash(self.name)


key_dtype = PRNGKeyDtype()


class KeyArray:
    """An array of threefry keys: shape ``S`` over key data ``uint32[*S, 2]``.

    >>> k = random.split(random.key(0), 3)
    >>> k.shape, k.dtype
    ((3,), key<fry>)
    >>> random.key_data(k[0])
    Array([2467461003,  428148500], dtype=uint32)
    """
    __slots__ = ('_data',)
    __array_priority__ = 200
    __hash__ = None

    def __init__(self, data):
        self._data = data

    @property
    def shape(self):
        return tuple(self._data.shape[:-1])

    @property
    def ndim(self):
        return len(self._data.shape) - 1

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def dtype(self):
        return key_dtype

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object (a single PRNG key)")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a single PRNG key (shape ())")
        return (self[i] for i in range(self.shape[0]))

    def __getitem__(self, idx):
        if not isinstance(idx, tuple):
            idx = (idx,)
        if any(i is Ellipsis for i in idx):
            idx = idx + (slice(None),)          # the ellipsis covers the key axes only
        else:
            idx = idx + (Ellipsis, slice(None))
        data = self._data
        if type(data) is Array and all(isinstance(i, (int, slice, type(None), type(Ellipsis)))
                                       for i in idx):
            return KeyArray(Array(data._value[idx]))  # eager fast path: plain NumPy indexing
        return KeyArray(data[idx])

    def reshape(self, *shape):
        """Keys with a new shape (the key words stay last)."""
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = tuple(shape[0])
        if -1 in shape:
            known = math.prod(s for s in shape if s != -1)
            shape = tuple(self.size // max(known, 1) if s == -1 else s for s in shape)
        return KeyArray(lax.reshape(self._data, tuple(shape) + (2,)))

    def ravel(self):
        return self.reshape((self.size,))

    flatten = ravel

    @property
    def T(self):
        nd = self.ndim
        return KeyArray(lax.transpose(self._data, tuple(reversed(range(nd))) + (nd,)))

    def __eq__(self, other):
        if not isinstance(other, KeyArray):
            return NotImplemented
        return jnp.all(jnp.equal(self._data, other._data), axis=-1)

    def __ne__(self, other):
        if not isinstance(other, KeyArray):
            return NotImplemented
        return jnp.logical_not(self == other)

    def block_until_ready(self):
        return self

    def __repr__(self):
        data = self._data
        if isinstance(data, Tracer):
            return (f"Traced<key<fry>[{','.join(map(str, self.shape))}]>"
                    f"with<{data._trace.describe()}>")
        return f"Array({self.shape}, dtype=key<fry>) overlaying:\n{np.asarray(data)}"

    __str__ = __repr__


register_pytree_node(KeyArray, lambda k: ((k._data,), None),
                     lambda aux, children: KeyArray(children[0]))


def _check_key(name, key, allow_batched=False):
    """``(key data, was_raw)`` for a typed key or raw uint32 key data, or a TypeError."""
    if isinstance(key, KeyArray):
        data, raw = key._data, False
    else:
        if isinstance(key, (list, tuple)):
            key = jnp.asarray(key)
        if not (type(key) is Array or isinstance(key, (Tracer, np.ndarray, np.generic))):
            raise TypeError(f"{name}: expected a PRNG key (from random.key, random.PRNGKey or "
                            f"random.split), got {key!r} of type {type(key).__name__}")
        aval = get_aval(key)
        if aval.dtype != _U32 or aval.ndim < 1 or aval.shape[-1] != 2:
            raise TypeError(f"{name}: invalid PRNG key data: a raw key must be a uint32 array "
                            f"whose last axis has size 2, got {aval.dtype.name}"
                            f"{list(aval.shape)}. Create keys with random.key(seed).")
        data, raw = (jnp.asarray(key) if not isinstance(key, Tracer) else key), True
    if not allow_batched and len(data.shape) != 1:
        raise ValueError(f"{name} accepts a single key, but was given a key array of shape "
                         f"{tuple(data.shape[:-1])} != (). Use pullback.vmap for batching.")
    return data, raw


def _rewrap(data, raw):
    return data if raw else KeyArray(data)


def _seed_data(name, seed):
    if isinstance(seed, KeyArray):
        raise TypeError(f"{name} accepts a scalar seed, but was given a PRNG key.")
    if type(seed) is bool or (hasattr(seed, 'dtype') and np.dtype(seed.dtype).kind not in 'iu'):
        raise TypeError(f"{name}: the PRNG seed must be an integer, got "
                        f"{getattr(seed, 'dtype', type(seed).__name__)}")
    if np.ndim(seed):
        raise TypeError(f"{name} accepts a scalar seed, but was given an array of shape "
                        f"{tuple(np.shape(seed))} != (). Use pullback.vmap for batching.")
    if isinstance(seed, Tracer) or type(seed) is Array:
        return _rb.random_seed(seed)
    try:
        value = operator.index(seed)
    except TypeError:
        raise TypeError(f"{name}: the PRNG seed must be an integer, got {seed!r}") from None
    # A Python int must fit int64; without x64 it then wraps to 32 bits (as in JAX).
    if not isinstance(seed, np.unsignedinteger) and not -2 ** 63 <= value < 2 ** 63:
        raise OverflowError(f"{name}: Python int {value} too large to convert to int64")
    hi = (value >> 32) & 0xFFFFFFFF if dtypes.x64_enabled() else 0
    return Array(np.array([hi, value & 0xFFFFFFFF], _U32))


def key(seed, *, impl=None):
    """A typed PRNG key (dtype ``key<fry>``, shape ``()``) from an integer seed.

    >>> random.key(0)
    Array((), dtype=key<fry>) overlaying:
    [0 0]
    """
    _check_impl(impl)
    return KeyArray(_seed_data('key', seed))


def PRNGKey(seed, *, impl=None):
    """A raw PRNG key: its ``uint32[2]`` key data.

    >>> random.PRNGKey(0)
    Array([0, 0], dtype=uint32)
    """
    _check_impl(impl)
    return _seed_data('PRNGKey', seed)


def _check_impl(impl):
    if impl not in (None, 'threefry2x32', key_dtype):
        raise ValueError(f"pullback.random supports only impl='threefry2x32', got {impl!r}")


def key_data(keys):
    """The ``uint32[..., 2]`` data under typed keys (raw key data is returned as is)."""
    return _check_key('key_data', keys, allow_batched=True)[0]


def wrap_key_data(key_bits_array, *, impl=None):
    """Typed keys over ``uint32[..., 2]`` key data (the inverse of :func:`key_data`)."""
    _check_impl(impl)
    if isinstance(key_bits_array, KeyArray):
        raise TypeError("wrap_key_data: the argument is already a typed key array")
    return KeyArray(_check_key('wrap_key_data', key_bits_array, allow_batched=True)[0])


def key_impl(keys):
    """The name of the PRNG implementation: always ``'threefry2x32'``."""
    _check_key('key_impl', keys, allow_batched=True)
    return 'threefry2x32'


def clone(key):
    """The same key (pullback does not track key reuse)."""
    return key


def split(key, num=2):
    """``num`` new keys (an int, or a shape) from one key, with a new leading axis.

    >>> k1, k2 = random.split(random.key(0))
    """
    data, raw = _check_key('split', key)
    shape = _shape('split', num)
    return _rewrap(_rb.random_split(data, shape), raw)


def fold_in(key, data):
    """A new key from a key and a 32-bit integer.

    >>> random.key_data(random.fold_in(random.key(0), 7))
    Array([2716826189,  292468403], dtype=uint32)
    """
    kd, raw = _check_key('fold_in', key)
    if np.ndim(data):
        raise TypeError(f"fold_in accepts a scalar, but was given an array of shape "
                        f"{tuple(np.shape(data))} != (). Use pullback.vmap for batching.")
    if isinstance(data, int) and not isinstance(data, bool):
        msg = Array(np.array(data & 0xFFFFFFFF, _U32))  # wraps like jnp.asarray(d, 'uint32')
    else:
        msg = lax.convert_element_type(jnp.asarray(data), _U32)
    return _rewrap(_rb.random_fold_in(kd, msg), raw)


# =============================================================================================
# Argument checks shared by the samplers
# =============================================================================================

def _shape(name, shape):
    """A shape tuple from an int or a sequence of concrete ints."""
    if isinstance(shape, (int, np.integer)) or isinstance(shape, Tracer):
        shape = (shape,)
    try:
        shape = tuple(operator.index(concrete_or_error(s, 'index')) for s in shape)
    except TypeError:
        raise TypeError(f"{name}: shapes must be sequences of concrete integers, got "
                        f"{shape!r}") from None
    if any(s < 0 for s in shape):
        raise ValueError(f"{name}: shape {shape} has a negative dimension")
    return shape


def _check_shape(name, shape, **params):
    """Parameters must broadcast to exactly ``shape``."""
    shapes = {k: tuple(np.shape(v)) for k, v in params.items()}
    try:
        result = tuple(np.broadcast_shapes(shape, *shapes.values()))
    except ValueError:
        result = None
    if result != tuple(shape):
        given = ', '.join(f"{k} of shape {s}" for k, s in shapes.items())
        raise ValueError(f"{name}: {given} must broadcast to the requested shape {shape} "
                         f"(and not enlarge it)")


def _dtype(name, dtype, kinds, default, what):
    dtype = default() if dtype is None else dtypes.canonicalize_dtype(dtype)
    if dtype.kind not in kinds:
        raise ValueError(f"dtype argument to `{name}` must be a {what} dtype, got {dtype}")
    return dtype


def _float_dtype(name, dtype):
    return _dtype(name, dtype, 'f', dtypes.default_float_dtype, 'float')


def _to_rank(x, rank):
    """``x`` with leading axes of size 1 up to ``rank`` (like ``lax.broadcast_to_rank``)."""
    nd = len(x.shape)
    if nd == rank:
        return x
    shape = (1,) * (rank - nd) + tuple(x.shape)
    if type(x) is Array:  # a constant: no equation for it under jit
        return Array(x._value.reshape(shape), x.weak_type)
    return lax.reshape(x, shape)


def _split2(data):
    """Two keys from one (key data in, key data out)."""
    keys = _rb.random_split(data, (2,))
    return _row(keys, 0), _row(keys, 1)


def _row(keys, i):
    if type(keys) is Array:
        return Array(keys._value[i])
    return keys[i]


def _const(value, dtype):
    return Array(np.asarray(value, dtype))


# =============================================================================================
# Samplers
# =============================================================================================

def bits(key, shape=(), dtype=None):
    """Uniform random unsigned integers (uint32 by default, uint64 with x64).

    >>> random.bits(random.key(0), (2,))
    Array([ 928981903, 3453687069], dtype=uint32)
    """
    data, _ = _check_key('bits', key)
    dtype = _dtype('bits', dtype, 'u', lambda: dtypes.canonicalize_dtype(np.uint64),
                   'unsigned int')
    return _rb.random_bits(data, dtype.itemsize * 8, _shape('bits', shape))


def uniform(key, shape=(), dtype=None, minval=0., maxval=1.):
    """Uniform floats in ``[minval, maxval)`` (bounds broadcast to ``shape``).

    >>> random.uniform(random.key(0), (4,))
    Array([0.9653214 , 0.22515893, 0.63302994, 0.29638183], dtype=float32)
    """
    data, _ = _check_key('uniform', key)
    shape = _shape('uniform', shape)
    dtype = _float_dtype('uniform', dtype)
    _check_shape('uniform', shape, minval=minval, maxval=maxval)
    return _uniform(data, shape, dtype, minval, maxval)


def _uniform(data, shape, dtype, minval, maxval):
    # Fill the mantissa of a float in [1, 2) with random bits and subtract 1 (exact), then
    # scale with one fused multiply-add, as XLA:CPU computes it.
    minval = _to_rank(lax.convert_element_type(jnp.asarray(minval), dtype), len(shape))
    maxval = _to_rank(lax.convert_element_type(jnp.asarray(maxval), dtype), len(shape))
    finfo = np.finfo(dtype)
    nbits, nmant = finfo.bits, finfo.nmant
    rng_bits = 8 if nmant < 8 else nbits
    uint = np.dtype(f'uint{nbits}')
    words = _rb.random_bits(data, rng_bits, shape)
    if rng_bits != nbits:
        words = lax.convert_element_type(words, uint)
    one = np.array(1.0, dtype).view(uint)
    mant = lax.bitwise_or(lax.shift_right_logical(words, _const(rng_bits - nmant, uint)),
                          _const(one, uint))
    floats = lax.sub(lax.bitcast_convert_type(mant, dtype), _const(1., dtype))
    return lax.max(minval, _rb.fma(floats, lax.sub(maxval, minval), minval))


def normal(key, shape=(), dtype=None):
    """Standard normal samples (complex dtypes: real and imaginary parts of variance 1/2).

    >>> random.normal(random.key(0), (3,))
    Array([ 1.8160863 , -0.48262316,  0.33988908], dtype=float32)
    """
    data, _ = _check_key('normal', key)
    shape = _shape('normal', shape)
    dtype = _dtype('normal', dtype, 'fc', dtypes.default_float_dtype, 'float or complex')
    return _normal(data, shape, dtype)


def _normal(data, shape, dtype):
    if dtype.kind == 'c':
        real = dtypes.real_dtype(dtype)
        k_re, k_im = _split2(data)
        z = lax.complex_(_normal_real(k_re, shape, real), _normal_real(k_im, shape, real))
        return lax.div(z, _const(np.sqrt(2), dtype))
    return _normal_real(data, shape, dtype)


def _normal_real(data, shape, dtype):
    # the inverse CDF of a uniform on the open interval (-1, 1)
    lo = np.nextafter(np.array(-1., dtype), np.array(0., dtype))
    u = _uniform(data, shape, dtype, lo, np.array(1., dtype))
    return lax.mul(_const(np.sqrt(2), dtype), lax.erf_inv(u))


def bernoulli(key, p=0.5, shape=None, mode='low'):
    """Booleans that are True with probability ``p`` (broadcast to ``shape``).

    ``mode='high'`` uses two uniforms per sample, for probabilities below about 1e-7.
    """
    if mode not in ('low', 'high'):
        raise ValueError(f"bernoulli: got mode={mode!r}, expected 'high' or 'low'")
    data, _ = _check_key('bernoulli', key)
    p = jnp.asarray(p)
    if p.dtype.kind != 'f':
        raise TypeError(f"bernoulli probability `p` must have a floating dtype, got "
                        f"{p.dtype}.")
    shape = tuple(p.shape) if shape is None else _shape('bernoulli', shape)
    _check_shape('bernoulli', shape, p=p)
    if mode == 'high':
        u = _uniform(data, (2,) + shape, p.dtype, 0., 1.)
        u1, u2 = _row(u, 0), _row(u, 1)
        u2 = lax.mul(u2, _const(2. ** -np.finfo(p.dtype).nmant, p.dtype))
        return lax.lt(u2, lax.sub(p, u1))
    return lax.lt(_uniform(data, shape, p.dtype, 0., 1.), p)


def randint(key, shape, minval, maxval, dtype=None):
    """Random integers in ``[minval, maxval)`` (bounds broadcast to ``shape``).

    Like JAX: two words of random bits per value, reduced modulo the span (so the result is
    very slightly biased unless the span is a power of two); 8- and 16-bit results are drawn
    at 32 bits.
    """
    data, _ = _check_key('randint', key)
    shape = _shape('randint', shape)
    dtype = dtypes.default_int_dtype() if dtype is None else dtypes.canonicalize_dtype(dtype)
    if dtype.kind not in 'iu':
        raise TypeError(f"randint only accepts integer dtypes, got {dtype}")
    _check_shape('randint', shape, minval=minval, maxval=maxval)
    minval, maxval = jnp.asarray(minval), jnp.asarray(maxval)
    info = np.iinfo(dtype)
    if info.bits < 32:  # sample at 32 bits, inside the target range
        i32 = np.dtype(np.int32)
        minval = jnp.clip(_as_int(minval, i32), int(info.min), int(info.max))
        maxval = jnp.clip(_as_int(maxval, i32), int(info.min), int(info.max) + 1)
        return lax.convert_element_type(_randint(data, shape, minval, maxval, i32), dtype)
    return _randint(data, shape, minval, maxval, dtype)


def _as_int(x, dtype):
    return lax.convert_element_type(x, dtype)


def _clip_to(x, dtype):
    """Integer ``x`` converted to integer ``dtype``, saturating instead of wrapping."""
    lo = max(int(np.iinfo(dtype).min), int(np.iinfo(x.dtype).min))
    hi = min(int(np.iinfo(dtype).max), int(np.iinfo(x.dtype).max))
    x = lax.min(lax.max(x, _const(lo, x.dtype)), _const(hi, x.dtype))
    return lax.convert_element_type(x, dtype)


def _randint(data, shape, minval, maxval, dtype):
    if minval.dtype.kind not in 'iu':
        minval = _as_int(minval, dtypes.default_int_dtype())
    if maxval.dtype.kind not in 'iu':
        maxval = _as_int(maxval, dtypes.default_int_dtype())
    # maxval may exceed the dtype (randint(k, s, 0, 256, uint8)): the span is one larger
    top = _clip_to(_const(np.iinfo(dtype).max, dtype), maxval.dtype)
    maxval_too_big = lax.gt(maxval, top)
    minval = _to_rank(_clip_to(minval, dtype), len(shape))
    maxval = _to_rank(_clip_to(maxval, dtype), len(shape))
    nbits = np.iinfo(dtype).bits
    unsigned = np.dtype(f'uint{nbits}')
    k1, k2 = _split2(data)
    high = _rb.random_bits(k1, nbits, shape)
    low = _rb.random_bits(k2, nbits, shape)

    span = lax.convert_element_type(lax.sub(maxval, minval), unsigned)
    one = _const(1, unsigned)
    span = lax.select_n(lax.le(maxval, minval), span, one)
    span = lax.select_n(lax.bitwise_and(maxval_too_big, lax.gt(maxval, minval)),
                        span, lax.add(span, one))
    # (high * 2^nbits + low) mod span, without overflow: 2^nbits mod span from its two halves
    mult = lax.rem(_const(2 ** (nbits // 2), unsigned), span)
    mult = lax.rem(lax.mul(mult, mult), span)
    offset = lax.add(lax.mul(lax.rem(high, span), mult), lax.rem(low, span))
    offset = lax.rem(offset, span)
    return lax.add(minval, lax.convert_element_type(offset, dtype))


def _shuffle(data, x, axis):
    # Sort by fresh random 32-bit keys, enough rounds that ties are unlikely (as JAX does).
    rounds = math.ceil(3 * math.log(max(1, x.size)) / math.log(np.iinfo(np.uint32).max))
    for _ in range(rounds):
        data, sub = _split2(data)
        sort_keys = _rb.random_bits(sub, 32, tuple(x.shape))
        _, x = lax.sort_key_val(sort_keys, x, axis)
    return x


def permutation(key, x, axis=0, independent=False):
    """A random permutation of ``range(x)`` (int ``x``) or of ``x`` along ``axis``.

    ``independent=True`` shuffles every slice along ``axis`` independently.
    """
    data, _ = _check_key('permutation', key)
    if not isinstance(x, (Array, Tracer)) and np.ndim(x) == 0:
        if not isinstance(x, (int, np.integer)):
            raise TypeError("permutation: x must be an integer or at least 1-dimensional")
        return _shuffle(data, jnp.arange(operator.index(x)), 0)
    x = jnp.asarray(x)
    if x.ndim == 0:
        if x.dtype.kind not in 'iu':
            raise TypeError("permutation: x must be an integer or at least 1-dimensional")
        n = operator.index(concrete_or_error(x, 'index'))
        return _shuffle(data, jnp.arange(n), 0)
    axis = _axis('permutation', axis, x.ndim)
    if independent or x.ndim == 1:
        return _shuffle(data, x, axis)
    ind = _shuffle(data, jnp.arange(x.shape[axis]), 0)
    return jnp.take(x, ind, axis=axis)


def shuffle(key, x, axis=0):
    """Shuffle ``x`` along ``axis`` (deprecated in JAX: use :func:`permutation`)."""
    data, _ = _check_key('shuffle', key)
    x = jnp.asarray(x)
    return _shuffle(data, x, _axis('shuffle', axis, x.ndim))


def _axis(name, axis, ndim):
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(f"{name}: axis {axis} is out of bounds for an array of rank {ndim}")
    return axis % max(ndim, 1)


def choice(key, a, shape=(), replace=True, p=None, axis=0):
    """Samples from ``a`` (an array, or ``range(a)`` for an int) along ``axis``.

    ``p`` gives the probabilities of the entries (default uniform); ``replace=False`` draws
    without replacement.
    """
    data, _ = _check_key('choice', key)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"shape argument of random.choice must be a sequence, got {shape!r}")
    shape = _shape('choice', shape)
    arr = jnp.asarray(a)
    if arr.ndim == 0:
        n_inputs = operator.index(concrete_or_error(a, 'index'))
    else:
        axis = _axis('choice', axis, arr.ndim)
        n_inputs = arr.shape[axis]
    n_draws = math.prod(shape)
    if n_draws == 0:
        return jnp.zeros(shape, dtype=arr.dtype)
    if n_inputs <= 0:
        raise ValueError("choice: a must be greater than 0 unless no samples are taken")
    if not replace and n_draws > n_inputs:
        raise ValueError(f"choice: cannot take a larger sample (size {n_draws}) than the "
                         f"population (size {n_inputs}) when replace=False")
    if p is None:
        if replace:
            ind = randint(data, shape, 0, n_inputs)
            result = ind if arr.ndim == 0 else jnp.take(arr, ind, axis=axis)
        else:
            perm = permutation(data, n_inputs if arr.ndim == 0 else arr, axis)
            result = lax.slice_in_dim(perm, 0, n_draws, axis=axis if arr.ndim else 0)
    else:
        p = jnp.asarray(p)
        if p.dtype.kind not in 'fc':
            p = lax.convert_element_type(p, dtypes.default_float_dtype())
        if tuple(p.shape) != (n_inputs,):
            raise ValueError(f"choice: p must be None or a 1D vector with the same size as "
                             f"a.shape[axis]. p has shape {tuple(p.shape)} and a.shape[axis] "
                             f"is {n_inputs}.")
        if replace:
            cdf = jnp.cumsum(p)
            total = _row(cdf, -1) if type(cdf) is Array else cdf[-1]
            r = lax.mul(total, lax.sub(_const(1, p.dtype), _uniform(data, shape, p.dtype, 0., 1.)))
            ind = lax.convert_element_type(jnp.searchsorted(cdf, r),
                                           dtypes.default_int_dtype())
        else:  # Gumbel top-k: the k largest perturbed log-probabilities
            g = lax.add(_gumbel(data, (n_inputs,), p.dtype), jnp.log(p))
            ind = lax.convert_element_type(lax.top_k(g, n_draws)[1],
                                           dtypes.default_int_dtype())
        result = ind if arr.ndim == 0 else jnp.take(arr, ind, axis=axis)
    out_shape = shape if arr.ndim == 0 else \
        tuple(arr.shape[:axis]) + shape + tuple(arr.shape[axis + 1:])
    return jnp.reshape(result, out_shape)


def gumbel(key, shape=(), dtype=None, mode='low'):
    """Standard Gumbel samples, ``-log(-log(u))``.

    ``mode='high'`` combines two uniforms so that tiny ``u`` (large samples) keep their
    resolution.
    """
    data, _ = _check_key('gumbel', key)
    dtype = _float_dtype('gumbel', dtype)
    if mode not in ('low', 'high'):
        raise ValueError(f"gumbel: got mode={mode!r}, expected 'high' or 'low'")
    return _gumbel(data, _shape('gumbel', shape), dtype, mode)


def _gumbel(data, shape, dtype, mode='low'):
    tiny = np.finfo(dtype).tiny
    if mode == 'high':
        u = _uniform(data, (2,) + shape, dtype, 0., 1.)
        high, low = _row(u, 0), _row(u, 1)
        fine = lax.add(lax.add(high, lax.mul(_const(2. ** -np.finfo(dtype).nmant, dtype), low)),
                       _const(tiny, dtype))
        x = lax.select_n(lax.ge(high, _const(0.5, dtype)), fine, high)
        return lax.neg(lax.log(lax.neg(lax.log1p(lax.neg(x)))))
    u = _uniform(data, shape, dtype, tiny, 1.)
    return lax.neg(lax.log(lax.neg(lax.log(u))))


def categorical(key, logits, axis=-1, shape=None, replace=True):
    """Category indices drawn with probabilities ``softmax(logits)`` along ``axis``.

    ``shape`` (default: ``logits``' shape without ``axis``) may add leading sample axes.
    """
    data, _ = _check_key('categorical', key)
    logits = jnp.asarray(logits)
    axis = _axis('categorical', axis, logits.ndim)
    batch_shape = tuple(s for i, s in enumerate(logits.shape) if i != axis)
    if shape is None:
        shape = batch_shape
    else:
        shape = _shape('categorical', shape)
        _check_shape('categorical', shape, logits_without_axis=np.zeros(batch_shape))
    prefix = tuple(shape[:len(shape) - len(batch_shape)])
    if replace:
        # one Gumbel draw per sample and category; the logits broadcast against them
        g_shape = list(shape[len(prefix):])
        g_shape.insert(axis, logits.shape[axis])
        g_shape = prefix + tuple(g_shape)
        noisy = lax.add(_gumbel(data, g_shape, logits.dtype), _to_rank(logits, len(g_shape)))
        return jnp.argmax(noisy, axis=len(prefix) + axis)
    k = math.prod(prefix)
    if k > logits.shape[axis]:
        raise ValueError(f"categorical: the number of samples without replacement ({k}) "
                         f"cannot exceed the number of categories ({logits.shape[axis]})")
    noisy = lax.add(logits, _gumbel(data, tuple(logits.shape), logits.dtype))
    _, ind = lax.top_k(jnp.moveaxis(noisy, axis, -1), k)       # batch_shape + (k,)
    ind = jnp.moveaxis(ind, -1, 0)                              # (k,) + batch_shape
    return jnp.reshape(ind, shape)


def exponential(key, shape=(), dtype=None):
    """Standard exponential samples, ``-log1p(-u)``."""
    data, _ = _check_key('exponential', key)
    dtype = _float_dtype('exponential', dtype)
    u = _uniform(data, _shape('exponential', shape), dtype, 0., 1.)
    return lax.neg(lax.log1p(lax.neg(u)))


def truncated_normal(key, lower, upper, shape=None, dtype=None):
    """Standard normal samples conditioned on ``lower < x < upper`` (bounds broadcast)."""
    data, _ = _check_key('truncated_normal', key)
    dtype = _float_dtype('truncated_normal', dtype)
    if shape is None:
        shape = tuple(np.broadcast_shapes(np.shape(lower), np.shape(upper)))
    else:
        shape = _shape('truncated_normal', shape)
        _check_shape('truncated_normal', shape, lower=lower, upper=upper)
    sqrt2 = _const(np.sqrt(2), dtype)
    lower = lax.convert_element_type(jnp.asarray(lower), dtype)
    upper = lax.convert_element_type(jnp.asarray(upper), dtype)
    a = lax.erf(lax.div(lower, sqrt2))
    b = lax.erf(lax.div(upper, sqrt2))
    out = lax.mul(sqrt2, lax.erf_inv(_uniform(data, shape, dtype, a, b)))
    # rounding must not push a sample onto (or past) a bound
    lo = lax.nextafter(lax.stop_gradient(lower), _const(np.inf, dtype))
    hi = lax.nextafter(lax.stop_gradient(upper), _const(-np.inf, dtype))
    return jnp.clip(out, lo, hi)


def multivariate_normal(key, mean, cov, shape=None, dtype=None, method='cholesky'):
    """Samples of ``N(mean, cov)``: ``mean`` is ``(..., n)`` and ``cov`` ``(..., n, n)``.

    ``method`` factors ``cov`` by ``'cholesky'`` (default), ``'eigh'`` or ``'svd'``.
    """
    data, _ = _check_key('multivariate_normal', key)
    if method not in ('cholesky', 'eigh', 'svd'):
        raise ValueError(f"multivariate_normal: method must be 'cholesky', 'eigh' or 'svd', "
                         f"got {method!r}")
    mean, cov = jnp.asarray(mean), jnp.asarray(cov)
    common = dtypes.to_inexact(dtypes.result_type(mean, cov))
    mean = lax.convert_element_type(mean, common)
    cov = lax.convert_element_type(cov, common)
    dtype = common if dtype is None else _float_dtype('multivariate_normal', dtype)
    if mean.ndim < 1:
        raise ValueError(f"multivariate_normal requires mean.ndim >= 1, got mean.ndim == "
                         f"{mean.ndim}")
    if cov.ndim < 2:
        raise ValueError(f"multivariate_normal requires cov.ndim >= 2, got cov.ndim == "
                         f"{cov.ndim}")
    n = mean.shape[-1]
    if tuple(cov.shape[-2:]) != (n, n):
        raise ValueError(f"multivariate_normal requires cov.shape == (..., n, n) for n={n}, "
                         f"but got cov.shape == {tuple(cov.shape)}.")
    batch = tuple(np.broadcast_shapes(tuple(mean.shape[:-1]), tuple(cov.shape[:-2])))
    if shape is None:
        shape = batch
    else:
        shape = _shape('multivariate_normal', shape)
        _check_shape('multivariate_normal', shape, mean_batch=np.zeros(mean.shape[:-1]),
                     cov_batch=np.zeros(cov.shape[:-2]))
    if method == 'cholesky':
        factor = jnp.linalg.cholesky(cov)
    elif method == 'eigh':
        w, v = jnp.linalg.eigh(cov)
        factor = v * jnp.sqrt(w[..., None, :])
    else:
        u, s, _ = jnp.linalg.svd(cov)
        factor = u * jnp.sqrt(s[..., None, :])
    z = _normal(data, shape + (n,), dtype)
    return mean + jnp.matmul(factor, z[..., None])[..., 0]


def laplace(key, shape=(), dtype=None):
    """Standard Laplace samples."""
    data, _ = _check_key('laplace', key)
    dtype = _float_dtype('laplace', dtype)
    u = _uniform(data, _shape('laplace', shape), dtype, -1. + np.finfo(dtype).epsneg, 1.)
    return lax.mul(lax.sign(u), lax.log1p(lax.neg(lax.abs(u))))


def logistic(key, shape=(), dtype=None):
    """Standard logistic samples, ``log(u) - log1p(-u)``."""
    data, _ = _check_key('logistic', key)
    dtype = _float_dtype('logistic', dtype)
    u = _uniform(data, _shape('logistic', shape), dtype, np.finfo(dtype).tiny, 1.)
    return lax.sub(lax.log(u), lax.log1p(lax.neg(u)))


def cauchy(key, shape=(), dtype=None):
    """Standard Cauchy samples, ``tan(pi (u - 1/2))``."""
    data, _ = _check_key('cauchy', key)
    dtype = _float_dtype('cauchy', dtype)
    u = _uniform(data, _shape('cauchy', shape), dtype, np.finfo(dtype).eps, 1.)
    return lax.tan(lax.mul(_const(np.pi, dtype), lax.sub(u, _const(0.5, dtype))))


def rademacher(key, shape=(), dtype=None):
    """Random signs: -1 or +1 with equal probability (int32 by default)."""
    dtype = _dtype('rademacher', dtype, 'iuf', dtypes.default_int_dtype, 'numeric')
    b = lax.convert_element_type(bernoulli(key, 0.5, _shape('rademacher', shape)), dtype)
    return lax.sub(lax.mul(_const(2, dtype), b), _const(1, dtype))


def lognormal(key, sigma=1., shape=None, dtype=None):
    """``exp(sigma * normal)`` samples."""
    data, _ = _check_key('lognormal', key)
    dtype = _float_dtype('lognormal', dtype)
    shape = tuple(np.shape(sigma)) if shape is None else _shape('lognormal', shape)
    _check_shape('lognormal', shape, sigma=sigma)
    sigma = lax.convert_element_type(jnp.asarray(sigma), dtype)
    return lax.exp(lax.mul(_normal(data, shape, dtype), sigma))


def orthogonal(key, n, shape=(), dtype=None, m=None):
    """Haar-random ``n x m`` matrices with orthonormal columns (or rows), batch ``shape``."""
    data, _ = _check_key('orthogonal', key)
    dtype = _dtype('orthogonal', dtype, 'fc', dtypes.default_float_dtype, 'float or complex')
    shape = _shape('orthogonal', shape)
    n = operator.index(n)
    m = n if m is None else operator.index(m)
    z = _normal(data, shape + (max(n, m), min(n, m)), dtype)
    q, r = jnp.linalg.qr(z)
    d = jnp.diagonal(r, axis1=-2, axis2=-1)
    x = q * jnp.expand_dims(jnp.sign(d), -2)
    return jnp.swapaxes(x, -1, -2) if n < m else x
