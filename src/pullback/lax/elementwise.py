"""Elementwise primitives: each declared once with impl, abstract eval, JVP, transpose
(where linear), batching and jit code generation.

Operands broadcast as in NumPy (a deliberate difference from JAX's lax, which requires
equal shapes): ``pullback.numpy`` needs no explicit broadcasts, eager code runs one NumPy
call per operation, and transposition sums cotangents back down (``unbroadcast``).
All strong operands must share one dtype; weak ones (Python scalars) take it.
"""
import builtins

import numpy as np
import scipy.special as sp

from .. import dtypes
from .._core.core import Primitive, Zero, all_weak, first_weak, never_weak, get_aval
from .._core.avals import ShapedArray
from .._core.rules import (defjvp, defjvp_zero, deflinear, is_undefined, not_mapped, _ops,
                           add_tangents)
from ._util import broadcast_shapes, check_dtype_kind, unbroadcast, ndim_of, shape_of
from . import _util

FLOAT = 'f'
INEXACT = 'fc'
INT = 'iu'
NUMERIC = 'iufc'
ANY = 'biufc'
INTLIKE = 'biu'


# --- Abstract evaluation and batching shared by the whole family -------------------------

def _out_dtype(name, avals):
    strong = [a.dtype for a in avals if not a.weak_type]
    dtype = strong[0] if strong else avals[0].dtype
    for d in strong:
        if d != dtype:
            raise TypeError(f"{name} requires arguments to have the same dtypes, got "
                            f"{', '.join(a.dtype.name for a in avals)}. (pullback.numpy "
                            f"functions promote for you; lax functions do not.)")
    return dtype


def elementwise_abstract_eval(name, kinds, result_dtype=None):
    def abstract_eval(*avals, **params):
        shape = broadcast_shapes(name, *[a.shape for a in avals])
        dtype = _out_dtype(name, avals)
        for a in avals:
            check_dtype_kind(name, a.update(dtype=dtype) if a.weak_type else a, kinds)
        out_dtype = dtype if result_dtype is None else result_dtype(dtype, **params)
        weak = all(a.weak_type for a in avals) and out_dtype.kind != 'b'
        return ShapedArray(shape, out_dtype, weak)
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


def elementwise(name, impl, nargs, kinds=NUMERIC, codegen=None, result_dtype=None,
                weak_rule=None):
    """Declare an elementwise primitive with its impl, abstract eval, batching and codegen;
    the caller adds the JVP (and transpose) next to it."""
    prim = Primitive(name)
    prim.impl = impl
    prim.abstract_eval = elementwise_abstract_eval(name, kinds, result_dtype)
    prim.batch = broadcasting_batcher(prim)
    prim.codegen = codegen
    if weak_rule is None:
        weak_rule = all_weak if result_dtype is None else never_weak
    prim.weak_type_rule = weak_rule
    prim.nargs = nargs
    prim.kinds = kinds
    return prim


def _bool_result(dtype, **params):
    return np.dtype(bool)


# --- Linear and bilinear arithmetic --------------------------------------------------------

def _bcast_tangent(t, ans):
    """A tangent of one operand, broadcast to the output's shape."""
    from .shapes import broadcast_to
    if tuple(shape_of(t)) == tuple(shape_of(ans)):
        return t
    return broadcast_to(t, shape_of(ans))


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
    if is_undefined(x) and is_undefined(y):
        raise TypeError("mul: both operands are linear, so the product is not linear")
    if type(ct) is Zero:
        return [None, None]
    if is_undefined(x):
        return [unbroadcast(mul(ct, y), x.aval), None]
    return [None, unbroadcast(mul(x, ct), y.aval)]


mul_p.transpose = _mul_transpose

neg_p = elementwise('neg', np.negative, 1, NUMERIC, _py_codegen('(-{})'), weak_rule=first_weak)
deflinear(neg_p, lambda ct, x: [neg(ct)])


