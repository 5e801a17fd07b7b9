"""What the ``solver`` argument costs: the default against GLPK and HiGHS for everything.

``predict_deletions(model, target, solver=None)`` (the default) keeps the LP checks on
the model's solver (GLPK for a model as cobra loads it) and solves the MILPs with HiGHS
directly when ``highspy`` is installed. ``solver="hybrid"`` runs every LP check through
optlang's HiGHS interface as well; ``solver="glpk"`` keeps everything on GLPK. Each
target is designed by the three in turn, in one process, each after a warm-up call on
the same model (so the per-model caches of each solver are built before the timed
call), with ``growth_lb=0.1`` and a 60 s time limit.

Printed: one row per model, target and solver (seconds, knock-outs, whether the time
limit cut a stage short), then each solver's seconds over the default's.

Usage::

    python benchmarks/solvers.py [--models textbook iML1515] [--write-doc]

iML1515 is read from the data folder (``COBRA_GDEL_DATA`` or ``../shared/data``) and
skipped without it.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGETS = {"textbook": ("succ_e", "etoh_e"), "iML1515": ("34hpp_c", "utp_c")}
SOLVERS = (None, "glpk", "hybrid")


def _call(model, target: str, solver, time_limit: float) -> dict:
    start = time.perf_counter()
    design = model.predict_deletions(target, solver=solver, growth_lb=0.1,
                                     time_limit=time_limit)
    return {"seconds": time.perf_counter() - start, "coupled": design.coupled,
            "kos": len(design.deletions), "cut_short": ",".join(design.cut_short) or "-"}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--write-doc", action="store_true",
                        help="replace the solvers section of docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    import pandas as pd

    import cobra_gdel  # noqa: F401  (registers model.predict_deletions)
    from benchmarks._report import machine, markdown_table, write_section
    from benchmarks.first_call import _load

    rows = []
    for name in args.models:
        model = _load(name)
        if model is None:
            print(f"{name}: skipped, no data folder (set COBRA_GDEL_DATA)")
            continue
        warm, _second = TARGETS[name]
        for solver in SOLVERS:
            _call(model, warm, solver, args.time_limit)  # builds this solver's caches
            for target in TARGETS[name]:
                row = {"model": name, "target": target, "solver": solver or "default",
                       **_call(model, target, solver, args.time_limit)}
                rows.append(row)
                print(row, flush=True)
    if not rows:
        return
    frame = pd.DataFrame(rows)
    base = frame[frame["solver"] == "default"].set_index(["model", "target"])["seconds"]
    frame["ratio_to_default"] = [
        r.seconds / base[(r.model, r.target)] for r in frame.itertuples()]
    table = markdown_table(frame[["model", "target", "solver", "seconds", "kos", "coupled",
                                  "cut_short", "ratio_to_default"]])
    print(table)
    if args.write_doc:
        command = "python benchmarks/solvers.py --models " + " ".join(args.models) + \
            f" --time-limit {args.time_limit:g} --write-doc"
        write_section("solvers", "\n".join([
            "## The solver argument (benchmarks/solvers.py)", "",
            f"Command: `{command}` ({machine()}). `predict_deletions(model, target, "
            "solver=…, growth_lb=0.1)` per target with the default (LP checks on the "
            "model's GLPK, MILPs on HiGHS directly), `glpk` (everything on GLPK) and "
            "`hybrid` (every LP check through optlang's HiGHS too), each after a warm-up "
            "call with the same solver on the same model. Seconds per call; `cut_short`: "
            "a stage the time limit stopped.", "", table]))


if __name__ == "__main__":
    main()
