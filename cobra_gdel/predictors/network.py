"""The transferable predictor: minimal production networks read from the model itself.

:class:`NetworkPredictor` needs no training data, no SMILES and no protein sequence:
it is bound to a cobra model (``NetworkPredictor().fit(model=model)``) and scores a
target by the minimal-network LPs of :mod:`cobra_gdel.network_features`. A gene's
P(deleted) is 1 − the share of the LP variants (by default six: three production
levels, before and after one re-weighting) whose decoded network keeps it; a target
the model can not produce while growing gets 0.5 for every gene.

With ``milp_genes=n``, on a model of at most n genes the model's own gDel_minRN design
of the target leads (the program that made the published strategies, as specified:
every gene a candidate, spontaneous ones too, and every MILP solve to its optimum;
:func:`cobra_gdel.search.search` with ``exact=True``): the genes it deletes, in the
canonical form that prefers the latest of equivalent genes in ``model.genes`` (the
decode's convention below; of the tie-breaks tried on the published labels of iML1515 it
agreed best, on iMM904 all agreed), score ``0.75 + 0.25 · p`` and the others
``0.25 · p``, p being the LP variants' mean; where no design is found the LP scores stand
alone. The shipped transferable predictor also solves every LP variant weighted by the
model's flux ranges (``weights=("unit", "ranges")``, twelve variants; the range weights
are the LP relaxation of gDel_minRN's objective; leave one model out the twelve lift
iMM904 from 73.9 % to 75.3 % and iML1515 from 57.6 % to 58.5 %; the class default stays
``"unit"``). It (``cobra_gdel/bundled/network.json``, what
:func:`~cobra_gdel.predict_deletions` uses on a model no bundled predictor fits) sets
``milp_genes=MILP_MAX_GENES``; the class default stays 0 (the LPs alone, as
:class:`~cobra_gdel.predictors.GatedPredictor` uses them). Scored leave-one-model-out on
e_coli_core the lead lifts the accuracy from 58.7 % to 62.4 % and the AUC from 62.5 % to
67.3 % (docs/benchmarks.md, session 33). It costs: the design search takes 0.14 s per
target on e_coli_core (median; up to 1.4 s, against 0.007 s for the LPs), and
predict + repair on the renamed e_coli_core took 0.14 s against 0.08 s from
uninformative scores (median), for designs of the same size on 34 of 35 targets
(actp_c: 8 knock-outs instead of 5). On genome-scale models it is far too slow (session 30
scratch, iML1515: 20 targets not done after 35 CPU minutes), so it stops at 300 genes.

Why no learning: scored leave-one-model-out (trained on two of the three data models,
tested on the third), no learned layer on top of these networks — gradient boosting or
logistic regression over network, gene-structure and reaction-prior features — beat
the networks alone reliably (docs/benchmarks.md, the transfer section). The labels of
the genome-scale strategies follow the "maximal, latest-gene" convention the decode
reproduces; e_coli_core's do not (they keep free isozymes), which caps what any
model-agnostic rule reaches there.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..network_features import LEVELS, REWEIGHTS, WEIGHTS, network_for
from .base import BasePredictor

logger = logging.getLogger(__name__)

__all__ = ["MILP_MAX_GENES", "NetworkPredictor"]

#: A ``milp_genes`` that covers the models the cut-set routes of :mod:`cobra_gdel.practical`
#: run on (the gDel_minRN design is too slow on genome-scale models; see the module).
MILP_MAX_GENES = 300
#: That design's weight in a gene's score; the LP variants' mean has the rest, so at
#: the 0.5 threshold the design decides and the networks rank the genes within it.
MILP_WEIGHT = 0.75
#: Time guard of that design's search (HiGHS solves it on a work budget).
MILP_SECONDS = 30.0
#: Inside a call with a time limit (``predict_deletions``), the share of the time left
#: that the design's search may use, when that is less than ``MILP_SECONDS``; repair
#: has the rest. Below ``MILP_MIN_SECONDS`` the search is skipped (the LP scores stand
#: alone).
MILP_SHARE = 0.5
MILP_MIN_SECONDS = 0.05


class NetworkPredictor(BasePredictor):
    """P(deleted) from the model's minimal production networks (no training).

    Parameters
    ----------
    levels : sequence
        Production levels of the LP variants: ``"abs"`` (≥ 0.001) and shares of the
        maximal production (default ``("abs", 0.1, 0.5)``).
    reweights : sequence of int
        Re-weighting rounds kept as variants (default ``(0, 1)``); ``levels=("abs",),
        reweights=(1,)`` is the single "primary" variant (hard 0/1 scores).
    milp_genes : int
        On a model with at most this many genes, a target's scores are led by the
        model's own gDel_minRN design (see the module docstring); default 0: from the
        LPs alone (the shipped transferable predictor sets ``MILP_MAX_GENES``).
    weights : {"unit", "ranges"} or sequence of them
        L1 weights of the reactions with a gene rule: 1 (default), or 1/M_j with M_j
        the reaction's flux range at growth ≥ 0.001, gDel_minRN's big-M constant (the
        LP relaxation of its objective; :mod:`cobra_gdel.network_features`); with
        several, the variants of each weighting together (the scores' mean). With
        ``"ranges"``, ``fit`` computes the model's flux ranges once (seconds on a
        genome-scale model; the gDel_minRN MILP reuses them).

    Attributes
    ----------
    genes_ : list of str
        The bound model's genes.
    model_id_ : str
        The bound model's id.
    network_ : cobra_gdel.network_features.MinimalNetwork
        The model's compiled LP (shared by every predictor bound to the same model).

    Examples
    --------
    >>> import cobra
    >>> from cobra_gdel.predictors import NetworkPredictor
    >>> model = cobra.io.load_model("textbook")
    >>> scores = NetworkPredictor().fit(model=model).predict_proba("succ_e")
    >>> float(scores["b0721"])  # sdhC: no network that makes succinate needs SDH
    1.0
    >>> led = NetworkPredictor(milp_genes=300).fit(model=model).predict_proba("succ_e")
    >>> bool(((led >= 0.75) | (led <= 0.25)).all())  # the gDel_minRN design decides
    True
    """

    name = "network"
    #: ``fit`` takes the model (``fit(model=model)``), not a strategy dataset.
    reads_model: ClassVar[bool] = True

    def __init__(self, levels: Sequence = LEVELS, reweights: Sequence[int] = REWEIGHTS,
                 milp_genes: int = 0, weights: str | Sequence[str] = "unit") -> None:
        self.levels = levels
        self.reweights = reweights
        self.milp_genes = milp_genes
        self.weights = weights

    def _validate_params(self) -> tuple[tuple, tuple, tuple]:
        levels = tuple(self.levels)
        reweights = tuple(int(r) for r in self.reweights)
        if not levels or not reweights:
            raise ValueError("levels and reweights must not be empty")
        for level in levels:
            if level != "abs" and not (isinstance(level, (int, float)) and 0 < level <= 1):
                raise ValueError(f"a level is 'abs' or a share in (0, 1], not {level!r}")
        if min(reweights) < 0:
            raise ValueError("reweights are re-weighting rounds >= 0")
        if int(self.milp_genes) < 0:
            raise ValueError(f"milp_genes must be >= 0, got {self.milp_genes}")
        weights = (self.weights,) if isinstance(self.weights, str) else tuple(self.weights)
        if not weights or any(w not in WEIGHTS for w in weights):
            raise ValueError(f"weights must be one or more of {WEIGHTS}, got {self.weights!r}")
        return levels, reweights, weights

    def fit(self, dataset: Any = None, *, model=None) -> NetworkPredictor:
        """Bind the predictor to *model* (its LP is built once per model and cached).

        Parameters
        ----------
        dataset : StrategyDataset, optional
            Ignored (nothing is learned); accepted so that cross-validation code can
            call ``fit(train_set, model=model)``.
        model : cobra.Model
            The model to read. Required.

        Raises
        ------
        ValueError
            Without a model, or with invalid hyper-parameters.
        """
        levels, reweights, weights = self._validate_params()
        if model is None:
            raise ValueError("NetworkPredictor reads a cobra model: call fit(model=model)")
        self.levels_, self.reweights_, self.weights_ = levels, reweights, weights
        self.network_ = network_for(model)
        if "ranges" in weights:
            self.network_.use_ranges(model)
        self.model_id_ = model.id
        self.genes_ = list(self.network_.genes)
        small = len(self.genes_) <= int(self.milp_genes)
        # A strong reference: a weak one lost a temporary model (``fit(model=m.copy())``)
        # to the garbage collector, and the scores silently fell back to the LPs alone.
        self._model = model if small else None
        return self

    def predict_proba(
        self,
        target: str,
        *,
        smiles: str | None = None,
        sequences: Mapping[str, str] | None = None,
        genes: Sequence[str] | None = None,
    ) -> pd.Series:
        """P(deleted) per gene for *target* (a metabolite of the bound model).

        *smiles* and *sequences* are not needed and ignored. Genes that are not in the
        bound model get 0.5 (no information).

        Raises
        ------
        UnknownTargetError
            *target* is not a metabolite of the bound model.
        """
        self._check_fitted()
        scores = np.mean([self.network_.scores(target, self.levels_, self.reweights_, w)
                          for w in self.weights_], axis=0)
        design = self._design(target)
        if design is not None:
            scores = MILP_WEIGHT * design + (1.0 - MILP_WEIGHT) * scores
        full = pd.Series(scores, index=pd.Index(self.genes_, name="gene"), name=target)
        if genes is None:
            return full
        return full.reindex(list(genes)).fillna(0.5).rename(target)

    def _design(self, target: str) -> np.ndarray | None:
        """1 for each gene the model's gDel_minRN design of *target* deletes (in its
        canonical, latest-gene form), 0 for the others; None on a model of more than
        ``milp_genes`` genes or when there is no design to read. Remembered per target
        with the model's network (rebuilt when the model changes), unless the time limit
        of the call it runs in (:meth:`cobra_gdel.problem.Clock.active`) cut it short:
        the search then uses at most ``MILP_SHARE`` of that call's time left."""
        model = self._model
        if model is None:
            return None
        designs = self.network_.designs
        if target in designs:
            design = designs[target]
        else:
            design, complete = _minrn_design(model, self.network_, target)
            if complete:  # one cut short by a caller's time limit is not remembered
                designs[target] = design
        return None if design is None else design.copy()

    def predict_frame(self, dataset: Any, targets: Sequence[str] | None = None) -> pd.DataFrame:
        """P(deleted) for several targets × the dataset's genes."""
        self._check_fitted()
        targets = list(dataset.targets if targets is None else targets)
        rows = [self.predict_proba(t, genes=dataset.genes).to_numpy() for t in targets]
        return pd.DataFrame(np.array(rows).reshape(len(targets), len(dataset.genes)),
                            index=pd.Index(targets, name="metabolite"),
                            columns=pd.Index(dataset.genes, name="gene"))

    def unscorable_genes(self, genes: Sequence[str],
                         sequences: Mapping[str, str] | None = None) -> list[str]:
        """Genes of *genes* that are not in the bound model."""
        self._check_fitted()
        return [g for g in genes if g not in self.network_.gene_index]

    def knows_target(self, metabolite_id: str) -> bool:
        """Whether *metabolite_id* is a metabolite of the bound model."""
        self._check_fitted()
        return metabolite_id in self.network_.production

    def _get_state(self) -> dict[str, Any]:
        """Nothing is learned: a saved NetworkPredictor keeps its parameters only and
        must be bound again (``fit(model=model)``) after loading."""
        return {}

    def _set_state(self, state: Mapping[str, Any], device: str | None) -> None:
        if state:
            raise ValueError("a NetworkPredictor checkpoint holds no state")


