"""Benchmark search_deletions (gDel_minRN MILP) and repair (from the frequency prior).

search: success rate and seconds per target on e_coli_core and iMM904, per solver.
repair: for every target, the leave-one-out frequency prior (each gene's deletion
share over the other targets' strategies) is repaired into a design; coupled rate,
median and 95th-percentile seconds, median number of deletions.

Usage::

    nice python -m benchmarks.search_repair --models e_coli_core iMM904 iML1515 \\
        --solvers glpk hybrid --limit 20

Per-target lines go to stdout as they finish; the tables are printed at the end and
written to docs/benchmarks.md (sections "search" and "repair").
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import time

import numpy as np
import pandas as pd

from benchmarks._report import machine, write_section

MODELS = ("e_coli_core", "iMM904", "iML1515")
SEARCH_MODELS = ("e_coli_core", "iMM904")


def _load(model_id: str):
    import cobra

    from cobra_gdel.data import data_dir, read_strategies

    folder = data_dir(model_id)
    if folder is None:
        raise SystemExit(f"no data folder for {model_id} (set COBRA_GDEL_DATA)")
    model = cobra.io.load_json_model(str(folder / "model.json"))
    return model, read_strategies(folder / "strategies.csv")


def _search(model_id: str, solver: str, limit: int | None, time_limit: float) -> dict:
    from cobra_gdel.coupling import clear_cache
    from cobra_gdel.search import search_deletions

    model, strategies = _load(model_id)
    clear_cache()
    rows = []
    for target in list(strategies.index)[:limit]:
        start = time.perf_counter()
        design = search_deletions(model, target, solver=solver, time_limit=time_limit)
        seconds = time.perf_counter() - start
        rows.append((target, design.coupled, seconds, len(design.deletions), design.method))
        print(f"search {model_id} {solver} {target}: {design.status} {design.method} "
              f"{len(design.deletions)} deletions {seconds:.2f} s", flush=True)
    frame = pd.DataFrame(rows, columns=["target", "coupled", "seconds", "deletions", "method"])
    return {"model": model_id, "solver": solver, "targets": len(frame),
            "coupled": int(frame.coupled.sum()),
            "coupled %": 100 * frame.coupled.mean(),
            "median s": frame.seconds.median(), "p95 s": frame.seconds.quantile(0.95),
            "max s": frame.seconds.max(), "total s": frame.seconds.sum()}


def _repair(model_id: str, limit: int | None, time_limit: float) -> dict:
    from cobra_gdel.repair import repair

    model, strategies = _load(model_id)
    rows = []
    for target in list(strategies.index)[:limit]:
        prior = strategies.drop(index=target).mean().astype(float)
        start = time.perf_counter()
        design = repair(model, target, prior, time_limit=time_limit)
        seconds = time.perf_counter() - start
        rows.append((target, design.coupled, seconds, len(design.deletions), design.method))
        print(f"repair {model_id} {target}: {design.status} {design.method} "
              f"{len(design.deletions)} deletions {seconds:.2f} s", flush=True)
    frame = pd.DataFrame(rows, columns=["target", "coupled", "seconds", "deletions", "method"])
    methods = frame[frame.coupled].method.value_counts()
    return {"model": model_id, "targets": len(frame), "coupled": int(frame.coupled.sum()),
            "coupled %": 100 * frame.coupled.mean(),
            "median s": frame.seconds.median(), "p95 s": frame.seconds.quantile(0.95),
            "median deletions": float(np.median(frame.deletions)),
            "methods": ", ".join(f"{m} {n}" for m, n in methods.items())}


def _table(rows: list[dict]) -> str:
    """A markdown table (floats with two decimals)."""
    columns = list(rows[0])
    cells = [[f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()]
             for row in rows]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--solvers", nargs="+", default=None,
                        help="optlang solvers for the search (default: glpk, and hybrid "
                             "when HiGHS is installed)")
    parser.add_argument("--limit", type=int, default=None, help="first N targets per model")
    parser.add_argument("--search-limit", type=int, default=None,
                        help="first N targets per model for the search (default: --limit)")
    parser.add_argument("--search-time-limit", type=float, default=30.0)
    parser.add_argument("--repair-time-limit", type=float, default=30.0)
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--skip-repair", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="do not edit docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.solvers is None:
        import optlang

        args.solvers = ["glpk"] + (["hybrid"] if optlang.available_solvers.get("HIGHS") else [])
    command = "python -m benchmarks.search_repair " + " ".join(map(shlex.quote, argv or sys.argv[1:]))
    search_limit = args.search_limit if args.search_limit is not None else args.limit

    if not args.skip_search:
        start = time.perf_counter()
        rows = [_search(m, s, search_limit, args.search_time_limit)
                for m in args.models if m in SEARCH_MODELS for s in args.solvers]
        wall = time.perf_counter() - start
        if rows:
            table = _table(rows)
            print(table)
            md = (f"## search_deletions (gDel_minRN MILP)\n\nCommand: `{command}`  \n"
                  f"Machine: {machine()}; wall time {wall:.0f} s; time limit "
                  f"{args.search_time_limit:g} s per target.\n\n{table}\n")
            if not args.no_write:
                write_section("search", md)
    if not args.skip_repair:
        start = time.perf_counter()
        rows = [_repair(m, args.limit, args.repair_time_limit) for m in args.models]
        wall = time.perf_counter() - start
        table = _table(rows)
        print(table)
        md = (f"## repair from the leave-one-out frequency prior\n\nCommand: `{command}`  \n"
              f"Machine: {machine()}; wall time {wall:.0f} s; time limit "
              f"{args.repair_time_limit:g} s per target.\n\n{table}\n")
        if not args.no_write:
            write_section("repair", md)


if __name__ == "__main__":
    main()
