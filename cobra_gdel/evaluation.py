"""Cross-validation over target metabolites, by the protocol of DESIGN.md.

Protocol (every accuracy figure): K-fold CV over target metabolites (default 10 folds),
repeated with several seeds (default 5); a fold's predictor is fitted on the training
targets only, so it never sees a test target's strategy; genes whose deletion share over
*all* strategies is ≥ 0.9 or ≤ 0.1 ("pre-determined") are left out of the scores but
kept for training; a gene is called deleted when P(deleted) ≥ 0.5 (fixed in advance);
the metrics of :func:`cobra_gdel.data.score_predictions` are computed per fold and
reported as mean ± standard deviation over all folds × repeats.

Folds (``groups``): ``"cluster"`` keeps every single-linkage cluster of structurally
similar targets (Morgan radius 2, 2048 bits, Tanimoto ≥ 0.7; a target without SMILES
is its own group) in one fold — DESIGN.md's protocol, since compartment copies,
epimers and chain homologues share strategies and a random split rewards recalling a
sibling; ``"structure"`` groups only identical canonical SMILES; None/``"none"`` is
a random split over targets. ``baseline=True`` scores the fold's frequency prior (each
gene's deletion share in the training targets) on the same folds, reported as
``"prior"`` beside the predictor.

Transfer is measured leave-one-model-out (:func:`leave_one_model_out`): a predictor
that reads the model is scored on a model whose strategies it never saw, beside the
reaction-id-transferred prior of the other models and the best constant answer.

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

from .data import (
    StrategyDataset,
    TargetKFold,
    cluster_groups,
    predetermined_genes,
    score_predictions,
    structure_groups,
)
from .gpr import RuleSet

logger = logging.getLogger(__name__)

__all__ = ["GROUPS", "METRICS", "cross_validate", "cross_validate_folds", "fit_predictor",
           "fold_groups", "leave_one_model_out", "reaction_prior", "summarise", "format_table"]

METRICS = ("accuracy", "precision", "recall", "f1", "auc")
#: The fold groupings of :func:`cross_validate`.
GROUPS = ("none", "structure", "cluster")


def fold_groups(dataset: StrategyDataset, groups: str | None) -> list[str] | None:
    """Group labels of *groups* (``"none"``/None, ``"structure"`` or ``"cluster"``)."""
    if groups in (None, "none"):
        return None
    if groups == "structure":
        return structure_groups(dataset)
    if groups == "cluster":
        return cluster_groups(dataset)
    raise ValueError(f"groups must be one of {GROUPS} or None, not {groups!r}")


def fit_predictor(estimator, train: StrategyDataset, model=None):
    """Fit *estimator* on *train*; one that reads the model too (``network``,
    ``gated``) gets *model* (ValueError without it). Returns the fitted estimator."""
    if getattr(estimator, "reads_model", False):
        if model is None:
            raise ValueError(f"predictor {estimator.name!r} reads the model: pass model=")
        return estimator.fit(train, model=model)
    return estimator.fit(train)


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
    model=None,
    baseline: bool = False,
) -> pd.DataFrame:
    """Per-fold scores of :func:`cross_validate` (one row per repeat × fold, and one more
    per fold for the fold prior when *baseline*).

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
    group_labels = fold_groups(dataset, groups)
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
            train_set, test_set = dataset.subset(train), dataset.subset(test)
            fit_predictor(est, train_set, model)
            proba = est.predict_frame(test_set)
            scores = score_predictions(test_set.labels, proba, exclude=exclude, threshold=0.5)
            rows.append(
                {"predictor": predictor, "repeat": rep, "fold": k, "n_test": len(test),
                 "seconds": time.perf_counter() - t0, **scores}
            )
            if baseline and predictor != "prior":
                prior = make_predictor("prior").fit(train_set).predict_frame(test_set)
                rows.append({"predictor": "prior", "repeat": rep, "fold": k, "n_test": len(test),
                             "seconds": 0.0, **score_predictions(test_set.labels, prior,
                                                                 exclude=exclude)})
            bar.update(1)
            bar.set_postfix(acc=f"{np.nanmean([r['accuracy'] for r in rows if r['predictor'] == predictor]):.4f}")
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
    model=None,
    baseline: bool = False,
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
    groups : {None, "none", "structure", "cluster"}
        ``"cluster"``: single-linkage structure clusters share a fold (DESIGN.md's
        protocol); ``"structure"``: identical canonical SMILES share a fold; None or
        ``"none"`` (default, for compatibility): a random split over targets.
    model : cobra.Model, optional
        The dataset's model, for predictors that read it (``"network"``).
    baseline : bool
        Also score the fold prior on the same folds (rows ``"prior"``).

    Returns
    -------
    pandas.DataFrame
        Columns ``predictor, metric, mean, std``; one row per metric (accuracy,
        precision, recall, f1, auc) and predictor; mean and sample std over all folds ×
        repeats (NaN fold values, e.g. AUC of a fold without a two-class target, are
        skipped).
    """
    per_fold = cross_validate_folds(
        dataset, predictor, folds=folds, repeats=repeats, seed=seed, device=device,
        params=params, progress=progress, groups=groups, model=model, baseline=baseline,
    )
    return pd.concat([summarise(per_fold[per_fold["predictor"] == name], name)
                      for name in dict.fromkeys(per_fold["predictor"])], ignore_index=True)


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
    present = set(df["metric"])
    metrics = [m for m in METRICS if m in present]
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


# ----------------------------------------------------------------------------- transfer
def reaction_prior(model, sources) -> pd.Series:
    """The reaction-id-transferred prior of *model*'s genes from other models' strategies.

    For each source ``(dataset, source_model)``, a reaction's share is the fraction of
    the source's strategies that disable it (through the source's GPR rules); a
    reaction's score is the mean of its shares over the sources that have it, and a
    gene's score the mean over its reactions. Genes whose reactions no source has get
    the mean score of the others.

    Parameters
    ----------
    model : cobra.Model
        The model whose genes are scored.
    sources : iterable of (StrategyDataset, cobra.Model)

    Returns
    -------
    pandas.Series
        Gene id → score in [0, 1], in model order.
    """
    shares: dict[str, list[float]] = {}
    for dataset, source in sources:
        rules = RuleSet(source)
        counts = dict.fromkeys(rules.rules, 0)
        genes = np.asarray(dataset.genes)
        for row in dataset.labels.to_numpy():
            for rid in rules.disabled(genes[row == 1]):
                if rid in counts:
                    counts[rid] += 1
        for rid, count in counts.items():
            shares.setdefault(rid, []).append(count / max(1, dataset.n_targets))
    mean_share = {rid: float(np.mean(v)) for rid, v in shares.items()}
    target_rules = RuleSet(model)
    scores = {}
    for gene in (g.id for g in model.genes):
        values = [mean_share[r] for r in target_rules.gene_reactions.get(gene, ())
                  if r in mean_share]
        scores[gene] = float(np.mean(values)) if values else np.nan
    out = pd.Series(scores, dtype=float)
    return out.fillna(out.mean() if out.notna().any() else 0.5)


def leave_one_model_out(datasets, models, predictor: str = "network", *,
                        params: dict | None = None, low: float = 0.1,
                        high: float = 0.9) -> pd.DataFrame:
    """Score a predictor on each model with the strategies of the others only.

    Parameters
    ----------
    datasets : sequence of StrategyDataset
        One per model (at least two).
    models : sequence of cobra.Model
        The matching models.
    predictor : str
        A predictor that reads the model (``"network"``): it is bound to the held-out
        model and never sees its strategies.
    params : dict, optional
        Its hyper-parameters.
    low, high : float
        Genes whose deletion share over the held-out model's strategies is ≤ *low* or
        ≥ *high* are pre-determined and left out of the scores.

    Returns
    -------
    pandas.DataFrame
        One row per held-out model and scorer (the predictor, ``"reaction prior"``:
        :func:`reaction_prior` of the other models, ``"constant"``: the better of
        "all deleted" and "all kept", chosen on the held-out labels, so an upper bound
        of any constant answer; its AUC is undefined): ``held_out, predictor,
        n_targets, n_genes_scored`` and the metrics.
    """
    from .predictors import make_predictor

    datasets, models = list(datasets), list(models)
    if len(datasets) != len(models) or len(datasets) < 2:
        raise ValueError("pass one model per dataset, at least two of each")
    rows = []
    for i, (held, model) in enumerate(zip(datasets, models)):
        exclude = predetermined_genes(held.labels, low, high)
        estimator = make_predictor(predictor, **(params or {}))
        if not getattr(estimator, "reads_model", False):
            raise ValueError(f"leave-one-model-out scores predictors that read the model, "
                             f"not {predictor!r}")
        scored = {predictor: estimator.fit(model=model).predict_frame(held)}
        others = [(d, m) for j, (d, m) in enumerate(zip(datasets, models)) if j != i]
        prior = reaction_prior(model, others).reindex(held.genes).fillna(0.5)
        scored["reaction prior"] = _tiled(held, prior.to_numpy())
        free = held.labels.drop(columns=exclude)
        share = float(free.to_numpy().mean()) if free.size else 0.5
        scored["constant"] = _tiled(held, np.full(len(held.genes), float(share >= 0.5)))
        for name, frame in scored.items():
            metrics = score_predictions(held.labels, frame, exclude=exclude)
            if name == "constant":
                metrics["auc"] = float("nan")
            rows.append({"held_out": held.model_id, "predictor": name,
                         "n_targets": held.n_targets,
                         "n_genes_scored": len(held.genes) - len(exclude), **metrics})
    return pd.DataFrame(rows)


def _tiled(dataset: StrategyDataset, row: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(np.tile(row, (dataset.n_targets, 1)), index=dataset.labels.index,
                        columns=dataset.labels.columns)
