"""The primitives behind NumPy indexing (``x[idx]``) and functional updates (``x.at[idx]``).

Rather than JAX's ``GatherDimensionNumbers``, an index is kept in the form NumPy itself
takes, after normalisation, as the static (hashable) parameter ``indexer``: a tuple of

* ``('slice', start, stop, step)``: static ints, already resolved against the axis size
  (``stop`` is ``None`` only for a negative step that runs past the front);
* ``('none',)``: a new axis of size 1 (``np.newaxis``);
* ``('array', k)``: the k-th integer index operand.  Integer scalars, static or traced, are
  0-d integer arrays, so NumPy's rules for mixing integers with arrays apply unchanged.

Axes after the last entry are taken whole.  The primitives are

    gather_p.bind(operand, *index_arrays, indexer=SPEC, oob='clip'|'fill', fill_value=None)
    scatter_p.bind(operand, updates, *index_arrays, indexer=SPEC,
                   mode='set'|'add'|'mul'|'min'|'max', oob='drop'|'clip')

``gather`` is ``operand[index]`` with NumPy's advanced-indexing semantics, including where
the advanced-index dimensions go (in place of the first advanced index when the advanced
indices are adjacent, first otherwise).  Negative indices wrap once, as in NumPy; indices
still out of bounds are clamped (``oob='clip'``, JAX's default for gathers) or give
``fill_value`` (``oob='fill'``; ``None`` means 0).  ``scatter`` copies ``operand`` and
writes ``updates`` (exactly the shape of ``operand[index]``) into it: assignment, or
``np.add.at``-style accumulation for the other modes, so repeated indices accumulate.
Out-of-bounds updates are dropped (``oob='drop'``, JAX's default) or clamped.

``normalize_index`` turns a user's index into ``(SPEC, index_operands, final_shape)``;
``getitem`` and ``index_update`` are the convenience layers on top that
``pullback.numpy`` uses.

    >>> x = jnp.arange(6.).reshape(2, 3)
    >>> getitem(x, (slice(None), [2, 0]))
    Array([[2., 0.],
           [5., 3.]], dtype=float32)
    >>> index_update(x, (0, 1), 9.)
    Array([[0., 9., 2.],
           [3., 4., 5.]], dtype=float32)
"""
import builtins
import operator

import numpy as np

from .. import dtypes
from .._array import Array
from .._core.core import Primitive, Zero, Tracer, get_aval, is_weak
from .._core.avals import ShapedArray
from .._core.rules import is_undefined, not_mapped, instantiate_zeros
from ._util import shape_of, ndim_of, moveaxis_to_front, bdim_at_front, check_dtype_kind

__all__ = ['normalize_index', 'getitem', 'index_update', 'take_along_axis',
           'NonConcreteBooleanIndexError']

SCATTER_MODES = ('set', 'add', 'mul', 'min', 'max')


class NonConcreteBooleanIndexError(IndexError):
    """A boolean mask whose value is not known while tracing was used as an index."""


# --- Geometry of an index ------------------------------------------------------------------

class _Geometry:
    """What an indexer does to shapes.  ``out_shape`` is the result's shape; ``adv`` the
    broadcast shape of the index arrays (None if there are none); ``pos`` where that block
    sits in the result; ``rest`` the sizes of the other result axes, in order."""
    __slots__ = ('out_shape', 'adv', 'pos', 'rest', 'adjacent')


def _slice_len(start, stop, step):
    return len(range(start, -1 if stop is None else stop, step))


