"""pullback: JAX's composable function transformations in pure Python over NumPy.

    >>> import pullback as jax
    >>> import pullback.numpy as jnp
    >>> jax.grad(lambda x: jnp.sin(x) ** 2)(1.0)
    Array(0.9092974, dtype=float32, weak_type=True)
"""
from .config import config
from . import dtypes, tree_util
from ._array import Array
from ._core.errors import (ConcretizationTypeError, TracerBoolConversionError,
                           TracerIntegerConversionError, TracerArrayConversionError,
                           UnexpectedTracerError)
from . import lax
from . import numpy
from ._api import (jvp, linearize, vjp, grad, value_and_grad, jacfwd, jacrev, hessian, vmap,
                   make_jaxpr, eval_shape, ShapeDtypeStruct)

__version__ = '0.1.0'
