"""What session 38's cheaper checks save, against the code paths they replaced.

Five changes, none of which changes a verdict:

- ``quick`` checks: trimming (block restores, the greedy pass, the exchange move) asks
  only whether a set couples and its minimal production, so its checks skip the
  maximal-production LP, and the production LPs when growth is below its bound;
- :meth:`RuleSet.disabled <cobra_gdel.gpr.RuleSet.disabled>` works from its previous
  answer when the set differs in few genes;
- fluxes are read from GLPK in one pass over the columns (no Python loop step per
  column);
- the wild type's production route is solved once per call (one LP), not once per
  stage (two LPs each);
- the growth LPs of the margin search (a heuristic: its designs are checked after)
  take a warm dual-simplex solve that does not end optimal to the primal simplex from
  the basis it ended in, not to a fresh basis (``FluxProblem.solve(confirm=False)``).

This runs ``predict_deletions`` (its defaults) on each target twice in this process:
*before* with the five replaced by the code they replaced (defined here), *after* as
shipped, the order alternating from target to target, after one untimed call per model
that builds the per-model caches and one per target (at most 5 s) that fills the
target's (the predictor's scores, which the first of the two runs would pay for). It
prints, per model, the median wall time of each and their ratio, and how many designs
came back identical (genes, status, method).

Usage::

    python benchmarks/check_speed.py --models salmonella iML1515 --targets 20 [--write]

iML1515 is read from the data folder (``COBRA_GDEL_DATA`` or ``../shared/data``) and
skipped without it; Salmonella gets the targets of ``benchmarks/transfer.py unseen``.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._paired import models_frame, paired_runs, paired_summary  # noqa: E402
from benchmarks._report import machine, markdown_table, write_section  # noqa: E402
from benchmarks.warm_start import _model_and_targets  # noqa: E402
from cobra_gdel import lp as lp_module  # noqa: E402
from cobra_gdel.coupling import CouplingChecker  # noqa: E402
from cobra_gdel.exceptions import NoProductionRouteError  # noqa: E402
from cobra_gdel.gpr import RuleSet  # noqa: E402
from cobra_gdel.lp import FluxProblem  # noqa: E402
from cobra_gdel.predict import predict_deletions  # noqa: E402
from cobra_gdel.problem import DesignTask  # noqa: E402

logger = logging.getLogger("benchmarks.check_speed")
#: Time limit of the untimed call per target that fills the target's own caches.
WARM_UP_SECONDS = 5.0


def _old_column_values(prob, columns) -> dict[str, float]:
    """The per-column reader of sessions ≤ 37."""
    import swiglpk

    get = getattr(swiglpk, "_swiglpk", swiglpk).glp_get_col_prim  # the compiled function
    return {key: get(prob, int(first)) - get(prob, int(second)) if second
            else get(prob, int(first))
            for key, first, second in zip(columns.keys, columns.first, columns.second)}


def _old_disabled(self, deleted) -> frozenset:
    """From scratch every time."""
    deleted = frozenset(deleted)
    return frozenset(self._off(self._reactions_of(deleted), deleted))


def _old_route(self, target, growth_lb, production_lb):
    """Minimum and maximum production of the wild type, as before."""
    _low, high = self.production_range(target, (), growth_lb)
    if not high >= production_lb:
        raise NoProductionRouteError(f"{target}: no production route")
    return high


def _old_task_route(self):
    return self.checker.require_production_route(self.target, self.growth_lb,
                                                 self.production_lb)


@contextmanager
def _before():
    """The replaced code paths, for the duration of one call."""
    saved = (DesignTask.check, DesignTask.require_production_route, RuleSet.disabled,
             CouplingChecker.require_production_route, lp_module.column_values,
             FluxProblem.solve)
    check, solve = DesignTask.check, FluxProblem.solve

    def full_check(self, deletions, growth_lb=None, production_lb=None, *, quick=False):
        return check(self, deletions, growth_lb, production_lb)

    def confirmed(self, terms, direction, primal=False, seconds=None, confirm=True):
        return solve(self, terms, direction, primal, seconds)

    DesignTask.check = full_check
    FluxProblem.solve = confirmed
    DesignTask.require_production_route = _old_task_route
    RuleSet.disabled = _old_disabled
    CouplingChecker.require_production_route = _old_route
    lp_module.column_values = _old_column_values
    try:
        yield
    finally:
        (DesignTask.check, DesignTask.require_production_route, RuleSet.disabled,
         CouplingChecker.require_production_route, lp_module.column_values,
         FluxProblem.solve) = saved


def _call(model, target: str, before: bool, limit: float) -> dict:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if before:
            with _before():
                design = predict_deletions(model, target, time_limit=limit)
        else:
            design = predict_deletions(model, target, time_limit=limit)
    return {"seconds": time.perf_counter() - start, "status": design.status,
            "coupled": design.coupled, "method": design.method,
            "genes": frozenset(design.deletions), "size": len(design.deletions),
            "minimal_s": design.timings.get("minimal", math.nan)}


def run_model(name: str, n: int, seed: int, limit: float) -> pd.DataFrame:
    """One row per target: both runs' seconds, outcome, size and minimal stage."""
    model, pool = _model_and_targets(name, n, seed)
    return paired_runs(
        name, model, pool, n, lambda m, t, new: _call(m, t, not new, limit),
        # untimed too: the target's own cache (the predictor's scores), which would
        # otherwise go to whichever run comes first
        warm_up=lambda m, t: _call(m, t, False, min(limit, WARM_UP_SECONDS)),
        extra=("minimal_s",))


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    return paired_summary(frame, lambda part, both: {
        "median_s_coupled_before": both["before_s"].median(),
        "median_s_coupled_after": both["after_s"].median(),
        "ratio_coupled": both["before_s"].median() / both["after_s"].median(),
        "median_target_ratio": (both["before_s"] / both["after_s"]).median(),
        "median_minimal_s_before": both["before_minimal_s"].median(),
        "median_minimal_s_after": both["after_minimal_s"].median()})


