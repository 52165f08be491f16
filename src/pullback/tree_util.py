"""Pytrees: nested containers flattened to a list of leaves plus a structure.

Every transformation flattens its arguments to leaves, works on the flat list, and
rebuilds outputs with `tree_unflatten`, so flatten and unflatten sit on every hot path.

Design. A `PyTreeDef` wraps a *spec*: the leaf marker `_LEAF` (printed `*`) or a
nested tuple `(kind, aux, child_specs)`, where `kind` is the `_NodeType` that knows how
to flatten and rebuild that container and `aux` is its static data (dict keys, ...).
Plain tuples give structural equality and hashing for free, in C (the alternative,
jaxlib's flat node list, pays off only in C++). Node types are
found by one dict lookup on `type(x)` in `_kinds`, which also caches the verdict for
leaf types and namedtuple classes, so the common case (an array leaf) costs a single
`dict.get`. Types match exactly, as in JAX: a subclass of `list` is a leaf unless
registered. Key paths (`['a'][1].x`) are computed only where asked for: by the
`*_with_path` functions, and, for structure mismatches, while the error unwinds.
"""
import collections
import dataclasses
import functools
from typing import Any, Hashable

__all__ = [
    "PyTreeDef", "DictKey", "SequenceKey", "GetAttrKey", "FlattenedIndexKey", "keystr",
    "register_pytree_node", "register_pytree_node_class", "register_dataclass",
    "tree_flatten", "tree_unflatten", "tree_leaves", "tree_structure", "tree_map",
    "tree_flatten_with_path", "tree_leaves_with_path", "tree_map_with_path",
    "tree_transpose", "tree_reduce", "tree_all", "all_leaves", "treedef_is_leaf",
    "broadcast_prefix",
]


# ---- key paths ----

@dataclasses.dataclass(frozen=True, slots=True)
class DictKey:
    """Key of a dict entry: `str(DictKey('a')) == "['a']"`."""
    key: Hashable

    def __str__(self):
        return f"[{self.key!r}]"


@dataclasses.dataclass(frozen=True, slots=True)
class SequenceKey:
    """Index into a tuple or list: `str(SequenceKey(1)) == '[1]'`."""
    idx: int

    def __str__(self):
        return f"[{self.idx}]"


@dataclasses.dataclass(frozen=True, slots=True)
class GetAttrKey:
    """Attribute of a namedtuple or dataclass: `str(GetAttrKey('x')) == '.x'`."""
    name: str

    def __str__(self):
        return f".{self.name}"


@dataclasses.dataclass(frozen=True, slots=True)
class FlattenedIndexKey:
    """Position among the children of a custom node registered without keys."""
    key: int

    def __str__(self):
        return f"[<flat index {self.key}>]"  # JAX's spelling: not a real index


def keystr(keys, *, simple=False, separator=""):
    """Render a key path.

    >>> keystr((DictKey('a'), SequenceKey(1), GetAttrKey('x')))
    "['a'][1].x"
    >>> keystr((DictKey('a'), SequenceKey(1)), simple=True, separator='/')
    'a/1'
    """
    return separator.join(map(_simple_str if simple else str, keys))


def _simple_str(k):
    if isinstance(k, (DictKey, FlattenedIndexKey)):
        return str(k.key)
    if isinstance(k, SequenceKey):
        return str(k.idx)
    return k.name if isinstance(k, GetAttrKey) else str(k)


# ---- node types and the registry ----

class _LeafMarker:
    """`_LEAF` marks a leaf in specs and in `_kinds` (a type whose instances are leaves)."""
    __slots__ = ()

    def __repr__(self):
        return "*"


_LEAF = _LeafMarker()


class _NodeType:
    """How one container type flattens. `flatten=None` means "the node is its own child
    sequence" (tuple, list, namedtuple), which skips a call on the hottest path."""
    __slots__ = ("type", "flatten", "unflatten", "flatten_with_keys", "keys", "label")

    def __init__(self, type_, flatten, unflatten, keys=None, flatten_with_keys=None,
                 label=None):
        self.type, self.flatten, self.unflatten = type_, flatten, unflatten
        self.flatten_with_keys = flatten_with_keys
        # keys(aux, n) -> the n children's keys, for nodes whose keys follow from aux.
        self.keys = keys or (lambda aux, n: [FlattenedIndexKey(i) for i in range(n)])
        # How the node prints inside CustomNode(...); None for JAX's builtin syntax.
        self.label = label or (lambda aux: f"{type_.__name__}[{aux}]")


