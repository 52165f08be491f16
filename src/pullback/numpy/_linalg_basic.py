"""Products and contractions: dot, vdot, matmul, inner, outer, tensordot, einsum, kron,
plus the diagonal helpers trace and diagonal, and cross.  Every product lowers to
``lax.dot_general``.

    >>> import pullback.numpy as jnp
    >>> jnp.einsum('ij,j->i', jnp.eye(2), jnp.array([1., 2.]))
    Array([1., 2.], dtype=float32)
"""
import numpy as np

from .. import lax
from ._promote import asarray, promote_dtypes
from ._util import canonicalize_axis, static_int

__all__ = ['dot', 'vdot', 'vecdot', 'matmul', 'inner', 'outer', 'tensordot', 'einsum',
           'einsum_path', 'kron', 'trace', 'diagonal', 'cross', 'matvec', 'vecmat']


def _promoted(*xs):
    return [asarray(x) for x in promote_dtypes(*xs)]


def _check_contract(fn, a, b, a_axes, b_axes):
    for i, j in zip(a_axes, b_axes):
        if a.shape[i] != b.shape[j]:
            raise TypeError(f"{fn}: shapes {tuple(a.shape)} and {tuple(b.shape)} are not "
                            f"aligned: dimension {i} of the first ({a.shape[i]}) differs "
                            f"from dimension {j} of the second ({b.shape[j]})")


def _dot_general(a, b, contract, batch=((), ()), preferred_element_type=None):
    return lax.dot_general(a, b, (contract, batch),
                           preferred_element_type=preferred_element_type)


def dot(a, b, *, precision=None, preferred_element_type=None):
    """NumPy's ``dot``: scalars multiply; otherwise the last axis of ``a`` is contracted with
    the only (1-D) or second-to-last axis of ``b``.

    >>> dot(jnp.array([1., 2.]), jnp.array([3., 4.]))
    Array(11., dtype=float32)
    """
    a, b = _promoted(a, b)
    if a.ndim == 0 or b.ndim == 0:
        from ._math import multiply
        return multiply(a, b)
    ca, cb = a.ndim - 1, (0 if b.ndim == 1 else b.ndim - 2)
    # a size mismatch raises dot_general's TypeError, which names both shapes
    return _dot_general(a, b, ((ca,), (cb,)), preferred_element_type=preferred_element_type)


def matmul(a, b, *, precision=None, preferred_element_type=None):
    """Matrix product with NumPy's rules: leading axes are batch axes that broadcast, and a
    1-D operand is a vector (its axis is removed from the result).

    >>> matmul(jnp.ones((5, 2, 3)), jnp.ones((3, 4))).shape
    (5, 2, 4)
    """
    a, b = _promoted(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least one dimension, got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}; use multiply for scalars")
    ca = a.ndim - 1
    cb = 0 if b.ndim == 1 else b.ndim - 2
    _check_contract('matmul', a, b, (ca,), (cb,))
    if a.ndim == 1 or b.ndim == 1:
        # a vector operand has no batch axes: the other's leading axes are free axes
        return _dot_general(a, b, ((ca,), (cb,)),
                            preferred_element_type=preferred_element_type)
    a_batch, b_batch = tuple(a.shape[:-2]), tuple(b.shape[:-2])
    try:
        batch = tuple(np.broadcast_shapes(a_batch, b_batch))
    except ValueError:
        raise ValueError(f"matmul: the batch dimensions of shapes {tuple(a.shape)} and "
                         f"{tuple(b.shape)} do not broadcast") from None
    if a_batch != batch:
        a = lax.broadcast_to(a, batch + tuple(a.shape[-2:]))
    if b_batch != batch:
        b = lax.broadcast_to(b, batch + tuple(b.shape[-2:]))
    nb = len(batch)
    dims = tuple(range(nb))
    return _dot_general(a, b, ((nb + 1,), (nb,)), (dims, dims),
                        preferred_element_type=preferred_element_type)


def matvec(x1, x2, /):
    """Matrix-vector product over the last axes (batch axes broadcast)."""
    x1, x2 = _promoted(x1, x2)
    return _squeeze_last(matmul(x1, _add_last(x2)))


def vecmat(x1, x2, /):
    """Vector-matrix product over the last axes (conjugating ``x1``, as the array API)."""
    from ._math import conj
    x1, x2 = _promoted(x1, x2)
    out = matmul(_add_second_last(conj(x1)), x2)
    return lax.squeeze(out, (out.ndim - 2,))


def _add_last(x):
    return lax.reshape(x, tuple(x.shape) + (1,))


