"""Fewest knock-outs by implicit hitting sets: how far an exact search gets (issue 15).

Issue 15 asks for iML1515 designs of at most 10 knock-outs; the package's minimal designs
have a median of 20 and the exact MILPs tried so far (HiGHS, SCIP, StrainDesign; LP
duality with big-M terms) either fail numerically on iML1515 or time out
(docs/benchmarks.md). This probe tries an exact search without duals. At a growth
threshold *g* (a share of the wild type's), a deletion set is a design when

* *protect*: some flux grows at least *g*, and
* *suppress*: every flux that produces at most ``PRODUCTION_LB`` grows less than
  ``g (1 − 10⁻⁴)``,

which implies weak growth coupling at maximal growth. Each flux that escapes (feasible
with the set's reactions switched off, growing at least that, producing at most the
bound) shows a set of reactions of which every design must switch off one: the flux stays
feasible otherwise, whatever else is deleted. The *master* is the package's gDel_minRN
MILP (``cobra_gdel.milp.MinRNProblem``, on HiGHS when installed) with its
fewest-deletions objective: the fewest genes such that each escape found so far loses a
reaction (through the GPR rules) while a growth flux of at least *g* that produces at
least ``PRODUCTION_LB`` survives (every design has one); the LPs (GLPK) look for the
next escape, the
L1-smallest over reactions with a gene rule, and a few more with one of its reactions
closed. When no escape is left the master's answer is a design with the fewest
knock-outs at that threshold; until then each master optimum is a **lower bound** on it.

The table gives per target: the first escape's reactions with a gene rule, how many of
them no design can switch off (their closure alone stops growth below *g*), the genes of
the others (the width of one cut), then the rounds, cuts and seconds of the search, the
last lower bound and the design when one was found (re-checked with
``check_coupling(..., growth_lb=0.1, production_lb=0.001)``).

Usage::

    python benchmarks/hitting_sets.py --case textbook:succ_e --case iML1515:utp_c \
        --share 0.6 --time-limit 120 [--write]

iML1515 is read from the data folder (``COBRA_GDEL_DATA`` or ``../shared/data``); a case
whose model is missing is skipped with a message.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import cobra
import pandas as pd
from optlang.symbolics import Zero

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._report import machine, markdown_table, write_section  # noqa: E402
from cobra_gdel import check_coupling  # noqa: E402
from cobra_gdel.data import data_dir  # noqa: E402
from cobra_gdel.lp import solver_interface  # noqa: E402
from cobra_gdel.milp import MinRNProblem  # noqa: E402
from cobra_gdel.mip import MIN_SOLVE_SECONDS  # noqa: E402
from cobra_gdel.problem import DesignTask  # noqa: E402
from cobra_gdel.targets import production_reaction  # noqa: E402

logger = logging.getLogger("benchmarks.hitting_sets")
GROWTH_LB = 0.1
PRODUCTION_LB = 0.001
#: Relative margin between the protected growth and the suppressed one.
MARGIN = 1e-4
#: Flux magnitude above which a reaction belongs to an escape's support.
SUPPORT_TOL = 1e-7


def load_model(model_id: str):
    """cobra's textbook model, or ``<data_dir>/<model_id>/model.json`` (None if absent)."""
    if model_id == "textbook":
        return cobra.io.load_model("textbook")
    folder = data_dir(model_id)
    if folder is None:
        return None
    return cobra.io.load_json_model(str(folder / "model.json"))


