"""Designs checked as they are before any repair: known designs of other models or targets.

- :func:`reference_design`: the bundled minimal design of the same target, made on the
  model a bundled predictor was trained on, on a model it fits by gene overlap only
  (iJO1366 with iML1515's);
- :func:`seed_design`: designs the caller passes (``predict_deletions(..., seeds=…)``),
  such as the designs of related targets on the same model. On Salmonella iYS1720, the
  minimal design of phosphatidylserine (ps160_c) found by the MILP over every gene also
  couples phosphatidylethanolamine (pe180_c) and cold lipid A (lipa_cold_c), which
  their own 60 s calls did not couple (docs/benchmarks.md, Salmonella);
  :func:`cobra_gdel.predict_many` retries the targets it did not couple with the
  batch's coupled designs as seeds.

The first design that couples is taken (its genes the model has, protected ones left
out) and finished like any other; the minimal-design search then runs from it.

- :func:`seed_adapt`: when no seed couples as it is, each seed with the genes that
  close this target's production restored, nearest to coupling first (μ0/μP), then
  the margin search with the genes next to the target first
  (:func:`cobra_gdel.repair.adapt_seed`): on Salmonella iYS1720 the batch's
  phospholipid designs, adapted so, couple 2agpg161_p, which nothing else here had
  (docs/benchmarks.md).
- :func:`near_seeds` / :func:`seed_repair`: when no seed couples as it is, a seed made
  for a target whose predicted network is nearly this target's (designs passed as
  :class:`~cobra_gdel.DeletionDesign` objects carry their scores) leads a repair of its
  own: its genes scored high, every other gene low. On Salmonella iYS1720 a
  lipopolysaccharide variant's design seldom couples another variant as it is, but
  repair from the design of the same O-antigen on another lipid A coupled LPS47_VL_e,
  LPS39__L_e and LPS4_VL_e in 1–5 s each; the nearest network picked that sibling first
  or second (docs/benchmarks.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace

import pandas as pd

from .design import DeletionDesign, finish
from .problem import DesignTask
from .repair import adapt_pool, adapt_seed, repair_task, seed_start
from .targets import gene_id

logger = logging.getLogger(__name__)

__all__ = ["ADAPT_SEEDS", "MAX_SEEDS", "NEAR_DISTANCE", "NEAR_SEEDS", "from_seeds",
           "near_seeds", "reference_design", "seed_adapt", "seed_design", "seed_repair",
           "seed_sets", "seeds_failed"]

#: At most this many distinct seeds are checked in one call (one LP check each).
MAX_SEEDS = 500
#: A seed is near when the genes its target's predicted network keeps (score < 0.5) are
#: within this Jaccard distance of the genes this target's keeps (the novelty threshold
#: of :class:`~cobra_gdel.predictors.GatedPredictor`, not tuned here).
NEAR_DISTANCE = 0.05
#: At most this many near seeds lead a repair, nearest first.
NEAR_SEEDS = 3
#: Seeds ranked for adaptation (:func:`seed_adapt`), and most margin searches from them.
ADAPT_RANKED = 40
ADAPT_SEEDS = 8
#: Share of the time left that adapting seeds may use when near seeds come next.
ADAPT_SHARE = 1 / 3
#: Scores of a seeded repair: the seed's genes, and every other gene.
SEED_SCORES = (0.95, 0.05)


def reference_design(task: DesignTask, item, prefix: str,
                     probabilities: pd.Series) -> DeletionDesign | None:
    """The bundled minimal design of the same target, when it couples on *task*'s model.

    Only for a model that the bundled predictor *item* (loaded by name: ``"auto"`` or a
    bundled model id) fits by gene overlap but was not trained on, e.g. iJO1366 with
    iML1515's: its genes that the model has (and that are not protected) are checked as
    they are. A minimal design carries over where a maximal one does not (iML1515's
    maximal designs of phospholipids delete adk and ndk together, lethal in iJO1366;
    docs/benchmarks.md). None when there is no such design or it does not couple here
    (repair then runs).
    """
    from . import bundled

    if item is None or item.model_id.lower() == (task.model.id or "").lower():
        return None
    genes = bundled.reference_designs(item.model_id).get(task.target)
    if not genes:
        return None
    start = time.perf_counter()
    mapped = _here(task, genes)
    report = task.check(sorted(mapped))
    seconds = time.perf_counter() - start
    if not report.coupled:
        logger.info("%s's design of %s (%d of %d genes here) does not couple on %r (%s); "
                    "repairing from the scores", item.model_id, task.target, len(mapped),
                    len(genes), task.model.id, report.reason)
        return None
    logger.info("%s's design of %s couples on %r (%d of its %d genes here)", item.model_id,
                task.target, task.model.id, len(mapped), len(genes))
    return finish(task, report, f"{prefix}+reference[{item.model_id}]",
                  probabilities=probabilities, timings={"verify": seconds})


def seed_sets(seeds) -> list[tuple[str, frozenset[str]]]:
    """``(label, gene ids)`` of every seed, in order, duplicates dropped.

    *seeds* is a mapping label → genes, or an iterable whose items are
    :class:`~cobra_gdel.DeletionDesign` objects (label: their target) or collections
    of gene ids or ``cobra.Gene`` objects (label: their position, from 1).

    Raises
    ------
    TypeError
        *seeds* is a string, or an item is neither a design nor a collection of genes.
    """
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise TypeError("seeds is a collection of designs or gene sets, not "
                        f"{type(seeds).__name__}")
    items = seeds.items() if isinstance(seeds, Mapping) else (
        (None, item) for item in seeds)
    out, seen = [], set()
    for i, (label, item) in enumerate(items, start=1):
        if isinstance(item, DeletionDesign):
            label, genes = label or item.target, item.deletions
        elif isinstance(item, (str, bytes)) or not isinstance(item, Iterable):
            raise TypeError(f"seed {label or i} is not a design or a collection of genes: "
                            f"{item!r}")
        else:
            genes = item
        genes = frozenset(gene_id(g) for g in genes)
        if genes and genes not in seen:
            seen.add(genes)
            out.append((str(label if label is not None else i), genes))
    return out


def seed_design(task: DesignTask, seeds: list[tuple[str, frozenset[str]]], prefix: str,
                probabilities: pd.Series | None) -> DeletionDesign | None:
    """The first of *seeds* (:func:`seed_sets`) that couples *task*'s target, finished
    with method ``<prefix>+seed[<label>]``; None when none does. Genes the model lacks
    and protected genes are left out of each seed; at most ``MAX_SEEDS`` are checked,
    whatever the task's clock says (each is one LP check)."""
    start, checked = time.perf_counter(), set()
    for label, genes in seeds:
        mapped = _here(task, genes)
        if not mapped or mapped in checked:
            continue
        if len(checked) >= MAX_SEEDS:
            logger.info("%s: %d seeds checked, the rest left out", task.target, MAX_SEEDS)
            break
        checked.add(mapped)
        report = task.check(sorted(mapped))
        if report.coupled:
            logger.info("%s: seed %s (%d genes) couples it", task.target, label, len(mapped))
            return finish(task, report, f"{prefix}+seed[{label}]", probabilities=probabilities,
                          timings={"verify": time.perf_counter() - start})
    logger.info("%s: none of %d seeds couples it", task.target, len(checked))
    return None


