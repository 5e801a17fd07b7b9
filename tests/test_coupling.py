"""The weak growth-coupling check: definitions, data, robustness, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cobra_gdel.lp
from cobra_gdel import coupling
from cobra_gdel.coupling import CouplingChecker, check_coupling, get_checker
from cobra_gdel.targets import production_reaction
from cobra_gdel.exceptions import (
    InfeasibleModelError,
    NoProductionRouteError,
    SolverError,
    UnknownGeneError,
    UnknownTargetError,
)

from .conftest import MODEL_IDS, load_data_model, load_strategies, model_state

def _strategy(model_id: str, target: str) -> list[str]:
    table = load_strategies(model_id)
    row = table.loc[target]
    return list(row.index[row.values == 1])


# -- definitions on the textbook model (no data needed) -----------------------------------
def test_wild_type_not_coupled_for_succinate(textbook):
    report = check_coupling(textbook, "succ_e")
    assert not report.coupled
    assert report.growth_rate == pytest.approx(0.8739, abs=1e-4)
    assert report.min_production == pytest.approx(0.0, abs=1e-9)
    assert "minimal production" in report.reason


def test_published_succinate_strategy(textbook):
    deletions = _strategy("e_coli_core", "succ_e")
    before = model_state(textbook)
    report = check_coupling(textbook, "succ_e", deletions)
    assert report.coupled and report.reason == ""
    assert report.growth_rate == pytest.approx(0.4041, abs=1e-4)
    assert report.min_production == pytest.approx(6.929, abs=1e-3)
    assert report.max_production >= report.min_production - 1e-9
    assert report.production_reaction == "EX_succ_e"
    assert report.deletions == frozenset(deletions)
    assert model_state(textbook) == before


def test_disabled_reactions_follow_gpr(textbook):
    # b1602 and b1603 are the two subunits of the transhydrogenase THD2 (an AND rule);
    # PNTAB-free: deleting one subunit disables the reaction, isozymes do not.
    report = check_coupling(textbook, "succ_e", ["b1602"])
    assert "THD2" in report.disabled_reactions
    # Deleting one of two isozymes (b2779 eno is single; pick an OR rule: b1478 vs b0356 ALCD2x)
    one = check_coupling(textbook, "succ_e", ["b1478"])
    assert "ALCD2x" not in one.disabled_reactions
    both = check_coupling(textbook, "succ_e", ["b1478", "b0356", "b1241"])
    assert "ALCD2x" in both.disabled_reactions


def test_accepts_objects(textbook):
    met = textbook.metabolites.get_by_id("succ_e")
    genes = [textbook.genes.get_by_id(g) for g in _strategy("e_coli_core", "succ_e")]
    assert check_coupling(textbook, met, genes).coupled


def test_production_reaction_rules(fresh_textbook):
    model = fresh_textbook
    assert production_reaction(model, "succ_e").id == "EX_succ_e"
    n = len(model.reactions)
    sink = production_reaction(model, "succ_c")
    assert sink.id == "DM_succ_c" and sink.model is None and len(model.reactions) == n
    assert sink.bounds == (0.0, 1000.0)
    assert {m.id: c for m, c in sink.metabolites.items()} == {"succ_c": -1.0}
    with model:
        inside = production_reaction(model, "succ_c")
        assert inside.id in model.reactions and len(model.reactions) == n + 1
    assert "DM_succ_c" not in model.reactions and len(model.reactions) == n


def test_auxiliary_sink_switching_matches_fresh_checker(textbook):
    """One checker serving several targets gives what a fresh checker gives."""
    shared = CouplingChecker(textbook)
    deletions = _strategy("e_coli_core", "succ_e")
    order = ["succ_c", "succ_e", "akg_c", "succ_c", "pyr_c", "succ_e"]
    for target in order:
        got = shared.check(target, deletions)
        want = CouplingChecker(textbook).check(target, deletions)
        assert got.coupled == want.coupled
        assert got.growth_rate == pytest.approx(want.growth_rate, abs=1e-7)
        assert got.min_production == pytest.approx(want.min_production, abs=1e-6)
        assert got.max_production == pytest.approx(want.max_production, abs=1e-6)


def test_cache_reused_and_invalidated(fresh_textbook):
    model = fresh_textbook
    first = get_checker(model)
    assert get_checker(model) is first
    with model:
        model.reactions.EX_o2_e.lower_bound = 0.0  # anaerobic
        anaerobic = get_checker(model)
        assert anaerobic is not first
        assert check_coupling(model, "succ_e").growth_rate == pytest.approx(0.2117, abs=1e-3)
    assert check_coupling(model, "succ_e").growth_rate == pytest.approx(0.8739, abs=1e-4)
    coupling.clear_cache()
    assert get_checker(model) is not first


@pytest.mark.skipif("hybrid" not in cobra_gdel.lp.available_solvers(),
                    reason="HiGHS (optlang hybrid interface) is not installed")
def test_hybrid_solver_agrees_with_glpk(textbook):
    deletions = _strategy("e_coli_core", "succ_e")
    glpk = check_coupling(textbook, "succ_e", deletions, solver="glpk")
    highs = check_coupling(textbook, "succ_e", deletions, solver="hybrid")
    assert highs.coupled and glpk.coupled
    assert highs.growth_rate == pytest.approx(glpk.growth_rate, rel=1e-6)
    assert highs.min_production == pytest.approx(glpk.min_production, rel=1e-5)


# -- bad input --------------------------------------------------------------------------------
def test_unknown_target_suggests_close_ids(textbook):
    with pytest.raises(UnknownTargetError, match="succ_e"):
        check_coupling(textbook, "succ_x")
    with pytest.raises(UnknownTargetError, match="is a reaction"):
        check_coupling(textbook, "EX_succ_e")
    with pytest.raises(KeyError):  # also a KeyError, as cobra users expect
        check_coupling(textbook, "nonsense_metabolite")


def test_unknown_genes(textbook):
    before = model_state(textbook)
    with pytest.raises(UnknownGeneError, match="b9999"):
        check_coupling(textbook, "succ_e", ["b0008", "b9999"])
    assert model_state(textbook) == before


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "x", None])
def test_bad_bounds(textbook, bad):
    with pytest.raises(ValueError):
        check_coupling(textbook, "succ_e", growth_lb=bad)
    with pytest.raises(ValueError):
        check_coupling(textbook, "succ_e", production_lb=bad)


def test_infeasible_model(fresh_textbook):
    model = fresh_textbook
    before = model_state(model)
    with model:
        model.reactions.ATPM.lower_bound = 500.0
        with pytest.raises(InfeasibleModelError, match="infeasible"):
            check_coupling(model, "succ_e")
    with model:
        model.reactions.EX_glc__D_e.lower_bound = 0.0
        with pytest.raises(InfeasibleModelError):
            check_coupling(model, "succ_e")
    assert model_state(model) == before


def test_no_production_route(fresh_textbook):
    model = fresh_textbook
    with model:
        model.reactions.EX_succ_e.upper_bound = 0.0
        checker = CouplingChecker(model)
        with pytest.raises(NoProductionRouteError, match="succ_e"):
            checker.require_production_route("succ_e")
    assert CouplingChecker(model).require_production_route("succ_e") > 1.0


def test_deletions_that_leave_no_feasible_flux(textbook):
    # pgk (b2926) and gapA (b1779) carry the lower glycolysis flux ATPM needs
    report = check_coupling(textbook, "succ_e", ["b2926", "b1779", "b0116", "b0726"])
    assert not report.coupled
    assert report.growth_rate == 0.0


# -- solver robustness --------------------------------------------------------------------------
def test_stalled_solve_is_retried(textbook, monkeypatch):
    checker = CouplingChecker(textbook)
    want = checker.check("succ_e", _strategy("e_coli_core", "succ_e"))
    calls = {"n": 0}
    real = type(checker.lp.problem)._run_glp_simplex

    def stall_once(self):
        calls["n"] += 1
        if calls["n"] == 1:
            return "time_limit"
        return real(self)

    monkeypatch.setattr(type(checker.lp.problem), "_run_glp_simplex", stall_once)
    got = checker.check("succ_e", _strategy("e_coli_core", "succ_e"))
    assert calls["n"] >= 4  # the stalled solve was repeated
    assert got.min_production == pytest.approx(want.min_production, abs=1e-6)


def test_persistent_stall_raises_solver_error_hybrid(textbook, monkeypatch):
    if "hybrid" not in cobra_gdel.lp.available_solvers():
        pytest.skip("HiGHS (optlang hybrid interface) is not installed")
    checker = CouplingChecker(textbook, solver="hybrid")
    monkeypatch.setattr(type(checker.lp.problem), "optimize", lambda self: "time_limit")
    with pytest.raises(SolverError, match="time_limit"):
        checker.check("succ_e", [])


def test_persistent_stall_raises_solver_error(textbook, monkeypatch):
    checker = CouplingChecker(textbook)
    monkeypatch.setattr(type(checker.lp.problem), "_run_glp_simplex", lambda self: "time_limit")
    with pytest.raises(SolverError, match="time_limit"):
        checker.check("succ_e", [])


def test_threshold_sweep_in_one_problem_matches_fresh_problems():
    """iMM904 / 3mob_c: checking the frequency-prior sets θ = 0.05 … 0.95 in one LP.

    With cobra's own model object the growth LP at θ = 0.45 (673 genes) stalls in
    GLPK; cobra_gdel's check must finish every step (time-limited, status-checked)
    and agree with a fresh problem at each θ.
    """
    model = load_data_model("iMM904")
    prior = load_strategies("iMM904").mean()
    shared = CouplingChecker(model)
    for theta in np.arange(0.05, 1.0, 0.05):
        deletions = list(prior.index[prior >= theta - 1e-12])
        got = shared.check("3mob_c", deletions)
        want = CouplingChecker(model).check("3mob_c", deletions)
        assert got.coupled == want.coupled, theta
        # At θ = 0.45 growth is numerically indeterminate on the model's own bounds
        # (±999999, where GLPK's 1e-7 relative tolerance is ~0.1 absolute: one basis
        # gives 0, another 5e-4, both far below growth_lb); elsewhere the values agree
        # to 1e-5.
        tolerance = 1e-3 if want.growth_rate < 1e-3 else 1e-5
        assert got.growth_rate == pytest.approx(want.growth_rate, abs=tolerance)
        # At θ = 0.45 the LP is feasible only at (about) zero growth: from one basis GLPK
        # calls it infeasible, from another optimal at 0. Both are "not coupled"; compare
        # production only where both solves found it.
        if not (math.isnan(want.min_production) or math.isnan(got.min_production)):
            assert got.min_production == pytest.approx(want.min_production, abs=1e-5)
    assert shared.check("3mob_c", list(prior.index[prior >= 0.5])).coupled


# -- the data: every published strategy is coupled ---------------------------------------------
@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_every_strategy_is_coupled(model_id):
    model = load_data_model(model_id)
    table = load_strategies(model_id)
    genes = np.asarray(table.columns)
    before = model_state(model)
    failed = []
    for target, row in table.iterrows():
        report = check_coupling(model, target, genes[row.values == 1])
        if not report.coupled:
            failed.append((target, report.reason))
    assert not failed, failed
    assert model_state(model) == before


# -- properties -----------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_deletions_never_change_model_and_recheck(textbook, data):
    genes = sorted(g.id for g in textbook.genes)
    deletions = data.draw(st.sets(st.sampled_from(genes), max_size=40))
    target = data.draw(st.sampled_from(["succ_e", "ac_e", "etoh_e", "akg_c", "lac__D_e"]))
    before = model_state(textbook)
    first = check_coupling(textbook, target, deletions)
    assert model_state(textbook) == before
    again = CouplingChecker(textbook).check(target, deletions)
    assert again.coupled == first.coupled
    assert again.growth_rate == pytest.approx(first.growth_rate, abs=1e-6)
    if first.coupled:
        assert again.min_production >= first.production_lb - 1e-9


def test_primal_warm_start_gives_the_dual_simplex_values(textbook, monkeypatch):
    """The production LPs of a check start GLPK's primal simplex from the growth LP's
    basis; every value must match a check that uses the dual simplex throughout."""
    import random

    from cobra_gdel.lp import FluxProblem

    rng = random.Random(3)
    genes = sorted(g.id for g in textbook.genes)
    cases = [(t, rng.sample(genes, k)) for t in ("succ_e", "ac_e", "for_e", "etoh_e")
             for k in (0, 3, 8, 20)]
    fast = CouplingChecker(textbook)
    got = [fast.check(t, d) for t, d in cases]
    real = FluxProblem._fast_simplex
    monkeypatch.setattr(FluxProblem, "_fast_simplex", lambda self, primal=False: real(self))
    slow = CouplingChecker(textbook)
    for (target, deletions), report in zip(cases, got):
        want = slow.check(target, deletions)
        assert report.coupled == want.coupled, (target, deletions)
        for field in ("growth_rate", "min_production", "max_production"):
            a, b = getattr(report, field), getattr(want, field)
            assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-6), field


def _checks_and_iterations(model, cases):
    """Reports of *cases* on a fresh checker, and the simplex iterations of their
    growth LPs."""
    import swiglpk

    checker = CouplingChecker(model)
    reports, iterations = [], 0
    for target, deletions in cases:
        before = swiglpk.glp_get_it_cnt(checker.lp.problem.problem)
        checker.max_growth(deletions)
        iterations += swiglpk.glp_get_it_cnt(checker.lp.problem.problem) - before
        reports.append(checker.check(target, deletions))
    return reports, iterations


def test_kept_bases_give_the_same_values_in_fewer_iterations(textbook, monkeypatch):
    """Each dual-simplex LP starts from the last optimal basis of its own objective
    (``FluxProblem.keep_bases``): the values are those of warm starts from the last
    solve's basis, and the growth LPs after production solves take fewer pivots."""
    import random

    from cobra_gdel.lp import FluxProblem

    rng = random.Random(0)
    genes = sorted(g.id for g in textbook.genes)
    cases = [(t, rng.sample(genes, k)) for t in ("succ_e", "ac_e", "etoh_e")
             for k in (0, 2, 3, 5, 8) for _ in range(2)]
    kept, kept_iterations = _checks_and_iterations(textbook, cases)
    monkeypatch.setattr(FluxProblem, "keep_bases", False)
    plain, plain_iterations = _checks_and_iterations(textbook, cases)
    for (target, deletions), a, b in zip(cases, kept, plain):
        assert a.coupled == b.coupled, (target, deletions)
        for field in ("growth_rate", "min_production", "max_production"):
            x, y = getattr(a, field), getattr(b, field)
            assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, abs=1e-6), field
    assert kept_iterations < plain_iterations


