"""Seeds: designs checked as they are before repair (predict_deletions(seeds=...)), and the
retry of predict_many that seeds the targets it missed with the batch's coupled designs."""

from __future__ import annotations

import cobra
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cobra_gdel
from cobra_gdel.batch import batch_seeds
from cobra_gdel.design import DeletionDesign
from cobra_gdel.seeds import NEAR_DISTANCE, NEAR_SEEDS, near_seeds, seed_sets

SUCC = ["b0114", "b0721", "b0767"]  # textbook succ_e, coupled (the README's main job)
FUM = ["b1479", "b1676", "b1854", "b2029", "b2463"]  # couples fum_c and mal__L_c


@pytest.fixture(scope="module")
def textbook():
    return cobra.io.load_model("textbook")


def test_a_seed_that_couples_is_taken_and_minimised(textbook):
    design = cobra_gdel.predict_deletions(textbook, "mal__L_c",
                                          seeds={"no growth": ["b2779"], "fum": FUM})
    assert design.coupled
    assert design.maximal.method.endswith("+seed[fum]")
    assert design.maximal.deletions == frozenset(FUM)
    assert cobra_gdel.check_coupling(textbook, "mal__L_c", design.deletions).coupled


def test_seeds_that_do_not_couple_leave_the_call_as_it_was(textbook):
    plain = cobra_gdel.predict_deletions(textbook, "succ_e", minimize=False)
    seeded = cobra_gdel.predict_deletions(
        textbook, "succ_e", minimize=False,
        seeds=[["b2779"], ["not_a_gene"], cobra_gdel.search_deletions(textbook, "akg_e")])
    assert "seed" not in seeded.method
    assert (seeded.method, seeded.deletions) == (plain.method, plain.deletions)


def test_seed_sets_labels_and_duplicates(textbook):
    design = cobra_gdel.predict_deletions(textbook, "akg_e")
    sets = seed_sets([SUCC, design, [textbook.genes.b0114, "b0721", "b0767"], [], FUM])
    # a design is labelled by its target; duplicates and empty sets are dropped
    assert sets == [("1", frozenset(SUCC)), ("akg_e", design.deletions), ("5", frozenset(FUM))]
    assert seed_sets({"a": SUCC}) == [("a", frozenset(SUCC))]
    with pytest.raises(TypeError, match="not str"):
        seed_sets("b0114")
    with pytest.raises(TypeError, match="not int"):
        seed_sets(3)
    with pytest.raises(TypeError, match="seed 2"):
        cobra_gdel.predict_deletions(textbook, "succ_e", seeds=[SUCC, 7])


def _first_misses_mal(model, target, *, seeds=None, time_limit=None):
    """A method for predict_many: mal__L_c fails unless seeded (a budget of 0 deletions)."""
    if target == "mal__L_c" and seeds is None:
        return cobra_gdel.predict_deletions(model, target, max_deletions=0,
                                            time_limit=time_limit)
    return cobra_gdel.predict_deletions(model, target, seeds=seeds, time_limit=time_limit)


def test_predict_many_retries_a_miss_from_the_batch_designs(textbook):
    seen = []
    table = cobra_gdel.predict_many(textbook, ["fum_c", "mal__L_c"], method=_first_misses_mal,
                                    progress=False, on_result=lambda t, r, d: seen.append(t))
    assert table["coupled"].all()
    assert "+seed[fum_c" in table.loc["mal__L_c", "method"]
    assert table.gdel["mal__L_c"].coupled and seen == ["fum_c", "mal__L_c", "mal__L_c"]
    off = cobra_gdel.predict_many(textbook, ["fum_c", "mal__L_c"], method=_first_misses_mal,
                                  progress=False, retry=False)
    assert off.loc["mal__L_c", "status"] == "not_coupled"
    assert "retried" not in off.loc["mal__L_c", "reason"]