def _geometry(name, shape, indexer, index_shapes):
    rest, array_at, dim = [], [], 0
    for j, entry in enumerate(indexer):
        kind = entry[0]
        if kind == 'none':
            rest.append(1)
            continue
        if dim >= len(shape):
            raise IndexError(f"{name}: too many indices ({indexer}) for an operand of shape "
                             f"{shape}")
        if kind == 'slice':
            _, start, stop, step = entry
            n = shape[dim]
            if step == 0 or not (0 <= start <= n if step > 0 else 0 <= start < n):
                raise IndexError(f"{name}: slice entry {entry} does not fit axis {dim} of "
                                 f"size {n}")
            rest.append(_slice_len(start, stop, step))
        elif kind == 'array':
            if not 0 <= entry[1] < len(index_shapes):
                raise TypeError(f"{name}: indexer entry {entry} refers to a missing index "
                                f"operand (got {len(index_shapes)})")
            array_at.append((j, len(rest)))
        else:
            raise TypeError(f"{name}: unknown indexer entry {entry!r}")
        dim += 1
    rest.extend(shape[dim:])
    g = _Geometry()
    g.rest = tuple(rest)
    if not array_at:
        g.adv, g.pos, g.adjacent, g.out_shape = None, len(rest), True, tuple(rest)
        return g
    try:
        g.adv = tuple(np.broadcast_shapes(*[index_shapes[indexer[j][1]] for j, _ in array_at]))
    except ValueError:
        raise IndexError(f"{name}: index arrays of shapes "
                         f"{', '.join(str(tuple(s)) for s in index_shapes)} cannot be "
                         f"broadcast together") from None
    positions = [j for j, _ in array_at]
    g.adjacent = positions == list(range(positions[0], positions[0] + len(positions)))
    # NumPy: adjacent advanced indices put their block where they are, others put it first
    g.pos = array_at[0][1] if g.adjacent else 0
    g.out_shape = g.rest[:g.pos] + g.adv + g.rest[g.pos:]
    return g


def _numpy_key(shape, indexer, idx, oob):
    """The NumPy index for ``indexer``: index arrays wrapped once and clamped (``clip``),
    or with out-of-bounds entries sent to ``shape[d]`` (one past the end) and reported in
    ``bad``, a dict ``dim -> mask`` of the offending entries."""
    key, bad, dim = [], {}, 0
    for entry in indexer:
        kind = entry[0]
        if kind == 'none':
            key.append(None)
            continue
        n = shape[dim]
        if kind == 'slice':
            key.append(builtins.slice(*entry[1:]))
        else:
            i = idx[entry[1]]
            if np.ndim(i) == 0:
                # a scalar: Python arithmetic, and a Python int in the key (NumPy places a
                # 0-d index the same way, and basic indexing is cheaper)
                i = int(i)
                i = i + n if i < 0 else i
                if oob == 'clip':
                    i = builtins.min(builtins.max(i, 0), builtins.max(n - 1, 0))
                elif not 0 <= i < n:
                    bad[dim] = np.ones((), bool)
                    i = n
            else:
                i = np.asarray(i)
                i = np.where(i < 0, i + n, i)
                if oob == 'clip':
                    i = np.minimum(np.maximum(i, 0), builtins.max(n - 1, 0))
                else:
                    out = (i < 0) | (i >= n)
                    if out.any():
                        bad[dim] = out
                        i = np.where(out, n, i)
            key.append(i)
        dim += 1
    return tuple(key), bad


def _check_index_avals(name, idx):
    for i in idx:
        if i.dtype.kind not in 'iu':
            raise TypeError(f"{name}: index arrays must have an integer dtype, got "
                            f"{i.str_short()}")


def _fill_scalar(fill_value, dtype):
    return np.zeros((), dtype) if fill_value is None else np.asarray(fill_value, dtype)


# --- gather --------------------------------------------------------------------------------

def _gather_impl(operand, *idx, indexer, oob, fill_value):
    operand = np.asarray(operand)
    key, bad = _numpy_key(operand.shape, indexer, idx, oob)
    if not bad:
        return np.asarray(operand[key])
    # look up a valid place instead, then overwrite the results that had a bad index
    g = _geometry('gather', operand.shape, indexer, [np.shape(i) for i in idx])
    fill = _fill_scalar(fill_value, operand.dtype)
    if any(operand.shape[d] == 0 for d in bad):
        return np.full(g.out_shape, fill, operand.dtype)
    key = tuple(np.where(bad[d], 0, k) if d in bad and e[0] == 'array' else k
                for k, (d, e) in zip(key, _entry_dims(indexer)))
    missing = np.zeros(g.adv, bool)
    for mask in bad.values():
        missing = missing | mask
    missing = missing.reshape((1,) * g.pos + g.adv + (1,) * (len(g.rest) - g.pos))
    return np.where(missing, fill, operand[key])


