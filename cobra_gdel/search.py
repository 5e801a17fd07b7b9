"""Strain-design search without a predictor: gDel_minRN as an MILP, and TrimGdel trimming.

:func:`search_deletions` builds its own optlang MILP from the model (the model is
never modified): a flux variable per reaction, a binary per deletable gene
(1 = kept), a binary per GPR AND-term and per reaction rule, flux switches
``lb·z ≤ v ≤ ub·z``, ``S·v = 0`` and lower bounds on growth and production. The
objective ``−growth + W·Σz`` represses as many reactions as possible. Every decoded
design is re-checked with the pessimistic two-LP coupling check; a failed design
is excluded by a no-good cut on its repressed reactions and the MILP is solved
again.

:func:`trim` is the greedy TrimGdel pass: it restores deleted genes one at a time
while the design stays coupled, which makes the result minimal (restoring any one
remaining deleted gene breaks coupling).
"""

from __future__ import annotations

import logging
import math
import time
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from cobra.util.solver import linear_reaction_coefficients
from optlang.interface import FEASIBLE, INFEASIBLE, OPTIMAL, TIME_LIMIT
from optlang.symbolics import Zero

from ._gpr import _minimise
from ._lp import FluxProblem, _set_time_limit, solver_interface
from .coupling import (
    GROWTH_LB,
    PRODUCTION_LB,
    GROWTH_TOLERANCE,
    CouplingReport,
    _EPS,
    _check_lb,
    _production_spec,
    get_checker,
    protected_genes,
    resolve_target,
)
from .design import DeletionDesign
from .exceptions import InfeasibleModelError, SolverError

logger = logging.getLogger(__name__)

__all__ = ["search_deletions", "trim"]

#: Wall-clock limit of one MILP solve when the caller gives no overall limit, seconds.
DEFAULT_MILP_TIME_LIMIT = 300.0
#: Limit of each MILP solve (at least; 0.002 s per gene binary), doubled after a solve
#: that found no incumbent.
FIRST_SOLVE_SECONDS = 0.25
#: Production levels (shares of the maximal production at growth ≥ growth_lb) the MILP
#: requires in turn after its first solve at production_lb. Every solution is still
#: checked at production_lb; requiring more production makes the maximally repressed
#: network keep only routes through the target, which couples far more often
#: (e_coli_core, GLPK: see search_deletions' notes).
PRODUCTION_LEVELS = (0.1, 0.3, 0.01, 0.5)
#: Most checks the greedy route-closing step makes after one MILP solution.
GREEDY_MAX_CHECKS = 60
#: Up to this many options the greedy step takes the best one, beyond it the first.
BEST_IMPROVEMENT_OPTIONS = 12
#: A solve is never started with less than this many seconds left.
_MIN_SOLVE_SECONDS = 0.1
#: Relative slack TrimGdel allows on the lower bounds while trimming.
TRIM_SLACK = 0.999


# -- the MILP ------------------------------------------------------------------------------
@dataclass
class _Switch:
    """One reaction switch: a binary shared by all reactions with the same reduced rule."""

    var: object
    reactions: list[str] = field(default_factory=list)


