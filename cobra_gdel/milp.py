"""The gDel_minRN MILP (a private optlang problem) and the settings of its solvers.

Variables: a flux per reaction, a binary per deletable gene (1 = kept), a switch
per GPR AND-term and per reaction rule, flux switches ``lb·z ≤ v ≤ ub·z``,
``S·v = 0`` and lower bounds on growth and production. The objective
``−growth + W·Σz`` represses as many reactions as possible (see ALGORITHMS.md).
:mod:`cobra_gdel.search` drives it (no-good cuts, verification).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from optlang.interface import FEASIBLE, INFEASIBLE, OPTIMAL, TIME_LIMIT
from optlang.symbolics import Zero

from .analysis import flux_ranges
from .coupling import production_spec, resolve_target
from .exceptions import SolverError
from .gpr import minimise_terms
from .lp import set_time_limit
from .problem import Clock, DesignTask

logger = logging.getLogger(__name__)

__all__ = ["MILP_INTEGRALITY_TOLERANCE", "MinRNProblem", "configure_milp", "has_incumbent"]

#: A solve is never started with less than this many seconds.
MIN_SOLVE_SECONDS = 0.1
#: Integrality tolerance of the MILP: a "deleted" gene binary left at this value still
#: lets ``ub * z`` flux through its reactions (1000 × HiGHS' default 1e-6 = 1e-3, the
#: default growth_lb), and such incumbents decoded to designs that cannot grow.
MILP_INTEGRALITY_TOLERANCE = 1e-9


@dataclass
class Switch:
    """One reaction switch: a variable shared by all reactions with the same reduced rule."""

    var: object
    reactions: list[str] = field(default_factory=list)


def reduced_rules(rules, deletable: frozenset[str], forced: frozenset[str]
                  ) -> tuple[dict[tuple, list[str]], list[str]]:
    """Rules with only the deletable genes left, grouped: ({rule key: reactions}, off).

    Genes outside *deletable* are fixed kept and dropped from the terms (a term emptied
    that way is always true: its reaction needs no switch); a term with a forced
    deletion is false, and a reaction left without terms is off. Genes that occur in
    exactly the same AND-terms are interchangeable (deleting any one falsifies the same
    terms): one gene, the smallest id, stands for each such class.
    """
    switch_of_rule: dict[tuple, list[str]] = {}
    off: list[str] = []
    for rid, terms in rules.rules.items():
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
            off.append(rid)
            continue
        key = tuple(sorted((tuple(sorted(t)) for t in minimise_terms(reduced))))
        switch_of_rule.setdefault(key, []).append(rid)
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
        terms = minimise_terms(frozenset(rep[g] for g in term) for term in key)
        merged_key = tuple(sorted(tuple(sorted(t)) for t in terms))
        merged.setdefault(merged_key, []).extend(reactions)
    return merged, off


class _Builder:
    """Collects variables and (constraint, coefficients) pairs in creation order."""

    def __init__(self, interface) -> None:
        self.interface = interface
        self.variables: list = []
        self.pending: list[tuple[object, dict]] = []
        self.term_vars: dict[tuple, object] = {}

    def row(self, coefs: dict, lb=None, ub=None, name=None):
        constraint = self.interface.Constraint(Zero, lb=lb, ub=ub, name=name)
        self.pending.append((constraint, coefs))
        return constraint

    def term(self, term: tuple, gene_vars: dict):
        """The AND-term's switch: t ≤ g for each gene, t ≥ Σg − (k − 1)."""
        if len(term) == 1:
            return gene_vars[term[0]]
        var = self.term_vars.get(term)
        if var is None:
            var = self.term_vars[term] = self.interface.Variable(f"t{len(self.term_vars)}",
                                                                 lb=0, ub=1)
            self.variables.append(var)
            for g in term:
                self.row({var: 1, gene_vars[g]: -1}, ub=0)
            coefs = {gene_vars[g]: 1 for g in term}
            coefs[var] = -1
            self.row(coefs, ub=len(term) - 1)
        return var

    def rule(self, key: tuple, gene_vars: dict, index: int):
        """The reaction rule's switch: z ≥ t for each term, z ≤ Σt (one term: the term)."""
        terms = [self.term(t, gene_vars) for t in key]
        if len(terms) == 1:
            return terms[0]
        z = self.interface.Variable(f"z{index}", lb=0, ub=1)
        self.variables.append(z)
        for t in terms:
            self.row({z: 1, t: -1}, lb=0)
        coefs = {t: 1 for t in terms}
        coefs[z] = -1
        self.row(coefs, lb=0)
        return z


