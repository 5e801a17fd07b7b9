"""predict_many on a local dask cluster: 2 workers against 1, same designs, per-target cost.

    # e_coli_core (the data folder's model), every producible metabolite, both methods
    nice python benchmarks/batch.py scaling --model e_coli_core --write-doc
    # iYS1720 (cobra's "salmonella"), 100 exported products, the default method
    nice python benchmarks/batch.py salmonella --targets 100 --time-limit 60 \
        --output /tmp/salmonella100 --write-doc

``scaling``: the targets run serially (no dask), then on a local cluster of 1 and of
2 single-threaded worker processes (cluster start-up timed apart); the wall time of
``predict_many`` gives the 2-vs-1 speed ratio, the deletions of every run are compared
with the serial run's (and a second serial run shows how much the method itself varies
from run to run), and the per-target seconds give a projection for a bigger cluster.

``salmonella``: a seeded sample of the metabolites iYS1720 can export (an ``EX_``
reaction) and produce while it grows, designed by ``design_all`` (``--method``: the
default ``predict``, i.e. the transferable predictor, repair and the batch's retry, or
``search``, the gDel_minRN MILP alone) on a local cluster (resumable: the output folder
keeps every result); every coupled row is checked again by FBA here.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._report import machine, markdown_table, write_section  # noqa: E402
from cobra_gdel.batch import open_client, predict_many, producible_targets  # noqa: E402
from cobra_gdel.data import data_dir  # noqa: E402

PROJECTED_WORKERS = (8, 32, 128)
RESULTS = Path(__file__).resolve().parent.parent / "docs" / "results"
METHOD_TEXT = {
    "predict": (": the transferable predictor, repair and the minimal design, then the "
                "retry of the targets not coupled with the batch's designs as seeds"),
    "search": ", the gDel_minRN MILP",
}


def load(model_id: str):
    import cobra

    folder = data_dir(model_id)
    if folder is not None and (folder / "model.json").is_file():
        return cobra.io.load_json_model(str(folder / "model.json"))
    return cobra.io.load_model(model_id)


def timed_run(model, targets, method, workers, time_limit):
    """(table, predict_many wall seconds, cluster start seconds)."""
    start = time.perf_counter()
    with open_client(workers) as client:
        ready = time.perf_counter()
        table = predict_many(model, targets, client=client, method=method,
                             time_limit=time_limit, progress=False)
        wall = time.perf_counter() - ready
    return table, wall, ready - start


def same(a: pd.DataFrame, b: pd.DataFrame) -> int:
    """Targets with the same status and deletions in both tables."""
    return int(((a["deletions"] == b["deletions"]) & (a["status"] == b["status"])).sum())


def scaling(args) -> str:
    model = load(args.model)
    targets = producible_targets(model, progress=False)
    print(f"{model.id}: {len(targets)} producible metabolites")
    rows, projection = [], []
    for method in args.methods:
        serial, serial_wall, _ = timed_run(model, targets, method, None, args.time_limit)
        again, again_wall, _ = timed_run(model, targets, method, None, args.time_limit)
        runs, walls = {}, {}
        for _ in range(args.repeats):  # interleaved: the machine's load drifts
            for w in (1, 2):
                run = timed_run(model, targets, method, w, args.time_limit)
                walls.setdefault(w, []).append(run[1])
                if w not in runs or run[1] < runs[w][1]:
                    runs[w] = run
        ratio = runs[1][1] / runs[2][1]
        seconds = runs[2][0]["seconds"]
        for label, (table, wall, startup) in [("serial", (serial, serial_wall, 0.0)),
                                              ("serial again", (again, again_wall, 0.0)),
                                              ("1 worker", runs[1]), ("2 workers", runs[2])]:
            every = walls.get({"1 worker": 1, "2 workers": 2}.get(label), [wall])
            rows.append({"method": method, "run": label, "targets": len(table),
                         "coupled": int(table["coupled"].sum()),
                         "same_as_serial": same(table, serial), "wall_s": wall,
                         "all_walls_s": " / ".join(f"{w:.1f}" for w in every),
                         "cluster_start_s": startup,
                         "ratio_1w/2w": ratio if label == "2 workers" else float("nan")})
        mean = float(seconds.mean())
        projection.append({"method": method, "targets": len(targets),
                           "median_s": float(seconds.median()), "mean_s": mean,
                           "p95_s": float(seconds.quantile(0.95)), "sum_s": float(seconds.sum()),
                           **{f"{w}_workers_s": len(targets) * mean / w
                              for w in PROJECTED_WORKERS}})
        print(f"{method}: 1 worker {runs[1][1]:.1f} s, 2 workers {runs[2][1]:.1f} s, "
              f"ratio {ratio:.2f}; same as serial: 1w {same(runs[1][0], serial)}, "
              f"2w {same(runs[2][0], serial)}, serial again {same(again, serial)} "
              f"of {len(targets)}")
    loadavg = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    table, proj = pd.DataFrame(rows), pd.DataFrame(projection)
    print(markdown_table(table))
    print(markdown_table(proj))
    command = (f"python benchmarks/batch.py scaling --model {args.model} --methods "
               f"{' '.join(args.methods)} --time-limit {args.time_limit:g} --repeats "
               f"{args.repeats}")
    return f"""## predict_many on a local dask cluster (benchmarks/batch.py)

