"""``pullback.numpy``: the NumPy API on pullback arrays, written only on ``pullback.lax``.

    >>> import pullback.numpy as jnp
    >>> jnp.sum(jnp.sin(jnp.arange(3.)) ** 2)
    Array(1.5348952, dtype=float32)

The functions live in family modules (``_math``, ``_reductions``, ``_shape``, ...), each
listing its public names in ``__all__``; this module re-exports them.
"""
from .._array import _set_numpy_module
from ._scalar_types import *  # noqa: F401,F403
from ._math import *  # noqa: F401,F403
from ._logic import *  # noqa: F401,F403
from ._creation import *  # noqa: F401,F403
from ._reductions import *  # noqa: F401,F403
from ._shape import *  # noqa: F401,F403
from ._pad import *  # noqa: F401,F403
from ._sorting import *  # noqa: F401,F403
from ._indexing import *  # noqa: F401,F403
from ._indexing import _getitem, _IndexUpdateHelper  # noqa: F401 (used by Array)
from ._linalg_basic import *  # noqa: F401,F403
from ._comparison import *  # noqa: F401,F403
from ._numerical import *  # noqa: F401,F403
from ._index_tricks import *  # noqa: F401,F403
from ._setops import *  # noqa: F401,F403
from . import linalg  # noqa: F401

_set_numpy_module(__import__(__name__, fromlist=['_']))
