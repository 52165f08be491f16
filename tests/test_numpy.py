"""``pullback.numpy``: values against NumPy, dtypes and weak types against JAX (where it is
installed) and against the facts in shared/reference/jax-numerics.md, errors, derivatives
against finite differences, vmap against loops, jit against eager."""
import warnings

import numpy as np
import pytest

import pullback as jax
import pullback.numpy as jnp
from pullback import grad, jit, vmap
from pullback.test_util import check_grads

try:
    import jax as _real_jax
    import jax.numpy as _rjnp
    _real_jax.config.update('jax_platform_name', 'cpu')
except ImportError:  # JAX is an optional oracle
    _real_jax = _rjnp = None


@pytest.fixture
def x64():
    jax.config.update('jax_enable_x64', True)
    yield
    jax.config.update('jax_enable_x64', False)


_R = np.random.default_rng(0)
F = _R.standard_normal((3, 4)).astype(np.float32)          # float matrix
G = _R.standard_normal((3, 4)).astype(np.float32)
V = _R.standard_normal(4).astype(np.float32)               # float vector
W = _R.standard_normal(4).astype(np.float32)
M = _R.standard_normal((4, 2)).astype(np.float32)
T3 = _R.standard_normal((2, 3, 4)).astype(np.float32)     # rank 3
P = (np.abs(F) + 0.5).astype(np.float32)                   # positive
U = _R.uniform(-0.9, 0.9, (3, 4)).astype(np.float32)       # inside (-1, 1)
I = _R.integers(-5, 6, (3, 4)).astype(np.int32)            # int matrix
IP = _R.integers(1, 6, (3, 4)).astype(np.int32)            # positive ints
IV = np.array([3, 1, 2, 3, 0], np.int32)
B = I > 0                                                  # bool matrix
C = (F + 1j * G).astype(np.complex64)                      # complex matrix
N = np.array([1., np.nan, -np.inf, 3., np.inf, -0.], np.float32)  # special values
H = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.2, -3.7], np.float32)  # halves


# --- The case table ------------------------------------------------------------------------
# Each case is a function of the module (numpy, pullback.numpy or jax.numpy).  Values are
# compared with NumPy (when ``np_ok``), and values, shapes, dtypes and weak types with JAX.

CASES = {}


def case(name, fn, np_ok=True, rtol=2e-6, atol=1e-6, jax_ok=True, np_dtype=True):
    """``np_ok``: NumPy has the function (values are compared); ``np_dtype``: the result
    dtype is NumPy's, made 32-bit; ``jax_ok``: JAX accepts the call."""
    assert name not in CASES, name
    CASES[name] = (fn, np_ok, rtol, atol, jax_ok, np_dtype)


for _f in ['sin', 'cos', 'tan', 'arctan', 'sinh', 'cosh', 'tanh', 'arcsinh', 'exp', 'expm1',
           'exp2', 'square', 'negative', 'positive', 'abs', 'absolute', 'fabs', 'sign',
           'floor', 'ceil', 'trunc', 'fix', 'rint', 'cbrt', 'deg2rad', 'rad2deg', 'sinc',
           'isnan', 'isinf', 'isfinite', 'signbit', 'isposinf', 'isneginf', 'real', 'imag',
           'conj', 'angle', 'radians', 'degrees', 'isreal', 'iscomplex']:
    case(f'{_f}-f32', lambda m, f=_f: getattr(m, f)(F), jax_ok=_f != 'fix')
    case(f'{_f}-special', lambda m, f=_f: getattr(m, f)(N), rtol=1e-5, jax_ok=_f != 'fix')
for _f in ['sqrt', 'log', 'log2', 'log10', 'log1p', 'reciprocal']:
    case(f'{_f}-f32', lambda m, f=_f: getattr(m, f)(P), rtol=1e-5)
for _f in ['arcsin', 'arccos', 'arctanh']:
    case(f'{_f}-f32', lambda m, f=_f: getattr(m, f)(U))
case('arccosh-f32', lambda m: m.arccosh(P + 1))
for _f in ['sin', 'exp', 'sqrt', 'abs', 'negative', 'sign', 'square', 'floor', 'isnan',
           'log1p', 'real', 'imag', 'conj', 'cbrt', 'deg2rad']:
    case(f'{_f}-i32', lambda m, f=_f: getattr(m, f)(IP), rtol=1e-5)
for _f in ['sin', 'exp', 'sqrt', 'abs', 'real', 'imag', 'conj', 'angle', 'sign', 'isfinite',
           'square', 'log', 'tanh', 'isinf', 'isnan']:
    case(f'{_f}-c64', lambda m, f=_f: getattr(m, f)(C), rtol=1e-5, atol=1e-5)
for _f in ['add', 'subtract', 'multiply', 'divide', 'true_divide', 'maximum', 'minimum',
           'arctan2', 'hypot', 'logaddexp', 'logaddexp2', 'copysign', 'fmax', 'fmin',
           'power', 'equal', 'not_equal', 'less', 'less_equal', 'greater', 'greater_equal',
           'floor_divide', 'remainder', 'mod', 'fmod', 'heaviside', 'nextafter',
           'float_power']:
    case(f'{_f}-f32', lambda m, f=_f: getattr(m, f)(P if f in ('power', 'float_power') else F,
                                                    G), rtol=1e-5)
for _f in ['add', 'subtract', 'multiply', 'floor_divide', 'remainder', 'fmod', 'maximum',
           'minimum', 'power', 'bitwise_and', 'bitwise_or', 'bitwise_xor', 'left_shift',
           'right_shift', 'equal', 'less', 'true_divide']:
    case(f'{_f}-i32', lambda m, f=_f: getattr(m, f)(I, IP if f in (
        'floor_divide', 'remainder', 'fmod', 'power', 'left_shift', 'right_shift') else I))
for _f in ['logical_and', 'logical_or', 'logical_xor', 'bitwise_and', 'bitwise_or',
           'bitwise_xor', 'add', 'multiply', 'maximum', 'equal']:
    case(f'{_f}-bool', lambda m, f=_f: getattr(m, f)(B, ~B))
case('logical_not', lambda m: m.logical_not(I))
case('invert-i32', lambda m: m.invert(I))
case('invert-bool', lambda m: m.invert(B))
case('divmod-f32', lambda m: m.divmod(F, G), rtol=1e-5)
case('divmod-i32', lambda m: m.divmod(I, -IP))
case('power-int-int', lambda m: m.power(IP, m.asarray([[0, 1, 2, 3]] * 3, dtype=np.int32)))
case('power-scalar-exp', lambda m: m.power(F, 3), rtol=1e-5)
case('power-neg-base-int', lambda m: m.power(I, 3))
case('nan_to_num', lambda m: m.nan_to_num(N))
case('nan_to_num-args', lambda m: m.nan_to_num(N, nan=1., posinf=2., neginf=-2.))
case('round-halves', lambda m: m.round(H))
case('round-decimals', lambda m: m.round(F * 100, 1), rtol=1e-5)
case('around', lambda m: m.around(H))
case('round-c64', lambda m: m.round(C * 10))
case('clip', lambda m: m.clip(F, -0.5, 0.5))
case('clip-lower-only', lambda m: m.clip(F, -0.5), np_ok=False)
case('clip-int-float-bounds', lambda m: m.clip(I, 2.5, 7.5))
case('clip-array-bounds', lambda m: m.clip(F, G, G + 1))
case('where', lambda m: m.where(B, F, G))
case('where-scalars', lambda m: m.where(B, 1., F))
case('where-int-float', lambda m: m.where(B, I, 0.5))
case('select', lambda m: m.select([B, F > 1], [F, G], -1.))
case('piecewise', lambda m: m.piecewise(V, [V < 0, V >= 0], [lambda x: -x, lambda x: x * 2]))

# weak types and promotion
case('weak-array-scalar', lambda m: m.array(3.0))
case('weak-asarray-int', lambda m: m.asarray(3))
case('strong-array-list', lambda m: m.array([1., 2.]))
case('strong-array-bool', lambda m: m.array(True))
case('weak-complex', lambda m: m.array(3 + 4j))
case('weak-unary', lambda m: m.exp(3.))
case('weak-sin-int', lambda m: m.sin(3))
case('weak-times-weak', lambda m: m.multiply(m.asarray(2.), m.asarray(3.)))
case('strong-plus-weak', lambda m: m.add(m.float32(2.), 1.))
case('int-plus-float-scalar', lambda m: m.add(m.int32(2), 1.5))
case('int-plus-int-scalar', lambda m: m.add(m.int32(2), 1))
case('float-plus-complex-scalar', lambda m: m.add(m.float32(2.), 1 + 2j))
case('uint8-plus-300', lambda m: m.uint8(1) + 300, np_ok=False)
case('weak-comparison', lambda m: m.greater(m.exp(3.), 1), np_ok=False)
case('weak-where', lambda m: m.where(True, m.asarray(3.), 1.))
case('weak-stack', lambda m: m.stack([m.asarray(3.), m.asarray(3.)]))
case('weak-zeros_like', lambda m: m.zeros_like(m.asarray(3.)))
case('weak-full_like', lambda m: m.full_like(m.asarray(3.), 2))
case('weak-full', lambda m: m.full(2, 3.))
case('weak-round', lambda m: m.round(m.asarray(3.2)))
case('weak-clip', lambda m: m.clip(m.asarray(3.), 0., 1.))
case('weak-reshape', lambda m: m.reshape(m.asarray(3.), (1,)))
case('weak-dot', lambda m: m.dot(m.asarray(3.), m.asarray(3.)))
case('strong-sum-of-weak', lambda m: m.sum(m.asarray(3.)))
case('strong-max-of-weak', lambda m: m.max(m.asarray(3.)))
case('strong-mean-of-weak', lambda m: m.mean(m.asarray(3.)))
case('strong-float32-ctor', lambda m: m.float32(3))
case('int32-ctor-truncates', lambda m: m.int32(2.7))
case('bool-ctor', lambda m: m.bool_(2))
case('float64-ctor', lambda m: m.float64(1.5), np_ok=False)
case('astype-weak', lambda m: m.asarray(3.).astype(m.float32), np_ok=False)
case('astype-bool', lambda m: m.asarray(np.array([0., 0.5, -2.], np.float32)).astype(bool))
case('astype-int', lambda m: m.asarray(H).astype(np.int32))

