"""``pullback.scipy.special``: special functions, built on ``pullback.lax``.

    >>> from pullback.scipy.special import logsumexp, erf, gammaln
    >>> logsumexp(jnp.array([1., 2., 3.]))
    Array(3.4076061, dtype=float32)

Integer inputs are promoted to the default float type, as in JAX.  Everything here is written
with ``lax``/``pullback.numpy`` operations, so it works under every transformation and its
derivatives come from the primitives' rules.  Where JAX attaches a custom JVP only to fix a
derivative at a removable singularity (``xlogy``, ``xlog1py`` at ``x == 0``), the formulas
below are arranged so that automatic differentiation gives the same values.
"""
import numpy as np

from .. import dtypes, lax
from .._array import Array
from .. import numpy as jnp

__all__ = ['erf', 'erfc', 'erfinv', 'gammaln', 'digamma', 'xlogy', 'xlog1py', 'entr',
           'logit', 'expit', 'logsumexp', 'softmax', 'log_softmax', 'ndtr', 'ndtri',
           'log_ndtr']


def _inexact(*xs):
    """Arrays of a common float (or complex) dtype; weak only if every input is weak (Python
    scalars), as in JAX."""
    dtype, weak = dtypes.result_type(*xs, return_weak_type_flag=True)
    dtype = dtypes.to_inexact(dtype)
    return [lax.convert_element_type(jnp.asarray(x), dtype, weak) for x in xs]


def _const(x, value):
    """``value`` as a scalar of ``x``'s dtype and weak type (so weak inputs stay weak)."""
    return Array(np.asarray(value, x.dtype), x.weak_type)


def _real_float(name, x):
    x, = _inexact(x)
    if x.dtype.kind != 'f':
        raise TypeError(f"{name} requires a real floating-point argument, got dtype "
                        f"{x.dtype}")
    return x


# --- thin wrappers over lax --------------------------------------------------------------------

def erf(x):
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt``."""
    return lax.erf(_real_float('erf', x))


def erfc(x):
    """The complementary error function ``1 - erf(x)``, accurate for large ``x``."""
    return lax.erfc(_real_float('erfc', x))


def erfinv(x):
    """The inverse of :func:`erf` on ``(-1, 1)`` (``+-inf`` at ``+-1``)."""
    return lax.erf_inv(_real_float('erfinv', x))


def gammaln(x):
    """``log|Gamma(x)|``."""
    return lax.lgamma(_real_float('gammaln', x))


def digamma(x):
    """The logarithmic derivative of the gamma function, ``Gamma'(x) / Gamma(x)``."""
    return lax.digamma(_real_float('digamma', x))


def expit(x):
    """The logistic sigmoid ``1 / (1 + exp(-x))``."""
    x, = _inexact(x)
    return lax.logistic(x)


def logit(x):
    """The inverse of :func:`expit`: ``log(x / (1 - x))``."""
    x, = _inexact(x)
    return lax.log(lax.div(x, lax.sub(_const(x, 1), x)))


# --- x log y ------------------------------------------------------------------------------------

def _x_times_log(x, log_y):
    """``x * log_y`` that is ``+0`` where ``x == 0`` (even where ``log_y`` is infinite or NaN).

    Where ``x == 0`` the factor is masked only if it is not finite, so the derivative in ``x``
    there is still ``log_y`` (what JAX's custom JVP gives); ``+ 0`` turns the product's signed
    zero into ``+0``.
    """
    zero = _const(x, 0)
    at_zero = lax.eq(x, zero)
    masked = jnp.where(lax.bitwise_and(at_zero, lax.bitwise_not(jnp.isfinite(log_y))),
                       zero, log_y)
    product = lax.mul(x, masked)
    return jnp.where(at_zero, lax.add(product, zero), product)


def xlogy(x, y):
    """``x * log(y)``, defined as 0 where ``x == 0``.

    >>> xlogy(0., 0.)
    Array(0., dtype=float32, weak_type=True)
    """
    x, y = _inexact(x, y)
    return _x_times_log(x, lax.log(y))


def xlog1py(x, y):
    """``x * log1p(y)``, defined as 0 where ``x == 0``."""
    x, y = _inexact(x, y)
    return _x_times_log(x, lax.log1p(y))


def entr(x):
    """Elementwise entropy: ``-x log x`` for ``x > 0``, 0 at 0, ``-inf`` for ``x < 0``."""
    x = _real_float('entr', x)
    return jnp.where(lax.lt(x, _const(x, 0)), _const(x, -np.inf),
                     lax.neg(_x_times_log(x, lax.log(x))))


# --- logsumexp and softmax ----------------------------------------------------------------------