def _entry_dims(indexer):
    """(operand axis, entry) for each indexer entry (``None`` for new axes)."""
    out, dim = [], 0
    for e in indexer:
        if e[0] == 'none':
            out.append((None, e))
        else:
            out.append((dim, e))
            dim += 1
    return out


def _gather_abstract_eval(operand, *idx, indexer, oob, fill_value):
    _check_index_avals('gather', idx)
    if oob not in ('clip', 'fill'):
        raise ValueError(f"gather: oob must be 'clip' or 'fill', got {oob!r}")
    g = _geometry('gather', operand.shape, indexer, [i.shape for i in idx])
    return ShapedArray(g.out_shape, operand.dtype, operand.weak_type)


def _gather_jvp(primals, tangents, indexer, oob, fill_value):
    operand, *idx = primals
    ans = gather_p.bind(operand, *idx, indexer=indexer, oob=oob, fill_value=fill_value)
    if type(tangents[0]) is Zero:
        return ans, Zero(primal=ans)
    return ans, gather_p.bind(tangents[0], *idx, indexer=indexer, oob=oob, fill_value=None)


def _gather_transpose(ct, operand, *idx, indexer, oob, fill_value):
    nones = [None] * len(idx)
    if type(ct) is Zero or not is_undefined(operand):
        return [None] + nones
    blank = instantiate_zeros(Zero(operand.aval.update(dtype=get_aval(ct).dtype)))
    return [scatter_p.bind(blank, ct, *idx, indexer=indexer, mode='add',
                           oob='clip' if oob == 'clip' else 'drop')] + nones


def _shift_arrays(indexer, by):
    return tuple(('array', e[1] + by) if e[0] == 'array' else e for e in indexer)


def _batched_indexing(axis, operand, od, idx, ids, indexer):
    """Rewrite a batched indexing as one indexing of the whole batch: of the operand with
    its batch axis moved first (or of the operand itself if only indices are batched; then
    they carry the batch axis).  Returns ``(operand, idx, indexer, layout)`` where ``layout`` says where the
    result of the new index puts the batch axis and each member's axes:
    ``('at', b)`` (batch axis at ``b``, members' axes in order around it) or
    ``('perm', perm)`` (batch axis first; ``transpose(result, perm)`` puts the members'
    axes back in order)."""
    B = axis.size
    g = _geometry('gather', _member_shape(operand, od), indexer,
                  [_member_shape(i, d) for i, d in zip(idx, ids)])
    if all(d is not_mapped for d in ids):
        # a leading full slice for the batch axis; it stays first unless the advanced
        # indices are split, in which case their block goes before it
        operand = moveaxis_to_front(operand, od)
        new = (('slice', 0, B, 1),) + tuple(indexer)
        where = len(g.adv) if (g.adv is not None and not g.adjacent) else 0
        return operand, list(idx), new, ('at', where)
    r = len(g.adv)
    batched_idx = [i if d is not_mapped else _leading_batch(i, d, B, r)
                   for i, d in zip(idx, ids)]
    if od is not_mapped:
        # only the indices are batched: their block gets the batch axis in front, and it
        # sits where the block does
        return operand, batched_idx, tuple(indexer), ('at', g.pos if g.adjacent else 0)
    # an arange index for the batch axis, broadcast against the other index arrays:
    # the advanced block (batch axis first) then goes to the front of the result
    operand = moveaxis_to_front(operand, od)
    new_idx = [Array(np.arange(B, dtype=np.int32).reshape((B,) + (1,) * r))] + batched_idx
    new = (('array', 0),) + _shift_arrays(indexer, 1)
    nrest, p = len(g.rest), g.pos
    perm = ((0,) + tuple(1 + r + j for j in range(p)) + tuple(1 + i for i in range(r))
            + tuple(1 + r + j for j in range(p, nrest)))
    return operand, new_idx, new, ('perm', perm)


def _leading_batch(i, d, B, rank):
    """Index array ``i`` with its batch axis ``d`` first and ones after it, so that it
    broadcasts to ``(B,) + block`` for an advanced-index block of rank ``rank``."""
    from .shapes import reshape
    i = moveaxis_to_front(i, d)
    s = tuple(shape_of(i))
    return reshape(i, (B,) + (1,) * (rank - len(s) + 1) + s[1:])


