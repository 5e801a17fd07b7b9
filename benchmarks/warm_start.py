"""What warm-starting each LP from its own objective's last basis saves.

:class:`cobra_gdel.lp.FluxProblem` keeps, on GLPK, the last optimal basis of each
objective solved by the dual simplex and starts the next solve of that objective from
it (``FluxProblem.keep_bases``). A coupling check alternates objectives (maximal growth,
then minimal and maximal production at it), so without this the next check's growth LP
starts from a production optimum, which is not dual feasible for growth.

This runs ``predict_deletions`` (its defaults) on each target twice in this process,
with ``keep_bases`` off (the baseline) and on, the order alternating from target to
target, after one untimed call per model that builds the per-model caches. It prints,
per model, the median wall time of each and their ratio, and how many designs came back
identical (the same genes, status and method: the basis decides which of several
optimal flux distributions a heuristic sees, so a design may differ).

Usage::

    python benchmarks/warm_start.py --models salmonella e_coli_core iML1515 \\
        --targets 20 --time-limit 30 [--write]

e_coli_core and iML1515 are read from the data folder (``COBRA_GDEL_DATA`` or
``../shared/data``) and skipped without it; their targets are a seeded sample of their
strategy targets. Salmonella (iYS1720, ships with cobra) gets the targets of
``benchmarks/transfer.py unseen --model salmonella``.
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

from benchmarks._paired import models_frame, paired_runs, paired_summary  # noqa: E402
from benchmarks._report import machine, markdown_table, write_section  # noqa: E402
from benchmarks.transfer import _data, _sample, _unseen_model  # noqa: E402
from cobra_gdel.lp import FluxProblem  # noqa: E402
from cobra_gdel.predict import predict_deletions  # noqa: E402


def _model_and_targets(name: str, n: int, seed: int):
    if name == "salmonella":
        model, pool, _how = _unseen_model("salmonella", n, seed)
        return model, pool
    dataset, model = _data(name)
    return model, _sample(list(dataset.targets), n, seed)


def _call(model, target: str, keep: bool, limit: float) -> dict:
    FluxProblem.keep_bases = keep
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            design = predict_deletions(model, target, time_limit=limit)
    finally:
        FluxProblem.keep_bases = True
    return {"seconds": time.perf_counter() - start, "status": design.status,
            "coupled": design.coupled, "method": design.method,
            "genes": frozenset(design.deletions), "size": len(design.deletions)}


def run_model(name: str, n: int, seed: int, limit: float) -> pd.DataFrame:
    """One row per target: both runs' seconds, outcome and size."""
    model, pool = _model_and_targets(name, n, seed)
    return paired_runs(name, model, pool, n, lambda m, t, new: _call(m, t, new, limit))


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    return paired_summary(frame, lambda part, both: {
        "median_s_before": part["before_s"].median(),
        "median_s_after": part["after_s"].median(),
        "median_s_coupled_before": both["before_s"].median(),
        "median_s_coupled_after": both["after_s"].median(),
        "ratio_coupled": both["before_s"].median() / both["after_s"].median(),
        "median_size_before": both["before_size"].median(),
        "median_size_after": both["after_size"].median()})


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["salmonella", "e_coli_core", "iML1515"])
    parser.add_argument("--targets", type=int, default=20)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--csv", default=None, help="write the per-target rows here")
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("cobra_gdel").setLevel(logging.ERROR)
    started = time.perf_counter()
    frame = models_frame(
        args.models, lambda name: run_model(name, args.targets, args.seed, args.time_limit),
        args.csv)
    table = summary(frame)
    print(table.to_string(index=False))
    if args.write:
        command = (f"python benchmarks/warm_start.py --models {' '.join(args.models)} "
                   f"--targets {args.targets} --time-limit {args.time_limit:g} --write")
        write_section("warm-start", f"""## Warm starts per objective (benchmarks/warm_start.py)

Command: `{command}` ({machine()}; wall time {(time.perf_counter() - started) / 60:.1f} min).
Each target designed twice in one process by `predict_deletions` with its defaults:
`before` starts each dual-simplex LP from the last solve's basis (`FluxProblem.keep_bases
= False`), `after` from the last optimal basis of the same objective. `coupled` columns:
the targets both runs couple. `ratio_coupled`: median seconds before over after on them.

{markdown_table(table)}
""")


if __name__ == "__main__":
    main()
