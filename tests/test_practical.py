"""Designs a person would build: minimal by default, few knock-outs, strong coupling,
a knock-out budget and ranked alternatives (no data files needed)."""

from __future__ import annotations

import itertools

import cobra
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cobra_gdel
from cobra_gdel import DesignSet
from cobra_gdel.cutsets import smallest_designs
from cobra_gdel.gpr import RuleSet, _fewest_hitting
from cobra_gdel.problem import DesignTask
from cobra_gdel.trim import best_first, exchange, restore_order, shrink

from .conftest import model_state


def _assert_minimal(model, design):
    assert design.coupled
    assert cobra_gdel.check_coupling(model, design.target, design.deletions,
                                     design.growth_lb).coupled
    for gene in design.deletions:
        report = cobra_gdel.check_coupling(model, design.target, design.deletions - {gene},
                                           design.growth_lb)
        assert not report.coupled, f"restoring {gene} keeps coupling: not minimal"


@pytest.fixture(scope="module")
def succ(textbook):
    return textbook.predict_deletions("succ_e")


def test_default_answer_is_a_small_strong_minimal_design(textbook, succ):
    """The README's main job: at most 6 deletions, minimal production at least 3."""
    _assert_minimal(textbook, succ)
    assert len(succ.deletions) <= 6 and succ.min_production >= 3.0
    assert "+minimal:" in succ.method and "minimal" in succ.timings
    assert succ.maximal is not None and succ.maximal.coupled
    assert len(succ.maximal.deletions) > len(succ.deletions)
    assert succ.probabilities is not None


def test_maximal_on_request(textbook, succ):
    maximal = textbook.predict_deletions("succ_e", minimize=False)
    assert maximal.coupled and maximal.maximal is None
    assert maximal.deletions == succ.maximal.deletions


def test_knockout_budget_is_never_exceeded(textbook):
    before = model_state(textbook)
    one = textbook.predict_deletions("etoh_e", max_deletions=1)
    assert one.coupled and len(one.deletions) <= 1
    zero = textbook.predict_deletions("succ_e", max_deletions=0)
    assert not zero.coupled and zero.status == "not_coupled"
    assert "at most 0 deletion" in zero.reason and not zero.deletions
    assert zero.maximal is not None and zero.maximal.coupled
    assert model_state(textbook) == before
    with pytest.raises(ValueError):
        textbook.predict_deletions("succ_e", max_deletions=-1)
    with pytest.raises(ValueError):
        textbook.predict_deletions("succ_e", n_designs=0)


def test_alternatives_are_distinct_minimal_and_ranked(textbook):
    designs = textbook.predict_deletions("succ_e", n_designs=3)
    assert isinstance(designs, DesignSet) and 1 <= len(designs) <= 3
    # alternatives search the cut sets at 50 % of the wild type's growth too: three
    # 3-gene designs at 6.43, one for each enzyme of the oxidative pentose phosphate
    # pathway (zwf b1852, pgl b0767, gnd b2029)
    assert [len(d.deletions) for d in designs] == [3, 3, 3]
    assert all(d.min_production > 6.4 for d in designs)
    assert len({d.deletions for d in designs}) == len(designs)
    for design in designs:
        _assert_minimal(textbook, design)
    frame = designs.to_frame()
    assert list(frame.columns) == ["deletions", "n_deletions", "growth_rate",
                                   "min_production", "max_production", "method"]
    assert frame.index.tolist() == list(range(1, len(designs) + 1))
    assert designs.best is designs[0] and "DesignSet for succ_e" in designs.to_string()
    assert designs._repr_html_().startswith("<table>")


def test_alternatives_plot(textbook):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    designs = textbook.predict_deletions("succ_e", n_designs=2)
    axes = designs.plot(points=5)
    assert len(axes) == len(designs)


def test_shrink_and_best_first(textbook, succ):
    task = DesignTask.create(textbook, "succ_e")
    maximal = succ.maximal.deletions
    shrunk = shrink(task, maximal, restore_order(task.checker.rules, maximal))
    assert shrunk <= maximal and task.check(shrunk).coupled
    report = best_first(task, shrunk)
    assert report.coupled
    for gene in report.deletions:
        assert not task.check(report.deletions - {gene}).coupled


