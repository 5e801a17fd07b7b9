"""From a coupled deletion set to a minimal one.

A design is minimal when restoring any one of its deleted genes breaks coupling.

- :func:`prune` drops, without any LP, deletions that switch off nothing the others do
  not;
- :func:`shrink` restores genes in blocks (halving a block that breaks coupling), which
  takes a set of hundreds of deletions to a few dozen in a few hundred checks;
- :func:`trim_deletions` is TrimGdel's greedy pass: restore genes one at a time while
  the design stays coupled, until a pass changes nothing (the result is minimal);
- :func:`best_first` restores, at each step, the gene whose restoration keeps the
  minimal production at maximal growth highest (production-aware; for small sets);
- :func:`exchange` moves from a minimal design to a smaller or stronger one: one gene
  in, then as many out as coupling allows (a move no restore-only trimming makes).

:mod:`cobra_gdel.practical` combines them into the designs a person would build; the
public :func:`cobra_gdel.trim` and :meth:`DeletionDesign.minimal
<cobra_gdel.DeletionDesign.minimal>` wrap :func:`trim_deletions`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .heuristics import active_reactions, min_production_flux
from .report import CouplingReport
from .problem import Clock, DesignTask

logger = logging.getLogger(__name__)

__all__ = ["EXCHANGE_TOP", "TRIM_SLACK", "Trimmed", "additions", "best_first", "exchange",
           "prune", "restore_around", "restore_order", "shrink", "trim_deletions"]

#: Relative slack TrimGdel allows on the lower bounds while trimming.
TRIM_SLACK = 0.999


@dataclass(frozen=True)
class Trimmed:
    """Outcome of :func:`trim_deletions`: the final check and whether it finished."""

    report: CouplingReport
    complete: bool


def prune(rules, deletions: Iterable[str], order: Iterable[str]) -> frozenset[str]:
    """Drop deletions (in *order*) whose restoration re-enables no reaction given the
    others: the disabled reactions, hence coupling, stay the same."""
    current = set(deletions)
    disabled = rules.disabled(current)
    for gene in order:
        if gene in current and not rules.reenabled(current, disabled, gene):
            current.discard(gene)
    return frozenset(current)


def trim_deletions(task: DesignTask, deletions: Iterable[str]) -> Trimmed:
    """Trim the coupled set *deletions* to a minimal one.

    Each deleted gene is restored in turn; it stays restored when the design is still
    coupled with ``GR ≥ 0.999·growth_lb`` and ``PRmin ≥ 0.999·production_lb``, else it
    is deleted again. Passes repeat until nothing changes. Genes whose restoration
    re-enables no reaction are restored first and without an LP; the others are tried
    in order of how many reactions their restoration re-enables (fewest first, ties by
    gene id). If the slack admits a restore that the standard check rejects, the pass
    is redone with the exact bounds. Stops early when the task's clock runs out
    (``complete`` is then False; the result is still coupled).

    Raises
    ------
    ValueError
        If *deletions* is not coupled.
    """
    current = set(task.checker.validate_genes(deletions))
    initial = task.check(current)
    if not initial.coupled:
        raise ValueError(f"the deletions do not couple {task.target} ({initial.reason}); only "
                         "a coupled design can be trimmed")
    trimmed, complete = _trim_pass(task, current, task.growth_lb * TRIM_SLACK,
                                   task.production_lb * TRIM_SLACK, task.clock)
    report = task.check(trimmed)
    if not report.coupled:
        logger.info("trim of %s: slack result fails the standard check; retrying exactly.",
                    task.target)
        trimmed, complete = _trim_pass(task, current, task.growth_lb, task.production_lb,
                                       Clock(None))
        report = task.check(trimmed)
    logger.info("trim %s: %d -> %d deletions", task.target, len(current), len(trimmed))
    return Trimmed(report, complete)


def _trim_pass(task: DesignTask, deletions: set[str], growth_lb: float, production_lb: float,
               clock: Clock) -> tuple[frozenset[str], bool]:
    """Greedy restore until a fixed point; returns (deletions, finished before time-out)."""
    rules = task.checker.rules
    current = set(deletions)
    disabled = rules.disabled(current)
    # LP-free first: genes whose restoration re-enables nothing.
    for gene in sorted(current):
        if not rules.reenabled(current, disabled, gene):
            current = current - {gene}
    while True:  # one pass per loop; the last pass changes nothing (minimality)
        disabled = rules.disabled(current)
        order = sorted((len(rules.reenabled(current, disabled, g)), g) for g in current)
        changed = False
        for _count, gene in order:
            if clock.expired("trim"):
                return frozenset(current), False
            rest = current - {gene}
            if (not rules.reenabled(current, disabled, gene)
                    or task.check(rest, growth_lb, production_lb, quick=True).coupled):
                current = rest
                disabled = rules.disabled(current)
                changed = True
        if not changed:
            break
    return frozenset(current), True


def restore_order(rules, deletions) -> list[str]:
    """*deletions* in the order trimming tries to restore them.

    Genes whose restoration switches back on a costly reaction come first: one that
    takes many deletions to switch off (isozymes; :meth:`RuleSet.knockout_cost
    <cobra_gdel.gpr.RuleSet.knockout_cost>`), so that the trimmed design keeps the
    mechanisms that need few knock-outs. Then the genes whose restoration re-enables
    the fewest reactions (the likeliest unnecessary), ties by gene id.
    """
    current = set(deletions)
    disabled = rules.disabled(current)

    def key(gene: str) -> tuple:
        back = rules.reenabled(current, disabled, gene)
        return (-max((rules.knockout_cost(r) for r in back), default=0), len(back), gene)

    return sorted(current, key=key)


#: Genes restored together in the first round of :func:`shrink`.
SHRINK_BLOCK = 32


def shrink(task: DesignTask, deletions, order: list[str],
           keep_production: float = 0.0) -> frozenset[str]:
    """Restore genes of the coupled set *deletions* in blocks, in *order*.

    A block whose restoration keeps the design coupled (and, with *keep_production*,
    its minimal production at or above that value) is restored at once; one that
    breaks it is halved and each half tried in turn, down to single genes, which are
    then kept. The result is coupled but not necessarily minimal (a later restore can
    make an earlier gene unnecessary): :func:`trim_deletions` finishes it. Stops when
    the task's clock runs out (recorded on it).
    """
    current = set(deletions)

    def holds(rest: set[str]) -> bool:
        report = task.check(rest, quick=True)
        return report.coupled and report.min_production + 1e-9 >= keep_production

    def attempt(block: list[str]) -> None:
        nonlocal current
        if not block or task.clock.expired("trim"):
            return
        rest = current - set(block)
        if holds(rest):
            current = rest
        elif len(block) > 1:
            half = len(block) // 2
            attempt(block[:half])
            attempt(block[half:])

    genes = [g for g in order if g in current]
    for start in range(0, len(genes), SHRINK_BLOCK):
        attempt(genes[start:start + SHRINK_BLOCK])
    return frozenset(current)


def best_first(task: DesignTask, deletions) -> CouplingReport:
    """Production-aware trimming of the coupled set *deletions*: at each step restore the
    gene whose restoration keeps the design coupled with the highest minimal production
    at maximal growth (ties: the gene id), until no restore keeps it coupled. The
    result is minimal; each step costs one check per remaining gene, so this is for
    sets of a few dozen genes. Stops early when the task's clock runs out."""
    current = set(deletions)
    report = task.check(current)
    while current and not task.clock.expired("trim"):
        best = None
        for gene in sorted(current):
            trial = task.check(current - {gene})
            if trial.coupled and (best is None or trial.min_production > best.min_production):
                best = trial
        if best is None:
            break
        current, report = set(best.deletions), best
    return report


