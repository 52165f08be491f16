"""Numerical routines: differences and gradients, integration, interpolation, convolution,
polynomials, counting and histograms, covariance, and the integer functions gcd/lcm and
frexp — all written on ``pullback.lax`` (so they differentiate and batch).

    >>> import pullback.numpy as jnp
    >>> jnp.interp(2.5, jnp.array([0., 1., 2., 3.]), jnp.array([0., 10., 20., 30.]))
    Array(25., dtype=float32)
"""
import numpy as np

from .. import dtypes
from .. import lax
from .._array import Array
from .._core.core import Tracer
from ._promote import asarray, promote_dtypes, promote_dtypes_inexact
from ._util import canonicalize_axis, static_int, concrete_value

__all__ = ['diff', 'ediff1d', 'gradient', 'trapezoid', 'interp', 'convolve', 'correlate',
           'polyval', 'vander', 'bincount', 'digitize', 'histogram', 'histogram_bin_edges',
           'cov', 'corrcoef', 'gcd', 'lcm', 'frexp']


def _slice(x, start, stop, ax):
    return lax.slice_in_dim(x, start, stop, 1, ax)


# --- Differences and integration -------------------------------------------------------

def diff(a, n=1, axis=-1, prepend=None, append=None):
    """The ``n``-th discrete difference along ``axis`` (booleans: not-equal).

    >>> diff(jnp.array([1, 4, 9, 16]))
    Array([3, 5, 7], dtype=int32)
    """
    from ._shape import broadcast_to, concatenate
    a = asarray(a)
    n = static_int(n, 'diff', 'n')
    if n < 0:
        raise ValueError(f"diff: order must be non-negative, got n={n}")
    if a.ndim == 0:
        raise ValueError("diff: requires an input with at least one dimension")
    ax = canonicalize_axis(axis, a.ndim, 'diff')
    if n == 0:
        return a
    parts = []
    for extra in (prepend, append):
        if extra is None:
            parts.append(None)
            continue
        extra = asarray(extra)
        if extra.ndim == 0:
            shape = tuple(1 if d == ax else s for d, s in enumerate(a.shape))
            extra = broadcast_to(extra, shape)
        parts.append(extra)
    if parts[0] is not None or parts[1] is not None:
        a = concatenate([p for p in (parts[0], a, parts[1]) if p is not None], axis=ax)
    for _ in range(n):
        m = a.shape[ax]
        hi, lo = _slice(a, 1, m, ax), _slice(a, 0, max(m - 1, 0), ax)
        a = lax.ne(hi, lo) if a.dtype.kind == 'b' else lax.sub(hi, lo)
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of consecutive elements of the flattened array, with optional values
    added at either end."""
    from ._shape import concatenate, ravel
    d = diff(ravel(ary))
    parts = [ravel(asarray(to_begin, d.dtype))] if to_begin is not None else []
    parts.append(d)
    if to_end is not None:
        parts.append(ravel(asarray(to_end, d.dtype)))
    return concatenate(parts) if len(parts) > 1 else d


def gradient(f, *varargs, axis=None, edge_order=1):
    """Second-order central differences inside, first-order ones at the edges, with
    uniform spacing ``varargs`` (one scalar, or one per axis).  One array per axis (a
    single array when one axis is asked for)."""
    from ._shape import concatenate
    f, = promote_dtypes_inexact(asarray(f))
    if edge_order != 1:
        raise NotImplementedError("gradient: only edge_order=1 is supported")
    axes = tuple(range(f.ndim)) if axis is None else tuple(
        canonicalize_axis(a, f.ndim, 'gradient') for a in (
            axis if isinstance(axis, (tuple, list)) else (axis,)))
    if not varargs:
        spacing = [1.] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        spacing = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes) and all(np.ndim(v) == 0 for v in varargs):
        spacing = list(varargs)
    else:
        raise NotImplementedError("gradient: spacing must be scalars (one, or one per axis)")
    out = []
    for ax, h in zip(axes, spacing):
        m = f.shape[ax]
        if m < 2:
            raise ValueError(f"gradient: shape of the array along axis {ax} is {m}; at least "
                             f"2 points are needed")
        first = lax.sub(_slice(f, 1, 2, ax), _slice(f, 0, 1, ax))
        last = lax.sub(_slice(f, m - 1, m, ax), _slice(f, m - 2, m - 1, ax))
        pieces = [first]
        if m > 2:
            inner = lax.mul(lax.sub(_slice(f, 2, m, ax), _slice(f, 0, m - 2, ax)), 0.5)
            pieces.append(inner)
        pieces.append(last)
        g = concatenate(pieces, axis=ax)
        out.append(lax.div(g, lax.convert_element_type(asarray(h), g.dtype)))
    return out[0] if len(out) == 1 else out


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` along ``axis`` by the trapezoidal rule, at points ``x`` (or with
    spacing ``dx``)."""
    from ._reductions import sum as _sum
    y, = promote_dtypes_inexact(asarray(y))
    ax = canonicalize_axis(axis, y.ndim, 'trapezoid')
    m = y.shape[ax]
    if x is None:
        widths = lax.convert_element_type(asarray(dx), y.dtype)
    else:
        x = asarray(x)
        if x.ndim == 1:
            shape = [1] * y.ndim
            shape[ax] = x.shape[0]
            x = lax.reshape(x, tuple(shape))
            widths = diff(x, axis=ax)
        else:
            widths = diff(x, axis=axis)
        widths = lax.convert_element_type(widths, y.dtype)
    avg = lax.mul(lax.add(_slice(y, 1, m, ax), _slice(y, 0, max(m - 1, 0), ax)), 0.5)
    return _sum(lax.mul(widths, avg), axis=ax)


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of the points (``xp``, ``fp``) at ``x`` (``xp``
    increasing); ``left``/``right`` outside (default: the end values), or ``period``.

    >>> interp(jnp.array([0.5, 9.]), jnp.array([0., 1., 2.]), jnp.array([0., 10., 20.]))
    Array([ 5., 20.], dtype=float32)
    """
    from ._sorting import argsort, searchsorted
    from ._indexing import take
    from ._shape import concatenate
    x, xp, fp = (asarray(v) for v in promote_dtypes_inexact(asarray(x), asarray(xp),
                                                          asarray(fp)))
    if xp.ndim != 1 or fp.ndim != 1 or xp.shape != fp.shape:
        raise ValueError(f"interp: xp and fp must be 1-D of the same length, got shapes "
                         f"{tuple(xp.shape)} and {tuple(fp.shape)}")
    if period is not None:
        if left is not None or right is not None:
            raise ValueError("interp: left and right cannot be used with period")
        period = lax.abs(lax.convert_element_type(asarray(period), xp.dtype))
        x = _mod(x, period)
        xp = _mod(xp, period)
        order = argsort(xp)
        xp, fp = take(xp, order), take(fp, order)
        xp = concatenate([lax.sub(_slice(xp, xp.shape[0] - 1, xp.shape[0], 0), period), xp,
                          lax.add(_slice(xp, 0, 1, 0), period)])
        fp = concatenate([_slice(fp, fp.shape[0] - 1, fp.shape[0], 0), fp, _slice(fp, 0, 1, 0)])
    n = xp.shape[0]
    i = lax.min(lax.max(searchsorted(xp, x, side='right'), 1), n - 1)
    x0, x1 = take(xp, lax.sub(i, 1)), take(xp, i)
    f0, f1 = take(fp, lax.sub(i, 1)), take(fp, i)
    dx = lax.sub(x1, x0)
    safe_dx = lax.select_n(lax.eq(dx, 0.), dx, _ones_like(dx))
    t = lax.div(lax.sub(x, x0), safe_dx)
    out = lax.add(f0, lax.mul(t, lax.sub(f1, f0)))
    out = lax.select_n(lax.eq(dx, 0.), out, f0)
    if period is None:
        first, last = _slice(fp, 0, 1, 0), _slice(fp, n - 1, n, 0)
        lo = first[0] if left is None else lax.convert_element_type(asarray(left), out.dtype)
        hi = last[0] if right is None else lax.convert_element_type(asarray(right), out.dtype)
        out = lax.select_n(lax.lt(x, _slice(xp, 0, 1, 0)[0]), out, lax.broadcast_to(
            lo, out.shape))
        out = lax.select_n(lax.gt(x, _slice(xp, n - 1, n, 0)[0]), out, lax.broadcast_to(
            hi, out.shape))
    return out


def _ones_like(x):
    return lax.full(x.shape, 1, x.dtype)


def _mod(x, p):
    r = lax.rem(x, p)
    return lax.select_n(lax.lt(r, 0.), r, lax.add(r, p))


# --- Convolution -----------------------------------------------------------------------

def _windows(a, width, count, start):
    """``count`` windows of ``width`` consecutive elements of 1-D ``a``, from ``start``."""
    from ._indexing import take
    idx = start + np.arange(count)[:, None] + np.arange(width)[None, :]
    return take(a, Array(idx.astype(np.int32)), mode='clip')


def _convolve(fn, a, v, mode, flip_v, conj_v):
    a, v = (asarray(x) for x in promote_dtypes(asarray(a), asarray(v)))
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(f"{fn}: only 1-D inputs are supported, got shapes {tuple(a.shape)} "
                         f"and {tuple(v.shape)}")
    n, m = a.shape[0], v.shape[0]
    if n == 0 or m == 0:
        raise ValueError(f"{fn}: inputs cannot be empty, got shapes {tuple(a.shape)} and "
                         f"{tuple(v.shape)}")
    if mode not in ('full', 'same', 'valid'):
        raise ValueError(f"{fn}: mode must be 'full', 'same' or 'valid', got {mode!r}")
    if conj_v and v.dtype.kind == 'c':
        v = lax.conj(v)
    if flip_v:
        v = lax.rev(v, (0,))
    # full[k] = sum_j a_padded[k + j] * v[j]: one window of the padded input per output
    padded = lax.pad(a, Array(np.zeros((), a.dtype)), [(m - 1, m - 1, 0)])
    full = lax.dot_general(_windows(padded, m, n + m - 1, 0), v, (((1,), (0,)), ((), ())))
    if mode == 'full':
        return full
    if mode == 'same':
        start = (min(n, m) - 1) // 2
        if not flip_v and n < m:  # NumPy correlates the swapped inputs and reverses
            start = min(n, m) - 1 - start
        return _slice(full, start, start + max(n, m), 0)
    return _slice(full, min(n, m) - 1, max(n, m), 0)


def convolve(a, v, mode='full', *, precision=None, preferred_element_type=None):
    """Discrete linear convolution of 1-D ``a`` and ``v`` ('full', 'same' or 'valid').

    >>> convolve(jnp.array([1., 2., 3.]), jnp.array([0., 1., 0.5]))
    Array([0. , 1. , 2.5, 4. , 1.5], dtype=float32)
    """
    return _convolve('convolve', a, v, mode, flip_v=True, conj_v=False)


def correlate(a, v, mode='valid', *, precision=None, preferred_element_type=None):
    """Cross-correlation of 1-D ``a`` and ``v``: ``sum_n a[n + k] * conj(v[n])``."""
    return _convolve('correlate', a, v, mode, flip_v=False, conj_v=True)


# --- Polynomials -----------------------------------------------------------------------

def polyval(p, x, *, unroll=16):
    """Value of the polynomial with coefficients ``p`` (highest power first) at ``x``, by
    Horner's rule."""
    p, x = (asarray(v) for v in promote_dtypes(asarray(p), asarray(x)))
    if p.ndim != 1:
        raise ValueError(f"polyval: p must be 1-D, got shape {tuple(p.shape)}")
    out = lax.full(x.shape, 0, x.dtype)
    for i in range(p.shape[0]):
        out = lax.add(lax.mul(out, x), lax.index_in_dim(p, i, 0, keepdims=False))
    return out


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of 1-D ``x``: columns are powers of ``x``."""
    x = asarray(x)
    if x.ndim != 1:
        raise ValueError(f"vander: x must be 1-D, got shape {tuple(x.shape)}")
    N = x.shape[0] if N is None else static_int(N, 'vander', 'N')
    if N < 0:
        raise ValueError(f"vander: N must be non-negative, got {N}")
    cols = [lax.integer_pow(x, k) for k in range(N)]
    if not increasing:
        cols = cols[::-1]
    if not cols:
        return lax.full((x.shape[0], 0), 0, x.dtype)
    return lax.concatenate([lax.reshape(c, (x.shape[0], 1)) for c in cols], 1)


# --- Counting --------------------------------------------------------------------------

def bincount(x, weights=None, minlength=0, *, length=None):
    """Occurrences of each non-negative int in ``x`` (summed ``weights`` if given).  The
    result length is ``max(x) + 1`` for concrete input, or a static ``length``.

    >>> bincount(jnp.array([0, 1, 1, 3]))
    Array([1, 2, 0, 1], dtype=int32)
    """
    x = asarray(x)
    if x.dtype.kind not in 'biu':
        raise TypeError(f"bincount: x must be an integer array, got dtype {x.dtype.name}")
    if x.ndim != 1:
        raise ValueError(f"bincount: x must be 1-D, got shape {tuple(x.shape)}")
    minlength = static_int(minlength, 'bincount', 'minlength')
    if length is None:
        value = concrete_value(x, 'bincount', ": the result length depends on max(x); pass a "
                                              "static length=")
        if value.size and value.min() < 0:
            raise ValueError("bincount: x must be non-negative")
        length = max(minlength, int(value.max()) + 1 if value.size else 0)
    length = static_int(length, 'bincount', 'length')
    if weights is None:
        w = lax.full(x.shape, 1, dtypes.default_int_dtype())
    else:
        w = asarray(weights)
        if w.shape != x.shape:
            raise ValueError(f"bincount: weights of shape {tuple(w.shape)} must match x's "
                             f"shape {tuple(x.shape)}")
    zeros = lax.full((length,), 0, w.dtype)
    return lax.index_update(zeros, x, w, mode='add', oob='drop')


def digitize(x, bins, right=False):
    """Index of the bin each element of ``x`` falls in (``bins`` monotonic)."""
    from ._sorting import searchsorted
    x, bins = (asarray(v) for v in promote_dtypes(asarray(x), asarray(bins)))
    if bins.ndim != 1:
        raise ValueError(f"digitize: bins must be 1-D, got shape {tuple(bins.shape)}")
    n = bins.shape[0]
    if n == 0:
        return lax.full(x.shape, 0, dtypes.default_int_dtype())
    side = 'left' if right else 'right'
    increasing = lax.le(_slice(bins, 0, 1, 0)[0], _slice(bins, n - 1, n, 0)[0])
    up = searchsorted(bins, x, side=side)
    down = lax.sub(n, searchsorted(lax.rev(bins, (0,)), x, side=side))
    return lax.select_n(increasing, down, up)


def histogram_bin_edges(a, bins=10, range=None, weights=None):
    """The bin edges ``histogram`` uses: ``bins + 1`` equal-width edges over ``range``
    (default: the data's min and max), or ``bins`` itself if it is an array."""
    from ._creation import linspace
    from ._reductions import max as _max, min as _min
    a, = promote_dtypes_inexact(asarray(a))
    if np.ndim(bins) == 1 or (isinstance(bins, (Array, Tracer)) and bins.ndim == 1):
        return lax.convert_element_type(asarray(bins), a.dtype)
    bins = static_int(bins, 'histogram', 'bins')
    if bins < 1:
        raise ValueError(f"histogram: bins must be positive, got {bins}")
    if range is None:
        lo, hi = _min(a), _max(a)
    else:
        lo, hi = (lax.convert_element_type(asarray(r), a.dtype) for r in range)
    # NumPy widens an empty range to (lo - 0.5, hi + 0.5)
    same = lax.eq(lo, hi)
    lo = lax.select_n(same, lo, lax.sub(lo, 0.5))
    hi = lax.select_n(same, hi, lax.add(hi, 0.5))
    return linspace(lo, hi, bins + 1, dtype=a.dtype)


def histogram(a, bins=10, range=None, weights=None, density=None):
    """Counts (or summed ``weights``) of ``a`` in each bin, and the bin edges; the last
    bin includes its right edge.

    >>> histogram(jnp.array([1., 2., 1., 4.]), bins=3)[0]
    Array([2., 1., 1.], dtype=float32)
    """
    from ._sorting import searchsorted
    from ._reductions import sum as _sum
    from ._shape import ravel
    edges = histogram_bin_edges(a, bins, range)
    a = ravel(lax.convert_element_type(asarray(a), edges.dtype))
    nb = edges.shape[0] - 1
    idx = lax.sub(searchsorted(edges, a, side='right'), 1)
    # the right edge belongs to the last bin; values outside the edges are dropped
    last = lax.full(idx.shape, nb - 1, idx.dtype)
    idx = lax.select_n(lax.eq(a, _slice(edges, nb, nb + 1, 0)[0]), idx, last)
    inside = lax.bitwise_and(lax.ge(idx, 0), lax.lt(idx, nb))
    idx = lax.select_n(inside, lax.full(idx.shape, nb, idx.dtype), idx)
    w = lax.full(a.shape, 1, edges.dtype) if weights is None else \
        ravel(lax.convert_element_type(asarray(weights), edges.dtype))
    counts = lax.index_update(lax.full((nb,), 0, w.dtype), idx, w, mode='add', oob='drop')
    if density:
        widths = diff(edges)
        counts = lax.div(lax.div(counts, _sum(counts)), widths)
    return counts, edges


# --- Covariance ------------------------------------------------------------------------

def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """Covariance matrix of the variables (rows of ``m`` if ``rowvar``), with optional
    integer frequency weights and observation weights, as ``np.cov``."""
    from ._shape import concatenate, atleast_2d
    from ._linalg_basic import dot
    from ._math import conj
    from ._reductions import sum as _sum
    m = asarray(m)
    if m.ndim > 2:
        raise ValueError(f"cov: m has more than 2 dimensions (shape {tuple(m.shape)})")
    X = atleast_2d(m)
    if not rowvar and X.shape[0] != 1:
        X = lax.transpose(X, (1, 0))
    if y is not None:
        Y = atleast_2d(asarray(y))
        if not rowvar and Y.shape[0] != 1:
            Y = lax.transpose(Y, (1, 0))
        X = concatenate([X, Y], axis=0)
    X, = promote_dtypes_inexact(X)
    if ddof is None:
        ddof = 0 if bias else 1
    n = X.shape[1]
    w = None
    if fweights is not None:
        w = lax.convert_element_type(asarray(fweights), X.dtype)
    if aweights is not None:
        aw = lax.convert_element_type(asarray(aweights), X.dtype)
        w = aw if w is None else lax.mul(w, aw)
    if w is None:
        avg = lax.div(_sum(X, axis=1), float(n))
        fact = float(n - ddof)
    else:
        w_sum = _sum(w)
        avg = lax.div(_sum(lax.mul(X, w), axis=1), w_sum)
        if aweights is None:
            fact = lax.sub(w_sum, float(ddof))
        else:
            aw = lax.convert_element_type(asarray(aweights), X.dtype)
            fact = lax.sub(w_sum, lax.div(lax.mul(float(ddof), _sum(lax.mul(w, aw))), w_sum))
    Xc = lax.sub(X, lax.reshape(avg, (X.shape[0], 1)))
    Xw = Xc if w is None else lax.mul(Xc, w)
    c = lax.div(dot(Xw, lax.transpose(conj(Xc), (1, 0))), fact)
    return lax.reshape(c, ()) if c.shape == (1, 1) else c


def corrcoef(x, y=None, rowvar=True):
    """Pearson correlation coefficients: ``cov`` normalised by the standard deviations
    (real parts clipped to [-1, 1])."""
    from ._linalg_basic import diagonal
    from ._math import sqrt
    c = cov(x, y, rowvar)
    if c.ndim == 0:
        return lax.div(c, c)
    d = diagonal(c)
    s = sqrt(lax.real(d) if d.dtype.kind == 'c' else d)
    c = lax.div(lax.div(c, lax.reshape(s, (s.shape[0], 1))), lax.reshape(s, (1, s.shape[0])))
    if c.dtype.kind == 'c':
        return lax.complex(lax.min(lax.max(lax.real(c), -1.), 1.),
                           lax.min(lax.max(lax.imag(c), -1.), 1.))
    return lax.min(lax.max(c, -1.), 1.)


# --- Integer functions -----------------------------------------------------------------

def gcd(x1, x2, /):
    """Greatest common divisor of integers (non-negative), by Euclid's algorithm.

    >>> gcd(jnp.array([12, -9]), 6)
    Array([6, 3], dtype=int32)
    """
    x1, x2 = (asarray(v) for v in promote_dtypes(x1, x2))
    if x1.dtype.kind not in 'iub':
        raise TypeError(f"gcd: arguments must be integers, got dtype {x1.dtype.name}")
    shape = np.broadcast_shapes(x1.shape, x2.shape)
    a = lax.broadcast_to(lax.abs(x1) if x1.dtype.kind == 'i' else x1, shape)
    b = lax.broadcast_to(lax.abs(x2) if x2.dtype.kind == 'i' else x2, shape)
    zero = Array(np.zeros((), a.dtype))

    def cond(ab):
        return lax.reduce_or(lax.ne(ab[1], zero), tuple(range(len(shape))))

    def body(ab):
        a, b = ab
        nonzero = lax.ne(b, zero)
        safe_b = lax.select_n(nonzero, Array(np.ones((), a.dtype)), b)
        return (lax.select_n(nonzero, a, b),
                lax.select_n(nonzero, zero + lax.mul(b, zero), lax.rem(a, safe_b)))
    return lax.while_loop(cond, body, (a, b))[0]


def lcm(x1, x2, /):
    """Least common multiple of integers (non-negative)."""
    x1, x2 = (asarray(v) for v in promote_dtypes(x1, x2))
    g = gcd(x1, x2)
    a = lax.abs(x1) if x1.dtype.kind == 'i' else x1
    b = lax.abs(x2) if x2.dtype.kind == 'i' else x2
    zero = Array(np.zeros((), g.dtype))
    safe_g = lax.select_n(lax.eq(g, zero), g, Array(np.ones((), g.dtype)))
    return lax.select_n(lax.eq(g, zero), lax.mul(lax.div(a, safe_g), b), zero + lax.mul(g, zero))


def frexp(x, /):
    """Mantissa in [0.5, 1) (with ``x``'s sign) and exponent: ``x = m * 2**e``."""
    x, = promote_dtypes_inexact(asarray(x))
    if x.dtype.kind == 'c':
        raise TypeError("frexp does not support complex-valued inputs")
    from ._logic import isfinite
    ax = lax.abs(x)
    special = lax.bitwise_or(lax.eq(x, 0.), lax.bitwise_not(isfinite(x)))
    safe = lax.select_n(special, ax, _ones_like(ax))
    e = lax.add(lax.floor(lax.div(lax.log(safe), float(np.log(2)))), 1.)
    m = lax.div(x, lax.exp2(e))
    # log rounding can leave the mantissa just outside [0.5, 1): nudge the exponent
    big = lax.ge(lax.abs(m), 1.)
    e = lax.select_n(big, e, lax.add(e, 1.))
    small = lax.lt(lax.abs(lax.div(x, lax.exp2(e))), 0.5)
    e = lax.select_n(small, e, lax.sub(e, 1.))
    m = lax.div(x, lax.exp2(e))
    e = lax.select_n(special, lax.convert_element_type(e, np.int32),
                     lax.full(e.shape, 0, np.int32))
    m = lax.select_n(special, m, x)
    return m, e
