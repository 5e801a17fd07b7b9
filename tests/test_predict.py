"""model.predict_deletions: bundled predictor → verify → repair, end to end."""

from __future__ import annotations

import warnings

import cobra
import pytest
import torch

import cobra_gdel
from cobra_gdel import _registry, bundled
from cobra_gdel.exceptions import (
    MissingInputError,
    NoProductionRouteError,
    UnknownTargetError,
)
from cobra_gdel.predict import predict_deletions

from .conftest import load_data_model, load_strategies, model_state


@pytest.fixture(scope="module")
def succ(textbook_module):
    return textbook_module.predict_deletions("succ_e")


@pytest.fixture(scope="module")
def textbook_module():
    return cobra.io.load_model("textbook")


def test_bundled_predictors_are_installed():
    ids = {b.model_id for b in bundled.available()}
    assert {"e_coli_core", "iMM904", "iML1515"} <= ids
    for item in bundled.available():
        manifest = item.manifest
        assert manifest["model_id"] == item.model_id
        assert len(manifest["gene_ids"]) > 100
        assert len(manifest["trained_on"]["strategies_sha256"]) == 64
        assert manifest["cv_metrics"]["accuracy"]["mean"] > 0.5
        assert item.path.stat().st_size < 8 * 2**20


def test_textbook_succinate_end_to_end(succ, textbook_module):
    assert succ.coupled and succ.status == "coupled"
    assert succ.method.startswith("predict")
    assert succ.probabilities is not None
    assert set(succ.probabilities.index) == {g.id for g in textbook_module.genes}
    assert succ.probabilities.drop("s0001").between(0, 1).all()
    assert "s0001" not in succ.deletions
    assert {"predict", "repair", "verify"} <= set(succ.timings)
    again = cobra_gdel.check_coupling(textbook_module, "succ_e", succ.deletions)
    assert again.coupled
    assert again.growth_rate == pytest.approx(succ.growth_rate, rel=1e-6)
    assert again.min_production == pytest.approx(succ.min_production, rel=1e-6)


def test_model_unchanged_and_same_answer_twice(textbook_module, succ):
    before = model_state(textbook_module)
    second = predict_deletions(textbook_module, "succ_e")
    assert model_state(textbook_module) == before
    assert second.deletions == succ.deletions
    assert second.probabilities.equals(succ.probabilities)


def test_minimize(textbook_module):
    design = textbook_module.predict_deletions("succ_e", minimize=True)
    assert design.coupled
    checker = cobra_gdel.coupling.CouplingChecker(textbook_module)
    for gene in design.deletions:
        assert not checker.check("succ_e", design.deletions - {gene}).coupled, gene


def test_function_and_method_agree(textbook_module, succ):
    assert cobra_gdel.predict_deletions(textbook_module, "succ_e") == succ


def _recording_repair(monkeypatch, fail_first: bool):
    """Patch predict's repair to record its calls; the first call fails on purpose when asked."""
    import cobra_gdel.predict as predict_module
    from cobra_gdel.design import DeletionDesign

    real = predict_module.repair_task
    calls = []

    def fake(task, scores, **kwargs):
        calls.append((scores.copy(), task.clock.limit))
        if fail_first and len(calls) == 1:
            report = task.check([])
            return DeletionDesign.from_report(report, "repair:threshold", model=task.model,
                                              timings={"repair": 1.0, "verify": 0.5},
                                              reason="failed on purpose")
        return real(task, scores, **kwargs)

    monkeypatch.setattr(predict_module, "repair_task", fake)
    return calls


