"""Designs on models no bundled predictor was trained on (issue 16): the transferable
network predictor, the never-refuse policy of predict_deletions, the cluster split and
leave-one-model-out evaluation."""

from __future__ import annotations

import gc
import os
import sys

import cobra
import numpy as np
import pandas as pd
import pytest
from cobra.manipulation import rename_genes

import cobra_gdel
from cobra_gdel import bundled
from cobra_gdel.data import StrategyDataset, TargetKFold, cluster_groups
from cobra_gdel.evaluation import cross_validate, leave_one_model_out, reaction_prior
from cobra_gdel.exceptions import (CheckpointError, MissingInputError, NotFittedError,
                                   UnknownTargetError)
from cobra_gdel.network_features import network_for
from cobra_gdel.predictors import NetworkPredictor, make_predictor
from cobra_gdel.predictors.network import MILP_MAX_GENES

from .conftest import model_state, require_data


def _renamed(model: cobra.Model) -> cobra.Model:
    """A copy of *model* with every gene id and the model id changed."""
    copy = model.copy()
    rename_genes(copy, {g.id: f"orgX_{i:04d}" for i, g in enumerate(copy.genes)})
    copy.id = "my_organism"
    return copy


@pytest.fixture(scope="module")
def renamed():
    return _renamed(cobra.io.load_model("textbook"))


@pytest.fixture()
def no_structure_target():
    """A textbook model with a producible metabolite that has no structure anywhere."""
    model = cobra.io.load_model("textbook")
    met = cobra.Metabolite("newmet_c", compartment="c")
    model.add_metabolites([met])
    model.reactions.SUCDi.add_metabolites({met: 0.0001})  # a trace by-product: producible
    return model


# -- the never-refuse policy -----------------------------------------------------------
def test_renamed_textbook_designs_succ_e_without_data(renamed, caplog):
    """Every gene id and the model id renamed: no bundled predictor fits, the transferable
    predictor scores every gene, and the design is verified on the model as it is."""
    before = model_state(renamed)
    with caplog.at_level("WARNING", logger="cobra_gdel.predict"):
        design = renamed.predict_deletions("succ_e")
    assert "no bundled predictor fits model 'my_organism'" in caplog.text
    assert design.coupled and design.method.startswith("predict[network]+repair:")
    assert set(design.probabilities.index) == {g.id for g in renamed.genes}
    assert cobra_gdel.check_coupling(renamed, "succ_e", design.deletions).coupled
    assert model_state(renamed) == before