class _MinRN:
    """The gDel_minRN MILP of one model and target (a private optlang problem).

    Genes outside *deletable* are fixed kept and removed from the rules before the
    problem is built; a term made only of such genes is always true, so its
    reaction needs no switch. Genes that remain in no rule get no binary. Reactions
    whose reduced rules are identical share one switch ``z`` (weighted in the
    objective by the number of reactions it stands for, so the objective still
    counts reactions); a one-term rule uses the term's binary as ``z`` and a
    one-gene term the gene's binary as ``t``.
    """

    def __init__(self, model, checker, target_id: str, deletable: frozenset[str],
                 growth_lb: float, production_lb: float, interface,
                 clock: "_Clock | None" = None,
                 forced: frozenset[str] = frozenset()) -> None:
        self.interface = interface
        self.deletable = deletable
        self.forced = forced
        metabolite = resolve_target(model, target_id)
        prod_id, prod_stoich, auxiliary = _production_spec(model, metabolite)
        self.production_id = prod_id
        growth = {r.id: float(c) for r, c in linear_reaction_coefficients(model).items()}
        self.growth = growth
        build_start = time.perf_counter()

        # Reduced rules: drop genes that are fixed kept; a term emptied that way is true.
        # A term with a forced deletion is false; a rule left without terms is off.
        switch_of_rule: dict[tuple, list[str]] = {}
        self.off: list[str] = []
        for rid, terms in checker.rules.rules.items():
            reduced = []
            always = False
            for term in terms:
                if not term.isdisjoint(forced):
                    continue
                rest = term & deletable
                if not rest:
                    always = True
                    break
                reduced.append(rest)
            if always:
                continue
            if not reduced:
                self.off.append(rid)
                continue
            key = tuple(sorted((tuple(sorted(t)) for t in _minimise(reduced))))
            switch_of_rule.setdefault(key, []).append(rid)

        # Genes that occur in exactly the same AND-terms are interchangeable: deleting any
        # one of them falsifies the same terms. One binary stands for each such class (its
        # smallest gene id, which is the gene a decoded design deletes).
        occurs: dict[str, set[tuple]] = {}
        for key in switch_of_rule:
            for term in key:
                for gene in term:
                    occurs.setdefault(gene, set()).add(term)
        representative: dict[frozenset, str] = {}
        for gene in sorted(occurs):
            representative.setdefault(frozenset(occurs[gene]), gene)
        rep = {g: representative[frozenset(occurs[g])] for g in occurs}
        merged: dict[tuple, list[str]] = {}
        for key, reactions in switch_of_rule.items():
            terms = _minimise(frozenset(rep[g] for g in term) for term in key)
            merged_key = tuple(sorted(tuple(sorted(t)) for t in terms))
            merged.setdefault(merged_key, []).extend(reactions)
        switch_of_rule = merged

        Variable, Constraint = interface.Variable, interface.Constraint
        problem = interface.Model()
        # Flux variables.
        stoich: dict[str, dict[str, float]] = {
            r.id: {m.id: c for m, c in r.metabolites.items()} for r in model.reactions}
        # Flux bounds tightened to the reachable ranges (growth >= growth_lb): the same
        # feasible set, but big-M constants that are as small as they can be.
        # With forced deletions (a one-off problem) only switched reactions need ranges.
        switched = (frozenset(r for rs in switch_of_rule.values() for r in rs)
                    if forced else None)
        bounds = dict(_flux_ranges(model, checker, growth_lb, clock,
                                   (prod_id, prod_stoich) if auxiliary else None,
                                   frozenset(self.off), switched))
        if auxiliary:
            stoich[prod_id] = dict(prod_stoich)
        self.flux = {rid: Variable(f"v{i}", lb=lb, ub=ub)
                     for i, (rid, (lb, ub)) in enumerate(bounds.items())}
        # Gene binaries (one per class); term and rule switches are continuous in [0, 1]:
        # with integral genes the AND/OR constraints force them to 0 or 1, so the solver
        # only branches on genes.
        genes = sorted({g for key in switch_of_rule for term in key for g in term})
        self.gene_vars = {g: Variable(f"g{i}", type="binary") for i, g in enumerate(genes)}
        term_vars: dict[tuple, object] = {}
        new_vars: list = list(self.flux.values()) + list(self.gene_vars.values())
        pending: list[tuple[object, dict]] = []  # (constraint, coefficients)

        def term_var(term: tuple):
            if len(term) == 1:
                return self.gene_vars[term[0]]
            var = term_vars.get(term)
            if var is None:
                var = term_vars[term] = Variable(f"t{len(term_vars)}", lb=0, ub=1)
                new_vars.append(var)
                k = len(term)
                for g in term:  # t <= g
                    pending.append((Constraint(Zero, ub=0), {var: 1, self.gene_vars[g]: -1}))
                # t >= sum(g) - (k - 1)
                coefs = {self.gene_vars[g]: 1 for g in term}
                coefs[var] = -1
                pending.append((Constraint(Zero, ub=k - 1), coefs))
            return var

        self.switches: list[_Switch] = []
        for key, reactions in switch_of_rule.items():
            terms = [term_var(t) for t in key]
            if len(terms) == 1:
                z = terms[0]
            else:
                z = Variable(f"z{len(self.switches)}", lb=0, ub=1)
                new_vars.append(z)
                for t in terms:  # z >= t
                    pending.append((Constraint(Zero, lb=0), {z: 1, t: -1}))
                coefs = {t: 1 for t in terms}
                coefs[z] = -1
                pending.append((Constraint(Zero, lb=0), coefs))  # z <= sum(t)
            self.switches.append(_Switch(z, list(reactions)))
            for rid in reactions:  # lb*z <= v <= ub*z (nothing to switch when v = 0)
                v = self.flux[rid]
                lb, ub = bounds[rid]
                if ub != 0:
                    pending.append((Constraint(Zero, ub=0), {v: 1, z: -ub}))
                if lb != 0:
                    pending.append((Constraint(Zero, lb=0), {v: 1, z: -lb}))
        # Mass balances.
        rows: dict[str, dict] = {}
        for rid, coefs in stoich.items():
            for met, coef in coefs.items():
                rows.setdefault(met, {})[self.flux[rid]] = coef
        for coefs in rows.values():
            pending.append((Constraint(Zero, lb=0, ub=0), coefs))
        # Requirements.
        self.production_coefs = {prod_id: -prod_stoich[metabolite.id]}
        self.growth_row = Constraint(Zero, lb=growth_lb)
        self.production_row = Constraint(Zero, lb=production_lb, name="production")
        pending.append((self.growth_row, {self.flux[r]: c for r, c in growth.items()}))
        pending.append((self.production_row,
                        {self.flux[r]: c for r, c in self.production_coefs.items()}))
        problem.add(new_vars)
        problem.add([c for c, _ in pending])
        problem.update()
        for constraint, coefs in pending:
            constraint.set_linear_coefficients(coefs)
        problem.update()
        self.problem = problem
        self.cuts: list[frozenset[int]] = []
        self.n_binaries = len(self.gene_vars)
        self.build_seconds = time.perf_counter() - build_start
        logger.debug("gDel_minRN MILP for %s: %d fluxes, %d binaries, %d switches, %d rows "
                     "(%.2f s)", target_id, len(self.flux), self.n_binaries,
                     len(self.switches), len(pending), self.build_seconds)

    # -- objectives ---------------------------------------------------------------------
    def _set_objective(self, coefs: Mapping, direction: str) -> None:
        objective = self.interface.Objective(Zero, direction=direction)
        self.problem.objective = objective
        objective.set_linear_coefficients(dict(coefs))

    def set_max_growth_objective(self) -> None:
        """Objective: maximal growth (all binaries free)."""
        self._set_objective({self.flux[r]: c for r, c in self.growth.items()}, "max")

    def set_minrn_objective(self, weight: float) -> None:
        """Objective: minimise −growth + weight·(number of reactions that may carry flux)."""
        coefs = {self.flux[r]: -c for r, c in self.growth.items()}
        for switch in self.switches:
            coefs[switch.var] = coefs.get(switch.var, 0.0) + weight * len(switch.reactions)
        self._set_objective(coefs, "min")

    def require_production(self, value: float) -> None:
        """Set the MILP's lower bound on production (valid across fresh problems)."""
        self.problem.constraints["production"].lb = value

    def fix_all_kept(self, fixed: bool) -> None:
        """Fix every gene binary to 1 (kept), or free them again."""
        for var in self.gene_vars.values():
            var.lb = 1 if fixed else 0

    # -- solving ------------------------------------------------------------------------
    def solve(self, seconds: float) -> str:
        """Solve within *seconds*; returns "optimal", "incumbent", "infeasible" or "failed".

        A solve that stops at its time limit with a feasible incumbent returns
        "incumbent" (its values are then read; every decoded design is re-checked by
        FBA). Anything else that is not optimal or infeasible is retried once on a
        freshly built copy of the problem's state (the same bounds, objective and cuts
        in a new solver object); if that fails too, "failed" (time limit with no
        incumbent) is returned or SolverError raised (solver errors).
        """
        status = "unsolved"
        for attempt in ("first", "fresh problem"):
            if attempt == "fresh problem":
                logger.info("MILP status %r; retrying on a fresh problem.", status)
                self._fresh_problem()
            _configure_milp(self.problem, seconds)
            start = time.perf_counter()
            try:
                status = self.problem.optimize()
            except Exception as exc:  # solver libraries raise their own types
                logger.info("MILP solver raised %s: %s", type(exc).__name__, exc)
                status = "error"
            elapsed = time.perf_counter() - start
            logger.debug("MILP solved in %.3f s: %s", elapsed, status)
            if status == OPTIMAL:
                return "optimal"
            if status in (TIME_LIMIT, FEASIBLE) and _has_incumbent(self.problem):
                return "incumbent"
            if status == INFEASIBLE:
                return "infeasible"
            if status == TIME_LIMIT:
                return "failed"
            seconds -= elapsed
            if seconds < _MIN_SOLVE_SECONDS:
                return "failed"
        raise SolverError(f"the gDel_minRN MILP ({self.interface.__name__}) ended with status "
                          f"{status!r} even on a fresh problem")

    def _fresh_problem(self) -> None:
        """Copy the problem into a new solver object (drops any stale solver state)."""
        clone = self.interface.Model.clone(self.problem)
        mapping = {v.name: v for v in clone.variables}
        self.flux = {rid: mapping[v.name] for rid, v in self.flux.items()}
        self.gene_vars = {g: mapping[v.name] for g, v in self.gene_vars.items()}
        for switch in self.switches:
            switch.var = mapping[switch.var.name]
        self.problem = clone

    def value(self, var) -> float:
        primal = var.primal
        if primal is None or (isinstance(primal, float) and math.isnan(primal)):
            raise SolverError("the MILP solution has no value for a binary variable")
        return float(primal)

    def decode(self) -> tuple[frozenset[str], list[object]]:
        """(deleted genes, switch variables that are 0) of the current solution."""
        deleted = frozenset(g for g, var in self.gene_vars.items() if self.value(var) < 0.5)
        off = [s.var for s in self.switches if self.value(s.var) < 0.5]
        return deleted, off

    def add_cut(self, off: list) -> None:
        """No-good cut: at least one of the repressed switches must be 1."""
        constraint = self.interface.Constraint(Zero, lb=1, name=f"cut{len(self.cuts)}")
        self.problem.add(constraint)
        self.problem.update()
        constraint.set_linear_coefficients({var: 1 for var in off})
        self.cuts.append(frozenset(id(v) for v in off))


