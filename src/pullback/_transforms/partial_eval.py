"""Jaxpr-to-jaxpr surgery shared by every higher-order primitive: dead-code elimination and
partial evaluation (splitting a jaxpr into the part computable now and the part that must
wait for unknown inputs).

Both are pure functions: they build new ``Jaxpr`` objects and never modify their input.
Variables (``Var``) are shared between the input and the output jaxprs, which is fine
because a ``Var`` is only a name with an aval.

Primitives that hold jaxprs of their own (``jit``, control flow) can take part through two
optional attributes:

* ``prim.dce_rule(used_outputs, eqn) -> new_eqn``: prune the inner jaxpr of an equation
  when only some of its outputs are used; ``new_eqn`` keeps only the used outputs and the
  inputs it still reads (None drops the equation);
* ``prim.partial_eval_jaxpr_rule(eqn, unknowns) -> (known_eqn, unknown_eqn, out_unknowns)``:
  split one equation whose inputs are partly known; ``known_eqn`` computes the known
  outputs plus residuals, ``unknown_eqn`` reads those residuals (either may be None).

    >>> known, unknown, out_unk, n_res = partial_eval_jaxpr(jaxpr, [False, True])
"""
from .._core.jaxpr import Jaxpr, ClosedJaxpr, Var

__all__ = ['dce_jaxpr', 'partial_eval_jaxpr']


# --- Dead-code elimination ----------------------------------------------------------------

def _dce_eqns(eqns, live):
    """The equations needed to compute the variables in ``live`` (a set it extends with
    everything those equations read), in their original order."""
    kept = []
    for eqn in reversed(eqns):
        used = [v in live for v in eqn.outvars]
        if not any(used):
            continue
        rule = getattr(eqn.prim, 'dce_rule', None)
        if rule is not None and not all(used):
            eqn = rule(used, eqn)
            if eqn is None:
                continue
        kept.append(eqn)
        for a in eqn.invars:
            if type(a) is Var:
                live.add(a)
    kept.reverse()
    return kept


def dce_jaxpr(jaxpr, used_outputs=None, prune_invars=False):
    """Drop equations whose results are never used.

    ``used_outputs`` (one bool per output, default all) selects the outputs to keep.
    Returns ``(new_jaxpr, used_inputs)`` where ``used_inputs[i]`` says whether input ``i``
    is still read; with ``prune_invars=True`` the unused inputs are removed as well.
    Constant variables that are no longer read are always removed.

    >>> new, used = dce_jaxpr(jaxpr, [True, False])
    """
    outvars = jaxpr.outvars if used_outputs is None else \
        [v for v, u in zip(jaxpr.outvars, used_outputs) if u]
    live = {v for v in outvars if type(v) is Var}
    eqns = _dce_eqns(jaxpr.eqns, live)
    used_inputs = [v in live for v in jaxpr.invars]
    invars = [v for v, u in zip(jaxpr.invars, used_inputs) if u] if prune_invars \
        else jaxpr.invars
    constvars = [v for v in jaxpr.constvars if v in live]
    return Jaxpr(constvars, invars, outvars, eqns), used_inputs


# --- Partial evaluation -------------------------------------------------------------------

def partial_eval_jaxpr(jaxpr, unknowns):
    """Split ``jaxpr`` for inputs of which those marked in ``unknowns`` are not known yet.

    Returns ``(known_jaxpr, unknown_jaxpr, out_unknowns, num_residuals)``:

    * ``known_jaxpr`` takes the known inputs (and the constvars) and returns the known
      outputs followed by ``num_residuals`` residuals;
    * ``unknown_jaxpr`` takes the residuals followed by *all* unknown inputs and returns the
      unknown outputs;
    * ``out_unknowns[i]`` says whether output ``i`` comes from the unknown jaxpr.

    A ``ClosedJaxpr`` gives ``ClosedJaxpr`` results (its constants stay with the known
    part).  An equation is known when none of its inputs is unknown; mixed equations of
    primitives with a ``partial_eval_jaxpr_rule`` are split, the others become unknown.
    Only what the unknown part really reads is passed as a residual.
    """
    if isinstance(jaxpr, ClosedJaxpr):
        k, u, out_unk, n = partial_eval_jaxpr(jaxpr.jaxpr, unknowns)
        consts = [c for v, c in zip(jaxpr.jaxpr.constvars, jaxpr.consts) if v in k.constvars]
        return ClosedJaxpr(k, consts), ClosedJaxpr(u, []), out_unk, n
    if len(unknowns) != len(jaxpr.invars):
        raise ValueError(f"partial_eval_jaxpr: got {len(unknowns)} unknown flags for a jaxpr "
                         f"with {len(jaxpr.invars)} inputs")
    unknown_vars = {v for v, u in zip(jaxpr.invars, unknowns) if u}
    known_eqns, unknown_eqns = [], []
    for eqn in jaxpr.eqns:
        ins_unknown = [type(a) is Var and a in unknown_vars for a in eqn.invars]
        if not any(ins_unknown):
            known_eqns.append(eqn)
            continue
        rule = getattr(eqn.prim, 'partial_eval_jaxpr_rule', None)
        if rule is not None and not all(ins_unknown):
            known_eqn, unknown_eqn, out_unk = rule(eqn, ins_unknown)
            if known_eqn is not None:
                known_eqns.append(known_eqn)
            if unknown_eqn is not None:
                unknown_eqns.append(unknown_eqn)
            unknown_vars.update(v for v, u in zip(eqn.outvars, out_unk) if u)
        else:
            unknown_eqns.append(eqn)
            unknown_vars.update(eqn.outvars)

    out_unknowns = [type(v) is Var and v in unknown_vars for v in jaxpr.outvars]
    unknown_outs = [v for v, u in zip(jaxpr.outvars, out_unknowns) if u]
    known_outs = [v for v, u in zip(jaxpr.outvars, out_unknowns) if not u]

    # The unknown part, pruned first so that only residuals it really reads are kept.
    live = {v for v in unknown_outs if type(v) is Var}
    unknown_eqns = _dce_eqns(unknown_eqns, live)
    residuals, seen = [], set()
    for eqn in unknown_eqns:
        for a in eqn.invars:
            if type(a) is Var and a not in unknown_vars and a not in seen:
                seen.add(a)
                residuals.append(a)
    unknown_invars = [v for v, u in zip(jaxpr.invars, unknowns) if u]
    unknown = Jaxpr([], residuals + unknown_invars, unknown_outs, unknown_eqns)

    known_invars = [v for v, u in zip(jaxpr.invars, unknowns) if not u]
    known = Jaxpr(jaxpr.constvars, known_invars, known_outs + residuals, known_eqns)
    known, _ = dce_jaxpr(known)
    return known, unknown, out_unknowns, len(residuals)
