"""DeletionDesign: a frozen, verified result with views and a reversible apply()."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from cobra_gdel import DeletionDesign, check_coupling

from .conftest import load_strategies, model_state


@pytest.fixture()
def succ_design(textbook):
    table = load_strategies("e_coli_core")
    deletions = list(table.columns[table.loc["succ_e"].values == 1])
    report = check_coupling(textbook, "succ_e", deletions)
    probabilities = pd.Series(0.1, index=[g.id for g in textbook.genes], name="succ_e")
    probabilities[deletions] = 0.9
    return DeletionDesign.from_report(report, "published", model=textbook,
                                      probabilities=probabilities, timings={"verify": 0.01})


def test_fields_and_status(succ_design):
    assert succ_design.coupled and succ_design.status == "coupled"
    assert succ_design.growth_rate == pytest.approx(0.4041, abs=1e-4)
    assert succ_design.model_id == "e_coli_core"
    with pytest.raises(dataclasses.FrozenInstanceError):
        succ_design.coupled = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        succ_design.timings["x"] = 1.0  # read-only mapping


def test_not_coupled_design(textbook):
    design = DeletionDesign.from_report(check_coupling(textbook, "succ_e"), "none",
                                        model=textbook)
    assert not design.coupled and design.status == "not_coupled"
    assert "minimal production" in design.reason
    with pytest.raises(ValueError, match="not coupled"):
        design.minimal()


def test_to_frame(succ_design):
    assert "b2779" not in succ_design.deletions
    frame = succ_design.to_frame()
    assert frame.index.name == "gene"
    assert set(frame.columns) == {"probability", "deleted", "disabled_reactions"}
    assert len(frame) == 137
    assert frame["deleted"].sum() == len(succ_design.deletions)
    # deleted genes first, and each lists the reactions the design switches off through it
    assert frame["deleted"].iloc[: len(succ_design.deletions)].all()
    assert "SUCDi" in ",".join(frame["disabled_reactions"])  # succinate consumption off
    assert frame.loc["b1602", "disabled_reactions"] == "NADTRHD, THD2"  # b3962 is deleted too
    assert frame.loc["b2779", "disabled_reactions"] == ""  # a kept gene (enolase)


def test_text_html_json(succ_design):
    text = str(succ_design)
    assert "succ_e" in text and "coupled" in text and "0.404" in text
    html = succ_design._repr_html_()
    assert html.startswith("<table>") and "EX_succ_e" in html
    data = json.loads(json.dumps(succ_design.to_dict()))
    assert data["coupled"] is True and len(data["deletions"]) == len(succ_design.deletions)
    assert succ_design.summary()["n_deletions"] == len(succ_design.deletions)


def test_apply_is_reversible(succ_design, textbook):
    before = model_state(textbook)
    with succ_design.apply() as model:
        assert model is textbook
        assert model.slim_optimize() == pytest.approx(succ_design.growth_rate, rel=1e-6)
        assert model.reactions.THD2.bounds == (0.0, 0.0)
    assert model_state(textbook) == before


def test_recheck(succ_design):
    assert succ_design.recheck().coupled


def test_equality_ignores_timings(succ_design):
    other = dataclasses.replace(succ_design, timings={"verify": 99.0})
    assert other == succ_design and hash(other) == hash(succ_design)