def test_knockout_cost_counts_the_fewest_deletions_that_switch_a_reaction_off():
    model = cobra.Model("gpr")
    rules = {"single": "a", "complex": "a and b", "isozymes": "a or b or c",
             "mixed": "(a and b) or (a and c) or d", "shared": "(a and b) or (c and b)",
             "none": ""}
    for rid, rule in rules.items():
        reaction = cobra.Reaction(rid)
        model.add_reactions([reaction])
        reaction.gene_reaction_rule = rule
    ruleset = RuleSet(model)
    costs = {rid: ruleset.knockout_cost(rid) for rid in rules}
    # "mixed": d plus a (meets both a-terms); "shared": b meets both terms.
    assert costs == {"single": 1, "complex": 1, "isozymes": 3, "mixed": 2, "shared": 1,
                     "none": 0}


@given(st.lists(st.frozensets(st.sampled_from("abcdef"), min_size=1, max_size=3),
                min_size=1, max_size=6))
@settings(max_examples=200, deadline=None)
def test_fewest_hitting_set_matches_brute_force(terms):
    """The knock-out cost is the size of the smallest gene set meeting every term."""
    genes = sorted(set().union(*terms))
    brute = min(k for k in range(len(genes) + 1)
                for chosen in itertools.combinations(genes, k)
                if all(not term.isdisjoint(chosen) for term in terms))
    assert _fewest_hitting(tuple(terms)) == brute


def test_restore_order_tries_costly_reactions_first(textbook):
    """Restoring one isozyme of a reaction that takes several deletions to switch off
    comes before restoring a gene that alone switches one off."""
    rules = RuleSet(textbook)
    # b3916 / b1723 (pfkA, pfkB: PFK, two isozymes), b2779 (eno: ENO, one gene)
    assert rules.knockout_cost("PFK") == 2 and rules.knockout_cost("ENO") == 1
    order = restore_order(rules, {"b2779", "b3916", "b1723"})
    assert order[-1] == "b2779" and set(order[:2]) == {"b3916", "b1723"}


def test_cut_sets_find_the_two_gene_designs(textbook):
    """dhap_c: tpiA (b3919) with one more deletion strongly couples (StrainDesign's
    smallest designs have 2 knock-outs too)."""
    task = DesignTask.create(textbook, "dhap_c", growth_lb=0.1)
    designs = smallest_designs(task, 1)
    assert designs and min(len(d.deletions) for d in designs) == 2
    for report in designs:
        assert report.coupled and "b3919" in report.deletions


def test_cut_set_solves_leave_out_the_root_reduced_cost_heuristic(textbook, monkeypatch):
    """The cut-set MILPs run without HiGHS' root reduced-cost heuristic (a third of
    their time on e_coli_core, same designs); other MILPs keep HiGHS' default."""
    pytest.importorskip("highspy")
    from cobra_gdel import mip

    seen = []
    solve = mip.HighsMip.solve

    def spy(self, seconds, work):
        outcome = solve(self, seconds, work)
        seen.append(self.h.getOptionValue("mip_heuristic_run_root_reduced_cost")[1])
        return outcome

    monkeypatch.setattr(mip.HighsMip, "solve", spy)
    task = DesignTask.create(textbook, "dhap_c", growth_lb=0.1)
    assert smallest_designs(task, 1, shares=(0.5,))
    assert seen and not any(seen)
    seen.clear()
    assert cobra_gdel.search_deletions(textbook, "dhap_c", max_iterations=1).deletions is not None
    assert seen and all(seen)


def test_cut_set_solves_on_glpk_stop_on_their_own_clock(textbook, monkeypatch):
    """GLPK has no node limit: each cut-set solve gets CLOCK_SECONDS per NODES nodes
    (the first level's solve used to take all of the task's time: 60 s for succ_e),
    and the design is still verified."""
    from cobra_gdel import cutsets, mip

    seconds = []  # the limit each GLPK solve is given
    configure = mip.configure_glpk_milp

    def spy(problem, limit):
        seconds.append(limit)
        configure(problem, limit)

    monkeypatch.setattr(mip, "configure_glpk_milp", spy)
    task = DesignTask.create(textbook, "succ_e", solver="glpk", time_limit=60)
    designs = smallest_designs(task, 1)
    assert seconds and max(seconds) <= cutsets.CLOCK_SECONDS
    assert all(report.coupled for report in designs)
    seconds.clear()
    smallest_designs(task, 1, node_budget=2 * cutsets.NODES, shares=(0.2,))
    assert seconds and max(seconds) <= 2 * cutsets.CLOCK_SECONDS


