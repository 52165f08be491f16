"""``pullback.scipy``: the parts of ``jax.scipy`` that pullback provides.

    >>> from pullback.scipy.special import logsumexp
    >>> import pullback.scipy as jsp
    >>> jsp.special.erf(0.5)
    Array(0.5204999, dtype=float32, weak_type=True)
"""
from . import special  # noqa: F401