def test_falls_back_to_the_prior_when_the_predicted_scores_fail(textbook_module, monkeypatch):
    predictor = cobra_gdel.predict.resolve_predictor(textbook_module)
    calls = _recording_repair(monkeypatch, fail_first=True)
    design = predict_deletions(textbook_module, "succ_e", time_limit=20)
    assert len(calls) == 2
    genes = [g.id for g in textbook_module.genes if g.id != "s0001"]  # s0001: protected
    prior = predictor.prior_proba(genes)
    assert calls[1][0][genes].to_numpy() == pytest.approx(prior.to_numpy())
    assert calls[1][0]["s0001"] == 0.0
    assert not calls[0][0].equals(calls[1][0])
    assert 9.0 < calls[0][1] <= 10.0  # half of the budget (after predicting)
    assert calls[0][1] < calls[1][1] <= 20.0  # the rest: the first attempt returned at once
    assert design.coupled and design.method.startswith("predict+prior+repair:")
    assert design.timings["repair"] >= 1.0 and design.timings["verify"] >= 0.5
    assert design.probabilities.drop("s0001").to_numpy() == pytest.approx(
        predictor.predict_proba("succ_e", genes=genes).to_numpy())
    assert cobra_gdel.check_coupling(textbook_module, "succ_e", design.deletions).coupled


def test_prior_first_when_the_predictor_lacks_genes_of_the_model(monkeypatch):
    """A model the predictor was not trained on (here: one gene renamed): repair
    starts from the frequency prior, then the predicted scores get the time left."""
    from cobra.manipulation import rename_genes

    model = cobra.io.load_model("textbook")
    rename_genes(model, {"b0116": "unknown_gene"})
    predictor = cobra_gdel.predict.resolve_predictor(model)
    calls = _recording_repair(monkeypatch, fail_first=True)
    design = predict_deletions(model, "succ_e", time_limit=20)
    assert len(calls) == 2
    genes = [g.id for g in model.genes if g.id not in ("s0001", "unknown_gene")]
    assert calls[0][0][genes].to_numpy() == pytest.approx(
        predictor.prior_proba(genes).to_numpy())
    assert calls[1][0][genes].to_numpy() == pytest.approx(
        predictor.predict_proba("succ_e", genes=genes).to_numpy())
    assert calls[1][0]["unknown_gene"] == calls[0][0]["unknown_gene"]  # network-scored
    assert design.coupled and design.method.startswith("predict[deepgdel+network]+repair:")
    assert cobra_gdel.check_coupling(model, "succ_e", design.deletions).coupled


def test_no_fallback_when_the_first_repair_couples_or_no_design_exists(textbook_module,
                                                                          monkeypatch):
    from cobra_gdel.analysis import NO_DESIGN_REASON

    calls = _recording_repair(monkeypatch, fail_first=False)
    assert predict_deletions(textbook_module, "succ_e").method.startswith("predict+repair:")
    # acald_c can leave through the spontaneous s0001 reaction: no design can couple
    design = predict_deletions(textbook_module, "acald_c")
    assert not design.coupled and design.reason.startswith(NO_DESIGN_REASON)
    assert design.status == "no_design"
    assert len(calls) == 2  # one repair per target


@pytest.mark.parametrize("model_id, targets", [("iMM904", ["succ_e", "pyr_e", "ala__L_e"]),
                                               ("iML1515", ["succ_e", "ac_e", "pyr_e"])])
def test_bundled_genome_scale_predictors_design_coupled(model_id, targets):
    """The bundled fpnet predictors (iMM904's gated: the network predictor scores
    targets with novel networks): chosen by model id, fit their training strategies,
    and every design comes back verified (the data model is left unchanged)."""
    model = load_data_model(model_id)
    strategies = load_strategies(model_id)
    predictor = cobra_gdel.predict.resolve_predictor(model)
    learned = getattr(predictor, "base_", predictor)
    assert type(learned).__name__ == "FingerprintNetPredictor"
    assert (type(predictor).__name__ == "GatedPredictor") == (model_id == "iMM904")
    before = model_state(model)
    for target in targets:
        design = model.predict_deletions(target)
        assert design.coupled, (target, design.reason)
        assert cobra_gdel.check_coupling(model, target, design.deletions).coupled
        published = strategies.loc[target].reindex(design.probabilities.index).fillna(0) == 1
        agree = ((design.probabilities >= 0.5) == published).mean()
        assert agree > 0.95, (target, agree)  # a training target: fitted closely
    assert model_state(model) == before