def _member_shape(x, d):
    s = tuple(shape_of(x))
    return s if d is not_mapped else s[:d] + s[d + 1:]


def _gather_batch(axis, vals, dims, indexer, oob, fill_value):
    from .shapes import transpose
    operand, *idx = vals
    od, *ids = dims
    operand, idx, new, layout = _batched_indexing(axis, operand, od, idx, ids, indexer)
    out = gather_p.bind(operand, *idx, indexer=new, oob=oob, fill_value=fill_value)
    if layout[0] == 'at':
        return out, layout[1]
    return transpose(out, layout[1]), 0


gather_p = Primitive('gather')
gather_p.impl = _gather_impl
gather_p.abstract_eval = _gather_abstract_eval
gather_p.weak_type_rule = lambda args, params: is_weak(args[0])
gather_p.jvp = _gather_jvp
gather_p.transpose = _gather_transpose
gather_p.batch = _gather_batch


# --- scatter -------------------------------------------------------------------------------

_ACCUMULATE = {'add': np.add, 'mul': np.multiply, 'min': np.minimum, 'max': np.maximum}


def _scatter_impl(operand, updates, *idx, indexer, mode, oob):
    operand = np.asarray(operand)
    updates = np.asarray(updates, operand.dtype)
    key, bad = _numpy_key(operand.shape, indexer, idx, oob)
    if bad:
        # dropped updates land in one extra slot past the end of an axis, cut off below
        out = np.pad(operand, [(0, 1 if d in bad else 0) for d in range(operand.ndim)])
    else:
        out = np.array(operand, copy=True)
    if mode == 'set':
        out[key] = updates
    else:
        _ACCUMULATE[mode].at(out, key, updates)
    if bad:
        out = out[tuple(builtins.slice(0, n) for n in operand.shape)]
    return out


def _scatter_abstract_eval(operand, updates, *idx, indexer, mode, oob):
    _check_index_avals('scatter', idx)
    if mode not in SCATTER_MODES:
        raise ValueError(f"scatter: mode must be one of {SCATTER_MODES}, got {mode!r}")
    if oob not in ('drop', 'clip'):
        raise ValueError(f"scatter: oob must be 'drop' or 'clip', got {oob!r}")
    if mode in ('add', 'mul'):
        check_dtype_kind(f"scatter (mode={mode!r})", operand, 'iufc')
    elif mode in ('min', 'max'):
        check_dtype_kind(f"scatter (mode={mode!r})", operand, 'biuf')
    g = _geometry('scatter', operand.shape, indexer, [i.shape for i in idx])
    if tuple(updates.shape) != g.out_shape:
        raise ValueError(f"scatter: updates of shape {updates.shape} do not match the shape "
                         f"{g.out_shape} of the indexed part of an operand of shape "
                         f"{operand.shape} (indexer {indexer})")
    if updates.dtype != operand.dtype and not updates.weak_type:
        raise TypeError(f"scatter: updates dtype {updates.dtype.name} differs from the "
                        f"operand's dtype {operand.dtype.name}")
    return ShapedArray(operand.shape, operand.dtype, operand.weak_type and updates.weak_type)


def _scatter(operand, updates, idx, indexer, mode, oob):
    return scatter_p.bind(operand, updates, *idx, indexer=indexer, mode=mode, oob=oob)


def _gather_oob(oob):
    """The gather that reads back what a scatter with ``oob`` wrote."""
    return 'clip' if oob == 'clip' else 'fill'


def _gather(x, idx, indexer, oob):
    return gather_p.bind(x, *idx, indexer=indexer, oob=_gather_oob(oob), fill_value=None)