def _sorted_keys(d):
    try:
        return tuple(sorted(d))
    except TypeError:
        raise ValueError(f"tree_flatten: cannot sort the dict keys {list(d)!r}; pytree "
                         "dicts are flattened in sorted key order, so keys must be "
                         "mutually comparable (e.g. all str).") from None


def _flatten_dict(d):
    keys = _sorted_keys(d)
    return list(map(d.__getitem__, keys)), keys


def _flatten_defaultdict(d):
    children, keys = _flatten_dict(d)
    return children, (d.default_factory, keys)


def _seq_keys(aux, n):
    return [SequenceKey(i) for i in range(n)]


_TUPLE = _NodeType(tuple, None, lambda aux, ch: tuple(ch), _seq_keys)
_LIST = _NodeType(list, None, lambda aux, ch: list(ch), _seq_keys)
_DICT = _NodeType(dict, _flatten_dict, lambda keys, ch: dict(zip(keys, ch)),
                  lambda keys, n: [DictKey(k) for k in keys])
_NONE = _NodeType(type(None), lambda x: ((), None), lambda aux, ch: None)

# Explicit registrations (builtins included); duplicates are rejected.
_registry: dict[type, _NodeType] = {
    n.type: n for n in (_TUPLE, _LIST, _DICT, _NONE)}
_registry[collections.OrderedDict] = _NodeType(
    collections.OrderedDict, lambda d: (list(d.values()), tuple(d)),
    lambda keys, ch: collections.OrderedDict(zip(keys, ch)),
    lambda keys, n: [DictKey(k) for k in keys])
_registry[collections.defaultdict] = _NodeType(
    collections.defaultdict, _flatten_defaultdict,
    lambda aux, ch: collections.defaultdict(aux[0], zip(aux[1], ch)),
    lambda aux, n: [DictKey(k) for k in aux[1]])
# What flatten consults: registrations plus cached verdicts (namedtuple or leaf).
_kinds: dict[type, Any] = dict(_registry)


def _classify(t):
    """Slow path, once per type: a namedtuple class becomes a node, anything else a leaf."""
    if issubclass(t, tuple) and hasattr(t, "_fields"):
        kind = _NodeType(t, None, lambda aux, ch: t(*ch),
                         lambda aux, n: [GetAttrKey(f) for f in t._fields],
                         label=lambda aux: f"namedtuple[{t.__name__}]")
    else:
        kind = _LEAF
    _kinds[t] = kind
    return kind


def register_pytree_node(nodetype, flatten_func, unflatten_func,
                         flatten_with_keys_func=None):
    """Make `nodetype` a pytree node.

    `flatten_func(x) -> (children, aux_data)`, `unflatten_func(aux_data, children) -> x`;
    `aux_data` must be hashable and comparable, since it is part of the treedef.
    `flatten_with_keys_func(x) -> (((key, child), ...), aux_data)` gives key paths;
    without it children are keyed `FlattenedIndexKey(i)`.

    >>> class Pair:
    ...     def __init__(self, a, b): self.a, self.b = a, b
    >>> register_pytree_node(Pair, lambda p: ((p.a, p.b), None), lambda _, c: Pair(*c))
    >>> tree_leaves(Pair(1, (2, 3)))
    [1, 2, 3]
    """
    if nodetype in _registry:
        raise ValueError(f"register_pytree_node: {nodetype!r} is already registered as a "
                         "pytree node; a type can be registered only once.")

    def flatten(x):  # custom flatteners may return any iterable; we need len()
        children, aux = flatten_func(x)
        return tuple(children), aux

    kind = _NodeType(nodetype, flatten, unflatten_func,
                     flatten_with_keys=flatten_with_keys_func)
    # Overwrite any cached verdict: the type may have been flattened as a leaf before.
    _registry[nodetype] = _kinds[nodetype] = kind


