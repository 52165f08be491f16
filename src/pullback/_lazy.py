"""Modules imported on first use, so that ``import pullback`` stays fast (SciPy alone
costs more than the rest of pullback put together)."""
import importlib


class LazyModule:
    """Stands for module ``name``; the real import happens at the first attribute access.

    >>> sp = LazyModule('scipy.special')
    >>> sp.erf(0.5)   # scipy.special is imported here
    """

    def __init__(self, name):
        self.__dict__['_name'] = name

    def __getattr__(self, attr):
        module = importlib.import_module(self._name)
        # later lookups find the module's attributes directly in this object's dict
        self.__dict__.update(vars(module))
        return getattr(module, attr)
