"""Tests for pullback.tree_util: node types, registration, treedefs, mapping, key paths,
prefix matching and its errors; JAX as an oracle where it is installed."""
import collections
import dataclasses
import doctest
import operator

import pytest
from hypothesis import given, settings, strategies as st

from pullback import tree_util as tu
from pullback.tree_util import (
    DictKey, FlattenedIndexKey, GetAttrKey, SequenceKey, broadcast_prefix, keystr,
    tree_flatten, tree_leaves, tree_map, tree_structure, tree_unflatten)

Point = collections.namedtuple("Point", ["x", "y"])


def assert_round_trip(tree):
    leaves, treedef = tree_flatten(tree)
    rebuilt = tree_unflatten(treedef, leaves)
    assert rebuilt == tree
    # == cannot tell a namedtuple from a tuple or an OrderedDict from a dict; treedefs can.
    assert tree_structure(rebuilt) == treedef
    assert treedef.num_leaves == len(leaves)
    return leaves, treedef


# ---- node types ----

@pytest.mark.parametrize("tree, leaves, text", [
    ((1, None), [1], "(*, None)"),
    ((1,), [1], "(*,)"),
    ([1, [2, (3,)]], [1, 2, 3], "[*, [*, (*,)]]"),
    ({"b": [1, 2], "a": 3}, [3, 1, 2], "{'a': *, 'b': [*, *]}"),
    (None, [], "None"),
    ((), [], "()"),
    ([], [], "[]"),
    ({}, [], "{}"),
    (7, [7], "*"),
    (Point(1, (2,)), [1, 2], "CustomNode(namedtuple[Point], [*, (*,)])"),
    (collections.OrderedDict([("b", 1), ("a", 2)]), [1, 2],
     "CustomNode(OrderedDict[('b', 'a')], [*, *])"),
    (collections.defaultdict(list, {"b": 1, "a": 2}), [2, 1],
     "CustomNode(defaultdict[(<class 'list'>, ('a', 'b'))], [*, *])"),
])
def test_round_trip_leaves_and_repr(tree, leaves, text):
    got_leaves, treedef = assert_round_trip(tree)
    assert got_leaves == leaves
    assert repr(treedef) == f"PyTreeDef({text})"


def test_dict_keys_sorted_and_rebuilt_sorted():
    leaves, treedef = tree_flatten({"c": 1, "a": 2, "b": 3})
    assert leaves == [2, 3, 1]
    assert list(tree_unflatten(treedef, leaves)) == ["a", "b", "c"]
    assert tree_structure({"a": 0, "b": 0}) == tree_structure({"b": 0, "a": 0})


def test_dict_with_incomparable_keys_raises():
    with pytest.raises(ValueError, match="cannot sort the dict keys"):
        tree_flatten({1: "a", "b": 2})


def test_none_is_a_node_without_children():
    assert tree_leaves([None, 1, (None,)]) == [1]
    assert tree_structure(None).num_nodes == 1
    assert tree_map(lambda x: x + 1, (1, None)) == (2, None)


def test_is_leaf_makes_none_and_containers_leaves():
    assert tree_leaves([None, 1, (None,)], is_leaf=lambda x: x is None) == [None, 1, None]
    tree = [(1, 2), [3]]
    assert tree_leaves(tree, is_leaf=lambda x: isinstance(x, tuple)) == [(1, 2), 3]
    assert tree_map(lambda x: 0, tree, is_leaf=lambda x: isinstance(x, tuple)) == [0, [0]]


def test_namedtuple_rebuilds_its_class_and_differs_from_tuple():
    leaves, treedef = assert_round_trip(Point(1, 2))
    assert type(tree_unflatten(treedef, [3, 4])) is Point
    assert treedef != tree_structure((1, 2))


