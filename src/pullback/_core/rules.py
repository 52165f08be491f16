"""Helpers every primitive's rules share: symbolic zeros, ``defjvp``, ``deflinear``,
``UndefinedPrimal`` for transposition, ``not_mapped`` for batching.

Rule signatures (all rules are attributes of the ``Primitive``):

* ``impl(*ndarrays, **params) -> ndarray`` (a list if ``multiple_results``)
* ``abstract_eval(*avals, **params) -> aval`` (raises a clear TypeError/ValueError on bad
  input: it is also how eager mode explains a NumPy failure)
* ``jvp(primals, tangents, **params) -> (primal_out, tangent_out)``; tangents may be ``Zero``
* ``transpose(ct, *args, **params) -> cotangent per arg``: linear inputs arrive as
  ``UndefinedPrimal(aval)``; return ``None`` (or ``Zero``) for no contribution
* ``batch(axis, vals, dims, **params) -> (out, out_dim)``: ``dims[i]`` is the batch axis of
  ``vals[i]`` or ``not_mapped``; ``axis.size`` / ``axis.name`` describe the vmap
* ``codegen(*in_exprs, **params) -> str``: a NumPy expression for jit's generated code
  (optional: the default calls ``impl`` with the params bound)
"""
from .core import Zero, get_aval

not_mapped = None


class UndefinedPrimal:
    """A linear input of an equation being transposed: only its aval is known."""
    __slots__ = ('aval',)

    def __init__(self, aval):
        self.aval = aval

    def __repr__(self):
        return f"UndefinedPrimal({self.aval})"


def is_undefined(x):
    return type(x) is UndefinedPrimal


class AxisData:
    """What a batching rule knows about the vmapped axis."""
    __slots__ = ('size', 'name', 'trace')

    def __init__(self, size, name, trace=None):
        self.size = size
        self.name = name
        self.trace = trace


# ``lax`` fills these in: the primitives the generic rules need (add_any, zeros).
_ops = {}


def add_tangents(a, b):
    """Sum of two tangents, either of which may be a symbolic zero."""
    if type(a) is Zero:
        return b
    if type(b) is Zero:
        return a
    return _ops['add_any'](a, b)


def defjvp(prim, *rules, use_ans=True):
    """JVP from one rule per argument: ``rule(g, ans, *primals, **params)`` gives that
    argument's contribution; ``None`` means the output does not depend on it smoothly.

    >>> defjvp(sin_p, lambda g, ans, x: mul(g, cos(x)))
    """
    def jvp(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        out = None
        for rule, t in zip(rules, tangents):
            if rule is None or type(t) is Zero:
                continue
            c = rule(t, ans, *primals, **params)
            out = c if out is None else add_tangents(out, c)
        if out is None:
            out = Zero(primal=ans)
        return ans, out
    prim.jvp = jvp
    return jvp


def defjvp_zero(prim):
    """A piecewise-constant primitive (floor, sign, comparisons): its tangent is zero."""
    def jvp(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        if prim.multiple_results:
            return ans, [Zero(primal=a) for a in ans]
        return ans, Zero(primal=ans)
    prim.jvp = jvp
    return jvp


def deflinear(prim, transpose):
    """A primitive linear in all of its array arguments: the JVP applies it to the tangents
    (zeros made concrete only where some other tangent is not zero)."""
    def jvp(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        if all(type(t) is Zero for t in tangents):
            return ans, Zero(primal=ans)
        ts = [_instantiate(t) for t in tangents]
        return ans, prim.bind(*ts, **params)
    prim.jvp = jvp
    prim.transpose = transpose
    return jvp


def _instantiate(t):
    if type(t) is Zero:
        return _ops['zeros'](t.aval)
    return t


def instantiate_zeros(t):
    return _instantiate(t)


def aval_of(x):
    if type(x) is UndefinedPrimal:
        return x.aval
    return get_aval(x)