def test_bundled_imm904_hands_novel_targets_to_the_network():
    """iMM904's gated predictor: a training target's network is recorded (novelty 0
    with HiGHS; near 0 allowed, since another LP solver may pick another optimal
    network); an unseen target whose network keeps genes no training network keeps is scored
    by the network predictor, and the design says so."""
    model = load_data_model("iMM904")
    predictor = cobra_gdel.predict.resolve_predictor(model)
    assert predictor.novelty("succ_e") < 0.02 and predictor.scored_by("succ_e") is None
    # hydrogen peroxide: not an iMM904 strategy target, embedded (iML1515's table); the
    # most novel of the 7 embedded non-training targets at or above the threshold
    assert "h2o2_c" not in predictor.kept_targets_ and predictor.knows_target("h2o2_c")
    assert predictor.novelty("h2o2_c") >= 0.07  # 0.089 when this test was written
    design = model.predict_deletions("h2o2_c", minimize=False, time_limit=30)
    assert design.method.startswith("predict[network]+"), design.method
    assert design.coupled == cobra_gdel.check_coupling(model, "h2o2_c", design.deletions).coupled


def test_registration_warns_instead_of_overwriting():
    class Other(cobra.Model):
        def predict_deletions(self):  # someone else's method
            return "theirs"

    with pytest.warns(UserWarning, match="did not overwrite"):
        assert _registry.register(Other) is False
    assert Other("x").predict_deletions() == "theirs"

    class Plain(cobra.Model):
        pass

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _registry.register(Plain) is True  # ours again: no warning


def test_unknown_target(textbook_module):
    with pytest.raises(UnknownTargetError, match="succ_e"):
        textbook_module.predict_deletions("succ_x")


def test_no_production_route(fresh_textbook):
    with fresh_textbook as model:
        model.reactions.EX_succ_e.upper_bound = 0.0
        with pytest.raises(NoProductionRouteError):
            model.predict_deletions("succ_e")


def test_invalid_smiles(fresh_textbook, caplog):
    model = fresh_textbook
    met = cobra.Metabolite("newmet_c", compartment="c")
    model.add_metabolites([met])
    model.reactions.SUCDi.add_metabolites({met: 0.0001})  # a trace by-product: producible
    with pytest.raises(ValueError, match="newmet_c"):
        model.predict_deletions("newmet_c", smiles="C1CC(")
    with pytest.raises(MissingInputError, match="smiles="):
        model.predict_deletions("newmet_c", strict=True)
    with caplog.at_level("WARNING", logger="cobra_gdel.predict"):
        design = model.predict_deletions("newmet_c", minimize=False)
    assert design.method.startswith("predict[prior]+") and "newmet_c" in caplog.text


def test_fasta_missing_genes(fresh_textbook, tmp_path, caplog):
    model = fresh_textbook
    gene_rule = model.reactions.PGK.gene_reaction_rule
    model.reactions.PGK.gene_reaction_rule = f"({gene_rule}) or newgene1"
    fasta = tmp_path / "partial.fasta"
    fasta.write_text(">othergene\nMKTAYIAKQR\n")
    with pytest.raises(MissingInputError, match="newgene1"):
        model.predict_deletions("succ_e", sequences=str(fasta), strict=True)
    with pytest.raises(MissingInputError, match="sequences="):
        model.predict_deletions("succ_e", strict=True)
    with pytest.raises(FileNotFoundError):
        model.predict_deletions("succ_e", sequences=str(tmp_path / "absent.fasta"))
    with caplog.at_level("WARNING", logger="cobra_gdel.predict"):
        filled = model.predict_deletions("succ_e", sequences=str(fasta))
    assert filled.coupled and "network" in filled.method and "newgene1" in caplog.text
    design = model.predict_deletions("succ_e", sequences={"newgene1": "MKTAYIAKQRQISFVKSHFSRQ"})
    assert design.coupled and "newgene1" in design.probabilities.index
    assert design.method.startswith("predict+")


def test_unknown_device(textbook_module):
    with pytest.raises(ValueError, match="device"):
        textbook_module.predict_deletions("succ_e", device="tpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_matches_cpu(textbook_module, succ):
    design = textbook_module.predict_deletions("succ_e", device="cuda")
    assert design.coupled
    assert (design.probabilities - succ.probabilities).abs().max() < 1e-4