#: Genes the exchange move takes in per round: those whose addition raises the minimal
#: production most (on iML1515's utp_c design only one gene of 308 raised it at all).
EXCHANGE_TOP = 3
#: Relative gain in minimal production that makes an added gene a candidate.
EXCHANGE_GAIN = 1e-3


def exchange(task: DesignTask, report: CouplingReport, top: int = EXCHANGE_TOP
             ) -> CouplingReport:
    """A smaller or more strongly coupled minimal design near the coupled *report*.

    Each round adds, one at a time, every gene (not deleted, not protected) that
    switches off a reaction carrying flux in the design's minimal-production solution
    at maximal growth, and checks the design with it. The *top* additions that raise
    the minimal production most are each kept while the design's own genes are
    restored (in :func:`restore_order`, the added gene last), then trimmed to a
    minimal design. The best result (fewest knock-outs, then the highest minimal
    production) replaces the design when it is smaller, or as small and stronger;
    rounds repeat until one changes nothing or the task's clock runs out. Restore-only
    trimming can not make this move: one gene in can make several others unnecessary.
    The result is coupled, minimal when *report* is, and never larger.
    """
    if not report.coupled:
        raise ValueError(f"the deletions do not couple {task.target} ({report.reason}); only "
                         "a coupled design can be improved")
    while not task.clock.expired("exchange"):
        best = _exchange_round(task, report, top)
        if best is report:
            break
        logger.info("exchange %s: %d -> %d deletions, minimal production %.4g -> %.4g",
                    task.target, len(report.deletions), len(best.deletions),
                    report.min_production, best.min_production)
        report = best
    return report


def _exchange_round(task: DesignTask, report: CouplingReport, top: int) -> CouplingReport:
    rules = task.checker.rules
    design = set(report.deletions)
    active = active_reactions(min_production_flux(task, report))
    disabled = rules.disabled(design)
    stronger, scored = [], 0
    for gene in additions(task, design, active, disabled):
        if task.clock.expired("exchange"):
            break
        scored += 1
        trial = task.check(design | {gene}, quick=True)
        if trial.coupled and trial.min_production > report.min_production * (1 + EXCHANGE_GAIN):
            stronger.append((-trial.min_production, gene))
    logger.info("exchange %s: %d genes scored, %d raise the minimal production",
                task.target, scored, len(stronger))
    best = report
    for _value, gene in sorted(stronger)[:top]:
        trial = trim_deletions(task, restore_around(task, design, gene)).report
        if (len(trial.deletions), -trial.min_production) < (len(best.deletions),
                                                             -best.min_production):
            best = trial
    return best


def additions(task: DesignTask, design: set[str], reactions: set[str],
              disabled: frozenset[str] | None = None) -> Iterator[str]:
    """Genes, in id order, that are not in *design* nor protected and whose deletion on
    top of *design* switches off one of *reactions* (*disabled*: the reactions *design*
    switches off, when known): the candidates of an exchange move."""
    rules = task.checker.rules
    disabled = rules.disabled(design) if disabled is None else disabled
    for gene in sorted(rules.in_rules()):
        if gene in design or gene in task.protected:
            continue
        if rules.newly_disabled(design, disabled, gene) & reactions:
            yield gene


def restore_around(task: DesignTask, design: set[str], gene: str) -> set[str]:
    """*design* with *gene* added, then each of its genes (in :func:`restore_order`,
    *gene* last) restored where the set stays coupled; stops when the task's clock
    runs out (stage ``"exchange"``)."""
    current = set(design) | {gene}
    for restored in restore_order(task.checker.rules, design) + [gene]:
        if task.clock.expired("exchange"):
            break
        if task.check(current - {restored}, quick=True).coupled:
            current.discard(restored)
    return current
