"""The frequency prior: a gene's deletion share among the training strategies."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .base import BasePredictor

logger = logging.getLogger(__name__)

__all__ = ["PriorPredictor"]


class PriorPredictor(BasePredictor):
    """P(deleted | gene) = the gene's deletion share in the training strategies.

    The same vector is returned for every target (the predictor ignores the target).
    A gene absent from training gets the mean share over all training genes and pairs.

    Parameters
    ----------
    smoothing : float
        Additive (Laplace) smoothing: ``(n_deleted + smoothing) / (n + 2 * smoothing)``.
        0 (default) gives the raw share.
    """

    name = "prior"

    def __init__(self, smoothing: float = 0.0) -> None:
        self.smoothing = smoothing

    def fit(self, dataset: Any) -> PriorPredictor:
        """Count deletions per gene over the dataset's targets."""
        labels = dataset.labels
        n = labels.shape[0]
        if n == 0:
            raise ValueError("cannot fit on a dataset without targets")
        deleted = labels.sum(axis=0).astype(float)
        self.share_ = (deleted + self.smoothing) / (n + 2 * self.smoothing)
        self.genes_ = list(labels.columns)
        self.default_ = float(labels.to_numpy().mean())
        self.n_targets_ = n
        return self

    def _gene_share(self, genes: Sequence[str]) -> np.ndarray:
        return self.share_.reindex(list(genes)).fillna(self.default_).to_numpy(dtype=float)

    def predict_proba(
        self,
        target: str,
        *,
        smiles: str | None = None,
        sequences: Mapping[str, str] | None = None,
        genes: Sequence[str] | None = None,
    ) -> pd.Series:
        """The training deletion share of each gene (independent of *target*)."""
        self._check_fitted()
        genes = self.genes_ if genes is None else list(genes)
        return pd.Series(self._gene_share(genes), index=pd.Index(genes, name="gene"), name=target)

    def predict_frame(self, dataset: Any, targets: Sequence[str] | None = None) -> pd.DataFrame:
        """Batched :meth:`predict_proba` (one row per target)."""
        self._check_fitted()
        targets = list(dataset.targets if targets is None else targets)
        row = self._gene_share(dataset.genes)
        return pd.DataFrame(
            np.tile(row, (len(targets), 1)),
            index=pd.Index(targets, name="metabolite"),
            columns=pd.Index(dataset.genes, name="gene"),
        )

    def _get_state(self) -> dict[str, Any]:
        return {
            "gene_ids": list(self.genes_),
            "share": [float(x) for x in self.share_.to_numpy()],
            "default": self.default_,
            "n_targets": int(self.n_targets_),
        }

    def _set_state(self, state: Mapping[str, Any], device: str | None) -> None:
        genes, share = list(state["gene_ids"]), list(state["share"])
        if len(genes) != len(share):
            raise ValueError("gene_ids and share differ in length")
        self.genes_ = genes
        self.share_ = pd.Series(share, index=genes, dtype=float)
        self.default_ = float(state["default"])
        self.n_targets_ = int(state["n_targets"])