# reductions
for _f in ['sum', 'prod', 'max', 'min', 'mean', 'var', 'std', 'argmax', 'argmin', 'all',
           'any', 'ptp', 'median', 'count_nonzero', 'amax', 'amin']:
    case(f'{_f}-all', lambda m, f=_f: getattr(m, f)(F), rtol=1e-5)
    case(f'{_f}-axis', lambda m, f=_f: getattr(m, f)(T3, axis=1), rtol=1e-5)
    case(f'{_f}-neg-axis-keepdims', lambda m, f=_f: getattr(m, f)(T3, axis=-1, keepdims=True),
         rtol=1e-5)
    case(f'{_f}-i32', lambda m, f=_f: getattr(m, f)(I, axis=0), rtol=1e-5)
for _f in ['sum', 'prod', 'max', 'min', 'mean', 'var', 'std', 'all', 'any', 'median', 'ptp',
           'count_nonzero']:
    case(f'{_f}-tuple-axis', lambda m, f=_f: getattr(m, f)(T3, axis=(0, 2)), rtol=1e-5)
case('sum-bool', lambda m: m.sum(B))
case('sum-int8', lambda m: m.sum(I.astype(np.int8)), np_ok=False)
case('sum-uint8', lambda m: m.sum(IP.astype(np.uint8)), np_ok=False)
case('sum-dtype', lambda m: m.sum(F, dtype=np.int32))
case('sum-where', lambda m: m.sum(F, where=F > 0))
case('sum-initial', lambda m: m.sum(F, axis=0, initial=10.))
case('prod-bool', lambda m: m.prod(B, axis=1))
case('max-initial', lambda m: m.max(F, initial=5.))
case('max-where', lambda m: m.max(F, axis=1, where=F < 0, initial=-10.))
case('max-bool', lambda m: m.max(B, axis=0))
case('min-bool', lambda m: m.min(B, axis=0))
case('mean-where', lambda m: m.mean(F, axis=0, where=F > -1))
case('mean-bool', lambda m: m.mean(B))
case('mean-dtype', lambda m: m.mean(I, dtype=np.float32))
case('var-ddof', lambda m: m.var(F, ddof=1), rtol=1e-5)
case('var-c64', lambda m: m.var(C, axis=0), rtol=1e-5)
case('std-where', lambda m: m.std(F, axis=1, where=F > -1), rtol=1e-5)
case('sum-c64', lambda m: m.sum(C, axis=1), rtol=1e-5)
case('argmax-nan', lambda m: m.argmax(N))
case('argmax-keepdims', lambda m: m.argmax(T3, axis=1, keepdims=True))
case('argmin-flat-keepdims', lambda m: m.argmin(T3, keepdims=True))
case('cumsum', lambda m: m.cumsum(F, axis=1), rtol=1e-5)
case('cumsum-flat', lambda m: m.cumsum(F), rtol=1e-5)
case('cumsum-bool', lambda m: m.cumsum(B, axis=0))
case('cumprod', lambda m: m.cumprod(P, axis=0), rtol=1e-5)
case('cumsum-int8', lambda m: m.cumsum(I.astype(np.int8)), np_ok=False)
case('cumulative_sum', lambda m: m.cumulative_sum(IV, include_initial=True))
case('cumulative_prod', lambda m: m.cumulative_prod(P, axis=1), rtol=1e-5)
case('nancumsum', lambda m: m.nancumsum(N[:2]))
case('nansum', lambda m: m.nansum(N[:2]))
case('nanprod', lambda m: m.nanprod(np.array([2., np.nan, 3.], np.float32)))
case('nanmax', lambda m: m.nanmax(np.array([2., np.nan, 3.], np.float32)))
case('nanmin-all-nan', lambda m: m.nanmin(np.array([[np.nan, 1.], [np.nan, 2.]], np.float32),
                                          axis=0))
case('nanmean', lambda m: m.nanmean(np.array([1., np.nan, 3.], np.float32)))
case('nanvar', lambda m: m.nanvar(np.array([1., np.nan, 3., 4.], np.float32)))
case('nanstd', lambda m: m.nanstd(np.array([1., np.nan, 3., 4.], np.float32)))
case('nanargmax', lambda m: m.nanargmax(np.array([2., np.nan, 3.], np.float32)))
case('nanargmin', lambda m: m.nanargmin(np.array([2., np.nan, 3.], np.float32)))
case('nanmedian', lambda m: m.nanmedian(np.array([2., np.nan, 3., 1.], np.float32)))
case('median-even', lambda m: m.median(np.array([3., 1., 4., 2.], np.float32)))
case('median-nan', lambda m: m.median(N))
case('quantile', lambda m: m.quantile(F, 0.3, axis=1), rtol=1e-5)
case('quantile-array-q', lambda m: m.quantile(V, np.array([0.1, 0.5, 1.], np.float32)),
     rtol=1e-5)
case('quantile-methods', lambda m: [m.quantile(V, 0.4, method=k) for k in
                                    ('lower', 'higher', 'nearest', 'midpoint')])
case('percentile', lambda m: m.percentile(F, 75., axis=0, keepdims=True), rtol=1e-5)
case('average', lambda m: m.average(F, axis=1, weights=V), rtol=1e-5)
case('average-returned', lambda m: m.average(F, axis=0, returned=True), rtol=1e-5)

# creation
case('zeros', lambda m: m.zeros((2, 3)))
case('ones-int', lambda m: m.ones(3, dtype=np.int32))
case('full', lambda m: m.full((2, 2), 7, dtype=np.float32))
case('full-array-fill', lambda m: m.full((3, 4), V))
case('zeros_like', lambda m: m.zeros_like(I))
case('ones_like-dtype', lambda m: m.ones_like(F, dtype=np.int32))
case('full_like', lambda m: m.full_like(F, 2.5))
case('empty-shape', lambda m: m.empty((2, 3)).shape, jax_ok=False)
case('eye', lambda m: m.eye(3))
case('eye-rect-k', lambda m: m.eye(2, 3, k=1, dtype=np.int32))
case('identity', lambda m: m.identity(2))
case('arange-int', lambda m: m.arange(5))
case('arange-float', lambda m: m.arange(5.))
case('arange-step', lambda m: m.arange(0, 1, 0.1))
case('arange-start-stop-step', lambda m: m.arange(2, 11, 3))
case('arange-step-kw', lambda m: m.arange(5, step=2), np_ok=True)
case('linspace', lambda m: m.linspace(0, 10, 7))
case('linspace-seed', lambda m: m.linspace(0, 10, 1000))
case('linspace-no-endpoint', lambda m: m.linspace(0., 1., 5, endpoint=False))
case('linspace-array', lambda m: m.linspace(np.array([0., 1.], np.float32), 2., 3, axis=1))
case('linspace-int', lambda m: m.linspace(0, 10, 7, dtype=np.int32))
case('linspace-retstep', lambda m: m.linspace(0, 10, 5, retstep=True))
case('linspace-one', lambda m: m.linspace(0, 1, 1))
case('linspace-zero', lambda m: m.linspace(0, 1, 0))
case('logspace', lambda m: m.logspace(0, 2, 3), rtol=1e-5)
case('logspace-base', lambda m: m.logspace(0, 3, 4, base=2))
case('geomspace', lambda m: m.geomspace(1, 1000, 4), rtol=1e-5)
case('geomspace-neg', lambda m: m.geomspace(-1, -1000, 4), rtol=1e-5)
case('meshgrid-xy', lambda m: m.meshgrid(m.arange(2), m.arange(3)))
case('meshgrid-ij-sparse', lambda m: m.meshgrid(m.arange(2), m.arange(3), indexing='ij',
                                                 sparse=True))
