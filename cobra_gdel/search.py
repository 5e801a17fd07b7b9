"""Strain-design search without a predictor: the gDel_minRN MILP driver.

:func:`search_deletions` builds the MILP of :mod:`cobra_gdel.milp` (the model is
never modified), solves it, decodes the deleted genes and re-checks them with the
pessimistic two-LP coupling check. A solution that fails is first completed by the
LP-guided moves of :mod:`cobra_gdel.heuristics`, then excluded by gDel_minRN's
no-good cut on its repressed reactions (with ``escape_cuts``, relaxed by the failing
design's escape: a later solution may also keep every one of them repressed if it
switches off a reaction of the flux distribution through which production dropped to
zero), and the MILP is solved again.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable

from .analysis import exit_reason, single_growth, uncontrolled_exit
from .coupling import EPS
from .cutsets import small_model
from .report import CouplingReport, better_report
from .targets import GROWTH_LB, PRODUCTION_LB
from .design import NO_DESIGN, DeletionDesign, finish
from .heuristics import close_routes, margin_search, min_production_flux
from .lp import solver_interface
from .milp import MinRNProblem
from .mip import MIN_SOLVE_SECONDS, MilpWork
from .problem import DesignTask

logger = logging.getLogger(__name__)

__all__ = ["search", "search_deletions"]

#: Wall-clock guard of one MILP solve when the caller gives no overall limit, seconds.
DEFAULT_MILP_TIME_LIMIT = 300.0
#: Work limit (branch-and-bound nodes) of a MILP solve, doubled after a solve that found
#: no incumbent; a solve also stops after IMPROVING_SOLUTIONS improving solutions.
FIRST_NODES = 50
IMPROVING_SOLUTIONS = 1
#: Work limit of a solve of :func:`search`'s ``to_optimum`` rounds on a model of more
#: than ``cutsets.SMALL_MODEL_GENES`` genes: to the optimum, as gDel_minRN specifies,
#: within this many nodes (doubled likewise). Repair's MILP over every gene runs them:
#: on Salmonella's eight hardest targets first incumbents failed the check in every
#: round of 24 calls; on iMM904 ``search_deletions`` with 10 s, first incumbents couple
#: far more targets (docs/benchmarks.md).
OPTIMUM_NODES = 1000
#: ... and within this relative gap of the bound (HiGHS' default: 1e-4): on those eight
#: targets 5 % coupled hemeO_c, ps160_c and pgp160_c, 1 % hemeO_c only, 1e-4 hemeO_c
#: and, in one of three runs, pgp160_c.
OPTIMUM_GAP = 0.05
#: GLPK (no work limits): time of each MILP solve (at least; 0.002 s per gene binary),
#: doubled after a solve that found no incumbent.
FIRST_SOLVE_SECONDS = 0.25
#: Production levels (shares of the maximal production at growth ≥ growth_lb) the MILP
#: requires in turn after its first solve at production_lb. Every solution is still
#: checked at production_lb; requiring more production makes the maximally repressed
#: network keep only routes through the target, which couples far more often.
PRODUCTION_LEVELS = (0.1, 0.3, 0.01, 0.5)
#: Significant digits kept of those levels. The maximal production is an LP optimum on
#: the checker's shared LP, whose warm start depends on the calls before: it differs in
#: its 12th digit between call histories (Salmonella hemeO_c), and so did HiGHS'
#: incumbents under the changed bound. Rounded, the same call gives the same rounds.
LEVEL_DIGITS = 6
#: A flux above this carries a failing design's escape (the switches of the escape cut).
ESCAPE_FLUX = 1e-9
#: Most checks the greedy route-closing step makes after one MILP solution.
GREEDY_MAX_CHECKS = 60
#: Share of the time left that the margin search from caller-forced genes may use.
FORCED_MARGIN_SHARE = 0.25


def search_deletions(model, target, *, growth_lb: float = GROWTH_LB,
                     production_lb: float = PRODUCTION_LB, max_iterations: int = 10,
                     time_limit: float | None = None, minimize: bool = False,
                     candidates: Iterable | None = None, protected: Iterable = (),
                     forced: Iterable = (), solver=None,
                     escape_cuts: bool = False, to_optimum: bool = False) -> DeletionDesign:
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
        Maximal number of MILP solves (each after a cut).
    time_limit : float, optional
        Seconds for the whole call; None: no overall limit (each MILP solve then stops
        after ``DEFAULT_MILP_TIME_LIMIT`` seconds).
    minimize : bool
        Trim the coupled result to a minimal design (:func:`cobra_gdel.trim`).
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
        optlang solver name ("glpk", "hybrid" (HiGHS), "cplex", "gurobi") for every LP
        and the MILP. Default: the model's solver for the LPs, and for the MILP HiGHS
        when the model uses GLPK and HiGHS is installed (else the model's).
    escape_cuts : bool
        Relax each no-good cut by the failing solution's escape: a later solution may
        also keep every reaction it repressed switched off if it switches off one more
        reaction of the flux distribution through which production dropped to zero
        (every other such superset fails for the same reason). It keeps the MILP at
        one repressed pattern, closing escapes one at a time, where the plain cut
        (gDel_minRN's, the default) makes it move elsewhere; which couples sooner
        depends on the target (docs/benchmarks.md, "The escape cut").
    to_optimum : bool
        On a model of more than 300 genes (``cutsets.SMALL_MODEL_GENES``), solve each
        MILP to the optimum (within ``OPTIMUM_NODES`` nodes and ``OPTIMUM_GAP``) as
        gDel_minRN specifies, instead of stopping at the first incumbent (smaller
        models always do). Slower rounds, other patterns: what
        :func:`~cobra_gdel.predict_deletions` runs over every gene when the predicted
        scores did not lead to a design. HiGHS only: GLPK has no work limit, and its
        solves stay on their short clock.

    Returns
    -------
    DeletionDesign
        ``status == "coupled"`` with the first verified design, ``"no_design"`` when the
        target can leave through reactions no deletable gene controls, else
        ``"not_coupled"`` with the best attempt and the reason. Method ``"search"``,
        ``"search+greedy"`` or ``"search+margin"`` when a MILP solution was completed
        by the greedy or (on a model of at most 300 genes) the margin step,
        ``"margin"`` when the margin search from the wild type (or from the *forced*
        genes) found it (``"+trim"`` appended when trimmed); timings ``"build"``
        (flux ranges, growth-essential genes and the MILP), ``"milp"``, ``"verify"``
        (and ``"greedy"``, ``"margin"``, ``"trim"``).

    Notes
    -----
    Sizes are reduced before solving (the optimum is unchanged): growth-essential
    genes and genes outside *candidates* are fixed kept and removed from the rules;
    genes that occur in exactly the same AND-terms share one binary; reactions with
    the same reduced rule share one switch, weighted by their number; term and rule
    switches are continuous (they are integral whenever the genes are); big-M
    constants are the wild type's flux ranges at growth ≥ *growth_lb*.
    Solves are time limited (0.25 s or 0.002 s per gene binary, doubled after a solve
    that found no incumbent at all) and the incumbent is used; when its check fails
    with growth intact, genes that switch off routes bypassing production are added
    (greedily, then by the μ0/μP margin search) before the cut is added. The
    first solve requires production ≥ *production_lb* (gDel_minRN); the next ones
    require, in turn, the ``PRODUCTION_LEVELS`` shares of the maximal production at
    *growth_lb* (and *production_lb* again): maximally repressed networks that must
    still make much of the target couple far more often, and every such solution is
    checked at *production_lb*. If no MILP design couples, the margin search from the
    wild type gets the last ``MARGIN_RESERVE`` share of *time_limit* (method
    ``"margin"``); with *forced* genes it runs from them instead, before the MILP is
    built. A target that can leave the cell through reactions no deletable gene
    controls has no design at all; one LP finds that before the MILP is built.

    Raises
    ------
    NoProductionRouteError
        If the target cannot be produced at *production_lb* while growing at
        *growth_lb* even without deletions.
    UnknownTargetError, UnknownGeneError, ValueError, SolverError

    Examples
    --------
    >>> import cobra
    >>> from cobra_gdel import search_deletions
    >>> model = cobra.io.load_model("textbook")
    >>> search_deletions(model, "succ_e").coupled   # doctest: +SKIP
    True
    """
    task = DesignTask.create(model, target, growth_lb=growth_lb, production_lb=production_lb,
                             protected=protected, solver=solver, time_limit=time_limit)
    return search(task, max_iterations=max_iterations, minimize=minimize,
                  candidates=candidates, forced=forced, escape_cuts=escape_cuts,
                  to_optimum=to_optimum)


