"""The errors pullback raises when a traced value is used where a concrete one is needed,
or when a tracer escapes its transformation.  Each names the value's type, the
transformation and function involved, and what to do instead."""

_DOCS = "See the 'Concrete values' section of docs/differences-from-jax.md."


def _origin(tracer):
    try:
        return tracer._trace.origin_message(tracer)
    except AttributeError:
        return ''


def _short(tracer):
    try:
        return tracer.aval.str_short()
    except Exception:
        return '?'


class ConcretizationTypeError(TypeError):
    """A traced (abstract) value was used where Python needs a concrete one."""

    def __init__(self, tracer, context='', origin=None):
        self.tracer = tracer
        self.origin = _origin(tracer) if origin is None else origin
        hint = {
            'int': "If trying to convert the data type of a value, try using `x.astype(int)` "
                   "or `jnp.array(x, int)` instead.",
            'float': "If trying to convert the data type of a value, try using "
                     "`x.astype(float)` or `jnp.array(x, float)` instead.",
        }.get(context, '')
        msg = (f"Abstract tracer value encountered where concrete value is expected: traced "
               f"array with shape {_short(tracer)}\n"
               f"The problem arose with the `{context}` function. {hint}\n{self.origin}\n"
               f"Mark the argument static (jit's static_argnums / static_argnames) if it is "
               f"a Python value, or use structured control flow (lax.cond, lax.while_loop) "
               f"on traced values.")
        super().__init__(msg)


class TracerBoolConversionError(ConcretizationTypeError):
    """``bool()`` (an ``if``, ``while``, ``and`` ...) of a traced value."""

    def __init__(self, tracer, context='bool', origin=None):
        self.tracer = tracer
        self.origin = _origin(tracer) if origin is None else origin
        TypeError.__init__(
            self,
            f"Attempted boolean conversion of traced array with shape {_short(tracer)}.\n"
            f"{self.origin}\n"
            f"Python control flow needs a concrete value: use lax.cond / lax.select / "
            f"jnp.where for traced values, or mark the argument static with jit's "
            f"static_argnums / static_argnames.")


class TracerIntegerConversionError(TypeError):
    """``__index__`` of a traced value (``range(x)``, ``lst[x]``)."""

    def __init__(self, tracer, origin=''):
        super().__init__(
            f"The __index__() method was called on traced array with shape "
            f"{_short(tracer)}.\n{origin}\nUse a concrete (static) value for sizes and "
            f"Python indices, e.g. with jit's static_argnums.")


class TracerArrayConversionError(TypeError):
    """``np.asarray`` of a traced value: NumPy cannot see inside a transformation."""

    def __init__(self, tracer, origin=''):
        super().__init__(
            f"The numpy.ndarray conversion method __array__() was called on traced array "
            f"with shape {_short(tracer)}.\n{origin}\nUse pullback.numpy functions instead "
            f"of numpy functions on traced values.")


class UnexpectedTracerError(TypeError):
    """A tracer was used after the transformation that made it had returned."""

    def __init__(self, tracer):
        trace = getattr(tracer, '_trace', None)
        where = trace.describe() if trace is not None else 'a transformation'
        super().__init__(
            f"Encountered an unexpected tracer: a value of type {_short(tracer)} created by "
            f"{where} was used after that transformation had returned (it leaked, e.g. by "
            f"being stored in a global, a closure or an attribute). Transformed functions "
            f"must return their outputs explicitly and must not save intermediate values to "
            f"outside state.")
