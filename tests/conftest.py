"""Shared fixtures: the textbook model and the strategy data (skipped when absent)."""

from __future__ import annotations

import cobra
import pandas as pd
import pytest

from cobra_gdel.data import data_dir

MODEL_IDS = ("e_coli_core", "iMM904", "iML1515")
_MODELS: dict[str, cobra.Model] = {}


def require_data(model_id: str):
    """The data folder of *model_id*, or skip the test with the reason."""
    path = data_dir(model_id)
    if path is None:
        pytest.skip(f"strategy data for {model_id} not found: set COBRA_GDEL_DATA or place it "
                    "in ../shared/data")
    return path


def load_data_model(model_id: str) -> cobra.Model:
    """The data folder's model (loaded once per session; tests must not change it)."""
    if model_id not in _MODELS:
        _MODELS[model_id] = cobra.io.load_json_model(str(require_data(model_id) / "model.json"))
    return _MODELS[model_id]


def load_strategies(model_id: str) -> pd.DataFrame:
    """strategies.csv as a DataFrame (index metabolite, columns genes, 1 = deleted)."""
    return pd.read_csv(require_data(model_id) / "strategies.csv", index_col=0)


@pytest.fixture(scope="session")
def textbook() -> cobra.Model:
    """cobra's bundled e_coli_core (shared; tests must leave it unchanged)."""
    return cobra.io.load_model("textbook")


@pytest.fixture()
def fresh_textbook() -> cobra.Model:
    """A private textbook model a test may change."""
    return cobra.io.load_model("textbook")


def model_state(model: cobra.Model) -> tuple:
    """Everything a cobra_gdel call must leave as it was."""
    return (
        tuple((r.id, r.bounds, r.gene_reaction_rule,
               tuple(sorted((m.id, c) for m, c in r.metabolites.items())))
              for r in model.reactions),
        tuple(m.id for m in model.metabolites),
        tuple((g.id, g.functional) for g in model.genes),
        str(model.objective.expression), model.objective.direction,
        model.solver.interface.__name__,
        len(model.solver.variables), len(model.solver.constraints),
    )


#: Pool of the enzyme-pool test constraint: lowers textbook's growth from 0.874 to 0.648.
ENZYME_POOL = 288.4


def add_enzyme_pool(model: cobra.Model, pool: float = ENZYME_POOL, name: str = "enzyme_pool"):
    """The sMOMENT/ECMpy-style pool of ``examples/enzyme_constrained.py``: the sum of the
    absolute fluxes of every reaction with a gene rule is at most *pool* (inside
    ``with model:`` it is removed at the end)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "examples" / "enzyme_constrained.py"
    spec = importlib.util.spec_from_file_location("enzyme_constrained_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example.add_enzyme_pool(model, pool, name=name)


def cobra_check(model: cobra.Model, target: str, deletions, growth_lb: float = 0.001,
                production_lb: float = 0.001) -> tuple[float, float, bool]:
    """cobra's own weak-coupling check (see :mod:`cobra_gdel.reference`); growth is 0
    where cobra's solve found no feasible flux."""
    from cobra_gdel.reference import cobra_check as reference

    growth, low, coupled = reference(model, target, deletions, growth_lb, production_lb)
    return (0.0 if growth != growth else growth), low, coupled