case('indices', lambda m: m.indices((2, 3)))
case('diag-1d', lambda m: m.diag(V))
case('diag-1d-neg-k', lambda m: m.diag(IV[:2], k=-1))
case('diag-2d', lambda m: m.diag(F, k=1))
case('diagflat', lambda m: m.diagflat(np.array([[1, 2], [3, 4]], np.int32)))
case('tri', lambda m: m.tri(3, k=1))
case('tril', lambda m: m.tril(F))
case('triu-k', lambda m: m.triu(T3, k=1))
case('tril-neg-k', lambda m: m.tril(F, k=-1))

# shapes
case('reshape', lambda m: m.reshape(F, (2, -1)))
case('reshape-F', lambda m: m.reshape(F, (4, 3), order='F'))
case('reshape-method', lambda m: m.asarray(F).reshape(6, 2))
case('ravel', lambda m: m.ravel(T3))
case('ravel-F', lambda m: m.ravel(F, order='F'))
case('transpose', lambda m: m.transpose(T3))
case('transpose-axes', lambda m: m.transpose(T3, (1, 0, 2)))
case('transpose-neg-axes', lambda m: m.transpose(T3, (-1, 0, 1)))
case('T', lambda m: m.asarray(F).T)
case('moveaxis', lambda m: m.moveaxis(T3, 0, -1))
case('moveaxis-multi', lambda m: m.moveaxis(T3, (0, 1), (2, 0)))
case('swapaxes', lambda m: m.swapaxes(T3, 0, 2))
case('rollaxis', lambda m: m.rollaxis(T3, 2, 1))
case('squeeze', lambda m: m.squeeze(np.ones((1, 3, 1), np.float32)))
case('squeeze-axis', lambda m: m.squeeze(np.ones((1, 3, 1), np.float32), axis=-1))
case('expand_dims', lambda m: m.expand_dims(F, 1))
case('expand_dims-multi', lambda m: m.expand_dims(F, (0, -1)))
case('concatenate', lambda m: m.concatenate([F, G], axis=1))
case('concatenate-none', lambda m: m.concatenate([F, V], axis=None))
case('concatenate-promote', lambda m: m.concatenate([I, F]))
case('stack', lambda m: m.stack([F, G], axis=-1))
case('stack-seed', lambda m: m.stack([m.asarray(1.), m.asarray(1.)]))
case('vstack', lambda m: m.vstack([V, W]))
case('hstack', lambda m: m.hstack([V, W]))
case('hstack-2d', lambda m: m.hstack([F, G]))
case('dstack', lambda m: m.dstack([V, W]))
case('column_stack', lambda m: m.column_stack([V, W]))
case('split', lambda m: m.split(T3, 2, axis=2))
case('split-indices', lambda m: m.split(V, [1, 3]))
case('array_split', lambda m: m.array_split(np.arange(7, dtype=np.float32), 3))
case('hsplit', lambda m: m.hsplit(F, 2))
case('vsplit', lambda m: m.vsplit(T3, 2))
case('tile', lambda m: m.tile(V, 2))
case('tile-2d', lambda m: m.tile(F, (2, 1, 2)))
case('repeat', lambda m: m.repeat(IV, 2))
case('repeat-axis', lambda m: m.repeat(F, 2, axis=0))
case('repeat-array', lambda m: m.repeat(F, np.array([1, 0, 2]), axis=0))
case('flip', lambda m: m.flip(T3, axis=1))
case('flip-all', lambda m: m.flip(F))
case('fliplr', lambda m: m.fliplr(F))
case('flipud', lambda m: m.flipud(F))
case('rot90', lambda m: m.rot90(F))
case('rot90-k3', lambda m: m.rot90(T3, k=3, axes=(1, 2)))
case('roll', lambda m: m.roll(IV, 2))
case('roll-neg-axis', lambda m: m.roll(F, -1, axis=1))
case('roll-flat', lambda m: m.roll(F, 5))
case('roll-multi', lambda m: m.roll(F, (1, 2), axis=(0, 1)))
case('broadcast_to', lambda m: m.broadcast_to(V, (3, 4)))
case('broadcast_arrays', lambda m: m.broadcast_arrays(V, F[:, :1]))
case('atleast_1d', lambda m: m.atleast_1d(3.))
case('atleast_2d', lambda m: m.atleast_2d(V))
case('atleast_3d-1d', lambda m: m.atleast_3d(V))
case('atleast_3d-2d', lambda m: m.atleast_3d(F))
case('pad-constant', lambda m: m.pad(F, 1))
case('pad-constant-values', lambda m: m.pad(F, ((1, 0), (0, 2)), constant_values=((1, 2),
                                                                                  (3, 4))))
case('pad-edge', lambda m: m.pad(IV, (1, 2), mode='edge'))
case('pad-reflect', lambda m: m.pad(F, ((2, 1), (3, 0)), mode='reflect'))
case('pad-symmetric', lambda m: m.pad(V, 3, mode='symmetric'))
case('pad-wrap', lambda m: m.pad(V, (2, 5), mode='wrap'))
case('pad-maximum', lambda m: m.pad(F, 2, mode='maximum'))
case('pad-mean', lambda m: m.pad(V, (1, 1), mode='mean'))
case('pad-linear_ramp', lambda m: m.pad(V, (2, 3), mode='linear_ramp', end_values=(5, -1)),
     rtol=1e-5)
case('append', lambda m: m.append(F, V))
case('append-axis', lambda m: m.append(F, G, axis=0))
case('resize', lambda m: m.resize(V, (3, 3)))

# sorting and data-dependent sizes
case('sort', lambda m: m.sort(F))
case('sort-axis0', lambda m: m.sort(T3, axis=0))
case('sort-none', lambda m: m.sort(F, axis=None))
case('sort-nan', lambda m: m.sort(N))
case('sort-descending', lambda m: m.sort(IV, descending=True), np_ok=False)
case('argsort', lambda m: m.argsort(IV))
case('argsort-stable', lambda m: m.argsort(np.array([1, 0, 1, 0, 1], np.int32), stable=True))
case('argsort-descending', lambda m: m.argsort(IV, descending=True), np_ok=False)
case('lexsort', lambda m: m.lexsort((np.array([1, 5, 1, 4], np.int32),
                                      np.array([2, 1, 2, 1], np.int32))))
case('searchsorted', lambda m: m.searchsorted(np.array([1., 2., 3.], np.float32),
                                              np.array([0., 2., 5.], np.float32)))
case('searchsorted-right', lambda m: m.searchsorted(np.array([1., 2., 2., 3.], np.float32),
                                                    2., side='right'))
case('nonzero', lambda m: m.nonzero(I))
case('nonzero-size', lambda m: m.nonzero(I, size=20, fill_value=-1), np_ok=False)
case('argwhere', lambda m: m.argwhere(B))
case('flatnonzero', lambda m: m.flatnonzero(I))
case('where-1arg', lambda m: m.where(B))
case('unique', lambda m: m.unique(IV))
case('unique-all', lambda m: m.unique(IV, return_index=True, return_inverse=True,
                                       return_counts=True))
case('unique-size', lambda m: m.unique(IV, size=6), np_ok=False)
case('unique-size-fill', lambda m: m.unique(IV, size=6, fill_value=0), np_ok=False)
case('delete', lambda m: m.delete(F, 1, axis=1))
case('delete-list', lambda m: m.delete(IV, [0, 2]), jax_ok=False)
case('insert', lambda m: m.insert(IV, 1, 9))
case('insert-list', lambda m: m.insert(IV, [1, 3], [7, 8]), jax_ok=False)
case('insert-axis', lambda m: m.insert(F, 2, V[:3], axis=1))
case('extract', lambda m: m.extract(B, F))
case('compress', lambda m: m.compress(np.array([True, False, True]), F, axis=0))

# indexing
case('getitem-int', lambda m: m.asarray(F)[1])
case('getitem-neg', lambda m: m.asarray(F)[-1, -2])
case('getitem-slice', lambda m: m.asarray(T3)[:, 1:, ::-2])
case('getitem-newaxis-ellipsis', lambda m: m.asarray(T3)[..., None, 0])
case('getitem-array', lambda m: m.asarray(F)[np.array([2, 0, 2])])
case('getitem-mixed', lambda m: m.asarray(T3)[1, :, [0, 3]])
case('getitem-bool', lambda m: m.asarray(F)[B])
case('getitem-list', lambda m: m.asarray(V)[[0, 1, 0]], jax_ok=False)
case('take', lambda m: m.take(F, np.array([1, 3]), axis=1))
case('take-flat', lambda m: m.take(F, np.array([[0, 11], [5, 2]])))
case('take-clip', lambda m: m.take(V, np.array([-1, 9]), mode='clip'), np_ok=True)
case('take-wrap', lambda m: m.take(V, np.array([-5, 9]), mode='wrap'))
case('take-fill', lambda m: m.take(V, np.array([0, 9, -9])), np_ok=False)
case('take-fill-int', lambda m: m.take(IV, np.array([0, 9])), np_ok=False)
case('take_along_axis', lambda m: m.take_along_axis(F, m.argsort(F, axis=1), axis=1))
case('take_along_axis-0', lambda m: m.take_along_axis(F, np.array([[2, 0, 1, 0]]), axis=0))
case('take_along_axis-none', lambda m: m.take_along_axis(F, np.array([3, 0]), axis=None))
case('at-set', lambda m: _at(m, F, (1, slice(1, 3)), 'set', 9.), np_ok=False)
case('at-add-repeated', lambda m: _at(m, V, np.array([0, 0, 2]), 'add', 1.), np_ok=False)
case('at-mul', lambda m: _at(m, V, 1, 'multiply', 3.), np_ok=False)
case('at-divide', lambda m: _at(m, V, 1, 'divide', 2.), np_ok=False)
case('at-power', lambda m: _at(m, P[0], 1, 'power', 2.), np_ok=False)
case('at-min', lambda m: _at(m, V, slice(None), 'min', 0.), np_ok=False)
case('at-max', lambda m: _at(m, V, np.array([1, 2]), 'max', 0.), np_ok=False)
case('at-get-fill', lambda m: m.asarray(V).at[9].get(mode='fill'), np_ok=False)
case('at-get-clip', lambda m: m.asarray(V).at[9].get(), np_ok=False)
case('at-set-oob-dropped', lambda m: _at(m, V, 9, 'set', 1.), np_ok=False)
case('at-apply', lambda m: m.asarray(V).at[1].apply(m.sin), np_ok=False)

