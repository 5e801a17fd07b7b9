"""What relaxing gDel_minRN's no-good cut by the failing design's escape gains.

After a MILP solution fails the coupling check with growth intact,
:mod:`cobra_gdel.search` cuts it off. gDel_minRN's no-good cut asks that at least one
of its repressed reactions come back, which also excludes every superset of the
solution, the coupled ones that close its escape included. The escape cut
(``search_deletions(..., escape_cuts=True)``) excludes only the supersets that keep every
reaction of the escape (a minimal-production flux distribution at maximal growth)
switchable on: those fail for the same reason.

This runs ``search_deletions`` (the MILP over every gene, its defaults but the time
limit) on each target twice in this process, with the plain no-good cut (the
baseline) and with the escape cut, the order alternating from target to target, after
one untimed call per model that builds the per-model caches. It prints how many
targets each couples, the median wall time on the targets both couple and its ratio.

Usage::

    python benchmarks/escape_cut.py --model salmonella --targets hemeO_c ps160_c \\
        --time-limit 60 [--write]

Without ``--targets``: a seeded sample of ``--sample`` targets, as
``benchmarks/transfer.py unseen`` (Salmonella) or the data model's strategy targets.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._report import machine, markdown_table, write_section  # noqa: E402
from benchmarks.warm_start import _model_and_targets  # noqa: E402
from cobra_gdel.exceptions import NoProductionRouteError  # noqa: E402
from cobra_gdel.search import search_deletions  # noqa: E402

logger = logging.getLogger("benchmarks.escape_cut")


def _call(model, target: str, escape: bool, limit: float) -> dict:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        design = search_deletions(model, target, time_limit=limit, escape_cuts=escape)
    return {"seconds": time.perf_counter() - start, "coupled": design.coupled,
            "method": design.method, "size": len(design.deletions),
            "min_production": design.min_production}


def run(name: str, model, targets: list[str], limit: float) -> pd.DataFrame:
    """One row per target: both runs' seconds, outcome and size."""
    rows = []
    for target in targets:
        try:
            if not rows:  # untimed: the per-model caches (LPs, analyses)
                _call(model, target, True, limit)
            runs = {}
            for escape in ((False, True) if len(rows) % 2 == 0 else (True, False)):
                runs[escape] = _call(model, target, escape, limit)
        except NoProductionRouteError:
            continue
        old, new = runs[False], runs[True]
        rows.append({"model": name, "target": target,
                     "no_good_coupled": old["coupled"], "escape_coupled": new["coupled"],
                     "no_good_s": old["seconds"], "escape_s": new["seconds"],
                     "no_good_method": old["method"], "escape_method": new["method"],
                     "no_good_size": old["size"], "escape_size": new["size"]})
        logger.info("%s %s: no-good %s %.1f s, escape %s %.1f s", name, target,
                    old["coupled"], old["seconds"], new["coupled"], new["seconds"])
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    both = frame[frame["no_good_coupled"] & frame["escape_coupled"]]
    return pd.DataFrame([{
        "model": frame["model"].iloc[0], "targets": len(frame),
        "coupled_no_good": int(frame["no_good_coupled"].sum()),
        "coupled_escape": int(frame["escape_coupled"].sum()),
        "coupled_both": len(both),
        "median_s_both_no_good": both["no_good_s"].median(),
        "median_s_both_escape": both["escape_s"].median(),
        "ratio_both": both["no_good_s"].median() / both["escape_s"].median()}])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="salmonella")
    parser.add_argument("--targets", nargs="*", default=None)
    parser.add_argument("--sample", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("cobra_gdel").setLevel(logging.ERROR)
    started = time.perf_counter()
    model, sample = _model_and_targets(args.model, args.sample, args.seed)
    frame = run(args.model, model, list(args.targets or sample), args.time_limit)
    table = summary(frame)
    print(frame.to_string(index=False))
    print(table.to_string(index=False))
    if args.write:
        chosen = (f"--targets {' '.join(args.targets)}" if args.targets
                  else f"--sample {args.sample} --seed {args.seed}")
        command = (f"python benchmarks/escape_cut.py --model {args.model} {chosen} "
                   f"--time-limit {args.time_limit:g} --write")
        shown = frame.drop(columns=["model"])
        write_section(f"escape-cut-{args.model}", f"""### {args.model}

Command: `{command}` ({machine()}; wall time {(time.perf_counter() - started) / 60:.1f} min).
`search_deletions` on each target twice in one process: `no_good` with gDel_minRN's
plain no-good cut (the default), `escape` with the cut relaxed by the failing design's
escape (`escape_cuts=True`). Sizes are maximal designs (no
trimming). `ratio_both`: median seconds of `no_good` over `escape` on the targets both
couple.

{markdown_table(shown)}

{markdown_table(table)}
""")


if __name__ == "__main__":
    main()