def _scatter_jvp(primals, tangents, indexer, mode, oob):
    from .elementwise import (mul, div, add, eq, select_n, convert_element_type)
    operand, updates, *idx = primals
    t_op, t_up = tangents[:2]
    ans = _scatter(operand, updates, idx, indexer, mode, oob)
    if (type(t_op) is Zero and type(t_up) is Zero) or get_aval(ans).dtype.kind not in 'fc':
        return ans, Zero(primal=ans)
    t_aval = get_aval(ans).to_tangent_aval().strip_weak_type()
    zeros = lambda: instantiate_zeros(Zero(t_aval))
    if mode in ('add', 'set'):  # linear in (operand, updates)
        t_op = zeros() if type(t_op) is Zero else t_op
        return ans, _scatter(t_op, instantiate_zeros(t_up), idx, indexer, mode, oob)
    dtype = t_aval.dtype
    out = None
    if mode == 'mul':
        if type(t_op) is not Zero:
            out = _scatter(t_op, updates, idx, indexer, 'mul', oob)
        if type(t_up) is not Zero:
            # d ans / d u_j = operand * (product of the other updates at that place); with
            # u_j != 0 that is ans / u_j, and with u_j == 0 it is nonzero only where u_j is
            # the place's one zero: then it is operand * (product of the nonzero updates)
            # (typed constants, not Python scalars, so that select_n's JVP sees float zeros)
            one = Array(np.ones((), dtype))
            u_zero = eq(updates, 0)
            safe_u = select_n(u_zero, updates, one)
            nonzero_prod = _scatter(operand, safe_u, idx, indexer, 'mul', oob)
            zero_count = _scatter(Array(np.zeros(t_aval.shape, np.int32)),
                                  convert_element_type(u_zero, np.int32), idx, indexer,
                                  'add', oob)
            lone_zero = eq(_gather(zero_count, idx, indexer, oob), 1)
            coef = select_n(u_zero, div(_gather(ans, idx, indexer, oob), safe_u),
                            select_n(lone_zero, mul(updates, Array(np.zeros((), dtype))),
                                     _gather(nonzero_prod, idx, indexer, oob)))
            part = _scatter(zeros(), mul(t_up, coef), idx, indexer, 'add', oob)
            out = part if out is None else add(out, part)
        return ans, out
    # min / max: the tangent is the mean of the tangents of the values that attain it
    hit_op = convert_element_type(eq(operand, ans), dtype)
    hit_up = convert_element_type(eq(updates, _gather(ans, idx, indexer, oob)), dtype)
    count = add(hit_op, _scatter(zeros(), hit_up, idx, indexer, 'add', oob))
    if type(t_op) is not Zero:
        out = mul(t_op, hit_op)
    if type(t_up) is not Zero:
        part = _scatter(zeros(), mul(t_up, hit_up), idx, indexer, 'add', oob)
        out = part if out is None else add(out, part)
    return ans, div(out, count)


def _scatter_transpose(ct, operand, updates, *idx, indexer, mode, oob):
    from .elementwise import eq, select_n, mul
    nones = [None] * len(idx)
    if type(ct) is Zero:
        return [None, None] + nones
    if mode == 'mul':
        # the JVP's scatter-mul of a tangent by fixed updates: a diagonal scaling
        if is_undefined(updates):
            raise TypeError("scatter (mode='mul') is not linear in its updates")
        return [_scatter(ct, updates, idx, indexer, 'mul', oob), None] + nones
    if mode not in ('add', 'set'):
        raise TypeError(f"scatter (mode={mode!r}) is not linear, so it cannot be transposed")
    t_op = t_up = None
    if is_undefined(updates):
        t_up = _gather(ct, idx, indexer, oob)
        if mode == 'set':
            # with repeated indices only the update that was written last gets the cotangent
            u_shape = updates.aval.shape
            ids = Array(np.arange(int(np.prod(u_shape, dtype=np.int64)),
                                  dtype=np.int32).reshape(u_shape))
            written = _scatter(Array(np.full(shape_of(ct), -1, np.int32)), ids, idx, indexer,
                               'set', oob)
            winner = eq(_gather(written, idx, indexer, oob), ids)
            t_up = select_n(winner, mul(t_up, 0), t_up)
    if is_undefined(operand):
        if mode == 'add':
            t_op = ct
        else:
            u_aval = updates.aval if is_undefined(updates) else get_aval(updates)
            blank = instantiate_zeros(Zero(ShapedArray(u_aval.shape, get_aval(ct).dtype)))
            t_op = _scatter(ct, blank, idx, indexer, 'set', oob)
    return [t_op, t_up] + nones