def test_a_model_no_bundled_predictor_fits_is_designed_without_torch():
    """The transferable predictor needs no torch: a fresh process designs the renamed
    textbook's succ_e without importing it (about 1.8 s of a first call), and the
    torch-based predictor classes are still there when asked for."""
    import subprocess

    code = (
        "import sys, warnings, cobra\n"
        "from cobra.manipulation import rename_genes\n"
        "import cobra_gdel\n"
        "warnings.simplefilter('ignore')\n"
        "m = cobra.io.load_model('textbook')\n"
        "rename_genes(m, {g.id: f'orgX_{i:04d}' for i, g in enumerate(m.genes)})\n"
        "m.id = 'my_organism'\n"
        "d = m.predict_deletions('succ_e')\n"
        "assert d.coupled and d.method.startswith('predict[network]'), d.method\n"
        "assert 'torch' not in sys.modules\n"
        "from cobra_gdel.predictors import PREDICTORS, FingerprintNetPredictor\n"
        "assert PREDICTORS['fpnet'][0] is FingerprintNetPredictor and 'torch' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=600)


def test_renamed_textbook_target_that_needs_a_gene_every_network_uses(renamed):
    """etoh_e on the renamed model: its design must delete a gene that every production
    network needs (scored 0 by the LPs alone, so outside every threshold's candidates);
    the open attempt after the network's, every gene undecided, finds it. The shipped
    transferable predictor is led on a model this small by the model's own gDel_minRN
    design (``milp_genes``): its scores couple at once."""
    led = renamed.predict_deletions("etoh_e", minimize=False)
    assert led.coupled and led.method == "predict[network]+repair:threshold"
    design = renamed.predict_deletions("etoh_e", minimize=False, predictor=NetworkPredictor())
    assert design.coupled, design.reason
    assert design.method.startswith("predict[network]+open+repair:")
    scores = design.probabilities
    assert (scores[sorted(design.deletions)] == 0).any()
    assert cobra_gdel.check_coupling(renamed, "etoh_e", design.deletions).coupled


def test_renamed_textbook_target_whose_only_designs_grow_slowly(renamed):
    """acald_c on the renamed model (the spontaneous s0001 is just another gene there):
    its designs grow slowly (StrainDesign finds none at growth >= 0.1, 9 knock-outs at
    >= 0.001); gDel_minRN's rounds run out, the cut-set stage of the open attempt (the
    last one) finds one."""
    design = renamed.predict_deletions("acald_c", minimize=False)
    assert design.coupled, design.reason
    assert design.method == "predict[network]+open+repair:cutset"
    assert design.growth_rate < 0.1
    assert cobra_gdel.check_coupling(renamed, "acald_c", design.deletions).coupled


def test_strict_keeps_the_errors(renamed, no_structure_target):
    with pytest.raises(MissingInputError, match="no bundled predictor fits"):
        renamed.predict_deletions("succ_e", strict=True)
    with pytest.raises(MissingInputError, match="smiles="):
        no_structure_target.predict_deletions("newmet_c", strict=True)


def test_target_without_structure_uses_the_prior_with_a_warning(no_structure_target, caplog):
    model = no_structure_target
    with caplog.at_level("WARNING", logger="cobra_gdel.predict"):
        design = model.predict_deletions("newmet_c", minimize=False)
    assert "no embedding for newmet_c and no SMILES is known" in caplog.text
    assert "frequency prior" in caplog.text
    assert design.method.startswith("predict[prior]+")
    prior = cobra_gdel.predict.resolve_predictor(model).prior_proba(["b0721"])
    assert design.probabilities["b0721"] == pytest.approx(prior["b0721"])
    assert design.status in ("coupled", "no_design") or design.reason
    # a SMILES the user passes and that is invalid still raises
    with pytest.raises(ValueError, match="newmet_c"):
        model.predict_deletions("newmet_c", smiles="C1CC(")


def test_unscorable_genes_get_network_scores(fresh_textbook, caplog):
    model = fresh_textbook
    model.reactions.PGK.gene_reaction_rule = f"({model.reactions.PGK.gene_reaction_rule}) or newgene1"
    with caplog.at_level("WARNING", logger="cobra_gdel.predict"):
        design = model.predict_deletions("succ_e", minimize=False)
    assert "newgene1" in caplog.text and design.coupled
    assert design.method.startswith("predict[deepgdel+network]+")
    network = NetworkPredictor().fit(model=model).predict_proba("succ_e")
    assert design.probabilities["newgene1"] == network["newgene1"]


def test_related_model_gets_the_reference_design_of_the_same_target(caplog):
    """A model the bundled predictor fits by gene overlap but was not trained on (here
    textbook under another model id, as iJO1366 is for iML1515's predictor): the bundled
    minimal design of the same target is checked first and returned when it couples."""
    model = cobra.io.load_model("textbook")
    model.id = "my_strain"
    reference = bundled.reference_designs("e_coli_core")["succ_e"]
    before = model_state(model)
    with caplog.at_level("INFO", logger="cobra_gdel"):
        design = model.predict_deletions("succ_e", minimize=False)
    assert design.method == "predict+reference[e_coli_core]"
    assert design.deletions == reference and design.coupled
    assert "e_coli_core's design of succ_e couples on 'my_strain'" in caplog.text
    # the bundled predictor is chosen once per call
    assert caplog.text.count("using the bundled e_coli_core predictor") == 1
    assert cobra_gdel.check_coupling(model, "succ_e", design.deletions).coupled
    assert model_state(model) == before
    minimal = model.predict_deletions("succ_e")
    assert minimal.coupled and minimal.maximal.method == "predict+reference[e_coli_core]"
    # its own training model keeps the predictor's path
    assert "reference" not in cobra.io.load_model("textbook").predict_deletions(
        "succ_e", minimize=False).method


def test_reference_design_that_does_not_couple_falls_back_to_repair(monkeypatch, caplog):
    model = cobra.io.load_model("textbook")
    model.id = "my_strain"
    monkeypatch.setattr(bundled, "reference_designs",
                        lambda model_id: {"succ_e": frozenset({"b2779"})})  # eno: no growth
    with caplog.at_level("INFO", logger="cobra_gdel"):
        design = model.predict_deletions("succ_e", minimize=False)
    assert design.coupled and "reference" not in design.method
    assert "does not couple on 'my_strain'" in caplog.text


def test_reference_designs_table_is_read_and_checked(tmp_path):
    (tmp_path / "m.designs.tsv").write_text("target\tdeletions\nsucc_e\tb1,b2\n")
    assert bundled.reference_designs("m", tmp_path) == {"succ_e": frozenset({"b1", "b2"})}
    assert bundled.reference_designs("absent", tmp_path) == {}
    (tmp_path / "bad.designs.tsv").write_text("target\tdeletions\nsucc_e\n")
    with pytest.raises(CheckpointError, match="line 2"):
        bundled.reference_designs("bad", tmp_path)
    for model_id in ("e_coli_core", "iMM904", "iML1515"):
        designs = bundled.reference_designs(model_id)
        assert designs and all(genes for genes in designs.values())


def test_resolve_predictor_by_name_and_object(renamed):
    fitted = cobra_gdel.predict.resolve_predictor(renamed, "network")
    assert isinstance(fitted, NetworkPredictor) and fitted.model_id_ == "my_organism"
    unbound = NetworkPredictor(levels=("abs",), reweights=(1,))
    bound = cobra_gdel.predict.resolve_predictor(renamed, unbound)
    assert bound is not unbound and bound.levels_ == ("abs",)
    with pytest.raises(NotFittedError):
        unbound.predict_proba("succ_e")
    design = renamed.predict_deletions("succ_e", predictor=unbound, minimize=False)
    assert design.coupled and design.method.startswith("predict[network]+")


def test_transferable_manifest_ships_without_weights():
    item = bundled.transferable()
    assert item.name == "network" and item.predictor_name == "network"
    assert item.manifest["kind"] == "transferable"
    assert "network" not in {b.model_id for b in bundled.available()}


def test_the_shipped_transferable_predictor_is_led_by_minrn_on_small_models(textbook):
    """The manifest asks for the gDel_minRN lead on models of at most ``MILP_MAX_GENES``
    genes (the class default stays the LPs alone): on textbook its design decides every
    gene at the 0.5 threshold."""
    assert bundled.transferable().params["milp_genes"] == MILP_MAX_GENES
    assert "ranges" in bundled.transferable().params["weights"]
    assert NetworkPredictor().milp_genes == 0 and NetworkPredictor().weights == "unit"
    scores = bundled.load_transferable(textbook).predict_proba("succ_e")
    assert ((scores >= 0.75) | (scores <= 0.25)).all()
    assert cobra_gdel.check_coupling(textbook, "succ_e", scores.index[scores >= 0.5]).coupled



def test_the_minrn_lead_stays_inside_the_callers_time_limit(monkeypatch):
    """Inside ``predict_deletions`` the lead's search may use ``MILP_SHARE`` of the time
    left (outside any call, ``MILP_SECONDS``); a lead that the caller's limit cut short is
    not remembered for later calls, and the design names it in ``cut_short``."""
    from dataclasses import replace

    from cobra_gdel import search as search_module
    from cobra_gdel.predictors import network as network_module

    model = _renamed(cobra.io.load_model("textbook"))
    real, limits = search_module.search, []

    def recording(task, **kwargs):
        limits.append(task.clock.limit)
        design = real(task, **kwargs)
        return replace(design, cut_short=("milp",)) if task.clock.limit < 30 else design

    monkeypatch.setattr(search_module, "search", recording)
    bundled.load_transferable(model).predict_proba("ac_e")
    assert limits == [network_module.MILP_SECONDS]
    assert "ac_e" in network_for(model).designs
    design = model.predict_deletions("succ_e", time_limit=4)
    assert len(limits) == 2 and limits[1] <= network_module.MILP_SHARE * 4
    assert "succ_e" not in network_for(model).designs  # cut short: searched again next time
    assert "gDel_minRN lead" in design.cut_short and design.coupled

# -- the network predictor ---------------------------------------------------------------
def test_network_predictor_is_deterministic(textbook):
    # its speed is a benchmark's business (docs/benchmarks.md), not a timed test's
    predictor = make_predictor("network").fit(model=textbook)
    assert predictor.get_params() == {"levels": ("abs", 0.1, 0.5), "reweights": (0, 1),
                                      "milp_genes": 0, "weights": "unit"}
    first = predictor.predict_proba("succ_e")
    assert first.between(0, 1).all() and first.index.tolist() == [g.id for g in textbook.genes]
    assert first["s0001"] == 0.0  # spontaneous: always kept
    # the same answer from a separate model copy scored in another order (cold starts)
    other = textbook.copy()
    again = NetworkPredictor().fit(model=other)
    again.predict_proba("ac_e")
    assert again.network_ is not predictor.network_
    pd.testing.assert_series_equal(again.predict_proba("succ_e"), first)
    assert predictor.predict_proba("succ_e").equals(first)


def test_network_scores_do_not_depend_on_the_string_hash_seed(tmp_path):
    """The decode's tie-breaks between equal isozyme terms once followed the order of a
    set of strings, so two processes (two PYTHONHASHSEEDs) could keep different genes
    for the same target (on iMM904 succ_e: 0.016-0.046 apart in Jaccard distance)."""
    import subprocess

    model = cobra.io.load_model("textbook")
    for reaction in model.reactions:  # two complexes sharing their latest gene: a tie
        if reaction.gene_reaction_rule:
            x, y, w = (f"{p}_{reaction.id}" for p in "xyw")
            reaction.gene_reaction_rule = f"({x} and {w}) or ({y} and {w})"
    path = tmp_path / "tied.json"
    cobra.io.save_json_model(model, str(path))  # the gene order is the file's from now on
    code = ("import cobra, hashlib, sys\n"
            "from cobra_gdel.network_features import network_for\n"
            "m = cobra.io.load_json_model(sys.argv[1])\n"
            "net = network_for(m)\n"
            "h = hashlib.md5()\n"
            "for met in m.metabolites: h.update(net.scores(met.id).tobytes())\n"
            "print(h.hexdigest())\n")
    answers = set()
    for seed in ("1", "2", "3", "4"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", code, str(path)], env=env, check=True,
                             capture_output=True, text=True, timeout=300)
        answers.add(out.stdout.strip().splitlines()[-1])
    assert len(answers) == 1, answers


def test_network_predictor_interface(textbook):
    with pytest.raises(ValueError, match="fit\\(model=model\\)"):
        NetworkPredictor().fit()
    with pytest.raises(ValueError, match="level"):
        NetworkPredictor(levels=("abs", 2.0)).fit(model=textbook)
    predictor = NetworkPredictor().fit(model=textbook)
    assert predictor.knows_target("glc__D_e") and not predictor.knows_target("nothing_c")
    assert predictor.unscorable_genes(["b0721", "new"]) == ["new"]
    assert predictor.prior_proba(["b0721"]) is None
    assert predictor.predict_proba("succ_e", genes=["b0721", "new"])["new"] == 0.5
    with pytest.raises(UnknownTargetError):
        predictor.predict_proba("nothing_c")
    primary = NetworkPredictor(levels=("abs",), reweights=(1,)).fit(model=textbook)
    assert set(np.unique(primary.predict_proba("succ_e"))) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="milp_genes"):
        NetworkPredictor(milp_genes=-1).fit(model=textbook)
    with pytest.raises(ValueError, match="weights"):
        NetworkPredictor(weights="flux").fit(model=textbook)


