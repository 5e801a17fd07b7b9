"""orphan_dependencies: the gene-less reactions a coupled design needs."""

from __future__ import annotations

import cobra
import pytest

import cobra_gdel
from cobra_gdel import UnknownTargetError, orphan_dependencies


@pytest.fixture(scope="module")
def textbook():
    return cobra.io.load_model("textbook")


def _state(model) -> tuple:
    return (tuple((r.id, r.bounds) for r in model.reactions), len(model.metabolites),
            str(model.objective.expression))


def test_a_gene_less_exporter_of_the_target_is_needed_for_coupling(textbook):
    # textbook's succinate exporter SUCCt3 has no gene rule
    table = orphan_dependencies(textbook, "succ_e", ["b0114", "b0721", "b0767"])
    assert table["needed_for"].to_dict() == {"SUCCt3": "coupling"}
    assert list(table.columns) == ["name", "reaction", "minimum", "maximum", "needed_for"]
    assert table.loc["SUCCt3", "minimum"] > 0  # forced at the design's maximal growth


def test_a_by_product_exit_is_needed_for_growth(textbook):
    genes = ["b0116", "b1479", "b1676", "b1852", "b1854", "b2463", "b2587"]
    assert cobra_gdel.check_coupling(textbook, "glu__L_e", genes).coupled
    table = orphan_dependencies(textbook, "glu__L_e", genes)
    assert table["needed_for"].to_dict() == {"SUCCt3": "growth"}


def test_designs_that_need_no_orphan_and_the_model_is_left_unchanged(textbook):
    before = _state(textbook)
    akg = orphan_dependencies(textbook, "akg_e", ["b0729", "b1602", "b2029", "b3236", "b4015"])
    # an intracellular target: its auxiliary sink exists only inside the call
    fum = orphan_dependencies(textbook, textbook.metabolites.fum_c,
                              [textbook.genes.b1479, "b1676", "b1854", "b2029", "b2463"])
    assert akg.empty and fum.empty
    assert list(akg.columns) == ["name", "reaction", "minimum", "maximum", "needed_for"]
    assert _state(textbook) == before
    assert "DM_fum_c" not in textbook.reactions


def test_the_maintenance_demand_is_not_an_orphan(textbook):
    # ATPM has no gene and a positive lower bound: forced in every design, never listed
    table = orphan_dependencies(textbook, "ac_e", ["b0726", "b3731"])
    assert "ATPM" not in table.index
    assert table["needed_for"].to_dict() == {"ACt2r": "coupling"}


def test_bad_input(textbook):
    with pytest.raises(ValueError, match="do not couple"):
        orphan_dependencies(textbook, "succ_e", [])
    with pytest.raises(UnknownTargetError):
        orphan_dependencies(textbook, "succinate", ["b0114"])
    with pytest.raises(ValueError, match="growth_lb"):
        orphan_dependencies(textbook, "succ_e", ["b0114", "b0721", "b0767"], growth_lb=-1)