class Search:
    """The implicit-hitting-set search of one target at one growth threshold.

    The master is the package's gDel_minRN MILP (:class:`cobra_gdel.milp.MinRNProblem`:
    a growth flux with growth ≥ *growth* and production ≥ ``PRODUCTION_LB``, gene and
    reaction switches from the GPR rules) with the fewest-deletions objective, the genes
    of the cuts' reactions deletable and one row per cut; the escape LPs run on a copy
    of the model with the target's sink.
    """

    def __init__(self, model, target: str, growth: float) -> None:
        self.task = DesignTask.create(model, target, growth_lb=GROWTH_LB,
                                      production_lb=PRODUCTION_LB)
        self.rules = self.task.checker.rules
        self.interface = solver_interface(model, self.task.milp_solver)
        self.growth = growth
        self.model = copy = model.copy()
        copy.solver = "glpk"
        with copy:
            sink = production_reaction(copy, target)
        if sink.model is None:
            copy.add_reactions([sink])
        self.sink = copy.reactions.get_by_id(sink.id)
        self.biomass = next(r for r in copy.reactions if r.objective_coefficient)
        self.ruled = [copy.reactions.get_by_id(rid) for rid in self.rules.rules]
        self.l1 = {var: 1.0 for r in self.ruled for var in (r.forward_variable,
                                                             r.reverse_variable)}
        self.cuts: list[frozenset[str]] = []
        self.seconds = {"lp": 0.0, "master": 0.0}

    def escape(self, closed) -> frozenset[str] | None:
        """Reactions with a rule of the L1-smallest escape with *closed* switched off."""
        start = time.perf_counter()
        with self.model:
            for rid in closed:
                self.model.reactions.get_by_id(rid).bounds = (0.0, 0.0)
            self.biomass.lower_bound = self.growth * (1 - MARGIN)
            self.sink.bounds = (min(self.sink.lower_bound, PRODUCTION_LB), PRODUCTION_LB)
            objective = self.model.problem.Objective(Zero, direction="min", sloppy=True)
            self.model.objective = objective
            objective.set_linear_coefficients(self.l1)
            value = self.model.slim_optimize(error_value=float("nan"))
            support = None if value != value else frozenset(
                r.id for r in self.ruled if abs(r.flux) > SUPPORT_TOL)
        self.seconds["lp"] += time.perf_counter() - start
        return support

    def blocking(self, reactions) -> list[str]:
        """Those of *reactions* whose closure alone stops growth below the threshold."""
        out = []
        for rid in sorted(reactions):
            with self.model:
                self.model.reactions.get_by_id(rid).bounds = (0.0, 0.0)
                if self.model.slim_optimize(error_value=0.0) < self.growth:
                    out.append(rid)
        return out

    def add_cuts(self, genes, extra: int) -> bool:
        """Add the escape of *genes* and up to *extra* more; False when none is left."""
        closed = sorted(self.rules.disabled(genes))
        support = self.escape(closed)
        if support is None:
            return False
        if not support:
            raise RuntimeError("an escape uses only reactions without a gene rule: no design "
                               "exists at this threshold")
        self.cuts.append(support)
        more = list(closed)
        for _ in range(extra):
            more.append(min(support - set(more), key=lambda rid: (
                min(len(t) for t in self.rules.rules[rid]), rid), default=None))
            if more[-1] is None:
                break
            support = self.escape(more)
            if not support:
                break
            self.cuts.append(support)
        return True

    def run(self, seconds: float, extra: int = 3) -> dict:
        """Rounds of master and escape LPs until no escape is left or *seconds* pass."""
        start = time.perf_counter()
        genes: frozenset[str] = frozenset()
        bound, rounds = 0, 0
        while time.perf_counter() - start < seconds:
            rounds += 1
            if not self.add_cuts(genes, extra):
                return dict(rounds=rounds, design=genes, bound=len(genes),
                            seconds=time.perf_counter() - start)
            genes = self.master(start + seconds - time.perf_counter())
            if genes is None:
                break
            bound = len(genes)
        return dict(rounds=rounds, design=None, bound=bound,
                    seconds=time.perf_counter() - start)

    def master(self, seconds: float) -> frozenset[str] | None:
        """The fewest genes that switch off a reaction of every cut while a growth flux
        of at least the threshold survives (None: no optimum within *seconds*)."""
        start = time.perf_counter()
        deletable = frozenset().union(*(self.rules.rule_genes(rid) for cut in self.cuts
                                        for rid in cut))
        milp = MinRNProblem(self.task, deletable, self.interface)
        milp.require_growth(self.growth)
        milp.set_fewest_deletions_objective()
        switch = {rid: sw.col for sw in milp.switches for rid in sw.reactions}
        for cut in self.cuts:  # Σ (1 − z) ≥ 1 over the cut's switches (z = 1: on)
            cols = {switch[rid] for rid in cut}
            milp.backend.add_row({col: -1.0 for col in cols}, lb=1.0 - len(cols))
        outcome = milp.solve(max(seconds, MIN_SOLVE_SECONDS))
        self.seconds["master"] += time.perf_counter() - start
        return milp.decode()[0] if outcome == "optimal" else None


def probe(model_id: str, target: str, share: float, seconds: float) -> dict | None:
    """One case: the first escape's width, then the search; None when the model is absent."""
    model = load_model(model_id)
    if model is None:
        logger.warning("%s: no model in the data folder; skipped", model_id)
        return None
    model.solver = "glpk"
    growth = share * model.slim_optimize()
    search = Search(model, target, growth)
    first = search.escape(())
    blocking = search.blocking(first) if first else []
    free = set(first or ()) - set(blocking)
    row = dict(model=model_id, target=target, growth=round(growth, 4),
               escape_reactions=len(first or ()), no_design_closes=len(blocking),
               cut_genes=len(frozenset().union(*map(search.rules.rule_genes, free))))
    result = search.run(seconds)
    row.update(rounds=result["rounds"], cuts=len(search.cuts),
               lp_s=round(search.seconds["lp"], 1), master_s=round(search.seconds["master"], 1),
               seconds=round(result["seconds"], 1), lower_bound=result["bound"])
    design = result["design"]
    if design is None:
        row.update(design="—", coupled="", min_prod=float("nan"))
        return row
    report = check_coupling(model, target, design, growth_lb=GROWTH_LB,  # left unchanged
                            production_lb=PRODUCTION_LB)
    row.update(design=" ".join(sorted(design)) or "(none)", coupled=report.coupled,
               min_prod=round(report.min_production, 3))
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", required=True,
                        help="model:target (repeat), e.g. iML1515:utp_c")
    parser.add_argument("--share", type=float, default=0.6,
                        help="growth threshold as a share of the wild type's (default 0.6)")
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--write", action="store_true",
                        help="write the table into docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    rows = [probe(*case.split(":", 1), args.share, args.time_limit) for case in args.case]
    frame = pd.DataFrame([row for row in rows if row is not None])
    print(frame.to_string(index=False))
    command = "python benchmarks/hitting_sets.py " + " ".join(
        f"--case {case}" for case in args.case) + f" --share {args.share} --time-limit " \
        f"{args.time_limit:g} --write"
    markdown = (f"## Fewest knock-outs by implicit hitting sets (benchmarks/hitting_sets.py)\n\n"
                f"Command: `{command}` ({machine()}; wall time "
                f"{(time.perf_counter() - started) / 60:.1f} min).\n\n"
                + markdown_table(frame, floatfmt=".3g") + "\n")
    if args.write:
        write_section("hitting-sets", markdown)


if __name__ == "__main__":
    main()
