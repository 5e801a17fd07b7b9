"""LP-guided moves that turn a near-miss into a coupled design.

- :func:`margin_search`: compare μP (maximal growth with production ≥ ``production_lb``)
  with μ0 (maximal growth with production ≤ it). A design is coupled exactly when
  μ0 < μP, so μ0/μP is a continuous measure of how far a design is from coupling
  (the minimal production at maximal growth is 0 for every uncoupled design). Genes
  that switch off a reaction carrying flux in the μ0 solution are scored by μ0/μP
  and the best is deleted, until coupled or stuck.
- :func:`close_routes`: greedily delete genes that switch off routes bypassing
  production in a minimal-production flux distribution at maximal growth (used on
  MILP solutions by :mod:`cobra_gdel.search`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .analysis import route_open
from .exceptions import SolverError
from .coupling import EPS, GROWTH_TOLERANCE
from .report import CouplingReport
from .problem import Clock, DesignTask

logger = logging.getLogger(__name__)

__all__ = ["active_reactions", "close_routes", "growth_pair", "margin_pool", "margin_search"]

#: Most single-gene LPs the margin search evaluates per step, of each kind (options that
#: leave the μP solution intact, and the others).
MARGIN_OPTIONS = 24
#: Most steps the margin search takes without lowering μ0.
MARGIN_PLATEAU = 5
#: Up to this many options the greedy route closing takes the best one, beyond it the first.
BEST_IMPROVEMENT_OPTIONS = 12


def active_reactions(flux: dict | None) -> set[str]:
    """Reactions of *flux* that carry flux (absolute value above 1e-7; none when *flux*
    is None)."""
    return set() if flux is None else {r for r, v in flux.items() if abs(v) > 1e-7}


def _ratio(mu_p: float, mu_0: float | None) -> float:
    """μ0 / μP: below 1 when every growth-maximal solution produces the target."""
    return 0.0 if mu_0 is None else mu_0 / max(mu_p, EPS)


def margin_pool(task: DesignTask, first: frozenset[str] = frozenset()) -> list[str]:
    """The genes a margin search may delete: in a rule, not protected; the genes of
    *first* before the others, then fewest disabled reactions first, ties by gene id."""
    rules = task.checker.rules
    pool = [g for g in rules.in_rules() if g not in task.protected]
    return sorted(pool, key=lambda g: (g not in first, len(rules.disabled((g,))), g))


def min_production_flux(task: DesignTask, report: CouplingReport) -> dict[str, float]:
    """Fluxes of a minimal-production solution at the report's maximal growth (empty
    when infeasible). Uses the checker's LP with the report's deletions applied; the
    growth bound is reset afterwards."""
    checker = task.checker
    terms = checker.production_terms(task.target)
    checker.apply(report.disabled_reactions)
    growth = report.growth_rate
    lp = checker.lp
    lp.set_constraint_bounds("growth_fix", growth - max(EPS, GROWTH_TOLERANCE * growth), None)
    try:
        value = lp.solve(terms, "min")
        return {} if value is None else lp.fluxes()
    finally:
        lp.set_constraint_bounds("growth_fix", None, None)


def growth_pair(task: DesignTask, deleted, sides: tuple[bool, bool] = (True, True)):
    """[(μP, flux), (μ0, flux)]: maximal growth with production ≥ ``production_lb`` and
    with production ≤ it, each with its flux distribution ((None, None) where
    infeasible or where *sides* leaves it out)."""
    checker = task.checker
    rid, scale = checker.production(task.target)
    checker.apply(checker.rules.disabled(deleted))
    lp = checker.lp
    lb, ub = lp.current[rid]
    bound = task.production_lb / scale
    result = []
    try:
        for wanted, (low, high) in zip(sides, ((max(lb, bound), ub), (lb, min(ub, bound)))):
            if not wanted or low > high:
                result.append((None, None))
                continue
            lp.set_bounds(rid, low, high)
            value = lp.solve(checker.growth_coefs, "max", confirm=False)
            result.append((None, None) if value is None else (max(0.0, value), lp.fluxes()))
    finally:
        lp.set_bounds(rid, lb, ub)
    return result


def _margin_options(task: DesignTask, current: set, pool: list[str], flux_p, flux_0,
                    admissible: Callable[[str], bool] | None = None) -> tuple[list[str], int]:
    """Genes of *pool* whose deletion switches off a reaction used by the μ0 solution:
    those that leave the μP solution intact first. Returns (genes, how many are safe).
    *admissible* (if given) is asked only about genes that would take a place in either
    list, in pool order, so an expensive test runs on a few genes per step."""
    rules = task.checker.rules
    disabled = rules.disabled(current)
    used_0, used_p = active_reactions(flux_0), active_reactions(flux_p)
    safe, risky = [], []
    for gene in pool:
        if len(safe) >= MARGIN_OPTIONS and len(risky) >= MARGIN_OPTIONS:
            break
        if gene in current:
            continue
        hits = rules.newly_disabled(current, disabled, gene)
        if not hits & used_0:
            continue
        kind = risky if hits & used_p else safe
        if len(kind) < MARGIN_OPTIONS and (admissible is None or admissible(gene)):
            kind.append(gene)
    return safe + risky, len(safe)


def _best_margin_step(task: DesignTask, current: set, options: list[str], n_safe: int,
                      mu_p: float, flux_p, clock: Clock):
    """The option with the smallest μ0/μP: (ratio, gene, μP, fluxP, μ0, flux0) or None."""
    best = None
    for i, gene in enumerate(options):
        if clock.expired():
            break
        trial = current | {gene}
        if i < n_safe:  # the μP solution survives this deletion: μP is unchanged
            _skip, (t0, f0) = growth_pair(task, trial, (False, True))
            tp, fp = mu_p, flux_p
        else:
            (tp, fp), (t0, f0) = growth_pair(task, trial)
        if tp is None or tp + EPS < task.growth_lb:
            continue
        gap = _ratio(tp, t0)
        if best is None or gap < best[0] - 1e-9:
            best = (gap, gene, tp, fp, t0, f0)
        if t0 is None or t0 < tp * (1 - 1e-6) - EPS:
            break  # coupled by this measure: verify it at once
    return best


def margin_search(task: DesignTask, deleted: list[str], pool: list[str],
                  clock: Clock, max_plateau: int = MARGIN_PLATEAU,
                  admissible: Callable[[str], bool] | None = None) -> CouplingReport | None:
    """Delete genes (best first) that lower μ0, the growth possible without production,
    while μP, the growth with production, stays ≥ ``growth_lb``; until μ0 < μP.

    Each step scores at most ``MARGIN_OPTIONS`` genes of *pool* (in its order) whose
    deletion switches off a reaction that carries flux in the μ0 solution: those
    that leave the μP solution intact first (μP then stays), the others after them.
    The gene with the smallest μ0/μP is taken; the search gives up after more than
    *max_plateau* steps that leave μ0/μP where it was. *admissible* filters *pool*
    lazily: a gene is asked about only when it would be scored, with the same options
    as filtering the whole pool first. Its LPs stop at *clock* (:func:`_bounded`).
    Returns the coupled report, or None.
    """
    return _bounded(task, clock, "margin", _margin_steps, task, deleted, pool, clock,
                    max_plateau, admissible)


def _margin_steps(task: DesignTask, deleted: list[str], pool: list[str], clock: Clock,
                  max_plateau: int, admissible: Callable[[str], bool] | None
                  ) -> CouplingReport | None:
    current = set(deleted)
    plateau = 0
    (mu_p, flux_p), (mu_0, flux_0) = growth_pair(task, current)
    if mu_p is None or mu_p + EPS < task.growth_lb:
        return None
    while not clock.expired():
        if mu_0 is None or mu_0 < mu_p * (1 - 1e-6) - EPS:
            report = task.check(current)
            if report.coupled:
                return report
        options, n_safe = _margin_options(task, current, pool, flux_p, flux_0, admissible)
        best = _best_margin_step(task, current, options, n_safe, mu_p, flux_p, clock)
        gap = _ratio(mu_p, mu_0)
        if best is None or best[0] > gap + 1e-9:
            logger.debug("margin search %s: stuck at μ0/μP = %.4g after %d deletions "
                         "(%d options)", task.target, gap, len(current), len(options))
            return None
        if best[0] >= gap - 1e-9:  # a plateau move: μ0/μP unchanged, its flux rerouted
            plateau += 1
            if plateau > max_plateau:
                logger.debug("margin search %s: plateau at μ0/μP = %.4g", task.target, gap)
                return None
        _gap, gene, mu_p, flux_p, mu_0, flux_0 = best
        current.add(gene)
        logger.debug("margin search %s: +%s, μP %.4g, μ0 %s", task.target, gene, mu_p, mu_0)
    return None


def close_routes(task: DesignTask, report: CouplingReport, pool: list[str], clock: Clock,
                 max_checks: int | None = None) -> CouplingReport:
    """Greedily delete genes that switch off routes bypassing production.

    Starting from a design that grows (GR ≥ growth_lb) but lets production drop to
    zero at maximal growth, take a minimal-production flux distribution at maximal
    growth and try the genes of *pool* (in its order) whose deletion disables a
    reaction that carries flux in it. A deletion is kept when the design is coupled
    (returned at once) or still grows with a production route open; then the flux
    distribution is recomputed. Stops when no gene helps, after *max_checks* checks,
    or when *clock* runs out. Returns the last accepted report (coupled or not); *report*
    itself when one of its LPs fails or would run past *clock* (:func:`_bounded`).
    """
    if report.coupled or report.growth_rate + EPS < task.growth_lb:
        return report
    closed = _bounded(task, clock, "greedy", _close_steps, task, report, pool, clock,
                      max_checks)
    return report if closed is None else closed


def _close_steps(task: DesignTask, report: CouplingReport, pool: list[str], clock: Clock,
                 max_checks: int | None) -> CouplingReport:
    current = set(report.deletions)
    rules = task.checker.rules
    rejected: set[str] = set()
    checks = 0
    while not clock.expired():
        active = active_reactions(min_production_flux(task, report))
        disabled = rules.disabled(current)
        options = [g for g in pool if g not in current and g not in rejected
                   and rules.newly_disabled(current, disabled, g) & active]
        # Few options: best improvement (highest PRmin, then lowest growth); many:
        # first improvement in pool order.
        best_trial, best_gene = None, None
        for gene in options:
            if clock.expired() or (max_checks is not None and checks >= max_checks):
                break
            checks += 1
            trial = task.check(current | {gene})
            if trial.coupled:
                return trial
            if (trial.growth_rate + EPS >= task.growth_lb
                    and (trial.max_production + EPS >= task.production_lb
                         or route_open(task, trial.deletions))):
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


def _bounded(task: DesignTask, clock: Clock, name: str, function: Callable, *args):
    """``function(*args)`` with every LP bounded by *clock* (:meth:`DesignTask.bounded`).
    None when one of its solves fails or would run past that clock (logged, and recorded
    on the clock as a cut of *name* when it ran out): the heuristic ends there and its
    caller goes on with the design it had."""
    try:
        with task.bounded(clock):
            return function(*args)
    except SolverError as exc:
        if clock.expired(name):  # recorded: the design says the limit cut it short
            logger.info("%s: %s stopped at the time limit (%s)", task.target, name, exc)
        else:
            logger.warning("%s: %s stopped by a solver failure: %s", task.target, name, exc)
        return None