def test_batch_seeds_are_the_coupled_designs_in_order(textbook):
    table = cobra_gdel.predict_many(textbook, ["succ_e", "akg_e"], progress=False)
    seeds = batch_seeds(["succ_e", "akg_e"], table.gdel.designs)
    assert list(seeds)[:2] == ["succ_e", "succ_e:maximal"]
    design = table.gdel["succ_e"]
    assert seeds["succ_e"] == design and seeds["succ_e:maximal"] == design.maximal
    assert seeds["succ_e"].probabilities is design.probabilities  # for near_seeds
    assert seeds["succ_e"].model is None and seeds["succ_e"].maximal is None
    assert tuple(sorted(seeds["succ_e"].deletions)) == table.loc["succ_e", "deletions"]
    assert set(seeds) == {"succ_e", "succ_e:maximal", "akg_e", "akg_e:maximal"}


def _design_with(textbook, genes, probabilities, target="succ_e"):
    """A design of *genes* (whatever its verdict) carrying *probabilities* as its scores."""
    report = cobra_gdel.check_coupling(textbook, target, genes)
    status = "coupled" if report.coupled else "not_coupled"
    return DeletionDesign(report=report, method="test", status=status,
                          probabilities=probabilities)


def test_near_seeds_are_designs_whose_networks_keep_nearly_the_same_genes(textbook):
    genes = [g.id for g in textbook.genes]
    base = cobra_gdel.predict_deletions(textbook, "succ_e").probabilities.reindex(genes)
    kept = list(base.index[base < 0.5])
    assert len(kept) > 40

    def moved(n):  # n kept genes called deleted: Jaccard distance n / len(kept)
        return base.where(~base.index.isin(kept[:n]), 0.9)

    far_n = int(NEAR_DISTANCE * len(kept)) + 2
    seeds = {"far": _design_with(textbook, SUCC, moved(far_n)),
             "one": _design_with(textbook, FUM, moved(1)),
             "same": _design_with(textbook, SUCC, base),
             "same again": _design_with(textbook, FUM, base),  # the same network: one only
             "genes only": SUCC,
             "two": _design_with(textbook, ["b0721"], moved(2)),
             "no scores": _design_with(textbook, SUCC, None)}
    near = near_seeds(base, seeds)
    assert [label for label, _ in near] == ["same", "one", "two"][:NEAR_SEEDS]
    assert near[0][1] == frozenset(SUCC)
    assert near_seeds(None, seeds) == [] and near_seeds(base, [SUCC]) == []


def test_a_near_seed_that_does_not_couple_as_it_is_leads_a_repair(textbook, monkeypatch):
    """succ_e's design plus the essential eno (b2779) does not grow; adapted, eno is
    restored and it couples; with adaptation off, as a near seed it leads a repair that
    restores eno and couples."""
    probabilities = cobra_gdel.predict_deletions(textbook, "succ_e").probabilities
    seed = _design_with(textbook, SUCC + ["b2779"], probabilities)
    assert not seed.coupled
    adapted = cobra_gdel.predict_deletions(textbook, "succ_e", minimize=False,
                                           seeds={"sibling": seed}, time_limit=20)
    assert adapted.method == "predict+seed-adapt[sibling]"
    assert adapted.deletions == frozenset(SUCC)
    monkeypatch.setattr(cobra_gdel.seeds, "ADAPT_SEEDS", 0)
    design = cobra_gdel.predict_deletions(textbook, "succ_e", minimize=False,
                                          seeds={"sibling": seed}, time_limit=20)
    assert design.coupled
    assert design.method.startswith("predict") and "+seed-repair[sibling]+repair:" in design.method
    assert "b2779" not in design.deletions
    assert cobra_gdel.check_coupling(textbook, "succ_e", design.deletions).coupled
    # the same genes as a plain gene set: checked as they are only
    plain = cobra_gdel.predict_deletions(textbook, "succ_e", minimize=False,
                                         seeds={"sibling": SUCC + ["b2779"]})
    assert "seed" not in plain.method