def _two_routes() -> cobra.Model:
    """a → b by one reaction of gene g1 (at most 10) or by two of genes g2, g3 (up to the
    uptake, 1000); b grows the cell and makes the target p (gene g4)."""
    model = cobra.Model("two_routes")
    a, b, c, p = (cobra.Metabolite(m, compartment="c") for m in ("a_c", "b_c", "c_c", "p_c"))
    reactions = {"EX_a": ({a: 1}, -1000, 1000, ""), "R1": ({a: -1, b: 1}, 0, 10, "g1"),
                 "R2a": ({a: -1, c: 1}, 0, 1000, "g2"), "R2b": ({c: -1, b: 1}, 0, 1000, "g3"),
                 "R3": ({b: -1, p: 1}, 0, 1000, "g4"), "EX_p_c": ({p: -1}, 0, 1000, ""),
                 "BIOMASS": ({b: -1}, 0, 1000, "")}
    for rid, (stoich, lb, ub, rule) in reactions.items():
        reaction = cobra.Reaction(rid, lower_bound=lb, upper_bound=ub)
        model.add_reactions([reaction])
        reaction.add_metabolites(stoich)
        reaction.gene_reaction_rule = rule
    model.objective = "BIOMASS"
    return model


def test_range_weights_are_the_relaxation_of_minrn():
    """``weights="ranges"`` weighs a rule reaction 1/M_j (its flux range at growth ≥ 0.001,
    clipped to [1, 1000]), the LP relaxation of gDel_minRN's reaction count: the two-step
    route of capacity 1000 then costs less than the one-step route of capacity 10, which
    unit weights prefer. So the networks keep different genes."""
    from cobra_gdel.analysis import flux_ranges
    from cobra_gdel.coupling import get_checker
    from cobra_gdel.network_features import RANGE_GROWTH, RANGE_MIN

    model = _two_routes()
    kept = {}
    for weights in ("unit", "ranges"):
        scores = NetworkPredictor(levels=("abs",), reweights=(0,), weights=weights
                                  ).fit(model=model).predict_proba("p_c")
        kept[weights] = set(scores.index[scores < 0.5])
    assert kept == {"unit": {"g1", "g4"}, "ranges": {"g2", "g3", "g4"}}
    network = network_for(model)
    ranges = flux_ranges(get_checker(model), RANGE_GROWTH)
    expected = [1 / min(1000.0, max(RANGE_MIN, abs(ranges[r][0]), abs(ranges[r][1])))
                for r in network.reactions]
    np.testing.assert_allclose(network.range_weights, expected)
    assert network.range_weights[network.reactions.index("R1")] == pytest.approx(0.1)
    both = NetworkPredictor(levels=("abs",), reweights=(0,), weights=["unit", "ranges"]
                            ).fit(model=model).predict_proba("p_c")
    assert both.to_dict() == {"g1": 0.5, "g2": 0.5, "g3": 0.5, "g4": 0.0}  # one of two each
    fresh = network_for(_two_routes())  # a network whose ranges were never computed
    with pytest.raises(ValueError, match="use_ranges"):
        fresh.scores("p_c", weights="ranges")
    with pytest.raises(ValueError, match="weights"):
        NetworkPredictor(weights=()).fit(model=model)


