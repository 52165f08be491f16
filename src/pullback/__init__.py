"""pullback: JAX's composable function transformations in pure Python over NumPy.

    >>> import pullback as jax
    >>> import pullback.numpy as jnp
    >>> jax.grad(lambda x: jnp.sin(x) ** 2)(1.0)
    Array(0.9092974, dtype=float32, weak_type=True)
"""
import warnings as _warnings

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

from . import random  # noqa: E402

__version__ = '0.1.0'

# Like JAX, pullback returns inf/nan for log(0), 1/0 ... without NumPy's RuntimeWarnings.
# The filter only matches warnings raised from pullback's own modules and generated code.
_warnings.filterwarnings('ignore', category=RuntimeWarning, module=r'pullback(\.|$)')

# Names defined by modules that are imported on first use (PEP 562).
_LAZY = {
    'jit': '._transforms.jit', 'clear_caches': '._transforms.jit',
    'custom_jvp': '._transforms.custom_derivatives',
    'custom_vjp': '._transforms.custom_derivatives',
    'checkpoint': '._transforms.checkpoint', 'remat': '._transforms.checkpoint',
    'checkpoint_policies': '._transforms.checkpoint',
    'checkpoint_name': '._transforms.checkpoint',
    'linear_transpose': '._transforms.linear_transpose',
    'nn': '.nn', 'scipy': '.scipy', 'test_util': '.test_util',
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pullback' has no attribute {name!r}")
    import importlib
    mod = importlib.import_module(module, __name__)
    return mod if module == '.' + name else getattr(mod, name)
