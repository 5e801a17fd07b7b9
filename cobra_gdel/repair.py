"""Turn predicted deletion probabilities into an FBA-verified coupled design.

:func:`repair` takes any gene → P(deleted) scores (a learned predictor, the
frequency prior, a user's guesses) and runs these stages near them, in order,
until one gives a coupled design:

1. **threshold** (:func:`threshold_stage`, θ = 0.5, 0.6, 0.4, 0.7, 0.3, 0.8, 0.2,
   0.9, 0.1): the candidates ``{g: p ≥ θ}`` without growth-essential genes; if they
   close growth or the production route, the lowest-scored are **restored**
   (binary search on how many); a near-miss goes to the μ0/μP **margin search**
   (:func:`cobra_gdel.heuristics.margin_search`).
2. **focused MILP** (:func:`focused_stage`, right after θ = 0.5 fails): gDel_minRN
   decides only the uncertain genes; genes scored ≥ ``FORCE_SCORE`` are deleted
   (minus the few that close growth or the production route, :func:`_drop_blockers`),
   genes scored ≤ ``KEEP_SCORE`` are kept, except those within two steps of the target
   (:func:`_neighbour_genes`). It gets ``FOCUSED_SHARE`` of the time left.
3. **restricted MILP** (:func:`milp_stage`): gDel_minRN over the candidates of the
   lowest threshold, with the time left.
4. **open MILP** (:func:`open_stage`): gDel_minRN over every gene with the time left,
   when the scores kept some genes out of the restricted one (left out when a caller
   repairs from other scores next, as ``predict_deletions`` does from the prior). Over
   every gene each round is solved to the optimum on a model of more than
   ``SMALL_MODEL_GENES`` genes (``search(..., to_optimum=True)``; so is the restricted
   MILP of scores that rank nothing, ``repair_task(..., sweep=False)``): there the
   first incumbents of the other MILPs failed every round on Salmonella's hard targets.
5. **cut sets** (:func:`cutset_stage`, with the open MILP, on models of at most
   ``SMALL_MODEL_GENES`` genes): the fewest-deletion designs over every gene at slow
   growth too (:func:`cobra_gdel.cutsets.smallest_designs`), for targets whose only
   designs grow slowly, where gDel_minRN's no-good rounds run out.

The MILP stages solve with HiGHS when the model uses GLPK and HiGHS is installed
(:func:`cobra_gdel.problem.default_milp_solver`); their LP checks stay on the model's
solver. Every returned design is pruned, re-checked and built by
:func:`cobra_gdel.design.finish`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from functools import partial

import pandas as pd

from .analysis import exit_reason, growing, grows_without, route_open, uncontrolled_exit
from .coupling import EPS
from .cutsets import RESCUE_NODES, RESCUE_SHARES, growth_levels, small_model, smallest_designs
from .report import CouplingReport, better_report
from .targets import GROWTH_LB, PRODUCTION_LB
from .design import NO_DESIGN, DeletionDesign, finish
from .exceptions import NoProductionRouteError
from .heuristics import growth_pair, margin_pool, margin_search
from .problem import Clock, DesignTask
from .search import search

logger = logging.getLogger(__name__)

__all__ = ["FORCE_SCORE", "KEEP_SCORE", "THRESHOLDS", "adapt_pool", "adapt_seed", "repair",
           "repair_task", "seed_start"]

#: Thresholds tried in this order (0.5 first, then moving away from it).
THRESHOLDS = (0.5, 0.6, 0.4, 0.7, 0.3, 0.8, 0.2, 0.9, 0.1)
#: Most restored genes the restore step tries to delete again.
REDELETE_MAX = 30
#: The restricted MILP is only started with at least this many seconds left.
MILP_MIN_SECONDS = 2.0
#: Focused MILP: genes scored at least this are fixed deleted, at most KEEP_SCORE kept.
FORCE_SCORE = 0.98
KEEP_SCORE = 0.02
#: Share of the time left after the first threshold that the focused MILP may use.
FOCUSED_SHARE = 0.7
#: Metabolites with more reactions than this (currency metabolites) do not link
#: reactions into a target's neighbourhood (:func:`_neighbour_genes`).
NEIGHBOUR_DEGREE = 20
#: Most MILP rounds of a repair stage.
STAGE_ITERATIONS = 10


def repair(model, target, scores: pd.Series, *, growth_lb: float = GROWTH_LB,
           production_lb: float = PRODUCTION_LB, time_limit: float | None = 30.0,
           protected: Iterable = (), minimize: bool = False,
           solver=None) -> DeletionDesign:
    """Turn deletion probabilities into a verified growth-coupling design.

    Parameters
    ----------
    model : cobra.Model
        The model; it is not modified.
    target : str or cobra.Metabolite
        The target metabolite.
    scores : pandas.Series
        Gene id → P(deleted) in [0, 1], from any source. Genes that are missing
        count as 0 (kept).
    growth_lb, production_lb : float
        Lower bounds of the coupling check.
    time_limit : float, optional
        Seconds for the whole call (None: no limit, each stage runs to its end).
    protected : iterable of str or cobra.Gene
        Genes never deleted, beside the spontaneous pseudo-genes.
    minimize : bool
        Trim a coupled result to a minimal design.
    solver : str, optional
        optlang solver name for every LP and MILP; default: the model's for the LPs
        (see :func:`cobra_gdel.problem.default_milp_solver` for the MILP).

    Returns
    -------
    DeletionDesign
        ``"coupled"`` (method ``"repair:threshold"``, ``"repair:restore"``,
        ``"repair:margin"``, ``"repair:focused"`` or ``"repair:milp"``, with
        ``"+trim"`` when trimmed), ``"no_design"`` when no deletion set can couple the
        target, or ``"not_coupled"`` with the best attempt and the reason.
        ``probabilities`` are the scores; timings ``"repair"``, ``"verify"`` (and
        ``"milp"``, ``"trim"``).

    Raises
    ------
    UnknownGeneError
        If *scores* names a gene that is not in the model.
    ValueError
        If a score is NaN or outside [0, 1].
    NoProductionRouteError
        If the target cannot be produced while growing even without deletions.
    UnknownTargetError, SolverError
    """
    task = DesignTask.create(model, target, growth_lb=growth_lb, production_lb=production_lb,
                             protected=protected, solver=solver, time_limit=time_limit)
    return repair_task(task, scores, minimize=minimize)


def repair_task(task: DesignTask, scores: pd.Series, *, minimize: bool = False,
                open_milp: bool = True, sweep: bool = True) -> DeletionDesign:
    """:func:`repair` on a prepared :class:`~cobra_gdel.problem.DesignTask` (the stages in
    order, on the task's clock). *open_milp* False leaves out the last stage (the MILP
    over every gene), for a caller that repairs from other scores next. *sweep* False
    skips the stages that rank genes by score and starts with the MILP over every
    gene: for scores that rank nothing (``predict_deletions``' open attempt), where
    restoring every gene to an open route costs genome-scale models seconds for no
    information (Salmonella hemeO_c: 12.5 s of a 30 s attempt)."""
    run = RepairRun(task, _validate_scores(task.checker, scores), minimize)
    task.require_production_route()
    route = uncontrolled_exit(task, task.protected)
    if route:
        return run.done(task.check(()), "repair:threshold",
                        reason=exit_reason(task.target, route, task.protected), status=NO_DESIGN)
    if not sweep:
        return _last_stages(run, 0.0, open_milp)
    lowest = 1.0
    for theta in THRESHOLDS:
        if task.clock.expired():
            run.reasons.append("time limit reached during the threshold sweep")
            break
        lowest = min(lowest, theta)
        design = threshold_stage(run, theta)
        if design is None and theta == THRESHOLDS[0]:
            design = focused_stage(run)
        if design is not None:
            return design
    if run.best is not None and run.best.reason:
        run.reasons.append(f"threshold sweep: {run.best.reason}")
    return _last_stages(run, lowest, open_milp)


def _last_stages(run: RepairRun, lowest: float, open_milp: bool) -> DeletionDesign:
    """The MILP over the candidates of the *lowest* threshold, then (with *open_milp*)
    over every gene and the cut sets; the best attempt when none couples."""
    design = milp_stage(run, lowest)
    if design is None and open_milp:
        design = open_stage(run, lowest)
    if design is None and open_milp:
        design = cutset_stage(run)
    if design is not None:
        return design
    best = run.best if run.best is not None else run.task.check(())
    return run.done(best, run.best_method, reason="; ".join(run.reasons) or best.reason)


class RepairRun:
    """The state the stages of one :func:`repair` call share."""

    def __init__(self, task: DesignTask, probabilities: pd.Series, minimize: bool) -> None:
        self.task = task
        self.probabilities = probabilities
        self.minimize = minimize
        self.pool = _gene_pool(task.checker, probabilities, task.protected)
        self.best: CouplingReport | None = None
        self.best_method = "repair:threshold"
        self.reasons: list[str] = []
        self.seen: set[frozenset] = set()
        self.start = time.perf_counter()
        self.verify = 0.0
        self.milp = 0.0

    def check(self, deletions) -> CouplingReport:
        """The task's check, timed as ``"verify"``."""
        start = time.perf_counter()
        try:
            return self.task.check(deletions)
        finally:
            self.verify += time.perf_counter() - start

    def offer(self, report: CouplingReport, method: str) -> DeletionDesign | None:
        """Keep *report* if it is the best attempt; the finished design when coupled."""
        if better_report(self.best, report):
            self.best, self.best_method = report, method
        return self.done(report, method) if report.coupled else None

    def done(self, report: CouplingReport, method: str, *, reason: str | None = None,
             status: str | None = None) -> DeletionDesign:
        """Finish the design (pruned lowest score first, re-checked, trimmed on request)."""
        timings = {"repair": time.perf_counter() - self.start - self.verify - self.milp,
                   "verify": self.verify}
        if self.milp:
            timings["milp"] = self.milp
        return finish(self.task, report, method, probabilities=self.probabilities,
                      timings=timings, reason=reason, status=status, minimize=self.minimize,
                      prune_order=self.pool[::-1])

    def run_milp(self, stage: str, method: str, seconds: float | None, candidates, forced,
                 to_optimum: bool = False) -> DeletionDesign | None:
        """gDel_minRN over *candidates* with *forced* deleted, for *seconds* (None: no
        limit but the task's; *to_optimum*: see :func:`~cobra_gdel.search.search`); the
        finished design when it couples, else None (its reason is kept)."""
        start = time.perf_counter()
        try:
            found = search(self.task.with_clock(Clock(seconds, self.task.clock)),
                           max_iterations=STAGE_ITERATIONS, candidates=candidates,
                           forced=forced, to_optimum=to_optimum)
        except NoProductionRouteError:
            return None
        finally:
            self.milp += time.perf_counter() - start
        design = self.offer(self.check(found.deletions), method)
        if design is None:
            self.reasons.append(f"{stage}: {found.reason}")
        return design


def threshold_stage(run: RepairRun, theta: float) -> DeletionDesign | None:
    """Candidates scored ≥ *theta* (not growth-essential), restored until growth and a
    production route are open, then the margin search on a near-miss."""
    task = run.task
    candidates = growing(task, [g for g in run.pool if run.probabilities[g] >= theta])
    restored = _restore_until_open(task, candidates)
    method = "repair:restore" if len(restored) < len(candidates) else "repair:threshold"
    key = frozenset(restored)
    if key in run.seen:
        return None
    run.seen.add(key)
    report = run.check(restored)
    logger.debug("repair %s θ=%.2f: %d deletions, %s", task.target, theta, len(restored),
                 "coupled" if report.coupled else report.reason)
    if not report.coupled and report.growth_rate + EPS >= task.growth_lb:
        found = margin_search(task, restored, run.pool, task.clock)
        if found is not None:
            report, method = found, "repair:margin"
    return run.offer(report, method)


def focused_stage(run: RepairRun) -> DeletionDesign | None:
    """gDel_minRN on the uncertain genes only: genes scored ≥ ``FORCE_SCORE`` are deleted
    in every solution (minus the few that would close growth or the production route),
    genes scored ≤ ``KEEP_SCORE`` are kept except near the target, and the MILP decides
    the rest (about a hundred genes from the frequency prior on iMM904 and iML1515,
    instead of about a thousand). Genes that an uncontrolled exit needs deleted are
    made candidates even when scored low."""
    task, pool, probabilities = run.task, run.pool, run.probabilities
    seconds = task.clock.share(FOCUSED_SHARE).limit
    high = growing(task, [g for g in pool if probabilities[g] >= FORCE_SCORE])
    forced = _drop_blockers(task, high, task.clock)
    candidates = {g for g in pool if probabilities[g] > KEEP_SCORE} | set(forced)
    in_pool = set(pool)
    # Low-scored genes next to the target stay free: a design often has to close the
    # target's own transporters or converters (iML1515 csn_c needs b0337 deleted; its
    # share over the other targets' strategies is 0.005).
    candidates |= _neighbour_genes(task.model, task.target) & in_pool
    rules = task.checker.rules
    for _ in range(3):  # low-scored genes that an exit route needs deleted
        route = uncontrolled_exit(task, frozenset(task.checker.genes - candidates))
        extra = {g for r in route for g in rules.rule_genes(r)} & in_pool
        extra -= candidates
        if not extra:
            break
        candidates |= extra
    if task.clock.expired():
        return None
    logger.debug("focused MILP %s: %d forced, %d free genes", task.target, len(forced),
                 len(candidates) - len(forced))
    return run.run_milp("focused MILP", "repair:focused", seconds, candidates, forced)


def milp_stage(run: RepairRun, lowest: float) -> DeletionDesign | None:
    """gDel_minRN restricted to the candidates of the lowest threshold tried (not
    growth-essential), with the time left (at least ``MILP_MIN_SECONDS``)."""
    task = run.task
    if task.clock.left() < MILP_MIN_SECONDS:
        run.reasons.append(f"less than {MILP_MIN_SECONDS:g} s left for the MILP")
        return None
    candidates = growing(task, [g for g in run.pool if run.probabilities[g] >= lowest])
    # over every gene (the open attempt's scores rank nothing): gDel_minRN's optima
    return run.run_milp("restricted MILP", "repair:milp", task.clock.seconds(minimum=0.1),
                        candidates, (), to_optimum=lowest <= 0.0)


def open_stage(run: RepairRun, lowest: float) -> DeletionDesign | None:
    """gDel_minRN over every gene with the time left, when the scores kept some genes
    out of the restricted MILP: a gene every candidate network needs (scored 0) can be
    the one a design must delete (e_coli_core etoh_e with its genes renamed)."""
    task = run.task
    if task.clock.left() < MILP_MIN_SECONDS:
        return None
    if all(run.probabilities[g] >= lowest for g in run.pool):
        return None  # the restricted MILP already had every gene
    return run.run_milp("open MILP", "repair:milp", task.clock.seconds(minimum=0.1), None, (),
                        to_optimum=True)


def cutset_stage(run: RepairRun) -> DeletionDesign | None:
    """Exact fewest-deletion designs over every gene, at the distinct growth levels of
    ``RESCUE_SHARES`` of the wild type's growth in turn until one couples (the
    ``RESCUE_NODES`` shared equally by them), on a model of at most
    ``SMALL_MODEL_GENES`` genes with time left."""
    task = run.task
    if (not small_model(task) or not task.checker.data.plain
            or task.clock.left() < MILP_MIN_SECONDS):
        return None  # cut sets need a small model of stoichiometry and bounds alone
    start = time.perf_counter()
    try:
        found = smallest_designs(task, 1, RESCUE_SHARES, node_budget=RESCUE_NODES, first=True)
    finally:
        run.milp += time.perf_counter() - start
    if found:  # each report is the task's own check of a coupled design
        return run.offer(found[0], "repair:cutset")
    levels = growth_levels(task, RESCUE_SHARES)
    run.reasons.append("cut sets: no design at growth "
                       f"{', '.join(f'{level:.3g}' for level in levels)}")
    return None


# -- helpers -------------------------------------------------------------------------------
def _validate_scores(checker, scores) -> pd.Series:
    if not isinstance(scores, pd.Series):
        raise TypeError(f"scores must be a pandas Series (gene id -> P(deleted)), not "
                        f"{type(scores).__name__}")
    scores = scores.copy()
    scores.index = [g if isinstance(g, str) else getattr(g, "id", g) for g in scores.index]
    if scores.index.has_duplicates:
        raise ValueError(f"scores has repeated gene ids: "
                         f"{sorted(set(scores.index[scores.index.duplicated()]))[:5]}")
    checker.validate_genes(scores.index)  # UnknownGeneError
    try:
        values = scores.astype(float)
    except (TypeError, ValueError):
        raise ValueError("scores must be numbers in [0, 1]") from None
    bad = values.isna() | (values < 0) | (values > 1)
    if bad.any():
        raise ValueError(f"scores must be numbers in [0, 1]; bad values for "
                         f"{list(values.index[bad])[:5]}")
    return values


def _gene_pool(checker, probabilities: pd.Series, keep) -> list[str]:
    """Genes that can matter (in some rule, not protected), highest score first."""
    in_rules = checker.rules.in_rules()
    return sorted((g for g in probabilities.index if g in in_rules and g not in keep),
                  key=lambda g: (-probabilities[g], g))


def _open_prefix(task: DesignTask, kept: list[str], rest: list[str]) -> int:
    """The largest k such that ``kept + rest[:k]`` leaves growth and a production route
    possible, given that ``kept`` does and ``kept + rest`` does not (binary search:
    adding deletions only shrinks the flux space). ``rest[k]`` is the first blocker."""
    low, high = 0, len(rest)
    while high - low > 1:
        mid = (low + high) // 2
        if route_open(task, kept + rest[:mid]):
            low = mid
        else:
            high = mid
    return low


def _restore_until_open(task: DesignTask, deleted: list[str]) -> list[str]:
    """Restore the fewest lowest-scored genes of *deleted* (sorted by score, descending)
    so that growth and a production route are possible, then delete again (up to
    ``REDELETE_MAX``, highest score first, while the task's clock runs) restored genes
    that keep them possible. The wild type always has a route (checked before), so a
    list is always returned."""
    if route_open(task, deleted):
        return deleted
    low = _open_prefix(task, [], deleted)
    kept = deleted[:low]
    # The prefix search restored every gene scored below the critical one; add back
    # those that keep growth and the production route possible (highest score first).
    rules = task.checker.rules
    for gene in deleted[low + 1:][:REDELETE_MAX]:
        if task.clock.expired("restore"):  # what is kept so far leaves a route open
            break
        kept_set = set(kept)
        if (not rules.newly_disabled(kept_set, rules.disabled(kept_set), gene)
                or route_open(task, kept + [gene])):
            kept = kept + [gene]
    logger.debug("restore: kept %d of %d deletions (critical gene %s)", len(kept),
                 len(deleted), deleted[low])
    return kept


def _drop_blockers(task: DesignTask, deleted: list[str], clock: Clock,
                   max_drops: int = 25) -> list[str]:
    """Drop from *deleted* (highest score first) only the genes that close growth or
    the production route given the higher-scored genes kept before them.

    Each blocker is found by a binary search on the prefix that still leaves a route,
    so only the genes that really conflict are restored, not every gene scored below
    the first conflict. After *max_drops* blockers or when *clock* runs out, the genes
    not yet examined are left out too. The result always leaves a route.
    """
    kept: list[str] = []
    rest = list(deleted)
    for _ in range(max_drops):
        if route_open(task, kept + rest):
            return kept + rest
        if clock.expired():
            break
        low = _open_prefix(task, kept, rest)
        kept += rest[:low]
        rest = rest[low + 1:]  # rest[low] is the blocker
    logger.debug("drop blockers %s: stopped with %d genes unexamined", task.target, len(rest))
    return kept


def seed_start(task: DesignTask, genes: Iterable[str], clock: Clock
               ) -> tuple[float, list[str]]:
    """A design made for another target, with the genes that close growth or every
    production route of *task*'s target restored (:func:`_drop_blockers`; *genes* that
    the model has and that are not protected, in id order).

    Returns ``(μ0/μP, genes kept)``: how far the rest is from coupling this target (below
    1 when coupled, ``inf`` when it does not grow; :func:`adapt_seed` starts from the
    nearest first) and the genes kept.
    """
    seed = sorted(g for g in set(genes) if g in task.checker.genes
                  and g not in task.protected)
    kept = _drop_blockers(task, seed, clock)
    (mu_p, _), (mu_0, _) = growth_pair(task, set(kept))
    if mu_p is None or mu_p + EPS < task.growth_lb:
        return float("inf"), kept
    return (0.0 if mu_0 is None else mu_0 / mu_p), kept


def adapt_pool(task: DesignTask) -> list[str]:
    """The genes :func:`adapt_seed` may delete, in the order it scores them: those next
    to the target (:func:`_neighbour_genes`) first."""
    return margin_pool(task, frozenset(_neighbour_genes(task.model, task.target)))


def adapt_seed(task: DesignTask, kept: list[str], clock: Clock,
               pool: list[str] | None = None) -> CouplingReport | None:
    """The margin search from *kept* (:func:`seed_start`) over *pool* (default:
    :func:`adapt_pool`, the genes next to the target first); the coupled report (not
    trimmed) or None.

    A design of a related target has often shut the pathway the target is made on
    (restored by :func:`seed_start`), and the target's own turnover is what is left to
    close. On Salmonella iYS1720 phosphatidylglycerophosphate's design (pgp160_c)
    deletes phospholipase A (*pldA*), the only route to 2agpg161_p; with it restored,
    the search deletes *pldB* and the lysophospholipid importer, and 2agpg161_p is
    coupled (docs/benchmarks.md).
    """
    if pool is None:
        pool = adapt_pool(task)
    return margin_search(task, kept, pool, clock, admissible=partial(grows_without, task))


def _neighbour_genes(model, target: str) -> set[str]:
    """Genes of the reactions within two steps of *target*: its own reactions and the
    reactions of their other metabolites that take part in at most ``NEIGHBOUR_DEGREE``
    reactions."""
    metabolite = model.metabolites.get_by_id(target)
    near = set(metabolite.reactions)
    for reaction in list(near):
        for other in reaction.metabolites:
            if other is not metabolite and len(other.reactions) <= NEIGHBOUR_DEGREE:
                near.update(other.reactions)
    return {gene.id for reaction in near for gene in reaction.genes}

