"""Elementwise primitives: each declared once with impl, abstract eval, JVP, transpose
(where linear), batching and jit code generation.

Operands broadcast as in NumPy (a deliberate difference from JAX's lax, which requires
equal shapes): ``pullback.numpy`` needs no explicit broadcasts, eager code runs one NumPy
call per operation, and transposition sums cotangents back down (``unbroadcast``).

Dtypes: all strong operands must share one dtype.  A weak operand (a Python scalar, or a
value computed only from Python scalars) adopts that dtype if its kind fits (a weak int fits
any number type, a weak float fits floating and complex types, a weak complex only complex
types).  The primitive, not NumPy's promotion, decides every result dtype: the
implementations see operands of one dtype only (``_checked_impl``).
"""
import builtins
import enum
import math

import numpy as np
from .._lazy import LazyModule

from .. import dtypes
from .._array import Array
from .._core.core import Primitive, Zero, all_weak, first_weak, get_aval
from .._core.avals import ShapedArray
from .._core.rules import (defjvp, defjvp_zero, deflinear, is_undefined, not_mapped, _ops,
                           UndefinedPrimal)
from ._util import broadcast_shapes, check_dtype_kind, unbroadcast, ndim_of, shape_of
from . import _util
from . import _xla_math

FLOAT = 'f'
INEXACT = 'fc'
INT = 'iu'
REAL = 'iuf'
NUMERIC = 'iufc'
ANY = 'biufc'
INTLIKE = 'biu'
ORDERED = 'biuf'

_PY_WEAK = {int: 'i', float: 'f', complex: 'c'}  # Python scalars are weakly typed (bool is not)
_PY_SCALARS = (bool, int, float, complex)
_WEAK_FITS = {'b': 'b', 'i': 'iufc', 'u': 'iufc', 'f': 'fc', 'c': 'c'}
_KIND_RANK = {'b': 0, 'u': 1, 'i': 1, 'f': 2, 'c': 3}


# --- Dtype rules shared by the whole family ------------------------------------------------

def _mismatch(name, dtype_names):
    return TypeError(f"{name} requires arguments to have the same dtypes, got "
                     f"{', '.join(dtype_names)}. (pullback.numpy functions promote for you; "
                     f"lax functions do not.)")


def _out_dtype(name, avals):
    """The one dtype of an elementwise operation: the strong operands', which weak ones adopt."""
    dtype = None
    for a in avals:
        if not a.weak_type:
            dtype = a.dtype
            break
    else:  # all weak: the one of the widest kind, which the others fit into
        dtype = builtins.max((a.dtype for a in avals), key=lambda d: _KIND_RANK[d.kind])
    for a in avals:
        if a.dtype != dtype and not (a.weak_type and dtype.kind in _WEAK_FITS[a.dtype.kind]):
            raise _mismatch(name, [a.dtype.name for a in avals])
    return dtype


def _operands_of_one_dtype(name, kinds, args):
    """NumPy operands of one dtype for an implementation: Python scalars adopt the arrays'
    dtype; mixed array dtypes or an unaccepted kind raise a TypeError.  (Weak *arrays* of
    another dtype are an error here, as in JAX's lax; ``pullback.numpy`` always converts.)"""
    dtype = None
    for a in args:
        t = type(a)
        if t in _PY_WEAK:
            continue
        d = np.dtype(bool) if t is bool else a.dtype
        if dtype is None:
            dtype = d
        elif d != dtype:
            raise _mismatch(name, [_dtype_name(x) for x in args])
    if dtype is None:  # all Python scalars: the one of the widest kind
        dtype = dtypes.dtype_and_weak(
            builtins.max(args, key=lambda a: _KIND_RANK[_PY_WEAK[type(a)]]))[0]
    out = []
    for a in args:
        t = type(a)
        if t in _PY_WEAK or t is bool:
            if t is not bool and dtype.kind not in _WEAK_FITS[_PY_WEAK[t]]:
                raise _mismatch(name, [_dtype_name(x) for x in args])
            a = np.asarray(a, dtype)
        out.append(a)
    if dtype.kind not in kinds:
        check_dtype_kind(name, ShapedArray((), dtype), kinds)
    return out


def _dtype_name(x):
    return dtypes.dtype_and_weak(x)[0].name


# NumPy arrays and scalars: what implementations receive besides Python scalars
_NP_TYPES = frozenset([np.ndarray] + [np.dtype(c).type for c in '?bBhHiIlLqQefdgFDG'])


def _scalar_as(x, dtype):
    """A Python scalar as a NumPy scalar of ``dtype`` if it may adopt it, else None."""
    t = type(x)
    if (t is float and dtype.kind in 'fc') or (t is int and dtype.kind in 'iufc'):
        return dtype.type(x)
    return None


def _checked_impl(name, impl, kinds, nargs=None):
    """``impl`` behind a dtype check: operands of one accepted dtype go straight through;
    anything else (a Python scalar, mixed dtypes) is converted or rejected first.  Unary and
    binary operations get fast paths (this is on every eager call)."""
    def slow(args, params):
        return impl(*_operands_of_one_dtype(name, kinds, args), **params)

    if nargs == 1:
        def run(x, **params):
            if type(x) in _NP_TYPES and x.dtype.kind in kinds:
                return impl(x, **params)
            return slow((x,), params)
    elif nargs == 2:
        def run(x, y, **params):
            tx, ty = type(x) in _NP_TYPES, type(y) in _NP_TYPES
            if tx and ty:
                d = x.dtype
                if (y.dtype is d or y.dtype == d) and d.kind in kinds:
                    return impl(x, y, **params)
            elif tx and x.dtype.kind in kinds:  # array op Python scalar, as in ``x * 2.``
                s = _scalar_as(y, x.dtype)
                if s is not None:
                    return impl(x, s, **params)
            elif ty and y.dtype.kind in kinds:
                s = _scalar_as(x, y.dtype)
                if s is not None:
                    return impl(s, y, **params)
            return slow((x, y), params)
    else:
        def run(*args, **params):
            dtype = None
            for a in args:
                if type(a) not in _NP_TYPES:
                    break
                if dtype is None:
                    dtype = a.dtype
                elif a.dtype != dtype:
                    break
            else:
                if dtype is not None and dtype.kind in kinds:
                    return impl(*args, **params)
            return slow(args, params)
    run.__name__ = getattr(impl, '__name__', name)
    return run