def _compared_solve(rows: list):
    """A ``FluxProblem._solve`` that, whenever a warm dual-simplex solve does not end
    optimal, settles it both ways (the primal simplex from the basis it ended in, then
    a fresh basis, whose outcome is used as before) and records both in *rows*."""
    real = FluxProblem._solve

    def solve(self, terms, direction, primal, deadline, confirm=True):
        key = (lp_module._objective_key(terms), direction)
        if primal or not self._glpk:
            return real(self, terms, direction, primal, deadline, confirm)
        self._switch_basis(key, restore=True)
        self._set_objective(terms, direction)
        status = self._optimize(False)
        self._last_key, self._last_dual = key, key if status == lp_module.OPTIMAL else None
        if status == lp_module.OPTIMAL:
            return self.objective_value()
        start = time.perf_counter()
        by_primal = self._optimize(True)
        primal_value = self.objective_value() if by_primal == lp_module.OPTIMAL else None
        middle = time.perf_counter()
        self._last_dual = None
        self._fresh_basis()
        fresh = self._optimize(False)
        fresh_value = self.objective_value() if fresh == lp_module.OPTIMAL else None
        rows.append({"primal": by_primal, "fresh": fresh, "primal_ms": 1e3 * (middle - start),
                     "fresh_ms": 1e3 * (time.perf_counter() - middle),
                     "agree": by_primal == fresh and (fresh_value is None or math.isclose(
                         primal_value, fresh_value, rel_tol=1e-6, abs_tol=1e-9)),
                     "value": fresh_value})
        self._last_dual = key if fresh == lp_module.OPTIMAL else None
        if fresh == lp_module.OPTIMAL:
            return fresh_value
        if fresh == lp_module.INFEASIBLE:
            return None
        return real(self, terms, direction, primal, deadline)  # anything else: as before

    return solve


def run_retries(name: str, targets: list[str], limit: float) -> pd.DataFrame:
    """For each of *targets*: how the solves that need a second attempt end both ways."""
    model, _pool = _model_and_targets(name, 1, 0)
    out, rows = [], []
    real, FluxProblem._solve = FluxProblem._solve, _compared_solve(rows)
    try:
        for target in targets:
            rows.clear()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                predict_deletions(model, target, time_limit=limit)
            part = pd.DataFrame(rows, columns=["primal", "fresh", "primal_ms", "fresh_ms",
                                               "agree", "value"])
            out.append({"model": name, "target": target, "second_attempts": len(part),
                        "agree": int(part["agree"].sum()),
                        "primal_ms": part["primal_ms"].sum(), "fresh_ms": part["fresh_ms"].sum(),
                        "largest_disputed_value": part.loc[~part["agree"], "value"].abs().max()})
            logger.info("%s %s: %s", name, target, out[-1])
    finally:
        FluxProblem._solve = real
    return pd.DataFrame(out)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["salmonella", "iML1515"])
    parser.add_argument("--targets", type=int, default=20)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--csv", default=None, help="write the per-target rows here")
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md")
    parser.add_argument("--retries", nargs="+", metavar="TARGET",
                        help="instead: for these targets of the first model, compare the "
                             "two ways of settling a failed warm solve")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("cobra_gdel").setLevel(logging.ERROR)
    started = time.perf_counter()
    if args.retries:
        table = run_retries(args.models[0], args.retries, args.time_limit)
        print(table.to_string(index=False))
        if args.write:
            command = (f"python benchmarks/check_speed.py --models {args.models[0]} "
                       f"--time-limit {args.time_limit:g} --retries {' '.join(args.retries)} "
                       "--write")
            title = f"### Settling a failed warm solve ({args.models[0]})"
            write_section(f"check-speed-retries-{args.models[0]}", f"""{title}

Command: `{command}` ({machine()}; wall time {(time.perf_counter() - started) / 60:.1f} min).
Every LP whose warm dual-simplex solve did not end optimal, settled both ways: the
primal simplex from the basis the dual one ended in (`primal_ms`), then a fresh basis
(`fresh_ms`, whose outcome the call used). `agree`: the same status and, when optimal,
the same value (relative 1e-6); `largest_disputed_value`: the largest optimum of a
fresh-basis solve that the primal simplex called infeasible.

{markdown_table(table, floatfmt=".3g")}
""")
        return
    frame = models_frame(
        args.models, lambda name: run_model(name, args.targets, args.seed, args.time_limit),
        args.csv)
    table = summary(frame)
    print(table.to_string(index=False))
    if args.write:
        command = (f"python benchmarks/check_speed.py --models {' '.join(args.models)} "
                   f"--targets {args.targets} --time-limit {args.time_limit:g} --write")
        write_section("check-speed", f"""## Cheaper checks (benchmarks/check_speed.py)

Command: `{command}` ({machine()}; wall time {(time.perf_counter() - started) / 60:.1f} min).
Each target designed twice in one process by `predict_deletions` with its defaults
(after untimed calls that fill the per-model and per-target caches):
`before` with the code paths session 38 replaced (all checks full, GPR states from
scratch, fluxes read column by column, the production route solved per stage, every
LP that does not end optimal solved again from a fresh basis), `after` as shipped.
`coupled` columns: the targets both runs couple; `ratio_coupled`: median seconds
before over after on them; `median_target_ratio`: the median of each such target's
before/after; `minimal_s`: the minimal-design stage alone.

{markdown_table(table)}
""")


if __name__ == "__main__":
    main()