def test_ordered_dict_keeps_insertion_order():
    tree = collections.OrderedDict([("b", 1), ("a", 2)])
    leaves, treedef = assert_round_trip(tree)
    rebuilt = tree_unflatten(treedef, [5, 6])
    assert type(rebuilt) is collections.OrderedDict
    assert list(rebuilt.items()) == [("b", 5), ("a", 6)]
    assert treedef != tree_structure(collections.OrderedDict([("a", 2), ("b", 1)]))
    assert treedef != tree_structure({"b": 1, "a": 2})


def test_defaultdict_keeps_default_factory():
    leaves, treedef = assert_round_trip(collections.defaultdict(list, {"b": 1, "a": 2}))
    rebuilt = tree_unflatten(treedef, [5, 6])
    assert type(rebuilt) is collections.defaultdict and rebuilt.default_factory is list
    assert dict(rebuilt) == {"a": 5, "b": 6}
    assert treedef != tree_structure(collections.defaultdict(int, {"b": 1, "a": 2}))


def test_container_subclasses_are_leaves_unless_registered():
    class MyList(list):
        pass
    assert tree_leaves(MyList([1, 2])) == [MyList([1, 2])]


# ---- registration ----

def test_register_pytree_node_with_and_without_keys():
    class Pair:
        def __init__(self, a, b):
            self.a, self.b = a, b

        def __eq__(self, other):
            return type(other) is Pair and (self.a, self.b) == (other.a, other.b)

    class Named(Pair):
        pass

    seen_as_leaf = tree_leaves([Pair(1, 2)])  # flattened before registration...
    assert len(seen_as_leaf) == 1
    tu.register_pytree_node(Pair, lambda p: ([p.a, p.b], "aux"), lambda aux, c: Pair(*c))
    tu.register_pytree_node(
        Named, lambda p: ((p.a, p.b), None), lambda aux, c: Named(*c),
        lambda p: (((GetAttrKey("a"), p.a), (GetAttrKey("b"), p.b)), None))
    assert tree_leaves([Pair(1, (2, 3))]) == [1, 2, 3]  # ...registration still takes effect
    leaves, treedef = assert_round_trip(Pair(1, (2, 3)))
    assert repr(treedef) == "PyTreeDef(CustomNode(Pair[aux], [*, (*, *)]))"
    paths = [keystr(p) for p, _ in tu.tree_leaves_with_path([Pair(1, 2), Named(3, 4)])]
    assert paths == ["[0][<flat index 0>]", "[0][<flat index 1>]", "[1].a", "[1].b"]
    with pytest.raises(ValueError, match="already registered"):
        tu.register_pytree_node(Pair, lambda p: ((), None), lambda aux, c: Pair(1, 2))


def test_register_pytree_node_class():
    @tu.register_pytree_node_class
    class Scaled:
        def __init__(self, value, scale):
            self.value, self.scale = value, scale

        def tree_flatten(self):
            return (self.value,), self.scale

        @classmethod
        def tree_unflatten(cls, scale, children):
            return cls(children[0], scale)

    leaves, treedef = tree_flatten(Scaled([1, 2], "s"))
    assert leaves == [1, 2]
    rebuilt = tree_unflatten(treedef, [3, 4])
    assert type(rebuilt) is Scaled and rebuilt.value == [3, 4] and rebuilt.scale == "s"
    assert treedef != tree_structure(Scaled([1, 2], "t"))  # aux data is part of the treedef
    with pytest.raises(ValueError, match="Scaled"):
        tu.register_pytree_node_class(Scaled)


def test_register_dataclass_bare_infers_static_fields():
    @tu.register_dataclass
    @dataclasses.dataclass
    class Layer:
        w: object
        b: object
        act: str = dataclasses.field(default="relu", metadata=dict(static=True))

    layer = Layer(1, (2, 3), "tanh")
    leaves, treedef = assert_round_trip(layer)
    assert leaves == [1, 2, 3]
    assert repr(treedef) == "PyTreeDef(CustomNode(Layer[('tanh',)], [*, (*, *)]))"
    assert [keystr(p) for p, _ in tu.tree_leaves_with_path(layer)] == [".w", ".b[0]", ".b[1]"]
    assert treedef != tree_structure(Layer(1, (2, 3), "relu"))