def from_seeds(task: DesignTask, seeds, seed_list: list[tuple[str, frozenset[str]]],
               prefix: str, probabilities: pd.Series | None, seeds_only: bool
               ) -> DeletionDesign | None:
    """Every use of the caller's *seeds* in turn: as they are (:func:`seed_design`),
    adapted (:func:`seed_adapt`), repairs from the near ones (:func:`seed_repair`);
    with *seeds_only*, the wild type not coupled (:func:`seeds_failed`) when none
    couples. None otherwise (the repair from the predicted scores comes next)."""
    design = seed_design(task, seed_list, prefix, probabilities)
    if design is not None:
        return design
    near = near_seeds(probabilities, seeds)
    design = seed_adapt(task, seed_list, prefix, probabilities,
                        share=1.0 if seeds_only and not near else ADAPT_SHARE)
    if design is None and near:
        design = seed_repair(task, near, prefix, probabilities, last=seeds_only)
    if design is None and seeds_only:
        design = seeds_failed(task, len(seed_list), len(near), prefix, probabilities)
    return design


def seed_adapt(task: DesignTask, seeds: list[tuple[str, frozenset[str]]], prefix: str,
               probabilities: pd.Series | None, *, share: float = ADAPT_SHARE
               ) -> DeletionDesign | None:
    """The first of *seeds* that couples *task*'s target once adapted to it, finished
    with method ``<prefix>+seed-adapt[<label>]``; None when none does.

    The ``ADAPT_RANKED`` smallest seeds get the genes that close this target's growth or
    production restored (:func:`cobra_gdel.repair.seed_start`); the margin search
    (:func:`cobra_gdel.repair.adapt_seed`) then runs from at most ``ADAPT_SEEDS`` of
    them, the lowest μ0/μP first, on *share* of the time left.
    """
    start = time.perf_counter()
    clock = task.clock.share(share)
    ranked, seen = [], set()
    # the smallest first: a maximal set of a thousand genes restores slowly and rarely
    # adapts (stable: the caller's order among equals)
    for label, genes in sorted(seeds, key=lambda item: len(item[1]))[:ADAPT_RANKED]:
        if clock.expired():
            break
        mapped = _here(task, genes)
        if not mapped:
            continue
        ratio, kept = seed_start(task, mapped, clock)
        if kept and ratio < float("inf") and frozenset(kept) not in seen:  # none left: no seed
            seen.add(frozenset(kept))
            ranked.append((ratio, label, kept))
    ranked.sort(key=lambda item: item[0])  # stable: the caller's order among equals
    searched, pool = 0, adapt_pool(task) if ranked else []
    for ratio, label, kept in ranked[:ADAPT_SEEDS]:
        if clock.expired():
            break
        searched += 1
        found = adapt_seed(task, kept, clock, pool)
        if found is not None and found.coupled:
            logger.info("%s: seed %s adapted couples it (μ0/μP %.6f before, %d genes)",
                        task.target, label, ratio, len(found.deletions))
            return finish(task, found, f"{prefix}+seed-adapt[{label}]",
                          probabilities=probabilities,
                          timings={"adapt": time.perf_counter() - start})
    logger.info("%s: none of %d adapted seeds couples it (%d ranked)", task.target,
                searched, len(ranked))
    return None