def register_pytree_node_class(cls):
    """Class decorator: register `cls` via its `tree_flatten` / `tree_unflatten` methods.

    >>> @register_pytree_node_class
    ... class Box:
    ...     def __init__(self, v): self.v = v
    ...     def tree_flatten(self): return (self.v,), None
    ...     @classmethod
    ...     def tree_unflatten(cls, aux, children): return cls(*children)
    >>> tree_leaves([Box(1), Box(2)])
    [1, 2]
    """
    register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)
    return cls


def register_dataclass(nodetype, data_fields=None, meta_fields=None, drop_fields=()):
    """Register a class whose `data_fields` are children and `meta_fields` static aux data.

    Used bare on a dataclass, fields come from the dataclass: those declared with
    `field(metadata=dict(static=True))` are meta, the other `init=True` fields are data.
    Rebuilding calls `nodetype(**fields)`.

    >>> @register_dataclass
    ... @dataclasses.dataclass
    ... class Params:
    ...     w: float
    ...     name: str = dataclasses.field(default='p', metadata=dict(static=True))
    >>> tree_flatten(Params(1.0))
    ([1.0], PyTreeDef(CustomNode(Params[('p',)], [*])))
    """
    if (data_fields is None) != (meta_fields is None):
        raise TypeError("register_dataclass: give both data_fields and meta_fields, or "
                        f"neither; got data_fields={data_fields!r}, "
                        f"meta_fields={meta_fields!r}.")
    if data_fields is None:
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError(f"register_dataclass: {nodetype!r} is not a dataclass, so "
                            "data_fields and meta_fields must be given.")
        fields = [f for f in dataclasses.fields(nodetype)
                  if f.init and f.name not in drop_fields]
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
    elif dataclasses.is_dataclass(nodetype):
        # Rebuilding calls the constructor, so every init field must be accounted for.
        init = {f.name for f in dataclasses.fields(nodetype) if f.init}
        given = set(data_fields) | set(meta_fields) | set(drop_fields)
        if given != init:
            raise ValueError(f"register_dataclass: data_fields, meta_fields and "
                             f"drop_fields of {nodetype.__name__} must cover exactly its "
                             f"init fields; missing {sorted(init - given)}, unexpected "
                             f"{sorted(given - init)}.")
    data_fields, meta_fields = tuple(data_fields), tuple(meta_fields)

    keys = [GetAttrKey(n) for n in data_fields]

    def flatten(x):
        return ([getattr(x, n) for n in data_fields],
                tuple(getattr(x, n) for n in meta_fields))

    def flatten_with_keys(x):
        children, meta = flatten(x)
        return list(zip(keys, children)), meta

    def unflatten(meta, children):
        return nodetype(**dict(zip(data_fields, children)), **dict(zip(meta_fields, meta)))

    register_pytree_node(nodetype, flatten, unflatten, flatten_with_keys)
    return nodetype


# ---- flatten / unflatten ----

def _flatten(x, leaves, is_leaf):
    """Append the leaves of `x` to `leaves`; return the spec of `x`."""
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    kind = _kinds.get(type(x)) or _classify(type(x))
    if kind is _LEAF:
        leaves.append(x)
        return _LEAF
    children, aux = (x, None) if kind.flatten is None else kind.flatten(x)
    specs = []
    for c in children:
        # Inline the commonest child, a leaf of a known type, to save a call.
        if is_leaf is None and _kinds.get(type(c)) is _LEAF:
            leaves.append(c)
            specs.append(_LEAF)
        else:
            specs.append(_flatten(c, leaves, is_leaf))
    return (kind, aux, tuple(specs))


def _unflatten(spec, it):
    kind, aux, kids = spec
    children = []
    for k in kids:  # a plain loop: a comprehension costs an extra call in Python 3.11
        children.append(next(it) if k is _LEAF else _unflatten(k, it))
    if kind is _TUPLE:
        return tuple(children)
    return children if kind is _LIST else kind.unflatten(aux, children)


def _count_leaves(spec):
    return 1 if spec is _LEAF else sum(map(_count_leaves, spec[2]))