def test_fluxes_follow_added_and_removed_columns(textbook):
    """``FluxProblem.fluxes`` reads GLPK's columns by index: the same values as optlang's
    lookup by name, also after a column is added and removed again."""
    from cobra_gdel.lp import FluxProblem
    from cobra_gdel.modeldata import read_model

    lp = FluxProblem(read_model(textbook), cobra_gdel.lp.solver_interface(textbook, "glpk"))

    def by_name() -> dict:
        values = lp.problem.primal_values
        return {rid: sum(sign * values[lp.variables[c].name]
                         for c, sign in zip(lp._columns(rid), (1.0, -1.0)))
                for rid in lp.current}

    lp.solve(lp.objective_terms, "max")
    assert lp.fluxes() == by_name()
    lp.add_reaction("DM_test_succ", {"succ_c": -1.0}, 0.0, 1000.0)
    lp.solve({"DM_test_succ": 1.0}, "max")
    fluxes = lp.fluxes()
    assert fluxes == by_name() and fluxes["DM_test_succ"] > 1.0
    lp.remove_reaction("DM_test_succ")
    lp.solve(lp.objective_terms, "max")
    assert lp.fluxes() == by_name() and "DM_test_succ" not in lp.fluxes()


def test_glpk_basis_round_trip_and_column_values(fresh_textbook):
    """The GLPK helpers read and write the basis status of every row and column, and
    read net fluxes by index, as swiglpk's per-item functions do."""
    import swiglpk

    from cobra_gdel import _glpk

    model = fresh_textbook
    model.solver = "glpk"
    growth = model.slim_optimize()
    prob = model.solver.problem
    rows, cols = swiglpk.glp_get_num_rows(prob), swiglpk.glp_get_num_cols(prob)
    optimal = _glpk.read_basis(prob)
    assert optimal == ([swiglpk.glp_get_row_stat(prob, i) for i in range(1, rows + 1)],
                       [swiglpk.glp_get_col_stat(prob, j) for j in range(1, cols + 1)])
    assert swiglpk.GLP_BS in optimal[1]
    swiglpk.glp_std_basis(prob)
    assert _glpk.read_basis(prob) != optimal
    _glpk.write_basis(prob, optimal)
    assert _glpk.read_basis(prob) == optimal
    model.slim_optimize()  # solved again from the written basis: the same optimum
    assert model.solver.objective.value == pytest.approx(growth)
    reaction = model.reactions.PGI
    forward, reverse = _glpk.column_indices(prob, [reaction.forward_variable.name,
                                                   reaction.reverse_variable.name])
    values = _glpk.column_values(prob, _glpk.column_map([("PGI", forward, reverse),
                                                        ("PGI_f", forward)]))
    assert values["PGI"] == pytest.approx(reaction.flux)
    assert values["PGI_f"] == pytest.approx(reaction.forward_variable.primal)


def test_unconfirmed_solves_take_the_primal_simplex_verdict(fresh_textbook, monkeypatch):
    """``confirm=False`` (heuristics): a warm dual solve that is not optimal is settled
    by the primal simplex from its last basis, not by a fresh basis; the optimum of a
    feasible LP is the confirmed one."""
    model = fresh_textbook
    model.solver = "glpk"
    checker = CouplingChecker(model)
    lp = checker.lp
    fresh = []
    real = lp._fresh_basis
    monkeypatch.setattr(lp, "_fresh_basis", lambda: fresh.append(1) or real())
    growth = lp.solve(checker.growth_coefs, "max", confirm=False)
    assert growth == pytest.approx(checker.wild_type_growth)
    lp.set_constraint_bounds("growth_fix", 2 * growth, None)  # infeasible
    try:
        assert lp.solve(checker.growth_coefs, "max", confirm=False) is None
        assert fresh == []
        assert lp.solve(checker.growth_coefs, "max") is None
        assert fresh == [1]
    finally:
        lp.set_constraint_bounds("growth_fix", None, None)
    assert lp.solve(checker.growth_coefs, "max", confirm=False) == pytest.approx(growth)