def _minrn_design(model, network, target: str) -> tuple[np.ndarray | None, bool]:
    """The 0/1 vector (model order) of :meth:`NetworkPredictor._design`, and whether the
    search ran to its own limits (False when the caller's time limit stopped it first).

    The design reproduces the program that made the published strategies, not the
    advice :func:`cobra_gdel.search_deletions` gives: gDel_minRN has a binary for every
    gene (``ALGORITHMS.md``), so the spontaneous pseudo-genes are candidates here (the
    published e_coli_core strategies delete ``s0001`` in 17 % of rows; a returned design
    never does), and every MILP solve runs to its optimum (``search(..., exact=True)``).
    """
    from dataclasses import replace

    from ..coupling import get_checker
    from ..dataset_builder import canonical_deletions
    from ..design import NO_DESIGN
    from ..exceptions import NoProductionRouteError
    from ..problem import Clock, DesignTask
    from ..search import search

    caller = Clock.current()
    limit = MILP_SECONDS if caller is None else min(MILP_SECONDS, MILP_SHARE * caller.left())
    if limit < MILP_MIN_SECONDS:
        caller.mark("gDel_minRN lead")
        return None, False
    task = DesignTask.create(model, target, time_limit=limit)
    try:
        design = search(replace(task, protected=frozenset()), exact=True)
    except NoProductionRouteError:
        return None, True
    complete = limit >= MILP_SECONDS or not design.cut_short
    if not complete:
        caller.mark("gDel_minRN lead")
    if design.status == NO_DESIGN or not design.deletions:
        return None, complete
    deleted = canonical_deletions(get_checker(model).rules, design.deletions,
                                  order=network.genes)
    logger.info("%s: gDel_minRN design of %d genes (%s) leads the network scores", target,
                len(deleted), "coupled" if design.coupled else "not coupled")
    design = np.zeros(len(network.genes))
    design[[network.gene_index[g] for g in deleted]] = 1.0
    return design, complete