def _spec_str(spec):
    if spec is _LEAF:
        return "*"
    kind, aux, kids = spec
    inner = ", ".join(map(_spec_str, kids))
    if kind is _TUPLE:
        return f"({inner},)" if len(kids) == 1 else f"({inner})"
    if kind is _LIST:
        return f"[{inner}]"
    if kind is _NONE:
        return "None"
    if kind is _DICT:
        return "{" + ", ".join(f"{k!r}: {_spec_str(s)}" for k, s in zip(aux, kids)) + "}"
    return f"CustomNode({kind.label(aux)}, [{inner}])"


class PyTreeDef:
    """The structure of a pytree: containers and aux data, with leaves as `*`.

    Hashable, and equal to another treedef with the same structure and aux data.

    >>> treedef = tree_structure({'a': 1, 'b': [2, 3]})
    >>> treedef, treedef.num_leaves, treedef.unflatten([4, 5, 6])
    (PyTreeDef({'a': *, 'b': [*, *]}), 3, {'a': 4, 'b': [5, 6]})
    """
    __slots__ = ("_spec", "num_leaves")

    def __init__(self, spec, num_leaves=None):
        self._spec = spec
        self.num_leaves = _count_leaves(spec) if num_leaves is None else num_leaves

    def __eq__(self, other):
        return type(other) is PyTreeDef and self._spec == other._spec

    def __hash__(self):
        return hash(self._spec)

    def __repr__(self):
        return f"PyTreeDef({_spec_str(self._spec)})"

    @property
    def num_nodes(self):
        """Number of nodes, leaves included: `tree_structure((1, None)).num_nodes == 3`."""
        def count(spec):
            return 1 if spec is _LEAF else 1 + sum(map(count, spec[2]))
        return count(self._spec)

    def children(self):
        """Treedefs of the root's children: `tree_structure([1, (2,)]).children()`
        is `[PyTreeDef(*), PyTreeDef((*,))]`."""
        return [] if self._spec is _LEAF else [PyTreeDef(s) for s in self._spec[2]]

    def node_data(self):
        """`(type, aux_data)` of the root node, or None for a leaf."""
        return None if self._spec is _LEAF else (self._spec[0].type, self._spec[1])

    def unflatten(self, leaves):
        """Same as `tree_unflatten(self, leaves)`."""
        return tree_unflatten(self, leaves)

    def compose(self, inner):
        """The treedef of this structure with `inner` at every leaf.

        >>> tree_structure((1, 2)).compose(tree_structure([1]))
        PyTreeDef(([*], [*]))
        """
        def sub(spec):
            return inner._spec if spec is _LEAF else (spec[0], spec[1], tuple(map(sub, spec[2])))
        return PyTreeDef(sub(self._spec), self.num_leaves * inner.num_leaves)

    def flatten_up_to(self, tree):
        """Flatten `tree` only down to this treedef's leaves (a "prefix" flatten).

        >>> tree_structure([1, 2]).flatten_up_to([(3, 4), {'a': 5}])
        [(3, 4), {'a': 5}]
        """
        return _flatten_up_to(self, tree, "PyTreeDef.flatten_up_to", "this treedef",
                              "the tree")


def treedef_is_leaf(treedef):
    """True if `treedef` is a single leaf: `treedef_is_leaf(tree_structure(1.0))`."""
    return treedef._spec is _LEAF


def tree_flatten(tree, is_leaf=None):
    """Flatten a pytree into its leaves and its structure.

    `is_leaf(x)`, if given, is called on every subtree; True makes `x` a leaf.

    >>> tree_flatten({'b': (1, None), 'a': 2})
    ([2, 1], PyTreeDef({'a': *, 'b': (*, None)}))
    """
    leaves = []
    spec = _flatten(tree, leaves, is_leaf)
    return leaves, PyTreeDef(spec, len(leaves))


def tree_unflatten(treedef, leaves):
    """Rebuild a pytree from its structure and leaves (the inverse of `tree_flatten`).

    >>> tree_unflatten(tree_structure((1, [2])), ['a', 'b'])
    ('a', ['b'])
    """
    if type(leaves) is not list and type(leaves) is not tuple:
        leaves = list(leaves)
    if len(leaves) != treedef.num_leaves:
        raise ValueError(f"tree_unflatten: {treedef} expects {treedef.num_leaves} leaves, "
                         f"got {len(leaves)}.")
    spec = treedef._spec
    return leaves[0] if spec is _LEAF else _unflatten(spec, iter(leaves))


