"""Abstract values: what a transformation knows about an array without its numbers."""
import numpy as np

from .. import dtypes


class ShapedArray:
    """Shape, dtype and weak type of an array: the type of every jaxpr variable.

    >>> ShapedArray((2, 3), np.dtype('float32')).str_short()
    'f32[2,3]'
    """
    __slots__ = ('shape', 'dtype', 'weak_type')

    def __init__(self, shape, dtype, weak_type=False):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = bool(weak_type)

    @classmethod
    def make(cls, shape, dtype, weak_type):
        """An aval from a shape tuple and an ``np.dtype`` that need no conversion (hot paths:
        abstract evaluation inside every traced operation)."""
        aval = object.__new__(cls)
        aval.shape = shape
        aval.dtype = dtype
        aval.weak_type = weak_type
        return aval

    @classmethod
    def of_value(cls, value, weak_type):
        """The aval of a NumPy value (no conversions: a hot path of every transformation)."""
        aval = object.__new__(cls)
        aval.shape = value.shape
        aval.dtype = value.dtype
        aval.weak_type = weak_type
        return aval

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def update(self, shape=None, dtype=None, weak_type=None):
        return ShapedArray(self.shape if shape is None else shape,
                           self.dtype if dtype is None else dtype,
                           self.weak_type if weak_type is None else weak_type)

    def strip_weak_type(self):
        return ShapedArray(self.shape, self.dtype, False) if self.weak_type else self

    def to_tangent_aval(self):
        if self.dtype.kind in 'fc':
            return self  # inexact values are their own tangent type (avals are immutable)
        return ShapedArray(self.shape, dtypes.tangent_dtype(self.dtype), self.weak_type)

    def str_short(self):
        return f"{dtypes.short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    def __eq__(self, other):
        return (type(other) is ShapedArray and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type))

    def __str__(self):
        return ('~' if self.weak_type else '') + \
            f"{self.dtype.name}[{','.join(map(str, self.shape))}]"

    def __repr__(self):
        weak = ', weak_type=True' if self.weak_type else ''
        return f"ShapedArray({self.dtype.name}[{','.join(map(str, self.shape))}]{weak})"
