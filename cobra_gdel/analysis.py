"""What the model allows before any design is chosen.

- :func:`single_growth` / :func:`growing`: maximal growth of each single-gene deletion
  (growth-essential genes are never deleted);
- :func:`route_open`: whether growth and a production route are still possible;
- :func:`flux_ranges`: flux variability (the MILP's big-M constants);
- :func:`uncontrolled_exit`: a route by which the target leaves the network whatever
  is deleted — then no deletion design can couple it.

Results are cached on the checker (``checker.cache``), so they live as long as the
checker of the model does and are rebuilt with it when the model changes.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping

from .coupling import EPS
from .exceptions import InfeasibleModelError
from .lp import FluxProblem
from .problem import Clock, DesignTask

logger = logging.getLogger(__name__)

__all__ = ["NO_DESIGN_REASON", "exit_reason", "flux_ranges", "growing", "grows_without",
           "route_open", "single_growth", "uncontrolled_exit"]

#: A flux above this counts as used in the wild type's growth-maximal distribution.
SUPPORT_FLUX = 1e-9
#: How the reason of a design starts when no deletion design can exist (an uncontrolled exit).
NO_DESIGN_REASON = "no deletion design can couple"


def single_growth(checker, genes: Iterable[str], clock: Clock | None = None
                  ) -> dict[str, float]:
    """Maximal growth of each single-gene deletion (cached on the checker, computed
    lazily on an LP of its own, so that the checker's LP solves the same sequence
    whether or not these values were cached before). Returns the whole cache; genes
    left uncomputed when *clock* runs out (recorded on it) are missing from it, and
    callers treat them as not essential, which is always safe. Only genes that switch
    off a reaction used by one growth-maximal flux distribution of the wild type get an
    LP; the others keep the wild type's growth. Genes that switch off the same reactions
    share one LP."""
    cache = checker.cache.setdefault("single_growth", {})
    todo = [g for g in genes if g not in cache]
    if not todo:
        return cache
    lp = checker.cache.get("growth_lp")
    if lp is None:
        lp = checker.cache["growth_lp"] = FluxProblem(checker.data, checker.interface,
                                                      time_limit=checker.lp.time_limit)
    used = _wild_type_support(checker, lp)
    # Subunits of one complex switch off the same reactions: one LP for all of them
    # (261 genes need an LP on Salmonella iYS1720, 221 distinct reaction sets).
    by_disabled: dict[frozenset[str], float] = checker.cache.setdefault("growth_by_disabled", {})
    for gene in todo:
        if clock is not None and clock.expired("growth of single deletions"):
            break
        disabled = frozenset(checker.rules.disabled((gene,)))
        if not disabled & used:
            # The deletion leaves one growth-maximal flux distribution intact: the
            # wild type's growth, no LP needed (most genes of a genome-scale model).
            cache[gene] = checker.wild_type_growth
            continue
        if disabled not in by_disabled:
            for rid in disabled:
                lp.set_bounds(rid, 0.0, 0.0)
            try:
                # GLPK's primal simplex from the last basis: 2.2-5.8x faster than the
                # dual simplex here (which takes many pivots to bring growth down to 0
                # for an essential gene), the same optima to 1.3e-6 on every distinct
                # single deletion of the five models of benchmarks/milp_build.py.
                value = lp.solve(checker.growth_coefs, "max", primal=True)
            finally:
                for rid in disabled:
                    lp.restore(rid)
            by_disabled[disabled] = 0.0 if value is None else max(0.0, value)
        cache[gene] = by_disabled[disabled]
    return cache


def _wild_type_support(checker, lp: FluxProblem) -> frozenset[str]:
    """Reactions carrying flux in one growth-maximal flux distribution of the wild type
    (cached with the single-deletion growth; empty when the wild type cannot grow, and
    then no deletion can either)."""
    used = checker.cache.get("growth_support")
    if used is None:
        value = lp.solve(checker.growth_coefs, "max")
        used = frozenset() if value is None else frozenset(
            rid for rid, flux in lp.fluxes().items() if abs(flux) > SUPPORT_FLUX)
        checker.cache["growth_support"] = used
    return used


def growing(task: DesignTask, genes: list[str]) -> list[str]:
    """*genes* without the growth-essential ones (single deletion below ``growth_lb``)."""
    growth = single_growth(task.checker, genes, task.clock)
    return [g for g in genes if growth.get(g, math.inf) + EPS >= task.growth_lb]


def grows_without(task: DesignTask, gene: str) -> bool:
    """Whether *gene* is not growth-essential: :func:`growing` for one gene, its growth
    computed (and cached) only now, for filters that ask about few genes of a long list."""
    return bool(growing(task, [gene]))


def route_open(task: DesignTask, deletions) -> bool:
    """The check's maximal growth ≥ ``growth_lb`` and production ≥ ``production_lb``
    possible at that bound (:meth:`cobra_gdel.coupling.CouplingChecker.route_open`;
    monotone: more deletions only shrink the flux space)."""
    return task.checker.route_open(task.target, deletions, task.growth_lb, task.production_lb)


#: Flux-range sweeps cut short by a clock that keep their LP to be resumed (per checker;
#: the oldest is dropped beyond this, and starts again from its first reaction).
SUSPENDED_SWEEPS = 2


def flux_ranges(checker, growth_lb: float, clock: Clock | None = None,
                production: tuple[str, Mapping[str, float]] | None = None,
                off: frozenset[str] = frozenset(),
                only: frozenset[str] | None = None) -> dict[str, tuple[float, float]]:
    """Reaction id → (min, max) net flux with growth ≥ *growth_lb*.

    Flux variability on a copy of the model's problem (extra constraints included)
    with bounds capped at ±1000 (these ranges are big-M constants of the MILP, never
    part of a verdict), rounded outwards by 1e-6 (relative) against solver tolerance.
    *production* (id, stoichiometry) is an auxiliary sink that is not in the model: it
    is added open, because opening it can widen the ranges of other reactions (a
    dead-end pathway of the wild type carries flux once its product can leave), so
    ranges of the wild type alone would cut off feasible designs. Reactions in *off*
    are closed (forced deletions), which only narrows the ranges of every solution
    that has them closed. With *only*, just those reactions get ranges (the MILP's
    switched reactions, the only ones with big-M constants); the rest keep their
    capped bounds. When *clock* runs out, the remaining reactions keep their capped
    bounds (valid, only looser) and the clock records it.

    The ranges of all reactions (no *off*, no *only*) are cached on the checker per
    growth bound and auxiliary production reaction, and a sweep that its clock cut
    short is resumed by the next call where it stopped, on the same LP, so that every
    range comes out exactly as from one uninterrupted sweep (an optimum solved from
    another warm start can differ in its last digits, and the MILP's incumbents with
    it). Before, the next call solved them all again: Salmonella pe180_c spent 8.2 s
    of a 29 s repair attempt on ranges an earlier attempt had mostly solved. Other
    calls are one-off: cached when complete, never with closed reactions.
    """
    per_checker = checker.cache.setdefault("flux_ranges", {})
    name = None if production is None else production[0]
    if off or only is not None:
        key = (growth_lb, name, only)  # with closed reactions: never cached
        ranges = None if off else per_checker.get(key)
        if ranges is None:
            sweep = _Sweep(checker, growth_lb, production, off)
            complete = sweep.run(clock, only)
            ranges = sweep.ranges()
            if complete and not off:
                per_checker[key] = ranges
        return ranges
    key = (growth_lb, name)
    sweep = per_checker.pop(key, None) or _Sweep(checker, growth_lb, production)
    per_checker[key] = sweep  # the most recently used last
    if not sweep.run(clock):
        suspended = [k for k, v in list(per_checker.items())
                     if isinstance(v, _Sweep) and v.lp is not None]
        for old in suspended[:-SUSPENDED_SWEEPS]:
            per_checker.pop(old, None)
    return sweep.ranges()


class _Sweep:
    """Flux variability in the canonical reaction order, resumable: each range is
    solved from the previous one's optimum (only the objective changes, so the basis
    stays primal feasible and the primal simplex warm-starts from it: 4.9-10.7x faster
    than the dual simplex on the genome-scale models, benchmarks/milp_build.py)."""

    def __init__(self, checker, growth_lb: float,
                 production: tuple[str, Mapping[str, float]] | None,
                 off: frozenset[str] = frozenset()) -> None:
        self.model_id, self.growth_lb, self.off = checker.model_id, growth_lb, off
        lp = FluxProblem(checker.data, checker.interface, time_limit=checker.lp.time_limit,
                         cap=True)
        if production is not None:
            lp.add_reaction(production[0], production[1], 0.0, 1000.0)
        for rid in off:
            lp.set_bounds(rid, 0.0, 0.0)
        lp.add_constraint("growth", lp.objective_terms, lb=growth_lb, ub=None)
        self.lp: FluxProblem | None = lp
        self.bounds = dict(lp.current)
        self.order = list(self.bounds)
        self.next, self.warm = 0, False
        self.solved: dict[str, tuple[float, float]] = {}

    def run(self, clock: Clock | None, only: frozenset[str] | None = None) -> bool:
        """Solve on from where the last call stopped; True when every range is solved
        (the LP is then released)."""
        if self.lp is None:
            return True
        start, before = time.perf_counter(), len(self.solved)
        lp = self.lp
        while self.next < len(self.order):
            rid = self.order[self.next]
            if only is not None and rid not in only:
                self.next += 1
                continue
            if clock is not None and clock.expired("flux ranges"):
                break
            lb, ub = self.bounds[rid]
            terms = lp.terms({rid: 1.0})
            low = lp.solve(terms, "min", primal=self.warm) if lb < 0 else lb
            self.warm = self.warm or lb < 0
            high = lp.solve(terms, "max", primal=self.warm) if ub > 0 else ub
            self.warm = self.warm or ub > 0
            if low is None or high is None:
                raise InfeasibleModelError(
                    f"model {self.model_id!r} cannot grow at >= {self.growth_lb:g}"
                    + (" with the forced deletions" if self.off else ""))
            self.solved[rid] = (max(lb, _outward(low, -1.0)), min(ub, _outward(high, 1.0)))
            self.next += 1
        done = self.next == len(self.order)
        if done:
            self.lp = None
        logger.info("flux ranges of %s (%d reactions solved now, %d in all, %d closed%s) "
                    "in %.2f s", self.model_id, len(self.solved) - before, len(self.solved),
                    len(self.off), "" if done else ", to be resumed",
                    time.perf_counter() - start)
        return done

    def ranges(self) -> dict[str, tuple[float, float]]:
        """The solved ranges; the other reactions keep their capped bounds."""
        return {rid: self.solved.get(rid, bounds) for rid, bounds in self.bounds.items()}


def _outward(value: float, direction: float) -> float:
    """*value* moved away from zero-tolerance noise: 0 if tiny, else widened by 1e-6."""
    if abs(value) <= 1e-9:
        return 0.0
    return value + direction * 1e-6 * max(1.0, abs(value))


def _exit_lp(checker) -> FluxProblem:
    """The detour LP of :func:`uncontrolled_exit` (built once per checker).

    The detour is a direction added to a feasible flux: each reaction may move the
    ways its bounds allow (a positive lower bound, such as ATP maintenance, does not
    force flux), exchanges only towards export (no extra uptake).
    """
    lp = checker.cache.get("exit_lp")
    if lp is None:
        lp = FluxProblem(checker.data, checker.interface, time_limit=checker.lp.time_limit,
                         structural=True)
        boundary = _boundary(checker.data)
        for r, (lb, ub) in list(lp.bounds.items()):
            lp.bounds[r] = (0.0 if r in boundary else min(lb, 0.0), max(ub, 0.0))
            lp.restore(r)
        checker.cache["exit_lp"] = lp
    return lp


def _boundary(data) -> set[str]:
    """Reactions with a single metabolite (exchange, demand, sink): cobra's boundary."""
    return {rid for rid, stoich in data.stoich.items() if len(stoich) == 1}


