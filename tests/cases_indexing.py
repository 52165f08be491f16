"""Primitive cases for the indexing (gather, scatter) and sorting families (run by
tests/test_primitives.py; the format is described in tests/cases_shapes.py).

Index arrays are drawn with negative and out-of-bounds entries, so the clamping of
gathers and the dropping of scatters are checked under every transformation.
"""
import numpy as np

from cases_shapes import _case, _normal, _distinct, _int


def _gather(shape, indexer, index_shapes, low, high, oob='clip', fill_value=None):
    def make(r):
        return [_normal(r, *shape)] + [_int(r, low, high, *s) for s in index_shapes]
    return _case(make, {'linear_args': (0,)}, indexer=indexer, oob=oob, fill_value=fill_value)


def _scatter(shape, indexer, index_shapes, upd_shape, low, high, mode, oob='drop',
             values=_normal, rtol=None):
    def make(r):
        return ([values(r, *shape), values(r, *upd_shape)]
                + [_int(r, low, high, *s) for s in index_shapes])
    opts = {'linear_args': (0, 1)}
    if rtol:
        opts['rtol'] = rtol
    return _case(make, opts, indexer=indexer, mode=mode, oob=oob)


def _unique_scatter(shape, upd_len, mode, values=_normal):
    """Distinct in-bounds indices along axis 0 (a permutation prefix)."""
    def make(r):
        return [values(r, *shape), values(r, upd_len, *shape[1:]),
                r.permutation(shape[0])[:upd_len].astype(np.int32)]
    return _case(make, {'linear_args': (0, 1)}, indexer=(('array', 0),), mode=mode,
                 oob='drop')


def _products(r, *shape):
    """Values for scatter-mul: some exact zeros, so the zero-safe JVP is exercised."""
    x = r.standard_normal(shape)
    return np.where(r.random(shape) < 0.2, 0., x)


def _sort(shapes, dimension, num_keys, ints=()):
    def make(r):
        return [(_int(r, 0, 3, *s) if i in ints else _distinct(r, *s))
                for i, s in enumerate(shapes)]
    floats = tuple(i for i in range(len(shapes)) if i not in ints)
    return _case(make, {'linear_args': floats}, dimension=dimension, is_stable=True,
                 num_keys=num_keys)


S = ('slice',)

CASES = {
    'gather': [
        # x[i] with negative and out-of-bounds i (wrap once, then clamp)
        _gather((5, 3), (('array', 0),), [(4,)], -7, 8),
        # an integer scalar (0-d index) and a reversed slice
        _gather((4, 5), (('array', 0), ('slice', 4, None, -2)), [()], -4, 4),
        # adjacent advanced indices after a slice: their block stays in place
        _gather((3, 4, 5), (('slice', 0, 3, 1), ('array', 0), ('array', 1)),
                [(2, 1), (3,)], -5, 5),
        # advanced indices split by a slice: their block goes first
        _gather((4, 5, 3), (('array', 0), ('slice', 1, 5, 2), ('array', 1)),
                [(2,), (2,)], -4, 4),
        # new axes mixed in (a new axis also splits advanced indices)
        _gather((4, 3), (('none',), ('array', 0), ('none',), ('array', 1)), [(2,), (2,)],
                -3, 3),
        # out-of-bounds indices read the fill value (0)
        _gather((5,), (('array', 0),), [(6,)], -8, 8, oob='fill'),
    ],
    'scatter': [
        _scatter((5, 3), (('array', 0),), [(4,)], (4, 3), -7, 8, 'add'),
        _scatter((5, 3), (('array', 0),), [(6,)], (6, 3), -6, 6, 'add', oob='clip'),
        _scatter((3, 4, 5), (('slice', 0, 3, 1), ('array', 0), ('array', 1)),
                 [(2, 1), (3,)], (3, 2, 3), -5, 5, 'add'),
        _scatter((4, 5, 3), (('array', 0), ('slice', 1, 5, 2), ('array', 1)), [(2,), (2,)],
                 (2, 2), -4, 4, 'add'),
        # set with repeated indices: the last write wins, in every transformation
        _scatter((6,), (('array', 0),), [(5,)], (5,), -7, 7, 'set'),
        _scatter((4, 3), (('none',), ('array', 0), ('slice', 2, None, -1)), [(2,)],
                 (1, 2, 3), -4, 4, 'set'),
        _unique_scatter((5, 2), 3, 'mul', _products),
        _scatter((4,), (('array', 0),), [(6,)], (6,), -4, 5, 'mul', values=_products),
        _scatter((5,), (('array', 0),), [(6,)], (6,), -5, 6, 'min', values=_distinct),
        _scatter((5, 2), (('array', 0),), [(4,)], (4, 2), -5, 6, 'max', values=_distinct),
    ],
    'sort': [
        _sort([(5,)], 0, 1),
        _sort([(3, 4), (3, 4)], 1, 1),
        _sort([(4, 3), (4, 3)], 0, 2, ints=(0,)),
    ],
}