def tree_leaves(tree, is_leaf=None):
    """The leaves of a pytree, in flattening order: `tree_leaves([1, (2, None)]) == [1, 2]`."""
    leaves = []
    _flatten(tree, leaves, is_leaf)
    return leaves


def tree_structure(tree, is_leaf=None):
    """The treedef of a pytree: `tree_structure((1, None))` is `PyTreeDef((*, None))`."""
    return tree_flatten(tree, is_leaf)[1]


def all_leaves(iterable, is_leaf=None):
    """True if every element is a leaf: `all_leaves([1, 2])`, but not `all_leaves([None])`."""
    return all((is_leaf is not None and is_leaf(x))
               or (_kinds.get(type(x)) or _classify(type(x))) is _LEAF for x in iterable)


# ---- flattening with key paths ----

def _child_keys(kind, x, aux, n):
    if kind.flatten_with_keys is not None:
        return [k for k, _ in kind.flatten_with_keys(x)[0]]
    return kind.keys(aux, n)


def _flatten_keyed(x, path, out, is_leaf):
    if is_leaf is not None and is_leaf(x):
        out.append((path, x))
        return _LEAF
    kind = _kinds.get(type(x)) or _classify(type(x))
    if kind is _LEAF:
        out.append((path, x))
        return _LEAF
    if kind.flatten_with_keys is not None:
        pairs, aux = kind.flatten_with_keys(x)
        keys, children = [k for k, _ in pairs], [c for _, c in pairs]
    else:
        children, aux = (x, None) if kind.flatten is None else kind.flatten(x)
        keys = kind.keys(aux, len(children))
    specs = tuple(_flatten_keyed(c, path + (k,), out, is_leaf) for k, c in zip(keys, children))
    return (kind, aux, specs)


def tree_flatten_with_path(tree, is_leaf=None):
    """Like `tree_flatten`, but each leaf comes with its key path.

    >>> tree_flatten_with_path({'a': [5]})[0]
    [((DictKey(key='a'), SequenceKey(idx=0)), 5)]
    """
    out = []
    spec = _flatten_keyed(tree, (), out, is_leaf)
    return out, PyTreeDef(spec, len(out))


def tree_leaves_with_path(tree, is_leaf=None):
    """The `(key_path, leaf)` pairs of a pytree: see `tree_flatten_with_path`."""
    return tree_flatten_with_path(tree, is_leaf)[0]


# ---- prefix matching ----

class _Mismatch(Exception):
    """Internal: how a tree differs from a prefix treedef. The key path is collected
    while the exception unwinds, so successful matching pays nothing for paths."""

    def __init__(self, what, expected, got):
        self.what, self.expected, self.got, self.path = what, expected, got, []


def _up_to(spec, x, out):
    kind, aux, kids = spec
    name = _type_name(kind.type)
    if type(x) is not kind.type:
        raise _Mismatch("types", name, _type_name(type(x)))
    children, x_aux = (x, None) if kind.flatten is None else kind.flatten(x)
    if x_aux != aux:
        what = "keys" if kind.type in (dict, collections.OrderedDict) else "aux data"
        raise _Mismatch(what, f"{name} with {what} {aux!r}", f"{name} with {what} {x_aux!r}")
    if len(children) != len(kids):
        raise _Mismatch("lengths", f"{name} of length {len(kids)}",
                        f"{name} of length {len(children)}")
    for i, k in enumerate(kids):
        if k is _LEAF:
            out.append(children[i])
            continue
        try:
            _up_to(k, children[i], out)
        except _Mismatch as e:
            e.path.append(_child_keys(kind, x, aux, len(kids))[i])
            raise


def _type_name(t):
    return "None" if t is type(None) else t.__name__


def _flatten_up_to(treedef, tree, api, prefix_name, full_name):
    """`treedef.flatten_up_to(tree)`, with errors worded for `api`."""
    if treedef._spec is _LEAF:
        return [tree]
    out = []
    try:
        _up_to(treedef._spec, tree, out)
    except _Mismatch as e:
        where = f"key path {keystr(e.path[::-1])}" if e.path else "the root"
        hint = ("\nNote: None is a pytree node with no children, not a leaf; to treat it "
                "as a leaf pass is_leaf=lambda x: x is None."
                if "None" in (e.expected, e.got) else "")
        width = max(len(prefix_name), len(full_name)) + 1
        raise ValueError(
            f"{api}: pytree structure error: different {e.what} at {where}: "
            f"{prefix_name} has {e.expected} there but {full_name} has {e.got}.\n"
            f"  {prefix_name + ':':{width}} {treedef}\n"
            f"  {full_name + ':':{width}} {tree_structure(tree)}{hint}") from None
    return out