# products
case('dot-vv', lambda m: m.dot(V, W))
case('dot-mv', lambda m: m.dot(F, V))
case('dot-mm', lambda m: m.dot(F, M))
case('dot-nd', lambda m: m.dot(T3, M))
case('dot-scalar', lambda m: m.dot(2., F))
case('dot-int', lambda m: m.dot(I, IP.T))
case('vdot', lambda m: m.vdot(F, G))
case('vdot-complex', lambda m: m.vdot(np.array([1 + 2j, 3j], np.complex64),
                                      np.array([2 - 1j, 1 + 1j], np.complex64)))
case('matmul', lambda m: m.matmul(F, M))
case('matmul-batched', lambda m: m.matmul(T3, M))
case('matmul-broadcast', lambda m: m.matmul(np.ones((2, 1, 3, 4), np.float32),
                                            np.ones((5, 4, 2), np.float32)))
case('matmul-vec-left', lambda m: m.matmul(V[:3], T3))
case('matmul-vec-right', lambda m: m.matmul(T3, V))
case('matmul-operator', lambda m: m.asarray(F) @ M)
case('inner', lambda m: m.inner(F, G))
case('outer', lambda m: m.outer(V, F))
case('tensordot-2', lambda m: m.tensordot(T3, np.ones((3, 4, 2), np.float32)))
case('tensordot-axes', lambda m: m.tensordot(T3, F, axes=([1, 2], [0, 1])))
case('tensordot-0', lambda m: m.tensordot(V, W, 0))
case('kron', lambda m: m.kron(F[:2, :2], np.array([[1, 10], [100, 1000]], np.float32)),
     rtol=1e-5)
case('kron-1d-2d', lambda m: m.kron(V[:2], F[:2, :2]))
case('trace', lambda m: m.trace(F))
case('trace-offset', lambda m: m.trace(T3, offset=1, axis1=1, axis2=2))
case('diagonal', lambda m: m.diagonal(T3, axis1=0, axis2=2))
case('diagonal-neg', lambda m: m.diagonal(F, -1))
case('diagonal-empty', lambda m: m.diagonal(F, 5))
case('cross', lambda m: m.cross(F[:, :3], G[:, :3]))
case('cross-2d', lambda m: m.cross(F[:, :2], G[:, :2]), np_ok=False)
for _spec, _ops in [('ij,jk->ik', (F, M)), ('ij,jk', (F, M)), ('ii->i', (F[:3, :3],)),
                    ('ii', (F[:3, :3],)), ('ij->', (F,)), ('ij->ji', (F,)),
                    ('bij,jk->bik', (T3, M)), ('...ij,jk->...ik', (T3, M)),
                    ('i,i', (V, W)), ('i,j->ij', (V, W)), ('ijk,kj->i', (T3, F.T)),
                    ('i,ij,jk->k', (V[:3], F, M)), ('ab,bc,cd,da->', (F, M, M.T, F.T)),
                    ('...i,...i->...', (T3, V)), ('iij->j', (np.ones((2, 2, 3), np.float32),)),
                    (',', (np.float32(2.), np.float32(3.))), ('ij,ij->ij', (F, G)),
                    ('ji,ij->j', (F.T, F)), ('bi,bj->bij', (F, G))]:
    case(f'einsum-{_spec}', lambda m, s=_spec, o=_ops: m.einsum(s, *o), rtol=1e-5)
case('einsum-interleaved', lambda m: m.einsum(F, [0, 1], M, [1, 2], [0, 2]), rtol=1e-5)
case('einsum-broadcast-ellipsis', lambda m: m.einsum('...ij,...jk', np.ones((2, 1, 3, 4),
                                                                            np.float32),
                                                     np.ones((5, 4, 2), np.float32)))

# comparisons
case('isclose', lambda m: m.isclose(np.array([1., np.inf, np.nan, 1.], np.float32),
                                    np.array([1.000001, np.inf, np.nan, 1.1], np.float32)))
case('isclose-equal-nan', lambda m: m.isclose(N, N, equal_nan=True))
case('isclose-int', lambda m: m.isclose(I, I + 1, atol=2))
case('isclose-c64', lambda m: m.isclose(C, C + 1e-7))
case('allclose', lambda m: m.allclose(F, F + 1e-7))
case('allclose-false', lambda m: m.allclose(F, G))
case('allclose-tol', lambda m: m.allclose(F, F + 1e-3, 1e-4, 1e-4))
case('array_equal', lambda m: m.array_equal(F, F))
case('array_equal-shape', lambda m: m.array_equal(V, F))
case('array_equal-nan', lambda m: m.array_equal(N, N, equal_nan=True))
case('array_equiv', lambda m: m.array_equiv(V, np.broadcast_to(V, (3, 4))))


# numerical routines, index helpers, set operations
case('diff', lambda m: m.diff(I))
case('diff-n2-axis0', lambda m: m.diff(F, n=2, axis=0), rtol=1e-5)
case('diff-bool', lambda m: m.diff(B))
case('diff-prepend-append', lambda m: m.diff(V, prepend=0., append=np.array([1., 2.],
                                                                             np.float32)))
case('ediff1d', lambda m: m.ediff1d(IV, to_begin=np.array([-9], np.int32)))
case('gradient', lambda m: m.gradient(np.array([1., 4., 9., 16.], np.float32)))
case('gradient-2d', lambda m: m.gradient(F, 2.), rtol=1e-5)
case('trapezoid', lambda m: m.trapezoid(F, axis=0), rtol=1e-5)
case('trapezoid-x', lambda m: m.trapezoid(F, x=np.array([0., 1., 3., 6.], np.float32)),
     rtol=1e-5)
case('interp', lambda m: m.interp(np.array([0.5, 2.5, -1., 9., 3.], np.float32),
                                  np.array([0., 1., 2., 3.], np.float32),
                                  np.array([0., 10., 5., 30.], np.float32)))
case('interp-left-right', lambda m: m.interp(np.array([-1., 9.], np.float32),
                                             np.array([0., 1.], np.float32),
                                             np.array([0., 1.], np.float32), left=-5.,
                                             right=5.))
case('interp-period', lambda m: m.interp(np.array([-1., 370., 45.], np.float32),
                                         np.array([0., 90., 180., 270.], np.float32),
                                         np.array([0., 1., 0., -1.], np.float32),
                                         period=360.), rtol=1e-5)
for _mode in ['full', 'same', 'valid']:
    for _fn in ['convolve', 'correlate']:
        case(f'{_fn}-{_mode}', lambda m, f=_fn, md=_mode: getattr(m, f)(
            np.array([1., 2., 3., 4., 5.], np.float32), np.array([0., 1., 0.5], np.float32),
            md), rtol=1e-5)
        case(f'{_fn}-{_mode}-short-first', lambda m, f=_fn, md=_mode: getattr(m, f)(
            np.array([1., 2.], np.float32), np.array([1., 2., 3., 4.], np.float32), md))
case('correlate-complex', lambda m: m.correlate(C[0], C[1], 'full'), rtol=1e-5)
case('polyval', lambda m: m.polyval(np.array([3., 0., 1.], np.float32), F), rtol=1e-5)
case('vander', lambda m: m.vander(IV[:3]))
case('vander-increasing', lambda m: m.vander(V, 3, increasing=True), rtol=1e-5)
case('bincount', lambda m: m.bincount(np.array([0, 1, 1, 3], np.int32)))
case('bincount-weights-minlength', lambda m: m.bincount(np.array([0, 1, 1, 3], np.int32),
                                                        weights=V, minlength=6))
case('digitize', lambda m: m.digitize(np.array([0.2, 6.4, 3.0, 1.], np.float32),
                                      np.array([0., 1., 2.5, 4.], np.float32)))
case('digitize-right-decreasing', lambda m: m.digitize(np.array([0.2, 6.4, 3.0, 1.],
                                                                np.float32),
                                                       np.array([4., 2.5, 1., 0.],
                                                                np.float32), right=True))