def _add_second_last(x):
    return lax.reshape(x, tuple(x.shape[:-1]) + (1,) + tuple(x.shape[-1:]))


def _squeeze_last(x):
    return lax.squeeze(x, (x.ndim - 1,))


def vdot(a, b, *, precision=None, preferred_element_type=None):
    """``dot(conj(a).ravel(), b.ravel())``: conjugates the first argument only.

    >>> vdot(jnp.array([1j, 2.]), jnp.array([1j, 1.]))
    Array(3.+0.j, dtype=complex64)
    """
    from ._math import conj
    a, b = _promoted(a, b)
    if a.size != b.size:
        raise TypeError(f"vdot: the inputs must have the same number of elements, got "
                        f"shapes {tuple(a.shape)} and {tuple(b.shape)}")
    a = lax.reshape(conj(a), (a.size,))
    b = lax.reshape(b, (b.size,))
    return _dot_general(a, b, ((0,), (0,)), preferred_element_type=preferred_element_type)


def vecdot(x1, x2, /, *, axis=-1, precision=None, preferred_element_type=None):
    """Array-API vector dot product along ``axis``: ``sum(conj(x1) * x2, axis)``."""
    from ._math import conj, multiply
    from ._reductions import sum as _sum
    x1, x2 = _promoted(x1, x2)
    a1 = canonicalize_axis(axis, x1.ndim, 'vecdot')
    a2 = canonicalize_axis(axis, x2.ndim, 'vecdot')
    if x1.shape[a1] != x2.shape[a2]:
        raise ValueError(f"vecdot: axis {axis} has size {x1.shape[a1]} in the first "
                         f"argument {tuple(x1.shape)} and {x2.shape[a2]} in the second "
                         f"{tuple(x2.shape)}")
    from ._shape import moveaxis
    prod = multiply(moveaxis(conj(x1), a1, -1), moveaxis(x2, a2, -1))
    return _sum(prod, axis=-1)


def inner(a, b, *, precision=None, preferred_element_type=None):
    """Sum product over the last axes of ``a`` and ``b``."""
    a, b = _promoted(a, b)
    if a.ndim == 0 or b.ndim == 0:
        from ._math import multiply
        return multiply(a, b)
    _check_contract('inner', a, b, (a.ndim - 1,), (b.ndim - 1,))
    return _dot_general(a, b, ((a.ndim - 1,), (b.ndim - 1,)),
                        preferred_element_type=preferred_element_type)


def outer(a, b, out=None):
    """``a.ravel()[:, None] * b.ravel()[None, :]``."""
    from ._math import multiply
    a, b = _promoted(a, b)
    return multiply(lax.reshape(a, (a.size, 1)), lax.reshape(b, (1, b.size)))


def tensordot(a, b, axes=2, *, precision=None, preferred_element_type=None):
    """Contract the last ``axes`` axes of ``a`` with the first ``axes`` of ``b``, or the
    axes listed in ``axes = (a_axes, b_axes)``.

    >>> tensordot(jnp.ones((2, 3)), jnp.ones((3, 4)), 1).shape
    (2, 4)
    """
    a, b = _promoted(a, b)
    if isinstance(axes, (int, np.integer)) or getattr(axes, 'ndim', None) == 0:
        n = static_int(axes, 'tensordot', 'axes')
        if n < 0 or n > min(a.ndim, b.ndim):
            raise TypeError(f"tensordot: axes={n} must be between 0 and the smaller rank of "
                            f"shapes {tuple(a.shape)} and {tuple(b.shape)}")
        a_axes = tuple(range(a.ndim - n, a.ndim))
        b_axes = tuple(range(n))
    else:
        try:
            ax_a, ax_b = axes
        except (TypeError, ValueError):
            raise TypeError(f"tensordot: axes must be an int or a pair of sequences, got "
                            f"{axes!r}") from None
        ax_a = (ax_a,) if isinstance(ax_a, (int, np.integer)) else tuple(ax_a)
        ax_b = (ax_b,) if isinstance(ax_b, (int, np.integer)) else tuple(ax_b)
        if len(ax_a) != len(ax_b):
            raise TypeError(f"tensordot: the two sequences of axes must have the same "
                            f"length, got {ax_a} and {ax_b}")
        a_axes = tuple(canonicalize_axis(i, a.ndim, 'tensordot') for i in ax_a)
        b_axes = tuple(canonicalize_axis(i, b.ndim, 'tensordot') for i in ax_b)
    _check_contract('tensordot', a, b, a_axes, b_axes)
    return _dot_general(a, b, (a_axes, b_axes), preferred_element_type=preferred_element_type)