def elementwise_abstract_eval(name, kinds, result_dtype=None):
    def abstract_eval(*avals, **params):
        first = avals[0]
        shape, dtype, weak = first.shape, first.dtype, True
        for a in avals:  # the common case, kept cheap: one dtype, one shape or scalars
            if a.dtype != dtype:
                break
            s = a.shape
            if s != shape:
                if shape == ():
                    shape = s
                elif s != ():
                    break
            weak = weak and a.weak_type
        else:
            if dtype.kind in kinds:
                out_dtype = dtype if result_dtype is None else np.dtype(result_dtype(dtype,
                                                                                     **params))
                return ShapedArray.make(shape, out_dtype, weak)
        shape = broadcast_shapes(name, *[a.shape for a in avals])
        dtype = _out_dtype(name, avals)
        if dtype.kind not in kinds:
            check_dtype_kind(name, ShapedArray((), dtype), kinds)
        out_dtype = dtype if result_dtype is None else np.dtype(result_dtype(dtype, **params))
        return ShapedArray.make(shape, out_dtype, all(a.weak_type for a in avals))
    return abstract_eval


def broadcasting_batcher(prim):
    """Batch an elementwise op: align batch axes at the front; unbatched operands already
    broadcast against the trailing axes."""
    def batch(axis, vals, dims, **params):
        ranks = [ndim_of(v) - (d is not not_mapped) for v, d in zip(vals, dims)]
        rank = builtins.max(ranks)
        bdims = {d for d in dims if d is not not_mapped}
        if len(bdims) == 1:
            d = next(iter(bdims))
            # fast path: every batched operand has the output's rank and the same batch axis,
            # and unbatched operands are scalars
            if all((dd is not_mapped and rk == 0) or (dd is not not_mapped and rk == rank)
                   for dd, rk in zip(dims, ranks)):
                return prim.bind(*vals, **params), d
        new = []
        for v, d, rk in zip(vals, dims, ranks):
            if d is not_mapped:
                new.append(v)
                continue
            v = _util.moveaxis_to_front(v, d)
            if rk < rank:
                from .shapes import reshape
                s = shape_of(v)
                v = reshape(v, (s[0],) + (1,) * (rank - rk) + tuple(s[1:]))
            new.append(v)
        return prim.bind(*new, **params), 0
    return batch


def _py_codegen(template):
    return lambda *xs, **params: template.format(*xs)


def _np_codegen(fn_name):
    return lambda *xs, **params: f"xp.{fn_name}({', '.join(xs)})"


def elementwise(name, impl, nargs, kinds=NUMERIC, codegen=None, result_dtype=None):
    """Declare an elementwise primitive with its impl, abstract eval, batching and codegen;
    the caller adds the JVP (and transpose) next to it.  ``result_dtype(dtype, **params)``
    gives the output dtype when it is not the operands' (comparisons, ``abs`` of complex).
    The result is weakly typed exactly when every operand is."""
    prim = Primitive(name)
    prim.impl = _checked_impl(name, impl, kinds, nargs)
    # the NumPy function itself, for callers that have already checked the operands
    # (pullback.numpy's shortcut for concrete arrays of one accepted dtype)
    prim.numpy_impl = impl if result_dtype is None else None
    # a ufunc allocates its result (comparisons included), which jit may then write into
    prim.fresh_result = isinstance(impl, np.ufunc)
    prim.abstract_eval = elementwise_abstract_eval(name, kinds, result_dtype)
    prim.batch = broadcasting_batcher(prim)
    prim.codegen = codegen
    prim.weak_type_rule = first_weak if nargs == 1 else all_weak
    prim.nargs = nargs
    prim.kinds = kinds
    prim.scalars_adopt_dtype = True
    return prim


def _bool_result(dtype, **params):
    return np.dtype(bool)


def _real_dtype(dtype, **params):
    return dtypes.real_dtype(dtype)


def _const(like, value):
    """A weak 0-d constant with ``like``'s dtype, for rules that need an array of their own
    (a bare Python scalar would take the default dtype where no other operand sets it)."""
    return Array(np.asarray(value, get_aval(like).dtype), True)


def _bcast_tangent(t, ans):
    """A tangent of one operand, broadcast to the output's shape."""
    from .shapes import broadcast_to
    if tuple(shape_of(t)) == tuple(shape_of(ans)):
        return t
    return broadcast_to(t, shape_of(ans))


# --- Linear and bilinear arithmetic --------------------------------------------------------

add_p = elementwise('add', np.add, 2, NUMERIC, _py_codegen('({} + {})'))
defjvp(add_p, lambda g, ans, x, y: _bcast_tangent(g, ans),
       lambda g, ans, x, y: _bcast_tangent(g, ans))


def _add_transpose(ct, x, y):
    if type(ct) is Zero:
        return [None, None]
    return [unbroadcast(ct, x.aval) if is_undefined(x) else None,
            unbroadcast(ct, y.aval) if is_undefined(y) else None]


add_p.transpose = _add_transpose

sub_p = elementwise('sub', np.subtract, 2, NUMERIC, _py_codegen('({} - {})'))
defjvp(sub_p, lambda g, ans, x, y: _bcast_tangent(g, ans),
       lambda g, ans, x, y: _bcast_tangent(neg(g), ans))


def _sub_transpose(ct, x, y):
    if type(ct) is Zero:
        return [None, None]
    return [unbroadcast(ct, x.aval) if is_undefined(x) else None,
            unbroadcast(neg(ct), y.aval) if is_undefined(y) else None]


sub_p.transpose = _sub_transpose

# add_any sums tangents/cotangents of one value (same shapes, same dtype).
add_any_p = elementwise('add_any', np.add, 2, NUMERIC, _py_codegen('({} + {})'))
deflinear(add_any_p, lambda ct, x, y: [ct if is_undefined(x) else None,
                                       ct if is_undefined(y) else None])
_ops['add_any'] = add_any_p.bind

mul_p = elementwise('mul', np.multiply, 2, NUMERIC, _py_codegen('({} * {})'))
defjvp(mul_p, lambda g, ans, x, y: mul(g, y), lambda g, ans, x, y: mul(x, g))


def _mul_transpose(ct, x, y):
    # complex transposition does not conjugate (JAX's convention)
    x_linear, y_linear = type(x) is UndefinedPrimal, type(y) is UndefinedPrimal
    if x_linear and y_linear:
        raise TypeError("mul: both operands are linear, so the product is not linear")
    if type(ct) is Zero:
        return [None, None]
    if x_linear:
        return [unbroadcast(mul(ct, y), x.aval), None]
    return [None, unbroadcast(mul(x, ct), y.aval)]


mul_p.transpose = _mul_transpose

neg_p = elementwise('neg', np.negative, 1, NUMERIC, _py_codegen('(-{})'))
deflinear(neg_p, lambda ct, x: [neg(ct)])


def _all_ones(dtype):
    return np.array(-1).astype(dtype)


def _int_div(x, y):
    """Integer division rounding toward zero, with XLA's answers where C has none:
    ``x / 0 == -1`` (all ones) and ``INT_MIN / -1 == INT_MIN``."""
    with np.errstate(all='ignore'):
        signed = x.dtype.kind == 'i'
        bad = (y == 0) | (y == -1) if signed else (y == 0)
        safe = np.where(bad, np.ones((), y.dtype), y)
        q = (x - np.fmod(x, safe)) // safe  # exact, so floor and truncation agree
        if signed:
            q = np.where(y == -1, np.negative(x), q)
        return np.where(y == 0, _all_ones(x.dtype), q).astype(x.dtype, copy=False)


