"""Reduction primitives (reduce_sum; more join from helpers)."""
import numpy as np

from .._core.core import Primitive, Zero, never_weak
from .._core.avals import ShapedArray
from .._core.rules import deflinear, not_mapped
from ._util import shape_of


def _reduce_abstract_eval(name):
    def abstract_eval(x, axes, **params):
        for a in axes:
            if not 0 <= a < x.ndim:
                raise ValueError(f"{name}: axis {a} is out of bounds for an array of rank "
                                 f"{x.ndim}")
        shape = tuple(s for i, s in enumerate(x.shape) if i not in axes)
        return ShapedArray(shape, x.dtype, False)
    return abstract_eval


def _reduce_batch(prim):
    def batch(axis, vals, dims, axes, **params):
        x, = vals
        d = dims[0]
        # axis a of a batch member is axis a (before the batch axis) or a + 1 (after) in x
        new_axes = tuple(a if a < d else a + 1 for a in axes)
        out_d = d - sum(1 for a in axes if a < d)
        return prim.bind(x, axes=new_axes, **params), out_d
    return batch


def _reduce_sum_impl(x, axes):
    return np.sum(x, axis=axes, dtype=x.dtype)


def _reduce_sum_transpose(ct, x, axes):
    from .shapes import broadcast_in_dim
    if type(ct) is Zero:
        return [None]
    shape = x.aval.shape
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    return [broadcast_in_dim(ct, shape, kept)]


reduce_sum_p = Primitive('reduce_sum')
reduce_sum_p.impl = _reduce_sum_impl
reduce_sum_p.abstract_eval = _reduce_abstract_eval('reduce_sum')
reduce_sum_p.weak_type_rule = never_weak
deflinear(reduce_sum_p, _reduce_sum_transpose)
reduce_sum_p.batch = _reduce_batch(reduce_sum_p)
reduce_sum_p.codegen = lambda x, axes: f"xp.sum({x}, axis={tuple(axes)!r}, dtype={x}.dtype)"


def reduce_sum(x, axes):
    """Sum of ``x`` over ``axes`` (a tuple of non-negative ints)."""
    axes = tuple(sorted(int(a) for a in axes))
    return reduce_sum_p.bind(x, axes=axes)
