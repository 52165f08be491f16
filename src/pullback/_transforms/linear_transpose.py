"""``linear_transpose``: the transpose of a function known to be linear, without a
linearization point."""
import numpy as np

from .._core.core import get_aval, Zero, instantiate
from .._core.avals import ShapedArray
from .._core.jaxpr import trace_to_jaxpr
from ..tree_util import tree_flatten, tree_unflatten
from .ad import backward_pass, to_array


def linear_transpose(fun, *primals, reduce_axes=()):
    """The transpose of the linear function ``fun``; ``primals`` give its input shapes and
    dtypes (arrays or ``ShapeDtypeStruct``s).  Returns ``f_t(ct) -> tuple of cotangents``.

    >>> f_t = linear_transpose(lambda x: 2. * x, 1.)
    >>> f_t(1.)
    (Array(2., dtype=float32, weak_type=True),)
    """
    leaves, in_tree = tree_flatten(primals)
    in_avals = [ShapedArray(np.shape(x), x.dtype, getattr(x, 'weak_type', False))
                if not hasattr(x, 'aval') and hasattr(x, 'dtype') else get_aval(x)
                for x in leaves]
    for a in in_avals:
        if a.dtype.kind not in 'fc':
            raise TypeError(f"linear_transpose only supports float and complex inputs, got "
                            f"{a.dtype.name}")
    out_tree = []

    def flat(*xs):
        out = fun(*tree_unflatten(in_tree, xs))
        outs, tree = tree_flatten(out)
        out_tree.append(tree)
        return outs
    # Partial evaluation: work on constants is done now, so the recorded jaxpr holds only
    # operations on the (linear) inputs, which is what backward_pass can transpose.
    closed = trace_to_jaxpr(flat, in_avals, forward_known=True)
    jaxpr, consts, out_avals = closed.jaxpr, closed.consts, closed.out_avals

    def transposed(*cts):
        ct = cts[0] if len(cts) == 1 else cts
        ct_leaves, ct_tree = tree_flatten(ct)
        if ct_tree != out_tree[0]:
            raise TypeError(f"linear_transpose: cotangent structure {ct_tree} does not match "
                            f"the output structure {out_tree[0]}")
        for c, a in zip(ct_leaves, out_avals):
            if tuple(np.shape(c)) != a.shape:
                raise TypeError(f"linear_transpose: cotangent of shape {np.shape(c)} for an "
                                f"output of shape {a.shape}")
        outs = backward_pass(jaxpr, consts, [to_array(c) for c in ct_leaves])
        outs = [instantiate(Zero(a)) if type(o) is Zero else to_array(o)
                for o, a in zip(outs, in_avals)]
        return tree_unflatten(in_tree, outs)
    return transposed
