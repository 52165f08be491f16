"""``pullback.nn``: activation functions, softmax, one-hot encoding and initializers.

    >>> from pullback import nn
    >>> nn.gelu(1.0)
    Array(0.841192, dtype=float32)
    >>> w = nn.initializers.he_normal()(random.key(0), (3, 4))
"""
from . import initializers  # noqa: F401
from .functions import *  # noqa: F401,F403
from .functions import __all__ as _functions_all

__all__ = list(_functions_all) + ['initializers']
