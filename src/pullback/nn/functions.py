"""Activation functions and friends for neural networks (``pullback.nn``).

    >>> from pullback import nn
    >>> nn.relu(jnp.array([-1., 0., 2.]))
    Array([0., 0., 2.], dtype=float32)
    >>> nn.softmax(jnp.array([1., 2., 3.]))
    Array([0.09003057, 0.24472846, 0.66524094], dtype=float32)

All functions are written with ``pullback.numpy``/``lax`` operations, so they work under every
transformation.  ``softmax`` has JAX's custom JVP.  JAX also attaches custom JVPs to ``relu``
and ``relu6``; here they are selects, whose derivative is already JAX's (0 at the kinks, not
the 1/2 that ``maximum`` gives on a tie).  ``log_softmax`` subtracts a ``stop_gradient``
maximum, as in JAX, so its gradient never sees an overflowing ``exp``.
"""
import operator

import numpy as np

from .. import dtypes
from .. import lax
from .. import numpy as jnp
from .._core.core import concrete_or_error
from .._transforms.custom_derivatives import custom_jvp
from ..numpy._promote import promote_dtypes_inexact
from ..scipy.special import logsumexp

__all__ = ['relu', 'relu6', 'sigmoid', 'silu', 'swish', 'softplus', 'log_sigmoid', 'elu',
           'leaky_relu', 'celu', 'selu', 'gelu', 'hard_tanh', 'hard_sigmoid', 'hard_silu',
           'hard_swish', 'soft_sign', 'squareplus', 'mish', 'glu', 'softmax', 'log_softmax',
           'logsumexp', 'one_hot', 'standardize']


def _array(x):
    return jnp.asarray(x)


def _inexact(x):
    return jnp.asarray(promote_dtypes_inexact(x)[0])


# --- rectifiers ---------------------------------------------------------------------------------

def relu(x):
    """``max(x, 0)``, with derivative 0 at ``x == 0`` (as JAX).

    >>> grad(nn.relu)(0.)
    Array(0., dtype=float32, weak_type=True)
    """
    x = _array(x)
    return jnp.where(x <= 0, jnp.zeros_like(x), x)   # NaN stays NaN: the comparison is False


def relu6(x):
    """``min(max(x, 0), 6)``, with derivative 0 at both kinks."""
    x = _array(x)
    return jnp.where(x <= 0, jnp.zeros_like(x), jnp.where(x >= 6, jnp.full_like(x, 6), x))


def leaky_relu(x, negative_slope=1e-2):
    """``x`` for ``x >= 0``, ``negative_slope * x`` below."""
    x = _array(x)
    return jnp.where(x >= 0, x, negative_slope * x)


def elu(x, alpha=1.0):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below."""
    x = _array(x)
    # the expm1 branch only ever sees non-positive inputs, so it cannot overflow
    return jnp.where(x > 0, x, alpha * jnp.expm1(jnp.where(x > 0, 0., x)))


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``."""
    x = _array(x)
    return jnp.maximum(x, 0.) + alpha * jnp.expm1(jnp.minimum(x, 0.) / alpha)


def selu(x):
    """Scaled ELU with the self-normalising constants of Klambauer et al. (2017)."""
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    return scale * elu(x, alpha)


def hard_tanh(x):
    """``x`` clipped to ``[-1, 1]``."""
    x = _array(x)
    return jnp.where(x > 1, jnp.ones_like(x), jnp.where(x < -1, jnp.full_like(x, -1), x))


def hard_sigmoid(x):
    """``relu6(x + 3) / 6``."""
    return relu6(_array(x) + 3.) / 6.


