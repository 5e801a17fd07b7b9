"""The cobra-gdel command line (check and model loading)."""

from __future__ import annotations

import json
import subprocess
import sys

import cobra
import pytest

from cobra_gdel.cli import load_model, main

from .conftest import load_strategies


def _succ_deletions() -> str:
    table = load_strategies("e_coli_core")
    return ",".join(table.columns[table.loc["succ_e"].values == 1])


def test_check_coupled(capsys):
    assert main(["check", "textbook", "succ_e", "--delete", _succ_deletions()]) == 0
    out = capsys.readouterr().out
    assert "COUPLED" in out and "0.404" in out and "6.929" in out


def test_check_not_coupled_json(capsys):
    assert main(["check", "textbook", "succ_e", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["coupled"] is False and data["production_reaction"] == "EX_succ_e"


def test_bad_input_exit_2(capsys):
    assert main(["check", "textbook", "succ_x"]) == 2
    err = capsys.readouterr().err
    assert "succ_e" in err and "error" in err
    assert main(["check", "textbook", "succ_e", "--delete", "b9999"]) == 2
    assert main(["check", "textbook", "succ_e", "--growth-lb", "-1"]) == 2
    assert main(["check", "no/such/model.xml", "succ_e"]) == 2


def test_load_model_formats(tmp_path, textbook):
    json_path = tmp_path / "m.json"
    cobra.io.save_json_model(textbook, str(json_path))
    assert len(load_model(str(json_path)).reactions) == len(textbook.reactions)
    sbml_path = tmp_path / "m.xml"
    cobra.io.write_sbml_model(textbook, str(sbml_path))
    assert len(load_model(str(sbml_path)).reactions) == len(textbook.reactions)
    with pytest.raises(ValueError, match="format"):
        (tmp_path / "m.txt").write_text("x")
        load_model(str(tmp_path / "m.txt"))


def test_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "cobra_gdel.cli", "--version"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "cobra_gdel" in result.stdout


def test_json_on_standard_output_is_json_alone():
    """HiGHS prints a banner from C++ on the first solver object of a process; it goes to
    standard error, so ``--json`` output parses."""
    result = subprocess.run([sys.executable, "-m", "cobra_gdel.cli", "predict", "textbook",
                             "succ_e", "--json"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    design = json.loads(result.stdout)
    assert design["status"] == "coupled" and design["deletions"]
