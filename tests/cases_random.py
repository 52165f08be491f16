"""Primitive cases for the shared registry harness: the random-bit primitives of
``pullback.lax.random_bits``.

``def _bitcast(dtype, shape, new_dtype):
    def case(rng):
        # float inputs are ordinary numbers: NaN payloads need not survive a round trip
        x = _f32(rng, shape) if dtype == np.float32 else _u32(rng, shape).astype(dtype)
        return [x], {'new_dtype': np.dtype(new_dtype)}, NO_GRAD
    return case


CASES = {primitive name: [case, ...]}``; ``case(rng) -> (args, params, opts)``.  Every key
primitive has integer outputs, so its cases say ``no_grad=True`` (their tangents are zero);
``fma`` is an ordinary differentiable float primitive.
"""
import numpy as np


def _u32(rng, shape):
    draw = getattr(rng, 'integers', None) or rng.randint
    return np.asarray(draw(0, 2 ** 32, size=shape, dtype=np.uint64), np.uint32)


def _f32(rng, shape):
    return np.asarray(rng.standard_normal(shape) if hasattr(rng, 'standard_normal')
                      else rng.randn(*shape), np.float32)


NO_GRAD = {'no_grad': True}


def _threefry(shapes):
    def case(rng):
        return [_u32(rng, s) for s in shapes], {}, NO_GRAD
    return case


def _split(batch, shape, partitionable):
    def case(rng):
        return [_u32(rng, batch + (2,))], {'shape': shape, 'partitionable': partitionable}, \
            NO_GRAD
    return case


def _bits(batch, bit_width, shape, partitionable):
    def case(rng):
        return [_u32(rng, batch + (2,))], {'bit_width': bit_width, 'shape': shape,
                                           'partitionable': partitionable}, NO_GRAD
    return case


def _fold_in(batch, msg_shape):
    def case(rng):
        return [_u32(rng, batch + (2,)), _u32(rng, msg_shape)], {}, NO_GRAD
    return case


def _seed(shape):
    def case(rng):
        draw = getattr(rng, 'integers', None) or rng.randint
        return [np.asarray(draw(-2 ** 31, 2 ** 31, size=shape), np.int32)], {}, NO_GRAD
    return case


def _fma(shapes):
    def case(rng):
        return [_f32(rng, s) for s in shapes], {}, {}
    return case


def _bitcast(dtype, shape, new_dtype):
    def case(rng):
        # float inputs are ordinary numbers: NaN payloads need not survive a round trip
        x = _f32(rng, shape) if dtype == np.float32 else _u32(rng, shape).astype(dtype)
        return [x], {'new_dtype': np.dtype(new_dtype)}, NO_GRAD
    return case


CASES = {
    'threefry2x32': [_threefry([(), (), (5,), (5,)]), _threefry([(3, 1), (3, 1), (4,), (4,)]),
                     _threefry([(2,), (2,), (2,), ()])],
    'random_split': [_split((), (3,), False), _split((), (2, 2), True), _split((4,), (2,), False),
                     _split((2, 3), (1,), True)],
    'random_bits': [_bits((), 32, (5,), False), _bits((), 8, (7,), False),
                    _bits((3,), 16, (2, 3), True), _bits((2,), 32, (), False)],
    'random_fold_in': [_fold_in((), ()), _fold_in((4,), ()), _fold_in((4,), (4,))],
    'random_seed': [_seed(()), _seed((3,))],
    'bitcast_convert_type': [_bitcast(np.float32, (3,), np.uint32),
                             _bitcast(np.uint32, (2, 3), np.float32),
                             _bitcast(np.uint32, (4,), np.uint8),
                             _bitcast(np.uint16, (3, 2), np.uint32)],
    'fma': [_fma([(3,), (3,), (3,)]), _fma([(2, 3), (3,), ()]), _fma([(), (4,), (1, 4)])],
}
