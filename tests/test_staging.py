"""Staged un-jitted transformations (_transforms/staging.py): the same results as
interpreting every primitive, Python control flow and side effects as in eager mode, and
caches keyed by structure, never by data."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pullback as jax
import pullback.numpy as jnp
from pullback import config, lax
from pullback._transforms import staging


@pytest.fixture
def unstaged():
    """Run a block with staging off (the reference: every primitive interpreted)."""
    class Switch:
        def __enter__(self):
            config.update('pullback_staged_transforms', False)

        def __exit__(self, *exc):
            config.update('pullback_staged_transforms', True)
    return Switch()


def _mlp(params, x):
    w1, b1, w2 = params
    h = jnp.tanh(x @ w1 + b1)
    return jnp.sum(jnp.sin(h @ w2) ** 2) / x.shape[0]


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return (jnp.asarray(rng.standard_normal((3, 4)), jnp.float32),
            jnp.asarray(rng.standard_normal((4,)), jnp.float32),
            jnp.asarray(rng.standard_normal((4, 2)), jnp.float32))


def _x(seed=1, n=5):
    return jnp.asarray(np.random.default_rng(seed).standard_normal((n, 3)), jnp.float32)


def _close(a, b):
    for u, v in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        assert np.asarray(u).dtype == np.asarray(v).dtype
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=2e-6, atol=1e-6)


TRANSFORMS = {
    'grad': lambda p, x: jax.grad(_mlp)(p, x),
    'value_and_grad': lambda p, x: jax.value_and_grad(_mlp, argnums=(0, 1))(p, x),
    'vjp': lambda p, x: jax.vjp(_mlp, p, x)[1](jnp.float32(1.5)),
    'jvp': lambda p, x: jax.jvp(lambda x: _mlp(p, x), (x,), (jnp.ones_like(x),)),
    'linearize': lambda p, x: jax.linearize(lambda x: _mlp(p, x), x)[1](x),
    'vmap': lambda p, x: jax.vmap(_mlp, in_axes=(None, 0))(p, x[:, None, :]),
    'vmap(grad)': lambda p, x: jax.vmap(jax.grad(_mlp), in_axes=(None, 0))(
        p, x[:, None, :]),
    'vmap(vjp_fun)': lambda p, x: jax.vmap(jax.vjp(lambda x: jnp.tanh(x @ p[0]), x)[1])(
        jnp.stack([jnp.cos(x @ p[0]) * k for k in range(3)])),
    'jacrev': lambda p, x: jax.jacrev(_mlp, argnums=1)(p, x),
    'jacfwd': lambda p, x: jax.jacfwd(_mlp, argnums=1)(p, x),
    'hessian': lambda p, x: jax.hessian(_mlp, argnums=1)(p, x[:2]),
    'jvp(grad)': lambda p, x: jax.jvp(lambda x: jax.grad(_mlp, argnums=1)(p, x), (x,),
                                      (x,)),
    'grad(grad)': lambda p, x: jax.grad(lambda x: jnp.sum(jax.grad(_mlp, argnums=1)(p, x)),
                                        )(x),
}


@pytest.mark.parametrize('name', sorted(TRANSFORMS))
def test_staged_equals_interpreted_on_every_call(name, unstaged):
    fn = TRANSFORMS[name]
    with unstaged:
        expected = [fn(_params(s), _x(s + 1)) for s in range(4)]
    # the first call records, the second makes the structure canonical, later ones reuse
    # it: every one must give the interpreted answer for its own data
    staging.clear()
    for s in range(4):
        _close(fn(_params(s), _x(s + 1)), expected[s])
    assert staging._canonical, "the staged path was not taken"



def test_data_values_are_operands_not_part_of_the_key():
    f = lambda x, c: jnp.sum(jnp.sin(x) * c)  # noqa: E731
    g = jax.grad(f)
    x = jnp.arange(3.)
    for c in [jnp.float32(2.), jnp.float32(-1.), jnp.float32(0.5), jnp.array(3.)]:
        np.testing.assert_allclose(g(x, c), np.cos(np.arange(3.)) * float(c), rtol=1e-6)
    n = len(staging._canonical)
    for c in [jnp.float32(7.), jnp.float32(8.)]:
        g(x, c)
    assert len(staging._canonical) == n  # new data, same structure: nothing new


def test_python_control_flow_on_values_still_works():
    def f(x):
        if x < 3:  # concrete on demand, as without staging
            return 3. * x ** 2
        return -4 * x
    g = jax.grad(f)
    for x, expected in [(2., 12.), (4., -4.), (1., 6.), (5., -4.), (2.5, 15.)]:
        assert float(g(x)) == pytest.approx(expected)
    assert float(jax.grad(lambda x: x * float(x))(3.)) == pytest.approx(3.)


def test_structure_changes_with_python_scalars_and_branches():
    f = lambda x, k: jnp.sum(x * k)  # noqa: E731  (k: a Python number, part of the key)
    for k in [1., 2., 3., 2.]:
        np.testing.assert_allclose(jax.grad(f)(jnp.ones(2), k), [k, k])


def test_side_effects_run_on_every_call():
    calls = []

    def f(x):
        calls.append(1)
        return jnp.sum(x ** 3)
    g = jax.grad(f)
    for _ in range(5):
        g(jnp.ones(3))
    assert len(calls) == 5


def test_custom_rules_run_on_every_call(capsys):
    @jax.custom_jvp
    def f(x):
        print('f')
        return jnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        print('rule')
        x, = primals
        return f(x), jnp.cos(x) * tangents[0]
    for _ in range(3):
        assert float(jax.grad(f)(1.)) == pytest.approx(np.cos(1.), rel=1e-6)
    assert capsys.readouterr().out.split() == ['rule', 'f'] * 3


def test_vmap_staging_keeps_unmapped_values_concrete_and_mapped_ones_abstract():
    def f(w, x):
        if jnp.sum(w) > 0:  # w is not mapped: Python may read it
            return x * w
        return -x
    w = jnp.ones(3)
    xs = jnp.arange(6.).reshape(2, 3)
    for _ in range(3):
        np.testing.assert_allclose(jax.vmap(f, in_axes=(None, 0))(w, xs), xs)

    def bad(x):
        return x if x.sum() > 0 else -x
    with pytest.raises(jax.TracerBoolConversionError, match='batched by vmap'):
        jax.vmap(bad)(xs)


def test_make_jaxpr_of_a_staged_vjp_function_shows_its_operations():
    f = lambda x: jnp.sum(jnp.tanh(x) ** 2)  # noqa: E731
    x = jnp.ones(3)
    for _ in range(3):  # staged and canonical by now
        _, f_vjp = jax.vjp(f, x)
    text = str(jax.make_jaxpr(f_vjp)(jnp.float32(1.)))
    assert 'jit' not in text and 'mul' in text
    _close(jax.jit(f_vjp)(jnp.float32(1.)), f_vjp(jnp.float32(1.)))


def test_make_jaxpr_and_jit_never_see_staged_calls():
    f = lambda x: jnp.sum(jnp.sin(x))  # noqa: E731
    for _ in range(3):
        jax.grad(f)(jnp.ones(2))
    assert 'jit' not in str(jax.make_jaxpr(jax.grad(f))(jnp.ones(2)))


def test_unkeyable_parameters_fall_back_to_interpretation():
    f = lambda x: jnp.sum(x[1:3] ** 2)  # noqa: E731  (a slice: unhashable before 3.12)
    for _ in range(3):
        np.testing.assert_allclose(jax.grad(f)(jnp.arange(4.)), [0., 2., 4., 0.])


def test_while_loops_are_interpreted_where_reverse_mode_needs_the_trip_count():
    def f(x):
        return lax.while_loop(lambda c: c[1] < 3, lambda c: (c[0] * x, c[1] + 1),
                              (x, 0))[0]
    for _ in range(3):
        np.testing.assert_allclose(jax.vmap(jax.grad(f))(jnp.array([1., 2.])),
                                   [4., 32.], rtol=1e-6)


def test_staging_skipped_when_disabled(unstaged):
    f = lambda x: jnp.sum(jnp.exp(x))  # noqa: E731
    n = len(staging._canonical)
    with unstaged:
        for _ in range(3):
            jax.grad(f)(jnp.ones(4) * 0.25)
    assert len(staging._canonical) == n


def test_clear_caches_forgets_staged_structures():
    f = lambda x: jnp.sum(jnp.cos(x))  # noqa: E731
    for _ in range(3):
        jax.grad(f)(jnp.ones(2))
    assert staging._canonical
    jax.clear_caches()
    assert not staging._canonical and not staging._seen
    np.testing.assert_allclose(jax.grad(f)(jnp.ones(2)), -np.sin(np.ones(2)), rtol=1e-6)


@pytest.mark.slow
def test_transformation_suites_pass_when_every_structure_is_compiled_at_once():
    """Most tests call a transformation once or twice, so they mostly exercise the first
    sighting (evaluating the recorded jaxpr).  Rerun the transformation suites with every
    staged structure compiled on first sight, so the compiled path meets all of them."""
    import os
    import subprocess
    import sys
    env = dict(os.environ, PULLBACK_STAGE_FIRST_SIGHTING='1')
    suites = ['test_autodiff.py', 'test_vmap.py', 'test_seed.py', 'test_custom_derivatives.py',
              'test_control_flow.py', 'test_checkpoint.py', 'test_linalg.py',
              'test_examples.py', 'test_oracle_scenarios.py', 'test_staging.py']
    here = os.path.dirname(__file__)
    result = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-x', '-p', 'no:cacheprovider', '-m', 'not slow',
         *[os.path.join(here, s) for s in suites]],
        env=env, cwd=os.path.dirname(here), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_signed_zero_literals_are_different_structures():
    # 0.0 == -0.0 in Python, but x + 0.0 and x + -0.0 differ at x = -0.0
    x = jnp.array([-0.0, 1.0])
    for c in [0.0, -0.0, 0.0, -0.0, -0.0]:
        y, _ = jax.vjp(lambda x: x + c, x)
        expected = np.float32([-0.0, 1.0]) + np.float32(c)
        np.testing.assert_array_equal(np.signbit(np.asarray(y)), np.signbit(expected))


def test_functions_whose_structure_keeps_changing_are_interpreted():
    def h(x, c):  # c, a Python float, is a literal: a new structure on every call
        return jnp.sum(jnp.sin(x * c))
    x = jnp.arange(3.)
    g = jax.grad(h)
    for c in np.linspace(3.5, 4.5, 40).tolist():
        np.testing.assert_allclose(g(x, c), np.cos(np.arange(3.) * c) * c, rtol=1e-5)
    if not staging._COMPILE_FIRST_SIGHTING:  # (that mode compiles every structure)
        assert staging._facts_of(h, False).interpret  # staging it stopped paying

    def k(x):  # a few structures in rotation: each is compiled on its second sighting
        return jnp.sum(jnp.sin(x) ** 2)
    for n in [2, 3, 4] * 8:
        np.testing.assert_allclose(jax.grad(k)(jnp.ones(n)), np.sin(2.) * np.ones(n),
                                   rtol=1e-5)
    facts = staging._facts_of(k, False)
    assert facts is None or not facts.interpret

    n = len(staging._facts)
    for _ in range(5):  # what is learnt about a function goes with it
        jax.grad(lambda x: jnp.sum(x * 3.))(x)
    assert len(staging._facts) <= n + 1


def test_python_number_outputs_stay_python_numbers():
    x = jnp.arange(3.)
    for _ in range(3):  # as JAX: a constant Python output is returned as it is
        assert jax.jvp(lambda x: (x, 3.0), (x,), (x,))[0][1] == 3.0
        assert type(jax.vjp(lambda x: (x, 3.0), x)[0][1]) is float
        assert type(jax.vmap(lambda x: (x, 2.0), out_axes=(0, None))(x)[1]) is float


# --- Following the last structure (StagingTrace with an expected _Structure) -------------

def _run_in_turn(transform, f, states, state, xs, unstaged):
    """``transform(f)(x)`` for each (state, x) in turn, staged, against the same calls
    interpreted: ``f`` reads ``state`` to decide its structure."""
    expected = []
    with unstaged:
        for st, x in zip(states, xs):
            state.update(st)
            expected.append(transform(f)(x))
    staging.clear()
    for st, x, e in zip(states, xs, expected):
        state.update(st)
        _close(transform(f)(x), e)


_SEQUENCE = [0, 0, 0, 1, 0, 1, 1, 1, 0, 0]  # each structure recorded, made canonical, followed


_FOLLOW_TRANSFORMS = {
    'grad': (jax.grad, False),
    'jacrev': (jax.jacrev, False),
    'vmap(grad)': (lambda f: jax.vmap(jax.grad(f)), True),
}


@pytest.mark.parametrize('transform', sorted(_FOLLOW_TRANSFORMS))
@pytest.mark.parametrize('case', ['primitive', 'literal', 'signed_zero', 'int_literal',
                                  'constant_shape', 'constant_sharing', 'parameter',
                                  'extra_equation', 'output', 'concrete_branch'])
def test_following_leaves_the_expected_structure_wherever_it_differs(case, transform,
                                                                      unstaged):
    state = {}
    w, w2 = jnp.arange(1., 4.), jnp.arange(1., 4.)

    def f(x):
        k = state['k']
        if case == 'primitive':
            y = jnp.sin(x) if k == 0 else jnp.cos(x)
        elif case == 'literal':
            y = jnp.sin(x * (2.0 if k == 0 else 3.0))
        elif case == 'signed_zero':
            y = jnp.sin(x) + (0.0 if k == 0 else -0.0)
        elif case == 'int_literal':
            y = jnp.sin(x) * (2 if k == 0 else 2.5)
        elif case == 'constant_shape':  # the constant's shape decides the result's
            y = jnp.sum(jnp.sin(x)[:, None] * (w if k == 0 else w[:1]), axis=1)
        elif case == 'constant_sharing':  # one constant used twice, or two equal ones
            y = jnp.sin(x) * w + (w if k == 0 else w2)
        elif case == 'parameter':
            y = lax.cumsum(jnp.sin(x), reverse=k == 1)
        elif case == 'extra_equation':
            y = jnp.sin(x)
            if k == 1:
                y = jnp.cos(y)
        elif case == 'output':  # the same equations, another of them returned
            y0, y1 = jnp.sum(jnp.sin(x)), jnp.sum(jnp.cos(x))
            return y0 if k == 0 else y1
        else:  # concrete_branch: the branch follows the data's sign, not the state
            y = jnp.sin(x) if x[0] > 0 else jnp.cos(x)
        return jnp.sum(y ** 2)
    make, batched = _FOLLOW_TRANSFORMS[transform]
    states = [dict(k=i) for i in _SEQUENCE]
    xs = [jnp.arange(1., 4.) * (1. if i == 0 else -1.) * (1 + 0.1 * n)
          for n, i in enumerate(_SEQUENCE)]
    if batched:
        xs = [jnp.stack([x, x * 0.5]) for x in xs]
    if batched and case == 'concrete_branch':
        pytest.skip("vmap's per-example values are abstract: no branching on them")
    _run_in_turn(make, f, states, state, xs, unstaged)


def _scalar_fn(x):
    return jnp.sum(jnp.tanh(x * 0.5) * jnp.sin(x) + 1.)


_STEADY = {
    'grad': (lambda: jax.grad(_scalar_fn), jnp.arange(1., 4.)),
    'grad(grad)': (lambda: jax.grad(jax.grad(lambda x: jnp.tanh(x * 0.5) * jnp.sin(x))),
                   1.5),
    'vmap(grad)': (lambda: jax.vmap(jax.grad(_scalar_fn)), jnp.ones((2, 3))),
    'vmap(vmap)': (lambda: jax.vmap(jax.vmap(lambda x: jnp.tanh(x) * 2.)),
                   jnp.ones((2, 3, 2))),
    'jacrev': (lambda: jax.jacrev(lambda x: jnp.tanh(x) * x), jnp.arange(1., 4.)),
    'jvp': (lambda: (lambda x: jax.jvp(_scalar_fn, (x,), (x,))), jnp.arange(1., 4.)),
}


@pytest.mark.parametrize('name', sorted(_STEADY))
def test_a_followed_call_records_nothing(name, monkeypatch, unstaged):
    make, x = _STEADY[name]
    g = make()  # one transformed function, called again and again
    for _ in range(3):  # recorded, made canonical, followed
        g(x)
    x2 = x * 1.5
    with unstaged:
        expected = g(x2)
    recorded = []
    original = staging.StagingTrace.record_primitive

    def counting(self, prim, args, params):
        recorded.append(prim)
        return original(self, prim, args, params)
    monkeypatch.setattr(staging.StagingTrace, 'record_primitive', counting)
    _close(g(x2), expected)
    assert recorded == []


def test_a_structure_left_midway_shares_no_variables_with_the_one_it_followed():
    state = {'k': 0}

    def f(x):
        y = jnp.sin(x) * 2.
        return jnp.sum(jnp.cos(y) if state['k'] else y)
    g = jax.grad(f)
    staging.clear()
    for k in [0, 0, 1, 1]:  # the second k=1 call follows k=0's structure, then leaves it
        state['k'] = k
        g(jnp.ones(3))
    closed = list(staging._canonical.values())
    assert len(closed) == 2

    def variables(c):
        j = c.jaxpr
        return {id(v) for e in j.eqns for v in e.outvars} | {id(v) for v in j.invars}
    assert not variables(closed[0]) & variables(closed[1])


_W1, _W2 = jnp.arange(1., 4.), jnp.arange(1., 4.)  # equal values, different objects
_OPS = {
    'sin': jnp.sin,
    'cos': jnp.cos,
    'tanh': jnp.tanh,
    'times_two': lambda y: y * 2.,
    'plus_two': lambda y: y + 2.,
    'times_three': lambda y: y * 3.,
    'times_int_two': lambda y: y * 2,
    'plus_zero': lambda y: y + 0.,
    'plus_minus_zero': lambda y: y + -0.,
    'times_w1': lambda y: y * _W1,
    'times_w2': lambda y: y * _W2,
    'cumsum': jnp.cumsum,
    'reverse': lambda y: y[::-1],
}


@settings(max_examples=60, deadline=None)
@given(programs=st.lists(st.lists(st.sampled_from(sorted(_OPS)), min_size=1, max_size=3),
                         min_size=2, max_size=3),
       order=st.lists(st.integers(0, 2), min_size=5, max_size=12))
def test_any_sequence_of_structures_gives_the_interpreted_results(programs, order):
    """One function whose program (its structure) changes from call to call as ``order``
    says: every call, recorded, compiled or followed, matches the interpreted one."""
    state = {}

    def f(x):
        y = x
        for op in state['program']:
            y = _OPS[op](y)
        return jnp.sum(y * y)
    g = jax.grad(f)
    calls = [(programs[i % len(programs)], jnp.arange(1., 4.) * (0.5 + 0.1 * n))
             for n, i in enumerate(order)]
    config.update('pullback_staged_transforms', False)
    try:
        expected = []
        for program, x in calls:
            state['program'] = program
            expected.append(g(x))
    finally:
        config.update('pullback_staged_transforms', True)
    staging.clear()
    for (program, x), e in zip(calls, expected):
        state['program'] = program
        _close(g(x), e)