def kron(a, b):
    """Kronecker product: blocks ``a[i, j] * b``."""
    from ._math import multiply
    a, b = _promoted(a, b)
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + tuple(a.shape)
    sb = (1,) * (nd - b.ndim) + tuple(b.shape)
    # interleave: a's axes at even positions, b's at odd positions
    a2 = lax.reshape(a, tuple(x for s in sa for x in (s, 1)))
    b2 = lax.reshape(b, tuple(x for s in sb for x in (1, s)))
    return lax.reshape(multiply(a2, b2), tuple(x * y for x, y in zip(sa, sb)))


# --- Diagonals -------------------------------------------------------------------------

def diagonal(a, offset=0, axis1=0, axis2=1):
    """The ``offset``-th diagonal of the planes spanned by ``axis1`` and ``axis2``; that
    axis of the result comes last.

    >>> diagonal(jnp.arange(9).reshape(3, 3), 1)
    Array([1, 5], dtype=int32)
    """
    a = asarray(a)
    if a.ndim < 2:
        raise ValueError(f"diagonal: the input must be at least 2-D, got shape "
                         f"{tuple(a.shape)}")
    i = canonicalize_axis(axis1, a.ndim, 'diagonal')
    j = canonicalize_axis(axis2, a.ndim, 'diagonal')
    if i == j:
        raise ValueError(f"diagonal: axis1 and axis2 cannot be the same, got {axis1} and "
                         f"{axis2}")
    k = static_int(offset, 'diagonal', 'offset')
    rest = tuple(d for d in range(a.ndim) if d not in (i, j))
    x = lax.transpose(a, rest + (i, j))
    lead = tuple(x.shape[:-2])
    n, m = x.shape[-2:]
    length = max(0, min(n, m - k) if k >= 0 else min(n + k, m))
    if length == 0:
        return lax.full(lead + (0,), 0, a.dtype)
    # in the flattened plane, consecutive diagonal elements are m + 1 apart
    start = k if k >= 0 else -k * m
    flat = lax.reshape(x, lead + (n * m,))
    nl = len(lead)
    return lax.slice(flat, (0,) * nl + (start,),
                     lead + (start + (length - 1) * (m + 1) + 1,),
                     (1,) * nl + (m + 1,))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """Sum along the ``offset``-th diagonal."""
    from ._reductions import sum as _sum
    return _sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype, out=out)


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of vectors of length 2 or 3 along the given axes."""
    from ._math import multiply, subtract
    from ._shape import moveaxis, broadcast_arrays
    a, b = _promoted(a, b)
    if axis is not None:
        axisa = axisb = axisc = axis
    a = moveaxis(a, canonicalize_axis(axisa, a.ndim, 'cross'), -1)
    b = moveaxis(b, canonicalize_axis(axisb, b.ndim, 'cross'), -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(f"cross: incompatible dimensions for cross product (dimension must "
                         f"be 2 or 3), got shapes {tuple(a.shape)} and {tuple(b.shape)}")

    def comp(x, i):
        return lax.index_in_dim(x, i, x.ndim - 1, keepdims=False) if i < x.shape[-1] else \
            lax.full(tuple(x.shape[:-1]), 0, x.dtype)
    a0, a1, a2 = (comp(a, i) for i in range(3))
    b0, b1, b2 = (comp(b, i) for i in range(3))
    c2 = subtract(multiply(a0, b1), multiply(a1, b0))
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return c2
    c0 = subtract(multiply(a1, b2), multiply(a2, b1))
    c1 = subtract(multiply(a2, b0), multiply(a0, b2))
    from ._shape import stack
    out = stack(broadcast_arrays(c0, c1, c2), axis=-1)
    return moveaxis(out, -1, canonicalize_axis(axisc, out.ndim, 'cross'))


# --- einsum ----------------------------------------------------------------------------

_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'


def _interleaved_to_subscripts(args):
    """``einsum(op0, [0, 1], op1, [1, 2], [0, 2])`` as a subscripts string and operands."""
    args = list(args)
    operands, specs = args[0::2], args[1::2]
    out = None
    if len(operands) > len(specs):  # a trailing output sublist
        out = operands.pop()

    def letters(sub):
        s = ''
        for x in sub:
            if x is Ellipsis:
                s += '...'
            else:
                s += _LETTERS[int(x)]
        return s
    subscripts = ','.join(letters(s) for s in specs)
    if out is not None:
        subscripts += '->' + letters(out)
    return subscripts, operands


def _parse_einsum(subscripts, ndims):
    """Per-operand label lists and the output label list; ellipsis axes get labels
    ``('...', k)`` counted from the right so that they broadcast like NumPy's."""
    s = subscripts.replace(' ', '')
    if '->' in s:
        lhs, rhs = s.split('->')
        explicit = True
    else:
        lhs, rhs, explicit = s, None, False
    specs = lhs.split(',')
    if len(specs) != len(ndims):
        raise ValueError(f"einsum: {len(specs)} operand subscripts in {subscripts!r} but "
                         f"{len(ndims)} operands")
    n_ell = 0
    labels = []
    for spec, nd in zip(specs, ndims):
        if '...' in spec:
            before, after = spec.split('...')
            k = nd - len(before) - len(after)
            if k < 0:
                raise ValueError(f"einsum: subscripts {spec!r} have more labels than the "
                                 f"operand's {nd} dimensions")
            n_ell = max(n_ell, k)
            ell = [('...', k - 1 - i) for i in range(k)]
            labels.append(list(before) + ell + list(after))
        else:
            if len(spec) != nd:
                raise ValueError(f"einsum: subscripts {spec!r} name {len(spec)} dimensions "
                                 f"but the operand has {nd}")
            labels.append(list(spec))
        for c in labels[-1]:
            if isinstance(c, str) and not c.isalpha():
                raise ValueError(f"einsum: invalid subscript {c!r} in {subscripts!r}")
    ell_labels = [('...', n_ell - 1 - i) for i in range(n_ell)]
    if explicit:
        if '...' in rhs:
            before, after = rhs.split('...')
            out = list(before) + ell_labels + list(after)
        else:
            out = list(rhs)
        seen = set()
        every = {c for ls in labels for c in ls}
        for c in out:
            if c in seen:
                raise ValueError(f"einsum: output subscript {c!r} appears more than once in "
                                 f"{subscripts!r}")
            if c not in every:
                raise ValueError(f"einsum: output subscript {c!r} does not appear in the "
                                 f"inputs of {subscripts!r}")
            seen.add(c)
    else:
        counts = {}
        for ls in labels:
            for c in ls:
                counts[c] = counts.get(c, 0) + 1
        out = ell_labels + sorted(c for c, n in counts.items()
                                  if n == 1 and isinstance(c, str))
    return labels, out