def test_network_predictor_can_be_led_by_the_models_own_minrn_design(textbook):
    """With ``milp_genes``, on a model of at most that many genes the gDel_minRN design (canonical,
    latest gene of equivalent ones) decides every gene at 0.5; the LP networks rank the
    genes within (weight 0.25). The design is gDel_minRN's as specified (every gene a
    candidate, every solve to the optimum), coupled, found again from a copy of the
    model, and remembered with the model's network."""
    from dataclasses import replace

    from cobra_gdel.dataset_builder import canonical_deletions
    from cobra_gdel.problem import DesignTask
    from cobra_gdel.search import search

    led = NetworkPredictor(milp_genes=300).fit(model=textbook).predict_proba("succ_e")
    lps = NetworkPredictor().fit(model=textbook).predict_proba("succ_e")
    deleted = set(led.index[led >= 0.5])
    task = DesignTask.create(textbook, "succ_e")
    design = search(replace(task, protected=frozenset()), exact=True)
    rules = cobra_gdel.coupling.get_checker(textbook).rules
    order = [g.id for g in textbook.genes]
    assert deleted == canonical_deletions(rules, design.deletions, order=order)
    assert cobra_gdel.check_coupling(textbook, "succ_e", deleted).coupled
    np.testing.assert_allclose(led, 0.75 * led.ge(0.5) + 0.25 * lps)
    assert "succ_e" in network_for(textbook).designs
    bound = NetworkPredictor(milp_genes=300).fit(model=textbook.copy())
    gc.collect()  # the predictor keeps the (temporary) model it is bound to
    pd.testing.assert_series_equal(bound.predict_proba("succ_e"), led)
    # a model above the size limit is scored from the LPs alone
    small_limit = NetworkPredictor(milp_genes=len(textbook.genes) - 1).fit(model=textbook)
    pd.testing.assert_series_equal(small_limit.predict_proba("succ_e"), lps)


