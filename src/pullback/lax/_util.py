"""Shapes, dtypes and batch-axis helpers that many primitives' rules share."""
import numpy as np

from .._core.avals import ShapedArray
from .._core.rules import not_mapped


def shape_of(x):
    return np.shape(x) if not hasattr(x, 'shape') else x.shape


def ndim_of(x):
    return len(shape_of(x))


def broadcast_shapes(name, *shapes):
    """NumPy broadcasting of ``shapes`` or a TypeError naming the primitive."""
    first = shapes[0]
    for s in shapes:
        if s != first and s != ():
            break
    else:
        return tuple(first)  # equal shapes (and scalars): the common case, kept cheap
    if first == ():
        rest = [s for s in shapes if s != ()]
        if all(s == rest[0] for s in rest):
            return tuple(rest[0])
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise TypeError(f"{name}: operand shapes {', '.join(map(str, shapes))} are not "
                        f"broadcast-compatible") from None


def canonical_axis(axis, ndim, name='axis', fn='pullback'):
    """A non-negative axis, or a ValueError that names the function and the rank."""
    axis = int(axis)
    if not -ndim <= axis < max(ndim, 1) or (ndim == 0 and axis not in (0, -1)):
        raise ValueError(f"{fn}: {name}={axis} is out of bounds for an array of rank {ndim}")
    return axis % ndim if ndim else 0


def moveaxis_to_front(x, bdim):
    """``x`` with its batch axis ``bdim`` moved to position 0 (no-op if already there)."""
    from . import shapes
    if bdim == 0:
        return x
    nd = ndim_of(x)
    perm = (bdim,) + tuple(i for i in range(nd) if i != bdim)
    return shapes.transpose(x, perm)


def moveaxis(x, src, dst):
    from . import shapes
    if src == dst:
        return x
    nd = ndim_of(x)
    perm = [i for i in range(nd) if i != src]
    perm.insert(dst, src)
    return shapes.transpose(x, tuple(perm))


def bdim_at_front(x, bdim, size):
    """``x`` with a leading batch axis: moved there, or broadcast in if ``x`` is unbatched."""
    from . import shapes
    if bdim is not_mapped:
        shape = shape_of(x)
        return shapes.broadcast_in_dim(x, (size,) + tuple(shape),
                                       tuple(range(1, len(shape) + 1)))
    return moveaxis_to_front(x, bdim)


def unbroadcast(ct, aval):
    """Sum ``ct`` down to ``aval``'s shape: the transpose of implicit NumPy broadcasting."""
    shape = aval.shape
    ct_shape = shape_of(ct)
    if tuple(ct_shape) == tuple(shape):  # the common case: nothing was broadcast
        return ct
    from . import reductions, shapes  # (below this module: imported only when needed)
    lead = len(ct_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, (a, b) in enumerate(zip(shape, ct_shape[lead:])) if a == 1 and b != 1)
    if axes:
        ct = reductions.reduce_sum(ct, axes)
    if tuple(shape_of(ct)) != tuple(shape):
        ct = shapes.reshape(ct, tuple(shape))
    return ct


def same_aval(x, aval):
    return tuple(shape_of(x)) == tuple(aval.shape)


def check_dtype_kind(name, aval, kinds, what='operand'):
    if aval.dtype.kind not in kinds:
        allowed = {'f': 'floating', 'c': 'complex', 'i': 'signed integer',
                   'u': 'unsigned integer', 'b': 'boolean'}
        names = ' or '.join(allowed[k] for k in kinds)
        raise TypeError(f"{name} does not accept dtype {aval.dtype.name} for its {what}. "
                        f"Accepted dtypes: {names}.")


def aval(shape, dtype, weak=False):
    return ShapedArray(shape, dtype, weak)