@pytest.mark.parametrize("first", [False, True])
def test_levels_solved_at_once_give_the_designs_of_one_after_another(textbook, monkeypatch,
                                                                    first):
    """The growth levels' MILPs run in threads (HiGHS releases the GIL); each solve is
    seeded, single-threaded and limited by nodes, so the designs, two per level, are
    those of the serial run, in the same order (with *first*: those of the first level
    that gives any)."""
    pytest.importorskip("highspy")
    import threading

    from cobra_gdel import cutsets, mip

    solvers = set()
    solve = mip.HighsMip.solve

    def spy(self, seconds, work):
        solvers.add(threading.get_ident())
        return solve(self, seconds, work)

    monkeypatch.setattr(mip.HighsMip, "solve", spy)
    runs = {}
    for threads in (1, 3):
        monkeypatch.setattr(cutsets, "THREADS", threads)
        solvers.clear()
        task = DesignTask.create(textbook, "succ_e", growth_lb=0.1)
        runs[threads] = [r.deletions for r in smallest_designs(
            task, 2, cutsets.ALTERNATIVE_SHARES, first=first)]
        assert (len(solvers) == 1) == (threads == 1)
    assert runs[1] and runs[1] == runs[3]
    assert len(runs[1]) == (2 if first else 6)


def test_batch_workers_solve_the_levels_one_at_a_time(monkeypatch):
    from cobra_gdel import cutsets
    from cobra_gdel.batch_worker import limit_threads

    monkeypatch.setattr(cutsets, "THREADS", None)
    limit_threads()
    assert cutsets.THREADS == 1


def test_cut_sets_skip_models_with_extra_constraints(fresh_textbook):
    from .conftest import add_enzyme_pool

    add_enzyme_pool(fresh_textbook)
    assert smallest_designs(DesignTask.create(fresh_textbook, "dhap_c"), 1) == []


def test_minimal_design_under_an_enzyme_pool(fresh_textbook):
    from .conftest import add_enzyme_pool, cobra_check

    add_enzyme_pool(fresh_textbook)
    design = fresh_textbook.predict_deletions("succ_e")
    _assert_minimal(fresh_textbook, design)
    growth, _low, coupled = cobra_check(fresh_textbook, "succ_e", design.deletions)
    assert coupled and growth == pytest.approx(design.growth_rate, rel=1e-4)


def test_cli_budget_and_alternatives(capsys):
    from cobra_gdel.cli import main

    assert main(["predict", "textbook", "succ_e", "--designs", "2"]) == 0
    assert "n_deletions" in capsys.readouterr().out
    assert main(["predict", "textbook", "succ_e", "--max-deletions", "0"]) == 1
    assert "at most 0" in capsys.readouterr().out


def test_any_model_copy_gives_the_same_minimal_design(succ):
    model = cobra.io.load_model("textbook")
    assert model.predict_deletions("succ_e") == succ


def test_margin_route_gives_up_sooner_on_large_models(textbook, monkeypatch):
    """Above ``SMALL_MODEL_GENES`` genes the margin route allows ``LARGE_MODEL_PLATEAU``
    steps without progress, the search's default below it."""
    from cobra_gdel import cutsets, practical
    from cobra_gdel.heuristics import MARGIN_PLATEAU

    seen = []

    def spy(task, deleted, pool, clock, max_plateau=MARGIN_PLATEAU, admissible=None):
        seen.append(max_plateau)
        return None

    monkeypatch.setattr(practical, "margin_search", spy)
    task = DesignTask.create(textbook, "succ_e")
    assert practical._margin_route(task) is None
    monkeypatch.setattr(cutsets, "SMALL_MODEL_GENES", len(task.checker.genes) - 1)
    assert practical._margin_route(task) is None
    assert seen == [MARGIN_PLATEAU, practical.LARGE_MODEL_PLATEAU]
    assert practical.LARGE_MODEL_PLATEAU < MARGIN_PLATEAU


