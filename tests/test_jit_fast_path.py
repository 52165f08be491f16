"""jit's positional fast path: its flat cache key (shape, dtype, weak type per Array, the
type of each Python scalar) tells apart every signature the full key does."""
import functools

import numpy as np

import pullback.numpy as jnp
from pullback import jit


def counting(f):
    @functools.wraps(f)
    def wrapped(*args):
        wrapped.count += 1
        return f(*args)
    wrapped.count = 0
    return wrapped


def test_positions_arity_and_kinds_each_retrace_once():
    f = counting(lambda *xs: sum(jnp.sum(x) for x in xs))
    jf = jit(f)
    x = jnp.arange(3.)
    m = jnp.ones((3, 1))
    calls = [(x, 1.), (1., x), (x,), (x, x), (x, 1), (x, True), (x, 1j), (m, 1.), (1., m),
             (x, m), (m, x), (jnp.arange(3), 1.), (jnp.asarray(2.), 1.), (2., 1.)]
    for args in calls * 2:  # the second round hits the cache every time
        expected = f.__wrapped__(*args)
        out = jf(*args)
        assert out.dtype == expected.dtype and out.weak_type == expected.weak_type
        np.testing.assert_allclose(np.asarray(out), np.asarray(expected), rtol=1e-6)
    # a weak 0-d Array and a Python float have one aval: different fast keys, one trace
    assert f.count == len(calls) - 1


def test_weak_and_strong_arrays_of_one_shape_are_different_keys():
    f = counting(lambda x: x * 2)
    jf = jit(f)
    weak, strong = jnp.asarray(1.), jnp.asarray(np.float32(1.))
    assert weak.weak_type and not strong.weak_type
    assert not jf(strong).weak_type
    assert jf(weak).weak_type
    assert not jf(strong).weak_type
    assert f.count == 2