def _here(task: DesignTask, genes) -> frozenset[str]:
    """The genes of a design made elsewhere that *task* may delete: in its model, not
    protected."""
    return frozenset(g for g in genes if g in task.checker.genes and g not in task.protected)


def near_seeds(probabilities: pd.Series | None, seeds) -> list[tuple[str, frozenset[str]]]:
    """``(label, genes)`` of the designs among *seeds* made for targets whose predicted
    networks are near this target's (see ``NEAR_DISTANCE``), nearest first, at most
    ``NEAR_SEEDS``, one per network (a minimal design before its maximal set).

    Only seeds given as :class:`~cobra_gdel.DeletionDesign` objects with scores
    (``design.probabilities``, as every ``predict_deletions`` design has) are compared;
    *probabilities* are this target's scores from the same predictor.
    """
    if probabilities is None or seeds is None or isinstance(seeds, (str, bytes)):
        return []
    kept = (probabilities < 0.5).to_numpy()
    items = seeds.items() if isinstance(seeds, Mapping) else ((None, s) for s in seeds)
    found, seen = [], set()
    for label, design in items:
        if not isinstance(design, DeletionDesign) or design.probabilities is None:
            continue
        other = (design.probabilities.reindex(probabilities.index) < 0.5).to_numpy()
        union = int((kept | other).sum())
        key = other.tobytes()
        if not union or key in seen:
            continue
        distance = 1.0 - int((kept & other).sum()) / union
        if distance <= NEAR_DISTANCE and design.deletions:
            seen.add(key)
            found.append((distance, str(label or design.target), frozenset(design.deletions)))
    found.sort(key=lambda item: item[0])  # stable: the caller's order among equals
    return [(label, genes) for _distance, label, genes in found[:NEAR_SEEDS]]


def seed_repair(task: DesignTask, near: list[tuple[str, frozenset[str]]], prefix: str,
                probabilities: pd.Series | None, *, last: bool = False
                ) -> DeletionDesign | None:
    """Repair from each of *near* (:func:`near_seeds`) in turn: its genes that the model
    has score ``SEED_SCORES[0]``, every other gene ``SEED_SCORES[1]``; no MILP over every
    gene. Each repair gets an equal share of the time left with the attempts after it
    (the predictor's own scores come next unless *last*), so the seeds take at most
    ``len(near) / (len(near) + 1)`` of it (all of it when *last*). The first coupled
    design is returned with method ``<prefix>+seed-repair[<label>]+<repair's method>``;
    None when none couples."""
    genes = sorted(task.checker.genes)
    high, low = SEED_SCORES
    for i, (label, seed) in enumerate(near):
        clock = task.clock.share(1.0 / (len(near) - i + (0 if last else 1)))
        scores = pd.Series(low, index=genes)
        scores[sorted(_here(task, seed))] = high
        design = repair_task(task.with_clock(clock), scores, open_milp=False)
        if design.coupled:
            logger.info("%s: repair from seed %s couples it", task.target, label)
            return replace(design, method=f"{prefix}+seed-repair[{label}]+{design.method}",
                           probabilities=probabilities)
        logger.info("%s: repair from seed %s does not couple it (%s)", task.target, label,
                    design.reason)
    return None


def seeds_failed(task: DesignTask, checked: int, near: int, prefix: str,
                 probabilities: pd.Series | None) -> DeletionDesign:
    """The wild type, not coupled (method ``<prefix>+seed``), when only seeds were to be
    tried (``predict_deletions(..., seeds_only=True)``) and none coupled the target."""
    tried = f"none of {checked} seed(s) couples it as it is or adapted to it"
    if near:
        tried += f", nor does a repair from the {near} near one(s)"
    return finish(task, task.check(()), f"{prefix}+seed", probabilities=probabilities,
                  reason=f"{tried} (seeds only: no repair from the predicted scores)")
