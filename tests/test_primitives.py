"""Registry-driven primitive checks: every primitive in ``pullback._core.core.registry`` is
checked on the cases of every ``tests/cases_<family>.py`` module (abstract eval vs eager,
JVP vs finite differences, VJP vs JVP, vmap vs a loop, jit vs eager), and every primitive
must have a case unless it is listed in ``EXEMPT`` with the reason."""
import importlib.util
import pathlib
import zlib

import numpy as np
import pytest

import pullback
import pullback.numpy  # noqa: F401  (registers everything the public API declares)
from pullback import lax
from pullback._core.core import registry

import _primitive_harness as harness

HERE = pathlib.Path(__file__).parent

# Higher-order primitives: they hold jaxprs or functions as params, so they are tested in
# their own modules, with programs rather than arrays as cases.
EXEMPT = {
    'jit': 'a call primitive holding a jaxpr; tested in test_jit.py',
    'cond': 'control flow over jaxprs; tested in test_control_flow.py',
    'while': 'control flow over jaxprs; tested in test_control_flow.py',
    'scan': 'control flow over jaxprs; tested in test_control_flow.py',
    'custom_linear_solve': 'holds solver jaxprs; tested in test_control_flow.py',
    'custom_root': 'holds solver jaxprs; tested in test_control_flow.py',
    'custom_jvp_call': 'holds user functions and rules; tested in test_custom_derivatives.py',
    'custom_vjp_call': 'holds user functions and rules; tested in test_custom_derivatives.py',
    **{c: 'a collective over a named vmap axis (meaningless outside one); tested in '
          'test_vmap.py' for c in ('psum', 'pmax', 'pmin', 'all_gather', 'axis_index')},
    'name': 'checkpoint_name: an identity carrying a name for remat policies; tested in '
            'test_checkpoint.py',
    'custom_jvp_linear': 'the linear part of a custom_jvp rule, holding a jaxpr; tested in '
                         'test_custom_derivatives.py',
    'custom_lin': 'a custom_vjp tangent that only transposes (calls bwd); tested in '
                  'test_custom_derivatives.py',
    'checkpoint': 'rematerialisation of a jaxpr; tested in test_checkpoint.py',
}


def _import_lazy_modules():
    """Modules that declare primitives when first used (jit, custom derivatives, ...)."""
    for name in ('jit', 'custom_jvp', 'checkpoint'):
        try:
            getattr(pullback, name)
        except Exception:  # still being written: their primitives are not registered yet
            pass


def _load_case_modules():
    modules, errors = {}, {}
    for path in sorted(HERE.glob('cases_*.py')):
        spec = importlib.util.spec_from_file_location(f"_cases_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
            modules[path.stem] = module.CASES
        except Exception as e:  # another family's cases in progress: reported by a test
            errors[path.stem] = f"{type(e).__name__}: {e}"
    return modules, errors


_import_lazy_modules()
CASE_MODULES, CASE_MODULE_ERRORS = _load_case_modules()
ALL_CASES = [(name, i, case, module)
             for module, cases in CASE_MODULES.items()
             for name, cs in cases.items() for i, case in enumerate(cs)]
PARAMS = [pytest.param(name, case, id=f"{name}-{i}") for name, i, case, _ in ALL_CASES]


def _prim(name):
    prim = registry.get(name)
    if prim is None:
        pytest.fail(f"a case names the primitive {name!r}, which is not in the registry")
    return prim


def _rng(name, case):
    # one stream per (primitive, case), stable across runs and test orders
    index = next(i for n, i, c, _ in ALL_CASES if n == name and c is case)
    return np.random.default_rng(zlib.crc32(f"{name}/{index}".encode()))


@pytest.mark.parametrize('name,case', PARAMS)
def test_abstract_eval_matches_eager(name, case):
    harness.check_abstract_eval(_prim(name), case, _rng(name, case))


@pytest.mark.parametrize('name,case', PARAMS)
def test_jvp_matches_finite_differences(name, case):
    harness.check_jvp(_prim(name), case, _rng(name, case))


@pytest.mark.parametrize('name,case', PARAMS)
def test_vjp_is_transpose_of_jvp(name, case):
    harness.check_vjp(_prim(name), case, _rng(name, case))


@pytest.mark.parametrize('name,case', PARAMS)
def test_vmap_matches_loop(name, case):
    harness.check_vmap(_prim(name), case, _rng(name, case))


@pytest.mark.parametrize('name,case', PARAMS)
def test_jit_matches_eager(name, case):
    harness.check_jit(_prim(name), case, _rng(name, case))


# --- The registry is covered ----------------------------------------------------------------

def test_every_primitive_has_a_case():
    covered = {name for name, _, _, _ in ALL_CASES}
    missing = sorted(set(registry) - covered - set(EXEMPT))
    assert not missing, (f"primitives without a case in tests/cases_*.py (add cases, or an "
                         f"EXEMPT entry with the reason): {missing}")


def test_exempt_primitives_have_no_cases():
    covered = {name for name, _, _, _ in ALL_CASES}
    both = sorted(covered & set(EXEMPT))
    assert not both, f"primitives both exempt and covered (drop the EXEMPT entry): {both}"


def test_every_primitive_has_all_rules():
    """impl, abstract eval, JVP and batching are required; codegen may be None (jit then
    calls impl).  Transpose rules are checked through the VJP test."""
    lacking = {}
    for name, prim in sorted(registry.items()):
        if name in EXEMPT:
            continue
        gaps = [rule for rule in ('impl', 'abstract_eval', 'jvp', 'batch')
                if getattr(prim, rule) is None]
        if gaps:
            lacking[name] = gaps
    assert not lacking, f"primitives lacking rules: {lacking}"


@pytest.mark.parametrize('module', sorted(CASE_MODULE_ERRORS) or [None])
def test_case_modules_import(module):
    if module is None:
        return
    pytest.fail(f"tests/{module}.py does not import: {CASE_MODULE_ERRORS[module]}")


# --- Elementwise values that the generic checks cannot pin down --------------------------
# (ties, zeros, tie-breaking and integer edge cases; expected values are JAX 0.10.2's)

def _value(x):
    return np.asarray(x._value)


def test_max_min_split_the_derivative_on_ties():
    g = pullback.grad(lax.max, argnums=(0, 1))(1.0, 1.0)
    assert [float(v) for v in g] == [0.5, 0.5]
    assert float(pullback.grad(lambda x: lax.clamp(0.0, x, 1.0))(0.5)) == 1.0
    assert float(pullback.grad(lambda x: lax.clamp(0.0, x, 1.0))(1.0)) == 0.0


def test_abs_derivative_at_zero():
    assert float(pullback.grad(lax.abs)(0.0)) == 1.0
    _, t = pullback.jvp(lax.abs, (np.complex64(0),), (np.complex64(1 + 1j),))
    assert float(t) == 0.0


def test_round_methods():
    x = np.float32([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999997])
    np.testing.assert_array_equal(_value(lax.round(x)), [1, 2, 3, -1, -3, 0])
    np.testing.assert_array_equal(_value(lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN)),
                                  [0, 2, 2, -0., -2, 0])


