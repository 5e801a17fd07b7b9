"""Structure-similarity neighbours blended with the frequency prior (not in the paper).

Many targets are the same or closely related compounds (``lys__L_c`` / ``lys__L_v``,
``ala__L_c`` / ``ala__L_e``, ...), whose strategies overlap. This predictor scores a
target by the strategies of its most similar training targets (Tanimoto similarity of
RDKit Morgan fingerprints) and blends them with the gene's training deletion share:

    P = (1 - α) · share + α · Σ_i w_i y_i / Σ_i w_i,   w_i = sim_i over the k nearest

``k`` and ``α`` are chosen inside ``fit`` by leave-one-out over the *training* targets
only (accuracy on the genes that are not pre-determined within the training targets,
log-loss as tie-break), so nothing from a test fold is used. A target without a SMILES,
or without any similar training target (all similarities 0), gets the prior.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import MissingInputError
from ..features import canonical_smiles, morgan_fingerprints
from .base import BasePredictor

logger = logging.getLogger(__name__)

__all__ = ["KNNPredictor"]

_KS = (1, 2, 3, 5, 10)
_ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0)


def _tanimoto(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.astype(np.float32), b.astype(np.float32)
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _knn(sim: np.ndarray, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Similarity-weighted mean of the k nearest rows of *y*; and whether any had sim > 0."""
    k = min(k, sim.shape[1])
    idx = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    w = np.take_along_axis(sim, idx, 1)
    tot = w.sum(1)
    pred = np.einsum("tk,tkg->tg", w, y[idx]) / np.where(tot > 0, tot, 1)[:, None]
    return pred, tot > 0