def _div_impl(x, y):
    if x.dtype.kind in 'iu':
        return _int_div(x, y)
    return np.true_divide(x, y)


div_p = elementwise('div', _div_impl, 2, NUMERIC)
div_p.codegen = None  # '/' would be true division for integer operands too
# ... but with the operands' dtypes known (jit), floating division is just '/'
div_p.codegen_typed = lambda avals, x, y: (
    f"({x} / {y})" if all(a.dtype.kind in 'fc' for a in avals) else None)
# (which jit may also run in place, as ``t0 /= t1``)
div_p.typed_ufunc = lambda avals: (
    np.true_divide if all(a.dtype.kind in 'fc' for a in avals) else None)
defjvp(div_p, lambda g, ans, x, y: div(g, y),
       lambda g, ans, x, y: mul(neg(g), div(ans, y)))


def _div_transpose(ct, x, y):
    if is_undefined(y):
        raise TypeError("div is only linear in its numerator")
    if type(ct) is Zero:
        return [None, None]
    return [unbroadcast(div(ct, y), x.aval), None]


div_p.transpose = _div_transpose


def _rem_impl(x, y):
    if x.dtype.kind in 'iu':
        # C semantics (sign of x); XLA's answers ``rem(x, 0) == x``, ``rem(INT_MIN, -1) == 0``
        with np.errstate(all='ignore'):
            bad = (y == 0) | (y == -1) if x.dtype.kind == 'i' else (y == 0)
            r = np.fmod(x, np.where(bad, np.ones((), y.dtype), y))
            return np.where(y == 0, x, r).astype(x.dtype, copy=False)
    return np.fmod(x, y)


rem_p = elementwise('rem', _rem_impl, 2, REAL)
defjvp(rem_p, lambda g, ans, x, y: _bcast_tangent(g, ans),
       lambda g, ans, x, y: mul(neg(g), mul(sign(div(x, y)), floor(abs(div(x, y))))))


# --- Unary functions -----------------------------------------------------------------------

def unary(name, impl, jvp_rule, kinds=INEXACT, np_name=None, result_dtype=None):
    """An elementwise function of one operand; ``jvp_rule(g, ans, x)`` or None (zero JVP).
    ``np_name`` is the NumPy function jit emits (default ``impl.__name__``; pass '' when
    there is none and jit should call ``impl``)."""
    np_name = impl.__name__ if np_name is None else np_name
    prim = elementwise(name, impl, 1, kinds, _np_codegen(np_name) if np_name else None,
                       result_dtype)
    if jvp_rule is None:
        defjvp_zero(prim)
    else:
        defjvp(prim, jvp_rule)
    return prim


_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)

sin_p = unary('sin', np.sin, lambda g, ans, x: mul(g, cos(x)))
cos_p = unary('cos', np.cos, lambda g, ans, x: neg(mul(g, sin(x))))
tan_p = unary('tan', np.tan, lambda g, ans, x: mul(g, add(1.0, square(ans))))
asin_p = unary('asin', np.arcsin, lambda g, ans, x: mul(g, rsqrt(sub(1.0, square(x)))))
acos_p = unary('acos', np.arccos, lambda g, ans, x: mul(g, neg(rsqrt(sub(1.0, square(x))))))
atan_p = unary('atan', np.arctan, lambda g, ans, x: div(g, add(1.0, square(x))))
sinh_p = unary('sinh', np.sinh, lambda g, ans, x: mul(g, cosh(x)))
cosh_p = unary('cosh', np.cosh, lambda g, ans, x: mul(g, sinh(x)))
tanh_p = unary('tanh', np.tanh, lambda g, ans, x: mul(add(g, mul(g, ans)), sub(1.0, ans)))
asinh_p = unary('asinh', np.arcsinh, lambda g, ans, x: mul(g, rsqrt(add(square(x), 1.0))))
acosh_p = unary('acosh', np.arccosh, lambda g, ans, x: mul(g, rsqrt(sub(square(x), 1.0))))
atanh_p = unary('atanh', np.arctanh,
                lambda g, ans, x: mul(integer_pow(add(1.0, x), -1), div(g, sub(1.0, x))))
exp_p = unary('exp', np.exp, lambda g, ans, x: mul(g, ans))
exp2_p = unary('exp2', np.exp2, lambda g, ans, x: mul(math.log(2.0), mul(g, ans)))
log_p = unary('log', np.log, lambda g, ans, x: div(g, x))
log1p_p = unary('log1p', np.log1p, lambda g, ans, x: div(g, add(x, 1.0)))
expm1_p = unary('expm1', np.expm1, lambda g, ans, x: mul(g, add(ans, 1.0)))
sqrt_p = unary('sqrt', np.sqrt, lambda g, ans, x: mul(g, div(0.5, ans)))
square_p = unary('square', np.square, lambda g, ans, x: mul(g, mul(2.0, x)), NUMERIC)
cbrt_p = unary('cbrt', np.cbrt, lambda g, ans, x: mul(g, mul(1 / 3, integer_pow(ans, -2))),
               FLOAT)


def _rsqrt_impl(x):
    return 1 / np.sqrt(x)


rsqrt_p = unary('rsqrt', _rsqrt_impl, lambda g, ans, x: mul(g, mul(-0.5, div(ans, x))),
                np_name='')
rsqrt_p.codegen = lambda x: f"(1 / xp.sqrt({x}))"


def _logistic_impl(x):
    if x.dtype.kind == 'c':  # SciPy's expit is real only
        return 1 / (1 + np.exp(-x))
    return sp.expit(x)


logistic_p = unary('logistic', _logistic_impl,
                   lambda g, ans, x: mul(g, mul(ans, sub(1.0, ans))), np_name='')


# SciPy's special functions: jit calls the implementation (they are not in the ``xp``
# namespace), and the results are cast back in case SciPy computes in double.

sp = LazyModule('scipy.special')


def _scipy_impl(name):
    """The impl calling ``scipy.special.<name>`` (SciPy is imported on first use)."""
    def impl(x):
        return np.asarray(getattr(sp, name)(x)).astype(x.dtype, copy=False)
    impl.__name__ = name
    return impl


erf_p = unary('erf', _scipy_impl('erf'),
              lambda g, ans, x: mul(_TWO_OVER_SQRT_PI, mul(g, exp(neg(square(x))))), FLOAT, '')
erfc_p = unary('erfc', _scipy_impl('erfc'),
               lambda g, ans, x: mul(-_TWO_OVER_SQRT_PI, mul(g, exp(neg(square(x))))),
               FLOAT, '')