def broadcast_prefix(prefix_tree, full_tree, is_leaf=None):
    """For each leaf of `full_tree`, the leaf of `prefix_tree` whose subtree contains it.

    None in `prefix_tree` is a leaf here (vmap's `in_axes=(None, 0)` means "not mapped").

    >>> broadcast_prefix((None, 0), (1, {'a': 2, 'b': 3}))
    [None, 0, 0]
    """
    prefix_leaves, prefix_def = tree_flatten(
        prefix_tree, lambda x: x is None or (is_leaf is not None and is_leaf(x)))
    subtrees = _flatten_up_to(prefix_def, full_tree, "broadcast_prefix",
                              "the prefix tree", "the full tree")
    out = []
    for p, sub in zip(prefix_leaves, subtrees):
        out.extend([p] * len(tree_leaves(sub, is_leaf)))
    return out


# ---- mapping and reducing ----

def tree_map(f, tree, *rest, is_leaf=None):
    """Apply `f` leafwise; each tree in `rest` must have `tree`'s structure as a prefix.

    >>> tree_map(lambda x, y: x + y, {'a': 1, 'b': (2, 3)}, {'a': 10, 'b': (20, 30)})
    {'a': 11, 'b': (22, 33)}
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    if not rest:
        return treedef.unflatten([f(x) for x in leaves])
    others = [_flatten_up_to(treedef, r, "tree_map", "tree", f"rest[{i}]")
              for i, r in enumerate(rest)]
    return treedef.unflatten([f(*xs) for xs in zip(leaves, *others)])


def tree_map_with_path(f, tree, *rest, is_leaf=None):
    """Like `tree_map`, but calls `f(key_path, leaf, *others)`.

    >>> tree_map_with_path(lambda p, x: keystr(p), {'a': [0, 0]})
    {'a': ["['a'][0]", "['a'][1]"]}
    """
    pairs, treedef = tree_flatten_with_path(tree, is_leaf)
    others = [_flatten_up_to(treedef, r, "tree_map_with_path", "tree", f"rest[{i}]")
              for i, r in enumerate(rest)]
    return treedef.unflatten([f(p, x, *xs) for (p, x), *xs in zip(pairs, *others)])


def tree_transpose(outer_treedef, inner_treedef, pytree_to_transpose):
    """Turn an outer tree of inner trees into an inner tree of outer trees.

    `inner_treedef=None` infers it from the first inner tree.

    >>> tree_transpose(tree_structure([0, 0]), tree_structure((0, 0)), [(1, 2), (3, 4)])
    ([1, 3], [2, 4])
    """
    if inner_treedef is None:
        inner_treedef = tree_structure(outer_treedef.flatten_up_to(pytree_to_transpose)[0])
    flat, treedef = tree_flatten(pytree_to_transpose)
    expected = outer_treedef.compose(inner_treedef)
    if treedef != expected:
        raise TypeError(f"tree_transpose: the tree's structure {treedef} is not the outer "
                        f"structure {outer_treedef} composed with the inner structure "
                        f"{inner_treedef}, which is {expected}.")
    n = inner_treedef.num_leaves
    # flat holds outer-major blocks of n inner leaves; column j gathers leaf j of each.
    return inner_treedef.unflatten([outer_treedef.unflatten(flat[j::n]) for j in range(n)])


_NO_INIT = object()


def tree_reduce(function, tree, initializer=_NO_INIT, is_leaf=None):
    """Fold `function` over the leaves: `tree_reduce(operator.add, [1, (2, 3)]) == 6`."""
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _NO_INIT:
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_all(tree, *, is_leaf=None):
    """True if every leaf is truthy: `tree_all([True, (1, None)])`."""
    return all(tree_leaves(tree, is_leaf))
