"""Metrics of the DeepGDel paper: pooled accuracy, per-target macro scores, per-target AUC."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

__all__ = ["accuracy", "target_macro_scores", "target_auc", "score_predictions"]


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Pooled accuracy over all (target, gene) pairs."""
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    return float(np.mean(y_true == y_pred)) if y_true.size else float("nan")


def _macro_prf(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float, float]:
    """Macro (over classes 0 and 1) precision, recall, F1 of one target.

    Matches ``sklearn.metrics.precision_recall_fscore_support(average="macro",
    zero_division=0)``: classes are those present in *y_true* or *y_pred*.
    """
    classes = np.union1d(y_true, y_pred)
    p, r, f = [], [], []
    for c in classes:
        tp = np.sum((y_pred == c) & (y_true == c))
        pp, ap = np.sum(y_pred == c), np.sum(y_true == c)
        prec = tp / pp if pp else 0.0
        rec = tp / ap if ap else 0.0
        p.append(prec)
        r.append(rec)
        f.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return float(np.mean(p)), float(np.mean(r)), float(np.mean(f))


def target_macro_scores(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float, float]:
    """Per-target macro precision, recall and F1, each averaged over targets (rows)."""
    y_true, y_pred = np.atleast_2d(y_true), np.atleast_2d(y_pred)
    scores = np.array([_macro_prf(t, p) for t, p in zip(y_true, y_pred) if t.size])
    if not len(scores):
        return float("nan"), float("nan"), float("nan")
    return tuple(float(x) for x in scores.mean(axis=0))  # type: ignore[return-value]


def _auc(y_true: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC (Mann-Whitney, ties count one half) of one target."""
    pos, neg = score[y_true == 1], score[y_true == 0]
    ranks = pd.Series(np.concatenate([pos, neg])).rank(method="average").to_numpy()
    n_pos, n_neg = len(pos), len(neg)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def target_auc(y_true: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC per target (row), averaged over targets whose row has both classes."""
    y_true, score = np.atleast_2d(y_true), np.atleast_2d(score)
    aucs = [_auc(t, s) for t, s in zip(y_true, score) if 0 < t.sum() < t.size]
    return float(np.mean(aucs)) if aucs else float("nan")


def score_predictions(
    labels: pd.DataFrame,
    proba: pd.DataFrame,
    *,
    exclude: Sequence[str] = (),
    threshold: float = 0.5,
) -> dict[str, float]:
    """Score predicted deletion probabilities against true strategies.

    Parameters
    ----------
    labels : pandas.DataFrame
        Targets × genes, 0/1.
    proba : pandas.DataFrame
        Targets × genes, P(deleted); aligned to *labels* by index and columns.
    exclude : sequence of str
        Genes left out of the scores (the pre-determined ones).
    threshold : float
        A gene is predicted deleted when its probability is ≥ *threshold*.

    Returns
    -------
    dict
        ``accuracy`` (pooled), ``precision``, ``recall``, ``f1`` (per-target macro,
        averaged over targets) and ``auc`` (per-target, averaged over targets with
        both classes; NaN when none has).
    """
    genes = [g for g in labels.columns if g not in set(exclude)]
    y = labels.loc[:, genes].to_numpy()
    p = proba.loc[labels.index, genes].to_numpy(dtype=float)
    if np.isnan(p).any():
        raise ValueError("predicted probabilities contain NaN")
    pred = (p >= threshold).astype(np.int8)
    precision, recall, f1 = target_macro_scores(y, pred)
    return {
        "accuracy": accuracy(y, pred),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "auc": target_auc(y, p),
    }
