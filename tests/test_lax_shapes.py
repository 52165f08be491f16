"""Shape, reduction, indexing and sorting primitives: behaviour that the registry-driven
checks (tests/test_primitives.py, cases in cases_shapes.py / cases_indexing.py) cannot see:
NumPy's indexing rules, clamping and dropping, scatter modes, ties and zeros in
derivatives, and the error messages."""
import numpy as np
import pytest

import pullback
from pullback import lax
from pullback._array import Array
from pullback.lax.indexing import (normalize_index, NonConcreteBooleanIndexError, gather_p,
                                   scatter_p)


def value(x):
    return np.asarray(x._value if type(x) is Array else x)


@pytest.fixture
def x64():
    pullback.config.update('jax_enable_x64', True)
    yield
    pullback.config.update('jax_enable_x64', False)


XN = np.arange(120, dtype=np.float32).reshape(4, 5, 6)
A = np.array([0, 2])

# index expressions with in-bounds entries: the result must be exactly NumPy's
NUMPY_INDICES = [
    1, -1, (1, 2), (1, 2, 3), slice(1, None, 2), slice(None, None, -1), slice(-2, None),
    slice(3, 0, -2), slice(10, 20), slice(-100, None, -1), slice(None, -100, -1), slice(3, 1), (Ellipsis, 1), (None, 1), (1, None, slice(None), None),
    (), Ellipsis, (Ellipsis, None), (0, Ellipsis, 0),
    [0, 2], A, np.array([[0, 1], [2, 3]]), (slice(None), [0, 4], [1, 2]),
    ([0, 1], slice(None), [2, 3]),          # advanced indices split by a slice: block first
    (1, slice(None), [0, 1]),               # an int counts as advanced: split again
    (slice(None), 1, [0, 2]),               # adjacent after a slice: block stays in place
    (slice(None), None, [0, 1], [[1], [2]]),
    (A, None, A),                           # a new axis also splits them
    (Ellipsis, [1, 0]), (np.int64(2), np.array(3)), [[0, 1], [1, 0]],
    XN > 60, np.array([True, False, True, False]), (slice(None), XN[0] > 10),
    (np.array([True, False, True, False]), slice(1, 3), [4, 0]),
    True, (None, True),
]


@pytest.mark.parametrize('idx', NUMPY_INDICES, ids=[str(i)[:40] for i in NUMPY_INDICES])
def test_getitem_matches_numpy(idx):
    got = lax.getitem(Array(XN), idx)
    want = XN[idx]
    assert value(got).shape == want.shape
    np.testing.assert_array_equal(value(got), want)


def test_indices_may_be_arrays_tracers_and_lists_of_them():
    x = Array(XN)
    np.testing.assert_array_equal(value(lax.getitem(x, (Array(np.int32(1)), Array(A)))),
                                  XN[1, A])
    f = pullback.vmap(lambda i: lax.getitem(x, (slice(None), [i, 0])))
    np.testing.assert_array_equal(value(f(np.int32([1, 3]))),
                                  np.stack([XN[:, [1, 0]], XN[:, [3, 0]]]))
    g = pullback.grad(lambda v: lax.reduce_sum(lax.getitem(v, (Array(np.int32(2)),)), ()))
    np.testing.assert_array_equal(value(g(np.float32([1, 2, 3]))), [0, 0, 1])


def test_false_index_gives_an_empty_axis():
    out = lax.getitem(Array(XN), False)
    assert value(out).shape == XN[False].shape == (0, 4, 5, 6)