def _erf_inv_impl(x):
    if x.dtype == np.float32:
        # bit-exact with XLA's float32 kernel: random.normal depends on it
        return _xla_math.erf_inv32(x)
    return np.asarray(sp.erfinv(x)).astype(x.dtype, copy=False)


erf_inv_p = unary('erf_inv', _erf_inv_impl,
                  lambda g, ans, x: mul(math.sqrt(math.pi) / 2, mul(g, exp(square(ans)))),
                  FLOAT, '')
lgamma_p = unary('lgamma', _scipy_impl('gammaln'), lambda g, ans, x: mul(g, digamma(x)),
                 FLOAT, '')
digamma_p = unary('digamma', _scipy_impl('psi'), lambda g, ans, x: mul(g, polygamma(1.0, x)),
                  FLOAT, '')


def _polygamma_impl(m, x):
    with np.errstate(all='ignore'):
        out = np.asarray(sp.polygamma(m, x))
        # only non-negative integer orders are defined (SciPy would extrapolate)
        out = np.where((m == np.floor(m)) & (m >= 0), out, np.nan)
    return out.astype(x.dtype, copy=False)


def _polygamma_jvp_m(g, ans, m, x):
    raise TypeError("polygamma: differentiation with respect to the order m is not "
                    "supported (it is an integer); pass m as a constant")


polygamma_p = elementwise('polygamma', _polygamma_impl, 2, FLOAT)
defjvp(polygamma_p, _polygamma_jvp_m, lambda g, ans, m, x: mul(g, polygamma(add(m, 1.0), x)))


# Piecewise constant functions: zero derivative.

sign_p = unary('sign', np.sign, None, NUMERIC)
floor_p = unary('floor', np.floor, None, FLOAT)
ceil_p = unary('ceil', np.ceil, None, FLOAT)
is_finite_p = unary('is_finite', np.isfinite, None, FLOAT, result_dtype=_bool_result)


class RoundingMethod(enum.IntEnum):
    """How ``round`` breaks ties: away from zero (``lax.round``'s default) or to the nearest
    even integer (``jnp.round``)."""
    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def _round_impl(x, rounding_method):
    if rounding_method == RoundingMethod.TO_NEAREST_EVEN:
        return np.rint(x)
    with np.errstate(invalid='ignore'):  # inf - inf below; the inf itself is kept
        t = np.trunc(x)
        return np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t).astype(x.dtype, copy=False)


round_p = unary('round', _round_impl, None, FLOAT, np_name='')
round_p.codegen = lambda x, rounding_method: (
    f"xp.rint({x})" if rounding_method == RoundingMethod.TO_NEAREST_EVEN else None)


def _abs_jvp(g, ans, x):
    if dtypes.is_complex(get_aval(x).dtype):
        # d|z| = Re(conj(z) dz) / |z|, taken as 0 at z = 0 (as JAX does)
        nonzero = select_n(eq(ans, 0.0), ans, 1.0)
        return real(mul(g, div(conj(x), convert_element_type(nonzero, get_aval(x).dtype))))
    # the derivative at 0 is +1, as in JAX
    return select_n(ge(x, 0.0), neg(g), g)


abs_p = elementwise('abs', np.abs, 1, NUMERIC, _np_codegen('abs'), result_dtype=_real_dtype)
defjvp(abs_p, _abs_jvp)


# --- Complex parts -------------------------------------------------------------------------

def _strong_zero(x):
    # a strong zero, so that real/imag transposes give strong cotangents (as JAX does)
    return Array(np.zeros((), get_aval(x).dtype))


real_p = elementwise('real', np.real, 1, INEXACT, _np_codegen('real'), result_dtype=_real_dtype)
deflinear(real_p, lambda ct, x: [complex_(ct, _strong_zero(ct))])
imag_p = elementwise('imag', np.imag, 1, INEXACT, _np_codegen('imag'), result_dtype=_real_dtype)
deflinear(imag_p, lambda ct, x: [complex_(_strong_zero(ct), neg(ct))])
conj_p = elementwise('conj', np.conjugate, 1, INEXACT, _np_codegen('conjugate'))
deflinear(conj_p, lambda ct, x: [conj(ct)])


def _complex_impl(x, y):
    # filled part by part: x + 1j * y would turn an infinite y into a NaN real part
    out = np.empty(np.broadcast_shapes(np.shape(x), np.shape(y)), dtypes.complex_dtype(x.dtype))
    out.real = x
    out.imag = y
    return out


complex_p = elementwise('complex', _complex_impl, 2, FLOAT,
                        result_dtype=lambda d, **p: dtypes.complex_dtype(d))
deflinear(complex_p, lambda ct, x, y: [
    unbroadcast(real(ct), x.aval) if is_undefined(x) else None,
    unbroadcast(neg(imag(ct)), y.aval) if is_undefined(y) else None])


# --- Comparisons, max/min, clamp -----------------------------------------------------------

def comparison(name, impl, op, kinds=ANY):
    prim = elementwise(name, impl, 2, kinds, _py_codegen('({} ' + op + ' {})'),
                       result_dtype=_bool_result)
    defjvp_zero(prim)
    return prim


eq_p = comparison('eq', np.equal, '==')
ne_p = comparison('ne', np.not_equal, '!=')
lt_p = comparison('lt', np.less, '<', ORDERED)
le_p = comparison('le', np.less_equal, '<=', ORDERED)
gt_p = comparison('gt', np.greater, '>', ORDERED)
ge_p = comparison('ge', np.greater_equal, '>=', ORDERED)


def _balanced_eq(x, z, y):
    # where x attains the max/min z: 1, or 1/2 on a tie with y (JAX splits ties equally)
    return div(select_n(eq(x, z), _const(z, 0), _const(z, 1)),
               select_n(eq(y, z), _const(z, 1), _const(z, 2)))


max_p = elementwise('max', np.maximum, 2, ANY, _np_codegen('maximum'))
defjvp(max_p, lambda g, ans, x, y: mul(g, _balanced_eq(x, ans, y)),
       lambda g, ans, x, y: mul(g, _balanced_eq(y, ans, x)))
min_p = elementwise('min', np.minimum, 2, ANY, _np_codegen('minimum'))
defjvp(min_p, lambda g, ans, x, y: mul(g, _balanced_eq(x, ans, y)),
       lambda g, ans, x, y: mul(g, _balanced_eq(y, ans, x)))


def _clamp_impl(lo, x, hi):
    return np.minimum(np.maximum(x, lo), hi)


clamp_p = elementwise('clamp', _clamp_impl, 3, REAL,
                      lambda lo, x, hi: f"xp.minimum(xp.maximum({x}, {lo}), {hi})")
# Each operand's derivative where it is the answer strictly (JAX's convention at ties).
defjvp(clamp_p,
       lambda g, ans, lo, x, hi: _bcast_tangent(
           select_n(and_(gt(lo, x), lt(lo, hi)), 0.0, g), ans),
       lambda g, ans, lo, x, hi: _bcast_tangent(
           select_n(and_(gt(x, lo), lt(x, hi)), 0.0, g), ans),
       lambda g, ans, lo, x, hi: _bcast_tangent(select_n(lt(hi, x), 0.0, g), ans))