class MinRNProblem:
    """The gDel_minRN MILP of one design task.

    Genes outside *deletable* are fixed kept (see :func:`reduced_rules`); genes that
    remain in no rule get no binary. Reactions whose reduced rules are identical share
    one switch ``z``, weighted in the objective by the number of reactions it stands
    for (so the objective still counts reactions). Term and rule switches are
    continuous in [0, 1]: with integral genes the AND/OR constraints make them 0 or
    1, so the solver only branches on genes. Big-M constants are the flux ranges at
    growth ≥ ``growth_lb`` (:func:`cobra_gdel.analysis.flux_ranges`).
    """

    def __init__(self, task: DesignTask, deletable: frozenset[str], interface,
                 clock: Clock | None = None, forced: frozenset[str] = frozenset()) -> None:
        build_start = time.perf_counter()
        model, checker = task.model, task.checker
        self.interface = interface
        self.deletable = deletable
        self.forced = forced
        metabolite = resolve_target(model, task.target)
        prod_id, prod_stoich, auxiliary = production_spec(model, metabolite)
        self.production_id = prod_id
        self.growth = dict(checker.growth_coefs)
        switch_of_rule, self.off = reduced_rules(checker.rules, deletable, forced)
        stoich = {r.id: {m.id: c for m, c in r.metabolites.items()} for r in model.reactions}
        # With forced deletions (a one-off problem) only switched reactions need ranges.
        switched = (frozenset(r for rs in switch_of_rule.values() for r in rs)
                    if forced else None)
        bounds = dict(flux_ranges(model, checker, task.growth_lb, clock,
                                  (prod_id, prod_stoich) if auxiliary else None,
                                  frozenset(self.off), switched))
        if auxiliary:
            stoich[prod_id] = dict(prod_stoich)
        Variable = interface.Variable
        self.flux = {rid: Variable(f"v{i}", lb=lb, ub=ub)
                     for i, (rid, (lb, ub)) in enumerate(bounds.items())}
        genes = sorted({g for key in switch_of_rule for term in key for g in term})
        self.gene_vars = {g: Variable(f"g{i}", type="binary") for i, g in enumerate(genes)}
        build = _Builder(interface)
        build.variables = list(self.flux.values()) + list(self.gene_vars.values())
        self.switches: list[Switch] = []
        for key, reactions in switch_of_rule.items():
            z = build.rule(key, self.gene_vars, len(self.switches))
            self.switches.append(Switch(z, list(reactions)))
            for rid in reactions:  # lb*z <= v <= ub*z (nothing to switch when v = 0)
                v = self.flux[rid]
                lb, ub = bounds[rid]
                if ub != 0:
                    build.row({v: 1, z: -ub}, ub=0)
                if lb != 0:
                    build.row({v: 1, z: -lb}, lb=0)
        self._add_balances_and_requirements(build, stoich, prod_id,
                                            -prod_stoich[metabolite.id], task)
        problem = interface.Model()
        problem.add(build.variables)
        problem.add([c for c, _ in build.pending])
        problem.update()
        for constraint, coefs in build.pending:
            constraint.set_linear_coefficients(coefs)
        problem.update()
        self.problem = problem
        self.cuts: list[frozenset[int]] = []
        self.n_binaries = len(self.gene_vars)
        self.build_seconds = time.perf_counter() - build_start
        logger.debug("gDel_minRN MILP for %s: %d fluxes, %d binaries, %d switches, %d rows "
                     "(%.2f s)", task.target, len(self.flux), self.n_binaries,
                     len(self.switches), len(build.pending), self.build_seconds)

    def _add_balances_and_requirements(self, build: _Builder, stoich: dict, prod_id: str,
                                       prod_coef: float, task: DesignTask) -> None:
        """S·v = 0, growth ≥ growth_lb and production ≥ production_lb."""
        rows: dict[str, dict] = {}
        for rid, coefs in stoich.items():
            for met, coef in coefs.items():
                rows.setdefault(met, {})[self.flux[rid]] = coef
        for coefs in rows.values():
            build.row(coefs, lb=0, ub=0)
        self.production_coefs = {prod_id: prod_coef}
        self.growth_row = build.row({self.flux[r]: c for r, c in self.growth.items()},
                                    lb=task.growth_lb)
        self.production_row = build.row(
            {self.flux[r]: c for r, c in self.production_coefs.items()},
            lb=task.production_lb, name="production")

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
            configure_milp(self.problem, seconds)
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
            if status in (TIME_LIMIT, FEASIBLE) and has_incumbent(self.problem):
                return "incumbent"
            if status == INFEASIBLE:
                return "infeasible"
            if status == TIME_LIMIT:
                return "failed"
            seconds -= elapsed
            if seconds < MIN_SOLVE_SECONDS:
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
        """A variable's value in the last solution (SolverError when it has none)."""
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


def configure_milp(problem, seconds: float) -> None:
    """Time limit of the next solve (GLPK's in milliseconds: optlang rounds to s), and
    for GLPK its primal heuristics and cuts."""
    seconds = max(MIN_SOLVE_SECONDS, float(seconds))
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
        set_time_limit(problem, seconds)
    _tighten_integrality(problem)


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


def has_incumbent(problem) -> bool:
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