def _einsum_path(subscripts, operands, optimize):
    n = len(operands)
    if n == 1:
        return [(0,)]
    if optimize is False or optimize is None:
        return [(0, 1)] * (n - 1)
    if isinstance(optimize, (list, tuple)) and optimize and optimize[0] == 'einsum_path':
        return [tuple(p) for p in optimize[1:]]
    strategy = optimize if optimize in ('greedy', 'optimal') else (
        'optimal' if n <= 4 else 'greedy')
    dummies = [np.broadcast_to(np.zeros((), np.float32), tuple(o.shape)) for o in operands]
    path, _ = np.einsum_path(subscripts, *dummies, optimize=strategy)
    return [tuple(p) for p in path[1:]]


def einsum_path(subscripts, *operands, optimize='greedy'):
    """The contraction order ``einsum`` would use (NumPy's ``einsum_path`` on the shapes)."""
    dummies = [np.broadcast_to(np.zeros((), np.float32), tuple(np.shape(o))) for o in operands]
    return np.einsum_path(subscripts, *dummies, optimize=optimize)


def einsum(subscripts, /, *operands, out=None, optimize='auto', precision=None,
           preferred_element_type=None, _dot_general=None):
    """Einstein summation: ``'ij,jk->ik'`` is a matrix product, ``'ii->i'`` a diagonal,
    ``'...ij->...ji'`` a batched transpose; without ``->`` the output is the labels that
    appear once, in alphabetical order.  Contractions run pairwise through
    ``lax.dot_general`` in the order NumPy's ``einsum_path`` picks.

    >>> einsum('i,i->', jnp.array([1., 2.]), jnp.array([3., 4.]))
    Array(11., dtype=float32)
    """
    if out is not None:
        raise NotImplementedError("einsum: the out argument is not supported")
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved_to_subscripts((subscripts,) + operands)
    if not operands:
        raise ValueError("einsum: at least one operand is required")
    arrays = _promoted(*operands) if len(operands) > 1 else [asarray(operands[0])]
    labels, out_labels = _parse_einsum(subscripts, [a.ndim for a in arrays])
    sizes = _label_sizes(subscripts, arrays, labels)
    path = _einsum_path(subscripts, arrays, optimize)
    terms = list(zip(arrays, labels))
    for step in path:
        picked = [terms[i] for i in step]
        for i in sorted(step, reverse=True):
            del terms[i]
        keep = set(out_labels)
        for _, ls in terms:
            keep.update(ls)
        x, xl = picked[0]
        if len(picked) == 1:
            x, xl = _reduce_term(x, xl, keep)
        for y, yl in picked[1:]:
            x, xl = _contract_pair(x, xl, y, yl, keep, sizes, preferred_element_type)
        terms.append((x, xl))
    (x, xl), = terms
    x, xl = _reduce_term(x, xl, set(out_labels))
    if len(xl) != len(out_labels):  # an output label whose axis broadcast away
        raise ValueError(f"einsum: could not produce output {out_labels} from {subscripts!r}")
    x = _broadcast_labels(x, xl, sizes)
    if xl != out_labels:
        x = lax.transpose(x, tuple(xl.index(c) for c in out_labels))
    if preferred_element_type is not None:
        x = lax.convert_element_type(x, preferred_element_type)
    return x