def test_check_reuses_the_verdict_of_the_same_disabled_reactions(textbook, monkeypatch):
    """sdhA..D (b0721-b0724) form one complex: deleting any one of them disables SUCDi
    alone, so the task solves the first check and answers the others from it, with
    their own genes; other bounds are a different case."""
    task = DesignTask.create(textbook, "succ_e")
    solved = []
    real = task.checker._check

    def counting(*args, **kwargs):
        solved.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(task.checker, "_check", counting)
    first = task.check(["b0721"])
    again = [task.check([gene]) for gene in ("b0722", "b0723", "b0724")]
    assert len(solved) == 1
    for gene, report in zip(("b0722", "b0723", "b0724"), again):
        assert report.deletions == frozenset({gene})
        assert report.disabled_reactions == first.disabled_reactions == {"SUCDi"}
        assert (report.coupled, report.growth_rate, report.min_production) == (
            first.coupled, first.growth_rate, first.min_production)
        assert report.to_frame().index.tolist() == [gene]
    task.check(["b0722"], growth_lb=0.2)
    assert len(solved) == 2
    fresh = DesignTask.create(textbook, "succ_e").check(["b0724"])
    assert (fresh.growth_rate, fresh.min_production) == pytest.approx(
        (first.growth_rate, first.min_production))


def test_best_first_runs_on_large_models_only_for_alternatives(textbook, succ, monkeypatch):
    """Above ``SMALL_MODEL_GENES`` genes the ``strong`` route (best-first trimming) runs
    only when several designs are asked for."""
    from cobra_gdel import cutsets, practical

    calls = []
    real = practical._strong

    def spy(task, maximal, order):
        calls.append(len(maximal.deletions))
        return real(task, maximal, order)

    monkeypatch.setattr(practical, "_strong", spy)
    monkeypatch.setattr(practical, "margin_search", lambda *args, **kwargs: None)
    task = DesignTask.create(textbook, "succ_e")
    monkeypatch.setattr(cutsets, "SMALL_MODEL_GENES", len(task.checker.genes) - 1)
    maximal = task.check(succ.deletions)
    assert maximal.coupled
    practical.minimal_candidates(task, maximal, 1)
    assert calls == []
    practical.minimal_candidates(task, maximal, 2)
    assert calls == [len(succ.deletions)]


#: g6p_c at growth ≥ 0.1: a minimal 5-gene design (session 34's default answer) that
#: one exchange takes to 4 genes (b2463 out, b3956 in; tests/test_practical.py).
G6P_FIVE = ["b1479", "b1676", "b1854", "b2029", "b2463"]


def test_improve_makes_the_move_trimming_can_not(textbook):
    before = model_state(textbook)
    start = cobra_gdel.check_coupling(textbook, "g6p_c", G6P_FIVE, 0.1)
    assert start.coupled
    for gene in G6P_FIVE:  # minimal: trimming alone can not shrink it
        assert not cobra_gdel.check_coupling(textbook, "g6p_c", set(G6P_FIVE) - {gene},
                                             0.1).coupled
    better = cobra_gdel.improve(textbook, "g6p_c", [textbook.genes.get_by_id(g)
                                                    for g in G6P_FIVE], growth_lb=0.1)
    assert better.method == "exchange" and "exchange" in better.timings
    assert len(better.deletions) < len(G6P_FIVE)
    _assert_minimal(textbook, better)
    assert model_state(textbook) == before


def test_improve_trims_first_and_refuses_an_uncoupled_set(textbook, succ):
    better = cobra_gdel.improve(textbook, "succ_e", succ.maximal.deletions)
    assert better.method == "exchange+trim"
    _assert_minimal(textbook, better)
    assert len(better.deletions) <= len(cobra_gdel.trim(textbook, "succ_e",
                                                        succ.maximal.deletions).deletions)
    with pytest.raises(ValueError, match="only a coupled design can be improved"):
        cobra_gdel.improve(textbook, "succ_e", ["b0114"])


