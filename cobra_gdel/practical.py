"""Designs a metabolic engineer would build: few knock-outs, strong coupling.

A verified *maximal* design (gDel_minRN-style: hundreds of deletions on a genome-scale
model) is the start. :func:`minimal_candidates` finds several *minimal* designs
(restoring any one gene breaks coupling) by different routes, each cheap:

1. ``trim`` — :func:`~cobra_gdel.trim.shrink` (block restores, in
   :func:`~cobra_gdel.trim.restore_order`: genes of reactions that take several
   deletions to switch off first) then the greedy pass: few knock-outs, fast on
   hundreds of deletions;
2. ``strong`` — :func:`~cobra_gdel.trim.best_first` (restore whichever gene keeps the
   minimal production highest) from the maximal design, or, for a large one on a
   small model, after block restores that keep at least half of its minimal
   production: strong coupling. It runs for alternatives (``n_designs`` > 1), and for
   the one design only on small models where the cut sets below can not run (extra
   constraints). Where they run, on the 52 producible e_coli_core targets its design
   was never the one chosen, and it cost about 0.27 s each (0.2 s from the ``milp``
   route's design). On iJO1366, from the reference designs, it was never chosen on 20
   targets and cost 3.4–4.5 s per call (docs/benchmarks.md); on genome-scale models
   it also needs a start of at most ``BEST_FIRST_MAX`` genes (its cost grows with the
   square);
3. ``margin`` — the μ0/μP margin search from the wild type (deleting, one at a time,
   the gene that brings coupling closest), then trimmed: often the smallest design,
   and one the maximal design need not contain (on a model of more than
   ``SMALL_MODEL_GENES`` genes it gives up at the first step that leaves μ0/μP where it
   was: there every step scores dozens of genome-scale LPs, on the 30 iML1515 targets
   of docs/benchmarks.md the route never found a design (μ0/μP stayed within 0.1 % of 1
   while it took 1.6–7 s per target), and where it did (iJO1366 oxam_c, iMM904 glyc_e)
   μ0/μP fell at every step);
4. ``milp`` — on models of at most ``SMALL_MODEL_GENES`` genes, a gDel_minRN design of
   its own (the MILP, limited by work), trimmed both ways: another maximal start. Like
   ``strong`` it runs for alternatives, and for the one design only where the cut sets
   below can not run: where they run, on 87 e_coli_core targets (35 renamed, 52 textbook
   at ``growth_lb=0.1``) it never changed the design returned and cost 0.09–0.14 s each
   (median);
5. ``cutset`` — on such models, the fewest-deletion designs that block every state
   growing without producing (:mod:`cobra_gdel.cutsets`): exact minimal cut sets, at
   ``GROWTH_SHARES`` of the wild type's growth, and at ``ALTERNATIVE_SHARES`` when
   alternatives are asked for;
6. ``alternative`` — more trimming orders, when several designs are asked for;
7. ``exchange`` — on models of at most ``SMALL_MODEL_GENES`` genes, the best candidate
   so far improved by exchange moves (:func:`~cobra_gdel.trim.exchange`: one gene in,
   as many out as coupling allows), which restore-only trimming can not make: on
   textbook at ``growth_lb=0.1`` the median call took 1.023× as long with it, and 6 of
   52 designs became smaller or stronger (docs/benchmarks.md). On genome-scale models a round
   scores about 300 genes with one check each (13–19 s on iML1515), so there it is
   left to :func:`cobra_gdel.improve`.

:func:`choose` picks the design to return: among the smallest candidates (at most
``SIZE_SLACK`` more knock-outs than the smallest one) the one with the highest
minimal production at maximal growth; ``max_deletions`` bounds the size (no larger
design is ever returned).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

import numpy as np

from .analysis import grows_without
from .cutsets import small_model, smallest_designs
from .heuristics import MARGIN_PLATEAU, margin_pool, margin_search
from .problem import DesignTask
from .report import CouplingReport
from .search import search
from .trim import best_first, exchange, restore_order, shrink, trim_deletions

logger = logging.getLogger(__name__)

__all__ = ["Candidate", "SIZE_SLACK", "choose", "minimal_candidates", "ranked"]

#: A design may have this many more knock-outs than the smallest candidate and still be
#: chosen for a higher minimal production.
SIZE_SLACK = 1
#: best_first runs on sets of at most this many genes (its cost grows with the square).
BEST_FIRST_MAX = 80
#: Share of the maximal design's minimal production the ``strong`` route keeps while it
#: restores blocks of genes.
STRONG_SHARE = 0.5
#: Steps without progress the ``margin`` route allows on a model of more than
#: ``SMALL_MODEL_GENES`` genes (``heuristics.MARGIN_PLATEAU`` on smaller ones).
LARGE_MODEL_PLATEAU = 0
#: Extra trimming orders tried per design asked for beyond the first.
ORDERS_PER_ALTERNATIVE = 2


@dataclass(frozen=True)
class Candidate:
    """A minimal coupled design and the route that found it."""

    report: CouplingReport
    route: str

    @property
    def size(self) -> int:
        """Number of deletions."""
        return len(self.report.deletions)


def _trimmed(task: DesignTask, deletions) -> CouplingReport:
    return trim_deletions(task, deletions).report


def _margin_route(task: DesignTask) -> CouplingReport | None:
    """The margin search from the wild type over every deletable gene, trimmed.
    Growth-essential genes are left out as the search reaches them
    (:func:`~cobra_gdel.analysis.grows_without`): it scores a few dozen genes per step,
    and the single-deletion growth of every gene of the pool cost about 14 s on
    iML1515's first call (docs/benchmarks.md, first calls)."""
    large = not small_model(task)
    found = margin_search(task, [], margin_pool(task), task.clock,
                          max_plateau=LARGE_MODEL_PLATEAU if large else MARGIN_PLATEAU,
                          admissible=partial(grows_without, task))
    return None if found is None else _trimmed(task, found.deletions)


