"""The transferable predictor: minimal production networks read from the model itself.

:class:`NetworkPredictor` needs no training data, no SMILES and no protein sequence:
it is bound to a cobra model (``NetworkPredictor().fit(model=model)``) and scores a
target by the minimal-network LPs of :mod:`cobra_gdel.network_features`. A gene's
P(deleted) is 1 − the share of the LP variants (by default six: three production
levels, before and after one re-weighting) whose decoded network keeps it; a target
the model can not produce while growing gets 0.5 for every gene.

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

from ..network_features import LEVELS, REWEIGHTS, network_for
from .base import BasePredictor

logger = logging.getLogger(__name__)

__all__ = ["NetworkPredictor"]


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
    """

    name = "network"
    #: ``fit`` takes the model (``fit(model=model)``), not a strategy dataset.
    reads_model: ClassVar[bool] = True

    def __init__(self, levels: Sequence = LEVELS, reweights: Sequence[int] = REWEIGHTS) -> None:
        self.levels = levels
        self.reweights = reweights

    def _validate_params(self) -> tuple[tuple, tuple]:
        levels = tuple(self.levels)
        reweights = tuple(int(r) for r in self.reweights)
        if not levels or not reweights:
            raise ValueError("levels and reweights must not be empty")
        for level in levels:
            if level != "abs" and not (isinstance(level, (int, float)) and 0 < level <= 1):
                raise ValueError(f"a level is 'abs' or a share in (0, 1], not {level!r}")
        if min(reweights) < 0:
            raise ValueError("reweights are re-weighting rounds >= 0")
        return levels, reweights

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
        levels, reweights = self._validate_params()
        if model is None:
            raise ValueError("NetworkPredictor reads a cobra model: call fit(model=model)")
        self.levels_, self.reweights_ = levels, reweights
        self.network_ = network_for(model)
        self.model_id_ = model.id
        self.genes_ = list(self.network_.genes)
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
        scores = self.network_.scores(target, self.levels_, self.reweights_)
        full = pd.Series(scores, index=pd.Index(self.genes_, name="gene"), name=target)
        if genes is None:
            return full
        return full.reindex(list(genes)).fillna(0.5).rename(target)

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