def _div_impl(x, y):
    if np.result_type(x, y).kind in 'iu':
        # integer division rounds toward zero, as in C and XLA
        q = np.floor_divide(x, y)
        return np.where((np.remainder(x, y) != 0) & ((x < 0) != (y < 0)), q + 1, q).astype(
            np.result_type(x, y))
    return np.true_divide(x, y)


div_p = elementwise('div', _div_impl, 2, NUMERIC)
div_p.codegen = lambda x, y, **p: f"({x} / {y})"
defjvp(div_p, lambda g, ans, x, y: div(g, y),
       lambda g, ans, x, y: mul(neg(g), div(ans, y)))


def _div_transpose(ct, x, y):
    if is_undefined(y):
        raise TypeError("div is only linear in its numerator")
    if type(ct) is Zero:
        return [None, None]
    return [unbroadcast(div(ct, y), x.aval), None]


div_p.transpose = _div_transpose


# --- Unary functions -----------------------------------------------------------------------

def unary(name, impl, jvp_rule, kinds=INEXACT, np_name=None):
    prim = elementwise(name, impl, 1, kinds, _np_codegen(np_name or impl.__name__),
                       weak_rule=first_weak)
    if jvp_rule is None:
        defjvp_zero(prim)
    else:
        defjvp(prim, jvp_rule)
    return prim


sin_p = unary('sin', np.sin, lambda g, ans, x: mul(g, cos(x)))
cos_p = unary('cos', np.cos, lambda g, ans, x: neg(mul(g, sin(x))))
tan_p = unary('tan', np.tan, lambda g, ans, x: mul(g, add(1, mul(ans, ans))))
exp_p = unary('exp', np.exp, lambda g, ans, x: mul(g, ans))
log_p = unary('log', np.log, lambda g, ans, x: div(g, x))
log1p_p = unary('log1p', np.log1p, lambda g, ans, x: div(g, add(x, 1)))
expm1_p = unary('expm1', np.expm1, lambda g, ans, x: mul(g, add(ans, 1)))
tanh_p = unary('tanh', np.tanh, lambda g, ans, x: mul(add(g, mul(g, ans)), sub(1, ans)))
sqrt_p = unary('sqrt', np.sqrt, lambda g, ans, x: mul(g, div(0.5, ans)))


def _logistic_impl(x):
    return sp.expit(x)


logistic_p = unary('logistic', _logistic_impl,
                   lambda g, ans, x: mul(g, mul(ans, sub(1, ans))), np_name='_expit')
logistic_p.codegen = None  # impl is bound directly in generated code


def _sign_impl(x):
    return np.sign(x)


sign_p = unary('sign', _sign_impl, None, NUMERIC, np_name='sign')
floor_p = unary('floor', np.floor, None, FLOAT)
ceil_p = unary('ceil', np.ceil, None, FLOAT)


def _abs_jvp(g, ans, x):
    if dtypes.is_complex(get_aval(x).dtype):
        # d|z| = Re(conj(z) dz) / |z|
        return div(real(mul(conj(x), g)), _select_nonzero(ans))
    return mul(g, sign(x))


def _select_nonzero(ans):
    return ans


abs_p = elementwise('abs', np.abs, 1, NUMERIC, _np_codegen('abs'), weak_rule=first_weak,
                    result_dtype=lambda d, **p: dtypes.real_dtype(d))
abs_p.weak_type_rule = first_weak
defjvp(abs_p, _abs_jvp)


# --- Complex parts -------------------------------------------------------------------------

def _real_dtype(d, **params):
    return dtypes.real_dtype(d)


real_p = elementwise('real', np.real, 1, INEXACT, _np_codegen('real'),
                     result_dtype=_real_dtype, weak_rule=first_weak)
deflinear(real_p, lambda ct, x: [complex_(ct, zeros_like_real(ct))])
imag_p = elementwise('imag', np.imag, 1, INEXACT, _np_codegen('imag'),
                     result_dtype=_real_dtype, weak_rule=first_weak)
deflinear(imag_p, lambda ct, x: [complex_(zeros_like_real(ct), neg(ct))])
conj_p = elementwise('conj', np.conjugate, 1, INEXACT, _np_codegen('conjugate'),
                     weak_rule=first_weak)
