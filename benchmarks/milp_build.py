"""What the gDel_minRN MILP needs before its first solve, against a plain baseline.

Before the MILP of a genome-scale model is solved, two per-model analyses run (both
cached on the model's checker; ``search_deletions`` and every MILP stage of repair
need them):

- **flux ranges** (:func:`cobra_gdel.analysis.flux_ranges`): flux variability at growth
  ≥ 0.001, the big-M constants of the switches. cobra_gdel solves one LP per bound with
  the primal simplex warm-started from the previous optimum (only the objective
  changes). *Baseline*: the same LPs on the same problem with the dual simplex (the
  method of cobra_gdel's other LPs, and of this one before session 14).
- **single-deletion growth** (:func:`cobra_gdel.analysis.single_growth`): the maximal
  growth of every single-gene deletion (growth-essential genes are never deleted).
  cobra_gdel solves an LP only for the genes that switch off a reaction used by one
  growth-maximal flux distribution of the wild type (the others keep its growth), one
  per distinct set of switched-off reactions (subunits of a complex share it), with
  the primal simplex warm-started from the previous deletion's optimum. *Baseline*:
  one LP per gene that switches off any reaction, with the dual simplex (as before
  session 26).

Both sides run in this process, one after the other, on fresh problems of the same
model; the table gives seconds, LPs solved, the ratio baseline / cobra_gdel and the
largest difference between the two results (cobra_gdel's ranges are rounded outwards
by 1e-6, relative; the baseline's are not).

Usage::

    python benchmarks/milp_build.py [--models textbook iJO1366 salmonella iMM904 iML1515]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cobra
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._report import machine, markdown_table, write_section  # noqa: E402
from cobra_gdel.analysis import flux_ranges, single_growth  # noqa: E402
from cobra_gdel.coupling import get_checker  # noqa: E402
from cobra_gdel.data import data_dir  # noqa: E402
from cobra_gdel.lp import FluxProblem  # noqa: E402

GROWTH_LB = 0.001


def _model(name: str) -> cobra.Model:
    folder = data_dir(name)
    if folder is not None:
        return cobra.io.load_json_model(str(folder / "model.json"))
    return cobra.io.load_model(name)  # textbook, iJO1366, salmonella ship with cobra


def _baseline_ranges(checker) -> tuple[dict, int]:
    """Flux variability with the dual simplex for every LP (the baseline)."""
    lp = FluxProblem(checker.data, checker.interface, time_limit=checker.lp.time_limit,
                     cap=True)
    lp.add_constraint("growth", lp.objective_terms, lb=GROWTH_LB, ub=None)
    ranges, solves = {}, 0
    for rid, (lb, ub) in lp.current.items():
        terms = lp.terms({rid: 1.0})
        low = lp.solve(terms, "min") if lb < 0 else lb
        high = lp.solve(terms, "max") if ub > 0 else ub
        solves += (lb < 0) + (ub > 0)
        ranges[rid] = (low, high)
    return ranges, solves


def _baseline_growth(checker, genes: list[str]) -> tuple[dict, int]:
    """One growth LP per gene that switches off any reaction (the baseline)."""
    lp = FluxProblem(checker.data, checker.interface, time_limit=checker.lp.time_limit)
    out, solves = {}, 0
    for gene in genes:
        disabled = checker.rules.disabled((gene,))
        if not disabled:
            out[gene] = checker.wild_type_growth
            continue
        for rid in disabled:
            lp.set_bounds(rid, 0.0, 0.0)
        value = lp.solve(checker.growth_coefs, "max")
        for rid in disabled:
            lp.restore(rid)
        solves += 1
        out[gene] = 0.0 if value is None else max(0.0, value)
    return out, solves


def _timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def run(name: str) -> list[dict]:
    model = _model(name)
    checker = get_checker(model)
    genes = [g.id for g in model.genes]
    rows = []

    (base, base_solves), base_s = _timed(_baseline_ranges, checker)
    checker.cache.pop("flux_ranges", None)
    ours, ours_s = _timed(flux_ranges, checker, GROWTH_LB)
    diff = max(max(abs(ours[r][0] - base[r][0]), abs(ours[r][1] - base[r][1])) for r in base)
    rows.append({"model": name, "analysis": "flux ranges", "size": len(base),
                 "baseline_lps": base_solves, "ours_lps": base_solves,  # the same LPs
                 "baseline_s": base_s, "ours_s": ours_s,
                 "ratio": base_s / ours_s, "max_abs_diff": diff})

    (base, base_solves), base_s = _timed(_baseline_growth, checker, genes)
    for key in ("single_growth", "growth_lp", "growth_support", "growth_by_disabled"):
        checker.cache.pop(key, None)
    ours, ours_s = _timed(single_growth, checker, genes)
    ours_solves = len(checker.cache["growth_by_disabled"])  # one LP per switched-off set
    diff = max(abs(ours[g] - base[g]) for g in genes)
    rows.append({"model": name, "analysis": "single-deletion growth", "size": len(genes),
                 "baseline_lps": base_solves, "ours_lps": ours_solves, "baseline_s": base_s,
                 "ours_s": ours_s, "ratio": base_s / ours_s, "max_abs_diff": diff})
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+",
                        default=["textbook", "iMM904", "iML1515", "iJO1366", "salmonella"])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = []
    for name in args.models:
        rows.extend(run(name))
        print(pd.DataFrame(rows[-2:]).to_string(index=False), flush=True)
    frame = pd.DataFrame(rows)[["model", "analysis", "size", "baseline_lps", "ours_lps",
                                "baseline_s", "ours_s", "ratio", "max_abs_diff"]]
    print(frame.to_string(index=False))
    if args.no_write:
        return
    frame["max_abs_diff"] = [f"{value:.1e}" for value in frame["max_abs_diff"]]
    write_section("milp_build", f"""## Before the first MILP solve (benchmarks/milp_build.py)

Command: `python benchmarks/milp_build.py --models {' '.join(args.models)}` ({machine()}; GLPK;
wall time {(time.perf_counter() - start) / 60:.1f} min). *flux ranges*: flux variability at
growth ≥ {GROWTH_LB:g} (`size` reactions), the big-M constants of the MILP; cobra_gdel
warm-starts the primal simplex from one objective to the next, the baseline solves the
same LPs with the dual simplex (as before session 14). *single-deletion growth*: the
maximal growth of each gene's deletion (`size` genes); cobra_gdel solves an LP only for
the genes that switch off a reaction used by a growth-maximal flux distribution of the
wild type, one per distinct set of reactions switched off (`ours_lps`), with the primal
simplex warm-started from the previous deletion's optimum; the baseline solves one with
the dual simplex for every gene that switches off a reaction.
Same process, baseline first; `ratio` = baseline_s / ours_s; `max_abs_diff`: the largest
difference between the two results (cobra_gdel's ranges are rounded outwards by 1e-6,
relative, against solver tolerance; the baseline's are not: 1e-3 at a bound of 1000).

{markdown_table(frame)}
""")


if __name__ == "__main__":
    main()