case('histogram', lambda m: m.histogram(np.array([1., 2., 1., 4.], np.float32), bins=3),
     np_dtype=False)  # JAX counts in floats
case('histogram-range-weights', lambda m: m.histogram(F, bins=4, range=(-1, 1), weights=G),
     rtol=1e-5)
case('histogram-density', lambda m: m.histogram(F, bins=5, density=True), rtol=1e-5)
case('histogram-edges', lambda m: m.histogram(F, bins=np.array([-2., 0., 0.5, 3.],
                                                               np.float32)), np_dtype=False)
case('cov', lambda m: m.cov(F), rtol=1e-5)
case('cov-rowvar-bias', lambda m: m.cov(F, rowvar=False, bias=True), rtol=1e-5)
case('cov-y', lambda m: m.cov(V, W), rtol=1e-5)
case('cov-weights', lambda m: m.cov(F, fweights=np.array([1, 2, 1, 3]),
                                    aweights=np.array([0.5, 1., 2., 1.], np.float32)),
     rtol=1e-5)
case('corrcoef', lambda m: m.corrcoef(F), rtol=1e-5)
case('gcd', lambda m: m.gcd(I, np.int32(6)))
case('lcm', lambda m: m.lcm(IP, np.array([4, 6, 3, 10], np.int32)))
case('frexp', lambda m: m.frexp(np.concatenate([F.ravel(), N[:1], np.zeros(1, np.float32)])))
case('ldexp', lambda m: m.ldexp(F, I))
case('unravel_index', lambda m: m.unravel_index(np.array([5, 7, 0], np.int32), (3, 4)))
case('ravel_multi_index', lambda m: m.ravel_multi_index((np.array([1, 2], np.int32),
                                                          np.array([1, 3], np.int32)), (3, 4)))
case('ravel_multi_index-wrap-F', lambda m: m.ravel_multi_index(
    (np.array([1, 5], np.int32), np.array([-1, 3], np.int32)), (3, 4), mode='wrap',
    order='F'))
case('triu_indices', lambda m: m.triu_indices(3, 1))
case('tril_indices', lambda m: m.tril_indices(3, -1, 4))
case('triu_indices_from', lambda m: m.triu_indices_from(F))
case('diag_indices', lambda m: m.diag_indices(3))
case('ix_', lambda m: m.asarray(F)[m.ix_(np.array([0, 2]), np.array([1, 3]))])
case('isin', lambda m: m.isin(I, np.array([2, -1, 5], np.int32)))
case('isin-invert', lambda m: m.isin(I, np.array([2, -1, 5], np.int32), invert=True))
case('union1d', lambda m: m.union1d(IV, np.array([7, 1], np.int32)))
case('intersect1d', lambda m: m.intersect1d(IV, np.array([3, 2, 9], np.int32)))
case('intersect1d-indices', lambda m: m.intersect1d(IV, np.array([3, 2, 9], np.int32),
                                                    return_indices=True))
case('setdiff1d', lambda m: m.setdiff1d(IV, np.array([3, 9], np.int32)))
case('setxor1d', lambda m: m.setxor1d(IV, np.array([3, 9], np.int32)))


def _at(m, x, idx, method, v):
    x = m.asarray(x)
    return getattr(x.at[idx], method)(v)


def _leaves(x):
    if isinstance(x, (list, tuple)):
        out = []
        for e in x:
            out.extend(_leaves(e))
        return out
    return [x]


def _assert_values(got, want, rtol, atol):
    got_l, want_l = _leaves(got), _leaves(want)
    assert len(got_l) == len(want_l), (len(got_l), len(want_l))
    for g, w in zip(got_l, want_l):
        g_np, w_np = np.asarray(g), np.asarray(w)
        assert g_np.shape == w_np.shape, (g_np.shape, w_np.shape)
        if w_np.dtype.kind in 'biu' and g_np.dtype.kind in 'biu':
            np.testing.assert_array_equal(g_np, w_np)
        else:
            np.testing.assert_allclose(g_np.astype(np.complex128 if w_np.dtype.kind == 'c'
                                                   else np.float64),
                                       w_np, rtol=rtol, atol=atol, equal_nan=True)


_NP_CASES = [k for k, v in CASES.items() if v[1]]


@pytest.mark.parametrize('name', _NP_CASES)
def test_against_numpy(name):
    fn, _, rtol, atol, _, np_dtype = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        want = fn(np)
    got = fn(jnp)
    _assert_values(got, want, max(rtol, 1e-5), max(atol, 1e-5))
    if np_dtype:
        for g, w in zip(_leaves(got), _leaves(want)):
            if hasattr(g, 'dtype'):
                want_dtype = jax.dtypes.canonicalize_dtype(np.asarray(w).dtype)
                assert np.dtype(g.dtype) == want_dtype, (g.dtype, want_dtype)


@pytest.mark.parametrize('name', [k for k, v in CASES.items() if v[4]])
def test_against_jax(name):
    """Shapes, dtypes and weak types against JAX; values too where NumPy cannot say.  Cases
    NumPy checks are only traced by JAX (``eval_shape``), which is fast; the others run."""
    if _rjnp is None:
        pytest.skip('JAX is not installed')
    fn, np_ok, rtol, atol, _, _ = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        want = None
        if np_ok:
            try:
                want = _real_jax.eval_shape(lambda: fn(_rjnp))
            except (_real_jax.errors.ConcretizationTypeError, TypeError, AttributeError,
                    IndexError):
                pass  # needs concrete values: run it
        if want is None:
            want = fn(_rjnp)
            _assert_values(fn(jnp), want, rtol, atol)
    got = fn(jnp)
    got_l, want_l = _leaves(got), _leaves(want)
    assert len(got_l) == len(want_l)
    for g, w in zip(got_l, want_l):
        if not hasattr(w, 'dtype'):
            assert g == w
            continue
        assert tuple(g.shape) == tuple(w.shape), (g.shape, w.shape)
        assert np.dtype(g.dtype) == np.dtype(w.dtype), (g.dtype, w.dtype)
        assert bool(getattr(g, 'weak_type', False)) == bool(getattr(w, 'weak_type', False)), \
            'weak type differs'


# --- Scalar types, constants and routing ---------------------------------------------------

def test_scalar_types_are_dtypes_and_constructors():
    assert np.dtype(jnp.float32) == np.float32 and np.dtype(jnp.int32) == np.int32
    assert jnp.float32 == np.float32 and hash(jnp.float32) == hash(np.float32)
    assert isinstance(np.float32(1), jnp.float32)
    assert jnp.zeros(2, jnp.int32).dtype == np.int32
    assert jnp.arange(3.).astype(jnp.int32).dtype == np.int32
    assert jnp.issubdtype(jnp.float32, jnp.floating) and not jnp.issubdtype(jnp.int32,
                                                                           jnp.floating)
    assert repr(jnp.float32(1.)) == 'Array(1., dtype=float32)'
    assert repr(jnp.complex64(1j)) == 'Array(0.+1.j, dtype=complex64)'
    assert repr(jnp.float64(1.5)) == 'Array(1.5, dtype=float32)'  # x64 is off
    assert jnp.finfo(jnp.float32).eps == np.finfo(np.float32).eps
    assert jnp.iinfo(jnp.int32).max == 2 ** 31 - 1
    assert jnp.result_type(jnp.int32, 1.0) == np.float32
    assert jnp.promote_types(jnp.int8, jnp.uint8) == np.int16
    assert jnp.can_cast(jnp.int8, jnp.int32) and not jnp.can_cast(jnp.float32, jnp.int32)
    assert jnp.isdtype(jnp.float32, 'real floating') and jnp.isdtype(jnp.int8, 'integral')
    assert jnp.iscomplexobj(jnp.ones(2, jnp.complex64)) and not jnp.iscomplexobj(3.)
    assert jnp.ndim(F) == 2 and jnp.shape(3.) == () and jnp.size(F) == 12
    assert (jnp.pi, jnp.e, jnp.newaxis) == (np.pi, np.e, None)
    assert np.isinf(jnp.inf) and np.isnan(jnp.nan)
    assert isinstance(jnp.ones(2), jnp.ndarray) and not isinstance(np.ones(2), jnp.ndarray)
    seen = []
    grad(lambda x: seen.append(isinstance(x, jnp.ndarray)) or x)(2.)
    assert seen == [True]  # tracers count as arrays


def test_scalar_types_under_x64(x64):
    assert repr(jnp.float64(1.5)) == 'Array(1.5, dtype=float64)'
    assert jnp.arange(3).dtype == np.int64 and jnp.zeros(2).dtype == np.float64
    assert jnp.sum(jnp.ones(3, jnp.int32)).dtype == np.int64


# The names Array's operators and methods look up in pullback.numpy.
_ROUTED = ('add subtract multiply true_divide floor_divide remainder power matmul bitwise_and '
           'bitwise_or bitwise_xor left_shift right_shift divmod less less_equal greater '
           'greater_equal equal not_equal negative positive abs invert sum mean max min prod '
           'argmax argmin var std any all cumsum cumprod clip round conj conjugate squeeze '
           'ravel swapaxes dot trace nonzero sort argsort repeat take diagonal reshape '
           'transpose astype real imag _getitem _IndexUpdateHelper').split()


