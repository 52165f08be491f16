"""Cases for the elementwise primitives (format: see ``tests/_primitive_harness.py``).

Inputs stay inside each function's domain and away from its kinks, branch cuts and ties,
so that central differences are meaningful; shapes exercise NumPy broadcasting.
"""
import numpy as np

from pullback import dtypes

MAT, ROW, COL, SCALAR = (2, 3), (3,), (2, 1), ()


# --- Input generators: rng -> np.ndarray, with a shape that ``at`` changes ------------------

class Gen:
    def __init__(self, draw, shape=MAT):
        self.draw = draw
        self.shape = shape

    def __call__(self, rng):
        return np.asarray(self.draw(rng, self.shape))

    def at(self, shape):
        return Gen(self.draw, shape)


def real(lo=-2.0, hi=2.0, shape=MAT):
    return Gen(lambda rng, s: rng.uniform(lo, hi, s), shape)


def away(lo, hi, shape=MAT):
    """Magnitudes in [lo, hi] with random signs (stays away from 0)."""
    return Gen(lambda rng, s: rng.uniform(lo, hi, s) * rng.choice([-1.0, 1.0], s), shape)


def cplx(re=(-1.0, 1.0), im=(-1.0, 1.0), shape=MAT):
    return Gen(lambda rng, s: rng.uniform(*re, s) + 1j * rng.uniform(*im, s), shape)


def ints(lo=-20, hi=20, shape=MAT, dtype=np.int32):
    return Gen(lambda rng, s: rng.integers(lo, hi, s, dtype=np.int64).astype(dtype), shape)


def nonzero_ints(hi=9, shape=MAT):
    return Gen(lambda rng, s: (rng.integers(1, hi, s) * rng.choice([-1, 1], s)).astype(
        np.int32), shape)


def bools(shape=MAT):
    return Gen(lambda rng, s: rng.random(s) < 0.5, shape)


def fixed(values, dtype=np.float64):
    return Gen(lambda rng, s: np.asarray(values, dtype))


def case(*gens, params=None, **opts):
    """A case from one generator per operand; ``params`` may be a function, called each
    time (for dtypes that depend on x64 mode)."""
    def make(rng):
        p = params() if callable(params) else dict(params or {})
        return [g(rng) for g in gens], p, opts
    return make


# --- Families of cases ----------------------------------------------------------------------

def unary_cases(gen, complex_gen=None):
    """An array, a scalar, a weakly typed scalar (stays weak), and a complex array."""
    cases = [case(gen), case(gen.at(SCALAR)), case(gen.at(SCALAR), weak_args=[0])]
    if complex_gen is not None:
        cases.append(case(complex_gen))
    return cases


def binary_cases(x=real(), y=real(), int_gens=None, complex_gens=None):
    """Same shapes, broadcast shapes, a weak scalar operand, and other dtypes."""
    cases = [case(x, y), case(x, y.at(ROW)), case(x.at(COL), y.at(ROW)),
             case(x, y.at(SCALAR), weak_args=[1]),
             case(x.at(SCALAR), y.at(SCALAR), weak_args=[0, 1])]
    if int_gens:
        cases.append(case(*int_gens))
    if complex_gens:
        cases.append(case(*complex_gens))
    return cases


def _canonical(dtype):
    return lambda: {'new_dtype': dtypes.canonicalize_dtype(dtype), 'weak_type': False}