def _scatter_batch(axis, vals, dims, indexer, mode, oob):
    from .shapes import transpose
    from ._util import moveaxis
    operand, updates, *idx = vals
    od, ud, *ids = dims
    B = axis.size
    operand = bdim_at_front(operand, od, B)
    operand, idx, new, layout = _batched_indexing(axis, operand, 0, idx, ids, indexer)
    updates = bdim_at_front(updates, ud, B)
    if layout[0] == 'at':
        updates = moveaxis(updates, 0, layout[1])
    else:
        updates = transpose(updates, tuple(int(i) for i in np.argsort(layout[1])))
    return _scatter(operand, updates, idx, new, mode, oob), 0


scatter_p = Primitive('scatter')
scatter_p.impl = _scatter_impl
scatter_p.abstract_eval = _scatter_abstract_eval
scatter_p.weak_type_rule = lambda args, params: is_weak(args[0]) and is_weak(args[1])
scatter_p.jvp = _scatter_jvp
scatter_p.transpose = _scatter_transpose
scatter_p.batch = _scatter_batch


# --- From a user's index to an indexer -----------------------------------------------------

def _is_bool_scalar(x):
    return isinstance(x, (bool, np.bool_))


def _index_array(x):
    """An integer index as an array (NumPy constant, Array or tracer), or a concrete boolean
    mask as a NumPy bool array.  Anything else raises IndexError."""
    if isinstance(x, (list, tuple)):
        if any(isinstance(e, (Tracer, list, tuple)) or type(e) is Array for e in x):
            return _stack_index(x)
        x = np.asarray(x) if len(x) else np.zeros((0,), np.int32)
    if isinstance(x, (np.ndarray, np.generic)):
        if x.dtype.kind == 'b':
            return x
        if x.dtype.kind not in 'iu':
            raise IndexError(f"Indexer must have integer or boolean type, got indexer with "
                             f"type {x.dtype.name}")
        return _canonical_ints(x)
    aval = get_aval(x)
    if aval.dtype.kind == 'b':
        if isinstance(x, Tracer):
            raise NonConcreteBooleanIndexError(
                f"Array boolean indices must be concrete; got {aval}. A mask whose value is "
                f"only known at run time (under jit or vmap) gives a result of unknown shape. "
                f"Use jnp.where(mask, x, fill) to keep the shape, or pass size= to "
                f"jnp.nonzero to get a fixed number of indices.")
        return np.asarray(x._value)
    if aval.dtype.kind not in 'iu':
        raise IndexError(f"Indexer must have integer or boolean type, got indexer with type "
                         f"{aval.dtype.name}")
    return x


_INT32 = np.dtype(np.int32)


def _static_int(i):
    """A static Python integer index as a 0-d int32 array (clamped into int32's range: it
    is clamped to the axis later anyway)."""
    i = operator.index(i)
    return np.array(builtins.min(builtins.max(i, -2**31), 2**31 - 1), _INT32)


def _canonical_ints(x):
    x = np.asarray(x)
    if x.dtype == _INT32:
        return x
    target = dtypes.canonicalize_dtype(x.dtype if x.dtype.kind == 'i' else np.int64)
    if x.dtype != target:
        info = np.iinfo(target)
        x = np.clip(x, info.min, info.max).astype(target)
    return x


def _stack_index(seq):
    """A list of (possibly traced) integer indices as one index array."""
    from .shapes import concatenate, expand_dims
    from .elementwise import convert_element_type
    parts = []
    for e in seq:
        a = _index_array(e) if isinstance(e, (list, tuple)) else e
        if isinstance(a, (int, np.integer)) or (isinstance(a, np.ndarray) and a.dtype.kind != 'b'):
            a = Array(_canonical_ints(a))
        if get_aval(a).dtype.kind not in 'iu':
            raise IndexError(f"Indexer must have integer or boolean type, got indexer with "
                             f"type {get_aval(a).dtype.name}")
        parts.append(expand_dims(convert_element_type(a, dtypes.default_int_dtype()), (0,)))
    return concatenate(parts, 0)


