"""The jaxpr printer, in the format ``make_jaxpr`` shows (the seed's format)::

    { lambda ; a:f32[]. let
        b:f32[] = exp a
        c:f32[] = add 1.0 b
      in (c,) }

A jaxpr that fits in 80 columns prints on one line with ``;`` between equations.
"""
import numpy as np

WIDTH = 80


class _Namer:
    def __init__(self):
        self.names = {}

    def __call__(self, var):
        name = self.names.get(var)
        if name is None:
            name = self.names[var] = _base26(len(self.names))
        return name


def _base26(n):
    """0 -> 'a', 25 -> 'z', 26 -> 'ba': base 26 with 'a' as the zero digit."""
    s = ''
    while True:
        s = chr(ord('a') + n % 26) + s
        n //= 26
        if n == 0:
            return s


def _literal(lit):
    val = lit.val
    if hasattr(val, 'item'):
        val = val.item() if np.ndim(val) == 0 else val
    return str(val) if np.ndim(val) == 0 else '[...]'


def _atom(a, name):
    from .jaxpr import Literal
    return _literal(a) if type(a) is Literal else name(a)


def _param_str(v, name, indent):
    from .jaxpr import Jaxpr, ClosedJaxpr
    if isinstance(v, ClosedJaxpr):
        v = v.jaxpr
    if isinstance(v, Jaxpr):
        return _pp(v, name, indent + 4, used=None)
    if isinstance(v, (tuple, list)) and v and all(isinstance(x, (Jaxpr, ClosedJaxpr)) for x in v):
        inner = '\n'.join(' ' * (indent + 2) + _param_str(x, name, indent + 2) for x in v)
        return '(\n' + inner + '\n' + ' ' * indent + ')'
    if isinstance(v, np.dtype):
        return v.name
    if isinstance(v, type) and issubclass(v, np.generic):
        return np.dtype(v).name
    if callable(v) and hasattr(v, '__name__'):
        return v.__name__
    return str(v)


def _eqn(eqn, name, indent, used):
    outs = ' '.join(
        ('_' if used is not None and v not in used else name(v)) + ':' + v.aval.str_short()
        for v in eqn.outvars)
    head = f"{outs} = " if outs else ''
    params = ''
    if eqn.params:
        # a primitive may list its parameters in a reading order (jit: name first)
        order = getattr(eqn.prim, 'param_order', None)
        keys = sorted(eqn.params, key=lambda k: (order.index(k) if k in order else len(order),
                                                 k)) if order else sorted(eqn.params)
        items = [f"{k}={_param_str(eqn.params[k], name, indent)}" for k in keys]
        one_line = ' '.join(items)
        ins = ' '.join(_atom(a, name) for a in eqn.invars)
        width = indent + len(head) + len(eqn.prim.name) + len(one_line) + len(ins) + 3
        if '\n' in one_line or width > WIDTH:  # one parameter per line, as JAX prints
            pad = ' ' * (indent + 2)
            params = '[\n' + '\n'.join(pad + it for it in items) + '\n' + ' ' * indent + ']'
        else:
            params = '[' + one_line + ']'
    ins = ' '.join(_atom(a, name) for a in eqn.invars)
    return f"{head}{eqn.prim.name}{params}{' ' if ins else ''}{ins}"


def _pp(jaxpr, name, indent, used):
    binders = lambda vs: ' '.join(f"{name(v)}:{v.aval.str_short()}" for v in vs)
    consts = binders(jaxpr.constvars)
    invars = binders(jaxpr.invars)
    eqns = [_eqn(e, name, indent + 4, used) for e in jaxpr.eqns]
    outs = ', '.join(_atom(a, name) for a in jaxpr.outvars)
    outs = f"({outs},)" if len(jaxpr.outvars) == 1 else f"({outs})"
    head = f"{{ lambda {consts}; {invars}. let" if consts else f"{{ lambda ; {invars}. let"
    one_line = f"{head} {'; '.join(eqns)} in {outs} }}" if eqns else f"{head}  in {outs} }}"
    if '\n' not in one_line and len(one_line) + indent <= WIDTH:
        return one_line
    body = '\n'.join(' ' * (indent + 4) + e for e in eqns)
    return f"{head}\n{body}\n{' ' * (indent + 2)}in {outs} }}"


def pp_jaxpr(jaxpr):
    """The jaxpr as text.  Unused outputs of top-level equations print as ``_``."""
    used = set()
    from .jaxpr import Var
    for e in jaxpr.eqns:
        used.update(a for a in e.invars if type(a) is Var)
    used.update(a for a in jaxpr.outvars if type(a) is Var)
    return _pp(jaxpr, _Namer(), 0, used)
