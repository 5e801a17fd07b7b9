"""The minimal design with GLPK (no HiGHS installed), against HiGHS, same run.

``pip install cobra_gdel`` without the ``highs`` extra leaves GLPK (swiglpk, a cobra
dependency) as the only MILP solver. GLPK has no node limit, so the cut-set MILPs of
the minimal-design search (:mod:`cobra_gdel.cutsets`) stop only on the clock. Each
target of the textbook model (every metabolite it can produce at ≥ 0.001 while growing
at ≥ ``--growth-lb``) is designed by ``predict_deletions(model, target, solver=…,
growth_lb=…, time_limit=…)`` three ways, one after another per target in one process:

* ``hybrid``: HiGHS, each cut-set solve limited to ``cutsets.NODES`` nodes (the default
  whenever ``highspy`` is installed);
* ``glpk``: GLPK, each cut-set solve limited to ``cutsets.CLOCK_SECONDS`` per
  ``NODES`` nodes (this package's rule);
* ``glpk, clock only``: GLPK with that limit lifted (the solve has only what is left of
  the task's time: the rule before it).

Every design is re-checked by :func:`cobra_gdel.check_coupling`. Printed: one row per
way (targets coupled, median knock-outs and minimal production of the coupled designs,
median / 90th percentile / total seconds), then the designs of each GLPK way against
HiGHS' (smaller, larger, stronger, weaker on the targets both couple) and the median
per-target ratio of the clock-only seconds over ``glpk``'s.

Usage::

    python benchmarks/glpk.py [--limit 20] [--time-limit 60] [--write-doc]
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WAYS = ("hybrid", "glpk", "glpk, clock only")


def _design(model, target: str, way: str, args) -> dict:
    from cobra_gdel import check_coupling, cutsets, predict_deletions

    solver = "hybrid" if way == "hybrid" else "glpk"
    saved = cutsets.CLOCK_SECONDS
    if way == "glpk, clock only":
        cutsets.CLOCK_SECONDS = math.inf
    try:
        start = time.perf_counter()
        design = predict_deletions(model, target, solver=solver, growth_lb=args.growth_lb,
                                   time_limit=args.time_limit)
        seconds = time.perf_counter() - start
    finally:
        cutsets.CLOCK_SECONDS = saved
    report = check_coupling(model, target, design.deletions, growth_lb=args.growth_lb)
    return {"target": target, "way": way, "coupled": bool(design.coupled and report.coupled),
            "kos": len(design.deletions), "min_production": report.min_production,
            "seconds": seconds}


def _summary(frame):
    import pandas as pd

    rows = []
    for way in WAYS:
        part = frame[frame["way"] == way]
        coupled = part[part["coupled"]]
        rows.append({"way": way, "targets": len(part), "coupled": len(coupled),
                     "median_kos": coupled["kos"].median(),
                     "median_min_production": coupled["min_production"].median(),
                     "median_s": part["seconds"].median(),
                     "p90_s": part["seconds"].quantile(0.9),
                     "total_s": part["seconds"].sum()})
    return pd.DataFrame(rows)


def _against_highs(frame):
    import pandas as pd

    wide = frame.pivot(index="target", columns="way")
    rows = []
    for way in WAYS[1:]:
        both = wide[wide[("coupled", "hybrid")] & wide[("coupled", way)]]
        kos, ref = both[("kos", way)], both[("kos", "hybrid")]
        low, ref_low = both[("min_production", way)], both[("min_production", "hybrid")]
        rows.append({"way": way, "both_coupled": len(both), "smaller": int((kos < ref).sum()),
                     "larger": int((kos > ref).sum()),
                     "stronger": int((low > ref_low * 1.001 + 1e-9).sum()),
                     "weaker": int((low < ref_low * 0.999 - 1e-9).sum())})
    ratio = (wide[("seconds", "glpk, clock only")] / wide[("seconds", "glpk")]).median()
    return pd.DataFrame(rows), float(ratio)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="the first N targets only")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--growth-lb", type=float, default=0.001)
    parser.add_argument("--write-doc", action="store_true",
                        help="replace the glpk section of docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    import cobra
    import pandas as pd

    from benchmarks._report import machine, markdown_table, write_section
    from benchmarks.design_quality import producible_targets
    from cobra_gdel import cutsets

    model = cobra.io.load_model("textbook")
    targets, _best = producible_targets(model, args.growth_lb, 0.001)
    targets = targets[: args.limit]
    start = time.perf_counter()
    rows = []
    for target in targets:
        for way in WAYS:
            rows.append(_design(model, target, way, args))
            print(rows[-1], flush=True)
    wall = time.perf_counter() - start
    frame = pd.DataFrame(rows)
    summary = _summary(frame)
    against, ratio = _against_highs(frame)
    text = "\n\n".join([markdown_table(summary), markdown_table(against),
                        f"Median per-target ratio, clock only / glpk: **{ratio:.1f}×**"])
    print(text)
    if args.write_doc:
        command = "python benchmarks/glpk.py" + (f" --limit {args.limit}" if args.limit else "") \
            + f" --time-limit {args.time_limit:g} --growth-lb {args.growth_lb:g} --write-doc"
        write_section("glpk", "\n".join([
            "## The minimal design with GLPK (benchmarks/glpk.py)", "",
            f"Command: `{command}` ({machine()}; wall time {wall / 60:.1f} min). "
            f"{len(targets)} textbook targets, each designed three ways in turn: HiGHS "
            f"(`hybrid`, cut-set solves of {cutsets.NODES} nodes), GLPK with "
            f"{cutsets.CLOCK_SECONDS:g} s per cut-set solve (`glpk`), and GLPK whose "
            "cut-set solves have only the task's clock (`glpk, clock only`, the rule "
            "before). Knock-outs and minimal production of the coupled designs, seconds "
            "per call. Second table: each GLPK way's designs against HiGHS' on the targets "
            "both couple.", "", text]))


if __name__ == "__main__":
    main()
