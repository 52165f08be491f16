"""vmap's interpreter: a batch tracer is a value with the position of its batch axis.

Each primitive's batching rule maps (values, batch dims) to (output, output batch dim);
``not_mapped`` (None) marks an operand that is the same for every batch member.  No rule
loops over the batch in Python.
"""
from .._core.core import Trace, Tracer, get_aval, _current_trace, check_foreign
from .._core.avals import ShapedArray
from .._core.rules import AxisData, not_mapped
from .._core.errors import ConcretizationTypeError


class BatchTracer(Tracer):
    __slots__ = ('val', 'bdim', '_aval')

    def __init__(self, trace, val, bdim):
        self._trace = trace
        self.val = val
        self.bdim = bdim
        self._aval = None

    @property
    def aval(self):
        """The aval of one batch member (computed once)."""
        aval = self._aval
        if aval is None:
            a = get_aval(self.val)
            if self.bdim is None:
                aval = a
            else:
                shape = a.shape[:self.bdim] + a.shape[self.bdim + 1:]
                aval = ShapedArray(shape, a.dtype, a.weak_type)
            self._aval = aval
        return aval


class BatchTrace(Trace):
    __slots__ = ('axis',)
    name = 'vmap'

    def __init__(self, parent, size, axis_name=None):
        super().__init__(parent)
        self.axis = AxisData(size, axis_name, self)

    def describe(self):
        return 'vmap'

    def process_primitive(self, prim, args, params):
        vals, dims, ours = [], [], False
        for x in args:
            if type(x) is BatchTracer and x._trace is self:
                vals.append(x.val)
                dims.append(x.bdim)
                ours = True
            else:
                check_foreign(x)
                vals.append(x)
                dims.append(not_mapped)
        token = _current_trace.set(self.parent)
        try:
            if not ours and not (prim.collective and params['axis_name'] == self.axis.name):
                return prim.bind(*vals, **params)
            if prim.batch is None:
                raise NotImplementedError(f"Batching rule for '{prim.name}' not implemented")
            out, out_dim = prim.batch(self.axis, vals, dims, **params)
        finally:
            _current_trace.reset(token)
        if prim.multiple_results:
            return [self.lift(o, d) for o, d in zip(out, out_dim)]
        return self.lift(out, out_dim)

    def lift(self, val, bdim):
        if bdim is None:
            return val
        return BatchTracer(self, val, bdim)

    def to_concrete(self, tracer, context):
        raise ConcretizationTypeError(tracer, context)

    def origin_message(self, tracer):
        return ("The value is batched by vmap: each batch member may take a different "
                "branch, so Python control flow cannot depend on it. Use jnp.where, "
                "lax.select or lax.cond instead.")


def batch_flat(fun, vals, dims, size, axis_name=None):
    """Run ``fun`` on batched flat inputs; returns (outputs, their batch dims)."""
    trace = BatchTrace(_current_trace.get(), size, axis_name)
    ins = [v if d is None else BatchTracer(trace, v, d) for v, d in zip(vals, dims)]
    token = _current_trace.set(trace)
    try:
        outs = fun(*ins)
    finally:
        _current_trace.reset(token)
        trace.alive = False
    res_vals, res_dims = [], []
    for o in outs:
        if type(o) is BatchTracer and o._trace is trace:
            res_vals.append(o.val)
            res_dims.append(o.bdim)
        else:
            res_vals.append(o)
            res_dims.append(not_mapped)
    return res_vals, res_dims