def hard_silu(x):
    """``x * hard_sigmoid(x)``."""
    x = _array(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


# --- smooth activations -------------------------------------------------------------------------

def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``."""
    return lax.logistic(_inexact(x))


def silu(x):
    """``x * sigmoid(x)`` (also called swish)."""
    x = _inexact(x)
    return x * sigmoid(x)


swish = silu


def softplus(x):
    """``log(1 + exp(x))``, computed without overflow: ``x + log1p(exp(-x))`` for ``x > 0``,
    ``log1p(exp(x))`` otherwise (JAX's ``logaddexp(x, 0)``, operation for operation).

    Each branch only sees inputs for which it is finite, so neither the value nor the
    gradient can pick up an overflow; at 0 the derivative is exactly 1/2.
    """
    x = _inexact(x)
    positive = x > 0
    zero = jnp.zeros_like(x)
    xp = jnp.where(positive, x, zero)
    xn = jnp.where(positive, zero, x)
    return jnp.where(positive, xp + jnp.log1p(jnp.exp(-xp)), jnp.log1p(jnp.exp(xn)))


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``."""
    return -softplus(-_inexact(x))


def soft_sign(x):
    """``x / (|x| + 1)``."""
    x = _array(x)
    return x / (jnp.abs(x) + 1)


def squareplus(x, b=4):
    """``(x + sqrt(x^2 + b)) / 2``."""
    x = _inexact(x)
    return (x + jnp.sqrt(jnp.square(x) + b)) / 2


def mish(x):
    """``x * tanh(softplus(x))``."""
    x = _inexact(x)
    return x * jnp.tanh(softplus(x))


def gelu(x, approximate=True):
    """The Gaussian error linear unit ``x * Phi(x)``.

    ``approximate=True`` (the default, as in JAX) uses the tanh approximation
    ``x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``; ``False`` the exact
    ``x/2 erfc(-x / sqrt 2)``.
    """
    x = _inexact(x)
    if approximate:
        c = jnp.asarray(np.sqrt(2 / np.pi).astype(x.dtype))
        cdf = 0.5 * (1.0 + jnp.tanh(c * (x + 0.044715 * (x ** 3))))
        return x * cdf
    half_sqrt = jnp.asarray(np.sqrt(0.5).astype(x.dtype))
    return 0.5 * x * lax.erfc(-x * half_sqrt)


def glu(x, axis=-1):
    """Gated linear unit: the first half of ``x`` along ``axis`` times the sigmoid of the
    second half."""
    x = _array(x)
    size = x.shape[axis]
    if size % 2:
        raise ValueError(f"glu: the size of axis {axis} must be even, got {size} "
                         f"(shape {tuple(x.shape)})")
    a, b = jnp.split(x, 2, axis)
    return a * sigmoid(b)


# --- softmax ------------------------------------------------------------------------------------

def _masked_max(x, axis, where):
    if where is not None:
        x = jnp.where(where, x, -np.inf)
    return jnp.max(x, axis=axis, keepdims=True)


def softmax(x, axis=-1, where=None):
    """``exp(x) / sum(exp(x))`` along ``axis`` (an int or a tuple); entries masked out by
    ``where`` are 0.

    As in JAX, the derivative is the custom rule ``y * (dx - sum(y * dx))``: cheaper than
    differentiating through ``exp`` and the division, and as stable.

    >>> nn.softmax(jnp.array([1000., 1000.]))     # no overflow
    Array([0.5, 0.5], dtype=float32)
    """
    axis = axis if isinstance(axis, (int, np.integer)) else tuple(axis)
    return _softmax(_inexact(x), axis, where)


def _softmax_impl(x, axis, where):
    x_max = lax.stop_gradient(_masked_max(x, axis, where))
    safe = x if where is None else jnp.where(where, x, -np.inf)
    unnormalized = jnp.exp(safe - x_max)
    if where is not None:
        unnormalized = jnp.where(where, unnormalized, 0)
    result = unnormalized / jnp.sum(unnormalized, axis=axis, keepdims=True)
    if where is not None:
        result = jnp.where(where, result, 0)
    return result


def _softmax_jvp(axis, primals, tangents):
    x, where = primals
    dx, _ = tangents
    y = _softmax(x, axis, where)
    y_dx = y * dx
    if where is not None:
        y_dx = jnp.where(where, y_dx, 0)
    return y, y * (dx - jnp.sum(y_dx, axis=axis, keepdims=True))


_softmax = custom_jvp(_softmax_impl, nondiff_argnums=(1,))
_softmax.defjvp(_softmax_jvp)


def log_softmax(x, axis=-1, where=None):
    """``x - logsumexp(x)`` along ``axis``; entries masked out by ``where`` are ``-inf``."""
    x = _inexact(x)
    x_max = lax.stop_gradient(_masked_max(x, axis, where))
    safe = x if where is None else jnp.where(where, x, -np.inf)
    shifted = safe - x_max
    exps = jnp.exp(shifted)
    if where is not None:
        exps = jnp.where(where, exps, 0)
    result = shifted - jnp.log(jnp.sum(exps, axis=axis, keepdims=True))
    if where is not None:
        return jnp.where(where, result, -np.inf)
    return result


# --- one_hot and standardize --------------------------------------------------------------------

def one_hot(x, num_classes, *, dtype=None, axis=-1):
    """One-hot encoding of integer ``x``: a new axis ``axis`` of size ``num_classes``.

    Out-of-range values (negative, or ``>= num_classes``) give all-zero rows.

    >>> nn.one_hot(jnp.array([0, 2]), 3)
    Array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    num_classes = operator.index(concrete_or_error(
        num_classes, "one_hot: num_classes must be a concrete integer"))
    x = _array(x)
    dtype = dtypes.default_float_dtype() if dtype is None else dtypes.canonicalize_dtype(dtype)
    nd = x.ndim + 1
    if not -nd <= axis < nd:
        raise ValueError(f"one_hot: axis {axis} is out of bounds for the result of rank {nd}")
    axis = axis % nd
    lhs = jnp.expand_dims(x, axis)
    shape = [1] * x.ndim
    shape.insert(axis, num_classes)
    rhs = lax.broadcasted_iota(x.dtype if x.dtype.kind in 'iu' else np.int32, tuple(shape), axis)
    return lax.convert_element_type(lhs == rhs, dtype)


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None,
                *, algorithm='fast'):
    """``(x - mean) / sqrt(variance + epsilon)`` along ``axis``.

    Missing statistics are computed: ``algorithm='fast'`` uses ``E[x^2] - E[x]^2`` (clipped at
    0), ``'stable'`` the two-pass ``E[(x - E[x])^2]``.
    """
    x = _array(x)
    if mean is None:
        mean = jnp.mean(x, axis, keepdims=True, where=where)
    if variance is None:
        if algorithm == 'stable':
            variance = jnp.mean(jnp.square(x - mean), axis, keepdims=True, where=where)
        elif algorithm == 'fast':
            variance = jnp.mean(jnp.square(x), axis, keepdims=True, where=where) - \
                jnp.square(mean)
            variance = jnp.clip(variance, 0)
        else:
            raise ValueError(f"standardize: unknown algorithm {algorithm!r}; expected 'fast' "
                             f"or 'stable'")
    return (x - mean) * lax.rsqrt(variance + epsilon)
