"""The gDel_minRN MILP of one design task.

Variables: a flux per reaction (two for a reaction the model's problem weighs other
than by its net flux), every extra variable of the model's problem, a binary per
deletable gene (1 = kept), a switch per GPR AND-term and per reaction rule; flux
switches ``lb·z ≤ v ≤ ub·z``, the model's mass balances and extra constraints, and
lower bounds on growth and production. The objective ``−growth + W·Σz`` represses as
many reactions as possible (see ALGORITHMS.md). The problem is built as data
(:class:`~cobra_gdel.mip.MipStructure`) and solved by a back-end of
:mod:`cobra_gdel.mip`; :mod:`cobra_gdel.search` drives it (no-good cuts, verification).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from .analysis import flux_ranges
from .exceptions import SolverError
from .gpr import minimise_terms
from .lp import column_bounds
from .mip import MIN_SOLVE_SECONDS, MilpWork, MipStructure, make_backend
from .problem import DesignTask
from .targets import production_spec, resolve_target

logger = logging.getLogger(__name__)

__all__ = ["GprSwitches", "MinRNProblem", "reduced_rules"]


@dataclass
class Switch:
    """One reaction switch: a column shared by all reactions with the same reduced rule."""

    col: int
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


class GprSwitches:
    """Adds the GPR logic of the reduced rules to a structure."""

    def __init__(self, structure: MipStructure, gene_cols: dict[str, int]) -> None:
        self.s = structure
        self.genes = gene_cols
        self.terms: dict[tuple, int] = {}

    def term(self, term: tuple) -> int:
        """The AND-term's switch: t ≤ g for each gene, t ≥ Σg − (k − 1)."""
        if len(term) == 1:
            return self.genes[term[0]]
        col = self.terms.get(term)
        if col is None:
            col = self.terms[term] = self.s.col(f"t{len(self.terms)}", 0.0, 1.0)
            for g in term:
                self.s.row({col: 1.0, self.genes[g]: -1.0}, ub=0.0)
            coefs = {self.genes[g]: 1.0 for g in term}
            coefs[col] = -1.0
            self.s.row(coefs, ub=len(term) - 1.0)
        return col

    def rule(self, key: tuple, index: int) -> int:
        """The reaction rule's switch: z ≥ t for each term, z ≤ Σt (one term: the term)."""
        terms = [self.term(t) for t in key]
        if len(terms) == 1:
            return terms[0]
        z = self.s.col(f"z{index}", 0.0, 1.0)
        for t in terms:
            self.s.row({z: 1.0, t: -1.0}, lb=0.0)
        coefs = {t: 1.0 for t in terms}
        coefs[z] = -1.0
        self.s.row(coefs, lb=0.0)
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
                 forced: frozenset[str] = frozenset(), *, build: bool = True) -> None:
        build_start = time.perf_counter()
        checker, data = task.checker, task.checker.data
        self.deletable, self.forced = deletable, forced
        metabolite = resolve_target(task.model, task.target)
        prod_id, prod_stoich, auxiliary = production_spec(task.model, metabolite)
        self.production_id = prod_id
        switch_of_rule, self.off = reduced_rules(checker.rules, deletable, forced)
        # With forced deletions (a one-off problem) only switched reactions need ranges.
        switched = (frozenset(r for rs in switch_of_rule.values() for r in rs)
                    if forced else None)
        bounds = dict(flux_ranges(checker, task.growth_lb, task.clock,
                                  (prod_id, prod_stoich) if auxiliary else None,
                                  frozenset(self.off), switched))
        stoich = dict(data.stoich)
        if auxiliary:
            stoich[prod_id] = dict(prod_stoich)
        self.split, self._reverse = data.split, data.reverse
        s = self.structure = MipStructure()
        for rid, (lb, ub) in bounds.items():
            names = (rid, data.reverse[rid]) if rid in self.split else (rid,)
            for name, (low, high) in zip(names, column_bounds(lb, ub, rid in self.split)):
                s.col(f"v:{name}", low, high)
        for name, (lb, ub) in data.extra_variables.items():
            s.col(f"v:{name}", lb, ub)
        genes = sorted({g for key in switch_of_rule for term in key for g in term})
        self.gene_cols = {g: s.col(f"g:{g}", 0.0, 1.0, integer=True) for g in genes}
        gpr = GprSwitches(s, self.gene_cols)
        self.switches: list[Switch] = []
        for key, reactions in switch_of_rule.items():
            z = gpr.rule(key, len(self.switches))
            self.switches.append(Switch(z, list(reactions)))
            for rid in reactions:
                self._switch_rows(rid, bounds[rid], z)
        self._add_rows(data, stoich, {prod_id: -prod_stoich[metabolite.id]}, task)
        # build=False: the caller adds to the structure and makes the back-end itself
        self.backend = make_backend(s, interface) if build else None
        self.timed_out = False
        self.n_binaries = len(self.gene_cols)
        self.build_seconds = time.perf_counter() - build_start
        logger.debug("gDel_minRN MILP for %s: %d columns, %d binaries, %d switches, %d rows "
                     "(%.2f s)", task.target, len(s.columns), self.n_binaries,
                     len(self.switches), len(s.rows), self.build_seconds)

    def _col(self, name: str) -> int:
        return self.structure.index[f"v:{name}"]

    def _terms(self, coefs: dict) -> dict[int, float]:
        """Column indices → coefficients of a net-flux expression {reaction: coef}."""
        out: dict[int, float] = {}
        for rid, coef in coefs.items():
            pairs = (((rid, 1.0), (self._reverse[rid], -1.0)) if rid in self.split
                     else ((rid, 1.0),))
            for name, sign in pairs:
                col = self._col(name)
                out[col] = out.get(col, 0.0) + sign * coef
        return out

    def _switch_rows(self, rid: str, bounds: tuple[float, float], z: int) -> None:
        """lb·z ≤ v ≤ ub·z, or forward ≤ ub⁺·z and reverse ≤ ub⁻·z for a split reaction
        (nothing to switch where the bound is 0)."""
        lb, ub = bounds
        s = self.structure
        if rid in self.split:
            if ub > 0:
                s.row({self._col(rid): 1.0, z: -ub}, ub=0.0)
            if lb < 0:
                s.row({self._col(self._reverse[rid]): 1.0, z: lb}, ub=0.0)
            return
        v = self._col(rid)
        if ub != 0:
            s.row({v: 1.0, z: -ub}, ub=0.0)
        if lb != 0:
            s.row({v: 1.0, z: -lb}, lb=0.0)

    def _add_rows(self, data, stoich: dict, production: dict, task: DesignTask) -> None:
        """Mass balances (as the model bounds them), the model's extra constraints,
        growth ≥ growth_lb and production ≥ production_lb."""
        s = self.structure
        rows: dict[str, dict[int, float]] = {}
        for rid, coefs in stoich.items():
            terms = self._terms({rid: 1.0})
            for met, coef in coefs.items():
                row = rows.setdefault(met, {})
                for col, sign in terms.items():
                    row[col] = coef * sign
        for met, coefs in data.balance_extra.items():
            rows.setdefault(met, {}).update({self._col(n): c for n, c in coefs.items()})
        for met, coefs in rows.items():
            lb, ub = data.row_bounds.get(met, (0.0, 0.0))
            s.row(coefs, lb, ub)
        for _name, coefs, lb, ub in data.extra_rows:
            s.row({self._col(n): c for n, c in coefs.items()}, lb, ub)
        self.growth = {self._col(n): c for n, c in data.objective.items()}
        self.production_coefs = self._terms(production)
        self.growth_row = s.row(dict(self.growth), lb=task.growth_lb)
        self.production_row = s.row(dict(self.production_coefs), lb=task.production_lb)

    # -- objectives and bounds ----------------------------------------------------------
    def set_max_growth_objective(self) -> None:
        """Objective: maximal growth (all binaries free)."""
        self.backend.set_objective(dict(self.growth), "max")

    def set_minrn_objective(self, weight: float) -> None:
        """Objective: minimise −growth + weight·(number of reactions that may carry flux)."""
        costs = {col: -c for col, c in self.growth.items()}
        for switch in self.switches:
            costs[switch.col] = costs.get(switch.col, 0.0) + weight * len(switch.reactions)
        self.backend.set_objective(costs, "min")

    def require_production(self, value: float | None) -> None:
        """Set the MILP's lower bound on production (None: no requirement)."""
        self.backend.set_row_bounds(self.production_row, value, None)

    def require_growth(self, value: float) -> None:
        """Set the MILP's lower bound on growth."""
        self.backend.set_row_bounds(self.growth_row, value, None)

    def set_fewest_deletions_objective(self) -> None:
        """Objective: keep as many genes as possible (fewest knock-outs; one gene of a
        class of interchangeable genes stands for the class)."""
        self.backend.set_objective({col: 1.0 for col in self.gene_cols.values()}, "max")

    def fix_all_kept(self, fixed: bool) -> None:
        """Fix every gene binary to 1 (kept), or free them again."""
        for col in self.gene_cols.values():
            self.backend.set_bounds(col, 1.0 if fixed else 0.0, 1.0)

    # -- solving ------------------------------------------------------------------------
    def solve(self, seconds: float, work: MilpWork | None = None) -> str:
        """Solve; returns "optimal", "incumbent", "infeasible" or "failed".

        *work* bounds the search by work (HiGHS: nodes and improving solutions), which
        makes the outcome the same on any machine and under any load; *seconds* is a
        wall-clock guard on top (the only limit GLPK has, where *work*'s ``clock``
        stands in for the work): when it stops a solve, ``timed_out`` is set. A solve stopped early with a feasible incumbent returns
        "incumbent" (every decoded design is re-checked by FBA). A solver error is
        retried once on a freshly built solver object; if that fails too, SolverError.
        """
        if work is not None and work.clock is not None and not self.backend.work_limited:
            seconds = min(seconds, work.clock)  # the work, as time (GLPK has no node limit)
        outcome = "error"
        for attempt in ("first", "fresh problem"):
            if attempt == "fresh problem":
                logger.info("MILP solver error; retrying on a fresh problem.")
                self.backend.fresh()
            start = time.perf_counter()
            outcome = self.backend.solve(seconds, work)
            elapsed = time.perf_counter() - start
            logger.debug("MILP solved in %.3f s: %s", elapsed, outcome)
            self.timed_out = self.timed_out or self.backend.timed_out
            if outcome != "error":
                return outcome
            seconds -= elapsed
            if seconds < MIN_SOLVE_SECONDS:
                return "failed"
        raise SolverError(f"the gDel_minRN MILP ({self.backend.name}) failed even on a fresh "
                          "problem")

    def objective_value(self) -> float:
        """Objective value of the last solution."""
        return self.backend.objective_value()

    def decode(self) -> tuple[frozenset[str], list[int]]:
        """(deleted genes, switch columns that are 0) of the current solution."""
        values = self.backend.values()
        deleted = frozenset(g for g, col in self.gene_cols.items() if values[col] < 0.5)
        off = [s.col for s in self.switches if values[s.col] < 0.5]
        return deleted, off

    def value(self, name: str) -> float:
        """The value of reaction (or extra variable) *name*'s column in the last solution."""
        return float(self.backend.values()[self._col(name)])

    def add_cut(self, off: list[int], escape: list[int] = ()) -> None:
        """Cut off a failing solution: at least one of its repressed switches *off* must
        be 1, or one of the switches *escape* (on in it) must be 0:
        ``Σ_off z + Σ_escape (1 − z) ≥ 1``. Without *escape*, gDel_minRN's no-good cut."""
        row = {col: 1.0 for col in off}
        for col in escape:
            row[col] = row.get(col, 0.0) - 1.0
        self.backend.add_row(row, lb=1.0 - len(escape))