CASES = {
    # arithmetic
    'add': binary_cases(int_gens=[ints(), ints()], complex_gens=[cplx(), cplx()]),
    'sub': binary_cases(int_gens=[ints(), ints()], complex_gens=[cplx(), cplx()]),
    'mul': binary_cases(int_gens=[ints(), ints()], complex_gens=[cplx(), cplx()]),
    'add_any': [case(real(), real()), case(cplx(), cplx()), case(ints(), ints())],
    'div': binary_cases(y=away(0.5, 2.0), int_gens=[ints(), nonzero_ints()],
                        complex_gens=[cplx(), cplx(re=(0.5, 1.0))]),
    'rem': binary_cases(x=real(-5.0, 5.0), y=away(0.7, 2.0),
                        int_gens=[ints(), nonzero_ints()]),
    'neg': unary_cases(real(), cplx()) + [case(ints())],
    # powers
    'integer_pow': [case(real(), params={'y': y}) for y in (0, 1, 2, 3, 5)]
    + [case(away(0.5, 2.0), params={'y': -2}), case(ints(-5, 5), params={'y': 3}),
       case(cplx(), params={'y': 3}), case(fixed(1.5), params={'y': 2}, weak_args=[0])],
    'pow': [case(real(0.5, 2.0), real(-2.0, 2.0)), case(real(0.5, 2.0), fixed(2.5)),
            case(real(0.5, 2.0, ROW), real(-2.0, 2.0, COL)),
            case(cplx(re=(0.5, 1.0)), cplx())],
    'square': unary_cases(real(), cplx()) + [case(ints())],
    'sqrt': unary_cases(real(0.2, 3.0), cplx(re=(0.5, 2.0))),
    'rsqrt': unary_cases(real(0.2, 3.0), cplx(re=(0.5, 2.0))),
    'cbrt': unary_cases(away(0.2, 3.0)),
    # exponentials and logarithms
    'exp': unary_cases(real(), cplx()),
    'exp2': unary_cases(real(), cplx()),
    'expm1': unary_cases(real(), cplx()),
    'log': unary_cases(real(0.2, 3.0), cplx(re=(0.5, 2.0))),
    'log1p': unary_cases(real(-0.5, 2.0), cplx(re=(0.0, 1.0))),
    'logistic': unary_cases(real(-4.0, 4.0), cplx()),
    # trigonometric and hyperbolic
    'sin': unary_cases(real(-3.0, 3.0), cplx()),
    'cos': unary_cases(real(-3.0, 3.0), cplx()),
    'tan': unary_cases(real(-1.2, 1.2), cplx(re=(-0.5, 0.5))),
    'asin': unary_cases(real(-0.9, 0.9), cplx(re=(-0.5, 0.5), im=(-0.5, 0.5))),
    'acos': unary_cases(real(-0.9, 0.9), cplx(re=(-0.5, 0.5), im=(-0.5, 0.5))),
    'atan': unary_cases(real(-3.0, 3.0), cplx(re=(-0.5, 0.5), im=(-0.5, 0.5))),
    'sinh': unary_cases(real(), cplx()),
    'cosh': unary_cases(real(), cplx()),
    'tanh': unary_cases(real(), cplx(re=(-1.0, 1.0), im=(-0.5, 0.5))),
    'asinh': unary_cases(real(-3.0, 3.0), cplx(re=(-0.5, 0.5), im=(-0.5, 0.5))),
    'acosh': unary_cases(real(1.2, 3.0), cplx(re=(1.5, 3.0), im=(0.1, 1.0))),
    'atanh': unary_cases(real(-0.9, 0.9), cplx(re=(-0.5, 0.5), im=(-0.5, 0.5))),
    'atan2': binary_cases(x=away(0.2, 2.0), y=away(0.2, 2.0)),
    # special functions
    'erf': unary_cases(real()),
    'erfc': unary_cases(real()),
    'erf_inv': unary_cases(real(-0.9, 0.9)),
    'lgamma': unary_cases(real(0.2, 4.0)) + [case(fixed([-2.5, -0.5, 1.5, 7.0]))],
    'digamma': unary_cases(real(0.5, 4.0)) + [case(fixed([-2.5, -0.5, 1.5, 7.0]))],
    'polygamma': [case(Gen(lambda rng, s: rng.integers(0, 4, s) * 1.0), real(0.5, 4.0),
                       linear_args=[1]),
                  case(fixed(1.0), real(0.5, 4.0, ROW), linear_args=[1])],
    # piecewise constant
    # (complex sign is z / |z|, yet its JVP is zero as in JAX: a convention, not a derivative)
    'sign': unary_cases(away(0.1, 2.0)) + [case(cplx(), no_grad=True), case(ints())],
    'floor': unary_cases(real(-5.0, 5.0)),
    'ceil': unary_cases(real(-5.0, 5.0)),
    'round': [case(real(-5.0, 5.0), params={'rounding_method': m}) for m in (0, 1)]
    + [case(fixed([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999997]), params={'rounding_method': m},
            no_grad=True) for m in (0, 1)],  # ties: values only
    'is_finite': unary_cases(real()) + [case(fixed([1.0, np.inf, -np.inf, np.nan, 0.0]))],
    'abs': unary_cases(away(0.1, 2.0), cplx()) + [case(ints())],
    # complex parts
    'real': [case(cplx()), case(cplx(shape=SCALAR), weak_args=[0])],
    'imag': [case(cplx()), case(cplx(shape=SCALAR), weak_args=[0])],
    'conj': [case(cplx()), case(real())],
    'complex': binary_cases(),
    # comparisons and selection
    **{name: binary_cases(int_gens=[ints(-3, 3), ints(-3, 3)])
       for name in ('lt', 'le', 'gt', 'ge')},
    **{name: binary_cases(int_gens=[ints(-3, 3), ints(-3, 3)],
                          complex_gens=[cplx(), cplx()]) + [case(bools(), bools())]
       for name in ('eq', 'ne')},
    'max': binary_cases(int_gens=[ints(), ints()]),
    'min': binary_cases(int_gens=[ints(), ints()]),
    'clamp': [case(real(-1.0, -0.5), real(), real(0.5, 1.0)),
              case(fixed(-0.5), real(), fixed(0.5)),
              case(real(-1.0, -0.5, ROW), real(), real(0.5, 1.0, COL)),
              case(ints(-9, -3), ints(), ints(3, 9))],
    'nextafter': binary_cases(),
    'select_n': [case(bools(), real(), real(), linear_args=[1, 2]),
                 case(bools(ROW), real(), real(shape=ROW), linear_args=[1, 2]),
                 case(ints(0, 3), real(), real(), real(), linear_args=[1, 2, 3]),
                 case(ints(0, 2), real(), real(), linear_args=[1, 2]),
                 case(bools(), ints(), ints())],
    # logical and bitwise
    'not': [case(bools()), case(ints()), case(ints(0, 255, dtype=np.uint8))],
    **{name: [case(bools(), bools()), case(ints(), ints()),
              case(ints(0, 255, ROW, np.uint8), ints(0, 255, MAT, np.uint8))]
       for name in ('and', 'or', 'xor')},
    'population_count': [case(ints(-2**31, 2**31 - 1)), case(ints(0, 255, dtype=np.uint8))],
    'clz': [case(ints(-2**31, 2**31 - 1)),
            case(fixed([0, 1, 7, -1], np.int32)), case(ints(0, 255, dtype=np.uint8))],
    **{name: [case(ints(-100, 100), ints(-2, 40)),
              case(ints(0, 1000, dtype=np.uint32), ints(0, 40, dtype=np.uint32)),
              case(ints(-100, 100), ints(0, 5, SCALAR), weak_args=[1])]
       for name in ('shift_left', 'shift_right_logical', 'shift_right_arithmetic')},
    # conversions
    # (dtypes chosen per mode: float64 -> complex128 with x64 on, float32 -> complex64 off)
    'convert_element_type': [
        case(real(-5.0, 5.0), params=_canonical(np.float64)),
        case(real(-5.0, 5.0), params=_canonical(np.int32)),
        case(real(-5.0, 5.0), params=_canonical(np.complex128)),
        case(cplx(), params=_canonical(np.float64)),
        case(ints(), params=_canonical(np.float64)),
        case(real(-5.0, 5.0), params=_canonical(np.bool_)),
        case(real(shape=SCALAR), weak_args=[0],
             params=lambda: {**_canonical(np.float64)(), 'weak_type': True}),
        # a narrowing conversion in both modes: float32 rounding, so a coarser check
        case(real(-5.0, 5.0), params=_canonical(np.float32), fd_eps=1e-2, rtol=1e-4),
    ],
    'stop_gradient': [case(real(), no_grad=True), case(ints()),
                      case(real(shape=SCALAR), weak_args=[0], no_grad=True)],
}
