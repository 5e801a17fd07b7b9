"""Cross-validation over target metabolites, by the protocol of DESIGN.md.

Protocol (every accuracy figure): K-fold CV over target metabolites (default 10 folds),
repeated with several seeds (default 5); a fold's predictor is fitted on the training
targets only, so it never sees a test target's strategy; genes whose deletion share over
*all* strategies is ≥ 0.9 or ≤ 0.1 ("pre-determined") are left out of the scores but
kept for training; a gene is called deleted when P(deleted) ≥ 0.5 (fixed in advance);
the metrics of :func:`cobra_gdel.data.score_predictions` are computed per fold and
reported as mean ± standard deviation over all folds × repeats.

Learned predictors' early stopping uses a validation split of the *training* targets.
For DeepGDel's fast path (``mode="pretrained"``) the label-free autoencoder
pre-training runs once on every SMILES and protein of the model and is copied into
every fold (no labels are used, so nothing leaks from the test targets).
"""

from __future__ import annotations

import copy
import logging
import time

import numpy as np
import pandas as pd

from .data import StrategyDataset, TargetKFold, predetermined_genes, score_predictions, structure_groups

logger = logging.getLogger(__name__)

__all__ = ["METRICS", "cross_validate", "cross_validate_folds", "summarise", "format_table"]

METRICS = ("accuracy", "precision", "recall", "f1", "auc")


def cross_validate_folds(
    dataset: StrategyDataset,
    predictor: str,
    *,
    folds: int = 10,
    repeats: int = 5,
    seed: int = 0,
    device: str = "cpu",
    params: dict | None = None,
    progress: bool = True,
    low: float = 0.1,
    high: float = 0.9,
    groups: str | None = None,
) -> pd.DataFrame:
    """Per-fold scores of :func:`cross_validate` (one row per repeat × fold).

    Returns
    -------
    pandas.DataFrame
        Columns ``predictor, repeat, fold, n_test, seconds`` and the metrics.
    """
    from tqdm.auto import tqdm

    from .predictors import make_predictor

    params = dict(params or {})
    exclude = predetermined_genes(dataset.labels, low, high)
    scored = dataset.n_targets and len(dataset.genes) - len(exclude)
    logger.info("%s: %d of %d genes pre-determined (left out of scores)", dataset.model_id, len(exclude), len(dataset.genes))
    if not scored:
        raise ValueError("every gene is pre-determined: nothing to score")
    learned_kw = {"device": device, "progress": False}
    base = make_predictor(predictor, **learned_kw, **params)
    if getattr(base, "mode", None) == "pretrained" and hasattr(base, "pretrain"):
        t0 = time.perf_counter()
        # label-free: sees SMILES and protein sequences only
        base.pretrain(dataset.smiles, dataset.sequences)
        logger.info("pre-trained encoders in %.1f s", time.perf_counter() - t0)
    if groups not in (None, "structure"):
        raise ValueError(f"groups must be None or 'structure', not {groups!r}")
    group_labels = structure_groups(dataset) if groups == "structure" else None
    rows = []
    total = folds * repeats
    bar = tqdm(total=total, desc=f"CV {predictor} {dataset.model_id or ''}", disable=not progress)
    for rep in range(repeats):
        split_seed = seed + rep
        for k, (train, test) in enumerate(TargetKFold(folds, split_seed).split(dataset.n_targets, group_labels)):
            t0 = time.perf_counter()
            est = copy.deepcopy(base)
            if "random_state" in est.get_params():
                est.set_params(random_state=split_seed * 1000 + k)
            est.fit(dataset.subset(train))
            test_set = dataset.subset(test)
            proba = est.predict_frame(test_set)
            scores = score_predictions(test_set.labels, proba, exclude=exclude, threshold=0.5)
            rows.append(
                {"predictor": predictor, "repeat": rep, "fold": k, "n_test": len(test),
                 "seconds": time.perf_counter() - t0, **scores}
            )
            bar.update(1)
            bar.set_postfix(acc=f"{np.nanmean([r['accuracy'] for r in rows]):.4f}")
    bar.close()
    return pd.DataFrame(rows)


def cross_validate(
    dataset: StrategyDataset,
    predictor: str,
    *,
    folds: int = 10,
    repeats: int = 5,
    seed: int = 0,
    device: str = "cpu",
    params: dict | None = None,
    progress: bool = True,
    groups: str | None = None,
) -> pd.DataFrame:
    """Repeated K-fold cross-validation over targets (see the module docstring).

    Parameters
    ----------
    dataset : StrategyDataset
    predictor : str
        A name for :func:`cobra_gdel.predictors.make_predictor`.
    folds, repeats : int
        10 and 5 by default (repeat ``r`` shuffles targets with seed ``seed + r``).
    seed : int
    device : str
        Passed to learned predictors.
    params : dict, optional
        Hyper-parameters for the predictor (fixed in advance; never tuned on test folds).
    progress : bool
        A tqdm bar over folds.
    groups : {None, "structure"}
        ``"structure"``: targets with the same canonical SMILES (one compound in
        several compartments) share a fold — a stricter split than DESIGN.md's, for
        predictors that use the target's structure. None (default): the DESIGN.md split.

    Returns
    -------
    pandas.DataFrame
        Columns ``predictor, metric, mean, std``; one row per metric (accuracy,
        precision, recall, f1, auc); mean and sample std over all folds × repeats
        (NaN fold values, e.g. AUC of a fold without a two-class target, are skipped).
    """
    per_fold = cross_validate_folds(
        dataset, predictor, folds=folds, repeats=repeats, seed=seed, device=device,
        params=params, progress=progress, groups=groups,
    )
    return summarise(per_fold, predictor)


def summarise(per_fold: pd.DataFrame, predictor: str | None = None) -> pd.DataFrame:
    """Mean and std over folds of a :func:`cross_validate_folds` table."""
    name = predictor or str(per_fold["predictor"].iloc[0])
    rows = []
    for m in METRICS:
        vals = per_fold[m].to_numpy(dtype=float)
        vals = vals[~np.isnan(vals)]
        rows.append({"predictor": name, "metric": m,
                     "mean": float(vals.mean()) if len(vals) else float("nan"),
                     "std": float(vals.std(ddof=1)) if len(vals) > 1 else float("nan")})
    return pd.DataFrame(rows, columns=["predictor", "metric", "mean", "std"])


def format_table(df: pd.DataFrame, percent: bool = True) -> str:
    """A markdown table: one row per predictor, one column per metric, ``mean ± std``.

    Parameters
    ----------
    df : pandas.DataFrame
        Output of :func:`cross_validate` (or several concatenated).
    percent : bool
        Show values as percentages.
    """
    scale = 100.0 if percent else 1.0
    metrics = [m for m in METRICS if m in set(df["metric"])]
    preds = list(dict.fromkeys(df["predictor"]))
    lines = ["| predictor | " + " | ".join(metrics) + " |", "|---" * (len(metrics) + 1) + "|"]
    for p in preds:
        sub = df[df["predictor"] == p].set_index("metric")
        cells = []
        for m in metrics:
            mean, std = sub.loc[m, "mean"] * scale, sub.loc[m, "std"] * scale
            cells.append(f"{mean:.2f} ± {std:.2f}" if percent else f"{mean:.4f} ± {std:.4f}")
        lines.append(f"| {p} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
