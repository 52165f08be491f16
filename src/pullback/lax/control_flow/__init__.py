"""Structured control flow: ``cond``, ``switch``, ``while_loop``, ``fori_loop``, ``scan``,
``map``, ``associative_scan``, ``custom_root`` and ``custom_linear_solve``.

Each construct traces its Python callables once, on abstract values, to jaxprs (constants
they close over, possibly tracers of enclosing transformations, become leading operands),
and binds one primitive holding those jaxprs.  Every transformation then has one rule per
primitive, written by transforming the inner jaxprs:

* ``impl`` evaluates the jaxprs (a Python loop for ``while`` and ``scan``);
* ``jvp`` binds the same primitive on the JVP of the jaxprs (a fixpoint decides which loop
  carries have nonzero tangents);
* ``batch`` binds it on the batched jaxprs; a batched ``cond`` predicate becomes a
  ``select_n`` of both branches, a batched ``while`` predicate a masked loop that runs
  while any member continues;
* ``partial_eval`` (linearize, hence reverse mode) runs the known part now and records only
  the unknown (tangent) part: a ``cond`` with a concrete predicate just evaluates the taken
  branch; ``scan`` stacks the residuals of every iteration as extra outputs of the known
  scan and records a scan over them; ``partial_eval_jaxpr_rule`` is the same split on a
  jaxpr (for ``jit``);
* ``transpose`` runs the loop backwards (``scan``) or picks the transposed branch
  (``cond``).

Reverse mode through ``while_loop`` (beyond JAX): when linearize meets a while loop whose
values are concrete, it runs the loop right away, counting the iterations and keeping each
iteration's residuals, then records the tangent part as a ``scan`` of that length over the
stacked residuals.  Memory is O(iterations x residual size), as for an unrolled loop.  Under
``vmap`` (members stop at different times) the loop becomes a scan, as long as the longest
member, of "step if not done yet".  Under ``jit`` (abstract values) the trip count is
unknown; then, as in JAX, forward mode works and transposition raises an error that points
to ``scan``, ``fori_loop`` and ``custom_vjp``.

Layout: ``_common`` (tracing user functions, carry and branch errors, jaxpr helpers shared
by the rules, ``HigherOrderPrimitive``), ``conditionals`` (``cond``, ``switch``), ``scans``
(``scan``, ``map``, ``associative_scan``), ``loops`` (``while_loop``, ``fori_loop``, the
run-time-residual reverse mode of ``while``) and ``solves`` (``custom_linear_solve``,
``custom_root``).

    >>> lax.fori_loop(0, 3, lambda i, x: x * 2., 1.)
    Array(8., dtype=float32, weak_type=True)
"""
# Helpers other modules (checkpoint) build on, importable from here as before.
from ._common import (HigherOrderPrimitive, _trace_user, _operand, _run, _wrap,  # noqa: F401
                      _unwrap, _jvp_jaxpr, _batch_jaxpr, _backward, _trace_closed, _merge)
from .conditionals import cond, switch, cond_p  # noqa: F401
from .scans import scan, map, associative_scan, scan_p  # noqa: F401
from .loops import while_loop, fori_loop, while_p  # noqa: F401
from .solves import (custom_root, custom_linear_solve, linear_solve_p,  # noqa: F401
                     custom_root_p)

__all__ = ['cond', 'switch', 'while_loop', 'fori_loop', 'scan', 'map', 'associative_scan',
           'custom_root', 'custom_linear_solve']
