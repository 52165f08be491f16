"""Float32 kernels that reproduce XLA:CPU's arithmetic bit for bit.

pullback's random numbers must be bit-identical to JAX 0.10.2 (``jax.random.normal`` goes
through ``lax.erf_inv`` -> ``log1p`` -> ``log``).  XLA:CPU does not call libm for these functions:
it emits its own polynomial / rational approximations, LLVM contracts ``a*b + c`` into fused
multiply-adds, and the CPU runs with flush-to-zero / denormals-are-zero.  NumPy's own ``np.log1p``
or a float64-then-round evaluation differs from XLA in the last bit on a few percent of inputs, so
every kernel here is an explicit, vectorised NumPy port of the *algorithm* (not the code) that XLA
executes, as documented in ``shared/reference/jax-numerics.md`` (sections 1.8 and 4.2):

* :func:`fma32`     -- correctly rounded float32 fused multiply-add (``vfmadd``).
* :func:`log32`     -- Eigen/Cephes ``plog`` as emitted by XLA:CPU (section 1.8).
* :func:`log1p32`   -- XLA's ``log1p`` intrinsic: Cephes rational form near 0, else ``log(1+x)``.
* :func:`erf_inv32` -- StableHLO's ``chlo.erf_inv`` expansion (Giles' approximation).
* :func:`exp32`     -- XLA:CPU's Cephes-style ``exp`` (section 4.2).
* :func:`tanh32`    -- Eigen's rational ``tanh`` (section 4.2).

All functions take array-likes (converted to float32) and return float32 ``np.ndarray``s of the
broadcast shape.  NaN results are NaN, but their payload/sign bits are not reproduced.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["fma32", "ftz32", "log32", "log1p32", "erf_inv32", "exp32", "tanh32"]

_F32 = np.float32
_F64 = np.float64
_FLT_MIN = _F32(np.finfo(np.float32).tiny)  # smallest normal float32, 1.1754944e-38

# float64 bit patterns used by fma32's fast midpoint test.
_LOW29 = np.uint64(0x1FFFFFFF)              # float64 mantissa bits below float32 precision
_HALF_ULP32 = np.uint64(0x10000000)         # ...pattern of an exact float32 rounding midpoint
_TINY2 = np.uint64(0x3810000000000000 << 1)  # (bits of 2^-126) << 1, sign bit shifted out
_ONE64 = np.uint64(1)
_TWO150 = _F64(2.0 ** 150)


def _f32(x):
    return np.asarray(x, dtype=np.float32)


def _unary(kernel):
    """Run a float32 kernel on a >= 1-d array (so masks and views behave), keep the shape."""
    @functools.wraps(kernel)
    def wrapper(x):
        x = _f32(x)
        if x.ndim == 0:
            return kernel(x.reshape(1)).reshape(())
        return kernel(x)
    return wrapper


# ---------------------------------------------------------------------------------------------
# fused multiply-add
# ---------------------------------------------------------------------------------------------

def fma32(a, b, c):
    """Correctly rounded float32 fused multiply-add ``round32(a*b + c)``.

    Reproduces the ``vfmadd`` instructions that XLA:CPU emits (explicit FMAs in its math
    intrinsics, and LLVM's contraction of ``a*b + c``); without it the random normals and
    uniforms with a custom range differ from JAX in the last bit.

    Algorithm: the product of two float32 values is exact in float64 (48 <= 53 significand
    bits), so ``s = fl64(a*b + c)`` has a single float64 rounding.  Rounding ``s`` again to
    float32 is correct unless ``s`` lands exactly on a float32 rounding midpoint (double
    rounding); only then is the exact TwoSum error term ``e = (a*b + c) - s`` consulted and ``s``
    nudged one float64 ulp towards the exact value before the final rounding.  The midpoint test
    is a bit-pattern check done on the whole array; the exact repair runs only on the (rare)
    suspect elements, so the cost is a handful of vectorised passes.

    IEEE semantics, including subnormal inputs and results (no flush-to-zero; the callers
    decide where XLA's FTZ/DAZ matters -- see :func:`ftz32`).
    """
    a = _f32(a)
    b = _f32(b)
    c = _f32(c)
    if a.ndim == 0 and b.ndim == 0 and c.ndim == 0:
        return fma32(a.reshape(1), b, c).reshape(())
    with np.errstate(all="ignore"):
        p = a.astype(_F64) * b                        # exact
        s = np.asarray(p + c, dtype=_F64)             # one rounding (float64)
        u = s.view(np.uint64)
        suspect = (u & _LOW29) == _HALF_ULP32         # float32 midpoint pattern (normal range)
        tiny = ((u << _ONE64) - _ONE64) < (_TINY2 - _ONE64)  # 0 < |s| < 2^-126: coarser grid
        suspect |= tiny
        out = s.astype(_F32)
        if suspect.any():
            idx = np.nonzero(suspect)
            pb = (p if p.shape == s.shape else np.broadcast_to(p, s.shape))[idx]
            cb = np.broadcast_to(c, s.shape)[idx].astype(_F64)
            ss = s[idx]
            # exact TwoSum error term: ss + e == pb + cb exactly
            bb = ss - pb
            e = (pb - (ss - bb)) + (cb - bb)
            inexact = (e != 0.0) & np.isfinite(ss)   # e == 0: s is exact, RN32(s) is right
            if inexact.any():
                sel = np.nonzero(inexact)
                ss, e, tn = ss[sel], e[sel], tiny[idx][sel]
                # in the subnormal float32 range a midpoint is an odd multiple of 2^-150
                t = ss * _TWO150
                odd = (np.floor(t) == t) & (np.floor(t * 0.5) * 2.0 != t)
                is_mid = np.where(tn, odd, True)
                nudged = np.nextafter(ss, np.where(e > 0.0, np.inf, -np.inf))
                fixed = np.where(is_mid, nudged, ss).astype(_F32)
                out[tuple(ix[sel] for ix in idx)] = fixed
    return out


def _fma_kernel(a, b, c):
    """The FMA inside the log/log1p/erf_inv kernels: one float64 multiply-add rounded to
    float32.  The float32 product is exact in float64, so only a float64 sum landing exactly
    on a float32 rounding boundary could round differently from a true FMA; the kernels'
    results are checked bit for bit against JAX (every possible ``random.normal`` value, and
    random inputs) in tests/test_xla_kernels.py.  It is about ten times cheaper than
    :func:`fma32`, which the kernels would otherwise call some thirty times per array."""
    return np.asarray(np.asarray(a, _F64) * b + c, dtype=_F32)


# ---------------------------------------------------------------------------------------------
# flush-to-zero helpers
# ---------------------------------------------------------------------------------------------

def ftz32(x):
    """Flush float32 subnormals to (signed) zero, as XLA:CPU's FTZ/DAZ mode does.

    XLA:CPU runs with the MXCSR flush-to-zero and denormals-are-zero bits set, so subnormal
    operands of an arithmetic instruction read as zero and subnormal results become zero.
    """
    x = _f32(x)
    with np.errstate(invalid="ignore"):
        sub = np.abs(x) < _FLT_MIN
    if sub.any():
        x = np.where(sub, np.copysign(_F32(0.0), x), x)
    return x


# ---------------------------------------------------------------------------------------------
# log
# ---------------------------------------------------------------------------------------------

_SQRTHF = _F32(0.707106781186547524)
_LOG_P = tuple(_F32(v) for v in (
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
    -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1))
_LOG_Q1 = _F32(-2.12194440e-4)
_LOG_Q2 = _F32(0.693359375)
_HALF = _F32(0.5)
_ONE = _F32(1.0)


def _log32_core(v):
    """XLA:CPU float32 log of a float32 array ``v`` (DAZ already applied)."""
    with np.errstate(all="ignore"):
        vc = np.maximum(v, _FLT_MIN)                  # clamp up to the smallest normal
        bits = vc.view(np.uint32)
        m = ((bits & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000)).view(_F32)  # [0.5, 1)
        e = ((bits >> np.uint32(23)).astype(np.int32) - 127).astype(_F32) + _ONE
        small = m < _SQRTHF
        x = m - _ONE
        x = np.where(small, x + m, x)                 # (m - 1) + m
        e = np.where(small, e - _ONE, e)
        x2 = x * x
        x3 = x2 * x
        p = _LOG_P
        y = _fma_kernel(_fma_kernel(x, p[0], p[1]), x, p[2])
        y1 = _fma_kernel(_fma_kernel(x, p[3], p[4]), x, p[5])
        y2 = _fma_kernel(_fma_kernel(x, p[6], p[7]), x, p[8])
        y = _fma_kernel(y, x3, y1)
        y = _fma_kernel(y, x3, y2)
        y = _fma_kernel(y, x3, e * _LOG_Q1)                 # LLVM's contraction order (not Eigen's)
        r = _fma_kernel(-x2, _HALF, x) + y
        r = _fma_kernel(e, _LOG_Q2, r)
        r = np.where(v < 0, _F32(np.nan), r)
        r = np.where(v == 0, _F32(-np.inf), r)
        r = np.where(v == np.inf, _F32(np.inf), r)
        r = np.where(np.isnan(v), v, r)
    return r.astype(_F32, copy=False)


@_unary
def log32(x):
    """Float32 natural log exactly as XLA:CPU computes it (bit-exact with ``jax.lax.log``).

    Reproduces Eigen/Cephes ``plog`` as emitted by XLA:CPU: mantissa/exponent split with the
    ``sqrt(1/2)`` range reduction, three FMA chains for the degree-8 polynomial, LLVM's FMA
    contraction order for the ``e * -2.12194440e-4`` term, and a two-constant ``ln 2``.
    Subnormal inputs read as zero (DAZ) and give ``-inf``; negative inputs give NaN.
    Needed so that ``log1p`` (and therefore ``erf_inv`` and ``random.normal``) is bit-exact.
    """
    return _log32_core(ftz32(x))


# ---------------------------------------------------------------------------------------------
# log1p
# ---------------------------------------------------------------------------------------------

_LOG1P_THRESH = _F32(0.41421357)  # float32(sqrt(2) - 1)
_LOG1P_N = tuple(_F32(v) for v in (
    4.5270000862445199635215e-5, 0.49854102823193375972212, 6.5787325942061044846969,
    29.911919328553073277375, 60.949667980987787057556, 57.112963590585538103336,
    20.039553499201281259648))
_LOG1P_D = tuple(_F32(v) for v in (
    1.0, 15.062909083469192043167, 83.047565967967209469434, 221.76239823732856465394,
    309.09872225312059774938, 216.42788614495947685003, 60.118660497603843919306))
_NEG_HALF = _F32(-0.5)


def _log1p_small(x):
    """Cephes rational branch of XLA's log1p for |x| < sqrt(2)-1 (x already DAZ'ed)."""
    with np.errstate(all="ignore"):
        n = np.full(x.shape, _LOG1P_N[0], dtype=_F32)   # fma(0, x, c0) == c0
        for c in _LOG1P_N[1:]:
            n = _fma_kernel(n, x, c)
        d = np.full(x.shape, _LOG1P_D[0], dtype=_F32)
        for c in _LOG1P_D[1:]:
            d = _fma_kernel(d, x, c)
        x2 = ftz32(x * x)
        x3 = ftz32(x * x2)
        r = ftz32(x3 * (n / d))
        return x + _fma_kernel(x2, _NEG_HALF, r)


def _log1p32_core(x):
    with np.errstate(all="ignore"):
        small = np.abs(x) < _LOG1P_THRESH
        out = np.empty(x.shape, dtype=_F32)
        if small.all():
            return _log1p_small(x)
        if not small.any():
            return _log32_core(ftz32(x + _ONE))
        xs = x[small]
        out[small] = _log1p_small(xs)
        big = ~small
        out[big] = _log32_core(ftz32(x[big] + _ONE))
    return out


@_unary
def log1p32(x):
    """Float32 ``log(1 + x)`` exactly as XLA:CPU computes it (bit-exact with ``jax.lax.log1p``).

    Reproduces XLA's CPU ``log1p`` intrinsic: for ``|x| < 0.41421357`` Cephes' rational form
    ``x + fma(x^2, -0.5, (x*x^2) * (N(x)/D(x)))`` with degree-6 FMA-Horner polynomials N, D;
    otherwise :func:`log32` of ``1 + x``.  Subnormal inputs read as zero (DAZ).
    This is the first stage of ``erf_inv`` and hence of ``jax.random.normal``; ``np.log1p``
    differs from XLA on about 0.7% of the normal samples.
    """
    x = ftz32(x)
    return _log1p32_core(x)


# ---------------------------------------------------------------------------------------------
# erf_inv
# ---------------------------------------------------------------------------------------------

_ERFINV_SMALL = tuple(_F32(v) for v in (
    2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
    -0.00125372503, -0.00417768164, 0.246640727, 1.50140941))
_ERFINV_LARGE = tuple(_F32(v) for v in (
    -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
    -0.0076224613, 0.00943887047, 1.00167406, 2.83297682))


@_unary
def erf_inv32(x):
    """Float32 inverse error function exactly as JAX/XLA:CPU computes it (``jax.lax.erf_inv``).

    Reproduces StableHLO's ``chlo.erf_inv`` float32 expansion (Giles' single-precision
    approximation), which XLA:CPU then compiles with FMAs: ``w = -log1p(x * -x)``; for
    ``w < 5`` ``t = w - 2.5``, else ``t = sqrt(w) - 3``; the two coefficient sets are selected per
    element and evaluated by FMA Horner; the result is ``p * x``, with ``|x| == 1`` giving
    ``x * inf``.  ``jax.random.normal`` is ``sqrt(2) * erf_inv(u)``, so this kernel is what
    makes pullback's normal samples bit-identical to JAX's.
    """
    x = ftz32(x)
    with np.errstate(all="ignore"):
        w = -_log1p32_core(ftz32(x * -x))
        lt = w < _F32(5.0)
        t = np.where(lt, w - _F32(2.5), np.sqrt(w) - _F32(3.0))
        if lt.all():
            coeffs = _ERFINV_SMALL
        elif not lt.any():
            coeffs = _ERFINV_LARGE
        else:
            coeffs = [np.where(lt, cs, cl) for cs, cl in zip(_ERFINV_SMALL, _ERFINV_LARGE)]
        p = np.broadcast_to(np.asarray(coeffs[0], dtype=_F32), t.shape)
        for c in coeffs[1:]:
            p = _fma_kernel(p, t, c)
        r = p * x
        r = np.where(np.abs(x) == _ONE, x * _F32(np.inf), r)
    return ftz32(r)


# ---------------------------------------------------------------------------------------------
# exp, tanh (section 4.2)
# ---------------------------------------------------------------------------------------------

_EXP_LO = _F32(-87.8)
_EXP_HI = _F32(88.8)
_LOG2E = _F32(1.442695)
_EXP_C1 = _F32(0.693359375)
_EXP_C2 = _F32(-2.12194440e-4)
_EXP_P = tuple(_F32(v) for v in (
    1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 0.5))


@_unary
def exp32(x):
    """Float32 ``exp`` exactly as XLA:CPU computes it (``jax.lax.exp``).

    Reproduces XLA:CPU's Cephes-style kernel: clamp to ``[-87.8, 88.8]``,
    ``n = floor(fma(x, log2(e), 0.5))`` clamped to ``[-127, 127]``, two-constant Cody-Waite
    reduction with FMAs, a degree-5 FMA-Horner polynomial, and scaling by ``2^n`` built from the
    exponent bits.  Subnormal results are flushed to zero (FTZ), as on XLA:CPU.
    """
    x = ftz32(x)
    with np.errstate(all="ignore"):
        xc = np.minimum(np.maximum(x, _EXP_LO), _EXP_HI)
        n = np.floor(fma32(xc, _LOG2E, _HALF))
        n = np.minimum(np.maximum(n, _F32(-127.0)), _F32(127.0))
        r = fma32(-n, _EXP_C1, xc)
        r = fma32(-n, _EXP_C2, r)
        y = fma32(r, _EXP_P[0], _EXP_P[1])
        for c in _EXP_P[2:]:
            y = fma32(y, r, c)
        y = fma32(y, r * r, r) + _ONE
        ni = np.nan_to_num(n, nan=0.0).astype(np.int32)
        two_n = ((ni + 127).astype(np.uint32) << np.uint32(23)).view(_F32)
        out = ftz32(y * two_n)
        out = np.where(np.isnan(x), x, out)
    return out.astype(_F32, copy=False)


_TANH_CLAMP = np.uint32(0x40FFF644).view(_F32)  # 7.9988117
_TANH_ALPHA = tuple(_F32(v) for v in (
    -2.76076837e-16, 2.00018794e-13, -8.60467184e-11, 5.12229725e-08, 1.48572235e-05,
    6.37261954e-04, 4.89352457e-03))
_TANH_BETA = tuple(_F32(v) for v in (1.19825836e-06, 1.18534706e-04, 2.26843474e-03,
                                      4.89352504e-03))


@_unary
def tanh32(x):
    """Float32 ``tanh`` exactly as XLA:CPU computes it (``jax.lax.tanh``).

    Reproduces Eigen's 13/6 rational approximation as XLA:CPU emits it: clamp to ``±7.9988117``,
    FMA-Horner numerator ``x * P(x^2)`` and denominator ``Q(x^2)``, one division; ``|x| < 4e-4``
    returns ``x`` unchanged (a select, so even subnormal inputs pass through) and
    ``|x| >= 20`` returns ``sign(x)``.
    """
    x = _f32(x)
    xd = ftz32(x)
    with np.errstate(all="ignore"):
        xc = np.minimum(np.maximum(xd, -_TANH_CLAMP), _TANH_CLAMP)
        x2 = ftz32(xc * xc)
        p = fma32(x2, _TANH_ALPHA[0], _TANH_ALPHA[1])
        for c in _TANH_ALPHA[2:]:
            p = fma32(x2, p, c)
        num = xc * p
        q = fma32(x2, _TANH_BETA[0], _TANH_BETA[1])
        for c in _TANH_BETA[2:]:
            q = fma32(x2, q, c)
        r = num / q
        ax = np.abs(x)
        r = np.where(ax < _F32(4e-4), x, r)
        r = np.where(ax >= _F32(20.0), np.sign(x), r)
        r = np.where(np.isnan(x), x, r)
    return r.astype(_F32, copy=False)
