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
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping

import pandas as pd

from .design import DeletionDesign, finish
from .problem import DesignTask
from .targets import gene_id

logger = logging.getLogger(__name__)

__all__ = ["MAX_SEEDS", "reference_design", "seed_design", "seed_sets"]

#: At most this many distinct seeds are checked in one call (one LP check each).
MAX_SEEDS = 500


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


def _here(task: DesignTask, genes) -> frozenset[str]:
    """The genes of a design made elsewhere that *task* may delete: in its model, not
    protected."""
    return frozenset(g for g in genes if g in task.checker.genes and g not in task.protected)