_RANGES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _flux_ranges(model, checker, growth_lb: float, clock: "_Clock | None" = None,
                 production: tuple[str, Mapping[str, float]] | None = None,
                 off: frozenset[str] = frozenset(),
                 only: frozenset[str] | None = None) -> dict[str, tuple[float, float]]:
    """Reaction id → (min, max) flux with growth ≥ *growth_lb*.

    Flux variability on a private LP (bounds capped at ±1000), cached per checker,
    growth bound and auxiliary production reaction (not with closed reactions); rounded
    outwards by 1e-6 (relative) against solver tolerance. *production* (id,
    stoichiometry) is an auxiliary sink that is not in the model: it is added open,
    because opening it can widen the ranges of other reactions (a dead-end pathway
    of the wild type carries flux once its product can leave), so ranges of the
    wild type alone would cut off feasible designs. Reactions in *off* are closed
    (forced deletions), which only narrows the ranges of every solution that has
    them closed. With *only*, just those reactions get ranges (the MILP's switched
    reactions, the only ones with big-M constants); the rest keep their capped
    bounds. When *clock* runs out, the remaining reactions keep their capped
    bounds (valid, only looser) and the incomplete result is not cached.
    """
    key = (growth_lb, None if production is None else production[0], off, only)
    per_checker = _RANGES.setdefault(checker, {})
    ranges = per_checker.get(key)
    if ranges is not None:
        return ranges
    start = time.perf_counter()
    lp = FluxProblem(model, checker.interface, time_limit=checker.lp.time_limit)
    if production is not None:
        lp.add_reaction(production[0], production[1], 0.0, 1000.0)
    for rid in off:
        lp.set_bounds(rid, 0.0, 0.0)
    growth = {r.id: float(c) for r, c in linear_reaction_coefficients(model).items()}
    lp.add_constraint("growth", growth, lb=growth_lb, ub=None)
    ranges = {}
    complete = True
    for rid, (lb, ub) in lp.current.items():
        if only is not None and rid not in only:
            ranges[rid] = (lb, ub)
            continue
        if clock is not None and clock.expired():
            complete = False
            ranges[rid] = (lb, ub)
            continue
        low = lp.solve({rid: 1.0}, "min") if lb < 0 else lb
        high = lp.solve({rid: 1.0}, "max") if ub > 0 else ub
        if low is None or high is None:
            raise InfeasibleModelError(f"model {model.id!r} cannot grow at >= {growth_lb:g}"
                                       + (" with the forced deletions" if off else ""))
        ranges[rid] = (max(lb, _outward(low, -1.0)), min(ub, _outward(high, 1.0)))
    if complete and not off:  # forced sets are one-off: caching them only grows memory
        per_checker[key] = ranges
    logger.info("flux ranges of %s (%d reactions, %d closed) in %.2f s", model.id, len(ranges),
                len(off), time.perf_counter() - start)
    return ranges


_EXIT_LP: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_EXITS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _uncontrolled_exit(model, checker, target: str, keep: frozenset[str]) -> list[str]:
    """Reactions through which *target* can leave the network whatever is deleted.

    Only reactions that stay active when every gene outside *keep* is deleted
    (no rule, or a rule that protected genes alone satisfy) are open; growth
    reactions and the target's own production reaction are closed, and exchange,
    demand and sink reactions may only export. If one unit of the target can then
    be consumed, every flux distribution can send its production of the target
    this way instead, at the same growth, so the minimal production at maximal
    growth is 0 for every design (while flux bounds leave room for the detour).
    Returns the reactions of such an exit (empty: none). Cached per checker,
    target and protected set.
    """
    key = (target, keep)
    memo = _EXITS.setdefault(checker, {})
    if key in memo:
        return memo[key]
    rid, _coefs = checker.production(target)
    lp = _EXIT_LP.get(checker)
    if lp is None:
        # The detour is a direction added to a feasible flux: each reaction may move
        # the ways its bounds allow (a positive lower bound, such as ATP maintenance,
        # does not force flux), exchanges only towards export (no extra uptake).
        lp = FluxProblem(model, checker.interface, time_limit=checker.lp.time_limit)
        boundary = {r.id for r in model.boundary}
        for r, (lb, ub) in list(lp.bounds.items()):
            lp.bounds[r] = (0.0 if r in boundary else min(lb, 0.0), max(ub, 0.0))
            lp.restore(r)
        _EXIT_LP[checker] = lp
    closed = set(checker.rules.disabled(checker.genes - keep)) | set(checker._growth)
    closed.add(rid)
    source = f"_cobra_gdel_source_{target}"
    if source not in lp.current:
        lp.add_reaction(source, {target: 1.0}, 0.0, 0.0)
    changed = {source: (0.0, 1.0)}
    changed.update({r: (0.0, 0.0) for r in closed if r in lp.current})
    try:
        for r, (lb, ub) in changed.items():
            lp.set_bounds(r, lb, ub)
        value = lp.solve({source: 1.0}, "max")
        route = [] if value is None or value < 1e-6 else sorted(
            r for r, v in lp.fluxes().items() if abs(v) > 1e-9 and r != source)
    finally:
        for r in changed:
            lp.restore(r)
    memo[key] = route
    if route:
        logger.info("%s can leave through reactions no deletable gene controls: %s", target,
                    route)
    return route


#: How the reason of a design starts when no deletion design can exist (an uncontrolled exit).
NO_DESIGN_REASON = "no deletion design can couple"