def test_a_later_retry_pass_seeds_from_what_the_retry_found(textbook, monkeypatch):
    """mal__L_c couples only once fum_c's design is a seed (the first retry), succ_e only
    once mal__L_c's is (a second pass, with the first retry's designs as its seeds)."""
    monkeypatch.setattr(cobra_gdel.seeds, "NEAR_DISTANCE", 1.0)  # every design is near
    calls = []
    needs = {"mal__L_c": "fum_c", "succ_e": "mal__L_c"}

    def chain(model, target, *, seeds=None, time_limit=None):
        labels = sorted(seeds) if isinstance(seeds, dict) else []
        calls.append((target, labels))
        if target in needs and needs[target] not in labels:
            return cobra_gdel.predict_deletions(model, target, max_deletions=0,
                                                time_limit=time_limit)
        return cobra_gdel.predict_deletions(model, target, seeds=seeds, time_limit=time_limit)

    table = cobra_gdel.predict_many(textbook, ["fum_c", "mal__L_c", "succ_e"], method=chain,
                                    progress=False)
    assert table["coupled"].all()
    assert [t for t, _ in calls] == ["fum_c", "mal__L_c", "succ_e", "mal__L_c", "succ_e",
                                     "succ_e"]
    assert calls[-1][1] == ["mal__L_c", "mal__L_c:maximal"]  # only what the retry found
    for target in table.index:
        assert cobra_gdel.check_coupling(textbook, target, table.gdel[target].deletions).coupled
    # a pass that couples nothing ends the retry
    calls.clear()
    needs["succ_e"] = "never"
    table = cobra_gdel.predict_many(textbook, ["fum_c", "mal__L_c", "succ_e"], method=chain,
                                    progress=False)
    assert not table.loc["succ_e", "coupled"]
    assert [t for t, _ in calls].count("succ_e") == 3
    assert "retry 2 with the 2 designs retry 1 found" in table.loc["succ_e", "reason"]


def test_seeds_only_tries_the_seeds_alone(textbook, monkeypatch):
    """With ``seeds_only`` a target the seeds do not couple comes back not coupled (the
    wild type, saying why) instead of being repaired from the predicted scores; a seed
    that couples, or a repair from a near one, is taken as before."""
    before = [(r.id, r.bounds) for r in textbook.reactions]
    missed = cobra_gdel.predict_deletions(textbook, "succ_e", seeds=[["b2779"]],
                                          seeds_only=True)
    assert not missed.coupled and missed.status == "not_coupled"
    assert missed.method == "predict+seed" and missed.deletions == frozenset()
    assert "none of 1 seed(s) couples it" in missed.reason and "seeds only" in missed.reason
    assert [(r.id, r.bounds) for r in textbook.reactions] == before
    taken = cobra_gdel.predict_deletions(textbook, "mal__L_c", seeds={"fum": FUM},
                                         seeds_only=True)
    assert taken.coupled and taken.maximal.method.endswith("+seed[fum]")
    probabilities = cobra_gdel.predict_deletions(textbook, "succ_e").probabilities
    near = {"sibling": _design_with(textbook, SUCC + ["b2779"], probabilities)}
    monkeypatch.setattr(cobra_gdel.seeds, "ADAPT_SEEDS", 0)  # adapted, it couples at once
    repaired = cobra_gdel.predict_deletions(textbook, "succ_e", minimize=False, seeds=near,
                                            seeds_only=True, time_limit=20)
    assert repaired.coupled and "+seed-repair[sibling]+repair:" in repaired.method
    with pytest.raises(ValueError, match="seeds_only"):
        cobra_gdel.predict_deletions(textbook, "succ_e", seeds_only=True)


def test_the_retry_tries_only_the_seeds(textbook):
    """predict_many's retry passes ``seeds_only`` to a method that takes it: the repair
    from the target's own scores already ran in the first pass."""
    calls = []

    def method(model, target, *, seeds=None, time_limit=None, seeds_only=False):
        calls.append((target, seeds_only))
        return _first_misses_mal(model, target, seeds=seeds, time_limit=time_limit)

    table = cobra_gdel.predict_many(textbook, ["fum_c", "mal__L_c"], method=method,
                                    progress=False)
    assert table["coupled"].all()
    assert calls == [("fum_c", False), ("mal__L_c", False), ("mal__L_c", True)]