def _label_sizes(subscripts, arrays, labels):
    """The size of each label; 1 broadcasts against any other size."""
    sizes = {}
    for k, (a, ls) in enumerate(zip(arrays, labels)):
        for c, s in zip(ls, a.shape):
            prev = sizes.get(c, 1)
            if s != 1 and prev != 1 and s != prev:
                name = '...' if isinstance(c, tuple) else c
                raise ValueError(f"einsum: size of label {name!r} for operand {k} ({s}) does "
                                 f"not match previous terms ({prev}) in {subscripts!r}, "
                                 f"operand shapes {[tuple(x.shape) for x in arrays]}")
            sizes[c] = max(prev, s)
    return sizes


def _broadcast_labels(x, xl, sizes):
    want = tuple(sizes[c] for c in xl)
    if tuple(x.shape) != want:
        x = lax.broadcast_in_dim(x, want, tuple(range(len(xl))))
    return x


def _reduce_term(x, xl, keep):
    """Take diagonals of repeated labels and sum out the labels nobody needs."""
    xl = list(xl)
    while len(set(xl)) != len(xl):
        c = next(c for c in xl if xl.count(c) > 1)
        i = xl.index(c)
        j = xl.index(c, i + 1)
        if x.shape[i] != x.shape[j]:
            x = _broadcast_pair_axes(x, i, j)
        x = diagonal(x, 0, i, j)
        xl = [l for k, l in enumerate(xl) if k not in (i, j)] + [c]
    summed = tuple(k for k, c in enumerate(xl) if c not in keep)
    if summed:
        x = lax.reduce_sum(x, summed)
        xl = [c for c in xl if c in keep]
    return x, xl


def _broadcast_pair_axes(x, i, j):
    n = max(x.shape[i], x.shape[j])
    shape = list(x.shape)
    shape[i] = shape[j] = n
    return lax.broadcast_in_dim(lax.squeeze(x, tuple(k for k in (i, j) if x.shape[k] == 1)),
                                tuple(shape),
                                tuple(k for k in range(x.ndim) if not (
                                    k in (i, j) and x.shape[k] == 1)))


def _contract_pair(x, xl, y, yl, keep, sizes, preferred_element_type):
    x, xl = _reduce_term(x, xl, keep | set(yl))
    y, yl = _reduce_term(y, yl, keep | set(xl))
    shared = [c for c in xl if c in yl]
    # a label of size 1 on one side and n on the other broadcasts first
    x = _broadcast_shared(x, xl, shared, sizes)
    y = _broadcast_shared(y, yl, shared, sizes)
    batch = [c for c in shared if c in keep]
    contract = [c for c in shared if c not in keep]
    dims = ((tuple(xl.index(c) for c in contract), tuple(yl.index(c) for c in contract)),
            (tuple(xl.index(c) for c in batch), tuple(yl.index(c) for c in batch)))
    out = lax.dot_general(x, y, dims, preferred_element_type=preferred_element_type)
    out_labels = batch + [c for c in xl if c not in shared] + [c for c in yl
                                                                if c not in shared]
    return out, out_labels


def _broadcast_shared(x, xl, shared, sizes):
    want = tuple(sizes[c] if c in shared else s for c, s in zip(xl, x.shape))
    if want != tuple(x.shape):
        x = lax.broadcast_in_dim(lax.reshape(x, tuple(s for s, w in zip(x.shape, want)
                                                      if s == w)),
                                 want, tuple(k for k, (s, w) in enumerate(zip(x.shape, want))
                                             if s == w))
    return x