def _axes(ndim, axis):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"logsumexp: axis {a} is out of bounds for an array of rank {ndim}")
        out.append(int(a) % max(ndim, 1))
    return tuple(sorted(set(out))) if ndim else ()


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """``log(sum(b * exp(a)))`` over ``axis``, computed without overflow.

    ``b`` scales the terms (it may be negative: then ``return_sign=True`` returns
    ``(log|sum|, sign)``, and otherwise a negative sum gives NaN).  ``where`` masks terms out.
    The maximum that is subtracted is a constant for differentiation (``stop_gradient``), so
    the gradient is ``softmax``.

    >>> logsumexp(jnp.array([0., 0.]), b=jnp.array([1., -1.]), return_sign=True)
    (Array(-inf, dtype=float32), Array(0., dtype=float32))
    """
    if where is not None:
        a = jnp.where(where, a, 0)
    if b is not None:
        a, b = _inexact(a, b)
        a = jnp.where(lax.ne(b, _const(b, 0)), a, _const(a, -np.inf))
    else:
        a, = _inexact(a)
    dims = _axes(a.ndim, axis)
    real = jnp.real(a) if a.dtype.kind == 'c' else a
    masked = real if where is None else jnp.where(where, real, _const(real, -np.inf))
    amax = jnp.max(masked, axis=dims, keepdims=True) if dims else masked
    # a max of -inf (all terms masked) or +-inf must not turn the differences into NaN
    amax = lax.stop_gradient(jnp.where(jnp.isfinite(amax), amax, _const(amax, 0)))
    terms = lax.exp(lax.sub(a, lax.convert_element_type(amax, a.dtype)))
    if b is not None:
        terms = lax.mul(terms, b)
    if where is not None:
        terms = jnp.where(where, terms, _const(terms, 0))
    total = jnp.sum(terms, axis=dims, keepdims=True) if dims else terms
    sign = lax.sign(total)
    if return_sign or a.dtype.kind != 'c':
        total = lax.abs(total)
    out = lax.add(lax.log(total), lax.convert_element_type(amax, total.dtype))
    if not keepdims and dims:
        out = jnp.squeeze(out, axis=dims)
        sign = jnp.squeeze(sign, axis=dims)
    if return_sign:
        return out, sign
    if b is not None and out.dtype.kind != 'c':
        out = jnp.where(lax.lt(sign, _const(sign, 0)), _const(out, np.nan), out)
    return out


def softmax(x, axis=-1, where=None):
    """``exp(x) / sum(exp(x))`` along ``axis`` (masked entries are 0)."""
    from ..nn import softmax as _softmax
    return _softmax(x, axis=axis, where=where)


def log_softmax(x, axis=-1, where=None):
    """``x - logsumexp(x)`` along ``axis``."""
    from ..nn import log_softmax as _log_softmax
    return _log_softmax(x, axis=axis, where=where)


# --- the normal distribution --------------------------------------------------------------------

def _normal_float(name, x):
    x = jnp.asarray(x)
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name}: x.dtype={x.dtype} is not supported; use float32 or float64")
    return lax.convert_element_type(x, x.dtype, weak_type=False)  # strong, as in JAX


def ndtr(x):
    """The standard normal CDF ``Phi(x) = (1 + erf(x / sqrt 2)) / 2``.

    For ``|x / sqrt 2| >= 1/sqrt 2`` it goes through ``erfc``, which keeps the relative accuracy
    of the small tail values.
    """
    x = _normal_float('ndtr', x)
    return _ndtr(x)


def _ndtr(x):
    half_sqrt2 = _const(x, 0.5 * np.sqrt(2.))
    w = lax.mul(x, half_sqrt2)
    z = lax.abs(w)
    one, two = _const(x, 1), _const(x, 2)
    tail = jnp.where(lax.gt(w, _const(x, 0)), lax.sub(two, lax.erfc(z)), lax.erfc(z))
    y = jnp.where(lax.lt(z, half_sqrt2), lax.add(one, lax.erf(w)), tail)
    return lax.mul(_const(x, 0.5), y)


def _polyval(coeffs, x):
    """Horner's rule, highest degree first."""
    acc = _const(x, coeffs[0])
    for c in coeffs[1:]:
        acc = lax.add(lax.mul(acc, x), _const(x, c))
    return acc


# Cephes' ndtri rational approximations (public-domain coefficients): P0/Q0 for the central
# region |p - 1/2| < 1/2 - exp(-2), P1/Q1 for z = sqrt(-2 log p) < 8, P2/Q2 beyond.
_NDTRI_P0 = (-5.99633501014107895267E1, 9.80010754185999661536E1, -5.66762857469070293439E1,
             1.39312609387279679503E1, -1.23916583867381258016E0)
_NDTRI_Q0 = (1.0, 1.95448858338141759834E0, 4.67627912898881538453E0, 8.63602421390890590575E1,
             -2.25462687854119370527E2, 2.00260212380060660359E2, -8.20372256168333339912E1,
             1.59056225126211695515E1, -1.18331621121330003142E0)
_NDTRI_P1 = (4.05544892305962419923E0, 3.15251094599893866154E1, 5.71628192246421288162E1,
             4.40805073893200834700E1, 1.46849561928858024014E1, 2.18663306850790267539E0,
             -1.40256079171354495875E-1, -3.50424626827848203418E-2, -8.57456785154685413611E-4)
_NDTRI_Q1 = (1.0, 1.57799883256466749731E1, 4.53907635128879210584E1, 4.13172038254672030440E1,
             1.50425385692907503408E1, 2.50464946208309415979E0, -1.42182922854787788574E-1,
             -3.80806407691578277194E-2, -9.33259480895457427372E-4)
