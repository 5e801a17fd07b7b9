"""The check answers for the user's model as it is: every constraint of its solver problem,
its own bounds, and cobra's own GPR evaluation (no data files needed)."""

from __future__ import annotations

import math
import random

import pytest

import cobra_gdel
from cobra_gdel.coupling import get_checker
from cobra_gdel.exceptions import UnsupportedModelError

from .conftest import add_enzyme_pool, cobra_check, model_state

TARGETS = ("succ_e", "ac_e", "etoh_e", "for_e", "lac__D_e", "akg_e")


def _random_sets(model, n: int, seed: int) -> list[tuple[str, list[str]]]:
    """*n* (target, gene set) pairs: small and large random deletion sets."""
    rng = random.Random(seed)
    genes = sorted(g.id for g in model.genes if g.id != "s0001")
    out = []
    for i in range(n):
        size = rng.choice((1, 2, 3, 5, 8, 13, 21, 34))
        out.append((TARGETS[i % len(TARGETS)], rng.sample(genes, size)))
    return out


def _assert_agrees(model, target, deletions):
    report = cobra_gdel.check_coupling(model, target, deletions)
    growth, low, coupled = cobra_check(model, target, deletions)
    assert report.coupled == coupled, (target, deletions, report, growth, low)
    assert report.growth_rate == pytest.approx(growth, rel=1e-4, abs=1e-7), (target, deletions)
    if coupled:
        assert report.min_production == pytest.approx(low, rel=1e-4, abs=1e-6)


def test_check_agrees_with_cobra_on_random_sets(fresh_textbook):
    model = fresh_textbook
    before = model_state(model)
    for target, deletions in _random_sets(model, 150, seed=1):
        _assert_agrees(model, target, deletions)
    assert model_state(model) == before


def test_check_agrees_with_cobra_with_an_enzyme_pool(fresh_textbook):
    model = fresh_textbook
    free = cobra_gdel.check_coupling(model, "succ_e")
    add_enzyme_pool(model)
    assert model.slim_optimize() == pytest.approx(0.648, abs=1e-3)
    pooled = cobra_gdel.check_coupling(model, "succ_e")
    assert pooled.growth_rate == pytest.approx(model.slim_optimize(), rel=1e-6)
    assert pooled.growth_rate < free.growth_rate - 0.2  # the pool is part of the check
    assert not get_checker(model).data.plain
    for target, deletions in _random_sets(model, 100, seed=2):
        _assert_agrees(model, target, deletions)


def test_pool_added_and_removed_in_a_with_block(fresh_textbook):
    """A 7-gene succ_e design: with the pool (inside ``with model:``) its growth is lower,
    as cobra's own FBA says; once the block ends the free numbers come back."""
    deletions = ["b1602", "b1611", "b1612", "b2297", "b2458", "b3962", "b4122"]
    model = fresh_textbook
    free = cobra_gdel.check_coupling(model, "succ_e", deletions)
    with model:
        add_enzyme_pool(model)
        _assert_agrees(model, "succ_e", deletions)
        pooled = cobra_gdel.check_coupling(model, "succ_e", deletions)
    assert pooled.growth_rate < free.growth_rate - 0.05
    assert cobra_gdel.check_coupling(model, "succ_e", deletions) == free


def test_model_bounds_are_not_capped(fresh_textbook):
    """Bounds beyond ±9999 are the model's: a verdict never caps them."""
    model = fresh_textbook
    for reaction in model.reactions:
        low, high = reaction.bounds
        reaction.bounds = (-1e6 if low <= -1000 else low, 1e6 if high >= 1000 else high)
    model.reactions.EX_glc__D_e.lower_bound = -15000.0
    model.reactions.EX_o2_e.lower_bound = -1e6
    growth = model.slim_optimize()
    assert growth > 100  # far beyond what capping at ±1000 allows
    report = cobra_gdel.check_coupling(model, "succ_e")
    assert report.growth_rate == pytest.approx(growth, rel=1e-6)
    _assert_agrees(model, "succ_e", ["b1602", "b1611", "b1612", "b2297", "b2458", "b3962",
                                     "b4122"])


def test_row_bounds_of_the_model_are_kept(fresh_textbook):
    """A metabolite whose balance the model lets accumulate (row bound > 0) is read as such."""
    model = fresh_textbook
    model.solver.constraints["succ_c"].ub = 5.0  # up to 5 succinate may accumulate
    growth = model.slim_optimize()
    assert cobra_gdel.check_coupling(model, "ac_e").growth_rate == pytest.approx(growth, rel=1e-6)
    _assert_agrees(model, "succ_e", ["b1602", "b1611"])


def test_gpr_evaluation_matches_cobra(textbook):
    rules = get_checker(textbook).rules
    rng = random.Random(3)
    genes = sorted(g.id for g in textbook.genes)
    for _ in range(300):
        deleted = set(rng.sample(genes, rng.randint(0, 40)))
        expected = {r.id for r in textbook.reactions
                    if r.gene_reaction_rule and not r.gpr.eval(knockouts=deleted)}
        assert rules.disabled(deleted) == expected


def test_quadratic_objective_is_unsupported(fresh_textbook):
    model = fresh_textbook
    if "hybrid" not in cobra_gdel.lp.available_solvers():
        pytest.skip("HiGHS/OSQP not installed")
    model.solver = "hybrid"
    biomass = model.reactions.Biomass_Ecoli_core
    model.objective = model.problem.Objective(biomass.flux_expression ** 2, direction="max")
    before = model_state(model)
    with pytest.raises(UnsupportedModelError, match="not linear"):
        cobra_gdel.check_coupling(model, "succ_e")
    assert model_state(model) == before


def test_integer_variable_and_minimised_objective_are_unsupported(fresh_textbook):
    model = fresh_textbook
    with model:
        switch = model.problem.Variable("switch", lb=0, ub=1, type="integer")
        model.add_cons_vars(switch)
        with pytest.raises(UnsupportedModelError, match="integer"):
            cobra_gdel.check_coupling(model, "succ_e")
    with model:
        model.objective_direction = "min"
        with pytest.raises(UnsupportedModelError, match="minimises"):
            cobra_gdel.check_coupling(model, "succ_e")


def test_extra_variable_in_a_constraint_is_part_of_the_check(fresh_textbook):
    """A user's own variable (an enzyme-usage variable, GECKO-style) with its own bound."""
    model = fresh_textbook
    usage = model.problem.Variable("enzyme_usage", lb=0, ub=150)
    model.add_cons_vars(usage)
    link = model.problem.Constraint(0, lb=0, ub=0, name="usage_link")
    model.add_cons_vars(link)
    model.solver.update()
    coefs = {v: 1.0 for r in model.reactions if r.genes
             for v in (r.forward_variable, r.reverse_variable)}
    coefs[usage] = -1.0
    link.set_linear_coefficients(coefs)
    growth = model.slim_optimize()
    assert not math.isclose(growth, 0.8739, rel_tol=1e-3)
    assert cobra_gdel.check_coupling(model, "succ_e").growth_rate == pytest.approx(growth,
                                                                                 rel=1e-6)
    _assert_agrees(model, "ac_e", ["b1602", "b1611"])


def test_a_changed_pool_rebuilds_the_checker(fresh_textbook):
    model = fresh_textbook
    pool = add_enzyme_pool(model, 250.0)
    first = cobra_gdel.check_coupling(model, "succ_e").growth_rate
    pool.ub = 200.0
    second = cobra_gdel.check_coupling(model, "succ_e").growth_rate
    assert second == pytest.approx(model.slim_optimize(), rel=1e-6) and second < first