def _resolve_slice(s, n):
    try:
        start, stop, step = s.indices(n)
    except TypeError as e:
        raise IndexError(f"Slice bounds must be static integers, got {s}. For a window at a "
                         f"traced position use lax.dynamic_slice (a fixed size), or "
                         f"jnp.where.") from e
    if not len(range(start, stop, step)):
        return ('slice', 0, 0, 1)  # (a resolved start of -1 would mean "the last" to NumPy)
    if step < 0 and stop < 0:
        stop = None
    return ('slice', start, stop, step)


def normalize_index(idx, shape):
    """Turn a NumPy-style index into the form ``gather_p`` and ``scatter_p`` take.

    ``idx`` may be an int, slice (bounds static; ``None`` and negatives allowed),
    ``Ellipsis``, ``None``, an integer array / list / tracer, a concrete boolean array
    (expanded with ``np.nonzero``; a traced one raises ``NonConcreteBooleanIndexError``
    pointing to ``jnp.where``), or a tuple of these.  Returns ``(indexer, index_operands,
    final_shape)``: bind ``gather_p.bind(x, *index_operands, indexer=indexer, oob='clip',
    fill_value=None)``; ``final_shape`` is ``None``, or the shape to reshape that result to
    (only for a scalar ``False`` index, whose result is empty).

    >>> normalize_index((0, slice(None, None, -1)), (2, 3))[0]
    (('array', 0), ('slice', 2, None, -1))

    Limitations: a scalar boolean combined with index arrays raises IndexError (NumPy
    would treat it as an advanced index), and ``x[False]`` needs ``x.ndim >= 1``.
    """
    if not isinstance(idx, tuple):
        idx = (idx,)
    shape = tuple(shape)
    items = []  # ('none',) / ('ellipsis',) / ('slice', s) / ('ints', array) / ('bool', mask)
    has_scalar_bool = None
    for i in idx:
        if i is None:
            items.append(('none',))
        elif i is Ellipsis:
            items.append(('ellipsis',))
        elif isinstance(i, builtins.slice):
            items.append(('slice', i))
        elif _is_bool_scalar(i):
            has_scalar_bool = bool(i)
            items.append(('none',))
        elif isinstance(i, (int, np.integer)):
            items.append(('ints', _static_int(i)))
        else:
            a = _index_array(i)
            if isinstance(a, np.ndarray) and a.dtype.kind == 'b':
                items.append(('bool', a))
            else:
                items.append(('ints', a))
    consumed = builtins.sum(1 if it[0] in ('slice', 'ints') else
                            it[1].ndim if it[0] == 'bool' else 0 for it in items)
    ellipses = builtins.sum(1 for it in items if it[0] == 'ellipsis')
    if ellipses > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > len(shape):
        raise IndexError(f"Too many indices: array is {len(shape)}-dimensional, but "
                         f"{consumed} were indexed")
    indexer, operands, dim = [], [], 0
    for it in items:
        kind = it[0]
        if kind == 'none':
            indexer.append(('none',))
        elif kind == 'ellipsis':
            for _ in range(len(shape) - consumed):
                indexer.append(('slice', 0, shape[dim], 1))
                dim += 1
        elif kind == 'slice':
            indexer.append(_resolve_slice(it[1], shape[dim]))
            dim += 1
        elif kind == 'ints':
            indexer.append(('array', len(operands)))
            operands.append(it[1])
            dim += 1
        else:
            mask = it[1]
            if mask.shape != shape[dim:dim + mask.ndim]:
                raise IndexError(f"boolean index of shape {mask.shape} does not match the "
                                 f"indexed axes {shape[dim:dim + mask.ndim]} of an array of "
                                 f"shape {shape}")
            for where in np.nonzero(mask):
                indexer.append(('array', len(operands)))
                operands.append(_canonical_ints(where))
                dim += 1
    final_shape = None
    if has_scalar_bool is not None:
        if operands:
            raise IndexError("a scalar boolean index combined with index arrays is not "
                             "supported; index with the arrays alone or use jnp.where")
        if not has_scalar_bool:
            if len(idx) != 1 or not shape:
                raise IndexError("a False index is only supported alone, on an array with "
                                 "at least one dimension")
            indexer = [('array', 0)]
            operands = [np.zeros((0,), dtypes.default_int_dtype())]
            final_shape = (0,) + shape
    return tuple(indexer), operands, final_shape