def search(task: DesignTask, *, max_iterations: int = 10, minimize: bool = False,
           candidates: Iterable | None = None, forced: Iterable = (),
           escape_cuts: bool = False, to_optimum: bool = False,
           exact: bool = False) -> DeletionDesign:
    """:func:`search_deletions` on a prepared :class:`~cobra_gdel.problem.DesignTask`
    (repair runs it on the uncertain genes). *to_optimum*: on a model of more than
    ``SMALL_MODEL_GENES`` genes each MILP solve runs to the optimum (``OPTIMUM_NODES``,
    ``OPTIMUM_GAP``) instead of stopping at its first incumbent. *exact*: on a model of
    any size, each solve runs to the optimum within ``OPTIMUM_NODES`` nodes and the
    solver's own gap, as gDel_minRN specifies (the network predictor's reproduction of
    the program that made the published strategies)."""
    if int(max_iterations) < 1:
        raise ValueError(f"max_iterations must be >= 1, got {max_iterations}")
    checker, clock = task.checker, task.clock
    forced = frozenset(checker.validate_genes(forced))
    if forced & task.protected:
        raise ValueError(f"genes both forced and protected: {sorted(forced & task.protected)[:5]}")
    start = time.perf_counter()
    deletable = _deletable(task, candidates, forced)
    timings = {"build": 0.0, "milp": 0.0, "verify": 0.0}
    task.require_production_route()
    early = _no_search_needed(task, deletable, forced)
    if early is not None:
        timings["build"] = time.perf_counter() - start
        return finish(task, task.check(forced), "search", timings=timings, reason=early[0],
                      status=early[1])
    # Genes the greedy step may add: fewest reactions disabled on their own first.
    pool = sorted(deletable, key=lambda g: (len(checker.rules.disabled((g,))), g))
    timings["build"] = time.perf_counter() - start
    if forced:
        # A caller's forced set (repair's confident genes) is usually close to a design:
        # the margin search from it often couples in under a second, before the MILP
        # is even built (its flux ranges alone take seconds on iML1515).
        start = time.perf_counter()
        found = margin_search(task, sorted(forced), pool,
                              clock.share(FORCED_MARGIN_SHARE, MIN_SOLVE_SECONDS))
        timings["margin"] = time.perf_counter() - start
        if found is not None:
            return finish(task, found, "margin", timings=timings, minimize=minimize)
    start = time.perf_counter()
    milp = MinRNProblem(task, deletable, solver_interface(task.model, task.milp_solver), forced)
    timings["build"] += time.perf_counter() - start
    rounds = _Rounds(task, milp, forced, pool, timings, escape_cuts, to_optimum, exact)
    best, method, reason = rounds.run(int(max_iterations))
    if (best is None or not best.coupled) and not forced and clock.left() >= MIN_SOLVE_SECONDS:
        # Last resort with the time left: the margin search from the wild type (from
        # forced genes it already ran, before the MILP).
        start = time.perf_counter()
        found = margin_search(task, [], pool, clock)
        timings["margin"] = timings.get("margin", 0.0) + time.perf_counter() - start
        if found is not None:
            best, method = found, "margin"
    if best is None:  # no MILP solution at all: report the wild type as the attempt
        start = time.perf_counter()
        best = task.check(())
        timings["verify"] += time.perf_counter() - start
    if not best.coupled and best.reason:
        reason = f"{reason}; best attempt: {best.reason}" if reason else best.reason
    return finish(task, best, method if best.coupled else "search", timings=timings,
                  reason=reason, minimize=minimize)