class KNNPredictor(BasePredictor):
    """Tanimoto k-nearest-neighbour targets blended with the frequency prior.

    Parameters
    ----------
    k : int or None
        Neighbours; None (default) chooses from (1, 2, 3, 5, 10) by leave-one-out over
        the training targets.
    alpha : float or None
        Weight of the neighbours vs the prior; None chooses from
        (0, 0.25, 0.5, 0.75, 1) by the same leave-one-out.
    radius, n_bits : int
        Morgan fingerprint settings.
    """

    name = "knn"

    def __init__(self, k: int | None = None, alpha: float | None = None, radius: int = 2, n_bits: int = 2048) -> None:
        self.k = k
        self.alpha = alpha
        self.radius = radius
        self.n_bits = n_bits

    def fit(self, dataset: Any) -> KNNPredictor:
        """Store the training strategies and fingerprints; choose k and α by LOO."""
        labels = dataset.labels
        n = labels.shape[0]
        if n == 0:
            raise ValueError("cannot fit on a dataset without targets")
        targets = list(labels.index)
        smiles = {t: dataset.smiles.get(t) for t in targets}
        for t, s in smiles.items():
            if s:
                canonical_smiles(s, t)  # invalid -> ValueError naming the target
        y = labels.to_numpy().astype(np.float32)
        fp = morgan_fingerprints([smiles[t] for t in targets], self.radius, self.n_bits)
        self.genes_ = list(labels.columns)
        self.targets_ = targets
        self.y_ = y
        self.share_ = y.mean(0)
        self.default_ = float(y.mean())
        self.k_, self.alpha_ = self._choose(fp, y)
        # fingerprints of every metabolite with a SMILES (labelled or not) for inference
        extra = [m for m, s in dataset.smiles.items() if s and m not in smiles]
        self.metabolites_ = targets + extra
        self.fingerprints_ = np.concatenate(
            [fp, morgan_fingerprints([dataset.smiles[m] for m in extra], self.radius, self.n_bits)]
        )
        self._index = {m: i for i, m in enumerate(self.metabolites_)}
        logger.info("knn: k=%d alpha=%.2f", self.k_, self.alpha_)
        return self

    def _choose(self, fp: np.ndarray, y: np.ndarray) -> tuple[int, float]:
        ks = _KS if self.k is None else (self.k,)
        alphas = _ALPHAS if self.alpha is None else (self.alpha,)
        if len(ks) == 1 and len(alphas) == 1 or y.shape[0] < 3:
            return ks[0] if self.k is not None else 3, alphas[0] if self.alpha is not None else 0.5
        n = y.shape[0]
        sim = _tanimoto(fp, fp)
        np.fill_diagonal(sim, -1.0)  # leave one out
        share = y.mean(0)
        # the leave-one-out prior of target i excludes its own strategy
        loo_share = (share[None, :] * n - y) / (n - 1)
        informative = (share > 0.1) & (share < 0.9)
        if not informative.any():
            informative = np.ones_like(share, dtype=bool)
        best, choice = None, (ks[0], alphas[0])
        for k in ks:
            nn_pred, has = _knn(np.clip(sim, 0, None) * (sim >= 0), y, k)
            for a in alphas:
                p = np.where(has[:, None], (1 - a) * loo_share + a * nn_pred, loo_share)[:, informative]
                t = y[:, informative]
                acc = np.mean((p >= 0.5) == (t == 1))
                pc = np.clip(p, 1e-3, 1 - 1e-3)
                ll = -np.mean(t * np.log(pc) + (1 - t) * np.log(1 - pc))
                key = (acc, -ll)
                if best is None or key > best:
                    best, choice = key, (k, a)
        return choice

    def _predict_rows(self, fps: np.ndarray, genes: Sequence[str]) -> np.ndarray:
        sim = _tanimoto(fps, self.fingerprints_[: len(self.targets_)])
        nn_pred, has = _knn(sim, self.y_, self.k_)
        p = np.where(has[:, None], (1 - self.alpha_) * self.share_[None, :] + self.alpha_ * nn_pred,
                     self.share_[None, :])
        index = {g: i for i, g in enumerate(self.genes_)}
        cols = [index.get(g, -1) for g in genes]
        out = np.full((len(fps), len(genes)), self.default_, dtype=float)
        known = [j for j, c in enumerate(cols) if c >= 0]
        out[:, known] = p[:, [cols[j] for j in known]]
        return out

    def _fingerprints(self, targets: Sequence[str], smiles: Mapping[str, str | None], strict: bool) -> np.ndarray:
        rows = []
        for t in targets:
            if t in self._index:
                rows.append(self.fingerprints_[self._index[t]])
                continue
            smi = smiles.get(t)
            if not smi and strict:
                raise MissingInputError(f"target {t!r} was not seen in training; pass its SMILES (smiles=...)")
            if smi:
                canonical_smiles(smi, t)
            rows.append(morgan_fingerprints([smi], self.radius, self.n_bits)[0])
        return np.stack(rows) if rows else np.zeros((0, self.n_bits), dtype=bool)

    def predict_proba(
        self,
        target: str,
        *,
        smiles: str | None = None,
        sequences: Mapping[str, str] | None = None,
        genes: Sequence[str] | None = None,
    ) -> pd.Series:
        """P(deleted) per gene; an unseen target needs *smiles* (sequences are unused)."""
        self._check_fitted()
        genes = list(self.genes_ if genes is None else genes)
        fps = self._fingerprints([target], {target: smiles}, strict=True)
        return pd.Series(self._predict_rows(fps, genes)[0], index=pd.Index(genes, name="gene"), name=target)

    def predict_frame(self, dataset: Any, targets: Sequence[str] | None = None) -> pd.DataFrame:
        """Batched predictions; a target without any SMILES gets the prior."""
        self._check_fitted()
        targets = list(dataset.targets if targets is None else targets)
        fps = self._fingerprints(targets, dataset.smiles, strict=False)
        return pd.DataFrame(self._predict_rows(fps, dataset.genes), index=pd.Index(targets, name="metabolite"),
                            columns=pd.Index(dataset.genes, name="gene"))

    def knows_target(self, metabolite_id: str) -> bool:
        """True when *metabolite_id*'s fingerprint is cached (no SMILES needed)."""
        self._check_fitted()
        return metabolite_id in self._index

    def known_metabolites(self) -> list[str]:
        """Ids of the metabolites whose fingerprints are cached."""
        self._check_fitted()
        return list(self.metabolites_)

    def _get_state(self) -> dict[str, Any]:
        import torch

        return {
            "gene_ids": list(self.genes_),
            "target_ids": list(self.targets_),
            "labels": torch.from_numpy(self.y_.astype(np.int8)),
            "metabolite_ids": list(self.metabolites_),
            "fingerprints": torch.from_numpy(np.packbits(self.fingerprints_, axis=1)),
            "k": int(self.k_),
            "alpha": float(self.alpha_),
        }

    def _set_state(self, state: Mapping[str, Any], device: str | None) -> None:
        self.genes_ = list(state["gene_ids"])
        self.targets_ = list(state["target_ids"])
        self.y_ = state["labels"].numpy().astype(np.float32)
        if self.y_.shape != (len(self.targets_), len(self.genes_)):
            raise ValueError("labels do not match the target and gene ids")
        self.share_ = self.y_.mean(0)
        self.default_ = float(self.y_.mean())
        self.metabolites_ = list(state["metabolite_ids"])
        fp = np.unpackbits(state["fingerprints"].numpy(), axis=1)[:, : self.n_bits].astype(bool)
        if fp.shape[0] != len(self.metabolites_):
            raise ValueError("fingerprints do not match the metabolite ids")
        self.fingerprints_ = fp
        self.k_, self.alpha_ = int(state["k"]), float(state["alpha"])
        self._index = {m: i for i, m in enumerate(self.metabolites_)}
