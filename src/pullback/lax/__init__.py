"""``pullback.lax``: the primitive operations, each declared once with all of its rules,
and the functions users call to apply them."""
import numpy as np

from .._core import core as _core
from .._core.rules import _ops
from .elementwise import *  # noqa: F401,F403
from .elementwise import (add, sub, mul, div, neg, convert_element_type, stop_gradient,
                          select_n)
from .shapes import broadcast_in_dim, broadcast_to, broadcast, reshape, transpose
from .reductions import reduce_sum
from .dot import dot_general, dot
# Each family module lists its public functions in __all__.
from .indexing import *  # noqa: F401,F403
from .sorting import *  # noqa: F401,F403
from .control_flow import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .random_bits import *  # noqa: F401,F403
from .collectives import *  # noqa: F401,F403
from .shapes import *  # noqa: F401,F403
from .reductions import *  # noqa: F401,F403


def full(shape, fill_value, dtype=None, weak_type=False):
    """An array of ``shape`` filled with ``fill_value`` (built from a scalar, so it is a
    constant under every transformation)."""
    from .. import dtypes
    if dtype is None:
        dtype, weak_type = dtypes.result_type(fill_value, return_weak_type_flag=True)
    dtype = dtypes.canonicalize_dtype(dtype)
    if _core.is_array_like(fill_value) and isinstance(fill_value, _core.Tracer):
        return broadcast_to(convert_element_type(fill_value, dtype, weak_type), tuple(shape))
    return _core.Array(np.full(tuple(shape), fill_value, dtype), weak_type)


def full_like_aval(aval, value):
    """A concrete array of ``aval``'s shape and dtype filled with ``value`` (float0 zeros
    for integer tangents); what symbolic zeros become when an array is needed."""
    from .. import dtypes
    if aval.dtype == dtypes.float0:
        return _core.Array(np.zeros(aval.shape, aval.dtype), False)
    return _core.Array(np.full(aval.shape, value, aval.dtype), aval.weak_type)


def _zeros(aval):
    return full_like_aval(aval, 0)


_ops['zeros'] = _zeros
_core.register_zeros_builder(_zeros)