def test_seed_start_restores_only_the_genes_that_close_production(textbook):
    """With succinyl-CoA synthetase, isocitrate lyase and fumarate reductase gone nothing
    makes succinate; seed_start restores the one gene that closes the last route and
    keeps the rest (restoring it is enough), nearer to coupling than the wild type."""
    from cobra_gdel.analysis import route_open
    from cobra_gdel.problem import DesignTask
    from cobra_gdel.repair import seed_start

    seed = SUCC + ["b0728", "b4015", "b4151"]
    assert cobra_gdel.check_coupling(textbook, "succ_e", seed).max_production == 0
    task = DesignTask.create(textbook, "succ_e")
    ratio, kept = seed_start(task, seed + ["not_a_gene"], task.clock)
    assert set(kept) == set(seed) - {"b4151"}
    assert route_open(task, kept)
    assert 1.0 <= ratio < float("inf")  # not coupled, but it grows


def test_an_adapted_seed_couples_where_it_did_not_as_it_was(textbook):
    """aceE (b0114) is missing from succ_e's design: the seed does not couple as it is;
    the margin search from it (genes next to succinate first) deletes it."""
    seed = ["b0721", "b0767"]
    assert not cobra_gdel.check_coupling(textbook, "succ_e", seed).coupled
    design = cobra_gdel.predict_deletions(textbook, "succ_e", seeds={"partial": seed},
                                          seeds_only=True)
    assert design.coupled and design.maximal.method == "predict+seed-adapt[partial]"
    assert design.maximal.deletions >= frozenset(seed)
    assert cobra_gdel.check_coupling(textbook, "succ_e", design.deletions).coupled
    assert design.timings["adapt"] > 0


_TEXTBOOK = cobra.io.load_model("textbook")  # shared by the property test's examples


@settings(max_examples=15, deadline=None)
@given(st.sets(st.sampled_from(sorted(
    "b0114 b0721 b0767 b0728 b4015 b4151 b2779 b1241 b0351 b2296 b3916 b1723 b0903 "
    "b2029 b1676".split())), max_size=8))
def test_seed_start_keeps_a_subset_with_a_route(genes):
    """Whatever the seed, seed_start keeps a subset of it that grows and leaves the
    target a production route (the wild type has one)."""
    from cobra_gdel.analysis import route_open
    from cobra_gdel.problem import DesignTask
    from cobra_gdel.repair import seed_start

    task = DesignTask.create(_TEXTBOOK, "succ_e")
    ratio, kept = seed_start(task, genes, task.clock)
    assert set(kept) <= genes
    assert route_open(task, kept)
    assert ratio < float("inf")


@pytest.mark.slow
def test_salmonella_2agpg161_p_from_the_design_of_a_phospholipid():
    """pgp160_c's design on Salmonella iYS1720 (the batch's, session 37) deletes pldA,
    the only route to 2agpg161_p; adapted (pldA restored, pldB and the lysophospholipid
    importer deleted) it couples 2agpg161_p, which no other route here has."""
    model = cobra.io.load_model("salmonella")
    pgp = ("ECW_m2812 STM0141 STM0370 STM1124 STM1135 STM1299 STM1448 STM1479 STM1883 "
           "STM2284 STM2947 STM3053 STM3179 STM3218 STM3330 STM3526 STM3646 STM3708 "
           "STM3709 STM3957 STM4108 STM4126 STM4184 STM4484 STM4567").split()
    assert cobra_gdel.check_coupling(model, "pgp160_c", pgp).coupled
    design = cobra_gdel.predict_deletions(model, "2agpg161_p", seeds={"pgp160_c": pgp},
                                          seeds_only=True, time_limit=60)
    assert design.coupled
    assert design.maximal.method.endswith("+seed-adapt[pgp160_c]")
    assert "STM3957" not in design.deletions
    assert cobra_gdel.check_coupling(model, "2agpg161_p", design.deletions).coupled
