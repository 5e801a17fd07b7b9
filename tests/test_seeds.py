"""Seeds: designs checked as they are before repair (predict_deletions(seeds=...)), and the
retry of predict_many that seeds the targets it missed with the batch's coupled designs."""

from __future__ import annotations

import cobra
import pytest

import cobra_gdel
from cobra_gdel.batch import batch_seeds
from cobra_gdel.seeds import seed_sets

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
    assert seeds["succ_e"] == table.loc["succ_e", "deletions"]
    assert set(seeds) == {"succ_e", "succ_e:maximal", "akg_e", "akg_e:maximal"}