def _proved_no_design(design: DeletionDesign) -> bool:
    """Whether *design* failed because repair or search proved that no deletion design
    can couple its target (:func:`_exit_reason`)."""
    return not design.coupled and (design.reason or "").startswith(NO_DESIGN_REASON)


def _exit_reason(target: str, route: list[str], keep: frozenset[str]) -> str:
    shown = ", ".join(route[:6]) + (", ..." if len(route) > 6 else "")
    return (f"{NO_DESIGN_REASON} {target}: it can also leave through reactions "
            f"that no deletable gene controls ({shown}), so every design has minimal "
            "production 0 at maximal growth"
            + (f" (protected genes: {', '.join(sorted(keep)[:5])})" if keep else ""))


def _rule_off(rules, rid: str, deleted) -> bool:
    """Whether reaction *rid*'s rule is false once the genes in *deleted* are false."""
    terms = rules.rules.get(rid)
    if terms is not None:
        return all(not term.isdisjoint(deleted) for term in terms)
    return not rules._ast[rid].eval(knockouts=deleted)


def _newly_disabled(rules, deleted: set, disabled: frozenset, gene: str) -> set[str]:
    """Reactions that deleting *gene* on top of *deleted* switches off (only its own)."""
    after = deleted | {gene}
    return {r for r in rules.gene_reactions.get(gene, ())
            if r not in disabled and _rule_off(rules, r, after)}


def _reenabled(rules, deleted: set, disabled: frozenset, gene: str) -> set[str]:
    """Reactions that restoring *gene* (a member of *deleted*) switches back on."""
    rest = deleted - {gene}
    return {r for r in rules.gene_reactions.get(gene, ())
            if r in disabled and not _rule_off(rules, r, rest)}


# checker → {gene: maximal growth of its single deletion}
_SINGLE_GROWTH: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _single_growth(checker, genes: Iterable[str],
                   clock: "_Clock | None" = None) -> dict[str, float]:
    """Maximal growth of each single-gene deletion (cached per checker, computed lazily).

    Returns the whole cache. Genes left uncomputed when *clock* runs out are missing
    from it (callers treat them as not essential, which is always safe).
    """
    cache = _SINGLE_GROWTH.setdefault(checker, {})
    for gene in genes:
        if gene not in cache:
            if clock is not None and clock.expired():
                break
            if checker.rules.disabled((gene,)):
                cache[gene] = checker.max_growth((gene,))
            else:
                cache[gene] = checker.wild_type_growth
    return cache


def _outward(value: float, direction: float) -> float:
    """*value* moved away from zero-tolerance noise: 0 if tiny, else widened by 1e-6."""
    if abs(value) <= 1e-9:
        return 0.0
    return value + direction * 1e-6 * max(1.0, abs(value))