def test_every_routed_name_exists():
    missing = [n for n in _ROUTED if not hasattr(jnp, n)]
    assert not missing, missing


def test_array_methods_and_operators():
    x = jnp.asarray(F)
    np.testing.assert_allclose(x.sum(axis=0), F.sum(0), rtol=1e-6)
    np.testing.assert_allclose(x.mean(), F.mean(), rtol=1e-6)
    np.testing.assert_allclose(x.reshape(2, 6), F.reshape(2, 6))
    np.testing.assert_allclose(x.transpose(1, 0), F.T)
    np.testing.assert_allclose(x.mT, F.T)
    np.testing.assert_allclose(x.clip(0, 1), F.clip(0, 1))
    np.testing.assert_allclose(x.round(1), F.round(1), rtol=1e-6)
    np.testing.assert_allclose(x.take(np.array([1, 2])), F.take([1, 2]))
    np.testing.assert_allclose(-x ** 2 // 0.5 % 3, -F ** 2 // 0.5 % 3, rtol=1e-5)
    np.testing.assert_array_equal(~jnp.asarray(I) & 3 | 4 ^ 1, ~I & 3 | 4 ^ 1)
    np.testing.assert_array_equal(jnp.asarray(IP) << 2 >> 1, IP << 2 >> 1)
    q, r = divmod(jnp.asarray(I), 3)
    np.testing.assert_array_equal(q, I // 3)
    np.testing.assert_array_equal(r, I % 3)
    assert x.nonzero()[0].shape == (12,)
    np.testing.assert_allclose(x.diagonal(), F.diagonal())
    np.testing.assert_allclose(x.trace(), F.trace(), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(x.sort(axis=0)), np.sort(F, axis=0))
    np.testing.assert_allclose(x.repeat(2, axis=1), F.repeat(2, axis=1))


# --- Behaviour the seed relies on ------------------------------------------------------------

def test_vstack_of_one_tuples_warns_and_stacks():
    rows = [(jnp.array([1., 2., 3.]),), (jnp.array([4., 5., 6.]),)]
    with pytest.warns(DeprecationWarning, match='vstack'):
        out = jnp.vstack(rows)
    assert out.shape == (2, 3)
    np.testing.assert_array_equal(out, [[1., 2., 3.], [4., 5., 6.]])


def test_round_and_clip_gradients():
    assert grad(jnp.round)(2.7) == 0.
    assert grad(lambda x: jnp.clip(x, 0., 1.))(1.) == 0.5  # ties split evenly, as JAX
    assert grad(lambda x: jnp.clip(x, 0., 1.))(0.5) == 1.
    assert grad(lambda x: jnp.clip(x, 0., 1.))(2.) == 0.
    assert repr(jnp.round(jnp.array([2.5, 3.5, -0.5, 3.2]))) == \
        'Array([ 2.,  4., -0.,  3.], dtype=float32)'
    assert repr(jnp.round(1.2345, 2)) == 'Array(1.23, dtype=float32, weak_type=True)'


def test_allclose_prints_and_tests_as_bool():
    assert str(jnp.allclose(jnp.ones(3), jnp.ones(3) + 1e-6, 1e-4, 1e-4)) == 'True'
    assert jnp.allclose(jnp.ones(3), jnp.ones(3))
    assert not jnp.allclose(jnp.ones(3), jnp.zeros(3))


def test_weak_types_without_jax():
    # shared/reference/jax-numerics.md section 2.2
    table = [
        (jnp.array(3.0), 'float32', True), (jnp.array(3), 'int32', True),
        (jnp.array(True), 'bool', False), (jnp.array(3 + 4j), 'complex64', True),
        (jnp.array([1., 2.]), 'float32', False), (jnp.arange(3.), 'float32', False),
        (jnp.ones(2), 'float32', False), (jnp.float32(3), 'float32', False),
        (jnp.exp(3.), 'float32', True), (-jnp.asarray(3.), 'float32', True),
        (jnp.asarray(3.) ** 2, 'float32', True), (jnp.real(3 + 4j), 'float32', True),
        (jnp.asarray(2.) * jnp.asarray(2.), 'float32', True),
        (jnp.dot(jnp.asarray(2.), jnp.asarray(2.)), 'float32', True),
        (jnp.stack([jnp.asarray(2.), jnp.asarray(2.)]), 'float32', True),
        (jnp.where(True, jnp.asarray(2.), 1.), 'float32', True),
        (jnp.ones(2) + 1.0, 'float32', False), (jnp.int32(2) + 1.5, 'float32', True),
        (jnp.int32(2) + 1, 'int32', False), (jnp.ones(2) + (1 + 2j), 'complex64', False),
        (jnp.exp(3.) > 1, 'bool', True), (jnp.sum(jnp.asarray(3.)), 'float32', False),
        (jnp.array([jnp.asarray(3.), jnp.asarray(3.)]), 'float32', False),
        (jnp.asarray(3.).astype(jnp.float32), 'float32', False),
        (jnp.float32(jnp.asarray(3.)), 'float32', False),
        (jnp.asarray(3., jnp.float32), 'float32', False),
        (jnp.zeros_like(jnp.asarray(3.)), 'float32', True),
        (jnp.round(jnp.asarray(3.2)), 'float32', True),
        (jnp.clip(jnp.array([1, 5, 9]), 2.5, 7.5), 'float32', True),
    ]
    for i, (x, dtype, weak) in enumerate(table):
        assert (x.dtype.name, bool(x.weak_type)) == (dtype, weak), (i, x)
    np.testing.assert_array_equal(jnp.clip(jnp.array([1, 5, 9]), 2.5, 7.5), [2.5, 5., 7.5])
    assert repr(jnp.uint8(1) + 300) == 'Array(45, dtype=uint8)'
    with pytest.raises(OverflowError, match='too large'):
        jnp.int32(1) + 2 ** 31


def test_fill_diagonal_returns_a_new_array():
    a = jnp.zeros((3, 3))
    np.testing.assert_array_equal(jnp.fill_diagonal(a, 5., inplace=False), np.eye(3) * 5)
    tall = np.zeros((7, 3), np.float32)
    np.fill_diagonal(tall, [1., 2.], wrap=True)
    np.testing.assert_array_equal(
        jnp.fill_diagonal(jnp.zeros((7, 3)), jnp.array([1., 2.]), wrap=True, inplace=False),
        tall)
    with pytest.raises(NotImplementedError, match='inplace=False'):
        jnp.fill_diagonal(a, 1.)


def test_vdot_conjugates_the_first_argument():
    a = jnp.array([1 + 2j, 3j])
    b = jnp.array([2 - 1j, 1 + 1j])
    assert complex(jnp.vdot(a, b)) == 3 - 8j
    assert complex(jnp.dot(a, b)) == 1 + 6j


# --- Errors ----------------------------------------------------------------------------------

def test_errors_name_function_axis_and_shapes():
    x = jnp.ones((2, 3))
    with pytest.raises(ValueError, match=r'sum: axis 2 is out of bounds for an array of rank 2'):
        jnp.sum(x, axis=2)
    with pytest.raises(ValueError, match=r'argmax: axis -3 is out of bounds'):
        jnp.argmax(x, axis=-3)
    with pytest.raises(ValueError, match=r'mean: repeated axis'):
        jnp.mean(x, axis=(0, -2))
    with pytest.raises(ValueError, match=r'concatenate: .*\(2, 3\), \(3, 2\)'):
        jnp.concatenate([x, jnp.ones((3, 2))])
    with pytest.raises(ValueError, match=r'concatenate: zero-dimensional'):
        jnp.concatenate([jnp.asarray(1.), jnp.asarray(2.)])
    with pytest.raises(ValueError, match=r'stack: all input arrays must have the same shape, '
                                         r'got shapes \(2,\), \(3,\)'):
        jnp.stack([jnp.ones(2), jnp.ones(3)])
    with pytest.raises(TypeError, match=r'matmul: shapes \(2, 3\) and \(4, 5\) are not aligned'):
        jnp.matmul(x, jnp.ones((4, 5)))
    with pytest.raises(ValueError, match=r'matmul: the batch dimensions'):
        jnp.matmul(jnp.ones((2, 2, 3)), jnp.ones((3, 3, 4)))
    with pytest.raises(ValueError, match=r'matmul: operands must have at least one dimension'):
        jnp.matmul(2., x)
    with pytest.raises(TypeError, match=r'tensordot: shapes \(2, 3\) and \(2, 3\)'):
        jnp.tensordot(x, x, 1)
    with pytest.raises(ValueError, match=r"einsum: size of label 'j' for operand 1 \(4\)"):
        jnp.einsum('ij,jk', x, jnp.ones((4, 5)))
    with pytest.raises(ValueError, match=r"einsum: 2 operand subscripts"):
        jnp.einsum('ij,jk', x)
    with pytest.raises(ValueError, match=r"einsum: output subscript 'z' does not appear"):
        jnp.einsum('ij->z', x)
    with pytest.raises(ValueError, match=r'reshape: cannot reshape an array of shape \(2, 3\) '
                                         r'\(size 6\) into shape \(4, -1\)'):
        jnp.reshape(x, (4, -1))
    with pytest.raises(ValueError, match=r'only specify one unknown dimension'):
        jnp.reshape(x, (-1, -1))
    with pytest.raises(ValueError, match=r'transpose: axes \(0, 0\) are not a permutation'):
        jnp.transpose(x, (0, 0))
    with pytest.raises(ValueError, match=r'zero-size array to reduction operation max'):
        jnp.max(jnp.zeros((0, 2)), axis=0)
    with pytest.raises(ValueError, match=r'requires? .*initial|specify .initial.'):
        jnp.max(x, where=x > 0)
    with pytest.raises(ValueError, match=r'split: array split does not result in an equal'):
        jnp.split(jnp.arange(5), 2)
    with pytest.raises(ValueError, match=r'broadcast_to: cannot broadcast an array of shape '
                                         r'\(3,\) to shape \(4,\)'):
        jnp.broadcast_to(jnp.ones(3), (4,))
    with pytest.raises(ValueError, match=r'squeeze: cannot select an axis to squeeze out'):
        jnp.squeeze(x, 0)
    with pytest.raises(ValueError, match=r'pad: pad_width must be non-negative'):
        jnp.pad(x, -1)
    with pytest.raises(ValueError, match=r'pad: mode must be one of'):
        jnp.pad(x, 1, mode='bogus')
    with pytest.raises(ValueError, match=r'clip: complex'):
        jnp.clip(jnp.ones(2, jnp.complex64), 0, 1)
    with pytest.raises(TypeError, match=r'boolean subtract'):
        jnp.subtract(jnp.ones(2, bool), True)
    with pytest.raises(TypeError, match=r'bitwise_and is only defined for integer'):
        jnp.bitwise_and(x, x)
    with pytest.raises(ValueError, match=r'diag: the input must be 1-D or 2-D'):
        jnp.diag(jnp.ones((2, 2, 2)))
    with pytest.raises(ValueError, match=r'linspace: number of samples, -1, must be '):
        jnp.linspace(0, 1, -1)
    with pytest.raises(ValueError, match=r'nonzero: calling nonzero on 0-d arrays'):
        jnp.nonzero(jnp.asarray(1.))
    with pytest.raises(ValueError, match=r'where: either both or neither'):
        jnp.where(x > 0, x)


def test_data_dependent_shapes_need_concrete_values_or_size():
    with pytest.raises(jax.ConcretizationTypeError, match=r'size='):
        jit(jnp.nonzero)(jnp.array([0, 1]))
    with pytest.raises(jax.ConcretizationTypeError, match=r'size='):
        jit(jnp.unique)(jnp.array([0, 1]))
    with pytest.raises(jax.ConcretizationTypeError, match=r'arange'):
        jit(lambda n: jnp.arange(n))(3)
    with pytest.raises(IndexError, match=r'boolean indices must be concrete'):
        jit(lambda x: x[x > 0])(jnp.ones(3))
    # a static size works under jit, and values are concrete under grad without jit
    idx, = jit(lambda x: jnp.nonzero(x, size=3, fill_value=-1))(jnp.array([0, 4, 0, 5]))
    np.testing.assert_array_equal(idx, [1, 3, -1])
    u = jit(lambda x: jnp.unique(x, size=4))(jnp.array([3, 1, 1, 2]))
    np.testing.assert_array_equal(u, [1, 2, 3, 1])
    assert grad(lambda x: jnp.sum(x[jnp.nonzero(x > 0)]))(jnp.array([1., -1., 2.])).tolist() \
        == [1., 0., 1.]
    r = jit(lambda x, r: jnp.repeat(x, r, total_repeat_length=5))(jnp.array([1, 2, 3]),
                                                                   jnp.array([2, 0, 3]))
    np.testing.assert_array_equal(r, [1, 1, 3, 3, 3])


# --- Derivatives against finite differences (float64) ---------------------------------------

_GRAD_FUNCS = {
    'logaddexp': lambda x: jnp.logaddexp(x, 2 * x - 1),
    'logaddexp2': lambda x: jnp.logaddexp2(x, jnp.flip(x)),
    'hypot': lambda x: jnp.hypot(x, 2 * x + 3),
    'sinc': lambda x: jnp.sinc(x + 0.1),
    'arctan2': lambda x: jnp.arctan2(x, x ** 2 + 1),
    'var-std': lambda x: jnp.var(x, axis=0) + jnp.std(x, axis=1, keepdims=True),
    'mean-where': lambda x: jnp.mean(x, axis=1, where=x > 0),
    'prod-cumprod': lambda x: jnp.prod(x, axis=0) + jnp.cumprod(x, axis=1)[:, -1:],
    'cumsum': lambda x: jnp.cumsum(x ** 2),
    'max-min': lambda x: jnp.max(x, axis=1) * jnp.min(x, axis=0)[0],
    'median-quantile': lambda x: jnp.median(x, axis=0) + jnp.quantile(x, 0.3, axis=1)[:, None],
    'logsumexp-like': lambda x: jnp.log(jnp.sum(jnp.exp(x))),
    'average': lambda x: jnp.average(x, axis=1, weights=jnp.array([1., 2., 3., 4.])),
    'einsum': lambda x: jnp.einsum('ij,kj->ik', x, jnp.sin(x)),
    'einsum-trace': lambda x: jnp.einsum('ii', x[:, :3] @ x[:, :3].T),
    'matmul-batched': lambda x: jnp.matmul(jnp.stack([x, 2 * x]), x.T),
    'tensordot': lambda x: jnp.tensordot(x, jnp.cos(x), axes=([0, 1], [0, 1])),
    'kron-outer': lambda x: jnp.kron(x[:2, :2], x[1:, 2:]) + jnp.outer(x[0], x[1]).sum(),
    'vdot-inner': lambda x: jnp.vdot(x, x) + jnp.inner(x, x).sum(),
    'diag-trace': lambda x: jnp.diag(jnp.diagonal(x, 1)) + jnp.trace(x),
    'tril-triu': lambda x: jnp.tril(x) * 2 + jnp.triu(x, 1) ** 2,
    'linspace': lambda x: jnp.linspace(x[0, 0], x[1, 1], 5) * jnp.linspace(x[0], x[1], 3).sum(),
    'pad-modes': lambda x: jnp.pad(x, 2, mode='reflect').sum() + jnp.pad(x, 1, mode='edge')
    + jnp.pad(x, ((1, 0), (0, 2)), constant_values=3.).mean(),
    'roll-flip-rot': lambda x: jnp.roll(x, 1, axis=1) * jnp.flip(x) + jnp.rot90(x, 2),
    'tile-repeat': lambda x: jnp.tile(x, (2, 1)) + jnp.repeat(x, 2, axis=0),
    'concat-split': lambda x: jnp.concatenate(jnp.split(x, 2, axis=1)[::-1], axis=1) * x,
    'stack-vstack': lambda x: jnp.stack([x, x ** 2]).sum(0) + jnp.vstack([x[0], x[1:]]),
    'take-along': lambda x: jnp.take(x, jnp.array([3, 0, 0]), axis=1).sum()
    + jnp.take_along_axis(x, jnp.argsort(x, axis=1), axis=1),
    'getitem': lambda x: x[1:, ::-1] * x[0] + x[jnp.array([0, 2]), 1:2].sum(),
    'at-updates': lambda x: jnp.asarray(x).at[0].set(x[1] ** 2).at[1:, 2].add(x[0, :2]).at[2].mul(x[1]),
    'at-min-max': lambda x: jnp.asarray(x).at[0].max(0.1) + jnp.asarray(x).at[1].min(-0.1),
    'sort': lambda x: jnp.sort(x, axis=0) * jnp.arange(1., 5.),
    'where-clip': lambda x: jnp.where(x > 0, x ** 2, jnp.clip(x, -0.8, 5.)),
    'nan_to_num': lambda x: jnp.nan_to_num(jnp.log(jnp.abs(x))),
    'cross': lambda x: jnp.cross(x[:, :3], x[:, 1:]),
    'float_power-fmod': lambda x: jnp.float_power(jnp.abs(x) + 1, x) + jnp.fmod(x, 0.7),
    'geomspace': lambda x: jnp.geomspace(jnp.abs(x[0, 0]) + 1, jnp.abs(x[1, 1]) + 2, 4),
    'nan-reductions': lambda x: jnp.nansum(x) + jnp.nanmean(x, axis=0) + jnp.nanmax(x),
    'diff-gradient': lambda x: jnp.diff(x, n=2).sum() * 3 + jnp.gradient(x, axis=1),
    'trapezoid-interp': lambda x: jnp.trapezoid(x ** 2) + jnp.interp(
        x[0], jnp.array([-3., -1., 0., 2.]), x[1]).sum(),
    'convolve-correlate': lambda x: jnp.convolve(x[0], x[1]) + jnp.correlate(
        x[0], x[2], 'same').sum(),
    'cov-corrcoef': lambda x: jnp.cov(x) + jnp.corrcoef(x),
    'polyval-vander': lambda x: jnp.polyval(x[0], x[1]) + jnp.vander(x[2], 3).sum(),
    'histogram-weights': lambda x: jnp.histogram(jnp.array([0.1, 0.5, 0.7]), bins=2,
                                                 range=(0, 1), weights=x[0, :3])[0],
}


@pytest.mark.parametrize('name', list(_GRAD_FUNCS))
def test_grads_against_finite_differences(name, x64):
    x = np.random.default_rng(1).standard_normal((3, 4))
    check_grads(_GRAD_FUNCS[name], (x,), order=1, modes=('fwd', 'rev'), atol=1e-5, rtol=1e-5)


def test_second_order(x64):
    x = np.random.default_rng(2).standard_normal((3, 4))
    check_grads(lambda x: jnp.einsum('ij,ij->', jnp.tanh(x), x) + jnp.var(x), (x,), order=2,
                atol=1e-5, rtol=1e-5)


# --- vmap against loops, jit against eager ---------------------------------------------------

_VMAP_FUNCS = {
    'sum-axis': lambda x: jnp.sum(x, axis=0),
    'einsum': lambda x: jnp.einsum('ij,j->i', jnp.ones((2, 4)), x[0]),
    'matmul': lambda x: x @ x.T,
    'take': lambda x: jnp.take(x, jnp.array([2, 0]), axis=1),
    'sort-median': lambda x: jnp.sort(x, axis=1) + jnp.median(x, axis=1, keepdims=True),
    'cumsum-argmax': lambda x: jnp.cumsum(x, axis=1) * jnp.argmax(x, axis=0)[0],
    'pad-roll': lambda x: jnp.roll(jnp.pad(x, 1, mode='edge'), 2),
    'where-clip': lambda x: jnp.where(x > 0, x, jnp.clip(x, -0.5, 0.5)),
    'at-set': lambda x: x.at[1, 2].set(7.),
    'nonzero-size': lambda x: jnp.nonzero(x > 0, size=12, fill_value=-1)[1],
    'unique-size': lambda x: jnp.unique(jnp.round(x), size=5),
    'diag-tril': lambda x: jnp.diag(x[0]) + jnp.tril(x[:, :3]).sum(),
    'linspace': lambda x: jnp.linspace(x[0, 0], x[1, 1], 4),
    'var-quantile': lambda x: jnp.var(x, axis=1) + jnp.quantile(x, 0.25),
    'stack-split': lambda x: jnp.stack(jnp.split(x, 2, axis=1), axis=-1),
    'searchsorted': lambda x: jnp.searchsorted(jnp.sort(x[0]), x[1]),
    'gcd-bincount': lambda x: jnp.gcd(jnp.round(x * 10).astype(jnp.int32), 6)
    + jnp.bincount(jnp.abs(x[0] * 3).astype(jnp.int32), length=4),
    'interp-isin': lambda x: jnp.interp(x[0], jnp.array([-1., 0., 1.]), jnp.array([2., 0., 1.]))
    + jnp.isin(jnp.round(x[1]), jnp.array([0., 1.])),
    'convolve-histogram': lambda x: jnp.convolve(x[0], x[1], 'same')
    + jnp.histogram(x, bins=4, range=(-2, 2))[0],
}


@pytest.mark.parametrize('name', list(_VMAP_FUNCS))
def test_vmap_matches_loop(name):
    f = _VMAP_FUNCS[name]
    xs = np.random.default_rng(3).standard_normal((5, 3, 4)).astype(np.float32)
    got = vmap(f)(xs)
    want = np.stack([np.asarray(f(jnp.asarray(x))) for x in xs])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)


def test_vmap_traced_index_and_shift():
    xs = jnp.asarray(F)
    shifts = jnp.array([0, 1, -2])
    got = vmap(lambda x, s: jnp.roll(x, s))(xs, shifts)
    want = np.stack([np.roll(F[i], int(s)) for i, s in enumerate([0, 1, -2])])
    np.testing.assert_array_equal(np.asarray(got), want)
    got = vmap(lambda x, i: x.at[i].add(10.))(xs, jnp.array([0, 3, 1]))
    want = F.copy()
    want[[0, 1, 2], [0, 3, 1]] += 10.
    np.testing.assert_allclose(np.asarray(got), want)


@pytest.mark.parametrize('name', list(_VMAP_FUNCS))
def test_jit_matches_eager(name):
    f = _VMAP_FUNCS[name]
    x = jnp.asarray(F)
    np.testing.assert_allclose(np.asarray(jit(f)(x)), np.asarray(f(x)), rtol=1e-6, atol=1e-6)


def test_docstring_examples():
    import doctest
    import importlib
    failures = []
    for m in ['_math', '_logic', '_creation', '_reductions', '_shape', '_sorting',
              '_indexing', '_linalg_basic', '_comparison', '_numerical', '_scalar_types',
              '_index_tricks', '_setops', '_pad']:
        mod = importlib.import_module('pullback.numpy.' + m)
        runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
        for t in doctest.DocTestFinder().find(mod):
            t.globs.update({'jnp': jnp, 'np': np})
            result = runner.run(t, out=lambda s: None)
            if result.failed:
                failures.append(t.name)
    assert not failures, failures


# --- Promotion of every operand pair against JAX ----------------------------------------------

_PROMO_DTYPES = ['bool', 'int8', 'uint8', 'int32', 'uint32', 'float16', 'float32', 'complex64',
                 2, 1.5, 1.5j, True]
_PROMO_OPS = ['add', 'subtract', 'multiply', 'true_divide', 'floor_divide', 'remainder',
              'power', 'maximum', 'fmax', 'equal', 'where', 'hypot', 'copysign', 'heaviside',
              'logaddexp', 'arctan2', 'bitwise_and']


def _operand(m, d):
    if not isinstance(d, str):
        return d
    return m.asarray(np.array([1, 0, 2]).astype(d))


@pytest.mark.slow
@pytest.mark.parametrize('op', _PROMO_OPS)
def test_binary_promotion_against_jax(op):
    """Result dtype and weak type of ``op`` for every pair of operand kinds (arrays of each
    dtype and Python scalars), or both raising."""
    if _rjnp is None:
        pytest.skip('JAX is not installed')
    bad = []
    for a in _PROMO_DTYPES:
        for b in _PROMO_DTYPES:
            if not isinstance(a, str) and not isinstance(b, str):
                continue

            def f(m):
                x, y = _operand(m, a), _operand(m, b)
                if op == 'where':
                    return m.where(np.array([True, False, True]), x, y)
                return getattr(m, op)(x, y)
            try:
                w = _real_jax.eval_shape(lambda: f(_rjnp))
                want = (w.dtype.name, bool(w.weak_type))
            except Exception:
                want = 'error'
            try:
                g = f(jnp)
                got = (g.dtype.name, bool(g.weak_type))
            except (TypeError, ValueError):
                got = 'error'
            if got != want and not (op == 'arctan2' and 'complex64' in str(want)):
                bad.append((a, b, got, want))
    assert not bad, bad


_UNARY_OPS = ['sin', 'exp', 'sqrt', 'abs', 'negative', 'sign', 'floor', 'trunc', 'rint',
              'square', 'reciprocal', 'conj', 'real', 'imag', 'angle', 'isnan', 'isinf',
              'isfinite', 'signbit', 'invert', 'logical_not', 'log2', 'cbrt', 'sinc', 'fabs',
              'nan_to_num', 'sum', 'prod', 'mean', 'var', 'cumsum', 'all', 'sort', 'flip',
              'median', 'count_nonzero', 'nansum', 'zeros_like', 'cumulative_sum', 'isposinf',
              'spacing', 'modf', 'frexp', 'max', 'argmax']
# where pullback knowingly differs: complex max/argmax (JAX orders complex numbers
# lexicographically; lax's reductions reject them)
_UNARY_KNOWN = {('max', 'complex64'), ('max', 1.5j), ('argmax', 'complex64'),
                ('argmax', 1.5j)}


@pytest.mark.slow
@pytest.mark.parametrize('op', _UNARY_OPS)
def test_unary_dtypes_against_jax(op):
    """Result dtypes and weak types of ``op`` on arrays of every dtype and Python scalars."""
    if _rjnp is None:
        pytest.skip('JAX is not installed')
    bad = []
    for d in _PROMO_DTYPES:
        if (op, d) in _UNARY_KNOWN:
            continue

        def f(m):
            x = m.asarray(np.array([[1, 0], [2, 1]]).astype(d)) if isinstance(d, str) else d
            if op == 'cumulative_sum':
                return m.cumulative_sum(m.ravel(x))
            return getattr(m, op)(x)

        def sig(out):
            leaves = out if isinstance(out, (list, tuple)) else [out]
            return [(x.dtype.name, bool(x.weak_type)) for x in leaves]
        try:
            want = sig(_real_jax.eval_shape(lambda: f(_rjnp)))
        except Exception:
            want = 'error'
        try:
            got = sig(f(jnp))
        except (TypeError, ValueError):
            got = 'error'
        if got != want:
            bad.append((d, got, want))
    assert not bad, bad