def test_network_predictors_minrn_design_counts_spontaneous_genes_as_candidates(textbook):
    """The advice protects s0001, so acald_c (which leaves through s0001's ACALDt) has no
    design; gDel_minRN, the program behind the published strategies, has a binary for
    every gene, and the predictor's reproduction of it finds a design to lead with."""
    assert cobra_gdel.search_deletions(textbook, "acald_c").status == "no_design"
    led = NetworkPredictor(milp_genes=300).fit(model=textbook).predict_proba("acald_c")
    lps = NetworkPredictor().fit(model=textbook).predict_proba("acald_c")
    assert network_for(textbook).designs["acald_c"] is not None
    np.testing.assert_allclose(led, 0.75 * led.ge(0.5) + 0.25 * lps)
    assert led.ge(0.5).sum() > 10


def test_network_cache_follows_model_changes(fresh_textbook):
    first = network_for(fresh_textbook)
    assert network_for(fresh_textbook) is first
    with fresh_textbook:
        fresh_textbook.reactions.EX_o2_e.lower_bound = 0.0
        assert network_for(fresh_textbook) is not first
    assert network_for(fresh_textbook) is not first  # rebuilt again for the restored bounds


# -- evaluation --------------------------------------------------------------------------
def _cluster_dataset() -> StrategyDataset:
    targets = ["hexanol_c", "hexanol_e", "heptanol_c", "phenol_c", "phenol_e", "urea_c",
               "glycerol_c", "nostruct_c", "acetate_c", "ethanol_c", "glycine_c", "lactate_c"]
    smiles = {"hexanol_c": "CCCCCCO", "hexanol_e": "CCCCCCO", "heptanol_c": "CCCCCCCO",
              "phenol_c": "Oc1ccccc1", "phenol_e": "Oc1ccccc1", "urea_c": "NC(N)=O",
              "glycerol_c": "OCC(O)CO", "nostruct_c": None, "acetate_c": "CC(=O)O",
              "ethanol_c": "CCO", "glycine_c": "NCC(=O)O", "lactate_c": "CC(O)C(=O)O"}
    pattern = np.random.default_rng(0).random((len(targets), 4)) < 0.5
    labels = pd.DataFrame(pattern.astype(int), index=targets, columns=["g0", "g1", "g2", "g3"])
    return StrategyDataset(labels, smiles, {}, "toy")