def _nextafter_jvp_x(g, ans, x, y):
    # nextafter(x, y) is x moved by one ulp: slope 1 in x, except where x == y (answer y)
    return select_n(eq(x, y), g, 0.0)


nextafter_p = elementwise('nextafter', np.nextafter, 2, FLOAT, _np_codegen('nextafter'))
defjvp(nextafter_p, _nextafter_jvp_x, lambda g, ans, x, y: select_n(eq(x, y), 0.0, g))


def _atan2_denominator(x, y):
    return add(square(x), square(y))


atan2_p = elementwise('atan2', np.arctan2, 2, FLOAT, _np_codegen('arctan2'))
defjvp(atan2_p, lambda g, ans, x, y: mul(g, div(y, _atan2_denominator(x, y))),
       lambda g, ans, x, y: mul(g, div(neg(x), _atan2_denominator(x, y))))


# --- Selection -----------------------------------------------------------------------------

_select_cases = _checked_impl('select_n', lambda *cases: cases, ANY)


def _select_n_impl(which, *cases):
    cases = _select_cases(*cases)
    if len(cases) == 1:
        return np.broadcast_to(cases[0], np.broadcast_shapes(np.shape(which),
                                                             np.shape(cases[0])))
    if len(cases) == 2:
        return np.where(which, cases[1], cases[0])
    return np.choose(np.asarray(which, np.int32), cases)


def _select_n_abstract_eval(which, *cases):
    if which.dtype.kind not in 'biu':
        raise TypeError(f"select_n: the selector must be boolean or integer, got "
                        f"{which.dtype.name}")
    if not cases:
        raise TypeError("select_n needs at least one case")
    if which.dtype.kind == 'b' and len(cases) > 2:
        raise TypeError(f"select_n: a boolean selector chooses between two cases, got "
                        f"{len(cases)}")
    shape = broadcast_shapes('select_n', which.shape, *[c.shape for c in cases])
    dtype = _out_dtype('select_n', cases)
    return ShapedArray(shape, dtype, all(c.weak_type for c in cases))


select_n_p = Primitive('select_n')
select_n_p.scalars_adopt_dtype = True
select_n_p.impl = _select_n_impl
select_n_p.abstract_eval = _select_n_abstract_eval
select_n_p.weak_type_rule = lambda args, params: all_weak(args[1:], params)
select_n_p.batch = broadcasting_batcher(select_n_p)
select_n_p.codegen = None
# np.where picks its result dtype from its operands: safe only when no case is a weak
# (Python) scalar, which would make it float64; otherwise jit calls the impl
select_n_p.codegen_typed = lambda avals, w, *cs: (
    f"xp.where({w}, {cs[1]}, {cs[0]})"
    if len(cs) == 2 and not any(a.weak_type for a in avals[1:]) else None)


def _select_n_jvp(primals, tangents):
    which, *cases = primals
    ans = select_n(which, *cases)
    if all(type(t) is Zero for t in tangents[1:]):
        return ans, Zero(primal=ans)
    # a zero case (e.g. a Python scalar) gets zeros of the output's tangent type
    out_tangent = get_aval(ans).to_tangent_aval()
    ts = [_ops['zeros'](out_tangent) if type(t) is Zero else _bcast_tangent(t, ans)
          for t in tangents[1:]]
    return ans, select_n(which, *ts)


def _select_n_transpose(ct, which, *cases):
    if is_undefined(which):
        raise TypeError("select_n is not linear in its selector")
    if type(ct) is Zero:
        return [None] * (len(cases) + 1)
    if len(cases) == 1:
        return [None, unbroadcast(ct, cases[0].aval) if is_undefined(cases[0]) else None]
    boolean = get_aval(which).dtype.kind == 'b'
    outs = [None]
    for i, c in enumerate(cases):
        if is_undefined(c):
            # the cotangent flows to case i where it was picked, zero elsewhere
            picked = which if boolean and i == 1 else not_(which) if boolean else eq(which, i)
            outs.append(unbroadcast(select_n(picked, _const(ct, 0), ct), c.aval))
        else:
            outs.append(None)
    return outs


select_n_p.jvp = _select_n_jvp
select_n_p.transpose = _select_n_transpose


# --- Logical and bit operations ------------------------------------------------------------

def _not_impl(x):
    return np.logical_not(x) if x.dtype == bool else np.invert(x)


not_p = elementwise('not', _not_impl, 1, INTLIKE, _np_codegen('invert'))
defjvp_zero(not_p)
and_p = elementwise('and', np.bitwise_and, 2, INTLIKE, _py_codegen('({} & {})'))
defjvp_zero(and_p)
or_p = elementwise('or', np.bitwise_or, 2, INTLIKE, _py_codegen('({} | {})'))
defjvp_zero(or_p)
xor_p = elementwise('xor', np.bitwise_xor, 2, INTLIKE, _py_codegen('({} ^ {})'))
defjvp_zero(xor_p)


def _as_unsigned(x):
    x = np.asarray(x)
    return x.view(np.dtype(f'u{x.dtype.itemsize}'))


def _as_signed(x):
    x = np.asarray(x)
    return x.view(np.dtype(f'i{x.dtype.itemsize}'))


def _population_count_impl(x):
    # bitwise_count counts the bits of |x|; the two's complement pattern is what we want
    return np.bitwise_count(_as_unsigned(x)).astype(x.dtype)


def _clz_impl(x):
    u = _as_unsigned(x)
    nbits = u.dtype.itemsize * 8
    n = np.zeros(u.shape, x.dtype)
    shift = nbits // 2
    while shift:  # binary search over bit positions (log2(nbits) steps)
        top_clear = (u >> (nbits - shift)) == 0
        n = np.where(top_clear, n + shift, n)
        u = np.where(top_clear, u << shift, u)
        shift //= 2
    return (n + ((u >> (nbits - 1)) == 0)).astype(x.dtype)


population_count_p = unary('population_count', _population_count_impl, None, INT, '')
clz_p = unary('clz', _clz_impl, None, INT, '')


def _shift_in_range(x, y):
    nbits = x.dtype.itemsize * 8
    return (y >= 0) & (y < nbits) if y.dtype.kind == 'i' else y < nbits


def _shift_left_impl(x, y):
    # XLA: shifting by a negative amount or by the bit width or more gives 0
    ok = _shift_in_range(x, y)
    amount = np.where(ok, y, np.zeros((), y.dtype))
    return np.where(ok, np.left_shift(x, amount), np.zeros((), x.dtype))


