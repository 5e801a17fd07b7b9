"""Readers, datasets, target-wise CV splits and metrics of cobra_gdel.data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cobra_gdel import data as D
from cobra_gdel.data import StrategyDataset, TargetKFold, target_folds, toy_dataset


def test_read_strategies_fasta_smiles(tmp_path):
    (tmp_path / "strategies.csv").write_text("metabolite,g1,g2,g3\nm1_c,1,0,1\nm2_c,0,0,1\n")
    (tmp_path / "proteins.fasta").write_text(">g1 desc\nMKT\nAYI\n>g2\nmsl*\n")
    (tmp_path / "smiles.tsv").write_text("metabolite\tsmiles\nm1_c\tCCO\nm2_c\t\nm3_c\tCC(=O)O\n")
    labels = D.read_strategies(tmp_path / "strategies.csv")
    assert list(labels.index) == ["m1_c", "m2_c"] and list(labels.columns) == ["g1", "g2", "g3"]
    assert labels.dtypes.unique().tolist() == [np.dtype("int8")]
    assert D.read_fasta(tmp_path / "proteins.fasta") == {"g1": "MKTAYI", "g2": "MSL"}
    assert D.read_smiles(tmp_path / "smiles.tsv") == {"m1_c": "CCO", "m2_c": None, "m3_c": "CC(=O)O"}
    ds = StrategyDataset.from_folder(tmp_path)
    assert ds.model_id == tmp_path.name and ds.n_targets == 2 and ds.genes == ["g1", "g2", "g3"]
    assert ds.target_smiles() == ["CCO", None]
    sub = ds.subset(["m2_c"])
    assert sub.targets == ["m2_c"] and sub.smiles is ds.smiles
    assert ds.subset(np.array([1])).targets == ["m2_c"]
    with pytest.raises(KeyError):
        ds.subset(["nope"])


def test_read_strategies_rejects_bad_values(tmp_path):
    (tmp_path / "s.csv").write_text("metabolite,g1\nm1,2\n")
    with pytest.raises(ValueError, match="0 or 1"):
        D.read_strategies(tmp_path / "s.csv")
    (tmp_path / "t.csv").write_text("met,g1\nm1,1\n")
    with pytest.raises(ValueError, match="metabolite"):
        D.read_strategies(tmp_path / "t.csv")


@pytest.mark.parametrize("n,k,seed", [(35, 10, 0), (86, 10, 3), (12, 4, 1)])
def test_target_folds_partition_and_no_leak(n, k, seed):
    seen = []
    for train, test in target_folds(n, k, seed):
        assert not set(train) & set(test)  # a test target is never in training
        assert len(train) + len(test) == n
        seen.extend(test)
    assert sorted(seen) == list(range(n))
    again = [t.tolist() for _, t in TargetKFold(k, seed).split(n)]
    assert again == [t.tolist() for _, t in target_folds(n, k, seed)]  # seeded
    assert again != [t.tolist() for _, t in target_folds(n, k, seed + 1)]


def test_target_folds_too_few():
    with pytest.raises(ValueError):
        list(target_folds(3, 10, 0))


def test_predetermined_genes():
    labels = pd.DataFrame({"a": [1] * 10, "b": [1] * 9 + [0], "c": [1] * 5 + [0] * 5, "d": [0] * 10,
                           "e": [1] + [0] * 9, "f": [1, 1] + [0] * 8})
    assert D.predetermined_genes(labels) == ["a", "b", "d", "e"]


def test_metrics_match_sklearn():
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=(7, 30))
    y[3] = 1  # one single-class target: no AUC for it
    score = rng.random((7, 30))
    pred = (score >= 0.5).astype(int)
    assert D.accuracy(y, pred) == pytest.approx(sk.accuracy_score(y.ravel(), pred.ravel()))
    p, r, f = D.target_macro_scores(y, pred)
    ref = np.array([sk.precision_recall_fscore_support(t, q, average="macro", zero_division=0)[:3]
                    for t, q in zip(y, pred)]).mean(axis=0)
    assert (p, r, f) == pytest.approx(tuple(ref))
    aucs = [sk.roc_auc_score(t, s) for t, s in zip(y, score) if 0 < t.sum() < len(t)]
    assert D.target_auc(y, score) == pytest.approx(np.mean(aucs))
    # ties in scores
    tied = np.round(score, 1)
    aucs = [sk.roc_auc_score(t, s) for t, s in zip(y, tied) if 0 < t.sum() < len(t)]
    assert D.target_auc(y, tied) == pytest.approx(np.mean(aucs))


def test_score_predictions_excludes_genes():
    labels = pd.DataFrame([[1, 0, 1], [0, 0, 1]], index=["m1", "m2"], columns=["a", "b", "c"])
    proba = pd.DataFrame([[0.9, 0.6, 0.1], [0.2, 0.1, 0.1]], index=["m1", "m2"], columns=["a", "b", "c"])
    s = D.score_predictions(labels, proba, exclude=["c"])
    assert s["accuracy"] == pytest.approx(3 / 4)
    assert s["auc"] == pytest.approx(1.0)  # m1: a=1 (0.9) vs b=0 (0.6); m2 single-class


def test_toy_dataset_shape():
    ds = toy_dataset(10, 6)
    assert ds.labels.shape == (10, 6) and set(ds.smiles) == set(ds.targets)


def test_real_data_loads():
    folder = D.data_dir("e_coli_core")
    if folder is None:
        pytest.skip("shared strategy data not found (set COBRA_GDEL_DATA or ../shared/data)")
    ds = StrategyDataset.from_folder(folder)
    assert ds.model_id == "e_coli_core" and ds.labels.shape == (35, 137)
    assert "s0001" not in ds.sequences and all(ds.smiles.get(t) for t in ds.targets)


def test_grouped_folds_keep_groups_together():
    groups = ["a", "a", "b", "c", "c", "c", "d", "e", "f", "f", "g", "h"]
    seen = []
    for train, test in target_folds(len(groups), 4, 0, groups=groups):
        test_groups = {groups[i] for i in test}
        assert not test_groups & {groups[i] for i in train}
        seen.extend(test)
    assert sorted(seen) == list(range(len(groups)))
    with pytest.raises(ValueError):
        list(target_folds(4, 4, 0, groups=["a", "a", "b", "b"]))


def test_structure_groups():
    ds = StrategyDataset(pd.DataFrame([[1], [0], [1]], index=["x_c", "x_e", "y_c"], columns=["g"]),
                         {"x_c": "OCC", "x_e": "CCO", "y_c": None}, {})
    assert D.structure_groups(ds) == ["CCO", "CCO", "<id:y_c>"]
