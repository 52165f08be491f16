"""The core: avals (avals.py), primitives, traces and tracers (core.py), the jaxpr IR
(jaxpr.py, pretty.py), the helpers all rules share (rules.py) and errors (errors.py)."""
