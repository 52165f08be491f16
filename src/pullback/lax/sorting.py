"""Sorting: one multi-operand primitive, ``sort``, and the functions built on it
(``sort_key_val``, ``argsort``, ``top_k``).

``sort_p.bind(*operands, dimension, is_stable, num_keys)`` sorts all operands (one shape)
along ``dimension`` by the first ``num_keys`` of them, lexicographically; NaNs go last.
The order is always stable (``is_stable`` is kept for JAX compatibility).  Its JVP sorts an
extra ``iota`` operand alongside to learn the permutation, then gathers the tangents with it.

    >>> sort_key_val(jnp.array([3., 1., 2.]), jnp.array([0, 1, 2]))
    (Array([1., 2., 3.], dtype=float32), Array([1, 2, 0], dtype=int32))
"""
import numpy as np

from .._core.core import Primitive, Zero, is_weak
from .._core.avals import ShapedArray
from ._util import shape_of, ndim_of, bdim_at_front, canonical_axis

__all__ = ['sort', 'sort_key_val', 'argsort', 'top_k']


def _sort_impl(*operands, dimension, is_stable, num_keys):
    operands = [np.asarray(o) for o in operands]
    if not 1 <= num_keys <= len(operands) or any(o.shape != operands[0].shape
                                                 for o in operands):
        raise ValueError("sort: bad operands")  # the abstract evaluation explains
    if len(operands) == 1:
        return [np.sort(operands[0], axis=dimension, kind='stable')]
    if num_keys == 1:
        perm = np.argsort(operands[0], axis=dimension, kind='stable')
    else:  # np.lexsort sorts by its *last* key first
        perm = np.lexsort(operands[num_keys - 1::-1], axis=dimension)
    return [np.take_along_axis(o, perm, dimension) for o in operands]


def _sort_abstract_eval(*operands, dimension, is_stable, num_keys):
    if not operands:
        raise TypeError("sort: needs at least one operand")
    shape = operands[0].shape
    if any(o.shape != shape for o in operands):
        raise TypeError(f"sort: all operands must have the same shape, got "
                        f"{', '.join(o.str_short() for o in operands)}")
    if not 0 <= dimension < len(shape):
        raise ValueError(f"sort: dimension {dimension} is out of bounds for operands of shape "
                         f"{shape}")
    if not 1 <= num_keys <= len(operands):
        raise ValueError(f"sort: num_keys={num_keys} must be between 1 and the number of "
                         f"operands ({len(operands)})")
    return [ShapedArray(o.shape, o.dtype, o.weak_type) for o in operands]


def _sort_jvp(primals, tangents, dimension, is_stable, num_keys):
    from .shapes import broadcasted_iota
    from .indexing import take_along_axis
    iota = broadcasted_iota(np.int32, shape_of(primals[0]), dimension)
    *outs, perm = sort_p.bind(*primals, iota, dimension=dimension, is_stable=is_stable,
                              num_keys=num_keys)
    tangents_out = [Zero(primal=o) if type(t) is Zero else take_along_axis(t, perm, dimension)
                    for o, t in zip(outs, tangents)]
    return outs, tangents_out


def _sort_batch(axis, vals, dims, dimension, is_stable, num_keys):
    xs = [bdim_at_front(x, d, axis.size) for x, d in zip(vals, dims)]
    outs = sort_p.bind(*xs, dimension=dimension + 1, is_stable=is_stable, num_keys=num_keys)
    return outs, [0] * len(outs)


sort_p = Primitive('sort', multiple_results=True)
sort_p.impl = _sort_impl
sort_p.abstract_eval = _sort_abstract_eval
sort_p.weak_type_rule = lambda args, params: [is_weak(a) for a in args]
sort_p.jvp = _sort_jvp
sort_p.batch = _sort_batch


def sort(operand, dimension=-1, is_stable=True, num_keys=1):
    """Sort along ``dimension``.  ``operand`` is an array, or a sequence of arrays of one
    shape sorted together by the first ``num_keys`` of them (then a tuple is returned).

    >>> sort(jnp.array([2., 0., 1.]))
    Array([0., 1., 2.], dtype=float32)
    """
    single = not isinstance(operand, (list, tuple))
    operands = [operand] if single else list(operand)
    if not operands:
        raise TypeError("sort: needs at least one operand")
    dimension = canonical_axis(dimension, ndim_of(operands[0]), 'dimension', 'sort')
    outs = sort_p.bind(*operands, dimension=dimension, is_stable=bool(is_stable),
                       num_keys=int(num_keys))
    return outs[0] if single else tuple(outs)


def sort_key_val(keys, values, dimension=-1, is_stable=True):
    """Sort ``keys`` along ``dimension`` and permute ``values`` the same way."""
    k, v = sort((keys, values), dimension, is_stable, 1)
    return k, v


def argsort(operand, dimension=-1, is_stable=True, descending=False):
    """Indices (int32) that sort ``operand`` along ``dimension``; equal elements keep their
    order, also when ``descending``.

    >>> argsort(jnp.array([3., 1., 3.]), descending=True)
    Array([0, 2, 1], dtype=int32)
    """
    from .shapes import broadcasted_iota, rev
    from .elementwise import sub
    shape = tuple(shape_of(operand))
    dimension = canonical_axis(dimension, len(shape), 'dimension', 'argsort')
    iota = broadcasted_iota(np.int32, shape, dimension)
    if not descending:
        return sort((operand, iota), dimension, is_stable, 1)[1]
    # sort the reversed array ascending (stable), then reverse back: ties keep their order
    perm = sort((rev(operand, (dimension,)), iota), dimension, is_stable, 1)[1]
    return sub(np.int32(shape[dimension] - 1), rev(perm, (dimension,)))


def top_k(operand, k):
    """The ``k`` largest entries along the last axis, in descending order, and their
    indices (ties: the lower index first; NaN counts as largest).

    >>> top_k(jnp.array([1., 4., 2., 4.]), 2)
    (Array([4., 4.], dtype=float32), Array([1, 3], dtype=int32))
    """
    from .shapes import broadcasted_iota, rev, slice_in_dim
    from .elementwise import sub
    shape = tuple(shape_of(operand))
    if not shape:
        raise TypeError("top_k: operand must have at least one dimension")
    last = len(shape) - 1
    k = int(k)
    if not 0 <= k <= shape[last]:
        raise ValueError(f"top_k: k={k} must be between 0 and the size of the last axis "
                         f"({shape[last]})")
    iota = broadcasted_iota(np.int32, shape, last)
    values, perm = sort((rev(operand, (last,)), iota), last, True, 1)
    values = rev(values, (last,))
    indices = sub(np.int32(shape[last] - 1), rev(perm, (last,)))
    return slice_in_dim(values, 0, k, axis=last), slice_in_dim(indices, 0, k, axis=last)
