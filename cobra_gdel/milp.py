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

from optlang.interface import (
    FEASIBLE,
    INFEASIBLE,
    ITERATION_LIMIT,
    NODE_LIMIT,
    OPTIMAL,
    TIME_LIMIT,
)
from optlang.symbolics import Zero

from .analysis import flux_ranges
from .targets import production_spec, resolve_target
from .exceptions import SolverError
from .gpr import minimise_terms
from .lp import column_bounds, set_time_limit
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


def _finite(value: float) -> float | None:
    return None if math.isinf(value) else value


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
    """The gDel_minRN MILP of one design task, on a copy of the model's problem.

    Every variable and constraint of the model's solver problem is part of it
    (:mod:`cobra_gdel.modeldata`); bounds are capped at ±1000 and tightened to the
    flux ranges at growth ≥ ``growth_lb`` (:func:`cobra_gdel.analysis.flux_ranges`):
    they are the big-M constants of the switches. Genes outside *deletable* are fixed
    kept (see :func:`reduced_rules`); genes that remain in no rule get no binary.
    Reactions whose reduced rules are identical share one switch ``z``, weighted in the
    objective by the number of reactions it stands for (so the objective still counts
    reactions). Term and rule switches are continuous in [0, 1]: with integral genes
    the AND/OR constraints make them 0 or 1, so the solver only branches on genes.
    """

    def __init__(self, task: DesignTask, deletable: frozenset[str], interface,
                 forced: frozenset[str] = frozenset()) -> None:
        build_start = time.perf_counter()
        checker, data = task.checker, task.checker.data
        self.interface = interface
        self.deletable = deletable
        self.forced = forced
        self.timed_out = False
        metabolite = resolve_target(task.model, task.target)
        prod_id, prod_stoich, auxiliary = production_spec(task.model, metabolite)
        self.production_id = prod_id
        switch_of_rule, self.off = reduced_rules(checker.rules, deletable, forced)
        # With forced deletions (a one-off problem) only switched reactions need ranges.
        switched = (frozenset(r for rs in switch_of_rule.values() for r in rs)
                    if forced else None)
        bounds = dict(flux_ranges(checker, task.growth_lb,
                                  (prod_id, prod_stoich) if auxiliary else None,
                                  frozenset(self.off), switched))
        stoich = dict(data.stoich)
        if auxiliary:
            stoich[prod_id] = dict(prod_stoich)
        self.split = data.split
        self._columns(data, bounds)
        genes = sorted({g for key in switch_of_rule for term in key for g in term})
        self.gene_vars = {g: interface.Variable(f"g{i}", type="binary")
                          for i, g in enumerate(genes)}
        build = _Builder(interface)
        build.variables = list(self.columns.values()) + list(self.gene_vars.values())
        self.switches: list[Switch] = []
        for key, reactions in switch_of_rule.items():
            z = build.rule(key, self.gene_vars, len(self.switches))
            self.switches.append(Switch(z, list(reactions)))
            for rid in reactions:
                self._switch_rows(build, rid, bounds[rid], z)
        self._add_rows(build, data, stoich, {prod_id: -prod_stoich[metabolite.id]}, task)
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
        logger.debug("gDel_minRN MILP for %s: %d columns, %d binaries, %d switches, %d rows "
                     "(%.2f s)", task.target, len(self.columns), self.n_binaries,
                     len(self.switches), len(build.pending), self.build_seconds)

    def _columns(self, data, bounds: dict) -> None:
        """One column per net reaction, two per split one, one per extra variable."""
        Variable = self.interface.Variable
        self._reverse = data.reverse
        self.columns: dict[str, object] = {}
        for rid, (lb, ub) in bounds.items():
            names = (rid, data.reverse[rid]) if rid in self.split else (rid,)
            for name, (low, high) in zip(names, column_bounds(lb, ub, rid in self.split)):
                self.columns[name] = Variable(f"v{len(self.columns)}", lb=low, ub=high)
        for name, (lb, ub) in data.extra_variables.items():
            self.columns[name] = Variable(f"v{len(self.columns)}", lb=_finite(lb),
                                          ub=_finite(ub))

    def _switch_rows(self, build: _Builder, rid: str, bounds: tuple[float, float], z) -> None:
        """lb·z ≤ v ≤ ub·z, or forward ≤ ub⁺·z and reverse ≤ ub⁻·z for a split reaction
        (nothing to switch where the bound is 0)."""
        lb, ub = bounds
        if rid in self.split:
            fwd, rev = self.columns[rid], self.columns[self._reverse[rid]]
            if ub > 0:
                build.row({fwd: 1, z: -ub}, ub=0)
            if lb < 0:
                build.row({rev: 1, z: lb}, ub=0)
            return
        v = self.columns[rid]
        if ub != 0:
            build.row({v: 1, z: -ub}, ub=0)
        if lb != 0:
            build.row({v: 1, z: -lb}, lb=0)

    def _terms(self, coefs: dict) -> dict:
        """Column variables → coefficients of a net-flux expression {reaction: coef}."""
        out: dict = {}
        for rid, coef in coefs.items():
            if rid in self.split:
                for name, sign in ((rid, 1.0), (self._reverse[rid], -1.0)):
                    out[self.columns[name]] = out.get(self.columns[name], 0.0) + sign * coef
            else:
                out[self.columns[rid]] = out.get(self.columns[rid], 0.0) + coef
        return out

    def _add_rows(self, build: _Builder, data, stoich: dict, production: dict,
                  task: DesignTask) -> None:
        """Mass balances (as the model bounds them), the model's extra constraints,
        growth ≥ growth_lb and production ≥ production_lb."""
        rows: dict[str, dict] = {}
        for rid, coefs in stoich.items():
            terms = self._terms({rid: 1.0})
            for met, coef in coefs.items():
                row = rows.setdefault(met, {})
                for var, sign in terms.items():
                    row[var] = coef * sign
        for met, coefs in data.balance_extra.items():
            rows.setdefault(met, {}).update({self.columns[n]: c for n, c in coefs.items()})
        for met, coefs in rows.items():
            lb, ub = data.row_bounds.get(met, (0.0, 0.0))
            build.row(coefs, lb=_finite(lb), ub=_finite(ub))
        for _name, coefs, lb, ub in data.extra_rows:
            build.row({self.columns[n]: c for n, c in coefs.items()}, lb=_finite(lb),
                      ub=_finite(ub))
        self.growth = {self.columns[n]: c for n, c in data.objective.items()}
        self.production_coefs = self._terms(production)
        self.growth_row = build.row(dict(self.growth), lb=task.growth_lb)
        self.production_row = build.row(dict(self.production_coefs), lb=task.production_lb,
                                        name="production")

    # -- objectives ---------------------------------------------------------------------
    def _set_objective(self, coefs: Mapping, direction: str) -> None:
        objective = self.interface.Objective(Zero, direction=direction)
        self.problem.objective = objective
        objective.set_linear_coefficients(dict(coefs))

    def set_max_growth_objective(self) -> None:
        """Objective: maximal growth (all binaries free)."""
        self._set_objective(dict(self.growth), "max")

    def set_minrn_objective(self, weight: float) -> None:
        """Objective: minimise −growth + weight·(number of reactions that may carry flux)."""
        coefs = {var: -c for var, c in self.growth.items()}
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
    def solve(self, seconds: float, work: MilpWork | None = None) -> str:
        """Solve; returns "optimal", "incumbent", "infeasible" or "failed".

        *work* bounds the search by work (HiGHS: nodes and improving solutions), which
        makes the outcome the same on any machine and under any load; *seconds* is a
        wall-clock guard on top (the only limit GLPK has): when it stops a solve,
        ``timed_out`` is set. A solve stopped early with a feasible incumbent returns
        "incumbent" (its values are then read; every decoded design is re-checked by
        FBA). Anything else that is not optimal or infeasible is retried once on a
        freshly built copy of the problem's state (the same bounds, objective and cuts
        in a new solver object); if that fails too, "failed" (a limit with no
        incumbent) is returned or SolverError raised (solver errors).
        """
        status = "unsolved"
        for attempt in ("first", "fresh problem"):
            if attempt == "fresh problem":
                logger.info("MILP status %r; retrying on a fresh problem.", status)
                self._fresh_problem()
            configure_milp(self.problem, seconds, work)
            start = time.perf_counter()
            try:
                status = self.problem.optimize()
            except Exception as exc:  # solver libraries raise their own types
                logger.info("MILP solver raised %s: %s", type(exc).__name__, exc)
                status = "error"
            elapsed = time.perf_counter() - start
            logger.debug("MILP solved in %.3f s: %s", elapsed, status)
            if status == TIME_LIMIT:
                self.timed_out = True
            if status == OPTIMAL:
                return "optimal"
            stopped = status in (TIME_LIMIT, NODE_LIMIT, ITERATION_LIMIT, FEASIBLE)
            if stopped and has_incumbent(self.problem):
                return "incumbent"
            if status == INFEASIBLE:
                return "infeasible"
            if stopped:
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
        self.columns = {name: mapping[v.name] for name, v in self.columns.items()}
        self.growth = {mapping[v.name]: c for v, c in self.growth.items()}
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


