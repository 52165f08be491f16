"""Global configuration: ``pullback.config.update(name, value)`` and ``pullback.config.NAME``.

Example::

    >>> import pullback
    >>> pullback.config.update('jax_enable_x64', True)
    >>> pullback.config.jax_enable_x64
    True
"""

_DEFAULTS = {
    # 64-bit types off by default, as in JAX: float32 / int32 / complex64.
    'jax_enable_x64': False,
    # False reproduces the seed's (JAX's original) threefry split and random bits.
    'jax_threefry_partitionable': False,
    # Accepted for compatibility; pullback always runs on the CPU through NumPy.
    'jax_platform_name': 'cpu',
    'jax_debug_nans': False,
    'jax_disable_jit': False,
    # Un-jitted transformations stage the function and transform one cached call
    # (_transforms/staging.py); False interprets every primitive.
    'pullback_staged_transforms': True,
}


class Config:
    """Holds the option values; read them as attributes, change them with ``update``."""

    def __init__(self):
        self.__dict__['_values'] = dict(_DEFAULTS)
        self.__dict__['_listeners'] = []

    def update(self, name, value):
        """Set option ``name`` to ``value``.

        >>> config.update('jax_enable_x64', False)
        """
        if name not in self._values:
            known = ', '.join(sorted(self._values))
            raise AttributeError(
                f"pullback.config.update: unknown option {name!r}. Known options: {known}.")
        self._values[name] = value
        for listener in self._listeners:
            listener(name, value)

    def _add_listener(self, fn):
        self._listeners.append(fn)

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"pullback.config has no option {name!r}") from None

    def __setattr__(self, name, value):
        self.update(name, value)


config = Config()