def test_cluster_groups_keep_same_fingerprint_targets_in_one_fold():
    dataset = _cluster_dataset()
    groups = dict(zip(dataset.targets, cluster_groups(dataset)))
    assert groups["hexanol_c"] == groups["hexanol_e"] == groups["heptanol_c"]
    assert groups["phenol_c"] == groups["phenol_e"] != groups["hexanol_c"]
    assert groups["nostruct_c"] == "<id:nostruct_c>"
    assert len(set(groups.values())) == 9
    labels = list(groups.values())
    for seed in range(3):
        for train, test in TargetKFold(4, seed).split(len(labels), labels):
            assert not {labels[i] for i in test} & {labels[i] for i in train}
    with pytest.raises(ValueError, match="threshold"):
        cluster_groups(dataset, threshold=0.0)


def test_cross_validate_cluster_groups_with_the_fold_prior():
    dataset = _cluster_dataset()
    table = cross_validate(dataset, "bpm", folds=3, repeats=1, groups="cluster",
                           baseline=True, progress=False)
    assert list(dict.fromkeys(table["predictor"])) == ["bpm", "prior"]
    with pytest.raises(ValueError, match="groups"):
        cross_validate(dataset, "prior", folds=3, repeats=1, groups="nope", progress=False)
    with pytest.raises(ValueError, match="model="):
        cross_validate(dataset, "network", folds=3, repeats=1, progress=False)


