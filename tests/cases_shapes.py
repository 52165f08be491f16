"""Primitive cases for the shape and reduction families (run by tests/test_primitives.py).

``CASES[prim_name]`` is a list of ``case(rng) -> (args, params, opts)``: NumPy arguments
(float64 for inexact ones), the primitive's static params, and options (see
tests/_primitive_harness.py): ``linear_args`` (the arguments to differentiate), ``no_grad``
(True for a primitive without derivatives), ``rtol``, ``fd_eps``.  Shapes depend only on
the case, not on ``rng``, so draws can be stacked for vmap checks.
"""
import numpy as np


def _normal(rng, *shape):
    return rng.standard_normal(shape)


def _distinct(rng, *shape):
    """Values far from each other (no ties, so max/min/sort are differentiable)."""
    n = int(np.prod(shape, dtype=np.int64))
    return (rng.permutation(n).reshape(shape) + 0.25 * rng.random(shape)).astype(np.float64)


def _int(rng, low, high, *shape):
    return rng.integers(low, high, size=shape).astype(np.int32)


def _case(make_args, opts=None, **params):
    def case(rng):
        return make_args(rng), params, dict(opts or {})
    return case


LIN0 = {'linear_args': (0,)}

CASES = {
    'broadcast_in_dim': [
        _case(lambda r: [_normal(r, 3)], LIN0, shape=(2, 3), broadcast_dimensions=(1,)),
        _case(lambda r: [_normal(r, 3, 1)], LIN0, shape=(3, 4, 2),
              broadcast_dimensions=(0, 2)),
    ],
    'reshape': [
        _case(lambda r: [_normal(r, 2, 3)], LIN0, new_sizes=(3, 2), dimensions=None),
    ],
    'transpose': [
        _case(lambda r: [_normal(r, 2, 3, 4)], LIN0, permutation=(2, 0, 1)),
    ],
    'squeeze': [
        _case(lambda r: [_normal(r, 1, 3, 1)], LIN0, dimensions=(0, 2)),
        _case(lambda r: [_normal(r, 2, 1)], LIN0, dimensions=(1,)),
    ],
    'rev': [
        _case(lambda r: [_normal(r, 3, 4)], LIN0, dimensions=(1,)),
        _case(lambda r: [_normal(r, 2, 3, 2)], LIN0, dimensions=(0, 2)),
    ],
    'concatenate': [
        _case(lambda r: [_normal(r, 2, 3), _normal(r, 1, 3), _normal(r, 4, 3)],
              {'linear_args': (0, 1, 2)}, dimension=0),
        _case(lambda r: [_normal(r, 2, 1), _normal(r, 2, 2)], {'linear_args': (0, 1)},
              dimension=1),
    ],
    'pad': [
        _case(lambda r: [_normal(r, 3), r.standard_normal(())], {'linear_args': (0, 1)},
              padding_config=((1, 2, 1),)),
        _case(lambda r: [_normal(r, 4, 3), r.standard_normal(())], {'linear_args': (0, 1)},
              padding_config=((-1, 2, 0), (1, -2, 2))),
        _case(lambda r: [_normal(r, 5), r.standard_normal(())], {'linear_args': (0, 1)},
              padding_config=((-2, -1, 0),)),
    ],
    'slice': [
        _case(lambda r: [_normal(r, 6, 4)], LIN0, start_indices=(1, 0), limit_indices=(5, 3),
              strides=None),
        _case(lambda r: [_normal(r, 7, 5)], LIN0, start_indices=(1, 2), limit_indices=(7, 5),
              strides=(2, 2)),
        _case(lambda r: [_normal(r, 4)], LIN0, start_indices=(2,), limit_indices=(2,),
              strides=None),
    ],
    'dynamic_slice': [
        # starts that are in range, negative (wrap once) and too large (clamped)
        _case(lambda r: [_normal(r, 5, 4), _int(r, -6, 7), _int(r, -2, 3)],
              LIN0, slice_sizes=(2, 3)),
        _case(lambda r: [_normal(r, 6), _int(r, 0, 5)],
              LIN0, slice_sizes=(3,)),
    ],
    'dynamic_update_slice': [
        _case(lambda r: [_normal(r, 5, 4), _normal(r, 2, 3), _int(r, -6, 7), _int(r, -2, 3)],
              {'linear_args': (0, 1)}),
        _case(lambda r: [_normal(r, 6), _normal(r, 3), _int(r, 0, 5)],
              {'linear_args': (0, 1)}),
    ],
    'iota': [
        _case(lambda r: [], {'no_grad': True}, dtype=np.dtype(np.int32), shape=(2, 3),
              dimension=1),
        _case(lambda r: [], {'no_grad': True}, dtype=np.dtype(np.float32), shape=(4,),
              dimension=0),
    ],
    'reduce_sum': [
        _case(lambda r: [_normal(r, 3, 4)], LIN0, axes=(1,)),
        _case(lambda r: [_normal(r, 2, 3, 4)], LIN0, axes=(0, 2)),
    ],
    'reduce_max': [
        _case(lambda r: [_distinct(r, 3, 4)], axes=(1,)),
        _case(lambda r: [_distinct(r, 2, 3, 4)], axes=(0, 2)),
    ],
    'reduce_min': [
        _case(lambda r: [_distinct(r, 3, 4)], axes=(0,)),
        _case(lambda r: [_distinct(r, 2, 3)], axes=(0, 1)),
    ],
    'reduce_prod': [
        _case(lambda r: [_normal(r, 3, 4)], axes=(1,)),
        _case(lambda r: [_normal(r, 2, 3, 2)], axes=(0, 2)),
        # exact zeros: the derivative is the product of the others, not ans / x
        _case(lambda r: [np.where(np.arange(12).reshape(3, 4) % 5 == 0, 0.,
                                  _normal(r, 3, 4))], axes=(1,)),
    ],
    'reduce_and': [
        _case(lambda r: [r.random((3, 4)) > 0.3], {'no_grad': True}, axes=(1,)),
        _case(lambda r: [_int(r, 0, 16, 3, 4)], {'no_grad': True}, axes=(0,)),
    ],
    'reduce_or': [
        _case(lambda r: [r.random((3, 4)) > 0.7], {'no_grad': True}, axes=(0, 1)),
    ],
    'reduce_xor': [
        _case(lambda r: [r.random((3, 4)) > 0.5], {'no_grad': True}, axes=(1,)),
        _case(lambda r: [_int(r, 0, 16, 3, 4)], {'no_grad': True}, axes=(1,)),
    ],
    'argmax': [
        _case(lambda r: [_distinct(r, 3, 4)], {'no_grad': True}, axes=(1,),
              index_dtype=np.dtype(np.int32)),
    ],
    'argmin': [
        _case(lambda r: [_distinct(r, 3, 4)], {'no_grad': True}, axes=(0,),
              index_dtype=np.dtype(np.int32)),
    ],
    'cumsum': [
        _case(lambda r: [_normal(r, 5)], LIN0, axis=0, reverse=False),
        _case(lambda r: [_normal(r, 3, 4)], LIN0, axis=1, reverse=True),
    ],
    'cumprod': [
        _case(lambda r: [_normal(r, 5)], axis=0, reverse=False),
        _case(lambda r: [_normal(r, 3, 4)], axis=1, reverse=True),
        _case(lambda r: [np.where(np.arange(6) % 3 == 1, 0., _normal(r, 6))], axis=0,
              reverse=False),
    ],
    'cummax': [
        _case(lambda r: [_distinct(r, 6)], axis=0, reverse=False),
        _case(lambda r: [_distinct(r, 3, 5)], axis=1, reverse=True),
    ],
    'cummin': [
        _case(lambda r: [_distinct(r, 6)], axis=0, reverse=True),
        _case(lambda r: [_distinct(r, 4, 3)], axis=0, reverse=False),
    ],
    'cumlogsumexp': [
        _case(lambda r: [_normal(r, 6)], axis=0, reverse=False),
        _case(lambda r: [3 * _normal(r, 3, 5)], axis=1, reverse=True),
    ],
}