def uncontrolled_exit(task: DesignTask, keep: frozenset[str]) -> list[str]:
    """Reactions through which the target can leave the network whatever is deleted.

    Only reactions that stay active when every gene outside *keep* is deleted
    (no rule, or a rule that the genes in *keep* alone satisfy) are open; growth
    reactions and the target's own production reaction are closed, and exchange,
    demand and sink reactions may only export. If one unit of the target can then
    be consumed, every flux distribution can send its production of the target
    this way instead, at the same growth, so the minimal production at maximal
    growth is 0 for every design (while flux bounds leave room for the detour).
    Returns the reactions of such an exit (empty: none). The proof needs a model of
    stoichiometry and bounds alone: with extra constraints (an enzyme pool, say) the
    detour may not be feasible, so none is claimed. Each solve starts from the
    standard basis (the route is the same whatever was solved before); results are
    cached on the checker per target and kept set.
    """
    checker, target = task.checker, task.target
    if not checker.data.plain:
        return []
    key = (target, keep)
    memo = checker.cache.setdefault("exits", {})
    if key in memo:
        return memo[key]
    rid, _scale = checker.production(target)
    lp = _exit_lp(checker)
    closed = set(checker.rules.disabled(checker.genes - keep)) | set(checker.growth_coefs)
    closed.add(rid)
    # The source column lives only for this solve: the LP has the same columns
    # whatever targets were asked about before.
    source = f"_cobra_gdel_source_{target}"
    lp.add_reaction(source, {target: 1.0}, 0.0, 1.0)
    changed = {r: (0.0, 0.0) for r in sorted(closed) if r in lp.current}
    try:
        for r, (lb, ub) in changed.items():
            lp.set_bounds(r, lb, ub)
        lp.reset_basis()
        value = lp.solve({source: 1.0}, "max")
        route = [] if value is None or value < 1e-6 else sorted(
            r for r, v in lp.fluxes().items() if abs(v) > 1e-9 and r != source)
    finally:
        for r in changed:
            lp.restore(r)
        lp.remove_reaction(source)
    memo[key] = route
    if route:
        logger.info("%s can leave through reactions no deletable gene controls: %s", target,
                    route)
    return route


def exit_reason(target: str, route: list[str], keep: frozenset[str]) -> str:
    """The reason of a design whose target has an uncontrolled exit *route*."""
    shown = ", ".join(route[:6]) + (", ..." if len(route) > 6 else "")
    return (f"{NO_DESIGN_REASON} {target}: it can also leave through reactions "
            f"that no deletable gene controls ({shown}), so every design has minimal "
            "production 0 at maximal growth"
            + (f" (protected genes: {', '.join(sorted(keep)[:5])})" if keep else ""))
