"""BPM, the DeepGDel paper's proportion-threshold baseline."""

from __future__ import annotations

import logging
from collections.abc import Sequence
import numpy as np

from .prior import PriorPredictor

logger = logging.getLogger(__name__)

__all__ = ["BPMPredictor"]


class BPMPredictor(PriorPredictor):
    """Baseline Prediction Method (paper section IV-C).

    For each gene the proportion of *non-deleted* occurrences in the training
    strategies, ``r = n_kept / (n_kept + n_deleted)``, is compared with a threshold
    ``θ``: ``r < θ`` → deleted, ``r > θ`` → kept. The output "probability" is therefore
    hard: 1.0 (deleted) or 0.0 (kept); a gene with ``r == θ`` exactly (and a gene unseen
    in training) gets its share-based value ``1 - r`` (0.5 at the default θ), so it
    counts as deleted at the fixed 0.5 decision threshold.

    Parameters
    ----------
    threshold : float
        ``θ`` (0.5, the paper's default).

    Notes
    -----
    The paper fits BPM on class-balanced training data; here it sees the raw training
    fold, like every other predictor, so it differs from the frequency prior only in
    giving hard 0/1 outputs (which makes its per-target AUC uninformative).
    """

    name = "bpm"

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    #: BPM uses the raw share (the prior's smoothing parameter, fixed at 0).
    smoothing = 0.0

    def _gene_share(self, genes: Sequence[str]) -> np.ndarray:
        share = super()._gene_share(genes)
        kept = 1.0 - share
        out = np.where(kept < self.threshold, 1.0, np.where(kept > self.threshold, 0.0, share))
        unseen = ~np.isin(np.asarray(list(genes), dtype=object), np.asarray(self.genes_, dtype=object))
        out[unseen] = share[unseen]
        return out