_NDTRI_P2 = (3.23774891776946035970E0, 6.91522889068984211695E0, 3.93881025292474443415E0,
             1.33303460815807542389E0, 2.01485389549179081538E-1, 1.23716634817820021358E-2,
             3.01581553508235416007E-4, 2.65806974686737550832E-6, 6.23974539184983293730E-9)
_NDTRI_Q2 = (1.0, 6.02427039364742014255E0, 3.67983563856160859403E0, 1.37702099489081330271E0,
             2.16236993594496635890E-1, 1.34204006088543189037E-2, 3.28014464682127739104E-4,
             2.89247864745380683936E-6, 6.79019408009981274425E-9)


def ndtri(p):
    """The inverse of :func:`ndtr`: ``x`` with ``Phi(x) = p`` (``-inf`` at 0, ``inf`` at 1)."""
    p = _normal_float('ndtri', p)
    e2 = np.exp(-2.)
    # work with the smaller tail probability q; the sign is restored at the end
    q = jnp.where(lax.gt(p, _const(p, 1 - e2)), lax.sub(_const(p, 1), p), p)
    q = jnp.where(lax.eq(q, _const(p, 0)), _const(p, 0.5), q)   # p in {0, 1}: patched below
    # central region: x = sqrt(2 pi) (w + w^3 P0(w^2) / Q0(w^2)) with w = q - 1/2
    w = lax.sub(q, _const(p, 0.5))
    ww = lax.mul(w, w)
    central = lax.add(w, lax.mul(lax.mul(w, ww),
                                 lax.div(_polyval(_NDTRI_P0, ww), _polyval(_NDTRI_Q0, ww))))
    central = lax.mul(central, _const(p, -np.sqrt(2 * np.pi)))
    # tails: x = z - log(z)/z - P(1/z) / (z Q(1/z)), z = sqrt(-2 log q)
    z = lax.sqrt(lax.mul(_const(p, -2.), lax.log(q)))
    iz = lax.div(_const(p, 1), z)
    head = lax.sub(z, lax.div(lax.log(z), z))
    near = lax.sub(head, lax.div(lax.div(_polyval(_NDTRI_P1, iz), _polyval(_NDTRI_Q1, iz)), z))
    far = lax.sub(head, lax.div(lax.div(_polyval(_NDTRI_P2, iz), _polyval(_NDTRI_Q2, iz)), z))
    tail = jnp.where(lax.ge(z, _const(p, 8.)), far, near)
    x = jnp.where(lax.gt(q, _const(p, e2)), central, tail)
    x = jnp.where(lax.gt(p, _const(p, 1 - e2)), x, lax.neg(x))
    x = jnp.where(lax.eq(p, _const(p, 0)), _const(p, -np.inf), x)
    return jnp.where(lax.eq(p, _const(p, 1)), _const(p, np.inf), x)


def log_ndtr(x, series_order=3):
    """``log(ndtr(x))``, accurate far into both tails.

    Above ``upper`` (5 in float32, 8 in float64) it is ``log1p(-ndtr(-x))``, between ``lower``
    (-10 / -20) and ``upper`` ``log(ndtr(x))``, and below ``lower`` the asymptotic series
    ``-x^2/2 - log(-x) - log(2 pi)/2 + log(1 + sum_n (-1)^n (2n-1)!! / x^(2n))``.
    """
    if not 0 <= int(series_order) <= 30:
        raise ValueError(f"log_ndtr: series_order must be in [0, 30], got {series_order}")
    x = _normal_float('log_ndtr', x)
    lower, upper = (-10., 5.) if x.dtype == np.float32 else (-20., 8.)
    # each branch sees only inputs where it is finite, so no NaN leaks into the gradient
    x_hi = jnp.where(lax.gt(x, _const(x, upper)), x, _const(x, upper))
    x_mid = jnp.clip(x, _const(x, lower), _const(x, upper))
    x_lo = jnp.where(lax.lt(x, _const(x, lower)), x, _const(x, lower))
    hi = lax.log1p(lax.neg(_ndtr(lax.neg(x_hi))))
    mid = lax.log(_ndtr(x_mid))
    lo = _log_ndtr_series(x_lo, int(series_order))
    return jnp.where(lax.gt(x, _const(x, upper)), hi,
                     jnp.where(lax.gt(x, _const(x, lower)), mid, lo))


def _log_ndtr_series(x, order):
    x2 = lax.mul(x, x)
    log_scale = lax.sub(lax.sub(lax.mul(_const(x, -0.5), x2), lax.log(lax.neg(x))),
                        _const(x, 0.5 * np.log(2 * np.pi)))
    total = _const(x, 1.)
    power = x2
    double_factorial = 1
    for n in range(1, order + 1):
        double_factorial *= 2 * n - 1
        term = lax.div(_const(x, double_factorial), power)
        total = lax.sub(total, term) if n % 2 else lax.add(total, term)
        power = lax.mul(power, x2)
    return lax.add(log_scale, lax.log(total))
