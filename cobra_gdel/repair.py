"""Turn predicted deletion probabilities into an FBA-verified coupled design.

:func:`repair` takes any gene → P(deleted) scores (a learned predictor, the
frequency prior, a user's guesses) and searches near them:

1. **threshold sweep** – candidate set ``{g: p ≥ θ}`` for θ = 0.5, 0.6, 0.4, 0.7,
   0.3, 0.8, 0.2, 0.9, 0.1 (genes that appear in no GPR rule and protected genes
   are never deleted);
2. **restore** – growth-essential genes (single deletion leaves growth below
   ``growth_lb``; cached per checker, computed lazily only for genes that are
   candidates) are dropped; if the combination still kills growth or the
   production route, the lowest-scored candidates are restored (binary search on
   how many, since restoring genes only enlarges the feasible flux space);
3. **margin search** – when the design grows but production can drop below
   ``production_lb`` at maximal growth, compare μP (maximal growth with
   production ≥ ``production_lb``) with μ0 (maximal growth with production ≤ it):
   the design is coupled once μ0 < μP. Genes (highest score first) whose
   deletion switches off a reaction carrying flux in the μ0 solution are scored
   by μ0/μP and the best is deleted, until coupled or stuck. This continuous
   measure is what turns most near-misses into coupled designs (iMM904 from the
   frequency prior, 15 s: 37 % → 78 % coupled). (A greedy route-closing step that used
   to run here never produced a design once this stage existed, and its checks
   took the time the MILP needs; :func:`cobra_gdel.search_deletions` still uses
   it on MILP solutions.)
4. **focused MILP** – right after the first threshold (θ = 0.5) fails, the
   gDel_minRN MILP decides only the uncertain genes: genes scored ≥ ``FORCE_SCORE``
   are deleted in every solution (except the few that close growth or the
   production route on their own account, found one by one by binary search),
   genes scored ≤ ``KEEP_SCORE`` are kept, except those within two steps of the
   target (:func:`_neighbour_genes`). The margin search from the forced genes
   runs first (:func:`cobra_gdel.search_deletions` does that whenever genes are
   forced) and often couples before the MILP is built. From the frequency prior
   that leaves about a hundred free genes on iMM904 and iML1515 instead of about
   a thousand, a far smaller MILP (HiGHS when installed). It gets
   ``FOCUSED_SHARE`` of the time left; then the other thresholds are tried;
5. **MILP** – if no threshold gives a coupled design, the gDel_minRN MILP
   restricted to the candidate genes of the lowest threshold gets the remaining time.

The MILP stages solve with HiGHS when the model uses GLPK and HiGHS is installed;
their LP checks stay on the model's solver (GLPK's warm-started dual simplex is
several times faster per check than HiGHS through optlang).

Every returned design is re-checked with the standard coupling check.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable

import pandas as pd

from .coupling import (
    GROWTH_LB,
    PRODUCTION_LB,
    CouplingReport,
    _check_lb,
    get_checker,
    protected_genes,
    resolve_target,
)
from .design import DeletionDesign
from .exceptions import NoProductionRouteError
from .search import (
    _EPS,
    _better,
    _Clock,
    _exit_reason,
    _margin_search,
    _route_open,
    _newly_disabled,
    _reenabled,
    _search,
    _single_growth,
    _uncontrolled_exit,
    trim,
)

logger = logging.getLogger(__name__)

__all__ = ["repair", "THRESHOLDS"]

#: Thresholds tried in this order (0.5 first, then moving away from it).
THRESHOLDS = (0.5, 0.6, 0.4, 0.7, 0.3, 0.8, 0.2, 0.9, 0.1)

#: Most restored genes the restore stage tries to delete again.
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


def _open_prefix(checker, target: str, kept: list[str], rest: list[str], growth_lb: float,
                 production_lb: float) -> int:
    """The largest k such that ``kept + rest[:k]`` leaves growth and a production route
    possible, given that ``kept`` does and ``kept + rest`` does not (binary search:
    adding deletions only shrinks the flux space). ``rest[k]`` is the first blocker."""
    low, high = 0, len(rest)
    while high - low > 1:
        mid = (low + high) // 2
        if _route_open(checker, target, kept + rest[:mid], growth_lb, production_lb):
            low = mid
        else:
            high = mid
    return low


def _growing(checker, genes: list[str], growth_lb: float, clock) -> list[str]:
    """*genes* without the growth-essential ones (single deletion below *growth_lb*)."""
    growth = _single_growth(checker, genes, clock)
    return [g for g in genes if growth.get(g, math.inf) + _EPS >= growth_lb]


def _gene_pool(checker, probabilities: pd.Series, keep) -> list[str]:
    """Genes that can matter (in some rule, not protected), highest score first."""
    in_rules = {g for g, rxns in checker.rules.gene_reactions.items() if rxns}
    return sorted((g for g in probabilities.index if g in in_rules and g not in keep),
                  key=lambda g: (-probabilities[g], g))


def _restore_until_open(checker, target: str, deleted: list[str], growth_lb: float,
                        production_lb: float) -> list[str]:
    """Restore the fewest lowest-scored genes of *deleted* (sorted by score, descending)
    so that growth and a production route are possible, then delete again (up to
    ``REDELETE_MAX``, highest score first) restored genes that keep them possible.
    The wild type always has a route (checked before), so a list is always returned."""
    if _route_open(checker, target, deleted, growth_lb, production_lb):
        return deleted
    low = _open_prefix(checker, target, [], deleted, growth_lb, production_lb)
    kept = deleted[:low]
    # The prefix search restored every gene scored below the critical one; add back
    # those that keep growth and the production route possible (highest score first).
    critical = deleted[low]
    for gene in deleted[low + 1:][:REDELETE_MAX]:
        kept_set = set(kept)
        if not _newly_disabled(checker.rules, kept_set, checker.rules.disabled(kept_set),
                               gene) or _route_open(checker, target, kept + [gene],
                                                    growth_lb, production_lb):
            kept = kept + [gene]
    logger.debug("restore: kept %d of %d deletions (critical gene %s)", len(kept),
                 len(deleted), critical)
    return kept


def _drop_blockers(checker, target: str, deleted: list[str], growth_lb: float,
                   production_lb: float, clock, max_drops: int = 25) -> list[str]:
    """Drop from *deleted* (highest score first) only the genes that close growth or
    the production route given the higher-scored genes kept before them.

    Each blocker is found by a binary search on the prefix that still leaves a route
    (adding deletions only shrinks the flux space), so only the genes that really
    conflict are restored, not every gene scored below the first conflict. After
    *max_drops* blockers or when *clock* runs out, the genes not yet examined are
    left out too. The result always leaves a route (the empty list does).
    """
    kept: list[str] = []
    rest = list(deleted)
    for _ in range(max_drops):
        if _route_open(checker, target, kept + rest, growth_lb, production_lb):
            return kept + rest
        if clock.expired():
            break
        low = _open_prefix(checker, target, kept, rest, growth_lb, production_lb)
        kept += rest[:low]
        rest = rest[low + 1:]  # rest[low] is the blocker
    logger.debug("drop blockers %s: stopped with %d genes unexamined", target, len(rest))
    return kept


def _focused_milp(model, checker, name: str, pool: list[str], probabilities: pd.Series,
                  growth_lb: float, production_lb: float, clock, seconds: float | None,
                  protected, solver) -> DeletionDesign | None:
    """gDel_minRN on the uncertain genes only: genes scored ≥ ``FORCE_SCORE`` are
    deleted in every solution (minus the few that would close growth or the
    production route, see :func:`_drop_blockers`), genes scored ≤ ``KEEP_SCORE``
    are kept, and the MILP decides the rest (about a hundred genes from the
    frequency prior on iMM904 and iML1515, instead of about a thousand).

    Genes that a target's uncontrolled exit (:func:`cobra_gdel.search._uncontrolled_exit`)
    needs deleted are made candidates even when scored low. Returns None when the
    clock ran out before the MILP could start.
    """
    high = _growing(checker, [g for g in pool if probabilities[g] >= FORCE_SCORE], growth_lb,
                    clock)
    forced = _drop_blockers(checker, name, high, growth_lb, production_lb, clock)
    candidates = {g for g in pool if probabilities[g] > KEEP_SCORE} | set(forced)
    in_pool = set(pool)
    # Low-scored genes next to the target stay free: a design often has to close the
    # target's own transporters or converters (iML1515 csn_c needs b0337 deleted; its
    # share over the other targets' strategies is 0.005).
    candidates |= _neighbour_genes(model, name) & in_pool
    for _ in range(3):  # low-scored genes that an exit route needs deleted
        route = _uncontrolled_exit(model, checker, name, frozenset(checker.genes - candidates))
        extra = {g for r in route for term in checker.rules.rules.get(r, ()) for g in term}
        extra = (extra & in_pool) - candidates
        if not extra:
            break
        candidates |= extra
    if clock.expired():
        return None
    logger.debug("focused MILP %s: %d forced, %d free genes", name, len(forced),
                 len(candidates) - len(forced))
    return _milp_stage(model, name, candidates, forced, growth_lb, production_lb, seconds,
                       protected, solver)


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


def _milp_stage(model, name: str, candidates, forced, growth_lb: float,
                production_lb: float, seconds: float | None, protected,
                solver) -> DeletionDesign | None:
    """gDel_minRN over *candidates* with *forced* deleted: LP checks on *solver* (the
    model's by default), the MILP on HiGHS when available (:func:`_milp_solver`).
    None when no production route is left with these genes."""
    try:
        return _search(model, name, growth_lb=growth_lb, production_lb=production_lb,
                       max_iterations=10, time_limit=seconds, minimize=False,
                       candidates=candidates, protected=protected, forced=forced,
                       solver=solver, milp_solver=solver or _milp_solver(model))
    except NoProductionRouteError:
        return None


def _milp_solver(model) -> str | None:
    """HiGHS ("hybrid") for the MILP stage when the model uses GLPK and HiGHS is there.

    GLPK solves the LPs well but rarely finds a gDel_minRN incumbent in seconds;
    HiGHS (open source, the ``highs`` extra) does. Any other solver the user chose
    (CPLEX, Gurobi, HiGHS) is kept.
    """
    from ._lp import available_solvers

    if "glpk" in model.solver.interface.__name__ and "hybrid" in available_solvers():
        return "hybrid"
    return None


def _prune(checker, deletions: Iterable[str], order: list[str]) -> frozenset[str]:
    """Drop deletions that switch off nothing the others do not (coupling unchanged)."""
    current = set(deletions)
    disabled = checker.rules.disabled(current)
    for gene in order:  # lowest score first
        if gene in current and not _reenabled(checker.rules, current, disabled, gene):
            current.discard(gene)
    return frozenset(current)


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
        Seconds for the whole repair (None: no limit, each stage runs to its end).
    protected : iterable of str or cobra.Gene
        Genes never deleted, beside the spontaneous pseudo-genes.
    minimize : bool
        Trim a coupled result to a minimal design.
    solver : str, optional
        optlang solver name; default: the model's.

    Returns
    -------
    DeletionDesign
        ``"coupled"`` (method ``"repair:threshold"``, ``"repair:restore"``,
        ``"repair:margin"``, ``"repair:focused"`` or ``"repair:milp"``, with
        ``"+trim"`` when trimmed), or
        ``"not_coupled"`` with the best attempt and the reason. ``probabilities``
        are the scores; timings ``"repair"``, ``"verify"`` (and ``"milp"``,
        ``"trim"``).

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
    clock = _Clock(time_limit)
    growth_lb = _check_lb("growth_lb", growth_lb)
    production_lb = _check_lb("production_lb", production_lb)
    name = resolve_target(model, target).id
    checker = get_checker(model, solver=solver)
    probabilities = _validate_scores(checker, scores)
    keep = protected_genes(model, protected)
    start = time.perf_counter()
    verify = 0.0
    checker.require_production_route(name, growth_lb, production_lb)
    route = _uncontrolled_exit(model, checker, name, keep)
    if route:
        report = checker.check(name, (), growth_lb, production_lb)
        return DeletionDesign.from_report(
            report, "repair:threshold", model=model, probabilities=probabilities,
            timings={"repair": time.perf_counter() - start, "verify": 0.0},
            reason=_exit_reason(name, route, keep))

    pool = _gene_pool(checker, probabilities, keep)
    best: CouplingReport | None = None
    best_method = "repair:threshold"
    reasons: list[str] = []
    seen: set[frozenset] = set()

    def finish(report: CouplingReport, method: str, extra: dict | None = None,
               reason: str | None = None) -> DeletionDesign:
        nonlocal verify
        deletions = _prune(checker, report.deletions, pool[::-1])
        t0 = time.perf_counter()
        final = checker.check(name, deletions, growth_lb, production_lb)
        verify += time.perf_counter() - t0
        timings = {"repair": time.perf_counter() - start - verify, "verify": verify}
        timings.update(extra or {})
        design = DeletionDesign.from_report(final, method, model=model,
                                            probabilities=probabilities, timings=timings,
                                            reason=None if final.coupled else reason)
        if minimize and design.coupled:
            left = clock.left()
            trimmed = trim(model, name, design.deletions, growth_lb=growth_lb,
                           production_lb=production_lb,
                           time_limit=None if math.isinf(left) else max(left, 0.1),
                           solver=solver)
            timings["trim"] = trimmed.timings["trim"]
            design = DeletionDesign.from_report(
                checker.check(name, trimmed.deletions, growth_lb, production_lb),
                f"{method}+trim", model=model, probabilities=probabilities, timings=timings)
        return design

    def consider(found: DeletionDesign, method: str, seconds: float,
                 stage: str) -> DeletionDesign | None:
        """Re-check a MILP stage's design: the finished design when coupled, else None
        (the best attempt and the reason are kept)."""
        nonlocal best, best_method
        report = checker.check(name, found.deletions, growth_lb, production_lb)
        if _better(best, report):
            best, best_method = report, method
        if report.coupled:
            return finish(report, method, {"milp": seconds})
        reasons.append(f"{stage}: {found.reason}")
        return None

    lowest = 1.0
    for theta in THRESHOLDS:
        if clock.expired():
            reasons.append("time limit reached during the threshold sweep")
            break
        lowest = min(lowest, theta)
        candidates = _growing(checker, [g for g in pool if probabilities[g] >= theta],
                              growth_lb, clock)
        method = "repair:threshold"
        restored = _restore_until_open(checker, name, candidates, growth_lb, production_lb)
        if len(restored) < len(candidates):
            method = "repair:restore"
        key = frozenset(restored)
        if key in seen:
            continue
        seen.add(key)
        t0 = time.perf_counter()
        report = checker.check(name, restored, growth_lb, production_lb)
        verify += time.perf_counter() - t0
        logger.debug("repair %s θ=%.2f: %d deletions, %s", name, theta, len(restored),
                     "coupled" if report.coupled else report.reason)
        if not report.coupled and report.growth_rate + _EPS >= growth_lb:
            found = _margin_search(checker, name, restored, pool, growth_lb, production_lb,
                                   clock)
            if found is not None:
                report, method = found, "repair:margin"
        if _better(best, report):
            best, best_method = report, method
        if report.coupled:
            return finish(report, method)
        if theta == THRESHOLDS[0]:
            # The uncertain genes decided by the MILP, before the other thresholds.
            left = clock.left()
            t0 = time.perf_counter()
            found = _focused_milp(
                model, checker, name, pool, probabilities, growth_lb, production_lb,
                clock, None if math.isinf(left) else FOCUSED_SHARE * left, protected,
                solver)
            if found is not None:
                design = consider(found, "repair:focused", time.perf_counter() - t0,
                                  "focused MILP")
                if design is not None:
                    return design
    if best is not None and best.reason:
        reasons.append(f"threshold sweep: {best.reason}")

    # MILP restricted to the candidates of the lowest threshold (not growth-essential).
    milp_seconds = 0.0
    if clock.left() >= MILP_MIN_SECONDS:
        candidates = _growing(checker, [g for g in pool if probabilities[g] >= lowest],
                              growth_lb, clock)
        t0 = time.perf_counter()
        left = clock.left()
        found = _milp_stage(model, name, candidates, (), growth_lb, production_lb,
                            None if math.isinf(left) else max(left, 0.1), protected, solver)
        milp_seconds = time.perf_counter() - t0
        if found is not None:
            design = consider(found, "repair:milp", milp_seconds, "restricted MILP")
            if design is not None:
                return design
    else:
        reasons.append(f"less than {MILP_MIN_SECONDS:g} s left for the MILP")
    if best is None:
        best = checker.check(name, (), growth_lb, production_lb)
    return finish(best, best_method, {"milp": milp_seconds} if milp_seconds else None,
                  reason="; ".join(reasons) or best.reason)