def test_register_dataclass_explicit_fields():
    class Plain:  # not a dataclass: fields must be named
        def __init__(self, a, b):
            self.a, self.b = a, b

    tu.register_dataclass(Plain, data_fields=["a"], meta_fields=["b"])
    leaves, treedef = tree_flatten(Plain(1, "m"))
    rebuilt = tree_unflatten(treedef, [2])
    assert leaves == [1] and (rebuilt.a, rebuilt.b) == (2, "m")


def test_register_dataclass_errors():
    class Plain:
        pass

    @dataclasses.dataclass
    class DC:
        x: int
        y: int

    with pytest.raises(TypeError, match="both data_fields and meta_fields"):
        tu.register_dataclass(Plain, data_fields=["a"])
    with pytest.raises(TypeError, match="not a dataclass"):
        tu.register_dataclass(Plain)
    with pytest.raises(ValueError, match=r"missing \['y'\]"):
        tu.register_dataclass(DC, data_fields=["x"], meta_fields=[])


# ---- treedefs ----

def test_treedef_equality_hash_and_accessors():
    a = tree_structure((1, {"k": [2, None]}))
    b = tree_structure(("x", {"k": ["y", None]}))
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != tree_structure((1, {"k": [2, 3]})) and a != "PyTreeDef"
    assert a.num_leaves == 2 and a.num_nodes == 6
    assert a.children() == [tree_structure(1), tree_structure({"k": [2, None]})]
    assert a.node_data() == (tuple, None) and tree_structure(1).node_data() is None
    assert tu.treedef_is_leaf(tree_structure(1.0)) and not tu.treedef_is_leaf(a)
    assert tree_structure((1, 2)).compose(tree_structure([0])) == tree_structure(([0], [0]))


def test_flatten_up_to_and_its_errors():
    treedef = tree_structure([1, (2, 3)])
    assert treedef.flatten_up_to([[9], ({"a": 1}, None)]) == [[9], {"a": 1}, None]
    with pytest.raises(ValueError, match=r"different types at key path \[1\].*tuple.*list"):
        treedef.flatten_up_to([1, [2, 3]])
    with pytest.raises(ValueError, match=r"PyTreeDef\(\[\*, \(\*, \*\)\]\)") as err:
        treedef.flatten_up_to([1, (2, 3, 4)])
    assert "different lengths" in str(err.value) and "PyTreeDef([*, (*, *, *)])" in str(err.value)
    with pytest.raises(ValueError, match="different keys at the root"):
        tree_structure({"a": 1}).flatten_up_to({"b": 1})


def test_unflatten_wrong_leaf_count():
    treedef = tree_structure((1, 2))
    with pytest.raises(ValueError, match="expects 2 leaves, got 1"):
        tree_unflatten(treedef, [1])
    with pytest.raises(ValueError, match="expects 2 leaves, got 3"):
        treedef.unflatten(iter([1, 2, 3]))
    assert tree_unflatten(treedef, (x for x in "ab")) == ("a", "b")


# ---- tree_map and friends ----

def test_tree_map_several_trees_and_prefixes():
    tree = {"a": 1, "b": (2, 3)}
    assert tree_map(lambda x, y, z: x + y + z, tree, tree, tree) == {"a": 3, "b": (6, 9)}
    # Extra trees may be deeper: `tree`'s leaves then receive whole subtrees.
    assert tree_map(lambda x, y: (x, y), [1, 2], [(3, 4), {"q": 5}]) == [(1, (3, 4)), (2, {"q": 5})]
    is_pair = lambda x: isinstance(x, tuple)  # noqa: E731
    assert tree_map(lambda p, q: p + (q,), [(1, 2)], [3], is_leaf=is_pair) == [(1, 2, 3)]