deflinear(conj_p, lambda ct, x: [conj(ct)])


def _complex_impl(x, y):
    return np.asarray(x + 1j * y, dtypes.complex_dtype(np.result_type(x, y)))


complex_p = elementwise('complex', _complex_impl, 2, FLOAT,
                        result_dtype=lambda d, **p: dtypes.complex_dtype(d))
complex_p.weak_type_rule = all_weak
deflinear(complex_p, lambda ct, x, y: [unbroadcast(real(ct), x.aval) if is_undefined(x) else None,
                                       unbroadcast(neg(imag(ct)), y.aval) if is_undefined(y) else None])


def zeros_like_real(x):
    # a strong zero, so that real/imag transposes give strong cotangents (as JAX does)
    from .._array import Array
    return Array(np.zeros((), get_aval(x).dtype))


# --- Comparisons and selection -------------------------------------------------------------

def comparison(name, impl, op):
    prim = elementwise(name, impl, 2, ANY, _py_codegen('({} ' + op + ' {})'),
                       result_dtype=_bool_result)
    defjvp_zero(prim)
    return prim


eq_p = comparison('eq', np.equal, '==')
ne_p = comparison('ne', np.not_equal, '!=')
lt_p = comparison('lt', np.less, '<')
le_p = comparison('le', np.less_equal, '<=')
gt_p = comparison('gt', np.greater, '>')
ge_p = comparison('ge', np.greater_equal, '>=')


def _balanced_eq(x, z, y):
    # derivative of max/min split equally on ties, as JAX does
    return div(select_n(eq(x, z), zeros_like_real_full(z), ones_like_real_full(z)),
               select_n(eq(y, z), ones_like_real_full(z), ones_like_real_full(z) * 2))


def zeros_like_real_full(z):
    return mul(z, 0)


def ones_like_real_full(z):
    return add(mul(z, 0), 1)


max_p = elementwise('max', np.maximum, 2, ANY, _np_codegen('maximum'))
defjvp(max_p, lambda g, ans, x, y: mul(g, _balanced_eq(x, ans, y)),
       lambda g, ans, x, y: mul(g, _balanced_eq(y, ans, x)))
min_p = elementwise('min', np.minimum, 2, ANY, _np_codegen('minimum'))
defjvp(min_p, lambda g, ans, x, y: mul(g, _balanced_eq(x, ans, y)),
       lambda g, ans, x, y: mul(g, _balanced_eq(y, ans, x)))


def _select_n_impl(which, *cases):
    if len(cases) == 2:
        return np.where(which, cases[1], cases[0])
    return np.choose(np.asarray(which, np.int32), cases)


def _select_n_abstract_eval(which, *cases):
    if which.dtype.kind not in 'biu':
        raise TypeError(f"select_n: the selector must be boolean or integer, got "
                        f"{which.dtype.name}")
    if not cases:
        raise TypeError("select_n needs at least one case")
    shape = broadcast_shapes('select_n', which.shape, *[c.shape for c in cases])
    dtype = _out_dtype('select_n', cases)
    return ShapedArray(shape, dtype, all(c.weak_type for c in cases))


select_n_p = Primitive('select_n')
select_n_p.impl = _select_n_impl
select_n_p.abstract_eval = _select_n_abstract_eval
select_n_p.weak_type_rule = lambda args, params: all(
    (type(a) in (float, int, complex)) or getattr(a, 'weak_type', False) for a in args[1:])
select_n_p.batch = broadcasting_batcher(select_n_p)
select_n_p.codegen = lambda w, *cs, **p: (f"xp.where({w}, {cs[1]}, {cs[0]})" if len(cs) == 2
                                          else None)


def _select_n_jvp(primals, tangents):
    which, *cases = primals
    ans = select_n(which, *cases)
    if all(type(t) is Zero for t in tangents[1:]):
        return ans, Zero(primal=ans)
    ts = [_bcast_tangent(_instantiate_like(t, ans), ans) for t in tangents[1:]]
    return ans, select_n(which, *ts)


