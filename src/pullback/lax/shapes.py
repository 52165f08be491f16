"""Shape primitives: broadcast_in_dim, reshape, transpose (more join from helpers)."""
import numpy as np

from .._core.core import Primitive, Zero, first_weak, get_aval
from .._core.avals import ShapedArray
from .._core.rules import deflinear, is_undefined, not_mapped
from ._util import shape_of, moveaxis_to_front


def _shape_prim(name, impl, abstract_eval, transpose, batch, codegen=None):
    prim = Primitive(name)
    prim.impl = impl
    prim.abstract_eval = abstract_eval
    prim.weak_type_rule = first_weak
    deflinear(prim, transpose)
    prim.batch = batch
    prim.codegen = codegen
    return prim


# --- broadcast_in_dim ----------------------------------------------------------------------

def _bid_impl(x, shape, broadcast_dimensions):
    x = np.asarray(x)
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(x.reshape(expanded), shape)


def _bid_abstract_eval(x, shape, broadcast_dimensions):
    if len(broadcast_dimensions) != x.ndim:
        raise TypeError(f"broadcast_in_dim: broadcast_dimensions {broadcast_dimensions} must "
                        f"have one entry per operand dimension (operand shape {x.shape})")
    for i, d in enumerate(broadcast_dimensions):
        if not 0 <= d < len(shape) or x.shape[i] not in (1, shape[d]):
            raise TypeError(f"broadcast_in_dim: operand shape {x.shape} cannot be broadcast "
                            f"to {shape} with broadcast_dimensions={broadcast_dimensions}")
    return ShapedArray(shape, x.dtype, x.weak_type)


def _bid_transpose(ct, x, shape, broadcast_dimensions):
    from .reductions import reduce_sum
    if type(ct) is Zero:
        return [None]
    in_shape = x.aval.shape
    summed = tuple(d for d in range(len(shape)) if d not in broadcast_dimensions)
    kept_ones = tuple(d for i, d in enumerate(broadcast_dimensions)
                      if in_shape[i] == 1 and shape[d] != 1)
    ct = reduce_sum(ct, tuple(sorted(summed + kept_ones))) if summed or kept_ones else ct
    return [reshape(ct, in_shape)]


def _bid_batch(axis, vals, dims, shape, broadcast_dimensions):
    x, = vals
    x = moveaxis_to_front(x, dims[0])
    size = shape_of(x)[0]
    out = broadcast_in_dim(x, (size,) + tuple(shape),
                           (0,) + tuple(d + 1 for d in broadcast_dimensions))
    return out, 0


broadcast_in_dim_p = _shape_prim('broadcast_in_dim', _bid_impl, _bid_abstract_eval,
                                 _bid_transpose, _bid_batch)


def broadcast_in_dim(x, shape, broadcast_dimensions):
    """Broadcast ``x`` to ``shape``; operand axis i becomes output axis
    ``broadcast_dimensions[i]``."""
    shape = tuple(int(s) for s in shape)
    broadcast_dimensions = tuple(int(d) for d in broadcast_dimensions)
    if tuple(shape_of(x)) == shape and broadcast_dimensions == tuple(range(len(shape))):
        return x
    return broadcast_in_dim_p.bind(x, shape=shape, broadcast_dimensions=broadcast_dimensions)


def broadcast_to(x, shape):
    """NumPy-style broadcast of ``x`` to ``shape`` (trailing axes aligned)."""
    shape = tuple(shape)
    nd = len(shape_of(x))
    return broadcast_in_dim(x, shape, tuple(range(len(shape) - nd, len(shape))))


def broadcast(x, sizes):
    """``lax.broadcast``: add leading axes of ``sizes``."""
    s = tuple(shape_of(x))
    return broadcast_in_dim(x, tuple(sizes) + s, tuple(range(len(sizes), len(sizes) + len(s))))


# --- reshape -------------------------------------------------------------------------------

def _reshape_abstract_eval(x, new_sizes, dimensions):
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size:
        raise TypeError(f"reshape: cannot reshape an array of shape {x.shape} "
                        f"({x.size} elements) into shape {new_sizes}")
    return ShapedArray(new_sizes, x.dtype, x.weak_type)


def _reshape_batch(axis, vals, dims, new_sizes, dimensions):
    x = moveaxis_to_front(vals[0], dims[0])
    return reshape(x, (shape_of(x)[0],) + tuple(new_sizes)), 0


reshape_p = _shape_prim(
    'reshape', lambda x, new_sizes, dimensions: np.reshape(x, new_sizes),
    _reshape_abstract_eval,
    lambda ct, x, new_sizes, dimensions: [None if type(ct) is Zero else reshape(ct, x.aval.shape)],
    _reshape_batch)
reshape_p.codegen = lambda x, new_sizes, dimensions: f"xp.reshape({x}, {tuple(new_sizes)!r})"


def reshape(x, new_sizes, dimensions=None):
    """``x`` with shape ``new_sizes`` (row-major order)."""
    new_sizes = tuple(int(s) for s in new_sizes)
    if dimensions is not None and tuple(dimensions) != tuple(range(len(shape_of(x)))):
        x = transpose(x, tuple(dimensions))
    if tuple(shape_of(x)) == new_sizes and not isinstance(x, (float, int, complex)):
        return x
    return reshape_p.bind(x, new_sizes=new_sizes, dimensions=None)


# --- transpose -----------------------------------------------------------------------------

def _transpose_abstract_eval(x, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise TypeError(f"transpose: permutation {permutation} is not a permutation of the "
                        f"axes of an array of rank {x.ndim}")
    return ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype, x.weak_type)


def _transpose_transpose(ct, x, permutation):
    if type(ct) is Zero:
        return [None]
    inverse = tuple(np.argsort(permutation))
    return [transpose(ct, inverse)]


def _transpose_batch(axis, vals, dims, permutation):
    x, = vals
    d = dims[0]
    # keep the batch axis where it is; permute the others around it
    perm = [p if p < d else p + 1 for p in permutation]
    perm.insert(d, d)
    return transpose(x, tuple(perm)), d


transpose_p = _shape_prim('transpose', lambda x, permutation: np.transpose(x, permutation),
                          _transpose_abstract_eval, _transpose_transpose, _transpose_batch)
transpose_p.codegen = lambda x, permutation: f"xp.transpose({x}, {tuple(permutation)!r})"


def transpose(x, permutation):
    """Permute the axes of ``x``."""
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(len(permutation))):
        return x
    return transpose_p.bind(x, permutation=permutation)