def _shift_right_logical_impl(x, y):
    ok = _shift_in_range(x, y)
    amount = _as_unsigned(np.where(ok, y, np.zeros((), y.dtype)))
    out = np.where(ok, np.right_shift(_as_unsigned(x), amount), 0)
    return np.asarray(out, amount.dtype).view(x.dtype)


def _shift_right_arithmetic_impl(x, y):
    # out-of-range amounts fill with the sign bit; unsigned values shift arithmetically too
    ok = _shift_in_range(x, y)
    s = _as_signed(x)
    amount = np.where(ok, _as_signed(y), s.dtype.itemsize * 8 - 1).astype(s.dtype)
    return np.right_shift(s, amount).view(x.dtype)


def _shift(name, impl):
    prim = elementwise(name, impl, 2, INT)
    defjvp_zero(prim)
    return prim


shift_left_p = _shift('shift_left', _shift_left_impl)
shift_right_logical_p = _shift('shift_right_logical', _shift_right_logical_impl)
shift_right_arithmetic_p = _shift('shift_right_arithmetic', _shift_right_arithmetic_impl)


# --- Powers --------------------------------------------------------------------------------

def _integer_pow_impl(x, y):
    """Square-and-multiply, as XLA does (``x**3`` is ``x * (x * x)``); negative powers are
    ``1 / x**-y``."""
    if y < 0 and x.dtype.kind in 'iu':
        _integer_pow_abstract_eval(ShapedArray(np.shape(x), x.dtype), y)  # raises
    if y == 0:
        return np.ones_like(x)
    acc, base, n = None, x, builtins.abs(y)
    while n:
        if n & 1:
            acc = base if acc is None else acc * base
        n >>= 1
        if n:
            base = base * base
    return 1 / acc if y < 0 else acc


def _integer_pow_abstract_eval(x, y):
    if y < 0 and x.dtype.kind in 'iu':
        raise TypeError(f"integer_pow: integers cannot be raised to the negative power {y} "
                        f"(operand dtype {x.dtype.name})")
    return _integer_pow_base_abstract_eval(x, y=y)


integer_pow_p = elementwise('integer_pow', _integer_pow_impl, 1, NUMERIC)
_integer_pow_base_abstract_eval = integer_pow_p.abstract_eval
integer_pow_p.abstract_eval = _integer_pow_abstract_eval


def _integer_pow_jvp(g, ans, x, y):
    if y == 0:
        return Zero(primal=ans)
    if y == 1:
        return g
    if y == 2:
        return mul(g, mul(2.0, x))
    return mul(g, mul(float(y), integer_pow(x, y - 1)))


def _integer_pow_codegen(x, y):
    exprs = {1: x, 2: f"({x} * {x})", 3: f"({x} * ({x} * {x}))"}
    e = exprs.get(builtins.abs(y))
    if e is None:
        return None
    return f"(1 / {e})" if y < 0 else e


defjvp(integer_pow_p, _integer_pow_jvp)
integer_pow_p.codegen = _integer_pow_codegen

pow_p = elementwise('pow', np.power, 2, INEXACT, _np_codegen('power'))


def _pow_jvp_x(g, ans, x, y):
    return mul(g, mul(y, pow(x, sub(y, 1.0))))


def _pow_jvp_y(g, ans, x, y):
    # d/dy x**y = log(x) x**y, defined as 0 where x == 0
    return mul(g, mul(log(select_n(eq(x, 0.0), x, 1.0)), ans))


defjvp(pow_p, _pow_jvp_x, _pow_jvp_y)


# --- Type conversion and stop_gradient ------------------------------------------------------

def _float_to_int(x, dtype):
    """Truncate toward zero, saturating at the integer type's bounds; NaN gives 0 (XLA)."""
    info = np.iinfo(dtype)
    with np.errstate(invalid='ignore'):
        t = np.trunc(x.astype(np.float64))  # float64 holds every bound below exactly
        big = t >= float(info.max)  # float(max) may round up to 2**bits: compare with >=
        inner = np.where(np.isnan(t) | big, 0, np.maximum(t, float(info.min)))
        return np.where(big, np.asarray(info.max, dtype), inner.astype(dtype))


def _convert_impl(x, new_dtype, weak_type):
    x = np.asarray(x)
    new_dtype = np.dtype(new_dtype)
    if x.dtype.kind == 'c' and new_dtype.kind != 'c':
        x = x.real  # complex to real keeps the real part, as JAX does
    if new_dtype.kind == 'b':
        return x != 0
    if new_dtype.kind in 'iu' and x.dtype.kind == 'f':
        return _float_to_int(x, new_dtype)
    return x.astype(new_dtype)


def _convert_abstract_eval(x, new_dtype, weak_type):
    return ShapedArray(x.shape, new_dtype, weak_type)


convert_element_type_p = Primitive('convert_element_type')
convert_element_type_p.impl = _convert_impl
convert_element_type_p.abstract_eval = _convert_abstract_eval
convert_element_type_p.weak_type_rule = lambda args, params: params['weak_type']
convert_element_type_p.codegen = None
convert_element_type_p.fresh_result = True  # astype copies; same-dtype converts are dropped


def _convert_jvp(primals, tangents, new_dtype, weak_type):
    x, = primals
    t, = tangents
    ans = convert_element_type(x, new_dtype, weak_type)
    if type(t) is Zero or np.dtype(new_dtype).kind not in 'fc' or \
            get_aval(x).dtype.kind not in 'fc':
        return ans, Zero(primal=ans)
    return ans, convert_element_type(t, new_dtype, weak_type)


def _convert_transpose(ct, x, new_dtype, weak_type):
    if type(ct) is Zero:
        return [None]
    a = x.aval
    if dtypes.is_complex(get_aval(ct).dtype) and not dtypes.is_complex(a.dtype):
        ct = real(ct)
    return [convert_element_type(ct, a.dtype, a.weak_type)]


convert_element_type_p.jvp = _convert_jvp
convert_element_type_p.transpose = _convert_transpose


def _convert_batch(axis, vals, dims, **params):
    return convert_element_type_p.bind(vals[0], **params), dims[0]


convert_element_type_p.batch = _convert_batch


def _stop_gradient_impl(x):
    if type(x) in _PY_SCALARS:
        return np.asarray(x, dtypes.dtype_and_weak(x)[0])
    return x


stop_gradient_p = Primitive('stop_gradient')
stop_gradient_p.impl = _stop_gradient_impl
stop_gradient_p.abstract_eval = lambda x: x
stop_gradient_p.weak_type_rule = first_weak
stop_gradient_p.codegen = lambda x: x
defjvp_zero(stop_gradient_p)
stop_gradient_p.batch = lambda axis, vals, dims: (stop_gradient_p.bind(vals[0]), dims[0])


# --- User-facing lax functions -------------------------------------------------------------

def add(x, y):
    """Elementwise ``x + y``: ``lax.add(1., 2.)`` is ``3.``."""
    return add_p.bind(x, y)