def _configure_milp(problem, seconds: float) -> None:
    """Time limit of the next solve (GLPK's in milliseconds: optlang rounds to s), and
    for GLPK its primal heuristics and cuts."""
    seconds = max(_MIN_SOLVE_SECONDS, float(seconds))
    if "glpk" in problem.interface.__name__:
        # GLPK applies the limit to its simplex and its branch-and-bound in turn.
        milliseconds = max(50, int(min(seconds, 1e6) * 500))
        problem.configuration._smcp.tm_lim = milliseconds
        iocp = problem.configuration._iocp
        iocp.tm_lim = milliseconds
        # Primal heuristics and cuts: GLPK's plain branch-and-bound stops at weak
        # incumbents of this big-M model (measured on e_coli_core: 2 more of the 7
        # targets it missed are found with them).
        import swiglpk

        iocp.fp_heur = swiglpk.GLP_ON
        iocp.ps_heur = swiglpk.GLP_ON
        iocp.ps_tm_lim = max(100, milliseconds // 4)
        for cut in ("mir_cuts", "gmi_cuts", "cov_cuts", "clq_cuts"):
            setattr(iocp, cut, swiglpk.GLP_ON)
    else:
        _set_time_limit(problem, seconds)
    _tighten_integrality(problem)


#: Integrality tolerance of the MILP: a "deleted" gene binary left at this value still
#: lets ``ub * z`` flux through its reactions (1000 × HiGHS' default 1e-6 = 1e-3, the
#: default growth_lb), and such incumbents decoded to designs that cannot grow.
MILP_INTEGRALITY_TOLERANCE = 1e-9


def _tighten_integrality(problem) -> None:
    """``MILP_INTEGRALITY_TOLERANCE`` for HiGHS, CPLEX and Gurobi; GLPK keeps its default
    (1e-5): with 1e-9 one GLPK solve on the full iML1515 program, limited to 2.1 s,
    was still running more than 10 minutes later. Decoded designs are verified anyway."""
    if "glpk" in problem.interface.__name__:
        return
    try:
        problem.configuration.tolerances.integrality = MILP_INTEGRALITY_TOLERANCE
    except Exception as exc:  # an interface without the option: keep its default
        logger.debug("could not set the integrality tolerance: %s", exc)


def _has_incumbent(problem) -> bool:
    """Whether a MILP that stopped early holds a feasible integer solution."""
    name = problem.interface.__name__
    try:
        if "glpk" in name:
            import swiglpk

            return swiglpk.glp_mip_status(problem.problem) in (swiglpk.GLP_FEAS, swiglpk.GLP_OPT)
        if "hybrid" in name:
            return int(problem.problem.info.primal_solution_status) == 2
        if "gurobi" in name:
            return problem.problem.SolCount > 0
        if "cplex" in name:
            return bool(problem.problem.solution.is_primal_feasible())
    except Exception as exc:  # an interface without the attribute: treat as no incumbent
        logger.debug("could not query the incumbent: %s", exc)
    return False


# -- helpers -------------------------------------------------------------------------------
class _Clock:
    """Remaining time of an overall budget (None = unlimited)."""

    def __init__(self, limit: float | None) -> None:
        if limit is not None:
            limit = float(limit)
            if math.isnan(limit) or limit <= 0:
                raise ValueError(f"time_limit must be a positive number of seconds, got {limit}")
        self.limit = limit
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def left(self) -> float:
        return math.inf if self.limit is None else self.limit - self.elapsed()

    def expired(self) -> bool:
        return self.left() <= 0


def _target_id(target) -> str:
    return target if isinstance(target, str) else target.id


def _better(a: CouplingReport | None, b: CouplingReport) -> bool:
    """Whether report *b* is a better attempt than *a* (coupled, then growth ok, PRmin;
    ties keep *a*)."""
    if a is None:
        return True

    def key(r: CouplingReport) -> tuple:
        low = r.min_production if not math.isnan(r.min_production) else -math.inf
        return (r.coupled, r.growth_rate + 1e-9 >= r.growth_lb, low)

    return key(b) > key(a)


def _min_production_flux(checker, target: str, report: CouplingReport) -> dict[str, float]:
    """Fluxes of a minimal-production solution at the report's maximal growth.

    Uses the checker's LP in the state the check of *report* left it (its deletions
    applied); the growth bound is reset afterwards.
    """
    _rid, coefs = checker.production(target)
    checker._apply(report.disabled_reactions)
    growth = report.growth_rate
    lp = checker.lp
    lp.set_constraint_bounds("growth_fix", growth - max(_EPS, GROWTH_TOLERANCE * growth), None)
    try:
        value = lp.solve(coefs, "min")
        if value is None:
            return {}
        return lp.fluxes()
    finally:
        lp.set_constraint_bounds("growth_fix", None, None)


def _route_open(checker, target: str, deletions, growth_lb: float,
                production_lb: float) -> bool:
    """Production ≥ production_lb possible with growth ≥ growth_lb (monotone in deletions)."""
    _low, high = checker.production_range(target, deletions, growth_lb)
    return high + _EPS >= production_lb  # False for NaN


def _close_routes(checker, target: str, report: CouplingReport, pool: list[str],
                  clock: _Clock, max_checks: int | None = None) -> CouplingReport:
    """Greedily delete genes that switch off routes bypassing production.

    Starting from a design that grows (GR ≥ growth_lb) but lets production drop to
    zero at maximal growth, take a minimal-production flux distribution at maximal
    growth and try the genes of *pool* (in its order) whose deletion disables a
    reaction that carries flux in it. A deletion is kept when the design is coupled
    (returned at once) or still grows with a production route open (production ≥
    production_lb possible with growth ≥ growth_lb); then the flux distribution is
    recomputed. Stops when no gene helps, after *max_checks* checks, or when *clock*
    runs out. Returns the last accepted report (coupled or not).
    """
    growth_lb, production_lb = report.growth_lb, report.production_lb
    if report.coupled or report.growth_rate + _EPS < growth_lb:
        return report
    current = set(report.deletions)
    rules = checker.rules
    rejected: set[str] = set()
    checks = 0
    while not clock.expired():
        flux = _min_production_flux(checker, target, report)
        active = {rid for rid, v in flux.items() if abs(v) > 1e-7}
        disabled = rules.disabled(current)
        options = [g for g in pool if g not in current and g not in rejected
                   and _newly_disabled(rules, current, disabled, g) & active]
        # Few options: best improvement (highest PRmin, then lowest growth); many:
        # first improvement in pool order.
        best_trial, best_gene = None, None
        for gene in options:
            if clock.expired() or (max_checks is not None and checks >= max_checks):
                break
            checks += 1
            trial = checker.check(target, current | {gene}, growth_lb, production_lb)
            if trial.coupled:
                return trial
            if (trial.growth_rate + _EPS >= growth_lb
                    and (trial.max_production + _EPS >= production_lb
                         or _route_open(checker, target, trial.deletions, growth_lb,
                                        production_lb))):
                key = (trial.min_production, -trial.growth_rate)
                if best_trial is None or key > (best_trial.min_production,
                                                -best_trial.growth_rate):
                    best_trial, best_gene = trial, gene
                if len(options) > BEST_IMPROVEMENT_OPTIONS:
                    break
            else:
                rejected.add(gene)
        if best_trial is None:
            break
        current.add(best_gene)
        report = best_trial
    return report


def _growth_pair(checker, target: str, deleted, production_lb: float,
                 sides: tuple[bool, bool] = (True, True)):
    """Maximal growth with production ≥ *production_lb* (μP) and with production ≤ it
    (μ0), each with its flux distribution ((None, None) where infeasible or where
    *sides* leaves it out).

    The design is coupled when μ0 < μP: every growth-maximal flux distribution then
    produces more than *production_lb*. μ0 / μP is a continuous measure of how far a
    design is from coupling, where the minimal production at maximal growth is 0
    for every uncoupled design.
    """
    rid, coefs = checker.production(target)
    checker._apply(checker.rules.disabled(deleted))
    lp = checker.lp
    scale = coefs[rid]
    lb, ub = lp.current[rid]
    bound = production_lb / scale
    result = []
    try:
        for wanted, (low, high) in zip(sides, ((max(lb, bound), ub), (lb, min(ub, bound)))):
            if not wanted or low > high:
                result.append((None, None))
                continue
            lp.set_bounds(rid, low, high)
            value = lp.solve(checker._growth, "max")
            if value is None:
                result.append((None, None))
                continue
            result.append((max(0.0, value), lp.fluxes()))
    finally:
        lp.set_bounds(rid, lb, ub)
    return result


def _active(flux: dict | None) -> set[str]:
    return set() if flux is None else {r for r, v in flux.items() if abs(v) > 1e-7}


def _ratio(mu_p: float, mu_0: float | None) -> float:
    """μ0 / μP: below 1 when every growth-maximal solution produces the target."""
    return 0.0 if mu_0 is None else mu_0 / max(mu_p, _EPS)


#: Most single-gene LPs the margin search evaluates per step.
MARGIN_OPTIONS = 24
#: Share of search_deletions' time limit kept for the margin search from the wild type.
MARGIN_RESERVE = 0.2
#: Share of the time left that the margin search from caller-forced genes may use.
FORCED_MARGIN_SHARE = 0.25
#: Most steps the margin search takes without lowering μ0.
MARGIN_PLATEAU = 5


def _margin_search(checker, target: str, deleted: list[str], pool: list[str],
                   growth_lb: float, production_lb: float, clock) -> CouplingReport | None:
    """Delete genes (best first) that lower μ0, the growth possible without production,
    while μP, the growth with production, stays ≥ *growth_lb*; until μ0 < μP.

    Each step scores at most ``MARGIN_OPTIONS`` genes of *pool* (in its order) whose
    deletion switches off a reaction that carries flux in the μ0 solution: those
    that leave the μP solution intact first (μP then stays), the others after them.
    The gene with the largest μP − μ0 is taken. Returns the coupled report, or None.
    """
    rules = checker.rules
    current = set(deleted)
    plateau = 0
    (mu_p, flux_p), (mu_0, flux_0) = _growth_pair(checker, target, current, production_lb)
    if mu_p is None or mu_p + _EPS < growth_lb:
        return None
    while not clock.expired():
        if mu_0 is None or mu_0 < mu_p * (1 - 1e-6) - _EPS:
            report = checker.check(target, current, growth_lb, production_lb)
            if report.coupled:
                return report
        disabled = rules.disabled(current)
        used_0, used_p = _active(flux_0), _active(flux_p)
        safe, risky = [], []
        for gene in pool:
            if gene in current:
                continue
            hits = _newly_disabled(rules, current, disabled, gene)
            if hits & used_0:
                (risky if hits & used_p else safe).append(gene)
        best = None
        n_safe = len(safe)
        for i, gene in enumerate((safe + risky)[:MARGIN_OPTIONS]):
            if clock.expired():
                break
            trial = current | {gene}
            if i < n_safe:  # the μP solution survives this deletion: μP is unchanged
                _skip, (t0, f0) = _growth_pair(checker, target, trial, production_lb,
                                               (False, True))
                tp, fp = mu_p, flux_p
            else:
                (tp, fp), (t0, f0) = _growth_pair(checker, target, trial, production_lb)
            if tp is None or tp + _EPS < growth_lb:
                continue
            gap = _ratio(tp, t0)
            if best is None or gap < best[0] - 1e-9:
                best = (gap, gene, tp, fp, t0, f0)
            if t0 is None or t0 < tp * (1 - 1e-6) - _EPS:
                break  # coupled by this measure: verify it at once
        gap = _ratio(mu_p, mu_0)
        if best is None or best[0] > gap + 1e-9:
            logger.debug("margin search %s: stuck at μ0/μP = %.4g after %d deletions "
                         "(%d safe, %d risky options)", target, gap, len(current),
                         len(safe), len(risky))
            return None
        if best[0] >= gap - 1e-9:  # a plateau move: μ0/μP unchanged, its flux rerouted
            plateau += 1
            if plateau > MARGIN_PLATEAU:
                logger.debug("margin search %s: plateau at μ0/μP = %.4g", target, gap)
                return None
        _gap, gene, mu_p, flux_p, mu_0, flux_0 = best
        current.add(gene)
        logger.debug("margin search %s: +%s, μP %.4g, μ0 %s", target, gene, mu_p, mu_0)
    return None


# -- public: search ------------------------------------------------------------------------
def search_deletions(model, target, *, growth_lb: float = GROWTH_LB,
                     production_lb: float = PRODUCTION_LB, max_iterations: int = 10,
                     time_limit: float | None = None, minimize: bool = False,
                     candidates: Iterable | None = None, protected: Iterable = (),
                     forced: Iterable = (), solver=None) -> DeletionDesign:
    """Find a growth-coupling gene-deletion design with the gDel_minRN MILP.

    The MILP represses as many reactions as possible while growth ≥ *growth_lb*
    and production ≥ *production_lb* stay feasible. Each solution's deletions are
    checked with the pessimistic coupling check (maximal growth, then minimal
    production at that growth); a solution that fails is cut off (at least one of
    its repressed reactions must come back) and the MILP is solved again, at most
    *max_iterations* times in all.

    Parameters
    ----------
    model : cobra.Model
        The model; it is never modified (the MILP is a separate optlang problem).
    target : str or cobra.Metabolite
        The target metabolite.
    growth_lb, production_lb : float
        Lower bounds on growth and on minimal production at maximal growth.
    max_iterations : int
        Maximal number of MILP solves (each after a no-good cut).
    time_limit : float, optional
        Seconds for the whole search; default: no overall limit (each MILP solve
        then stops after ``DEFAULT_MILP_TIME_LIMIT`` seconds).
    minimize : bool
        Trim the coupled result to a minimal design (:func:`trim`).
    candidates : iterable of str or cobra.Gene, optional
        The only genes that may be deleted (all others are kept). Default: all genes.
    protected : iterable of str or cobra.Gene
        Genes that must be kept, beside the spontaneous pseudo-genes (``s0001``).
    forced : iterable of str or cobra.Gene
        Genes deleted in every solution (for example confident predictions); the
        MILP decides only the other genes, which makes it much smaller. The margin
        search from the forced set runs before the MILP is built (at most
        ``FORCED_MARGIN_SHARE`` of the time). A forced gene that is also protected
        raises ``ValueError``.
    solver : str, optional
        optlang solver name ("glpk", "hybrid" (HiGHS), "cplex", "gurobi"); default:
        the model's solver.

    Returns
    -------
    DeletionDesign
        ``status == "coupled"`` with the first verified design, else
        ``"not_coupled"`` with the best attempt and the reason. Method ``"search"``,
        ``"search+greedy"`` or ``"search+margin"`` when a MILP solution was completed
        by the greedy or the margin step, ``"margin"`` when the margin search from the
        wild type (or from the *forced* genes) found it (``"+trim"`` appended
        when trimmed); timings ``"build"`` (flux ranges, growth-essential genes and
        the MILP), ``"milp"``, ``"verify"`` (and ``"greedy"``, ``"trim"``).

    Notes
    -----
    Sizes are reduced before solving (the optimum is unchanged): growth-essential
    genes and genes outside *candidates* are fixed kept and removed from the rules;
    genes that occur in exactly the same AND-terms share one binary; reactions with
    the same reduced rule share one switch, weighted by their number; term and rule
    switches are continuous (they are integral whenever the genes are); big-M
    constants are the wild type's flux ranges at growth ≥ *growth_lb*.
    GLPK rarely proves optimality of this MILP within seconds, so solves are time
    limited (0.25 s or 0.002 s per gene binary, doubled after a solve that found no
    incumbent at all) and the incumbent is used; when its check fails with growth intact,
    genes that switch off routes bypassing production are added (greedily, then by
    the μ0/μP margin search of :mod:`cobra_gdel.repair`) before the no-good cut is
    added. The first solve requires production ≥ *production_lb* (gDel_minRN); the
    next ones require, in turn, the ``PRODUCTION_LEVELS`` shares of the maximal
    production at *growth_lb* (and *production_lb* again): maximally repressed
    networks that must still make much of the target couple far more often
    (e_coli_core, GLPK, 10 s: every target that has a design, against 27/35 with
    *production_lb* alone), and every such solution is checked at *production_lb*.
    If no MILP design couples, the margin search from the wild type gets the last
    ``MARGIN_RESERVE`` share of *time_limit* (method ``"margin"``); with *forced*
    genes it runs from them instead, before the MILP is built.
    A target that can leave the cell through reactions no deletable gene controls
    has no design at all; that is found by one LP before the MILP is built and
    returned as ``"not_coupled"`` with the route in the reason.
    For targets without an ``EX_``/``DM_`` reaction the big-M ranges are computed
    with the auxiliary sink open (ranges of the wild type alone are too narrow).

    Raises
    ------
    NoProductionRouteError
        If the target cannot be produced at *production_lb* while growing at
        *growth_lb* even without deletions.
    UnknownTargetError, UnknownGeneError, ValueError, SolverError

    Examples
    --------
    >>> import cobra
    >>> from cobra_gdel.search import search_deletions
    >>> model = cobra.io.load_model("textbook")
    >>> search_deletions(model, "succ_e").coupled   # doctest: +SKIP
    True
    """
    return _search(model, target, growth_lb=growth_lb, production_lb=production_lb,
                   max_iterations=max_iterations, time_limit=time_limit, minimize=minimize,
                   candidates=candidates, protected=protected, forced=forced, solver=solver,
                   milp_solver=solver)


def _search(model, target, *, growth_lb: float, production_lb: float, max_iterations: int,
            time_limit: float | None, minimize: bool, candidates: Iterable | None,
            protected: Iterable, forced: Iterable, solver, milp_solver) -> DeletionDesign:
    """:func:`search_deletions` with the LP checks on *solver* and the MILP on
    *milp_solver* (repair solves the MILP with HiGHS but keeps GLPK's warm-started
    LPs, several times faster per check than HiGHS through optlang)."""
    clock = _Clock(time_limit)
    growth_lb = _check_lb("growth_lb", growth_lb)
    production_lb = _check_lb("production_lb", production_lb)
    if int(max_iterations) < 1:
        raise ValueError(f"max_iterations must be >= 1, got {max_iterations}")
    name = _target_id(resolve_target(model, target))
    checker = get_checker(model, solver=solver)
    keep = protected_genes(model, protected)
    forced = frozenset(checker.validate_genes(forced))
    if forced & keep:
        raise ValueError(f"genes both forced and protected: {sorted(forced & keep)[:5]}")
    deletable = checker.genes if candidates is None else checker.validate_genes(candidates)
    deletable = frozenset(deletable - keep - forced)
    # Growth-essential genes cannot be deleted in any solution: fix them kept.
    start = time.perf_counter()
    prep = _Clock(None if math.isinf(clock.left()) else max(0.1, clock.left() / 4))
    growth = _single_growth(checker, deletable, prep)
    deletable = frozenset(g for g in deletable if growth.get(g, math.inf) + _EPS >= growth_lb)
    timings = {"build": 0.0, "milp": 0.0, "verify": 0.0}

    checker.require_production_route(name, growth_lb, production_lb)
    route = _uncontrolled_exit(model, checker, name, checker.genes - deletable - forced)
    if route:
        return DeletionDesign.from_report(
            checker.check(name, forced, growth_lb, production_lb), "search", model=model,
            timings={"build": time.perf_counter() - start},
            reason=_exit_reason(name, route, keep))
    if forced and checker.max_growth(forced) + _EPS < growth_lb:
        return DeletionDesign.from_report(
            checker.check(name, forced, growth_lb, production_lb), "search", model=model,
            timings={"build": time.perf_counter() - start},
            reason=f"the forced deletions alone leave growth below {growth_lb:g}")
    # Genes the greedy step may add: fewest reactions disabled on their own first.
    pool = sorted(deletable, key=lambda g: (len(checker.rules.disabled((g,))), g))
    timings["build"] = time.perf_counter() - start
    if forced:
        # A caller's forced set (repair's confident genes) is usually close to a design:
        # the margin search from it often couples in under a second, before the MILP
        # is even built (its flux ranges alone take seconds on iML1515).
        start_margin = time.perf_counter()
        left = clock.left()
        found = _margin_search(checker, name, sorted(forced), pool, growth_lb, production_lb,
                               _Clock(None if math.isinf(left) else
                                      max(_MIN_SOLVE_SECONDS, FORCED_MARGIN_SHARE * left)))
        timings["greedy"] = time.perf_counter() - start_margin
        if found is not None:
            design = DeletionDesign.from_report(found, "margin", model=model, timings=timings)
            return _minimized(model, name, design, minimize, growth_lb, production_lb, clock,
                              timings)
    start = time.perf_counter()
    milp = _MinRN(model, checker, name, deletable, growth_lb, production_lb,
                  solver_interface(model, milp_solver), prep, forced)
    timings["build"] += time.perf_counter() - start

    # Time kept for the margin search from the wild type if no MILP design couples.
    reserve = 0.0 if forced or math.isinf(clock.left()) else MARGIN_RESERVE * clock.left()

    def budget(fruitless: int) -> float:
        # Short solves that stop at their incumbent (every design is verified anyway):
        # many quick no-good rounds find a coupled pattern more often than a few long
        # ones. A solve that ends without any incumbent doubles the time of the next.
        first = max(FIRST_SOLVE_SECONDS, 0.002 * milp.n_binaries)
        return min(clock.left() - reserve, DEFAULT_MILP_TIME_LIMIT, first * 2 ** fruitless)

    best: CouplingReport | None = None
    reason = ""
    method = "search"
    # W: maximal growth under the requirements (all genes kept).
    start = time.perf_counter()
    milp.fix_all_kept(True)
    milp.set_max_growth_objective()
    outcome = milp.solve(min(clock.left(), DEFAULT_MILP_TIME_LIMIT))
    weight = milp.problem.objective.value if outcome == "optimal" else None
    milp.fix_all_kept(False)
    timings["milp"] += time.perf_counter() - start
    if weight is None:
        reason = f"the growth LP for the objective weight ended {outcome}"
    else:
        milp.set_minrn_objective(max(weight, 1e-6))
        fruitless = 0
        polished: set[frozenset[str]] = set()
        # Production required by the MILP: production_lb first (gDel_minRN), then
        # raised levels in turn (each solution is still checked at production_lb).
        high = checker.production_range(name, forced, growth_lb)[1]
        levels = [production_lb] + [f * high for f in PRODUCTION_LEVELS
                                    if f * high > production_lb]
        for iteration in range(int(max_iterations)):
            if clock.left() - reserve < _MIN_SOLVE_SECONDS and iteration > 0:
                reason = f"time limit reached after {iteration} MILP solve(s)"
                break
            level = levels[iteration % len(levels)]
            milp.require_production(level)
            start = time.perf_counter()
            outcome = milp.solve(budget(fruitless))
            timings["milp"] += time.perf_counter() - start
            if outcome == "infeasible" and level > production_lb:
                levels.remove(level)  # no further pattern produces this much
                continue
            if outcome == "infeasible":
                reason = (f"the MILP became infeasible after {iteration} no-good cut(s): no "
                          "further reaction pattern meets the requirements")
                break
            if outcome == "failed":
                reason = f"MILP solve {iteration + 1} found no solution within its time limit"
                fruitless += 1
                continue  # the next solve gets twice the time
            deleted, off = milp.decode()
            deleted = deleted | forced
            start = time.perf_counter()
            report = checker.check(name, deleted, growth_lb, production_lb)
            timings["verify"] += time.perf_counter() - start
            logger.info("search %s: iteration %d (%s), %d deletions, %d repressed switches: %s",
                        name, iteration + 1, outcome, len(deleted), len(off),
                        "coupled" if report.coupled else report.reason)
            if (not report.coupled and report.growth_rate + _EPS >= growth_lb
                    and deleted not in polished):
                # Close the routes that bypass production at maximal growth (once per
                # decoded gene set: different reaction patterns often decode the same).
                polished.add(deleted)
                start = time.perf_counter()
                closed = _close_routes(checker, name, report, pool, clock,
                                       max_checks=GREEDY_MAX_CHECKS)
                timings["greedy"] = timings.get("greedy", 0.0) + time.perf_counter() - start
                if closed.coupled:
                    report, method = closed, "search+greedy"
                else:
                    found = _margin_search(checker, name, deleted, pool, growth_lb,
                                           production_lb, clock)
                    if found is not None:
                        report, method = found, "search+margin"
            if _better(best, report):
                best = report
            if report.coupled:
                break
            if not off:
                reason = "the MILP represses no reaction; nothing left to cut"
                break
            milp.add_cut(off)
        else:
            reason = f"no coupled design in {max_iterations} MILP iteration(s)"
    if (best is None or not best.coupled) and not forced and clock.left() >= _MIN_SOLVE_SECONDS:
        # Last resort with the time left: the margin search from the wild type (from
        # forced genes it already ran, before the MILP).
        start = time.perf_counter()
        found = _margin_search(checker, name, [], pool, growth_lb, production_lb, clock)
        timings["greedy"] = timings.get("greedy", 0.0) + time.perf_counter() - start
        if found is not None:
            best, method = found, "margin"
    if best is None:
        # No MILP solution at all: report the wild type as the attempt.
        start = time.perf_counter()
        best = checker.check(name, (), growth_lb, production_lb)
        timings["verify"] += time.perf_counter() - start
    if best.coupled:
        reason = ""
    elif best.reason:
        reason = f"{reason}; best attempt: {best.reason}" if reason else best.reason
    design = DeletionDesign.from_report(best, method if best.coupled else "search",
                                        model=model, timings=timings,
                                        reason=reason)
    return _minimized(model, name, design, minimize, growth_lb, production_lb, clock, timings)


def _minimized(model, name: str, design: DeletionDesign, minimize: bool, growth_lb: float,
               production_lb: float, clock: _Clock, timings: dict) -> DeletionDesign:
    """*design*, trimmed to a minimal one when *minimize* and it is coupled."""
    if minimize and design.coupled:
        left = clock.left()
        trimmed = trim(model, name, design.deletions, growth_lb=growth_lb,
                       production_lb=production_lb,
                       time_limit=None if math.isinf(left) else max(left, _MIN_SOLVE_SECONDS))
        timings["trim"] = trimmed.timings["trim"]
        design = replace(trimmed, method=f"{design.method}+trim", timings=timings)
    return design


# -- public: trim --------------------------------------------------------------------------
def trim(model, target, deletions: Iterable, *, growth_lb: float = GROWTH_LB,
         production_lb: float = PRODUCTION_LB, time_limit: float | None = None,
         solver=None) -> DeletionDesign:
    """Trim a coupled deletion set to a minimal one (greedy TrimGdel pass).

    Each deleted gene is restored in turn; it stays restored when the design is
    still coupled with ``GR ≥ 0.999·growth_lb`` and ``PRmin ≥ 0.999·production_lb``,
    otherwise it is deleted again. Passes repeat until nothing changes, so restoring
    any one remaining gene breaks coupling. Genes whose restoration re-enables no
    reaction (given the other deletions) are restored first and without an LP (the
    disabled reactions, hence coupling, are unchanged); the others are tried in
    order of how many reactions their restoration re-enables (fewest first, ties by
    gene id), which restores the harmless genes before the ones that open routes.

    Parameters
    ----------
    model : cobra.Model
        The model (not modified).
    target : str or cobra.Metabolite
        The target metabolite.
    deletions : iterable of str or cobra.Gene
        A coupled deletion set.
    growth_lb, production_lb : float
        Lower bounds of the coupling check.
    time_limit : float, optional
        Seconds; when reached, the design trimmed so far (still coupled) is returned.
    solver : str, optional
        optlang solver name; default: the model's.

    Returns
    -------
    DeletionDesign
        Checked with the standard check at *growth_lb* and *production_lb*; method
        ``"trim"``, timings ``"trim"``.

    Raises
    ------
    ValueError
        If *deletions* is not coupled (nothing verified to trim).
    UnknownTargetError, UnknownGeneError, SolverError
    """
    clock = _Clock(time_limit)
    growth_lb = _check_lb("growth_lb", growth_lb)
    production_lb = _check_lb("production_lb", production_lb)
    name = _target_id(resolve_target(model, target))
    checker = get_checker(model, solver=solver)
    current = set(checker.validate_genes(deletions))
    start = time.perf_counter()
    initial = checker.check(name, current, growth_lb, production_lb)
    if not initial.coupled:
        raise ValueError(f"the deletions do not couple {name} ({initial.reason}); only a "
                         "coupled design can be trimmed")
    trimmed, complete = _trim_pass(checker, name, current, growth_lb * TRIM_SLACK,
                                   production_lb * TRIM_SLACK, clock)
    report = checker.check(name, trimmed, growth_lb, production_lb)
    if not report.coupled:
        # The 0.999 slack admitted a restore that the standard check rejects: redo the
        # pass with the exact bounds (its result is coupled by construction).
        logger.info("trim of %s: slack result fails the standard check; retrying exactly.",
                    name)
        trimmed, complete = _trim_pass(checker, name, current, growth_lb, production_lb,
                                       _Clock(None))
        report = checker.check(name, trimmed, growth_lb, production_lb)
    reason = "" if complete else "time limit reached: trimmed design may not be minimal"
    seconds = time.perf_counter() - start
    logger.info("trim %s: %d -> %d deletions in %.2f s", name, len(current), len(trimmed),
                seconds)
    return DeletionDesign.from_report(report, "trim", model=model, timings={"trim": seconds},
                                      reason=reason if report.coupled else report.reason)


def _trim_pass(checker, target: str, deletions: set[str], growth_lb: float,
               production_lb: float, clock: _Clock) -> tuple[frozenset[str], bool]:
    """Greedy restore until a fixed point; returns (deletions, finished before time-out)."""
    current = set(deletions)
    rules = checker.rules
    disabled = rules.disabled(current)
    # LP-free first: genes whose restoration re-enables nothing.
    for gene in sorted(current):
        if not _reenabled(rules, current, disabled, gene):
            current = current - {gene}
    while True:  # one pass per loop; the last pass changes nothing (minimality)
        disabled = rules.disabled(current)
        order = sorted((len(_reenabled(rules, current, disabled, g)), g) for g in current)
        changed = False
        for _count, gene in order:
            if clock.expired():
                return frozenset(current), False
            rest = current - {gene}
            if (not _reenabled(rules, current, disabled, gene)
                    or checker.check(target, rest, growth_lb, production_lb).coupled):
                current = rest
                disabled = rules.disabled(current)
                changed = True
        if not changed:
            break
    return frozenset(current), True