def test_cross_validate_and_lomo_with_the_network_predictor():
    folder = require_data("e_coli_core")
    dataset = StrategyDataset.from_folder(folder)
    model = cobra.io.load_json_model(str(folder / "model.json"))
    table = cross_validate(dataset, "network", folds=10, repeats=1, groups="cluster",
                           model=model, baseline=True, progress=False).set_index(
                               ["predictor", "metric"])
    assert table.loc[("network", "accuracy"), "mean"] > 0.5
    renamed = _renamed(model)
    mapping = dict(zip((g.id for g in model.genes), (g.id for g in renamed.genes)))
    other = StrategyDataset(dataset.labels.rename(columns=mapping), dataset.smiles, {}, "copy")
    lomo = leave_one_model_out([dataset, other], [model, renamed], params={"milp_genes": 300})
    assert set(lomo["predictor"]) == {"network", "reaction prior", "constant"}
    assert lomo.groupby("held_out").size().to_dict() == {"copy": 3, "e_coli_core": 3}
    # the reaction prior of an identical model is its own deletion share per reaction
    prior = reaction_prior(renamed, [(dataset, model)])
    assert prior.between(0, 1).all() and set(prior.index) == set(mapping.values())
    net = lomo.set_index(["held_out", "predictor"])["accuracy"]
    assert net[("e_coli_core", "network")] > net[("e_coli_core", "constant")]
    # the LP networks do not depend on gene ids (the gDel_minRN design that can lead them
    # may: s0001 is spontaneous by its id, and ids break the MILP's ties)
    lps = leave_one_model_out([dataset, other], [model, renamed])
    net = lps.set_index(["held_out", "predictor"])["accuracy"]
    assert net[("e_coli_core", "network")] == pytest.approx(net[("copy", "network")])


def test_cli_evaluate_groups_and_predict_strict(tmp_path, capsys, renamed):
    from cobra_gdel.cli import main

    dataset = _cluster_dataset()
    dataset.labels.rename_axis("metabolite").to_csv(tmp_path / "strategies.csv")
    pd.DataFrame({"metabolite": list(dataset.smiles),
                  "smiles": [s or "" for s in dataset.smiles.values()]}).to_csv(
                      tmp_path / "smiles.tsv", sep="\t", index=False)
    assert main(["evaluate", "--data", str(tmp_path), "--predictor", "bpm", "--folds", "3",
                 "--repeats", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "| bpm |" in out and "| prior |" in out
    assert main(["evaluate", "--data", str(tmp_path), "--predictor", "network", "--folds", "3",
                 "--repeats", "1", "--quiet"]) == 2  # no model.json in the folder
    assert main(["evaluate", "--data", str(tmp_path), "--lomo", "--predictor", "network"]) == 2
    cobra.io.save_json_model(renamed, str(tmp_path / "renamed.json"))
    assert main(["predict", str(tmp_path / "renamed.json"), "succ_e", "--strict"]) == 2
    assert "no bundled predictor fits" in capsys.readouterr().err