def _instantiate_like(t, ans):
    if type(t) is Zero:
        return zeros_like_real_full(ans) if False else _ops['zeros'](t.aval)
    return t


def _select_n_transpose(ct, which, *cases):
    if is_undefined(which):
        raise TypeError("select_n is not linear in its selector")
    if type(ct) is Zero:
        return [None] * (len(cases) + 1)
    zeros = mul(ct, 0)
    outs = [None]
    for i, c in enumerate(cases):
        if is_undefined(c):
            picked = select_n(eq(which, i) if len(cases) > 2 else
                              (which if i == 1 else not_(which)), zeros, ct)
            outs.append(unbroadcast(picked, c.aval))
        else:
            outs.append(None)
    return outs


select_n_p.jvp = _select_n_jvp
select_n_p.transpose = _select_n_transpose


# --- Logical -------------------------------------------------------------------------------

not_p = elementwise('not', lambda x: np.logical_not(x) if x.dtype == bool else np.invert(x),
                    1, INTLIKE, weak_rule=first_weak)
defjvp_zero(not_p)
and_p = elementwise('and', np.bitwise_and, 2, INTLIKE, _py_codegen('({} & {})'))
defjvp_zero(and_p)
or_p = elementwise('or', np.bitwise_or, 2, INTLIKE, _py_codegen('({} | {})'))
defjvp_zero(or_p)
xor_p = elementwise('xor', np.bitwise_xor, 2, INTLIKE, _py_codegen('({} ^ {})'))
defjvp_zero(xor_p)


# --- Powers --------------------------------------------------------------------------------

def _integer_pow_impl(x, y):
    if y == 2:
        return x * x
    if y == 3:
        return x * (x * x)
    return np.power(x, y) if y >= 0 else np.asarray(1, x.dtype) / np.power(x, -y)


integer_pow_p = elementwise('integer_pow', _integer_pow_impl, 1, NUMERIC,
                            weak_rule=first_weak)


def _integer_pow_jvp(g, ans, x, y):
    if y == 0:
        return mul(g, 0)
    if y == 1:
        return g
    if y == 2:
        return mul(g, mul(2, x))
    return mul(g, mul(y, integer_pow(x, y - 1)))


defjvp(integer_pow_p, _integer_pow_jvp)
integer_pow_p.codegen = lambda x, y: (f"({x} * {x})" if y == 2 else None)


def _pow_impl(x, y):
    return np.power(x, y)


pow_p = elementwise('pow', _pow_impl, 2, INEXACT, _np_codegen('power'))


def _pow_jvp_x(g, ans, x, y):
    return mul(g, mul(y, pow(x, sub(y, 1))))


def _pow_jvp_y(g, ans, x, y):
    # d/dy x**y = log(x) x**y, defined as 0 where x == 0
    logx = log(select_n(eq(x, 0), x, ones_like_real_full(x)))
    return mul(g, mul(logx, ans))


defjvp(pow_p, _pow_jvp_x, _pow_jvp_y)


# --- Type conversion and stop_gradient ------------------------------------------------------

def _convert_impl(x, new_dtype, weak_type):
    if np.dtype(new_dtype).kind in 'iub' and np.result_type(x).kind in 'fc':
        x = np.real(x) if np.result_type(x).kind == 'c' else x
        with np.errstate(invalid='ignore'):
            return np.asarray(np.trunc(x)).astype(new_dtype)
    if np.dtype(new_dtype).kind in 'f' and np.result_type(x).kind == 'c':
        x = np.real(x)
    return np.asarray(x, new_dtype) if np.ndim(x) else np.asarray(x).astype(new_dtype)[()]


def _convert_abstract_eval(x, new_dtype, weak_type):
    return ShapedArray(x.shape, new_dtype, weak_type)