def _strong(task: DesignTask, maximal: CouplingReport, order: list[str]) -> CouplingReport:
    """Best-first trimming of *maximal* (after production-keeping block restores when it
    has more than ``BEST_FIRST_MAX`` deletions)."""
    start = maximal.deletions
    if len(start) > BEST_FIRST_MAX:
        start = shrink(task, start, order, keep_production=STRONG_SHARE * maximal.min_production)
    if len(start) > BEST_FIRST_MAX:
        return _trimmed(task, start)
    return best_first(task, start)


def minimal_candidates(task: DesignTask, maximal: CouplingReport, n_designs: int = 1
                       ) -> list[Candidate]:
    """Distinct minimal designs reachable from the coupled *maximal* design (see the
    module docstring), in the order found. Every candidate is coupled."""
    if not maximal.coupled:
        raise ValueError("minimal designs are trimmed from a coupled design")
    rules = task.checker.rules
    found: dict[frozenset, Candidate] = {}

    def add(report: CouplingReport | None, route: str) -> None:
        if report is not None and report.coupled and report.deletions not in found:
            found[report.deletions] = Candidate(report, route)

    order = restore_order(rules, maximal.deletions)
    small = small_model(task)
    # best-first trimming: for alternatives, and as the one strong route on small models
    # where cut sets can not run (module docstring)
    strong = n_designs > 1 or (small and not task.checker.data.plain)
    add(_trimmed(task, shrink(task, maximal.deletions, order)), "trim")
    if strong and (small or len(maximal.deletions) <= BEST_FIRST_MAX):
        add(_strong(task, maximal, order), "strong")
    add(_margin_route(task), "margin")
    # the gDel_minRN start only where best-first trimming runs too (module docstring)
    if small and strong and not task.clock.expired("milp start"):
        milp = search(task, max_iterations=10)
        if milp.coupled:
            add(_trimmed(task, milp.deletions), "milp")
            add(_strong(task, milp.report, restore_order(rules, milp.deletions)), "milp")
    if small:
        for report in smallest_designs(task, max(1, n_designs)):
            add(_trimmed(task, report.deletions), "cutset")
    rng = np.random.default_rng(0)
    for _ in range(ORDERS_PER_ALTERNATIVE * max(0, n_designs - 1)):
        if task.clock.expired("alternatives"):
            break
        shuffled = [order[i] for i in rng.permutation(len(order))]
        add(_trimmed(task, shrink(task, maximal.deletions, shuffled)), "alternative")
    if small and found and not task.clock.expired("exchange"):
        best = choose(list(found.values()))
        add(exchange(task, best.report), "exchange")
    logger.info("%s: %d minimal candidates (sizes %s)", task.target, len(found),
                sorted(c.size for c in found.values()))
    return list(found.values())


def ranked(candidates: list[Candidate], max_deletions: int | None = None) -> list[Candidate]:
    """*candidates* within *max_deletions*, best first: the highest minimal production
    among those at most ``SIZE_SLACK`` knock-outs above the smallest, then the rest by
    minimal production (ties: fewer knock-outs, then the genes)."""
    within = [c for c in candidates if max_deletions is None or c.size <= max_deletions]
    if not within:
        return []
    smallest = min(c.size for c in within)

    def key(c: Candidate) -> tuple:
        return (c.size > smallest + SIZE_SLACK, -c.report.min_production, c.size,
                sorted(c.report.deletions))

    return sorted(within, key=key)


def choose(candidates: list[Candidate], max_deletions: int | None = None
           ) -> Candidate | None:
    """The design to return (see :func:`ranked`), or None when none is within
    *max_deletions*."""
    best = ranked(candidates, max_deletions)
    return best[0] if best else None