def sub(x, y):
    """Elementwise ``x - y``: ``lax.sub(3., 1.)`` is ``2.``."""
    return sub_p.bind(x, y)


def mul(x, y):
    """Elementwise ``x * y``: ``lax.mul(2., 3.)`` is ``6.``."""
    return mul_p.bind(x, y)


def div(x, y):
    """Elementwise ``x / y``; integer division rounds toward zero:
    ``lax.div(-7, 2)`` is ``-3`` (and ``x / 0`` is ``-1`` for integers, as in XLA)."""
    return div_p.bind(x, y)


def rem(x, y):
    """Remainder with the sign of ``x`` (C's ``fmod``): ``lax.rem(-7., 2.)`` is ``-1.``."""
    return rem_p.bind(x, y)


def neg(x):
    """``-x``: ``lax.neg(2.)`` is ``-2.``."""
    return neg_p.bind(x)


def sign(x):
    """-1, 0 or 1 (``x / |x|`` for complex): ``lax.sign(-3.)`` is ``-1.``."""
    return sign_p.bind(x)


def floor(x):
    """Round down: ``lax.floor(-1.5)`` is ``-2.``."""
    return floor_p.bind(x)


def ceil(x):
    """Round up: ``lax.ceil(-1.5)`` is ``-1.``."""
    return ceil_p.bind(x)


def round(x, rounding_method=RoundingMethod.AWAY_FROM_ZERO):
    """Round to an integer value; ties away from zero by default, or to even with
    ``RoundingMethod.TO_NEAREST_EVEN`` (what ``jnp.round`` uses):
    ``lax.round(2.5)`` is ``3.``, ``lax.round(2.5, 1)`` is ``2.``."""
    return round_p.bind(x, rounding_method=int(rounding_method))


def is_finite(x):
    """True where ``x`` is neither infinite nor NaN: ``lax.is_finite(1.)`` is ``True``."""
    return is_finite_p.bind(x)


def abs(x):
    """``|x|`` (the modulus, a real number, for complex ``x``): ``lax.abs(-2.)`` is ``2.``."""
    return abs_p.bind(x)


def exp(x):
    """``e**x``: ``lax.exp(0.)`` is ``1.``."""
    return exp_p.bind(x)


def exp2(x):
    """``2**x``: ``lax.exp2(3.)`` is ``8.``."""
    return exp2_p.bind(x)


def log(x):
    """Natural logarithm: ``lax.log(1.)`` is ``0.``."""
    return log_p.bind(x)


def log1p(x):
    """``log(1 + x)``, accurate for small ``x``: ``lax.log1p(0.)`` is ``0.``."""
    return log1p_p.bind(x)


def expm1(x):
    """``exp(x) - 1``, accurate for small ``x``: ``lax.expm1(0.)`` is ``0.``."""
    return expm1_p.bind(x)


def tanh(x):
    """Hyperbolic tangent: ``lax.tanh(0.)`` is ``0.``."""
    return tanh_p.bind(x)


def logistic(x):
    """``1 / (1 + exp(-x))``: ``lax.logistic(0.)`` is ``0.5``."""
    return logistic_p.bind(x)


def sin(x):
    """Sine: ``lax.sin(0.)`` is ``0.``."""
    return sin_p.bind(x)


def cos(x):
    """Cosine: ``lax.cos(0.)`` is ``1.``."""
    return cos_p.bind(x)


def tan(x):
    """Tangent: ``lax.tan(0.)`` is ``0.``."""
    return tan_p.bind(x)


def asin(x):
    """Arcsine: ``lax.asin(1.)`` is ``pi / 2``."""
    return asin_p.bind(x)


def acos(x):
    """Arccosine: ``lax.acos(1.)`` is ``0.``."""
    return acos_p.bind(x)


def atan(x):
    """Arctangent: ``lax.atan(1.)`` is ``pi / 4``."""
    return atan_p.bind(x)


def atan2(x, y):
    """The angle of the point ``(y, x)``, i.e. ``atan(x / y)`` in the right quadrant:
    ``lax.atan2(1., 0.)`` is ``pi / 2``."""
    return atan2_p.bind(x, y)


def sinh(x):
    """Hyperbolic sine: ``lax.sinh(0.)`` is ``0.``."""
    return sinh_p.bind(x)


def cosh(x):
    """Hyperbolic cosine: ``lax.cosh(0.)`` is ``1.``."""
    return cosh_p.bind(x)


def asinh(x):
    """Inverse hyperbolic sine: ``lax.asinh(0.)`` is ``0.``."""
    return asinh_p.bind(x)


def acosh(x):
    """Inverse hyperbolic cosine (``x >= 1``): ``lax.acosh(1.)`` is ``0.``."""
    return acosh_p.bind(x)


def atanh(x):
    """Inverse hyperbolic tangent (``|x| < 1``): ``lax.atanh(0.)`` is ``0.``."""
    return atanh_p.bind(x)


def sqrt(x):
    """Square root: ``lax.sqrt(4.)`` is ``2.``."""
    return sqrt_p.bind(x)


def rsqrt(x):
    """``1 / sqrt(x)``: ``lax.rsqrt(4.)`` is ``0.5``."""
    return rsqrt_p.bind(x)


def cbrt(x):
    """Real cube root: ``lax.cbrt(-8.)`` is ``-2.``."""
    return cbrt_p.bind(x)


def square(x):
    """``x * x``: ``lax.square(3.)`` is ``9.``."""
    return square_p.bind(x)


def reciprocal(x):
    """``1 / x`` (``integer_pow(x, -1)``): ``lax.reciprocal(4.)`` is ``0.25``."""
    return integer_pow(x, -1)


def integer_pow(x, y):
    """``x ** y`` for a static Python int ``y`` by repeated multiplication:
    ``lax.integer_pow(2., 3)`` is ``8.``."""
    return integer_pow_p.bind(x, y=int(y))


def pow(x, y):
    """``x ** y`` for floating or complex ``x`` and ``y``: ``lax.pow(2., 0.5)`` is
    ``sqrt(2)``."""
    return pow_p.bind(x, y)


def erf(x):
    """The error function: ``lax.erf(0.)`` is ``0.``."""
    return erf_p.bind(x)


def erfc(x):
    """``1 - erf(x)``, accurate for large ``x``: ``lax.erfc(0.)`` is ``1.``."""
    return erfc_p.bind(x)


def erf_inv(x):
    """Inverse of ``erf`` on (-1, 1): ``lax.erf_inv(0.5)`` is ``0.47693628``."""
    return erf_inv_p.bind(x)


def lgamma(x):
    """``log |Gamma(x)|``: ``lax.lgamma(3.)`` is ``log(2)``."""
    return lgamma_p.bind(x)


def digamma(x):
    """The derivative of ``lgamma``: ``lax.digamma(1.)`` is ``-0.5772157`` (minus Euler's
    constant)."""
    return digamma_p.bind(x)