def test_integer_division_and_remainder_follow_xla():
    x = np.int32([-7, 7, 7, -2**31])
    y = np.int32([2, -2, 0, -1])
    np.testing.assert_array_equal(_value(lax.div(x, y)), [-3, -3, -1, -2**31])
    np.testing.assert_array_equal(_value(lax.rem(x, y)), [-1, 1, 7, 0])


def test_shifts_out_of_range():
    np.testing.assert_array_equal(
        _value(lax.shift_left(np.int32([1, 1, -1]), np.int32([31, 32, -1]))), [-2**31, 0, 0])
    np.testing.assert_array_equal(
        _value(lax.shift_right_arithmetic(np.int32([-8, -8, 8]), np.int32([1, 40, 40]))),
        [-4, -1, 0])
    np.testing.assert_array_equal(
        _value(lax.shift_right_logical(np.int32([-8, -8, 8]), np.int32([1, 40, -1]))),
        [2**31 - 4, 0, 0])
    np.testing.assert_array_equal(
        _value(lax.shift_right_arithmetic(np.uint32([2**31, 2**31]), np.uint32([1, 40]))),
        [3 * 2**30, 2**32 - 1])


def test_bit_counts():
    np.testing.assert_array_equal(_value(lax.population_count(np.int32([-1, 7, 0]))),
                                  [32, 3, 0])
    np.testing.assert_array_equal(_value(lax.clz(np.int32([-1, 7, 0, 1]))), [0, 29, 32, 31])


def test_float_to_int_conversion_saturates():
    x = np.float32([3e9, -3e9, np.nan, 2.7, -2.7])
    np.testing.assert_array_equal(_value(lax.convert_element_type(x, np.int32)),
                                  [2**31 - 1, -2**31, 0, 2, -2])
    np.testing.assert_array_equal(
        _value(lax.convert_element_type(np.float32([0.5, -0.2, 0.0]), bool)),
        [True, True, False])


def test_weak_types_of_elementwise_results():
    assert (pullback.numpy.exp(3.0) > 1).weak_type  # comparisons of weak values: weak bool
    assert lax.is_finite(pullback.numpy.exp(3.0)).weak_type
    assert lax.population_count(7).weak_type
    assert not lax.clamp(0.0, np.float32(3.0), 1.0).weak_type
    assert lax.clamp(0.0, pullback.numpy.asarray(3.0), 1.0).weak_type


def test_python_scalars_take_the_array_dtype():
    assert lax.add(2.0, 3.0).dtype == np.float32
    assert lax.sin(2.0).dtype == np.float32
    assert lax.mul(np.float32([1.0]), 2).dtype == np.float32
    with pytest.raises(TypeError, match='add requires arguments to have the same dtypes'):
        lax.add(np.int32(1), 2.5)
    with pytest.raises(TypeError, match='sin does not accept dtype int32'):
        lax.sin(2)
    with pytest.raises(TypeError, match='integer_pow'):
        lax.integer_pow(np.int32(3), -1)


def test_erf_inv_float32_is_xla_exact():
    # the float32 kernel random.normal relies on (values from JAX 0.10.2)
    assert float(lax.erf_inv(0.5)) == float(np.float32(0.47693628))


def test_against_jax_oracle():
    jax = pytest.importorskip('jax')
    jlax = jax.lax
    x = np.linspace(-0.9, 0.9, 7, dtype=np.float32)
    pos = np.linspace(1.2, 3.0, 7, dtype=np.float32)
    for ours, theirs, arg in [(lax.erf_inv, jlax.erf_inv, x), (lax.atanh, jlax.atanh, x),
                              (lax.acosh, jlax.acosh, pos), (lax.cbrt, jlax.cbrt, pos),
                              (lax.exp2, jlax.exp2, x), (lax.digamma, jlax.digamma, pos)]:
        np.testing.assert_allclose(_value(ours(arg)), np.asarray(theirs(arg)), rtol=1e-5)
        g = pullback.vmap(pullback.grad(ours))(arg)
        want = jax.vmap(jax.grad(theirs))(arg)
        np.testing.assert_allclose(_value(g), np.asarray(want), rtol=1e-5)
