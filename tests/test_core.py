"""The core: dtypes and promotion, Array printing, tracing, jaxpr printing, leaks."""
import numpy as np
import pytest

import pullback as jax
import pullback.numpy as jnp
from pullback import dtypes

# The promotion table with x64 off, from shared/reference/jax-numerics.md §2.3 (JAX 0.10.2).
_NAMES = ['b1', 'u1', 'u2', 'u4', 'i1', 'i2', 'i4', 'f2', 'f4', 'c4', 'i*', 'f*', 'c*']
_TABLE = """
b1 b1 u1 u2 u4 i1 i2 i4 f2 f4 c4 i* f* c*
u1 u1 u1 u2 u4 i2 i2 i4 f2 f4 c4 u1 f* c*
u2 u2 u2 u2 u4 i4 i4 i4 f2 f4 c4 u2 f* c*
u4 u4 u4 u4 u4 i4 i4 i4 f2 f4 c4 u4 f* c*
i1 i1 i2 i4 i4 i1 i2 i4 f2 f4 c4 i1 f* c*
i2 i2 i2 i4 i4 i2 i2 i4 f2 f4 c4 i2 f* c*
i4 i4 i4 i4 i4 i4 i4 i4 f2 f4 c4 i4 f* c*
f2 f2 f2 f2 f2 f2 f2 f2 f2 f4 c4 f2 f2 c4
f4 f4 f4 f4 f4 f4 f4 f4 f4 f4 c4 f4 f4 c4
c4 c4 c4 c4 c4 c4 c4 c4 c4 c4 c4 c4 c4 c4
i* i* u1 u2 u4 i1 i2 i4 f2 f4 c4 i* f* c*
f* f* f* f* f* f* f* f* f2 f4 c4 f* f* c*
c* c* c* c* c* c* c* c* c4 c4 c4 c* c* c*
"""
_DT = {'b1': np.bool_, 'u1': np.uint8, 'u2': np.uint16, 'u4': np.uint32, 'i1': np.int8,
       'i2': np.int16, 'i4': np.int32, 'f2': np.float16, 'f4': np.float32,
       'c4': np.complex64}
_WEAK = {'i*': 1, 'f*': 1.0, 'c*': 1j}


def _value(name):
    return _WEAK[name] if name in _WEAK else np.ones((), _DT[name])


def _expect(name):
    if name in _WEAK:
        return np.dtype({'i*': np.int32, 'f*': np.float32, 'c*': np.complex64}[name]), True
    return np.dtype(_DT[name]), False


@pytest.mark.parametrize('row', [r.split() for r in _TABLE.strip().splitlines()],
                         ids=lambda r: r[0])
def test_promotion_table_matches_jax(row):
    a = row[0]
    for b, want in zip(_NAMES, row[1:]):
        got = dtypes.result_type(_value(a), _value(b), return_weak_type_flag=True)
        assert got == _expect(want), (a, b, got, want)


def test_promote_types_does_not_canonicalize():
    assert jnp.promote_types(np.float64, np.int8) == np.float64
    assert jnp.promote_types('int32', 'uint32') == np.int32


def test_x64_changes_defaults():
    jax.config.update('jax_enable_x64', True)
    try:
        assert jnp.array(1.0).dtype == np.float64
        assert dtypes.result_type(np.uint32, np.int32) == np.int64
    finally:
        jax.config.update('jax_enable_x64', False)
    assert jnp.array(1.0).dtype == np.float32


def test_unknown_config_option():
    with pytest.raises(AttributeError, match='unknown option'):
        jax.config.update('jax_no_such_thing', 1)


@pytest.mark.parametrize('value, text', [
    (jnp.array([[2., 0.], [0., 2.]]), 'Array([[2., 0.],\n       [0., 2.]], dtype=float32)'),
    (jnp.log(1. + jnp.exp(3.)), 'Array(3.0485873, dtype=float32, weak_type=True)'),
    (jnp.array([-1.2, 1.2, -1.2]), 'Array([-1.2,  1.2, -1.2], dtype=float32)'),
    (jnp.array(2.5, dtype=np.float32), 'Array(2.5, dtype=float32)'),
])
def test_repr_matches_jax(value, text):
    assert repr(value) == text


def test_str_and_format():
    x = jnp.exp(3.)
    assert str(x) == '20.085537'
    assert f"{x}" == '20.08553695678711'
    assert str(jnp.array([0.5, 0.7310586, 0.8807971])) == '[0.5       0.7310586 0.8807971]'


def test_weak_types_follow_jax():
    assert jnp.array(3.0).weak_type
    assert not jnp.array([1., 2.]).weak_type
    x = jnp.array([1., 2.])
    assert not (x + 1.0).weak_type
    i = jnp.array([1, 2])
    assert (i + 1.0).dtype == np.float32 and (i + 1.0).weak_type
    assert (jnp.exp(3.) > 1).dtype == np.bool_


def test_array_is_immutable_and_numpy_compatible():
    x = jnp.array([1., 2.])
    with pytest.raises(TypeError, match='immutable'):
        x[0] = 3.
    assert np.asarray(x).tolist() == [1.0, 2.0]
    assert (np.array([1., 1.]) + x).tolist() == [2.0, 3.0]


def test_make_jaxpr_matches_seed_format():
    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))
    text = str(jax.make_jaxpr(jax.grad(log1pexp))(100.))
    assert text == ("{ lambda ; a:f32[]. let\n"
                    "    b:f32[] = exp a\n"
                    "    c:f32[] = add 1.0 b\n"
                    "    _:f32[] = log c\n"
                    "    d:f32[] = div 1.0 c\n"
                    "    e:f32[] = mul d b\n"
                    "  in (e,) }")


def test_make_jaxpr_one_line_and_consts():
    c = np.arange(3.0, dtype=np.float32)
    assert str(jax.make_jaxpr(lambda x: x + c)(jnp.ones(3))) == \
        "{ lambda a:f32[3]; b:f32[3]. let c:f32[3] = add b a in (c,) }"
    assert str(jax.make_jaxpr(lambda x: x)(1.)) == "{ lambda ; a:f32[]. let  in (a,) }"


def test_concretization_error_under_make_jaxpr():
    def f(x):
        if x > 0:
            return x
        return -x
    with pytest.raises(jax.TracerBoolConversionError, match='boolean conversion'):
        jax.make_jaxpr(f)(1.)
    with pytest.raises(jax.ConcretizationTypeError):
        jax.make_jaxpr(lambda x: float(x))(1.)


def test_leaked_tracer_raises():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * 2
    jax.make_jaxpr(f)(1.)
    with pytest.raises(jax.UnexpectedTracerError, match='leaked'):
        jnp.sin(leaked[0])


def test_eval_shape():
    out = jax.eval_shape(lambda x, y: jnp.dot(x, y), jnp.ones((2, 3)), jnp.ones(3))
    assert out.shape == (2,) and out.dtype == np.float32


def test_bad_input_errors_are_typed_and_clear():
    with pytest.raises(TypeError, match='dot_general: incompatible shapes f32\\[2,3\\]'):
        jnp.dot(jnp.ones((2, 3)), jnp.ones((4,)))
    with pytest.raises(TypeError, match='not broadcast-compatible'):
        jnp.add(jnp.ones(2), jnp.ones(3))
