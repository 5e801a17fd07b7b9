"""predict → verify → repair: the one-line design API (``model.predict_deletions``)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from .targets import GROWTH_LB, PRODUCTION_LB
from .design import NO_DESIGN, DeletionDesign, DesignSet, finish
from .practical import minimal_candidates, ranked
from .problem import Clock, DesignTask
from .repair import repair_task
from .scoring import read_sequences, resolve_predictor, resolve_with_item, score_genes
from .seeds import from_seeds, reference_design, seed_sets

logger = logging.getLogger(__name__)

__all__ = ["predict_deletions", "resolve_predictor"]

#: Default seconds for the whole call.
DEFAULT_TIME_LIMIT = 60.0
#: The fallback to the prior only starts with at least this many seconds left.
FALLBACK_MIN_SECONDS = 1.0
#: Every gene's score in the open attempt (undecided: the MILP decides them all).
OPEN_SCORE = 0.5


def predict_deletions(model, target, *, smiles: str | None = None,
                      sequences: Mapping[str, str] | str | os.PathLike | None = None,
                      predictor="auto", growth_lb: float = GROWTH_LB,
                      production_lb: float = PRODUCTION_LB, minimize: bool = True,
                      max_deletions: int | None = None, n_designs: int | None = None,
                      device: str | None = None, time_limit: float | None = DEFAULT_TIME_LIMIT,
                      protected: Iterable = (), solver=None, strict: bool = False,
                      seeds=None, seeds_only: bool = False) -> DeletionDesign | DesignSet:
    """Predict a gene-deletion design for *target*, verify it by FBA, repair it if needed,
    and return a design a person would build.

    The predictor scores every gene (P(deleted)). On a model that a bundled predictor
    fits by gene overlap but was not trained on (iJO1366 with iML1515's), the bundled
    minimal design of the same target is checked first and taken when it couples
    (``"+reference[<model id>]"``). Otherwise the genes the predictor would delete are
    checked for weak growth coupling (maximal growth, then minimal production at
    that growth) and, when the check fails, pruned or extended by
    :func:`cobra_gdel.repair` until a verified *maximal* design comes back. From it,
    several *minimal* designs are found (restoring any one gene breaks coupling; see
    :mod:`cobra_gdel.practical`) and the one with few knock-outs and the strongest
    coupling is returned; the maximal design stays on it as ``design.maximal``.

    It never refuses a target that has a design for want of an input. Unless *strict*,
    each gap is filled from the best information at hand, with a logged warning that
    names what was missing, and ``design.method`` says what scored the genes:

    - no bundled predictor fits the model (by id or gene overlap): the transferable
      ``network`` predictor (the model's own minimal production networks) scores every
      gene (``"predict[network]+…"``);
    - the predictor has no embedding for the target and no SMILES is known (argument,
      bundled table, annotation, a compartment copy): its frequency prior scores the
      genes it knows (``"predict[prior]+…"``);
    - genes have neither an embedding nor a sequence: the ``network`` predictor scores
      them, the organism-specific one the rest (``"predict[fpnet+network]+…"``).

    Parameters
    ----------
    model : cobra.Model
        The model; it is left unchanged.
    target : str or cobra.Metabolite
        The metabolite to couple to growth.
    smiles : str, optional
        SMILES of a target the predictor has no embedding for (otherwise taken
        from the bundled embeddings or the metabolite's SMILES/InChI annotation).
    sequences : dict or path, optional
        Protein sequences (dict or FASTA file) of genes the predictor has no
        embedding for.
    predictor : str, path or predictor
        ``"auto"``, a bundled model id, a saved predictor file, or a fitted
        predictor (see :func:`resolve_predictor`).
    growth_lb, production_lb : float
        Lower bounds on maximal growth and on minimal production at that growth.
    minimize : bool
        Return a minimal design (default); False returns the verified maximal design.
    max_deletions : int, optional
        At most this many knock-outs. When no coupled design within that many was
        found, the result says so (``status == "not_coupled"``, with the reason and
        the smallest size found); a larger design is never returned.
    n_designs : int, optional
        Return up to this many distinct minimal designs, best first, as a
        :class:`~cobra_gdel.DesignSet` (``to_frame()``, ``plot()``).
    device : str, optional
        ``"cpu"`` (default), ``"cuda"`` or ``"auto"`` for the predictor.
    time_limit : float, optional
        Seconds for the whole call (default 60; None: no limit). When repair from the
        predicted scores fails and the predictor keeps the frequency prior it was
        trained with (the bundled ones do), repair starts again from that prior: the
        first attempt gets half of the time, the second the rest. On a
        model the predictor lacks genes of (it was trained on another one, e.g.
        iML1515's on iJO1366), the prior goes first. Where the transferable network
        predictor scored genes (a model no bundled predictor fits, or genes the
        bundled one lacks), a last attempt starts from uninformative scores (every
        gene undecided, so the MILP over every gene decides them), each attempt
        getting an equal share of the time left when it starts.
    protected : iterable of str
        Genes never to delete (spontaneous pseudo-genes are always protected).
    solver : str, optional
        optlang solver name for every LP and MILP; default: the model's for the LPs
        and, when the model uses GLPK and ``highspy`` is installed, HiGHS for the
        MILPs. ``"hybrid"`` moves every LP check onto optlang's HiGHS too, which is
        slower (iML1515: 14-20x the default's time for the same designs,
        docs/benchmarks.md, "The solver argument").
    strict : bool
        Raise :class:`MissingInputError` for a missing input (no bundled predictor fits,
        no structure of the target, genes without an embedding or sequence) instead of
        filling the gap as above.
    seeds : mapping or iterable, optional
        Designs to check as they are before any repair, e.g. those of related targets
        on the same model: a mapping label → genes, or :class:`DeletionDesign` objects
        (label: their target) or gene collections. The first that couples the target
        (genes the model lacks and protected genes left out) is taken
        (``"+seed[<label>]"``) and the minimal design is searched from it. When none
        couples, the seeds are adapted to the target (genes that close its production
        restored, then the margin search from the nearest to coupling;
        ``"+seed-adapt[<label>]"``, a third of the time, all of it with *seeds_only*
        and no near seed, :func:`cobra_gdel.seeds.seed_adapt`); then up to three
        designs (passed as :class:`DeletionDesign` objects) made for targets whose
        predicted networks are nearly this target's each lead a repair, nearest first
        (``"+seed-repair[<label>]"``; together at most 3/4 of the time left,
        :func:`cobra_gdel.seeds.near_seeds`). :func:`cobra_gdel.predict_many`
        passes a batch's coupled designs this way when it retries the targets it did
        not couple.
    seeds_only : bool
        Try *seeds* only (near ones get all the time): a target they do not couple
        comes back not coupled (``"+seed"``), without the repair from the predicted
        scores. :func:`cobra_gdel.predict_many`'s retry sets it (that repair already
        failed in its first pass).

    Returns
    -------
    DeletionDesign or DesignSet
        ``coupled`` is True only when the returned deletions were verified;
        ``probabilities`` holds the predictor's scores; ``timings`` splits the
        time into predict, repair, verify (every attempt together) and minimal;
        ``method`` is ``"predict+repair:…"`` (``"predict[<scores>]+repair:…"`` when a gap
        was filled, see above), with ``+prior`` (``+open``) after ``predict`` when the
        maximal design came from the fallback to the prior (to uninformative scores),
        or ``"predict+reference[<model id>]"`` when the bundled minimal design of the
        same target, made on the model the predictor was trained on, coupled as it is
        (tried first on a model the predictor fits by gene overlap only, such as
        iJO1366), or ``"predict+seed[<label>]"`` when one of *seeds* did (or
        ``"predict+seed-adapt[<label>]"`` or
        ``"predict+seed-repair[<label>]+repair:<stage>"`` when an adapted seed or a
        repair from a near one did), followed by ``"+minimal:<route>"`` for the minimal
        design. A :class:`DesignSet` when *n_designs* is given.

    Raises
    ------
    UnknownTargetError
        The target is not in the model (close ids are suggested).
    NoProductionRouteError
        The model cannot produce the target while growing.
    MissingInputError
        Only when *strict*: no bundled predictor fits, the predictor has no embedding
        for the target and no SMILES is available, or genes lack both an embedding and
        a sequence.
    ValueError
        Invalid SMILES (passed as *smiles*), bounds, device, ``max_deletions`` or
        ``n_designs``; *seeds_only* without *seeds*.
    FileNotFoundError
        *sequences* names a FASTA file that does not exist.
    TypeError
        *seeds* is a string, or one of them is neither a design nor a gene collection.

    Examples
    --------
    >>> import cobra, cobra_gdel
    >>> model = cobra.io.load_model("textbook")
    >>> design = model.predict_deletions("succ_e")
    >>> design.coupled
    True
    """
    from .predictors.device import check_device

    device = check_device(device)
    if isinstance(seeds, Iterator):  # read twice: checked as they are, then for near ones
        seeds = list(seeds)
    seed_list = None if seeds is None else seed_sets(seeds)
    if seeds_only and seed_list is None:
        raise ValueError("seeds_only=True needs seeds")
    _check_count("max_deletions", max_deletions, 0)
    _check_count("n_designs", n_designs, 1)
    task = DesignTask.create(model, target, growth_lb=growth_lb, production_lb=production_lb,
                             protected=protected, solver=solver, time_limit=time_limit)
    task.require_production_route()
    start = time.perf_counter()
    fitted, item = resolve_with_item(model, predictor, device, strict)
    with task.clock.active():  # a predictor's own searches stay inside time_limit
        scores = score_genes(task, fitted, smiles, read_sequences(sequences), strict)
    predict_seconds = time.perf_counter() - start
    prefix = "predict" if scores.source is None else f"predict[{scores.source}]"
    design = reference_design(task, item, prefix, scores.probabilities)
    if design is None and seed_list is not None:
        design = from_seeds(task, seeds, seed_list, prefix, scores.probabilities, seeds_only)
    if design is None:
        # Scores from the transferable predictor may point at a mechanism this model
        # lacks: the MILP over every gene then gets a share of its own (open_last).
        design = _repair_with_fallback(task, scores.probabilities.fillna(0.0), scores.prior,
                                       prefix, prior_first=scores.prior_first,
                                       open_last="network" in (scores.source or ""))
    design = replace(design, probabilities=scores.probabilities,
                     timings={"predict": predict_seconds, **design.timings})
    if minimize and design.coupled:
        return _practical(task, design, max_deletions, n_designs)
    if design.coupled and max_deletions is not None and len(design.deletions) > max_deletions:
        design = _over_budget(task, design, max_deletions, [len(design.deletions)])
    return DesignSet((design,) if design.coupled else ()) if n_designs else design


def _check_count(name: str, value, least: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")


def _practical(task: DesignTask, maximal: DeletionDesign, max_deletions: int | None,
               n_designs: int | None) -> DeletionDesign | DesignSet:
    """The minimal designs of :mod:`cobra_gdel.practical` from the verified *maximal* one."""
    start = time.perf_counter()
    candidates = minimal_candidates(task, maximal.report, n_designs or 1)
    best = ranked(candidates, max_deletions)[: n_designs or 1]
    timings = {**maximal.timings, "minimal": time.perf_counter() - start}

    def build(candidate) -> DeletionDesign:
        design = finish(task, candidate.report, f"{maximal.method}+minimal:{candidate.route}",
                        probabilities=maximal.probabilities, timings=timings)
        return replace(design, maximal=maximal)

    if n_designs:
        return DesignSet(tuple(build(c) for c in best), maximal=maximal)
    if not best:
        return _over_budget(task, maximal, max_deletions, [c.size for c in candidates])
    return build(best[0])


def _over_budget(task: DesignTask, maximal: DeletionDesign, max_deletions: int,
                 sizes: list[int]) -> DeletionDesign:
    """No coupled design within *max_deletions*: the wild type, not coupled, saying so."""
    reason = (f"no coupled design with at most {max_deletions} deletion(s) among the "
              f"{len(sizes)} minimal design(s) found (the smallest has {min(sizes)})")
    design = finish(task, task.check(()), f"{maximal.method}+minimal",
                    probabilities=maximal.probabilities, timings=maximal.timings,
                    reason=reason)
    return replace(design, maximal=maximal)


def _repair_with_fallback(task: DesignTask, scores: pd.Series, prior: pd.Series | None,
                          prefix: str = "predict", *, prior_first: bool = False,
                          open_last: bool = False) -> DeletionDesign:
    """Repair from *scores*; when that fails (and no design is proved impossible), from
    *prior* (the other way round with *prior_first*), then, with *open_last*, from
    uninformative scores (every gene undecided: the MILP over every gene gets the time
    that attempt has). Each attempt gets an equal share of the time left when it
    starts (half for the first of two). Methods start with *prefix*,
    followed by ``+prior`` or ``+open`` when the design came from that attempt."""
    attempts = [(scores, "", "predicted scores")]
    if prior is not None:
        attempts.append((prior, "+prior", "frequency prior"))
        if prior_first:
            attempts.reverse()
    if open_last:
        undecided = pd.Series(OPEN_SCORE, index=scores.index)
        attempts.append((undecided, "+open", "uninformative scores"))
    designs, timings = [], {}
    for i, (values, tag, name) in enumerate(attempts):
        left = task.clock.seconds(minimum=0.1)
        remaining = len(attempts) - i
        if left is not None:
            left /= remaining
        # the MILP over every gene in the last attempt only; equal scores skip the sweep
        design = repair_task(task.with_clock(Clock(left, task.clock)), values,
                             open_milp=remaining == 1, sweep=values.nunique() > 1)
        for key, value in design.timings.items():
            timings[key] = timings.get(key, 0.0) + value
        designs.append((design, tag, name))
        if design.coupled or design.status == NO_DESIGN:
            break
        if remaining == 1 or task.clock.left() < FALLBACK_MIN_SECONDS:
            break
        logger.info("repair from the %s did not couple %s (%s); repairing from the %s "
                    "(%.1f s left)", name, task.target, design.reason, attempts[i + 1][2],
                    task.clock.left())
    design, tag, _name = designs[-1]
    if design.coupled or len(designs) == 1:
        return replace(design, method=f"{prefix}{tag}+{design.method}", timings=timings)
    first, first_tag, _name = designs[0]
    return replace(first, method=f"{prefix}{first_tag}+{first.method}", timings=timings,
                   reason="; ".join(f"from the {name}: {d.reason}" for d, _t, name in designs))
