"""cobra_gdel.plotting.plot_design on the textbook model (Agg backend, no display)."""

from __future__ import annotations

import math

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cobra_gdel import DeletionDesign, check_coupling  # noqa: E402
from cobra_gdel.plotting import DESIGN_COLOR, WILD_TYPE_COLOR, plot_design  # noqa: E402

#: A minimal coupled design for succinate in e_coli_core (gDel_minRN + trim).
SUCC_DELETIONS = ["b1602", "b1611", "b1612", "b2297", "b2458", "b3962", "b4122"]


@pytest.fixture()
def design(textbook):
    report = check_coupling(textbook, "succ_e", SUCC_DELETIONS)
    assert report.coupled
    return DeletionDesign.from_report(report, "manual", model=textbook)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _operating_point(ax):
    for line in ax.lines:
        if line.get_marker() == "o":
            return line
    raise AssertionError("no operating-point marker")


def test_plot_design_draws_both_envelopes_and_the_operating_point(design, textbook):
    ax = plot_design(design, points=8)
    assert isinstance(ax, matplotlib.axes.Axes)
    # two filled bands (wild type, design) and their min/max edges
    assert len(ax.collections) >= 2
    assert len(ax.lines) >= 4
    point = _operating_point(ax)
    x, y = point.get_xdata()[0], point.get_ydata()[0]
    assert math.isclose(x, design.growth_rate, rel_tol=1e-9)
    assert math.isclose(y, design.min_production, rel_tol=1e-9)
    assert y > design.production_lb
    assert "EX_succ_e" in ax.get_ylabel()
    assert "growth" in ax.get_xlabel().lower()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "wild type" in labels
    assert any(label.startswith("design (7 deletions)") for label in labels)
    assert any("operating point (coupled)" in label for label in labels)


def test_wild_type_band_reaches_wild_type_growth(design, textbook):
    ax = plot_design(design, points=5)
    wild_growth = textbook.slim_optimize()
    wild_edges = [line for line in ax.lines if line.get_color() == WILD_TYPE_COLOR]
    assert len(wild_edges) == 2
    assert math.isclose(max(wild_edges[0].get_xdata()), wild_growth, rel_tol=1e-6)
    # the design's maximal growth equals its reported growth rate
    design_edges = [line for line in ax.lines if line.get_color() == DESIGN_COLOR]
    assert design_edges
    assert math.isclose(max(design_edges[0].get_xdata()), design.growth_rate, rel_tol=1e-6)


def test_plot_on_given_axes_and_model(design, textbook):
    _fig, ax = plt.subplots()
    bare = DeletionDesign.from_report(design.recheck(textbook), "manual")  # holds no model
    out = plot_design(bare, model=textbook, ax=ax, points=3)
    assert out is ax


def test_design_plot_delegates_to_plot_design(design):
    if not hasattr(design, "plot"):
        pytest.skip("DeletionDesign.plot not available")
    ax = design.plot(points=4)
    point = _operating_point(ax)
    assert math.isclose(point.get_xdata()[0], design.growth_rate, rel_tol=1e-9)
    assert math.isclose(point.get_ydata()[0], design.min_production, rel_tol=1e-9)


def test_errors(design):
    bare = DeletionDesign.from_report(design.recheck(), "manual")
    with pytest.raises(ValueError, match="holds no model"):
        plot_design(bare)
    with pytest.raises(ValueError, match="points"):
        plot_design(design, points=1)


def test_missing_matplotlib_names_the_plot_extra(design, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"cobra_gdel\[plot\]"):
        plot_design(design)