@pytest.mark.parametrize("tree, other, fragment", [
    ((1, 2), (1, 2, 3), "different lengths at the root"),
    ({"a": 1}, {"b": 1}, "different keys at the root"),
    ([1, (2, 3)], [1, [2, 3]], r"different types at key path \[1\]: tree has tuple"),
    ({"a": [None]}, {"a": [1]}, r"(?s)key path \['a'\]\[0\].*is_leaf=lambda x: x is None"),
    (Point(1, (2,)), Point(1, 2), r"key path \.y"),
])
def test_tree_map_mismatch_errors(tree, other, fragment):
    with pytest.raises(ValueError, match=fragment) as err:
        tree_map(lambda *xs: xs[0], tree, other)
    message = str(err.value)
    assert message.startswith("tree_map: pytree structure error")
    # Both structures are shown.
    assert repr(tree_structure(tree)) in message and repr(tree_structure(other)) in message


def test_tree_transpose():
    outer, inner = tree_structure([0, 0]), tree_structure((0, 0, 0))
    tree = [(1, 2, 3), (4, 5, 6)]
    assert tu.tree_transpose(outer, inner, tree) == ([1, 4], [2, 5], [3, 6])
    assert tu.tree_transpose(outer, None, tree) == ([1, 4], [2, 5], [3, 6])
    nested = {"a": {"x": 1, "y": 2}, "b": {"x": 3, "y": 4}}
    assert tu.tree_transpose(tree_structure({"a": 0, "b": 0}), tree_structure({"x": 0, "y": 0}),
                             nested) == {"x": {"a": 1, "b": 3}, "y": {"a": 2, "b": 4}}
    with pytest.raises(TypeError, match="not the outer structure"):
        tu.tree_transpose(outer, tree_structure((0, 0)), tree)


def test_reduce_all_and_all_leaves():
    assert tu.tree_reduce(operator.add, [1, (2, 3)]) == 6
    assert tu.tree_reduce(operator.add, [1, (2, 3)], 10) == 16
    assert tu.tree_reduce(operator.add, [], 0) == 0
    with pytest.raises(TypeError):
        tu.tree_reduce(operator.add, [])
    assert tu.tree_all([True, (1, None)]) and not tu.tree_all([True, 0]) and tu.tree_all([])
    assert tu.all_leaves([1, "a"]) and not tu.all_leaves([1, (2,)])
    assert not tu.all_leaves([None]) and tu.all_leaves([None], is_leaf=lambda x: x is None)


# ---- key paths ----

def test_key_classes_and_keystr():
    assert [str(k) for k in (DictKey("a"), SequenceKey(1), GetAttrKey("x"), FlattenedIndexKey(0))] \
        == ["['a']", "[1]", ".x", "[<flat index 0>]"]
    assert repr(DictKey("a")) == "DictKey(key='a')"
    assert DictKey("a") == DictKey("a") and hash(DictKey(1)) == hash(DictKey(1))
    assert SequenceKey(1) != DictKey(1) != FlattenedIndexKey(1)
    path = (DictKey("a"), SequenceKey(1), GetAttrKey("x"))
    assert keystr(path) == "['a'][1].x" and keystr(()) == ""
    assert keystr(path, simple=True, separator="/") == "a/1/x"


def test_flatten_with_path():
    tree = {"b": [Point(1, 2), None], "a": collections.OrderedDict(z=3)}
    pairs, treedef = tu.tree_flatten_with_path(tree)
    assert treedef == tree_structure(tree)
    assert [leaf for _, leaf in pairs] == tree_leaves(tree)
    assert [keystr(p) for p, _ in pairs] == ["['a']['z']", "['b'][0].x", "['b'][0].y"]
    assert pairs[1][0] == (DictKey("b"), SequenceKey(0), GetAttrKey("x"))
    assert tu.tree_leaves_with_path([None, 1], is_leaf=lambda x: x is None) == \
        [((SequenceKey(0),), None), ((SequenceKey(1),), 1)]