def _level(share: float, high: float) -> float:
    """*share* · *high* to ``LEVEL_DIGITS`` significant digits (see there)."""
    return float(f"{share * high:.{LEVEL_DIGITS}g}")


def _deletable(task: DesignTask, candidates, forced: frozenset[str]) -> frozenset[str]:
    """Genes the MILP may delete: the candidates (default all) that are not protected,
    not forced and not growth-essential (a single deletion below ``growth_lb``)."""
    checker = task.checker
    deletable = checker.genes if candidates is None else checker.validate_genes(candidates)
    deletable = frozenset(deletable - task.protected - forced)
    growth = single_growth(checker, deletable, task.clock)
    return frozenset(g for g in deletable if growth.get(g, math.inf) + EPS >= task.growth_lb)


def _no_search_needed(task: DesignTask, deletable: frozenset[str], forced: frozenset[str]
                      ) -> tuple[str, str | None] | None:
    """(reason, status) when no MILP can help: the target has an uncontrolled exit (no
    design exists), or the forced deletions alone stop growth; else None."""
    route = uncontrolled_exit(task, task.checker.genes - deletable - forced)
    if route:
        return exit_reason(task.target, route, task.protected), NO_DESIGN
    if forced and task.checker.max_growth(forced) + EPS < task.growth_lb:
        return f"the forced deletions alone leave growth below {task.growth_lb:g}", None
    return None