Command: `{command}` ({machine()}; GLPK LPs, HiGHS MILP on one thread; wall time of
`predict_many` only, the cluster start apart; the cluster runs were interleaved
{args.repeats}× and the best wall is kept, all in `all_walls_s`; load average at the
end {loadavg}; nothing else ran). Targets: every metabolite of
{model.id} that it can produce while it grows ({len(targets)}). `same_as_serial`:
targets whose status and deletions equal those of the first serial run; `serial again`
is a second serial run in the same process, the run-to-run variation of the method
itself.

{markdown_table(table)}

Per-target cost (seconds of each call, from the 2-worker run) and the projected wall
time on a bigger cluster, targets × mean seconds / workers (no start-up, no
scheduling overhead):

{markdown_table(proj)}"""


def salmonella(args) -> str:
    import cobra

    from cobra_gdel.batch_files import SUMMARY, design_all
    from cobra_gdel.coupling import check_coupling

    model = cobra.io.load_model("salmonella")
    exported = [r.id[3:] for r in model.exchanges
                if r.id.startswith("EX_") and r.id[3:] in model.metabolites]
    producible = producible_targets(model, metabolites=exported, progress=False)
    targets = random.Random(args.seed).sample(producible, min(args.targets, len(producible)))
    start = time.perf_counter()
    with open_client(args.workers) as client:
        table = design_all(model, targets, args.output, client=client, method=args.method,
                           time_limit=args.time_limit, progress=not args.quiet)
    wall = time.perf_counter() - start
    if args.write_doc:  # design_all's own table of the run, every target
        shutil.copyfile(args.output / SUMMARY, RESULTS / f"batch_salmonella_{args.method}.csv")
    rechecked = sum(check_coupling(model, t, row["deletions"]).coupled
                    for t, row in table[table["coupled"]].iterrows())
    counts = table["status"].value_counts().to_dict()
    seconds = table["seconds"]
    reasons = (table[~table["coupled"]]["reason"].str.split(";").str[0]
               .str.replace(r"\d+(\.\d+)?", "N", regex=True).value_counts())
    summary = pd.DataFrame([{
        "targets": len(table), **{k: counts.get(k, 0) for k in
                                  ("coupled", "not_coupled", "no_design", "error")},
        "coupled_rechecked": rechecked, "timed_out": int(table["timed_out"].sum()),
        "median_s": float(seconds.median()),
        "median_s_coupled": float(seconds[table["coupled"]].median()),
        "median_kos_coupled": float(table[table["coupled"]]["deletions"].map(len).median()),
        "p95_s": float(seconds.quantile(0.95)),
        "max_s": float(seconds.max()), "wall_s": wall}])
    print(markdown_table(summary))
    print(reasons.to_string())
    command = (f"python benchmarks/batch.py salmonella --targets {args.targets} --seed "
               f"{args.seed} --method {args.method} --time-limit {args.time_limit:g} "
               f"--workers {args.workers} --output {args.output}")
    reason_lines = "\n".join(f"- {n} × {r}" for r, n in reasons.items())
    return f"""## 100 Salmonella targets, unattended (benchmarks/batch.py)

Command: `{command}` ({machine()}). Targets: a seeded sample of the {len(producible)}
metabolites iYS1720 (cobra's `salmonella`, {len(model.reactions)} reactions,
{len(model.genes)} genes) can export and produce while it grows; `design_all`
(method `{args.method}`{METHOD_TEXT.get(args.method, "")}) on a local cluster of {args.workers}
single-threaded workers, {args.time_limit:g} s per target; every coupled row checked
again by FBA in the client (`coupled_rechecked`). `wall_s` includes the cluster start.

{markdown_table(summary)}

Why the other rows are not coupled (first clause of the reason, numbers as N):

{reason_lines}"""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("scaling")
    p.add_argument("--model", default="e_coli_core")
    p.add_argument("--methods", nargs="+", default=["predict", "search"])
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--repeats", type=int, default=2, help="interleaved cluster runs")
    p = sub.add_parser("salmonella")
    p.add_argument("--targets", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--method", choices=sorted(METHOD_TEXT), default="predict")
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--output", type=Path, default=Path("/tmp/salmonella100"))
    p.add_argument("--quiet", action="store_true")
    for p in sub.choices.values():
        p.add_argument("--write-doc", action="store_true")
    args = parser.parse_args(argv)
    markdown = scaling(args) if args.what == "scaling" else salmonella(args)
    if args.write_doc:
        write_section("batch" if args.what == "scaling" else "batch-salmonella", markdown)


if __name__ == "__main__":
    main()
