"""The gated predictor: a learned predictor that hands targets whose minimal production
networks are novel to the network predictor (no data files needed: a toy strategy
table on textbook, learned by the frequency prior)."""

from __future__ import annotations

import copy

import cobra
import numpy as np
import pandas as pd
import pytest

import cobra_gdel
from cobra_gdel.data import StrategyDataset
from cobra_gdel.exceptions import CheckpointError, NotFittedError
from cobra_gdel.predictors import GatedPredictor, NetworkPredictor, load_predictor, make_predictor

TRAIN = ["succ_e", "ac_e", "etoh_e", "for_e", "lac__D_e"]


@pytest.fixture(scope="module")
def toy(textbook):
    """Strategies of five textbook targets (their network decisions) and a gated
    predictor learned from them with the prior."""
    network = NetworkPredictor().fit(model=textbook)
    labels = pd.DataFrame([(network.predict_proba(t) >= 0.5).astype(int) for t in TRAIN],
                          index=TRAIN)
    dataset = StrategyDataset(labels, {}, {}, "toy")
    return dataset, GatedPredictor(base="prior").fit(dataset, model=textbook)


def test_training_targets_are_not_novel_and_get_the_learned_scores(toy):
    dataset, gated = toy
    prior = make_predictor("prior").fit(dataset)
    for target in TRAIN:
        assert gated.novelty(target) == 0.0
        assert gated.scored_by(target) is None
        pd.testing.assert_series_equal(gated.predict_proba(target), prior.predict_proba(target))
    assert gated.kept_targets_ == TRAIN


def test_a_novel_target_gets_the_network_scores(toy, textbook):
    _dataset, gated = toy
    # glyoxylate's network keeps the glyoxylate shunt, which no training network uses
    assert gated.novelty("glx_c") >= gated.threshold
    assert gated.scored_by("glx_c") == "network"
    network = NetworkPredictor().fit(model=textbook).predict_proba("glx_c", genes=gated.genes_)
    pd.testing.assert_series_equal(gated.predict_proba("glx_c"), network)
    # a threshold above every novelty hands nothing over
    strict = GatedPredictor(base="prior", threshold=1.0).fit(_dataset, model=textbook)
    assert strict.scored_by("glx_c") is None
    assert gated.novelty("not_a_metabolite") is None
    with pytest.raises(ValueError, match="glx_c"):  # a bad SMILES raises, novel or not
        gated.predict_proba("glx_c", smiles="C1CC(")


def test_predict_frame_matches_predict_proba(toy):
    dataset, gated = toy
    frame = gated.predict_frame(dataset, ["succ_e", "glx_c"])
    for target in ("succ_e", "glx_c"):
        expected = gated.predict_proba(target, genes=dataset.genes).to_numpy()
        np.testing.assert_allclose(frame.loc[target].to_numpy(), expected)


def test_round_trip_needs_binding(toy, textbook, tmp_path):
    _dataset, gated = toy
    path = tmp_path / "gated.pt"
    gated.save(path)
    loaded = load_predictor(path)
    with pytest.raises(NotFittedError, match="bound"):
        loaded.predict_proba("succ_e")
    loaded.fit(model=textbook)
    for target in ("succ_e", "glx_c"):
        pd.testing.assert_series_equal(loaded.predict_proba(target), gated.predict_proba(target))
    data = torch_load(path)
    data["state"]["kept"][0] = [10**6]
    broken = tmp_path / "broken.pt"
    torch_save(data, broken)
    with pytest.raises(CheckpointError, match="do not match"):
        load_predictor(broken)


def torch_load(path):
    import torch

    return torch.load(path, weights_only=True)


def torch_save(data, path):
    import torch

    torch.save(data, path)


def test_bad_settings_raise(toy, textbook):
    dataset, _gated = toy
    with pytest.raises(ValueError, match="reads a cobra model"):
        GatedPredictor(base="prior").fit(dataset)
    with pytest.raises(ValueError, match="threshold"):
        GatedPredictor(base="prior", threshold=0.0).fit(dataset, model=textbook)
    with pytest.raises(ValueError, match="learn from strategies"):
        GatedPredictor(base="network").fit(dataset, model=textbook)
    with pytest.raises(NotFittedError, match="not trained"):
        GatedPredictor(base="prior").fit(model=textbook)


def test_predict_deletions_records_who_scored(toy):
    """A design from a gated predictor is verified, and design.method says when the
    network predictor scored the target; the model is left as it was."""
    _dataset, gated = toy
    model = cobra.io.load_model("textbook")
    novel = cobra_gdel.predict_deletions(model, "glx_c", predictor=gated, minimize=False)
    assert novel.method.startswith("predict[network]+"), novel.method
    known = cobra_gdel.predict_deletions(model, "succ_e", predictor=gated, minimize=False)
    assert known.coupled and known.method.startswith("predict+"), known.method
    assert cobra_gdel.check_coupling(model, "succ_e", known.deletions).coupled


def test_another_model_gets_the_training_networks_found_again(toy, textbook):
    """Networks are compared within one model: on a model whose bounds differ, the
    training targets' networks are found again on it, so a training target stays at
    novelty 0 there."""
    _dataset, gated = toy
    # the model it was trained on: the recorded networks serve
    assert gated._same_model[gated.network_.network_]
    other = textbook.copy()
    other.reactions.EX_glc__D_e.lower_bound = -5.0
    other.reactions.ATPM.lower_bound = 3.0
    bound = copy.copy(gated).fit(model=other)
    assert not bound._same_model[bound.network_.network_]  # found again on it
    for target in TRAIN:
        assert bound.novelty(target) == 0.0
    assert bound._training_networks().shape == (len(TRAIN), len(other.genes))