class _Rounds:
    """The MILP's no-good rounds: solve, decode, verify, complete or cut, repeat."""

    def __init__(self, task: DesignTask, milp: MinRNProblem, forced: frozenset[str],
                 pool: list[str], timings: dict, escape_cuts: bool = False,
                 to_optimum: bool = False, exact: bool = False) -> None:
        self.task, self.milp, self.forced, self.pool, self.timings = (task, milp, forced,
                                                                      pool, timings)
        self.escape_cuts = escape_cuts
        self.polished: set[frozenset[str]] = set()
        # The margin completion only on small models: on models of more than
        # SMALL_MODEL_GENES genes it never completed a round in 236 (Salmonella
        # predict_deletions on 11 targets, iJO1366 on 8, iMM904 search_deletions on 35;
        # scratch, session 26) and took 156 s of the 262 s of their checks and
        # completions; the route closing completed 13 (docs/benchmarks.md).
        self.margin = small_model(task)
        self.to_optimum = exact or (to_optimum and not self.margin)
        self.gap = None if exact else OPTIMUM_GAP

    def _timed(self, key: str, function, *args):
        start = time.perf_counter()
        try:
            return function(*args)
        finally:
            self.timings[key] = self.timings.get(key, 0.0) + time.perf_counter() - start

    def _solve(self, fruitless: int) -> str:
        """One solve on a work budget: short solves that stop at their incumbent (every
        design is verified anyway) — many quick no-good rounds find a coupled pattern
        more often than a few long ones (rounds ``to_optimum`` on a large model: to the
        optimum within ``OPTIMUM_NODES`` and ``OPTIMUM_GAP``). A solve that ends without
        any incumbent doubles the work of the next. The clock only guards
        (``DEFAULT_MILP_TIME_LIMIT`` at most)."""
        # GLPK has no work limit: a time budget instead (not reproducible under load)
        first = max(FIRST_SOLVE_SECONDS, 0.002 * self.milp.n_binaries)
        nodes, improving, gap = ((OPTIMUM_NODES, None, self.gap) if self.to_optimum
                                 else (FIRST_NODES, IMPROVING_SOLUTIONS, None))
        work = MilpWork(nodes=nodes * 2 ** fruitless, improving=improving,
                        clock=first * 2 ** fruitless, gap=gap)
        seconds = min(self.task.clock.left(), DEFAULT_MILP_TIME_LIMIT)
        outcome = self._timed("milp", self.milp.solve, seconds, work)
        if self.milp.timed_out and self.milp.backend.work_limited:
            self.task.clock.mark("MILP solve")
        return outcome

    def _weight(self) -> tuple[float | None, str]:
        """(W, solve outcome): W is the maximal growth under the requirements (all genes
        kept; an LP in all but name), None when that solve did not end optimal."""
        milp = self.milp
        milp.fix_all_kept(True)
        milp.set_max_growth_objective()
        outcome = self._timed("milp", milp.solve,
                              min(self.task.clock.left(), DEFAULT_MILP_TIME_LIMIT))
        milp.fix_all_kept(False)
        return (milp.objective_value() if outcome == "optimal" else None), outcome

    def run(self, max_iterations: int) -> tuple[CouplingReport | None, str, str]:
        """(best report, method, reason) after at most *max_iterations* solves."""
        task, milp, clock = self.task, self.milp, self.task.clock
        weight, outcome = self._weight()
        if weight is None:
            return None, "search", f"the growth LP for the objective weight ended {outcome}"
        milp.set_minrn_objective(max(weight, 1e-6))
        best, method, fruitless = None, "search", 0
        high = task.checker.production_range(task.target, self.forced, task.growth_lb)[1]
        raised = (_level(share, high) for share in PRODUCTION_LEVELS)
        levels = [task.production_lb] + [lv for lv in raised if lv > task.production_lb]
        for iteration in range(max_iterations):
            if clock.left() < MIN_SOLVE_SECONDS and iteration > 0:
                clock.mark("MILP rounds")
                return best, method, f"time limit reached after {iteration} MILP solve(s)"
            level = levels[iteration % len(levels)]
            milp.require_production(level)
            outcome = self._solve(fruitless)
            if outcome == "infeasible" and level > task.production_lb:
                levels.remove(level)  # no further pattern produces this much
                continue
            if outcome == "infeasible":
                return best, method, (f"the MILP became infeasible after {iteration} "
                                      "cut(s): no further reaction pattern meets the requirements")
            if outcome == "failed":
                fruitless += 1  # the next solve gets twice the time
                continue
            deleted, off = milp.decode()
            design = deleted | self.forced
            report, how = self._verify(iteration, design, off)
            if better_report(best, report):
                best, method = report, how
            if report.coupled:
                return best, method, ""
            if not off:
                return best, method, "the MILP represses no reaction; nothing left to cut"
            milp.add_cut(off, self._escape(design, off) if self.escape_cuts else ())
        return best, method, f"no coupled design in {max_iterations} MILP iteration(s)"

    def _escape(self, design: frozenset[str], off: list[int]) -> list[int]:
        """The switches that are on and carry the failing *design*'s escape flux (a
        minimal-production flux distribution at its maximal growth); empty when the
        design does not grow (then every superset fails too).

        A design that represses everything *design* represses and keeps these switches
        on still allows that flux distribution, so it grows as much and can produce as
        little: it fails too. The cut of :meth:`MinRNProblem.add_cut` therefore excludes
        only such designs, and leaves the MILP the supersets that close the escape —
        the plain no-good cut of gDel_minRN excludes every superset, coupled ones
        included."""
        task = self.task
        report = task.check(design)  # answered from the task's memo: checked just before
        if report.coupled or report.growth_rate + EPS < task.growth_lb:
            return []
        active = {r for r, v in min_production_flux(task, report).items()
                  if abs(v) > ESCAPE_FLUX}
        repressed = set(off)
        return [s.col for s in self.milp.switches
                if s.col not in repressed and not active.isdisjoint(s.reactions)]

    def _verify(self, iteration: int, deleted: frozenset[str], off: list
                ) -> tuple[CouplingReport, str]:
        """Check a decoded design; complete a near-miss by closing routes, then, on a
        model of at most ``SMALL_MODEL_GENES`` genes, by the margin search (once per
        decoded gene set)."""
        task = self.task
        report = self._timed("verify", task.check, deleted)
        logger.info("search %s: iteration %d, %d deletions, %d repressed switches: %s",
                    task.target, iteration + 1, len(deleted), len(off),
                    "coupled" if report.coupled else report.reason)
        if (report.coupled or report.growth_rate + EPS < task.growth_lb
                or deleted in self.polished):
            return report, "search"
        self.polished.add(deleted)
        closed = self._timed("greedy", close_routes, task, report, self.pool, task.clock,
                             GREEDY_MAX_CHECKS)
        if closed.coupled:
            return closed, "search+greedy"
        if not self.margin:
            return report, "search"
        found = self._timed("margin", margin_search, task, sorted(deleted), self.pool,
                            task.clock)
        if found is not None:
            return found, "search+margin"
        return report, "search"