def test_tree_map_with_path():
    out = tu.tree_map_with_path(lambda p, x, y: (keystr(p), x + y), {"a": [1, 2]}, {"a": [3, 4]})
    assert out == {"a": [("['a'][0]", 4), ("['a'][1]", 6)]}
    with pytest.raises(ValueError, match="tree_map_with_path: .*different lengths at key path"):
        tu.tree_map_with_path(lambda p, x, y: x, {"a": [1, 2]}, {"a": [3]})


# ---- prefixes ----

def test_broadcast_prefix():
    full = (1, {"a": 2, "b": [3, 4]})
    assert broadcast_prefix(0, full) == [0, 0, 0, 0]
    assert broadcast_prefix((None, 0), full) == [None, 0, 0, 0]  # vmap in_axes=(None, 0)
    assert broadcast_prefix((1, {"a": None, "b": 2}), full) == [1, None, 2, 2]
    assert broadcast_prefix(None, full) == [None] * 4
    assert broadcast_prefix((0, 1), (None, 5)) == [1]  # a None subtree covers no leaves
    assert broadcast_prefix((0, 1), ((2, 3), 5), is_leaf=lambda x: x == (2, 3)) == [0, 1]


def test_broadcast_prefix_errors_name_the_key_path():
    with pytest.raises(ValueError, match=r"broadcast_prefix: .*key path \[1\]\['b'\]"):
        broadcast_prefix((0, {"a": 0, "b": (0, 0)}), (1, {"a": 2, "b": (3, 4, 5)}))
    with pytest.raises(ValueError, match="different lengths at the root"):
        broadcast_prefix((0, 0), (1,))


# ---- properties and oracles ----

def _trees(leaves):
    keys = st.text(alphabet="abcd", max_size=2)
    return st.recursive(leaves, lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(keys, children, max_size=3),
        st.dictionaries(keys, children, max_size=3).map(collections.OrderedDict),
        st.builds(Point, children, children),
    ), max_leaves=12)


TREES = _trees(st.none() | st.integers() | st.text(max_size=2))


@settings(max_examples=200, deadline=None)
@given(TREES)
def test_round_trip_property(tree):
    leaves, treedef = assert_round_trip(tree)
    assert treedef.flatten_up_to(tree) == leaves
    assert [x for _, x in tu.tree_leaves_with_path(tree)] == leaves
    assert tree_map(lambda x: x, tree) == tree
    assert hash(tree_structure(tree_map(lambda x: 0, tree))) == hash(treedef)
    assert tree_structure(tree_unflatten(treedef, range(len(leaves)))) == treedef


def test_doctests():
    failures, attempted = doctest.testmod(tu)
    assert attempted > 10 and failures == 0


def test_agrees_with_jax():
    jtu = pytest.importorskip("jax.tree_util")

    def check(tree):
        leaves, treedef = tree_flatten(tree)
        jleaves, jtreedef = jtu.tree_flatten(tree)
        assert leaves == jleaves
        assert (treedef.num_leaves, treedef.num_nodes) == (jtreedef.num_leaves, jtreedef.num_nodes)
        assert repr(treedef) == repr(jtreedef)
        assert [keystr(p) for p, _ in tu.tree_leaves_with_path(tree)] == \
            [jtu.keystr(p) for p, _ in jtu.tree_leaves_with_path(tree)]

    for tree in [(1, None), {"b": [1, 2], "a": (3,)}, [Point(1, (2, None)), {"z": None}],
                 collections.defaultdict(list, {"b": 1, "a": [2, 3]}), None, 5, [[]]]:
        check(tree)
    settings(max_examples=100, deadline=None)(given(TREES)(check))()
