"""check_coupling against a naive cobra baseline, measured in the same run.

Baseline (what a COBRApy user writes): ``with model:`` add a demand reaction
for the target, knock the genes out with ``gene.knock_out()``, maximise growth,
fix it and minimise production (two optimisations; cobra's own solver object).

cobra_gdel: ``check_coupling(model, target, deletions)`` (three LPs: growth,
minimal and maximal production) on its cached per-model LP.

Each call uses a published strategy (target, its deleted genes) from
``strategies.csv``; both methods see the same calls in the same order, and
their verdicts are compared.

Usage::

    python benchmarks/coupling.py [--model iML1515] [--targets 60] [--no-write]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cobra
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._report import machine, markdown_table, write_section  # noqa: E402
from cobra_gdel.coupling import check_coupling, clear_cache  # noqa: E402
from cobra_gdel.data import data_dir  # noqa: E402
from cobra_gdel.reference import cobra_check  # noqa: E402


def naive_check(model, target, deletions, growth_lb=0.001, production_lb=0.001):
    """Naive weak-coupling check on the cobra model itself (reverted by ``with``)."""
    return cobra_check(model, target, deletions, growth_lb, production_lb)[2]


def run(model_id: str, n_targets: int, seed: int = 0) -> dict:
    folder = data_dir(model_id)
    if folder is None:
        raise SystemExit(f"no data for {model_id}: set COBRA_GDEL_DATA")
    model = cobra.io.load_json_model(str(folder / "model.json"))
    model.solver.configuration.timeout = 20  # the naive path can stall in GLPK
    table = pd.read_csv(folder / "strategies.csv", index_col=0)
    rng = np.random.default_rng(seed)
    targets = list(rng.choice(table.index, size=min(n_targets, len(table)), replace=False))
    genes = np.asarray(table.columns)
    calls = [(t, list(genes[table.loc[t].values == 1])) for t in targets]

    clear_cache()
    start = time.perf_counter()
    check_coupling(model, calls[0][0], calls[0][1])
    cold = time.perf_counter() - start

    ours, base, agree = [], [], 0
    for target, deletions in calls:
        start = time.perf_counter()
        report = check_coupling(model, target, deletions)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        verdict = naive_check(model, target, deletions)
        base.append(time.perf_counter() - start)
        agree += verdict == report.coupled
    return {
        "model": model_id, "calls": len(calls), "cold_first_call_s": cold,
        "ours_median_ms": 1e3 * statistics.median(ours),
        "ours_p95_ms": 1e3 * float(np.percentile(ours, 95)),
        "naive_median_ms": 1e3 * statistics.median(base),
        "naive_p95_ms": 1e3 * float(np.percentile(base, 95)),
        "speedup_median": statistics.median(base) / statistics.median(ours),
        "verdicts_agree": f"{agree}/{len(calls)}",
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", default=None,
                        help="model id (repeatable); default iML1515")
    parser.add_argument("--targets", type=int, default=60)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args(argv)
    rows = [run(m, args.targets) for m in (args.model or ["iML1515"])]
    frame = pd.DataFrame(rows)
    print(frame.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    if args.no_write:
        return
    md = markdown_table(frame)
    command = "python benchmarks/coupling.py " + " ".join(
        f"--model {m}" for m in (args.model or ["iML1515"])) + f" --targets {args.targets}"
    write_section("coupling", f"""## check_coupling vs a naive cobra check

Command: `{command}` ({machine()}, GLPK).

Each call checks one published strategy (its target and deleted genes). *ours*:
`check_coupling` on its cached per-model LP (3 LPs: growth, min and max production);
*naive*: `with model:` + demand reaction + `gene.knock_out()` + two `slim_optimize`
calls on cobra's own solver. `cold_first_call_s` is the first call, which builds the LP.
Target: median ≤ 50 ms and ≥ 5× the naive baseline on iML1515.

{md}
""")


if __name__ == "__main__":
    main()