def polygamma(m, x):
    """The ``m``-th derivative of ``digamma`` (``m`` a non-negative integer value):
    ``lax.polygamma(1., 1.)`` is ``pi**2 / 6``."""
    return polygamma_p.bind(m, x)


def real(x):
    """Real part of a complex ``x``: ``lax.real(3+4j)`` is ``3.``."""
    return real_p.bind(x)


def imag(x):
    """Imaginary part of a complex ``x``: ``lax.imag(3+4j)`` is ``4.``."""
    return imag_p.bind(x)


def conj(x):
    """Complex conjugate: ``lax.conj(3+4j)`` is ``3-4j``."""
    return conj_p.bind(x)


def complex_(x, y):
    """``x + 1j * y`` from real ``x`` and ``y``: ``lax.complex(3., 4.)`` is ``3+4j``."""
    return complex_p.bind(x, y)


def eq(x, y):
    """``x == y`` elementwise: ``lax.eq(1., 1.)`` is ``True``."""
    return eq_p.bind(x, y)


def ne(x, y):
    """``x != y`` elementwise: ``lax.ne(1., 2.)`` is ``True``."""
    return ne_p.bind(x, y)


def lt(x, y):
    """``x < y`` elementwise: ``lax.lt(1., 2.)`` is ``True``."""
    return lt_p.bind(x, y)


def le(x, y):
    """``x <= y`` elementwise: ``lax.le(2., 2.)`` is ``True``."""
    return le_p.bind(x, y)


def gt(x, y):
    """``x > y`` elementwise: ``lax.gt(2., 1.)`` is ``True``."""
    return gt_p.bind(x, y)


def ge(x, y):
    """``x >= y`` elementwise: ``lax.ge(2., 2.)`` is ``True``."""
    return ge_p.bind(x, y)


def max(x, y):
    """Elementwise maximum (NaN propagates; the derivative is split on ties):
    ``lax.max(1., 2.)`` is ``2.``."""
    return max_p.bind(x, y)


def min(x, y):
    """Elementwise minimum: ``lax.min(1., 2.)`` is ``1.``."""
    return min_p.bind(x, y)


def clamp(min, x, max):
    """``x`` limited to ``[min, max]`` (``min(max(x, min), max)``):
    ``lax.clamp(0., 1.5, 1.)`` is ``1.``."""
    return clamp_p.bind(min, x, max)


def nextafter(x, y):
    """The next representable number after ``x`` in the direction of ``y``:
    ``lax.nextafter(1., 2.)`` is ``1.0000001`` in float32."""
    return nextafter_p.bind(x, y)


def select_n(which, *cases):
    """``cases[which]`` elementwise: ``which`` is a bool (two cases) or an int array.
    ``lax.select_n(True, 1., 2.)`` is ``2.``."""
    return select_n_p.bind(which, *cases)


def select(pred, on_true, on_false):
    """``on_true`` where ``pred`` holds, else ``on_false``:
    ``lax.select(True, 1., 2.)`` is ``1.``."""
    return select_n_p.bind(pred, on_false, on_true)


def not_(x):
    """Logical not of booleans, bitwise not of integers: ``lax.not_(True)`` is ``False``."""
    return not_p.bind(x)


def and_(x, y):
    """Logical / bitwise and: ``lax.and_(6, 3)`` is ``2``."""
    return and_p.bind(x, y)


def or_(x, y):
    """Logical / bitwise or: ``lax.or_(6, 3)`` is ``7``."""
    return or_p.bind(x, y)


def xor(x, y):
    """Logical / bitwise exclusive or: ``lax.xor(6, 3)`` is ``5``."""
    return xor_p.bind(x, y)


bitwise_and, bitwise_or, bitwise_xor, bitwise_not = and_, or_, xor, not_


def population_count(x):
    """The number of set bits (of the two's complement pattern):
    ``lax.population_count(7)`` is ``3``."""
    return population_count_p.bind(x)


def clz(x):
    """The number of leading zero bits: ``lax.clz(1)`` is ``31`` for int32."""
    return clz_p.bind(x)


def shift_left(x, y):
    """``x << y``; shifting by the bit width or more gives 0: ``lax.shift_left(1, 3)`` is
    ``8``."""
    return shift_left_p.bind(x, y)


def shift_right_arithmetic(x, y):
    """``x >> y`` filling with the sign bit: ``lax.shift_right_arithmetic(-8, 1)`` is
    ``-4``."""
    return shift_right_arithmetic_p.bind(x, y)


def shift_right_logical(x, y):
    """``x >> y`` filling with zeros: ``lax.shift_right_logical(-8, 28)`` is ``15`` for
    int32."""
    return shift_right_logical_p.bind(x, y)


def convert_element_type(x, new_dtype, weak_type=False):
    """``x`` as ``new_dtype`` (canonicalised); a no-op when nothing changes.  Floats become
    integers by truncation, saturating at the bounds (NaN gives 0):
    ``lax.convert_element_type(2.7, 'int32')`` is ``2``."""
    new_dtype = dtypes.canonicalize_dtype(new_dtype)
    aval = get_aval(x)
    if aval.dtype == new_dtype and aval.weak_type == weak_type and type(x) not in _PY_SCALARS:
        return x
    return convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=bool(weak_type))


def stop_gradient(x):
    """The identity whose derivative is zero: hides ``x``'s dependence on its inputs.

    >>> grad(lambda x: x * stop_gradient(x))(3.)   # 3.0, not 6.0
    """
    from ..tree_util import tree_map
    return tree_map(lambda v: stop_gradient_p.bind(v), x)


complex = complex_  # ``lax.complex``, as in JAX (defined last: it shadows the builtin)

__all__ = [
    'add', 'sub', 'mul', 'div', 'rem', 'neg', 'sign', 'floor', 'ceil', 'round',
    'RoundingMethod', 'is_finite', 'abs', 'exp', 'exp2', 'log', 'log1p', 'expm1', 'tanh',
    'logistic', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2', 'sinh', 'cosh', 'asinh',
    'acosh', 'atanh', 'sqrt', 'rsqrt', 'cbrt', 'square', 'reciprocal', 'integer_pow', 'pow',
    'erf', 'erfc', 'erf_inv', 'lgamma', 'digamma', 'polygamma', 'real', 'imag', 'conj',
    'complex', 'complex_', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'max', 'min', 'clamp',
    'nextafter', 'select_n', 'select', 'not_', 'and_', 'or_', 'xor', 'bitwise_and',
    'bitwise_or', 'bitwise_xor', 'bitwise_not', 'population_count', 'clz', 'shift_left',
    'shift_right_arithmetic', 'shift_right_logical', 'convert_element_type', 'stop_gradient',
]
# the primitives themselves are public too (``lax.sin_p``), as in JAX
__all__ += [name for name, value in list(globals().items()) if isinstance(value, Primitive)]
