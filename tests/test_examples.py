"""Every script in examples/ runs as ``python examples/NAME.py`` (in a subprocess)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cobra_gdel.data import data_dir

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _bundled_ready() -> bool:
    try:
        from cobra_gdel import bundled

        import cobra_gdel.repair  # noqa: F401
    except ImportError:
        return False
    return any(b.model_id == "e_coli_core" for b in bundled.available())


def run_example(name: str, *args: str, cwd: Path | None = None,
                timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=cwd or ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{name} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_every_example_is_tested():
    tested = {"check_deletions.py", "search_design.py", "predict_design.py",
              "batch_targets.py", "train_evaluate.py", "enzyme_constrained.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


def test_check_deletions():
    out = run_example("check_deletions.py").stdout
    assert "wild type: coupled=False" in out
    assert re.search(r"^coupled\s+True$", out, re.M)
    assert "b1611 (fumC) is needed to block: FUM" in out


def test_search_design(tmp_path):
    png = tmp_path / "envelope.png"
    out = run_example("search_design.py", "--plot", str(png)).stdout
    assert "status          coupled" in out
    method = next(line.split()[1] for line in out.splitlines()
                  if line.strip().startswith("method "))
    assert method.startswith("search") and method.endswith("+trim"), method
    assert png.stat().st_size > 1000


def test_batch_targets(tmp_path):
    import pandas as pd

    csv = tmp_path / "designs.csv"
    out = run_example("batch_targets.py", "--targets", "succ_e,ac_e,not_a_metabolite",
                      "--output", str(csv)).stdout
    assert "2 of 3 targets coupled" in out
    table = pd.read_csv(csv)
    assert list(table["target"]) == ["succ_e", "ac_e", "not_a_metabolite"]
    assert list(table["status"]) == ["coupled", "coupled", "error"]
    assert (table.loc[:1, "n_deletions"] > 0).all()


@pytest.mark.skipif(not _bundled_ready(), reason="bundled predictors or repair not installed")
def test_predict_design():
    out = run_example("predict_design.py").stdout
    assert "DeletionDesign for succ_e" in out
    assert "status          coupled" in out


@pytest.mark.skipif(data_dir("e_coli_core") is None,
                    reason="strategy data not found (COBRA_GDEL_DATA or ../shared/data)")
def test_train_evaluate():
    out = run_example("train_evaluate.py", "--folds", "3", "--epochs", "2").stdout
    for name in ("prior", "bpm", "knn", "deepgdel"):
        assert f"| {name} |" in out
    assert "genes most likely deleted for" in out


def test_enzyme_constrained():
    out = run_example("enzyme_constrained.py").stdout
    assert "without a pool: wild-type growth 0.874" in out
    assert "with a pool of 288.4: wild-type growth 0.648" in out
    pooled = float(re.search(r"with a pool of 288.4: .* growth ([0-9.]+), minimal", out).group(1))
    fba = float(re.search(r"cobra's FBA on the constrained model with the design: growth "
                          r"([0-9.]+)", out).group(1))
    assert pooled == pytest.approx(fba, abs=1e-3)  # the design verifies on the pooled model