convert_element_type_p = Primitive('convert_element_type')
convert_element_type_p.impl = _convert_impl
convert_element_type_p.abstract_eval = _convert_abstract_eval
convert_element_type_p.weak_type_rule = lambda args, params: params['weak_type']
convert_element_type_p.codegen = None


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

stop_gradient_p = Primitive('stop_gradient')
stop_gradient_p.impl = lambda x: x
stop_gradient_p.abstract_eval = lambda x: x
stop_gradient_p.weak_type_rule = first_weak
stop_gradient_p.codegen = lambda x: x
defjvp_zero(stop_gradient_p)
stop_gradient_p.batch = lambda axis, vals, dims: (stop_gradient_p.bind(vals[0]), dims[0])


# --- User-facing lax functions -------------------------------------------------------------

def add(x, y):
    """Elementwise ``x + y`` (``lax.add``)."""
    return add_p.bind(x, y)


def sub(x, y):
    """Elementwise ``x - y``."""
    return sub_p.bind(x, y)


def mul(x, y):
    """Elementwise ``x * y``."""
    return mul_p.bind(x, y)


def div(x, y):
    """Elementwise ``x / y`` (integer division rounds toward zero)."""
    return div_p.bind(x, y)


def neg(x):
    return neg_p.bind(x)


def sin(x):
    return sin_p.bind(x)


def cos(x):
    return cos_p.bind(x)


def tan(x):
    return tan_p.bind(x)


def exp(x):
    return exp_p.bind(x)


def log(x):
    return log_p.bind(x)


def log1p(x):
    return log1p_p.bind(x)


def expm1(x):
    return expm1_p.bind(x)


def tanh(x):
    return tanh_p.bind(x)


def sqrt(x):
    return sqrt_p.bind(x)


def logistic(x):
    return logistic_p.bind(x)


def sign(x):
    return sign_p.bind(x)


def floor(x):
    return floor_p.bind(x)


def ceil(x):
    return ceil_p.bind(x)


def abs(x):
    return abs_p.bind(x)


def real(x):
    return real_p.bind(x)


def imag(x):
    return imag_p.bind(x)


def conj(x):
    return conj_p.bind(x)


def complex_(x, y):
    return complex_p.bind(x, y)


def eq(x, y):
    return eq_p.bind(x, y)


def ne(x, y):
    return ne_p.bind(x, y)


def lt(x, y):
    return lt_p.bind(x, y)


def le(x, y):
    return le_p.bind(x, y)


def gt(x, y):
    return gt_p.bind(x, y)


def ge(x, y):
    return ge_p.bind(x, y)


def max(x, y):
    return max_p.bind(x, y)


def min(x, y):
    return min_p.bind(x, y)


def select_n(which, *cases):
    """``cases[which]`` elementwise: ``which`` is a bool (two cases) or int array."""
    return select_n_p.bind(which, *cases)


def not_(x):
    return not_p.bind(x)


def and_(x, y):
    return and_p.bind(x, y)


def or_(x, y):
    return or_p.bind(x, y)


def xor(x, y):
    return xor_p.bind(x, y)


bitwise_and, bitwise_or, bitwise_xor, bitwise_not = and_, or_, xor, not_


def integer_pow(x, y):
    """``x ** y`` for a static Python int ``y``."""
    return integer_pow_p.bind(x, y=int(y))


def pow(x, y):
    return pow_p.bind(x, y)


def convert_element_type(x, new_dtype, weak_type=False):
    """``x`` as ``new_dtype`` (canonicalised); a no-op when nothing changes."""
    new_dtype = dtypes.canonicalize_dtype(new_dtype)
    aval = get_aval(x)
    if aval.dtype == new_dtype and aval.weak_type == weak_type and type(x) not in (
            float, int, complex, bool):
        return x
    return convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=bool(weak_type))


def stop_gradient(x):
    """The identity whose derivative is zero: hides ``x``'s dependence on its inputs.

    >>> grad(lambda x: x * stop_gradient(x))(3.)   # 3.0, not 6.0
    """
    from ..tree_util import tree_map
    return tree_map(lambda v: stop_gradient_p.bind(v), x)