def test_out_of_bounds_reads_are_clamped_or_filled():
    x = Array(np.arange(5, dtype=np.float32))
    # negative indices wrap once, then everything is clamped (JAX's gather default)
    np.testing.assert_array_equal(value(lax.getitem(x, np.array([4, 9, -1, -7]))), [4, 4, 4, 0])
    np.testing.assert_array_equal(value(lax.getitem(x, 7)), 4)
    np.testing.assert_array_equal(value(lax.getitem(x, -9)), 0)
    filled = lax.getitem(x, np.array([4, 5, -5, -6]), oob='fill', fill_value=np.nan)
    np.testing.assert_array_equal(value(filled), [4, np.nan, 0, np.nan])
    m = Array(np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(value(lax.getitem(m, (np.array([0, 2]), np.array([3, 1])),
                                                    oob='fill', fill_value=-1.)), [-1, -1])


def test_gradient_of_a_clamped_read_goes_to_the_clamped_element():
    # (JAX sends no gradient to reads that were clamped; here the read is x[4], so it does)
    g = pullback.grad(lambda v: lax.reduce_sum(lax.getitem(v, np.array([1, 1, 9])), (0,)))
    np.testing.assert_array_equal(value(g(np.zeros(5, np.float32))), [0, 2, 0, 0, 1])


def _reference_update(x, idx, upd, mode):
    out = x.copy()
    if mode == 'set':
        out[idx] = upd
    else:
        {'add': np.add, 'mul': np.multiply, 'min': np.minimum, 'max': np.maximum}[mode].at(
            out, idx, upd)
    return out


@pytest.mark.parametrize('mode', ['set', 'add', 'mul', 'min', 'max'])
def test_index_update_modes_match_numpy(mode):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    for idx in [np.array([0, 3, 0, 1]), (slice(None), [2, 2, -1]), (1, slice(1, 3)),
                ([0, 4], None, [1, 1])]:
        shape = x[idx].shape
        upd = rng.standard_normal(shape).astype(np.float32)
        got = lax.index_update(Array(x), idx, Array(upd), mode=mode)
        np.testing.assert_allclose(value(got), _reference_update(x, idx, upd, mode),
                                   rtol=1e-6)


def test_index_update_broadcasts_updates_and_casts_them():
    x = Array(np.zeros((2, 3), np.float32))
    out = lax.index_update(x, (slice(None), 1), 2)
    assert value(out).dtype == np.float32
    np.testing.assert_array_equal(value(out), [[0, 2, 0], [0, 2, 0]])
    with pytest.raises(ValueError, match='cannot be broadcast to the indexed shape'):
        lax.index_update(x, 0, np.ones(2, np.float32))


def test_out_of_bounds_updates_are_dropped_or_clamped():
    x = Array(np.zeros(4, np.float32))
    idx = np.array([1, 4, -5, -1, 9])
    upd = np.float32([1, 2, 3, 4, 5])
    np.testing.assert_array_equal(value(lax.index_update(x, idx, upd, 'add')), [0, 1, 0, 4])
    np.testing.assert_array_equal(value(lax.index_update(x, idx, upd, 'add', oob='clip')),
                                  [3, 1, 0, 11])
    np.testing.assert_array_equal(value(lax.index_update(x, 7, 1., 'set')), [0, 0, 0, 0])
    m = Array(np.zeros((2, 2), np.float32))
    np.testing.assert_array_equal(
        value(lax.index_update(m, (np.array([0, 2]), np.array([1, 1])), 1., 'set')),
        [[0, 1], [0, 0]])


def test_set_with_repeated_indices_differentiates_the_last_write():
    idx = np.array([0, 2, 0])
    f = lambda x, u: lax.reduce_sum(lax.index_update(x, idx, u, 'set') * np.float32([1, 2, 3]),
                                    (0,))
    gx, gu = pullback.grad(f, argnums=(0, 1))(np.ones(3, np.float32), np.ones(3, np.float32))
    np.testing.assert_array_equal(value(gx), [0, 2, 0])
    np.testing.assert_array_equal(value(gu), [0, 3, 1])  # x[0] was last written by u[2]


def test_scatter_mul_derivative_with_zeros_and_repeats():
    idx = np.array([0, 0, 1])

    def f(u):
        return lax.reduce_sum(lax.index_update(np.float32([2, 3]), idx, u, 'mul'), (0,))
    # x[0] = 2 * u0 * u1, x[1] = 3 * u2
    np.testing.assert_array_equal(value(pullback.grad(f)(np.float32([0, 5, 1]))), [10, 0, 3])
    np.testing.assert_array_equal(value(pullback.grad(f)(np.float32([0, 0, 1]))), [0, 0, 3])


def test_scatter_min_max_share_the_derivative_on_ties():
    f = lambda x, u: lax.reduce_sum(lax.index_update(x, np.array([0, 0]), u, 'max'), (0,))
    gx, gu = pullback.grad(f, argnums=(0, 1))(np.float32([1, 0]), np.float32([1, 1]))
    np.testing.assert_allclose(value(gx), [1 / 3, 1])
    np.testing.assert_allclose(value(gu), [1 / 3, 1 / 3])


def test_normalize_index_spec():
    spec, ops, final = normalize_index((0, slice(None, None, -1), None, Ellipsis), (2, 3, 4))
    assert spec == (('array', 0), ('slice', 2, None, -1), ('none',), ('slice', 0, 4, 1))
    assert len(ops) == 1 and ops[0].shape == () and ops[0].dtype == np.int32
    assert final is None
    spec, ops, _ = normalize_index(np.array([[True, False], [False, True]]), (2, 2))
    assert spec == (('array', 0), ('array', 1))
    np.testing.assert_array_equal(ops[0], [0, 1])


def test_index_errors():
    x = Array(XN)
    with pytest.raises(IndexError, match='Too many indices'):
        lax.getitem(x, (0, 0, 0, 0))
    with pytest.raises(IndexError, match='single ellipsis'):
        lax.getitem(x, (Ellipsis, Ellipsis))
    with pytest.raises(IndexError, match='integer or boolean'):
        lax.getitem(x, np.array([0.5]))
    with pytest.raises(IndexError, match='does not match'):
        lax.getitem(x, np.array([True, False]))
    with pytest.raises(NonConcreteBooleanIndexError, match='jnp.where'):
        pullback.vmap(lambda m: lax.getitem(x[0, 0], m))(np.ones((2, 6), bool))
    with pytest.raises(IndexError, match='dynamic_slice'):
        pullback.make_jaxpr(lambda i: lax.getitem(x, slice(i, None)))(1)
    with pytest.raises(ValueError, match='updates of shape'):
        scatter_p.bind(x, np.ones(3, np.float32), np.int32(0), indexer=(('array', 0),),
                       mode='add', oob='drop')
    with pytest.raises(TypeError, match='integer dtype'):
        pullback.make_jaxpr(lambda v: gather_p.bind(v, np.float32(0), indexer=(('array', 0),),
                                                    oob='clip', fill_value=None))(x)


# --- Shapes --------------------------------------------------------------------------------

def test_dynamic_slice_wraps_negative_starts_then_clamps():
    x = Array(np.arange(5, dtype=np.float32))
    for start, want in [(-1, [3, 4]), (-7, [0, 1]), (9, [3, 4]), (1, [1, 2])]:
        np.testing.assert_array_equal(value(lax.dynamic_slice(x, (start,), (2,))), want)
        jstart = Array(np.int32(start))
        np.testing.assert_array_equal(value(lax.dynamic_slice(x, (jstart,), (2,))), want)
    np.testing.assert_array_equal(value(lax.dynamic_update_slice(x, np.float32([9, 9]), (4,))),
                                  [0, 1, 2, 9, 9])
    np.testing.assert_array_equal(value(lax.dynamic_index_in_dim(x, -1, keepdims=False)), 4)
    # batched starts become a gather; the windows are clamped per member
    out = pullback.vmap(lambda s: lax.dynamic_slice(x, (s,), (2,)))(np.int32([0, 4, -1, -9]))
    np.testing.assert_array_equal(value(out), [[0, 1], [3, 4], [3, 4], [0, 1]])


def test_pad_negative_and_interior():
    x = np.float32([1, 2, 3])
    np.testing.assert_array_equal(value(lax.pad(x, 0., [(1, 2, 1)])), [0, 1, 0, 2, 0, 3, 0, 0])
    np.testing.assert_array_equal(value(lax.pad(x, 0., [(-1, -1, 1)])), [0, 2, 0])
    np.testing.assert_array_equal(value(lax.pad(x, 7., [(-3, 1, 0)])), [7])
    g = pullback.grad(lambda p: lax.reduce_sum(lax.pad(x, p, [(-1, 2, 1)]), (0,)))(0.)
    assert float(g) == 4.0  # (two interior + two trailing padding entries survive)


def test_small_shape_helpers():
    x = Array(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    assert lax.squeeze(lax.expand_dims(x, (0, -1)), (0, -1)).shape == (2, 3, 4)
    assert lax.expand_dims(x, (1, 3)).shape == (2, 1, 3, 1, 4)
    assert lax.collapse(x, 1).shape == (2, 12)
    np.testing.assert_array_equal(value(lax.slice_in_dim(x, 1, None, axis=2)),
                                  value(x)[:, :, 1:])
    np.testing.assert_array_equal(value(lax.index_in_dim(x, -1, 1, keepdims=False)),
                                  value(x)[:, -1])
    np.testing.assert_array_equal(value(lax.rev(x, (0, 2))), value(x)[::-1, :, ::-1])
    np.testing.assert_array_equal(value(lax.iota(np.int32, 3)), [0, 1, 2])
    assert lax.broadcasted_iota(np.float32, (2, 3), 0).dtype == np.float32


def test_shape_errors():
    f32, i32 = np.ones((2, 3), np.float32), np.ones((2, 3), np.int32)
    with pytest.raises(TypeError, match='concatenate: operands must have the same dtype'):
        lax.concatenate([f32, i32], 0)
    with pytest.raises(TypeError, match='concatenate: operand shapes must agree'):
        lax.concatenate([f32, np.ones((2, 2), np.float32)], 0)
    with pytest.raises(ValueError, match=r'squeeze: cannot remove dimension 1 .* \(2, 3\)'):
        lax.squeeze(f32, (1,))
    with pytest.raises(TypeError, match=r'slice: .* shape \(2, 3\)'):
        lax.slice(f32, (0, 0), (3, 3))
    with pytest.raises(ValueError, match='pad: padding_config'):
        lax.pad(f32, 0., [(-2, -1, 0), (0, 0, 0)])
    with pytest.raises(TypeError, match='dynamic_slice: slice_sizes'):
        lax.dynamic_slice(f32, (0, 0), (3, 1))
    with pytest.raises(ValueError, match='reduce_max: axes=2 is out of bounds'):
        lax.reduce_max(f32, (2,))
    with pytest.raises(ValueError, match='argmax: cannot find the extremum along axis 0'):
        lax.argmax(np.ones((0, 2), np.float32), 0, np.int32)
    with pytest.raises(TypeError, match='cumlogsumexp does not accept dtype int32'):
        lax.cumlogsumexp(i32)
    with pytest.raises(ValueError, match='sort: num_keys=3'):
        lax.sort((f32, f32), num_keys=3)


# --- Reductions ----------------------------------------------------------------------------

def test_reductions_of_nothing_give_the_identity():
    e = np.zeros((0, 2), np.float32)
    np.testing.assert_array_equal(value(lax.reduce_max(e, (0,))), [-np.inf, -np.inf])
    np.testing.assert_array_equal(value(lax.reduce_min(np.zeros(0, np.int32), (0,))),
                                  np.iinfo(np.int32).max)
    np.testing.assert_array_equal(value(lax.reduce_prod(e, (0,))), [1, 1])


def test_max_derivative_is_shared_among_ties():
    g = pullback.grad(lambda v: lax.reduce_max(v, (0,)))(np.float32([1, 3, 3]))
    np.testing.assert_array_equal(value(g), [0, 0.5, 0.5])
    g = pullback.grad(lambda v: lax.reduce_min(v, (0, 1)))(np.float32([[1, 1], [1, 2]]))
    np.testing.assert_allclose(value(g), [[1 / 3, 1 / 3], [1 / 3, 0]])


def test_prod_derivative_with_zeros(x64):
    g = pullback.grad(lambda v: lax.reduce_prod(v, (0,)))
    np.testing.assert_array_equal(value(g(np.array([2., 0., 3.]))), [0, 6, 0])
    np.testing.assert_array_equal(value(g(np.array([2., 0., 0.]))), [0, 0, 0])
    h = pullback.hessian(lambda v: lax.reduce_prod(v, (0,)))(np.array([2., 0., 3.]))
    np.testing.assert_array_equal(value(h), [[0, 3, 0], [3, 0, 2], [0, 2, 0]])
    c = pullback.jacfwd(lambda v: lax.cumprod(v))(np.array([2., 0., 3.]))
    np.testing.assert_array_equal(value(c), [[1, 0, 0], [0, 2, 0], [0, 6, 0]])


def test_argmax_takes_the_first_maximum_and_nan():
    x = np.float32([1, 3, 3, 0])
    assert int(lax.argmax(x, 0, np.int32)) == 1
    assert int(lax.argmin(np.float32([2, 0, np.nan, 0]), 0, np.int32)) == 2
    assert lax.argmax(x, 0, np.int64).dtype == np.int32  # canonicalised without x64


def test_cumulative_reductions():
    x = np.float32([1, 3, 2, 5])
    np.testing.assert_array_equal(value(lax.cumsum(x, reverse=True)), [11, 10, 7, 5])
    np.testing.assert_array_equal(value(lax.cummax(x)), [1, 3, 3, 5])
    np.testing.assert_array_equal(value(lax.cummin(x, reverse=True)), [1, 2, 2, 5])
    np.testing.assert_allclose(value(lax.cumlogsumexp(np.float32([0, 0, 0]))),
                               np.log([1, 2, 3]), rtol=1e-6)
    # the derivative of a running max follows the element that holds it
    j = pullback.jacrev(lambda v: lax.cummax(v))(x)
    np.testing.assert_array_equal(value(j), [[1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0],
                                             [0, 0, 0, 1]])
    # stable for inputs far apart (no overflow or underflow in the weights)
    j = pullback.jacrev(lambda v: lax.cumlogsumexp(v))(np.float32([-1000, 0, 1000]))
    np.testing.assert_allclose(value(j), [[1, 0, 0], [0, 1, 0], [0, 0, 1]], atol=1e-6)


# --- Sorting -------------------------------------------------------------------------------

def test_sort_orders_nan_last_and_is_stable():
    np.testing.assert_array_equal(value(lax.sort(np.float32([3, np.nan, -1, 2]))),
                                  [-1, 2, 3, np.nan])
    keys = np.int32([1, 0, 1, 0])
    _, vals = lax.sort_key_val(keys, np.float32([0, 1, 2, 3]))
    np.testing.assert_array_equal(value(vals), [1, 3, 0, 2])
    k1, k2, v = lax.sort((np.int32([1, 1, 0, 0]), np.int32([1, 0, 1, 0]), np.int32([0, 1, 2, 3])),
                         num_keys=2)
    np.testing.assert_array_equal(value(v), [3, 2, 1, 0])
    np.testing.assert_array_equal(value(lax.argsort(np.float32([1, 3, 1, 3]), descending=True)),
                                  [1, 3, 0, 2])


def test_top_k_ties_take_the_lower_index():
    vals, idx = lax.top_k(np.float32([[1, 4, 2, 4], [0, 0, 0, 1]]), 3)
    np.testing.assert_array_equal(value(vals), [[4, 4, 2], [1, 0, 0]])
    np.testing.assert_array_equal(value(idx), [[1, 3, 2], [3, 0, 1]])
    g = pullback.grad(lambda v: lax.reduce_sum(lax.top_k(v, 2)[0] * np.float32([2, 1]), (0,)))
    np.testing.assert_array_equal(value(g(np.float32([1, 5, 3]))), [0, 2, 1])


# --- JAX as an oracle ----------------------------------------------------------------------

@pytest.mark.slow
def test_against_jax():
    jax = pytest.importorskip('jax')
    jnp, jlax = jax.numpy, jax.lax
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 5)).astype(np.float32)
    x[1, 2] = 0
    pairs = [
        (lambda v: lax.pad(v, 1.5, [(1, -1, 2), (-2, 1, 0)]),
         lambda v: jlax.pad(v, 1.5, [(1, -1, 2), (-2, 1, 0)])),
        (lambda v: lax.cumlogsumexp(v, 1, reverse=True),
         lambda v: jlax.cumlogsumexp(v, 1, reverse=True)),
        (lambda v: lax.cumprod(v, 1), lambda v: jlax.cumprod(v, 1)),
        (lambda v: lax.reduce_prod(v, (1,)), lambda v: jlax.reduce_prod(v, (1,))),
        (lambda v: lax.sort(v, 0), lambda v: jlax.sort(v, 0)),
        (lambda v: lax.top_k(v, 2)[0], lambda v: jlax.top_k(v, 2)[0]),
        (lambda v: lax.getitem(v, (np.array([2, 0]), slice(None, None, -2))),
         lambda v: v[jnp.array([2, 0]), ::-2]),
        (lambda v: lax.index_update(v, (slice(None), np.array([4, 1])), v[:, :2] * 2, 'max'),
         lambda v: v.at[:, jnp.array([4, 1])].max(v[:, :2] * 2)),
        (lambda v: lax.dynamic_slice(v, (np.int32(2), np.int32(-2)), (2, 3)),
         lambda v: jlax.dynamic_slice(v, (2, -2), (2, 3))),
        (lambda v: lax.reduce_max(v * v, (0,)), lambda v: jlax.reduce_max(v * v, (0,))),
    ]
    jx = jnp.asarray(x)
    for ours, theirs in pairs:
        np.testing.assert_allclose(value(ours(Array(x))), np.asarray(theirs(jx)), rtol=1e-6)
        u = rng.standard_normal(np.shape(theirs(jx))).astype(np.float32)
        g_ours = pullback.vjp(ours, Array(x))[1](Array(u))[0]
        g_theirs = jax.vjp(theirs, jx)[1](u)[0]
        np.testing.assert_allclose(value(g_ours), np.asarray(g_theirs), rtol=1e-5, atol=1e-6)


def test_docstring_examples():
    import doctest
    import pullback.numpy as jnp
    from pullback.lax import shapes, reductions, indexing, sorting
    for module in (shapes, reductions, indexing, sorting):
        globs = dict(vars(module), jnp=jnp)
        result = doctest.testmod(module, globs=globs, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, f"{module.__name__}: {result.failed} examples fail"