@given(st.sampled_from(["ac_e", "acon_C_c", "g6p_c", "gln__L_c", "icit_c", "succ_e"]))
@settings(max_examples=6, deadline=None)
def test_exchange_never_returns_a_larger_or_weaker_minimal_design(target):
    """The invariant of every exchange: coupled on re-check, minimal, and better in the
    ranking (fewer knock-outs, or as many with at least the minimal production)."""
    model = cobra.io.load_model("textbook")
    task = DesignTask.create(model, target, growth_lb=0.1)
    maximal = model.predict_deletions(target, growth_lb=0.1, minimize=False)
    start = task.check(shrink(task, maximal.deletions,
                              restore_order(task.checker.rules, maximal.deletions)))
    report = exchange(task, start)
    assert cobra_gdel.check_coupling(model, target, report.deletions, 0.1).coupled
    assert len(report.deletions) <= len(start.deletions)
    if len(report.deletions) == len(start.deletions):
        assert report.min_production >= start.min_production - 1e-9


def test_the_default_answer_includes_the_exchange_route_on_small_models(textbook):
    design = textbook.predict_deletions("g6p_c", growth_lb=0.1)
    _assert_minimal(textbook, design)
    assert len(design.deletions) <= 4


def test_cli_improve(capsys):
    from cobra_gdel.cli import main

    genes = ",".join(G6P_FIVE)
    assert main(["improve", "textbook", "g6p_c", "--growth-lb", "0.1", "--delete", genes]) == 0
    out = capsys.readouterr().out
    assert "exchange" in out and "deletions (4)" in out
    assert main(["improve", "textbook", "g6p_c", "--delete", "b2029"]) == 2


_TEXTBOOK_GENES = sorted(g.id for g in cobra.io.load_model("textbook").genes)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sets(st.sampled_from(_TEXTBOOK_GENES), max_size=60), min_size=1,
                max_size=6))
def test_disabled_from_the_last_answer_matches_the_rules(textbook, steps):
    """RuleSet.disabled works from its previous answer when few genes differ; whatever
    the sequence of sets, the answer is what cobra's own GPR evaluation says."""
    rules = RuleSet(textbook)
    for deleted in steps:
        for trial in (deleted, deleted | {_TEXTBOOK_GENES[0]}, deleted - {_TEXTBOOK_GENES[1]}):
            expected = {r.id for r in textbook.reactions
                        if r.genes and not r.gpr.eval(knockouts=trial)}
            assert rules.disabled(trial) == expected


def test_quick_check_solves_only_what_the_verdict_needs(textbook, monkeypatch):
    """A quick check gives the full check's verdict and minimal production without the
    maximal production (and without production LPs below the growth bound); a full
    check answers later quick ones, not the other way round."""
    task = DesignTask.create(textbook, "succ_e")
    quick = task.check(["b0114", "b0721", "b0767"], quick=True)
    full = DesignTask.create(textbook, "succ_e").check(["b0114", "b0721", "b0767"])
    assert quick.coupled and full.coupled
    assert quick.min_production == pytest.approx(full.min_production)
    assert quick.max_production != quick.max_production  # NaN: not solved
    again = task.check(["b0114", "b0721", "b0767"])
    assert again.max_production == pytest.approx(full.max_production)
    assert task.check(["b0114", "b0721", "b0767"], quick=True) is again
    starved = task.check(["b0114", "b0721", "b0767"], growth_lb=10.0, quick=True)
    assert not starved.coupled and starved.reason.startswith("growth")
    assert starved.min_production != starved.min_production


def test_production_route_is_solved_once_per_task(textbook, monkeypatch):
    task = DesignTask.create(textbook, "succ_e")
    calls = []
    real = task.checker.require_production_route
    monkeypatch.setattr(task.checker, "require_production_route",
                        lambda *a: calls.append(a) or real(*a))
    first = task.require_production_route()
    assert task.require_production_route() == first
    assert len(calls) == 1
    _low, high = task.checker.production_range("succ_e", (), task.growth_lb)
    assert first == pytest.approx(high)
