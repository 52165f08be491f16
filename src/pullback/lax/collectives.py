"""Collectives over a named vmap axis: psum, pmean, pmax, pmin, all_gather, axis_index.

``vmap(f, axis_name='i')`` names its batch axis; inside ``f``, ``lax.psum(x, 'i')`` sums
``x`` over the batch members and gives every member the result.  Each collective is a
primitive whose batching rule, run by the vmap trace of that name, reduces over the batch
axis; under other vmaps it just carries their batch axis through.  Outside any vmap of that
name there is nothing to reduce over, which is an error.

    >>> vmap(lambda x: x / lax.psum(x, 'i'), axis_name='i')(jnp.arange(1., 4.))
    Array([0.16666667, 0.33333334, 0.5       ], dtype=float32)
"""
import numpy as np

from .._core.core import Primitive, first_weak, never_weak
from .._core.rules import deflinear, not_mapped
from ._util import moveaxis_to_front, shape_of

__all__ = ['psum', 'pmean', 'pmax', 'pmin', 'all_gather', 'axis_index', 'psum_p',
           'pmax_p', 'pmin_p', 'all_gather_p', 'axis_index_p']


def _unbound(name):
    def impl(*args, axis_name, **params):
        raise NameError(f"unbound axis name: {axis_name!r}. {name} needs to run inside "
                        f"vmap(..., axis_name={axis_name!r}) (or a nested function of it)")
    return impl


def _collective(name, reduce, weak_rule=first_weak):
    """A reduction over the named batch axis; the result is the same for every member."""
    prim = Primitive(name)
    prim.collective = True
    prim.impl = _unbound(name)
    prim.abstract_eval = lambda x, axis_name: x
    prim.weak_type_rule = weak_rule

    def batch(axis, vals, dims, axis_name):
        x, = vals
        d, = dims
        if axis.name != axis_name:  # another vmap's axis: carry it through
            return prim.bind(x, axis_name=axis_name), d
        return reduce(x, d, axis.size), not_mapped
    prim.batch = batch
    return prim


def _sum(x, d, size):
    from .reductions import reduce_sum
    from .elementwise import mul
    if d is not_mapped:
        return mul(x, size)
    return reduce_sum(x, (d,))


def _extremum(kind):
    def reduce(x, d, size):
        from . import reductions
        if d is not_mapped:
            return x
        return getattr(reductions, kind)(x, (d,))
    return reduce


psum_p = _collective('psum', _sum)
# The sum over members is linear; its transpose hands every member the whole cotangent
# (the cotangent of a value every member shares), so it passes ct through unchanged.
deflinear(psum_p, lambda ct, x, axis_name: [ct])

pmax_p = _collective('pmax', _extremum('reduce_max'))
pmin_p = _collective('pmin', _extremum('reduce_min'))
# pmax/pmin have no JVP of their own: differentiating inside the vmapped function reaches
# the reduce_max/reduce_min JVP through the batching rule.


def _gather_all(x, d, size):
    from .shapes import broadcast_in_dim
    if d is not_mapped:
        s = tuple(shape_of(x))
        return broadcast_in_dim(x, (size,) + s, tuple(range(1, len(s) + 1)))
    return moveaxis_to_front(x, d)


all_gather_p = _collective('all_gather', _gather_all)


def _all_gather_abstract_eval(x, axis_name):
    raise NameError(f"all_gather over axis {axis_name!r}: its size is only known inside "
                    f"vmap(..., axis_name={axis_name!r}); staging it out (jit inside the "
                    f"vmap) is not supported")


all_gather_p.abstract_eval = _all_gather_abstract_eval


axis_index_p = Primitive('axis_index')
axis_index_p.collective = True
axis_index_p.impl = _unbound('axis_index')
axis_index_p.weak_type_rule = never_weak


def _axis_index_abstract_eval(axis_name):
    from .._core.avals import ShapedArray
    from .. import dtypes
    return ShapedArray((), dtypes.default_int_dtype())


def _axis_index_batch(axis, vals, dims, axis_name):
    from .. import dtypes
    from .._array import Array
    return Array(np.arange(axis.size, dtype=dtypes.default_int_dtype())), 0


axis_index_p.abstract_eval = _axis_index_abstract_eval
axis_index_p.batch = _axis_index_batch


def psum(x, axis_name):
    """Sum of ``x`` over the members of the vmap axis ``axis_name`` (a pytree is fine)."""
    from ..tree_util import tree_map
    return tree_map(lambda v: psum_p.bind(v, axis_name=axis_name), x)


def pmean(x, axis_name):
    """Mean of ``x`` over the members of the vmap axis ``axis_name``."""
    from ..tree_util import tree_map
    from .elementwise import div

    def mean(v):
        total = psum_p.bind(v, axis_name=axis_name)
        count = psum_p.bind(_ones_like(v), axis_name=axis_name)
        return div(total, count)
    return tree_map(mean, x)


def _ones_like(v):
    from .elementwise import add, mul
    return add(mul(v, 0), 1)


def pmax(x, axis_name):
    """Maximum of ``x`` over the members of the vmap axis ``axis_name``."""
    from ..tree_util import tree_map
    return tree_map(lambda v: pmax_p.bind(v, axis_name=axis_name), x)


def pmin(x, axis_name):
    """Minimum of ``x`` over the members of the vmap axis ``axis_name``."""
    from ..tree_util import tree_map
    return tree_map(lambda v: pmin_p.bind(v, axis_name=axis_name), x)


def all_gather(x, axis_name):
    """Every member's ``x`` stacked along a new leading axis, given to every member."""
    from ..tree_util import tree_map
    return tree_map(lambda v: all_gather_p.bind(v, axis_name=axis_name), x)


def axis_index(axis_name):
    """The position of the current member along the vmap axis ``axis_name``."""
    return axis_index_p.bind(axis_name=axis_name)