def getitem(operand, idx, oob='clip', fill_value=None):
    """``operand[idx]`` with NumPy's indexing rules; out-of-bounds integer indices are
    clamped (``oob='clip'``) or give ``fill_value`` (``oob='fill'``, default 0).

    >>> getitem(jnp.arange(5.), jnp.array([4, 9, -1]))
    Array([4., 4., 4.], dtype=float32)
    """
    from .shapes import reshape
    if oob not in ('clip', 'fill'):
        raise ValueError(f"getitem: oob must be 'clip' or 'fill', got {oob!r}")
    if fill_value is not None:
        fill_value = np.asarray(fill_value).item()  # a static, hashable parameter
    indexer, operands, final_shape = normalize_index(idx, shape_of(operand))
    if not operands and all(e == ('slice', 0, n, 1) for e, n in zip(indexer, shape_of(operand))
                            ) and len(indexer) <= ndim_of(operand):
        return operand  # x[:], x[...]
    out = gather_p.bind(operand, *operands, indexer=indexer, oob=oob, fill_value=fill_value)
    return out if final_shape is None else reshape(out, final_shape)


def index_update(operand, idx, updates, mode='set', oob='drop'):
    """``operand`` with ``operand[idx]`` replaced (``mode='set'``) or combined with
    ``updates`` by ``'add'``, ``'mul'``, ``'min'`` or ``'max'`` (repeated indices
    accumulate).  ``updates`` broadcast to the indexed shape and take ``operand``'s dtype;
    out-of-bounds updates are dropped (``oob='drop'``) or clamped (``oob='clip'``).

    >>> index_update(jnp.zeros(3), jnp.array([0, 0, 2]), 1., mode='add')
    Array([2., 0., 1.], dtype=float32)
    """
    from .shapes import reshape, broadcast_to
    from .elementwise import convert_element_type
    if mode not in SCATTER_MODES or oob not in ('drop', 'clip'):
        raise ValueError(f"index_update: mode must be one of {SCATTER_MODES} and oob 'drop' "
                         f"or 'clip', got mode={mode!r}, oob={oob!r}")
    shape = tuple(shape_of(operand))
    indexer, operands, final_shape = normalize_index(idx, shape)
    g = _geometry('scatter', shape, indexer, [shape_of(o) for o in operands])
    aval = get_aval(operand)
    updates = convert_element_type(updates, aval.dtype)
    target = g.out_shape if final_shape is None else final_shape
    try:
        updates = broadcast_to(updates, target)
    except TypeError:
        raise ValueError(f"index_update: updates of shape {tuple(shape_of(updates))} cannot be "
                         f"broadcast to the indexed shape {target}") from None
    if final_shape is not None:
        updates = reshape(updates, g.out_shape)
    return scatter_p.bind(operand, updates, *operands, indexer=indexer, mode=mode, oob=oob)


def take_along_axis(arr, indices, axis):
    """``arr`` picked at ``indices`` along ``axis``, the other axes matched up elementwise
    (``np.take_along_axis``; indices broadcast against ``arr`` off ``axis``, clamped).

    >>> take_along_axis(jnp.array([[10., 20.], [30., 40.]]), jnp.array([[1], [0]]), 1)
    Array([[20.],
           [30.]], dtype=float32)
    """
    from ._util import canonical_axis
    shape = tuple(shape_of(arr))
    nd = len(shape)
    axis = canonical_axis(axis, nd, 'axis', 'take_along_axis')
    if ndim_of(indices) != nd:
        raise ValueError(f"take_along_axis: indices of shape {tuple(shape_of(indices))} must "
                         f"have the rank of arr (shape {shape})")
    operands = []
    for d in range(nd):
        if d == axis:
            operands.append(indices)
        else:
            operands.append(Array(np.arange(shape[d], dtype=np.int32).reshape(
                (1,) * d + (shape[d],) + (1,) * (nd - d - 1))))
    return gather_p.bind(arr, *operands, indexer=tuple(('array', d) for d in range(nd)),
                         oob='clip', fill_value=None)