@dataclass(frozen=True)
class MilpWork:
    """Work limits of one MILP solve (HiGHS; other solvers only have the clock).

    Attributes
    ----------
    nodes : int
        Most branch-and-bound nodes.
    improving : int or None
        Stop after this many improving solutions (None: no such limit).
    """

    nodes: int
    improving: int | None = None


def configure_milp(problem, seconds: float, work: MilpWork | None = None) -> None:
    """Limits of the next solve: *seconds* (GLPK's in milliseconds: optlang rounds to s),
    and for HiGHS the *work* limits, one thread and a fixed seed (the same problem then
    gives the same solution on any machine); for GLPK its primal heuristics and cuts."""
    seconds = max(MIN_SOLVE_SECONDS, float(seconds))
    name = problem.interface.__name__
    if "glpk" in name:
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
    if "hybrid" in name:
        options = {"threads": 1, "random_seed": 0}
        if work is not None:
            options["mip_max_nodes"] = int(work.nodes)
            if work.improving is not None:
                options["mip_max_improving_sols"] = int(work.improving)
        _highs_options(problem, options)
    _tighten_integrality(problem)


def _highs_options(problem, options: dict) -> None:
    """Options optlang's hybrid interface does not expose, set on HiGHS at every solve
    of *problem* (optlang passes a fresh option set to HiGHS each time)."""
    inner = problem.problem
    base = type(inner).highs_settings

    def settings():
        values = base(inner)
        for key, value in options.items():
            setattr(values, key, value)
        return values

    inner.highs_settings = settings


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
