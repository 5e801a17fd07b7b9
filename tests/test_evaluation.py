"""Cross-validation protocol and table formatting (toy data; the prior is instant)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cobra_gdel.data import StrategyDataset, data_dir, predetermined_genes, score_predictions, toy_dataset
from cobra_gdel.evaluation import METRICS, cross_validate, cross_validate_folds, format_table
from cobra_gdel.predictors import PriorPredictor


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _dataset(n_targets=20, n_genes=12, seed=0):
    rng = np.random.default_rng(seed)
    share = rng.uniform(0.2, 0.8, n_genes)
    labels = (rng.random((n_targets, n_genes)) < share).astype(int)
    frame = pd.DataFrame(labels, index=[f"t{i}" for i in range(n_targets)], columns=[f"g{j}" for j in range(n_genes)])
    return StrategyDataset(frame, {}, {}, "synthetic")


def test_cross_validate_columns_and_values():
    ds = _dataset()
    out = cross_validate(ds, "prior", folds=5, repeats=2, progress=False)
    assert list(out.columns) == ["predictor", "metric", "mean", "std"]
    assert list(out["metric"]) == list(METRICS) and set(out["predictor"]) == {"prior"}
    assert out["mean"].between(0, 1).all()
    folds = cross_validate_folds(ds, "prior", folds=5, repeats=2, progress=False)
    assert len(folds) == 10 and folds["n_test"].sum() == 2 * ds.n_targets
    assert out.set_index("metric").loc["accuracy", "mean"] == pytest.approx(folds["accuracy"].mean())
    assert out.set_index("metric").loc["accuracy", "std"] == pytest.approx(folds["accuracy"].std(ddof=1))


def test_training_never_sees_test_targets(monkeypatch):
    ds = _dataset()
    seen: list[tuple[set, set]] = []
    orig_fit, orig_frame = PriorPredictor.fit, PriorPredictor.predict_frame

    def fit(self, dataset):
        self._trained_on = set(dataset.targets)
        return orig_fit(self, dataset)

    def predict_frame(self, dataset, targets=None):
        seen.append((self._trained_on, set(dataset.targets if targets is None else targets)))
        return orig_frame(self, dataset, targets)

    monkeypatch.setattr(PriorPredictor, "fit", fit)
    monkeypatch.setattr(PriorPredictor, "predict_frame", predict_frame)
    cross_validate(ds, "prior", folds=4, repeats=2, progress=False)
    assert len(seen) == 8
    for trained, tested in seen:
        assert not trained & tested
        assert trained | tested == set(ds.targets)


def test_prior_fold_matches_manual_computation():
    ds = _dataset(seed=2)
    folds = cross_validate_folds(ds, "prior", folds=4, repeats=1, seed=7, progress=False)
    from cobra_gdel.data import target_folds

    exclude = predetermined_genes(ds.labels)
    train, test = next(iter(target_folds(ds.n_targets, 4, 7)))
    share = ds.labels.iloc[train].mean()
    truth = ds.labels.iloc[test]
    proba = pd.DataFrame(np.tile(share.to_numpy(), (len(test), 1)), index=truth.index, columns=truth.columns)
    ref = score_predictions(truth, proba, exclude=exclude)
    assert folds.iloc[0]["accuracy"] == pytest.approx(ref["accuracy"])


def test_format_table():
    df = pd.DataFrame({"predictor": ["p"] * 5, "metric": list(METRICS), "mean": [0.5, 0.6, 0.7, 0.8, 0.9],
                       "std": [0.01] * 5})
    text = format_table(df)
    assert text.splitlines()[0] == "| predictor | accuracy | precision | recall | f1 | auc |"
    assert "| p | 50.00 ± 1.00 | 60.00 ± 1.00" in text


def test_learned_predictor_cv_runs_on_toy():
    ds = toy_dataset(10, 6)
    out = cross_validate(ds, "dnn", folds=2, repeats=1, progress=False,
                         params={"epochs": 2, "embedding_dim": 8, "hidden": 8})
    assert out["mean"].notna().any()


@pytest.mark.slow
def test_prior_cv_on_e_coli_core():
    folder = data_dir("e_coli_core")
    if folder is None:
        pytest.skip("shared strategy data not found (set COBRA_GDEL_DATA or ../shared/data)")
    ds = StrategyDataset.from_folder(folder)
    out = cross_validate(ds, "prior", folds=10, repeats=5, progress=False).set_index("metric")
    assert 0.6 < out.loc["accuracy", "mean"] < 0.8
